//! `txn`: etcdctl's compare syntax (`mod("k") > "5"`), request lines (`put k v`), the
//! interactive multi-line form's sections and raftlab's one-line form.

use kv::{Compare, CompareResult, TxnRequest};

use super::flags;
use super::kv_args::{globals, txn_op};
use super::lexer::{self, Word};
use super::{goquote, Command, Invocation, OutputFormat, ParseError, MAX_REQUEST_BYTES};

/// Parses one compare line as etcdctl's `ParseCompare` does (Go `%q` strings), with its errors.
pub(crate) fn parse_compare(line: &str) -> Result<Compare, String> {
    let Some((target, rest)) = line.split_once('(') else {
        return Err(format!("malformed comparison: {line}"));
    };
    let malformed = |key: &[u8], op: &str, val: &[u8]| {
        format!(
            "malformed comparison: {line}; got {target}({}) {op} {}",
            goquote::quote(key),
            goquote::quote(val)
        )
    };
    let Some((key, rest)) = goquote::unquote_prefix(rest) else {
        return Err(malformed(b"", "", b""));
    };
    let Some(rest) = rest.strip_prefix(')') else {
        return Err(malformed(&key, "", b""));
    };
    let rest = rest.trim_start();
    let op_len = rest.find(char::is_whitespace).unwrap_or(rest.len());
    let (op, rest) = rest.split_at(op_len);
    if op.is_empty() {
        return Err(malformed(&key, "", b""));
    }
    let Some((val, _)) = goquote::unquote_prefix(rest) else {
        return Err(malformed(&key, op, b""));
    };
    let result = match op {
        "=" => CompareResult::Equal,
        "!=" => CompareResult::NotEqual,
        ">" => CompareResult::Greater,
        "<" => CompareResult::Less,
        _ => {
            return Err(format!(
                "malformed comparison: {line} (unknown operator {op})"
            ))
        }
    };
    let invalid = |_| format!("invalid txn compare request: {line}");
    let text = String::from_utf8_lossy(&val).into_owned();
    let cmp = match target {
        "ver" | "version" => {
            Compare::version(key, result, goquote::parse_int(&text, 10).map_err(invalid)?)
        }
        "c" | "create" => {
            Compare::create_revision(key, result, goquote::parse_int(&text, 10).map_err(invalid)?)
        }
        "m" | "mod" => {
            Compare::mod_revision(key, result, goquote::parse_int(&text, 10).map_err(invalid)?)
        }
        "val" | "value" => Compare::value(key, result, val),
        "lease" => Compare::lease(key, result, goquote::parse_int(&text, 16).map_err(invalid)?),
        _ => {
            return Err(format!(
                "malformed comparison: {line} (unknown target {target})"
            ))
        }
    };
    Ok(cmp)
}

/// Which part of a txn a line belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Section {
    /// Compares.
    Compares,
    /// Success requests.
    Success,
    /// Failure requests.
    Failure,
}

impl Section {
    /// What etcdctl's interactive txn prints before this section's lines.
    pub fn prompt(self) -> &'static str {
        match self {
            Section::Compares => "compares:",
            Section::Success => "success requests (get, put, del):",
            Section::Failure => "failure requests (get, put, del):",
        }
    }
}

/// Adds one (non-blank) line to the txn's `section`.
pub(crate) fn add_line(txn: &mut TxnRequest, section: Section, line: &str) -> Result<(), String> {
    let line = line.trim();
    match section {
        Section::Compares => txn.compare.push(parse_compare(line)?),
        Section::Success => txn.success.push(txn_op(line)?),
        Section::Failure => txn.failure.push(txn_op(line)?),
    }
    Ok(())
}

/// The txn's size as etcd counts it: its `InternalRaftRequest` protobuf.
pub(crate) fn txn_size(t: &TxnRequest) -> usize {
    crate::EtcdRequest::Txn(t.clone()).encoded_len()
}

/// Checks the finished txn's size.
pub(crate) fn check_size(t: &TxnRequest) -> Result<(), String> {
    if txn_size(t) > MAX_REQUEST_BYTES {
        return Err("etcdserver: request is too large".into());
    }
    Ok(())
}

