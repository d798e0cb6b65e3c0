// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* The --json writer (json.h): escaping, commas and nesting in one place. */
#include "json.h"

static void put_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c < 0x20)
			fprintf(out, "\\u%04x", c);
		else
			fputc(c, out);
	}
	fputc('"', out);
}

static void member(struct fg_json *j, const char *key)
{
	if (j->need_comma[j->depth])
		fputc(',', j->out);
	j->need_comma[j->depth] = 1;
	if (key) {
		put_string(j->out, key);
		fputc(':', j->out);
	}
}

static void open(struct fg_json *j, const char *key, char c)
{
	member(j, key);
	fputc(c, j->out);
	if (j->depth < 15)
		j->depth++;
	j->need_comma[j->depth] = 0;
}

void fg_json_begin(struct fg_json *j, FILE *out)
{
	j->out = out;
	j->depth = 0;
	j->need_comma[0] = 0;
	open(j, NULL, '{');
}

void fg_json_end(struct fg_json *j)
{
	fg_json_close_obj(j);
	fputc('\n', j->out);
}

void fg_json_obj(struct fg_json *j, const char *key)
{
	open(j, key, '{');
}

void fg_json_arr(struct fg_json *j, const char *key)
{
	open(j, key, '[');
}

void fg_json_close_obj(struct fg_json *j)
{
	fputc('}', j->out);
	if (j->depth > 0)
		j->depth--;
}

void fg_json_close_arr(struct fg_json *j)
{
	fputc(']', j->out);
	if (j->depth > 0)
		j->depth--;
}

void fg_json_str(struct fg_json *j, const char *key, const char *val)
{
	member(j, key);
	put_string(j->out, val);
}

void fg_json_u64(struct fg_json *j, const char *key, __u64 val)
{
	member(j, key);
	fprintf(j->out, "%llu", (unsigned long long)val);
}

void fg_json_double(struct fg_json *j, const char *key, double val)
{
	member(j, key);
	fprintf(j->out, "%.6g", val);
}

void fg_json_bool(struct fg_json *j, const char *key, int val)
{
	member(j, key);
	fputs(val ? "true" : "false", j->out);
}
