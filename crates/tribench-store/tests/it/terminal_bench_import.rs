//! Terminal-Bench 1 submissions: several runs, copies of runs, missing per-trial folders,
//! `<timestamp>_results.json` files.

use crate::write;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::Path;
use tribench_store::import::import_terminal_bench;
use tribench_types::Outcome;

fn trial(run: &str, task: &str, resolved: bool, started: &str) -> Value {
    json!({
        "id": format!("{run}-{task}-uuid"),
        "trial_name": format!("{task}.1-of-1.{run}"),
        "task_id": task,
        "instruction": "do it",
        "is_resolved": resolved,
        "failure_mode": if resolved { "unset" } else { "test_timeout" },
        "total_input_tokens": 100,
        "total_output_tokens": 10,
        "trial_started_at": started,
        "trial_ended_at": started,
    })
}

/// A run directory as the harness leaves it; per-trial folders only for `with_folders`.
fn run_dir(dir: &Path, run: &str, start: &str, trials: &[Value], with_folders: &[usize]) {
    write(
        &dir.join("run_metadata.json"),
        &json!({"run_id": run, "uuid": format!("{run}-meta-uuid"), "agent_name": "terminus",
                "model_name": "acme/m1", "dataset_name": "terminal-bench-core",
                "dataset_version": "0.1.1", "start_time": start}),
    );
    let n_resolved = trials.iter().filter(|t| t["is_resolved"] == true).count();
    write(
        &dir.join("results.json"),
        &json!({"id": format!("{run}-results-uuid"), "results": trials,
                "n_resolved": n_resolved, "n_unresolved": trials.len() - n_resolved}),
    );
    for &i in with_folders {
        let t = &trials[i];
        let mut detail = t.clone();
        detail["parser_results"] = json!({"test_outputs.py::test_a": if t["is_resolved"] == true {"passed"} else {"failed"}});
        detail["recording_path"] = json!(format!(
            "{}/sessions/agent.cast",
            t["task_id"].as_str().unwrap()
        ));
        write(
            &dir.join(t["task_id"].as_str().unwrap())
                .join(t["trial_name"].as_str().unwrap())
                .join("results.json"),
            &detail,
        );
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            copy_dir(&p, &to.join(e.file_name()));
        } else {
            std::fs::copy(&p, to.join(e.file_name())).unwrap();
        }
    }
}

#[test]
fn a_submission_of_two_runs_with_a_nested_copy_counts_each_trial_once() {
    let tmp = tempfile::tempdir().unwrap();
    let sub = tmp.path().join("submission");
    // Run A: task-1 resolved, task-2 not; task-2's per-trial folder is missing.
    let a = [
        trial("run-a", "task-1", true, "2025-06-01T10:00:00"),
        trial("run-a", "task-2", false, "2025-06-01T10:05:00"),
    ];
    run_dir(&sub.join("run-a"), "run-a", "2025-06-01T10:00:00", &a, &[0]);
    // Run B: nothing resolved, all folders present, and a copy of run A inside it.
    let b = [
        trial("run-b", "task-1", false, "2025-06-02T10:00:00"),
        trial("run-b", "task-2", false, "2025-06-02T10:05:00"),
    ];
    run_dir(
        &sub.join("run-b"),
        "run-b",
        "2025-06-02T10:00:00",
        &b,
        &[0, 1],
    );
    copy_dir(&sub.join("run-a"), &sub.join("run-b").join("run-a"));
    // Whatever an agent left in its trial folder does not stop the import.
    let logs = sub.join("run-b/task-1/task-1.1-of-1.run-b/agent-logs");
    std::fs::create_dir_all(&logs).unwrap();
    std::fs::write(logs.join("pytest_results.json"), "not json").unwrap();

    let imported = import_terminal_bench(&sub).unwrap();
    let t = &imported.trials;
    assert_eq!(t.len(), 4, "{t:#?}");
    assert_eq!(
        t.iter().filter(|t| t.outcome == Outcome::Resolved).count(),
        1
    );
    assert_eq!(imported.manifest.attempts, 2);
    assert_eq!(imported.manifest.datasets[0].tasks, 2);
    // Attempts per task in run order: run A's trial is attempt 1.
    let one = t
        .iter()
        .find(|t| t.task_id == "task-1" && t.attempt == 1)
        .unwrap();
    assert_eq!(one.outcome, Outcome::Resolved);
    // The per-trial file added detail to the run-level row.
    assert_eq!(one.tries[0].tests.len(), 1);
    assert_eq!(
        one.artifacts,
        vec!["task-1/sessions/agent.cast".to_string()]
    );
    assert_eq!(one.usage.prompt_tokens, 100);
    let counts = &imported.notes[0];
    assert!(
        counts.contains("2 runs, 4 trials (1 resolved), 2 duplicates dropped, 1 per-trial results files missing"),
        "{:?}",
        imported.notes
    );
    assert!(
        imported
            .notes
            .iter()
            .any(|n| n.contains("1 results files are not valid JSON")
                && n.contains("pytest_results.json")),
        "{:?}",
        imported.notes
    );
    // It writes as a run.
    imported.write(&tmp.path().join("out")).unwrap();
}

