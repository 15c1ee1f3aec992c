//! The run directory's layout belongs to the store: where artifacts go, reading them back as
//! types, and runs written by older tribench versions still loading.

use tribench_store::{RunStore, StoreError, TRIALS_DIR};
use tribench_types::swebench::GradingDetails;
use tribench_types::{Outcome, Trajectory, TrialKey};

#[test]
fn artifacts_live_under_trials_and_the_paths_agree() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("run");
    let store = RunStore::open_for_writing(&dir).unwrap();
    let id = TrialKey {
        task_id: "python/two-fer".into(),
        attempt: 2,
    }
    .trial_id();
    let rel = store.write_artifact(&id, "diff.patch", b"--- a\n").unwrap();
    assert_eq!(rel, format!("{TRIALS_DIR}/python+two-fer.a2/diff.patch"));
    assert_eq!(rel, RunStore::artifact_rel(&id, "diff.patch"));
    let path = store.artifact(&id, "diff.patch");
    assert_eq!(path, dir.join(&rel));
    assert_eq!(path, RunStore::artifact_in(&dir, &id, "diff.patch"));
    assert_eq!(std::fs::read(&path).unwrap(), b"--- a\n");
    // Resetting a trial's folder removes its artifacts, and is fine when there is none.
    store.reset_trial_dir(&id).unwrap();
    assert!(!path.exists());
    store.reset_trial_dir(&id).unwrap();
}

#[test]
fn trajectories_and_grading_read_back_typed() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let store = RunStore::open_for_writing(dir).unwrap();
    assert!(RunStore::read_trajectory(dir, "none.a1").unwrap().is_none());
    assert!(RunStore::read_grading(dir, "none.a1").unwrap().is_none());

    store
        .write_artifact(
            "t.a1",
            "trajectory.json",
            br#"{"format": "tribench-cli-agent/1", "agent": "mini",
                 "runs": [{"phase": "run", "exit_code": 2, "output": "no"}]}"#,
        )
        .unwrap();
    let Some(Trajectory::Program(p)) = RunStore::read_trajectory(dir, "t.a1").unwrap() else {
        panic!("not read as an agent program's log");
    };
    assert_eq!(p.runs[0].exit_code, Some(2));

    let g = GradingDetails {
        mode: "strict".into(),
        parser: "pytest".into(),
        suspicious: vec!["edits conftest.py".into()],
        ..GradingDetails::default()
    };
    store
        .write_artifact("t.a1", "grading.json", &serde_json::to_vec(&g).unwrap())
        .unwrap();
    assert_eq!(RunStore::read_grading(dir, "t.a1").unwrap(), Some(g));

    // A file that is not the format is an error naming the file, never an empty trajectory.
    store
        .write_artifact("bad.a1", "trajectory.json", b"{\"steps\": 3}")
        .unwrap();
    match RunStore::read_trajectory(dir, "bad.a1") {
        Err(StoreError::Json { path, .. }) => {
            assert!(path.ends_with("trials/bad.a1/trajectory.json"), "{path:?}")
        }
        other => panic!("expected a JSON error, got {other:?}"),
    }
}

#[test]
fn a_run_written_before_the_typed_formats_loads() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    // manifest.json with `sampling: null` and no optional fields.
    std::fs::write(
        dir.join("manifest.json"),
        r#"{"schema": 1, "run_id": "old", "harness_version": "0.1.0", "attempts": 1,
            "seed": 0, "started_at": "2026-11-20T00:00:00Z", "host": "h",
            "model": {"id": "m", "provider": "p", "endpoint": "e", "sampling": null},
            "scaffold": {"agent": "cli:mini", "version": "1", "config_hash": "c"},
            "datasets": [], "environment": {"backend": "local", "isolation": "none",
            "timeouts": {"setup_sec": 1, "agent_sec": 2, "test_sec": 3}, "jobs": 1}}"#,
    )
    .unwrap();
    {
        // A trial row as an older version wrote it: usage without cached tokens or `priced`.
        let conn = rusqlite::Connection::open(dir.join("trials.sqlite")).unwrap();
        conn.execute_batch(
            "CREATE TABLE trials (task_id TEXT NOT NULL, attempt INTEGER NOT NULL,
             trial_id TEXT NOT NULL, outcome TEXT NOT NULL, record TEXT NOT NULL,
             ended_at TEXT NOT NULL, PRIMARY KEY (task_id, attempt));",
        )
        .unwrap();
        conn.execute(
            "INSERT INTO trials VALUES ('python/a', 1, 'python+a.a1', 'unresolved', ?1, 'b')",
            [
                r#"{"trial_id": "python+a.a1", "task_id": "python/a", "attempt": 1,
                "family": "polyglot", "group": "python", "agent": "llm",
                "outcome": "unresolved", "tries": [],
                "usage": {"prompt_tokens": 10, "completion_tokens": 5, "cost_usd": 0.5, "steps": 1},
                "started_at": "a", "ended_at": "b"}"#,
            ],
        )
        .unwrap();
    }
    let store = RunStore::open_for_reading(dir).unwrap();
    let m = store.read_manifest().unwrap().unwrap();
    assert!(m.model.unwrap().sampling.is_unset());
    let trials = store.trials().unwrap();
    assert_eq!(trials.len(), 1);
    assert_eq!(trials[0].outcome, Outcome::Unresolved);
    assert_eq!(trials[0].usage.cached_tokens, 0);
    assert!(trials[0].usage.cost_known());
}

#[test]
fn the_official_layout_never_leads_out_of_its_folder() {
    use tribench_store::swebench_export::{write_swebench_outputs, RunReportInput};
    use tribench_types::{FamilyKind, TrialRecord};
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("run");
    let store = RunStore::open_for_writing(&dir).unwrap();
    let evil = tmp.path().join("ESCAPED").display().to_string();
    for task_id in [evil.as_str(), "../../ESCAPED", "ok-1"] {
        let key = TrialKey {
            task_id: task_id.into(),
            attempt: 1,
        };
        let r = TrialRecord::new(&key, FamilyKind::Swebench, "g", "oracle", Outcome::Resolved);
        store.record(&r).unwrap();
    }
    let ids: Vec<String> = vec![evil.clone(), "../../ESCAPED".into(), "ok-1".into()];
    let input = |model, run_id| RunReportInput {
        dataset_ids: &ids,
        submitted_ids: &ids,
        model,
        run_id,
    };
    for (model, run_id) in [("m", "r"), ("..", "r"), ("m", "../../r")] {
        let err = write_swebench_outputs(&store, &input(model, run_id)).unwrap_err();
        assert!(err.to_string().contains("cannot name a folder"), "{err}");
    }
    assert!(!tmp.path().join("ESCAPED").exists());
    assert!(
        !dir.join("swebench").join("m").exists(),
        "nothing written before the refusal"
    );
}
