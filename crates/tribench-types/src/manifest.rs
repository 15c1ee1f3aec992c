//! `manifest.json`: everything that makes two runs comparable, written once per run.

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize};

/// Everything that makes two runs comparable, recorded once per run in `manifest.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RunManifest {
    /// Format version of this file.
    pub schema: u32,
    pub run_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<ModelInfo>,
    pub scaffold: ScaffoldInfo,
    pub datasets: Vec<DatasetInfo>,
    /// `git describe` of the tribench that ran, or the crate version outside a git checkout.
    pub harness_version: String,
    pub environment: EnvironmentInfo,
    pub attempts: u32,
    /// How many grading tries a task may get (2 for polyglot; 1 when overridden).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_tries: Option<u32>,
    pub seed: u64,
    /// SWE-bench grading rules (`official` or `strict`), when the run has SWE-bench tasks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grading_mode: Option<String>,
    /// The run's effective limits: what every trial got unless its task set its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limits: Option<crate::RunLimits>,
    /// The limits each task's trials ran under (the run's, or the task's own where it sets
    /// them), tasks of equal limits grouped.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub task_limits: Vec<crate::LimitsGroup>,
    pub started_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<String>,
    pub host: String,
    /// Set when this run directory holds one shard of a run (`--shard I/N`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<crate::ShardInfo>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ModelInfo {
    pub id: String,
    pub provider: String,
    pub endpoint: String,
    /// Sampling parameters sent with every request (`null` in old files for agents without any).
    #[serde(default, deserialize_with = "null_as_default")]
    pub sampling: Sampling,
}

/// The sampling parameters of a model, as sent. Fields are in alphabetical order so the JSON
/// text (which `compare` prints and the config hash covers) is the same as it always was.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct Sampling {
    /// Extra fields merged into every request body, as JSON (`{"chat_template_kwargs": ...}`).
    #[serde(default, deserialize_with = "compact_json")]
    pub extra_body: Option<Box<serde_json::value::RawValue>>,
    #[serde(default)]
    pub max_tokens: Option<u64>,
    #[serde(default)]
    pub seed: Option<u64>,
    #[serde(default)]
    pub temperature: Option<f64>,
    #[serde(default)]
    pub top_p: Option<f64>,
}

impl Sampling {
    /// Whether nothing is set (agents without a model of their own).
    pub fn is_unset(&self) -> bool {
        self.extra_body.is_none()
            && self.max_tokens.is_none()
            && self.seed.is_none()
            && self.temperature.is_none()
            && self.top_p.is_none()
    }
}

impl PartialEq for Sampling {
    fn eq(&self, other: &Self) -> bool {
        self.extra_body.as_ref().map(|r| r.get()) == other.extra_body.as_ref().map(|r| r.get())
            && self.max_tokens == other.max_tokens
            && self.seed == other.seed
            && self.temperature == other.temperature
            && self.top_p == other.top_p
    }
}

/// The JSON text, as `compare` prints it; `null` when nothing is set.
impl std::fmt::Display for Sampling {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.is_unset() {
            return f.write_str("null");
        }
        let text = serde_json::to_string(self).map_err(|_| std::fmt::Error)?;
        f.write_str(&text)
    }
}

/// JSON text kept compact with sorted keys, however the file laid it out, so the same settings
/// always print (and hash) the same.
fn compact_json<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<Box<serde_json::value::RawValue>>, D::Error> {
    let Some(raw) = Option::<Box<serde_json::value::RawValue>>::deserialize(d)? else {
        return Ok(None);
    };
    let parsed: serde_json::Value =
        serde_json::from_str(raw.get()).map_err(serde::de::Error::custom)?;
    let text = serde_json::to_string(&parsed).map_err(serde::de::Error::custom)?;
    serde_json::value::RawValue::from_string(text)
        .map(Some)
        .map_err(serde::de::Error::custom)
}

/// `null` reads as the type's default (old files wrote `null` where nothing was set).
fn null_as_default<'de, D: Deserializer<'de>, T: Default + Deserialize<'de>>(
    d: D,
) -> Result<T, D::Error> {
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ScaffoldInfo {
    pub agent: String,
    pub version: String,
    pub config_hash: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt_hash: Option<String>,
    /// Each setting that changes what the agent does, keyed by the flag that sets it
    /// (`--model`, `--temperature`), as text: a reused run directory is checked against these,
    /// and a difference is named.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub settings: std::collections::BTreeMap<String, String>,
}

/// One suite that took part in the run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct DatasetInfo {
    pub name: String,
    pub family: crate::FamilyKind,
    pub path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// sha256 over the ids and file contents of the tasks actually run.
    pub checksum: String,
    pub tasks: usize,
    /// The registry dataset this suite was pulled as (`-d NAME@VERSION`), when it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pin: Option<DatasetPin>,
}

/// A dataset pulled by name from the registry: what was asked for and what was verified. Written
/// beside the pulled files (`.tribench-dataset.json`) and copied into each run's manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct DatasetPin {
    /// The registry name (`swe-bench-verified`).
    pub name: String,
    pub version: String,
    /// Where it came from: `huggingface:OWNER/NAME`, `git:URL`, `harbor:URL`.
    pub source: String,
    /// The pinned revision (a commit id).
    pub revision: String,
    /// sha256 over the files used (per-file sums for downloads, the file tree for checkouts).
    pub checksum: String,
    /// True when the checksum matched one the registry pins; false when the registry has none
    /// and the first pull's checksum was trusted (then recorded, and held to on later pulls).
    pub verified: bool,
}

impl DatasetPin {
    /// The file a pull writes at the root of a pulled dataset.
    pub const FILE: &'static str = ".tribench-dataset.json";
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct EnvironmentInfo {
    /// `local` or `docker`.
    pub backend: String,
    /// How commands were confined: `bwrap (read-only host, no network, pid namespace)` or `none`.
    pub isolation: String,
    pub timeouts: Timeouts,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpus: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_mb: Option<u64>,
    pub jobs: usize,
    /// Interpreters commands got in the local sandbox, the agent's and the grader's alike
    /// (`python3` = `/usr/bin/python3 (Python 3.11.2, pytest 7.2.1)`).
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub tools: std::collections::BTreeMap<String, String>,
    /// The container images trials ran on: where each came from and its id.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub images: Vec<ImageRecord>,
}

/// One container image a run used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ImageRecord {
    /// The name a task asked for (a prebuilt image, or the build's tag).
    pub requested: String,
    /// The image the containers were created from.
    pub name: String,
    /// `present`, `pulled` or `built`.
    pub source: String,
    /// The engine's image id (`sha256:...`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    /// Why a prebuilt image was replaced by a build of the task's Dockerfile.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Timeouts {
    pub setup_sec: u64,
    pub agent_sec: u64,
    pub test_sec: u64,
}
