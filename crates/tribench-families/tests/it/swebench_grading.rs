//! SWE-bench grading against the official grader: the same logs graded by our `official` mode
//! and by the `swebench` package (5.x) must give identical reports and status maps, for every
//! parser we support and the edge cases that trip graders. Then `strict` mode on each known fault.

use serde_json::Value;
use std::process::Command;
use tribench_families::swebench::grade::{grade_log, EvalType, GradeSpec, Resolution};
use tribench_families::swebench::parse::{GradingMode, LogParser};

struct Case {
    id: &'static str,
    repo: &'static str,
    parser: &'static str,
    eval_type: &'static str,
    f2p: Vec<&'static str>,
    p2p: Vec<&'static str>,
    log: String,
}

const START: &str = "+ : '>>>>> Start Test Output'";
const END: &str = "+ : '>>>>> End Test Output'";

fn wrap(body: &str, exit: i32) -> String {
    format!("+ git apply -v /tmp/test.patch\nApplied patch cleanly.\n{START}\n+ run tests\n{body}\n+ SWEBENCH_TEST_EXIT_CODE={exit}\n{END}\n+ echo '>>>>> Test Exit Code: {exit}'\n>>>>> Test Exit Code: {exit}\n+ git checkout abc -- tests\n")
}

fn case(
    id: &'static str,
    parser: &'static str,
    f2p: &[&'static str],
    p2p: &[&'static str],
    log: String,
) -> Case {
    Case {
        id,
        repo: "acme/widgets",
        parser,
        eval_type: "pass_and_fail",
        f2p: f2p.to_vec(),
        p2p: p2p.to_vec(),
        log,
    }
}

fn cases() -> Vec<Case> {
    let mut v = vec![
        // --- pytest ---
        case(
            "pytest-full",
            "parse_log_pytest",
            &["t.py::test_a"],
            &["t.py::test_b"],
            wrap("collected 2 items\n\nt.py ..\n=== short test summary info ===\nPASSED t.py::test_a\nPASSED t.py::test_b\n=== 2 passed in 0.01s ===", 0),
        ),
        case(
            "pytest-param-spaces-brackets",
            "parse_log_pytest",
            &["t.py::test_p[NOT x]", "t.py::test_p[NOT"],
            &["t.py::test_q[a-b]", "t.py::test_r[[1, 2]]"],
            wrap("PASSED t.py::test_p[NOT x]\nFAILED t.py::test_p[NOT y] - assert 1 == 2\nPASSED t.py::test_q[a-b]\nPASSED t.py::test_r[[1, 2]]", 1),
        ),
        case(
            "pytest-truncated-id-prefix",
            "parse_log_pytest",
            &["t.py::test_grammar[log(photon"],
            &[],
            wrap("PASSED t.py::test_grammar[log(photon)]\nPASSED t.py::test_grammar[log(photon)/s]", 0),
        ),
        case(
            "pytest-missing-tests",
            "parse_log_pytest",
            &["t.py::test_a", "t.py::test_gone"],
            &["t.py::test_b", "t.py::test_also_gone"],
            wrap("PASSED t.py::test_a\nPASSED t.py::test_b", 0),
        ),
        case(
            "pytest-error-vs-failed",
            "parse_log_pytest",
            &["t.py::test_a", "t.py::test_e"],
            &["t.py::test_b"],
            wrap("PASSED t.py::test_a\nERROR t.py::test_e - fixture 'db' not found\nFAILED t.py::test_b - AssertionError: x - y", 1),
        ),
        case(
            "pytest-skipped",
            "parse_log_pytest",
            &["t.py::test_a", "t.py::test_s"],
            &["t.py::test_b"],
            wrap("PASSED t.py::test_a\nSKIPPED t.py::test_s\nSKIPPED t.py::test_b\nSKIPPED [2] t.py:10: needs network", 0),
        ),
        case(
            "pytest-partial",
            "parse_log_pytest",
            &["t.py::test_a", "t.py::test_c"],
            &["t.py::test_b"],
            wrap("PASSED t.py::test_a\nFAILED t.py::test_c - boom\nPASSED t.py::test_b", 1),
        ),
        case(
            "pytest-xfail-xpass",
            "parse_log_pytest",
            &["t.py::test_xf", "t.py::test_xp"],
            &[],
            wrap("XFAIL t.py::test_xf - known\nXPASS t.py::test_xp - fixed upstream", 0),
        ),
        case(
            "pytest-timeout-cut",
            "parse_log_pytest",
            &["t.py::test_a"],
            &[],
            format!("{START}\nPASSED t.py::test_a\nt.py::test_slow \n\nTimeout error: 1800 seconds exceeded."),
        ),
        case(
            "pytest-nonzero-exit-no-failure",
            "parse_log_pytest",
            &["t.py::test_a"],
            &[],
            wrap("PASSED t.py::test_a\nINTERNALERROR> Traceback", 3),
        ),
        case(
            "pytest-no-markers",
            "parse_log_pytest",
            &["t.py::test_a"],
            &[],
            "PASSED t.py::test_a\n".to_string(),
        ),
        case(
            "pytest-apply-failed-marker",
            "parse_log_pytest",
            &["t.py::test_a"],
            &[],
            format!(">>>>> Patch Apply Failed\n{}", wrap("PASSED t.py::test_a", 0)),
        ),
        case(
            "pytest-results-outside-markers",
            "parse_log_pytest",
            &["t.py::test_a"],
            &[],
            format!("PASSED t.py::test_a\n{START}\nnothing here\n{END}\n"),
        ),
        case(
            "pytest-no-results-no-evidence",
            "parse_log_pytest",
            &["t.py::test_a"],
            &[],
            wrap("ImportError: cannot import name 'x'\nModuleNotFoundError: No module named 'y'", 4),
        ),
        case(
            "pytest-forged-after-summary",
            "parse_log_pytest",
            &["t.py::test_a"],
            &["t.py::test_b"],
            wrap("=== short test summary info ===\nFAILED t.py::test_a - assert 0\nPASSED t.py::test_b\n=== 1 failed, 1 passed in 0.02s ===\nPASSED t.py::test_a", 0),
        ),
        case(
            "pytest-second-start-marker",
            "parse_log_pytest",
            &["t.py::test_a"],
            &[],
            wrap("FAILED t.py::test_a - x\n>>>>> Start Test Output\nPASSED t.py::test_a", 1),
        ),
        case(
            "pytest-crlf-and-separators",
            "parse_log_pytest",
            &["t.py::test_a", "t.py::test_b"],
            &[],
            wrap("PASSED t.py::test_a\r\nPASSED\u{1f}t.py::test_b\rFAILED t.py::test_c - x", 1),
        ),
        case(
            "pytest-progress-artifact",
            "parse_log_pytest",
            &["t.py::test_a"],
            &["[100%]"],
            wrap("t.py::test_a PASSED\nPASSED [100%]\nPASSED t.py::test_a", 0),
        ),
        case(
            "pytest-odd-status-token",
            "parse_log_pytest",
            &["t.py::test_a"],
            &["t.py::test_b"],
            wrap("PASSED t.py::test_a\nFAILED: t.py::test_b\nPASSED", 1),
        ),
        case(
            "pytest-options",
            "parse_log_pytest_options",
            &["t.py::test_path[/usr/lib/data.txt]", "t.py::test_path[/data.txt]"],
            &["t.py::test_glob[/a/*.py]"],
            wrap("PASSED t.py::test_path[/usr/lib/data.txt]\nPASSED t.py::test_glob[/a/*.py]\nFAILED t.py::test_x[//net/share] - e", 1),
        ),
        case(
            "pytest-v2",
            "parse_log_pytest_v2",
            &["t.py::test_y[a b]", "t.py::test_z"],
            &["t.py::test_w"],
            wrap("\u{1b}[32mPASSED\u{1b}[0m t.py::test_y[a b]\nt.py::test_z PASSED\nFAILED t.py::test_w - boom - again\nXPASS t.py::test_v", 1),
        ),
        case(
            "matplotlib",
            "parse_log_matplotlib",
            &["t.py::test_click[MouseButton.LEFT]"],
            &[],
            wrap("PASSED t.py::test_click[MouseButton.LEFT]", 0),
        ),
        case(
            "seaborn",
            "parse_log_seaborn",
            &["t.py::TestA::test_a", "t.py::test_b"],
            &["t.py::test_c"],
            wrap("t.py::TestA::test_a PASSED [ 50%]\nPASSED t.py::test_b\nFAILED t.py::test_c - x", 1),
        ),
        // --- django / unittest ---
        case(
            "django",
            "parse_log_django",
            &["test_a (app.tests.T)", "test_b (app.tests.T)", "test_f (app.tests.T)"],
            &["test_c (app.tests.T)", "test_d (app.tests.T)", "test_e (app.tests.T)"],
            wrap("test_a (app.tests.T) ... ok\ntest_b (app.tests.T) ... FAIL\nok, that was the output\ntest_c (app.tests.T) ... skipped 'no db'\ntest_d (app.tests.T) ... ERROR\ntest_e (app.tests.T) ... \nDeprecation warning\nok\ntest_f (app.tests.T) ... System check identified no issues (0 silenced).\nok\n======\nFAIL: test_b (app.tests.T)\nERROR: test_d (app.tests.T)\nRan 6 tests", 1),
        ),
        // --- sympy ---
        case(
            "sympy",
            "parse_log_sympy",
            &["test_bar", "test_last", "test_same"],
            &["test_foo"],
            wrap("sympy/core/tests/test_x.py[3] \ntest_foo ok\ntest_bar F\ntest_last ok                                                 [FAIL]\nsympy/core/tests/test_y.py[1] \ntest_same F                                                  [FAIL]\nsympy/core/tests/test_z.py[2] \ntest_same ok\ntest_end ok                                                  [OK]\n________________ sympy/core/tests/test_x.py:test_bar ________________\nAssertionError", 1),
        ),
        // --- go ---
        case(
            "gotest",
            "parse_log_gotest",
            &["TestA", "TestA/sub_case", "TestC"],
            &["TestB", "TestD"],
            wrap("=== RUN   TestA\n=== RUN   TestA/sub_case\n--- PASS: TestA (0.00s)\n    --- PASS: TestA/sub_case (0.00s)\n--- FAIL: TestB (0.01s)\n    b_test.go:9: got 1\n--- SKIP: TestC (0.00s)\nFAIL\nFAIL\texample.com/x\t0.02s", 1),
        ),
        // --- rust ---
        case(
            "cargo",
            "parse_log_cargo",
            &["tests::adds", "tests::wraps"],
            &["tests::ignored_one"],
            wrap("running 3 tests\ntest tests::adds ... ok\ntest tests::wraps ... FAILED\ntest tests::ignored_one ... ignored\n\ntest result: FAILED. 1 passed; 1 failed; 1 ignored", 101),
        ),
        // --- javascript ---
        case(
            "jest",
            "parse_log_jest",
            &["adds numbers", "subtracts"],
            &["skipped thing"],
            wrap(" PASS  src/a.test.js\n  math\n    ✓ adds numbers (3 ms)\n    ✕ subtracts (1 ms)\n    ○ skipped thing\n\nTests:       1 failed, 1 skipped, 1 passed, 3 total", 1),
        ),
        case(
            "jest-json",
            "parse_log_jest_json",
            &["math adds"],
            &["math subtracts"],
            wrap("[PASSED] math adds\n[FAILED] math subtracts", 1),
        ),
        case(
            "vitest",
            "parse_log_vitest",
            &["a > works"],
            &["b > fails", "c > skip"],
            wrap(" ✓ a > works 2ms\n × b > fails\n ↓ c > skip [skipped]", 1),
        ),
        case(
            "jest-empty-map-suite-ran",
            "parse_log_jest",
            &["never printed"],
            &[],
            wrap("Test Suites: 1 passed, 1 total\nTests:       4 passed, 4 total", 0),
        ),
        // --- java ---
        case(
            "maven",
            "parse_log_maven",
            &["FooTest#testA"],
            &["FooTest#testB"],
            wrap("+ mvn test -Dtest=FooTest#testA\n[INFO] BUILD SUCCESS\n+ mvn test -Dtest=FooTest#testB\n+ mvn test -Dtest=FooTest#testC\n[INFO] BUILD FAILURE\n[INFO] BUILD SUCCESS", 1),
        ),
        case(
            "ant",
            "parse_log_ant",
            &["testA"],
            &["testB"],
            wrap("    [junit] [PASS] testA\n    [junit] [ERR] testB", 1),
        ),
        case(
            "gradle",
            "parse_log_gradle_custom",
            &["com.x.FooTest > testA"],
            &["com.x.FooTest > testB"],
            wrap("com.x.FooTest > testA PASSED\ncom.x.FooTest > testB\nWARNING: something\nFAILED", 1),
        ),
    ];
    let mut fail_only = case(
        "fail-only",
        "parse_log_jest",
        &["adds", "gone"],
        &["subtracts"],
        wrap("✕ subtracts (1 ms)\nTests: 1 failed, 1 total", 1),
    );
    fail_only.eval_type = "fail_only";
    fail_only.repo = "eslint/eslint";
    v.push(fail_only);
    v
}

fn swebench_python() -> Option<&'static str> {
    let ok = Command::new("python3")
        .args(["-c", "import swebench, swebench.harness.grading; assert swebench.__version__.startswith('5.')"])
        .output()
        .is_ok_and(|o| o.status.success());
    if ok {
        return Some("python3");
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "CI must have the swebench package 5.x (scripts/setup.sh installs it)"
    );
    eprintln!("skipping: python3 with the swebench package 5.x is not available");
    None
}

fn spec_of<'a>(c: &Case, f2p: &'a [String], p2p: &'a [String]) -> GradeSpec<'a> {
    GradeSpec {
        fail_to_pass: f2p,
        pass_to_pass: p2p,
        parser: LogParser::from_name(c.parser).unwrap(),
        eval_type: EvalType::parse(c.eval_type).unwrap(),
    }
}

#[test]
fn official_mode_matches_the_swebench_package_on_every_parser_and_edge_case() {
    let Some(python) = swebench_python() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let cases = cases();
    let mut list = Vec::new();
    for c in &cases {
        let path = dir.path().join(format!("{}.log", c.id));
        std::fs::write(&path, &c.log).unwrap();
        list.push(serde_json::json!({
            "id": c.id, "repo": c.repo, "parser": c.parser, "eval_type": c.eval_type,
            "f2p": c.f2p, "p2p": c.p2p, "log_path": path,
        }));
    }
    let cases_path = dir.path().join("cases.json");
    std::fs::write(&cases_path, serde_json::to_vec(&list).unwrap()).unwrap();
    let script =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/swebench_reference.py");
    let out = Command::new(python)
        .arg(&script)
        .arg(&cases_path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "reference grader failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let reference: Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut resolved = 0;
    for c in &cases {
        let f2p: Vec<String> = c.f2p.iter().map(|s| s.to_string()).collect();
        let p2p: Vec<String> = c.p2p.iter().map(|s| s.to_string()).collect();
        let spec = spec_of(c, &f2p, &p2p);
        let ours = grade_log(&c.log, &spec, GradingMode::Official);
        let theirs = &reference[c.id];
        assert_eq!(
            serde_json::to_value(&ours.report).unwrap(),
            theirs["report"],
            "report differs for case {}",
            c.id
        );
        // And the file itself, byte for byte.
        let one: std::collections::BTreeMap<&str, _> = [(c.id, &ours.report)].into();
        assert_eq!(
            String::from_utf8(tribench_types::python_json(&one)).unwrap(),
            theirs["report_text"].as_str().unwrap(),
            "report.json text differs for case {}",
            c.id
        );
        // The parser's own map on the marked region (Python's universal newlines applied).
        let text = c.log.replace("\r\n", "\n").replace('\r', "\n");
        let sliced = match (
            text.find(">>>>> Start Test Output"),
            text.contains(">>>>> End Test Output"),
        ) {
            (Some(_), true) => text
                .split(">>>>> Start Test Output")
                .nth(1)
                .unwrap()
                .split(">>>>> End Test Output")
                .next()
                .unwrap()
                .to_string(),
            _ => text.clone(),
        };
        let map = spec.parser.parse(&sliced, GradingMode::Official);
        let ours_map: Vec<Value> = map.iter().map(|(k, v)| serde_json::json!([k, v])).collect();
        assert_eq!(
            Value::Array(ours_map),
            theirs["status_map"],
            "status map differs for case {}",
            c.id
        );
        if ours.report.resolved {
            resolved += 1;
        }
    }
    // The cases cover both verdicts.
    assert!(resolved >= 4 && resolved < cases.len(), "{resolved}");
}

fn grade(
    parser: &str,
    f2p: &[&str],
    p2p: &[&str],
    log: &str,
    mode: GradingMode,
) -> (bool, Option<Resolution>) {
    let f: Vec<String> = f2p.iter().map(|s| s.to_string()).collect();
    let p: Vec<String> = p2p.iter().map(|s| s.to_string()).collect();
    let spec = GradeSpec {
        fail_to_pass: &f,
        pass_to_pass: &p,
        parser: LogParser::from_name(parser).unwrap(),
        eval_type: EvalType::PassAndFail,
    };
    let v = grade_log(log, &spec, mode);
    (v.report.resolved, v.resolution)
}

#[test]
fn strict_keeps_whole_parametrized_ids() {
    // Two ids share their first word: the official parser folds them into `test_p[NOT` and the
    // later FAILED wins, so the passing one is reported missing.
    let log = wrap(
        "PASSED t.py::test_p[NOT x]\nFAILED t.py::test_p[NOT y] - assert 1 == 2",
        1,
    );
    assert!(
        !grade(
            "parse_log_pytest",
            &["t.py::test_p[NOT x]"],
            &[],
            &log,
            GradingMode::Official
        )
        .0
    );
    assert!(
        grade(
            "parse_log_pytest",
            &["t.py::test_p[NOT x]"],
            &[],
            &log,
            GradingMode::Strict
        )
        .0
    );
    // And the failing one is a failure in strict mode too.
    assert!(
        !grade(
            "parse_log_pytest",
            &["t.py::test_p[NOT y]"],
            &[],
            &log,
            GradingMode::Strict
        )
        .0
    );
}

#[test]
fn strict_counts_xpass_as_passing() {
    let log = wrap("XPASS t.py::test_xp - fixed", 0);
    assert!(
        !grade(
            "parse_log_pytest",
            &["t.py::test_xp"],
            &[],
            &log,
            GradingMode::Official
        )
        .0
    );
    assert!(
        grade(
            "parse_log_pytest",
            &["t.py::test_xp"],
            &[],
            &log,
            GradingMode::Strict
        )
        .0
    );
}

#[test]
fn strict_ignores_status_lines_printed_after_the_summary() {
    // A patch that prints PASSED for the failing test after pytest's summary (an atexit hook)
    // and exits 0 fools the official grader; strict reads the summary block only.
    let log = wrap("=== short test summary info ===\nFAILED t.py::test_a - assert 0\nPASSED t.py::test_b\n=== 1 failed, 1 passed in 0.02s ===\nPASSED t.py::test_a", 0);
    assert!(
        grade(
            "parse_log_pytest",
            &["t.py::test_a"],
            &["t.py::test_b"],
            &log,
            GradingMode::Official
        )
        .0
    );
    assert!(
        !grade(
            "parse_log_pytest",
            &["t.py::test_a"],
            &["t.py::test_b"],
            &log,
            GradingMode::Strict
        )
        .0
    );
}

#[test]
fn strict_does_not_pass_a_failed_django_test_on_a_later_ok_line() {
    // Any later line starting with "ok" passes the pending test in the official parser, even
    // one that already FAILED.
    let body = "test_b (app.tests.T) ... FAIL\nokay then";
    let official = LogParser::Django.parse(body, GradingMode::Official);
    let strict = LogParser::Django.parse(body, GradingMode::Strict);
    assert_eq!(official.get("test_b (app.tests.T)"), Some("PASSED"));
    assert_eq!(strict.get("test_b (app.tests.T)"), Some("FAILED"));
    // With a zero exit status the official verdict resolves the instance; strict does not.
    let log = wrap(body, 0);
    assert!(
        grade(
            "parse_log_django",
            &["test_b (app.tests.T)"],
            &[],
            &log,
            GradingMode::Official
        )
        .0
    );
    assert!(
        !grade(
            "parse_log_django",
            &["test_b (app.tests.T)"],
            &[],
            &log,
            GradingMode::Strict
        )
        .0
    );
    // A real continuation line ("ok" alone after output) still passes a pending test.
    let cont = LogParser::Django.parse(
        "test_e (app.tests.T) ... warning: slow\nok",
        GradingMode::Strict,
    );
    assert_eq!(cont.get("test_e (app.tests.T)"), Some("PASSED"));
}

#[test]
fn strict_records_sympys_last_test_of_each_file_and_the_worse_of_colliding_names() {
    let log = wrap("sympy/a/tests/test_x.py[2] \ntest_foo ok\ntest_last ok                        [OK]\nsympy/b/tests/test_y.py[1] \ntest_same F                         [FAIL]\nsympy/c/tests/test_z.py[1] \ntest_same ok                        [OK]", 1);
    // The last test of a file is never recorded officially: missing, so not resolved.
    assert!(
        !grade(
            "parse_log_sympy",
            &["test_last"],
            &["test_foo"],
            &wrap("test_foo ok\ntest_last ok    [OK]", 0),
            GradingMode::Official
        )
        .0
    );
    assert!(
        grade(
            "parse_log_sympy",
            &["test_last"],
            &["test_foo"],
            &wrap("test_foo ok\ntest_last ok    [OK]", 0),
            GradingMode::Strict
        )
        .0
    );
    // test_same fails in one file and passes in another: strict keeps the failure.
    assert!(
        !grade(
            "parse_log_sympy",
            &["test_same"],
            &[],
            &log,
            GradingMode::Strict
        )
        .0
    );
}
