//! What each subcommand does, in terms of the library crates.

use crate::args::{
    Cli, Command, CompareArgs, ImportArgs, ImportKind, LlmArgs, MatrixArgs, PowerArgs, ReplayArgs,
    ReportArgs, RunArgs, TrajectoryArgs, TrialsArgs, ValidateArgs,
};
use crate::settings;
#[path = "commands/scale.rs"]
mod scale;
use anyhow::{bail, Context, Result};
use clap::Parser;
use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use tribench_analysis::RunData;
use tribench_engine::{EngineConfig, EngineError, ProgressMode};
use tribench_families::{load_suite, FamilyError, Suite};
use tribench_store::RunStore;
use tribench_types::Outcome;

/// Exit code of a run stopped by Ctrl-C or SIGTERM (128 + SIGINT).
const INTERRUPTED: u8 = 130;
/// Exit code of a run stopped because the model endpoint refused or stayed unreachable.
const MODEL_STOPPED: u8 = 3;
/// Exit code of a run whose every trial ended in an infrastructure error.
pub(crate) const ALL_INFRASTRUCTURE: u8 = 4;

pub async fn dispatch(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Some(Command::Run(a)) => run(*a).await,
        Some(Command::Validate(a)) => validate(a).await,
        Some(Command::Report(a)) => report(a),
        Some(Command::Compare(a)) => compare(a),
        Some(Command::Power(a)) => power(a),
        Some(Command::Import(a)) => import(a),
        Some(Command::Matrix(a)) => matrix(a),
        Some(Command::Trajectory(a)) => trajectory(a),
        Some(Command::Trials(a)) => trials(a),
        Some(Command::Replay(a)) => replay(a).await,
        Some(Command::Grade(a)) => crate::grade::grade(*a).await,
        Some(Command::Merge(a)) => scale::merge(a),
        Some(Command::Slurm(crate::args::SlurmCommand::Render(a))) => scale::slurm_render(*a),
        Some(Command::K8s(crate::args::K8sCommand::Render(a))) => scale::k8s_render(*a),
        None => {
            // No subcommand: `tribench run` with its defaults (bundled suites, oracle).
            match Cli::parse_from(["tribench", "run"]).command {
                Some(Command::Run(a)) => run(*a).await,
                _ => bail!("internal: `tribench run` did not parse as the run command"),
            }
        }
    }
}

/// Resolves when the user asks the run to stop (Ctrl-C or SIGTERM).
pub(crate) async fn shutdown_signal() {
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = term => {}
    }
    eprintln!("\nstopping: killing running trials; finished trials are kept (rerun to resume)");
}

fn load_suites(paths: &[PathBuf], skip_unsupported: bool) -> Result<Vec<Suite>> {
    let mut suites = Vec::new();
    for p in paths {
        match load_suite(p) {
            Ok(s) => suites.push(s),
            Err(FamilyError::Unsupported { path, what }) if skip_unsupported => {
                eprintln!(
                    "note: skipping {} ({what} suites are not supported yet)",
                    path.display()
                );
            }
            Err(e) => return Err(e).with_context(|| format!("cannot load suite {}", p.display())),
        }
    }
    if suites.is_empty() {
        bail!("no suite to run: pass --suite PATH (no bundled suites/ folder was found)");
    }
    Ok(suites)
}

/// The bundled suites include container tasks; without a Docker engine they are left out of the
/// default run (with a note) rather than failing it.
async fn without_unreachable_container_suites(suites: Vec<Suite>) -> Vec<Suite> {
    let needs = |s: &Suite| {
        s.tasks.iter().any(|t| {
            matches!(
                t.environment(),
                tribench_families::Environment::Container { .. }
            )
        })
    };
    if !suites.iter().any(needs) {
        return suites;
    }
    match tribench_sandbox::DockerBackend::connect(Default::default()).await {
        Ok(_) => suites,
        Err(e) => {
            for s in suites.iter().filter(|s| needs(s)) {
                eprintln!("note: skipping {} (its tasks run in containers and {e}; scripts/setup.sh starts one)", s.path.display());
            }
            suites.into_iter().filter(|s| !needs(s)).collect()
        }
    }
}

/// Progress on stderr: a bar on a terminal, plain lines elsewhere, nothing with --quiet.
pub(crate) fn progress_mode(exec: &crate::args::ExecArgs) -> ProgressMode {
    if exec.quiet {
        ProgressMode::Off
    } else if std::io::stderr().is_terminal() {
        ProgressMode::Bar
    } else {
        ProgressMode::Lines
    }
}

