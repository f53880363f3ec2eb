#!/bin/bash
# Install what dynasync needs from Debian's archive, and fetch (never install)
# the kernel image matching linux-headers-amd64 into a cache directory.
# Idempotent: when everything is present it only checks and exits.
set -euo pipefail

CACHE=${DS_CACHE:-/var/cache/dynasync}
PKGS=(build-essential g++ make bc cpio gzip kmod xz-utils
      linux-headers-amd64 qemu-system-x86 busybox-static
      liburing-dev googletest libgtest-dev linux-source-6.1)

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
vmlinuz="$CACHE/vmlinuz-$krel"
if [ ! -s "$vmlinuz" ]; then
	echo "deps: fetching the kernel image for $krel (extracted, not installed)"
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	( cd "$tmp" && { apt-get download -qq "linux-image-$krel-unsigned" 2>/dev/null ||
	  apt-get download -qq "linux-image-$krel" 2>/dev/null ||
	  { apt-get update -qq && apt-get download -qq "linux-image-$krel"; }; } )
	dpkg-deb -x "$tmp"/linux-image-*.deb "$tmp/x"
	cp "$tmp/x/boot/vmlinuz-$krel" "$vmlinuz.tmp"
	mv "$vmlinuz.tmp" "$vmlinuz"
fi
ln -sfn "vmlinuz-$krel" "$CACHE/vmlinuz"
echo "$krel" > "$CACHE/krel"
