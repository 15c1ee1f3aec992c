//! Reports as text: a terminal table and Markdown, built from the same rows.

use crate::report::{Report, Score, Slice};
use crate::units::{count_opt, duration_ms, duration_opt, usd, usd_opt, UNKNOWN};

fn pct(x: f64) -> String {
    format!("{:.1}", x * 100.0)
}

fn score_cell(s: &Score) -> String {
    match s.rate {
        Some(r) => format!("{}% [{}, {}]", pct(r), pct(s.low), pct(s.high)),
        None => "n/a (no trials)".into(),
    }
}

fn se_cell(se: Option<f64>) -> String {
    se.map_or_else(|| "–".to_string(), |s| format!("±{} pts", pct(s)))
}

/// How wide the terminal table may be.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RenderOptions {
    /// Every column (first try, cost and time per trial), whatever the width.
    pub wide: bool,
}

/// The width the default report fits in.
pub const REPORT_WIDTH: usize = 100;

/// Longest slice name in the default table, indent included; longer ones are cut with `…`.
const NAME_WIDTH: usize = 28;

fn clip(s: &str, n: usize) -> String {
    if s.chars().count() > n {
        let mut out: String = s.chars().take(n.saturating_sub(1)).collect();
        out.push('…');
        out
    } else {
        s.to_string()
    }
}

/// The slices in reading order, each with its indent: every family with its groups under it,
/// then the total. With one family the family row would repeat the total, so it is left out.
fn ordered_slices(r: &Report) -> Vec<(usize, &Slice)> {
    let mut out = Vec::new();
    let several = r.families.len() > 1;
    for f in &r.families {
        let indent = if several {
            out.push((0, f));
            1
        } else {
            0
        };
        out.extend(
            r.groups
                .iter()
                .filter(|g| g.family == f.family)
                .map(|g| (indent, g)),
        );
    }
    out.push((0, &r.total));
    out
}

/// Header and rows of the score table; `indent` is what one level of nesting is written as.
pub(crate) fn score_rows(r: &Report, wide: bool, indent: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let first_try = wide && r.total.first_try.is_some();
    let mut header = vec!["slice", "tasks", "K", "resolved [95% CI]"];
    if wide {
        header.extend(["SE over tasks", "SE over reruns"]);
    } else {
        header.extend(["SE tasks", "SE reruns"]);
    }
    if first_try {
        header.push("first try [95% CI]");
    }
    header.push(if wide { "infra errors" } else { "infra" });
    if wide {
        header.extend(["cost/trial", "time/trial"]);
    }
    let rows = ordered_slices(r)
        .into_iter()
        .map(|(level, s)| {
            // A group or category name comes from the dataset: one line, no control codes.
            let name = if wide {
                crate::one_line(&s.name)
            } else {
                clip(&crate::one_line(&s.name), NAME_WIDTH - 2 * level)
            };
            let mut row = vec![
                format!("{}{name}", indent.repeat(level)),
                s.tasks.to_string(),
                s.attempts.to_string(),
                score_cell(&s.score),
                se_cell(s.score.se_tasks),
                se_cell(s.score.se_reruns),
            ];
            if first_try {
                row.push(s.first_try.as_ref().map_or_else(String::new, score_cell));
            }
            row.push(s.infra_errors.to_string());
            if wide {
                row.push(usd_opt(s.efficiency.cost_usd_per_trial));
                row.push(duration_opt(
                    s.efficiency.seconds_per_trial.map(|x| x * 1000.0),
                ));
            }
            row
        })
        .collect();
    (header.into_iter().map(String::from).collect(), rows)
}

/// Breaks a note line longer than `width` at spaces, continuing under its text (after the
/// 11-column label).
fn wrap(line: &str, width: usize) -> Vec<String> {
    if line.chars().count() <= width {
        return vec![line.to_string()];
    }
    let pad = " ".repeat(11);
    let mut out = Vec::new();
    let mut cur = String::new();
    for word in line.split(' ') {
        let extra = usize::from(!cur.is_empty());
        if !cur.trim().is_empty() && cur.chars().count() + extra + word.chars().count() > width {
            out.push(cur.trim_end().to_string());
            cur = pad.clone();
        } else if extra == 1 {
            cur.push(' ');
        }
        cur.push_str(word);
    }
    if !cur.trim().is_empty() {
        out.push(cur.trim_end().to_string());
    }
    out
}

