//! SWE-bench's files in a trial folder: the official `report.json` entry (field for field as
//! swebench 5.x writes it) and tribench's `grading.json`, which keeps both grading modes'
//! verdicts so an audit can explain every disagreement without re-running anything.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// `{"success": [...], "failure": [...]}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SuccessFailure {
    pub success: Vec<String>,
    pub failure: Vec<String>,
}

/// The official per-test report.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct TestsStatus {
    #[serde(rename = "FAIL_TO_PASS", default)]
    pub fail_to_pass: SuccessFailure,
    #[serde(rename = "PASS_TO_PASS", default)]
    pub pass_to_pass: SuccessFailure,
    #[serde(rename = "FAIL_TO_FAIL", default)]
    pub fail_to_fail: SuccessFailure,
    #[serde(rename = "PASS_TO_FAIL", default)]
    pub pass_to_fail: SuccessFailure,
}

/// One instance's entry in the official `report.json` (`{instance_id: InstanceReport}`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct InstanceReport {
    #[serde(rename = "patch_is_None")]
    pub patch_is_none: bool,
    pub patch_exists: bool,
    pub patch_successfully_applied: bool,
    pub resolved: bool,
    #[serde(default)]
    pub infra_failure: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub infra_failure_reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tests_status: Option<TestsStatus>,
}

/// A trial's `report.json`: one entry, keyed by instance id.
pub type ReportFile = BTreeMap<String, InstanceReport>;

/// FULL / PARTIAL / NO.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum Resolution {
    #[serde(rename = "RESOLVED_FULL")]
    Full,
    #[serde(rename = "RESOLVED_PARTIAL")]
    Partial,
    #[serde(rename = "RESOLVED_NO")]
    No,
}

/// What `grading.json` holds.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct GradingDetails {
    /// The mode that decided the outcome: `official` or `strict`.
    #[serde(default)]
    pub mode: String,
    /// The log parser, by its official name (`pytest`, `django`, `sympy`, ...).
    #[serde(default)]
    pub parser: String,
    /// The official grader's verdict (`None` only in files that never graded).
    #[serde(default)]
    pub official: Option<ModeVerdict>,
    /// The strict verdict; `None` when the patch did not apply (nothing ran).
    #[serde(default)]
    pub strict: Option<ModeVerdict>,
    /// Why the patch looks like it games the grader (it touches what the grader runs).
    #[serde(default)]
    pub suspicious: Vec<String>,
    /// What applying the patch printed.
    #[serde(default)]
    pub apply_log: String,
    #[serde(default)]
    pub empty_patch: bool,
}

/// One grading mode's verdict on the test log.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ModeVerdict {
    pub resolved: bool,
    /// `None` when the log was not usable or the patch did not apply.
    #[serde(default)]
    pub resolution: Option<Resolution>,
    /// Why the log was not usable, in words.
    #[serde(default)]
    pub invalid: Option<String>,
    #[serde(default)]
    pub tests_status: Option<TestsStatus>,
    /// Each test id the parser read, with its raw status word (`PASSED`, `FAILED`, ...).
    #[serde(default)]
    pub status_map: Option<BTreeMap<String, String>>,
    /// Listed ids that are artifacts of the official parser, graded by its rule in strict mode.
    #[serde(default)]
    pub official_rule_ids: Vec<String>,
}

/// The official run report, `swebench/<model>.<run_id>.json` (schema 2), fields in the
/// official order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RunReport {
    pub total_instances: usize,
    pub submitted_instances: usize,
    pub completed_instances: usize,
    pub resolved_instances: usize,
    pub unresolved_instances: usize,
    pub infra_failure_instances: usize,
    pub ambiguous_failure_instances: usize,
    pub empty_patch_instances: usize,
    pub error_instances: usize,
    pub completed_ids: BTreeSet<String>,
    pub incomplete_ids: BTreeSet<String>,
    pub empty_patch_ids: BTreeSet<String>,
    pub submitted_ids: BTreeSet<String>,
    pub resolved_ids: BTreeSet<String>,
    pub unresolved_ids: BTreeSet<String>,
    pub infra_failure_ids: BTreeSet<String>,
    pub ambiguous_failure_ids: BTreeSet<String>,
    /// Why an instance failed for the harness, by instance id.
    pub failure_reasons: BTreeMap<String, String>,
    pub error_ids: BTreeSet<String>,
    pub schema_version: u32,
}
