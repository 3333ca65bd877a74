//! Go's text conventions that etcdctl's messages show: `%q` quoting, `strconv` number parsing
//! (with its exact error texts), `time.Duration` strings and humanize byte sizes.

/// Go's `strconv.Quote` (what `%q` prints for a string or byte slice).
pub(crate) fn quote(b: &[u8]) -> String {
    let mut out = String::from("\"");
    let mut rest = b;
    while !rest.is_empty() {
        let (c, len) = match std::str::from_utf8(rest) {
            Ok(s) => (s.chars().next(), s.chars().next().map_or(1, char::len_utf8)),
            Err(e) if e.valid_up_to() > 0 => {
                let s = std::str::from_utf8(&rest[..e.valid_up_to()]).unwrap_or_default();
                (s.chars().next(), s.chars().next().map_or(1, char::len_utf8))
            }
            Err(_) => (None, 1),
        };
        match c {
            None => out.push_str(&format!("\\x{:02x}", rest[0])),
            Some('\u{7}') => out.push_str("\\a"),
            Some('\u{8}') => out.push_str("\\b"),
            Some('\u{c}') => out.push_str("\\f"),
            Some('\n') => out.push_str("\\n"),
            Some('\r') => out.push_str("\\r"),
            Some('\t') => out.push_str("\\t"),
            Some('\u{b}') => out.push_str("\\v"),
            Some('\\') => out.push_str("\\\\"),
            Some('"') => out.push_str("\\\""),
            Some(c) if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            Some(c) if c.is_control() || c == '\u{feff}' => {
                if (c as u32) < 0x10000 {
                    out.push_str(&format!("\\u{:04x}", c as u32))
                } else {
                    out.push_str(&format!("\\U{:08x}", c as u32))
                }
            }
            Some(c) => out.push(c),
        }
        rest = &rest[len..];
    }
    out.push('"');
    out
}

/// Reads one Go-quoted string (`"..."` with Go escapes, or `` `raw` ``) at the start of `s`
/// after optional whitespace, as `fmt.Sscanf("%q")` does. Returns the bytes and the rest.
pub(crate) fn unquote_prefix(s: &str) -> Option<(Vec<u8>, &str)> {
    let s = s.trim_start();
    let mut it = s.char_indices();
    match it.next()? {
        (_, '`') => {
            let end = s[1..].find('`')? + 1;
            Some((s[1..end].replace('\r', "").into_bytes(), &s[end + 1..]))
        }
        (_, '"') => {
            let mut out = Vec::new();
            while let Some((i, c)) = it.next() {
                match c {
                    '"' => return Some((out, &s[i + 1..])),
                    '\n' => return None,
                    '\\' => {
                        let (_, e) = it.next()?;
                        match e {
                            'a' => out.push(7),
                            'b' => out.push(8),
                            'f' => out.push(12),
                            'n' => out.push(b'\n'),
                            'r' => out.push(b'\r'),
                            't' => out.push(b'\t'),
                            'v' => out.push(11),
                            '\\' => out.push(b'\\'),
                            '"' => out.push(b'"'),
                            'x' => {
                                let h: String =
                                    (0..2).filter_map(|_| it.next().map(|p| p.1)).collect();
                                out.push(hex_exact(&h, 2)? as u8);
                            }
                            'u' | 'U' => {
                                let n = if e == 'u' { 4 } else { 8 };
                                let h: String =
                                    (0..n).filter_map(|_| it.next().map(|p| p.1)).collect();
                                let c = char::from_u32(hex_exact(&h, n)?)?;
                                let mut buf = [0; 4];
                                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                            }
                            '0'..='7' => {
                                let mut h = String::from(e);
                                h.extend((0..2).filter_map(|_| it.next().map(|p| p.1)));
                                if h.len() != 3 || !h.chars().all(|c| ('0'..='7').contains(&c)) {
                                    return None;
                                }
                                out.push(u8::try_from(u32::from_str_radix(&h, 8).ok()?).ok()?);
                            }
                            _ => return None,
                        }
                    }
                    c => {
                        let mut buf = [0; 4];
                        out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                    }
                }
            }
            None
        }
        _ => None,
    }
}

