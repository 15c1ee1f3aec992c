//! How a duration is written for people, the same on the progress line, in the viewer and in
//! the reports.

/// Whole seconds, rounded to what matters: `42 s`, `4 min 05 s`, `2 h 07 min`.
pub fn seconds_text(s: u64) -> String {
    if s < 60 {
        format!("{s} s")
    } else if s < 3600 {
        format!("{} min {:02} s", s / 60, s % 60)
    } else {
        format!("{} h {:02} min", s / 3600, (s % 3600) / 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_read_as_seconds_minutes_or_hours() {
        assert_eq!(seconds_text(0), "0 s");
        assert_eq!(seconds_text(59), "59 s");
        assert_eq!(seconds_text(60), "1 min 00 s");
        assert_eq!(seconds_text(245), "4 min 05 s");
        assert_eq!(seconds_text(3599), "59 min 59 s");
        assert_eq!(seconds_text(3600), "1 h 00 min");
        assert_eq!(seconds_text(7659), "2 h 07 min");
    }
}
