//! Reports as text: a terminal table and Markdown, built from the same rows.

use crate::report::{Report, Score, Slice};

fn pct(x: f64) -> String {
    format!("{:.1}", x * 100.0)
}

fn score_cell(s: &Score) -> String {
    format!("{}% [{}, {}]", pct(s.rate), pct(s.low), pct(s.high))
}

fn se_cell(se: Option<f64>) -> String {
    se.map_or_else(|| "–".to_string(), |s| format!("±{} pts", pct(s)))
}

/// Header and rows of the score table.
pub(crate) fn score_rows(r: &Report) -> (Vec<String>, Vec<Vec<String>>) {
    let first_try = r.total.first_try.is_some();
    let mut header = vec![
        "slice",
        "tasks",
        "K",
        "resolved [95% CI]",
        "SE over tasks",
        "SE over reruns",
    ];
    if first_try {
        header.push("first try [95% CI]");
    }
    header.push("infra errors");
    let mut slices: Vec<&Slice> = Vec::new();
    if r.families.len() > 1 {
        slices.extend(&r.families);
    }
    slices.extend(&r.groups);
    slices.push(&r.total);
    let rows = slices
        .into_iter()
        .map(|s| {
            let mut row = vec![
                s.name.clone(),
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
            row
        })
        .collect();
    (header.into_iter().map(String::from).collect(), rows)
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
        format!("agent      {} {}", m.scaffold.agent, m.scaffold.version),
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
    if r.recorded_trials < r.expected_trials {
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
        "intervals: Wilson over tasks. SE over tasks: another sample of tasks; SE over reruns needs K ≥ 2.".into()
    } else {
        "intervals: t, clustered by task. SE over tasks: another sample of tasks; SE over reruns: the same tasks again.".into()
    });
    if t.score.method == "clustered_t_wilson_floor" {
        v.push("           the task means took at most two values: the interval is at least the Wilson interval over the tasks.".into());
    }
    v.push("infrastructure errors count as failures in every rate.".into());
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
    // Infrastructure failures with what caused them: a score of 0 must not hide an outage.
    for o in r.outcomes.iter().filter(|o| o.infrastructure) {
        for c in o.causes.iter().take(3) {
            let mut error = c.error.replace('\n', " ");
            if error.chars().count() > 200 {
                error = error.chars().take(200).collect::<String>() + "…";
            }
            v.push(format!("           {} ({}): {error}", o.outcome, c.count));
        }
    }
    let e = &t.efficiency;
    let opt = |x: Option<f64>, f: &dyn Fn(f64) -> String| x.map_or_else(|| "–".into(), f);
    v.push(format!(
        "cost       ${:.4} per trial, {} per solved task; tokens per trial {:.0} in / {:.0} out",
        e.cost_usd_per_trial,
        opt(e.cost_usd_per_solved, &|c| format!("${c:.4}")),
        e.prompt_tokens_per_trial,
        e.completion_tokens_per_trial
    ));
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
    v.push(format!(
        "time       {:.1} s per trial, {} per solved task; median {} ms (tests {} ms, agent {} ms, harness {} ms; p90 harness {} ms)",
        e.seconds_per_trial,
        opt(e.seconds_per_solved, &|s| format!("{s:.1} s")),
        tm.median_total_ms,
        tm.median_test_ms,
        tm.median_agent_ms,
        tm.median_overhead_ms,
        tm.p90_overhead_ms
    ));
    v
}

/// The report as a terminal table with context and notes.
pub fn render_table(r: &Report) -> String {
    let (header, rows) = score_rows(r);
    let mut t = comfy_table::Table::new();
    t.load_preset(comfy_table::presets::UTF8_BORDERS_ONLY);
    t.set_header(header);
    for row in rows {
        t.add_row(row);
    }
    let mut out = context_lines(r).join("\n");
    out.push_str("\n\n");
    out.push_str(&t.to_string());
    out.push('\n');
    out.push_str(&note_lines(r).join("\n"));
    out.push('\n');
    out
}

/// The report as Markdown: the same figures, for pasting into a review or a paper draft.
pub fn render_markdown(r: &Report) -> String {
    let (header, rows) = score_rows(r);
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
    out
}
