#!/bin/bash
# Usage: debug-kernel.sh [--path]
# Builds a small x86_64 debug kernel (KASAN, KFENCE, kmemleak, lockdep,
# UBSAN, fault injection) from Debian's linux-source-6.1 with the fragment
# kconfig/debug-vm.config merged onto tinyconfig, and caches it in
#   ${DS_CACHE:-/var/cache/dynasync}/debug-kernel/<pkgversion>-<fragment sha256[:12]>/linux
# (the tree: modules build against it with make -C <tree> M=...; its
# arch/x86/boot/bzImage boots the test VM). A warm run (the key's stamp
# file exists) builds nothing and only prints the paths.
#   --path   print the tree's path (built or not) and exit
# Last lines of output: KDIR=<tree> and VM_KERNEL=<bzImage>.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cache=${DS_CACHE:-/var/cache/dynasync}
frag=$top/kconfig/debug-vm.config
src_tar=/usr/src/linux-source-6.1.tar.xz
pkg=linux-source-6.1

die() { echo "debug-kernel: $*" >&2; exit 1; }

ver=$(dpkg-query -W -f='${Version}' "$pkg" 2>/dev/null) ||
	die "$pkg is not installed (run scripts/deps.sh)"
[ -r "$src_tar" ] || die "no $src_tar (run scripts/deps.sh)"
[ -r "$frag" ] || die "no fragment $frag"
key=$ver-$(sha256sum "$frag" | cut -c1-12)
dir=$cache/debug-kernel/$key
tree=$dir/linux
stamp=$dir/built.stamp

if [ "${1:-}" = --path ]; then
	echo "$tree"
	exit 0
fi

report() {
	echo "KDIR=$tree"
	echo "VM_KERNEL=$tree/arch/x86/boot/bzImage"
}

if [ -e "$stamp" ]; then
	echo "debug-kernel: cached ($key)"
	report
	exit 0
fi

# Build tools the kernel needs beyond scripts/deps.sh's list (objtool needs
# libelf; kconfig needs flex and bison). Same idempotent way as deps.sh.
# shellcheck source=scripts/lib/install-missing.sh
. "$(dirname "$0")/lib/install-missing.sh"
install_missing debug-kernel build-essential bc flex bison libelf-dev libssl-dev python3 xz-utils

mkdir -p "$dir"
# One build per key at a time: a second caller waits, then finds the stamp.
exec 9>"$dir/lock"
flock 9
if [ -e "$stamp" ]; then
	echo "debug-kernel: cached ($key, built by another run)"
	report
	exit 0
fi

t0=$(date +%s)
if [ ! -d "$tree" ]; then
	echo "debug-kernel: extracting $pkg $ver"
	rm -rf "$dir/extract"
	mkdir -p "$dir/extract"
	tar -xJf "$src_tar" -C "$dir/extract"
	mv "$dir/extract/linux-source-6.1" "$tree"
	rmdir "$dir/extract"
fi
t1=$(date +%s)

# ARCH=x86_64: plain tinyconfig on x86 defaults to 32-bit.
km=(make -C "$tree" ARCH=x86_64 -j"$(nproc)")
echo "debug-kernel: configuring (tinyconfig + $(basename "$frag"))"
"${km[@]}" -s tinyconfig >/dev/null
(cd "$tree" && ARCH=x86_64 scripts/kconfig/merge_config.sh -m .config "$frag" >/dev/null)
"${km[@]}" -s olddefconfig >/dev/null

# Every option the fragment asks for must have survived olddefconfig (an
# unmet dependency silently drops it).
bad=()
while IFS= read -r line; do
	case "$line" in
	CONFIG_*=y)
		opt=${line%%=*}
		grep -qx "$opt=y" "$tree/.config" ||
			bad+=("$opt=y (got: $(grep -E "^($opt=|# $opt is not set)" "$tree/.config" || echo absent))")
		;;
	"# CONFIG_"*" is not set")
		opt=${line#\# }
		opt=${opt%% *}
		! grep -q "^$opt=" "$tree/.config" ||
			bad+=("$opt unset (got: $(grep "^$opt=" "$tree/.config"))")
		;;
	esac
done <"$frag"
if [ ${#bad[@]} -gt 0 ]; then
	echo "debug-kernel: these options of $frag are not as asked after olddefconfig" \
		"(a dependency is missing or the option does not exist):" >&2
	printf '  %s\n' "${bad[@]}" >&2
	exit 1
fi
t2=$(date +%s)

# `all` = vmlinux, bzImage and modules: modpost then writes Module.symvers,
# which out-of-tree modules need (modules_prepare alone leaves it out and
# every M= build warns "undefined!").
echo "debug-kernel: building (make -j$(nproc) all; log: $dir/build.log)"
if ! "${km[@]}" all >"$dir/build.log" 2>&1; then
	tail -n 30 "$dir/build.log" >&2
	die "kernel build failed: see $dir/build.log"
fi
[ -s "$tree/Module.symvers" ] || cp "$tree/vmlinux.symvers" "$tree/Module.symvers"
[ -r "$tree/arch/x86/boot/bzImage" ] || die "no bzImage after the build"
t3=$(date +%s)

echo "debug-kernel: extract $((t1 - t0))s, configure $((t2 - t1))s, build $((t3 - t2))s," \
	"total $((t3 - t0))s"
date -u +%FT%TZ >"$stamp"
# Trees of other keys (an older fragment or package) are dead weight of
# about 1.7 GB each: drop those no other run holds.
for old in "$cache"/debug-kernel/*/; do
	old=${old%/}
	[ "$old" = "$dir" ] && continue
	(
		exec 8>"$old/lock" && flock -n 8 && rm -rf "$old" &&
			echo "debug-kernel: removed the stale tree ${old##*/}"
	) || true
done
report
