# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
# tests/netns/test_breaker.sh: circuit breakers with real connections through
# a gateway namespace. Its tools stop by themselves:
#   connect_time       how long one connect() takes to fail, and with which
#                      errno; optional SO_MARK (the controller's probe mark)
#                      and a GET over the connection
#   breaker_heartbeat  writes the controller heartbeat into the config map
#   tests/tools/http_upstream.py  the HTTP upstream (python3, not built)

TEST_DEB_PKGS += python3 curl ethtool

TEST_TOOLS += $(OUTPUT)/tests/connect_time $(OUTPUT)/tests/breaker_heartbeat

$(OUTPUT)/tests/connect_time: $(OUTPUT)/tests/tools/connect_time.o
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ -o $@

$(OUTPUT)/tests/breaker_heartbeat: $(OUTPUT)/tests/tools/breaker_heartbeat.o $(DAEMON_LIB) $(LIB)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LDLIBS) -o $@
