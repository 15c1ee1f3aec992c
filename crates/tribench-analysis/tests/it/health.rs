//! Validation verdicts, run health, leaderboard intervals, power plans and replay checks, from
//! stored fixture runs.

use super::*;
use tribench_store::RunStore;

fn store_run(dir: &Path, agent: &str, trials: &[TrialRecord]) {
    let store = RunStore::open_for_writing(dir).unwrap();
    store.write_manifest(&manifest("d", 3, 1, agent)).unwrap();
    for t in trials {
        store.record(t).unwrap();
    }
}

fn failed(task: &str, attempt: u32, outcome: Outcome, error: &str) -> TrialRecord {
    let mut t = trial(task, attempt, outcome, None, 0.0);
    t.error = Some(error.into());
    t
}

#[test]
fn validation_flags_oracle_failures_flaky_tasks_and_nop_passes() {
    let dir = tempfile::tempdir().unwrap();
    let (oracle, nop) = (dir.path().join("oracle"), dir.path().join("nop"));
    let ok = |t: &str, a| trial(t, a, Outcome::Resolved, Some(1), 0.0);
    store_run(
        &oracle,
        "oracle",
        &[
            ok("py/good", 1),
            ok("py/good", 2),
            ok("py/flaky", 1),
            failed("py/flaky", 2, Outcome::Unresolved, "1 test failed"),
            failed("go/broken", 1, Outcome::Unresolved, "reward 0"),
            failed("go/broken", 2, Outcome::Unresolved, "reward 0"),
        ],
    );
    store_run(
        &nop,
        "nop",
        &[
            trial("py/good", 1, Outcome::Unresolved, None, 0.0),
            ok("py/flaky", 1),
            failed("go/broken", 1, Outcome::EnvironmentError, "build failed"),
        ],
    );
    let tasks: Vec<(String, String)> = ["py/good", "py/flaky", "go/broken", "go/unrun"]
        .iter()
        .map(|t| (t.to_string(), t.split('/').next().unwrap().to_string()))
        .collect();
    let v = validation(&tasks, &oracle, &nop).unwrap();
    assert_eq!((v.total, v.broken, v.flaky, v.repetitions), (4, 3, 1, 2));
    let by = |id: &str| v.tasks.iter().find(|c| c.id == id).unwrap();
    assert!(by("py/good").ok);
    let flaky = by("py/flaky");
    assert!(flaky.flaky && flaky.oracle == Outcome::Unresolved);
    assert_eq!((flaky.oracle_runs, flaky.oracle_resolved), (2, 1));
    assert!(flaky.problems[0].starts_with("flaky: the oracle resolved it in 1 of 2 runs"));
    assert!(flaky
        .problems
        .iter()
        .any(|p| p == "nop resolved it: the tests pass without any change"));
    let broken = by("go/broken");
    assert_eq!(
        broken.problems,
        vec![
            "oracle did not resolve it (unresolved: reward 0)".to_string(),
            "nop run failed for infrastructure reasons (environment_error: build failed)"
                .to_string()
        ]
    );
    assert_eq!(by("go/unrun").oracle, Outcome::HarnessError);
    let text = render_validation(&v, 2);
    assert!(text.contains("3 of 4 tasks are broken:"), "{text}");
    assert!(
        text.contains("  go/broken: oracle did not resolve it"),
        "{text}"
    );
    assert!(text.contains("the oracle ran 2 times on each task: 1 of 4 tasks were flaky"));
    let j = serde_json::to_value(&v).unwrap();
    assert_eq!(
        j["tasks"][0]["oracle_failure"]["reason"],
        serde_json::Value::Null
    );
}

