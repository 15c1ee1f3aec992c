//! The official Python parsers: pytest (and its options, v2 and matplotlib variants), django's
//! unittest runner, seaborn and sympy.

use super::{
    is_skip_summary, py_space, py_split, py_strip, py_words, re, starts_with_status, GradingMode,
    StatusMap, STATUS_WORDS,
};
use regex::Regex;
use std::sync::OnceLock;

// --- pytest family ------------------------------------------------------------------------

pub(super) fn pytest_official(log: &str, matplotlib: bool) -> StatusMap {
    let mut map = StatusMap::default();
    for raw in log.split('\n') {
        let mut line = std::borrow::Cow::Borrowed(raw);
        if matplotlib && raw.contains("MouseButton.") {
            line = std::borrow::Cow::Owned(
                raw.replace("MouseButton.LEFT", "1")
                    .replace("MouseButton.RIGHT", "3"),
            );
        }
        if !starts_with_status(&line) {
            continue;
        }
        if line.starts_with("FAILED") && line.contains(" - ") {
            line = std::borrow::Cow::Owned(line.replace(" - ", " "));
        }
        let mut words = py_words(&line);
        let (Some(status), Some(name)) = (words.next(), words.next()) else {
            continue;
        };
        if is_skip_summary(status, name) {
            continue;
        }
        map.insert(name, status);
    }
    map
}

pub(super) fn pytest_options_official(log: &str) -> StatusMap {
    static OPTION: OnceLock<Option<Regex>> = OnceLock::new();
    let option = re(&OPTION, r"(.*?)\[(.*)\]");
    let mut map = StatusMap::default();
    for raw in log.split('\n') {
        if !starts_with_status(raw) {
            continue;
        }
        let line = if raw.starts_with("FAILED") {
            raw.replace(" - ", " ")
        } else {
            raw.to_string()
        };
        let words = py_split(&line);
        if words.len() <= 1 || is_skip_summary(words[0], words[1]) {
            continue;
        }
        map.insert(shorten_option(option, words[1]), words[0]);
    }
    map
}

/// `test[/long/path/file]` becomes `test[/file]`, as the official options parser does.
pub(super) fn shorten_option(option: Option<&Regex>, name: &str) -> String {
    if let Some(caps) = option.and_then(|re| re.captures(name)) {
        let main = caps.get(1).map_or("", |m| m.as_str());
        let mut opt = caps.get(2).map_or("", |m| m.as_str()).to_string();
        if opt.starts_with('/') && !opt.starts_with("//") && !opt.contains('*') {
            opt = format!("/{}", opt.rsplit('/').next().unwrap_or(""));
        }
        return format!("{main}[{opt}]");
    }
    name.to_string()
}

/// `parse_log_pytest_v2`: colour codes and control characters removed, the whole id kept;
/// also the older `id STATUS` form. `strict` adds XPASS and reads only the last short-summary
/// block when there is one.
pub(super) fn pytest_v2(log: &str, strict: bool) -> StatusMap {
    static COLOUR: OnceLock<Option<Regex>> = OnceLock::new();
    let colour = re(&COLOUR, r"\[(\d+)m");
    let mut map = StatusMap::default();
    let body = if strict {
        last_summary_block(log)
    } else {
        None
    };
    let words: &[&str] = if strict {
        &["FAILED", "PASSED", "SKIPPED", "ERROR", "XFAIL", "XPASS"]
    } else {
        &STATUS_WORDS
    };
    let lines: Vec<&str> = match &body {
        Some(b) => b.clone(),
        None => log.split('\n').collect(),
    };
    for raw in lines {
        let stripped = match colour {
            Some(re) => re.replace_all(raw, "").into_owned(),
            None => raw.to_string(),
        };
        let line: String = stripped
            .chars()
            .filter(|c| !('\u{1}'..='\u{1f}').contains(c))
            .collect();
        if let Some(status) = words.iter().find(|w| line.starts_with(**w)) {
            let head = if line.starts_with("FAILED") {
                line.split(" - ").next().unwrap_or("")
            } else {
                line.as_str()
            };
            let parts = py_split(head);
            if parts.len() >= 2 && !is_skip_summary(parts[0], parts[1]) {
                let status = if strict {
                    (*status).to_string()
                } else {
                    parts[0].to_string()
                };
                map.insert(parts[1..].join(" "), status);
            }
        } else if words.iter().any(|w| line.ends_with(w)) {
            let parts = py_split(&line);
            if parts.len() >= 2 {
                map.insert(parts[..parts.len() - 1].join(" "), parts[parts.len() - 1]);
            }
        }
    }
    map
}

