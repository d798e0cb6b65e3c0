# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
# netns integration tests (tests/netns/test_*.sh, run by tests/run.sh) and
# `make demo` (tests/demo.sh). Both drive real traffic between network
# namespaces with these small tools, which stop by themselves:
#   udpflood  send N UDP packets at R pps from a bound source, at most T s
#   udpcount  count UDP packets per source address, until idle or T s

# jq reads floodgate's --json output (iproute2, iputils-ping, util-linux's
# nsenter and bpftool are in the Makefile's DEB_PKGS already).
TEST_DEB_PKGS += jq

TEST_TOOLS += $(OUTPUT)/tests/udpflood $(OUTPUT)/tests/udpcount

$(OUTPUT)/tests/udpflood: $(OUTPUT)/tests/tools/udpflood.o
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ -o $@

$(OUTPUT)/tests/udpcount: $(OUTPUT)/tests/tools/udpcount.o
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ -o $@