#[test]
fn timestamp_named_results_files_are_one_run_each() {
    let tmp = tempfile::tempdir().unwrap();
    let sub = tmp.path().join("sub");
    for (i, stamp) in ["2025-07-01__09-00-00", "2025-07-02__09-00-00"]
        .iter()
        .enumerate()
    {
        let run = format!("r{i}");
        // No trial ids here: run + trial_name identify a trial.
        let mut trials = vec![
            trial(
                &run,
                "alpha",
                i == 0,
                &format!("2025-07-0{}T09:00:00", i + 1),
            ),
            trial(&run, "beta", false, &format!("2025-07-0{}T09:10:00", i + 1)),
        ];
        for t in &mut trials {
            t.as_object_mut().unwrap().remove("id");
        }
        write(
            &sub.join(format!("{stamp}_results.json")),
            &json!({"results": trials}),
        );
    }
    let imported = import_terminal_bench(&sub).unwrap();
    assert_eq!(imported.trials.len(), 4);
    assert_eq!(imported.manifest.attempts, 2);
    let alpha: BTreeMap<u32, Outcome> = imported
        .trials
        .iter()
        .filter(|t| t.task_id == "alpha")
        .map(|t| (t.attempt, t.outcome))
        .collect();
    assert_eq!(alpha[&1], Outcome::Resolved);
    assert_eq!(alpha[&2], Outcome::TestTimeout);
    assert!(
        imported.notes[0].starts_with("2 runs, 4 trials (1 resolved), 0 duplicates dropped"),
        "{:?}",
        imported.notes
    );
}

#[test]
fn a_five_run_eighty_task_submission_is_400_trials_with_the_lists_resolved_count() {
    let tmp = tempfile::tempdir().unwrap();
    let sub = tmp.path().join("sub");
    let mut listed_resolved = 0;
    for r in 0..5 {
        let run = format!("2025-05-0{}__12-00-00", r + 1);
        let trials: Vec<Value> = (0..80)
            .map(|k| {
                trial(
                    &run,
                    &format!("task-{k:02}"),
                    (k * 7 + r * 3) % 5 < 2,
                    &format!("2025-05-0{}T12:{:02}:00", r + 1, k % 60),
                )
            })
            .collect();
        listed_resolved += trials.iter().filter(|t| t["is_resolved"] == true).count();
        // Every ninth per-trial folder is missing.
        let folders: Vec<usize> = (0..80).filter(|k| k % 9 != 4).collect();
        run_dir(
            &sub.join(&run),
            &run,
            &format!("2025-05-0{}T12:00:00", r + 1),
            &trials,
            &folders,
        );
    }
    // Run 5 also holds a copy of run 2.
    copy_dir(
        &sub.join("2025-05-02__12-00-00"),
        &sub.join("2025-05-05__12-00-00").join("copy-of-2"),
    );
    let imported = import_terminal_bench(&sub).unwrap();
    assert_eq!(imported.trials.len(), 400);
    assert_eq!(
        imported
            .trials
            .iter()
            .filter(|t| t.outcome == Outcome::Resolved)
            .count(),
        listed_resolved
    );
    assert_eq!(imported.manifest.attempts, 5);
    assert_eq!(imported.manifest.datasets[0].tasks, 80);
    assert!(
        imported.notes[0].starts_with("5 runs, 400 trials"),
        "{:?}",
        imported.notes
    );
}

#[test]
fn a_copy_of_a_run_without_metadata_or_results_id_is_still_one_run() {
    let tmp = tempfile::tempdir().unwrap();
    let sub = tmp.path().join("sub");
    for run in ["first", "second"] {
        let trials = [
            trial(run, "t1", run == "first", "2025-06-01T10:00:00"),
            trial(run, "t2", false, "2025-06-01T10:05:00"),
        ];
        write(
            &sub.join(run).join("results.json"),
            &json!({"results": trials}),
        );
    }
    copy_dir(&sub.join("first"), &sub.join("second").join("old-first"));
    let imported = import_terminal_bench(&sub).unwrap();
    assert_eq!(imported.trials.len(), 4);
    assert!(
        imported.notes[0].starts_with("2 runs, 4 trials (1 resolved), 2 duplicates dropped"),
        "{:?}",
        imported.notes
    );
}

#[test]
fn a_single_run_directory_still_imports() {
    let tmp = tempfile::tempdir().unwrap();
    let a = [
        trial("solo", "t1", true, "2025-06-01T10:00:00"),
        trial("solo", "t2", false, "2025-06-01T10:05:00"),
    ];
    run_dir(tmp.path(), "solo", "2025-06-01T10:00:00", &a, &[0, 1]);
    let imported = import_terminal_bench(tmp.path()).unwrap();
    assert_eq!(imported.trials.len(), 2);
    assert_eq!(imported.manifest.run_id, "solo");
    assert_eq!(imported.manifest.attempts, 1);
}
