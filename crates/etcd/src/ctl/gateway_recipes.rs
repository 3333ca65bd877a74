//! The JSON gateway's lock, election and membership endpoints (`/v3/lock/*`,
//! `/v3/election/*`, `/v3/cluster/member/add|remove|promote|update`), decoded as etcd 3.5.1's
//! grpc-gateway decodes them (checked against the real binary): unknown fields are ignored,
//! anything after the first JSON value is ignored, an int64 may be a JSON number or a string
//! holding one, and a wrong type is Go's `json: cannot unmarshal ... into Go value of type ...`.

use super::jsonpb::{self, Msg};
use super::{ElectionLeader, GatewayRequest, ParseError};

/// The paths this module decodes.
pub(crate) const PATHS: [&str; 10] = [
    "/v3/lock/lock",
    "/v3/lock/unlock",
    "/v3/election/campaign",
    "/v3/election/proclaim",
    "/v3/election/leader",
    "/v3/election/resign",
    "/v3/cluster/member/add",
    "/v3/cluster/member/remove",
    "/v3/cluster/member/promote",
    "/v3/cluster/member/update",
];

/// Decodes the body of a request to `path` (one of [`PATHS`]).
pub(crate) fn request(path: &str, body: &str) -> Result<GatewayRequest, ParseError> {
    let o = Msg::body(body)?;
    Ok(match path {
        "/v3/lock/lock" => GatewayRequest::Lock {
            name: o.bytes("name")?,
            lease: o.int("lease", "lease")?,
        },
        "/v3/lock/unlock" => GatewayRequest::Unlock {
            key: o.bytes("key")?,
        },
        "/v3/election/campaign" => GatewayRequest::Campaign {
            name: o.bytes("name")?,
            lease: o.int("lease", "lease")?,
            value: o.bytes("value")?,
        },
        "/v3/election/proclaim" => GatewayRequest::Proclaim {
            leader: leader(&o)?,
            value: o.bytes("value")?,
        },
        "/v3/election/leader" => GatewayRequest::Leader {
            name: o.bytes("name")?,
        },
        "/v3/election/resign" => GatewayRequest::Resign {
            leader: leader(&o)?,
        },
        "/v3/cluster/member/add" => GatewayRequest::MemberAdd {
            peer_urls: strings(&o, "peerURLs")?,
            is_learner: o.boolean("isLearner", "isLearner")?,
        },
        "/v3/cluster/member/remove" => GatewayRequest::MemberRemove { id: o.uint("ID")? },
        "/v3/cluster/member/update" => GatewayRequest::MemberUpdate {
            id: o.uint("ID")?,
            peer_urls: strings(&o, "peerURLs")?,
        },
        _ => GatewayRequest::MemberPromote { id: o.uint("ID")? },
    })
}

/// The body of the gateway's `POST /v3/watch` (a stream): its `create_request`, decoded as
/// etcd 3.5.1 does; `Ok(None)` when it has none (etcd then waits, answering nothing). The
/// error is the message etcd's gateway answers with (as gRPC's `Unknown`: the watch stream
/// reports it, not the request decoder).
pub fn gateway_watch_request(body: &str) -> Result<Option<kv::WatchCreateRequest>, String> {
    watch_request(body).map_err(|e| message_of(&e))
}

fn watch_request(body: &str) -> Result<Option<kv::WatchCreateRequest>, ParseError> {
    let o = Msg::body(body)?;
    let Some(raw) = o.field("create_request", "createRequest") else {
        return Ok(None);
    };
    let c = Msg::parse(raw)?;
    let key = c.bytes("key")?;
    let range_end = c
        .field("range_end", "rangeEnd")
        .map_or(Ok(Vec::new()), jsonpb::bytes)?;
    let start_revision = c.int("start_revision", "startRevision")?;
    let progress_notify = c.boolean("progress_notify", "progressNotify")?;
    let mut filters = Vec::new();
    for raw in c.get("filters").map_or(Ok(Vec::new()), jsonpb::list)? {
        let n = jsonpb::enumeration(
            raw,
            &["NOPUT", "NODELETE"],
            "etcdserverpb.WatchCreateRequest.FilterType",
        )?;
        filters.push(match n {
            0 => kv::WatchFilter::NoPut,
            1 => kv::WatchFilter::NoDelete,
            // etcd filters nothing for a filter type it does not know.
            _ => continue,
        });
    }
    Ok(Some(kv::WatchCreateRequest {
        key,
        range_end,
        start_revision,
        progress_notify,
        filters,
        prev_kv: c.boolean("prev_kv", "prevKv")?,
        watch_id: c.int("watch_id", "watchId")?,
    }))
}

