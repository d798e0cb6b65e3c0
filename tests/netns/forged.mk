# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
# tests/netns/test_forged.sh: forged replies from the upstream side never
# count; real ones still do. It uses floodgated, tests/tools/http_upstream.py
# and curl (daemon.mk, breaker.mk), and builds:
#   forge_tcp  sends N forged TCP segments (raw socket), at most 10 s

TEST_TOOLS += $(OUTPUT)/tests/forge_tcp

$(OUTPUT)/tests/forge_tcp: $(OUTPUT)/tests/tools/forge_tcp.o
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ -o $@
