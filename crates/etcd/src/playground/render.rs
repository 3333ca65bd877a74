//! Turning operation results into etcdctl's output.

use super::Playground;
use crate::ctl::{self, OutputFormat};
use crate::machine::EtcdResponse;
use crate::service::{Header, OpResult};

/// How to print the result of a short command.
#[derive(Clone, Debug)]
pub(crate) enum Render {
    Put(OutputFormat),
    Get(OutputFormat, bool, bool),
    Del(OutputFormat),
    Txn(OutputFormat),
    LeaseGrant(OutputFormat),
    LeaseRevoke(OutputFormat, i64),
    TimeToLive(OutputFormat, bool),
    LeaseList(OutputFormat),
    Compaction(i64),
    Gateway(super::gateway::GatewayKind),
}

impl From<Header> for ctl::Header {
    fn from(h: Header) -> Self {
        ctl::Header {
            cluster_id: h.cluster_id,
            member_id: h.member_id,
            revision: h.revision,
            raft_term: h.raft_term,
        }
    }
}

impl Playground {
    /// The text of a finished short command, or the error to print.
    pub(super) fn render(&self, render: &Render, r: &OpResult) -> Result<String, String> {
        // etcdctl wraps the errors of `lease grant` and `lease revoke`.
        self.render_result(render, r).map_err(|e| match render {
            Render::LeaseGrant(_) => format!("failed to grant lease ({e})"),
            Render::LeaseRevoke(..) => format!("failed to revoke lease ({e})"),
            _ => e,
        })
    }

    fn render_result(&self, render: &Render, r: &OpResult) -> Result<String, String> {
        if let OpResult::Failed(e) = r {
            if let Render::Gateway(_) = render {
                return Ok(super::gateway::error_json(e));
            }
            return Err(e.clone());
        }
        if let Render::Gateway(kind) = render {
            return self.render_gateway(*kind, r);
        }
        match (render, r) {
            (Render::Get(f, pvo, ko), OpResult::Read(h, a)) => {
                let resp = a.result.clone()?;
                Ok(ctl::format::get(&(*h).into(), &resp, *f, *pvo, *ko))
            }
            (Render::TimeToLive(f, keys), OpResult::TimeToLive(h, info)) => {
                Ok(ctl::format::lease_ttl(&(*h).into(), info, *keys, *f))
            }
            (Render::LeaseList(f), OpResult::Leases(h, ids)) => {
                Ok(ctl::format::lease_list(&(*h).into(), ids, *f))
            }
            (_, OpResult::Write(h, applied)) => {
                let resp = applied.result.clone()?;
                let h: ctl::Header = (*h).into();
                match (render, resp) {
                    (Render::Put(f), EtcdResponse::Put(p)) => Ok(ctl::format::put(&h, &p, *f)),
                    (Render::Del(f), EtcdResponse::DeleteRange(d)) => {
                        Ok(ctl::format::del(&h, &d, *f))
                    }
                    (Render::Txn(f), EtcdResponse::Txn(t)) => Ok(ctl::format::txn(&h, &t, *f)),
                    (Render::LeaseGrant(f), EtcdResponse::LeaseGrant { id, ttl }) => {
                        Ok(ctl::format::lease_grant(&h, id, ttl, *f))
                    }
                    (Render::LeaseRevoke(f, id), EtcdResponse::LeaseRevoke) => {
                        Ok(ctl::format::lease_revoke(&h, *id, *f))
                    }
                    (Render::Compaction(rev), EtcdResponse::Compaction) => {
                        Ok(ctl::format::compaction(*rev))
                    }
                    (_, other) => Err(format!("unexpected response {other:?}")),
                }
            }
            (_, other) => Err(format!("unexpected result {other:?}")),
        }
    }
}
