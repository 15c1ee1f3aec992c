//! Freshness: tasks split by creation date against a model's training cutoff. Tasks created
//! before it may have been seen in training; tasks created on or after it cannot have been.

use crate::report::{score, Score};
use serde::Serialize;
use std::collections::HashMap;
use tribench_stats::{newcombe_diff, z_quantile};
use tribench_types::TrialRecord;

#[derive(Debug, Clone, Serialize)]
pub struct Freshness {
    /// `YYYY-MM-DD`.
    pub cutoff: String,
    pub before: Option<Score>,
    pub after: Option<Score>,
    /// After minus before, with its 95% interval: Newcombe's with one attempt per task,
    /// otherwise normal with the two clustered standard errors combined.
    pub diff: Option<f64>,
    pub diff_low: Option<f64>,
    pub diff_high: Option<f64>,
    /// Tasks with no known creation date: on neither side.
    pub undated_tasks: usize,
}

/// Splits `trials` at `cutoff` (dates compared as `YYYY-MM-DD`). A trial's date is its
/// `task_created_at`, or else `dates[task_id]`.
pub fn freshness(
    trials: &[TrialRecord],
    cutoff: &str,
    dates: &HashMap<String, String>,
) -> Freshness {
    let day = |s: &str| s.get(..10).unwrap_or(s).to_string();
    let cutoff = day(cutoff);
    let (mut before, mut after, mut undated) =
        (Vec::new(), Vec::new(), std::collections::BTreeSet::new());
    for t in trials {
        match t
            .task_created_at
            .as_deref()
            .or_else(|| dates.get(&t.task_id).map(String::as_str))
        {
            Some(d) if day(d) < cutoff => before.push(t),
            Some(_) => after.push(t),
            None => {
                undated.insert(t.task_id.as_str());
            }
        }
    }
    let side = |ts: &[&TrialRecord]| (!ts.is_empty()).then(|| score(ts, TrialRecord::resolved));
    let (b, a) = (side(&before), side(&after));
    let (diff, low, high) = match (&a, &b) {
        (Some(a), Some(b)) if a.method == "wilson" && b.method == "wilson" => {
            let i = newcombe_diff(
                a.successes as u64,
                a.tasks as u64,
                b.successes as u64,
                b.tasks as u64,
                0.95,
            );
            (Some(i.estimate), Some(i.low), Some(i.high))
        }
        // A side with too little variation has a Wilson-floored interval but an SE of about 0:
        // the difference takes its bounds from the two intervals (Newcombe's construction,
        // applied to whatever intervals the sides have), so it cannot collapse either.
        (Some(a), Some(b))
            if a.method == "clustered_t_wilson_floor" || b.method == "clustered_t_wilson_floor" =>
        {
            // Both sides hold trials, so both rates are known.
            let (ra, rb) = (a.rate.unwrap_or(f64::NAN), b.rate.unwrap_or(f64::NAN));
            let d = ra - rb;
            (
                Some(d),
                Some(d - ((ra - a.low).powi(2) + (b.high - rb).powi(2)).sqrt()),
                Some(d + ((a.high - ra).powi(2) + (rb - b.low).powi(2)).sqrt()),
            )
        }
        (Some(a), Some(b)) => {
            let d = a.rate.unwrap_or(f64::NAN) - b.rate.unwrap_or(f64::NAN);
            match (a.se_tasks, b.se_tasks) {
                (Some(x), Some(y)) => {
                    let h = z_quantile(0.975) * (x * x + y * y).sqrt();
                    (Some(d), Some(d - h), Some(d + h))
                }
                _ => (Some(d), None, None),
            }
        }
        _ => (None, None, None),
    };
    Freshness {
        cutoff,
        before: b,
        after: a,
        diff,
        diff_low: low,
        diff_high: high,
        undated_tasks: undated.len(),
    }
}

/// Task creation dates from a dataset file: a JSON list or JSONL of objects with an id
/// (`instance_id`, `task_id` or `id`) and `created_at`, as SWE-bench datasets have them.
pub fn task_dates_from(text: &str) -> Result<HashMap<String, String>, serde_json::Error> {
    let rows: Vec<serde_json::Value> = match serde_json::from_str::<serde_json::Value>(text) {
        Ok(serde_json::Value::Array(a)) => a,
        Ok(other) => vec![other],
        Err(_) => text
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(serde_json::from_str)
            .collect::<Result<_, _>>()?,
    };
    Ok(rows
        .iter()
        .filter_map(|r| {
            let id = ["instance_id", "task_id", "id"]
                .iter()
                .find_map(|k| r.get(*k)?.as_str())?;
            Some((id.to_string(), r.get("created_at")?.as_str()?.to_string()))
        })
        .collect())
}
