//! The arguments of the commands that are not put, get, del or txn (those are in
//! `kv_args`): watch, lock, elect, and the `lease`, `endpoint` and `member` groups, with
//! etcdctl's messages for wrong ones.

use super::flags::Parsed;
use super::kv_args::too_large;
use super::{goquote, Command, ParseError};

fn err(msg: impl AsRef<str>) -> ParseError {
    ParseError::new(msg)
}

/// The subcommands of a command group (`lease`, `endpoint`, `member`), or `None` for a
/// command that is not a group.
pub(crate) fn is_group(name: &str) -> Option<&'static [&'static str]> {
    match name {
        "lease" => Some(&["grant", "revoke", "timetolive", "keep-alive", "list"]),
        "endpoint" => Some(&["status", "health", "hashkv"]),
        "member" => Some(&["list", "add", "remove", "promote", "update"]),
        _ => None,
    }
}

/// Exactly `N` positional arguments as text, or `msg`.
pub(crate) fn args<const N: usize>(p: &Parsed, msg: &str) -> Result<[String; N], ParseError> {
    if p.args.len() != N {
        return Err(err(msg));
    }
    Ok(std::array::from_fn(|i| {
        String::from_utf8_lossy(&p.args[i]).into_owned()
    }))
}

/// `watch KEY [RANGE_END]` and its flags.
pub(crate) fn watch(p: &Parsed) -> Result<Command, ParseError> {
    if p.bool("interactive") {
        return Err(err(
            "watch -i (interactive) is not supported by raftlab; give one watch per line",
        ));
    }
    if p.args.is_empty() || p.args.len() > 2 {
        return Err(err("bad number of arguments"));
    }
    let prefix = p.bool("prefix");
    let mut key = p.args[0].clone();
    let mut range_end = p.args.get(1).cloned().unwrap_or_default();
    if p.args.len() == 2 && prefix {
        return Err(err("`range_end` and `--prefix` are mutually exclusive"));
    }
    if prefix {
        if key.is_empty() {
            key = vec![0];
            range_end = vec![0];
        } else {
            range_end = kv::prefix_end(&key);
        }
    }
    too_large(key.len() + range_end.len()).map_err(err)?;
    Ok(Command::Watch {
        req: kv::WatchCreateRequest {
            key,
            range_end,
            start_revision: p.int("rev", 0),
            prev_kv: p.bool("prev-kv"),
            progress_notify: p.bool("progress-notify"),
            ..Default::default()
        },
    })
}

fn lease_id(s: &str) -> Result<i64, ParseError> {
    goquote::parse_int(s, 16)
        .map_err(|e| err(format!("bad lease ID arg ({e}), expecting ID in Hex")))
}

fn member_id(s: &str) -> Result<u64, ParseError> {
    goquote::parse_uint(s, 16)
        .map_err(|e| err(format!("bad member ID arg ({e}), expecting ID in Hex")))
}

/// clientv3's check of a member's peer URL (etcd's `types.NewURLs`, for the common cases of
/// Go's `url.Parse`).
fn check_peer_url(raw: &str) -> Result<(), ParseError> {
    let u = raw.trim();
    let (scheme, rest) = match u.split_once(':') {
        Some((s, r))
            if s.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')) =>
        {
            (s.to_ascii_lowercase(), r)
        }
        _ => (String::new(), u),
    };
    let (host, path) = match rest.strip_prefix("//") {
        Some(r) => {
            let r = r.split(['?', '#']).next().unwrap_or("");
            r.split_at(r.find('/').unwrap_or(r.len()))
        }
        None => ("", rest.split(['?', '#']).next().unwrap_or("")),
    };
    let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
    // Go's url.Parse refuses a port that is not a number.
    if let Some((_, port)) = host.rsplit_once(':').filter(|_| !host.ends_with(']')) {
        if !port.chars().all(|c| c.is_ascii_digit()) {
            return Err(err(format!(
                "parse {}: invalid port {} after host",
                goquote::quote(u.as_bytes()),
                goquote::quote(format!(":{port}").as_bytes())
            )));
        }
    }
    if !matches!(scheme.as_str(), "http" | "https" | "unix" | "unixs") {
        return Err(err(format!(
            "URL scheme must be http, https, unix, or unixs: {u}"
        )));
    }
    let has_port = host
        .rsplit_once(':')
        .is_some_and(|(h, _)| !h.contains(':') || h.ends_with(']'));
    if !has_port {
        return Err(err(format!(
            "URL address does not have the form \"host:port\": {u}"
        )));
    }
    if !path.is_empty() {
        return Err(err(format!("URL must not contain a path: {u}")));
    }
    Ok(())
}

