//! From an eval log to the official verdict: the log's validity (markers, harness error lines,
//! evidence that tests ran, the test command's exit status), the FAIL_TO_PASS / PASS_TO_PASS
//! report, and FULL / PARTIAL / NO, as swebench 5.x computes them; `strict` mode on top.

use super::parse::{GradingMode, LogParser, StatusMap};
use regex::Regex;
use serde::{Deserialize, Serialize};
use std::sync::OnceLock;

pub const START_TEST_OUTPUT: &str = ">>>>> Start Test Output";
pub const END_TEST_OUTPUT: &str = ">>>>> End Test Output";
pub const TEST_EXIT_CODE: &str = ">>>>> Test Exit Code";
pub const APPLY_PATCH_FAIL: &str = ">>>>> Patch Apply Failed";
pub const RESET_FAILED: &str = ">>>>> Reset Failed";
pub const TESTS_ERROR: &str = ">>>>> Tests Errored";
pub const TESTS_TIMEOUT: &str = ">>>>> Tests Timed Out";
/// tribench's line, before the test output, when the instance's test patch did not apply to
/// the files it touches (restored to the base commit first, so the agent cannot cause it).
pub const TEST_PATCH_FAILED: &str = ">>>>> tribench: the test patch did not apply";

/// How tests that are absent from the log count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EvalType {
    /// A listed test must appear as passed (the default).
    #[default]
    PassAndFail,
    /// Only a test shown FAILED fails (runners that print failures only).
    FailOnly,
}

impl EvalType {
    pub fn parse(s: &str) -> Option<EvalType> {
        match s {
            "pass_and_fail" | "" => Some(EvalType::PassAndFail),
            "fail_only" => Some(EvalType::FailOnly),
            _ => None,
        }
    }
}

/// Repositories the official harness grades fail-only.
pub fn fail_only_repo(repo: &str) -> bool {
    matches!(
        repo,
        "chartjs/Chart.js"
            | "processing/p5.js"
            | "markedjs/marked"
            | "bpmn-io/bpmn-js"
            | "openlayers/openlayers"
            | "eslint/eslint"
    )
}

pub use tribench_types::swebench::{InstanceReport, Resolution, SuccessFailure, TestsStatus};

/// What grading one log gives.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    pub report: InstanceReport,
    /// The parsed status map (empty when the log is invalid).
    pub status: StatusMap,
    /// `None` when the log was invalid (no report); otherwise the resolution.
    pub resolution: Option<Resolution>,
    /// Why the log was not usable, in words.
    pub invalid: Option<String>,
    /// Strict mode: listed ids that are not test ids but artifacts of the official parser
    /// ([`LogParser::official_artifact_id`]), graded by the official rule for that id alone.
    pub official_rule_ids: Vec<String>,
}

/// What the grader needs of an instance.
#[derive(Debug, Clone, Copy)]
pub struct GradeSpec<'a> {
    pub fail_to_pass: &'a [String],
    pub pass_to_pass: &'a [String],
    pub parser: LogParser,
    pub eval_type: EvalType,
}

/// Python's universal-newline read: `\r\n` and lone `\r` become `\n` (the official grader
/// opens the log in text mode).
pub fn universal_newlines(s: &str) -> std::borrow::Cow<'_, str> {
    if s.contains('\r') {
        std::borrow::Cow::Owned(s.replace("\r\n", "\n").replace('\r', "\n"))
    } else {
        std::borrow::Cow::Borrowed(s)
    }
}

fn suite_ran(content: &str) -> bool {
    static RE: OnceLock<Option<Regex>> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(concat!(
            r"(?m)Executed [1-9]\d* of \d+",
            r"|TOTAL: [1-9]\d* (?:SUCCESS|FAILED)",
            r"|[1-9]\d* passing",
            r"|Tests:\s+[1-9]\d*",
            r"|Test Suites:\s+(?:\d+ \w+, )*[1-9]\d* total",
            r"|^# tests [1-9]\d*",
            r"|[1-9]\d* specs?, \d+ failures?",
            r"|': ok$",
        ))
        .ok()
    })
    .as_ref()
    .is_some_and(|re| re.is_match(content))
}

