//! `tribench matrix`: many runs as a models x scaffolds grid.

use super::*;
use crate::args::MatrixArgs;

pub fn matrix(a: MatrixArgs) -> Result<ExitCode> {
    let runs: Vec<RunData> = a.runs.iter().map(|d| read_run(d)).collect::<Result<_>>()?;
    let m = tribench_analysis::matrix(&runs, a.alpha, a.draws, a.seed)?;
    emit(a.json, &m, tribench_analysis::render_matrix)?;
    Ok(ExitCode::SUCCESS)
}
