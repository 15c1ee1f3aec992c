//! SVG charts for the HTML report, drawn with plotters: horizontal bars with error bars, scatter
//! plots with a Pareto frontier, and line charts. Text in them is escaped by plotters.

use plotters::coord::ranged1d::SegmentedCoord;
use plotters::coord::types::{RangedCoordf64, RangedCoordusize};
use plotters::coord::Shift;
use plotters::element::ErrorBarOrientH;
use plotters::prelude::*;

pub(crate) fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

const PALETTE: [RGBColor; 6] = [
    RGBColor(0x3b, 0x6e, 0xa5),
    RGBColor(0xd0, 0x74, 0x3c),
    RGBColor(0x5a, 0x9e, 0x5a),
    RGBColor(0x9b, 0x59, 0xb6),
    RGBColor(0xc0, 0x39, 0x2b),
    RGBColor(0x7f, 0x8c, 0x8d),
];

/// One bar: label, value and interval, all rates in [0, 1].
pub(crate) struct Bar {
    pub label: String,
    pub value: f64,
    pub low: f64,
    pub high: f64,
}

/// Horizontal bars on a 0–100% axis, each with its interval drawn as an error bar and its value
/// written after it.
pub(crate) fn bars(title: &str, bars: &[Bar]) -> String {
    let n = bars.len().max(1);
    let labels: Vec<String> = bars.iter().map(|b| b.label.clone()).collect();
    draw_svg((720, 70 + 26 * n as u32), |root| {
        let mut chart = bar_frame(
            root,
            title,
            &labels,
            n,
            100.0,
            &BarFrame {
                margin_right: 60,
                x_label_area: 28,
                y_label_area: 210,
                font_size: 12,
                x_ticks: 5,
                x_tick: &|v| format!("{v:.0}%"),
                x_desc: None,
            },
        )?;
        chart
            .draw_series(bars.iter().enumerate().map(|(i, b)| {
                let color = PALETTE[i % PALETTE.len()];
                row_bar(
                    i,
                    b.value.clamp(0.0, 1.0) * 100.0,
                    4,
                    color.mix(0.85).filled(),
                )
            }))
            .ok()?;
        chart
            .draw_series(bars.iter().enumerate().map(|(i, b)| {
                let pct = |x: f64| x.clamp(0.0, 1.0) * 100.0;
                row_interval(i, pct(b.low), pct(b.value), pct(b.high))
            }))
            .ok()?;
        chart
            .draw_series(bars.iter().enumerate().map(|(i, b)| {
                Text::new(
                    format!("{:.1}%", b.value * 100.0),
                    (101.0, SegmentValue::CenterOf(i)),
                    ("sans-serif", 12),
                )
            }))
            .ok()?;
        Some(())
    })
}

/// Indices of the points on the Pareto frontier when lower x and higher y are better.
pub fn pareto_frontier(points: &[(f64, f64)]) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..points.len()).collect();
    idx.sort_by(|&a, &b| {
        points[a]
            .0
            .total_cmp(&points[b].0)
            .then(points[b].1.total_cmp(&points[a].1))
    });
    let mut best = f64::NEG_INFINITY;
    let mut out = Vec::new();
    for i in idx {
        if points[i].1 > best {
            best = points[i].1;
            out.push(i);
        }
    }
    out
}

pub(crate) struct Point {
    pub label: String,
    pub x: f64,
    pub y: f64,
}

