//! Run directories a user damaged or a newer tribench wrote, and runs with nothing to replay:
//! clear refusals before anything is written or run.

use super::*;
use tribench_agents::llm::scripted::Reply;

fn oracle_run(dir: &Path) -> tempfile::TempDir {
    let suite = python_suite(&[("one", PASSES), ("two", PASSES)]);
    output_ok(&mut run_cmd(suite.path(), dir));
    suite
}

fn stderr_of(c: &mut Command) -> String {
    let out = c.output().unwrap();
    assert!(!out.status.success(), "{out:?}");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn a_run_without_its_results_database_is_an_error_and_stays_as_it_is() {
    let work = tempfile::tempdir().unwrap();
    let run = work.path().join("run");
    let _suite = oracle_run(&run);
    for f in ["trials.sqlite", "trials.sqlite-wal", "trials.sqlite-shm"] {
        let _ = std::fs::remove_file(run.join(f));
    }
    let err = stderr_of(tribench().arg("report").arg(&run));
    assert!(
        err.contains("trials.sqlite is missing") && err.contains("2 trial folder"),
        "{err}"
    );
    assert!(!run.join("trials.sqlite").exists());
}

#[test]
fn a_manifest_of_a_newer_schema_is_refused_by_report_and_resume() {
    let work = tempfile::tempdir().unwrap();
    let run = work.path().join("run");
    let suite = oracle_run(&run);
    let path = run.join("manifest.json");
    let mut m = read_json(&path);
    m["schema"] = serde_json::json!(99);
    std::fs::write(&path, serde_json::to_vec_pretty(&m).unwrap()).unwrap();
    let err = stderr_of(tribench().arg("report").arg(&run));
    assert!(
        err.contains("manifest schema 99") && err.contains("(schema 1)"),
        "{err}"
    );
    let err = stderr_of(&mut run_cmd(suite.path(), &run));
    assert!(err.contains("manifest schema 99"), "{err}");
    assert_eq!(read_json(&path)["schema"], 99);
}

#[test]
fn replay_refuses_a_run_without_model_actions_before_running_anything() {
    let work = tempfile::tempdir().unwrap();
    let run = work.path().join("oracle");
    let _suite = oracle_run(&run);
    let again = work.path().join("again");
    let err = stderr_of(
        tribench()
            .arg("replay")
            .arg(&run)
            .arg("--run-dir")
            .arg(&again),
    );
    assert!(
        err.contains("left a trajectory of model actions") && err.contains("oracle"),
        "{err}"
    );
    assert!(!again.exists());
}

#[test]
fn a_trial_that_reached_a_limit_replays_as_limit_reached() {
    // One command, then the step limit: the trial is limit_reached.
    let model = scripted(vec![Reply::tool(
        "bash",
        serde_json::json!({"command": "echo working"}),
    )]);
    let suite = python_suite(&[("one", PASSES)]);
    let work = tempfile::tempdir().unwrap();
    let src = work.path().join("src");
    output_ok(
        llm_run_cmd(suite.path(), &src, "m", &model.server.base_url).args([
            "--tries",
            "1",
            "--max-steps",
            "1",
        ]),
    );
    drop(model);
    assert_eq!(report_json(&src)["outcomes"][0]["outcome"], "limit_reached");
    let out = tribench()
        .arg("replay")
        .arg(&src)
        .arg("--run-dir")
        .arg(work.path().join("again"))
        .arg("--json")
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let v = stdout_json(&out);
    assert_eq!(v["differ"], 0, "{v}");
    assert_eq!(v["trials"][0]["replayed"], "limit_reached");
}
