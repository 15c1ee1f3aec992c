#!/usr/bin/env bash
# Harness overhead per trial on the polyglot sample suite: a trial's wall time minus the time
# its test commands ran (the oracle agent's own time is ~0 and is subtracted too). Also times
# what one confined command costs (bwrap start-up) against an unconfined one, side by side, since
# that cost sits inside the measured test time.
#
# usage: bench/overhead.sh [ATTEMPTS] [JOBS]
set -euo pipefail
cd "$(dirname "$0")/.."
attempts=${1:-3}
jobs=${2:-1}
cargo build --release --locked -q -p tribench-cli
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

target/release/tribench run -s suites/polyglot-sample --agent oracle --attempts "$attempts" -j "$jobs" \
  --tries 1 --run-dir "$out/run" --json > "$out/report.json" 2>/dev/null

python3 - "$out/run/trials.sqlite" "$out/report.json" <<'PY'
import json, sqlite3, statistics, sys
rows = [json.loads(r[0]) for r in sqlite3.connect(sys.argv[1]).execute("SELECT record FROM trials")]
over = sorted(t["timings"]["total_ms"] - t["timings"]["test_ms"] - t["timings"]["agent_ms"] for t in rows)
setup = sorted(t["timings"]["setup_ms"] for t in rows)
test = sorted(t["timings"]["test_ms"] for t in rows)
q = lambda v, p: v[min(len(v) - 1, round((len(v) - 1) * p))]
print(f"trials                 {len(rows)} ({sum(t['outcome'] == 'resolved' for t in rows)} resolved)")
print(f"harness overhead ms    median {statistics.median(over)}  p90 {q(over, 0.9)}  max {over[-1]}")
print(f"  of which setup ms    median {statistics.median(setup)}")
print(f"test command ms        median {statistics.median(test)}")
report = json.load(open(sys.argv[2]))
print(f"report's own figure    median overhead {report['timings']['median_overhead_ms']} ms")
PY

if command -v bwrap >/dev/null && command -v hyperfine >/dev/null; then
  hyperfine -N -w 5 -r 50 'sh -c true' \
    'bwrap --die-with-parent --unshare-all --ro-bind / / --dev /dev --proc /proc --tmpfs /tmp -- /bin/sh -c true' 2>/dev/null \
    | grep -E 'Time|±|faster|bwrap|sh -c' || true
elif command -v bwrap >/dev/null; then
  python3 - <<'PY'
import subprocess, time, statistics
def t(cmd, n=50):
    xs = []
    for _ in range(n):
        s = time.perf_counter(); subprocess.run(cmd, check=True); xs.append((time.perf_counter() - s) * 1000)
    return statistics.median(xs)
plain = t(["sh", "-c", "true"])
conf = t(["bwrap", "--die-with-parent", "--unshare-all", "--ro-bind", "/", "/", "--dev", "/dev",
          "--proc", "/proc", "--tmpfs", "/tmp", "--", "/bin/sh", "-c", "true"])
print(f"one command, median    unconfined {plain:.1f} ms, bwrap {conf:.1f} ms ({conf / plain:.1f}x)")
# What a local-sandbox command runs today: bwrap without a user namespace, then prlimit and
# setpriv (the drop to the sandbox's user without capabilities).
full = t(["bwrap", "--die-with-parent", "--unshare-ipc", "--unshare-pid", "--unshare-uts",
          "--unshare-cgroup-try", "--unshare-net", "--ro-bind", "/", "/", "--dev", "/dev",
          "--proc", "/proc", "--tmpfs", "/tmp", "--tmpfs", "/run", "--tmpfs", "/root", "--",
          "prlimit", "--nproc=1024:1024", f"--data={2 << 30}:{2 << 30}", "--",
          "setpriv", "--reuid=268435456", "--regid=268435456", "--clear-groups",
          "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", "--", "/bin/sh", "-c", "true"])
print(f"  sandbox user + limits {full:.1f} ms ({full / plain:.1f}x)")
PY
fi
