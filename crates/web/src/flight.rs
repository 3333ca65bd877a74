//! Where a message is drawn along its lane: a message leaves its sender's labels (its role above
//! it, its indices below it) before it moves, and arrives at its receiver's, so on a small
//! screen the leader's appends do not cover what the leader says about itself. Pure geometry
//! over [`crate::picture`]'s layout, tested natively.

use sim::network::InFlightView;

use crate::picture::{lane, Geometry};

/// Below this node radius the indices under a node are shown only on hover or selection.
pub const SMALL_RADIUS: f64 = 15.0;
/// Below this node radius the role above a node is shown only on hover or selection.
pub const COMPACT_RADIUS: f64 = 13.0;

/// A box around a node's centre: (left, top, right, bottom), in pixels from the centre.
pub type NodeMark = [f64; 4];

/// What is drawn around a node of `radius`, as boxes a message should not cover: its disc with
/// the timer ring, the role above it and the indices below it (each while shown; see
/// `web/style.css`, 12 px text, the indices in monospace as wide as "T2 · c12 · a12"). A label
/// not shown is an empty box ([`NONE`]).
pub fn node_marks(radius: f64) -> [NodeMark; 3] {
    let disc = radius + 6.0;
    let role = match radius >= COMPACT_RADIUS {
        true => [-32.0, -radius - 25.0, 32.0, -radius - 8.0],
        false => NONE,
    };
    let sub = match radius >= SMALL_RADIUS {
        true => [-50.0, radius + 9.0, 50.0, radius + 25.0],
        false => NONE,
    };
    [[-disc, -disc, disc, disc], role, sub]
}

/// An empty box (its right before its left): nothing overlaps it.
pub const NONE: NodeMark = [0.0, 0.0, -1.0, -1.0];

/// The interval of `p` for which a box of half size `half` centred at `s + p (e - s)` overlaps
/// `mark` placed at `at` (empty when `lo > hi`).
fn overlap(
    s: (f64, f64),
    e: (f64, f64),
    at: (f64, f64),
    mark: &NodeMark,
    half: (f64, f64),
) -> (f64, f64) {
    if mark[2] < mark[0] || mark[3] < mark[1] {
        return (1.0, 0.0);
    }
    let slab = |s: f64, d: f64, lo: f64, hi: f64| -> (f64, f64) {
        if d.abs() < 1e-9 {
            return match (lo..=hi).contains(&s) {
                true => (f64::NEG_INFINITY, f64::INFINITY),
                false => (1.0, 0.0),
            };
        }
        let (a, b) = ((lo - s) / d, (hi - s) / d);
        (a.min(b), a.max(b))
    };
    let x = slab(
        s.0,
        e.0 - s.0,
        at.0 + mark[0] - half.0,
        at.0 + mark[2] + half.0,
    );
    let y = slab(
        s.1,
        e.1 - s.1,
        at.1 + mark[1] - half.1,
        at.1 + mark[3] + half.1,
    );
    (x.0.max(y.0), x.1.min(y.1))
}

/// The share of a lane a message shorter than this is drawn along: below it, it runs along the
/// whole lane (over the nodes' labels) rather than stand still.
const MIN_SPAN: f64 = 0.25;

/// The part of the lane `s -> e` (between the nodes at `a` and `b`, with `marks` around each)
/// along which a message of half size `half` covers neither node's marks, as shares of the
/// lane (from, to): a message leaves its sender's labels before it moves and arrives at its
/// receiver's. The whole lane when that part is too short.
pub fn clear_span(
    (s, e): ((f64, f64), (f64, f64)),
    a: (f64, f64),
    b: (f64, f64),
    marks: &[NodeMark],
    half: (f64, f64),
) -> (f64, f64) {
    let mut from: f64 = 0.0;
    let mut to: f64 = 1.0;
    for m in marks {
        let (lo, hi) = overlap(s, e, a, m, half);
        if lo <= hi && hi > 0.0 && lo < 1.0 {
            from = from.max(hi);
        }
        let (lo, hi) = overlap(s, e, b, m, half);
        if lo <= hi && hi > 0.0 && lo < 1.0 {
            to = to.min(lo);
        }
    }
    match to - from >= MIN_SPAN {
        true => (from, to),
        false => (0.0, 1.0),
    }
}

