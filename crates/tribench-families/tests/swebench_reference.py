"""Grades test logs with the official swebench package (5.x), for the cross-check test.

Reads a JSON list of cases {id, repo, parser, eval_type, f2p, p2p, log_path} from the file named
by argv[1]; prints a JSON object id -> {report, status_map} where report is what
get_eval_report(..., include_tests_status=True) returns for the instance and status_map is
the parser's output on the text between the markers, as [id, status] pairs in order.
"""
import json
import sys

import swebench
from swebench.harness.constants import END_TEST_OUTPUT, START_TEST_OUTPUT
from swebench.harness.grading import get_eval_report
from swebench.harness.log_parsers import PARSER_REGISTRY
from swebench.harness.utils import make_test_spec

assert swebench.__version__.startswith("5."), swebench.__version__

out = {}
for case in json.load(open(sys.argv[1])):
    spec = make_test_spec({
        "instance_id": case["id"],
        "image": "unused",
        "eval_script": "#!/bin/bash\nset -uxo pipefail\n: '>>>>> End Test Output'\n",
        "repo": case["repo"],
        "version": "1.0",
        "FAIL_TO_PASS": json.dumps(case["f2p"]),
        "PASS_TO_PASS": case["p2p"],
        "log_parser": case["parser"],
        "eval_type": case["eval_type"],
    })
    pred = {"instance_id": case["id"], "model_patch": "diff", "model_name_or_path": "m"}
    report = get_eval_report(spec, pred, case["log_path"], include_tests_status=True)
    with open(case["log_path"]) as f:
        content = f.read()
    sliced = content
    if START_TEST_OUTPUT in content and END_TEST_OUTPUT in content:
        sliced = content.split(START_TEST_OUTPUT)[1].split(END_TEST_OUTPUT)[0]
    status = PARSER_REGISTRY[case["parser"]](sliced, spec)
    out[case["id"]] = {
        "report": report[case["id"]],
        # report.json as run_instance writes it.
        "report_text": json.dumps(report, indent=4),
        "status_map": list(status.items()),
    }
print(json.dumps(out))
