#!/bin/bash
# Install what dynasync needs from Debian's archive, and fetch (never install)
# the kernels the tests boot into a cache directory ($DS_CACHE):
# - 6.1: the image matching linux-headers-amd64 (installed headers);
# - 6.12: Debian 12's newest 6.12 LTS (linux-headers-6.12-amd64 names it):
#   its headers, common headers and kbuild tools are extracted into
#   $DS_CACHE/linux-<release>/ (a build tree for `make KDIR=...`), its
#   image's vmlinuz next to the 6.1 one. Nothing of 6.12 is installed on the
#   host (its headers package depends on its image package); only pahole,
#   which the 6.12 tree runs for module BTF, and gcc-12, which built it.
# dkms (alone: --no-install-recommends) for the install step's DKMS build,
# which uses temporary trees only.
# Idempotent: when everything is present it only checks and exits.
# Writes $DS_CACHE/krel (6.1 release), krel-6.12, kdir-6.12 (its KDIR),
# vmlinuz (6.1) and vmlinuz-6.12 (symlinks).
set -euo pipefail

CACHE=${DS_CACHE:-/var/cache/dynasync}
PKGS=(build-essential g++ make bc cpio gzip kmod xz-utils
      linux-headers-amd64 qemu-system-x86 busybox-static
      liburing-dev googletest libgtest-dev linux-source-6.1
      pahole gcc-12 libelf1 libssl3 dkms)

# shellcheck source=scripts/lib/install-missing.sh
. "$(dirname "$0")/lib/install-missing.sh"
install_missing deps "${PKGS[@]}"

# The headers package linux-headers-amd64 pulls in names the kernel release.
krel=$(dpkg-query -W -f='${Depends}' linux-headers-amd64 |
	sed -n 's/.*linux-headers-\([0-9][^ ,]*-amd64\).*/\1/p')
[ -n "$krel" ] || { echo "deps: cannot tell the kernel release of linux-headers-amd64" >&2; exit 1; }
[ -d "/lib/modules/$krel/build" ] || [ -d "/usr/src/linux-headers-$krel" ] ||
	{ echo "deps: headers for $krel missing" >&2; exit 1; }

mkdir -p "$CACHE"
tmp=$(mktemp -d "$CACHE/.deps.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# fetch PKG...: apt-get download into $tmp/debs (the lists updated once if a
# package is unknown).
fetch() {
	mkdir -p "$tmp/debs"
	( cd "$tmp/debs" && { ds_apt_get download -qq "$@" 2>/dev/null ||
	  { ds_apt_update && ds_apt_get download -qq "$@"; }; } )
}

# vmlinuz_of RELEASE IMAGE-PKG...: $CACHE/vmlinuz-RELEASE from the first
# image package that downloads (only ./boot/vmlinuz-* is extracted).
vmlinuz_of() {
	local rel=$1 p
	shift
	[ -s "$CACHE/vmlinuz-$rel" ] && return 0
	echo "deps: fetching the kernel image for $rel (extracted, not installed)"
	for p in "$@"; do
		fetch "$p" 2>/dev/null && break
	done
	dpkg-deb --fsys-tarfile "$tmp"/debs/linux-image-"$rel"*.deb |
		tar -x -C "$tmp" "./boot/vmlinuz-$rel"
	mv "$tmp/boot/vmlinuz-$rel" "$CACHE/vmlinuz-$rel"
	rm -rf "$tmp/debs" "$tmp/boot"
}

vmlinuz_of "$krel" "linux-image-$krel-unsigned" "linux-image-$krel"
ln -sfn "vmlinuz-$krel" "$CACHE/vmlinuz"
echo "$krel" > "$CACHE/krel"

# ---- 6.12 ------------------------------------------------------------------
# DS_KREL_612 (e.g. 6.12.118+deb12-amd64) pins a release; else the newest
# the archive has, as the meta-package linux-headers-6.12-amd64 names it.
meta_612() {
	apt-cache depends linux-headers-6.12-amd64 2>/dev/null |
		sed -n 's/^ *Depends: linux-headers-\(6\.12\.[^ ]*-amd64\)$/\1/p' | head -n 1
}
krel612=${DS_KREL_612:-$(meta_612)}
if [ -z "$krel612" ]; then
	ds_apt_update
	krel612=$(meta_612)
fi
[ -n "$krel612" ] || { echo "deps: the archive has no linux-headers-6.12-amd64 (Debian 12 security/updates)" >&2; exit 1; }
ver612=${krel612%-amd64}            # 6.12.118+deb12
root612=$CACHE/linux-$ver612
kdir612=$root612/usr/src/linux-headers-$krel612
if [ ! -f "$root612/.complete" ]; then
	echo "deps: fetching the 6.12 build tree for $krel612 (extracted, not installed)"
	rm -rf "$root612"
	fetch "linux-headers-$krel612" "linux-headers-$ver612-common" "linux-kbuild-$ver612"
	mkdir -p "$tmp/root"
	for d in "$tmp"/debs/*.deb; do
		dpkg-deb -x "$d" "$tmp/root"
	done
	# The one absolute path in the tree: the arch Makefile includes the
	# common one from /usr/src. scripts/ and tools/ are relative symlinks
	# into usr/lib/linux-kbuild-*, which came along.
	sed -i "s|^include /usr/src/|include $root612/usr/src/|" \
		"$tmp/root/usr/src/linux-headers-$krel612/Makefile"
	rm -rf "$tmp/root/lib" "$tmp/root/usr/share" "$tmp/debs"
	mv "$tmp/root" "$root612"
	touch "$root612/.complete"
fi
vmlinuz_of "$krel612" "linux-image-$krel612-unsigned" "linux-image-$krel612"
ln -sfn "vmlinuz-$krel612" "$CACHE/vmlinuz-6.12"
echo "$krel612" > "$CACHE/krel-6.12"
echo "$kdir612" > "$CACHE/kdir-6.12"
