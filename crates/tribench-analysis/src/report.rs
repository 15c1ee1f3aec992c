//! The report of one run: scores per family, per group and in total, each with its interval,
//! its two uncertainties (over tasks and over reruns), failure modes with infrastructure errors
//! apart, and what it cost.

use crate::RunData;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use tribench_stats::{clustered_mean, pass_at_k, pass_hat_k, rerun_se, wilson};
use tribench_types::{FamilyKind, Outcome, RunManifest, TrialRecord};

/// A rate over tasks (each task weighs the mean of its attempts), with its 95% interval.
#[derive(Debug, Clone, Serialize)]
pub struct Score {
    /// `None` (JSON `null`, printed `n/a`) when no trial is behind it: a rate of nothing is
    /// unknown, not 0.
    pub rate: Option<f64>,
    pub low: f64,
    pub high: f64,
    /// `wilson` (one attempt per task) or `clustered_t` (several; SE clustered by task), or
    /// `clustered_t_wilson_floor` when the task means took at most two distinct values and the
    /// interval was widened to the Wilson interval over the tasks.
    pub method: &'static str,
    /// Uncertainty over tasks: would another sample of tasks give the same score?
    pub se_tasks: Option<f64>,
    /// Uncertainty over reruns: would rerunning these same tasks give the same score?
    /// Only with several attempts per task.
    pub se_reruns: Option<f64>,
    pub successes: usize,
    pub trials: usize,
    pub tasks: usize,
    pub success_trial_ids: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct KValue {
    pub k: u64,
    pub value: f64,
}

/// Tokens, cost and time, per trial and per solved task. A figure is `None` (JSON `null`,
/// printed `unknown`) when any trial behind it did not record it: unknown is never zero.
#[derive(Debug, Clone, Serialize)]
pub struct Efficiency {
    pub prompt_tokens_per_trial: Option<f64>,
    pub completion_tokens_per_trial: Option<f64>,
    pub cost_usd_per_trial: Option<f64>,
    pub cost_usd_per_solved: Option<f64>,
    pub seconds_per_trial: Option<f64>,
    pub seconds_per_solved: Option<f64>,
    pub cost_usd_total: Option<f64>,
    /// Trials whose cost, tokens or time were not recorded.
    pub cost_unknown_trials: usize,
    pub tokens_unknown_trials: usize,
    pub time_unknown_trials: usize,
}

/// Figures for one slice of a run (a family, a group, or everything).
#[derive(Debug, Clone, Serialize)]
pub struct Slice {
    pub name: String,
    /// The family a group belongs to (for a family or the total: its own name).
    pub family: String,
    pub tasks: usize,
    pub trials: usize,
    /// Attempts per task (the largest, when tasks differ).
    pub attempts: usize,
    /// Resolved, the family's final verdict (polyglot: within two tries).
    pub score: Score,
    /// Resolved on the first try, for families that allow a second (polyglot).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_try: Option<Score>,
    /// pass@k for k = 1..K when every task has K ≥ 2 attempts.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub pass_at_k: Vec<KValue>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub pass_hat_k: Vec<KValue>,
    /// Infrastructure errors: counted as failures above, listed apart.
    pub infra_errors: usize,
    pub efficiency: Efficiency,
}

#[derive(Debug, Clone, Serialize)]
pub struct OutcomeCount {
    pub outcome: Outcome,
    pub count: usize,
    pub infrastructure: bool,
    pub trial_ids: Vec<String>,
    /// For infrastructure outcomes, and for every failure of a reference solution (an `oracle`
    /// run): each distinct recorded cause with how many trials it ended, most frequent first (a
    /// model endpoint refusing connections, a broken image, the reward and the verifier's last
    /// lines of a reference that did not pass).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub causes: Vec<Cause>,
}

/// One recorded cause of infrastructure failures.
#[derive(Debug, Clone, Serialize)]
pub struct Cause {
    pub error: String,
    pub count: usize,
}

fn causes(trials: &[TrialRecord], outcome: Outcome, reference_run: bool) -> Vec<Cause> {
    let wanted = outcome.is_infrastructure() || (reference_run && outcome != Outcome::Resolved);
    if !wanted {
        return Vec::new();
    }
    let mut by: BTreeMap<&str, usize> = BTreeMap::new();
    for t in trials.iter().filter(|t| t.outcome == outcome) {
        if let Some(e) = t.error.as_deref() {
            *by.entry(e).or_default() += 1;
        }
    }
    let mut v: Vec<Cause> = by
        .into_iter()
        .map(|(error, count)| Cause {
            error: error.to_string(),
            count,
        })
        .collect();
    v.sort_by_key(|c| std::cmp::Reverse(c.count));
    v
}

/// Medians over trials whose time was recorded; `None` when no trial's was.
#[derive(Debug, Clone, Serialize)]
pub struct TimingStats {
    pub median_total_ms: Option<u64>,
    pub median_test_ms: Option<u64>,
    pub median_agent_ms: Option<u64>,
    /// Harness time per trial: total minus agent and test commands.
    pub median_overhead_ms: Option<u64>,
    pub p90_overhead_ms: Option<u64>,
    pub sum_total_ms: Option<u64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub run_dir: String,
    pub manifest: RunManifest,
    /// Trials the manifest calls for, and trials recorded.
    pub expected_trials: usize,
    pub recorded_trials: usize,
    /// Resolved over every trial the manifest calls for, missing ones counted as failures
    /// (present only when some are missing).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score_over_expected: Option<f64>,
    pub families: Vec<Slice>,
    pub groups: Vec<Slice>,
    pub total: Slice,
    pub outcomes: Vec<OutcomeCount>,
    pub timings: TimingStats,
    /// Scores before and after a training cutoff, when one was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub freshness: Option<crate::Freshness>,
}

/// Per-task outcome lists (1.0 resolved, 0.0 not) under `pass`, in task order.
fn per_task(
    trials: &[&TrialRecord],
    pass: impl Fn(&TrialRecord) -> bool,
) -> BTreeMap<String, Vec<f64>> {
    let mut m: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for t in trials {
        m.entry(t.task_id.clone())
            .or_default()
            .push(if pass(t) { 1.0 } else { 0.0 });
    }
    m
}

pub(crate) fn score(trials: &[&TrialRecord], pass: impl Fn(&TrialRecord) -> bool + Copy) -> Score {
    let by_task = per_task(trials, pass);
    let ids: Vec<String> = trials
        .iter()
        .filter(|t| pass(t))
        .map(|t| t.trial_id.clone())
        .collect();
    let n = by_task.len();
    let one_attempt = by_task.values().all(|v| v.len() == 1);
    let outcomes: Vec<Vec<f64>> = by_task.into_values().collect();
    let (interval, method, se_tasks) = if one_attempt {
        let w = wilson(ids.len() as u64, n as u64, 0.95);
        let se = (n > 0).then(|| (w.estimate * (1.0 - w.estimate) / n as f64).sqrt());
        (w, "wilson", se)
    } else {
        let means: Vec<f64> = outcomes
            .iter()
            .map(|v| v.iter().sum::<f64>() / v.len() as f64)
            .collect();
        let c = clustered_mean(&means, 0.95);
        (
            c.interval,
            if c.wilson_floor {
                "clustered_t_wilson_floor"
            } else {
                "clustered_t"
            },
            c.se_tasks.is_finite().then_some(c.se_tasks),
        )
    };
    Score {
        rate: (n > 0).then_some(interval.estimate),
        low: interval.low,
        high: interval.high,
        method,
        se_tasks,
        se_reruns: if one_attempt {
            None
        } else {
            rerun_se(&outcomes)
        },
        successes: ids.len(),
        trials: trials.len(),
        tasks: n,
        success_trial_ids: ids,
    }
}

fn pass_k_lists(trials: &[&TrialRecord]) -> (Vec<KValue>, Vec<KValue>) {
    let by_task = per_task(trials, TrialRecord::resolved);
    let k_max = by_task.values().map(Vec::len).min().unwrap_or(0) as u64;
    if k_max < 2 {
        return (Vec::new(), Vec::new());
    }
    let ks: Vec<u64> = if k_max <= 10 {
        (1..=k_max).collect()
    } else {
        [1, 2, 5, 10, k_max]
            .into_iter()
            .filter(|k| *k <= k_max)
            .collect()
    };
    let avg = |f: &dyn Fn(u64, u64, u64) -> Option<f64>, k: u64| {
        let v: Vec<f64> = by_task
            .values()
            .filter_map(|o| f(o.len() as u64, o.iter().sum::<f64>() as u64, k))
            .collect();
        v.iter().sum::<f64>() / v.len().max(1) as f64
    };
    (
        ks.iter()
            .map(|&k| KValue {
                k,
                value: avg(&pass_at_k, k),
            })
            .collect(),
        ks.iter()
            .map(|&k| KValue {
                k,
                value: avg(&pass_hat_k, k),
            })
            .collect(),
    )
}

fn efficiency(trials: &[&TrialRecord]) -> Efficiency {
    let n = trials.len() as f64;
    let solved = trials.iter().filter(|t| t.resolved()).count();
    let cost_unknown = trials.iter().filter(|t| !t.usage.cost_known()).count();
    let tokens_unknown = trials.iter().filter(|t| t.usage.tokens_unknown).count();
    let time_unknown = trials.iter().filter(|t| !t.timings.known()).count();
    // A total over trials, only when every trial recorded it (and there is at least one).
    let total = |unknown: usize, f: &dyn Fn(&TrialRecord) -> f64| {
        (unknown == 0 && !trials.is_empty()).then(|| trials.iter().map(|t| f(t)).sum::<f64>())
    };
    let cost = total(cost_unknown, &|t| t.usage.cost_usd);
    let secs = total(time_unknown, &|t| t.timings.total_ms as f64 / 1000.0);
    let prompt = total(tokens_unknown, &|t| t.usage.prompt_tokens as f64);
    let completion = total(tokens_unknown, &|t| t.usage.completion_tokens as f64);
    let per_trial = |x: Option<f64>| x.map(|x| x / n);
    let per_solved = |x: Option<f64>| x.filter(|_| solved > 0).map(|x| x / solved as f64);
    Efficiency {
        prompt_tokens_per_trial: per_trial(prompt),
        completion_tokens_per_trial: per_trial(completion),
        cost_usd_per_trial: per_trial(cost),
        cost_usd_per_solved: per_solved(cost),
        seconds_per_trial: per_trial(secs),
        seconds_per_solved: per_solved(secs),
        cost_usd_total: cost,
        cost_unknown_trials: cost_unknown,
        tokens_unknown_trials: tokens_unknown,
        time_unknown_trials: time_unknown,
    }
}

fn slice(name: String, family: String, trials: &[&TrialRecord], multi_try: bool) -> Slice {
    let attempts = per_task(trials, |_| true)
        .values()
        .map(Vec::len)
        .max()
        .unwrap_or(0);
    let (pass_at_k, pass_hat_k) = pass_k_lists(trials);
    Slice {
        name,
        family,
        tasks: trials
            .iter()
            .map(|t| t.task_id.as_str())
            .collect::<BTreeSet<_>>()
            .len(),
        trials: trials.len(),
        attempts,
        score: score(trials, TrialRecord::resolved),
        first_try: multi_try.then(|| score(trials, |t| t.resolved_within(1))),
        pass_at_k,
        pass_hat_k,
        infra_errors: trials
            .iter()
            .filter(|t| t.outcome.is_infrastructure())
            .count(),
        efficiency: efficiency(trials),
    }
}

fn percentile(sorted: &[u64], p: f64) -> Option<u64> {
    if sorted.is_empty() {
        return None;
    }
    Some(sorted[((sorted.len() - 1) as f64 * p).round() as usize])
}

/// Trials whose time was recorded.
fn timed(trials: &[TrialRecord]) -> impl Iterator<Item = &TrialRecord> {
    trials.iter().filter(|t| t.timings.known())
}

fn median_of(trials: &[TrialRecord], f: impl Fn(&TrialRecord) -> u64) -> Option<u64> {
    let mut v: Vec<u64> = timed(trials).map(f).collect();
    v.sort_unstable();
    percentile(&v, 0.5)
}

/// Trials the run owes: every task times its attempts, or for a shard (`--shard I/N`) only the
/// (task, attempt) pairs that shard runs.
pub fn expected_trials(manifest: &RunManifest) -> usize {
    match &manifest.shard {
        Some(info) => {
            let shard = tribench_types::Shard {
                index: info.index,
                count: info.count,
            };
            let keys = info.task_ids.iter().flat_map(|t| {
                (1..=manifest.attempts).map(move |attempt| tribench_types::TrialKey {
                    task_id: t.clone(),
                    attempt,
                })
            });
            keys.filter(|k| shard.contains(k)).count()
        }
        None => {
            manifest.datasets.iter().map(|d| d.tasks).sum::<usize>() * manifest.attempts as usize
        }
    }
}

/// Builds the report of one loaded run.
pub fn build_report(run: &RunData) -> Report {
    let RunData {
        dir,
        manifest,
        trials,
    } = run;
    // A second try exists for polyglot unless the run capped tries at one.
    let multi_try = manifest.max_tries.is_none_or(|m| m >= 2)
        && trials
            .iter()
            .any(|t| t.family == FamilyKind::Polyglot || t.tries.len() >= 2);
    let mut families: BTreeMap<FamilyKind, Vec<&TrialRecord>> = BTreeMap::new();
    // Groups sit under their family: (family, group).
    let mut groups: BTreeMap<(FamilyKind, &str), Vec<&TrialRecord>> = BTreeMap::new();
    let mut outcomes: BTreeMap<Outcome, Vec<String>> = BTreeMap::new();
    for t in trials {
        families.entry(t.family).or_default().push(t);
        groups
            .entry((t.family, t.group.as_str()))
            .or_default()
            .push(t);
        outcomes
            .entry(t.outcome)
            .or_default()
            .push(t.trial_id.clone());
    }
    let all: Vec<&TrialRecord> = trials.iter().collect();
    let mut overhead: Vec<u64> = timed(trials).map(|t| t.timings.overhead_ms()).collect();
    overhead.sort_unstable();
    let expected = expected_trials(manifest);
    let resolved = trials.iter().filter(|t| t.resolved()).count();
    Report {
        run_dir: dir.display().to_string(),
        expected_trials: expected,
        recorded_trials: trials.len(),
        // With nothing recorded there is no score, over expected trials or otherwise.
        score_over_expected: (expected > trials.len() && !trials.is_empty())
            .then(|| resolved as f64 / expected as f64),
        families: families
            .into_iter()
            .map(|(f, ts)| slice(f.to_string(), f.to_string(), &ts, multi_try))
            .collect(),
        groups: groups
            .into_iter()
            .map(|((f, g), ts)| slice(g.to_string(), f.to_string(), &ts, multi_try))
            .collect(),
        total: slice("total".into(), "total".into(), &all, multi_try),
        outcomes: outcomes
            .into_iter()
            .map(|(outcome, trial_ids)| OutcomeCount {
                outcome,
                count: trial_ids.len(),
                infrastructure: outcome.is_infrastructure(),
                causes: causes(trials, outcome, manifest.scaffold.agent == "oracle"),
                trial_ids,
            })
            .collect(),
        timings: TimingStats {
            median_total_ms: median_of(trials, |t| t.timings.total_ms),
            median_test_ms: median_of(trials, |t| t.timings.test_ms),
            median_agent_ms: median_of(trials, |t| t.timings.agent_ms),
            median_overhead_ms: percentile(&overhead, 0.5),
            p90_overhead_ms: percentile(&overhead, 0.9),
            sum_total_ms: (!trials.is_empty() && trials.iter().all(|t| t.timings.known()))
                .then(|| trials.iter().map(|t| t.timings.total_ms).sum()),
        },
        manifest: manifest.clone(),
        freshness: None,
    }
}
