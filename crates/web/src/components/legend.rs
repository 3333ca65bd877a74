//! What the colors of the cluster picture mean: node roles and message kinds.

use leptos::prelude::*;

/// The legend's content as markup: it never changes, so the page parses it once instead of
/// building it element by element. A test checks it against the roles and `msg_style`.
const LEGEND_HTML: &str = concat!(
    r#"<span class="key"><i class="dot role-leader"></i>leader</span>"#,
    r#"<span class="key"><i class="dot role-follower"></i>follower</span>"#,
    r#"<span class="key"><i class="dot role-pre-candidate"></i>pre-candidate</span>"#,
    r#"<span class="key"><i class="dot role-candidate"></i>candidate</span>"#,
    r#"<span class="key"><i class="dot role-learner"></i>learner</span>"#,
    r#"<span class="key"><i class="dot role-paused"></i>paused</span>"#,
    r#"<span class="key"><i class="dot role-crashed"></i>crashed</span>"#,
    r#"<span class="sep"></span>"#,
    r#"<span class="key"><i class="dot msgdot" style="background:#2563eb"></i>append</span>"#,
    r#"<span class="key"><i class="dot msgdot" style="background:#60a5fa"></i>append-resp</span>"#,
    r#"<span class="key"><i class="dot msgdot" style="background:#94a3b8"></i>heartbeat</span>"#,
    r#"<span class="key"><i class="dot msgdot" style="background:#7c3aed"></i>pre-vote</span>"#,
    r#"<span class="key"><i class="dot msgdot" style="background:#d97706"></i>vote</span>"#,
    r#"<span class="key"><i class="dot msgdot" style="background:#059669"></i>snapshot</span>"#,
    r#"<span class="key"><i class="dot msgdot" style="background:#0d9488"></i>read-index</span>"#,
    r#"<span class="key"><i class="dot msgdot" style="background:#db2777"></i>propose</span>"#,
    r#"<span class="key"><i class="x">✕</i>lost</span>"#,
);

/// What the colors mean.
#[component]
pub fn Legend() -> impl IntoView {
    view! { <div class="legend" aria-hidden="true" inner_html=LEGEND_HTML></div> }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::components::cluster_view::msg_style;
    use sim::MsgKind;

    #[test]
    fn markup_matches_the_roles_and_message_colors() {
        let roles = [
            "leader",
            "follower",
            "pre-candidate",
            "candidate",
            "learner",
            "paused",
            "crashed",
        ];
        let kinds = [
            MsgKind::Append,
            MsgKind::AppendResp,
            MsgKind::Heartbeat,
            MsgKind::PreVote,
            MsgKind::Vote,
            MsgKind::Snapshot,
            MsgKind::ReadIndex,
            MsgKind::Propose,
        ];
        let mut want: String = roles
            .iter()
            .map(|r| format!(r#"<span class="key"><i class="dot role-{r}"></i>{r}</span>"#))
            .collect();
        want.push_str(r#"<span class="sep"></span>"#);
        for k in kinds {
            let (color, _) = msg_style(k);
            want.push_str(&format!(
                r#"<span class="key"><i class="dot msgdot" style="background:{color}"></i>{}</span>"#,
                k.as_str()
            ));
        }
        want.push_str(r#"<span class="key"><i class="x">✕</i>lost</span>"#);
        assert_eq!(LEGEND_HTML, want);
    }
}