/// Quotes an argument for a POSIX shell when it needs it.
fn shell_word(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:+@%,".contains(c));
    if plain {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// The command that resumes this run: the same arguments, `run` spelled out when it was implied,
/// and the run directory named when it was a default (a new default would start a new run).
pub(crate) fn resume_command(run_dir: &Path) -> String {
    let mut args: Vec<String> = std::env::args_os()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    if args.is_empty() {
        args.push("tribench".into());
    }
    if args.len() == 1 {
        args.push("run".into());
    }
    if !args
        .iter()
        .any(|a| a == "--run-dir" || a.starts_with("--run-dir="))
    {
        args.push("--run-dir".into());
        args.push(run_dir.display().to_string());
    }
    args.iter()
        .map(|a| shell_word(a))
        .collect::<Vec<_>>()
        .join(" ")
}

async fn run(a: RunArgs) -> Result<ExitCode> {
    let bundled = a.suites.is_empty();
    let paths = if bundled {
        settings::bundled_suites()
    } else {
        a.suites.clone()
    };
    let mut suites = load_suites(&paths, bundled)?;
    if bundled {
        suites = without_unreachable_container_suites(suites).await;
    }
    let agent = make_agent(&a.agent, &a.llm)?;
    let run_dir = a
        .run_dir
        .clone()
        .unwrap_or_else(|| settings::default_run_dir(&a.agent));
    let (mut cfg, _image_context) = settings::engine_config(&a.exec, &run_dir, &paths)?;
    cfg.attempts = a.attempts.max(1);
    cfg.max_tries = a.tries;
    cfg.retry_errors = a.retry_errors;
    cfg.max_consecutive_model_errors = a.max_consecutive_model_errors;
    cfg.progress = progress_mode(&a.exec);
    eprintln!(
        "run directory {} ({} tasks x {} attempts; rerun with --run-dir {} to resume)",
        run_dir.display(),
        suites.iter().map(|s| s.tasks.len()).sum::<usize>(),
        cfg.attempts,
        run_dir.display()
    );
    let suites_for_export = suites.clone();
    let format = if a.json { Format::Json } else { Format::Table };
    match tribench_engine::run(suites, agent, cfg, shutdown_signal()).await {
        Ok(summary) => {
            if summary.skipped > 0 {
                eprintln!(
                    "resumed: {} trials were already recorded, {} ran now",
                    summary.skipped, summary.ran
                );
            }
        }
        Err(EngineError::Interrupted { done }) => {
            eprintln!(
                "interrupted after recording {done} trials in this invocation; to resume:\n  {}",
                resume_command(&run_dir)
            );
            return Ok(ExitCode::from(INTERRUPTED));
        }
        Err(e @ (EngineError::ModelRefused { .. } | EngineError::ModelUnreachable { .. })) => {
            // What finished is kept and reported; the message says how to finish the run.
            print_report(&run_dir, format)?;
            eprintln!("error: {e}");
            return Ok(ExitCode::from(MODEL_STOPPED));
        }
        Err(e) => return Err(e.into()),
    }
    let model = agent_model_name(&a.agent, &a.llm);
    crate::grade::export_agent_run(&run_dir, &suites_for_export, &model)?;
    print_report(&run_dir, format)?;
    if let Some(why) = all_infrastructure(&run_dir, "rerun the same command with --retry-errors")? {
        eprintln!("error: {why}");
        return Ok(ExitCode::from(ALL_INFRASTRUCTURE));
    }
    Ok(ExitCode::SUCCESS)
}

/// Set when every recorded trial of a run ended in an infrastructure error: the score then says
/// nothing about the agent, and the run must not look like it measured something.
pub(crate) fn all_infrastructure(run_dir: &Path, then: &str) -> Result<Option<String>> {
    let store = RunStore::open_for_reading(run_dir)
        .with_context(|| format!("cannot read run {}", run_dir.display()))?;
    let trials = store.trials()?;
    if trials.is_empty() || !trials.iter().all(|t| t.outcome.is_infrastructure()) {
        return Ok(None);
    }
    let mut kinds: BTreeMap<Outcome, usize> = BTreeMap::new();
    for t in &trials {
        *kinds.entry(t.outcome).or_default() += 1;
    }
    let kinds = kinds
        .iter()
        .map(|(o, n)| format!("{o} {n}"))
        .collect::<Vec<_>>()
        .join(", ");
    let first = trials
        .iter()
        .find_map(|t| t.error.as_deref())
        .unwrap_or("no cause recorded");
    Ok(Some(format!(
        "every trial ({}) ended in an infrastructure error ({kinds}), so the score measures nothing about the agent; first cause: {first}. Fix the cause, then {then}",
        trials.len()
    )))
}

/// `model_name_or_path` for SWE-bench's files: the model, or the agent's name.
fn agent_model_name(agent: &str, llm: &LlmArgs) -> String {
    match (&llm.model, agent) {
        (Some(m), "llm") => m.clone(),
        (Some(m), a) => format!("{a}+{m}"),
        (None, a) => a.to_string(),
    }
}

/// The report of a run, as a table or JSON.
pub(crate) fn print_report_of(run_dir: &Path, json: bool) -> Result<()> {
    print_report(run_dir, if json { Format::Json } else { Format::Table })
}

#[derive(Clone, Copy)]
enum Format {
    Table,
    WideTable,
    Json,
    Markdown,
}

fn print(r: &tribench_analysis::Report, format: Format) -> Result<()> {
    match format {
        Format::Json => println!("{}", serde_json::to_string_pretty(r)?),
        Format::Markdown => print!("{}", tribench_analysis::render_markdown(r)),
        Format::Table => print!("{}", tribench_analysis::render_table(r)),
        Format::WideTable => print!(
            "{}",
            tribench_analysis::render_table_with(
                r,
                tribench_analysis::RenderOptions { wide: true }
            )
        ),
    }
    Ok(())
}

fn print_report(run_dir: &Path, format: Format) -> Result<()> {
    let run =
        RunData::load(run_dir).with_context(|| format!("cannot read run {}", run_dir.display()))?;
    print(&tribench_analysis::build_report(&run), format)
}

fn report(a: ReportArgs) -> Result<ExitCode> {
    let format = if a.json {
        Format::Json
    } else if a.markdown {
        Format::Markdown
    } else if a.wide {
        Format::WideTable
    } else {
        Format::Table
    };
    let models_path = a
        .models
        .clone()
        .or_else(|| Some(PathBuf::from("models.toml")).filter(|p| p.is_file()));
    let models = match &models_path {
        Some(p) => tribench_analysis::ModelsFile::load(p)?,
        None => tribench_analysis::ModelsFile::default(),
    };
    let dates = match &a.task_dates {
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .with_context(|| format!("cannot read {}", p.display()))?;
            tribench_analysis::task_dates_from(&text)
                .with_context(|| format!("{}: not JSON or JSONL", p.display()))?
        }
        None => Default::default(),
    };
    let mut html_runs = Vec::new();
    for (i, dir) in a.runs.iter().enumerate() {
        let mut run =
            RunData::load(dir).with_context(|| format!("cannot read run {}", dir.display()))?;
        let entry = models.for_run(&run).cloned();
        if let Some(m) = &entry {
            let priced = tribench_analysis::price_trials(&mut run, m);
            if priced > 0 {
                eprintln!(
                    "note: priced {priced} trials of {} at {}'s prices from the models file",
                    dir.display(),
                    m.id
                );
            }
        }
        let mut r = tribench_analysis::build_report(&run);
        let cutoff = a
            .cutoff
            .clone()
            .or_else(|| entry.as_ref().and_then(|m| m.training_cutoff.clone()));
        if let Some(c) = cutoff {
            r.freshness = Some(tribench_analysis::freshness(&run.trials, &c, &dates));
        }
        if i > 0 && !a.json {
            println!();
        }
        print(&r, format)?;
        html_runs.push((r, entry));
    }
    if let Some(path) = &a.html {
        std::fs::write(path, tribench_analysis::render_html(&html_runs))
            .with_context(|| format!("cannot write {}", path.display()))?;
        eprintln!("wrote {}", path.display());
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(serde::Serialize)]
struct TaskCheck {
    id: String,
    group: String,
    oracle: Outcome,
    nop: Outcome,
    /// Oracle runs (more than one with --repeat) and how many resolved.
    oracle_runs: usize,
    oracle_resolved: usize,
    flaky: bool,
    /// Why the oracle did not resolve it: reward, failing tests, the solution's exit code, the
    /// verifier's last lines.
    #[serde(skip_serializing_if = "Option::is_none")]
    oracle_failure: Option<crate::why::FailureReason>,
    ok: bool,
    problems: Vec<String>,
}

async fn validate(a: ValidateArgs) -> Result<ExitCode> {
    let suites = load_suites(&a.suites, false)?;
    let temp;
    let base = match &a.run_dir {
        Some(d) => d.clone(),
        None => {
            temp = tempfile::Builder::new()
                .prefix("tribench-validate-")
                .tempdir()?;
            temp.path().to_path_buf()
        }
    };
    let mut outcomes: BTreeMap<&str, BTreeMap<String, (Outcome, Option<String>)>> = BTreeMap::new();
    let mut oracle_failures: BTreeMap<String, crate::why::FailureReason> = BTreeMap::new();
    let mut oracle_runs: BTreeMap<String, Vec<Outcome>> = BTreeMap::new();
    for agent_name in ["oracle", "nop"] {
        let agent: Arc<dyn tribench_agents::Agent> = match tribench_agents::by_name(agent_name) {
            Some(agent) => Arc::from(agent),
            None => bail!("agent {agent_name} is missing from this build"),
        };
        let dir = base.join(agent_name);
        let (mut cfg, _image_context): (EngineConfig, _) =
            settings::engine_config(&a.exec, &dir, &a.suites)?;
        // One try: the oracle must pass outright, and the nop's second try would change nothing.
        cfg.max_tries = Some(1);
        if agent_name == "oracle" {
            cfg.attempts = a.repeat.max(1);
        }
        cfg.progress = progress_mode(&a.exec);
        if !a.json {
            eprintln!("validating with the {agent_name} agent ...");
        }
        match tribench_engine::run(suites.clone(), agent, cfg, shutdown_signal()).await {
            Ok(_) => {}
            Err(EngineError::Interrupted { .. }) => return Ok(ExitCode::from(INTERRUPTED)),
            Err(e) => return Err(e.into()),
        }
        let store = RunStore::open_for_reading(&dir)?;
        let map = outcomes.entry(agent_name).or_default();
        for t in store.trials()? {
            if agent_name == "oracle" {
                oracle_runs
                    .entry(t.task_id.clone())
                    .or_default()
                    .push(t.outcome);
                if t.outcome != Outcome::Resolved {
                    oracle_failures
                        .entry(t.task_id.clone())
                        .or_insert_with(|| crate::why::FailureReason::of(&dir, &t));
                }
            }
            // Keep the first failure, if any: a task is only as good as its worst run.
            let keep = map
                .get(&t.task_id)
                .is_some_and(|(o, _)| *o != Outcome::Resolved);
            if !keep {
                map.insert(t.task_id.clone(), (t.outcome, t.error.clone()));
            }
        }
    }

    let mut checks = Vec::new();
    for suite in &suites {
        for task in &suite.tasks {
            // Under --shard, the tasks none of whose trials fell in this shard are not checked.
            if a.exec.shard.is_some() && !outcomes.values().any(|m| m.contains_key(&task.info.id)) {
                continue;
            }
            let get = |agent: &str| {
                outcomes
                    .get(agent)
                    .and_then(|m| m.get(&task.info.id))
                    .cloned()
                    .unwrap_or((Outcome::HarnessError, Some("no trial recorded".into())))
            };
            let (oracle, oracle_err) = get("oracle");
            let (nop, nop_err) = get("nop");
            let mut problems = Vec::new();
            let runs = oracle_runs.get(&task.info.id).cloned().unwrap_or_default();
            let resolved_runs = runs.iter().filter(|o| **o == Outcome::Resolved).count();
            let flaky = runs.len() > 1 && resolved_runs > 0 && resolved_runs < runs.len();
            if flaky {
                problems.push(format!(
                    "flaky: the oracle resolved it in {resolved_runs} of {} runs",
                    runs.len()
                ));
            }
            let oracle_failure = oracle_failures.get(&task.info.id).cloned();
            if oracle != Outcome::Resolved {
                let why = oracle_failure
                    .as_ref()
                    .map(crate::why::FailureReason::summary)
                    .filter(|s| !s.is_empty())
                    .or(oracle_err);
                problems.push(format!(
                    "oracle did not resolve it ({oracle}{})",
                    why.map(|e| format!(": {e}")).unwrap_or_default()
                ));
            }
            if nop == Outcome::Resolved {
                problems.push("nop resolved it: the tests pass without any change".into());
            } else if nop.is_infrastructure() {
                problems.push(format!(
                    "nop run failed for infrastructure reasons ({nop}{})",
                    nop_err.map(|e| format!(": {e}")).unwrap_or_default()
                ));
            }
            checks.push(TaskCheck {
                id: task.info.id.clone(),
                group: task.info.group.clone(),
                oracle,
                nop,
                oracle_runs: runs.len(),
                oracle_resolved: resolved_runs,
                flaky,
                oracle_failure,
                ok: problems.is_empty(),
                problems,
            });
        }
    }
    let broken = checks.iter().filter(|c| !c.ok).count();
    let flaky = checks.iter().filter(|c| c.flaky).count();
    // What ran, not what was asked: an interrupted or resumed validation may differ.
    let repetitions = checks.iter().map(|c| c.oracle_runs).max().unwrap_or(0);
    if a.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "tasks": checks,
                "broken": broken,
                "total": checks.len(),
                "repetitions": repetitions,
                "flaky": flaky,
            }))?
        );
    } else {
        print_validation(&checks);
        if a.repeat > 1 || repetitions > 1 {
            println!(
                "the oracle ran {repetitions} times on each task: {flaky} of {} tasks were flaky (resolved in some runs, not in others)",
                checks.len()
            );
        }
    }
    Ok(if broken == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn print_validation(checks: &[TaskCheck]) {
    let mut groups: BTreeMap<&str, (usize, usize, usize)> = BTreeMap::new();
    for c in checks {
        let g = groups.entry(c.group.as_str()).or_default();
        g.0 += 1;
        g.1 += usize::from(c.oracle == Outcome::Resolved);
        g.2 += usize::from(c.nop == Outcome::Resolved);
    }
    let mut t = comfy_table::Table::new();
    t.load_preset(comfy_table::presets::UTF8_BORDERS_ONLY);
    t.set_header(vec!["group", "tasks", "oracle resolved", "nop resolved"]);
    let pct = |k: usize, n: usize| {
        format!(
            "{k}/{n} ({:.0}%)",
            if n == 0 {
                0.0
            } else {
                100.0 * k as f64 / n as f64
            }
        )
    };
    for (g, (n, o, z)) in &groups {
        t.add_row(vec![g.to_string(), n.to_string(), pct(*o, *n), pct(*z, *n)]);
    }
    println!("{t}");
    let broken: Vec<&TaskCheck> = checks.iter().filter(|c| !c.ok).collect();
    if broken.is_empty() {
        println!(
            "all {} tasks are valid: the oracle resolves each and the nop agent none",
            checks.len()
        );
    } else {
        println!("{} of {} tasks are broken:", broken.len(), checks.len());
        for c in broken {
            for p in &c.problems {
                println!("  {}: {p}", c.id);
            }
        }
    }
}

fn compare(a: CompareArgs) -> Result<ExitCode> {
    let ra = RunData::load(&a.a).with_context(|| format!("cannot read run {}", a.a.display()))?;
    let rb = RunData::load(&a.b).with_context(|| format!("cannot read run {}", a.b.display()))?;
    let rule = if a.no_rule {
        Some(None)
    } else if let Some(p) = a.rule_points {
        Some(Some(tribench_analysis::PracticeRule::Points(p)))
    } else {
        a.rule_tasks
            .map(|t| Some(tribench_analysis::PracticeRule::Tasks(t)))
    };
    let opts = tribench_analysis::CompareOptions {
        force: a.force,
        alpha: a.alpha,
        min_effect: a.min_effect / 100.0,
        practice_rule: rule,
        seed: a.seed,
        ..Default::default()
    };
    let c = tribench_analysis::compare(&ra, &rb, &opts)?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&c)?);
    } else {
        print!("{}", tribench_analysis::render_comparison(&c));
    }
    Ok(ExitCode::SUCCESS)
}

