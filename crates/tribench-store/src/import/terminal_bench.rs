//! Terminal-Bench 1 results as people have them: one run directory (`run_metadata.json`, a
//! run-level `results.json` holding the harness's `BenchmarkResults`, a `results` list of
//! trials, and per-trial `<task_id>/<trial_name>/results.json`), a submission folder holding
//! several run directories (some per-trial folders missing, a run directory sometimes holding a
//! copy of another run), or run-level lists saved as `<timestamp>_results.json` side by side.
//!
//! Rules: a trial is identified by its `id` (or `uuid`), else by its run and `trial_name`, and is
//! counted once; where a run has a run-level list, the list decides which trials the run had
//! and per-trial files only add detail; attempts are numbered per task across runs, in the
//! order the runs started.

use super::{
    count_known, invalid, note_count, read_json, span_ms, str_of, trial, u64_of, ImportError,
    Imported, ManifestParts,
};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
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

/// One place results were found: a run directory, or a run-level list file standing alone.
#[derive(Debug, Default)]
struct Source {
    path: PathBuf,
    meta: Value,
    /// The run-level `results` list, when this source has one.
    list: Option<Vec<Value>>,
    /// Per-trial results files found under this source (not under a nested run).
    per_trial: Vec<Value>,
}

impl Source {
    /// Which run this is: copies of one run share it.
    fn run_key(&self) -> String {
        str_of(&self.meta, "uuid")
            .or_else(|| str_of(&self.meta, "run_id"))
            .map(String::from)
            .unwrap_or_else(|| self.path.display().to_string())
    }
}

/// The trials of one run, its sources merged.
#[derive(Debug, Default)]
struct Run {
    key: String,
    meta: Value,
    paths: Vec<PathBuf>,
    lists: Vec<Vec<Value>>,
    per_trial: Vec<Value>,
}

impl Run {
    fn name(&self) -> String {
        str_of(&self.meta, "run_id")
            .map(String::from)
            .unwrap_or_else(|| {
                self.paths
                    .first()
                    .and_then(|p| p.file_stem())
                    .map(|n| n.to_string_lossy().trim_end_matches("_results").to_string())
                    .unwrap_or_default()
            })
    }

    /// When the run started: its metadata, else its first trial.
    fn start(&self) -> String {
        str_of(&self.meta, "start_time")
            .map(String::from)
            .or_else(|| {
                self.lists
                    .iter()
                    .flatten()
                    .chain(&self.per_trial)
                    .filter_map(|t| str_of(t, "trial_started_at"))
                    .min()
                    .map(String::from)
            })
            .unwrap_or_default()
    }
}

fn trial_identity(t: &Value, run: &str) -> Option<String> {
    if let Some(id) = str_of(t, "id").or_else(|| str_of(t, "uuid")) {
        return Some(format!("id:{id}"));
    }
    str_of(t, "trial_name").map(|n| format!("run:{run}/{n}"))
}

fn is_run_list(v: &Value) -> bool {
    v.get("results").is_some_and(Value::is_array)
}

fn is_trial(v: &Value) -> bool {
    v.get("task_id").is_some_and(Value::is_string)
}

