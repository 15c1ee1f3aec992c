#!/usr/bin/env bash
# A long fuzz run of every input format (the test suite runs a short one). Stable toolchain:
# the fuzz targets are proptest-driven tests, see crates/tribench-engine/tests/it/fuzz.rs.
#   scripts/fuzz.sh [CASES]   (default 20000 per format)
set -euo pipefail
cd "$(dirname "$0")/.."
TRIBENCH_FUZZ_CASES="${1:-20000}" cargo test -p tribench-engine --test it fuzz:: -- --nocapture
