# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
# tests/ops/test_*.sh: what an operator gets around the programs. The
# manuals against the code's tables (floodgate __complete for the CLI,
# daemon_tables below for floodgated's options and config keys), the bash
# completion driven in bash, the alert rules under promtool, and the
# dashboard's and rules' metrics against a textfile the daemon's writer made.
TEST_TOOLS += $(OUTPUT)/tests/daemon_tables

$(OUTPUT)/tests/daemon_tables: $(OUTPUT)/tests/ops/daemon_tables.o $(DAEMON_LIB) $(LIB)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LDLIBS) $(DAEMON_LDLIBS) -o $@
