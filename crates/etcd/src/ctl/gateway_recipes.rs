//! The JSON gateway's lock, election and membership endpoints (`/v3/lock/*`,
//! `/v3/election/*`, `/v3/cluster/member/add|remove|promote`), decoded as etcd 3.5.1's
//! grpc-gateway decodes them (checked against the real binary): unknown fields are ignored,
//! anything after the first JSON value is ignored, an int64 may be a JSON number or a string
//! holding one, and a wrong type is Go's `json: cannot unmarshal ... into Go value of type ...`.

use serde_json::{Map, Value};

use super::gateway_fields::{base64_bytes, error_json, kind, INVALID_ARGUMENT};
use super::{ElectionLeader, GatewayRequest, ParseError};

/// The paths this module decodes.
pub(crate) const PATHS: [&str; 9] = [
    "/v3/lock/lock",
    "/v3/lock/unlock",
    "/v3/election/campaign",
    "/v3/election/proclaim",
    "/v3/election/leader",
    "/v3/election/resign",
    "/v3/cluster/member/add",
    "/v3/cluster/member/remove",
    "/v3/cluster/member/promote",
];

fn bad(msg: impl AsRef<str>) -> ParseError {
    ParseError::raw(error_json(msg.as_ref(), INVALID_ARGUMENT))
}

fn cannot(what: &str, go_type: &str) -> ParseError {
    bad(format!(
        "json: cannot unmarshal {what} into Go value of type {go_type}"
    ))
}

/// Decodes the body of a request to `path` (one of [`PATHS`]).
pub(crate) fn request(path: &str, body: &str) -> Result<GatewayRequest, ParseError> {
    let obj = first_object(body)?;
    let o = Fields(&obj);
    Ok(match path {
        "/v3/lock/lock" => GatewayRequest::Lock {
            name: o.bytes("name")?,
            lease: o.int("lease")?,
        },
        "/v3/lock/unlock" => GatewayRequest::Unlock {
            key: o.bytes("key")?,
        },
        "/v3/election/campaign" => GatewayRequest::Campaign {
            name: o.bytes("name")?,
            lease: o.int("lease")?,
            value: o.bytes("value")?,
        },
        "/v3/election/proclaim" => GatewayRequest::Proclaim {
            leader: o.leader()?,
            value: o.bytes("value")?,
        },
        "/v3/election/leader" => GatewayRequest::Leader {
            name: o.bytes("name")?,
        },
        "/v3/election/resign" => GatewayRequest::Resign {
            leader: o.leader()?,
        },
        "/v3/cluster/member/add" => GatewayRequest::MemberAdd {
            peer_urls: o.strings("peerURLs")?,
            is_learner: o.boolean("isLearner")?,
        },
        "/v3/cluster/member/remove" => GatewayRequest::MemberRemove { id: o.uint("ID")? },
        _ => GatewayRequest::MemberPromote { id: o.uint("ID")? },
    })
}

/// The body of the gateway's `POST /v3/watch` (a stream): its `create_request`, decoded as
/// etcd 3.5.1 does; `Ok(None)` when it has none (etcd then waits, answering nothing). The
/// error is the message etcd's gateway answers with (as gRPC's `Unknown`: the watch stream
/// reports it, not the request decoder).
pub fn gateway_watch_request(body: &str) -> Result<Option<kv::WatchCreateRequest>, String> {
    let obj = first_object(body).map_err(|e| message_of(&e))?;
    let o = Fields(&obj);
    let create = o.get("create_request").or_else(|| o.get("createRequest"));
    let m = match create {
        None => return Ok(None),
        Some(Value::Object(m)) => m,
        Some(other) => {
            return Err(message_of(&cannot(
                kind(other),
                "map[string]json.RawMessage",
            )))
        }
    };
    let c = Fields(m);
    let either = |a: &str, b: &str| {
        if m.contains_key(a) {
            a.to_string()
        } else {
            b.to_string()
        }
    };
    let filters = match c.get("filters") {
        None => Vec::new(),
        Some(Value::Array(items)) => {
            let mut out = Vec::new();
            for i in items {
                out.push(match i {
                    Value::String(s) if s == "NOPUT" => kv::WatchFilter::NoPut,
                    Value::String(s) if s == "NODELETE" => kv::WatchFilter::NoDelete,
                    Value::Number(n) if n.as_u64() == Some(0) => kv::WatchFilter::NoPut,
                    Value::Number(n) if n.as_u64() == Some(1) => kv::WatchFilter::NoDelete,
                    Value::String(s) => {
                        return Err(format!(
                            "invalid value for enum type: {}",
                            super::goquote::quote(s.as_bytes())
                        ))
                    }
                    other => return Err(format!("invalid value for enum type: {other}")),
                });
            }
            out
        }
        Some(other) => {
            return Err(message_of(&cannot(kind(other), "[]json.RawMessage")));
        }
    };
    let r = (|| {
        Ok(kv::WatchCreateRequest {
            key: c.bytes("key")?,
            range_end: c.bytes(&either("range_end", "rangeEnd"))?,
            start_revision: c.int(&either("start_revision", "startRevision"))?,
            prev_kv: c.boolean(&either("prev_kv", "prevKv"))?,
            filters,
            progress_notify: c.boolean(&either("progress_notify", "progressNotify"))?,
            watch_id: c.int(&either("watch_id", "watchId"))?,
        })
    })()
    .map_err(|e: ParseError| message_of(&e))?;
    Ok(Some(r))
}