/// Score (y, 0–100%) against a cost-like x, with the Pareto frontier (dashed) drawn through
/// the points no other point beats on both axes.
pub(crate) fn scatter(title: &str, x_label: &str, points: &[Point]) -> String {
    let xmax = points.iter().map(|p| p.x).fold(0.0_f64, f64::max).max(1e-9) * 1.15;
    let coords: Vec<(f64, f64)> = points.iter().map(|p| (p.x, p.y)).collect();
    let frontier = pareto_frontier(&coords);
    draw_svg((720, 360), |root| {
        let mut chart = ChartBuilder::on(root)
            .caption(title, ("sans-serif", 15))
            .margin(10)
            .margin_right(120)
            .x_label_area_size(40)
            .y_label_area_size(50)
            .build_cartesian_2d(0f64..xmax, 0f64..100f64)
            .ok()?;
        chart
            .configure_mesh()
            .light_line_style(TRANSPARENT)
            .x_desc(x_label)
            .x_labels(5)
            .x_label_formatter(&|x| tick_label(*x))
            .y_labels(5)
            .y_label_formatter(&|y| format!("{y:.0}%"))
            .draw()
            .ok()?;
        if frontier.len() > 1 {
            chart
                .draw_series(DashedLineSeries::new(
                    frontier.iter().map(|&i| (points[i].x, points[i].y * 100.0)),
                    4,
                    3,
                    PALETTE[1].stroke_width(1),
                ))
                .ok()?;
        }
        chart
            .draw_series(points.iter().enumerate().map(|(i, p)| {
                let color = if frontier.contains(&i) {
                    PALETTE[1]
                } else {
                    PALETTE[0]
                };
                EmptyElement::at((p.x, p.y.clamp(0.0, 1.0) * 100.0))
                    + Circle::new((0, 0), 5, color.filled())
                    + Text::new(p.label.clone(), (8, -6), ("sans-serif", 12))
            }))
            .ok()?;
        Some(())
    })
}

/// Lines of (x, y) series; y in the series' own unit, labelled on the axis, with a legend.
pub(crate) fn lines(
    title: &str,
    x_label: &str,
    y_label: &str,
    series: &[(String, Vec<(f64, f64)>)],
) -> String {
    let xmax = series
        .iter()
        .flat_map(|s| s.1.iter().map(|p| p.0))
        .fold(0.0_f64, f64::max)
        .max(1e-9);
    let ymax = series
        .iter()
        .flat_map(|s| s.1.iter().map(|p| p.1))
        .fold(0.0_f64, f64::max)
        .max(1e-9)
        * 1.05;
    draw_svg((720, 380), |root| {
        let mut chart = ChartBuilder::on(root)
            .caption(title, ("sans-serif", 14))
            .margin(10)
            .x_label_area_size(40)
            .y_label_area_size(56)
            .build_cartesian_2d(0f64..xmax, 0f64..ymax)
            .ok()?;
        chart
            .configure_mesh()
            .light_line_style(TRANSPARENT)
            .x_desc(x_label)
            .y_desc(y_label)
            .x_label_formatter(&|x| tick_label(*x))
            .y_label_formatter(&|y| tick_label(*y))
            .draw()
            .ok()?;
        for (i, (label, pts)) in series.iter().enumerate() {
            let color = PALETTE[i % PALETTE.len()];
            chart
                .draw_series(LineSeries::new(pts.iter().copied(), color.stroke_width(2)))
                .ok()?
                .label(label.clone())
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2))
                });
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.9))
            .border_style(BLACK.mix(0.3))
            .draw()
            .ok()?;
        Some(())
    })
}

/// How a horizontal bar chart's frame looks: margins, fonts and its x axis.
pub struct BarFrame<'a> {
    pub margin_right: u32,
    pub x_label_area: u32,
    pub y_label_area: u32,
    /// Of the axis labels and the axis description.
    pub font_size: u32,
    pub x_ticks: usize,
    pub x_tick: &'a dyn Fn(&f64) -> String,
    pub x_desc: Option<&'a str>,
}

/// The drawn frame of a horizontal bar chart: `rows` rows named by `labels` (top to bottom in
/// the order given, from the axis up) on an x axis from 0 to `x_max`, ready for the bars.
#[allow(clippy::type_complexity)]
pub fn bar_frame<'a, 's>(
    root: &'a DrawingArea<SVGBackend<'s>, Shift>,
    title: &str,
    labels: &[String],
    rows: usize,
    x_max: f64,
    look: &BarFrame<'_>,
) -> Option<
    ChartContext<'a, SVGBackend<'s>, Cartesian2d<RangedCoordf64, SegmentedCoord<RangedCoordusize>>>,
