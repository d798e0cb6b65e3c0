# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
# floodgate: build, test, demo, bench, install, deb.
#
#   bpf/*.bpf.c --clang--> build/*.bpf.o --bpftool gen skeleton--> build/*.skel.h
#   user/lib/*.c    --> build/libfloodgate.a  (what both programs use)
#   user/daemon/*.c --> build/libfloodgated.a (the daemon but its main) + floodgated.o
#   user/cli/*.c + both libraries' users --> build/floodgate, build/floodgated
#   tests/**  --> build/tests/*   (run by tests/run.sh)

OUTPUT    ?= build
CLANG     ?= clang
BPFTOOL   ?= bpftool
CC        ?= cc
PREFIX    ?= /usr/local
ARCH      := $(shell uname -m | sed 's/x86_64/x86/;s/aarch64/arm64/')

CFLAGS    ?= -O2 -g
CFLAGS    += -std=gnu11 -Wall -Wextra -Werror -Wno-unused-parameter -MMD -MP
# Each part of user/ sees the library's headers and its own, never the
# other program's: user/lib cannot reach into the daemon or the CLI.
LIB_INC   := -I$(OUTPUT) -Iinclude -Iuser/lib
CLI_INC   := $(LIB_INC) -Iuser/cli
DAEMON_INC := $(LIB_INC) -Iuser/daemon
# Tests and tools see the library and the daemon (they link both).
INCLUDES  := $(DAEMON_INC)
user_inc   = $(if $(findstring user/cli/,$(1)),$(CLI_INC),$(if $(findstring user/daemon/,$(1)),$(DAEMON_INC),$(LIB_INC)))
LDLIBS    := -lbpf -lelf -lz -lpthread -linih
BPF_CFLAGS := -g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_$(ARCH) \
	      -Wall -Wextra -Werror -Wno-unused-parameter -MMD -MP \
	      -I. -Iinclude -Ibpf

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

# Debian packages needed to build, test, demo and bench.
DEB_PKGS := gcc clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev libinih-dev libcurl4-openssl-dev \
	    libhiredis-dev \
	    pkg-config make scdoc \
	    iproute2 nftables iptables iputils-ping util-linux procps

BPF_PROGS := floodgate
BPF_OBJS  := $(patsubst %,$(OUTPUT)/%.bpf.o,$(BPF_PROGS))
SKELS     := $(patsubst %,$(OUTPUT)/%.skel.h,$(BPF_PROGS))

