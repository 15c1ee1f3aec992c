//! The adapter: the one module that reads a run directory's files. Runs and their trials come
//! through tribench-store's read-only API (safe beside a live run: a WAL reader never blocks the
//! writer); `trajectory.json`, `grading.json` and `report.json` are read here and nowhere else,
//! turned into the small view types below, so switching to typed formats touches only this file.

use crate::ViewError;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use tribench_analysis::RunData;
use tribench_store::RunStore;
use tribench_types::{Outcome, TrialKey, TrialRecord};

/// A run found under the given paths, with the key its pages are named by.
#[derive(Debug, Clone)]
pub struct RunEntry {
    /// URL- and file-safe (`[A-Za-z0-9._-]`), unique among the runs shown.
    pub key: String,
    pub dir: PathBuf,
}

/// The runs under `roots`: each root that is a run directory, else the run directories directly
/// inside it (or one level deeper). Keys come from directory names, made unique in path order.
pub fn discover(roots: &[PathBuf]) -> Vec<RunEntry> {
    let mut dirs: Vec<PathBuf> = Vec::new();
    for root in roots {
        if is_run(root) {
            dirs.push(root.clone());
            continue;
        }
        for child in sorted_subdirs(root) {
            if is_run(&child) {
                dirs.push(child);
            } else {
                dirs.extend(sorted_subdirs(&child).into_iter().filter(|d| is_run(d)));
            }
        }
    }
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut out = Vec::new();
    for dir in dirs {
        if out.iter().any(|e: &RunEntry| e.dir == dir) {
            continue;
        }
        let base = safe_key(
            &dir.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "run".into()),
        );
        let n = seen.entry(base.clone()).or_insert(0);
        *n += 1;
        let key = if *n == 1 { base } else { format!("{base}-{n}") };
        out.push(RunEntry { key, dir });
    }
    out
}

fn is_run(dir: &Path) -> bool {
    dir.join("manifest.json").is_file()
}

fn sorted_subdirs(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    v.sort();
    v
}

/// A name safe in a URL path segment and a file name.
pub fn safe_key(s: &str) -> String {
    let k: String = s
        .chars()
        .map(|c| match c {
            'a'..='z' | 'A'..='Z' | '0'..='9' | '.' | '_' | '-' => c,
            _ => '-',
        })
        .collect();
    match k.trim_start_matches('.') {
        "" => "run".into(),
        t => t.to_string(),
    }
}

/// What identifies a run's state on disk: size and modification time of its manifest, database
/// and write-ahead log. Any recorded trial changes it.
pub(crate) type Stamp = Vec<Option<(u64, std::time::SystemTime)>>;

pub(crate) fn stamp(dir: &Path) -> Stamp {
    ["manifest.json", "trials.sqlite", "trials.sqlite-wal"]
        .iter()
        .map(|f| {
            let m = std::fs::metadata(dir.join(f)).ok()?;
            Some((m.len(), m.modified().ok()?))
        })
        .collect()
}

type Cache = Mutex<HashMap<PathBuf, (Stamp, Arc<RunData>)>>;

fn cache() -> &'static Cache {
    static CACHE: OnceLock<Cache> = OnceLock::new();
    CACHE.get_or_init(|| Mutex::new(HashMap::new()))
}

/// Loads a run read-only: its manifest and every trial recorded so far. Kept in memory until
/// the run changes on disk, so the pages of a big run do not parse it again on every request.
pub fn load_run(dir: &Path) -> Result<Arc<RunData>, ViewError> {
    let key = dir.to_path_buf();
    let now = stamp(dir);
    if let Some((st, run)) = cache().lock().unwrap_or_else(|p| p.into_inner()).get(&key) {
        if *st == now {
            return Ok(run.clone());
        }
    }
    let run = Arc::new(load_run_uncached(dir)?);
    cache()
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(key, (now, run.clone()));
    Ok(run)
}

fn load_run_uncached(dir: &Path) -> Result<RunData, ViewError> {
    let manifest = tribench_store::read_manifest(dir)?
        .ok_or_else(|| ViewError::NotARun(dir.display().to_string()))?;
    let trials = match RunStore::open_read_only(dir)? {
        Some(store) => store.trials()?,
        None => Vec::new(),
    };
    Ok(RunData {
        dir: dir.to_path_buf(),
        manifest,
        trials,
    })
}

/// Live progress of a run: trials recorded, resolved, and failed for infrastructure reasons,
/// with the figures the terminal shows while a run goes (score so far with its Wilson
/// interval, time left at the pace so far, failures by kind).
#[derive(Debug, Clone, Default, serde::Serialize, PartialEq)]
pub struct Progress {
    pub recorded: usize,
    pub resolved: usize,
    pub infra: usize,
    pub expected: usize,
    pub finished: bool,
    /// `score 50.0% [9.5, 90.5] · ETA 3 min 05 s · unresolved 1`, as on the terminal.
    pub summary: String,
}

