//! Aider leaderboard YAML (`polyglot_leaderboard.yml` and friends): one row per benchmark run
//! with aggregate figures only. There are no per-task results in it, so it cannot become a
//! tribench run and no paired analysis is possible; what can be done honestly is to put
//! intervals on the published rates and show what the missing cases do to them.
//!
//! Aider's benchmark divides by the cases that completed (`pass_rate_N = 100 * pass_num_N /
//! test_cases`); `total_tests` counts the cases that exist. A stopped run therefore publishes a
//! rate over fewer cases than the benchmark has; both rates are given here, labelled.

use super::{invalid, ImportError};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// One leaderboard row, as Aider's benchmark script writes it.
#[derive(Debug, Clone, Deserialize)]
pub struct LeaderboardRow {
    pub dirname: Option<String>,
    pub model: String,
    pub edit_format: Option<String>,
    /// Cases that completed: the denominator of Aider's `pass_rate_N`.
    pub test_cases: u64,
    /// Cases in the benchmark, finished or not.
    pub total_tests: Option<u64>,
    /// Percent of completed cases passed within N tries (`100 * pass_num_N / test_cases`).
    pub pass_rate_1: Option<f64>,
    pub pass_rate_2: Option<f64>,
    pub pass_num_1: Option<u64>,
    pub pass_num_2: Option<u64>,
    pub total_cost: Option<f64>,
    pub prompt_tokens: Option<u64>,
    pub completion_tokens: Option<u64>,
    pub seconds_per_case: Option<f64>,
    pub date: Option<String>,
}

/// A row with what can be derived from it.
#[derive(Debug, Clone, Serialize)]
pub struct LeaderboardEntry {
    pub model: String,
    pub edit_format: String,
    pub dirname: String,
    pub date: String,
    /// Cases that completed (`test_cases`).
    pub completed: u64,
    /// Cases in the benchmark (`total_tests`), at least `completed`.
    pub total: u64,
    pub passed_1: u64,
    pub passed_2: u64,
    /// The rate as published (`pass_rate_2`, percent): passed within two tries over the
    /// completed cases, as Aider's benchmark computes it.
    pub published_rate_2: Option<f64>,
    /// Passed within two tries over completed cases (Aider's denominator), a fraction.
    pub rate_2_over_completed: f64,
    /// Passed within two tries over every case in the benchmark, unfinished ones counted as
    /// failures, a fraction.
    pub rate_2_over_all: f64,
    pub total_cost: Option<f64>,
    pub prompt_tokens: Option<u64>,
    pub completion_tokens: Option<u64>,
}

/// Reads a leaderboard YAML file.
pub fn read_aider_leaderboard(path: &Path) -> Result<Vec<LeaderboardEntry>, ImportError> {
    let text =
        std::fs::read_to_string(path).map_err(|e| invalid(path, format!("cannot read: {e}")))?;
    let rows: Vec<LeaderboardRow> = serde_saphyr::from_str(&text)
        .map_err(|e| invalid(path, format!("not an Aider leaderboard YAML list: {e}")))?;
    rows.into_iter().map(|r| entry(path, r)).collect()
}

fn entry(path: &Path, r: LeaderboardRow) -> Result<LeaderboardEntry, ImportError> {
    let n = r.test_cases;
    let total = r.total_tests.unwrap_or(n).max(n);
    // Counts when published; otherwise from the rounded percentages, which Aider takes over
    // the completed cases (`test_cases`), not over `total_tests`.
    let count = |num: Option<u64>, rate: Option<f64>, which: &str| -> Result<u64, ImportError> {
        let k = match (num, rate) {
            (Some(k), _) => k,
            (None, Some(p)) if p.is_finite() && (0.0..=100.0).contains(&p) => {
                (p / 100.0 * n as f64).round() as u64
            }
            (None, Some(p)) => {
                return Err(invalid(
                    path,
                    format!("{}: pass_rate_{which} {p} is not a percentage", r.model),
                ))
            }
            (None, None) => 0,
        };
        if k > n {
            return Err(invalid(
                path,
                format!(
                    "{}: {k} passed within {which} tries but only {n} cases completed",
                    r.model
                ),
            ));
        }
        Ok(k)
    };
    let p1 = count(r.pass_num_1, r.pass_rate_1, "1")?;
    let p2 = count(r.pass_num_2, r.pass_rate_2, "2")?;
    let frac = |k: u64, d: u64| if d == 0 { 0.0 } else { k as f64 / d as f64 };
    Ok(LeaderboardEntry {
        model: r.model,
        edit_format: r.edit_format.unwrap_or_default(),
        dirname: r.dirname.unwrap_or_default(),
        date: r.date.unwrap_or_default(),
        completed: n,
        total,
        passed_1: p1,
        passed_2: p2,
        published_rate_2: r.pass_rate_2,
        rate_2_over_completed: frac(p2, n),
        rate_2_over_all: frac(p2, total),
        // A negative or non-finite total is no cost: unknown.
        total_cost: r.total_cost.filter(|c| c.is_finite() && *c >= 0.0),
        prompt_tokens: r.prompt_tokens,
        completion_tokens: r.completion_tokens,
    })
}
