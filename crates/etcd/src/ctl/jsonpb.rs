//! Request bodies decoded as etcd 3.5.1's JSON gateway decodes them: grpc-gateway v1's
//! `JSONPb` marshaler, which reads the first JSON value of the body and hands it to
//! golang/protobuf's `jsonpb.Unmarshaler` with unknown fields allowed. Checked against the
//! real binary (the `gateway` family of `tests/cases/etcd_diff`):
//!
//! - an empty body is an empty message, text after the first JSON value is ignored, a
//!   top-level `null` is an empty message;
//! - a message is read as Go's `map[string]json.RawMessage` (duplicate keys: the last wins),
//!   then its fields in the order `rpc.proto` declares them, each under its proto name and
//!   then its JSON (camelCase) name, which wins; a `null` field is left unset; unknown fields
//!   are ignored; the first error ends the decoding;
//! - each value is Go's `encoding/json` of the field's Go type, so errors are Go's
//!   (`json: cannot unmarshal number into Go value of type []uint8`); an integer field's value
//!   loses one pair of surrounding quotes (escapes stay) and is then read as JSON; an enum is
//!   a name in quotes (`unknown value "\"X\"" for enum ...` otherwise) or any int32.

use std::collections::HashMap;

use serde_json::value::RawValue;
use serde_json::Value;

use base64::Engine;

use super::{goquote, ParseError};

/// grpc's InvalidArgument code.
pub(super) const INVALID_ARGUMENT: i32 = 3;

/// The gateway's error body.
pub(crate) fn error_json(msg: &str, code: i32) -> String {
    let m = Value::String(msg.to_string());
    format!("{{\"error\":{m},\"code\":{code},\"message\":{m}}}")
}

pub(super) fn bad(msg: impl AsRef<str>) -> ParseError {
    ParseError::raw(error_json(msg.as_ref(), INVALID_ARGUMENT))
}

fn cannot(what: &str, go_type: &str) -> ParseError {
    bad(format!(
        "json: cannot unmarshal {what} into Go value of type {go_type}"
    ))
}

/// The JSON kind of a raw value, as Go's errors name it.
fn kind(raw: &str) -> &'static str {
    match raw.trim_start().as_bytes().first() {
        Some(b'{') => "object",
        Some(b'[') => "array",
        Some(b'"') => "string",
        Some(b't' | b'f') => "bool",
        Some(b'n') => "null",
        _ => "number",
    }
}

/// A message's fields: each key's raw JSON text.
#[derive(Debug)]
pub(super) struct Msg<'a>(HashMap<String, &'a RawValue>);

impl<'a> Msg<'a> {
    /// The message of a request body (grpc-gateway's `Decoder.Decode`, then jsonpb).
    pub(super) fn body(body: &'a str) -> Result<Msg<'a>, ParseError> {
        let mut values = serde_json::Deserializer::from_str(body).into_iter::<&RawValue>();
        match values.next() {
            None => Ok(Msg(HashMap::new())),
            Some(Err(e)) => Err(bad(syntax_error(body, &e, "unexpected EOF"))),
            Some(Ok(raw)) => Msg::parse(raw.get()),
        }
    }

    /// A message from a valid JSON value (`null` is an empty message).
    pub(super) fn parse(raw: &'a str) -> Result<Msg<'a>, ParseError> {
        if raw.trim() == "null" {
            return Ok(Msg(HashMap::new()));
        }
        match kind(raw) {
            "object" => serde_json::from_str::<HashMap<String, &'a RawValue>>(raw)
                .map(Msg)
                .map_err(|e| bad(e.to_string())),
            k => Err(cannot(k, "map[string]json.RawMessage")),
        }
    }

    /// A field's raw value, under its proto name or its JSON name (which wins); `None` when
    /// absent or `null`.
    pub(super) fn field(&self, proto: &str, json: &str) -> Option<&'a str> {
        let raw = self.0.get(json).or_else(|| self.0.get(proto))?.get();
        (raw.trim() != "null").then_some(raw)
    }

    /// A field whose JSON name is its proto name.
    pub(super) fn get(&self, name: &str) -> Option<&'a str> {
        self.field(name, name)
    }

