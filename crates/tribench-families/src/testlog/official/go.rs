//! The official Go parser (`go test -v`).

use super::{py_strip, re, StatusMap};
use regex::Regex;
use std::sync::OnceLock;

pub(super) fn gotest(log: &str) -> StatusMap {
    static PAT: OnceLock<Option<Regex>> = OnceLock::new();
    let mut map = StatusMap::default();
    let Some(pat) = re(&PAT, r"^--- (PASS|FAIL|SKIP): (.+) \((.+)\)$") else {
        return map;
    };
    for line in log.split('\n') {
        if let Some(c) = pat.captures(py_strip(line)) {
            let name = c.get(2).map_or("", |m| m.as_str());
            let status = match c.get(1).map_or("", |m| m.as_str()) {
                "PASS" => "PASSED",
                "FAIL" => "FAILED",
                _ => "SKIPPED",
            };
            map.insert(name, status);
        }
    }
    map
}
