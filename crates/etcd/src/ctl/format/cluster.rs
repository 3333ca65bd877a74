//! The cluster commands' output: `endpoint status|health|hashkv`, `member list|add|remove|promote`
//! and `move-leader`, in etcdctl's simple, JSON, table and fields forms.

use super::super::goquote;
use super::super::{
    EndpointHashKvRow, EndpointHealthRow, EndpointStatusRow, Header, MemberRow, OutputFormat,
};
use super::obj::{self, Obj, Style};
use super::{fields, json, line, simple, table, NO_TABLE};

const STATUS_HEADER: [&str; 10] = [
    "endpoint",
    "ID",
    "version",
    "db size",
    "is leader",
    "is learner",
    "raft term",
    "raft index",
    "raft applied index",
    "errors",
];

fn status_cells(r: &EndpointStatusRow) -> Vec<String> {
    vec![
        r.endpoint.clone(),
        format!("{:x}", r.id),
        r.version.clone(),
        goquote::human_bytes(r.db_size.max(0) as u64),
        r.is_leader.to_string(),
        r.is_learner.to_string(),
        r.raft_term.to_string(),
        r.raft_index.to_string(),
        r.raft_applied_index.to_string(),
        r.errors.join(", "),
    ]
}

/// The `Status` object of `endpoint status -w json` (etcdserverpb.StatusResponse).
pub(crate) fn status_json(r: &EndpointStatusRow, style: Style) -> String {
    let h = Header {
        cluster_id: r.cluster_id,
        member_id: r.id,
        revision: r.revision,
        raft_term: r.raft_term,
    };
    let errors: Vec<String> = r.errors.iter().map(|e| obj::string(style, e)).collect();
    Obj::new(style)
        .raw("header", &json::header(&h, style))
        .str_nz("version", &r.version)
        .int_nz("dbSize", r.db_size)
        .int_nz("leader", r.leader)
        .int_nz("raftIndex", r.raft_index)
        .int_nz("raftTerm", r.raft_term)
        .int_nz("raftAppliedIndex", r.raft_applied_index)
        .list_nz("errors", &errors)
        .int_nz("dbSizeInUse", r.db_size_in_use)
        .bool_nz("isLearner", r.is_learner)
        .done()
}

/// `endpoint status`: one comma-separated line per endpoint (simple), etcdctl's table, or
/// `[{"Endpoint":..,"Status":{..}}]`.
pub fn endpoint_status(rows: &[EndpointStatusRow], f: OutputFormat) -> String {
    match f {
        OutputFormat::Simple | OutputFormat::Hex => rows
            .iter()
            .map(|r| line(status_cells(r).join(", ")))
            .collect(),
        OutputFormat::Fields => {
            let mut out = String::new();
            fields::endpoint_status(&mut out, rows);
            out
        }
        OutputFormat::Table => table::render(
            &STATUS_HEADER,
            &rows.iter().map(status_cells).collect::<Vec<_>>(),
        ),
        OutputFormat::Json => {
            let items: Vec<String> = rows
                .iter()
                .map(|r| {
                    Obj::new(Style::Go)
                        .str("Endpoint", &r.endpoint)
                        .raw("Status", &status_json(r, Style::Go))
                        .done()
                })
                .collect();
            line(format!("[{}]", items.join(",")))
        }
    }
}

/// `endpoint health`: `node1 is healthy: successfully committed proposal: took = 2ms` (or
/// `... is unhealthy: failed to commit proposal: <error>`), then `Error: unhealthy cluster`
/// if any endpoint is unhealthy.
pub fn endpoint_health(rows: &[EndpointHealthRow], f: OutputFormat) -> String {
    let mut out = match f {
        OutputFormat::Simple | OutputFormat::Hex => rows
            .iter()
            .map(|r| match (&r.error, r.health) {
                (None, true) => format!(
                    "{} is healthy: successfully committed proposal: took = {}\n",
                    r.endpoint,
                    goquote::duration(r.took_ms)
                ),
                (e, _) => format!(
                    "{} is unhealthy: failed to commit proposal: {}\n",
                    r.endpoint,
                    e.as_deref().unwrap_or("unhealthy")
                ),
            })
            .collect(),
        OutputFormat::Fields => {
            let mut out = String::new();
            fields::endpoint_health(&mut out, rows, goquote::duration);
            out
        }
        OutputFormat::Table => table::render(
            &["endpoint", "health", "took", "error"],
            &rows
                .iter()
                .map(|r| {
                    vec![
                        r.endpoint.clone(),
                        r.health.to_string(),
                        goquote::duration(r.took_ms),
                        r.error.clone().unwrap_or_default(),
                    ]
                })
                .collect::<Vec<_>>(),
        ),
        OutputFormat::Json => {
            let items: Vec<String> = rows
                .iter()
                .map(|r| {
                    Obj::new(Style::Go)
                        .str("endpoint", &r.endpoint)
                        .bool("health", r.health)
                        .str("took", &goquote::duration(r.took_ms))
                        .str_nz("error", r.error.as_deref().unwrap_or(""))
                        .done()
                })
                .collect();
            line(format!("[{}]", items.join(",")))
        }
    };
    if rows.iter().any(|r| !r.health || r.error.is_some()) {
        out.push_str("Error: unhealthy cluster\n");
    }
    out
}