/// The terminal's progress summary for these outcomes.
fn summary(outcomes: &[Outcome], expected: usize, started_at: &str, finished: bool) -> String {
    let done = outcomes.len();
    let resolved = outcomes.iter().filter(|o| **o == Outcome::Resolved).count();
    let w = tribench_stats::wilson(resolved as u64, done as u64, 0.95);
    let mut s = format!(
        "score {:.1}% [{:.1}, {:.1}]",
        w.estimate * 100.0,
        w.low * 100.0,
        w.high * 100.0
    );
    let left = expected.saturating_sub(done);
    let elapsed = chrono::DateTime::parse_from_rfc3339(started_at)
        .ok()
        .map(|t| (chrono::Utc::now() - t.with_timezone(&chrono::Utc)).num_milliseconds());
    if let (false, true, true, Some(ms)) = (finished, left > 0, done > 0, elapsed) {
        let secs = (ms.max(0) as f64 / 1000.0 / done as f64 * left as f64).round() as u64;
        s.push_str(&format!(" · ETA {}", tribench_types::seconds_text(secs)));
    }
    let mut failures: BTreeMap<Outcome, usize> = BTreeMap::new();
    for o in outcomes.iter().filter(|o| **o != Outcome::Resolved) {
        *failures.entry(*o).or_default() += 1;
    }
    let mut f: Vec<(Outcome, usize)> = failures.into_iter().collect();
    f.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    if !f.is_empty() {
        let parts: Vec<String> = f.iter().map(|(o, n)| format!("{o} {n}")).collect();
        s.push_str(" · ");
        s.push_str(&parts.join(", "));
    }
    s
}

/// Reads a run's progress without loading the records (the live page polls this).
pub fn progress(dir: &Path) -> Result<Progress, ViewError> {
    let manifest = tribench_store::read_manifest(dir)?
        .ok_or_else(|| ViewError::NotARun(dir.display().to_string()))?;
    let outcomes: HashMap<TrialKey, Outcome> = match RunStore::open_read_only(dir)? {
        Some(store) => store.finished()?,
        None => HashMap::new(),
    };
    let tasks: usize = manifest.datasets.iter().map(|d| d.tasks).sum();
    let expected = tasks * manifest.attempts.max(1) as usize;
    let all: Vec<Outcome> = outcomes.values().copied().collect();
    Ok(Progress {
        summary: summary(
            &all,
            expected,
            &manifest.started_at,
            manifest.ended_at.is_some(),
        ),
        recorded: outcomes.len(),
        resolved: outcomes
            .values()
            .filter(|o| **o == Outcome::Resolved)
            .count(),
        infra: outcomes.values().filter(|o| o.is_infrastructure()).count(),
        expected,
        finished: manifest.ended_at.is_some(),
    })
}

/// A file of the run, by its path relative to the run directory, only if it stays inside it:
/// no `..`, no absolute path, no symbolic link leading out.
pub fn artifact_path(run_dir: &Path, rel: &str) -> Option<PathBuf> {
    let rel_path = Path::new(rel);
    if rel.is_empty()
        || rel_path
            .components()
            .any(|c| !matches!(c, Component::Normal(_)))
    {
        return None;
    }
    let root = run_dir.canonicalize().ok()?;
    let full = root.join(rel_path).canonicalize().ok()?;
    (full.starts_with(&root) && full.is_file()).then_some(full)
}

/// A trial artifact's text (lossy UTF-8), if present.
pub fn read_artifact(run_dir: &Path, trial_id: &str, name: &str) -> Option<String> {
    read_rel(
        run_dir,
        &format!("{}/{name}", RunStore::trial_dir_rel(trial_id)),
    )
}

/// A run-relative file's text (lossy UTF-8), if present and inside the run.
pub fn read_rel(run_dir: &Path, rel: &str) -> Option<String> {
    let p = artifact_path(run_dir, rel)?;
    std::fs::read(p)
        .ok()
        .map(|b| String::from_utf8_lossy(&b).into_owned())
}

/// One step of what the agent did.
#[derive(Debug, Clone, Default)]
pub struct StepView {
    pub number: usize,
    /// The model's own words in this step.
    pub message: Option<String>,
    pub calls: Vec<CallView>,
    /// Notes of the harness: a malformed reply, a trimmed history, an error.
    pub notes: Vec<String>,
    pub tokens: Option<(u64, u64)>,
}

/// One tool call and what it returned.
#[derive(Debug, Clone, Default)]
pub struct CallView {
    pub tool: String,
    pub arguments: String,
    pub output: Option<String>,
}

