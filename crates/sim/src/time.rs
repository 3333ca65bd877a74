//! Virtual durations as people type them: `500ms`, `5s`, `1.5s`, `2m`, `1h`.

/// Parses a duration into virtual milliseconds.
///
/// # Errors
/// A one-line message for anything that is not a number with a unit of ms, s, m or h.
pub fn parse_duration(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .ok_or_else(|| format!("invalid duration {s:?}: missing unit (ms, s, m or h)"))?;
    let (num, unit) = t.split_at(split);
    let scale: f64 = match unit {
        "ms" => 1.0,
        "s" => 1_000.0,
        "m" => 60_000.0,
        "h" => 3_600_000.0,
        _ => {
            return Err(format!(
                "invalid duration {s:?}: unknown unit {unit:?} (use ms, s, m or h)"
            ))
        }
    };
    if num.is_empty() || num.matches('.').count() > 1 || num.starts_with('.') || num.ends_with('.')
    {
        return Err(format!("invalid duration {s:?}"));
    }
    let v: f64 = num.parse().map_err(|_| format!("invalid duration {s:?}"))?;
    let ms = v * scale;
    if !ms.is_finite() || ms > 1.0e15 {
        return Err(format!("invalid duration {s:?}: too long"));
    }
    Ok(ms.round() as u64)
}

/// Formats virtual milliseconds compactly: `850ms`, `12.3s`, `4m05s`.
pub fn format_ms(ms: u64) -> String {
    if ms < 1_000 {
        format!("{ms}ms")
    } else if ms < 60_000 {
        format!("{}.{}s", ms / 1000, (ms % 1000) / 100)
    } else {
        format!("{}m{:02}s", ms / 60_000, (ms % 60_000) / 1000)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_units() {
        assert_eq!(parse_duration("500ms"), Ok(500));
        assert_eq!(parse_duration("5s"), Ok(5_000));
        assert_eq!(parse_duration("1.5s"), Ok(1_500));
        assert_eq!(parse_duration("2m"), Ok(120_000));
        assert_eq!(parse_duration("1h"), Ok(3_600_000));
    }

    #[test]
    fn rejects_garbage() {
        for bad in [
            "",
            "5",
            "s",
            "5x",
            "-1s",
            "1..2s",
            ".5s",
            "5.s",
            "99999999999999999h",
            "5 s",
        ] {
            assert!(parse_duration(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn formats() {
        assert_eq!(format_ms(850), "850ms");
        assert_eq!(format_ms(12_345), "12.3s");
        assert_eq!(format_ms(245_000), "4m05s");
    }
}
