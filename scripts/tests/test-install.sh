#!/bin/bash
# Host test (make check, step install): the module installs like any
# out-of-tree module, for Debian 12's 6.1 and 6.12, into temporary trees
# only. Nothing is installed into the host's /lib/modules, /usr/src or
# /var/lib/dkms, and nothing is loaded. For each kernel:
#  - `make install INSTALL_MOD_PATH=TMP` in a copy of the tree: the module is
#    in TMP/lib/modules/RELEASE/updates, modules.dep names it, depmod -e
#    against the tree's Module.symvers finds every symbol it needs, and
#    it has BTF where the kernel makes module BTF (6.12);
#  - DKMS: `dkms add` (once), `dkms build`, `dkms install` with --dkmstree,
#    --sourcetree and --installtree in TMP (6.12: --kernelsourcedir, its
#    tree is extracted, not installed), its make.log free of warnings
#    (check-build-log.sh), the module signed with a throwaway MOK key made
#    in TMP, its BTF kept where the kernel makes module BTF (6.12), then
#    `dkms uninstall` takes it out again;
#  - scripts/check-modinfo.sh on each installed module: license, author,
#    description, version = uapi's DYNASYNC_ABI_VERSION, every parameter
#    described, vermagic of that kernel.
# Plus: check-modinfo.sh refuses a module with an undescribed parameter.
# DS_INSTALL_KERNELS="6.1 6.12" (default) picks the kernels. Prints TAP.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cache=${DS_CACHE:-/var/cache/dynasync}
logs=$top/build/install-test
n=0
fail=0
echo "TAP version 13"

result() { # result OK NAME [DETAIL]
	n=$((n + 1))
	if [ "$1" = 1 ]; then
		echo "ok $n install: $2"
	else
		echo "not ok $n install: $2"
		[ -z "${3:-}" ] || printf '%s\n' "$3" | tail -n 25 | sed 's/^/# /'
		fail=1
	fi
}
# check NAME CMD...: one result from a command's status, its output as detail.
check() {
	local name=$1 out rc
	shift
	out=$("$@" 2>&1)
	rc=$?
	if [ $rc -eq 0 ]; then result 1 "$name"; else result 0 "$name" "$out"; fi
	return $rc
}

# has_btf KO: the module (.ko or .ko.xz) has a .BTF section.
has_btf() {
	local f=$1
	if [[ $f == *.xz ]]; then
		xz -dc "$f" > "$tmp/btf-check.ko" || return 1
		f=$tmp/btf-check.ko
	fi
	readelf -S -W "$f" 2>/dev/null | grep -qE '[[:space:]]\.BTF[[:space:]]'
}

