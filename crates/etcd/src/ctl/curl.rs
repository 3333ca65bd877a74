//! `curl` lines against etcd's JSON gateway, as the etcd documentation writes them:
//! `curl -L http://localhost:2379/v3/kv/put -X POST -d '{"key": "Zm9v", "value": "YmFy"}'`,
//! `curl -s http://localhost:2379/health`. The words follow the shell's quoting (single quotes
//! literal, double quotes with `\"`, `\\`, `\$`, `` \` ``; adjacent pieces join), and
//! `$(echo -n TEXT | base64)` (or `$(echo TEXT | base64)`, with its newline) becomes TEXT in
//! base64, as in the docs' `'{"key": "'"$(echo -n mykey | base64)"'"}'` idiom.
//!
//! Options: `-s`/`--silent`, `-S`, `-L`/`--location`, `-v`, `-i` (ignored: raftlab prints the
//! body), `-X`/`--request METHOD`, `-d`/`--data`/`--data-raw`/`--data-binary BODY` (implies
//! POST), `-H`/`--header` (ignored). The URL's host is `localhost`, `127.0.0.1` or `nodeN`,
//! with any port.

use base64::Engine;

use super::ParseError;

/// A gateway request read from a curl line: method, path, body.
pub(crate) struct CurlRequest {
    /// `GET`, `POST`, ...
    pub method: String,
    /// `/v3/kv/put`
    pub path: String,
    /// The request body (empty without `-d`).
    pub body: String,
    /// `nodeN` in the URL.
    pub node: Option<u64>,
}

fn err(msg: impl AsRef<str>) -> ParseError {
    ParseError::new(format!("curl: {}", msg.as_ref()))
}

/// If `line` is a curl command, reads it.
pub(crate) fn detect(line: &str) -> Option<Result<CurlRequest, ParseError>> {
    let t = line.trim_start();
    let rest = t.strip_prefix("curl")?;
    if !(rest.is_empty() || rest.starts_with(char::is_whitespace)) {
        return None;
    }
    Some(split(rest).and_then(|words| request(&words)))
}

fn request(words: &[String]) -> Result<CurlRequest, ParseError> {
    let mut method: Option<String> = None;
    let mut body: Option<String> = None;
    let mut url: Option<String> = None;
    let mut i = 0;
    let value = |i: usize, name: &str| -> Result<String, ParseError> {
        words
            .get(i + 1)
            .cloned()
            .ok_or_else(|| err(format!("option {name}: requires parameter")))
    };
    while i < words.len() {
        let w = words[i].as_str();
        match w {
            "-s" | "--silent" | "-S" | "--show-error" | "-L" | "--location" | "-v"
            | "--verbose" | "-i" | "--include" | "-sL" | "-Ls" | "-sS" | "-Ss" => {}
            "-X" | "--request" => {
                method = Some(value(i, w)?);
                i += 1;
            }
            "-d" | "--data" | "--data-raw" | "--data-binary" => {
                body = Some(value(i, w)?);
                i += 1;
            }
            "-H" | "--header" => i += 1,
            _ if w.starts_with("-X") && w.len() > 2 => method = Some(w[2..].to_string()),
            _ if w.starts_with("-d") && w.len() > 2 => body = Some(w[2..].to_string()),
            _ if w.starts_with('-') => {
                return Err(err(format!("option {w}: is unknown to raftlab")));
            }
            _ => {
                if url.is_some() {
                    return Err(err("one URL per line"));
                }
                url = Some(w.to_string());
            }
        }
        i += 1;
    }
    let url = url.ok_or_else(|| err("no URL specified!"))?;
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))
        .unwrap_or(&url);
    let (host, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let host_name = host.split(':').next().unwrap_or(host);
    let node = match host_name {
        "localhost" | "127.0.0.1" => None,
        h => match h.strip_prefix("node").and_then(|n| n.parse::<u64>().ok()) {
            Some(n) if n > 0 => Some(n),
            _ => return Err(err(format!("(6) Could not resolve host: {host_name}"))),
        },
    };
    let method = method.unwrap_or_else(|| if body.is_some() { "POST" } else { "GET" }.into());
    Ok(CurlRequest {
        method,
        path: path.to_string(),
        body: body.unwrap_or_default(),
        node,
    })
}

