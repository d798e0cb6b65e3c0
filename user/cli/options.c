// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* The option tables' parser and help printer (options.h). */
#include <stdio.h>
#include <string.h>

#include "names.h"
#include "options.h"
#include "parse.h"

static int takes_value(const struct fg_opt *o)
{
	return o->type != FG_OPT_FLAG && o->type != FG_OPT_HELP;
}

const char *fg_opt_display(const struct fg_opt *o, char *buf, size_t len)
{
	if (o->name)
		snprintf(buf, len, "--%s", o->name);
	else
		snprintf(buf, len, "-%c", o->short_name);
	return buf;
}

/* An enum's names joined by '|'; else the value's placeholder. */
static const char *names_or_arg(const struct fg_opt *o, char *buf, size_t len)
{
	if (o->type != FG_OPT_ENUM)
		return o->arg ? o->arg : "VALUE";
	fg_names_join(o->names, o->n_names, "|", "|", buf, len);
	return buf;
}

/* The value's placeholder in help: arg, else names_or_arg. */
static const char *placeholder(const struct fg_opt *o, char *buf, size_t len)
{
	return o->arg ? o->arg : names_or_arg(o, buf, len);
}

struct hit {
	int set, idx;
};

/* By long name (or an unambiguous prefix of one): 0, -1 unknown, -2 ambiguous. */
static int find_long(const struct fg_optset *sets, int nsets, const char *name, size_t len,
		     struct hit *h)
{
	int n = 0;

	for (int s = 0; s < nsets; s++)
		for (int i = 0; !fg_opt_is_end(&sets[s].opts[i]); i++) {
			const char *o = sets[s].opts[i].name;

			if (!o || strncmp(o, name, len))
				continue;
			*h = (struct hit){ s, i };
			if (!o[len])
				return 0; /* exact: wins over prefixes */
			n++;
		}
	for (int s = 0; n > 1 && s < nsets; s++) /* an exact match may follow a prefix */
		for (int i = 0; !fg_opt_is_end(&sets[s].opts[i]); i++)
			if (sets[s].opts[i].name && strlen(sets[s].opts[i].name) == len &&
			    !strncmp(sets[s].opts[i].name, name, len))
				return *h = (struct hit){ s, i }, 0;
	return n == 1 ? 0 : n ? -2 : -1;
}

static int find_short(const struct fg_optset *sets, int nsets, char c, struct hit *h)
{
	for (int s = 0; s < nsets; s++)
		for (int i = 0; !fg_opt_is_end(&sets[s].opts[i]); i++)
			if (sets[s].opts[i].short_name == c)
				return *h = (struct hit){ s, i }, 0;
	return -1;
}

/* Store val (NULL for a flag) where o's value goes; errors name it disp. */
static int store(const struct fg_opt *o, void *target, const char *val, const char *disp,
		 char *err, size_t errlen)
{
	char *at = (char *)target + o->off, names[128];
	struct fg_opt_rate *r = (struct fg_opt_rate *)at;
	int v;

	switch (o->type) {
	case FG_OPT_FLAG:
	case FG_OPT_HELP:
		*(int *)at = 1;
		return 0;
	case FG_OPT_STR:
		*(const char **)at = val;
		return 0;
	case FG_OPT_U32:
		return fg_parse_u32(val, disp, o->min, o->max, (__u32 *)at, err, errlen) ?
			       FG_OPT_EVALUE : 0;
	case FG_OPT_ENUM:
		v = fg_name_value(o->names, o->n_names, val);
		if (v >= 0)
			return *(int *)at = v, 0;
		fg_names_join(o->names, o->n_names, ", ", " or ", names, sizeof(names));
		snprintf(err, errlen, "invalid %s '%s': expected %s", disp, val, names);
		return FG_OPT_EVALUE;
	case FG_OPT_RATE:
		if (fg_parse_new_sources(val, &r->interval_ns, &r->burst, err, errlen))
			return FG_OPT_EVALUE;
		r->set = 1;
		return 0;
	}
	snprintf(err, errlen, "%s: unknown option type %d", disp, o->type);
	return FG_OPT_EUSAGE;
}

struct cursor {
	const struct fg_optset *sets;
	int nsets, argc, i; /* argv[i]: the word being read */
	char **argv;
	struct fg_parsed *out;
};

/* Record and store option h; its value is inline (after '=' or in a short
 * cluster) or the next word. */
static int take(struct cursor *c, struct hit h, const char *inline_val, const char *typed,
		char *err, size_t errlen)
{
	const struct fg_opt *o = &c->sets[h.set].opts[h.idx];
	const char *val = inline_val;
	char ph[128], disp[64];

	if (!takes_value(o) && inline_val) {
		snprintf(err, errlen, "option '%s' takes no value", typed);
		return FG_OPT_EUSAGE;
	}
	if (takes_value(o) && !val) {
		if (c->i + 1 >= c->argc) {
			snprintf(err, errlen, "option '%s' needs a value (%s)", typed,
				 placeholder(o, ph, sizeof(ph)));
			return FG_OPT_EUSAGE;
		}
		val = c->argv[++c->i];
	}
	if (h.idx < 64)
		c->out->seen[h.set] |= 1ULL << h.idx;
	if (o->type == FG_OPT_HELP)
		c->out->help = 1;
	/* A value error names the option as typed when short, else in full. */
	if (typed[1] == '-')
		fg_opt_display(o, disp, sizeof(disp));
	else
		snprintf(disp, sizeof(disp), "%s", typed);
	return store(o, c->sets[h.set].target, val, disp, err, errlen);
}

