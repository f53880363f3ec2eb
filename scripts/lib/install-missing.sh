# shellcheck shell=bash
# install_missing TAG PKG...: installs the Debian packages among PKG that
# are not installed yet (apt-get, quietly), saying which under TAG.
# Idempotent: with everything present it only queries dpkg.
#
# Every apt call waits for a busy lock (unattended-upgrades on a real Debian
# box, another install on a shared machine) instead of failing at once, for
# up to DS_APT_LOCK_TIMEOUT seconds (default 600):
# - ds_apt_get passes -o DPkg::Lock::Timeout to apt-get (install waits for
#   the dpkg frontend lock);
# - ds_apt_update: apt 2.6's `apt-get update` ignores that option for the
#   lists lock (measured: it fails at once with "Could not get lock
#   /var/lib/apt/lists/lock"), so it is retried while that is the error.
DS_APT_LOCK_TIMEOUT=${DS_APT_LOCK_TIMEOUT:-600}

ds_apt_get() {
	apt-get -o DPkg::Lock::Timeout="$DS_APT_LOCK_TIMEOUT" "$@"
}

ds_apt_update() {
	local deadline=$(( $(date +%s) + DS_APT_LOCK_TIMEOUT )) err said=0
	err=$(mktemp)
	while ! ds_apt_get update -qq "$@" 2> "$err"; do
		if ! grep -q 'Could not get lock' "$err" || [ "$(date +%s)" -ge "$deadline" ]; then
			cat "$err" >&2
			rm -f "$err"
			return 1
		fi
		[ $said = 1 ] || { echo "apt: waiting for the package lists lock ($(grep -m1 'Could not get lock' "$err"))" >&2; said=1; }
		sleep 3
	done
	grep -v '^$' "$err" >&2 || true
	rm -f "$err"
}

install_missing() {
	local tag=$1 p
	local missing=()
	shift
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
			missing+=("$p")
	done
	[ ${#missing[@]} -gt 0 ] || return 0
	echo "$tag: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	ds_apt_update
	ds_apt_get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}