/// The body of the gateway's `POST /v3/election/observe` (a stream of the election's leaders):
/// the election's name, or the gateway's error body (`{"error":...,"code":3,...}`, answered
/// with HTTP 400 before the stream starts, as etcd 3.5.1 does).
pub fn gateway_observe_request(body: &str) -> Result<Vec<u8>, String> {
    let o = Msg::body(body).map_err(|e| e.0)?;
    o.bytes("name").map_err(|e| e.0)
}

/// The message of an error body.
fn message_of(e: &ParseError) -> String {
    serde_json::from_str::<serde_json::Value>(&e.0)
        .ok()
        .and_then(|v| v.get("error").and_then(|m| m.as_str()).map(str::to_string))
        .unwrap_or_else(|| e.0.clone())
}

/// A repeated string field.
fn strings(o: &Msg, name: &str) -> Result<Vec<String>, ParseError> {
    o.get(name)
        .map_or(Ok(Vec::new()), jsonpb::list)?
        .into_iter()
        .map(jsonpb::string)
        .collect()
}

/// v3election's `LeaderKey` field `leader` (None when missing or null).
fn leader(o: &Msg) -> Result<Option<ElectionLeader>, ParseError> {
    let Some(raw) = o.get("leader") else {
        return Ok(None);
    };
    let f = Msg::parse(raw)?;
    Ok(Some(ElectionLeader {
        name: f.bytes("name")?,
        key: f.bytes("key")?,
        rev: f.int("rev", "rev")?,
        lease: f.int("lease", "lease")?,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ctl::jsonpb::error_json;

    fn req(path: &str, body: &str) -> Result<GatewayRequest, String> {
        request(path, body).map_err(|e| e.0)
    }

    fn err(msg: &str) -> Result<GatewayRequest, String> {
        Err(error_json(msg, 3))
    }

    #[test]
    fn lock_and_election_bodies() {
        assert_eq!(
            req("/v3/lock/lock", r#"{"name":"bXlsb2Nr","lease":"1234"}"#),
            Ok(GatewayRequest::Lock {
                name: b"mylock".to_vec(),
                lease: 1234
            })
        );
        // Unknown fields and trailing text are ignored, as etcd 3.5's gateway does.
        assert_eq!(
            req("/v3/lock/lock", r#"{"name":"bQ==","lease":7,"color":1} x"#),
            Ok(GatewayRequest::Lock {
                name: b"m".to_vec(),
                lease: 7
            })
        );
        assert_eq!(
            req("/v3/election/proclaim", r#"{"value":"eA=="}"#),
            Ok(GatewayRequest::Proclaim {
                leader: None,
                value: b"x".to_vec()
            })
        );
        let Ok(GatewayRequest::Resign { leader: Some(l) }) = req(
            "/v3/election/resign",
            r#"{"leader":{"name":"ZQ==","key":"ZS80ZDI=","rev":"11","lease":"1234"}}"#,
        ) else {
            panic!()
        };
        assert_eq!(
            (l.name, l.key, l.rev, l.lease),
            (b"e".to_vec(), b"e/4d2".to_vec(), 11, 1234)
        );
        assert_eq!(
            req("/v3/election/leader", ""),
            Ok(GatewayRequest::Leader { name: Vec::new() })
        );
    }

    #[test]
    fn watch_bodies() {
        let w = gateway_watch_request(
            r#"{"create_request":{"key":"Zm9v","range_end":"Zm9w","start_revision":"2","prev_kv":true,"filters":["NODELETE"]}}"#,
        )
        .unwrap()
        .unwrap();
        assert_eq!(
            (w.key, w.range_end, w.start_revision, w.prev_kv),
            (b"foo".to_vec(), b"fop".to_vec(), 2, true)
        );
        assert_eq!(w.filters, vec![kv::WatchFilter::NoDelete]);
        assert_eq!(gateway_watch_request("{}"), Ok(None));
        assert_eq!(
            gateway_watch_request(r#"{"create_request":{"key":5}}"#),
            Err("json: cannot unmarshal number into Go value of type []uint8".into())
        );
        assert_eq!(
            gateway_watch_request("x"),
            Err("invalid character 'x' looking for beginning of value".into())
        );
    }

    #[test]
    fn observe_bodies() {
        assert_eq!(
            gateway_observe_request(r#"{"name":"ZWw=","zz":1}"#),
            Ok(b"el".to_vec())
        );
        assert_eq!(gateway_observe_request(""), Ok(Vec::new()));
        assert_eq!(
            gateway_observe_request(r#"{"name": 5}"#),
            Err(error_json(
                "json: cannot unmarshal number into Go value of type []uint8",
                3
            ))
        );
    }

    #[test]
    fn member_bodies() {
        assert_eq!(
            req(
                "/v3/cluster/member/add",
                r#"{"peerURLs":["http://node4:2380"],"isLearner":true}"#
            ),
            Ok(GatewayRequest::MemberAdd {
                peer_urls: vec!["http://node4:2380".into()],
                is_learner: true
            })
        );
        assert_eq!(
            req(
                "/v3/cluster/member/remove",
                r#"{"ID":"18446744073709551615"}"#
            ),
            Ok(GatewayRequest::MemberRemove { id: u64::MAX })
        );
        assert_eq!(
            req("/v3/cluster/member/promote", "{}"),
            Ok(GatewayRequest::MemberPromote { id: 0 })
        );
        assert_eq!(
            req(
                "/v3/cluster/member/update",
                r#"{"ID":"12","peerURLs":["notaurl"],"zz":1}"#
            ),
            Ok(GatewayRequest::MemberUpdate {
                id: 12,
                peer_urls: vec!["notaurl".into()]
            })
        );
        assert_eq!(
            req("/v3/cluster/member/update", r#"{"ID":-1}"#),
            err("json: cannot unmarshal number -1 into Go value of type uint64")
        );
    }

    #[test]
    fn wrong_types_get_go_errors() {
        let lock = "/v3/lock/lock";
        assert_eq!(
            req(lock, r#"{"name":1}"#),
            err("json: cannot unmarshal number into Go value of type []uint8")
        );
        assert_eq!(
            req(lock, r#"{"lease":"abc"}"#),
            err("invalid character 'a' looking for beginning of value")
        );
        assert_eq!(
            req(lock, r#"{"lease":true}"#),
            err("json: cannot unmarshal bool into Go value of type int64")
        );
        assert_eq!(
            req(lock, r#"{"lease":"1.5"}"#),
            err("json: cannot unmarshal number 1.5 into Go value of type int64")
        );
        assert_eq!(
            req(lock, r#"{"name":"b!Q=="}"#),
            err("illegal base64 data at input byte 1")
        );
        assert_eq!(
            req(lock, "[1]"),
            err("json: cannot unmarshal array into Go value of type map[string]json.RawMessage")
        );
        assert_eq!(
            req(lock, "xx"),
            err("invalid character 'x' looking for beginning of value")
        );
        let remove = "/v3/cluster/member/remove";
        assert_eq!(
            req(remove, r#"{"ID":-1}"#),
            err("json: cannot unmarshal number -1 into Go value of type uint64")
        );
        assert_eq!(
            req(remove, r#"{"ID":""}"#),
            err("unexpected end of JSON input")
        );
        assert_eq!(
            req(remove, r#"{"ID":"1a"}"#),
            err("invalid character 'a' after top-level value")
        );
        assert_eq!(
            req(remove, r#"{"ID":{}}"#),
            err("json: cannot unmarshal object into Go value of type uint64")
        );
        let add = "/v3/cluster/member/add";
        assert_eq!(
            req(add, r#"{"peerURLs":"x"}"#),
            err("json: cannot unmarshal string into Go value of type []json.RawMessage")
        );
        assert_eq!(
            req(add, r#"{"peerURLs":[5]}"#),
            err("json: cannot unmarshal number into Go value of type string")
        );
        assert_eq!(
            req(add, r#"{"isLearner":"yes"}"#),
            err("json: cannot unmarshal string into Go value of type bool")
        );
        assert_eq!(
            req("/v3/election/proclaim", r#"{"leader":5}"#),
            err("json: cannot unmarshal number into Go value of type map[string]json.RawMessage")
        );
    }
}
