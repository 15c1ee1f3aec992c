//! The SWE-bench test-log parsers: from the text between the eval script's markers to a
//! [`StatusMap`] (test id → status word). `official` reproduces the swebench 5.x parsers line
//! for line, faults included, so verdicts match the leaderboard's; `strict` fixes the known
//! faults (see [`LogParser::strict_fixes`]). One file per language.

mod go;
mod java;
mod js;
mod python;
mod rust;
mod status_map;

pub use status_map::StatusMap;

use go::gotest;
use java::{ant, gradle_custom, maven};
use js::{jest, jest_json, vitest};
use python::{
    django, pytest_official, pytest_options_official, pytest_strict, pytest_v2, seaborn, sympy,
};
use regex::Regex;
use rust::cargo;
use std::sync::OnceLock;

/// Which grading rules apply: a shared setting, defined with the other run settings.
pub use tribench_types::GradingMode;

/// The log parsers we support, by their official registry names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LogParser {
    Pytest,
    PytestOptions,
    PytestV2,
    Django,
    Seaborn,
    Sympy,
    Matplotlib,
    GoTest,
    Cargo,
    Jest,
    JestJson,
    Vitest,
    Maven,
    Ant,
    GradleCustom,
}

impl LogParser {
    /// Every parser with its registry name (aliases resolved by [`LogParser::from_name`]).
    pub const ALL: [(LogParser, &'static str); 15] = [
        (LogParser::Pytest, "parse_log_pytest"),
        (LogParser::PytestOptions, "parse_log_pytest_options"),
        (LogParser::PytestV2, "parse_log_pytest_v2"),
        (LogParser::Django, "parse_log_django"),
        (LogParser::Seaborn, "parse_log_seaborn"),
        (LogParser::Sympy, "parse_log_sympy"),
        (LogParser::Matplotlib, "parse_log_matplotlib"),
        (LogParser::GoTest, "parse_log_gotest"),
        (LogParser::Cargo, "parse_log_cargo"),
        (LogParser::Jest, "parse_log_jest"),
        (LogParser::JestJson, "parse_log_jest_json"),
        (LogParser::Vitest, "parse_log_vitest"),
        (LogParser::Maven, "parse_log_maven"),
        (LogParser::Ant, "parse_log_ant"),
        (LogParser::GradleCustom, "parse_log_gradle_custom"),
    ];

    /// The official registry name.
    pub fn name(self) -> &'static str {
        LogParser::ALL
            .iter()
            .find(|(p, _)| *p == self)
            .map_or("parse_log_pytest", |(_, n)| n)
    }

    /// A registry name (with or without the `parse_log_` prefix), including the official
    /// aliases (`parse_log_flask` is the pytest parser, ...), and `unittest` for the unittest
    /// verbose format the django runner prints.
    pub fn from_name(name: &str) -> Option<LogParser> {
        let short = name
            .trim()
            .strip_prefix("parse_log_")
            .unwrap_or(name.trim());
        Some(match short {
            "pytest" | "astroid" | "flask" | "marshmallow" | "pvlib" | "pyvista" | "sqlfluff"
            | "xarray" => LogParser::Pytest,
            "pytest_options" | "pydicom" | "requests" | "pylint" => LogParser::PytestOptions,
            "pytest_v2" | "astropy" | "scikit" | "sphinx" => LogParser::PytestV2,
            "django" | "unittest" => LogParser::Django,
            "seaborn" => LogParser::Seaborn,
            "sympy" => LogParser::Sympy,
            "matplotlib" => LogParser::Matplotlib,
            "gotest" | "go_test" | "go" => LogParser::GoTest,
            "cargo" | "cargo_test" | "rust" => LogParser::Cargo,
            "jest" => LogParser::Jest,
            "jest_json" => LogParser::JestJson,
            "vitest" => LogParser::Vitest,
            "maven" => LogParser::Maven,
            "ant" => LogParser::Ant,
            "gradle_custom" | "gradle" => LogParser::GradleCustom,
            _ => return None,
        })
    }

