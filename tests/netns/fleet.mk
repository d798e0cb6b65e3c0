# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
# tests/netns/test_fleet*.sh: fleet mode, several floodgated nodes sharing
# breaker votes through one Redis (topology: tests/lib/fleet.sh);
# test_fleet_shares.sh: their per-source shares and prefix budgets, one
# source spread by a multipath route. They use breaker_heartbeat
# (breaker.mk), udpflood and udpcount (netns.mk), tests/tools/http_upstream.py,
# and:
#   tcp_delay     a TCP relay adding a delay each way (test_fleet_faults.sh:
#                 this kernel has no sch_netem)
#   redis-server  the fleet's Redis, started by the test itself inside its
#                 own namespace (on a machine booted with systemd the
#                 package's install also starts a redis-server service on
#                 127.0.0.1, which the test never uses)
#   redis-tools   redis-cli, to see what the nodes wrote
#   prometheus    promtool check metrics on a node's textfile (daemon.mk)
TEST_DEB_PKGS += redis-server redis-tools python3 jq prometheus

TEST_TOOLS += $(OUTPUT)/tests/tcp_delay

$(OUTPUT)/tests/tcp_delay: $(OUTPUT)/tests/tools/tcp_delay.o
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ -o $@
