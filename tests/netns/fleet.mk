# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
# tests/netns/test_fleet.sh: fleet mode, several floodgated nodes sharing
# breaker votes through one Redis; tests/netns/test_fleet_shares.sh: their
# per-source shares and prefix budgets, one source spread by a multipath
# route. They build no tool of their own: test_fleet.sh uses breaker_heartbeat
# (breaker.mk) and tests/tools/http_upstream.py, test_fleet_shares.sh
# udpflood (netns.mk), and both:
#   redis-server  the fleet's Redis, started by the test itself inside its
#                 own namespace (on a machine booted with systemd the
#                 package's install also starts a redis-server service on
#                 127.0.0.1, which the test never uses)
#   redis-tools   redis-cli, to see what the nodes wrote
#   prometheus    promtool check metrics on a node's textfile (daemon.mk)
TEST_DEB_PKGS += redis-server redis-tools python3 jq prometheus
