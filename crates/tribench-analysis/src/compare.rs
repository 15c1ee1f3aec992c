//! Two runs compared on the tasks they share: manifests checked first, then the paired
//! difference, its test, the minimum detectable effect and a verdict.

use crate::RunData;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use tribench_stats::{
    mcnemar_exact, paired_difference, paired_permutation_p, planning_mde, z_quantile,
};
use tribench_types::RunManifest;

/// One way two manifests differ.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ManifestDifference {
    pub field: String,
    pub a: String,
    pub b: String,
    /// Differences that make the comparison meaningless (another dataset) are refused
    /// without `--force`.
    pub blocking: bool,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    ABetter,
    BBetter,
    NoDetectableDifference,
    Inconclusive,
}

/// A rule from practice: a difference smaller than this needs more evidence, whatever p says.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub enum PracticeRule {
    /// In points (absolute rate × 100).
    Points(f64),
    /// In tasks (the difference × shared tasks).
    Tasks(f64),
}

impl PracticeRule {
    /// The rule flags name, as [`CompareOptions::practice_rule`] takes it: none when `none`,
    /// else in points, else in tasks; `None` (the dataset decides) when they name nothing.
    pub fn from_flags(none: bool, points: Option<f64>, tasks: Option<f64>) -> Option<Option<Self>> {
        match (none, points, tasks) {
            (true, _, _) => Some(None),
            (false, Some(p), _) => Some(Some(PracticeRule::Points(p))),
            (false, None, t) => t.map(|t| Some(PracticeRule::Tasks(t))),
        }
    }
}

#[derive(Debug, Clone)]
pub struct CompareOptions {
    pub force: bool,
    pub alpha: f64,
    pub power: f64,
    /// The smallest difference that matters, as a rate; decides between "no detectable
    /// difference" and "inconclusive".
    pub min_effect: f64,
    /// `None`: pick from the dataset's name (SWE-bench Verified: 3 points; Terminal-Bench:
    /// 2 tasks). `Some(None)`: no rule.
    pub practice_rule: Option<Option<PracticeRule>>,
    pub permutation_draws: usize,
    pub seed: u64,
}

impl Default for CompareOptions {
    fn default() -> Self {
        CompareOptions {
            force: false,
            alpha: 0.05,
            power: 0.8,
            min_effect: 0.05,
            practice_rule: None,
            permutation_draws: 20_000,
            seed: 0,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    pub a: String,
    pub b: String,
    pub differences: Vec<ManifestDifference>,
    pub shared_tasks: usize,
    pub only_in_a: Vec<String>,
    pub only_in_b: Vec<String>,
    pub attempts_a: usize,
    pub attempts_b: usize,
    pub mean_a: f64,
    pub mean_b: f64,
    /// Two-sided confidence of the interval: 1 − alpha.
    pub confidence: f64,
    /// A − B on shared tasks, with its t interval at `confidence`.
    pub diff: f64,
    pub diff_low: f64,
    pub diff_high: f64,
    pub se: f64,
    /// Why the interval has zero width though the difference is not 0: every shared task
    /// differs by the same amount, so sd(d) = 0 and the t interval shows no uncertainty at all.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interval_note: Option<String>,
    pub correlation: Option<f64>,
    /// `mcnemar_exact` (one attempt each) or `paired_permutation`.
    pub test: &'static str,
    pub p_value: f64,
    /// Tasks only A solved and only B solved (one attempt each).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub discordant: Option<(u64, u64)>,
    pub task_ids_only_a_solved: Vec<String>,
    pub task_ids_only_b_solved: Vec<String>,
    /// Minimum detectable effect at the chosen power: (z₁₋α/₂ + z_power)·SE; on data with too
    /// little variation (`degenerate`), at least the planning formula's at the observed rate
    /// and correlation, never 0.
    pub mde: f64,
    /// Fewer than two tasks, every per-task difference equal, or fewer than two tasks that
    /// differ at all: the spread of the differences cannot be estimated from this data.
    pub degenerate: bool,
    pub verdict: Verdict,
    pub explanation: String,
    pub practice_rule: Option<PracticeRule>,
    /// Shared tasks a rerun would need to settle an inconclusive result.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tasks_needed: Option<u64>,
    /// Attempts per task that would settle it on these tasks (both runs with K ≥ 2); `Some(None)`
    /// when no number of attempts can, because the tasks themselves disagree too much.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attempts_needed: Option<Option<u64>>,
}

#[derive(Debug, thiserror::Error)]
pub enum CompareError {
    #[error("the runs are on different datasets, so their scores are not comparable (--force compares the shared tasks anyway):\n  {}",
        .0.iter().filter(|d| d.blocking).map(|d| format!("{}: {} vs {}", d.field, d.a, d.b)).collect::<Vec<_>>().join("\n  "))]
    DifferentDatasets(Vec<ManifestDifference>),
    #[error("the runs share no task")]
    NoSharedTasks,
    #[error("{0}")]
    BadOption(String),
}

