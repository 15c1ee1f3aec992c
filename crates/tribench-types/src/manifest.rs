use serde::{Deserialize, Serialize};

/// Everything that makes two runs comparable, recorded once per run in `manifest.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
    pub started_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<String>,
    pub host: String,
    /// Set when this run directory holds one shard of a run (`--shard I/N`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<crate::ShardInfo>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelInfo {
    pub id: String,
    pub provider: String,
    pub endpoint: String,
    #[serde(default)]
    pub sampling: serde_json::Value,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timeouts {
    pub setup_sec: u64,
    pub agent_sec: u64,
    pub test_sec: u64,
}
