//! `tribench run`: an agent on suites (default: the bundled ones with the oracle), then the
//! report, and SWE-bench's own files for SWE-bench suites.

use super::*;
use crate::args::RunArgs;
use crate::settings::{self, RunSettings};
use tribench_engine::EngineError;
use tribench_types::FamilyKind;

pub async fn run(a: RunArgs) -> Result<ExitCode> {
    let named = super::datasets::suites(&a.data).await?;
    let bundled = a.suites.is_empty() && named.is_empty();
    let paths = if bundled {
        settings::bundled_suites()
    } else {
        [a.suites.clone(), named].concat()
    };
    let mut suites = load_suites(&paths, bundled)?;
    if bundled {
        suites = without_unreachable_container_suites(suites).await;
    }
    let agent_choice = settings::agent_choice(&a.agent)?;
    let run_dir = a
        .run_dir
        .clone()
        .unwrap_or_else(|| settings::default_run_dir(&a.agent));
    let s = RunSettings::resolve(&a.exec, &run_dir, &paths)?;
    let llm = settings::llm_settings(&a.llm, s.seed)?;
    let agent = tribench_agents::build::build_agent(&agent_choice, &llm)?;
    let mut cfg = s.engine;
    cfg.attempts = a.attempts.unwrap_or(cfg.attempts);
    cfg.max_tries = a.tries;
    cfg.retry_errors = a.retry_errors;
    cfg.max_consecutive_model_errors =
        (a.max_consecutive_model_errors).unwrap_or(cfg.max_consecutive_model_errors);
    cfg.progress = progress_mode(a.exec.quiet);
    let (dir, tasks) = (
        run_dir.display(),
        suites.iter().map(|s| s.tasks.len()).sum::<usize>(),
    );
    let attempts = cfg.attempts;
    eprintln!("run directory {dir} ({tasks} tasks x {attempts} attempts; rerun with --run-dir {dir} to resume)");
    let swebench_ids: Vec<String> = suites
        .iter()
        .filter(|s| s.family == FamilyKind::Swebench)
        .flat_map(|s| s.tasks.iter().map(|t| t.info.id.clone()))
        .collect();
    match tribench_engine::run(suites, agent, cfg, shutdown_signal()).await {
        Ok(summary) if summary.skipped > 0 => eprintln!(
            "resumed: {} trials were already recorded, {} ran now",
            summary.skipped, summary.ran
        ),
        Ok(_) => {}
        Err(EngineError::Interrupted { done }) => {
            let resume = resume_command(&run_dir);
            eprintln!("interrupted after recording {done} trials in this invocation; to resume:\n  {resume}");
            return Ok(ExitCode::from(INTERRUPTED));
        }
        Err(e @ (EngineError::ModelRefused { .. } | EngineError::ModelUnreachable { .. })) => {
            // What finished is kept and reported; the message says how to finish the run.
            print_report(&run_dir, a.json)?;
            eprintln!("error: {e}");
            return Ok(ExitCode::from(MODEL_STOPPED));
        }
        Err(e) => return Err(e.into()),
    }
    if !swebench_ids.is_empty() {
        let model = tribench_agents::build::model_name(&a.agent, a.llm.model.as_deref());
        export_swebench(&run_dir, (&swebench_ids, &swebench_ids), &model, None)?;
    }
    print_report(&run_dir, a.json)?;
    check_infrastructure(&run_dir, "rerun the same command with --retry-errors")
}

/// The bundled suites include container tasks; without a Docker engine they are left out of the
/// default run (with a note) rather than failing it.
async fn without_unreachable_container_suites(suites: Vec<Suite>) -> Vec<Suite> {
    use tribench_families::Environment;
    let needs = |s: &Suite| {
        (s.tasks.iter()).any(|t| matches!(t.environment(), Environment::Container { .. }))
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

/// The command that resumes this run: the same arguments, `run` spelled out when it was implied,
/// and the run directory named when it was a default (a new default would start a new run).
fn resume_command(run_dir: &Path) -> String {
    let mut args: Vec<String> = std::env::args_os()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    if args.is_empty() {
        args.push("tribench".into());
    }
    if args.len() == 1 {
        args.push("run".into());
    }
    if !(args.iter()).any(|a| a == "--run-dir" || a.starts_with("--run-dir=")) {
        args.extend(["--run-dir".into(), run_dir.display().to_string()]);
    }
    args.iter()
        .map(|a| shell_word(a))
        .collect::<Vec<_>>()
        .join(" ")
}
