//! Normalization: only what differs between any two runs of the same session — ids (member,
//! cluster and lease ids, numbered by first appearance, members pre-numbered by name), URLs (a
//! real member's `127.0.0.1:PORT` becomes raftlab's `nodeN`), timings (`took`), sizes (DB SIZE,
//! dbSize, dbSizeInUse) and Raft indexes (etcd applies internal entries raftlab does not
//! have) — plus table padding, which follows from the normalized cell widths, the order of
//! rows that etcd sorts by member id (random in a real cluster) or lists from a Go map, the order of a lease's
//! attached keys (a Go map in etcd) and etcdctl's client log lines on standard error.

use std::collections::BTreeMap;

use super::real::Ports;

/// Normalizes one transcript. `members` are the cluster's member ids, node1 first; `ports`
/// the real members' ports (empty for raftlab).
pub fn normalize(text: &str, members: &[u64], ports: &[Ports]) -> String {
    let mut ids = Ids::default();
    for m in members {
        ids.token(*m);
    }
    let mut out = String::new();
    for block in commands(text) {
        let mut lines: Vec<String> = Vec::new();
        for line in block.lines() {
            // etcdctl's client log (a timestamp and a pointer), on standard error.
            if line.starts_with("{\"level\":") && line.contains("\"logger\":\"etcd-client\"") {
                continue;
            }
            let mut l = urls(line, ports);
            l = json_fields(&l);
            l = timings(&l);
            // `Member %16x added to cluster %16x`: the padding depends on the random id.
            if l.starts_with("Member ") {
                l = l
                    .split(' ')
                    .filter(|w| !w.is_empty())
                    .collect::<Vec<_>>()
                    .join(" ");
            }
            // etcd lists a lease's keys from a Go map: in no fixed order.
            if let Some(i) = l.find("attached keys([") {
                let start = i + "attached keys([".len();
                if let Some(len) = l[start..].find("])") {
                    let mut keys: Vec<&str> = l[start..start + len].split(' ').collect();
                    keys.sort_unstable();
                    l = format!("{}{}{}", &l[..start], keys.join(" "), &l[start + len..]);
                }
            }
            // `member add`'s ETCD_INITIAL_CLUSTER lists members by id.
            if let Some(v) = l.strip_prefix("ETCD_INITIAL_CLUSTER=\"") {
                let mut parts: Vec<&str> = v.trim_end_matches('"').split(',').collect();
                parts.sort();
                l = format!("ETCD_INITIAL_CLUSTER=\"{}\"", parts.join(","));
            }
            lines.push(l);
        }
        let lines: Vec<String> = lines.iter().map(|l| id_keys(l)).collect();
        let lines = tables(lines);
        let lines = status_lines(&block, lines);
        let lines: Vec<String> = lines.iter().map(|l| ids.replace(l)).collect();
        let lines = sort_member_rows(&block, lines);
        for l in lines {
            out.push_str(&l);
            out.push('\n');
        }
    }
    out
}

/// Splits a transcript into blocks, each an echoed command line and its output.
fn commands(text: &str) -> Vec<String> {
    let mut blocks: Vec<String> = Vec::new();
    let mut in_output = true;
    for line in text.lines() {
        let echo = line.starts_with("> ") || line == ">";
        if echo && in_output {
            blocks.push(String::new());
        }
        in_output = !echo;
        if blocks.is_empty() {
            blocks.push(String::new());
        }
        let b = blocks.last_mut().unwrap();
        b.push_str(line);
        b.push('\n');
    }
    blocks
}

fn urls(line: &str, ports: &[Ports]) -> String {
    if line.starts_with('>') {
        return line.to_string();
    }
    let mut l = line.to_string();
    for (i, p) in ports.iter().enumerate() {
        let n = i + 1;
        l = l.replace(
            &format!("http://127.0.0.1:{}", p.client),
            &format!("http://node{n}:2379"),
        );
        l = l.replace(
            &format!("http://127.0.0.1:{}", p.peer),
            &format!("http://node{n}:2380"),
        );
        l = l.replace(&format!("127.0.0.1:{}", p.client), &format!("node{n}"));
    }
    l
}

/// JSON fields whose values are sizes or Raft indexes.
fn json_fields(line: &str) -> String {
    let mut l = line.to_string();
    for field in ["dbSize", "dbSizeInUse", "raftIndex", "raftAppliedIndex"] {
        l = replace_number_after(&l, &format!("\"{field}\":"), "<N>");
        l = replace_number_after(&l, &format!("\"{field}\":\""), "<N>");
    }
    l = replace_until(&l, "\"took\":\"", '"', "<T>");
    l
}

