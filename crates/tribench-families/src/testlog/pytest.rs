//! pytest output (`-rA` summary lines and verbose progress) to test results.

use super::{test_status as status_word, Collector};
use std::sync::OnceLock;
use tribench_types::{TestResult, TestStatus};

/// pytest with `-rA` (short summary `STATUS nodeid[ - message]`) and/or `-v`
/// (`nodeid STATUS [ 50%]`). Parametrized ids keep their full bracketed part, spaces included:
/// the id ends where ` - ` (the message) begins.
pub fn parse_pytest(log: &str) -> Vec<TestResult> {
    static VERBOSE: OnceLock<Option<regex::Regex>> = OnceLock::new();
    let verbose = VERBOSE
        .get_or_init(|| {
            regex::Regex::new(
                r"^(\S+::\S.*?) (PASSED|FAILED|ERROR|SKIPPED|XFAIL|XPASS)(?:\s+\[\s*\d+%\])?\s*$",
            )
            .ok()
        })
        .as_ref();
    let mut c = Collector::default();
    for line in log.lines() {
        let line = line.trim_end();
        if let Some((word, rest)) = line.split_once(' ') {
            if let Some(status) = status_word(word) {
                let id = summary_id(rest);
                // `SKIPPED [1] file.py:12: reason` names a location, not a test id.
                if status == TestStatus::Skipped && id.starts_with('[') {
                    continue;
                }
                if id.contains("::") {
                    c.add(id, status);
                }
                continue;
            }
        }
        if let Some(caps) = verbose.and_then(|re| re.captures(line)) {
            if let (Some(id), Some(word)) = (caps.get(1), caps.get(2)) {
                if let Some(status) = status_word(word.as_str()) {
                    c.add(id.as_str(), status);
                }
            }
        }
    }
    c.finish()
}

/// The test id in a `-rA` summary line's remainder: up to ` - ` (the message), except that a
/// parametrized id runs to its closing bracket, whatever it contains.
pub(crate) fn summary_id(rest: &str) -> &str {
    let plain_end = rest.find(" - ").unwrap_or(rest.len());
    if rest[..plain_end].contains('[') {
        if let Some(pos) = rest.find("] - ") {
            return &rest[..=pos];
        }
        if rest.trim_end().ends_with(']') {
            return rest.trim_end();
        }
    }
    rest[..plain_end].trim()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_summary_and_verbose_lines() {
        let log = "\
two_fer_test.py::TwoFerTest::test_a PASSED                     [ 50%]
two_fer_test.py::TwoFerTest::test_b FAILED                     [100%]
=========================== short test summary info ============================
PASSED two_fer_test.py::TwoFerTest::test_a
FAILED two_fer_test.py::TwoFerTest::test_b - AssertionError: 'x' != 'y'
PASSED t.py::test_p[NOT x - y]
ERROR t.py::test_e - fixture 'db' not found
SKIPPED [1] t.py:3: unconditional skip
XFAIL t.py::test_x - reason
XPASS t.py::test_xp
========================= 1 failed, 1 passed in 0.03s ==========================";
        let r = parse_pytest(log);
        let get = |n: &str| r.iter().find(|t| t.name == n).map(|t| t.status);
        assert_eq!(
            get("two_fer_test.py::TwoFerTest::test_a"),
            Some(TestStatus::Passed)
        );
        assert_eq!(
            get("two_fer_test.py::TwoFerTest::test_b"),
            Some(TestStatus::Failed)
        );
        assert_eq!(get("t.py::test_p[NOT x - y]"), Some(TestStatus::Passed));
        assert_eq!(get("t.py::test_e"), Some(TestStatus::Error));
        assert_eq!(get("t.py::test_x"), Some(TestStatus::Xfail));
        assert_eq!(get("t.py::test_xp"), Some(TestStatus::Xpass));
        assert_eq!(r.len(), 6);
    }
}