    pub(super) fn bytes(&self, name: &str) -> Result<Vec<u8>, ParseError> {
        self.get(name).map_or(Ok(Vec::new()), bytes)
    }

    pub(super) fn int(&self, proto: &str, json: &str) -> Result<i64, ParseError> {
        self.field(proto, json).map_or(Ok(0), int64)
    }

    pub(super) fn uint(&self, name: &str) -> Result<u64, ParseError> {
        self.get(name).map_or(Ok(0), uint64)
    }

    pub(super) fn boolean(&self, proto: &str, json: &str) -> Result<bool, ParseError> {
        self.field(proto, json).map_or(Ok(false), boolean)
    }
}

/// Go's `encoding/json` wording for a syntax error in `text`, from serde_json's (`eof`: what
/// Go says when the text ends early: `unexpected EOF` from a decoder, `unexpected end of JSON
/// input` from `json.Unmarshal`).
pub(super) fn syntax_error(text: &str, e: &serde_json::Error, eof: &str) -> String {
    if e.is_eof() {
        return eof.into();
    }
    let line = text.lines().nth(e.line().saturating_sub(1)).unwrap_or("");
    let Some(c) = line.chars().nth(e.column().saturating_sub(1)) else {
        return eof.into();
    };
    // Go's scanner reports a byte: the first of a multi-byte character, as a rune.
    let c = if c.is_ascii() {
        c
    } else {
        let mut buf = [0; 4];
        char::from(c.encode_utf8(&mut buf).as_bytes()[0])
    };
    let q = match c {
        '\'' => "'\\''".to_string(),
        '"' => "'\"'".to_string(),
        c => {
            let s = goquote::quote(c.to_string().as_bytes());
            format!("'{}'", &s[1..s.len() - 1])
        }
    };
    let msg = e.to_string();
    let context = if msg.starts_with("expected `:`") {
        "after object key"
    } else if msg.starts_with("expected `,` or `}`") {
        "after object key:value pair"
    } else if msg.starts_with("expected `,` or `]`") {
        "after array element"
    } else if msg.starts_with("key must be a string") {
        "looking for beginning of object key string"
    } else if msg.starts_with("trailing") {
        "after top-level value"
    } else if msg.starts_with("invalid escape") {
        "in string escape code"
    } else if msg.starts_with("control character") {
        "in string literal"
    } else {
        "looking for beginning of value"
    };
    format!("invalid character {q} {context}")
}

/// `json.Unmarshal` of `text` (not known to be valid) as a `Value`, with Go's syntax errors.
fn go_value(text: &str) -> Result<Value, ParseError> {
    serde_json::from_str::<Value>(text)
        .map_err(|e| bad(syntax_error(text, &e, "unexpected end of JSON input")))
}

/// jsonpb's `trimQuote`: one pair of surrounding double quotes goes.
fn trim_quote(raw: &str) -> &str {
    let raw = raw.trim();
    if raw.len() >= 2 && raw.starts_with('"') && raw.ends_with('"') {
        &raw[1..raw.len() - 1]
    } else {
        raw
    }
}

/// An integer of Go type `go_type` from a number literal (`None` for `null`).
fn integer<T: std::str::FromStr>(raw: &str, go_type: &str) -> Result<Option<T>, ParseError> {
    let text = trim_quote(raw);
    match go_value(text)? {
        Value::Null => Ok(None),
        Value::Number(_) => {
            let lit = text.trim();
            lit.parse::<T>()
                .map(Some)
                .map_err(|_| cannot(&format!("number {lit}"), go_type))
        }
        _ => Err(cannot(kind(text), go_type)),
    }
}

