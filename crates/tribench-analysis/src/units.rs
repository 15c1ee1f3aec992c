//! How figures are written for people: durations rounded to what matters, money, signed
//! points without a `-0`, and `unknown` wherever a source did not record a figure (never a zero
//! standing in for it).

/// What every human output prints for a figure nobody recorded.
pub const UNKNOWN: &str = "unknown";

/// Text that came from a task, a model, a tool or an imported file, made safe for a terminal:
/// every control character but newline and tab is written as its escape (`\u{1b}`), so nothing
/// printed can move the cursor, clear the screen, retitle the window or hide what follows.
pub fn terminal_text(s: &str) -> String {
    escape_controls(s, |c| c == '\n' || c == '\t')
}

/// The same for one table cell or one line: newlines and tabs are escaped too, so the text
/// cannot start a row or a line of its own.
pub fn one_line(s: &str) -> String {
    escape_controls(s, |_| false)
}

fn escape_controls(s: &str, keep: impl Fn(char) -> bool) -> String {
    if !s.chars().any(|c| c.is_control() && !keep(c)) {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        match c {
            c if !c.is_control() || keep(c) => out.push(c),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c => out.push_str(&c.escape_unicode().to_string()),
        }
    }
    out
}

/// A duration in milliseconds, rounded for reading: `30.5 ms`, `412 ms`, `3.2 s`, `4 min 05 s`.
pub fn duration_ms(ms: f64) -> String {
    if !ms.is_finite() || ms < 0.0 {
        return UNKNOWN.to_string();
    }
    if ms < 100.0 {
        format!("{ms:.1} ms")
    } else if ms < 1000.0 {
        format!("{ms:.0} ms")
    } else if ms < 60_000.0 {
        format!("{:.1} s", ms / 1000.0)
    } else {
        tribench_types::seconds_text((ms / 1000.0).round() as u64)
    }
}

/// A duration that may be unknown.
pub fn duration_opt(ms: Option<f64>) -> String {
    ms.map_or_else(|| UNKNOWN.to_string(), duration_ms)
}

/// US dollars: four decimals under a dollar (per-trial costs are small), two above.
pub fn usd(x: f64) -> String {
    if x.abs() < 1.0 {
        format!("${:.4}", zero_if_negative_zero(x))
    } else {
        format!("${x:.2}")
    }
}

/// Dollars that may be unknown.
pub fn usd_opt(x: Option<f64>) -> String {
    x.map_or_else(|| UNKNOWN.to_string(), usd)
}

/// A signed difference in points (`+2.5`, `-1.0`, `0.0`): a value that rounds to zero prints
/// without a sign, so `-0.0` never appears.
pub fn signed_points(x: f64) -> String {
    let v = x * 100.0;
    if !v.is_finite() {
        return UNKNOWN.to_string();
    }
    if (v * 10.0).round() == 0.0 {
        "0.0".to_string()
    } else {
        format!("{v:+.1}")
    }
}

/// A plain number with no decimals that may be unknown.
pub fn count_opt(x: Option<f64>) -> String {
    x.map_or_else(
        || UNKNOWN.to_string(),
        |v| format!("{:.0}", zero_if_negative_zero(v)),
    )
}

fn zero_if_negative_zero(x: f64) -> f64 {
    if x == 0.0 {
        0.0
    } else {
        x
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_print_as_escapes_and_cells_stay_one_line() {
        let hostile = "evil\u{1b}[2J\u{1b}]0;title\u{7}\nsecond line │ fake\tcol\r\u{9b}x";
        let t = terminal_text(hostile);
        assert!(
            !t.chars().any(|c| c.is_control() && c != '\n' && c != '\t'),
            "{t:?}"
        );
        assert_eq!(
            t,
            "evil\\u{1b}[2J\\u{1b}]0;title\\u{7}\nsecond line │ fake\tcol\\r\\u{9b}x"
        );
        let cell = one_line(hostile);
        assert!(!cell.chars().any(char::is_control), "{cell:?}");
        assert!(cell.contains("\\nsecond line"), "{cell}");
        assert_eq!(one_line("python+two-fer.a1"), "python+two-fer.a1");
    }

    #[test]
    fn durations_round_for_reading() {
        assert_eq!(duration_ms(30.4567), "30.5 ms");
        assert_eq!(duration_ms(0.0), "0.0 ms");
        assert_eq!(duration_ms(412.4), "412 ms");
        assert_eq!(duration_ms(3_240.0), "3.2 s");
        assert_eq!(duration_ms(245_000.0), "4 min 05 s");
        assert_eq!(duration_ms(7_260_000.0), "2 h 01 min");
        assert_eq!(duration_opt(None), "unknown");
    }

    #[test]
    fn no_negative_zero_anywhere() {
        assert_eq!(signed_points(-0.0000001), "0.0");
        assert_eq!(signed_points(-0.0), "0.0");
        assert_eq!(signed_points(0.025), "+2.5");
        assert_eq!(signed_points(-0.01), "-1.0");
        assert_eq!(usd(-0.0), "$0.0000");
        assert_eq!(count_opt(Some(-0.0)), "0");
        assert_eq!(usd_opt(None), "unknown");
    }
}
