# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
# tests/netns/test_daemon.sh: floodgated end to end (breakers from real HTTP
# responses, kill -9 and restart, staleness, SIGHUP, control socket,
# textfile). It builds no tool of its own; it uses connect_time and
# breaker_heartbeat (breaker.mk), tests/tools/http_upstream.py, and:
#   socat                     the daemon's control socket
#   prometheus                promtool check metrics, and a Prometheus server
#                             of the test's own (in the gateway namespace) that
#                             answers the dashboard's queries (on a machine
#                             booted with systemd the install also enables and
#                             starts the system's server, which is not used)
#   prometheus-node-exporter  a real node_exporter, run by the test inside its
#                             own namespace (same remark about its service)
TEST_DEB_PKGS += socat curl jq python3 prometheus prometheus-node-exporter