fn replace_number_after(s: &str, pat: &str, with: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find(pat) {
        out.push_str(&rest[..i + pat.len()]);
        rest = &rest[i + pat.len()..];
        let n = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        if n > 0 {
            out.push_str(with);
        }
        rest = &rest[n..];
    }
    out.push_str(rest);
    out
}

fn replace_until(s: &str, pat: &str, end: char, with: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find(pat) {
        out.push_str(&rest[..i + pat.len()]);
        rest = &rest[i + pat.len()..];
        let n = rest.find(end).unwrap_or(rest.len());
        out.push_str(with);
        rest = &rest[n..];
    }
    out.push_str(rest);
    out
}

/// `took = 2.5ms` (endpoint health's simple output).
fn timings(line: &str) -> String {
    match line.find("took = ") {
        Some(i) if !line.starts_with('>') => format!("{}took = <T>", &line[..i]),
        _ => line.to_string(),
    }
}

/// Tables: cells trimmed, borders shortened; the TOOK, DB SIZE and RAFT (APPLIED) INDEX
/// columns replaced.
fn tables(lines: Vec<String>) -> Vec<String> {
    let mut out = Vec::new();
    let mut header: Vec<String> = Vec::new();
    for l in lines {
        if l.starts_with('+') && l.ends_with('+') && l.len() > 1 {
            out.push("+".to_string());
            continue;
        }
        if l.starts_with('|') && l.ends_with('|') && l.len() > 1 {
            let cells: Vec<String> = l[1..l.len() - 1]
                .split('|')
                .map(|c| c.trim().to_string())
                .collect();
            if header.is_empty() {
                header = cells.clone();
                out.push(format!("| {} |", cells.join(" | ")));
                continue;
            }
            let cells: Vec<String> = cells
                .into_iter()
                .enumerate()
                .map(|(i, c)| match header.get(i).map(String::as_str) {
                    Some("TOOK") => "<T>".to_string(),
                    Some("DB SIZE") => "<SIZE>".to_string(),
                    Some("RAFT INDEX" | "RAFT APPLIED INDEX") => "<N>".to_string(),
                    _ => c,
                })
                .collect();
            out.push(format!("| {} |", cells.join(" | ")));
            continue;
        }
        header.clear();
        out.push(l);
    }
    out
}