/// Lines of context before the table, and notes after it.
pub(crate) fn context_lines(r: &Report) -> Vec<String> {
    let m = &r.manifest;
    let suites = m
        .datasets
        .iter()
        .map(|d| format!("{} ({} tasks)", d.name, d.tasks))
        .collect::<Vec<_>>()
        .join(", ");
    let mut v = vec![
        format!("run        {}", r.run_dir),
        format!("agent      {} {}", m.scaffold.agent, m.scaffold.version)
            .trim_end()
            .to_string(),
    ];
    if let Some(model) = &m.model {
        v.push(format!("model      {} ({})", model.id, model.provider));
    }
    v.push(format!("suites     {suites}"));
    v.push(format!(
        "sandbox    {}: {}",
        m.environment.backend, m.environment.isolation
    ));
    v.push(format!("harness    {}", m.harness_version));
    v.push(format!("attempts   {} per task", m.attempts));
    if r.recorded_trials == 0 && r.expected_trials > 0 {
        v.push(format!(
            "INCOMPLETE 0 of {} trials recorded: no score until a trial is",
            r.expected_trials
        ));
    } else if r.recorded_trials < r.expected_trials {
        v.push(format!(
            "INCOMPLETE {} of {} trials recorded; counting the missing ones as failures the score is {}%",
            r.recorded_trials,
            r.expected_trials,
            pct(r.score_over_expected.unwrap_or(0.0))
        ));
    }
    v
}

pub(crate) fn note_lines(r: &Report) -> Vec<String> {
    let t = &r.total;
    let mut v = Vec::new();
    v.push(if t.score.method == "wilson" {
        "intervals  Wilson over tasks. SE tasks: another sample of tasks; SE reruns needs K ≥ 2.".into()
    } else {
        "intervals  t, clustered by task. SE tasks: another sample of tasks; SE reruns: the same again.".into()
    });
    if t.score.method == "clustered_t_wilson_floor" {
        v.push("           The task means took at most two values: each interval is at least the Wilson interval over its tasks.".into());
    }
    v.push("           Infrastructure errors count as failures in every rate.".into());
    if !t.pass_at_k.is_empty() {
        let fmt = |xs: &[crate::KValue]| {
            xs.iter()
                .map(|x| format!("{}: {}%", x.k, pct(x.value)))
                .collect::<Vec<_>>()
                .join("  ")
        };
        v.push(format!("pass@k     {}", fmt(&t.pass_at_k)));
        v.push(format!("pass^k     {}", fmt(&t.pass_hat_k)));
    }
    v.push(format!(
        "outcomes   {}",
        r.outcomes
            .iter()
            .map(|o| format!(
                "{} {}{}",
                o.outcome,
                o.count,
                if o.infrastructure { " (infra)" } else { "" }
            ))
            .collect::<Vec<_>>()
            .join(", ")
    ));
    // Infrastructure failures with what caused them: a score of 0 must not hide an outage. A
    // reference solution's failures say why too (only an oracle run records causes for them).
    for o in r.outcomes.iter().filter(|o| !o.causes.is_empty()) {
        for c in o.causes.iter().take(3) {
            let mut error = c.error.replace('\n', " ");
            if error.chars().count() > 200 {
                error = error.chars().take(200).collect::<String>() + "…";
            }
            v.push(format!("           {} ({}): {error}", o.outcome, c.count));
        }
    }
    let e = &t.efficiency;
    if let Some(ft) = t.first_try.as_ref() {
        v.push(format!(
            "first try  {} (resolved before seeing any test output)",
            score_cell(ft)
        ));
    }
    let unknown_of = |n: usize| {
        if n == t.trials {
            String::new()
        } else {
            format!(" for {n} of {} trials", t.trials)
        }
    };
    v.push(match e.cost_usd_per_trial {
        Some(c) => format!(
            "cost       {} per trial, {} per solved task, {} in all",
            usd(c),
            e.cost_usd_per_solved
                .map_or_else(|| "no solved task".to_string(), usd),
            usd_opt(e.cost_usd_total)
        ),
        None => format!(
            "cost       {UNKNOWN}: not recorded{} (prices come from a models file, --models)",
            unknown_of(e.cost_unknown_trials)
        ),
    });
    v.push(
        match (e.prompt_tokens_per_trial, e.completion_tokens_per_trial) {
            (Some(p), Some(c)) => format!(
                "tokens     {} in / {} out per trial",
                count_opt(Some(p)),
                count_opt(Some(c))
            ),
            _ => format!(
                "tokens     {UNKNOWN}: not recorded{}",
                unknown_of(e.tokens_unknown_trials)
            ),
        },
    );
    if let Some(f) = &r.freshness {
        let side = |s: &Option<Score>| {
            s.as_ref().map_or_else(
                || "no tasks".into(),
                |s| format!("{} ({} tasks)", score_cell(s), s.tasks),
            )
        };
        v.push(format!(
            "freshness  cutoff {}: before {}, on or after {}",
            f.cutoff,
            side(&f.before),
            side(&f.after)
        ));
        if let Some(d) = f.diff {
            let ci = match (f.diff_low, f.diff_high) {
                (Some(l), Some(h)) => format!(" [95% CI {:+.1}, {:+.1}]", l * 100.0, h * 100.0),
                _ => String::new(),
            };
            v.push(format!(
                "           after − before {:+.1} pts{ci}; {} tasks undated",
                d * 100.0,
                f.undated_tasks
            ));
        } else if f.undated_tasks > 0 {
            v.push(format!(
                "           {} tasks have no creation date",
                f.undated_tasks
            ));
        }
    }
    let tm = &r.timings;
    let ms = |x: Option<u64>| duration_opt(x.map(|x| x as f64));
    match e.seconds_per_trial {
        Some(secs) => {
            v.push(format!(
                "time       {} per trial, {} per solved task",
                duration_ms(secs * 1000.0),
                e.seconds_per_solved
                    .map_or_else(|| "no solved task".to_string(), |s| duration_ms(s * 1000.0)),
            ));
        }
        None => v.push(format!(
            "time       {UNKNOWN}: not recorded{}",
            unknown_of(e.time_unknown_trials)
        )),
    }
    if tm.median_total_ms.is_some() {
        // Medians are over the trials whose time was recorded; say so when that is not all.
        let of = if e.time_unknown_trials > 0 {
            format!(" of {} timed trials", t.trials - e.time_unknown_trials)
        } else {
            String::new()
        };
        v.push(format!(
            "           median{of} {} (tests {}, agent {}, harness {}; p90 harness {})",
            ms(tm.median_total_ms),
            ms(tm.median_test_ms),
            ms(tm.median_agent_ms),
            ms(tm.median_overhead_ms),
            ms(tm.p90_overhead_ms)
        ));
    }
    v
}

