"""Data and the official side of bench/swebench-grading.sh.

  python3 bench/swebench_grading.py make DIR [N] [TESTS]   writes DIR/instances.jsonl, DIR/logs/*.log
  python3 bench/swebench_grading.py official DIR            grades every log with swebench 5.x,
                                                            prints {instance_id: report}
"""
import json
import random
import sys
from pathlib import Path


def make(d, n, tests):
    rng = random.Random(7)
    d = Path(d)
    (d / "logs").mkdir(parents=True, exist_ok=True)
    with open(d / "instances.jsonl", "w") as f:
        for i in range(n):
            iid = f"bench__repo-{i}"
            names = [f"tests/test_m{i % 17}.py::test_case_{j}" + (f"[p{j % 5}-x]" if j % 3 == 0 else "")
                     for j in range(tests)]
            f2p, p2p = names[:3], names[3:]
            f.write(json.dumps({
                "instance_id": iid, "repo": "bench/repo", "base_commit": "0" * 40,
                "patch": "", "test_patch": "", "problem_statement": "x", "version": "1.0",
                "FAIL_TO_PASS": json.dumps(f2p), "PASS_TO_PASS": json.dumps(p2p),
                "log_parser": "parse_log_pytest", "eval_type": "pass_and_fail",
            }) + "\n")
            lines = ["+ : '>>>>> Start Test Output'", "+ pytest -rA tests",
                     "============================= test session starts ==============================",
                     f"collected {tests} items", ""]
            status = {}
            # About half the instances fail somewhere; the rest pass (skips in P2P only).
            fail_rate = 0.02 if i % 2 else 0.0
            for k, name in enumerate(names):
                r = rng.random()
                skip = k >= 3 and r > 0.97
                status[name] = "FAILED" if r < fail_rate else ("SKIPPED" if skip else "PASSED")
            lines.append("=========================== short test summary info ============================")
            failed = 0
            for name, s in status.items():
                if s == "FAILED":
                    failed += 1
                    lines.append(f"FAILED {name} - AssertionError: assert 1 == 2")
                else:
                    lines.append(f"{s} {name}")
            lines.append(f"======================== {failed} failed, {tests - failed} passed in 1.23s =========================")
            code = 1 if failed else 0
            lines += [f"+ SWEBENCH_TEST_EXIT_CODE={code}", "+ : '>>>>> End Test Output'",
                      f">>>>> Test Exit Code: {code}"]
            (d / "logs" / f"{iid}.log").write_text("\n".join(lines) + "\n")


def official(d):
    from swebench.harness.grading import get_eval_report
    from swebench.harness.utils import make_test_spec
    d = Path(d)
    out = {}
    for line in open(d / "instances.jsonl"):
        inst = json.loads(line)
        spec = make_test_spec({**inst, "image": "x", "eval_script": ": '>>>>> End Test Output'"})
        pred = {"instance_id": inst["instance_id"], "model_patch": "x", "model_name_or_path": "m"}
        rep = get_eval_report(spec, pred, str(d / "logs" / f"{inst['instance_id']}.log"), True)
        out.update(rep)
    print(json.dumps(out))


if __name__ == "__main__":
    if sys.argv[1] == "make":
        make(sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 500,
             int(sys.argv[4]) if len(sys.argv) > 4 else 200)
    else:
        official(sys.argv[2])
