# shellcheck shell=bash
# install_missing TAG PKG...: installs the Debian packages among PKG that
# are not installed yet (apt-get, quietly), saying which under TAG.
# Idempotent: with everything present it only queries dpkg.
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
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}
