# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
# make deb: build/floodgate_VERSION_ARCH.deb with dpkg-deb, no debhelper.
# What goes in is what `make install` puts, run with DESTDIR into a staging
# tree and PREFIX=/usr (binaries in /usr/sbin, the unit in
# /lib/systemd/system, the sample config in /etc/floodgate as a conffile),
# then Debian's forms: stripped binaries, gzip'd manuals, copyright and
# changelog. Depends is what dpkg-shlibdeps reads from the binaries' shared
# libraries. No maintainer scripts: the package enables and starts nothing
# (the unit also waits for /etc/floodgate/floodgated.conf).
# The version is the changelog's.

DEB_PKGS   += dpkg-dev
DEB_DIR    := $(OUTPUT)/deb
# dpkg-shlibdeps looks for debian/control and the package's files under
# debian/PACKAGE, so the staging tree is laid out as it expects.
DEB_ROOT   := $(DEB_DIR)/debian/floodgate
DEB_VERSION = $(shell dpkg-parsechangelog -l user/deb/changelog -S Version)
DEB_ARCH    = $(shell dpkg --print-architecture)
DEB         = $(OUTPUT)/floodgate_$(DEB_VERSION)_$(DEB_ARCH).deb
DEB_DOC    := usr/share/doc/floodgate

.PHONY: deb deb-build deb-name
deb-name:
	@echo $(DEB)

deb: deps
	$(Q)$(MAKE) --no-print-directory deb-build

deb-build: $(BINS) $(MANS)
	$(call msg,DEB,$(DEB))
	$(Q)rm -rf $(DEB_DIR) && mkdir -p $(DEB_ROOT)/DEBIAN $(DEB_ROOT)/$(DEB_DOC)
	$(Q)$(MAKE) --no-print-directory -s install DESTDIR=$(abspath $(DEB_ROOT)) PREFIX=/usr \
		UNIT_DIR=/lib/systemd/system CONF_DIR=/etc/floodgate >/dev/null
	$(Q)strip --strip-unneeded --remove-section=.comment --remove-section=.note \
		$(DEB_ROOT)/usr/sbin/floodgate $(DEB_ROOT)/usr/sbin/floodgated
	$(Q)gzip -9n $(DEB_ROOT)/usr/share/man/man*/*
	$(Q)install -m 0644 user/deb/copyright $(DEB_ROOT)/$(DEB_DOC)/copyright
	$(Q)gzip -9nc user/deb/changelog > $(DEB_ROOT)/$(DEB_DOC)/changelog.Debian.gz
	$(Q)printf 'Source: floodgate\n\nPackage: floodgate\nArchitecture: any\n' \
		> $(DEB_DIR)/debian/control
	$(Q)cd $(DEB_DIR) && dpkg-shlibdeps -O debian/floodgate/usr/sbin/floodgate \
		debian/floodgate/usr/sbin/floodgated | sed -n 's/^shlibs:Depends=//p' > deps
	$(Q)test -s $(DEB_DIR)/deps || { echo "make deb: dpkg-shlibdeps found no Depends" >&2; exit 1; }
	$(Q)sed -e 's/@VERSION@/$(DEB_VERSION)/' -e 's/@ARCH@/$(DEB_ARCH)/' \
		-e "s/@SIZE@/$$(du -sk --exclude=DEBIAN $(DEB_ROOT) | cut -f1)/" \
		-e "s/@DEPENDS@/$$(cat $(DEB_DIR)/deps)/" user/deb/control.in > $(DEB_ROOT)/DEBIAN/control
	$(Q)cd $(DEB_ROOT) && find etc -type f | sed 's|^|/|' | sort > DEBIAN/conffiles && \
		find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | sort -z | \
		xargs -0 md5sum > DEBIAN/md5sums
	$(Q)dpkg-deb --root-owner-group -Zxz --build $(DEB_ROOT) $(DEB) >/dev/null
