//! Harbor job directories: one `result.json` per trial folder (`task_name`, `trial_name`,
//! `agent_info`, `agent_result`, `verifier_result.rewards`, `exception_info`, timings) and the
//! job's `config.json`.

use super::{
    cost_of, count_known, find_files, invalid, note_count, read_json, span_ms, str_of, trial,
    u64_of, ImportError, Imported, ManifestParts,
};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use tribench_types::{FamilyKind, Outcome, TryRecord};

/// The verifier's reward, decided as Harbor decides a `reward.json` (`"reward"`, or the only
/// key); `Ok(None)` when the verifier gave no rewards, `Err` naming the keys when none decides.
fn reward_of(r: &Value) -> Result<Option<f64>, tribench_types::RewardJsonError> {
    match r.get("verifier_result").and_then(|v| v.get("rewards")) {
        None | Some(Value::Null) => Ok(None),
        Some(rewards) => tribench_types::reward_from_json(&rewards.to_string()).map(Some),
    }
}

/// What the trial's exception says happened, when it names a known kind.
fn exception_outcome(kind: &str) -> Option<Outcome> {
    if kind.contains("Timeout") && kind.contains("Agent") {
        Some(Outcome::AgentTimeout)
    } else if kind.contains("Timeout") && kind.contains("Verifier") {
        Some(Outcome::TestTimeout)
    } else if kind.contains("Environment") || kind.contains("Docker") || kind.contains("Build") {
        Some(Outcome::EnvironmentError)
    } else {
        None
    }
}

/// Harbor runs the verifier after an agent timeout and averages whatever reward it gave, so the
/// reward decides: a positive reward is resolved whatever exception the trial also recorded
/// (kept as the trial's note). Without a positive reward, the exception names the failure.
fn outcome_of(r: &Value, reward: Option<f64>) -> Outcome {
    if reward.is_some_and(|x| x > 0.0) {
        return Outcome::Resolved;
    }
    if let Some(ex) = r.get("exception_info").filter(|e| !e.is_null()) {
        let kind = str_of(ex, "exception_type").unwrap_or("");
        if let Some(o) = exception_outcome(kind) {
            return o;
        }
        if reward.is_none() {
            return Outcome::AgentError;
        }
    }
    match reward {
        Some(_) => Outcome::Unresolved,
        None => Outcome::HarnessError,
    }
}