/// What a trial's trajectory says, in view terms.
#[derive(Debug, Clone, Default)]
pub struct TrajectoryView {
    /// The first messages of the conversation (system prompt, task).
    pub preamble: Vec<(String, String)>,
    pub steps: Vec<StepView>,
}

/// Reads `trajectory.json`: `tribench-trajectory/1` (llm), `tribench-cli-agent/1` (agent
/// programs), the oracle's solution log; anything else is shown as its JSON.
pub fn trajectory(run_dir: &Path, trial_id: &str) -> Option<TrajectoryView> {
    let text = read_artifact(run_dir, trial_id, "trajectory.json")?;
    let v: Value = match serde_json::from_str(&text) {
        Ok(v) => v,
        Err(e) => {
            return Some(TrajectoryView {
                preamble: vec![],
                steps: vec![StepView {
                    number: 1,
                    notes: vec![format!("trajectory.json is not JSON: {e}")],
                    ..StepView::default()
                }],
            })
        }
    };
    let mut view = TrajectoryView::default();
    if v["format"].as_str() == Some("tribench-trajectory/1") {
        for m in v["messages"].as_array().into_iter().flatten().take(2) {
            view.preamble
                .push((str_of(&m["role"]), content_text(&m["content"])));
        }
        for (i, s) in v["steps"].as_array().into_iter().flatten().enumerate() {
            let mut step = StepView {
                number: s["step"].as_u64().map_or(i + 1, |n| n as usize),
                ..StepView::default()
            };
            for key in ["error", "trimmed"] {
                if let Some(e) = s[key].as_str() {
                    step.notes.push(format!("{key}: {e}"));
                }
            }
            let content = content_text(&s["assistant"]["content"]);
            if !content.trim().is_empty() {
                step.message = Some(content);
            }
            for r in s["results"].as_array().into_iter().flatten() {
                if let Some(why) = r["malformed"].as_str() {
                    step.notes.push(format!("malformed reply: {why}"));
                    continue;
                }
                step.calls.push(CallView {
                    tool: str_of(&r["tool"]),
                    arguments: arguments_text(&r["arguments"]),
                    output: r["output"].as_str().map(String::from),
                });
            }
            if let (Some(p), Some(c)) = (
                s["usage"]["prompt_tokens"].as_u64(),
                s["usage"]["completion_tokens"].as_u64(),
            ) {
                step.tokens = Some((p, c));
            }
            view.steps.push(step);
        }
    } else if v["format"].as_str() == Some("tribench-cli-agent/1") {
        for (i, r) in v["runs"].as_array().into_iter().flatten().enumerate() {
            view.steps.push(StepView {
                number: i + 1,
                calls: vec![CallView {
                    tool: "program".into(),
                    arguments: arguments_text(r.get("command").unwrap_or(&Value::Null)),
                    output: Some(pretty_without(r, "command")),
                }],
                ..StepView::default()
            });
        }
    } else {
        view.steps.push(StepView {
            number: 1,
            calls: vec![CallView {
                tool: str_of(&v["agent"]),
                arguments: String::new(),
                output: Some(serde_json::to_string_pretty(&v).unwrap_or_default()),
            }],
            ..StepView::default()
        });
    }
    Some(view)
}

/// Every piece of model text of a trial, for the run page's search.
pub fn searchable_text(run_dir: &Path, trial_id: &str) -> String {
    let mut s = String::new();
    if let Some(t) = trajectory(run_dir, trial_id) {
        for st in &t.steps {
            if let Some(m) = &st.message {
                s.push_str(m);
                s.push('\n');
            }
            for c in &st.calls {
                s.push_str(&c.arguments);
                s.push('\n');
            }
            for n in &st.notes {
                s.push_str(n);
                s.push('\n');
            }
        }
    }
    s
}

/// The grading audit of a SWE-bench trial (`grading.json`) and its official per-test lists
/// (`report.json`).
#[derive(Debug, Clone, Default)]
pub struct GradingView {
    pub mode: Option<String>,
    pub parser: Option<String>,
    pub official_resolved: Option<bool>,
    pub strict_resolved: Option<bool>,
    pub suspicious: Vec<String>,
    /// (list name, test, passed): FAIL_TO_PASS and PASS_TO_PASS with their success/failure.
    pub lists: Vec<(String, String, bool)>,
}

