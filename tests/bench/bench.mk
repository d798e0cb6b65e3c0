# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
# `make bench` tools (never part of `make test`); tests/bench/run.sh drives them.
#   bench_prog  BPF_PROG_TEST_RUN ns/packet vs an XDP_PASS floor, bucket memory
#   bench_gen   AF_PACKET sendmmsg traffic generator (prebuilt frames, N sources)
#   bench_sink  UDP receiver that counts delivered packets per source
#   bench_attach  reference programs (XDP/TC drop floors, datapath variants)
#   bench_breaker BPF_PROG_TEST_RUN cost of the circuit breakers (XDP with and
#                 without upstreams, TC programs beside a TC_ACT_OK floor)
#   tests/bench/failfast.sh  connect() fail times through a gateway (not built;
#                 uses build/tests/connect_time from tests/netns/breaker.mk)

TEST_DEB_PKGS += ethtool

BENCH_TOOLS := $(OUTPUT)/tests/bench_prog $(OUTPUT)/tests/bench_gen $(OUTPUT)/tests/bench_sink \
	       $(OUTPUT)/tests/bench_attach $(OUTPUT)/tests/bench_breaker
TEST_TOOLS += $(BENCH_TOOLS)

# These build (or checksum) their frames with the BPF tests' packet builder.
$(OUTPUT)/tests/bench_breaker $(OUTPUT)/tests/bench_prog $(OUTPUT)/tests/bench_gen: \
		$(OUTPUT)/tests/%: $(OUTPUT)/tests/bench/%.o $(OUTPUT)/tests/bpf/pkt.o $(DAEMON_LIB) $(LIB)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LDLIBS) -o $@

$(OUTPUT)/tests/bench_%: $(OUTPUT)/tests/bench/bench_%.o $(DAEMON_LIB) $(LIB)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LDLIBS) -o $@

# bench_observe: today's observer against the one before flow checks, a
# reference program of its own (tests/bench/progs/observe_old.bpf.c).
BENCH_TOOLS += $(OUTPUT)/tests/bench_observe
TEST_TOOLS += $(OUTPUT)/tests/bench_observe

$(OUTPUT)/tests/observe_old.bpf.o: tests/bench/progs/observe_old.bpf.c vmlinux.h | $(OUTPUT)/tests
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@
	$(Q)llvm-strip -g $@ 2>/dev/null || true

$(OUTPUT)/tests/observe_old.skel.h: $(OUTPUT)/tests/observe_old.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name observe_old > $@

$(OUTPUT)/tests/bench/bench_observe.o: $(OUTPUT)/tests/observe_old.skel.h
$(OUTPUT)/tests/bench_observe: $(OUTPUT)/tests/bench/bench_observe.o $(OUTPUT)/tests/bpf/pkt.o $(DAEMON_LIB) $(LIB)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LDLIBS) -o $@

# The NIC-like path (run.sh section 7): bench_live, a live-frames generator
# (BPF_PROG_TEST_RUN with BPF_F_TEST_XDP_LIVE_FRAMES running
# tests/bench/progs/live_redirect.bpf.c, which redirects into a veth), and
# the reference programs of tests/bench/progs/nic_ref.bpf.c (a read-the-
# source-and-drop floor, a minimal GCRA limiter) that bench_attach --ref
# attaches on the receiving side.
BENCH_TOOLS += $(OUTPUT)/tests/bench_live $(OUTPUT)/tests/nic_ref.bpf.o
TEST_TOOLS += $(OUTPUT)/tests/bench_live $(OUTPUT)/tests/nic_ref.bpf.o

$(OUTPUT)/tests/live_redirect.bpf.o $(OUTPUT)/tests/nic_ref.bpf.o: \
		$(OUTPUT)/tests/%.bpf.o: tests/bench/progs/%.bpf.c vmlinux.h | $(OUTPUT)/tests
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@
	$(Q)llvm-strip -g $@ 2>/dev/null || true

$(OUTPUT)/tests/live_redirect.skel.h: $(OUTPUT)/tests/live_redirect.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name live_redirect > $@

$(OUTPUT)/tests/bench/bench_live.o: $(OUTPUT)/tests/live_redirect.skel.h
