// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
#include <stdlib.h>
#include <unistd.h>

#include "test.h"

static struct fg_test *head, **tail = &head;
static int cur_failed, cur_skipped;
static const char *skip_reason;

void fg_test_register(struct fg_test *t)
{
	/* Constructors run in file order: keep that order. */
	*tail = t;
	tail = &t->next;
}

void fg_test_fail(void)
{
	cur_failed = 1;
}

void fg_test_skip(const char *why)
{
	cur_skipped = 1;
	skip_reason = why;
}

int fg_test_main(int argc, char **argv)
{
	const char *filter = NULL;
	int opt, n = 0, failed = 0;

	while ((opt = getopt(argc, argv, "t:")) != -1) {
		if (opt == 't')
			filter = optarg;
		else
			return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (struct fg_test *t = head; t; t = t->next) {
		if (filter && !strstr(t->name, filter))
			continue;
		cur_failed = cur_skipped = 0;
		t->fn();
		n++;
		fflush(stderr);
		if (cur_failed) {
			failed++;
			printf("#%d %s:FAIL\n", n, t->name);
		} else if (cur_skipped) {
			printf("#%d %s:SKIP (%s)\n", n, t->name, skip_reason);
		} else {
			printf("#%d %s:OK\n", n, t->name);
		}
	}
	return failed ? 1 : 0;
}

int main(int argc, char **argv) __attribute__((weak));
int main(int argc, char **argv)
{
	return fg_test_main(argc, argv);
}
