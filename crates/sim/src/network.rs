//! The simulated network: one explicit state per directed link, messages in flight, held queues.
//!
//! The network decides *when* a message arrives (or that it is lost); the cluster turns that
//! into delivery events. Links are FIFO unless reordering is switched on, like etcd's TCP streams.

use std::collections::VecDeque;

use raft::eraftpb::Message;
use serde::Serialize;

use crate::config::LinkConfig;
use crate::id_map::IdMap;
use crate::id_ring::IdRing;
use crate::rng::SimRng;
use crate::trace::{DropReason, MsgSummary};

/// The state of a directed link.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Default)]
pub enum LinkMode {
    /// Messages flow with the link's latency, drops and duplicates.
    #[default]
    Healthy,
    /// Messages are lost.
    Cut,
    /// Messages wait on the link until a person releases or drops them, one by one.
    Held,
}

/// One directed link.
#[derive(Clone, Debug, Default)]
pub struct Link {
    /// Mode.
    pub mode: LinkMode,
    /// Per-link override of the network's default behaviour.
    pub config: Option<LinkConfig>,
    /// Messages waiting on a held link, oldest first.
    pub held: VecDeque<u64>,
    /// Latest delivery time scheduled on this link (for FIFO order).
    last_delivery: u64,
}

/// A message the network carries.
#[derive(Clone, Debug)]
pub struct InFlight {
    /// Message id (unique in the run).
    pub id: u64,
    /// Sender.
    pub from: u64,
    /// Destination.
    pub to: u64,
    /// Virtual time it was sent.
    pub sent_at: u64,
    /// Virtual time it arrives; `None` while held.
    pub deliver_at: Option<u64>,
    /// The raft-rs message.
    pub msg: Message,
    /// Released by hand from a held link: it goes through even if the link is still held.
    pub released: bool,
}

/// A message in flight, as shown to people.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct InFlightView {
    /// Message id.
    pub id: u64,
    /// Sender.
    pub from: u64,
    /// Destination.
    pub to: u64,
    /// Sent at (virtual ms).
    pub sent_at: u64,
    /// Arrives at (virtual ms); `None` while held.
    pub deliver_at: Option<u64>,
    /// Fields.
    pub summary: MsgSummary,
}

/// What the network did with a message handed to it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SendOutcome {
    /// Scheduled for delivery: message id and arrival time, and those of a duplicate.
    Scheduled {
        /// Message id.
        id: u64,
        /// Arrival time.
        at: u64,
        /// A duplicate's (message id, arrival time).
        copy: Option<(u64, u64)>,
    },
    /// Lost at once.
    Dropped(u64, DropReason),
    /// Waiting on a held link.
    Held(u64),
}

/// What the network says when a delivery event fires.
#[derive(Clone, Debug)]
pub enum Arrival {
    /// Hand this message to its destination.
    Deliver(Box<InFlight>),
    /// Lost (link cut meanwhile).
    Dropped(Box<InFlight>, DropReason),
    /// The link was held meanwhile: the message now waits on it.
    Held(u64),
    /// Unknown id (already handled).
    Gone,
}

/// All links and the messages on them.
#[derive(Clone, Debug)]
pub struct Network {
    default: LinkConfig,
    /// Links by sender, then receiver (index lookups for node ids 1..=n).
    links: IdMap<IdMap<Link>>,
    /// Messages in the network, each boxed once when sent: a message (about 200 bytes) then moves
    /// as a pointer from the sender's ready to the receiver's `step`, and the ring stays small.
    in_flight: IdRing<Box<InFlight>>,
    /// Links whose mode is not `Healthy`: while there are none, an arrival needs no link lookup.
    unusual_links: usize,
    next_id: u64,
    rng: SimRng,
}

impl Network {
    /// A healthy network with `default` behaviour on every link.
    pub fn new(default: LinkConfig, rng: SimRng) -> Self {
        Network {
            default,
            links: IdMap::new(),
            in_flight: IdRing::new(),
            unusual_links: 0,
            next_id: 1,
            rng,
        }
    }

    /// The default link behaviour.
    pub fn default_config(&self) -> &LinkConfig {
        &self.default
    }