/// Splits a curl line's arguments as a POSIX shell would, with `$(echo ... | base64)`.
fn split(s: &str) -> Result<Vec<String>, ParseError> {
    let chars: Vec<char> = s.chars().collect();
    let mut words = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_whitespace() {
            i += 1;
            continue;
        }
        let mut w = String::new();
        while i < chars.len() && !chars[i].is_whitespace() {
            match chars[i] {
                '\'' => {
                    let end = chars[i + 1..]
                        .iter()
                        .position(|c| *c == '\'')
                        .ok_or_else(|| err("unterminated quote (')"))?;
                    w.extend(&chars[i + 1..i + 1 + end]);
                    i += end + 2;
                }
                '"' => {
                    i += 1;
                    loop {
                        match chars.get(i) {
                            None => return Err(err("unterminated quote (\")")),
                            Some('"') => {
                                i += 1;
                                break;
                            }
                            Some('\\')
                                if matches!(chars.get(i + 1), Some('"' | '\\' | '$' | '`')) =>
                            {
                                w.push(chars[i + 1]);
                                i += 2;
                            }
                            Some('$') if chars.get(i + 1) == Some(&'(') => {
                                let (text, next) = substitution(&chars, i)?;
                                w.push_str(&text);
                                i = next;
                            }
                            Some(c) => {
                                w.push(*c);
                                i += 1;
                            }
                        }
                    }
                }
                '\\' => {
                    let c = chars.get(i + 1).ok_or_else(|| err("trailing backslash"))?;
                    w.push(*c);
                    i += 2;
                }
                '$' if chars.get(i + 1) == Some(&'(') => {
                    let (text, next) = substitution(&chars, i)?;
                    w.push_str(&text);
                    i = next;
                }
                c => {
                    w.push(c);
                    i += 1;
                }
            }
        }
        words.push(w);
    }
    Ok(words)
}

/// `$(echo -n TEXT | base64)` at `chars[i]`: its output and the index just past it.
fn substitution(chars: &[char], i: usize) -> Result<(String, usize), ParseError> {
    let close = chars[i..]
        .iter()
        .position(|c| *c == ')')
        .ok_or_else(|| err("unterminated $("))?;
    let inner: String = chars[i + 2..i + close].iter().collect();
    let unsupported = || {
        err(format!(
            "raftlab runs only $(echo -n TEXT | base64) in a curl line, not $({inner})"
        ))
    };
    let (cmd, pipe) = inner.split_once('|').ok_or_else(unsupported)?;
    if pipe.trim() != "base64" {
        return Err(unsupported());
    }
    let words = split(cmd)?;
    let (newline, text) = match words.as_slice() {
        [echo, n, rest @ ..] if echo == "echo" && n == "-n" => (false, rest.join(" ")),
        [echo, rest @ ..] if echo == "echo" => (true, rest.join(" ")),
        _ => return Err(unsupported()),
    };
    let mut bytes = text.into_bytes();
    if newline {
        bytes.push(b'\n');
    }
    Ok((
        base64::engine::general_purpose::STANDARD.encode(bytes),
        i + close + 1,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(line: &str) -> CurlRequest {
        detect(line).unwrap().unwrap()
    }

    #[test]
    fn doc_lines() {
        let r = req(
            r#"curl -L http://localhost:2379/v3/kv/put -X POST -d '{"key": "Zm9v", "value": "YmFy"}'"#,
        );
        assert_eq!((r.method.as_str(), r.path.as_str()), ("POST", "/v3/kv/put"));
        assert_eq!(r.body, r#"{"key": "Zm9v", "value": "YmFy"}"#);
        let r = req("curl -s http://localhost:2379/health");
        assert_eq!(
            (r.method.as_str(), r.path.as_str(), r.body.as_str()),
            ("GET", "/health", "")
        );
        let r = req(
            r#"curl -L http://localhost:2379/v3/kv/put -X POST -d '{"key": "'"$(echo -n mykey | base64)"'", "value": "'"$(echo hi | base64)"'"}'"#,
        );
        assert_eq!(r.body, r#"{"key": "bXlrZXk=", "value": "aGkK"}"#);
        assert_eq!(
            req("curl http://node2:2379/v3/kv/range -d {}").node,
            Some(2)
        );
        assert!(detect("curly x").is_none());
    }

    #[test]
    fn errors() {
        for (line, want) in [
            ("curl", "no URL specified!"),
            ("curl -q http://localhost:2379/health", "option -q"),
            ("curl http://x:2379/health", "Could not resolve host: x"),
            (
                "curl -d '{ http://localhost:2379/health",
                "unterminated quote",
            ),
            (
                "curl -d \"$(cat f)\" http://localhost:2379/v3/kv/put",
                "$(echo -n TEXT | base64)",
            ),
            ("curl -X", "requires parameter"),
        ] {
            let e = detect(line).unwrap().err().unwrap().0;
            assert!(
                e.starts_with("Error: curl: ") && e.contains(want),
                "{line}: {e}"
            );
        }
    }
}
