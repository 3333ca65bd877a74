//! Flag parsing with cobra/pflag's rules and error texts: `--flag=value`, `--flag value`,
//! `-w json`, `-wjson`, `-w=json`, combined boolean shorthands, `--` ends the flags, and flags
//! may come before, between or after the arguments.

use super::goquote;
use super::lexer::Word;

/// What a flag takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A boolean: `--prefix` or `--prefix=false`.
    Bool,
    /// A string value.
    Str,
    /// A 64-bit integer value (Go's base-0 rules: `10`, `0x1f`, `0o17`).
    Int,
}

/// A flag a command accepts.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Spec {
    /// Long name, without dashes.
    pub name: &'static str,
    /// One-letter shorthand.
    pub short: Option<char>,
    /// Value kind.
    pub kind: Kind,
}

/// Shorthand to declare a flag.
pub(crate) const fn flag(name: &'static str, kind: Kind) -> Spec {
    Spec {
        name,
        short: None,
        kind,
    }
}

/// Shorthand to declare a flag with a one-letter alias.
pub(crate) const fn short(name: &'static str, c: char, kind: Kind) -> Spec {
    Spec {
        name,
        short: Some(c),
        kind,
    }
}

/// Flags that every command accepts (etcdctl's persistent flags, plus raftlab's `--node`).
pub(crate) const GLOBAL: &[Spec] = &[
    flag("endpoints", Kind::Str),
    flag("node", Kind::Str),
    short("write-out", 'w', Kind::Str),
    flag("hex", Kind::Bool),
    flag("debug", Kind::Bool),
    flag("dial-timeout", Kind::Str),
    flag("command-timeout", Kind::Str),
    short("help", 'h', Kind::Bool),
];

