# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
# Test binaries: build/tests/test_* are run by tests/run.sh; helpers used by
# shell tests and benchmarks go to build/tests/ too. Suites in subdirectories
# add themselves through their own .mk files below.

TEST_DEB_PKGS :=
TEST_BINS :=
TEST_TOOLS :=
TEST_HARNESS := $(OUTPUT)/tests/test.o

# BPF programs only the tests and benches use (tests/bpf/progs/): an
# XDP_PASS floor and its TC twin. Not product code: built into build/tests/.
# (The benches' own reference program stays with them: tests/bench/progs/.)
TEST_BPF_PROGS := xdp_pass tc_ok
TEST_SKELS := $(patsubst %,$(OUTPUT)/tests/%.skel.h,$(TEST_BPF_PROGS))
TEST_TOOLS += $(patsubst %,$(OUTPUT)/tests/%.bpf.o,$(TEST_BPF_PROGS))
.SECONDARY: $(TEST_SKELS) $(patsubst %,$(OUTPUT)/tests/%.bpf.o,$(TEST_BPF_PROGS))

$(OUTPUT)/tests/%.bpf.o: tests/bpf/progs/%.bpf.c vmlinux.h | $(OUTPUT)/tests
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@
	$(Q)llvm-strip -g $@ 2>/dev/null || true

$(OUTPUT)/tests/%.skel.h: $(OUTPUT)/tests/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $* > $@

$(OUTPUT)/tests/%.o: tests/%.c | $(SKELS) $(TEST_SKELS) $(OUTPUT)/tests
	$(call msg,CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) $(INCLUDES) -Itests -c $< -o $@

# Unit tests: pure user-space logic; the daemon on an in-memory datapath.
TEST_BINS += $(OUTPUT)/tests/test_unit
TEST_UNIT_OBJS := $(OUTPUT)/tests/unit/test_parse.o $(OUTPUT)/tests/unit/test_breaker.o \
		  $(OUTPUT)/tests/unit/test_config.o $(OUTPUT)/tests/unit/test_daemon.o \
		  $(OUTPUT)/tests/unit/fake_datapath.o \
		  $(OUTPUT)/tests/unit/test_names.o $(OUTPUT)/tests/unit/test_options.o \
		  $(OUTPUT)/tests/unit/test_fleet.o $(OUTPUT)/tests/unit/test_policy_file.o \
		  $(OUTPUT)/tests/unit/test_fleet_share.o \
		  $(OUTPUT)/user/cli/options.o $(TEST_HARNESS) \
		  $(OUTPUT)/tests/unit/test_watch.o $(OUTPUT)/user/cli/watch.o
# The CLI's option parser and --watch's checks, tested from their own
# objects (the CLI has no library).
$(OUTPUT)/tests/unit/test_options.o $(OUTPUT)/tests/unit/test_watch.o: INCLUDES += -Iuser/cli
$(OUTPUT)/tests/test_unit: $(TEST_UNIT_OBJS) $(DAEMON_LIB) $(LIB)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LDLIBS) -o $@

# BPF tests: the real programs under BPF_PROG_TEST_RUN.
TEST_BINS += $(OUTPUT)/tests/test_bpf
TEST_BPF_OBJS := $(OUTPUT)/tests/bpf/test_xdp.o $(OUTPUT)/tests/bpf/test_breaker.o \
		 $(OUTPUT)/tests/bpf/test_edge.o $(OUTPUT)/tests/bpf/test_rst.o \
		 $(OUTPUT)/tests/bpf/test_policy.o $(OUTPUT)/tests/bpf/test_flood.o \
		 $(OUTPUT)/tests/bpf/test_pins.o $(OUTPUT)/tests/bpf/test_reload.o \
		 $(OUTPUT)/tests/bpf/test_attach.o $(OUTPUT)/tests/bpf/test_policy_swap.o \
		 $(OUTPUT)/tests/bpf/test_port_filter.o $(OUTPUT)/tests/bpf/test_shares.o \
		 $(OUTPUT)/tests/bpf/fixture.o $(OUTPUT)/tests/bpf/pkt.o \
		 $(TEST_HARNESS)
$(OUTPUT)/tests/test_bpf: $(TEST_BPF_OBJS) $(DAEMON_LIB) $(LIB)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LDLIBS) -o $@

# The same two binaries under ASan + UBSan (LeakSanitizer included), with
# their own objects and library under build/asan/ and the skeletons above.
# Every report is fatal: ASan and LSan exit non-zero by default, UBSan only
# with -fno-sanitize-recover. The runtimes for gcc 12 (libasan includes
# LeakSanitizer) come with gcc and clang already; named so deps checks them.
TEST_DEB_PKGS += libasan8 libubsan1
ASAN_OUT    := $(OUTPUT)/asan
ASAN_CFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
ASAN_LIB    := $(ASAN_OUT)/libfloodgate.a
ASAN_DAEMON_LIB := $(ASAN_OUT)/libfloodgated.a
asan_objs    = $(patsubst $(OUTPUT)/%,$(ASAN_OUT)/%,$(1))
ASAN_TEST_BINS := $(ASAN_OUT)/tests/test_unit $(ASAN_OUT)/tests/test_bpf
$(ASAN_OUT)/tests/unit/test_options.o $(ASAN_OUT)/tests/unit/test_watch.o: INCLUDES += -Iuser/cli

$(ASAN_OUT)/user/%.o: user/%.c | $(SKELS)
	$(call msg,CC-ASAN,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) $(ASAN_CFLAGS) $(call user_inc,$<) -c $< -o $@

$(ASAN_OUT)/tests/%.o: tests/%.c | $(SKELS) $(TEST_SKELS)
	$(call msg,CC-ASAN,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) $(ASAN_CFLAGS) $(INCLUDES) -Itests -c $< -o $@

$(ASAN_LIB): $(call asan_objs,$(LIB_OBJS))
	$(call msg,AR,$@)
	$(Q)rm -f $@
	$(Q)$(AR) rcs $@ $^

$(ASAN_DAEMON_LIB): $(call asan_objs,$(DAEMON_LIB_OBJS))
	$(call msg,AR,$@)
	$(Q)rm -f $@
	$(Q)$(AR) rcs $@ $^

$(ASAN_OUT)/tests/test_unit: $(call asan_objs,$(TEST_UNIT_OBJS)) $(ASAN_DAEMON_LIB) $(ASAN_LIB)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $(ASAN_CFLAGS) $^ $(LDLIBS) -o $@

$(ASAN_OUT)/tests/test_bpf: $(call asan_objs,$(TEST_BPF_OBJS)) $(ASAN_DAEMON_LIB) $(ASAN_LIB)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $(ASAN_CFLAGS) $^ $(LDLIBS) -o $@

include tests/netns/netns.mk
include tests/netns/breaker.mk
include tests/netns/daemon.mk
include tests/netns/forged.mk
include tests/netns/fleet.mk
include tests/bench/bench.mk
include tests/fuzz/fuzz.mk
include tests/ops/ops.mk

tests-build: $(TEST_BINS) $(TEST_TOOLS) $(ASAN_TEST_BINS)

-include $(wildcard $(OUTPUT)/tests/*.d $(OUTPUT)/tests/*/*.d)
-include $(wildcard $(ASAN_OUT)/user/*/*.d $(ASAN_OUT)/tests/*.d $(ASAN_OUT)/tests/*/*.d)