    /// The parser the official datasets use for a repository, when an instance names none.
    pub fn for_repo(repo: &str) -> Option<LogParser> {
        Some(match repo {
            "astropy/astropy" | "scikit-learn/scikit-learn" | "sphinx-doc/sphinx" => {
                LogParser::PytestV2
            }
            "django/django" => LogParser::Django,
            "matplotlib/matplotlib" => LogParser::Matplotlib,
            "mwaskom/seaborn" => LogParser::Seaborn,
            "sympy/sympy" => LogParser::Sympy,
            "psf/requests" | "pydicom/pydicom" | "pylint-dev/pylint" => LogParser::PytestOptions,
            "marshmallow-code/marshmallow"
            | "pallets/flask"
            | "pvlib/pvlib-python"
            | "pydata/xarray"
            | "pylint-dev/astroid"
            | "pytest-dev/pytest"
            | "pyvista/pyvista"
            | "sqlfluff/sqlfluff" => LogParser::Pytest,
            "caddyserver/caddy"
            | "hashicorp/terraform"
            | "prometheus/prometheus"
            | "gohugoio/hugo"
            | "gin-gonic/gin" => LogParser::GoTest,
            "burntsushi/ripgrep" | "sharkdp/bat" | "astral-sh/ruff" | "tokio-rs/tokio"
            | "uutils/coreutils" | "nushell/nushell" | "tokio-rs/axum" => LogParser::Cargo,
            "google/gson" | "apache/druid" | "javaparser/javaparser" => LogParser::Maven,
            "projectlombok/lombok" => LogParser::Ant,
            "apache/lucene" | "reactivex/rxjava" => LogParser::GradleCustom,
            "babel/babel" | "facebook/docusaurus" => LogParser::Jest,
            "vuejs/core" => LogParser::Vitest,
            _ => return None,
        })
    }

    /// What `strict` mode changes for this parser (empty: it parses as the official one).
    pub fn strict_fixes(self) -> &'static [&'static str] {
        match self {
            LogParser::Pytest | LogParser::PytestOptions | LogParser::Matplotlib => &[
                "a parametrized id is kept whole (the official parser keeps its first word, so `[NOT x]` and `[NOT y]` collide as `[NOT`)",
                "XPASS counts as passing (the official parser drops it, so the test is missing)",
                "only the last short-summary block is read, so status lines a test prints, or a patch prints after the summary, are not taken as results",
            ],
            LogParser::PytestV2 => &[
                "XPASS counts as passing",
                "only the last short-summary block is read",
            ],
            LogParser::Django => &[
                "an `ok` line passes the pending test only when that test has no result yet (the official parser passes a FAILED test when any later line starts with `ok`)",
            ],
            LogParser::Sympy => &[
                "the last test of each file, printed with the file's `[OK]`/`[FAIL]` on its line, is recorded (the official parser drops it)",
                "a test name run in two files keeps the worse result (the official parser keeps whichever came last)",
            ],
            _ => &[],
        }
    }

    /// Whether `id` is not a test id at all but a piece of a line the official parser misreads
    /// as one, so that it can only ever appear in the official status map. Real datasets list
    /// such ids: with pytest's live logging the progress column (`PASSED   [100%]` on a line of
    /// its own) reads as a test named `[100%]` (or `[` when the column is `[ 50%]`), and a
    /// status word at the start of a line a test prints gives its next word. For the pytest
    /// parsers a real id is a node id (`path::name`) or a module path (`tests/test_x.py`, for an
    /// error while collecting); anything else is such an artifact. Strict mode grades these ids
    /// by the official rule alone.
    pub fn official_artifact_id(self, id: &str) -> bool {
        match self {
            LogParser::Pytest
            | LogParser::PytestOptions
            | LogParser::Matplotlib
            | LogParser::PytestV2 => {
                let id = id.trim();
                !(id.contains("::") || id.ends_with(".py"))
            }
            _ => false,
        }
    }

    /// Parses a log.
    pub fn parse(self, log: &str, mode: GradingMode) -> StatusMap {
        match (self, mode) {
            (LogParser::Pytest, GradingMode::Official) => pytest_official(log, false),
            (LogParser::Matplotlib, GradingMode::Official) => pytest_official(log, true),
            (LogParser::PytestOptions, GradingMode::Official) => pytest_options_official(log),
            (LogParser::PytestV2, GradingMode::Official) => pytest_v2(log, false),
            (LogParser::Pytest | LogParser::PytestOptions, GradingMode::Strict) => {
                pytest_strict(log, self == LogParser::PytestOptions, false)
            }
            (LogParser::Matplotlib, GradingMode::Strict) => pytest_strict(log, false, true),
            (LogParser::PytestV2, GradingMode::Strict) => pytest_v2(log, true),
            (LogParser::Django, m) => django(log, m),
            (LogParser::Seaborn, _) => seaborn(log),
            (LogParser::Sympy, m) => sympy(log, m),
            (LogParser::GoTest, _) => gotest(log),
            (LogParser::Cargo, _) => cargo(log),
            (LogParser::Jest, _) => jest(log),
            (LogParser::JestJson, _) => jest_json(log),
            (LogParser::Vitest, _) => vitest(log),
            (LogParser::Maven, _) => maven(log),
            (LogParser::Ant, _) => ant(log),
            (LogParser::GradleCustom, _) => gradle_custom(log),
        }
    }
}

