//! What a command around an engine run needs from the engine's side: the suites it names
//! (loaded, or left out with a note), where progress goes, when to stop (Ctrl-C, SIGTERM), and
//! the command line that resumes an interrupted run.

use crate::{EngineError, ProgressMode};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use tribench_families::{load_suite, Environment, FamilyError, Suite};

/// Loads each suite of `paths`. With `skip_unsupported`, suites of a family tribench cannot run
/// yet are left out (each with a note in the returned list) rather than failing the load.
pub fn load_suites(
    paths: &[PathBuf],
    skip_unsupported: bool,
) -> Result<(Vec<Suite>, Vec<String>), EngineError> {
    let (mut suites, mut notes) = (Vec::new(), Vec::new());
    for p in paths {
        match load_suite(p) {
            Ok(s) => suites.push(s),
            Err(FamilyError::Unsupported { path, what }) if skip_unsupported => {
                let path = path.display();
                notes.push(format!(
                    "skipping {path} ({what} suites are not supported yet)"
                ));
            }
            Err(source) => {
                let path = p.clone();
                return Err(EngineError::Suite { path, source });
            }
        }
    }
    if suites.is_empty() {
        return Err(EngineError::NoSuites);
    }
    Ok((suites, notes))
}

/// The bundled suites include container tasks; without a Docker engine they are left out of a
/// default run (with a note each) rather than failing it.
pub async fn without_unreachable_container_suites(suites: Vec<Suite>) -> (Vec<Suite>, Vec<String>) {
    let needs = |s: &Suite| {
        (s.tasks.iter()).any(|t| matches!(t.environment(), Environment::Container { .. }))
    };
    if !suites.iter().any(needs) {
        return (suites, Vec::new());
    }
    match tribench_sandbox::DockerBackend::connect(Default::default()).await {
        Ok(_) => (suites, Vec::new()),
        Err(e) => {
            let notes = (suites.iter().filter(|s| needs(s)))
                .map(|s| format!("skipping {} (its tasks run in containers and {e}; scripts/setup.sh starts one)", s.path.display()))
                .collect();
            (suites.into_iter().filter(|s| !needs(s)).collect(), notes)
        }
    }
}

/// The suites of a run of `paths` (see [`load_suites`]) and the notes of those left out: when
/// they are the `bundled` ones, suites tribench cannot run here (an unsupported family, or
/// containers without a Docker engine) are left out rather than failing the run.
pub async fn run_suites(
    paths: &[PathBuf],
    bundled: bool,
) -> Result<(Vec<Suite>, Vec<String>), EngineError> {
    let (suites, mut notes) = load_suites(paths, bundled)?;
    if !bundled {
        return Ok((suites, notes));
    }
    let (suites, skipped) = without_unreachable_container_suites(suites).await;
    notes.extend(skipped);
    Ok((suites, notes))
}

impl crate::RunSummary {
    /// The line saying a run was resumed: how many trials were already recorded and how many
    /// ran now; `None` when none was recorded before.
    pub fn resumed_line(&self) -> Option<String> {
        resumed_line(self.skipped, self.ran)
    }
}

fn resumed_line(skipped: usize, ran: usize) -> Option<String> {
    (skipped > 0).then(|| format!("resumed: {skipped} trials were already recorded, {ran} ran now"))
}

impl ProgressMode {
    /// Progress on stderr: a bar on a TTY, plain lines elsewhere, nothing when `quiet`.
    pub fn for_stderr(quiet: bool) -> ProgressMode {
        match (quiet, std::io::stderr().is_terminal()) {
            (true, _) => ProgressMode::Off,
            (false, true) => ProgressMode::Bar,
            (false, false) => ProgressMode::Lines,
        }
    }
}

/// Validation's two runs of `suites`: the oracle `repeat` times (at least once) with `oracle`'s
/// configuration, then the nop agent once with `nop`'s, one try each (the oracle must pass
/// outright; a nop's second try would change nothing). `announce` says which runs on stderr.
/// Returns the (id, group) of each task validated: under `--shard`, those with a trial (an
/// oracle attempt or the nop's one) in this shard.
pub async fn validation_runs(
    suites: &[Suite],
    (mut oracle, mut nop): (crate::EngineConfig, crate::EngineConfig),
    repeat: u32,
    announce: bool,
) -> Result<Vec<(String, String)>, EngineError> {
    oracle.attempts = repeat.max(1);
    let shard = oracle.shard;
    let tasks = (suites.iter().flat_map(|s| &s.tasks))
        .filter(|t| shard.is_none_or(|s| s.runs_any_attempt(&t.info.id, repeat)))
        .map(|t| (t.info.id.clone(), t.info.group.clone()))
        .collect();
    (oracle.max_tries, nop.max_tries) = (Some(1), Some(1));
    for (name, cfg) in [("oracle", oracle), ("nop", nop)] {
        let agent = tribench_agents::by_name(name).ok_or_else(|| {
            EngineError::Agent(format!("agent {name} is missing from this build"))
        })?;
        if announce {
            eprintln!("validating with the {name} agent ...");
        }
        crate::run(suites.to_vec(), agent.into(), cfg, shutdown_signal()).await?;
    }
    Ok(tasks)
}

