//! Parsers from a test runner's console log to per-test results. Each takes the whole log
//! and returns the tests it names, in order of first appearance; a test seen twice keeps its
//! last status.

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
pub(crate) use pytest::{status_word, summary_id};

use tribench_types::{TestResult, TestStatus};

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
