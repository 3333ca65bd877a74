//! What the cluster picture's marks mean: node roles and states, the election timer, message
//! pills (requests solid, responses outlined, rejections in red), heartbeats, links cut and
//! held, a partition's groups and lost messages. Built from the same styles the picture uses.

use leptos::prelude::*;
use sim::MsgKind;

use super::msg_style::{is_response, msg_style};

/// The node roles and states the picture draws, with their CSS class.
pub const NODE_KEYS: &[&str] = &[
    "leader",
    "follower",
    "pre-candidate",
    "candidate",
    "learner",
    "removed",
    "paused",
    "crashed",
];

/// The message samples the legend shows: a kind and its label.
pub const MSG_KEYS: &[(MsgKind, &str)] = &[
    (MsgKind::Append, "append 3..5"),
    (MsgKind::AppendResp, "ack 5"),
    (MsgKind::PreVote, "pre-vote T4?"),
    (MsgKind::Vote, "vote T4?"),
    (MsgKind::VoteResp, "vote T4 ✓"),
    (MsgKind::Snapshot, "snapshot @120"),
    (MsgKind::ReadIndex, "read-index"),
    (MsgKind::Propose, "propose"),
];

/// The legend's markup (static text, so the page parses it once).
pub fn legend_html() -> String {
    let mut s = String::new();
    for r in NODE_KEYS {
        s.push_str(&format!(
            r#"<span class="key"><i class="dot role-{r}"></i>{r}</span>"#
        ));
    }
    s.push_str(r#"<span class="key"><i class="ring"></i>election timer</span>"#);
    s.push_str(r#"<span class="sep"></span>"#);
    for (k, text) in MSG_KEYS {
        let (color, _) = msg_style(*k);
        let class = if is_response(*k) { "pill resp" } else { "pill" };
        s.push_str(&format!(
            r#"<span class="key"><i class="{class}" style="--c:{color}">{text}</i></span>"#
        ));
    }
    s.push_str(r#"<span class="key"><i class="pill resp reject" style="--c:#d97706">vote T4 ✗</i>rejected</span>"#);
    s.push_str(r#"<span class="key"><i class="dot hb"></i>heartbeat</span>"#);
    s.push_str(r#"<span class="sep"></span>"#);
    s.push_str(r#"<span class="key"><i class="line cut"></i>cut link</span>"#);
    s.push_str(
        r#"<span class="key"><i class="line held"></i>held link (badge: messages waiting)</span>"#,
    );
    s.push_str(r#"<span class="key"><i class="shade"></i>partition group (big clusters)</span>"#);
    s.push_str(r#"<span class="key"><i class="x">✕</i>lost</span>"#);
    s
}

/// What the picture's marks mean (collapsible, in a corner of the picture).
#[component]
pub fn Legend() -> impl IntoView {
    view! {
        <details class="legend-box">
            <summary>"Legend"</summary>
            <div class="legend" inner_html=legend_html()></div>
        </details>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_legend_uses_the_pictures_colors_and_every_node_state() {
        let html = legend_html();
        for k in [
            MsgKind::Append,
            MsgKind::Heartbeat,
            MsgKind::Vote,
            MsgKind::PreVote,
            MsgKind::Snapshot,
            MsgKind::ReadIndex,
            MsgKind::Propose,
        ] {
            let (color, _) = msg_style(k);
            assert!(
                k == MsgKind::Heartbeat || html.contains(color),
                "{k:?} {color}"
            );
        }
        // Every role class the node glyph can take has its key.
        for role in ["leader", "candidate", "pre-candidate", "learner", "removed"] {
            assert!(html.contains(&format!("role-{role}")), "{role}");
        }
        // Labels as the picture writes them.
        let s = sim::trace::MsgSummary {
            kind: MsgKind::Append,
            term: 4,
            log_term: 4,
            index: 2,
            commit: 2,
            entries: 3,
            reject: false,
            snapshot_index: 0,
        };
        assert!(html.contains(&crate::picture::label(&s)));
    }
}