/// Walks `root`, sorting what it finds into sources. A directory is a run directory when it has
/// `run_metadata.json` or a run-level `results.json`; per-trial files belong to the nearest run
/// directory above them, else to the folder holding their task folders.
///
/// Results files that are not JSON are skipped and listed in `unreadable` (trial folders hold
/// whatever the agent wrote); an unreadable `run_metadata.json` is an error.
fn collect_sources(root: &Path, unreadable: &mut Vec<PathBuf>) -> Result<Vec<Source>, ImportError> {
    let mut sources: Vec<Source> = Vec::new();
    // (directory, index of the source it feeds per-trial files into)
    let mut stack: Vec<(PathBuf, Option<usize>)> = vec![(root.to_path_buf(), None)];
    // Per-trial files outside any run directory, by the folder holding their task folders.
    let mut loose: BTreeMap<PathBuf, Vec<Value>> = BTreeMap::new();
    while let Some((dir, parent_run)) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut entries: Vec<PathBuf> = rd.flatten().map(|e| e.path()).collect();
        entries.sort();
        let meta_path = dir.join("run_metadata.json");
        let results_path = dir.join("results.json");
        let results = if results_path.is_file() {
            match read_json(&results_path) {
                Ok(v) => Some(v),
                Err(_) => {
                    unreadable.push(results_path.clone());
                    None
                }
            }
        } else {
            None
        };
        let here_is_run = meta_path.is_file() || results.as_ref().is_some_and(is_run_list);
        let mut current = parent_run;
        if here_is_run {
            let meta = if meta_path.is_file() {
                read_json(&meta_path)?
            } else {
                Value::Null
            };
            let list = results
                .as_ref()
                .filter(|v| is_run_list(v))
                .and_then(|v| v.get("results"))
                .and_then(Value::as_array)
                .cloned();
            let mut s = Source {
                path: dir.clone(),
                meta,
                list,
                per_trial: Vec::new(),
            };
            if s.meta.is_null() {
                // Without metadata, the list's own id tells copies of one run apart from runs.
                if let Some(id) = results.as_ref().and_then(|v| str_of(v, "id")) {
                    s.meta = serde_json::json!({ "uuid": id });
                }
            }
            sources.push(s);
            current = Some(sources.len() - 1);
        } else if let Some(v) = results.filter(is_trial) {
            match current {
                Some(i) => sources[i].per_trial.push(v),
                None => {
                    // <run>/<task>/<trial>/results.json: the run is two levels up.
                    let run_dir = dir
                        .parent()
                        .and_then(Path::parent)
                        .unwrap_or(root)
                        .to_path_buf();
                    loose.entry(run_dir).or_default().push(v);
                }
            }
        }
        for p in entries {
            if p.is_dir() {
                stack.push((p, current));
                continue;
            }
            let name = p.file_name().map(|n| n.to_string_lossy().into_owned());
            // `<timestamp>_results.json`: a run-level list saved on its own.
            if name
                .as_deref()
                .is_some_and(|n| n.ends_with("_results.json"))
            {
                let Ok(v) = read_json(&p) else {
                    unreadable.push(p.clone());
                    continue;
                };
                if let Some(list) = v.get("results").and_then(Value::as_array) {
                    let meta = str_of(&v, "id")
                        .map(|id| serde_json::json!({ "uuid": id }))
                        .unwrap_or(Value::Null);
                    sources.push(Source {
                        path: p.clone(),
                        meta,
                        list: Some(list.clone()),
                        per_trial: Vec::new(),
                    });
                }
            }
        }
    }
    for (path, per_trial) in loose {
        sources.push(Source {
            path,
            meta: Value::Null,
            list: None,
            per_trial,
        });
    }
    Ok(sources)
}

/// Fills what a run-level row lacks from the per-trial file of the same trial.
fn merge_detail(row: &mut Value, detail: &Value) {
    let (Some(row), Some(detail)) = (row.as_object_mut(), detail.as_object()) else {
        return;
    };
    for (k, v) in detail {
        if row.get(k).is_none_or(Value::is_null) {
            row.insert(k.clone(), v.clone());
        }
    }
}