/// `endpoint hashkv`: `node1, 1084519789` per endpoint, a table, or JSON.
pub fn endpoint_hashkv(rows: &[EndpointHashKvRow], f: OutputFormat) -> String {
    let cells = |r: &EndpointHashKvRow| vec![r.endpoint.clone(), r.hash.to_string()];
    match f {
        OutputFormat::Simple | OutputFormat::Hex => {
            rows.iter().map(|r| line(cells(r).join(", "))).collect()
        }
        OutputFormat::Fields => {
            let mut out = String::new();
            fields::endpoint_hashkv(&mut out, rows);
            out
        }
        OutputFormat::Table => table::render(
            &["endpoint", "hash"],
            &rows.iter().map(cells).collect::<Vec<_>>(),
        ),
        OutputFormat::Json => {
            let items: Vec<String> = rows
                .iter()
                .map(|r| {
                    let hash = Obj::new(Style::Go)
                        .raw("header", &json::header(&r.header, Style::Go))
                        .int_nz("hash", r.hash)
                        .int_nz("compact_revision", r.compact_revision)
                        .done();
                    Obj::new(Style::Go)
                        .str("Endpoint", &r.endpoint)
                        .raw("HashKV", &hash)
                        .done()
                })
                .collect();
            line(format!("[{}]", items.join(",")))
        }
    }
}

fn member_cells(m: &MemberRow) -> Vec<String> {
    vec![
        format!("{:x}", m.id),
        m.status.clone(),
        m.name.clone(),
        m.peer_urls.join(","),
        m.client_urls.join(","),
        m.is_learner.to_string(),
    ]
}

fn member_json(m: &MemberRow, style: Style) -> String {
    let urls = |u: &[String]| u.iter().map(|s| obj::string(style, s)).collect::<Vec<_>>();
    Obj::new(style)
        .int_nz("ID", m.id)
        .str_nz("name", &m.name)
        .list_nz("peerURLs", &urls(&m.peer_urls))
        .list_nz("clientURLs", &urls(&m.client_urls))
        .bool_nz("isLearner", m.is_learner)
        .done()
}

fn members_json(h: &Header, members: &[MemberRow], member: Option<&MemberRow>) -> String {
    members_json_style(h, members, member, Style::Go)
}

/// A cluster response (`member list|add|remove|promote`): its header has no revision.
pub(crate) fn members_json_style(
    h: &Header,
    members: &[MemberRow],
    member: Option<&MemberRow>,
    style: Style,
) -> String {
    let h = Header { revision: 0, ..*h };
    let mut o = Obj::new(style);
    o.raw("header", &json::header(&h, style));
    if let Some(m) = member {
        o.raw("member", &member_json(m, style));
    }
    let list: Vec<String> = members.iter().map(|m| member_json(m, style)).collect();
    line(o.list_nz("members", &list).done())
}

/// `member list`: `8e9e05c52164694d, started, node1, http://node1:2380, http://node1:2379, false`.
pub fn member_list(h: &Header, members: &[MemberRow], f: OutputFormat) -> String {
    match f {
        OutputFormat::Simple | OutputFormat::Hex => members
            .iter()
            .map(|m| line(member_cells(m).join(", ")))
            .collect(),
        OutputFormat::Fields => {
            let mut out = String::new();
            fields::member_list(&mut out, h, members);
            out
        }
        OutputFormat::Table => table::render(
            &[
                "ID",
                "Status",
                "Name",
                "Peer Addrs",
                "Client Addrs",
                "Is Learner",
            ],
            &members.iter().map(member_cells).collect::<Vec<_>>(),
        ),
        OutputFormat::Json => members_json(h, members, None),
    }
}