# What both programs use: maps, layout check, parse, pins, attach, json, log,
# the breaker state machine and the one writer of upstream entries.
LIB_SRCS  := $(sort $(wildcard user/lib/*.c))
LIB_OBJS  := $(patsubst user/%.c,$(OUTPUT)/user/%.o,$(LIB_SRCS))
LIB       := $(OUTPUT)/libfloodgate.a

CLI_SRCS  := $(sort $(wildcard user/cli/*.c))
CLI_OBJS  := $(patsubst user/%.c,$(OUTPUT)/user/%.o,$(CLI_SRCS))

# The daemon but its main, as a library the tests link too; probes need
# libcurl (multi interface), fleet mode libhiredis (floodgated only: the
# tests that link the daemon's library link it too).
DAEMON_MAIN := $(OUTPUT)/user/daemon/floodgated.o
DAEMON_LIB_SRCS := $(filter-out user/daemon/floodgated.c,$(sort $(wildcard user/daemon/*.c)))
DAEMON_LIB_OBJS := $(patsubst user/%.c,$(OUTPUT)/user/%.o,$(DAEMON_LIB_SRCS))
DAEMON_LIB  := $(OUTPUT)/libfloodgated.a
DAEMON_LDLIBS := -lcurl -lhiredis

BINS      := $(OUTPUT)/floodgate $(OUTPUT)/floodgated

# Manual pages, in scdoc beside the program each documents.
MAN_SRCS  := user/cli/floodgate.8.scd user/daemon/floodgated.8.scd \
	     user/daemon/floodgated.conf.5.scd
MANS      := $(patsubst %.scd,$(OUTPUT)/%,$(notdir $(MAN_SRCS)))

.PHONY: all deps test demo demo-fleet bench soak install clean
.DELETE_ON_ERROR:
.SECONDARY: $(BPF_OBJS) $(SKELS)

all: $(BINS) $(MANS) tests-build

$(OUTPUT) $(OUTPUT)/tests:
	$(Q)mkdir -p $@

$(OUTPUT)/%.bpf.o: bpf/%.bpf.c vmlinux.h | $(OUTPUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@
	$(Q)llvm-strip -g $@ 2>/dev/null || true

$(OUTPUT)/%.skel.h: $(OUTPUT)/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $* > $@

$(OUTPUT)/user/%.o: user/%.c | $(SKELS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) $(call user_inc,$<) -c $< -o $@

$(foreach s,$(MAN_SRCS),$(eval $(OUTPUT)/$(notdir $(s:.scd=)): $(s) | $(OUTPUT)))
$(MANS):
	$(call msg,SCDOC,$@)
	$(Q)scdoc <$< >$@

$(LIB): $(LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@
	$(Q)$(AR) rcs $@ $^

$(DAEMON_LIB): $(DAEMON_LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@
	$(Q)$(AR) rcs $@ $^

$(OUTPUT)/floodgate: $(CLI_OBJS) $(LIB)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LDLIBS) -o $@

$(OUTPUT)/floodgated: $(DAEMON_MAIN) $(DAEMON_LIB) $(LIB)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LDLIBS) $(DAEMON_LDLIBS) -o $@

include tests/tests.mk

# Installs only what is missing, so it is cheap to run before every test.
deps:
	@missing=$$(for p in $(DEB_PKGS) $(TEST_DEB_PKGS); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; \
	done); \
	if [ -n "$$missing" ]; then \
		echo "  DEPS     installing:" $$missing; \
		if [ "$$(id -u)" != 0 ]; then echo "make deps: must run as root to install packages" >&2; exit 1; fi; \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get update -qq && apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

test: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)tests/run.sh

demo: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)tests/demo.sh

# Fleet mode: three floodgated nodes, one Redis; an upstream failing, Redis
# stopped and back (tests/demo_fleet.sh, about 10 s).
demo-fleet: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)tests/demo_fleet.sh

bench: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)tests/bench/run.sh

# floodgated under churn for SOAK_SECONDS (600): reloads, forces, limit sets,
# a flapping upstream and a re-attach; never part of make test.
soak: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)tests/soak/soak.sh

# The unit goes to /etc/systemd/system (an admin's local unit) when PREFIX
# is /usr/local, else to $(PREFIX)/lib/systemd/system (a package's). The
# sample config never overwrites the real one.
UNIT_DIR  ?= $(if $(filter /usr/local,$(PREFIX)),/etc/systemd/system,$(PREFIX)/lib/systemd/system)
CONF_DIR  ?= /etc/floodgate

MAN_DIR   ?= $(PREFIX)/share/man
BASH_COMPLETION_DIR ?= $(PREFIX)/share/bash-completion/completions
# Alert rules and the Grafana dashboard, for the admin to copy into place.
SHARE_DIR ?= $(PREFIX)/share/floodgate

install: $(BINS) $(MANS)
	install -d $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(UNIT_DIR) $(DESTDIR)$(CONF_DIR) \
		$(DESTDIR)$(MAN_DIR)/man8 $(DESTDIR)$(MAN_DIR)/man5 $(DESTDIR)$(BASH_COMPLETION_DIR) \
		$(DESTDIR)$(SHARE_DIR)
	install -m 0755 $(BINS) $(DESTDIR)$(PREFIX)/sbin/
	sed 's|/usr/local/sbin/|$(PREFIX)/sbin/|' user/daemon/floodgated.service \
		> $(DESTDIR)$(UNIT_DIR)/floodgated.service
	chmod 0644 $(DESTDIR)$(UNIT_DIR)/floodgated.service
	install -m 0644 user/daemon/floodgated.conf.sample $(DESTDIR)$(CONF_DIR)/floodgated.conf.sample
	install -m 0644 $(filter %.8,$(MANS)) $(DESTDIR)$(MAN_DIR)/man8/
	install -m 0644 $(filter %.5,$(MANS)) $(DESTDIR)$(MAN_DIR)/man5/
	install -m 0644 user/cli/floodgate.bash $(DESTDIR)$(BASH_COMPLETION_DIR)/floodgate
	install -m 0644 user/daemon/floodgate.rules.yml user/daemon/floodgate.dashboard.json \
		$(DESTDIR)$(SHARE_DIR)/

# make deb: the same files as a Debian package (user/deb/).
include user/deb/deb.mk

clean:
	rm -rf $(OUTPUT)

-include $(wildcard $(OUTPUT)/*.d $(OUTPUT)/user/*/*.d $(OUTPUT)/tests/*.d)
