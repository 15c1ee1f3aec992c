//! One run's trials for a person: the list of trial ids with how each ended, and the story of
//! one trial (what the agent did, step by step, then how grading judged it). Trials of agents
//! without a model (oracle, nop) show the change they made.

use crate::units::{duration_ms, duration_opt, usd_opt, UNKNOWN};
use crate::RunData;
use serde::Serialize;
use std::path::Path;
use tribench_store::RunStore;
use tribench_types::{
    ActionResult, Observation, OracleTrajectory, Outcome, ProgramTrajectory, TestStatus,
    Trajectory, TrialRecord,
};

/// One line of `tribench trials`.
#[derive(Debug, Clone, Serialize)]
pub struct TrialRow {
    pub trial_id: String,
    pub task_id: String,
    pub group: String,
    pub outcome: Outcome,
    /// Grading tries used.
    pub tries: usize,
    /// `None` when the run did not record it.
    pub seconds: Option<f64>,
    pub cost_usd: Option<f64>,
}

#[derive(Debug, thiserror::Error)]
pub enum TrialsError {
    #[error("no trial {id} in {run}{}", suggestion(.suggestions))]
    UnknownTrial {
        id: String,
        run: String,
        suggestions: Vec<String>,
    },
    #[error("{path}: {message}")]
    Unreadable { path: String, message: String },
}

fn suggestion(s: &[String]) -> String {
    if s.is_empty() {
        "; `tribench trials RUN` lists them".into()
    } else {
        format!("; did you mean {}?", s.join(", "))
    }
}

/// The run's trials, in id order, optionally only one outcome and/or one group.
pub fn list_trials(run: &RunData, outcome: Option<Outcome>, group: Option<&str>) -> Vec<TrialRow> {
    let mut rows: Vec<TrialRow> = run
        .trials
        .iter()
        .filter(|t| outcome.is_none_or(|o| t.outcome == o))
        .filter(|t| group.is_none_or(|g| t.group == g))
        .map(|t| TrialRow {
            trial_id: t.trial_id.clone(),
            task_id: t.task_id.clone(),
            group: t.group.clone(),
            outcome: t.outcome,
            tries: t.tries.len(),
            seconds: t
                .timings
                .known()
                .then(|| t.timings.total_ms as f64 / 1000.0),
            cost_usd: t.usage.cost_known().then_some(t.usage.cost_usd),
        })
        .collect();
    rows.sort_by(|a, b| a.trial_id.cmp(&b.trial_id));
    rows
}

/// The list as a table: trial id, outcome, tries, time, cost.
pub fn render_trials(rows: &[TrialRow]) -> String {
    let mut t = comfy_table::Table::new();
    t.load_preset(comfy_table::presets::NOTHING);
    t.set_header(vec!["trial", "outcome", "tries", "time", "cost"]);
    for r in rows {
        t.add_row(vec![
            crate::one_line(&r.trial_id),
            r.outcome.to_string(),
            r.tries.to_string(),
            duration_opt(r.seconds.map(|s| s * 1000.0)),
            usd_opt(r.cost_usd),
        ]);
    }
    let mut out = String::new();
    for line in t.to_string().lines() {
        out.push_str(line.trim());
        out.push('\n');
    }
    out.push_str(&format!("{} trials\n", rows.len()));
    crate::terminal_text(&out)
}

/// Edit distance between two ids, counted in characters.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur.push(sub.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

/// Up to `n` trial ids of the run closest to `id`: those containing it first, then by edit
/// distance (only reasonably close ones).
pub fn nearest_trial_ids(run: &RunData, id: &str, n: usize) -> Vec<String> {
    let mut scored: Vec<(usize, &str)> = run
        .trials
        .iter()
        .map(|t| {
            let d = if t.trial_id.contains(id) || t.task_id == id {
                0
            } else {
                distance(id, &t.trial_id)
            };
            (d, t.trial_id.as_str())
        })
        .filter(|(d, t)| *d <= (t.chars().count() / 3).max(3))
        .collect();
    scored.sort();
    scored
        .into_iter()
        .take(n)
        .map(|(_, t)| t.to_string())
        .collect()
}

/// Text indented by four spaces, cut to `max_lines` (head and tail kept), blank-free ends.
fn block(text: &str, max_lines: usize) -> String {
    let lines: Vec<&str> = text.trim_end().lines().collect();
    let shown: Vec<String> = if lines.len() > max_lines {
        let head = max_lines / 2;
        let tail = max_lines - head;
        let mut v: Vec<String> = lines[..head].iter().map(|l| l.to_string()).collect();
        v.push(format!("… {} lines …", lines.len() - max_lines));
        v.extend(lines[lines.len() - tail..].iter().map(|l| l.to_string()));
        v
    } else {
        lines.iter().map(|l| l.to_string()).collect()
    };
    let mut out = String::new();
    for l in shown {
        if l.trim().is_empty() {
            out.push('\n');
        } else {
            out.push_str("    ");
            out.push_str(l.trim_end());
            out.push('\n');
        }
    }
    out
}