    /// Sets the default behaviour and clears per-link overrides.
    pub fn set_default_config(&mut self, cfg: LinkConfig) {
        self.default = cfg;
        for (_, row) in self.links.iter_mut() {
            for (_, l) in row.iter_mut() {
                l.config = None;
            }
        }
    }

    /// Overrides one link's behaviour.
    pub fn set_link_config(&mut self, from: u64, to: u64, cfg: LinkConfig) {
        self.link_mut(from, to).config = Some(cfg);
    }

    /// Effective behaviour of a link.
    pub fn link_config(&self, from: u64, to: u64) -> &LinkConfig {
        self.link(from, to)
            .and_then(|l| l.config.as_ref())
            .unwrap_or(&self.default)
    }

    /// Mode of a link.
    pub fn mode(&self, from: u64, to: u64) -> LinkMode {
        self.link(from, to).map_or(LinkMode::Healthy, |l| l.mode)
    }

    /// Links that are not in their default state, for views.
    pub fn links(&self) -> impl Iterator<Item = ((u64, u64), &Link)> {
        self.links
            .iter()
            .flat_map(|(from, row)| row.iter().map(move |(to, l)| ((*from, *to), l)))
    }

    fn link(&self, from: u64, to: u64) -> Option<&Link> {
        self.links.get(&from).and_then(|row| row.get(&to))
    }

    fn link_mut(&mut self, from: u64, to: u64) -> &mut Link {
        self.links
            .get_or_insert_with(from, IdMap::new)
            .get_or_insert_with(to, Link::default)
    }

    /// Sets a link's mode. Switching a held link to healthy releases nothing by itself: the
    /// queued ids are returned so the caller can release them in order.
    pub fn set_mode(&mut self, from: u64, to: u64, mode: LinkMode) -> Vec<u64> {
        let link = self.link_mut(from, to);
        let was_healthy = link.mode == LinkMode::Healthy;
        link.mode = mode;
        let released = if mode == LinkMode::Held {
            Vec::new()
        } else {
            link.held.drain(..).collect()
        };
        match (was_healthy, mode == LinkMode::Healthy) {
            (true, false) => self.unusual_links += 1,
            (false, true) => self.unusual_links -= 1,
            _ => {}
        }
        released
    }

    /// Arrival time of a message sent on `from -> to` at `now`: one latency draw, and after
    /// everything already scheduled on the link unless it reorders.
    fn delivery_time(&mut self, from: u64, to: u64, now: u64) -> u64 {
        let link = self
            .links
            .get_or_insert_with(from, IdMap::new)
            .get_or_insert_with(to, Link::default);
        Self::arrival(link, &self.default, &mut self.rng, now)
    }

    fn arrival(link: &mut Link, default: &LinkConfig, rng: &mut SimRng, now: u64) -> u64 {
        let cfg = link.config.as_ref().unwrap_or(default);
        let (lo, hi, reorder) = (cfg.latency_min_ms, cfg.latency_max_ms, cfg.reorder);
        let mut at = now + rng.range_inclusive(lo, hi);
        if !reorder {
            at = at.max(link.last_delivery);
        }
        link.last_delivery = link.last_delivery.max(at);
        at
    }

    fn schedule(&mut self, id: u64, now: u64) -> u64 {
        let Some((from, to)) = self.in_flight.get(id).map(|f| (f.from, f.to)) else {
            return now;
        };
        let at = self.delivery_time(from, to, now);
        if let Some(f) = self.in_flight.get_mut(id) {
            f.deliver_at = Some(at);
        }
        at
    }

    fn in_flight_of(id: u64, msg: Message, now: u64, deliver_at: Option<u64>) -> Box<InFlight> {
        Box::new(InFlight {
            id,
            from: msg.from,
            to: msg.to,
            sent_at: now,
            deliver_at,
            msg,
            released: false,
        })
    }

