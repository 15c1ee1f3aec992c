//! The official Rust parser (`cargo test`).

use super::{py_strip, re, StatusMap};
use regex::Regex;
use std::sync::OnceLock;

pub(super) fn cargo(log: &str) -> StatusMap {
    static PAT: OnceLock<Option<Regex>> = OnceLock::new();
    let mut map = StatusMap::default();
    let Some(pat) = re(&PAT, r"^test\s+(\S+)\s+\.\.\.\s+(\w+)$") else {
        return map;
    };
    for line in log.split('\n') {
        if let Some(c) = pat.captures(py_strip(line)) {
            let name = c.get(1).map_or("", |m| m.as_str());
            match c.get(2).map_or("", |m| m.as_str()) {
                "ok" => map.insert(name, "PASSED"),
                "FAILED" => map.insert(name, "FAILED"),
                _ => {}
            }
        }
    }
    map
}
