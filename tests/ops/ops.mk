# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
# tests/ops/test_*.sh: what an operator gets around the programs. The
# manuals against the code's tables (floodgate __complete for the CLI,
# daemon_tables below for floodgated's options and config keys), the bash
# completion driven in bash, the alert rules under promtool, and the
# dashboard's and rules' metrics against a textfile the daemon's writer made.
# promtool (prometheus) and jq are in TEST_DEB_PKGS already (daemon.mk).
TEST_TOOLS += $(OUTPUT)/tests/daemon_tables

$(OUTPUT)/tests/daemon_tables: $(OUTPUT)/tests/ops/daemon_tables.o $(DAEMON_LIB) $(LIB)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LDLIBS) $(DAEMON_LDLIBS) -o $@

TEST_TOOLS += $(OUTPUT)/tests/textfile_sample
$(OUTPUT)/tests/ops/textfile_sample.o: INCLUDES += -Itests/unit
$(OUTPUT)/tests/textfile_sample: $(OUTPUT)/tests/ops/textfile_sample.o \
		$(OUTPUT)/tests/unit/fake_datapath.o $(DAEMON_LIB) $(LIB)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LDLIBS) $(DAEMON_LDLIBS) -o $@

# test_watch.sh runs top --watch and stats --watch in a real terminal: tmux.
# test_deb.sh reads the packaged manual with man (dpkg-dev, which make deb
# needs, is in DEB_PKGS: user/deb/deb.mk).
TEST_DEB_PKGS += tmux man-db
