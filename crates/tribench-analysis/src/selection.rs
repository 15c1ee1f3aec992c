//! A run's trials chosen by the words a user typed (an outcome name, a group), each checked
//! against what exists so a typo gets the list of right answers; and one trial's trajectory
//! as JSON (the recorded trajectory, else the trial's record when no model ran).

use crate::trials::{list_trials, render_trajectory, TrialRow, TrialsError};
use crate::RunData;
use tribench_types::Outcome;

/// A selection that names nothing the run has.
#[derive(Debug, thiserror::Error)]
pub enum SelectError {
    #[error("--outcome {given:?}: expected one of {}", Outcome::ALL.map(Outcome::as_str).join(", "))]
    Outcome { given: String },
    #[error("--group {given:?}: the run's groups are {}", .groups.join(", "))]
    Group { given: String, groups: Vec<String> },
    #[error("no trial {0}")]
    NoTrial(String),
    #[error(transparent)]
    Trials(#[from] TrialsError),
    #[error(transparent)]
    Json(#[from] serde_json::Error),
}

/// The outcome an outcome name means.
pub fn parse_outcome(name: &str) -> Result<Outcome, SelectError> {
    Outcome::parse(name).ok_or_else(|| SelectError::Outcome {
        given: name.to_string(),
    })
}

/// `given` when it is one of `groups`; else the error listing them (sorted, once each).
pub fn check_group<'a>(
    groups: impl Iterator<Item = &'a str>,
    given: &str,
) -> Result<(), SelectError> {
    let mut groups: Vec<String> = groups.map(str::to_string).collect();
    if groups.iter().any(|g| g == given) {
        return Ok(());
    }
    groups.sort_unstable();
    groups.dedup();
    let given = given.to_string();
    Err(SelectError::Group { given, groups })
}

/// The rows of `run`'s trials of `outcome` and `group` (each when given).
pub fn select_trials(
    run: &RunData,
    outcome: Option<&str>,
    group: Option<&str>,
) -> Result<Vec<TrialRow>, SelectError> {
    let outcome = outcome.map(parse_outcome).transpose()?;
    if let Some(g) = group {
        check_group(run.trials.iter().map(|t| t.group.as_str()), g)?;
    }
    Ok(list_trials(run, outcome, group))
}

/// One trial's trajectory.json as recorded; for a trial without one (oracle, nop) its record.
pub fn trajectory_json(run: &RunData, trial: &str) -> Result<String, SelectError> {
    let path = tribench_store::RunStore::artifact_in(&run.dir, trial, "trajectory.json");
    if let Ok(text) = std::fs::read_to_string(path) {
        return Ok(text);
    }
    match run.trials.iter().find(|t| t.trial_id == trial) {
        Some(t) => Ok(serde_json::to_string_pretty(t)? + "\n"),
        None => Err(match render_trajectory(run, trial) {
            Err(e) => e.into(),
            Ok(_) => SelectError::NoTrial(trial.to_string()),
        }),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn outcome_names_parse_or_list_the_right_ones() {
        assert_eq!(parse_outcome("resolved").unwrap(), Outcome::Resolved);
        let err = parse_outcome("solved").unwrap_err().to_string();
        assert!(
            err.starts_with("--outcome \"solved\": expected one of "),
            "{err}"
        );
        assert!(err.contains("resolved"), "{err}");
    }

    #[test]
    fn unknown_groups_list_the_run_groups_sorted_once() {
        assert!(check_group(["go", "rust"].into_iter(), "go").is_ok());
        let err = check_group(["rust", "go", "rust"].into_iter(), "py").unwrap_err();
        assert_eq!(
            err.to_string(),
            "--group \"py\": the run's groups are go, rust"
        );
    }
}
