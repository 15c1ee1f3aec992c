//! `tribench trials`: a run's trials, filtered by outcome or group.

use super::*;
use crate::args::TrialsArgs;
use tribench_analysis::selection::select_trials;

pub fn trials(a: TrialsArgs) -> Result<ExitCode> {
    let rows = select_trials(&read_run(&a.run)?, a.outcome.as_deref(), a.group.as_deref())?;
    emit(a.json, &rows, |r| tribench_analysis::render_trials(r))?;
    Ok(ExitCode::SUCCESS)
}