    /// Hands a message to the network at `now`.
    pub fn send(&mut self, msg: Message, now: u64) -> SendOutcome {
        let (from, to) = (msg.from, msg.to);
        let id = self.next_id;
        self.next_id += 1;
        let link = self
            .links
            .get_or_insert_with(from, IdMap::new)
            .get_or_insert_with(to, Link::default);
        match link.mode {
            LinkMode::Cut => return SendOutcome::Dropped(id, DropReason::LinkCut),
            LinkMode::Held => {
                link.held.push_back(id);
                self.in_flight
                    .insert(id, Self::in_flight_of(id, msg, now, None));
                return SendOutcome::Held(id);
            }
            LinkMode::Healthy => {}
        }
        let cfg = link.config.as_ref().unwrap_or(&self.default);
        let (drop_p, dup_p) = (cfg.drop_prob, cfg.duplicate_prob);
        let rng = &mut self.rng;
        if rng.chance(drop_p) {
            return SendOutcome::Dropped(id, DropReason::Random);
        }
        // A duplicate never copies a forwarded client proposal: etcd forwards proposals over TCP,
        // and this fault models retransmitted Raft messages, which Raft tolerates. A copied
        // MsgPropose would append the client's write twice (found by `raftlab sweep`). The draw
        // is made either way, so the other random choices do not shift.
        let copy = rng
            .chance(dup_p)
            .then(|| msg.clone())
            .filter(|m| m.get_msg_type() != raft::eraftpb::MessageType::MsgPropose);
        let at = Self::arrival(link, &self.default, rng, now);
        let copy = copy.map(|copy| (copy, Self::arrival(link, &self.default, rng, now)));
        self.in_flight
            .insert(id, Self::in_flight_of(id, msg, now, Some(at)));
        let copy = copy.map(|(copy, at)| {
            let cid = self.next_id;
            self.next_id += 1;
            self.in_flight
                .insert(cid, Self::in_flight_of(cid, copy, now, Some(at)));
            (cid, at)
        });
        SendOutcome::Scheduled { id, at, copy }
    }

    /// A delivery event for `id` fired.
    pub fn arrive(&mut self, id: u64) -> Arrival {
        let Some(f) = self.in_flight.get(id) else {
            return Arrival::Gone;
        };
        if f.deliver_at.is_none() {
            // Still held: a stale event.
            return Arrival::Gone;
        }
        let (from, to) = (f.from, f.to);
        let mode = match self.unusual_links {
            0 => LinkMode::Healthy,
            _ => match self.mode(from, to) {
                LinkMode::Held if f.released => LinkMode::Healthy,
                m => m,
            },
        };
        match mode {
            LinkMode::Healthy => Arrival::Deliver(self.in_flight.remove(id).expect("present")),
            LinkMode::Cut => Arrival::Dropped(
                self.in_flight.remove(id).expect("present"),
                DropReason::LinkCut,
            ),
            LinkMode::Held => {
                if let Some(f) = self.in_flight.get_mut(id) {
                    f.deliver_at = None;
                }
                self.link_mut(from, to).held.push_back(id);
                Arrival::Held(id)
            }
        }
    }

    /// Releases a held message (the oldest if `id` is `None`): it travels now, and arrives
    /// after the link's latency, after anything released before it.
    /// Returns (id, arrival time), or `None` if nothing matches.
    pub fn release(&mut self, from: u64, to: u64, id: Option<u64>, now: u64) -> Option<(u64, u64)> {
        let id = self.take_held(from, to, id)?;
        if let Some(f) = self.in_flight.get_mut(id) {
            f.released = true;
        }
        let at = self.schedule(id, now);
        Some((id, at))
    }

    /// Discards a held message (the oldest if `id` is `None`).
    pub fn discard(&mut self, from: u64, to: u64, id: Option<u64>) -> Option<Box<InFlight>> {
        let id = self.take_held(from, to, id)?;
        self.in_flight.remove(id)
    }

    /// Removes a message by id (e.g. one that was held on a link now cut).
    pub fn discard_id(&mut self, id: u64) -> Option<Box<InFlight>> {
        self.in_flight.remove(id)
    }

    fn take_held(&mut self, from: u64, to: u64, id: Option<u64>) -> Option<u64> {
        let link = self.links.get_mut(&from)?.get_mut(&to)?;
        let pos = match id {
            None => 0,
            Some(id) => link.held.iter().position(|h| *h == id)?,
        };
        link.held.remove(pos)
    }

    /// Schedules `ids` (e.g. from a link switched back to healthy) as if sent now.
    pub fn reschedule(&mut self, ids: &[u64], now: u64) -> Vec<(u64, u64)> {
        let live: Vec<u64> = ids
            .iter()
            .copied()
            .filter(|id| self.in_flight.contains(*id))
            .collect();
        live.into_iter()
            .map(|id| (id, self.schedule(id, now)))
            .collect()
    }