/// Imports a Harbor job directory.
pub fn import_harbor(dir: &Path) -> Result<Imported, ImportError> {
    let mut rows: Vec<(PathBuf, Value)> = Vec::new();
    for p in find_files(dir, "result.json") {
        let v = read_json(&p)?;
        if v.get("trial_name").is_some() && v.get("task_name").is_some() {
            rows.push((p, v));
        }
    }
    if rows.is_empty() {
        return Err(invalid(
            dir,
            "no Harbor trial result.json (with task_name and trial_name) found",
        ));
    }
    rows.sort_by(|(_, a), (_, b)| {
        (
            str_of(a, "task_name"),
            str_of(a, "started_at"),
            str_of(a, "trial_name"),
        )
            .cmp(&(
                str_of(b, "task_name"),
                str_of(b, "started_at"),
                str_of(b, "trial_name"),
            ))
    });
    let config = dir.join("config.json");
    let config = if config.is_file() {
        read_json(&config)?
    } else {
        Value::Null
    };
    let first = &rows[0].1;
    let agent_info = first.get("agent_info").cloned().unwrap_or(Value::Null);
    let agent = str_of(&agent_info, "name")
        .unwrap_or("harbor-agent")
        .to_string();
    let model = agent_info.get("model_info").and_then(|m| {
        Some((
            str_of(m, "name")?.to_string(),
            str_of(m, "provider").unwrap_or("unknown").to_string(),
        ))
    });
    let mut attempts: BTreeMap<String, u32> = BTreeMap::new();
    let mut trials = Vec::new();
    let mut notes = Vec::new();
    let mut partial = 0usize;
    let mut undecided = 0usize;
    let mut timeouts_resolved = 0usize;
    for (path, r) in &rows {
        let Some(task) = str_of(r, "task_name") else {
            continue;
        };
        let n = attempts.entry(task.to_string()).or_default();
        *n += 1;
        let decided = reward_of(r);
        let reward = decided.as_ref().ok().copied().flatten();
        if reward.is_some_and(|x| x > 0.0 && x < 1.0) {
            partial += 1;
        }
        // Rewards that decide nothing make the trial an error of the task, never a pass.
        let outcome = match &decided {
            Ok(_) => outcome_of(r, reward),
            Err(_) => Outcome::EnvironmentError,
        };
        let group = str_of(r, "source").unwrap_or("terminal");
        let mut t = trial(FamilyKind::Terminal, task, *n, group, &agent, outcome);
        if let Some(ar) = r.get("agent_result").filter(|a| !a.is_null()) {
            t.usage.prompt_tokens = u64_of(ar, "n_input_tokens");
            t.usage.completion_tokens = u64_of(ar, "n_output_tokens");
            t.usage.cached_tokens = u64_of(ar, "n_cache_tokens");
            let cost = cost_of(ar, "cost_usd");
            t.usage.cost_usd = cost.unwrap_or(0.0);
            t.usage.tokens_unknown = !count_known(ar, "n_input_tokens");
            t.usage.cost_unknown = cost.is_none();
        }
        let phase = |k: &str| {
            let p = r.get(k).cloned().unwrap_or(Value::Null);
            span_ms(str_of(&p, "started_at"), str_of(&p, "finished_at"))
        };
        t.timings.total_ms = span_ms(str_of(r, "started_at"), str_of(r, "finished_at"));
        t.timings.setup_ms = phase("environment_setup") + phase("agent_setup");
        t.timings.agent_ms = phase("agent_execution");
        t.timings.test_ms = phase("verifier");
        t.started_at = str_of(r, "started_at").unwrap_or_default().to_string();
        t.ended_at = str_of(r, "finished_at").unwrap_or_default().to_string();
        let exception = r.get("exception_info").filter(|e| !e.is_null()).map(|e| {
            format!(
                "{}: {}",
                str_of(e, "exception_type").unwrap_or("exception"),
                str_of(e, "exception_message").unwrap_or("")
            )
        });
        t.error = match &decided {
            Err(e) => {
                undecided += 1;
                Some(format!(
                    "task {task}: the verifier's reward.json (verifier_result.rewards in {}) {e}",
                    path.display()
                ))
            }
            Ok(_) if outcome == Outcome::Resolved => exception.map(|x| {
                timeouts_resolved += 1;
                format!("resolved by the verifier's reward despite {x}")
            }),
            Ok(_) => exception,
        };
        t.tries.push(TryRecord {
            index: 1,
            outcome,
            exit_code: None,
            tests: Vec::new(),
            test_ms: t.timings.test_ms,
            output_artifact: None,
            reward,
        });
        trials.push(t);
    }
    note_count(&mut notes, timeouts_resolved, "trials recorded an exception (an agent timeout, say) but the verifier, which Harbor runs anyway, rewarded them: resolved, as in Harbor's mean; the exception is kept as the trial's note");
    note_count(&mut notes, undecided, "trials have verifier rewards with several keys and none named \"reward\": Harbor refuses those, so they are recorded as environment errors (the task's verifier is broken), never as passes");
    note_count(&mut notes, partial, "trials have a fractional reward; tribench counts a reward above 0 as resolved, Harbor averages rewards");
    let dataset = config
        .get("datasets")
        .and_then(Value::as_array)
        .and_then(|d| d.first())
        .and_then(|d| str_of(d, "name").map(String::from))
        .or_else(|| str_of(first, "source").map(String::from))
        .unwrap_or_else(|| "harbor".into());
    let version = config
        .get("datasets")
        .and_then(Value::as_array)
        .and_then(|d| d.first())
        .and_then(|d| str_of(d, "version").map(String::from));
    Ok(Imported::new(
        ManifestParts {
            run_id: str_of(&config, "job_name")
                .map(String::from)
                .unwrap_or_else(|| {
                    dir.file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default()
                }),
            agent,
            agent_version: str_of(&agent_info, "version")
                .unwrap_or_default()
                .to_string(),
            config: String::new(),
            model,
            dataset,
            dataset_version: version,
            family: FamilyKind::Terminal,
            source: dir,
            tasks: attempts.len(),
            attempts: attempts.values().copied().max().unwrap_or(1),
            max_tries: Some(1),
            harness: "harbor (imported)".into(),
            dates: Some((
                trials
                    .iter()
                    .map(|t| t.started_at.clone())
                    .filter(|s| !s.is_empty())
                    .min()
                    .unwrap_or_default(),
                trials.iter().map(|t| t.ended_at.clone()).max(),
            )),
        },
        trials,
        notes,
    ))
}
