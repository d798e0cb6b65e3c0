// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * floodgated's tables as lines, for tests/ops/test_docs.sh (what the
 * manuals must name, read from the code):
 *   opt --long|-s     every command-line option
 *   key SECTION KEY   every config key: daemon, upstream, policy, fleet
 */
#include <stdio.h>

#include "cmdline.h"
#include "config.h"

int main(void)
{
	for (const struct option *o = fg_daemon_options; o->name; o++)
		printf("opt --%s\n", o->name);
	for (const char *s = fg_daemon_shortopts; *s; s++)
		if (*s != ':')
			printf("opt -%c\n", *s);
	for (const char *const *k = fg_cfg_daemon_keys; *k; k++)
		printf("key daemon %s\n", *k);
	for (size_t i = 0; fg_cfg_upstream_key_name(i); i++)
		printf("key upstream %s\n", fg_cfg_upstream_key_name(i));
	for (const char *const *k = fg_cfg_policy_keys; *k; k++)
		printf("key policy %s\n", *k);
	for (const char *const *k = fg_cfg_fleet_keys; *k; k++)
		printf("key fleet %s\n", *k);
	return ferror(stdout) ? 1 : 0;
}
