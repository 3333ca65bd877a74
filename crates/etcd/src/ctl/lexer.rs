//! Shell-like splitting of a command line into words.
//!
//! - Words are separated by unquoted whitespace.
//! - `'single quotes'` keep everything literally.
//! - `"double quotes"` understand `\"`, `\\`, `\n`, `\t`, `\r`, `\0`, `\xHH` (any byte) and
//!   `\u{H..}`; any other backslash is kept as is (`"a\d"` is `a\d`).
//! - Outside quotes a backslash takes the next character literally (`a\ b` is one word).
//! - An unquoted `#` at the start of a word starts a comment that runs to the end of the line.
//!
//! Words are bytes, so `"\xff"` can put any byte into a key or value.

/// One word of a line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Word {
    /// The word after quote removal.
    pub bytes: Vec<u8>,
    /// Byte offset of the word's first character in the line.
    pub start: usize,
    /// Byte offset just past the word.
    pub end: usize,
}

impl Word {
    /// The word as text (invalid UTF-8 replaced).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes).into_owned()
    }
}

/// Splits `line` into words; errors on an unterminated quote or a trailing backslash.
pub(crate) fn split(line: &str) -> Result<Vec<Word>, String> {
    let chars: Vec<(usize, char)> = line.char_indices().collect();
    let mut words = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let (start, c) = chars[i];
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        if c == '#' {
            break;
        }
        let mut bytes = Vec::new();
        while i < chars.len() && !chars[i].1.is_whitespace() {
            let c = chars[i].1;
            match c {
                '\'' => {
                    i += 1;
                    loop {
                        let Some(&(_, c)) = chars.get(i) else {
                            return Err("unterminated quote (')".into());
                        };
                        i += 1;
                        if c == '\'' {
                            break;
                        }
                        push_char(&mut bytes, c);
                    }
                }
                '"' => {
                    i += 1;
                    loop {
                        let Some(&(_, c)) = chars.get(i) else {
                            return Err("unterminated quote (\")".into());
                        };
                        i += 1;
                        match c {
                            '"' => break,
                            '\\' => {
                                let Some(&(_, e)) = chars.get(i) else {
                                    return Err("unterminated quote (\")".into());
                                };
                                i += 1;
                                i = escape(&chars, i, e, &mut bytes)?;
                            }
                            c => push_char(&mut bytes, c),
                        }
                    }
                }
                '\\' => {
                    let Some(&(_, e)) = chars.get(i + 1) else {
                        return Err("trailing backslash".into());
                    };
                    push_char(&mut bytes, e);
                    i += 2;
                }
                c => {
                    push_char(&mut bytes, c);
                    i += 1;
                }
            }
        }
        let end = chars.get(i).map_or(line.len(), |&(o, _)| o);
        words.push(Word { bytes, start, end });
    }
    Ok(words)
}

fn push_char(out: &mut Vec<u8>, c: char) {
    let mut buf = [0u8; 4];
    out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
}

/// Handles the escape `\e` inside double quotes; `i` points after `e`. Returns the new `i`.
fn escape(
    chars: &[(usize, char)],
    mut i: usize,
    e: char,
    out: &mut Vec<u8>,
) -> Result<usize, String> {
    match e {
        '"' | '\\' => push_char(out, e),
        'n' => out.push(b'\n'),
        't' => out.push(b'\t'),
        'r' => out.push(b'\r'),
        '0' => out.push(0),
        'x' => {
            let hex: String = chars.iter().skip(i).take(2).map(|&(_, c)| c).collect();
            match (hex.len(), u8::from_str_radix(&hex, 16)) {
                (2, Ok(b)) if hex.chars().all(|c| c.is_ascii_hexdigit()) => {
                    out.push(b);
                    i += 2;
                }
                _ => return Err(format!("invalid escape \\x{hex} (want two hex digits)")),
            }
        }
        'u' => {
            let (digits, used) = if chars.get(i).map(|c| c.1) == Some('{') {
                let close = chars[i..]
                    .iter()
                    .position(|&(_, c)| c == '}')
                    .ok_or_else(|| "invalid escape \\u{...}: missing }".to_string())?;
                let d: String = chars[i + 1..i + close].iter().map(|&(_, c)| c).collect();
                (d, close + 1)
            } else {
                let d: String = chars.iter().skip(i).take(4).map(|&(_, c)| c).collect();
                (d, 4)
            };
            let c = (!digits.is_empty() && digits.len() <= 6)
                .then(|| u32::from_str_radix(&digits, 16).ok())
                .flatten()
                .and_then(char::from_u32)
                .ok_or_else(|| format!("invalid escape \\u{digits}"))?;
            push_char(out, c);
            i += used;
        }
        other => {
            out.push(b'\\');
            push_char(out, other);
        }
    }
    Ok(i)
}