/// Reads a trial's `grading.json` and `report.json`, when there are any.
pub fn grading(run_dir: &Path, trial_id: &str) -> Option<GradingView> {
    let g: Option<Value> = read_artifact(run_dir, trial_id, "grading.json")
        .and_then(|t| serde_json::from_str(&t).ok());
    let r: Option<Value> =
        read_artifact(run_dir, trial_id, "report.json").and_then(|t| serde_json::from_str(&t).ok());
    if g.is_none() && r.is_none() {
        return None;
    }
    let mut view = GradingView::default();
    if let Some(g) = &g {
        view.mode = g["mode"].as_str().map(String::from);
        view.parser = g["parser"].as_str().map(String::from);
        view.official_resolved = g["official"]["resolved"].as_bool();
        view.strict_resolved = g["strict"]["resolved"].as_bool();
        view.suspicious = g["suspicious"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|s| s.as_str().map(String::from))
            .collect();
    }
    // report.json is `{instance_id: {..., tests_status: {FAIL_TO_PASS: {success, failure}}}}`.
    if let Some(status) = r
        .as_ref()
        .and_then(|r| r.as_object())
        .and_then(|o| o.values().next())
        .map(|inst| &inst["tests_status"])
    {
        for list in ["FAIL_TO_PASS", "PASS_TO_PASS"] {
            for (key, passed) in [("success", true), ("failure", false)] {
                for t in status[list][key].as_array().into_iter().flatten() {
                    view.lists.push((list.to_string(), str_of(t), passed));
                }
            }
        }
    }
    Some(view)
}

/// The trials of one task in a run, by attempt.
pub fn attempts_of<'a>(run: &'a RunData, task_id: &str) -> Vec<&'a TrialRecord> {
    let mut v: Vec<&TrialRecord> = run.trials.iter().filter(|t| t.task_id == task_id).collect();
    v.sort_by_key(|t| t.attempt);
    v
}

fn str_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Message content: a string, or the text parts of a list of parts.
fn content_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Array(parts) => parts
            .iter()
            .filter_map(|p| p["text"].as_str())
            .collect::<Vec<_>>()
            .join("\n"),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Tool arguments: the command itself for a shell call, otherwise pretty JSON.
fn arguments_text(v: &Value) -> String {
    let v = match v {
        Value::String(s) => match serde_json::from_str::<Value>(s) {
            Ok(parsed) if parsed.is_object() => parsed,
            _ => return s.clone(),
        },
        other => other.clone(),
    };
    if let Some(obj) = v.as_object() {
        if obj.len() == 1 {
            if let Some(cmd) = obj.get("command").and_then(|c| c.as_str()) {
                return cmd.to_string();
            }
        }
    }
    serde_json::to_string_pretty(&v).unwrap_or_default()
}

fn pretty_without(v: &Value, key: &str) -> String {
    let mut v = v.clone();
    if let Some(o) = v.as_object_mut() {
        o.remove(key);
    }
    serde_json::to_string_pretty(&v).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use tribench_types::seconds_text as eta;

    #[test]
    fn artifact_paths_never_leave_the_run() {
        let d = tempfile::tempdir().unwrap();
        let run = d.path().join("run");
        std::fs::create_dir_all(run.join("trials/t.a1")).unwrap();
        std::fs::write(run.join("trials/t.a1/diff.patch"), "x").unwrap();
        std::fs::write(d.path().join("secret.txt"), "s").unwrap();
        std::os::unix::fs::symlink(d.path().join("secret.txt"), run.join("trials/link")).unwrap();
        assert!(artifact_path(&run, "trials/t.a1/diff.patch").is_some());
        for bad in [
            "../secret.txt",
            "trials/../../secret.txt",
            "/etc/passwd",
            "trials/link",
            "",
            "trials",
        ] {
            assert!(artifact_path(&run, bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn the_live_summary_reads_as_the_terminal_does() {
        use Outcome::*;
        let s = summary(
            &[Resolved, Unresolved, TestTimeout, Unresolved],
            8,
            "2020-01-01T00:00:00Z",
            true,
        );
        assert_eq!(s, "score 25.0% [4.6, 69.9] · unresolved 2, test_timeout 1");
        let running = summary(&[Resolved], 3, &chrono::Utc::now().to_rfc3339(), false);
        assert!(
            running.starts_with("score 100.0% [20.7, 100.0] · ETA "),
            "{running}"
        );
        assert_eq!(eta(3725), "1 h 02 min");
    }

    #[test]
    fn keys_are_safe_and_unique() {
        assert_eq!(safe_key("a b/c"), "a-b-c");
        assert_eq!(safe_key(".."), "run");
        let d = tempfile::tempdir().unwrap();
        for p in ["x/r", "y/r"] {
            std::fs::create_dir_all(d.path().join(p)).unwrap();
            std::fs::write(d.path().join(p).join("manifest.json"), "{}").unwrap();
        }
        let runs = discover(&[d.path().to_path_buf()]);
        let keys: Vec<&str> = runs.iter().map(|r| r.key.as_str()).collect();
        assert_eq!(keys, ["r", "r-2"]);
    }
}