fn hex_exact(h: &str, n: usize) -> Option<u32> {
    if h.len() != n || !h.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    u32::from_str_radix(h, 16).ok()
}

fn num_err(func: &str, s: &str, what: &str) -> String {
    format!("strconv.{func}: parsing {}: {what}", quote(s.as_bytes()))
}

/// The unsigned magnitude of `s` in `base` (0 = Go's prefix rules), or Go's error kind.
fn parse_magnitude(s: &str, base: u32) -> Result<u64, &'static str> {
    const SYNTAX: &str = "invalid syntax";
    let (digits, base, underscores) = if base == 0 {
        let lower = s.to_ascii_lowercase();
        if lower.starts_with("0x") {
            (&s[2..], 16, true)
        } else if lower.starts_with("0b") {
            (&s[2..], 2, true)
        } else if lower.starts_with("0o") {
            (&s[2..], 8, true)
        } else if s.len() > 1 && s.starts_with('0') {
            (&s[1..], 8, true)
        } else {
            (s, 10, true)
        }
    } else {
        (s, base, false)
    };
    if digits.is_empty() {
        return Err(SYNTAX);
    }
    let mut n: u64 = 0;
    let mut overflow = false;
    let mut prev_underscore = true;
    for c in digits.chars() {
        if c == '_' && underscores {
            if prev_underscore {
                return Err(SYNTAX);
            }
            prev_underscore = true;
            continue;
        }
        prev_underscore = false;
        let d = c.to_digit(base).ok_or(SYNTAX)?;
        match n
            .checked_mul(u64::from(base))
            .and_then(|n| n.checked_add(u64::from(d)))
        {
            Some(v) => n = v,
            None => overflow = true,
        }
    }
    if prev_underscore && underscores {
        return Err(SYNTAX);
    }
    if overflow {
        return Err("value out of range");
    }
    Ok(n)
}

/// Go's `strconv.ParseInt(s, base, 64)` with its error text.
pub(crate) fn parse_int(s: &str, base: u32) -> Result<i64, String> {
    let (neg, body) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let n = parse_magnitude(body, base).map_err(|e| num_err("ParseInt", s, e))?;
    if neg {
        if n > 1 << 63 {
            return Err(num_err("ParseInt", s, "value out of range"));
        }
        Ok((n as i64).wrapping_neg())
    } else {
        i64::try_from(n).map_err(|_| num_err("ParseInt", s, "value out of range"))
    }
}

/// Go's `strconv.ParseUint(s, base, 64)` with its error text.
pub(crate) fn parse_uint(s: &str, base: u32) -> Result<u64, String> {
    if s.starts_with(['+', '-']) {
        return Err(num_err("ParseUint", s, "invalid syntax"));
    }
    parse_magnitude(s, base).map_err(|e| num_err("ParseUint", s, e))
}