/// Values by flag name, the last one given winning: a handful of flags, looked up by a linear
/// scan (a `HashMap` here brought its hasher and table code into the wasm bundle for this alone).
#[derive(Debug)]
struct Named<V>(Vec<(&'static str, V)>);

impl<V> Default for Named<V> {
    fn default() -> Self {
        Named(Vec::new())
    }
}

impl<V> Named<V> {
    fn get(&self, name: &str) -> Option<&V> {
        self.0.iter().find(|(n, _)| *n == name).map(|(_, v)| v)
    }

    fn insert(&mut self, name: &'static str, value: V) {
        match self.0.iter_mut().find(|(n, _)| *n == name) {
            Some((_, v)) => *v = value,
            None => self.0.push((name, value)),
        }
    }
}

/// The result of parsing: flag values by long name (last one wins) and positional arguments.
#[derive(Debug, Default)]
pub(crate) struct Parsed {
    values: Named<String>,
    ints: Named<i64>,
    /// Positional arguments, as bytes.
    pub args: Vec<Vec<u8>>,
}

impl Parsed {
    /// Whether a boolean flag was set to true.
    pub fn bool(&self, name: &str) -> bool {
        self.values.get(name).is_some_and(|v| v == "true")
    }

    /// A string flag's value, if given.
    pub fn str(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    /// An integer flag's value, or `default`.
    pub fn int(&self, name: &str, default: i64) -> i64 {
        self.ints.get(name).copied().unwrap_or(default)
    }
}

fn display_name(s: &Spec) -> String {
    match s.short {
        Some(c) => format!("-{c}, --{}", s.name),
        None => format!("--{}", s.name),
    }
}

fn set(p: &mut Parsed, s: &Spec, value: &str) -> Result<(), String> {
    let invalid = |e: String| {
        format!(
            "invalid argument {} for {} flag: {e}",
            goquote::quote(value.as_bytes()),
            goquote::quote(display_name(s).as_bytes())
        )
    };
    match s.kind {
        Kind::Bool => {
            let b = goquote::parse_bool(value).map_err(invalid)?;
            p.values.insert(s.name, b.to_string());
        }
        Kind::Int => {
            let n = goquote::parse_int(value, 0).map_err(invalid)?;
            p.ints.insert(s.name, n);
            p.values.insert(s.name, value.to_string());
        }
        Kind::Str => {
            p.values.insert(s.name, value.to_string());
        }
    }
    Ok(())
}

/// Parses `words` against `specs` (the command's flags followed by [`GLOBAL`]).
/// Errors are pflag's messages without the `Error: ` prefix.
pub(crate) fn parse(words: &[Word], specs: &[&[Spec]]) -> Result<Parsed, String> {
    let find_long = |n: &str| specs.iter().flat_map(|s| s.iter()).find(|s| s.name == n);
    let find_short = |c: char| {
        specs
            .iter()
            .flat_map(|s| s.iter())
            .find(|s| s.short == Some(c))
    };
    let mut p = Parsed::default();
    let mut i = 0;
    while i < words.len() {
        let w = &words[i];
        i += 1;
        let text = w.text();
        if text == "--" {
            p.args.extend(words[i..].iter().map(|w| w.bytes.clone()));
            break;
        }
        if let Some(body) = text.strip_prefix("--") {
            let (name, value) = match body.split_once('=') {
                Some((n, v)) => (n, Some(v)),
                None => (body, None),
            };
            if name.is_empty() || name.starts_with('-') {
                return Err(format!("bad flag syntax: {text}"));
            }
            let spec = find_long(name).ok_or_else(|| format!("unknown flag: --{name}"))?;
            match (value, spec.kind) {
                (Some(v), _) => set(&mut p, spec, v)?,
                (None, Kind::Bool) => set(&mut p, spec, "true")?,
                (None, _) => {
                    let v = words
                        .get(i)
                        .ok_or_else(|| format!("flag needs an argument: --{name}"))?;
                    i += 1;
                    set(&mut p, spec, &v.text())?;
                }
            }
        } else if text.len() > 1 && text.starts_with('-') {
            let shorts = &text[1..];
            for (at, c) in shorts.char_indices() {
                let spec = find_short(c).ok_or_else(|| {
                    format!(
                        "unknown shorthand flag: {} in {text}",
                        goquote::quote(c.to_string().as_bytes()).replace('"', "'")
                    )
                })?;
                let rest = &shorts[at + c.len_utf8()..];
                if let Some(v) = rest.strip_prefix('=') {
                    set(&mut p, spec, v)?;
                    break;
                }
                if spec.kind == Kind::Bool {
                    set(&mut p, spec, "true")?;
                    continue;
                }
                if !rest.is_empty() {
                    set(&mut p, spec, rest)?;
                } else {
                    let v = words
                        .get(i)
                        .ok_or_else(|| format!("flag needs an argument: '{c}' in {text}"))?;
                    i += 1;
                    set(&mut p, spec, &v.text())?;
                }
                break;
            }
        } else {
            p.args.push(w.bytes.clone());
        }
    }
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ctl::lexer::split;

    const SPECS: &[Spec] = &[
        flag("prefix", Kind::Bool),
        flag("limit", Kind::Int),
        short("listen", 'l', Kind::Bool),
    ];

    fn run(s: &str) -> Result<Parsed, String> {
        parse(&split(s).unwrap(), &[SPECS, GLOBAL])
    }

    #[test]
    fn long_and_short_forms() {
        let p = run("a --prefix --limit 5 b -w json -l").unwrap();
        assert!(p.bool("prefix") && p.bool("listen"));
        assert_eq!(p.int("limit", 0), 5);
        assert_eq!(p.str("write-out"), Some("json"));
        assert_eq!(p.args, vec![b"a".to_vec(), b"b".to_vec()]);
        let p = run("--limit=0x10 -wtable --prefix=false").unwrap();
        assert_eq!(p.int("limit", 0), 16);
        assert_eq!(p.str("write-out"), Some("table"));
        assert!(!p.bool("prefix"));
        assert_eq!(run("-w=json").unwrap().str("write-out"), Some("json"));
        assert_eq!(run("-lw json").unwrap().str("write-out"), Some("json"));
    }

    #[test]
    fn double_dash_ends_flags() {
        let p = run("-- -a --prefix").unwrap();
        assert_eq!(p.args, vec![b"-a".to_vec(), b"--prefix".to_vec()]);
        assert_eq!(run("-").unwrap().args, vec![b"-".to_vec()]);
    }

    #[test]
    fn pflag_errors() {
        assert_eq!(run("--fly").unwrap_err(), "unknown flag: --fly");
        assert_eq!(run("-x").unwrap_err(), "unknown shorthand flag: 'x' in -x");
        assert_eq!(
            run("--limit").unwrap_err(),
            "flag needs an argument: --limit"
        );
        assert_eq!(run("-w").unwrap_err(), "flag needs an argument: 'w' in -w");
        assert_eq!(
            run("--limit=abc").unwrap_err(),
            r#"invalid argument "abc" for "--limit" flag: strconv.ParseInt: parsing "abc": invalid syntax"#
        );
        assert_eq!(
            run("--prefix=maybe").unwrap_err(),
            r#"invalid argument "maybe" for "--prefix" flag: strconv.ParseBool: parsing "maybe": invalid syntax"#
        );
        assert_eq!(run("---x").unwrap_err(), "bad flag syntax: ---x");
    }
}
