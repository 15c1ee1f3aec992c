//! SWE-bench's own output layout, written beside the store so tooling built for the official
//! harness keeps working: `swebench/<model>/<instance_id>/{report.json,test_output.txt,patch.diff}`
//! and the run report `swebench/<model>.<run_id>.json` (counts and id lists, schema 2).

use crate::{RunStore, StoreError};
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use tribench_types::swebench::{ReportFile, RunReport};
use tribench_types::{FamilyKind, Outcome, TrialRecord};

/// What the run report needs beyond the trials.
pub struct RunReportInput<'a> {
    /// The instances the report covers (its total): the whole dataset, or the instances
    /// selected. Trials of other instances in the store are left out of every count.
    pub dataset_ids: &'a [String],
    /// Instances that had a prediction (for agent runs: every instance run).
    pub submitted_ids: &'a [String],
    /// `model_name_or_path`, with `/` spelled `__` in paths as the official harness does.
    pub model: &'a str,
    pub run_id: &'a str,
}

/// Writes the official per-instance files and the run report; returns the report's path.
pub fn write_swebench_outputs(
    store: &RunStore,
    input: &RunReportInput<'_>,
) -> Result<PathBuf, StoreError> {
    let covered: BTreeSet<&String> = input.dataset_ids.iter().collect();
    let trials: Vec<TrialRecord> = store
        .trials()?
        .into_iter()
        .filter(|t| {
            t.family == FamilyKind::Swebench && t.attempt == 1 && covered.contains(&t.task_id)
        })
        .collect();
    let model_dir = input.model.replace('/', "__");
    let base = store.dir().join("swebench");
    let io = |e: std::io::Error, p: &std::path::Path| StoreError::Io {
        path: p.to_path_buf(),
        source: e,
    };
    // Every name below comes from a dataset, a predictions file or a flag: none may lead out
    // of `swebench/` (a task id `../../x` would write wherever it points).
    let refuse = |what: &str, name: &str| {
        let why = format!("{what} {name:?} cannot name a folder of the official layout");
        io(
            std::io::Error::new(std::io::ErrorKind::InvalidInput, why),
            &base,
        )
    };
    if !tribench_types::is_plain_file_name(&model_dir) {
        return Err(refuse("the model name", input.model));
    }
    if !tribench_types::is_plain_file_name(input.run_id) {
        return Err(refuse("the run id", input.run_id));
    }
    if let Some(t) = trials
        .iter()
        .find(|t| !tribench_types::is_plain_file_name(&t.task_id))
    {
        return Err(refuse("the instance id", &t.task_id));
    }
    let mut completed = BTreeSet::new();
    let mut resolved = BTreeSet::new();
    let mut unresolved = BTreeSet::new();
    let mut empty = BTreeSet::new();
    let mut errors = BTreeSet::new();
    let mut infra = BTreeSet::new();
    let mut ambiguous = BTreeSet::new();
    let mut reasons = BTreeMap::new();
    for t in &trials {
        let id = t.task_id.clone();
        let dir = base.join(&model_dir).join(&id);
        std::fs::create_dir_all(&dir).map_err(|e| io(e, &dir))?;
        // A patch that did not apply produced no test output, only the harness's log of it.
        let output_name = match t.outcome {
            Outcome::PatchApplyFailed => "run_instance.log",
            _ => "test_output.txt",
        };
        for (from, to) in [
            ("diff.patch", "patch.diff"),
            ("test-output-1.txt", output_name),
        ] {
            let src = store.artifact(&t.trial_id, from);
            if src.is_file() {
                std::fs::copy(&src, dir.join(to)).map_err(|e| io(e, &src))?;
            }
        }
        let report_bytes = std::fs::read(store.artifact(&t.trial_id, "report.json")).ok();
        let report: Option<ReportFile> = report_bytes
            .as_deref()
            .and_then(|b| serde_json::from_slice(b).ok());
        match t.outcome {
            Outcome::EmptyPatch => {
                empty.insert(id.clone());
                continue;
            }
            Outcome::Resolved | Outcome::Unresolved => {
                completed.insert(id.clone());
                if t.outcome == Outcome::Resolved {
                    resolved.insert(id.clone());
                } else {
                    unresolved.insert(id.clone());
                }
                if let Some(bytes) = &report_bytes {
                    let path = dir.join("report.json");
                    std::fs::write(&path, bytes).map_err(|e| io(e, &path))?;
                }
            }
            // The official harness writes no report for these: they are its error ids.
            _ => {
                errors.insert(id.clone());
            }
        }
        let entry = report.as_ref().and_then(|r| r.get(&id));
        if let Some(reason) = entry.and_then(|e| e.infra_failure_reason.clone()) {
            reasons.insert(id.clone(), reason);
            if entry.is_some_and(|e| e.infra_failure) {
                infra.insert(id.clone());
            } else {
                ambiguous.insert(id.clone());
            }
        }
    }
    let submitted: BTreeSet<&String> = input
        .submitted_ids
        .iter()
        .filter(|i| covered.contains(i))
        .collect();
    let incomplete: BTreeSet<&String> = input
        .dataset_ids
        .iter()
        .filter(|i| !submitted.contains(i))
        .collect();
    let report = RunReport {
        total_instances: input.dataset_ids.len(),
        submitted_instances: submitted.len(),
        completed_instances: completed.len(),
        resolved_instances: resolved.len(),
        unresolved_instances: unresolved.len(),
        infra_failure_instances: infra.len(),
        ambiguous_failure_instances: ambiguous.len(),
        empty_patch_instances: empty.len(),
        error_instances: errors.len(),
        completed_ids: completed,
        incomplete_ids: incomplete.into_iter().cloned().collect(),
        empty_patch_ids: empty,
        submitted_ids: submitted.into_iter().cloned().collect(),
        resolved_ids: resolved,
        unresolved_ids: unresolved,
        infra_failure_ids: infra,
        ambiguous_failure_ids: ambiguous,
        failure_reasons: reasons,
        error_ids: errors,
        schema_version: 2,
    };
    std::fs::create_dir_all(&base).map_err(|e| io(e, &base))?;
    let path = base.join(format!("{model_dir}.{}.json", input.run_id));
    // As the official harness prints it: Python's layout, then a newline.
    let mut text = tribench_types::python_json(&report);
    text.push(b'\n');
    std::fs::write(&path, text).map_err(|e| io(e, &path))?;
    Ok(path)
}
