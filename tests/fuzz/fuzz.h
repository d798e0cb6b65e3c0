/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/* What the libFuzzer targets share (tests/fuzz/fuzz.mk). */
#ifndef FG_FUZZ_H
#define FG_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A property the code promises: a violation is a crash libFuzzer keeps. To fd
 * 2 itself, as the sanitizers write: a target may point stderr elsewhere. */
#define FUZZ_CHECK(cond)                                                                   \
	do {                                                                               \
		if (!(cond)) {                                                             \
			dprintf(2, "%s:%d: fuzz check failed: %s\n", __FILE__, __LINE__,  \
				#cond);                                                    \
			__builtin_trap();                                                  \
		}                                                                          \
	} while (0)

/* A NUL-terminated copy of exactly len + 1 bytes, so ASan sees a read past it. */
static inline char *fuzz_str(const uint8_t *data, size_t len)
{
	char *s = malloc(len + 1);

	if (!s)
		abort();
	memcpy(s, data, len);
	s[len] = 0;
	return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif /* FG_FUZZ_H */