# dkms is a host package like the others (deps.sh installs it); the test
# installs it itself when run alone.
# shellcheck source=scripts/lib/install-missing.sh
. "$top/scripts/lib/install-missing.sh"
install_missing install-test dkms >&2 || { echo "Bail out! cannot install dkms"; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/dynasync-install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
rm -rf "$logs"
mkdir -p "$logs"

# A clean copy of the source, as a fresh clone has it: what git tracks or
# would track (untracked, not ignored: new files count), else everything
# but build products.
src=$tmp/dynasync
mkdir -p "$src"
if git -C "$top" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	(cd "$top" && git ls-files -z -co --exclude-standard |
		xargs -0 sh -c 'for f; do [ -e "$f" ] && printf "%s\0" "$f"; done' sh |
		cpio -0 -pdm --quiet "$src")
else
	(cd "$top" && tar -c --exclude=./build --exclude=./.git --exclude='*.o' \
		--exclude='*.ko' --exclude='.*.cmd' . | tar -x -C "$src")
fi
abi=$(sed -n 's/^#define[[:space:]]\{1,\}DYNASYNC_ABI_VERSION[[:space:]]\{1,\}\([0-9]\{1,\}\).*/\1/p' \
	"$src/uapi/dynasync.h")

# DKMS trees, all in $tmp. The signing key: dkms would make (and keep)
# /var/lib/dkms/mok.{key,pub}; its environment variables put them here.
dk=(--dkmstree "$tmp/dkms" --sourcetree "$tmp/usr-src" --installtree "$tmp/dkms-root/lib/modules")
mkdir -p "$tmp/dkms" "$tmp/usr-src"
export mok_signing_key=$tmp/mok.key mok_certificate=$tmp/mok.pub
# A source tree's copy may not carry build products into dkms's: the copy
# above is pristine, so add it before make install builds in it.
out=$(dkms add "${dk[@]}" "$src" 2>&1)
rc=$?
echo "$out" > "$logs/dkms-add.log"
ok=0
[ $rc -eq 0 ] && [ -e "$tmp/usr-src/dynasync-$abi/dkms.conf" ] &&
	[ -L "$tmp/dkms/dynasync/$abi/source" ] && ok=1
result $ok "dkms add: dynasync/$abi (the version is uapi's DYNASYNC_ABI_VERSION)" "$out"

for k in ${DS_INSTALL_KERNELS:-6.1 6.12}; do
	t1=$(date +%s)
	if [ "$k" = 6.1 ]; then
		rel=$(cat "$cache/krel" 2>/dev/null)
		kd=/lib/modules/$rel/build
		ksrc=()
	else
		rel=$(cat "$cache/krel-$k" 2>/dev/null)
		kd=$(cat "$cache/kdir-$k" 2>/dev/null)
		ksrc=(--kernelsourcedir "$kd")
	fi
	if [ -z "$rel" ] || [ ! -d "$kd" ]; then
		result 0 "$k: kernel tree" "no release or tree for $k in $cache (run scripts/deps.sh)"
		continue
	fi

	# ---- make install ----
	root=$tmp/root-$k
	make -C "$src" install KDIR="$kd" INSTALL_MOD_PATH="$root" > "$logs/make-install-$k.log" 2>&1
	rc=$?
	ko=$(ls "$root/lib/modules/$rel/updates/dynasync.ko"* 2>/dev/null | head -n 1)
	ok=0
	[ $rc -eq 0 ] && [ -n "$ko" ] && ok=1
	result $ok "$k: make install INSTALL_MOD_PATH=TMP puts ${ko#"$root"} there" \
		"$(tail -n 20 "$logs/make-install-$k.log")"
	if [ $ok = 1 ]; then
		ok=0
		grep -q "^updates/${ko##*/}:" "$root/lib/modules/$rel/modules.dep" && ok=1
		result $ok "$k: make install ran depmod (modules.dep lists updates/${ko##*/})" \
			"$(cat "$root/lib/modules/$rel/modules.dep" 2>&1)"
		out=$(depmod -b "$root" -e -E "$kd/Module.symvers" -n "$rel" 2>&1 >/dev/null)
		rc=$?
		ok=0
		[ $rc -eq 0 ] && ! grep -q 'unknown symbol\|disagrees about version' <<< "$out" && ok=1
		result $ok "$k: depmod -e against the tree's Module.symvers: every symbol resolves" "$out"
		check "$k: modinfo of the make-installed module" bash "$top/scripts/check-modinfo.sh" "$ko" "$rel"
		if grep -q '^CONFIG_DEBUG_INFO_BTF_MODULES=y' "$kd/.config" && [ -e "$kd/vmlinux" ]; then
			ok=0
			has_btf "$ko" && ok=1
			result $ok "$k: the make-installed module has BTF (.BTF section)" ""
		fi
	fi

	# ---- DKMS ----
	mkdir -p "$tmp/dkms-root/lib/modules/$rel"
	# 6.12's sign-file: a 6.12 host has it in /usr/lib/linux-kbuild-6.12, where
	# dkms looks; here it is in the extracted tree.
	if [ "$k" = 6.1 ]; then unset sign_file; else export sign_file=$kd/scripts/sign-file; fi
	out=$(dkms build "${dk[@]}" dynasync/"$abi" -k "$rel" "${ksrc[@]}" 2>&1)
	rc=$?
	echo "$out" > "$logs/dkms-build-$k.log"
	mlog=$tmp/dkms/dynasync/$abi/$rel/x86_64/log/make.log
	[ -e "$mlog" ] && cp "$mlog" "$logs/dkms-make-$k.log"
	ok=0
	[ $rc -eq 0 ] && [ -e "$mlog" ] && ok=1
	result $ok "$k: dkms build -k $rel${ksrc:+ --kernelsourcedir}" \
		"$out$(tail -n 20 "$tmp/dkms/dynasync/$abi/build/make.log" 2>/dev/null)"
	if [ $ok = 1 ]; then
		check "$k: the DKMS build printed no compiler, objtool, modpost or pahole warning" \
			bash "$top/scripts/check-build-log.sh" "$mlog"
	fi
	out=$(dkms install "${dk[@]}" --no-depmod dynasync/"$abi" -k "$rel" "${ksrc[@]}" 2>&1)
	rc=$?
	echo "$out" > "$logs/dkms-install-$k.log"
	ko=$(ls "$tmp/dkms-root/lib/modules/$rel"/updates/dynasync.ko* \
		"$tmp/dkms-root/lib/modules/$rel"/updates/dkms/dynasync.ko* 2>/dev/null | head -n 1)
	ok=0
	[ $rc -eq 0 ] && [ -n "$ko" ] && ok=1
	result $ok "$k: dkms install puts ${ko#"$tmp/dkms-root"} in the install tree" "$out"
	if [ $ok = 1 ]; then
		status=$(dkms status "${dk[@]}" dynasync/"$abi" -k "$rel" 2>&1)
		ok=0
		grep -q "^dynasync/$abi, $rel, x86_64: installed" <<< "$status" && ok=1
		result $ok "$k: dkms status: installed" "$status"
		check "$k: modinfo of the DKMS module" bash "$top/scripts/check-modinfo.sh" "$ko" "$rel"
		if grep -q '^CONFIG_DEBUG_INFO_BTF_MODULES=y' "$kd/.config" && [ -e "$kd/vmlinux" ]; then
			ok=0
			has_btf "$ko" && ok=1
			result $ok "$k: the DKMS module kept its BTF (.BTF section; pahole ran, nothing deleted)" \
				"$(readelf -S -W "$ko" 2>&1 | grep -E 'BTF|debug' )"
		fi
		signer=$(modinfo -F signer "$ko" 2>&1)
		ok=0
		[ "$signer" = "DKMS module signing key" ] && ok=1
		result $ok "$k: dkms signed it (throwaway MOK key in TMP)" "signer: '$signer'"
		depmod -b "$tmp/dkms-root" "$rel" 2>/dev/null
		ok=0
		grep -q "dynasync.ko[.a-z]*:" "$tmp/dkms-root/lib/modules/$rel/modules.dep" 2>/dev/null && ok=1
		result $ok "$k: depmod -b of the DKMS install tree lists it" ""
	fi
	out=$(dkms uninstall "${dk[@]}" --no-depmod dynasync/"$abi" -k "$rel" 2>&1 &&
		dkms unbuild "${dk[@]}" dynasync/"$abi" -k "$rel" 2>&1)
	rc=$?
	ok=0
	[ $rc -eq 0 ] && [ ! -e "$ko" ] && ok=1
	result $ok "$k: dkms uninstall takes the module out again" "$out"
	echo "# $k: $(( $(date +%s) - t1 ))s"
done

# check-modinfo.sh must refuse what it is there to catch: a copy of the
# module whose parameter lost its MODULE_PARM_DESC, and a typed parameter
# without one.
rel=$(cat "$cache/krel" 2>/dev/null)
neg=$tmp/neg
mkdir -p "$neg"
cp -r "$src/Kbuild" "$src/kmod" "$src/uapi" "$src/scripts" "$neg/"
find "$neg" \( -name '*.o' -o -name '*.ko' -o -name '.*.cmd' \) -delete
sed -i '/^MODULE_PARM_DESC(track_high_water/d' "$neg/kmod/dev_params.c"
printf 'static int undescribed;\nmodule_param(undescribed, int, 0444);\n' >> "$neg/kmod/main.c"
make -C "/lib/modules/$rel/build" M="$neg" modules > "$logs/neg-build.log" 2>&1
out=$(bash "$neg/scripts/check-modinfo.sh" "$neg/dynasync.ko" "$rel" 2>&1)
rc=$?
ok=0
[ $rc -ne 0 ] && grep -q 'parameter track_high_water has no description' <<< "$out" &&
	grep -q 'parameter undescribed has no description' <<< "$out" && ok=1
result $ok "check-modinfo.sh fails a module with undescribed parameters" "$out$(tail -n 5 "$logs/neg-build.log")"

echo "1..$n"
exit $fail
