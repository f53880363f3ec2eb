#!/bin/sh
# Usage: check-no-ctors.sh READELF OBJECT
# Fails (and removes OBJECT) when it has a section that only runs if
# something calls global constructors/destructors: a kernel module never
# does, so such code would silently not run.
set -eu
readelf=$1
obj=$2
bad=$($readelf -SW "$obj" | grep -oE '\.(init_array|fini_array|ctors|dtors)[.0-9A-Za-z_]*' | sort -u | tr '\n' ' ')
if [ -n "$bad" ]; then
	echo "error: $obj has global constructor/destructor sections: $bad" >&2
	echo "error: use constinit globals with trivial destructors instead" >&2
	rm -f "$obj"
	exit 1
fi