/// Go's `strconv.ParseBool` with its error text.
pub(crate) fn parse_bool(s: &str) -> Result<bool, String> {
    match s {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Ok(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Ok(false),
        _ => Err(num_err("ParseBool", s, "invalid syntax")),
    }
}

/// Go's `time.Duration.String()` for a whole number of milliseconds (`0s`, `850ms`, `1.5s`,
/// `1m1s`, `1h0m0s`).
pub(crate) fn duration(ms: u64) -> String {
    if ms == 0 {
        return "0s".into();
    }
    if ms < 1000 {
        return format!("{ms}ms");
    }
    let secs = ms / 1000;
    let frac = ms % 1000;
    let frac = if frac == 0 {
        String::new()
    } else {
        format!(".{frac:03}").trim_end_matches('0').to_string()
    };
    let (h, m, s) = (secs / 3600, (secs / 60) % 60, secs % 60);
    if h > 0 {
        format!("{h}h{m}m{s}{frac}s")
    } else if m > 0 {
        format!("{m}m{s}{frac}s")
    } else {
        format!("{s}{frac}s")
    }
}

/// go-humanize's `Bytes` (SI units): `0 B`, `9 B`, `25 kB`, `1.5 MB`.
pub(crate) fn human_bytes(n: u64) -> String {
    if n < 10 {
        return format!("{n} B");
    }
    const UNITS: [&str; 7] = ["B", "kB", "MB", "GB", "TB", "PB", "EB"];
    let f = n as f64;
    let e = (f.ln() / 1000f64.ln()).floor().clamp(0.0, 6.0);
    let val = (f / 1000f64.powf(e) * 10.0 + 0.5).floor() / 10.0;
    let unit = UNITS[e as usize];
    if val < 10.0 {
        format!("{val:.1} {unit}")
    } else {
        format!("{val:.0} {unit}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_like_go() {
        assert_eq!(quote(b"abc"), r#""abc""#);
        assert_eq!(quote(b"a\"b\\c\n\x01\x7f"), r#""a\"b\\c\n\x01\x7f""#);
        assert_eq!(quote("é".as_bytes()), "\"é\"");
        assert_eq!(quote(b"\xff"), r#""\xff""#);
    }

    #[test]
    fn unquotes_like_go() {
        assert_eq!(
            unquote_prefix(r#" "a\"b" rest"#),
            Some((b"a\"b".to_vec(), " rest"))
        );
        assert_eq!(unquote_prefix("`a\\b`)"), Some((b"a\\b".to_vec(), ")")));
        assert_eq!(
            unquote_prefix(r#""\x41\101\u00e9""#).unwrap().0,
            "AAé".as_bytes()
        );
        assert_eq!(unquote_prefix(r#""\q""#), None);
        assert_eq!(unquote_prefix(r#""abc"#), None);
        assert_eq!(unquote_prefix("abc"), None);
        assert_eq!(unquote_prefix(""), None);
    }

    #[test]
    fn parses_ints_like_go() {
        assert_eq!(parse_int("42", 10), Ok(42));
        assert_eq!(parse_int("-42", 10), Ok(-42));
        assert_eq!(parse_int("0x10", 0), Ok(16));
        assert_eq!(parse_int("010", 0), Ok(8));
        assert_eq!(parse_int("1_000", 0), Ok(1000));
        assert_eq!(parse_int("694d77aa9e38260f", 16), Ok(0x694d77aa9e38260f));
        assert_eq!(parse_int("-9223372036854775808", 10), Ok(i64::MIN));
        assert_eq!(
            parse_int("xyz", 16),
            Err(r#"strconv.ParseInt: parsing "xyz": invalid syntax"#.into())
        );
        assert_eq!(
            parse_int("9223372036854775808", 10),
            Err(r#"strconv.ParseInt: parsing "9223372036854775808": value out of range"#.into())
        );
        assert!(parse_int("", 10).is_err());
        assert!(parse_int("-", 10).is_err());
        assert!(parse_int("0x", 0).is_err());
        assert!(parse_int("1__0", 0).is_err());
        assert!(parse_int("1_0", 10).is_err());
        assert_eq!(parse_uint("ff", 16), Ok(255));
        assert_eq!(
            parse_uint("-1", 16),
            Err(r#"strconv.ParseUint: parsing "-1": invalid syntax"#.into())
        );
    }

    #[test]
    fn bools() {
        assert_eq!(parse_bool("T"), Ok(true));
        assert_eq!(parse_bool("0"), Ok(false));
        assert!(parse_bool("yes").is_err());
    }

    #[test]
    fn durations_like_go() {
        assert_eq!(duration(0), "0s");
        assert_eq!(duration(3), "3ms");
        assert_eq!(duration(1500), "1.5s");
        assert_eq!(duration(2000), "2s");
        assert_eq!(duration(61_010), "1m1.01s");
        assert_eq!(duration(3_600_000), "1h0m0s");
    }

    #[test]
    fn bytes_like_humanize() {
        assert_eq!(human_bytes(0), "0 B");
        assert_eq!(human_bytes(9), "9 B");
        assert_eq!(human_bytes(999), "999 B");
        assert_eq!(human_bytes(1000), "1.0 kB");
        assert_eq!(human_bytes(20480), "20 kB");
        assert_eq!(human_bytes(25_000), "25 kB");
        assert_eq!(human_bytes(1_572_864), "1.6 MB");
        assert_eq!(human_bytes(u64::MAX), "18 EB");
    }
}
