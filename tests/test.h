/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * A small test harness in the style of the kernel's BPF selftests: tests are
 * `TEST(name) { ... }`, registered at load time; ASSERT_* print actual vs
 * expected and mark the current test failed. Each test prints one line
 * `#N name:OK|FAIL|SKIP`; tests/run.sh counts those lines. `-t SUBSTR` runs
 * only matching tests.
 */
#ifndef FG_TEST_H
#define FG_TEST_H

#include <stdio.h>
#include <string.h>

struct fg_test {
	const char *name;
	void (*fn)(void);
	struct fg_test *next;
};

void fg_test_register(struct fg_test *t);
void fg_test_fail(void);
void fg_test_skip(const char *why);
int fg_test_main(int argc, char **argv);

#define TEST(name)                                                      \
	static void test_##name(void);                                  \
	static struct fg_test fg_test_##name = { #name, test_##name, 0 }; \
	__attribute__((constructor)) static void reg_##name(void)       \
	{                                                               \
		fg_test_register(&fg_test_##name);                      \
	}                                                               \
	static void test_##name(void)

#define FG_CHECK(cond, fmt, ...)                                                  \
	({                                                                        \
		int ok_ = !!(cond);                                               \
		if (!ok_) {                                                       \
			fprintf(stderr, "  %s:%d: " fmt "\n", __FILE__, __LINE__,  \
				##__VA_ARGS__);                                   \
			fg_test_fail();                                           \
		}                                                                 \
		ok_;                                                              \
	})

#define ASSERT_TRUE(c, what) FG_CHECK((c), "%s: expected true", what)
#define ASSERT_EQ(a, b, what)                                                      \
	({                                                                         \
		long long a_ = (long long)(a), b_ = (long long)(b);                \
		FG_CHECK(a_ == b_, "%s: got %lld, expected %lld", what, a_, b_);   \
	})
#define ASSERT_LE(a, b, what)                                                      \
	({                                                                         \
		long long a_ = (long long)(a), b_ = (long long)(b);                \
		FG_CHECK(a_ <= b_, "%s: got %lld, expected <= %lld", what, a_, b_); \
	})
#define ASSERT_GE(a, b, what)                                                      \
	({                                                                         \
		long long a_ = (long long)(a), b_ = (long long)(b);                \
		FG_CHECK(a_ >= b_, "%s: got %lld, expected >= %lld", what, a_, b_); \
	})
#define ASSERT_OK(e, what) FG_CHECK((e) == 0, "%s: failed (%d)", what, (int)(e))
#define ASSERT_ERR(e, what) FG_CHECK((e) != 0, "%s: succeeded, expected an error", what)
#define ASSERT_STREQ(a, b, what)                                                   \
	FG_CHECK(!strcmp((a), (b)), "%s: got '%s', expected '%s'", what, (a), (b))
#define ASSERT_STRHAS(a, b, what)                                                  \
	FG_CHECK(strstr((a), (b)) != NULL, "%s: '%s' does not contain '%s'", what, (a), (b))

#endif /* FG_TEST_H */
