//! The JUnit Platform console launcher's tree output to test results.

use super::Collector;
use tribench_types::{TestResult, TestStatus};

/// The JUnit Platform console launcher's `--details=tree` output:
/// `│  ├─ greets() ✔`, `└─ fails() ✘ expected: <1> but was: <2>`, `↷` for skipped. Leaves are
/// tests; their names are `Class.method()` (engine roots such as `JUnit Jupiter` are dropped).
pub fn parse_junit_tree(log: &str) -> Vec<TestResult> {
    // (depth, name, status)
    let mut nodes: Vec<(usize, String, TestStatus)> = Vec::new();
    for line in log.lines() {
        let Some(pos) = line.find("├─ ").or_else(|| line.find("└─ ")) else {
            continue;
        };
        let depth = line[..pos].chars().count();
        let rest = &line[pos + "├─ ".len()..];
        let mut found = None;
        for (mark, status) in [
            ("✔", TestStatus::Passed),
            ("✘", TestStatus::Failed),
            ("↷", TestStatus::Skipped),
        ] {
            if let Some(i) = rest.find(&format!(" {mark}")) {
                if found.is_none_or(|(j, _)| i < j) {
                    found = Some((i, status));
                }
            }
        }
        let Some((i, status)) = found else { continue };
        nodes.push((depth, rest[..i].trim().to_string(), status));
    }
    let mut c = Collector::default();
    let mut path: Vec<(usize, String)> = Vec::new();
    for (k, (depth, name, status)) in nodes.iter().enumerate() {
        while path.last().is_some_and(|(d, _)| d >= depth) {
            path.pop();
        }
        let is_leaf = nodes.get(k + 1).is_none_or(|(d, _, _)| d <= depth);
        if is_leaf && !path.is_empty() {
            let mut parts: Vec<&str> = path.iter().skip(1).map(|(_, n)| n.as_str()).collect();
            parts.push(name);
            c.add(parts.join("."), *status);
        }
        path.push((*depth, name.clone()));
    }
    c.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tree_leaves_become_tests() {
        let log = "╷\n├─ JUnit Jupiter ✔\n│  └─ HelloTest ✔\n│     ├─ greets() ✔\n│     ├─ skipped() ↷ disabled\n\
                   │     └─ fails() ✘ expected: <1> but was: <2>\n└─ JUnit Vintage ✔\n\nTest run finished after 50 ms";
        let r = parse_junit_tree(log);
        let names: Vec<_> = r.iter().map(|t| (t.name.as_str(), t.status)).collect();
        assert_eq!(
            names,
            vec![
                ("HelloTest.greets()", TestStatus::Passed),
                ("HelloTest.skipped()", TestStatus::Skipped),
                ("HelloTest.fails()", TestStatus::Failed),
            ]
        );
    }
}
