//! The official JavaScript parsers: jest, jest's JSON reporter, vitest.

use super::{py_strip, re, StatusMap};
use regex::Regex;
use std::sync::OnceLock;

pub(super) fn jest(log: &str) -> StatusMap {
    static PAT: OnceLock<Option<Regex>> = OnceLock::new();
    let mut map = StatusMap::default();
    let Some(pat) = re(&PAT, r"^\s*(✓|✕|○)\s(.+?)(?:\s\((\d+\s*m?s)\))?$") else {
        return map;
    };
    for line in log.split('\n') {
        if let Some(c) = pat.captures(py_strip(line)) {
            let name = py_strip(c.get(2).map_or("", |m| m.as_str()));
            let status = match c.get(1).map_or("", |m| m.as_str()) {
                "✓" => "PASSED",
                "✕" => "FAILED",
                _ => "SKIPPED",
            };
            map.insert(name, status);
        }
    }
    map
}

pub(super) fn jest_json(log: &str) -> StatusMap {
    static PAT: OnceLock<Option<Regex>> = OnceLock::new();
    let mut map = StatusMap::default();
    let Some(pat) = re(&PAT, r"^\[(PASSED|FAILED)\]\s(.+)$") else {
        return map;
    };
    for line in log.split('\n') {
        if let Some(c) = pat.captures(py_strip(line)) {
            map.insert(
                c.get(2).map_or("", |m| m.as_str()),
                c.get(1).map_or("", |m| m.as_str()),
            );
        }
    }
    map
}

pub(super) fn vitest(log: &str) -> StatusMap {
    static PAT: OnceLock<Option<Regex>> = OnceLock::new();
    let mut map = StatusMap::default();
    let Some(pat) = re(&PAT, r"^\s*(✓|×|↓)\s(.+?)(?:\s(\d+\s*m?s?|\[skipped\]))?$") else {
        return map;
    };
    for line in log.split('\n') {
        if let Some(c) = pat.captures(py_strip(line)) {
            let status = match c.get(1).map_or("", |m| m.as_str()) {
                "✓" => "PASSED",
                "×" => "FAILED",
                _ => "SKIPPED",
            };
            map.insert(c.get(2).map_or("", |m| m.as_str()), status);
        }
    }
    map
}