/// The message of an error body.
fn message_of(e: &ParseError) -> String {
    serde_json::from_str::<Value>(&e.0)
        .ok()
        .and_then(|v| v.get("error").and_then(Value::as_str).map(str::to_string))
        .unwrap_or_else(|| e.0.clone())
}

/// The first JSON value of the body, which must be an object (an empty body is `{}`).
fn first_object(body: &str) -> Result<Map<String, Value>, ParseError> {
    if body.trim().is_empty() {
        return Ok(Map::new());
    }
    let mut values = serde_json::Deserializer::from_str(body).into_iter::<Value>();
    match values.next() {
        None => Ok(Map::new()),
        Some(Err(e)) => Err(bad(super::gateway_fields::json_error(body, &e))),
        Some(Ok(Value::Object(m))) => Ok(m),
        Some(Ok(Value::Null)) => Ok(Map::new()),
        Some(Ok(other)) => Err(cannot(kind(&other), "map[string]json.RawMessage")),
    }
}

/// A message's fields by their JSON name (or their protobuf name where it differs).
struct Fields<'a>(&'a Map<String, Value>);

impl Fields<'_> {
    fn get(&self, name: &str) -> Option<&Value> {
        self.0.get(name).filter(|v| !v.is_null())
    }

    fn bytes(&self, name: &str) -> Result<Vec<u8>, ParseError> {
        match self.get(name) {
            None => Ok(Vec::new()),
            Some(Value::String(s)) => base64_bytes(s),
            // Go's encoding/json reads a []byte from an array of numbers too.
            Some(Value::Array(items)) => items
                .iter()
                .map(|i| match i {
                    Value::Number(n) => n
                        .as_u64()
                        .and_then(|n| u8::try_from(n).ok())
                        .ok_or_else(|| cannot(&format!("number {n}"), "uint8")),
                    other => Err(cannot(kind(other), "uint8")),
                })
                .collect(),
            Some(other) => Err(cannot(kind(other), "[]uint8")),
        }
    }

    fn int(&self, name: &str) -> Result<i64, ParseError> {
        let Some(text) = self.number_text(name, "int64")? else {
            return Ok(0);
        };
        text.parse::<i64>()
            .map_err(|_| cannot(&format!("number {text}"), "int64"))
    }

    fn uint(&self, name: &str) -> Result<u64, ParseError> {
        let Some(text) = self.number_text(name, "uint64")? else {
            return Ok(0);
        };
        text.parse::<u64>()
            .map_err(|_| cannot(&format!("number {text}"), "uint64"))
    }

    /// The text of a number field: a JSON number, or a string holding one (grpc-gateway's
    /// int64 encoding), read as JSON.
    fn number_text(&self, name: &str, go_type: &str) -> Result<Option<String>, ParseError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Number(n)) => Ok(Some(n.to_string())),
            Some(Value::String(s)) => match serde_json::from_str::<Value>(s) {
                Ok(Value::Number(n)) => Ok(Some(n.to_string())),
                Ok(Value::Null) => Ok(None),
                Ok(other) => Err(cannot(kind(&other), go_type)),
                Err(e) if e.is_eof() => Err(bad("unexpected end of JSON input")),
                Err(e) => Err(bad(super::gateway_fields::json_error(s, &e))),
            },
            Some(other) => Err(cannot(kind(other), go_type)),
        }
    }

    fn boolean(&self, name: &str) -> Result<bool, ParseError> {
        match self.get(name) {
            None => Ok(false),
            Some(Value::Bool(b)) => Ok(*b),
            Some(other) => Err(cannot(kind(other), "bool")),
        }
    }

    fn strings(&self, name: &str) -> Result<Vec<String>, ParseError> {
        match self.get(name) {
            None => Ok(Vec::new()),
            Some(Value::Array(items)) => items
                .iter()
                .map(|i| match i {
                    Value::String(s) => Ok(s.clone()),
                    Value::Null => Ok(String::new()),
                    other => Err(cannot(kind(other), "string")),
                })
                .collect(),
            Some(other) => Err(cannot(kind(other), "[]json.RawMessage")),
        }
    }

    /// v3election's `LeaderKey` field `leader` (None when missing or null).
    fn leader(&self) -> Result<Option<ElectionLeader>, ParseError> {
        match self.get("leader") {
            None => Ok(None),
            Some(Value::Object(m)) => {
                let f = Fields(m);
                Ok(Some(ElectionLeader {
                    name: f.bytes("name")?,
                    key: f.bytes("key")?,
                    rev: f.int("rev")?,
                    lease: f.int("lease")?,
                }))
            }
            Some(other) => Err(cannot(kind(other), "map[string]json.RawMessage")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
