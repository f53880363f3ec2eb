#!/bin/bash
# Usage: check-modinfo.sh KO [RELEASE]
# The built (or installed: .ko.xz too) module says what it is:
# - license GPL, a description and an author;
# - version = DYNASYNC_ABI_VERSION of uapi/dynasync.h;
# - every parameter that kmod/*.c declares (module_param*, module_param_cb)
#   has a description (MODULE_PARM_DESC), and there is no other parameter;
# - with RELEASE: vermagic is that kernel's ("RELEASE SMP ...").
# Prints one line per problem (and the modinfo output then); exits 1 on any.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
ko=$1
rel=${2:-}
bad=0
problem() { echo "modinfo $ko: $*"; bad=1; }

[ -e "$ko" ] || { echo "modinfo: no such module: $ko"; exit 1; }
field() { modinfo -F "$1" "$ko"; }

abi=$(sed -n 's/^#define[[:space:]]\{1,\}DYNASYNC_ABI_VERSION[[:space:]]\{1,\}\([0-9]\{1,\}\).*/\1/p' \
	"$top/uapi/dynasync.h")
[ -n "$abi" ] || problem "no DYNASYNC_ABI_VERSION in uapi/dynasync.h"
ver=$(field version)
[ "$ver" = "$abi" ] || problem "version '$ver', the uapi's ABI version is '$abi'"
[ "$(field license)" = GPL ] || problem "license '$(field license)', not GPL"
[ -n "$(field description)" ] || problem "no description (MODULE_DESCRIPTION)"
[ -n "$(field author)" ] || problem "no author (MODULE_AUTHOR)"
if [ -n "$rel" ]; then
	vm=$(field vermagic)
	[[ $vm == "$rel "* ]] || problem "vermagic '$vm' is not kernel $rel's"
fi

# Declared parameters: the first argument of module_param, module_param_cb,
# module_param_named, module_param_array, module_param_string, ... in kmod/.
mapfile -t declared < <(cat "$top"/kmod/*.c "$top"/kmod/*.h 2>/dev/null |
	grep -oE '\bmodule_param(_[a-z_]+)?\([[:space:]]*[A-Za-z_][A-Za-z0-9_]*' |
	grep -vE 'module_param_(desc|ops)\b' | sed -E 's/.*\([[:space:]]*//' | sort -u)
[ ${#declared[@]} -gt 0 ] || problem "found no module_param in kmod/ (the parser is broken)"
# modinfo -F parm: "NAME:DESCRIPTION" (plus " (type)" for typed ones); a
# module_param_cb without MODULE_PARM_DESC has no parm line at all.
parms=$(field parm)
for p in "${declared[@]}"; do
	desc=$(sed -n "s/^$p:\(.*\)$/\1/p" <<< "$parms" | sed -E 's/ *\([a-z]+\)$//')
	[ -n "${desc// /}" ] || problem "parameter $p has no description (MODULE_PARM_DESC)"
done
while IFS=: read -r p _; do
	[ -n "$p" ] || continue
	printf '%s\n' "${declared[@]}" | grep -qx "$p" ||
		problem "parameter $p is in the module but not found in kmod/*.c"
done <<< "$parms"

if [ $bad = 1 ]; then
	modinfo "$ko" | sed 's/^/  | /'
	exit 1
fi
echo "modinfo $ko: version $ver (ABI $abi), ${#declared[@]} parameters described${rel:+, vermagic $rel}"