/// Splits `s` at every `sep` that is outside quotes and not backslash-escaped. The pieces are
/// raw text (quotes kept).
pub(crate) fn split_unquoted(s: &str, sep: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut quote: Option<char> = None;
    let mut last = 0;
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        if escaped {
            escaped = false;
            continue;
        }
        match (quote, c) {
            (Some('\''), '\'') => quote = None,
            (Some('\''), _) => {}
            (_, '\\') => escaped = true,
            (Some('"'), '"') | (Some('`'), '`') => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"' | '`') => quote = Some(c),
            (None, c) if c == sep => {
                parts.push(&s[last..i]);
                last = i + c.len_utf8();
            }
            _ => {}
        }
    }
    parts.push(&s[last..]);
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<String> {
        split(s).unwrap().iter().map(Word::text).collect()
    }

    #[test]
    fn splits_on_whitespace() {
        assert_eq!(words("  put  foo\tbar "), ["put", "foo", "bar"]);
        assert!(words("").is_empty());
    }

    #[test]
    fn quotes() {
        assert_eq!(words(r#"put 'a b' "c d""#), ["put", "a b", "c d"]);
        assert_eq!(words(r#"x"y z"w"#), ["xy zw"]);
        assert_eq!(words(r#"'it''s'"#), ["its"]);
        assert_eq!(words(r#""a\"b\\c\nd""#), ["a\"b\\c\nd"]);
        assert_eq!(words(r#""a\db""#), ["a\\db"]);
        assert_eq!(words(r#"'a\nb'"#), ["a\\nb"]);
        assert_eq!(words(r"a\ b"), ["a b"]);
        assert_eq!(words(r#""\u{e9}\u00e9""#), ["éé"]);
        assert_eq!(words("''"), [""]);
    }

    #[test]
    fn bytes() {
        assert_eq!(split(r#""\xff\x00""#).unwrap()[0].bytes, vec![0xff, 0]);
    }

    #[test]
    fn comments() {
        assert_eq!(words("put a b # c d"), ["put", "a", "b"]);
        assert_eq!(words("put a#b"), ["put", "a#b"]);
        assert_eq!(words("put '#a'"), ["put", "#a"]);
    }

    #[test]
    fn errors() {
        assert!(split("put 'a").is_err());
        assert!(split("put \"a").is_err());
        assert!(split("put a\\").is_err());
        assert!(split(r#""\xZ""#).is_err());
        assert!(split(r#""\u{110000}""#).is_err());
        assert!(split(r#""\u{""#).is_err());
    }

    #[test]
    fn spans() {
        let w = split("put  'a b' c").unwrap();
        assert_eq!((w[1].start, w[1].end), (5, 10));
        assert_eq!((w[2].start, w[2].end), (11, 12));
    }

    #[test]
    fn split_outside_quotes() {
        assert_eq!(
            split_unquoted(r#"a;"b;c";'d;e';f\;g"#, ';'),
            ["a", r#""b;c""#, "'d;e'", r"f\;g"]
        );
        assert_eq!(split_unquoted("", ';'), [""]);
    }
}