/// Resolves when the user asks the run to stop (Ctrl-C or SIGTERM), after saying so on stderr.
pub async fn shutdown_signal() {
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

/// The command that resumes a run started by `args` (program name first): the same arguments,
/// `run` spelled out when it was implied, and the run directory named when it was a default
/// (a new default would start a new run).
pub fn resume_command(args: impl IntoIterator<Item = String>, run_dir: &Path) -> String {
    let mut args: Vec<String> = args.into_iter().collect();
    if args.is_empty() {
        args.push("tribench".into());
    }
    if args.len() == 1 {
        args.push("run".into());
    }
    if !(args.iter()).any(|a| a == "--run-dir" || a.starts_with("--run-dir=")) {
        args.extend(["--run-dir".into(), run_dir.display().to_string()]);
    }
    let words: Vec<String> = args
        .iter()
        .map(|a| tribench_sandbox::shell_quote(a))
        .collect();
    words.join(" ")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use tribench_sandbox::shell_quote as shell_word;

    fn args(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn shell_words_are_quoted_only_when_needed() {
        assert_eq!(shell_word("runs/a-b_c.d=e:f"), "runs/a-b_c.d=e:f");
        assert_eq!(shell_word(""), "''");
        assert_eq!(shell_word("a b"), "'a b'");
        assert_eq!(shell_word("it's"), r"'it'\''s'");
    }

    #[test]
    fn resume_spells_out_run_and_names_a_default_run_dir() {
        let dir = Path::new("runs/x y");
        assert_eq!(
            resume_command(args(&["tribench"]), dir),
            "tribench run --run-dir 'runs/x y'"
        );
        assert_eq!(
            resume_command(Vec::new(), Path::new("r")),
            "tribench run --run-dir r"
        );
        let given = args(&["tb", "run", "--run-dir=r", "--agent", "oracle"]);
        assert_eq!(
            resume_command(given, dir),
            "tb run --run-dir=r --agent oracle"
        );
        let given = args(&["tb", "run", "--run-dir", "r"]);
        assert_eq!(resume_command(given, dir), "tb run --run-dir r");
    }

    #[test]
    fn suites_load_or_are_skipped_with_a_note() {
        let missing = PathBuf::from("/nonexistent/suite");
        let err = load_suites(std::slice::from_ref(&missing), true).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("cannot load suite /nonexistent/suite"),
            "{err}"
        );
        assert!(matches!(
            load_suites(&[], false).unwrap_err(),
            EngineError::NoSuites
        ));
    }

    #[tokio::test]
    async fn bundled_suites_need_docker_only_for_their_container_tasks() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../suites");
        let paths = [root.join("terminal-sample"), root.join("polyglot-sample")];
        let docker = tribench_sandbox::DockerBackend::connect(Default::default()).await;
        let (suites, notes) = run_suites(&paths, true).await.unwrap();
        let names: Vec<_> = suites.iter().map(|s| s.path.file_name().unwrap()).collect();
        match docker {
            Ok(_) => assert!(names.len() == 2 && notes.is_empty(), "{names:?} {notes:?}"),
            Err(_) => {
                assert_eq!(names, ["polyglot-sample"]);
                assert!(notes[0].starts_with("skipping ") && notes[0].contains("terminal-sample"));
            }
        }
        // Suites given by the user are all run (or fail), none left out.
        let missing = [
            root.join("polyglot-sample"),
            PathBuf::from("/nonexistent/suite"),
        ];
        assert!(run_suites(&missing, false).await.is_err());
        let (suites, notes) = run_suites(&paths[1..], false).await.unwrap();
        assert_eq!((suites.len(), notes.len()), (1, 0));
    }

    #[test]
    fn a_resumed_run_says_what_was_recorded_before() {
        assert_eq!(resumed_line(0, 5), None);
        assert_eq!(
            resumed_line(3, 2).unwrap(),
            "resumed: 3 trials were already recorded, 2 ran now"
        );
    }
}