/// The lines of the last `short test summary info` block, when the log has one.
pub(super) fn last_summary_block(log: &str) -> Option<Vec<&str>> {
    let lines: Vec<&str> = log.split('\n').collect();
    let start = lines
        .iter()
        .rposition(|l| l.starts_with('=') && l.contains(" short test summary info "))?;
    let mut block = Vec::new();
    for l in &lines[start + 1..] {
        if l.starts_with("===") && l.trim_end().ends_with('=') {
            break;
        }
        block.push(*l);
    }
    Some(block)
}

/// pytest `-rA` read strictly: whole ids (brackets, spaces and ` - ` inside them included),
/// XPASS passing, and only the last short-summary block when the log has one.
pub(super) fn pytest_strict(log: &str, options: bool, matplotlib: bool) -> StatusMap {
    static OPTION: OnceLock<Option<Regex>> = OnceLock::new();
    let option = re(&OPTION, r"(.*?)\[(.*)\]");
    let block = last_summary_block(log);
    let lines: Vec<&str> = match &block {
        Some(b) => b.clone(),
        None => log.split('\n').collect(),
    };
    let mut map = StatusMap::default();
    for raw in lines {
        let mut line = raw.trim_end_matches(py_space).to_string();
        if matplotlib {
            line = line
                .replace("MouseButton.LEFT", "1")
                .replace("MouseButton.RIGHT", "3");
        }
        let Some((word, rest)) = line.split_once(' ') else {
            continue;
        };
        let status = match word {
            "PASSED" | "FAILED" | "ERROR" | "SKIPPED" | "XFAIL" | "XPASS" => word,
            _ => continue,
        };
        let rest = rest.trim_start_matches(py_space);
        if status == "SKIPPED" && rest.starts_with('[') {
            continue;
        }
        let id = crate::testlog::summary_id(rest);
        if id.is_empty() {
            continue;
        }
        let id = if options {
            shorten_option(option, id)
        } else {
            id.to_string()
        };
        map.insert(id, status);
    }
    map
}

// --- django / unittest --------------------------------------------------------------------

pub(super) fn django(log: &str, mode: GradingMode) -> StatusMap {
    let mut map = StatusMap::default();
    let mut prev_test: Option<String> = None;
    // Strict: whether the pending test (from a ` ... ` line) already has a result.
    let mut prev_resolved = false;
    for raw in log.split('\n') {
        let mut line = py_strip(raw).to_string();
        if line.contains("--version is equivalent to version") {
            map.insert("--version is equivalent to version", "PASSED");
        }
        if let Some((head, _)) = line.split_once(" ... ") {
            prev_test = Some(head.to_string());
            prev_resolved = false;
        }
        for suffix in [" ... ok", " ... OK", " ...  OK"] {
            if line.ends_with(suffix) {
                if py_strip(&line)
                    .starts_with("Applying sites.0002_alter_domain_unique...test_no_migrations")
                {
                    line = py_strip(line.split_once("...").map_or("", |(_, r)| r)).to_string();
                }
                let test = line.rsplit_once(suffix).map_or("", |(h, _)| h).to_string();
                map.insert(test, "PASSED");
                prev_resolved = true;
                break;
            }
        }
        if let Some((test, _)) = line.split_once(" ... skipped") {
            map.insert(test, "SKIPPED");
            prev_resolved = true;
        }
        if line.ends_with(" ... FAIL") {
            map.insert(line.split(" ... FAIL").next().unwrap_or(""), "FAILED");
            prev_resolved = true;
        }
        if line.starts_with("FAIL:") {
            if let Some(t) = py_split(&line).get(1) {
                map.insert(py_strip(t), "FAILED");
            }
        }
        if line.ends_with(" ... ERROR") {
            map.insert(line.split(" ... ERROR").next().unwrap_or(""), "ERROR");
            prev_resolved = true;
        }
        if line.starts_with("ERROR:") {
            if let Some(t) = py_split(&line).get(1) {
                map.insert(py_strip(t), "ERROR");
            }
        }
        let ok_line = match mode {
            GradingMode::Official => line.trim_start_matches(py_space).starts_with("ok"),
            GradingMode::Strict => line == "ok" && !prev_resolved,
        };
        if ok_line {
            if let Some(t) = &prev_test {
                map.insert(t.clone(), "PASSED");
                prev_resolved = true;
            }
        }
    }
    static PATTERNS: OnceLock<Vec<Regex>> = OnceLock::new();
    let patterns = PATTERNS.get_or_init(|| {
        [
            r"(?m)^(.*?)\s\.\.\.\sTesting against Django installed in ((?s:.*?)) silenced\)\.\nok$",
            r"(?m)^(.*?)\s\.\.\.\sInternal Server Error: /(.*)/\nok$",
            r"(?m)^(.*?)\s\.\.\.\sSystem check identified no issues \(0 silenced\)\nok$",
        ]
        .iter()
        .filter_map(|p| Regex::new(p).ok())
        .collect()
    });
    for p in patterns {
        for caps in p.captures_iter(log) {
            if let Some(name) = caps.get(1) {
                map.insert(name.as_str(), "PASSED");
            }
        }
    }
    map
}

