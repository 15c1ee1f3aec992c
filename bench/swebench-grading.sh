#!/usr/bin/env bash
# Grading speed: 500 SWE-bench logs of ~200 tests each (parse + verdict), one cold process
# each, tribench against the official swebench 5.x grader, side by side, same logs. Checks the
# two agree on every report before quoting the ratio.
#   bash bench/swebench-grading.sh [N] [TESTS] [REPEATS]
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-500}; TESTS=${2:-200}; REPEATS=${3:-5}
cargo build --release -q -p tribench-cli
bin=target/release/tribench
dir=$(mktemp -d); trap 'rm -rf "$dir"' EXIT
python3 bench/swebench_grading.py make "$dir" "$N" "$TESTS"
python3 - "$dir" "$bin" "$REPEATS" <<'PY'
import json, subprocess, sys, time
d, binary, repeats = sys.argv[1], sys.argv[2], int(sys.argv[3])
def timed(cmd):
    t = time.perf_counter()
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return time.perf_counter() - t, json.loads(out)
ours_t, off_t = [], []
for _ in range(repeats):
    t, ours = timed([binary, "grade", "--suite", f"{d}/instances.jsonl", "--logs", f"{d}/logs"])
    ours_t.append(t)
    t, theirs = timed([sys.executable, "bench/swebench_grading.py", "official", d])
    off_t.append(t)
assert ours == theirs, "the reports differ"
resolved = sum(1 for r in ours.values() if r["resolved"])
ours_m, off_m = sorted(ours_t)[len(ours_t) // 2], sorted(off_t)[len(off_t) // 2]
print(f"{len(ours)} logs, identical reports ({resolved} resolved)")
print(f"tribench grade --logs : median {ours_m*1000:.0f} ms over {repeats} cold runs")
print(f"swebench 5.x official : median {off_m*1000:.0f} ms over {repeats} cold runs")
print(f"ratio: {off_m/ours_m:.1f}x")
PY
