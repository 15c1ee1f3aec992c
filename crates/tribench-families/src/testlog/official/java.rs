//! The official Java parsers: Maven, Ant, and the custom Gradle format.

use super::{py_strip, re, StatusMap};
use regex::Regex;
use std::sync::OnceLock;

pub(super) fn maven(log: &str) -> StatusMap {
    static NAME: OnceLock<Option<Regex>> = OnceLock::new();
    static RESULT: OnceLock<Option<Regex>> = OnceLock::new();
    let mut map = StatusMap::default();
    let (Some(name_re), Some(result_re)) = (
        re(&NAME, r"^.*-Dtest=(\S+).*$"),
        re(&RESULT, r"^.*BUILD (SUCCESS|FAILURE)$"),
    ) else {
        return map;
    };
    let mut pending: std::collections::VecDeque<String> = Default::default();
    let mut unmatched: std::collections::VecDeque<String> = Default::default();
    let record = |map: &mut StatusMap, name: String, status: &str| match status {
        "SUCCESS" => map.insert(name, "PASSED"),
        _ => map.insert(name, "FAILED"),
    };
    for raw in log.split('\n') {
        let line = py_strip(raw);
        if let Some(c) = name_re.captures(line) {
            pending.push_back(c.get(1).map_or("", |m| m.as_str()).to_string());
        }
        if let Some(c) = result_re.captures(line) {
            let status = c.get(1).map_or("", |m| m.as_str());
            match pending.pop_front() {
                Some(name) => record(&mut map, name, status),
                None => unmatched.push_back(status.to_string()),
            }
        }
    }
    while let (Some(name), Some(status)) = (pending.front().cloned(), unmatched.front().cloned()) {
        pending.pop_front();
        unmatched.pop_front();
        record(&mut map, name, &status);
    }
    map
}

pub(super) fn ant(log: &str) -> StatusMap {
    static PAT: OnceLock<Option<Regex>> = OnceLock::new();
    let mut map = StatusMap::default();
    let Some(pat) = re(&PAT, r"^\s*\[junit\]\s+\[(PASS|FAIL|ERR)\]\s+(.*)$") else {
        return map;
    };
    for line in log.split('\n') {
        if let Some(c) = pat.captures(py_strip(line)) {
            let status = if c.get(1).map_or("", |m| m.as_str()) == "PASS" {
                "PASSED"
            } else {
                "FAILED"
            };
            map.insert(c.get(2).map_or("", |m| m.as_str()), status);
        }
    }
    map
}

pub(super) fn gradle_custom(log: &str) -> StatusMap {
    static FULL: OnceLock<Option<Regex>> = OnceLock::new();
    static NAME: OnceLock<Option<Regex>> = OnceLock::new();
    static STATUS: OnceLock<Option<Regex>> = OnceLock::new();
    let mut map = StatusMap::default();
    let (Some(full), Some(name_re), Some(status_re)) = (
        re(&FULL, r"^([^>].+)\s+(PASSED|FAILED)$"),
        re(&NAME, r"^([^>]\S*\s+>\s+\S+)$"),
        re(&STATUS, r"^(PASSED|FAILED)$"),
    ) else {
        return map;
    };
    let mut pending: Option<String> = None;
    for raw in log.split('\n') {
        let line = py_strip(raw);
        if let Some(c) = full.captures(line) {
            map.insert(
                c.get(1).map_or("", |m| m.as_str()),
                c.get(2).map_or("", |m| m.as_str()),
            );
            pending = None;
            continue;
        }
        if let Some(c) = name_re.captures(line) {
            pending = Some(c.get(1).map_or("", |m| m.as_str()).to_string());
            continue;
        }
        if let Some(name) = &pending {
            if let Some(c) = status_re.captures(line) {
                map.insert(name.clone(), c.get(1).map_or("", |m| m.as_str()));
                pending = None;
            }
        }
    }
    map
}