> {
    let font = ("sans-serif", look.font_size);
    let mut chart = ChartBuilder::on(root)
        .caption(title, ("sans-serif", 15))
        .margin(6)
        .margin_right(look.margin_right)
        .x_label_area_size(look.x_label_area)
        .y_label_area_size(look.y_label_area)
        .build_cartesian_2d(0f64..x_max, (0usize..rows).into_segmented())
        .ok()?;
    let row = |v: &SegmentValue<usize>| row_label(labels, v);
    let mut mesh = chart.configure_mesh();
    mesh.disable_y_mesh()
        .light_line_style(TRANSPARENT)
        .y_labels(rows)
        .y_label_style(font)
        .y_label_formatter(&row)
        .x_labels(look.x_ticks)
        .x_label_style(font)
        .x_label_formatter(look.x_tick)
        .axis_desc_style(font);
    if let Some(desc) = look.x_desc {
        mesh.x_desc(desc);
    }
    mesh.draw().ok()?;
    Some(chart)
}

/// The label of the row a horizontal bar chart's y axis asks for at `v`: the row's own label at
/// its centre, nothing elsewhere.
pub fn row_label(labels: &[String], v: &SegmentValue<usize>) -> String {
    match v {
        SegmentValue::CenterOf(i) => labels.get(*i).cloned().unwrap_or_default(),
        _ => String::new(),
    }
}

/// The bar of row `row` in a horizontal bar chart: from 0 to `value`, `inset` pixels short of
/// the row's edges above and below.
pub fn row_bar(
    row: usize,
    value: f64,
    inset: u32,
    style: ShapeStyle,
) -> Rectangle<(f64, SegmentValue<usize>)> {
    let mut r = Rectangle::new(
        [
            (0.0, SegmentValue::Exact(row)),
            (value, SegmentValue::Exact(row + 1)),
        ],
        style,
    );
    r.set_margin(inset, inset, 0, 0);
    r
}

/// An interval across row `row` of a horizontal bar chart, with a tick at `value`.
pub fn row_interval(
    row: usize,
    low: f64,
    value: f64,
    high: f64,
) -> ErrorBar<SegmentValue<usize>, f64, ErrorBarOrientH<SegmentValue<usize>, f64>> {
    ErrorBar::new_horizontal(
        SegmentValue::CenterOf(row),
        low,
        value,
        high,
        BLACK.stroke_width(1),
        8,
    )
}