/// The test command's exit status the eval script recorded after the end marker.
pub fn test_exit_code(content: &str) -> Option<i64> {
    static RE: OnceLock<Option<Regex>> = OnceLock::new();
    let re = RE
        .get_or_init(|| Regex::new(r">>>>> Test Exit Code:\s*(-?\d+)").ok())
        .as_ref()?;
    re.captures(content)?.get(1)?.as_str().parse().ok()
}

/// `get_logs_eval`: the status map, or why the log is unusable.
pub fn logs_eval(content: &str, parser: LogParser, mode: GradingMode) -> Result<StatusMap, String> {
    let content = universal_newlines(content);
    let content = content.as_ref();
    for bad in [APPLY_PATCH_FAIL, RESET_FAILED, TESTS_ERROR, TESTS_TIMEOUT] {
        if content.contains(bad) {
            return Err(format!("the log contains `{bad}`"));
        }
    }
    if !(content.contains(START_TEST_OUTPUT) && content.contains(END_TEST_OUTPUT)) {
        return Err("the log lacks the start or end test-output marker (cut off, or the test patch did not apply)".into());
    }
    // As `content.split(START)[1].split(END)[0]`: up to a second start marker, if any.
    let after = content.split(START_TEST_OUTPUT).nth(1).unwrap_or_default();
    let sliced = after.split(END_TEST_OUTPUT).next().unwrap_or_default();
    let mut map = parser.parse(sliced, mode);
    if map.is_empty() {
        map = parser.parse(content, mode);
    }
    if map.is_empty() && !suite_ran(content) {
        return Err("no test results in the log and no sign the test suite ran".into());
    }
    let exit = test_exit_code(content);
    if let Some(code) = exit {
        if code != 0 && !map.is_empty() && !map.iter().any(|(_, s)| s == "FAILED" || s == "ERROR") {
            return Err(format!(
                "the test command exited with {code} but the log shows no failed test"
            ));
        }
    }
    Ok(map)
}

fn passing(status: &str, mode: GradingMode) -> bool {
    status == "PASSED" || status == "XFAIL" || (mode == GradingMode::Strict && status == "XPASS")
}

/// The status a listed test got; a truncated parametrized id (more `[` than `]`) prefix-matches
/// when every candidate agrees on pass or fail, and takes the first candidate's status.
fn case_status<'m>(case: &str, map: &'m StatusMap, mode: GradingMode) -> Option<&'m str> {
    if let Some((_, s)) = map.entry(case) {
        return Some(s);
    }
    if case.matches('[').count() > case.matches(']').count() {
        let mut matches = map.iter().filter(|(k, _)| k.starts_with(case));
        let (_, first) = matches.next()?;
        let p = passing(first, mode);
        if matches.all(|(_, s)| passing(s, mode) == p) {
            return Some(first);
        }
    }
    None
}

fn test_passed(status: Option<&str>, mode: GradingMode) -> bool {
    status.is_some_and(|s| passing(s, mode))
}

/// PASS_TO_PASS: a skipped test is not a regression.
fn test_maintained(status: Option<&str>, mode: GradingMode) -> bool {
    test_passed(status, mode) || status == Some("SKIPPED")
}

fn test_failed(status: Option<&str>, mode: GradingMode) -> bool {
    match status {
        None => true,
        Some(s) => {
            s == "FAILED"
                || s == "ERROR"
                || s == "SKIPPED"
                // Strict: a status word the grader does not know is not a pass.
                || (mode == GradingMode::Strict && !passing(s, mode))
        }
    }
}

/// `get_eval_tests_report`.
pub fn tests_report(map: &StatusMap, spec: &GradeSpec<'_>, mode: GradingMode) -> TestsStatus {
    tests_report_with(map, None, spec, mode)
}

