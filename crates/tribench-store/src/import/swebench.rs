//! SWE-bench evaluation output: the run report (`<model>.<run_id>.json`, with `total_instances`
//! and the `resolved_ids`/`unresolved_ids`/`empty_patch_ids`/`error_ids` lists) and/or the
//! per-instance `report.json` files under `logs/run_evaluation/<run_id>/<model>/<id>/`.

use super::{
    find_files, invalid, note_count, read_json, trial, ImportError, Imported, ManifestParts,
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
    // The run report's file stem: `<model_name_or_path>.<run_id>`, `/` in the model spelled `__`.
    let mut stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    // The model as the source names it (`model_name_or_path`), when something says so.
    let mut model: Option<String> = None;
    let mut run_id_from_logs: Option<String> = None;

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
        stem = rr
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or(stem);
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
        note_count(
            &mut notes,
            duplicates,
            "duplicate ids in the run report's lists were removed",
        );
    }
    if path.is_dir() {
        model = model.or_else(|| model_from_predictions(path));
        for rp in find_files(path, "report.json") {
            // logs/run_evaluation/<run_id>/<model>/<instance_id>/report.json
            let mut up = rp.ancestors().skip(2);
            if let (Some(m), Some(r)) = (up.next(), up.next()) {
                if r.parent()
                    .and_then(Path::file_name)
                    .is_some_and(|n| n == "run_evaluation")
                {
                    let name = |p: &Path| {
                        p.file_name()
                            .map(|n| n.to_string_lossy().replace("__", "/"))
                    };
                    model = model.or_else(|| name(m));
                    run_id_from_logs = run_id_from_logs.or_else(|| name(r));
                }
            }
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
    if path.is_file() {
        model = model.or_else(|| path.parent().and_then(model_from_predictions));
    }
    let (model, run_id) = match split_stem(&stem, model.as_deref(), run_id_from_logs.as_deref()) {
        Split::Known(m, r) => (m, r),
        Split::Guessed(m, r) => {
            notes.push(format!(
                "no predictions file or log folder names the model: took {m:?} as the model and {r:?} as the run id from the file name {stem:?}"
            ));
            (m, r)
        }
    };
    Ok(Imported::new(
        ManifestParts {
            run_id: run_id.clone(),
            agent: "swebench-import".into(),
            agent_version: String::new(),
            config: stem,
            model: Some((model, "unknown".into())),
            dataset: dataset.to_string(),
            dataset_version: None,
            family: FamilyKind::Swebench,
            source: path,
            tasks,
            attempts: 1,
            max_tries: Some(1),
            harness: "swebench (imported)".into(),
            dates: None,
        },
        trials,
        notes,
    ))
}

enum Split {
    /// The model was known from the source (predictions, log folders).
    Known(String, String),
    /// Only the file name spoke: split at its last dot.
    Guessed(String, String),
}

/// `<model>.<run_id>` apart. With the model known (its `/` spelled `__` in the name), the run id
/// is what follows it; else model names often hold dots (`gpt-4.1`) and run ids rarely do, so the
/// split is at the last dot.
fn split_stem(stem: &str, model: Option<&str>, run_id: Option<&str>) -> Split {
    if let Some(m) = model {
        let prefix = format!("{}.", m.replace('/', "__"));
        let run = stem
            .strip_prefix(&prefix)
            .map(str::to_string)
            .or_else(|| run_id.map(str::to_string))
            .unwrap_or_else(|| stem.to_string());
        return Split::Known(m.to_string(), run);
    }
    if let Some(r) = run_id {
        let m = stem
            .strip_suffix(&format!(".{r}"))
            .unwrap_or(stem)
            .replace("__", "/");
        return Split::Known(m, r.to_string());
    }
    match stem.rsplit_once('.') {
        Some((m, r)) if !m.is_empty() && !r.is_empty() => {
            Split::Guessed(m.replace("__", "/"), r.to_string())
        }
        _ => Split::Guessed(stem.replace("__", "/"), stem.to_string()),
    }
}

/// `model_name_or_path` from a predictions file in `dir` (JSONL rows or a JSON list/object of
/// predictions, as SWE-bench takes them), if one is there.
fn model_from_predictions(dir: &Path) -> Option<String> {
    let mut files: Vec<std::path::PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
                n.contains("pred") && (n.ends_with(".jsonl") || n.ends_with(".json"))
            })
        })
        .collect();
    files.sort();
    files.into_iter().find_map(|f| {
        let text = std::fs::read_to_string(&f).ok()?;
        let first: Value = serde_json::from_str(&text)
            .ok()
            .or_else(|| text.lines().find_map(|l| serde_json::from_str(l).ok()))?;
        let row = match &first {
            Value::Array(a) => a.first()?.clone(),
            Value::Object(o) if o.contains_key("model_name_or_path") => first.clone(),
            Value::Object(o) => o.values().next()?.clone(),
            _ => return None,
        };
        row.get("model_name_or_path")?.as_str().map(str::to_string)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stem_splits_into_model_and_run_id() {
        let known = |s: Split| match s {
            Split::Known(m, r) => (m, r),
            Split::Guessed(..) => panic!("guessed"),
        };
        assert_eq!(
            known(split_stem(
                "org__gpt-4.1.eval.v2",
                Some("org/gpt-4.1"),
                None
            )),
            ("org/gpt-4.1".into(), "eval.v2".into())
        );
        assert_eq!(
            known(split_stem("org__m.1.run", None, Some("run"))),
            ("org/m.1".into(), "run".into())
        );
        match split_stem("gpt-4.1.run7", None, None) {
            Split::Guessed(m, r) => assert_eq!((m.as_str(), r.as_str()), ("gpt-4.1", "run7")),
            Split::Known(..) => panic!("nothing named the model"),
        }
    }
}
