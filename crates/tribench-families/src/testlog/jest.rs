//! jest `--verbose` output to test results.

use super::Collector;
use tribench_types::{TestResult, TestStatus};

/// jest `--verbose`: describe blocks as indented headers, tests as `✓ name (3 ms)`,
/// `✕ name`, `○ skipped name`, `✎ todo name`. Names are the describe path and the test
/// name joined by ` › `, as jest prints them in failure headers.
pub fn parse_jest_verbose(log: &str) -> Vec<TestResult> {
    let mut c = Collector::default();
    // (indent, describe name)
    let mut stack: Vec<(usize, String)> = Vec::new();
    let mut in_suite = false;
    for line in log.lines() {
        if line.starts_with("PASS ") || line.starts_with("FAIL ") {
            stack.clear();
            in_suite = true;
            continue;
        }
        if !in_suite {
            continue;
        }
        let trimmed = line.trim_start();
        if trimmed.is_empty() {
            continue;
        }
        let indent = line.len() - trimmed.len();
        if indent == 0 {
            // Back at the left margin: the suite's listing is over (summary or failure details).
            in_suite = false;
            continue;
        }
        while stack.last().is_some_and(|(i, _)| *i >= indent) {
            stack.pop();
        }
        let (status, rest) = if let Some(r) = trimmed.strip_prefix("✓ ") {
            (Some(TestStatus::Passed), r)
        } else if let Some(r) = trimmed.strip_prefix("✕ ") {
            (Some(TestStatus::Failed), r)
        } else if let Some(r) = trimmed.strip_prefix("○ skipped ") {
            (Some(TestStatus::Skipped), r)
        } else if let Some(r) = trimmed.strip_prefix("✎ todo ") {
            (Some(TestStatus::Skipped), r)
        } else if trimmed.starts_with('●') {
            in_suite = false;
            continue;
        } else {
            (None, trimmed)
        };
        match status {
            Some(status) => {
                let name = strip_duration(rest);
                let mut full: Vec<&str> = stack.iter().map(|(_, n)| n.as_str()).collect();
                full.push(name);
                c.add(full.join(" › "), status);
            }
            None => stack.push((indent, rest.trim().to_string())),
        }
    }
    c.finish()
}

/// `name (12 ms)` → `name`.
fn strip_duration(s: &str) -> &str {
    let s = s.trim_end();
    if s.ends_with(" ms)") || s.ends_with(" s)") {
        if let Some(i) = s.rfind(" (") {
            return &s[..i];
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_describes_and_statuses() {
        let log = "PASS ./hello.spec.js\n  Hello\n    ✓ says hi (2 ms)\n    nested\n      ✕ fails (1 ms)\n    \
                   ○ skipped later\n  ✓ top level\n\n  ● Hello › nested › fails\n\n    expect(x)\n\
                   Tests:       1 failed, 2 passed, 3 total";
        let r = parse_jest_verbose(log);
        let names: Vec<_> = r.iter().map(|t| (t.name.as_str(), t.status)).collect();
        assert_eq!(
            names,
            vec![
                ("Hello › says hi", TestStatus::Passed),
                ("Hello › nested › fails", TestStatus::Failed),
                ("Hello › later", TestStatus::Skipped),
                ("top level", TestStatus::Passed),
            ]
        );
    }
}
