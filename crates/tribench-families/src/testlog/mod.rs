//! Test-log parsers, from a test runner's console output to per-test results. Two sets:
//!
//! - tribench's own (polyglot and Terminal-Bench), one per runner: each takes the whole log and
//!   returns the [`TestResult`]s it names, in order of first appearance; a test seen twice keeps
//!   its last status.
//! - [`official`]: the SWE-bench parsers, compatible with the official grader word for word,
//!   returning raw status words, split by language.
//!
//! A status word becomes a [`TestStatus`] in one place, [`test_status`].

pub mod official;

mod cargo;
mod gotest;
mod jest;
mod junit_tree;
mod pytest;

pub use cargo::parse_cargo_test;
pub use gotest::parse_go_test;
pub use jest::parse_jest_verbose;
pub use junit_tree::parse_junit_tree;
pub use pytest::parse_pytest;
pub(crate) use pytest::summary_id;

use tribench_types::{TestResult, TestStatus};

/// A status word as runners and the official parsers print it (`PASSED`, `FAILED`, `ERROR`,
/// `SKIPPED`, `XFAIL`, `XPASS`) as a status; `None` for any other word.
pub fn test_status(word: &str) -> Option<TestStatus> {
    Some(match word {
        "PASSED" => TestStatus::Passed,
        "FAILED" => TestStatus::Failed,
        "ERROR" => TestStatus::Error,
        "SKIPPED" => TestStatus::Skipped,
        "XFAIL" => TestStatus::Xfail,
        "XPASS" => TestStatus::Xpass,
        _ => return None,
    })
}

/// Collects results keeping first-seen order and last-seen status.
#[derive(Default)]
pub(crate) struct Collector {
    order: Vec<String>,
    status: std::collections::HashMap<String, TestStatus>,
}

impl Collector {
    pub(crate) fn add(&mut self, name: impl Into<String>, status: TestStatus) {
        let name = name.into();
        if self.status.insert(name.clone(), status).is_none() {
            self.order.push(name);
        }
    }

    pub(crate) fn finish(mut self) -> Vec<TestResult> {
        self.order
            .into_iter()
            .filter_map(|name| {
                let status = self.status.remove(&name)?;
                Some(TestResult { name, status })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::official::{GradingMode, LogParser};
    use super::*;

    /// The official parsers' words and tribench's pytest parser meet in `test_status`: on a log
    /// both read the same, they give the same statuses.
    #[test]
    fn official_words_and_runner_results_agree_through_one_conversion() {
        let log = "\
tests/test_a.py::test_one PASSED
tests/test_a.py::test_two FAILED
tests/test_a.py::test_three SKIPPED
tests/test_a.py::test_four XFAIL
tests/test_a.py::test_five ERROR
";
        let ours = parse_pytest(log);
        let official = LogParser::PytestV2.parse(log, GradingMode::Official);
        assert_eq!(ours.len(), 5);
        assert_eq!(official.len(), 5);
        for r in &ours {
            let word = official.get(&r.name).unwrap();
            assert_eq!(test_status(word), Some(r.status), "{}", r.name);
        }
        assert_eq!(test_status("XPASS"), Some(TestStatus::Xpass));
        assert_eq!(test_status("passed"), None);
    }
}