/// An int64 field.
pub(super) fn int64(raw: &str) -> Result<i64, ParseError> {
    Ok(integer(raw, "int64")?.unwrap_or(0))
}

/// A uint64 field.
pub(super) fn uint64(raw: &str) -> Result<u64, ParseError> {
    Ok(integer(raw, "uint64")?.unwrap_or(0))
}

/// A bool field.
pub(super) fn boolean(raw: &str) -> Result<bool, ParseError> {
    match go_value(raw)? {
        Value::Null => Ok(false),
        Value::Bool(b) => Ok(b),
        _ => Err(cannot(kind(raw), "bool")),
    }
}

/// A string field.
pub(super) fn string(raw: &str) -> Result<String, ParseError> {
    match go_value(raw)? {
        Value::Null => Ok(String::new()),
        Value::String(s) => Ok(s),
        _ => Err(cannot(kind(raw), "string")),
    }
}

/// A bytes field: base64, or (as Go reads a `[]byte`) an array of numbers.
pub(super) fn bytes(raw: &str) -> Result<Vec<u8>, ParseError> {
    match go_value(raw)? {
        Value::Null => Ok(Vec::new()),
        Value::String(s) => base64_bytes(&s),
        Value::Array(_) => {
            let items =
                serde_json::from_str::<Vec<&RawValue>>(raw).map_err(|e| bad(e.to_string()))?;
            items
                .iter()
                .map(|i| match kind(i.get()) {
                    "null" => Ok(0),
                    "number" => Ok(integer::<u8>(i.get(), "uint8")?.unwrap_or(0)),
                    k => Err(cannot(k, "uint8")),
                })
                .collect()
        }
        _ => Err(cannot(kind(raw), "[]uint8")),
    }
}

/// A repeated field's elements (Go's `[]json.RawMessage`).
pub(super) fn list(raw: &str) -> Result<Vec<&str>, ParseError> {
    match kind(raw) {
        "null" => Ok(Vec::new()),
        "array" => serde_json::from_str::<Vec<&RawValue>>(raw)
            .map(|v| v.into_iter().map(RawValue::get).collect())
            .map_err(|e| bad(e.to_string())),
        k => Err(cannot(k, "[]json.RawMessage")),
    }
}

/// An enum field of the enum `full_name` with value names `names` (numbered from 0): its
/// number, which may be any int32.
pub(super) fn enumeration(raw: &str, names: &[&str], full_name: &str) -> Result<i32, ParseError> {
    let t = raw.trim();
    if t.len() >= 2 && t.starts_with('"') && t.ends_with('"') {
        let name = &t[1..t.len() - 1];
        return match names.iter().position(|n| *n == name) {
            Some(i) => Ok(i as i32),
            None => Err(bad(format!(
                "unknown value {} for enum {full_name}",
                goquote::quote(t.as_bytes())
            ))),
        };
    }
    match go_value(t)? {
        Value::Null => Ok(0),
        Value::Number(_) => t
            .parse::<i32>()
            .map_err(|_| cannot(&format!("number {t}"), "protoreflect.EnumNumber")),
        _ => Err(cannot(kind(t), "protoreflect.EnumNumber")),
    }
}