/// Where message `m`, drawn `half` wide and high from its centre, is at virtual time `t`: on
/// its lane, between the labels of its sender and its receiver (see [`clear_span`]).
pub fn message_at(
    g: &Geometry,
    m: &InFlightView,
    t: f64,
    offset: f64,
    half: (f64, f64),
) -> Option<(f64, f64)> {
    let (a, b) = (g.pos(m.from)?, g.pos(m.to)?);
    let (s, e) = lane(a, b, g.radius, offset);
    let (from, to) = clear_span((s, e), a, b, &node_marks(g.radius), half);
    let p = from + (to - from) * crate::pace::progress(m.sent_at, m.deliver_at, t);
    Some((s.0 + (e.0 - s.0) * p, s.1 + (e.1 - s.1) * p))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::components::msg_style::pill_width;
    use crate::picture::geometry;

    /// Whether a box of half size `half` at `p` overlaps a mark of the node at `at`.
    fn covers(p: (f64, f64), half: (f64, f64), at: (f64, f64), marks: &[NodeMark]) -> bool {
        marks.iter().any(|m| {
            p.0 + half.0 > at.0 + m[0]
                && p.0 - half.0 < at.0 + m[2]
                && p.1 + half.1 > at.1 + m[1]
                && p.1 - half.1 < at.1 + m[3]
        })
    }

    #[test]
    fn a_pill_leaves_its_sender_and_stops_short_of_its_receiver() {
        let (a, b) = ((100.0, 300.0), (500.0, 300.0));
        let marks = node_marks(30.0);
        let half = (40.0, 10.0);
        let (s, e) = lane(a, b, 30.0, 9.0);
        let (from, to) = clear_span((s, e), a, b, &marks, half);
        assert!(from > 0.0 && to < 1.0 && from < to, "{from} {to}");
        let at = |p: f64| (s.0 + (e.0 - s.0) * p, s.1 + (e.1 - s.1) * p);
        assert!(!covers(at(from), half, a, &marks));
        assert!(!covers(at(to), half, b, &marks));
        // Just before, it would cover the sender's disc.
        assert!(covers(at(from - 0.01), half, a, &marks));
        // A lane too short for that keeps the whole lane.
        let (c, d) = ((100.0, 300.0), (190.0, 300.0));
        assert_eq!(
            clear_span(lane(c, d, 30.0, 9.0), c, d, &marks, half),
            (0.0, 1.0)
        );
    }

    #[test]
    fn small_nodes_have_no_labels_to_avoid() {
        let shown = |r: f64| node_marks(r).iter().filter(|m| **m != NONE).count();
        assert_eq!(shown(COMPACT_RADIUS - 1.0), 1);
        assert_eq!(shown(SMALL_RADIUS - 1.0), 2);
        assert_eq!(shown(SMALL_RADIUS), 3);
        // A box a message passes right through stays clear of an empty one.
        let (s, e) = ((0.0, 0.0), (10.0, 0.0));
        let (lo, hi) = overlap(s, e, (5.0, 0.0), &NONE, (3.0, 3.0));
        assert!(lo > hi);
    }

    /// On a phone (the picture's box at 390 x 844 is about 372 x 558) and on a desktop, with 5
    /// nodes, an append's pill starts clear of its sender's labels on every lane from it but
    /// the shortest ones, and ends clear of its receiver's.
    #[test]
    fn appends_from_every_node_clear_its_labels_on_a_phone_and_a_desktop() {
        let half = (pill_width("append 3..5") / 2.0, 10.0);
        for (w, h) in [(372.0, 558.0), (900.0, 520.0)] {
            let g = geometry(&[1, 2, 3, 4, 5], w, h);
            let marks = node_marks(g.radius);
            let mut clear = 0;
            for &(from, ax, ay) in &g.nodes {
                for &(to, bx, by) in &g.nodes {
                    if from == to {
                        continue;
                    }
                    let (a, b) = ((ax, ay), (bx, by));
                    let (s, e) = lane(a, b, g.radius, 9.0);
                    let span = clear_span((s, e), a, b, &marks, half);
                    if span == (0.0, 1.0) {
                        continue;
                    }
                    clear += 1;
                    let at = |p: f64| (s.0 + (e.0 - s.0) * p, s.1 + (e.1 - s.1) * p);
                    assert!(!covers(at(span.0), half, a, &marks), "{w}x{h} {from}->{to}");
                    assert!(!covers(at(span.1), half, b, &marks), "{w}x{h} {from}->{to}");
                }
            }
            assert!(clear >= 12, "{w}x{h}: only {clear} of 20 lanes clear");
        }
    }
}
