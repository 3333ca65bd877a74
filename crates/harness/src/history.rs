//! Client histories of the etcd service, in the checker's terms.
//!
//! A [`Recorder`] notes each client call as it is issued (client id, [`Input`], call time) and
//! fills in its response when the service reports the operation done, turning the service's
//! [`OpResult`] into the checker's [`Output`]. Anything but a definite answer (a timeout, a lost
//! leader, a crashed member, an error the model does not know) becomes [`Output::Unknown`]:
//! the write may or may not have taken effect, and the checker explores both.
//!
//! A driver of the typed client ([`etcd::client`]) records its calls by call and their answers
//! from the client's events ([`Recorder::answer_event`], through [`event_output`], which reads
//! the client's messages as [`to_output`] reads the service's results).
//!
//! The leader's lease expiry is recorded too, as a [`Input::LeaseRevoke`] by the pseudo-client
//! [`SERVER_CLIENT`] (see [`etcd::Service::record_expiry_revokes`]), so that the revisions it
//! uses are explained.

use std::collections::BTreeMap;

use check::history::{Input, Operation, Output, Rejection};

use etcd::client::{EventKind, Reply};
use etcd::machine::EtcdResponse;
use etcd::service::{OpId, OpResult};

/// The client id of operations the server issues itself (lease revokes on expiry).
pub const SERVER_CLIENT: u32 = u32::MAX;

/// Records operations as they are issued and answered, each under a key `K` (the service's
/// operation id, or whatever names a call of the driver that records).
#[derive(Debug, Clone)]
pub struct Recorder<K = OpId> {
    history: Vec<Operation>,
    pending: BTreeMap<K, usize>,
}

impl<K> Default for Recorder<K> {
    fn default() -> Self {
        Recorder {
            history: Vec::new(),
            pending: BTreeMap::new(),
        }
    }
}

impl<K: Ord + Copy> Recorder<K> {
    /// An empty recorder.
    pub fn new() -> Self {
        Self::default()
    }

    /// Notes that `client` called `input` at `now` as operation `op`.
    pub fn call(&mut self, op: K, client: u32, input: Input, now: u64) {
        self.pending.insert(op, self.history.len());
        self.history.push(Operation {
            client,
            call_ms: now,
            return_ms: None,
            input,
            output: Output::Unknown,
        });
    }

    /// Whether `op` is a recorded call still waiting for its answer.
    pub fn is_pending(&self, op: K) -> bool {
        self.pending.contains_key(&op)
    }

    /// The recorded call of `op`, if it is still pending.
    pub fn input(&self, op: K) -> Option<&Input> {
        self.pending.get(&op).map(|&i| &self.history[i].input)
    }

    /// Records the answer to `op` at `now`; returns the output (or `None` if `op` was not a
    /// pending call).
    pub fn answer(&mut self, op: K, result: &OpResult, now: u64) -> Option<Output> {
        self.settle(op, now, |input| to_output(input, result))
    }

    /// Records the answer to `op` from the typed client's event `kind` at `now`, as
    /// [`Recorder::answer`] does from the service's result.
    pub fn answer_event(&mut self, op: K, kind: &EventKind, now: u64) -> Option<Output> {
        self.settle(op, now, |input| event_output(input, kind))
    }

    fn settle(&mut self, op: K, now: u64, output: impl FnOnce(&Input) -> Output) -> Option<Output> {
        let i = self.pending.remove(&op)?;
        let rec = &mut self.history[i];
        let output = output(&rec.input);
        rec.return_ms = Some(now);
        rec.output = output.clone();
        Some(output)
    }

    /// Drops the pending call `op` as if it was never made (for calls that failed before
    /// reaching anything, such as a member that does not exist).
    pub fn forget(&mut self, op: K) {
        if let Some(i) = self.pending.remove(&op) {
            // Keep indices stable: the entry becomes a read with unknown output, which the
            // checker ignores.
            self.history[i].input = Input::Get {
                key: String::new(),
                revision: None,
            };
            self.history[i].output = Output::Unknown;
            self.history[i].return_ms = Some(self.history[i].call_ms);
        }
    }

    /// The history so far (pending calls have no return time and an unknown output).
    pub fn history(&self) -> &[Operation] {
        &self.history
    }