/// Imports Terminal-Bench 1 results: a run directory, a submission folder of several runs, or
/// a folder of `<timestamp>_results.json` files.
pub fn import_terminal_bench(dir: &Path) -> Result<Imported, ImportError> {
    let mut unreadable = Vec::new();
    let sources = collect_sources(dir, &mut unreadable)?;
    // Merge copies of one run.
    let mut runs: Vec<Run> = Vec::new();
    let mut by_key: HashMap<String, usize> = HashMap::new();
    let mut copies = 0usize;
    for s in sources {
        let key = s.run_key();
        let i = match by_key.get(&key) {
            Some(i) => {
                copies += 1;
                *i
            }
            None => {
                runs.push(Run {
                    key: key.clone(),
                    meta: s.meta.clone(),
                    ..Run::default()
                });
                by_key.insert(key, runs.len() - 1);
                runs.len() - 1
            }
        };
        let run = &mut runs[i];
        if run.meta.get("run_id").is_none() && s.meta.get("run_id").is_some() {
            run.meta = s.meta.clone();
        }
        run.paths.push(s.path);
        run.lists.extend(s.list);
        run.per_trial.extend(s.per_trial);
    }
    runs.retain(|r| !r.lists.is_empty() || !r.per_trial.is_empty());
    if runs.is_empty() {
        return Err(invalid(dir, "no Terminal-Bench trial results found (a run directory with run_metadata.json and results.json, per-trial <task>/<trial>/results.json, or <timestamp>_results.json files)"));
    }
    runs.sort_by_cached_key(|r| (r.start(), r.name(), r.key.clone()));

    let mut seen: BTreeSet<String> = BTreeSet::new();
    let mut duplicates = 0usize;
    let mut missing_detail = 0usize;
    let mut unlisted = 0usize;
    let mut ordered: Vec<(usize, Value)> = Vec::new();
    for (ri, run) in runs.iter().enumerate() {
        let key = run.key.as_str();
        let mut details: HashMap<String, &Value> = HashMap::new();
        let mut by_name: HashMap<&str, &Value> = HashMap::new();
        for t in &run.per_trial {
            if let Some(id) = trial_identity(t, key) {
                details.entry(id).or_insert(t);
            }
            if let Some(n) = str_of(t, "trial_name") {
                by_name.entry(n).or_insert(t);
            }
        }
        // (row, whether a per-trial file backs it)
        let mut rows: Vec<(Value, bool)> = Vec::new();
        if run.lists.is_empty() {
            rows.extend(
                run.per_trial
                    .iter()
                    .filter(|t| is_trial(t))
                    .map(|t| (t.clone(), true)),
            );
        } else {
            let mut listed: BTreeSet<String> = BTreeSet::new();
            for list in &run.lists {
                for row in list.iter().filter(|t| is_trial(t)) {
                    let mut row = row.clone();
                    let id = trial_identity(&row, key);
                    let detail =
                        id.as_ref()
                            .and_then(|id| details.get(id).copied())
                            .or_else(|| {
                                str_of(&row, "trial_name").and_then(|n| by_name.get(n).copied())
                            });
                    if let Some(d) = detail {
                        merge_detail(&mut row, d);
                    }
                    listed.extend(id);
                    if let Some(n) = str_of(&row, "trial_name") {
                        listed.insert(format!("name:{n}"));
                    }
                    rows.push((row, detail.is_some()));
                }
            }
            unlisted += run
                .per_trial
                .iter()
                .filter(|t| {
                    let by_id = trial_identity(t, key).is_some_and(|id| listed.contains(&id));
                    let by_name = str_of(t, "trial_name")
                        .is_some_and(|n| listed.contains(&format!("name:{n}")));
                    !by_id && !by_name
                })
                .count();
        }
        // Within a run, in the order its trials started.
        rows.sort_by(|(a, _), (b, _)| {
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
        for (row, has_detail) in rows {
            // The same trial again (a copy of a run, or a list and its copy): counted once.
            if let Some(id) = trial_identity(&row, key) {
                if !seen.insert(id) {
                    duplicates += 1;
                    continue;
                }
            }
            if !has_detail {
                missing_detail += 1;
            }
            ordered.push((ri, row));
        }
    }
    let first_meta = runs
        .iter()
        .map(|r| &r.meta)
        .find(|m| !m.is_null() && m.get("agent_name").is_some())
        .cloned()
        .unwrap_or(Value::Null);
    let agent = str_of(&first_meta, "agent_name")
        .unwrap_or("terminal-bench-agent")
        .to_string();
    let mut attempts: BTreeMap<String, u32> = BTreeMap::new();
    let mut trials = Vec::new();
    for (_, r) in &ordered {
        let Some(task_id) = str_of(r, "task_id") else {
            continue;
        };
        let n = attempts.entry(task_id.to_string()).or_default();
        *n += 1;
        trials.push(trial_of(r, task_id, *n, &agent));
    }
    let resolved = trials
        .iter()
        .filter(|t| t.outcome == Outcome::Resolved)
        .count();
    // A run whose every trial was already counted elsewhere is a copy (one without metadata or
    // a results id to say so).
    let contributing: BTreeSet<usize> = ordered.iter().map(|(ri, _)| *ri).collect();
    copies += runs.len() - contributing.len();
    let mut notes = vec![format!(
        "{} runs, {} trials ({} resolved), {} duplicates dropped, {} per-trial results files missing",
        contributing.len(),
        trials.len(),
        resolved,
        duplicates,
        missing_detail
    )];
    note_count(
        &mut notes,
        copies,
        "folders or files were copies of a run already read; their trials were counted once",
    );
    if !unreadable.is_empty() {
        notes.push(format!(
            "{} results files are not valid JSON and were skipped: {}",
            unreadable.len(),
            unreadable
                .iter()
                .take(3)
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    note_count(&mut notes, unlisted, "per-trial results files name trials their run's results list does not hold; the run-level list decides, so they were left out");
    note_count(&mut notes, missing_detail, "trials are known from the run-level results only (their per-trial folder is missing): outcome and tokens are kept, per-test results are not");
    let run_id = if runs.len() == 1 {
        runs[0].name()
    } else {
        dir.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    };
    Ok(Imported::new(
        ManifestParts {
            run_id,
            agent: agent.clone(),
            agent_version: String::new(),
            config: first_meta
                .get("agent_kwargs")
                .map(Value::to_string)
                .unwrap_or_default(),
            model: str_of(&first_meta, "model_name").map(|m| (m.to_string(), "unknown".into())),
            dataset: str_of(&first_meta, "dataset_name")
                .unwrap_or("terminal-bench")
                .to_string(),
            dataset_version: str_of(&first_meta, "dataset_version").map(String::from),
            family: FamilyKind::Terminal,
            source: dir,
            tasks: attempts.len(),
            attempts: attempts.values().copied().max().unwrap_or(1),
            max_tries: Some(1),
            harness: format!(
                "terminal-bench ({})",
                str_of(&first_meta, "commit_hash").unwrap_or("unknown")
            ),
            dates: Some((
                runs.first().map(Run::start).unwrap_or_default(),
                runs.iter()
                    .filter_map(|r| str_of(&r.meta, "end_time"))
                    .max()
                    .map(String::from),
            )),
        },
        trials,
        notes,
    ))
}

fn trial_of(r: &Value, task_id: &str, attempt: u32, agent: &str) -> tribench_types::TrialRecord {
    let outcome = outcome_of(r);
    let mut t = trial(
        FamilyKind::Terminal,
        task_id,
        attempt,
        "terminal",
        agent,
        outcome,
    );
    t.usage.prompt_tokens = u64_of(r, "total_input_tokens");
    t.usage.completion_tokens = u64_of(r, "total_output_tokens");
    t.usage.tokens_unknown = !count_known(r, "total_input_tokens");
    t.timings.total_ms = span_ms(str_of(r, "trial_started_at"), str_of(r, "trial_ended_at"));
    t.timings.agent_ms = span_ms(str_of(r, "agent_started_at"), str_of(r, "agent_ended_at"));
    t.timings.test_ms = span_ms(str_of(r, "test_started_at"), str_of(r, "test_ended_at"));
    t.started_at = str_of(r, "trial_started_at")
        .unwrap_or_default()
        .to_string();
    t.ended_at = str_of(r, "trial_ended_at").unwrap_or_default().to_string();
    if !matches!(outcome, Outcome::Resolved | Outcome::Unresolved) {
        t.error = str_of(r, "failure_mode").map(|m| format!("terminal-bench failure mode: {m}"));
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
    t
}