fn read_artifact(dir: &Path, t: &TrialRecord, name: &str) -> Option<String> {
    let rel = t.artifacts.iter().find(|a| a.ends_with(name))?;
    std::fs::read(dir.join(rel))
        .ok()
        .map(|b| String::from_utf8_lossy(&b).into_owned())
}

/// One tool call: its name and arguments, with file contents and commands as blocks.
fn action(out: &mut String, r: &ActionResult) {
    let args = &r.arguments;
    let s = |v: &Option<String>| v.clone().unwrap_or_default();
    match r.tool.as_str() {
        "bash" => {
            out.push_str("> bash\n");
            out.push_str(&block(&s(&args.command), 40));
        }
        "write_file" => {
            out.push_str(&format!("> write_file {}\n", s(&args.path)));
            out.push_str(&block(&s(&args.content), 40));
        }
        "str_replace" => {
            out.push_str(&format!("> str_replace {}\n", s(&args.path)));
            out.push_str("  old:\n");
            out.push_str(&block(&s(&args.old_str), 20));
            out.push_str("  new:\n");
            out.push_str(&block(&s(&args.new_str), 20));
        }
        "read_file" => out.push_str(&format!("> read_file {}\n", s(&args.path))),
        "submit" => out.push_str("> submit\n"),
        other => {
            let a = serde_json::to_string(args).unwrap_or_default();
            out.push_str(&format!("> {other} {}\n", if a == "{}" { "" } else { &a }));
        }
    }
    if !r.output.trim().is_empty() {
        out.push_str("  output:\n");
        out.push_str(&block(&r.output, 40));
    }
}

fn ms_field(v: Option<f64>) -> String {
    v.map_or_else(|| UNKNOWN.to_string(), duration_ms)
}

/// An agent program's log (`tribench-cli-agent/1`): its install and run commands with output.
fn program_runs(out: &mut String, traj: &ProgramTrajectory) {
    for r in &traj.runs {
        let exit = r
            .exit_code
            .map_or_else(|| "no exit code".to_string(), |c| format!("exit {c}"));
        out.push_str(&format!("── {} ({exit})\n", r.phase));
        if let Some(c) = &r.command {
            out.push_str("> command\n");
            out.push_str(&block(c, 20));
        }
        if !r.output.trim().is_empty() {
            out.push_str("  output:\n");
            out.push_str(&block(&r.output, 40));
        }
        out.push('\n');
    }
}

/// The oracle's solution script: the command, how it ended, and its output's tail.
fn solution_run(out: &mut String, traj: &OracleTrajectory) {
    let r = &traj.solution;
    let exit = match r.exit_code {
        _ if r.timed_out => "timed out".to_string(),
        Some(c) => format!("exit {c}"),
        None => "no exit code".to_string(),
    };
    out.push_str(&format!("── solution ({exit})\n> command\n"));
    out.push_str(&block(&r.command, 20));
    if !r.output_tail.trim().is_empty() {
        out.push_str("  output:\n");
        out.push_str(&block(&r.output_tail, 40));
    }
    out.push('\n');
}

fn steps(out: &mut String, traj: &Trajectory) {
    let traj = match traj {
        Trajectory::Llm(t) => t,
        Trajectory::Program(p) => return program_runs(out, p),
        Trajectory::Oracle(o) => return solution_run(out, o),
    };
    for m in traj.messages.iter().take(2) {
        let role = if m.role.is_empty() { "?" } else { &m.role };
        out.push_str(&format!("[{role}]\n"));
        out.push_str(&block(m.content.as_deref().unwrap_or(""), 30));
        out.push('\n');
    }
    for step in &traj.steps {
        if let Some(timing) = &step.timing {
            let (prompt, completion) = match &step.usage {
                Some(u) => (u.prompt_tokens.to_string(), u.completion_tokens.to_string()),
                None => (UNKNOWN.to_string(), UNKNOWN.to_string()),
            };
            out.push_str(&format!(
                "── step {} · model {} · tools {} · tokens {prompt} in / {completion} out\n",
                step.step,
                ms_field(timing.model_ms),
                ms_field(timing.tool_ms),
            ));
        } else {
            out.push_str(&format!("── step {}\n", step.step));
        }
        for (key, value) in [("error", &step.error), ("trimmed", &step.trimmed)] {
            if let Some(e) = value {
                out.push_str(&format!("{key}: {e}\n"));
            }
        }
        if let Some(c) = step
            .assistant
            .as_ref()
            .and_then(|a| a.content.as_deref())
            .filter(|c| !c.trim().is_empty())
        {
            out.push_str(&block(c.trim(), 30));
        }
        for r in &step.results {
            match r {
                Observation::Malformed { malformed } => {
                    out.push_str(&format!("! malformed reply: {malformed}\n"))
                }
                Observation::Action(a) => action(out, a),
            }
        }
        out.push('\n');
    }
    let u = &traj.usage;
    out.push_str(&format!(
        "agent      {} steps, {} prompt and {} completion tokens\n",
        u.steps, u.prompt_tokens, u.completion_tokens
    ));
}

