//! `cargo test` (libtest) console output to test results.

use super::Collector;
use tribench_types::{TestResult, TestStatus};

/// libtest's console output: `test path::name ... ok|FAILED|ignored`. A line may carry extra
/// output after the status when tests print concurrently; only the first word counts.
pub fn parse_cargo_test(log: &str) -> Vec<TestResult> {
    let mut c = Collector::default();
    for line in log.lines() {
        let Some(rest) = line.strip_prefix("test ") else {
            continue;
        };
        let Some((name, status)) = rest.split_once(" ... ") else {
            continue;
        };
        let status = match status
            .split_whitespace()
            .next()
            .map(|w| w.trim_end_matches(','))
        {
            Some("ok") => TestStatus::Passed,
            Some("FAILED") => TestStatus::Failed,
            Some("ignored") => TestStatus::Skipped,
            _ => continue,
        };
        // Doc-tests read `test src/lib.rs - f (line 3) ... ok`; keep the whole name.
        c.add(name.trim(), status);
    }
    c.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses() {
        let log = "running 3 tests\ntest a::one ... ok\ntest two ... FAILED\ntest three ... ignored, slow\n\
                   test src/lib.rs - f (line 3) ... ok\ntest result: FAILED. 1 passed; 1 failed";
        let r = parse_cargo_test(log);
        assert_eq!(r.len(), 4);
        assert_eq!(r[1].status, TestStatus::Failed);
        assert_eq!(r[2].status, TestStatus::Skipped);
        assert_eq!(r[3].name, "src/lib.rs - f (line 3)");
    }
}