/// Base64 as Go decodes a `[]byte` (standard alphabet, or URL-safe as a fallback), with Go's
/// error for bad input.
fn base64_bytes(s: &str) -> Result<Vec<u8>, ParseError> {
    let std = base64::engine::general_purpose::STANDARD.decode(s);
    let url = || base64::engine::general_purpose::URL_SAFE.decode(s);
    std.or_else(|_| url()).map_err(|e| {
        let at = match e {
            base64::DecodeError::InvalidByte(i, _)
            | base64::DecodeError::InvalidLastSymbol(i, _) => i,
            base64::DecodeError::InvalidPadding => s.find('=').unwrap_or(s.len() / 4 * 4),
            base64::DecodeError::InvalidLength(n) => n / 4 * 4,
        };
        bad(format!("illegal base64 data at input byte {at}"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(e: Result<impl std::fmt::Debug, ParseError>) -> String {
        let e = e.unwrap_err().0;
        let v: Value = serde_json::from_str(&e).unwrap();
        v["message"].as_str().unwrap().to_string()
    }

    #[test]
    fn integers_as_go_reads_them() {
        assert_eq!(int64("5"), Ok(5));
        assert_eq!(int64("\"-7\""), Ok(-7));
        assert_eq!(int64("\" 1 \""), Ok(1));
        assert_eq!(int64("\"null\""), Ok(0));
        assert_eq!(
            msg(int64("1e0")),
            "json: cannot unmarshal number 1e0 into Go value of type int64"
        );
        assert_eq!(
            msg(int64("99999999999999999999")),
            "json: cannot unmarshal number 99999999999999999999 into Go value of type int64"
        );
        assert_eq!(
            msg(int64(r#""\u0031""#)),
            r"invalid character '\\' looking for beginning of value"
        );
        assert_eq!(msg(int64(r#""""#)), "unexpected end of JSON input");
        assert_eq!(
            msg(int64(r#""1a""#)),
            "invalid character 'a' after top-level value"
        );
        assert_eq!(
            msg(int64(r#""é""#)),
            "invalid character 'Ã' looking for beginning of value"
        );
        assert_eq!(
            msg(int64("true")),
            "json: cannot unmarshal bool into Go value of type int64"
        );
        assert_eq!(
            msg(uint64("-1")),
            "json: cannot unmarshal number -1 into Go value of type uint64"
        );
    }

    #[test]
    fn enums_by_name_or_any_int32() {
        let names = ["NONE", "ASCEND", "DESCEND"];
        let e = "etcdserverpb.RangeRequest.SortOrder";
        assert_eq!(enumeration("\"DESCEND\"", &names, e), Ok(2));
        assert_eq!(enumeration("7", &names, e), Ok(7));
        assert_eq!(enumeration("-1", &names, e), Ok(-1));
        assert_eq!(
            msg(enumeration("\"1\"", &names, e)),
            r#"unknown value "\"1\"" for enum etcdserverpb.RangeRequest.SortOrder"#
        );
        assert_eq!(
            msg(enumeration("99999999999", &names, e)),
            "json: cannot unmarshal number 99999999999 into Go value of type protoreflect.EnumNumber"
        );
        assert_eq!(
            msg(enumeration("true", &names, e)),
            "json: cannot unmarshal bool into Go value of type protoreflect.EnumNumber"
        );
    }

    #[test]
    fn messages_fields_and_bodies() {
        let m =
            Msg::body(r#"{"key":"YQ==","key":"Yg==","prev_kv":true,"prevKv":false,"x":1} tail"#)
                .unwrap();
        assert_eq!(m.bytes("key"), Ok(b"b".to_vec()));
        assert_eq!(m.boolean("prev_kv", "prevKv"), Ok(false));
        assert!(Msg::body("").is_ok() && Msg::body("null").is_ok());
        assert_eq!(
            msg(Msg::body("[1]")),
            "json: cannot unmarshal array into Go value of type map[string]json.RawMessage"
        );
        assert_eq!(msg(Msg::body(r#"{"key":"#)), "unexpected EOF");
        assert_eq!(
            msg(Msg::body(r#"{"a": [1,{"x":}]}"#)),
            "invalid character '}' looking for beginning of value"
        );
        assert_eq!(bytes("[102,111,null]"), Ok(vec![102, 111, 0]));
        assert_eq!(
            msg(bytes("[300]")),
            "json: cannot unmarshal number 300 into Go value of type uint8"
        );
        assert_eq!(
            msg(list("5")),
            "json: cannot unmarshal number into Go value of type []json.RawMessage"
        );
    }
}