/// The report as a terminal table with context and notes, fitting in 100 columns.
pub fn render_table(r: &Report) -> String {
    render_table_with(r, RenderOptions::default())
}

/// The report as a terminal table; `wide` adds the columns that do not fit in 100.
pub fn render_table_with(r: &Report, opts: RenderOptions) -> String {
    let (header, rows) = score_rows(r, opts.wide, "  ");
    let mut t = comfy_table::Table::new();
    t.load_preset(comfy_table::presets::UTF8_BORDERS_ONLY);
    if !opts.wide {
        // A last guard: cells wrap rather than the table passing the width.
        t.set_content_arrangement(comfy_table::ContentArrangement::Dynamic);
        t.set_width(REPORT_WIDTH as u16);
    }
    t.set_header(header);
    for row in rows {
        t.add_row(row);
    }
    let fit = |lines: Vec<String>| {
        lines
            .iter()
            .flat_map(|l| wrap(l, REPORT_WIDTH))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let mut out = fit(context_lines(r));
    out.push_str("\n\n");
    out.push_str(&t.to_string());
    out.push('\n');
    out.push_str(&fit(note_lines(r)));
    out.push('\n');
    crate::terminal_text(&out)
}

/// The report as Markdown: the same figures, for pasting into a review or a paper draft.
pub fn render_markdown(r: &Report) -> String {
    let (header, rows) = score_rows(r, true, "&nbsp;&nbsp;");
    let mut out = format!("## tribench report: {}\n\n", r.manifest.run_id);
    for l in context_lines(r) {
        out.push_str(&format!(
            "- {}\n",
            l.split_whitespace().collect::<Vec<_>>().join(" ")
        ));
    }
    out.push('\n');
    out.push_str(&format!("| {} |\n", header.join(" | ")));
    out.push_str(&format!(
        "|{}\n",
        header.iter().map(|_| "---|").collect::<String>()
    ));
    for row in rows {
        out.push_str(&format!("| {} |\n", row.join(" | ")));
    }
    out.push('\n');
    for l in note_lines(r) {
        out.push_str(&format!(
            "- {}\n",
            l.split_whitespace().collect::<Vec<_>>().join(" ")
        ));
    }
    crate::terminal_text(&out)
}
