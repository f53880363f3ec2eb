#!/bin/bash
# What the benchmarks need from Debian: Google Benchmark, gnuplot (PNG via
# cairo, no X), python3 for the JSON -> markdown report, valgrind (callgrind
# counts instructions per call).
set -euo pipefail
# shellcheck source=scripts/lib/install-missing.sh
. "$(dirname "$0")/../lib/install-missing.sh"
install_missing bench libbenchmark-dev gnuplot-nox python3 valgrind
