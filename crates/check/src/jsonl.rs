//! JSON-lines import and export of histories: one [`Operation`] per line.
//!
//! The importer accepts arbitrary bytes without panicking: blank lines are skipped, anything
//! else that is not an operation is an [`Error`] naming the line.

use std::io::Write;

use crate::error::{Error, Result};
use crate::history::{History, Operation};

/// Parse a JSON-lines history. Lines may end in `\n` or `\r\n`; blank lines are ignored.
/// Operations are not validated here (see [`crate::history::validate`]).
pub fn from_json_lines(bytes: &[u8]) -> Result<History> {
    let mut history = Vec::new();
    for (i, raw) in bytes.split(|&b| b == b'\n').enumerate() {
        let line = i + 1;
        let text = std::str::from_utf8(raw).map_err(|_| Error::Utf8 { line })?;
        let text = text.trim();
        if text.is_empty() {
            continue;
        }
        let op: Operation = serde_json::from_slice(text.as_bytes())
            .map_err(|source| Error::Json { line, source })?;
        history.push(op);
    }
    Ok(history)
}

/// Write a history as JSON lines, one operation per line.
pub fn write_json_lines<W: Write>(history: &[Operation], mut out: W) -> Result<()> {
    for op in history {
        serde_json::to_writer(&mut out, op).map_err(Error::Serialize)?;
        out.write_all(b"\n")?;
    }
    Ok(())
}

/// Render a history as a JSON-lines string.
pub fn to_json_lines(history: &[Operation]) -> String {
    let mut out = Vec::new();
    // Writing these plain data types to a Vec cannot fail.
    write_json_lines(history, &mut out).expect("serializing to memory");
    String::from_utf8(out).expect("serde_json writes UTF-8")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::{Input, Output};

    fn sample() -> History {
        vec![
            Operation {
                client: 1,
                call_ms: 0,
                return_ms: Some(5),
                input: Input::Put {
                    key: "a".into(),
                    value: "1".into(),
                },
                output: Output::Put { revision: 2 },
            },
            Operation {
                client: 2,
                call_ms: 3,
                return_ms: None,
                input: Input::Get {
                    key: "a".into(),
                    revision: Some(2),
                },
                output: Output::Unknown,
            },
            Operation {
                client: 2,
                call_ms: 9,
                return_ms: Some(10),
                input: Input::Range {
                    key: "a".into(),
                    range_end: "\0".into(),
                    limit: 1,
                    count_only: false,
                },
                output: Output::Range {
                    kvs: vec![("a".into(), "1".into(), 2)],
                    revision: 2,
                    count: Some(1),
                    more: false,
                },
            },
        ]
    }

    #[test]
    fn round_trip() {
        let h = sample();
        let text = to_json_lines(&h);
        assert_eq!(text.lines().count(), 3);
        assert_eq!(from_json_lines(text.as_bytes()).unwrap(), h);
        let crlf = text.replace('\n', "\r\n\n");
        assert_eq!(from_json_lines(crlf.as_bytes()).unwrap(), h);
    }

    #[test]
    fn errors_name_the_line() {
        let mut text = to_json_lines(&sample()).into_bytes();
        text.extend_from_slice(b"{\"client\": 1}\n");
        match from_json_lines(&text) {
            Err(Error::Json { line: 4, .. }) => {}
            other => panic!("{other:?}"),
        }
        match from_json_lines(b"\n\xff\xfe\n") {
            Err(Error::Utf8 { line: 2 }) => {}
            other => panic!("{other:?}"),
        }
    }

    proptest::proptest! {
        #[test]
        fn never_panics(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..300)) {
            let _ = from_json_lines(&bytes);
        }

        #[test]
        fn never_panics_on_jsonish(s in "[{}\\[\\]\",:a-z0-9 \n_-]{0,200}") {
            let _ = from_json_lines(s.as_bytes());
        }
    }
}