/// A subcommand of the group `name` (`lease grant`, `member add`, ...).
pub(crate) fn group(name: &str, sub: Option<&str>, p: &Parsed) -> Result<Command, ParseError> {
    let subs = is_group(name).unwrap_or(&[]);
    let Some(sub) = sub else {
        return Err(err(format!(
            "{name} needs a subcommand: {}",
            subs.join(", ")
        )));
    };
    Ok(match (name, sub) {
        ("lease", "grant") => {
            let [ttl] = args::<1>(p, "lease grant command needs TTL argument")?;
            let ttl = goquote::parse_int(&ttl, 10).map_err(|e| err(format!("bad TTL ({e})")))?;
            Command::LeaseGrant { ttl }
        }
        ("lease", "revoke") => {
            let [id] = args::<1>(p, "lease revoke command needs 1 argument")?;
            Command::LeaseRevoke { id: lease_id(&id)? }
        }
        ("lease", "timetolive") => {
            let [id] = args::<1>(p, "lease timetolive command needs lease ID as argument")?;
            Command::LeaseTimeToLive {
                id: lease_id(&id)?,
                keys: p.bool("keys"),
            }
        }
        ("lease", "keep-alive") => {
            let [id] = args::<1>(p, "lease keep-alive command needs lease ID as argument")?;
            Command::LeaseKeepAlive {
                id: lease_id(&id)?,
                once: p.bool("once"),
            }
        }
        ("lease", "list") => {
            args::<0>(p, "lease list command does not accept argument")?;
            Command::LeaseList
        }
        ("endpoint", "status") => Command::EndpointStatus {
            cluster: p.bool("cluster"),
        },
        ("endpoint", "health") => Command::EndpointHealth {
            cluster: p.bool("cluster"),
        },
        ("endpoint", "hashkv") => Command::EndpointHashKv {
            rev: p.int("rev", 0),
            cluster: p.bool("cluster"),
        },
        ("member", "list") => {
            args::<0>(p, "member list command does not accept argument")?;
            Command::MemberList
        }
        ("member", "add") => {
            let [name] = args::<1>(p, "member name not provided")?;
            let peer_urls: Vec<String> = p
                .str("peer-urls")
                .unwrap_or("")
                .split(',')
                .map(str::trim)
                .filter(|u| !u.is_empty())
                .map(str::to_string)
                .collect();
            if peer_urls.is_empty() {
                return Err(err("member peer urls not provided"));
            }
            Command::MemberAdd {
                name,
                learner: p.bool("learner"),
                peer_urls,
            }
        }
        ("member", "remove") => {
            let [id] = args::<1>(p, "member ID is not provided")?;
            Command::MemberRemove {
                id: member_id(&id)?,
            }
        }
        ("member", "promote") => {
            let [id] = args::<1>(p, "member ID is not provided")?;
            Command::MemberPromote {
                id: member_id(&id)?,
            }
        }
        ("member", "update") => {
            let [id] = args::<1>(p, "member ID is not provided")?;
            let id = member_id(&id)?;
            let urls = p.str("peer-urls").unwrap_or("");
            if urls.is_empty() {
                return Err(err("member peer urls not provided"));
            }
            // etcdctl sends the list as split, after clientv3 checked it (`types.NewURLs`).
            let peer_urls: Vec<String> = urls.split(',').map(str::to_string).collect();
            for u in &peer_urls {
                check_peer_url(u)?;
            }
            Command::MemberUpdate { id, peer_urls }
        }
        (_, s) => {
            return Err(err(format!(
                "unknown command {} for \"etcdctl {name}\"",
                goquote::quote(s.as_bytes())
            )))
        }
    })
}

/// `lock NAME` (a command to run under the lock is not supported).
pub(crate) fn lock(p: &Parsed) -> Result<Command, ParseError> {
    match p.args.as_slice() {
        [] => Err(err(
            "lock takes a lock name argument and an optional command to execute",
        )),
        [name] => Ok(Command::Lock {
            name: String::from_utf8_lossy(name).into_owned(),
            ttl: p.int("ttl", 10),
        }),
        _ => Err(err(
            "lock with a command to execute is not supported by raftlab",
        )),
    }
}

/// `elect NAME PROPOSAL` or `elect -l NAME`.
pub(crate) fn elect(p: &Parsed) -> Result<Command, ParseError> {
    let listen = p.bool("listen");
    let text = |b: &Vec<u8>| String::from_utf8_lossy(b).into_owned();
    match p.args.as_slice() {
        [name] if listen => Ok(Command::Elect {
            name: text(name),
            proposal: None,
            listen,
        }),
        [_] => Err(err("no proposal argument but -l not set")),
        [_, _] if listen => Err(err("proposal given but -l is set")),
        [name, prop] => Ok(Command::Elect {
            name: text(name),
            proposal: Some(text(prop)),
            listen,
        }),
        _ => Err(err(
            "elect takes one election name argument and an optional proposal argument",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peer_urls() {
        assert!(check_peer_url("http://127.0.0.1:2380").is_ok());
        assert!(check_peer_url("unix://sock:1").is_ok());
        let e = |u: &str| check_peer_url(u).unwrap_err().0;
        assert_eq!(
            e("http://a:x"),
            r#"Error: parse "http://a:x": invalid port ":x" after host"#
        );
        assert_eq!(
            e("ftp://a:1"),
            "Error: URL scheme must be http, https, unix, or unixs: ftp://a:1"
        );
        assert_eq!(
            e("http://a"),
            r#"Error: URL address does not have the form "host:port": http://a"#
        );
        assert_eq!(
            e("http://a:1/x"),
            "Error: URL must not contain a path: http://a:1/x"
        );
    }

    #[test]
    fn ids() {
        assert_eq!(member_id("ff").unwrap(), 255);
        assert_eq!(lease_id("10").unwrap(), 16);
        assert_eq!(
            member_id("xyz").unwrap_err().0,
            r#"Error: bad member ID arg (strconv.ParseUint: parsing "xyz": invalid syntax), expecting ID in Hex"#
        );
    }
}
