//! Harbor job folders: the verifier's reward decides, as Harbor's own mean does.

use crate::write;
use serde_json::{json, Value};
use std::path::Path;
use tribench_store::import::{import_harbor, Imported};
use tribench_types::Outcome;

fn job(dir: &Path, trials: &[(&str, Value, Option<&str>)]) -> Imported {
    write(
        &dir.join("config.json"),
        &json!({"job_name": "job-1", "datasets": [{"name": "terminal-bench", "version": "2.0"}]}),
    );
    for (i, (task, rewards, exception)) in trials.iter().enumerate() {
        let mut r = json!({
            "task_name": task, "trial_name": format!("{task}__{i}"), "source": "terminal-bench",
            "agent_info": {"name": "terminus-2", "version": "1", "model_info": {"name": "m", "provider": "p"}},
            "agent_result": {"n_input_tokens": 10, "n_output_tokens": 5, "cost_usd": 0.5},
            "verifier_result": {"rewards": rewards},
            "started_at": format!("2025-11-01T00:0{i}:00Z"), "finished_at": format!("2025-11-01T00:0{i}:30Z"),
        });
        if let Some(kind) = exception {
            r["exception_info"] =
                json!({"exception_type": kind, "exception_message": "agent ran out of time"});
        }
        write(&dir.join(format!("{task}__{i}")).join("result.json"), &r);
    }
    import_harbor(dir).unwrap()
}

#[test]
fn an_agent_timeout_the_verifier_rewarded_is_resolved_as_in_harbors_mean() {
    let tmp = tempfile::tempdir().unwrap();
    let rewards = [1.0, 0.0, 1.0];
    let imported = job(
        tmp.path(),
        &[
            (
                "a",
                json!({"reward": rewards[0]}),
                Some("AgentTimeoutError"),
            ),
            (
                "b",
                json!({"reward": rewards[1]}),
                Some("AgentTimeoutError"),
            ),
            ("c", json!({"reward": rewards[2]}), None),
        ],
    );
    let resolved = imported
        .trials
        .iter()
        .filter(|t| t.outcome == Outcome::Resolved)
        .count();
    let rate = resolved as f64 / imported.trials.len() as f64;
    let harbor_mean = rewards.iter().sum::<f64>() / rewards.len() as f64;
    assert_eq!(resolved, 2);
    assert!(
        (rate - harbor_mean).abs() < 1e-12,
        "{rate} vs {harbor_mean}"
    );
    assert_eq!(format!("{:.1}%", rate * 100.0), "66.7%");
    let a = imported.trials.iter().find(|t| t.task_id == "a").unwrap();
    // The timeout stays on record.
    assert!(
        a.error.as_deref().unwrap().contains("AgentTimeoutError"),
        "{a:?}"
    );
    assert_eq!(a.tries[0].reward, Some(1.0));
    let b = imported.trials.iter().find(|t| t.task_id == "b").unwrap();
    assert_eq!(b.outcome, Outcome::AgentTimeout);
}

#[test]
fn rewards_with_several_keys_use_reward_or_the_only_key_else_a_task_error() {
    let tmp = tempfile::tempdir().unwrap();
    let imported = job(
        tmp.path(),
        &[
            // "reward" decides over a side metric.
            ("with-reward", json!({"accuracy": 1.0, "reward": 0.0}), None),
            // One key: its value decides.
            ("one-key", json!({"score": 1.0}), None),
            // Several keys, none named reward: before, `accuracy` (first alphabetically) resolved it.
            ("ambiguous", json!({"passed": 0.0, "accuracy": 1.0}), None),
        ],
    );
    let get = |id: &str| imported.trials.iter().find(|t| t.task_id == id).unwrap();
    assert_eq!(get("with-reward").outcome, Outcome::Unresolved);
    assert_eq!(get("one-key").outcome, Outcome::Resolved);
    let amb = get("ambiguous");
    assert_eq!(amb.outcome, Outcome::EnvironmentError);
    assert!(amb.outcome.is_infrastructure());
    let err = amb.error.as_deref().unwrap();
    assert!(
        err.contains("reward.json")
            && err.contains("accuracy, passed")
            && err.contains("result.json"),
        "{err}"
    );
    assert!(
        imported
            .notes
            .iter()
            .any(|n| n.contains("1 trials have verifier rewards with several keys")),
        "{:?}",
        imported.notes
    );
}

/// Finding 11: a cost or token count that is not a number is unknown, and the trial is still
/// imported; never a known $0.
#[test]
fn an_unparseable_cost_or_token_count_is_unknown_and_the_trial_still_imports() {
    let tmp = tempfile::tempdir().unwrap();
    write(
        &tmp.path().join("config.json"),
        &json!({"job_name": "job-1", "datasets": [{"name": "terminal-bench", "version": "2.0"}]}),
    );
    for (i, agent_result) in [
        json!({"n_input_tokens": "many", "n_output_tokens": 5, "cost_usd": "abc"}),
        json!({"n_input_tokens": -5, "n_output_tokens": 5, "cost_usd": -1.0}),
        json!({"n_input_tokens": 10, "n_output_tokens": 5, "cost_usd": 0.5}),
    ]
    .into_iter()
    .enumerate()
    {
        let r = json!({
            "task_name": format!("t{i}"), "trial_name": format!("t{i}__0"), "source": "terminal-bench",
            "agent_info": {"name": "terminus-2", "version": "1", "model_info": {"name": "m", "provider": "p"}},
            "agent_result": agent_result,
            "verifier_result": {"rewards": {"reward": 1.0}},
            "started_at": "2025-11-01T00:00:00Z", "finished_at": "2025-11-01T00:00:30Z",
        });
        write(&tmp.path().join(format!("t{i}__0")).join("result.json"), &r);
    }
    let imported = import_harbor(tmp.path()).unwrap();
    assert_eq!(imported.trials.len(), 3);
    let by_task = |id: &str| imported.trials.iter().find(|t| t.task_id == id).unwrap();
    for id in ["t0", "t1"] {
        let u = &by_task(id).usage;
        assert!(u.cost_unknown && !u.cost_known(), "{id}: {u:?}");
        assert!(u.tokens_unknown, "{id}: {u:?}");
    }
    let u = &by_task("t2").usage;
    assert!(!u.cost_unknown && !u.tokens_unknown && (u.cost_usd - 0.5).abs() < 1e-12);
}