static int parse_long(struct cursor *c, const char *word, char *err, size_t errlen)
{
	const char *name = word + 2, *eq = strchr(name, '=');
	size_t len = eq ? (size_t)(eq - name) : strlen(name);
	char typed[64];
	struct hit h;
	int r;

	snprintf(typed, sizeof(typed), "--%.*s", (int)len, name);
	r = find_long(c->sets, c->nsets, name, len, &h);
	if (r) {
		snprintf(err, errlen, "%s option '%s'", r == -2 ? "ambiguous" : "unknown", typed);
		return FG_OPT_EUSAGE;
	}
	return take(c, h, eq ? eq + 1 : NULL, typed, err, errlen);
}

/* "-vh", "-n5", "-n 5". */
static int parse_short(struct cursor *c, const char *word, char *err, size_t errlen)
{
	for (const char *p = word + 1; *p; p++) {
		char typed[3] = { '-', *p, 0 };
		const struct fg_opt *o;
		struct hit h;
		int r;

		if (find_short(c->sets, c->nsets, *p, &h)) {
			snprintf(err, errlen, "unknown option '%s'", typed);
			return FG_OPT_EUSAGE;
		}
		o = &c->sets[h.set].opts[h.idx];
		r = take(c, h, takes_value(o) && p[1] ? p + 1 : NULL, typed, err, errlen);
		if (r || takes_value(o) || c->out->help)
			return r;
	}
	return 0;
}

int fg_opts_parse(const struct fg_optset *sets, int nsets, int argc, char **argv,
		  struct fg_parsed *out, char *err, size_t errlen)
{
	struct cursor c = { sets, nsets, argc, 1, argv, out };
	int n = 0, r = 0, rest = 0;

	memset(out, 0, sizeof(*out));
	if (nsets > FG_OPTSETS_MAX) {
		snprintf(err, errlen, "too many option tables (%d)", nsets);
		return FG_OPT_EUSAGE;
	}
	for (; c.i < argc && !r && !out->help; c.i++) {
		const char *w = argv[c.i];

		if (rest || w[0] != '-' || !w[1])
			argv[1 + n++] = argv[c.i]; /* operands move up, in order */
		else if (!strcmp(w, "--"))
			rest = 1;
		else if (w[1] == '-')
			r = parse_long(&c, w, err, errlen);
		else
			r = parse_short(&c, w, err, errlen);
	}
	out->argc = n;
	out->argv = argv + 1;
	return r;
}

void fg_opts_synopsis(const struct fg_opt *opts, const char *only, char *buf, size_t len)
{
	size_t used = strlen(buf);

	for (const struct fg_opt *o = opts; o && !fg_opt_is_end(o) && used < len; o++) {
		char disp[64], ph[128];

		if (only ? !o->only || strcmp(o->only, only) : !!o->only)
			continue;
		fg_opt_display(o, disp, sizeof(disp));
		if (takes_value(o))
			used += snprintf(buf + used, len - used, " [%s %s]", disp,
					 names_or_arg(o, ph, sizeof(ph)));
		else
			used += snprintf(buf + used, len - used, " [%s]", disp);
	}
}

/* "-v, --verbose", "--burst N", "-n N": what the help's left column says. */
static int left_column(const struct fg_opt *o, char *buf, size_t len)
{
	char ph[128];
	int n;

	if (o->name && o->short_name)
		n = snprintf(buf, len, "-%c, --%s", o->short_name, o->name);
	else
		n = snprintf(buf, len, "%s", fg_opt_display(o, ph, sizeof(ph)));
	if (takes_value(o) && n >= 0 && (size_t)n < len)
		n += snprintf(buf + n, len - n, " %s", placeholder(o, ph, sizeof(ph)));
	return n;
}

int fg_opts_width(const struct fg_opt *opts)
{
	int w = 0;

	for (const struct fg_opt *o = opts; o && !fg_opt_is_end(o); o++) {
		char buf[160];
		int n = left_column(o, buf, sizeof(buf));

		w = n > w ? n : w;
	}
	return w;
}

void fg_opts_help(FILE *out, const struct fg_opt *opts, int width)
{
	for (const struct fg_opt *o = opts; o && !fg_opt_is_end(o); o++) {
		const char *h = o->help ? o->help : "";
		char left[160];

		left_column(o, left, sizeof(left));
		fprintf(out, "  %-*s  ", width, left);
		for (const char *nl; (nl = strchr(h, '\n')); h = nl + 1)
			fprintf(out, "%.*s\n  %-*s  ", (int)(nl - h), h, width, "");
		fprintf(out, "%s\n", h);
	}
}
