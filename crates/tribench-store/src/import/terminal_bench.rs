//! Terminal-Bench 1 run directories: `run_metadata.json` and `results.json` at the top (the
//! harness's `BenchmarkResults`, a `results` list of trials), or per-trial `results.json` files
//! under `<task_id>/<trial_name>/`.

use super::{
    find_files, invalid, manifest, read_json, span_ms, str_of, trial, u64_of, ImportError,
    Imported, ManifestParts,
};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;
use tribench_types::{FamilyKind, Outcome, TestResult, TestStatus, TryRecord};

fn outcome_of(t: &Value) -> Outcome {
    if t.get("is_resolved").and_then(Value::as_bool) == Some(true) {
        return Outcome::Resolved;
    }
    match str_of(t, "failure_mode").unwrap_or("unset") {
        "agent_timeout" => Outcome::AgentTimeout,
        "test_timeout" => Outcome::TestTimeout,
        "context_length_exceeded" => Outcome::ContextExhausted,
        "output_length_exceeded" => Outcome::LimitReached,
        "fatal_llm_parse_error" => Outcome::MalformedResponse,
        "unknown_agent_error" => Outcome::AgentError,
        "agent_installation_failed" => Outcome::EnvironmentError,
        // The test output could not be parsed: the harness, not the agent.
        "parse_error" => Outcome::HarnessError,
        _ if t.get("is_resolved").is_some_and(Value::is_null) => Outcome::HarnessError,
        _ => Outcome::Unresolved,
    }
}

/// Imports a Terminal-Bench 1 run directory (the folder holding `run_metadata.json`).
pub fn import_terminal_bench(dir: &Path) -> Result<Imported, ImportError> {
    let meta_path = dir.join("run_metadata.json");
    let meta = if meta_path.is_file() {
        read_json(&meta_path)?
    } else {
        Value::Null
    };
    let top = dir.join("results.json");
    let mut rows: Vec<Value> = Vec::new();
    if top.is_file() {
        let v = read_json(&top)?;
        rows = v
            .get("results")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
    }
    if rows.is_empty() {
        for p in find_files(dir, "results.json") {
            if p != top {
                let v = read_json(&p)?;
                if v.get("task_id").is_some() {
                    rows.push(v);
                }
            }
        }
    }
    if rows.is_empty() {
        return Err(invalid(dir, "no Terminal-Bench trial results found (results.json with a results list, or per-trial results.json)"));
    }
    // Attempts in the order the trials started.
    rows.sort_by(|a, b| {
        (
            str_of(a, "task_id"),
            str_of(a, "trial_started_at"),
            str_of(a, "trial_name"),
        )
            .cmp(&(
                str_of(b, "task_id"),
                str_of(b, "trial_started_at"),
                str_of(b, "trial_name"),
            ))
    });
    let agent = str_of(&meta, "agent_name")
        .unwrap_or("terminal-bench-agent")
        .to_string();
    let mut attempts: BTreeMap<String, u32> = BTreeMap::new();
    let mut trials = Vec::new();
    for r in &rows {
        let Some(task_id) = str_of(r, "task_id") else {
            continue;
        };
        let n = attempts.entry(task_id.to_string()).or_default();
        *n += 1;
        let outcome = outcome_of(r);
        let mut t = trial(
            FamilyKind::Terminal,
            task_id,
            *n,
            "terminal",
            &agent,
            outcome,
        );
        t.usage.prompt_tokens = u64_of(r, "total_input_tokens");
        t.usage.completion_tokens = u64_of(r, "total_output_tokens");
        t.usage.tokens_unknown = r.get("total_input_tokens").is_none_or(Value::is_null);
        t.timings.total_ms = span_ms(str_of(r, "trial_started_at"), str_of(r, "trial_ended_at"));
        t.timings.agent_ms = span_ms(str_of(r, "agent_started_at"), str_of(r, "agent_ended_at"));
        t.timings.test_ms = span_ms(str_of(r, "test_started_at"), str_of(r, "test_ended_at"));
        t.started_at = str_of(r, "trial_started_at")
            .unwrap_or_default()
            .to_string();
        t.ended_at = str_of(r, "trial_ended_at").unwrap_or_default().to_string();
        if !matches!(outcome, Outcome::Resolved | Outcome::Unresolved) {
            t.error =
                str_of(r, "failure_mode").map(|m| format!("terminal-bench failure mode: {m}"));
        }
        let tests = r
            .get("parser_results")
            .and_then(Value::as_object)
            .map(|m| {
                m.iter()
                    .map(|(name, s)| TestResult {
                        name: name.clone(),
                        status: if s.as_str() == Some("passed") {
                            TestStatus::Passed
                        } else {
                            TestStatus::Failed
                        },
                    })
                    .collect()
            })
            .unwrap_or_default();
        t.tries.push(TryRecord {
            index: 1,
            outcome,
            exit_code: None,
            tests,
            test_ms: t.timings.test_ms,
            output_artifact: None,
            reward: None,
        });
        t.artifacts = str_of(r, "recording_path")
            .map(|p| vec![p.to_string()])
            .unwrap_or_default();
        trials.push(t);
    }
    let run_id = str_of(&meta, "run_id")
        .map(String::from)
        .unwrap_or_else(|| {
            dir.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        });
    let m = manifest(ManifestParts {
        run_id,
        agent: agent.clone(),
        agent_version: String::new(),
        config: meta
            .get("agent_kwargs")
            .map(Value::to_string)
            .unwrap_or_default(),
        model: str_of(&meta, "model_name").map(|m| (m.to_string(), "unknown".into())),
        dataset: str_of(&meta, "dataset_name")
            .unwrap_or("terminal-bench")
            .to_string(),
        dataset_version: str_of(&meta, "dataset_version").map(String::from),
        family: FamilyKind::Terminal,
        source: dir,
        tasks: attempts.len(),
        attempts: attempts.values().copied().max().unwrap_or(1),
        max_tries: Some(1),
        harness: format!(
            "terminal-bench ({})",
            str_of(&meta, "commit_hash").unwrap_or("unknown")
        ),
        started_at: str_of(&meta, "start_time").unwrap_or_default().to_string(),
        ended_at: str_of(&meta, "end_time").map(String::from),
    });
    Ok(Imported {
        manifest: m,
        trials,
        notes: Vec::new(),
    })
}
