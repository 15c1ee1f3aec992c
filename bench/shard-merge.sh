#!/usr/bin/env bash
# Scale-out timings (issue 15's targets): shard assignment of 100,000 trials (< 100 ms);
# `tribench merge` of 100 shards holding 20,000 trials with two artifact files each (< 2 s),
# then the same merge again (nothing new: resumable); and what `--shard` adds to a run
# (start-up, manifest checks and writing), as the time of a finished run resumed with and
# without `--shard 0/1` (< 50 ms).
#
# usage: bench/shard-merge.sh [TRIALS] [SHARDS]   (PROFILE=debug: the dev build, an upper bound)
set -euo pipefail
cd "$(dirname "$0")/.."
trials=${1:-20000}
shards=${2:-100}
profile=${PROFILE:-release}
if [ "$profile" = release ]; then
  cargo build --release --locked -q -p tribench-cli
  cargo build --release --locked -q -p tribench-scale --example shard_assignment
else
  cargo build --locked -q -p tribench-cli
  cargo build --locked -q -p tribench-scale --example shard_assignment
fi
bin=target/$profile
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

$bin/examples/shard_assignment 100000 "$shards"

# Shard directories as `tribench run --shard I/N` writes them; the assignment is the same
# function (sha256 of the task id, a NUL and the attempt as 4 little-endian bytes).
python3 - "$dir" "$trials" "$shards" <<'PY'
import hashlib, json, os, sqlite3, struct, sys
root, n, shards = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
attempts = 5
tasks = [f"django__django-{t:05d}" for t in range(n // attempts)]
def shard_of(task, attempt):
    d = hashlib.sha256(task.encode() + b"\0" + struct.pack("<I", attempt)).digest()
    return struct.unpack("<Q", d[:8])[0] % shards
base = {
    "schema": 1, "scaffold": {"agent": "llm", "version": "1", "config_hash": "x"},
    "datasets": [{"name": "bench", "family": "swebench", "path": "/x", "checksum": "c", "tasks": len(tasks)}],
    "harness_version": "bench", "environment": {"backend": "docker", "isolation": "containers",
    "timeouts": {"setup_sec": 1, "agent_sec": 1, "test_sec": 1}, "jobs": 1},
    "attempts": attempts, "seed": 0, "started_at": "2026-11-24T00:00:00Z", "host": "h"}
dbs = []
for i in range(shards):
    d = f"{root}/shard-{i}"
    os.makedirs(d + "/trials")
    m = dict(base, run_id=f"shard-{i}", shard={"index": i, "count": shards, "identity": "bench", "task_ids": tasks})
    json.dump(m, open(d + "/manifest.json", "w"))
    db = sqlite3.connect(d + "/trials.sqlite")
    db.execute("CREATE TABLE trials (task_id TEXT NOT NULL, attempt INTEGER NOT NULL, trial_id TEXT NOT NULL,"
               " outcome TEXT NOT NULL, record TEXT NOT NULL, ended_at TEXT NOT NULL, PRIMARY KEY (task_id, attempt))")
    dbs.append(db)
rows = [[] for _ in range(shards)]
for t in tasks:
    for a in range(1, attempts + 1):
        i = shard_of(t, a)
        trial_id = f"{t}.a{a}"
        art = f"{root}/shard-{i}/trials/{trial_id}"
        os.makedirs(art)
        for name in ("diff.patch", "test-output-1.txt"):
            with open(f"{art}/{name}", "w") as f:
                f.write(f"{name} of {trial_id}\n" * 20)
        rec = {"trial_id": trial_id, "task_id": t, "attempt": a, "family": "swebench", "group": "django",
               "agent": "llm", "outcome": "resolved", "passed_on_try": 1,
               "tries": [{"index": 1, "outcome": "resolved", "exit_code": 0, "test_ms": 900,
                          "tests": [{"name": f"test_{k}", "status": "passed"} for k in range(8)]}],
               "usage": {"prompt_tokens": 20000, "completion_tokens": 3000, "cached_tokens": 0, "cost_usd": 0.05, "steps": 12},
               "timings": {"setup_ms": 5, "agent_ms": 40000, "grade_ms": 1000, "test_ms": 900, "total_ms": 41000},
               "infra_retries": 0, "artifacts": [f"trials/{trial_id}/diff.patch"],
               "started_at": "2026-11-24T00:00:00Z", "ended_at": "2026-11-24T00:01:00Z"}
        rows[i].append((t, a, trial_id, "resolved", json.dumps(rec), rec["ended_at"]))
for db, r in zip(dbs, rows):
    db.executemany("INSERT INTO trials VALUES (?,?,?,?,?,?)", r)
    db.commit()
print(f"{shards} shard directories, {sum(map(len, rows))} trials (shard sizes {min(map(len, rows))} to {max(map(len, rows))})")
PY

python3 - "$dir" "$shards" "$bin" <<'PY'
import subprocess, sys, time
root, shards, bin = sys.argv[1], int(sys.argv[2]), sys.argv[3]
cmd = [f"{bin}/tribench", "merge", *[f"{root}/shard-{i}" for i in range(shards)], "--run-dir", f"{root}/merged"]
for label in ("merge (all new)    ", "merge again (none) "):
    t = time.perf_counter()
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.splitlines()[0]
    print(f"{label} {(time.perf_counter() - t) * 1000:.0f} ms: {out}")
PY

# What --shard adds: a finished run of the polyglot sample suite, resumed (nothing to run), with
# and without --shard 0/1 (which holds every trial), each in its own run directory.
sample=suites/polyglot-sample
"$bin"/tribench run -q -s "$sample" --agent nop --tries 1 --run-dir "$dir/plain" >/dev/null 2>&1 || true
"$bin"/tribench run -q -s "$sample" --agent nop --tries 1 --shard 0/1 --run-dir "$dir/sharded" >/dev/null 2>&1 || true
python3 - "$dir" "$sample" "$bin" <<'PY'
import statistics, subprocess, sys, time
root, sample, bin = sys.argv[1], sys.argv[2], sys.argv[3]
def time_of(extra, run):
    xs = []
    for _ in range(15):
        t = time.perf_counter()
        subprocess.run([f"{bin}/tribench", "run", "-q", "-s", sample, "--agent", "nop", "--tries", "1",
                        *extra, "--run-dir", f"{root}/{run}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        xs.append(time.perf_counter() - t)
    return statistics.median(xs)
plain, sharded = time_of([], "plain"), time_of(["--shard", "0/1"], "sharded")
print(f"resumed finished run: {plain * 1000:.1f} ms without --shard, {sharded * 1000:.1f} ms with --shard 0/1 "
      f"(shard overhead {(sharded - plain) * 1000:+.1f} ms; median of 15)")
PY
