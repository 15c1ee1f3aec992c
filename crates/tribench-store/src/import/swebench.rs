//! SWE-bench evaluation output: the run report (`<model>.<run_id>.json`, with `total_instances`
//! and the `resolved_ids`/`unresolved_ids`/`empty_patch_ids`/`error_ids` lists) and/or the
//! per-instance `report.json` files under `logs/run_evaluation/<run_id>/<model>/<id>/`.

use super::{
    find_files, invalid, manifest, read_json, trial, ImportError, Imported, ManifestParts,
};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use tribench_types::{FamilyKind, Outcome, TestResult, TestStatus, TryRecord};

/// Imports a SWE-bench run report file, or a directory of per-instance `report.json` files
/// (with the run report beside them when there is one).
pub fn import_swebench(path: &Path, dataset: &str) -> Result<Imported, ImportError> {
    let mut notes = Vec::new();
    let mut outcomes: BTreeMap<String, (Outcome, Option<String>)> = BTreeMap::new();
    let mut tests: BTreeMap<String, Vec<TestResult>> = BTreeMap::new();
    let mut total = None;
    let mut run_id = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();

    let run_reports: Vec<std::path::PathBuf> = if path.is_file() {
        vec![path.to_path_buf()]
    } else {
        std::fs::read_dir(path)
            .map_err(|e| invalid(path, format!("cannot read: {e}")))?
            .flatten()
            .map(|e| e.path())
            .filter(|p| {
                p.extension().is_some_and(|x| x == "json")
                    && p.file_name().is_some_and(|n| n != "report.json")
            })
            .collect()
    };
    for rr in &run_reports {
        let v = read_json(rr)?;
        if v.get("resolved_ids").is_none() {
            continue;
        }
        run_id = rr
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or(run_id);
        total = v.get("total_instances").and_then(Value::as_u64);
        let mut duplicates = 0usize;
        // Earlier lists win when an id is in several: a resolved instance stays resolved.
        for (key, outcome, why) in [
            ("resolved_ids", Outcome::Resolved, None),
            ("unresolved_ids", Outcome::Unresolved, None),
            ("empty_patch_ids", Outcome::EmptyPatch, Some("empty patch")),
            (
                "error_ids",
                Outcome::HarnessError,
                Some("the SWE-bench harness reported an evaluation error"),
            ),
        ] {
            let mut seen = BTreeSet::new();
            for id in v
                .get(key)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
            {
                if !seen.insert(id) || outcomes.contains_key(id) {
                    duplicates += 1;
                    continue;
                }
                outcomes.insert(id.to_string(), (outcome, why.map(String::from)));
            }
        }
        if duplicates > 0 {
            notes.push(format!(
                "{duplicates} duplicate ids in the run report's lists were removed"
            ));
        }
    }
    if path.is_dir() {
        for rp in find_files(path, "report.json") {
            let v = read_json(&rp)?;
            let Some(obj) = v.as_object() else { continue };
            for (id, r) in obj {
                let resolved = r.get("resolved").and_then(Value::as_bool).unwrap_or(false);
                let applied = r
                    .get("patch_successfully_applied")
                    .and_then(Value::as_bool)
                    .unwrap_or(true);
                let empty = r
                    .get("patch_is_None")
                    .and_then(Value::as_bool)
                    .unwrap_or(false)
                    || !r
                        .get("patch_exists")
                        .and_then(Value::as_bool)
                        .unwrap_or(true);
                let per = if resolved {
                    (Outcome::Resolved, None)
                } else if empty {
                    (Outcome::EmptyPatch, Some("empty patch".to_string()))
                } else if !applied {
                    (Outcome::PatchApplyFailed, None)
                } else {
                    (Outcome::Unresolved, None)
                };
                // The run report, when present, is the source's verdict; per-instance files add
                // the tests.
                outcomes.entry(id.clone()).or_insert(per);
                let mut t = Vec::new();
                if let Some(ts) = r.get("tests_status").and_then(Value::as_object) {
                    for group in ts.values() {
                        for (list, status) in [
                            ("success", TestStatus::Passed),
                            ("failure", TestStatus::Failed),
                        ] {
                            for name in group
                                .get(list)
                                .and_then(Value::as_array)
                                .into_iter()
                                .flatten()
                                .filter_map(Value::as_str)
                            {
                                t.push(TestResult {
                                    name: name.to_string(),
                                    status,
                                });
                            }
                        }
                    }
                }
                tests.insert(id.clone(), t);
            }
        }
    }
    if outcomes.is_empty() {
        return Err(invalid(
            path,
            "no SWE-bench run report (resolved_ids, ...) or per-instance report.json found",
        ));
    }
    let trials = outcomes
        .into_iter()
        .map(|(id, (outcome, why))| {
            let repo = id
                .rsplit_once('-')
                .map_or(id.as_str(), |(r, _)| r)
                .replace("__", "/");
            let mut t = trial(
                FamilyKind::Swebench,
                &id,
                1,
                &repo,
                "swebench-import",
                outcome,
            );
            t.error = why;
            t.tries.push(TryRecord {
                index: 1,
                outcome,
                exit_code: None,
                tests: tests.remove(&id).unwrap_or_default(),
                test_ms: 0,
                output_artifact: None,
                reward: None,
            });
            t
        })
        .collect::<Vec<_>>();
    let tasks = total.map_or(trials.len(), |t| t as usize);
    if tasks > trials.len() {
        notes.push(format!(
            "{} of {tasks} instances have no result (not submitted or incomplete); they count as failures in the score over all instances",
            tasks - trials.len()
        ));
    }
    let m = manifest(ManifestParts {
        run_id: run_id.clone(),
        agent: "swebench-import".into(),
        agent_version: String::new(),
        config: run_id.clone(),
        model: Some((run_id, "unknown".into())),
        dataset: dataset.to_string(),
        dataset_version: None,
        family: FamilyKind::Swebench,
        source: path,
        tasks,
        attempts: 1,
        max_tries: Some(1),
        harness: "swebench (imported)".into(),
        started_at: String::new(),
        ended_at: None,
    });
    Ok(Imported {
        manifest: m,
        trials,
        notes,
    })
}
