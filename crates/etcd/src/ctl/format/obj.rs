//! A tiny JSON object writer that keeps field order (Go marshals in declaration order) and
//! knows Go's two conventions: `encoding/json` (numbers as numbers, HTML-safe strings) and
//! protobuf JSON (64-bit integers as strings).

use base64::Engine;

/// How integers and strings are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Style {
    /// Go `encoding/json` (etcdctl `-w json`).
    Go,
    /// Protobuf JSON (etcd's gateway): int64/uint64 as strings.
    Proto,
}

/// A JSON object being written.
pub(crate) struct Obj {
    out: String,
    style: Style,
    empty: bool,
}

/// A JSON string in Go's `encoding/json` escaping (`<`, `>`, `&` as `\u003c` ...).
pub(crate) fn go_string(s: &str) -> String {
    serde_json::Value::String(s.to_string())
        .to_string()
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029")
}

/// A JSON string in `style`'s escaping.
pub(crate) fn string(style: Style, s: &str) -> String {
    match style {
        Style::Go => go_string(s),
        Style::Proto => serde_json::Value::String(s.to_string()).to_string(),
    }
}

/// Bytes as a base64 JSON string.
pub(crate) fn b64(b: &[u8]) -> String {
    format!(
        "\"{}\"",
        base64::engine::general_purpose::STANDARD.encode(b)
    )
}

impl Obj {
    /// An empty object.
    pub fn new(style: Style) -> Self {
        Obj {
            out: String::from("{"),
            style,
            empty: true,
        }
    }

    /// Adds a field with an already-encoded JSON value.
    pub fn raw(&mut self, name: &str, json: &str) -> &mut Self {
        if !self.empty {
            self.out.push(',');
        }
        self.empty = false;
        self.out.push('"');
        self.out.push_str(name);
        self.out.push_str("\":");
        self.out.push_str(json);
        self
    }

    /// An integer (a string in protobuf style).
    pub fn int(&mut self, name: &str, v: impl Into<i128>) -> &mut Self {
        let v = v.into();
        match self.style {
            Style::Go => self.raw(name, &v.to_string()),
            Style::Proto => self.raw(name, &format!("\"{v}\"")),
        }
    }

    /// An integer, left out when 0 (Go `omitempty`, protobuf default).
    pub fn int_nz(&mut self, name: &str, v: impl Into<i128>) -> &mut Self {
        let v = v.into();
        if v != 0 {
            self.int(name, v);
        }
        self
    }

    /// A boolean.
    pub fn bool(&mut self, name: &str, v: bool) -> &mut Self {
        self.raw(name, if v { "true" } else { "false" })
    }

    /// A boolean, left out when false.
    pub fn bool_nz(&mut self, name: &str, v: bool) -> &mut Self {
        if v {
            self.bool(name, v);
        }
        self
    }

    /// A string.
    pub fn str(&mut self, name: &str, v: &str) -> &mut Self {
        let s = string(self.style, v);
        self.raw(name, &s)
    }

    /// A string, left out when empty.
    pub fn str_nz(&mut self, name: &str, v: &str) -> &mut Self {
        if !v.is_empty() {
            self.str(name, v);
        }
        self
    }

    /// Bytes as base64, left out when empty.
    pub fn bytes_nz(&mut self, name: &str, v: &[u8]) -> &mut Self {
        if !v.is_empty() {
            self.raw(name, &b64(v));
        }
        self
    }

    /// A list of encoded values, left out when empty.
    pub fn list_nz(&mut self, name: &str, items: &[String]) -> &mut Self {
        if !items.is_empty() {
            self.raw(name, &format!("[{}]", items.join(",")));
        }
        self
    }

    /// The finished object.
    pub fn done(&mut self) -> String {
        let mut s = std::mem::take(&mut self.out);
        s.push('}');
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_in_order() {
        let s = Obj::new(Style::Go)
            .int("b", 1)
            .str("a", "<x>")
            .int_nz("z", 0)
            .done();
        assert_eq!(s, r#"{"b":1,"a":"\u003cx\u003e"}"#);
        let s = Obj::new(Style::Proto)
            .int("n", -3i64)
            .bytes_nz("k", b"foo")
            .done();
        assert_eq!(s, r#"{"n":"-3","k":"Zm9v"}"#);
        assert_eq!(Obj::new(Style::Go).done(), "{}");
    }
}
