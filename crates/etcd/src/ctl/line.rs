//! [`LineParser`]: feeds lines one at a time, so that `txn`'s interactive form can span lines.

use kv::TxnRequest;

use super::parse::{parse, Outcome};
use super::txn::{add_line, check_size, Section};
use super::{Command, Invocation, OutputFormat, ParseError, Target};

/// What a fed line produced.
#[derive(Clone, Debug, PartialEq)]
pub enum Feed {
    /// A blank line or a `#` comment outside a txn: nothing to do.
    Nothing,
    /// The line was taken into a txn that is not finished yet.
    NeedMore,
    /// A complete command, or its error.
    Done(Result<Invocation, ParseError>),
}

/// What a txn abandoned with `cancel` prints: nothing of it was sent.
pub const TXN_ABANDONED: &str = "txn abandoned: nothing was sent";

#[derive(Clone, Debug)]
struct PendingTxn {
    target: Target,
    output: OutputFormat,
    section: Section,
    txn: TxnRequest,
    /// The first bad line's error; the rest of the txn is read and dropped.
    error: Option<ParseError>,
}

/// Turns lines into [`Invocation`]s.
///
/// `txn` alone on a line (with flags, e.g. `txn -w json`) starts etcdctl's interactive form:
/// compare lines, a blank line, success request lines, a blank line, failure request lines and
/// a blank line. Lines starting with `#` inside a txn are skipped. A bad line makes the whole
/// txn an error, reported when the txn ends (so its remaining lines are never run as
/// commands). The line `cancel` inside a txn abandons it (as Ctrl-C does to etcdctl): nothing
/// is sent and the next line is a command again.
#[derive(Clone, Debug, Default)]
pub struct LineParser {
    pending: Option<PendingTxn>,
}

impl LineParser {
    /// A parser outside any txn.
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether a txn is being read (the next lines belong to it).
    pub fn pending(&self) -> bool {
        self.pending.is_some()
    }

    /// The section of the txn being read, if one is.
    pub fn section(&self) -> Option<Section> {
        self.pending.as_ref().map(|p| p.section)
    }

    /// Feeds one line (without its newline).
    pub fn feed(&mut self, line: &str) -> Feed {
        let Some(p) = self.pending.as_mut() else {
            return match parse(line) {
                Ok(Outcome::Empty) => Feed::Nothing,
                Ok(Outcome::Done(inv)) => Feed::Done(Ok(inv)),
                Ok(Outcome::TxnInteractive { target, output }) => {
                    self.pending = Some(PendingTxn {
                        target,
                        output,
                        section: Section::Compares,
                        txn: TxnRequest::default(),
                        error: None,
                    });
                    Feed::NeedMore
                }
                Err(e) => Feed::Done(Err(e)),
            };
        };
        let trimmed = line.trim();
        if trimmed.starts_with('#') {
            return Feed::NeedMore;
        }
        if trimmed == "cancel" {
            self.pending = None;
            return Feed::Done(Err(ParseError::new(TXN_ABANDONED)));
        }
        if trimmed.is_empty() {
            p.section = match p.section {
                Section::Compares => Section::Success,
                Section::Success => Section::Failure,
                Section::Failure => {
                    let p = self.pending.take().expect("pending txn");
                    let result = match p.error {
                        Some(e) => Err(e),
                        None => check_size(&p.txn)
                            .map(|()| Invocation {
                                target: p.target,
                                output: p.output,
                                command: Command::Txn(p.txn),
                            })
                            .map_err(ParseError::new),
                    };
                    return Feed::Done(result);
                }
            };
            return Feed::NeedMore;
        }
        if p.error.is_none() {
            if let Err(e) = add_line(&mut p.txn, p.section, trimmed) {
                p.error = Some(ParseError::new(e));
            }
        }
        Feed::NeedMore
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kv::{Compare, CompareResult, PutRequest, RangeRequest, RequestOp};

    fn feed_all(p: &mut LineParser, lines: &[&str]) -> Vec<Feed> {
        lines.iter().map(|l| p.feed(l)).collect()
    }

    #[test]
    fn interactive_txn() {
        let mut p = LineParser::new();
        let out = feed_all(
            &mut p,
            &[
                "txn",
                "mod(\"key1\") > \"0\"",
                "",
                "put key1 \"overwrote-key1\"",
                "",
                "put key1 created",
                "put key2 x",
                "",
            ],
        );
        assert!(out[..7].iter().all(|f| *f == Feed::NeedMore));
        let Feed::Done(Ok(inv)) = &out[7] else {
            panic!("{out:?}")
        };
        let Command::Txn(t) = &inv.command else {
            panic!()
        };
        assert_eq!(
            t.compare,
            vec![Compare::mod_revision("key1", CompareResult::Greater, 0)]
        );
        assert_eq!(
            t.success,
            vec![RequestOp::Put(PutRequest {
                key: b"key1".to_vec(),
                value: b"overwrote-key1".to_vec(),
                ..Default::default()
            })]
        );
        assert_eq!(t.failure.len(), 2);
        assert!(!p.pending());
    }

    #[test]
    fn empty_txn_and_get() {
        let mut p = LineParser::new();
        assert_eq!(p.feed("txn -i"), Feed::NeedMore);
        assert_eq!(p.feed(""), Feed::NeedMore);
        assert_eq!(p.feed("get k"), Feed::NeedMore);
        assert_eq!(p.feed(""), Feed::NeedMore);
        let Feed::Done(Ok(inv)) = p.feed("") else {
            panic!()
        };
        let Command::Txn(t) = inv.command else {
            panic!()
        };
        assert_eq!(
            t.success,
            vec![RequestOp::Range(RangeRequest {
                key: b"k".to_vec(),
                ..Default::default()
            })]
        );
    }

    #[test]
    fn bad_line_spoils_the_txn_but_is_consumed() {
        let mut p = LineParser::new();
        for l in ["txn", "bogus", "", "put a b", ""] {
            assert_eq!(p.feed(l), Feed::NeedMore);
        }
        assert_eq!(
            p.feed(""),
            Feed::Done(Err(ParseError("Error: malformed comparison: bogus".into())))
        );
        assert_eq!(p.feed(""), Feed::Nothing);
        assert!(matches!(p.feed("put a b"), Feed::Done(Ok(_))));
    }
}
