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