/// JSON keys (base64) that hold an id, as lock and election keys do (`mylock/694d77aa9e38260f`):
/// written as `"key":"b64:mylock/694d77aa9e38260f"` so that the id is normalized.
fn id_keys(line: &str) -> String {
    use base64::Engine;
    let pat = "\"key\":\"";
    let mut out = String::new();
    let mut rest = line;
    while let Some(i) = rest.find(pat) {
        out.push_str(&rest[..i + pat.len()]);
        rest = &rest[i + pat.len()..];
        let end = rest.find('"').unwrap_or(rest.len());
        let value = &rest[..end];
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(value)
            .ok()
            .and_then(|b| String::from_utf8(b).ok());
        match decoded {
            Some(text)
                if text.split('/').any(|w| {
                    w.len() >= 12 && w.len() <= 16 && w.bytes().all(|c| c.is_ascii_hexdigit())
                }) =>
            {
                out.push_str("b64:");
                out.push_str(&text);
            }
            _ => out.push_str(value),
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// `endpoint status`'s simple lines: DB SIZE and the Raft indexes.
fn status_lines(block: &str, lines: Vec<String>) -> Vec<String> {
    let cmd = block.lines().next().unwrap_or("");
    if !cmd.contains("endpoint status") || cmd.contains("-w") || cmd.contains("--write-out") {
        return lines;
    }
    lines
        .into_iter()
        .map(|l| {
            let mut cells: Vec<String> = l.split(", ").map(str::to_string).collect();
            if l.starts_with('>') || cells.len() != 10 {
                return l;
            }
            cells[3] = "<SIZE>".into();
            cells[7] = "<N>".into();
            cells[8] = "<N>".into();
            cells.join(", ")
        })
        .collect()
}

/// Member, cluster and lease ids, numbered by first appearance.
#[derive(Default)]
struct Ids {
    seen: BTreeMap<u64, usize>,
}

impl Ids {
    fn token(&mut self, id: u64) -> String {
        let n = self.seen.len() + 1;
        let k = *self.seen.entry(id).or_insert(n);
        format!("<ID{k}>")
    }

    /// Replaces hex words of 12 to 16 digits and decimal words of 13 to 20 digits.
    fn replace(&mut self, line: &str) -> String {
        if line.starts_with('>') {
            return line.to_string();
        }
        let b = line.as_bytes();
        let mut out = String::new();
        let mut i = 0;
        while i < b.len() {
            if b[i].is_ascii_alphanumeric() && (i == 0 || !b[i - 1].is_ascii_alphanumeric()) {
                let mut j = i;
                while j < b.len() && b[j].is_ascii_alphanumeric() {
                    j += 1;
                }
                let w = &line[i..j];
                // A member id etcd prints in hex may have no letter (about one in 1,850 of
                // random 16-digit ids): as a word of digits it would read as a decimal number,
                // so a word that is a known id in hex is that id.
                let known = (12..=16).contains(&w.len())
                    && w.bytes().all(|c| c.is_ascii_digit())
                    && u64::from_str_radix(w, 16).is_ok_and(|v| self.seen.contains_key(&v));
                if known {
                    let v = u64::from_str_radix(w, 16).expect("checked");
                    out.push_str(&self.token(v));
                    i = j;
                    continue;
                }
                let hex = w.len() >= 12
                    && w.len() <= 16
                    && w.bytes()
                        .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c))
                    && w.bytes().any(|c| c.is_ascii_alphabetic());
                let dec = w.len() >= 13 && w.len() <= 20 && w.bytes().all(|c| c.is_ascii_digit());
                if hex {
                    if let Ok(v) = u64::from_str_radix(w, 16) {
                        out.push_str(&self.token(v));
                        i = j;
                        continue;
                    }
                }
                if dec {
                    if let Ok(v) = w.parse::<u64>() {
                        out.push_str(&self.token(v));
                        i = j;
                        continue;
                    }
                }
                out.push_str(w);
                i = j;
                continue;
            }
            let c = line[i..].chars().next().unwrap();
            out.push(c);
            i += c.len_utf8();
        }
        out
    }
}

/// Rows etcd orders by member id (random in a real cluster): `member list`'s lines and
/// members, and every endpoint row of `--cluster` commands, sorted; and the members of a
/// membership change's JSON (a Go map in etcd), sorted.
fn sort_member_rows(block: &str, mut lines: Vec<String>) -> Vec<String> {
    let cmd = block.lines().next().unwrap_or("");
    let by_member = cmd.contains("member list") || cmd.contains("--cluster");
    // A membership change's JSON lists the members from a Go map: in no fixed order.
    let member_json = block
        .lines()
        .take_while(|l| l.starts_with('>'))
        .any(|l| l.contains("member "));
    if !by_member {
        if member_json {
            for l in lines.iter_mut().filter(|l| l.starts_with('{')) {
                *l = sort_json(l);
            }
        }
        return lines;
    }
    let first_out = lines
        .iter()
        .position(|l| !l.starts_with('>'))
        .unwrap_or(lines.len());
    let (echo, out) = lines.split_at_mut(first_out);
    let _ = echo;
    // Plain lines and table rows (after the header row) are sorted; JSON arrays sorted.
    let mut header_seen = false;
    let mut rows: Vec<usize> = Vec::new();
    for (i, l) in out.iter().enumerate() {
        if l.starts_with('|') {
            if header_seen {
                rows.push(i);
            }
            header_seen = true;
        } else if !l.starts_with('+') && !l.starts_with('{') && !l.starts_with('[') {
            rows.push(i);
        }
    }
    let mut sorted: Vec<String> = rows.iter().map(|&i| out[i].clone()).collect();
    sorted.sort();
    for (k, &i) in rows.iter().enumerate() {
        out[i] = sorted[k].clone();
    }
    for l in out.iter_mut() {
        if l.starts_with('{') || l.starts_with('[') {
            *l = sort_json(l);
        }
    }
    lines
}

fn sort_json(l: &str) -> String {
    // Ids are `<IDk>` by now: quote them to parse.
    let quoted = l.replace("<ID", "\"@ID").replace('>', "@\"");
    let Ok(mut v) = serde_json::from_str::<serde_json::Value>(&quoted) else {
        return l.to_string();
    };
    fn walk(v: &mut serde_json::Value) {
        match v {
            serde_json::Value::Array(a) => {
                for x in a.iter_mut() {
                    walk(x);
                }
                a.sort_by_key(|x| x.to_string());
            }
            serde_json::Value::Object(m) => {
                for (_, x) in m.iter_mut() {
                    walk(x);
                }
            }
            _ => {}
        }
    }
    walk(&mut v);
    // serde_json's map keeps keys sorted unless preserve_order: compare as such.
    v.to_string().replace("\"@ID", "<ID").replace("@\"", ">")
}