fn power(a: PowerArgs) -> Result<ExitCode> {
    use tribench_stats::{attempts_needed, mde, tasks_needed, PowerInputs};
    if !(a.tasks >= 1.0 && a.attempts >= 1.0 && (0.0..=1.0).contains(&a.base_rate)) {
        bail!("--tasks and --attempts must be at least 1 and --base-rate within 0..1");
    }
    let paired = PowerInputs {
        tasks: a.tasks,
        attempts: a.attempts,
        base_rate: a.base_rate,
        correlation: a.correlation,
        icc: a.icc,
        alpha: a.alpha,
        power: a.power,
    };
    let unpaired = PowerInputs {
        correlation: 0.0,
        ..paired
    };
    let effect = a.effect.map(|e| e / 100.0);
    let out = serde_json::json!({
        "inputs": {
            "tasks": a.tasks, "attempts": a.attempts, "base_rate": a.base_rate,
            "correlation": a.correlation, "icc": a.icc, "alpha": a.alpha, "power": a.power,
        },
        "se_paired": paired.se(),
        "mde_paired": mde(&paired),
        "mde_unpaired": mde(&unpaired),
        "effect": effect,
        "tasks_needed": effect.map(|e| tasks_needed(&paired, e)),
        "attempts_needed": effect.map(|e| attempts_needed(&paired, e)),
    });
    if let Some(path) = &a.html {
        let html = tribench_analysis::render_power_html(
            &paired,
            &[1.0, 3.0, 5.0, 10.0],
            (a.tasks * 4.0).max(100.0),
        );
        std::fs::write(path, html).with_context(|| format!("cannot write {}", path.display()))?;
        eprintln!("wrote {}", path.display());
    }
    if a.json {
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{} tasks x {} attempts, base rate {:.0}%, task correlation {:.2}, icc {:.2}, alpha {}, power {:.0}%",
        a.tasks, a.attempts, a.base_rate * 100.0, a.correlation, a.icc, a.alpha, a.power * 100.0
    );
    println!(
        "paired comparison    MDE {:.1} pts (SE {:.1} pts)",
        mde(&paired) * 100.0,
        paired.se() * 100.0
    );
    println!("unpaired comparison  MDE {:.1} pts", mde(&unpaired) * 100.0);
    println!(
        "one task is {:.1} pts; the MDE is {:.1} tasks",
        100.0 / a.tasks,
        mde(&paired) * a.tasks
    );
    if let Some(e) = effect {
        println!("to detect {:.1} pts:", e * 100.0);
        println!(
            "  tasks needed at {} attempts: {}",
            a.attempts,
            tasks_needed(&paired, e)
        );
        match attempts_needed(&paired, e) {
            Some(k) => println!("  attempts needed with {} tasks: {k}", a.tasks),
            None => println!("  no number of attempts suffices with {} tasks: the spread between tasks alone is too large", a.tasks),
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn import(a: ImportArgs) -> Result<ExitCode> {
    use tribench_store::import;
    let imported = match a.kind {
        ImportKind::AiderLeaderboard => return aider_leaderboard(&a),
        ImportKind::Swebench => import::import_swebench(&a.source, &a.dataset),
        ImportKind::TerminalBench => import::import_terminal_bench(&a.source),
        ImportKind::Harbor => import::import_harbor(&a.source),
        ImportKind::Aider => import::import_aider(&a.source),
    }
    .with_context(|| format!("cannot import {}", a.source.display()))?;
    let Some(run_dir) = &a.run_dir else {
        bail!("--run-dir is required: the import becomes a new run directory");
    };
    imported.write(run_dir)?;
    for n in &imported.notes {
        eprintln!("note: {n}");
    }
    eprintln!(
        "imported {} trials into {}",
        imported.trials.len(),
        run_dir.display()
    );
    if a.json || a.report {
        print_report(run_dir, if a.json { Format::Json } else { Format::Table })?;
        return Ok(ExitCode::SUCCESS);
    }
    let run =
        RunData::load(run_dir).with_context(|| format!("cannot read run {}", run_dir.display()))?;
    let r = tribench_analysis::build_report(&run);
    let model = r
        .manifest
        .model
        .as_ref()
        .map(|m| format!("model {}, ", m.id))
        .unwrap_or_default();
    println!(
        "{model}run {}: resolved {} of {} tasks, {:.1}% [95% CI {:.1}, {:.1}]",
        r.manifest.run_id,
        r.total.score.successes,
        r.total.tasks,
        r.total.score.rate * 100.0,
        r.total.score.low * 100.0,
        r.total.score.high * 100.0
    );
    println!(
        "the full report: tribench report {}",
        shell_word(&run_dir.display().to_string())
    );
    Ok(ExitCode::SUCCESS)
}

fn aider_leaderboard(a: &ImportArgs) -> Result<ExitCode> {
    use tribench_stats::wilson;
    let rows = tribench_store::import::read_aider_leaderboard(&a.source)?;
    let note = "aggregate rows only: without per-task results no paired comparison between rows is possible, \
                so differences between rows are only as certain as the unpaired intervals say";
    let denominators = "Aider's pass rates are over the completed cases (test_cases); \
                        'over all' counts the unfinished cases (total_tests - test_cases) as failures";
    if a.json {
        let out: Vec<serde_json::Value> = rows
            .iter()
            .map(|r| {
                let ci = |k: u64, n: u64| {
                    let w = wilson(k, n, 0.95);
                    [w.estimate, w.low, w.high]
                };
                serde_json::json!({
                    "entry": r,
                    "pass_1_over_completed": ci(r.passed_1, r.completed),
                    "pass_2_over_completed": ci(r.passed_2, r.completed),
                    "pass_1_over_all": ci(r.passed_1, r.total),
                    "pass_2_over_all": ci(r.passed_2, r.total),
                })
            })
            .collect();
        println!(
            "{}",
            serde_json::to_string_pretty(
                &serde_json::json!({"rows": out, "note": note, "denominators": denominators})
            )?
        );
        return Ok(ExitCode::SUCCESS);
    }
    let mut t = comfy_table::Table::new();
    t.load_preset(comfy_table::presets::UTF8_BORDERS_ONLY);
    t.set_header(vec![
        "model",
        "format",
        "date",
        "completed/total",
        "try 1, over completed [95% CI]",
        "within 2, over completed (Aider's) [95% CI]",
        "within 2, over all [95% CI]",
        "published",
        "cost $",
    ]);
    let cell = |k: u64, n: u64| {
        let w = wilson(k, n, 0.95);
        format!(
            "{:.1}% [{:.1}, {:.1}]",
            w.estimate * 100.0,
            w.low * 100.0,
            w.high * 100.0
        )
    };
    for r in &rows {
        t.add_row(vec![
            r.model.clone(),
            r.edit_format.clone(),
            r.date.clone(),
            format!("{}/{}", r.completed, r.total),
            cell(r.passed_1, r.completed),
            cell(r.passed_2, r.completed),
            cell(r.passed_2, r.total),
            r.published_rate_2
                .map_or_else(String::new, |p| format!("{p:.1}%")),
            r.total_cost.map_or_else(
                || tribench_analysis::UNKNOWN.to_string(),
                |c| format!("{c:.2}"),
            ),
        ]);
    }
    println!("{t}");
    println!("note: {denominators}");
    println!("note: {note}");
    Ok(ExitCode::SUCCESS)
}

fn matrix(a: MatrixArgs) -> Result<ExitCode> {
    let runs = a
        .runs
        .iter()
        .map(|d| RunData::load(d).with_context(|| format!("cannot read run {}", d.display())))
        .collect::<Result<Vec<_>>>()?;
    let m = tribench_analysis::matrix(&runs, a.alpha, a.draws, a.seed);
    if a.json {
        println!("{}", serde_json::to_string_pretty(&m)?);
    } else {
        print!("{}", tribench_analysis::render_matrix(&m));
    }
    Ok(ExitCode::SUCCESS)
}

/// Builds the agent a run asked for.
fn make_agent(name: &str, llm: &LlmArgs) -> Result<Arc<dyn tribench_agents::Agent>> {
    use tribench_agents::llm::{ChatClient, Limits, LlmAgent, Mode, ModelConfig, Prompts};
    if let Some(which) = name.strip_prefix("cli:") {
        let path = PathBuf::from(which);
        let path = if path.is_file() {
            path
        } else {
            settings::shipped_agent(which).ok_or_else(|| {
                anyhow::anyhow!(
                    "no agent definition {which:?}: give a .toml path or one of agents/*.toml"
                )
            })?
        };
        let agent = tribench_agents::cli::CliAgent::load(
            &path,
            llm.model.clone().unwrap_or_default(),
            llm.base_url.clone().unwrap_or_default(),
        )?;
        return Ok(Arc::new(agent));
    }
    if name != "llm" {
        return match tribench_agents::by_name(name) {
            Some(agent) => Ok(Arc::from(agent)),
            None => bail!(
                "unknown agent {name:?}; known agents: llm, {}",
                tribench_agents::AGENT_NAMES.join(", ")
            ),
        };
    }
    let (Some(model), Some(base_url)) = (&llm.model, &llm.base_url) else {
        bail!("the llm agent needs --model and --base-url");
    };
    let mut cfg = ModelConfig::new(base_url.clone(), model.clone());
    cfg.api_key_env = llm.api_key_env.clone();
    cfg.temperature = llm.temperature;
    cfg.top_p = llm.top_p;
    cfg.max_tokens = llm.max_tokens;
    cfg.seed = llm.seed;
    cfg.concurrency = llm.concurrency.max(1);
    let models_path = llm
        .models
        .clone()
        .or_else(|| Some(PathBuf::from("models.toml")).filter(|p| p.is_file()));
    if let Some(p) = models_path {
        if let Some(m) = tribench_analysis::ModelsFile::load(&p)?.get(model) {
            cfg.price_input_per_mtok = m.price_input_per_mtok;
            cfg.price_output_per_mtok = m.price_output_per_mtok;
            cfg.price_cached_per_mtok = m.price_cached_per_mtok;
        }
    }
    let mode = match llm.mode.as_str() {
        "tools" => Mode::Tools,
        "text" => Mode::Text,
        "interactive" => Mode::Interactive,
        other => bail!("--mode {other:?}: expected tools, text or interactive"),
    };
    let prompts = match &llm.prompts {
        Some(dir) => Prompts::from_dir(dir)
            .with_context(|| format!("cannot read prompts from {}", dir.display()))?,
        None => Prompts::default(),
    };
    let limits = Limits {
        max_steps: llm.max_steps,
        max_cost_usd: llm.max_cost,
        trim_history: llm.trim_history,
        ..Limits::default()
    };
    let client = ChatClient::new(cfg)?;
    Ok(Arc::new(LlmAgent::new(
        Arc::new(client),
        mode,
        limits,
        prompts,
    )))
}

fn trajectory(a: TrajectoryArgs) -> Result<ExitCode> {
    let run =
        RunData::load(&a.run).with_context(|| format!("cannot read run {}", a.run.display()))?;
    if a.json {
        let path = a.run.join("trials").join(&a.trial).join("trajectory.json");
        if let Ok(text) = std::fs::read_to_string(&path) {
            print!("{text}");
            return Ok(ExitCode::SUCCESS);
        }
        // No model trajectory (oracle, nop): the trial's record is what there is.
        let Some(t) = run.trials.iter().find(|t| t.trial_id == a.trial) else {
            return Err(tribench_analysis::render_trajectory(&run, &a.trial)
                .err()
                .map_or_else(
                    || anyhow::anyhow!("no trial {}", a.trial),
                    anyhow::Error::from,
                ));
        };
        println!("{}", serde_json::to_string_pretty(t)?);
        return Ok(ExitCode::SUCCESS);
    }
    print!("{}", tribench_analysis::render_trajectory(&run, &a.trial)?);
    Ok(ExitCode::SUCCESS)
}

fn trials(a: TrialsArgs) -> Result<ExitCode> {
    let run =
        RunData::load(&a.run).with_context(|| format!("cannot read run {}", a.run.display()))?;
    let outcome = match &a.outcome {
        Some(o) => Some(Outcome::parse(o).ok_or_else(|| {
            anyhow::anyhow!(
                "--outcome {o:?}: expected one of {}",
                Outcome::ALL.map(Outcome::as_str).join(", ")
            )
        })?),
        None => None,
    };
    if let Some(g) = &a.group {
        if !run.trials.iter().any(|t| &t.group == g) {
            let mut groups: Vec<&str> = run.trials.iter().map(|t| t.group.as_str()).collect();
            groups.sort_unstable();
            groups.dedup();
            bail!("--group {g:?}: the run's groups are {}", groups.join(", "));
        }
    }
    let rows = tribench_analysis::list_trials(&run, outcome, a.group.as_deref());
    if a.json {
        println!("{}", serde_json::to_string_pretty(&rows)?);
    } else {
        print!("{}", tribench_analysis::render_trials(&rows));
    }
    Ok(ExitCode::SUCCESS)
}

async fn replay(a: ReplayArgs) -> Result<ExitCode> {
    let source = RunData::load(&a.source)
        .with_context(|| format!("cannot read run {}", a.source.display()))?;
    let paths: Vec<PathBuf> = source
        .manifest
        .datasets
        .iter()
        .map(|d| PathBuf::from(&d.path))
        .collect();
    let suites = load_suites(&paths, false)?;
    let agent: Arc<dyn tribench_agents::Agent> = Arc::new(if a.patches {
        tribench_agents::llm::ReplayAgent::from_patches(a.source.clone())
    } else {
        tribench_agents::llm::ReplayAgent::new(a.source.clone())
    });
    let (mut cfg, _image_context) = settings::engine_config(&a.exec, &a.run_dir, &paths)?;
    cfg.max_tries = source.manifest.max_tries;
    cfg.progress = progress_mode(&a.exec);
    match tribench_engine::run(suites, agent, cfg, shutdown_signal()).await {
        Ok(_) => {}
        Err(EngineError::Interrupted { .. }) => return Ok(ExitCode::from(INTERRUPTED)),
        Err(e) => return Err(e.into()),
    }
    let replayed = RunData::load(&a.run_dir)?;
    let mut rows = Vec::new();
    for t in source.trials.iter().filter(|t| t.attempt == 1) {
        let again = replayed
            .trials
            .iter()
            .find(|r| r.task_id == t.task_id)
            .map(|r| r.outcome);
        rows.push(serde_json::json!({
            "task_id": t.task_id,
            "recorded": t.outcome,
            "replayed": again,
            "same": again == Some(t.outcome),
        }));
    }
    let differ = rows.iter().filter(|r| r["same"] != true).count();
    if a.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({"trials": rows, "differ": differ}))?
        );
    } else {
        for r in rows.iter().filter(|r| r["same"] != true) {
            println!(
                "{}: recorded {}, replayed {}",
                r["task_id"].as_str().unwrap_or("?"),
                r["recorded"],
                r["replayed"]
            );
        }
        let what = if a.patches {
            "when their recorded patches were graded again"
        } else {
            "when replayed without the model"
        };
        println!(
            "{} of {} trials gave the same outcome {what}",
            rows.len() - differ,
            rows.len()
        );
    }
    Ok(if differ == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
