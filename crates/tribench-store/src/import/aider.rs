//! Aider benchmark results: one `.aider.results.json` per exercise (`testdir`, `testcase`,
//! `model`, `edit_format`, `tests_outcomes` per try, `cost`, `duration`, `prompt_tokens`,
//! `completion_tokens`, ...), under the benchmark's run folder.
//!
//! Aider's own summary counts an exercise as passed within try N when its last outcome is a pass
//! reached at try N or earlier, and divides by the exercises that completed (those with a
//! results file), not by all the exercises the run copied; both rates are noted, labelled.

use super::{
    cost_of, count_known, find_files, invalid, read_json, str_of, trial, u64_of, ImportError,
    Imported, ManifestParts,
};
use serde_json::Value;
use std::path::Path;
use tribench_types::{FamilyKind, Outcome, TryRecord};

/// `<lang>/exercises/practice/<name>` → (`lang`, `<lang>/<name>`).
fn task_of(testdir: &str, testcase: &str) -> (String, String) {
    let parts: Vec<&str> = testdir.split('/').collect();
    let lang = parts
        .iter()
        .rposition(|p| *p == "exercises")
        .and_then(|i| i.checked_sub(1))
        .map_or("unknown", |i| parts[i]);
    (lang.to_string(), format!("{lang}/{testcase}"))
}

/// Imports an Aider benchmark run folder.
pub fn import_aider(dir: &Path) -> Result<Imported, ImportError> {
    let files = find_files(dir, ".aider.results.json");
    if files.is_empty() {
        return Err(invalid(dir, "no .aider.results.json found"));
    }
    let mut trials = Vec::new();
    let mut first = Value::Null;
    let mut max_tries = 0usize;
    for f in &files {
        let v = read_json(f)?;
        let testdir = str_of(&v, "testdir").map(String::from).unwrap_or_else(|| {
            f.parent()
                .map(|p| p.display().to_string())
                .unwrap_or_default()
        });
        let testcase = str_of(&v, "testcase")
            .map(String::from)
            .unwrap_or_else(|| testdir.rsplit('/').next().unwrap_or("exercise").to_string());
        let (lang, id) = task_of(&testdir, &testcase);
        let outcomes: Vec<bool> = v
            .get("tests_outcomes")
            .and_then(Value::as_array)
            .map(|a| a.iter().map(|x| x.as_bool().unwrap_or(false)).collect())
            .unwrap_or_default();
        max_tries = max_tries.max(outcomes.len());
        // As Aider's summary: passed when the last try passed, on that try.
        let passed_on = (outcomes.last() == Some(&true)).then_some(outcomes.len() as u32);
        let outcome = if passed_on.is_some() {
            Outcome::Resolved
        } else if outcomes.is_empty() {
            Outcome::HarnessError
        } else if v
            .get("num_exhausted_context_windows")
            .and_then(Value::as_u64)
            .unwrap_or(0)
            > 0
        {
            Outcome::ContextExhausted
        } else {
            Outcome::Unresolved
        };
        let mut t = trial(FamilyKind::Polyglot, &id, 1, &lang, "aider", outcome);
        t.passed_on_try = passed_on;
        let cost = cost_of(&v, "cost");
        t.usage.cost_usd = cost.unwrap_or(0.0);
        t.usage.cost_unknown = cost.is_none();
        t.usage.prompt_tokens = u64_of(&v, "prompt_tokens");
        t.usage.completion_tokens = u64_of(&v, "completion_tokens");
        t.usage.tokens_unknown = !count_known(&v, "prompt_tokens");
        t.timings.total_ms =
            (v.get("duration").and_then(Value::as_f64).unwrap_or(0.0) * 1000.0) as u64;
        t.tries = outcomes
            .iter()
            .enumerate()
            .map(|(i, ok)| TryRecord {
                index: i as u32 + 1,
                outcome: if *ok {
                    Outcome::Resolved
                } else {
                    Outcome::Unresolved
                },
                exit_code: None,
                tests: Vec::new(),
                test_ms: 0,
                output_artifact: None,
                reward: None,
            })
            .collect();
        if first.is_null() {
            first = v;
        }
        trials.push(t);
    }
    trials.sort_by(|a, b| a.task_id.cmp(&b.task_id));
    // Exercises the run copied but never finished have no results file. Aider's pass rates
    // leave them out (they divide by completed exercises); the manifest counts them as tasks,
    // so the report's score over all tasks counts them as failures.
    let exercises = count_exercises(dir).max(trials.len());
    let completed = trials.len();
    let within = |k: u32| {
        trials
            .iter()
            .filter(|t| t.passed_on_try.is_some_and(|p| p <= k))
            .count()
    };
    let pct = |k: usize, n: usize| {
        if n == 0 {
            0.0
        } else {
            100.0 * k as f64 / n as f64
        }
    };
    let mut notes = Vec::new();
    for k in 1..=(max_tries.max(1) as u32) {
        let p = within(k);
        notes.push(format!(
            "passed within {k} tries: {p}; over completed exercises (Aider's pass_rate_{k}) {p}/{completed} = {:.1}%; over all {exercises} exercises, unfinished counted as failures, {p}/{exercises} = {:.1}%",
            pct(p, completed),
            pct(p, exercises)
        ));
    }
    if exercises > completed {
        notes.push(format!("{} of {exercises} exercises have no results (unfinished): Aider's rates leave them out; tribench's score over all tasks counts them as failures", exercises - completed));
    }
    let model = str_of(&first, "model").unwrap_or("unknown").to_string();
    let edit_format = str_of(&first, "edit_format")
        .unwrap_or("unknown")
        .to_string();
    Ok(Imported::new(
        ManifestParts {
            run_id: dir
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            agent: "aider".into(),
            agent_version: str_of(&first, "commit_hash")
                .unwrap_or_default()
                .to_string(),
            config: format!("edit_format={edit_format}"),
            model: Some((model, "unknown".into())),
            dataset: "aider-polyglot".into(),
            dataset_version: None,
            family: FamilyKind::Polyglot,
            source: dir,
            tasks: exercises,
            attempts: 1,
            max_tries: Some(max_tries.max(1) as u32),
            harness: "aider benchmark (imported)".into(),
            dates: None,
        },
        trials,
        notes,
    ))
}

/// Exercise folders under `<lang>/exercises/practice/`, finished or not.
fn count_exercises(dir: &Path) -> usize {
    let Ok(langs) = std::fs::read_dir(dir) else {
        return 0;
    };
    langs
        .flatten()
        .filter_map(|lang| std::fs::read_dir(lang.path().join("exercises").join("practice")).ok())
        .map(|ex| ex.flatten().filter(|e| e.path().is_dir()).count())
        .sum()
}
