//! Importers: other harnesses' results turned into tribench runs, so what people already ran can
//! be reported on and compared. Each reads its source's own files as its tools write them and
//! maps their verdicts onto tribench outcomes; what a format does not say stays unset.

mod aider;
mod aider_leaderboard;
mod harbor;
mod swebench;
mod terminal_bench;

pub use aider::import_aider;
pub use aider_leaderboard::{read_aider_leaderboard, LeaderboardEntry, LeaderboardRow};
pub use harbor::import_harbor;
pub use swebench::import_swebench;
pub use terminal_bench::import_terminal_bench;

use crate::{RunStore, StoreError};
use serde_json::Value;
use std::path::{Path, PathBuf};
use tribench_types::{
    DatasetInfo, EnvironmentInfo, FamilyKind, Outcome, RunManifest, ScaffoldInfo, Timeouts,
    TrialKey, TrialRecord, Usage,
};

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{}: {message}", path.display())]
    Invalid { path: PathBuf, message: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What an importer produced, before it is written.
#[derive(Debug)]
pub struct Imported {
    pub manifest: RunManifest,
    pub trials: Vec<TrialRecord>,
    /// Notes for the user: duplicates removed, fields missing, limits of the source.
    pub notes: Vec<String>,
}

impl Imported {
    /// The run an importer read: its manifest from `parts`, its trials, and notes for the user.
    pub(crate) fn new(
        parts: ManifestParts<'_>,
        trials: Vec<TrialRecord>,
        notes: Vec<String>,
    ) -> Self {
        Imported {
            manifest: manifest(parts),
            trials,
            notes,
        }
    }

    /// Writes the run into `dir`, which must not hold a run already.
    pub fn write(&self, dir: &Path) -> Result<(), ImportError> {
        if dir.join("manifest.json").exists() {
            return Err(ImportError::Invalid {
                path: dir.to_path_buf(),
                message: "already holds a run; import into a new directory".into(),
            });
        }
        let store = RunStore::open_for_writing(dir)?;
        store.record_many(&self.trials)?;
        store.write_manifest(&self.manifest)?;
        Ok(())
    }
}

/// Adds the note "`n` `what`" when `n` counts anything: trials or files an importer treated
/// apart, said only when there were some.
pub(crate) fn note_count(notes: &mut Vec<String>, n: usize, what: &str) {
    if n > 0 {
        notes.push(format!("{n} {what}"));
    }
}

pub(crate) fn read_json(path: &Path) -> Result<Value, ImportError> {
    let bytes = std::fs::read(path).map_err(|e| ImportError::Invalid {
        path: path.into(),
        message: format!("cannot read: {e}"),
    })?;
    serde_json::from_slice(&bytes).map_err(|e| ImportError::Invalid {
        path: path.into(),
        message: format!("not valid JSON: {e}"),
    })
}

pub(crate) fn invalid(path: &Path, message: impl Into<String>) -> ImportError {
    ImportError::Invalid {
        path: path.to_path_buf(),
        message: message.into(),
    }
}

/// Files named `name` under `root` (any depth), sorted.
pub(crate) fn find_files(root: &Path, name: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if e.file_name() == name {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// Milliseconds between two timestamps, when both parse (RFC 3339, or ISO 8601 without a zone,
/// taken as UTC, as Python's `isoformat()` writes them).
pub(crate) fn span_ms(start: Option<&str>, end: Option<&str>) -> u64 {
    match (start.and_then(parse_time), end.and_then(parse_time)) {
        (Some(a), Some(b)) if b >= a => u64::try_from((b - a).num_milliseconds()).unwrap_or(0),
        _ => 0,
    }
}

fn parse_time(s: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    let s = s.trim();
    chrono::DateTime::parse_from_rfc3339(s)
        .map(|d| d.with_timezone(&chrono::Utc))
        .ok()
        .or_else(|| {
            ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"]
                .iter()
                .find_map(|f| chrono::NaiveDateTime::parse_from_str(s, f).ok())
                .map(|n| n.and_utc())
        })
}

pub(crate) fn str_of<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

pub(crate) fn u64_of(v: &Value, key: &str) -> u64 {
    v.get(key).and_then(Value::as_u64).unwrap_or(0)
}

/// Whether `key` holds a token count (a whole number, not negative): anything else, missing
/// or garbage, leaves the tokens unknown rather than 0.
pub(crate) fn count_known(v: &Value, key: &str) -> bool {
    v.get(key).and_then(Value::as_u64).is_some()
}

/// A cost in USD under `key`; `None` (unknown, never 0) when missing or not a finite,
/// non-negative number ("abc", "free", -1).
pub(crate) fn cost_of(v: &Value, key: &str) -> Option<f64> {
    (v.get(key).and_then(Value::as_f64)).filter(|c| c.is_finite() && *c >= 0.0)
}

/// A trial record with the fields every importer fills the same way.
pub(crate) fn trial(
    family: FamilyKind,
    task_id: &str,
    attempt: u32,
    group: &str,
    agent: &str,
    outcome: Outcome,
) -> TrialRecord {
    let key = TrialKey {
        task_id: task_id.to_string(),
        attempt,
    };
    TrialRecord {
        passed_on_try: (outcome == Outcome::Resolved).then_some(1),
        // Unknown until the importer reads them from its source.
        usage: Usage {
            tokens_unknown: true,
            cost_unknown: true,
            ..Usage::default()
        },
        ..TrialRecord::new(&key, family, group, agent, outcome)
    }
}

pub(crate) struct ManifestParts<'a> {
    pub run_id: String,
    pub agent: String,
    pub agent_version: String,
    pub config: String,
    pub model: Option<(String, String)>,
    pub dataset: String,
    pub dataset_version: Option<String>,
    pub family: FamilyKind,
    pub source: &'a Path,
    pub tasks: usize,
    pub attempts: u32,
    pub max_tries: Option<u32>,
    pub harness: String,
    /// When the run started and, if the source says, ended; `None`: the source records no
    /// dates.
    pub dates: Option<(String, Option<String>)>,
}

fn manifest(p: ManifestParts<'_>) -> RunManifest {
    let (started_at, ended_at) = p.dates.unzip();
    RunManifest {
        grading_mode: None,
        schema: crate::MANIFEST_SCHEMA,
        run_id: p.run_id,
        model: p.model.map(|(id, provider)| tribench_types::ModelInfo {
            id,
            provider,
            endpoint: String::new(),
            sampling: tribench_types::Sampling::default(),
        }),
        scaffold: ScaffoldInfo {
            agent: p.agent,
            version: p.agent_version,
            config_hash: p.config,
            prompt_hash: None,
            settings: Default::default(),
        },
        datasets: vec![DatasetInfo {
            name: p.dataset,
            family: p.family,
            path: p.source.display().to_string(),
            version: p.dataset_version,
            // The source does not say what the tasks contained.
            checksum: String::new(),
            tasks: p.tasks,
            pin: None,
        }],
        harness_version: p.harness,
        environment: EnvironmentInfo {
            backend: "imported".into(),
            isolation: "unknown (imported)".into(),
            timeouts: Timeouts {
                setup_sec: 0,
                agent_sec: 0,
                test_sec: 0,
            },
            cpus: None,
            memory_mb: None,
            jobs: 0,
            images: Vec::new(),
            tools: Default::default(),
        },
        attempts: p.attempts,
        max_tries: p.max_tries,
        seed: 0,
        task_limits: Default::default(),
        limits: None,
        started_at: started_at.unwrap_or_default(),
        ended_at: ended_at.flatten(),
        host: String::new(),
        shard: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_count_is_noted_only_when_it_counts_something() {
        let mut notes = Vec::new();
        note_count(&mut notes, 0, "trials were odd");
        assert!(notes.is_empty());
        note_count(&mut notes, 3, "trials were odd");
        assert_eq!(notes, ["3 trials were odd"]);
    }

    #[test]
    fn timestamps_parse_with_and_without_zones() {
        assert_eq!(
            span_ms(Some("2025-01-01T00:00:00Z"), Some("2025-01-01T00:01:00.5Z")),
            60_500
        );
        assert_eq!(
            span_ms(
                Some("2025-03-01T10:00:00+02:00"),
                Some("2025-03-01T08:00:01Z")
            ),
            1000
        );
        assert_eq!(
            span_ms(
                Some("2024-12-31T23:59:59.000000"),
                Some("2025-01-01T00:00:01.000000")
            ),
            2000
        );
        assert_eq!(span_ms(Some("garbage"), Some("2025-01-01T00:00:00Z")), 0);
    }
}
