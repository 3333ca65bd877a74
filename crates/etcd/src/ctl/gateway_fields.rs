//! Decoding the fields of a JSON gateway body by grpc-gateway's protobuf JSON rules (names as
//! in `rpc.proto` or camelCase, bytes base64, int64 as numbers or strings, enums by name or
//! number), and the gateway's error body.

use base64::Engine;
use serde_json::{Map, Value};

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

/// Parses the body as a JSON object (an empty body is `{}`, as the gateway treats EOF).
pub(super) fn object(body: &str) -> Result<Map<String, Value>, ParseError> {
    if body.trim().is_empty() {
        return Ok(Map::new());
    }
    // From the bytes, as the snapshots are read: one copy of serde_json's parser in the wasm
    // bundle (the same result for a `str`).
    let v: Value =
        serde_json::from_slice(body.as_bytes()).map_err(|e| bad(json_error(body, &e)))?;
    match v {
        Value::Object(m) => Ok(m),
        other => Err(bad(format!(
            "json: cannot unmarshal {} into Go value of type map[string]json.RawMessage",
            kind(&other)
        ))),
    }
}

pub(super) fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Go's `encoding/json` wording for a syntax error, from serde_json's.
pub(super) fn json_error(body: &str, e: &serde_json::Error) -> String {
    if e.is_eof() {
        return "unexpected EOF".into();
    }
    let line = body.lines().nth(e.line().saturating_sub(1)).unwrap_or("");
    let c = line.chars().nth(e.column().saturating_sub(1));
    let msg = e.to_string();
    let Some(c) = c else {
        return "unexpected EOF".into();
    };
    let q = match c {
        '\'' => "'\\''".to_string(),
        c if c.is_control() => goquote::quote(c.to_string().as_bytes()).replace('"', "'"),
        c => format!("'{c}'"),
    };
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

pub(super) fn unknown(field: &str, msg: &str) -> ParseError {
    bad(format!(
        "unknown field {} in etcdserverpb.{msg}",
        goquote::quote(field.as_bytes())
    ))
}

pub(super) fn empty(obj: &Map<String, Value>, msg: &str) -> Result<(), ParseError> {
    match obj.keys().next() {
        Some(k) => Err(unknown(k, msg)),
        None => Ok(()),
    }
}

pub(super) fn only_id(obj: &Map<String, Value>, msg: &str) -> Result<i64, ParseError> {
    let mut id = 0;
    for (k, v) in obj {
        match k.as_str() {
            "ID" => id = int(k, v)?,
            _ => return Err(unknown(k, msg)),
        }
    }
    Ok(id)
}

/// An int64 field: a JSON integer or a string holding one.
pub(super) fn int(field: &str, v: &Value) -> Result<i64, ParseError> {
    let text = match v {
        Value::Null => return Ok(0),
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        other => {
            return Err(bad(format!(
                "bad value for field {}: json: cannot unmarshal {} into Go value of type int64",
                goquote::quote(field.as_bytes()),
                kind(other)
            )))
        }
    };
    goquote::parse_int(&text, 10).map_err(bad)
}

pub(super) fn boolean(field: &str, v: &Value) -> Result<bool, ParseError> {
    match v {
        Value::Null => Ok(false),
        Value::Bool(b) => Ok(*b),
        other => Err(bad(format!(
            "bad value for field {}: json: cannot unmarshal {} into Go value of type bool",
            goquote::quote(field.as_bytes()),
            kind(other)
        ))),
    }
}

/// A bytes field: base64 (standard, or URL-safe as a fallback), as Go decodes it.
pub(super) fn bytes(field: &str, v: &Value) -> Result<Vec<u8>, ParseError> {
    let s = match v {
        Value::Null => return Ok(Vec::new()),
        Value::String(s) => s,
        other => {
            return Err(bad(format!(
                "bad value for field {}: json: cannot unmarshal {} into Go value of type []uint8",
                goquote::quote(field.as_bytes()),
                kind(other)
            )))
        }
    };
    base64_bytes(s)
}

/// Base64 as Go decodes a `[]byte` (standard alphabet, or URL-safe as a fallback), with Go's
/// error for bad input.
pub(super) fn base64_bytes(s: &str) -> Result<Vec<u8>, ParseError> {
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

pub(super) fn enum_value(field: &str, v: &Value, names: &[&str]) -> Result<usize, ParseError> {
    let invalid = || {
        bad(format!(
            "invalid value for enum type: {}",
            match v {
                Value::String(s) => goquote::quote(s.as_bytes()),
                other => other.to_string(),
            }
        ))
    };
    match v {
        Value::Null => Ok(0),
        Value::String(s) => names.iter().position(|n| n == s).ok_or_else(invalid),
        Value::Number(n) => n
            .as_u64()
            .and_then(|n| usize::try_from(n).ok())
            .filter(|&n| n < names.len())
            .ok_or_else(invalid),
        _ => {
            let _ = field;
            Err(invalid())
        }
    }
}

pub(super) fn field_is(k: &str, proto: &str, json: &str) -> bool {
    k == proto || k == json
}
