//! One self-contained HTML file for one or more runs: the tables of the text report and SVG
//! charts (scores with intervals, per-group bars, score against cost and against active
//! parameters with the Pareto frontier). No scripts, no external resources.

use crate::render::{context_lines, note_lines, score_rows};
use crate::svg::{bars, esc, lines, scatter, Bar, Point};
use crate::{ModelEntry, Report};
use std::fmt::Write;

const STYLE: &str = "body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#222}\
table{border-collapse:collapse;margin:.6em 0}td,th{border-bottom:1px solid #ddd;padding:3px 10px;text-align:left}\
th{background:#f4f4f4}svg{display:block;margin:1em 0}svg .title{font-weight:600;font-size:14px}\
svg .tick{font-size:11px;fill:#666}svg .label,svg .value{font-size:12px}pre{background:#f7f7f7;padding:.6em}";

fn run_label(r: &Report) -> String {
    match &r.manifest.model {
        Some(m) => format!("{} / {}", m.id, r.manifest.scaffold.agent),
        None => format!("{} ({})", r.manifest.scaffold.agent, r.manifest.run_id),
    }
}

/// The HTML report of `runs`, each with the models-file entry of its model when known.
pub fn render_html(runs: &[(Report, Option<ModelEntry>)]) -> String {
    let mut s = String::new();
    let _ = write!(
        s,
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>tribench report</title><style>{STYLE}</style></head><body><h1>tribench report</h1>"
    );
    if runs.len() > 1 {
        let all: Vec<Bar> = runs
            .iter()
            .filter_map(|(r, _)| {
                Some(Bar {
                    label: run_label(r),
                    value: r.total.score.rate?,
                    low: r.total.score.low,
                    high: r.total.score.high,
                })
            })
            .collect();
        s.push_str(&bars("Resolved, with 95% intervals over tasks", &all));
        // Runs whose cost is unknown are left out, not plotted at zero.
        let costed: Vec<Point> = runs
            .iter()
            .filter_map(|(r, _)| {
                let c = r.total.efficiency.cost_usd_per_trial.filter(|c| *c > 0.0)?;
                Some(Point {
                    label: run_label(r),
                    x: c,
                    y: r.total.score.rate?,
                })
            })
            .collect();
        if costed.len() > 1 {
            s.push_str(&scatter(
                "Score against cost (dashed: Pareto frontier)",
                "USD per trial",
                &costed,
            ));
        }
        let sized: Vec<Point> = runs
            .iter()
            .filter_map(|(r, m)| {
                Some(Point {
                    label: run_label(r),
                    x: m.as_ref()?.active_params_b?,
                    y: r.total.score.rate?,
                })
            })
            .collect();
        if sized.len() > 1 {
            s.push_str(&scatter(
                "Score against active parameters (dashed: Pareto frontier)",
                "active parameters (billions)",
                &sized,
            ));
        }
    }
    for (r, _) in runs {
        let _ = write!(s, "<h2>{}</h2><ul>", esc(&run_label(r)));
        for l in context_lines(r) {
            let _ = write!(
                s,
                "<li>{}</li>",
                esc(&l.split_whitespace().collect::<Vec<_>>().join(" "))
            );
        }
        s.push_str("</ul>");
        let mut slices: Vec<Bar> = Vec::new();
        if r.families.len() > 1 {
            slices.extend(r.families.iter().filter_map(|f| {
                Some(Bar {
                    label: f.name.clone(),
                    value: f.score.rate?,
                    low: f.score.low,
                    high: f.score.high,
                })
            }));
        }
        slices.extend(r.groups.iter().filter_map(|g| {
            Some(Bar {
                label: g.name.clone(),
                value: g.score.rate?,
                low: g.score.low,
                high: g.score.high,
            })
        }));
        // A run with no trials has no bar: its rate is unknown, not 0.
        if let Some(rate) = r.total.score.rate {
            slices.push(Bar {
                label: "total".into(),
                value: rate,
                low: r.total.score.low,
                high: r.total.score.high,
            });
        }
        if !slices.is_empty() {
            s.push_str(&bars("Resolved by group, with 95% intervals", &slices));
        }
        let (header, rows) = score_rows(r, true, "\u{a0}\u{a0}");
        s.push_str("<table><tr>");
        for h in header {
            let _ = write!(s, "<th>{}</th>", esc(&h));
        }
        s.push_str("</tr>");
        for row in rows {
            s.push_str("<tr>");
            for c in row {
                let _ = write!(s, "<td>{}</td>", esc(&c));
            }
            s.push_str("</tr>");
        }
        s.push_str("</table><ul>");
        for l in note_lines(r) {
            let _ = write!(
                s,
                "<li>{}</li>",
                esc(&l.split_whitespace().collect::<Vec<_>>().join(" "))
            );
        }
        s.push_str("</ul>");
    }
    s.push_str("</body></html>\n");
    s
}

/// Power curves: the paired MDE against the number of tasks (up to four times the design's, at
/// least 100), one line for each of 1, 3, 5 and 10 attempts.
pub fn render_power_html(base: &tribench_stats::PowerInputs) -> String {
    let series = power_series(base);
    let title = format!(
        "Minimum detectable difference at {:.0}% power (base rate {:.0}%, task correlation {:.2}, icc {:.2})",
        base.power * 100.0,
        base.base_rate * 100.0,
        base.correlation,
        base.icc
    );
    format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>tribench power</title><style>{STYLE}</style></head><body><h1>tribench power</h1>{}</body></html>\n",
        lines(&title, "tasks", "MDE (points)", &series)
    )
}

/// The curves of [`render_power_html`]: (label, (tasks, MDE in points)) per number of attempts.
fn power_series(base: &tribench_stats::PowerInputs) -> Vec<(String, Vec<(f64, f64)>)> {
    let max_tasks = (base.tasks * 4.0).max(100.0);
    let curve = |k: f64| {
        let pts = (1..=60)
            .map(|i| {
                let n = (max_tasks * f64::from(i) / 60.0).max(5.0);
                let inputs = tribench_stats::PowerInputs {
                    tasks: n,
                    attempts: k,
                    ..*base
                };
                (n, tribench_stats::mde(&inputs) * 100.0)
            })
            .collect();
        (format!("K = {k}"), pts)
    };
    [1.0, 3.0, 5.0, 10.0].into_iter().map(curve).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn power_curves_span_four_times_the_tasks_for_1_3_5_and_10_attempts() {
        let base = tribench_stats::PowerInputs {
            tasks: 89.0,
            attempts: 5.0,
            base_rate: 0.5,
            correlation: 0.5,
            icc: 0.0,
            alpha: 0.05,
            power: 0.8,
        };
        let series = power_series(&base);
        let labels: Vec<&str> = series.iter().map(|s| s.0.as_str()).collect();
        assert_eq!(labels, ["K = 1", "K = 3", "K = 5", "K = 10"]);
        for (_, pts) in &series {
            assert_eq!(pts.len(), 60);
            assert_eq!(pts.last().map(|p| p.0), Some(356.0));
            assert!(
                pts.windows(2).all(|w| w[1].1 <= w[0].1),
                "MDE shrinks with tasks"
            );
        }
        let small = power_series(&tribench_stats::PowerInputs {
            tasks: 10.0,
            ..base
        });
        assert_eq!(small[0].1.last().map(|p| p.0), Some(100.0));
        let html = render_power_html(&base);
        assert!(html.contains("K = 10") && html.contains("<svg"), "{html}");
    }
}