#[test]
fn a_run_of_only_infrastructure_errors_is_called_out() {
    let dir = tempfile::tempdir().unwrap();
    store_run(
        dir.path(),
        "a",
        &[
            failed("py/a", 1, Outcome::EnvironmentError, "no docker"),
            failed("py/b", 1, Outcome::HarnessError, "bug"),
        ],
    );
    let why = all_infrastructure(dir.path(), "rerun").unwrap().unwrap();
    assert!(
        why.starts_with("every trial (2) ended in an infrastructure error ("),
        "{why}"
    );
    assert!(
        why.contains("first cause: no docker. Fix the cause, then rerun"),
        "{why}"
    );
    let ok = tempfile::tempdir().unwrap();
    store_run(
        ok.path(),
        "a",
        &[trial("py/a", 1, Outcome::Unresolved, None, 0.0)],
    );
    assert!(all_infrastructure(ok.path(), "rerun").unwrap().is_none());
}

#[test]
fn replays_are_compared_on_first_attempts() {
    let source = run(
        "s",
        manifest("d", 2, 2, "llm"),
        vec![
            trial("py/a", 1, Outcome::Resolved, Some(1), 0.0),
            trial("py/a", 2, Outcome::Unresolved, None, 0.0),
            trial("py/b", 1, Outcome::Unresolved, None, 0.0),
        ],
    );
    let replayed = run(
        "r",
        manifest("d", 2, 1, "replay"),
        vec![trial("py/a", 1, Outcome::Resolved, Some(1), 0.0)],
    );
    let c = replay_comparison(&source, &replayed);
    assert_eq!((c.trials.len(), c.differ), (2, 1));
    assert_eq!(c.trials[1].replayed, None);
    let text = render_replay(&c, true);
    assert!(
        text.starts_with("py/b: recorded \"unresolved\", replayed null\n"),
        "{text}"
    );
    assert!(text.ends_with(
        "1 of 2 trials gave the same outcome when their recorded patches were graded again\n"
    ));
}

#[test]
fn power_plans_refuse_impossible_designs_and_name_what_an_effect_needs() {
    let inputs = crate::out_of_range::design();
    assert!(power_plan(
        tribench_stats::PowerInputs {
            tasks: 0.0,
            ..inputs
        },
        None
    )
    .is_err());
    let p = power_plan(inputs, Some(10.0)).unwrap();
    assert!(p.mde_paired < p.mde_unpaired);
    assert_eq!(p.effect, Some(0.1));
    assert!(p.tasks_needed.unwrap() > 0.0);
    let j = serde_json::to_value(&p).unwrap();
    assert_eq!(j["inputs"]["icc"], 0.7);
    assert_eq!(
        j["attempts_needed"],
        serde_json::to_value(p.attempts_needed.unwrap()).unwrap()
    );
    let text = render_power_plan(&p);
    assert!(text.contains("to detect 10.0 pts:"), "{text}");
    assert!(
        text.starts_with("100 tasks x 1 attempts, base rate 50%"),
        "{text}"
    );
}

#[test]
fn leaderboard_rows_get_intervals_over_both_denominators() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("lb.yml");
    std::fs::write(
        &path,
        "- dirname: x\n  model: m\n  edit_format: diff\n  test_cases: 200\n  total_tests: 225\n  pass_num_1: 50\n  pass_num_2: 100\n  pass_rate_2: 50.0\n",
    )
    .unwrap();
    let rows = import::read_aider_leaderboard(&path).unwrap();
    let l = leaderboard(&rows);
    let r = &l.rows[0];
    assert_eq!(r.pass_2_over_completed[0], 0.5);
    assert!((r.pass_2_over_all[0] - 100.0 / 225.0).abs() < 1e-12);
    assert!(
        r.pass_2_over_all[1] < r.pass_2_over_all[0] && r.pass_2_over_all[2] > r.pass_2_over_all[0]
    );
    let text = render_leaderboard(&l);
    assert!(text.contains("200/225") && text.contains(UNKNOWN), "{text}");
    assert!(text.ends_with(&format!("note: {LEADERBOARD_NOTE}\n")));
}