// --- other Python runners ----------------------------------------------------------------

pub(super) fn seaborn(log: &str) -> StatusMap {
    let mut map = StatusMap::default();
    for line in log.split('\n') {
        let parts = py_split(line);
        if parts.len() < 2 {
            continue;
        }
        if line.starts_with("FAILED") {
            map.insert(parts[1], "FAILED");
        } else if line.contains(" PASSED ") {
            if parts[1] == "PASSED" {
                map.insert(parts[0], "PASSED");
            }
        } else if line.starts_with("PASSED") {
            map.insert(parts[1], "PASSED");
        }
    }
    map
}

pub(super) fn sympy(log: &str, mode: GradingMode) -> StatusMap {
    static HEADER: OnceLock<Option<Regex>> = OnceLock::new();
    let mut map = StatusMap::default();
    if let Some(header) = re(&HEADER, r"(_*) (.*)\.py:(.*) (_*)") {
        for caps in header.captures_iter(log) {
            let file = caps.get(2).map_or("", |m| m.as_str());
            let test = caps.get(3).map_or("", |m| m.as_str());
            map.insert(format!("{file}.py:{test}"), "FAILED");
        }
    }
    match mode {
        GradingMode::Official => {
            for raw in log.split('\n') {
                let line = py_strip(raw);
                if !line.starts_with("test_") {
                    continue;
                }
                let first = py_split(line).first().copied().unwrap_or("").to_string();
                if line.ends_with(" E") {
                    map.insert(first.clone(), "ERROR");
                }
                if line.ends_with(" F") {
                    map.insert(first.clone(), "FAILED");
                }
                if line.ends_with(" ok") {
                    map.insert(first, "PASSED");
                }
            }
        }
        GradingMode::Strict => {
            static LINE: OnceLock<Option<Regex>> = OnceLock::new();
            let Some(line_re) = re(
                &LINE,
                r"^(test_\S*)\s+(ok|F|E|f|X|s|w|T)(?:\s+\[(?:OK|FAIL)\])?$",
            ) else {
                return map;
            };
            for raw in log.split('\n') {
                let Some(caps) = line_re.captures(py_strip(raw)) else {
                    continue;
                };
                let name = caps.get(1).map_or("", |m| m.as_str());
                let status = match caps.get(2).map_or("", |m| m.as_str()) {
                    "ok" | "X" => "PASSED",
                    "F" | "T" => "FAILED",
                    "E" => "ERROR",
                    "f" => "XFAIL",
                    _ => "SKIPPED",
                };
                let worse = |a: &str| match a {
                    "ERROR" => 4,
                    "FAILED" => 3,
                    "SKIPPED" => 2,
                    "XFAIL" => 1,
                    _ => 0,
                };
                let keep = match map.get(name) {
                    Some(old) => worse(old) > worse(status),
                    None => false,
                };
                if !keep {
                    map.insert(name, status);
                }
            }
        }
    }
    map
}
