/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/* A minimal streaming JSON writer for --json output (stdout). */
#ifndef FG_JSON_H
#define FG_JSON_H

#include <stdio.h>
#include <linux/types.h>

struct fg_json {
	FILE *out;
	int depth;
	int need_comma[16];
};

void fg_json_begin(struct fg_json *j, FILE *out); /* opens the top-level object */
void fg_json_end(struct fg_json *j);              /* closes it, adds a newline */
void fg_json_obj(struct fg_json *j, const char *key);   /* key NULL inside arrays */
void fg_json_arr(struct fg_json *j, const char *key);
void fg_json_close_obj(struct fg_json *j);
void fg_json_close_arr(struct fg_json *j);
void fg_json_str(struct fg_json *j, const char *key, const char *val);
void fg_json_u64(struct fg_json *j, const char *key, __u64 val);
void fg_json_double(struct fg_json *j, const char *key, double val);
void fg_json_bool(struct fg_json *j, const char *key, int val);

#endif /* FG_JSON_H */