    /// Removes every message to or from `node` (it left the cluster).
    pub fn forget_node(&mut self, node: u64) {
        self.in_flight.retain(|f| f.from != node && f.to != node);
        for (from, row) in self.links.iter_mut() {
            for (to, l) in row.iter_mut() {
                if *from == node || *to == node {
                    l.held.clear();
                }
            }
        }
    }

    /// The message with `id`, if still in the network.
    pub fn get(&self, id: u64) -> Option<&InFlight> {
        self.in_flight.get(id).map(|f| &**f)
    }

    /// Every message in the network, by id.
    pub fn in_flight(&self) -> Vec<InFlightView> {
        self.in_flight
            .values()
            .map(|f| InFlightView {
                id: f.id,
                from: f.from,
                to: f.to,
                sent_at: f.sent_at,
                deliver_at: f.deliver_at,
                summary: MsgSummary::of(&f.msg),
            })
            .collect()
    }

    /// Number of messages in the network.
    pub fn in_flight_count(&self) -> usize {
        self.in_flight.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(from: u64, to: u64, index: u64) -> Message {
        let mut m = Message::default();
        m.from = from;
        m.to = to;
        m.index = index;
        m
    }

    fn net() -> Network {
        Network::new(LinkConfig::default(), SimRng::new(3))
    }

    #[test]
    fn fifo_by_default() {
        let mut n = net();
        let mut last = 0;
        for i in 0..50 {
            let SendOutcome::Scheduled { at, .. } = n.send(msg(1, 2, i), 0) else {
                panic!("not scheduled")
            };
            assert!(at >= last);
            last = at;
        }
    }

    #[test]
    fn cut_drops_and_held_waits_in_release_order() {
        let mut n = net();
        n.set_mode(1, 2, LinkMode::Cut);
        assert!(matches!(
            n.send(msg(1, 2, 0), 0),
            SendOutcome::Dropped(_, DropReason::LinkCut)
        ));
        // The other direction is unaffected.
        assert!(matches!(
            n.send(msg(2, 1, 0), 0),
            SendOutcome::Scheduled { .. }
        ));
        n.set_mode(1, 3, LinkMode::Held);
        let ids: Vec<u64> = (0..3)
            .map(|i| match n.send(msg(1, 3, i), 0) {
                SendOutcome::Held(id) => id,
                o => panic!("{o:?}"),
            })
            .collect();
        let (a, ta) = n.release(1, 3, Some(ids[2]), 100).unwrap();
        let (b, tb) = n.release(1, 3, Some(ids[0]), 100).unwrap();
        assert_eq!((a, b), (ids[2], ids[0]));
        assert!(tb >= ta);
        assert!(n.discard(1, 3, None).is_some());
        assert!(n.discard(1, 3, None).is_none());
    }

    #[test]
    fn drop_probability_one_drops_everything() {
        let mut n = Network::new(
            LinkConfig {
                drop_prob: 1.0,
                ..LinkConfig::default()
            },
            SimRng::new(1),
        );
        for i in 0..10 {
            assert!(matches!(
                n.send(msg(1, 2, i), 0),
                SendOutcome::Dropped(_, DropReason::Random)
            ));
        }
    }

    #[test]
    fn duplicate_probability_one_sends_two() {
        let mut n = Network::new(
            LinkConfig {
                duplicate_prob: 1.0,
                ..LinkConfig::default()
            },
            SimRng::new(1),
        );
        let SendOutcome::Scheduled { id, copy, .. } = n.send(msg(1, 2, 0), 0) else {
            panic!()
        };
        assert!(copy.is_some_and(|(c, _)| c != id));
        assert_eq!(n.in_flight_count(), 2);
    }

    #[test]
    fn cut_while_in_flight_loses_message() {
        let mut n = net();
        let SendOutcome::Scheduled { id, .. } = n.send(msg(1, 2, 0), 0) else {
            panic!()
        };
        n.set_mode(1, 2, LinkMode::Cut);
        assert!(matches!(
            n.arrive(id),
            Arrival::Dropped(_, DropReason::LinkCut)
        ));
        assert!(matches!(n.arrive(id), Arrival::Gone));
    }
}