fn test_summary(t: &tribench_types::TryRecord) -> String {
    let count = |s: TestStatus| t.tests.iter().filter(|x| x.status == s).count();
    let mut parts = Vec::new();
    for (s, name) in [
        (TestStatus::Passed, "passed"),
        (TestStatus::Failed, "failed"),
        (TestStatus::Error, "errors"),
        (TestStatus::Skipped, "skipped"),
    ] {
        let n = count(s);
        if n > 0 {
            parts.push(format!("{n} {name}"));
        }
    }
    if parts.is_empty() {
        parts.push("no tests parsed".into());
    }
    if let Some(code) = t.exit_code {
        parts.push(format!("exit {code}"));
    }
    if let Some(r) = t.reward {
        parts.push(format!("reward {r}"));
    }
    parts.push(format!("tests took {}", duration_ms(t.test_ms as f64)));
    parts.join(", ")
}

/// What happened in one trial: the instruction, the agent's steps (or, for agents without a
/// model, the change they made), each grading try with its tests and output, and the outcome.
pub fn render_trajectory(run: &RunData, trial_id: &str) -> Result<String, TrialsError> {
    let Some(t) = run.trials.iter().find(|t| t.trial_id == trial_id) else {
        return Err(TrialsError::UnknownTrial {
            id: trial_id.to_string(),
            run: run.dir.display().to_string(),
            suggestions: nearest_trial_ids(run, trial_id, 3),
        });
    };
    let mut out = format!(
        "trial      {} (task {}, attempt {}, group {})\nagent      {}\n\n",
        t.trial_id, t.task_id, t.attempt, t.group, t.agent
    );
    let traj =
        RunStore::read_trajectory(&run.dir, &t.trial_id).map_err(|e| TrialsError::Unreadable {
            path: RunStore::artifact_in(&run.dir, &t.trial_id, "trajectory.json")
                .display()
                .to_string(),
            message: e.to_string(),
        })?;
    if let Some(traj) = traj {
        steps(&mut out, &traj);
    } else {
        if let Some(instr) = read_artifact(&run.dir, t, "instruction.md") {
            out.push_str("[instruction]\n");
            out.push_str(&block(&instr, 30));
            out.push('\n');
        }
        out.push_str(&format!(
            "the {} agent works without a model: no steps to show; what it changed:\n",
            t.agent
        ));
    }
    match read_artifact(&run.dir, t, "diff.patch") {
        Some(d) if !d.trim().is_empty() => {
            out.push_str("change     (diff.patch)\n");
            out.push_str(&block(&d, 80));
        }
        Some(_) => out.push_str("change     none: the workspace was left as it was\n"),
        None => out.push_str("change     not recorded\n"),
    }
    out.push_str("\n── result\n");
    for tr in &t.tries {
        out.push_str(&format!(
            "try {}      {}: {}\n",
            tr.index,
            tr.outcome,
            test_summary(tr)
        ));
        let failing: Vec<&str> = tr
            .tests
            .iter()
            .filter(|x| matches!(x.status, TestStatus::Failed | TestStatus::Error))
            .map(|x| x.name.as_str())
            .take(10)
            .collect();
        if !failing.is_empty() {
            out.push_str("  failing:\n");
            out.push_str(&block(&failing.join("\n"), 10));
        }
        if let Some(log) = tr
            .output_artifact
            .as_ref()
            .and_then(|a| std::fs::read(run.dir.join(a)).ok())
        {
            let log = String::from_utf8_lossy(&log);
            if !log.trim().is_empty() {
                out.push_str("  test output:\n");
                out.push_str(&block(&log, 20));
            }
        }
    }
    if t.tries.is_empty() {
        out.push_str("tests      not run\n");
    }
    if let Some(e) = &t.error {
        out.push_str(&format!("error      {e}\n"));
    }
    let time = if t.timings.known() {
        duration_ms(t.timings.total_ms as f64)
    } else {
        UNKNOWN.to_string()
    };
    let cost = usd_opt(t.usage.cost_known().then_some(t.usage.cost_usd));
    let on_try = t
        .passed_on_try
        .filter(|_| t.outcome == Outcome::Resolved)
        .map(|n| format!(" on try {n}"))
        .unwrap_or_default();
    out.push_str(&format!(
        "outcome    {}{on_try} · time {time} · cost {cost}\n",
        t.outcome
    ));
    // Model replies, tool output and test logs are the agent's: printed, never obeyed.
    Ok(crate::terminal_text(&out))
}
