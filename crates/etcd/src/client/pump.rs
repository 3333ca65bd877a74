//! The way up: the service's events routed to the calls that wait for them, and what the
//! client passes on of them ([`Observed`], chosen by [`Observing`]).

use super::{reply, CallId, Client, EventKind, Purpose};
use crate::service::{ExpiryRevoke, OpEvent};

/// What the service reported while the client ran, in order: for recorders that keep the
/// session's history in the service's terms (operation ids).
#[derive(Clone, Debug, PartialEq)]
pub enum Observed {
    /// The leader proposed a revoke for an expired lease (when
    /// [`Service::record_expiry_revokes`](crate::service::Service::record_expiry_revokes) is on).
    ExpiryRevoke(ExpiryRevoke),
    /// A service event, with the virtual time it was routed.
    Op(u64, OpEvent),
}

/// What [`Client::take_observed`] passes on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Observing {
    /// Every service event (a copy: the calls get theirs too) and the leader's expiry
    /// revokes, for a log of the whole session.
    #[default]
    Everything,
    /// Only what no call of this client made: the leader's expiry revokes and their
    /// operations' events, for recorders that read the client's own calls from its events.
    /// Nothing is copied.
    Untracked,
}

impl Client {
    /// Chooses what [`Client::take_observed`] passes on from now on.
    pub fn set_observing(&mut self, observing: Observing) {
        self.observing = observing;
    }

    /// What the service reported since the last call (see [`Observed`] and [`Observing`]).
    pub fn take_observed(&mut self) -> Vec<Observed> {
        self.pump();
        std::mem::take(&mut self.observed)
    }

    /// Routes the service's events to the calls, until none is left.
    pub(super) fn pump(&mut self) {
        loop {
            for e in self.service.take_expiry_revokes() {
                self.observed.push(Observed::ExpiryRevoke(e));
            }
            if !self.service.has_events() {
                return;
            }
            for e in self.service.take_events() {
                let now = self.now();
                let op = match &e {
                    OpEvent::Done(op, _) | OpEvent::Watch(op, _, _) | OpEvent::WatchLost(op, _) => {
                        *op
                    }
                };
                if self.observing == Observing::Everything {
                    self.observed.push(Observed::Op(now, e.clone()));
                }
                let Some((call, purpose)) = self.ops.get(&op).map(|o| **o) else {
                    if self.observing == Observing::Untracked {
                        self.observed.push(Observed::Op(now, e));
                    }
                    continue;
                };
                if matches!(e, OpEvent::Done(..)) && !purpose.streams() {
                    self.ops.remove(&op);
                }
                self.on_event(call, purpose, e);
            }
        }
    }

    fn on_event(&mut self, call: CallId, purpose: Purpose, e: OpEvent) {
        match (purpose, e) {
            (Purpose::Ignore, _) => {}
            (Purpose::Unary(kind), OpEvent::Done(_, r)) => {
                self.unary.remove(&call);
                let kind = match reply::unary(kind, r) {
                    Ok(reply) => EventKind::Reply(reply),
                    Err(e) => EventKind::Failed(e),
                };
                self.emit(call, kind);
            }
            (Purpose::Watch, e) => self.on_watch(call, e),
            (Purpose::KeepAlive, OpEvent::Done(_, r)) => self.on_keepalive(call, r),
            (Purpose::ObserveGet, OpEvent::Done(_, r)) => self.on_observe_get(call, r),
            (Purpose::ObserveWatch, e) => self.on_observe_watch(call, e),
            (p, e) => self.on_recipe_event(call, p, e),
        }
    }
}