/// `member add`: `Member 8e9e05c52164694d added to cluster ...` and the `ETCD_*` lines to
/// start the new member with. `member` is the new member (with its name); `members` the list
/// after the change.
pub fn member_add(
    h: &Header,
    member: &MemberRow,
    members: &[MemberRow],
    f: OutputFormat,
) -> String {
    match f {
        OutputFormat::Simple | OutputFormat::Hex => {
            // etcdctl 3.5 says the same for a learner (3.6 says "added as learner").
            let mut out = format!(
                "Member {} added to cluster {}\n",
                simple::hex16_spaces(member.id),
                simple::hex16_spaces(h.cluster_id)
            );
            let mut conf = Vec::new();
            for m in members {
                let name = if m.id == member.id {
                    &member.name
                } else {
                    &m.name
                };
                for u in &m.peer_urls {
                    conf.push(format!("{name}={u}"));
                }
            }
            out.push('\n');
            out.push_str(&format!(
                "ETCD_NAME={}\n",
                goquote::quote(member.name.as_bytes())
            ));
            out.push_str(&format!(
                "ETCD_INITIAL_CLUSTER={}\n",
                goquote::quote(conf.join(",").as_bytes())
            ));
            out.push_str(&format!(
                "ETCD_INITIAL_ADVERTISE_PEER_URLS={}\n",
                goquote::quote(member.peer_urls.join(",").as_bytes())
            ));
            out.push_str("ETCD_INITIAL_CLUSTER_STATE=\"existing\"\n");
            out
        }
        OutputFormat::Json => members_json(h, members, Some(member)),
        OutputFormat::Fields => fields::UNSUPPORTED.into(),
        OutputFormat::Table => NO_TABLE.into(),
    }
}

/// `member remove`: `Member                3 removed from cluster 1c0d2f5e6a0b1c2d`.
pub fn member_remove(h: &Header, id: u64, members: &[MemberRow], f: OutputFormat) -> String {
    match f {
        OutputFormat::Simple | OutputFormat::Hex => format!(
            "Member {} removed from cluster {}\n",
            simple::hex16_spaces(id),
            simple::hex16_spaces(h.cluster_id)
        ),
        OutputFormat::Json => members_json(h, members, None),
        OutputFormat::Fields => fields::UNSUPPORTED.into(),
        OutputFormat::Table => NO_TABLE.into(),
    }
}

/// `member promote`: `Member 3 promoted in cluster ...` (ids as `%16x`).
pub fn member_promote(h: &Header, id: u64, members: &[MemberRow], f: OutputFormat) -> String {
    match f {
        OutputFormat::Simple | OutputFormat::Hex => format!(
            "Member {} promoted in cluster {}\n",
            simple::hex16_spaces(id),
            simple::hex16_spaces(h.cluster_id)
        ),
        OutputFormat::Json => members_json(h, members, None),
        OutputFormat::Fields => fields::UNSUPPORTED.into(),
        OutputFormat::Table => NO_TABLE.into(),
    }
}

/// `member update`: `Member 3 updated in cluster ...` (ids as `%16x`).
pub fn member_update(h: &Header, id: u64, members: &[MemberRow], f: OutputFormat) -> String {
    match f {
        OutputFormat::Simple | OutputFormat::Hex => format!(
            "Member {} updated in cluster {}\n",
            simple::hex16_spaces(id),
            simple::hex16_spaces(h.cluster_id)
        ),
        OutputFormat::Json => members_json(h, members, None),
        OutputFormat::Fields => fields::UNSUPPORTED.into(),
        OutputFormat::Table => NO_TABLE.into(),
    }
}

/// `move-leader`: `Leadership transferred from 1 to 3` (ids in hex); `-w json` prints `{}`,
/// as etcd 3.5.1's MoveLeader answers without a header.
pub fn move_leader(leader: u64, target: u64, f: OutputFormat) -> String {
    match f {
        OutputFormat::Simple | OutputFormat::Hex => {
            format!("Leadership transferred from {leader:x} to {target:x}\n")
        }
        OutputFormat::Json => line("{}".into()),
        OutputFormat::Fields => fields::UNSUPPORTED.into(),
        OutputFormat::Table => "Error: table not supported as output format\n".into(),
    }
}
