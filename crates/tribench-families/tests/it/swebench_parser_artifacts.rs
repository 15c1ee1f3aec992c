//! Dataset ids born of the official parser's faults: with pytest's live logging the progress
//! column, on a line of its own, reads as a test named `[100%]`, and SWE-bench Verified lists
//! such ids. Strict mode grades them by the official rule, so the gold patch can still resolve.

use tribench_families::swebench::grade::{grade_log, EvalType, GradeSpec};
use tribench_families::swebench::parse::{GradingMode, LogParser};

const START: &str = "+ : '>>>>> Start Test Output'";
const END: &str = "+ : '>>>>> End Test Output'";

/// A pytest run with `log_cli` on: each result word lands on its own line with the progress.
fn live_log(second: &str, exit: i32) -> String {
    format!(
        "{START}
+ pytest -rA tests/test_io.py
============================= test session starts ==============================
collected 2 items

tests/test_io.py::test_read
-------------------------------- live log call ---------------------------------
INFO     io:io.py:12 reading 3 rows
PASSED                                                                   [ 50%]
tests/test_io.py::test_write
-------------------------------- live log call ---------------------------------
INFO     io:io.py:30 writing 3 rows
{second}                                                                   [100%]

==================================== PASSES ====================================
=========================== short test summary info ============================
PASSED tests/test_io.py::test_read
{second} tests/test_io.py::test_write
============================== 2 passed in 0.05s ===============================
{END}
>>>>> Test Exit Code: {exit}
"
    )
}

fn spec<'a>(f2p: &'a [String], p2p: &'a [String]) -> GradeSpec<'a> {
    GradeSpec {
        fail_to_pass: f2p,
        pass_to_pass: p2p,
        parser: LogParser::Pytest,
        eval_type: EvalType::PassAndFail,
    }
}

#[test]
fn a_live_logging_log_whose_dataset_lists_100_percent_resolves_in_both_modes() {
    let f2p = vec!["tests/test_io.py::test_write".to_string()];
    let p2p = vec![
        "tests/test_io.py::test_read".to_string(),
        "[100%]".to_string(),
    ];
    let log = live_log("PASSED", 0);
    let official = grade_log(&log, &spec(&f2p, &p2p), GradingMode::Official);
    assert!(official.report.resolved, "{official:#?}");
    let strict = grade_log(&log, &spec(&f2p, &p2p), GradingMode::Strict);
    assert!(strict.report.resolved, "{strict:#?}");
    assert_eq!(strict.official_rule_ids, vec!["[100%]".to_string()]);
    // The strict status map still holds real tests only.
    assert!(strict.status.get("[100%]").is_none());
    assert!(official.official_rule_ids.is_empty());
}

#[test]
fn a_status_word_a_test_printed_is_graded_by_the_official_rule_too() {
    // The gold run's test printed "PASSED stock:" in its captured output, shown under PASSES
    // with -rA; the official parser recorded a test named `stock:` and the dataset lists it.
    let body = format!(
        "{START}
tests/test_io.py::test_read PASSED
==================================== PASSES ====================================
___________________________________ test_read __________________________________
----------------------------- Captured stdout call -----------------------------
PASSED stock: 3 rows
=========================== short test summary info ============================
PASSED tests/test_io.py::test_read
============================== 1 passed in 0.01s ===============================
{END}
>>>>> Test Exit Code: 0
"
    );
    let f2p = vec!["tests/test_io.py::test_read".to_string()];
    let p2p = vec!["stock:".to_string()];
    assert!(
        grade_log(&body, &spec(&f2p, &p2p), GradingMode::Official)
            .report
            .resolved
    );
    let strict = grade_log(&body, &spec(&f2p, &p2p), GradingMode::Strict);
    assert!(strict.report.resolved, "{strict:#?}");
    assert_eq!(strict.official_rule_ids, vec!["stock:".to_string()]);
}

#[test]
fn the_official_rule_for_an_artifact_id_still_fails_what_failed() {
    let f2p = vec!["tests/test_io.py::test_read".to_string()];
    let p2p = vec!["[100%]".to_string()];
    // The last test failed: its progress line says FAILED, so `[100%]` fails in both modes.
    let log = live_log("FAILED", 1);
    assert!(
        !grade_log(&log, &spec(&f2p, &p2p), GradingMode::Official)
            .report
            .resolved
    );
    let strict = grade_log(&log, &spec(&f2p, &p2p), GradingMode::Strict);
    assert!(!strict.report.resolved);
    let tests = strict.report.tests_status.unwrap();
    assert_eq!(tests.pass_to_pass.failure, vec!["[100%]".to_string()]);
    // Real test ids keep strict rules: only artifacts go by the official one.
    assert!(LogParser::Pytest.official_artifact_id("[100%]"));
    assert!(LogParser::Pytest.official_artifact_id("["));
    assert!(!LogParser::Pytest.official_artifact_id("tests/test_io.py::test_p[100%]"));
    assert!(!LogParser::Pytest.official_artifact_id("tests/test_io.py"));
    assert!(LogParser::Pytest.official_artifact_id("stock:"));
    assert!(!LogParser::Django.official_artifact_id("[100%]"));
}
