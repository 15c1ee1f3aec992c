#!/usr/bin/env python3
"""Builds suites/swebench-sample: two small repositories of ours, each with a history of real
bugs and their fixes, shipped as git bundles, and the SWE-bench instances over them.

For every instance the base commit is the commit before the fix; the gold patch is the fix's
change to non-test files and the test patch its change to test files. FAIL_TO_PASS and
PASS_TO_PASS are measured, as SWE-bench's validation does: the tests run at the base commit with
the test patch (before) and at the fix commit (after).

Run from anywhere: python3 suites/swebench-sample/build/make_suite.py
Needs git, python3 with pytest, and go.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
SUITE = HERE.parent
sys.path.insert(0, str(HERE))
import content  # noqa: E402  (the repositories' files and history)

GIT_ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "tribench samples",
    "GIT_AUTHOR_EMAIL": "samples@tribench.invalid",
    "GIT_COMMITTER_NAME": "tribench samples",
    "GIT_COMMITTER_EMAIL": "samples@tribench.invalid",
    "GIT_CONFIG_GLOBAL": "/dev/null",
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git(repo, *args, date=None, capture=True):
    env = dict(GIT_ENV)
    if date:
        env["GIT_AUTHOR_DATE"] = date
        env["GIT_COMMITTER_DATE"] = date
    out = subprocess.run(
        ["git", "-C", str(repo), *args], env=env, check=True,
        stdout=subprocess.PIPE if capture else None,
    )
    return out.stdout.decode() if capture else ""


def write_files(repo, files):
    for rel, data in files.items():
        p = repo / rel
        if data is None:
            if p.exists():
                p.unlink()
            continue
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data if isinstance(data, bytes) else data.encode())


def is_test(path):
    parts = path.split("/")
    name = parts[-1]
    return "tests" in parts or name.startswith("test_") or name.endswith("_test.go")


def run_tests(repo, kind, files):
    """Status per test id after running the tests the harness will run: the test patch's files
    for pytest (as SWE-bench's test directives), the whole module for go."""
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1", GOFLAGS="-mod=mod", GOPROXY="off",
               CGO_ENABLED="0")
    if kind == "python":
        py = shutil.which("python3")
        for cand in ("/usr/bin/python3", py):
            if cand and subprocess.run([cand, "-c", "import pytest"], capture_output=True).returncode == 0:
                py = cand
                break
        out = subprocess.run([py, "-m", "pytest", "-rA", "-p", "no:cacheprovider", *files],
                             cwd=repo, env=env, capture_output=True, text=True).stdout
        status = {}
        for line in out.splitlines():
            m = re.match(r"^(PASSED|FAILED|ERROR) (\S+::\S+?)(?: - .*)?$", line)
            if m:
                status[m.group(2)] = m.group(1)
        return status
    out = subprocess.run(["go", "test", "-v", "./..."], cwd=repo, env=env,
                         capture_output=True, text=True).stdout
    status = {}
    for line in out.splitlines():
        m = re.match(r"^\s*--- (PASS|FAIL): (\S+) \(", line)
        if m:
            status[m.group(2)] = "PASSED" if m.group(1) == "PASS" else "FAILED"
    return status


def build_repo(spec, work):
    repo = work / spec["name"].replace("/", "__")
    repo.mkdir()
    git(repo, "init", "-q", "--initial-branch=main")
    git(repo, "config", "core.autocrlf", "false")
    instances = []
    write_files(repo, spec["initial"])
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "Initial import", date=spec["initial_date"])
    for step in spec["steps"]:
        if step.get("chore"):
            write_files(repo, step["files"])
            git(repo, "add", "-A")
            git(repo, "commit", "-qm", step["message"], date=step["date"])
            if step.get("tag"):
                git(repo, "tag", step["tag"])
            continue
        base = git(repo, "rev-parse", "HEAD").strip()
        write_files(repo, step["files"])
        git(repo, "add", "-A")
        git(repo, "commit", "-qm", step["message"], date=step["date"])
        fix = git(repo, "rev-parse", "HEAD").strip()
        if step.get("tag"):
            git(repo, "tag", step["tag"])
        changed = git(repo, "diff", "--name-only", base, fix).split()
        tests = [f for f in changed if is_test(f)]
        code = [f for f in changed if not is_test(f)]
        gold = git(repo, "diff", "--binary", base, fix, "--", *code)
        test_patch = git(repo, "diff", "--binary", base, fix, "--", *tests)
        # After: the fix commit. Before: the base commit with the test patch.
        after = run_tests(repo, spec["kind"], tests)
        git(repo, "checkout", "-q", base)
        git(repo, "checkout", "-q", fix, "--", *tests)
        before = run_tests(repo, spec["kind"], tests)
        git(repo, "checkout", "-q", "-f", "main")
        git(repo, "clean", "-fdq")
        f2p = sorted(t for t, s in after.items() if s == "PASSED" and before.get(t) != "PASSED")
        p2p = sorted(t for t, s in after.items() if s == "PASSED" and before.get(t) == "PASSED")
        assert f2p, f"{step['id']}: no FAIL_TO_PASS test"
        instances.append({
            "repo": spec["name"],
            "instance_id": step["id"],
            "base_commit": base,
            "patch": gold,
            "test_patch": test_patch,
            "problem_statement": step["issue"],
            "hints_text": step.get("hints", ""),
            "created_at": step["date"],
            "version": spec["version"],
            "FAIL_TO_PASS": json.dumps(f2p),
            "PASS_TO_PASS": json.dumps(p2p),
            "environment_setup_commit": base,
        })
    # Work after the last fix, so every instance has commits after its base.
    git(repo, "branch", "-q", "next")
    return repo, instances


def main():
    out_repos = SUITE / "repos"
    out_repos.mkdir(exist_ok=True)
    all_instances = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for spec in content.REPOS:
            repo, instances = build_repo(spec, work)
            bundle = out_repos / (spec["name"].replace("/", "__") + ".bundle")
            git(repo, "bundle", "create", "-q", str(bundle), "--all")
            all_instances.extend(instances)
    with open(SUITE / "instances.jsonl", "w") as f:
        for inst in all_instances:
            f.write(json.dumps(inst) + "\n")
    print(f"{len(all_instances)} instances written")


if __name__ == "__main__":
    main()