/// The confidence level as a label: 95 for alpha 0.05, 99.9 for 0.001.
pub fn confidence_label(confidence: f64) -> String {
    let s = format!("{:.2}", confidence * 100.0);
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// Every difference between two manifests that can change a score.
pub fn manifest_differences(a: &RunManifest, b: &RunManifest) -> Vec<ManifestDifference> {
    let mut out = Vec::new();
    let mut diff = |field: &str, x: String, y: String, blocking: bool| {
        if x != y {
            out.push(ManifestDifference {
                field: field.into(),
                a: x,
                b: y,
                blocking,
            });
        }
    };
    let names = |m: &RunManifest| {
        m.datasets
            .iter()
            .map(|d| d.name.clone())
            .collect::<BTreeSet<_>>()
    };
    diff("dataset", fmt_set(&names(a)), fmt_set(&names(b)), true);
    for da in &a.datasets {
        if let Some(db) = b.datasets.iter().find(|d| d.name == da.name) {
            let known = !da.checksum.is_empty() && !db.checksum.is_empty();
            diff(
                &format!("dataset {} checksum", da.name),
                short(&da.checksum),
                short(&db.checksum),
                known,
            );
            diff(
                &format!("dataset {} version", da.name),
                da.version.clone().unwrap_or_default(),
                db.version.clone().unwrap_or_default(),
                true,
            );
            diff(
                &format!("dataset {} tasks", da.name),
                da.tasks.to_string(),
                db.tasks.to_string(),
                false,
            );
            // Pulled by name (`-d`): the registry's version and the pinned revision must match.
            let pin = |p: &Option<tribench_types::DatasetPin>| {
                p.as_ref().map(|p| {
                    (
                        format!("{}@{} ({})", p.name, p.version, p.source),
                        p.revision.clone(),
                    )
                })
            };
            match (pin(&da.pin), pin(&db.pin)) {
                (Some((na, ra)), Some((nb, rb))) => {
                    diff(&format!("dataset {} registry", da.name), na, nb, true);
                    diff(&format!("dataset {} revision", da.name), ra, rb, true);
                }
                (Some((na, _)), None) => diff(
                    &format!("dataset {} registry", da.name),
                    na,
                    "a local suite".into(),
                    false,
                ),
                (None, Some((nb, _))) => diff(
                    &format!("dataset {} registry", da.name),
                    "a local suite".into(),
                    nb,
                    false,
                ),
                (None, None) => {}
            }
        }
    }
    diff(
        "harness version",
        a.harness_version.clone(),
        b.harness_version.clone(),
        false,
    );
    diff(
        "SWE-bench grading mode",
        a.grading_mode.clone().unwrap_or_default(),
        b.grading_mode.clone().unwrap_or_default(),
        false,
    );
    diff(
        "scaffold agent",
        a.scaffold.agent.clone(),
        b.scaffold.agent.clone(),
        false,
    );
    diff(
        "scaffold version",
        a.scaffold.version.clone(),
        b.scaffold.version.clone(),
        false,
    );
    diff(
        "scaffold config",
        a.scaffold.config_hash.clone(),
        b.scaffold.config_hash.clone(),
        false,
    );
    diff(
        "scaffold prompts",
        a.scaffold.prompt_hash.clone().unwrap_or_default(),
        b.scaffold.prompt_hash.clone().unwrap_or_default(),
        false,
    );
    let model = |m: &RunManifest, f: &dyn Fn(&tribench_types::ModelInfo) -> String| {
        m.model.as_ref().map(f).unwrap_or_default()
    };
    diff(
        "model",
        model(a, &|m| m.id.clone()),
        model(b, &|m| m.id.clone()),
        false,
    );
    diff(
        "model endpoint",
        model(a, &|m| m.endpoint.clone()),
        model(b, &|m| m.endpoint.clone()),
        false,
    );
    diff(
        "model sampling",
        model(a, &|m| m.sampling.to_string()),
        model(b, &|m| m.sampling.to_string()),
        false,
    );
    let ea = &a.environment;
    let eb = &b.environment;
    diff("sandbox", ea.backend.clone(), eb.backend.clone(), false);
    // The same image name can be a different image (pulled vs built, rebuilt): compare ids.
    for ia in &ea.images {
        if let Some(ib) = eb.images.iter().find(|i| i.requested == ia.requested) {
            let id = |i: &tribench_types::ImageRecord| {
                format!(
                    "{} ({})",
                    i.digest
                        .as_deref()
                        .map(|d| short(d.trim_start_matches("sha256:")))
                        .unwrap_or_default(),
                    i.source
                )
            };
            if ia.digest != ib.digest {
                diff(&format!("image {}", ia.requested), id(ia), id(ib), false);
            }
        }
    }
    diff(
        "isolation",
        ea.isolation.clone(),
        eb.isolation.clone(),
        false,
    );
    diff(
        "agent timeout (s)",
        ea.timeouts.agent_sec.to_string(),
        eb.timeouts.agent_sec.to_string(),
        false,
    );
    diff(
        "test timeout (s)",
        ea.timeouts.test_sec.to_string(),
        eb.timeouts.test_sec.to_string(),
        false,
    );
    diff("cpus", opt(ea.cpus), opt(eb.cpus), false);
    diff("memory (MB)", opt(ea.memory_mb), opt(eb.memory_mb), false);
    diff(
        "attempts",
        a.attempts.to_string(),
        b.attempts.to_string(),
        false,
    );
    diff("grading tries", opt(a.max_tries), opt(b.max_tries), false);
    let day = |s: &str| s.get(..10).unwrap_or(s).to_string();
    diff("date", day(&a.started_at), day(&b.started_at), false);
    out
}

fn fmt_set(s: &BTreeSet<String>) -> String {
    s.iter().cloned().collect::<Vec<_>>().join(", ")
}

fn short(s: &str) -> String {
    s.chars().take(12).collect()
}

fn opt<T: ToString>(x: Option<T>) -> String {
    x.map(|v| v.to_string()).unwrap_or_else(|| "unset".into())
}

/// Pooled within-task variance of attempt outcomes (sample variance per task, averaged over
/// tasks with at least two attempts).
fn within_variance(run: &RunData, tasks: &[&String]) -> Option<f64> {
    let mut per: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    for t in &run.trials {
        per.entry(t.task_id.as_str())
            .or_default()
            .push(f64::from(u8::from(t.resolved())));
    }
    let vars: Vec<f64> = tasks
        .iter()
        .filter_map(|k| per.get(k.as_str()))
        .filter(|v| v.len() >= 2)
        .map(|v| {
            let m = v.iter().sum::<f64>() / v.len() as f64;
            v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (v.len() as f64 - 1.0)
        })
        .collect();
    (!vars.is_empty()).then(|| vars.iter().sum::<f64>() / vars.len() as f64)
}

/// Attempts per task needed so that (z·SE)² ≤ effect² on n tasks, splitting Var(dᵢ) at K attempts
/// into a between-task part B and a within-task part W/K: Var(dᵢ) = B + W/K.
fn attempts_for(var_d: f64, w: f64, k: f64, n: f64, z: f64, effect: f64) -> Option<u64> {
    let b = (var_d - w / k).max(0.0);
    let room = effect * effect * n / (z * z) - b;
    if room <= 0.0 {
        return None;
    }
    Some(((w / room) - 1e-9).ceil().max(1.0) as u64)
}

/// Per-task mean of resolved over attempts, and the attempts behind it.
fn task_scores(run: &RunData) -> BTreeMap<String, (f64, usize)> {
    let mut m: BTreeMap<String, (f64, usize)> = BTreeMap::new();
    for t in &run.trials {
        let e = m.entry(t.task_id.clone()).or_default();
        e.0 += f64::from(u8::from(t.resolved()));
        e.1 += 1;
    }
    m.into_iter()
        .map(|(k, (s, n))| (k, (s / n as f64, n)))
        .collect()
}

fn practice_rule(a: &RunManifest) -> Option<PracticeRule> {
    let names: Vec<String> = a.datasets.iter().map(|d| d.name.to_lowercase()).collect();
    if names
        .iter()
        .any(|n| (n.contains("swe-bench") || n.contains("swebench")) && n.contains("verified"))
    {
        Some(PracticeRule::Points(3.0))
    } else if names
        .iter()
        .any(|n| n.contains("terminal-bench") || n.contains("terminal_bench"))
    {
        Some(PracticeRule::Tasks(2.0))
    } else {
        None
    }
}

/// Compares run A with run B on their shared tasks.
pub fn compare(
    a: &RunData,
    b: &RunData,
    opts: &CompareOptions,
) -> Result<Comparison, CompareError> {
    if !(opts.alpha > 0.0 && opts.alpha < 1.0) {
        return Err(CompareError::BadOption(format!(
            "--alpha must be strictly between 0 and 1 (got {})",
            opts.alpha
        )));
    }
    if !(opts.power > opts.alpha / 2.0 && opts.power < 1.0) {
        return Err(CompareError::BadOption(format!(
            "the power must be strictly between alpha/2 and 1 (got {})",
            opts.power
        )));
    }
    let differences = manifest_differences(&a.manifest, &b.manifest);
    if !opts.force && differences.iter().any(|d| d.blocking) {
        return Err(CompareError::DifferentDatasets(differences));
    }
    let sa = task_scores(a);
    let sb = task_scores(b);
    let shared: Vec<&String> = sa.keys().filter(|k| sb.contains_key(*k)).collect();
    if shared.is_empty() {
        return Err(CompareError::NoSharedTasks);
    }
    let only_in_a = sa
        .keys()
        .filter(|k| !sb.contains_key(*k))
        .cloned()
        .collect();
    let only_in_b = sb
        .keys()
        .filter(|k| !sa.contains_key(*k))
        .cloned()
        .collect();
    let xa: Vec<f64> = shared.iter().map(|k| sa[*k].0).collect();
    let xb: Vec<f64> = shared.iter().map(|k| sb[*k].0).collect();
    let attempts_a = shared.iter().map(|k| sa[*k].1).max().unwrap_or(0);
    let attempts_b = shared.iter().map(|k| sb[*k].1).max().unwrap_or(0);
    let confidence = 1.0 - opts.alpha;
    let pd = paired_difference(&xa, &xb, confidence);
    let n = shared.len();

    let one_attempt = shared.iter().all(|k| sa[*k].1 == 1 && sb[*k].1 == 1);
    let only_a: Vec<String> = shared
        .iter()
        .filter(|k| sa[**k].0 > sb[**k].0)
        .map(|k| (*k).clone())
        .collect();
    let only_b: Vec<String> = shared
        .iter()
        .filter(|k| sb[**k].0 > sa[**k].0)
        .map(|k| (*k).clone())
        .collect();
    let (test, p_value, discordant) = if one_attempt {
        let (x, y) = (only_a.len() as u64, only_b.len() as u64);
        ("mcnemar_exact", mcnemar_exact(x, y), Some((x, y)))
    } else {
        let d: Vec<f64> = xa.iter().zip(&xb).map(|(x, y)| x - y).collect();
        (
            "paired_permutation",
            paired_permutation_p(&d, opts.permutation_draws, opts.seed),
            None,
        )
    };
    let z = z_quantile(1.0 - opts.alpha / 2.0) + z_quantile(opts.power);
    let se = if pd.se.is_finite() { pd.se } else { 0.0 };
    let differing = xa.iter().zip(&xb).filter(|(x, y)| x != y).count();
    let degenerate = n < 2 || se <= 0.0 || differing < 2;
    let plan_mde = planning_mde(
        n as f64,
        pd.mean_a,
        pd.mean_b,
        pd.correlation,
        opts.alpha,
        opts.power,
    );
    let mde = if degenerate {
        (z * se).max(plan_mde)
    } else {
        z * se
    };
    let rule = match &opts.practice_rule {
        Some(r) => r.clone(),
        None => practice_rule(&a.manifest),
    };
    let rule_threshold = rule.as_ref().map(|r| match r {
        PracticeRule::Points(p) => p / 100.0,
        PracticeRule::Tasks(t) => t / n as f64,
    });
    let diff = pd.diff.estimate;
    let significant =
        p_value < opts.alpha && (pd.diff.low > 0.0 || pd.diff.high < 0.0 || se == 0.0);
    // On degenerate data the spread of the differences is the planning formula's.
    let sd_d = if degenerate {
        (se * (n as f64).sqrt()).max(mde / z * (n as f64).sqrt())
    } else {
        se * (n as f64).sqrt()
    };
    let needed = |effect: f64| -> Option<u64> {
        (effect > 0.0 && sd_d > 0.0).then(|| ((z * sd_d / effect).powi(2)).ceil() as u64)
    };
    let relevant = rule_threshold.unwrap_or(0.0).max(opts.min_effect);
    let attempts_k = attempts_a.min(attempts_b) as f64;
    let within = match (within_variance(a, &shared), within_variance(b, &shared)) {
        (Some(x), Some(y)) if attempts_k >= 2.0 => Some(x + y),
        _ => None,
    };
    let (verdict, explanation, tasks_needed) = if significant
        && rule_threshold.is_some_and(|t| diff.abs() < t)
    {
        (
            Verdict::Inconclusive,
            format!(
                "p {}, but the difference ({:+.1} pts) is under the practice rule ({}): it needs more evidence whatever p says",
                fmt_p(p_value),
                diff * 100.0,
                rule_text(rule.as_ref())
            ),
            needed(rule_threshold.unwrap_or(relevant)),
        )
    } else if significant {
        let v = if diff > 0.0 {
            Verdict::ABetter
        } else {
            Verdict::BBetter
        };
        (
            v,
            format!(
                "p {} (alpha {}); the {}% interval excludes 0",
                fmt_p(p_value),
                opts.alpha,
                confidence_label(confidence)
            ),
            None,
        )
    } else if degenerate {
        let what = if n < 2 {
            "one shared task".to_string()
        } else if differing == 0 {
            format!("the runs agree on every one of the {n} tasks")
        } else if differing == 1 {
            format!("only 1 of the {n} tasks differs between the runs")
        } else {
            format!("every one of the {n} tasks differs by the same amount")
        };
        (
            Verdict::Inconclusive,
            format!(
                "too little variation to judge: {what}, so the spread of the differences cannot be estimated (p {}); at this rate the planning formula gives an MDE of {:.1} pts at {:.0}% power",
                fmt_p(p_value),
                mde * 100.0,
                opts.power * 100.0
            ),
            needed(diff.abs().max(relevant)),
        )
    } else if mde <= relevant {
        (
            Verdict::NoDetectableDifference,
            format!(
                "p {}; this comparison could detect {:.1} pts at {:.0}% power and saw none",
                fmt_p(p_value),
                mde * 100.0,
                opts.power * 100.0
            ),
            None,
        )
    } else {
        let target = diff.abs().max(relevant);
        (
            Verdict::Inconclusive,
            format!(
                "p {}; with {n} tasks only differences of {:.1} pts or more are detectable at {:.0}% power",
                fmt_p(p_value),
                mde * 100.0,
                opts.power * 100.0
            ),
            needed(target),
        )
    };
    let attempts_needed = match (&verdict, within) {
        (Verdict::Inconclusive, Some(w)) => {
            let target = if rule_threshold.is_some() && significant {
                rule_threshold.unwrap_or(relevant)
            } else {
                diff.abs().max(relevant)
            };
            Some(attempts_for(
                sd_d * sd_d,
                w,
                attempts_k,
                n as f64,
                z,
                target,
            ))
        }
        _ => None,
    };
    Ok(Comparison {
        a: a.dir.display().to_string(),
        b: b.dir.display().to_string(),
        differences,
        shared_tasks: n,
        only_in_a,
        only_in_b,
        attempts_a,
        attempts_b,
        mean_a: pd.mean_a,
        mean_b: pd.mean_b,
        confidence,
        diff,
        diff_low: pd.diff.low,
        diff_high: pd.diff.high,
        se,
        interval_note: (n >= 2 && se <= 0.0 && differing > 0).then(|| {
            format!(
                "the interval has zero width only because every one of the {n} tasks differs by the same amount (sd of the differences 0, so SE 0): it does not measure the uncertainty; the MDE uses the planning spread instead"
            )
        }),
        correlation: pd.correlation.is_finite().then_some(pd.correlation),
        test,
        p_value,
        discordant,
        task_ids_only_a_solved: if one_attempt { only_a } else { Vec::new() },
        task_ids_only_b_solved: if one_attempt { only_b } else { Vec::new() },
        mde,
        degenerate,
        verdict,
        explanation,
        practice_rule: rule,
        tasks_needed,
        attempts_needed,
    })
}

fn fmt_p(p: f64) -> String {
    if p < 0.001 {
        "< 0.001".into()
    } else {
        format!("= {p:.3}")
    }
}

fn rule_text(r: Option<&PracticeRule>) -> String {
    match r {
        Some(PracticeRule::Points(p)) => format!("{p} points"),
        Some(PracticeRule::Tasks(t)) => format!("{t} tasks"),
        None => "none".into(),
    }
}

/// The comparison as text.
pub fn render_comparison(c: &Comparison) -> String {
    let pts = crate::units::signed_points;
    let mut out = format!("A  {}\nB  {}\n\n", c.a, c.b);
    if c.differences.is_empty() {
        out.push_str("manifests: no difference that can change a score\n");
    } else {
        out.push_str("manifests differ:\n");
        for d in &c.differences {
            let mark = if d.blocking { "!" } else { "-" };
            out.push_str(&format!("  {mark} {}: {} | {}\n", d.field, d.a, d.b));
        }
    }
    out.push_str(&format!(
        "\ntasks      {} shared; {} only in A, {} only in B (left out)\n",
        c.shared_tasks,
        c.only_in_a.len(),
        c.only_in_b.len()
    ));
    out.push_str(&format!(
        "attempts   A {} per task, B {} per task\n",
        c.attempts_a, c.attempts_b
    ));
    out.push_str(&format!(
        "resolved   A {:.1}%   B {:.1}%\n",
        c.mean_a * 100.0,
        c.mean_b * 100.0
    ));
    out.push_str(&format!(
        "A − B      {} pts [{}% CI {}, {}], SE {:.1} pts{}\n",
        pts(c.diff),
        confidence_label(c.confidence),
        pts(c.diff_low),
        pts(c.diff_high),
        c.se * 100.0,
        c.correlation
            .map(|r| format!(", task correlation {r:.2}"))
            .unwrap_or_default()
    ));
    if let Some(note) = &c.interval_note {
        out.push_str(&format!("           {note}\n"));
    }
    let test = match c.discordant {
        Some((x, y)) => format!("exact McNemar on {x} tasks only A solved vs {y} only B solved"),
        None => "paired permutation test on per-task means".into(),
    };
    out.push_str(&format!("test       {test}: p {}\n", fmt_p(c.p_value)));
    out.push_str(&format!(
        "MDE        {:.1} pts at 80% power\n",
        c.mde * 100.0
    ));
    if let Some(r) = &c.practice_rule {
        out.push_str(&format!(
            "rule       differences under {} need more evidence\n",
            rule_text(Some(r))
        ));
    }
    let verdict = match c.verdict {
        Verdict::ABetter => "A better",
        Verdict::BBetter => "B better",
        Verdict::NoDetectableDifference => "no detectable difference",
        Verdict::Inconclusive => "inconclusive",
    };
    out.push_str(&format!("verdict    {verdict}: {}\n", c.explanation));
    if let Some(n) = c.tasks_needed {
        let attempts = match c.attempts_needed {
            Some(Some(k)) => format!(", or {k} attempts per task on these tasks"),
            Some(None) => "; more attempts on these tasks cannot settle it".into(),
            None => String::new(),
        };
        out.push_str(&format!(
            "to settle  about {n} shared tasks at this spread{attempts}\n"
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn practice_rule_flags_no_rule_then_points_then_tasks() {
        assert!(matches!(
            PracticeRule::from_flags(true, Some(1.0), None),
            Some(None)
        ));
        let points = PracticeRule::from_flags(false, Some(3.0), Some(2.0));
        assert!(matches!(points, Some(Some(PracticeRule::Points(p))) if p == 3.0));
        let tasks = PracticeRule::from_flags(false, None, Some(2.0));
        assert!(matches!(tasks, Some(Some(PracticeRule::Tasks(t))) if t == 2.0));
        assert!(PracticeRule::from_flags(false, None, None).is_none());
    }

    #[test]
    fn attempts_needed_splits_between_and_within_variance() {
        // Var(d) = 0.02 at K = 2 with W = 0.03: B = 0.005. n = 400, z = 2.8, effect = 0.02:
        // room = 0.0004·400/7.84 − 0.005 = 0.0154; K = 0.03/0.0154 → 2.
        assert_eq!(attempts_for(0.02, 0.03, 2.0, 400.0, 2.8, 0.02), Some(2));
        // Between-task spread alone too large: no K suffices.
        assert_eq!(attempts_for(0.5, 0.01, 2.0, 100.0, 2.8, 0.01), None);
    }
}