/// A chart drawn by `draw` on a white canvas of `size` pixels, as an SVG document; empty when
/// plotters fails, so a page shows no chart rather than a broken one.
pub fn draw_svg(
    size: (u32, u32),
    draw: impl FnOnce(&DrawingArea<SVGBackend<'_>, Shift>) -> Option<()>,
) -> String {
    let mut s = String::new();
    let drawn = {
        let root = SVGBackend::with_string(&mut s, size).into_drawing_area();
        root.fill(&WHITE)
            .ok()
            .and_then(|()| draw(&root))
            .and_then(|()| root.present().ok())
    };
    match drawn {
        Some(()) => s,
        None => String::new(),
    }
}

/// An axis tick no longer than it needs to be: `0`, `250`, `12`, `2.5`, `0.125`.
pub fn tick_label(x: f64) -> String {
    if x == 0.0 {
        "0".into()
    } else if x.abs() >= 100.0 || x.fract() == 0.0 {
        format!("{x:.0}")
    } else if x.abs() >= 1.0 {
        format!("{x:.1}")
    } else {
        format!("{x:.3}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_as_short_as_they_can_be() {
        assert_eq!(tick_label(0.0), "0");
        assert_eq!(tick_label(-0.0), "0");
        assert_eq!(tick_label(250.4), "250");
        assert_eq!(tick_label(12.0), "12");
        assert_eq!(tick_label(2.5), "2.5");
        assert_eq!(tick_label(-2.5), "-2.5");
        assert_eq!(tick_label(0.125), "0.125");
    }

    #[test]
    fn rows_are_labelled_at_their_centres_only() {
        let labels = ["a".to_string(), "b".to_string()];
        assert_eq!(row_label(&labels, &SegmentValue::CenterOf(1)), "b");
        assert_eq!(row_label(&labels, &SegmentValue::CenterOf(2)), "");
        assert_eq!(row_label(&labels, &SegmentValue::Exact(0)), "");
        assert_eq!(row_label(&labels, &SegmentValue::Last), "");
    }

    #[test]
    fn a_row_s_bar_and_interval_span_their_values() {
        // One row on a 0..100 axis 100 pixels wide: the bar covers 0..50, 2 pixels short of the
        // row above and below; the interval runs from 25 to 75 with its mark at 50.
        let svg = draw_svg((100, 20), |root| {
            let mut chart = ChartBuilder::on(root)
                .build_cartesian_2d(0f64..100f64, (0usize..1).into_segmented())
                .ok()?;
            chart
                .draw_series([row_bar(0, 50.0, 2, BLACK.filled())])
                .ok()?;
            chart
                .draw_series([row_interval(0, 25.0, 50.0, 75.0)])
                .ok()?;
            Some(())
        });
        // Pixels: x = value * 99 / 100; the segmented row sits below the axis' first pixel.
        assert!(
            svg.contains(
                r##"<rect x="0" y="12" width="49" height="5" opacity="1" fill="#000000""##
            ),
            "{svg}"
        );
        assert!(svg.contains(r#"x1="24" y1="14" x2="74" y2="14""#), "{svg}");
        assert!(svg.contains(r#"<circle cx="49" cy="14""#), "{svg}");
    }

    #[test]
    fn a_bar_frame_names_its_rows_and_its_axis() {
        let labels = ["first row".to_string(), "second row".to_string()];
        let frame = |desc: Option<&str>| {
            draw_svg((300, 120), |root| {
                bar_frame(
                    root,
                    "title",
                    &labels,
                    2,
                    10.0,
                    &BarFrame {
                        margin_right: 10,
                        x_label_area: 30,
                        y_label_area: 80,
                        font_size: 12,
                        x_ticks: 2,
                        x_tick: &|v| format!("{v:.0} units"),
                        x_desc: desc,
                    },
                )
                .map(|_| ())
            })
        };
        let with = frame(Some("trials"));
        for text in [
            "title",
            "first row",
            "second row",
            "0 units",
            "10 units",
            "trials",
        ] {
            assert!(with.contains(&format!(">\n{text}\n<")), "{text}: {with}");
        }
        assert!(!frame(None).contains(">\ntrials\n<"));
    }

    #[test]
    fn a_failed_drawing_is_no_chart() {
        assert!(draw_svg((10, 10), |_| None).is_empty());
        let drawn = draw_svg((10, 10), |_| Some(()));
        assert!(
            drawn.starts_with("<svg") && drawn.contains("fill=\"#FFFFFF\""),
            "{drawn}"
        );
    }

    #[test]
    fn frontier_keeps_only_undominated_points() {
        // (cost, score)
        let pts = [
            (1.0, 0.3),
            (2.0, 0.5),
            (2.5, 0.4),
            (4.0, 0.7),
            (0.5, 0.1),
            (5.0, 0.7),
        ];
        assert_eq!(pareto_frontier(&pts), vec![4, 0, 1, 3]);
    }

    #[test]
    fn charts_scale_and_carry_their_own_text_style() {
        // Drawn by plotters: a viewBox (the page can scale them) and fonts on every text, so a
        // chart saved out of the report keeps its look without the page's stylesheet.
        let charts = [
            bars(
                "t",
                &[Bar {
                    label: "a".into(),
                    value: 0.5,
                    low: 0.4,
                    high: 0.6,
                }],
            ),
            scatter(
                "s",
                "USD",
                &[
                    Point {
                        label: "x".into(),
                        x: 1.0,
                        y: 0.2,
                    },
                    Point {
                        label: "y".into(),
                        x: 2.0,
                        y: 0.6,
                    },
                ],
            ),
            lines(
                "l",
                "tasks",
                "pts",
                &[("K = 1".into(), vec![(1.0, 3.0), (2.0, 2.0)])],
            ),
        ];
        for c in &charts {
            assert!(c.starts_with("<svg") && c.contains("viewBox="), "{c}");
            let texts = c.matches("<text").count();
            assert!(
                texts > 2 && c.matches("font-family=").count() >= texts,
                "{c}"
            );
        }
        assert!(charts[1].contains("<polyline"), "the frontier is drawn");
    }

    #[test]
    fn labels_are_escaped() {
        let svg = bars(
            "t",
            &[Bar {
                label: "<script>".into(),
                value: 0.5,
                low: 0.4,
                high: 0.6,
            }],
        );
        assert!(!svg.contains("<script>") && svg.contains("&lt;script&gt;"));
    }
}
