//! Charts as inline SVG drawn with plotters: horizontal bars with 95% error bars (scores per
//! family and group, outcomes) and histograms (time, tokens, cost per trial).

use plotters::prelude::*;
use tribench_analysis::{bar_frame, draw_svg, row_bar, row_interval, tick_label, BarFrame};

/// One bar: a label, a value on the axis, and an optional interval around it.
pub struct BarItem {
    pub label: String,
    pub value: f64,
    pub interval: Option<(f64, f64)>,
}

const BLUE: RGBColor = RGBColor(59, 110, 165);
const LABEL_FONT: (&str, u32) = ("sans-serif", 13);

/// Horizontal bars on `0..x_max`, each with its interval as an error bar. Labels are escaped
/// by the SVG backend.
pub fn hbars(title: &str, items: &[BarItem], x_max: f64, x_desc: &str) -> String {
    if items.is_empty() {
        return String::new();
    }
    let n = items.len();
    let height = 70 + 24 * n as u32;
    draw_svg((720, height), |root| {
        let labels: Vec<String> = items.iter().map(|i| i.label.clone()).collect();
        let mut chart = bar_frame(
            root,
            title,
            &labels,
            n,
            x_max.max(f64::MIN_POSITIVE),
            &BarFrame {
                margin_right: 28,
                x_label_area: 34,
                y_label_area: 180,
                font_size: LABEL_FONT.1,
                x_ticks: 6,
                x_tick: &|v| {
                    if v.fract() == 0.0 {
                        format!("{v:.0}")
                    } else {
                        format!("{v:.1}")
                    }
                },
                x_desc: Some(x_desc),
            },
        )?;
        chart
            .draw_series(
                items.iter().enumerate().map(|(i, it)| {
                    row_bar(i, it.value.clamp(0.0, x_max), 3, BLUE.mix(0.8).filled())
                }),
            )
            .ok()?;
        chart
            .draw_series(items.iter().enumerate().filter_map(|(i, it)| {
                let (lo, hi) = it.interval?;
                let at = |x: f64| x.clamp(0.0, x_max);
                Some(row_interval(i, at(lo), at(it.value), at(hi)))
            }))
            .ok()?;
        Some(())
    })
}

/// A histogram of `values` in up to 20 equal bins; nothing when there are no values.
pub fn histogram(title: &str, values: &[f64], x_desc: &str) -> String {
    let values: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    // All zeros (no tokens, free trials) say nothing a chart would add.
    if values.iter().all(|v| *v == 0.0) {
        return String::new();
    }
    let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let bins = 20usize.min(values.len().max(1));
    let width = if hi > lo {
        (hi - lo) / bins as f64
    } else {
        1.0
    };
    let mut counts = vec![0u32; bins];
    for v in &values {
        let i = (((v - lo) / width) as usize).min(bins - 1);
        counts[i] += 1;
    }
    let top = counts.iter().copied().max().unwrap_or(1).max(1);
    draw_svg((360, 220), |root| {
        let mut chart = ChartBuilder::on(root)
            .caption(title, ("sans-serif", 14))
            .margin(6)
            .x_label_area_size(32)
            .y_label_area_size(36)
            .build_cartesian_2d(lo..lo + width * bins as f64, 0u32..top + 1)
            .ok()?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .light_line_style(TRANSPARENT)
            .x_labels(5)
            .x_label_formatter(&|v| tick_label(*v))
            .y_labels(4)
            .label_style(("sans-serif", 12))
            .x_desc(x_desc)
            .draw()
            .ok()?;
        chart
            .draw_series(counts.iter().enumerate().map(|(i, c)| {
                let x0 = lo + width * i as f64;
                let mut r = Rectangle::new([(x0, 0), (x0 + width, *c)], BLUE.mix(0.8).filled());
                r.set_margin(0, 0, 1, 1);
                r
            }))
            .ok()?;
        Some(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_escape_their_labels() {
        let svg = hbars(
            "t",
            &[BarItem {
                label: "<script>x</script>".into(),
                value: 50.0,
                interval: Some((40.0, 60.0)),
            }],
            100.0,
            "%",
        );
        assert!(svg.starts_with("<svg"), "{svg}");
        assert!(!svg.contains("<script>"), "{svg}");
    }

    #[test]
    fn a_histogram_of_one_value_draws() {
        assert!(histogram("t", &[3.0], "s").contains("<rect"));
        assert!(histogram("t", &[], "s").is_empty());
        assert!(histogram("t", &[0.0, 0.0], "s").is_empty());
    }
}
