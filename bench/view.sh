#!/usr/bin/env bash
# Page times of `tribench view`: the Runs page over 50 runs, the Run page of a 20,000-trial run
# (4,000 tasks x 5 attempts), a trial page of a 500-step trajectory (its first page of steps),
# and the search index of the big run. Each page is fetched 5 times over loopback from a fresh
# server: the first fetch (the run read from disk) and the median of the other four (the run
# kept in memory until it changes) are printed with the page's size. Runs are written by this script (SQLite
# rows and trajectory files in the run-directory layout), not by real trials.
#
# usage: bench/view.sh            (PROFILE=debug bench/view.sh to skip the release build)
set -euo pipefail
cd "$(dirname "$0")/.."
profile=${PROFILE:-release}
if [ "$profile" = release ]; then
  cargo build --release --locked -q -p tribench-cli
else
  cargo build --locked -q -p tribench-cli
fi
bin=target/$profile/tribench
dir=$(mktemp -d)
pid=""
cleanup() { if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; fi; rm -rf "$dir"; }
trap cleanup EXIT

python3 - "$dir" <<'PY'
import json, os, random, sqlite3, sys
root = sys.argv[1]
groups = ["python", "rust", "go", "javascript", "cpp", "java"]

def make_run(path, tasks, attempts, seed, long_steps=0):
    rng = random.Random(seed)
    os.makedirs(path + "/trials")
    manifest = {
        "schema": 1, "run_id": os.path.basename(path),
        "model": {"id": f"model-{seed % 7}", "provider": "openai", "endpoint": "http://x/v1", "sampling": {}},
        "scaffold": {"agent": "llm", "version": "1", "config_hash": "x"},
        "datasets": [{"name": "bench", "family": "polyglot", "path": "/x", "checksum": "c", "tasks": tasks}],
        "harness_version": "bench", "environment": {"backend": "local", "isolation": "bwrap",
        "timeouts": {"setup_sec": 1, "agent_sec": 1, "test_sec": 1}, "jobs": 1},
        "attempts": attempts, "seed": 0, "started_at": "2026-11-24T00:00:00Z",
        "ended_at": "2026-11-24T09:00:00Z", "host": "h"}
    json.dump(manifest, open(path + "/manifest.json", "w"))
    db = sqlite3.connect(path + "/trials.sqlite")
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("CREATE TABLE trials (task_id TEXT NOT NULL, attempt INTEGER NOT NULL, trial_id TEXT NOT NULL,"
               " outcome TEXT NOT NULL, record TEXT NOT NULL, ended_at TEXT NOT NULL, PRIMARY KEY (task_id, attempt))")
    rows = []
    for t in range(tasks):
        g = groups[t % len(groups)]
        skill = rng.random()
        for a in range(1, attempts + 1):
            ok = rng.random() < skill
            tid = f"{g}/task-{t:05d}"
            trial_id = f"{g}+task-{t:05d}.a{a}"
            outcome = "resolved" if ok else rng.choice(["unresolved"] * 8 + ["test_timeout", "environment_error"])
            rec = {"trial_id": trial_id, "task_id": tid, "attempt": a, "family": "polyglot", "group": g,
                   "agent": "llm", "outcome": outcome, "passed_on_try": 1 if ok else None,
                   "tries": [{"index": 1, "outcome": outcome, "exit_code": 0 if ok else 1, "test_ms": 900,
                              "tests": [{"name": f"test_{k}", "status": "passed" if ok else "failed"} for k in range(8)]}],
                   "usage": {"prompt_tokens": 20000, "completion_tokens": 3000, "cached_tokens": 0, "cost_usd": 0.05, "steps": 12},
                   "timings": {"setup_ms": 5, "agent_ms": 40000, "grade_ms": 1000, "test_ms": 900, "total_ms": 41000 + rng.randrange(20000)},
                   "infra_retries": 0, "artifacts": [], "started_at": "2026-11-24T00:00:00Z", "ended_at": "2026-11-24T00:01:00Z"}
            rows.append((tid, a, trial_id, outcome, json.dumps(rec), rec["ended_at"]))
    db.executemany("INSERT INTO trials VALUES (?,?,?,?,?,?)", rows)
    db.commit()
    if long_steps:
        trial_id = rows[0][2]
        steps = [{"step": i, "turn": 1,
                  "assistant": {"role": "assistant", "content": f"Step {i}: let me look at the next file."},
                  "results": [{"tool": "bash", "arguments": {"command": f"sed -n {i},+40p src/lib.rs"},
                               "output": ("fn line() -> u32 { 42 }\n" * 40)}],
                  "usage": {"prompt_tokens": 1000 + i, "completion_tokens": 50}}
                 for i in range(1, long_steps + 1)]
        os.makedirs(f"{path}/trials/{trial_id}")
        json.dump({"format": "tribench-trajectory/1", "messages": [], "steps": steps},
                  open(f"{path}/trials/{trial_id}/trajectory.json", "w"))
    return rows[0][2]

for i in range(50):
    make_run(f"{root}/fifty/run-{i:02d}", 89, 1, i)
long_trial = make_run(f"{root}/big/big", 4000, 5, 1000, long_steps=500)
open(f"{root}/long_trial", "w").write(long_trial)
PY

measure() { # name root path
  local name=$1 root=$2 path=$3 log="$dir/serve-$1.log"
  "$bin" view "$root" > "$log" 2>&1 &
  pid=$!
  for _ in $(seq 1 200); do grep -q 'http://' "$log" && break; sleep 0.05; done
  local url
  url=$(grep -o 'http://[^ ]*' "$log")
  python3 - "$name" "$url$path" <<'PY'
import statistics, sys, time, urllib.request
name, url = sys.argv[1], sys.argv[2]
xs, size = [], 0
for _ in range(5):
    t = time.perf_counter()
    body = urllib.request.urlopen(url).read()
    xs.append(time.perf_counter() - t)
    size = len(body)
print(f"{name:<34} first {xs[0]*1000:6.0f} ms   then median {statistics.median(xs[1:])*1000:6.0f} ms   {size/1e6:6.2f} MB")
PY
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  pid=""
}

long=$(cat "$dir/long_trial")
echo "tribench view ($profile build), 5 fetches each"
measure "Runs page, 50 runs" "$dir/fifty" "index.html"
measure "Run page, 20,000 trials" "$dir/big" "run/big/index.html"
measure "Trial page, 500 steps (page 1)" "$dir/big" "run/big/trial/$long.html"
measure "Search index, 20,000 trials" "$dir/big" "run/big/search.js"
