/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * Policy files: one policy per line, as `floodgate limit load` reads, `limit
 * save` writes and floodgated's policy_file names:
 *
 *   PREFIX allow|deny|RATE [burst N] [per source|prefix] [new-sources RATE|off]
 *
 * Words are separated by blanks; '#' starts a comment (a whole line or the
 * rest of one); blank lines and a CRLF ending are fine. A file is read whole
 * and checked before anyone writes a map: the first bad line stops the read
 * with "FILE:LINE: what was wrong".
 */
#ifndef FG_POLICY_FILE_H
#define FG_POLICY_FILE_H

#include <stdio.h>
#include "policy_set.h"

#define FG_POLICY_LINE_MAX 1024 /* characters in a line, its newline not counted */

/*
 * One line of len bytes (no newline; may hold NULs, which are refused).
 * 1: a policy in *out (out->line untouched); 0: blank or a comment;
 * -EINVAL with the reason in err (no file:line: the caller adds it).
 */
int fg_policy_line_parse(const char *line, size_t len, struct fg_policy_want *out, char *err,
			 size_t errlen);

/*
 * Every policy of f (name stands for it in errors), at most cap of them,
 * no prefix twice: *out malloc'ed, *n set. 0, or -errno with err as
 * "name:LINE: ..." (-E2BIG: more than cap).
 */
int fg_policy_file_read(FILE *f, const char *name, __u32 cap, struct fg_policy_want **out,
			int *n, char *err, size_t errlen);

/* key's policy as one line of the file format (no newline): 0, or -ERANGE
 * when its rate has no RATE spelling that reads back the same. */
int fg_policy_line_format(const struct fg_lpm_key *key, const struct fg_policy *pol, char *buf,
			  size_t len);

#endif /* FG_POLICY_FILE_H */
