# Shell functions shared by the beacon-agent and beacon-collector maintainer scripts
# (packaging/Packaging.cmake pastes this file into each). Every path goes through $DPKG_ROOT,
# so `dpkg --root=DIR --force-script-chrootless` configures DIR without touching the running
# system (tests/integration/test_packages.py installs that way). The systemd calls follow
# what dh_installsystemd generates.
DPKG_ROOT=${DPKG_ROOT:-}

# beacon_id passwd|group NAME: the numeric id in the target system, empty when there is none.
beacon_id() {
	if [ -n "$DPKG_ROOT" ]; then
		sed -n "s/^$2:[^:]*:\([0-9]*\):.*/\1/p" "$DPKG_ROOT/etc/$1"
	else
		getent "$1" "$2" | cut -d: -f3
	fi
}

# beacon_add_user NAME HOME GECOS: a system user with a group of its own and no login shell.
# An existing user is left as it is.
beacon_add_user() {
	[ -n "$(beacon_id passwd "$1")" ] && return 0
	if [ -n "$DPKG_ROOT" ]; then
		# adduser knows no other root; groupadd and useradd write DIR/etc with --prefix.
		[ -n "$(beacon_id group "$1")" ] || groupadd --prefix "$DPKG_ROOT" --system "$1"
		useradd --prefix "$DPKG_ROOT" --system --gid "$1" --home-dir "$2" --no-create-home \
			--shell /usr/sbin/nologin --comment "$3" "$1"
	else
		adduser --quiet --system --group --home "$2" --no-create-home \
			--shell /usr/sbin/nologin --gecos "$3" "$1"
	fi
}

# beacon_dir PATH USER GROUP MODE: create the directory with that owner and mode when missing;
# an existing one (and everything in it) is never changed.
beacon_dir() {
	[ -d "$DPKG_ROOT$1" ] && return 0
	mkdir -p "$DPKG_ROOT$1"
	chown "$(beacon_id passwd "$2"):$(beacon_id group "$3")" "$DPKG_ROOT$1"
	chmod "$4" "$DPKG_ROOT$1"
}

# beacon_run_as USER PROGRAM ARGS...: run one of the package's programs as USER in the target
# system. Under DPKG_ROOT that is a chroot, possible only when the root has the program's
# libraries; returns 3 without running anything when it has not.
beacon_run_as() {
	_uid=$(beacon_id passwd "$1")
	_gid=$(beacon_id group "$1")
	shift
	if [ -n "$DPKG_ROOT" ]; then
		chroot "$DPKG_ROOT" "$1" version >/dev/null 2>&1 || return 3
		chroot --userspec="$_uid:$_gid" "$DPKG_ROOT" "$@"
	else
		setpriv --reuid="$_uid" --regid="$_gid" --clear-groups "$@"
	fi
}

# postinst configure: enable the unit on the first install (an admin's later disable is kept
# across upgrades), then start it, or restart it after an upgrade, when systemd runs this system.
beacon_unit_configure() {
	deb-systemd-helper unmask "$1" >/dev/null || true
	if deb-systemd-helper --quiet was-enabled "$1"; then
		deb-systemd-helper enable "$1" >/dev/null || true
	else
		deb-systemd-helper update-state "$1" >/dev/null || true
	fi
	if [ -z "$DPKG_ROOT" ] && [ -d /run/systemd/system ]; then
		systemctl --system daemon-reload >/dev/null || true
		deb-systemd-invoke start "$1" >/dev/null || true
	fi
}

# prerm: stop the unit before a removal and before an upgrade, so that the new version's
# postinst migrates stores no old process holds open.
beacon_unit_stop() {
	if [ -z "$DPKG_ROOT" ] && [ -d /run/systemd/system ]; then
		deb-systemd-invoke stop "$1" >/dev/null || true
	fi
}

# postrm: forget the unit on removal; on purge also its enablement state.
beacon_unit_postrm() {
	if [ "$2" = remove ] && [ -z "$DPKG_ROOT" ] && [ -d /run/systemd/system ]; then
		systemctl --system daemon-reload >/dev/null || true
	fi
	command -v deb-systemd-helper >/dev/null || return 0
	case "$2" in
	remove) deb-systemd-helper mask "$1" >/dev/null || true ;;
	purge)
		deb-systemd-helper purge "$1" >/dev/null || true
		deb-systemd-helper unmask "$1" >/dev/null || true
		;;
	esac
}
