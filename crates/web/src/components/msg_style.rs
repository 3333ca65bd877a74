//! How a message kind looks: its color, its short name, whether it is drawn as a response, and
//! the width of its pill. Shared by the cluster picture and its legend.

use sim::MsgKind;

/// A message kind's color and short name.
pub fn msg_style(k: MsgKind) -> (&'static str, &'static str) {
    match k {
        MsgKind::Append | MsgKind::AppendResp => ("#2563eb", "append"),
        MsgKind::Heartbeat | MsgKind::HeartbeatResp => ("#94a3b8", "heartbeat"),
        MsgKind::Vote | MsgKind::VoteResp => ("#d97706", "vote"),
        MsgKind::PreVote | MsgKind::PreVoteResp => ("#7c3aed", "pre-vote"),
        MsgKind::Snapshot => ("#059669", "snapshot"),
        MsgKind::Propose => ("#db2777", "propose"),
        MsgKind::ReadIndex | MsgKind::ReadIndexResp => ("#0d9488", "read-index"),
        MsgKind::TransferLeader | MsgKind::TimeoutNow => ("#dc2626", "timeout-now"),
        MsgKind::Other => ("#64748b", "msg"),
    }
}

/// Whether a kind is a response (drawn as an outlined pill in its request's color).
pub fn is_response(k: MsgKind) -> bool {
    matches!(
        k,
        MsgKind::AppendResp
            | MsgKind::HeartbeatResp
            | MsgKind::VoteResp
            | MsgKind::PreVoteResp
            | MsgKind::ReadIndexResp
    )
}

/// Width of a pill for `label` (11 px text).
pub fn pill_width(label: &str) -> f64 {
    (label.chars().count() as f64 * 6.3 + 16.0).max(28.0)
}
