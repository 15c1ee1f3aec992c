//! Patches made elsewhere, graded without any agent work: predictions (SWE-bench's
//! `preds.jsonl`, `preds.json` as a list or as a dict by instance id, as SWE-agent and
//! mini-swe-agent write them), or the final changes an earlier run recorded (`diff.patch`).
//! The one way tribench grades a patch it did not make: the task grades it
//! (`Task::grade_prediction` in tribench-families).

use crate::{Agent, AgentSession, AgentTask, Prediction};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use tribench_types::TaskInfo;

/// Grades given patches: no sandbox work, the patch goes straight to grading.
pub struct Predictions {
    name: String,
    patches: Patches,
    hash: String,
}

/// Where the patches are.
enum Patches {
    /// Instance id → patch (`None`: the prediction had none).
    Given(BTreeMap<String, Option<String>>),
    /// A run directory: each task's first attempt's `diff.patch` (none: no change).
    Run(PathBuf),
}

impl Predictions {
    /// From instance id → patch (`None`: the prediction's `model_patch` was null). `name` is the
    /// `model_name_or_path` the predictions carry.
    pub fn new(name: impl Into<String>, patches: BTreeMap<String, Option<String>>) -> Self {
        let mut h = Sha256::new();
        for (id, p) in &patches {
            h.update(id.as_bytes());
            h.update([0]);
            h.update(p.as_deref().unwrap_or("\u{0}null").as_bytes());
            h.update([0]);
        }
        Predictions {
            name: name.into(),
            patches: Patches::Given(patches),
            hash: hex::encode(h.finalize()),
        }
    }

    /// The final change each task's first attempt recorded in the run directory `source`,
    /// graded again (`tribench replay --patches`). A task with no recorded change is graded
    /// as its task was prepared.
    pub fn from_run(source: PathBuf) -> Self {
        Predictions {
            name: "replay".into(),
            hash: format!("replay:patches:{}", source.display()),
            patches: Patches::Run(source),
        }
    }

    /// Reads a predictions file: `.jsonl` (one object per line), or `.json` holding a list or
    /// an object keyed by instance id. Each prediction needs `instance_id`; `model_patch` may be
    /// null or absent (recorded as an empty patch).
    pub fn load(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
        let is_jsonl = path.extension().is_some_and(|e| e == "jsonl");
        let values: Vec<serde_json::Value> = if is_jsonl {
            let mut v = Vec::new();
            for (i, line) in text.lines().enumerate() {
                if line.trim().is_empty() {
                    continue;
                }
                v.push(
                    serde_json::from_str(line)
                        .map_err(|e| format!("{} line {}: not JSON: {e}", path.display(), i + 1))?,
                );
            }
            v
        } else {
            match serde_json::from_str::<serde_json::Value>(&text)
                .map_err(|e| format!("{}: not JSON: {e}", path.display()))?
            {
                serde_json::Value::Array(a) => a,
                serde_json::Value::Object(m) => m.into_iter().map(|(_, v)| v).collect(),
                _ => {
                    return Err(format!(
                        "{}: predictions must be a list or an object keyed by instance id",
                        path.display()
                    ))
                }
            }
        };
        let mut patches = BTreeMap::new();
        let mut name: Option<String> = None;
        for (i, v) in values.into_iter().enumerate() {
            let obj = v.as_object().ok_or_else(|| {
                format!("{}: prediction {} is not an object", path.display(), i + 1)
            })?;
            let id = obj
                .get("instance_id")
                .and_then(|v| v.as_str())
                .ok_or_else(|| {
                    format!(
                        "{}: prediction {} has no instance_id",
                        path.display(),
                        i + 1
                    )
                })?
                .to_string();
            let patch = match obj.get("model_patch") {
                None | Some(serde_json::Value::Null) => None,
                Some(serde_json::Value::String(s)) => Some(s.clone()),
                Some(other) => {
                    return Err(format!(
                        "{}: prediction {id}: model_patch must be a string, got {other}",
                        path.display()
                    ))
                }
            };
            if name.is_none() {
                name = obj
                    .get("model_name_or_path")
                    .and_then(|v| v.as_str())
                    .map(str::to_string);
            }
            if patches.insert(id.clone(), patch).is_some() {
                return Err(format!(
                    "{}: instance {id} is predicted twice",
                    path.display()
                ));
            }
        }
        Ok(Predictions::new(
            name.unwrap_or_else(|| "predictions".into()),
            patches,
        ))
    }

    /// The instances that have a prediction.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        let given = match &self.patches {
            Patches::Given(p) => Some(p.keys().map(String::as_str)),
            Patches::Run(_) => None,
        };
        given.into_iter().flatten()
    }

    pub fn model_name(&self) -> &str {
        &self.name
    }
}

impl Agent for Predictions {
    fn name(&self) -> &str {
        &self.name
    }

    fn version(&self) -> String {
        "predictions".into()
    }

    fn config_hash(&self) -> String {
        self.hash.clone()
    }

    fn prediction(&self, task: &TaskInfo) -> Option<Prediction> {
        let patch = match &self.patches {
            Patches::Given(p) => p.get(&task.id).cloned().flatten(),
            Patches::Run(source) => {
                let trial = tribench_types::TrialKey {
                    task_id: task.id.clone(),
                    attempt: 1,
                }
                .trial_id();
                let path = source.join("trials").join(trial).join("diff.patch");
                std::fs::read(path)
                    .ok()
                    .map(|b| String::from_utf8_lossy(&b).into_owned())
            }
        };
        Some(Prediction { patch })
    }

    fn start(&self, _task: AgentTask) -> Box<dyn AgentSession> {
        Box::new(crate::nop::NopSession)
    }
}
