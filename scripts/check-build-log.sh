#!/bin/bash
# Usage: check-build-log.sh LOG
# The module build must be silent: any compiler, objtool or modpost warning
# (they do not all stop the build by themselves) fails it here.
set -euo pipefail
log=$1
if grep -nE '(^|[^A-Za-z])(warning|WARNING):' "$log"; then
	echo "error: the module build printed warnings (above); treat them as errors" >&2
	exit 1
fi
# pahole (module BTF, 6.12) reports what it cannot encode without the word
# "warning", and may still exit 0: any of its messages fails the build too.
if grep -nE 'tag not supported|Unsupported DW_TAG|error while encoding BTF|btf_encoder|die__process|pahole:' "$log"; then
	echo "error: pahole reported problems encoding the module's BTF (above)" >&2
	exit 1
fi
