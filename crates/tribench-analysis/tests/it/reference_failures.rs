//! The report of a reference-solution run says why each failing reference failed (the reward,
//! the failing tests, the verifier's last lines as the family recorded them); an agent's run
//! keeps its unresolved trials to the counts.

use super::*;

fn with_failed_reference(agent: &str) -> RunData {
    let mut ok = trial("terminal/hello", 1, Outcome::Resolved, Some(1), 0.0);
    ok.family = FamilyKind::Terminal;
    let mut bad = trial("terminal/fix-build", 1, Outcome::Unresolved, None, 0.0);
    bad.family = FamilyKind::Terminal;
    bad.error =
        Some("reward 0; failing tests: test_binary_runs; verifier: make: *** [all] Error 2".into());
    run(
        "runs/ref",
        manifest("terminal-sample", 2, 1, agent),
        vec![ok, bad],
    )
}

#[test]
fn an_oracle_run_reports_why_each_reference_failed() {
    let r = build_report(&with_failed_reference("oracle"));
    let table = render_table(&r);
    assert!(
        table.contains("unresolved (1): reward 0; failing tests: test_binary_runs"),
        "{table}"
    );
    let unresolved = r
        .outcomes
        .iter()
        .find(|o| o.outcome == Outcome::Unresolved)
        .unwrap();
    assert_eq!(unresolved.causes.len(), 1);
    assert_eq!(unresolved.causes[0].count, 1);
    let json = serde_json::to_value(&r).unwrap();
    assert!(json.to_string().contains("failing tests: test_binary_runs"));
}

#[test]
fn an_agents_unresolved_trials_are_not_listed_as_causes() {
    let r = build_report(&with_failed_reference("llm"));
    assert!(r.outcomes.iter().all(|o| o.causes.is_empty()));
    assert!(!render_table(&r).contains("failing tests"));
}