/// The one-line form: `txn [flags] <compares, ...>; <success ops, ...>; <failure ops, ...>`.
pub(crate) fn parse_one_line(line: &str) -> Result<Invocation, ParseError> {
    let parts = lexer::split_unquoted(line, ';');
    if parts.len() != 3 {
        return Err(ParseError::new(
            "a one-line txn has three parts separated by ';': txn <compares, ...>; <success ops, ...>; <failure ops, ...>",
        ));
    }
    let head = parts[0];
    let words = lexer::split(head).map_err(ParseError::new)?;
    let txn_at = words.iter().position(|w| w.bytes == b"txn").unwrap_or(0);
    // Flags before the first compare; the compares start at the first other word.
    let mut flag_words: Vec<Word> = words[..txn_at].to_vec();
    let mut cmp_start = head.len();
    let mut i = txn_at + 1;
    while i < words.len() {
        let t = words[i].text();
        if t.starts_with('-') && t.len() > 1 {
            flag_words.push(words[i].clone());
            let takes_value = !t.contains('=')
                && flags::GLOBAL.iter().any(|s| {
                    s.kind != flags::Kind::Bool
                        && (t == format!("--{}", s.name)
                            || s.short.is_some_and(|c| t == format!("-{c}")))
                });
            if takes_value {
                if let Some(w) = words.get(i + 1) {
                    flag_words.push(w.clone());
                }
                i += 1;
            }
            i += 1;
            continue;
        }
        cmp_start = words[i].start;
        break;
    }
    let txn_flags = [flags::short("interactive", 'i', flags::Kind::Bool)];
    let p = flags::parse(&flag_words, &[&txn_flags, flags::GLOBAL]).map_err(ParseError::new)?;
    let (target, output) = globals(&p)?;
    if output == OutputFormat::Table {
        return Err(ParseError::new("table not supported as output format"));
    }
    let mut txn = TxnRequest::default();
    let sections = [
        (Section::Compares, &head[cmp_start..]),
        (Section::Success, parts[1]),
        (Section::Failure, parts[2]),
    ];
    for (section, text) in sections {
        for item in lexer::split_unquoted(text, ',') {
            if !item.trim().is_empty() {
                add_line(&mut txn, section, item).map_err(ParseError::new)?;
            }
        }
    }
    check_size(&txn).map_err(ParseError::new)?;
    Ok(Invocation {
        target,
        output,
        command: Command::Txn(txn),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use kv::{CompareTarget, TargetUnion};

    #[test]
    fn compares() {
        let c = parse_compare(r#"mod("key1") > "0""#).unwrap();
        assert_eq!(c, Compare::mod_revision("key1", CompareResult::Greater, 0));
        let c = parse_compare(r#"value("k") = "v w""#).unwrap();
        assert_eq!(c.value, TargetUnion::Value(b"v w".to_vec()));
        let c = parse_compare(r#"ver("k") != "3""#).unwrap();
        assert_eq!(
            (c.target, c.result),
            (CompareTarget::Version, CompareResult::NotEqual)
        );
        let c = parse_compare(r#"c("k") < "9""#).unwrap();
        assert_eq!(c.target, CompareTarget::Create);
        let c = parse_compare(r#"lease("k") = "694d77aa9e38260f""#).unwrap();
        assert_eq!(c.value, TargetUnion::Lease(0x694d77aa9e38260f));
        let c = parse_compare("val(`a\\b`) = \"x\\ny\"").unwrap();
        assert_eq!(
            (c.key, c.value),
            (b"a\\b".to_vec(), TargetUnion::Value(b"x\ny".to_vec()))
        );
    }

    #[test]
    fn compare_errors() {
        assert_eq!(
            parse_compare("mod").unwrap_err(),
            "malformed comparison: mod"
        );
        assert_eq!(
            parse_compare(r#"mod("k")>"5""#).unwrap_err(),
            r#"malformed comparison: mod("k")>"5"; got mod("k") >"5" """#
        );
        assert_eq!(
            parse_compare(r#"foo("k") = "5""#).unwrap_err(),
            r#"malformed comparison: foo("k") = "5" (unknown target foo)"#
        );
        assert_eq!(
            parse_compare(r#"mod("k") = "x""#).unwrap_err(),
            r#"invalid txn compare request: mod("k") = "x""#
        );
        assert!(parse_compare(r#"mod("k") >= "5""#)
            .unwrap_err()
            .contains("unknown operator"));
        assert!(parse_compare(r#"mod(k) = "5""#).is_err());
    }
}