    /// The history, consumed.
    pub fn into_history(self) -> Vec<Operation> {
        self.history
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn rejection(err: &str) -> Option<Rejection> {
    if err.contains("requested lease not found") {
        Some(Rejection::LeaseNotFound)
    } else if err.contains("lease already exists") {
        Some(Rejection::LeaseExists)
    } else if err.contains("required revision has been compacted") {
        Some(Rejection::Compacted)
    } else if err.contains("required revision is a future revision") {
        Some(Rejection::FutureRevision)
    } else {
        None
    }
}

/// The checker's view of the service's answer to `input`.
pub fn to_output(input: &Input, result: &OpResult) -> Output {
    let out = match result {
        OpResult::Write(_, applied) => match &applied.result {
            Err(e) => rejection(e).map(|reason| Output::Rejected { reason }),
            Ok(resp) => write_output(input, applied.revision, resp),
        },
        OpResult::Read(_, answer) => match &answer.result {
            // A read at a revision the store no longer (or not yet) has is a definite answer.
            Err(e) => match input {
                Input::Get {
                    revision: Some(r), ..
                } if *r > 0 => rejection(e).map(|reason| Output::Rejected { reason }),
                _ => None,
            },
            Ok(resp) => match input {
                Input::Get { .. } => Some(Output::Get {
                    kv: resp
                        .kvs
                        .first()
                        .map(|kv| (text(&kv.value), kv.mod_revision)),
                    revision: answer.revision,
                }),
                Input::Range { .. } => Some(Output::Range {
                    kvs: resp
                        .kvs
                        .iter()
                        .map(|kv| (text(&kv.key), text(&kv.value), kv.mod_revision))
                        .collect(),
                    revision: answer.revision,
                    count: Some(resp.count),
                    more: resp.more,
                }),
                _ => None,
            },
        },
        _ => None,
    };
    match out {
        Some(o) if input.accepts(&o) => o,
        _ => Output::Unknown,
    }
}

/// The checker's view of the typed client's answer to `input`: what [`to_output`] makes of the
/// service's result behind it. A failure is a rejection the model knows when the store refused
/// a write or a read at a past revision, else unknown.
pub fn event_output(input: &Input, kind: &EventKind) -> Output {
    let out = match kind {
        EventKind::Reply(r) => reply_output(input, r),
        EventKind::Failed(e) => match input {
            Input::Get { revision: None, .. } | Input::Range { .. } => None,
            Input::Get {
                revision: Some(r), ..
            } if *r <= 0 => None,
            _ => rejection(e).map(|reason| Output::Rejected { reason }),
        },
        _ => None,
    };
    match out {
        Some(o) if input.accepts(&o) => o,
        _ => Output::Unknown,
    }
}

fn reply_output(input: &Input, reply: &Reply) -> Option<Output> {
    Some(match (input, reply) {
        (Input::Put { .. } | Input::PutWithLease { .. }, Reply::Put(p)) => Output::Put {
            revision: p.header.revision,
        },
        (Input::Delete { .. } | Input::DeleteRange { .. }, Reply::DeleteRange(d)) => {
            Output::Delete {
                deleted: d.deleted,
                revision: d.header.revision,
            }
        }
        (Input::Cas { .. } | Input::Txn { .. }, Reply::Txn(t)) => Output::Cas {
            succeeded: t.succeeded,
            revision: t.header.revision,
        },
        // ID 0 asks the server to choose.
        (Input::LeaseGrant { id, .. }, Reply::LeaseGrant(g)) if *id == 0 || *id == g.id => {
            Output::Lease {
                id: g.id,
                revision: g.header.revision,
            }
        }
        (Input::LeaseRevoke { id }, Reply::LeaseRevoke(r)) => Output::Lease {
            id: *id,
            revision: r.header.revision,
        },
        (Input::Compact { .. }, Reply::Compaction(c)) => Output::Compact {
            revision: c.header.revision,
        },
        (Input::Get { .. }, Reply::Range(r)) => Output::Get {
            kv: r.kvs.first().map(|kv| (text(&kv.value), kv.mod_revision)),
            revision: r.header.revision,
        },
        (Input::Range { .. }, Reply::Range(r)) => Output::Range {
            kvs: r
                .kvs
                .iter()
                .map(|kv| (text(&kv.key), text(&kv.value), kv.mod_revision))
                .collect(),
            revision: r.header.revision,
            count: Some(r.count),
            more: r.more,
        },
        _ => return None,
    })
}

fn write_output(input: &Input, revision: i64, resp: &EtcdResponse) -> Option<Output> {
    Some(match (input, resp) {
        (Input::Put { .. } | Input::PutWithLease { .. }, EtcdResponse::Put(_)) => {
            Output::Put { revision }
        }
        (Input::Delete { .. } | Input::DeleteRange { .. }, EtcdResponse::DeleteRange(d)) => {
            Output::Delete {
                deleted: d.deleted,
                revision,
            }
        }
        (Input::Cas { .. } | Input::Txn { .. }, EtcdResponse::Txn(t)) => Output::Cas {
            succeeded: t.succeeded,
            revision,
        },
        // ID 0 asks the server to choose.
        (Input::LeaseGrant { id, .. }, EtcdResponse::LeaseGrant { id: got, .. })
            if *id == 0 || id == got =>
        {
            Output::Lease { id: *got, revision }
        }
        (Input::LeaseRevoke { id }, EtcdResponse::LeaseRevoke) => {
            Output::Lease { id: *id, revision }
        }
        (Input::Compact { .. }, EtcdResponse::Compaction) => Output::Compact { revision },
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use etcd::machine::{Answer, AppliedWrite};
    use etcd::service::Header;

    #[test]
    fn answers_become_outputs() {
        let h = Header::default();
        let put = Input::Put {
            key: "k".into(),
            value: "v".into(),
        };
        let ok = OpResult::Write(
            h,
            AppliedWrite {
                revision: 5,
                result: Ok(EtcdResponse::Put(Default::default())),
            },
        );
        assert_eq!(to_output(&put, &ok), Output::Put { revision: 5 });
        let failed = OpResult::Failed("context deadline exceeded".into());
        assert_eq!(to_output(&put, &failed), Output::Unknown);
        let lease_put = Input::PutWithLease {
            key: "k".into(),
            value: "v".into(),
            lease: 7,
        };
        let rejected = OpResult::Write(
            h,
            AppliedWrite {
                revision: 5,
                result: Err("etcdserver: requested lease not found".into()),
            },
        );
        assert_eq!(
            to_output(&lease_put, &rejected),
            Output::Rejected {
                reason: Rejection::LeaseNotFound
            }
        );
        let get = Input::Get {
            key: "k".into(),
            revision: None,
        };
        let read = OpResult::Read(
            h,
            Answer {
                revision: 9,
                result: Ok(kv::RangeResponse {
                    kvs: vec![kv::KeyValue {
                        key: b"k".to_vec(),
                        value: b"v".to_vec(),
                        mod_revision: 4,
                        ..Default::default()
                    }],
                    ..Default::default()
                }),
            },
        );
        assert_eq!(
            to_output(&get, &read),
            Output::Get {
                kv: Some(("v".into(), 4)),
                revision: 9
            }
        );
        // A read answer to a write is nonsense: unknown.
        assert_eq!(to_output(&put, &read), Output::Unknown);
    }

    #[test]
    fn client_events_read_as_the_service_results_behind_them() {
        use etcd::client::{Client, CompactionRequest, Observed, PutRequest, RangeRequest};
        let mut c = Client::new(sim::ClusterConfig::new(3, 7)).unwrap();
        c.run_until(3_000).unwrap();
        let n = c.service().cluster().leader().unwrap();
        let get = |revision| Input::Get {
            key: "k".into(),
            revision,
        };
        let ask = |c: &mut Client, input: Input| {
            let call = match &input {
                Input::Put { key, value } => c.put(
                    n,
                    PutRequest {
                        key: key.clone().into_bytes(),
                        value: value.clone().into_bytes(),
                        ..Default::default()
                    },
                ),
                Input::Get { key, revision } => c.range(
                    n,
                    RangeRequest {
                        key: key.clone().into_bytes(),
                        revision: revision.unwrap_or(0),
                        ..Default::default()
                    },
                ),
                Input::Compact { revision } => c.compact(
                    n,
                    CompactionRequest {
                        revision: *revision,
                        ..Default::default()
                    },
                ),
                Input::LeaseRevoke { id } => c.lease_revoke(n, *id),
                _ => unreachable!(),
            };
            let op = c.op_of(call).unwrap();
            let event = c.wait(call, 5_000).unwrap().unwrap();
            let result = c
                .take_observed()
                .into_iter()
                .find_map(|o| match o {
                    Observed::Op(_, etcd::service::OpEvent::Done(o, r)) if o == op => Some(r),
                    _ => None,
                })
                .unwrap();
            let output = event_output(&input, &event.kind);
            assert_eq!(output, to_output(&input, &result), "{input:?}");
            output
        };
        let put = Input::Put {
            key: "k".into(),
            value: "v".into(),
        };
        assert!(matches!(ask(&mut c, put.clone()), Output::Put { .. }));
        assert!(matches!(ask(&mut c, put), Output::Put { .. }));
        assert!(matches!(
            ask(&mut c, get(None)),
            Output::Get { kv: Some(_), .. }
        ));
        assert!(matches!(
            ask(&mut c, Input::Compact { revision: 3 }),
            Output::Compact { .. }
        ));
        let compacted = Output::Rejected {
            reason: Rejection::Compacted,
        };
        assert_eq!(ask(&mut c, get(Some(2))), compacted);
        let not_found = Output::Rejected {
            reason: Rejection::LeaseNotFound,
        };
        assert_eq!(ask(&mut c, Input::LeaseRevoke { id: 99 }), not_found);
    }

    #[test]
    fn recorder_fills_in_answers() {
        let mut r = Recorder::new();
        r.call(3, 1, Input::Delete { key: "k".into() }, 10);
        assert!(r.is_pending(3));
        let res = OpResult::Failed("etcdserver: leader changed".into());
        assert_eq!(r.answer(3, &res, 20), Some(Output::Unknown));
        assert_eq!(r.history()[0].return_ms, Some(20));
        assert_eq!(r.answer(3, &res, 30), None);
    }
}
