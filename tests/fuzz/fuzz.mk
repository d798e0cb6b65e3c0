# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
# libFuzzer targets (clang -fsanitize=fuzzer with ASan and UBSan, every report
# fatal), built by `make all` into build/fuzz/:
#   fuzz_parse   RATE, PREFIX, u32, ADDR:PORT, NAME, duration and percent
#                parsers, and the printers of map contents (tests/fuzz/fuzz_parse.c)
#   fuzz_config  floodgated's config loader, from a buffer (fg_cfg_load_buf)
#   fuzz_policy  policy files (limit load, policy_file): the reader, and save's
#                format read back the same (tests/fuzz/fuzz_policy.c)
#   fuzz_ctl     the control socket: line splitting (fg_ctl_split) and commands
#                (fg_ctl_exec) against a daemon on the unit tests' in-memory
#                datapath (tests/unit/fake_datapath.c)
# They link their own copies of the user/lib and user/daemon sources they need, compiled by clang with
# the sanitizers into build/fuzz/obj/, never the gcc-built libfloodgate.a.
#
#   tests/fuzz/test_fuzz.sh  (make test) each target replays every file of its
#                            committed corpus, then fuzzes from it for 3 s
#   make fuzz                each target FUZZ_SECONDS (default 60) from
#                            build/fuzz/corpus-work/TARGET/, a copy of the
#                            committed corpus that keeps growing run after run
#
# Corpus: tests/fuzz/corpus/TARGET/, a handful of meaningful inputs, valid and
# not. Nothing writes to it by itself: new inputs stay in build/fuzz/.
#
# A crash (or leak, or a broken property: FUZZ_CHECK) leaves its input in
# build/fuzz/TARGET-crash-SHA1 (make fuzz and test_fuzz.sh print the path).
# Reproduce with `build/fuzz/TARGET FILE`, fix it, then commit the file as
# tests/fuzz/corpus/TARGET/regress-WHAT (WHAT: what it broke), so that every
# `make test` replays it from then on. Large new corpora can be minimised with
# `build/fuzz/TARGET -merge=1 NEWDIR build/fuzz/corpus-work/TARGET`.

# clang's libFuzzer and sanitizer runtimes.
TEST_DEB_PKGS += libclang-rt-14-dev

FUZZ_DIR      := $(OUTPUT)/fuzz
FUZZ_TARGETS  := fuzz_parse fuzz_config fuzz_ctl fuzz_policy
FUZZ_BINS     := $(patsubst %,$(FUZZ_DIR)/%,$(FUZZ_TARGETS))
FUZZ_SECONDS  ?= 60
FUZZ_SAN      := -fsanitize=address,undefined -fno-sanitize-recover=all
# -O1: fast enough to fuzz, still readable in a sanitizer's stack trace.
FUZZ_CFLAGS   := -O1 -g -fno-omit-frame-pointer -std=gnu11 -Wall -Wextra -Werror \
		 -Wno-unused-parameter -MMD -MP $(FUZZ_SAN) -fsanitize=fuzzer-no-link
# The whole library, as the daemon links it: the linker takes what a target needs.
FUZZ_LIB_OBJS := $(patsubst user/%.c,$(FUZZ_DIR)/obj/user/%.o,$(LIB_SRCS) $(DAEMON_LIB_SRCS))
FUZZ_LIB      := $(FUZZ_DIR)/libfloodgate-fuzz.a
TEST_TOOLS    += $(FUZZ_BINS)

.PHONY: fuzz fuzz-bins

$(FUZZ_DIR)/obj/user/%.o: user/%.c | $(SKELS)
	$(call msg,CC-FUZZ,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) $(call user_inc,$<) -c $< -o $@

$(FUZZ_DIR)/obj/%.o: tests/fuzz/%.c | $(SKELS)
	$(call msg,CC-FUZZ,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) $(INCLUDES) -Itests/fuzz -Itests/unit -c $< -o $@

$(FUZZ_DIR)/obj/unit/%.o: tests/unit/%.c | $(SKELS)
	$(call msg,CC-FUZZ,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) $(INCLUDES) -Itests/unit -c $< -o $@

$(FUZZ_LIB): $(FUZZ_LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)$(AR) rcs $@ $^

# Objects before the library, whichever rule named them.
$(FUZZ_BINS): $(FUZZ_DIR)/%: $(FUZZ_DIR)/obj/%.o $(FUZZ_LIB)
	$(call msg,LINK,$@)
	$(Q)$(CLANG) $(FUZZ_SAN) -fsanitize=fuzzer $(filter %.o,$^) $(filter %.a,$^) $(LDLIBS) -o $@

# The control socket drives a daemon on the in-memory datapath.
$(FUZZ_DIR)/fuzz_ctl: $(FUZZ_DIR)/obj/unit/fake_datapath.o

fuzz-bins: $(FUZZ_BINS)
	@:

# Each target in turn; a crash
# does not stop the others, but fails the whole.
fuzz: deps
	$(Q)$(MAKE) --no-print-directory fuzz-bins
	$(Q)fail=0; for t in $(FUZZ_TARGETS); do \
		work=$(FUZZ_DIR)/corpus-work/$$t log=$(FUZZ_DIR)/$$t.log; \
		mkdir -p $$work && cp -n tests/fuzz/corpus/$$t/* $$work/; \
		printf '  %-8s %s\n' FUZZ "$$t, $(FUZZ_SECONDS)s, corpus $$work, log $$log"; \
		if $(FUZZ_DIR)/$$t -max_total_time=$(FUZZ_SECONDS) -timeout=5 \
			-artifact_prefix=$(FUZZ_DIR)/$$t- -print_final_stats=1 \
			$$work >$$log 2>&1; then \
			grep -h '^stat::number_of_executed_units\|^stat::average_exec_per_sec' $$log | \
				sed 's/^/           /'; \
		else \
			fail=1; tail -n 40 $$log; \
			echo "  FUZZ     $$t CRASHED, input: $$(sed -n 's/.*Test unit written to //p' $$log)"; \
		fi; \
	done; exit $$fail

-include $(wildcard $(FUZZ_DIR)/obj/*.d $(FUZZ_DIR)/obj/unit/*.d $(FUZZ_DIR)/obj/user/*/*.d)
