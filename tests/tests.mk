# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
# Test binaries: build/tests/test_* are run by tests/run.sh; helpers used by
# shell tests and benchmarks go to build/tests/ too. Suites in subdirectories
# add themselves through their own .mk files below.

TEST_DEB_PKGS :=
TEST_BINS :=
TEST_TOOLS :=
TEST_HARNESS := $(OUTPUT)/tests/test.o

$(OUTPUT)/tests/%.o: tests/%.c $(SKELS) | $(OUTPUT)/tests
	$(call msg,CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) $(INCLUDES) -Itests -c $< -o $@

# Unit tests: pure user-space logic.
TEST_BINS += $(OUTPUT)/tests/test_unit
$(OUTPUT)/tests/test_unit: $(OUTPUT)/tests/unit/test_parse.o $(OUTPUT)/tests/unit/test_breaker.o \
		$(OUTPUT)/tests/unit/test_config.o $(OUTPUT)/tests/unit/test_daemon.o \
		$(TEST_HARNESS) $(LIB)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LDLIBS) -o $@

# BPF tests: the real programs under BPF_PROG_TEST_RUN.
TEST_BINS += $(OUTPUT)/tests/test_bpf
$(OUTPUT)/tests/test_bpf: $(OUTPUT)/tests/bpf/test_xdp.o $(OUTPUT)/tests/bpf/test_breaker.o \
		$(OUTPUT)/tests/bpf/fixture.o $(OUTPUT)/tests/bpf/pkt.o \
		$(TEST_HARNESS) $(LIB)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LDLIBS) -o $@

-include tests/netns/netns.mk
-include tests/netns/breaker.mk
-include tests/netns/daemon.mk
-include tests/bench/bench.mk

tests-build: $(TEST_BINS) $(TEST_TOOLS)

-include $(wildcard $(OUTPUT)/tests/*.d $(OUTPUT)/tests/*/*.d)
