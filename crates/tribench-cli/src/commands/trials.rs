//! `tribench trials`: a run's trials, filtered by outcome or group.

use super::*;
use crate::args::TrialsArgs;
use tribench_types::Outcome;

pub fn trials(a: TrialsArgs) -> Result<ExitCode> {
    let run = read_run(&a.run)?;
    let outcome = match &a.outcome {
        Some(o) => Some(Outcome::parse(o).ok_or_else(|| {
            let all = Outcome::ALL.map(Outcome::as_str).join(", ");
            anyhow::anyhow!("--outcome {o:?}: expected one of {all}")
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