// --- Python string semantics -------------------------------------------------------------

/// Python's `str.isspace`: Unicode White_Space plus the four information separators.
pub(super) fn py_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// Python's `str.split()` without arguments.
pub(super) fn py_split(s: &str) -> Vec<&str> {
    py_words(s).collect()
}

/// The words of `py_split`, lazily.
pub(super) fn py_words(s: &str) -> impl Iterator<Item = &str> {
    s.split(py_space).filter(|w| !w.is_empty())
}

/// Python's `str.strip()` without arguments.
pub(super) fn py_strip(s: &str) -> &str {
    s.trim_matches(py_space)
}

pub(super) fn re(cell: &'static OnceLock<Option<Regex>>, pattern: &str) -> Option<&'static Regex> {
    cell.get_or_init(|| Regex::new(pattern).ok()).as_ref()
}

/// The official `TestStatus` words; XPASS is not among them.
pub(super) const STATUS_WORDS: [&str; 5] = ["FAILED", "PASSED", "SKIPPED", "ERROR", "XFAIL"];

pub(super) fn starts_with_status(line: &str) -> bool {
    STATUS_WORDS.iter().any(|w| line.starts_with(w))
}

/// `SKIPPED [N] path:line: reason` is a grouped skip summary, not a test.
pub(super) fn is_skip_summary(status: &str, name: &str) -> bool {
    status == "SKIPPED"
        && name.len() > 2
        && name.starts_with('[')
        && name.ends_with(']')
        && name[1..name.len() - 1].bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_whitespace_includes_the_separators() {
        assert_eq!(py_split("a\u{1f}b  c"), vec!["a", "b", "c"]);
        assert_eq!(py_strip("\u{1c} x \u{a0}"), "x");
    }

    #[test]
    fn official_pytest_keeps_the_first_word_and_drops_xpass() {
        let log =
            "PASSED t.py::test_a[NOT x]\nFAILED t.py::test_a[NOT y] - boom\nXPASS t.py::test_b\n";
        let m = LogParser::Pytest.parse(log, GradingMode::Official);
        assert_eq!(m.len(), 1);
        assert_eq!(m.get("t.py::test_a[NOT"), Some("FAILED"));
        let s = LogParser::Pytest.parse(log, GradingMode::Strict);
        assert_eq!(s.get("t.py::test_a[NOT x]"), Some("PASSED"));
        assert_eq!(s.get("t.py::test_a[NOT y]"), Some("FAILED"));
        assert_eq!(s.get("t.py::test_b"), Some("XPASS"));
    }

    #[test]
    fn status_map_keeps_first_position() {
        let mut m = StatusMap::default();
        m.insert("a", "PASSED");
        m.insert("b", "PASSED");
        m.insert("a", "FAILED");
        assert_eq!(
            m.iter().collect::<Vec<_>>(),
            vec![("a", "FAILED"), ("b", "PASSED")]
        );
    }
}