/// `get_eval_tests_report`, with the official status map for the ids strict mode grades by the
/// official rule ([`LogParser::official_artifact_id`]); without it those ids are read from
/// `map` like any other.
pub fn tests_report_with(
    map: &StatusMap,
    official: Option<&StatusMap>,
    spec: &GradeSpec<'_>,
    mode: GradingMode,
) -> TestsStatus {
    // (the map, the rules) a listed id is graded by.
    let source = |case: &str| -> (&StatusMap, GradingMode) {
        match official {
            Some(o) if mode == GradingMode::Strict && spec.parser.official_artifact_id(case) => {
                (o, GradingMode::Official)
            }
            _ => (map, mode),
        }
    };
    let mut out = TestsStatus::default();
    for case in spec.fail_to_pass {
        let sf = &mut out.fail_to_pass;
        let (map, mode) = source(case);
        match spec.eval_type {
            EvalType::PassAndFail => {
                let status = case_status(case, map, mode);
                if test_passed(status, mode) {
                    sf.success.push(case.clone());
                } else if test_failed(status, mode) {
                    sf.failure.push(case.clone());
                }
            }
            EvalType::FailOnly => fail_only(case, map, sf),
        }
    }
    for case in spec.pass_to_pass {
        let sf = &mut out.pass_to_pass;
        let (map, mode) = source(case);
        match spec.eval_type {
            EvalType::PassAndFail => {
                let status = case_status(case, map, mode);
                if test_maintained(status, mode) {
                    sf.success.push(case.clone());
                } else if test_failed(status, mode) {
                    sf.failure.push(case.clone());
                }
            }
            EvalType::FailOnly => fail_only(case, map, sf),
        }
    }
    out
}

fn fail_only(case: &str, map: &StatusMap, sf: &mut SuccessFailure) {
    if map.get(case) == Some("FAILED") {
        sf.failure.push(case.to_string());
    } else {
        sf.success.push(case.to_string());
    }
}

/// `get_resolution_status`: FULL when every FAIL_TO_PASS and PASS_TO_PASS test succeeded (an
/// empty list counts as all), PARTIAL when some but not all FAIL_TO_PASS did and every
/// PASS_TO_PASS did.
pub fn resolution(report: &TestsStatus) -> Resolution {
    // success / (success + failure) == 1, an empty list counting as 1.
    let f2p_all = report.fail_to_pass.failure.is_empty();
    let p2p_all = report.pass_to_pass.failure.is_empty();
    let f2p_some = !report.fail_to_pass.success.is_empty();
    if f2p_all && p2p_all {
        Resolution::Full
    } else if !f2p_all && f2p_some && p2p_all {
        Resolution::Partial
    } else {
        Resolution::No
    }
}

