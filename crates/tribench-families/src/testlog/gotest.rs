//! `go test -v` output to test results.

use super::Collector;
use tribench_types::{TestResult, TestStatus};

/// `go test -v`: `--- PASS: TestName (0.00s)`, `--- FAIL: ...`, `--- SKIP: ...`, subtests
/// indented as `TestName/case`. A test that started (`=== RUN`) and never reported (a panic
/// or a timeout killed the binary) is recorded as failed.
pub fn parse_go_test(log: &str) -> Vec<TestResult> {
    let mut c = Collector::default();
    let mut started: Vec<String> = Vec::new();
    let mut reported = std::collections::HashSet::new();
    for line in log.lines() {
        let t = line.trim_start();
        if let Some(name) = t.strip_prefix("=== RUN ") {
            started.push(name.trim().to_string());
            continue;
        }
        let (status, rest) = if let Some(r) = t.strip_prefix("--- PASS: ") {
            (TestStatus::Passed, r)
        } else if let Some(r) = t.strip_prefix("--- FAIL: ") {
            (TestStatus::Failed, r)
        } else if let Some(r) = t.strip_prefix("--- SKIP: ") {
            (TestStatus::Skipped, r)
        } else {
            continue;
        };
        let name = match rest.rfind(" (") {
            Some(i) => &rest[..i],
            None => rest,
        }
        .trim();
        reported.insert(name.to_string());
        c.add(name, status);
    }
    for name in started {
        if !reported.contains(&name) {
            c.add(name, TestStatus::Failed);
        }
    }
    c.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_subtests_and_unfinished() {
        let log = "=== RUN   TestA\n--- PASS: TestA (0.00s)\n=== RUN   TestB\n=== RUN   TestB/case_one\n    \
                   --- FAIL: TestB/case_one (0.01s)\n--- FAIL: TestB (0.01s)\n=== RUN   TestC\npanic: boom\nFAIL\tx\t0.1s";
        let r = parse_go_test(log);
        let get = |n: &str| r.iter().find(|t| t.name == n).map(|t| t.status);
        assert_eq!(get("TestA"), Some(TestStatus::Passed));
        assert_eq!(get("TestB/case_one"), Some(TestStatus::Failed));
        assert_eq!(get("TestB"), Some(TestStatus::Failed));
        assert_eq!(get("TestC"), Some(TestStatus::Failed));
    }
}