/// `classify_logs` on the test output: (reason, environment tier?) for logs without results.
pub fn classify_infra(content: &str) -> Option<(&'static str, bool)> {
    static SIGS: OnceLock<Vec<(&'static str, bool, Regex)>> = OnceLock::new();
    let sigs = SIGS.get_or_init(|| {
        [
            (
                "browser_launch_failed",
                true,
                r"Failed to launch|Failed to connect to the bus",
            ),
            (
                "display_unavailable",
                true,
                r"cannot open display|Missing X server|unable to open X display",
            ),
            (
                "out_of_memory",
                true,
                r"(?m)Cannot allocate memory|OutOfMemoryError|^Killed$",
            ),
            (
                "container_unavailable",
                true,
                r"Error response from daemon|Cannot connect to the Docker daemon",
            ),
            (
                "network_unreachable",
                true,
                r"Could not resolve host|Temporary failure in name resolution",
            ),
            (
                "missing_module",
                false,
                r"Cannot find module|MODULE_NOT_FOUND|ModuleNotFoundError",
            ),
            (
                "no_tests_collected",
                false,
                r"no tests ran|collected 0 items",
            ),
            (
                "tests_timed_out",
                false,
                r"Timeout error: \d+ seconds exceeded",
            ),
        ]
        .into_iter()
        .filter_map(|(r, env, p)| Some((r, env, Regex::new(p).ok()?)))
        .collect()
    });
    if content.is_empty() {
        return None;
    }
    let content = universal_newlines(content);
    sigs.iter()
        .find(|(_, _, re)| re.is_match(&content))
        .map(|(r, env, _)| (*r, *env))
}

/// `get_eval_report` for a prediction whose patch exists: grades one eval log.
pub fn grade_log(log: &str, spec: &GradeSpec<'_>, mode: GradingMode) -> Verdict {
    let mut report = InstanceReport {
        patch_exists: true,
        ..InstanceReport::default()
    };
    match logs_eval(log, spec.parser, mode) {
        Err(why) => {
            if let Some((reason, environment)) = classify_infra(log) {
                report.infra_failure = environment;
                report.infra_failure_reason = Some(reason.to_string());
            }
            Verdict {
                report,
                status: StatusMap::default(),
                resolution: None,
                invalid: Some(why),
                official_rule_ids: Vec::new(),
            }
        }
        Ok(map) => {
            report.patch_successfully_applied = true;
            // Strict: dataset ids born of the official parser's misreadings exist only in the
            // official map; grade each by the official rule (the official map, or missing when
            // the official grader rejects the log).
            let official_rule_ids: Vec<String> = if mode == GradingMode::Strict {
                spec.fail_to_pass
                    .iter()
                    .chain(spec.pass_to_pass)
                    .filter(|c| spec.parser.official_artifact_id(c))
                    .cloned()
                    .collect()
            } else {
                Vec::new()
            };
            let official = if official_rule_ids.is_empty() {
                None
            } else {
                Some(logs_eval(log, spec.parser, GradingMode::Official).unwrap_or_default())
            };
            let tests = tests_report_with(&map, official.as_ref(), spec, mode);
            let res = resolution(&tests);
            report.resolved = res == Resolution::Full;
            report.tests_status = Some(tests);
            Verdict {
                report,
                status: map,
                resolution: Some(res),
                invalid: None,
                official_rule_ids,
            }
        }
    }
}

/// The report of a prediction without a patch (`model_patch` null).
pub fn no_patch_report() -> InstanceReport {
    InstanceReport {
        patch_is_none: true,
        ..InstanceReport::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log(body: &str, exit: i32) -> String {
        format!("+ : '{START_TEST_OUTPUT}'\n{body}\n+ : '{END_TEST_OUTPUT}'\n{TEST_EXIT_CODE}: {exit}\n")
    }

    #[test]
    fn full_partial_no() {
        let f2p = vec!["a".to_string(), "b".to_string()];
        let p2p = vec!["c".to_string()];
        let spec = GradeSpec {
            fail_to_pass: &f2p,
            pass_to_pass: &p2p,
            parser: LogParser::Pytest,
            eval_type: EvalType::PassAndFail,
        };
        let v = grade_log(
            &log("PASSED a\nPASSED b\nSKIPPED c", 0),
            &spec,
            GradingMode::Official,
        );
        assert_eq!(v.resolution, Some(Resolution::Full));
        let v = grade_log(
            &log("PASSED a\nFAILED b\nPASSED c", 1),
            &spec,
            GradingMode::Official,
        );
        assert_eq!(v.resolution, Some(Resolution::Partial));
        // A skipped FAIL_TO_PASS test fails.
        let v = grade_log(
            &log("PASSED a\nSKIPPED b\nPASSED c", 0),
            &spec,
            GradingMode::Official,
        );
        assert_eq!(v.resolution, Some(Resolution::Partial));
        // Non-zero exit with no failure: invalid.
        let v = grade_log(
            &log("PASSED a\nPASSED b\nPASSED c", 2),
            &spec,
            GradingMode::Official,
        );
        assert_eq!(v.resolution, None);
        assert!(!v.report.patch_successfully_applied);
    }

    #[test]
    fn crlf_logs_read_as_python_does() {
        assert_eq!(universal_newlines("a\r\nb\rc\n"), "a\nb\nc\n");
    }
}
