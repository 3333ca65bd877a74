//! The console: etcdctl and repl lines, their output, history with up/down, Tab completion.

use leptos::html;
use leptos::prelude::*;

use super::keyed::{keyed_list, Row};
use crate::control::use_control;
use crate::model::{ConsoleEntry, Origin};
use crate::signals::use_console;
use etcd::session::CommandState;

/// First words the console knows, for Tab completion.
const WORDS: &[&str] = &[
    "put",
    "get",
    "del",
    "txn",
    "watch",
    "lease",
    "lock",
    "elect",
    "endpoint",
    "member",
    "partition",
    "heal",
    "crash",
    "restart",
    "pause",
    "resume",
    "cut",
    "restore",
    "hold",
    "release",
    "discard",
    "link",
    "network",
    "move-leader",
    "campaign",
    "sleep",
    "run",
    "propose",
    "cancel",
    "help",
];

/// Completes the first word of `line`: the completed line, or the candidates.
pub fn complete(line: &str) -> Result<String, Vec<&'static str>> {
    if line.contains(' ') {
        return Err(Vec::new());
    }
    let c: Vec<&'static str> = WORDS
        .iter()
        .copied()
        .filter(|w| w.starts_with(line))
        .collect();
    match c.as_slice() {
        [one] => Ok(format!("{one} ")),
        _ => Err(c),
    }
}

/// The console panel.
#[component]
pub fn Console() -> impl IntoView {
    let console = use_console();
    let ctl = use_control();
    let input = RwSignal::new(String::new());
    let history: RwSignal<Vec<String>> = RwSignal::new(Vec::new());
    let cursor: RwSignal<Option<usize>> = RwSignal::new(None);
    let hint = RwSignal::new(String::new());
    let out_ref = NodeRef::<html::Div>::new();

    // Keep the newest output in view.
    Effect::new(move |_| {
        console.entries.track();
        if let Some(el) = out_ref.get() {
            el.set_scroll_top(el.scroll_height());
        }
    });

    // etcdctl's prompt for the section of an unfinished txn (compares, success, failure), read
    // again whenever the console changes.
    let txn_prompt = Memo::new(move |_| {
        console.entries.track();
        ctl.with_session(|e| e.txn_prompt()).flatten()
    });

    let submit = move || {
        let line = input.get_untracked();
        let in_txn = txn_prompt.get_untracked().is_some();
        // Inside a txn a blank line ends the section, as in etcdctl.
        if line.trim().is_empty() && !in_txn {
            return;
        }
        if !line.trim().is_empty() {
            history.update(|h| {
                if h.last() != Some(&line) {
                    h.push(line.clone());
                }
            });
        }
        cursor.set(None);
        hint.set(String::new());
        input.set(String::new());
        ctl.exec(&line, Origin::Typed, None);
    };
    let on_key = move |ev: leptos::ev::KeyboardEvent| match ev.key().as_str() {
        "Enter" => {
            ev.prevent_default();
            submit();
        }
        // Esc abandons an unfinished txn (the line `cancel` does the same, and is recorded).
        "Escape" if txn_prompt.get_untracked().is_some() => {
            ev.prevent_default();
            input.set(String::new());
            ctl.exec("cancel", Origin::Typed, None);
        }
        "ArrowUp" => {
            ev.prevent_default();
            let h = history.get_untracked();
            if h.is_empty() {
                return;
            }
            let i = cursor
                .get_untracked()
                .map_or(h.len() - 1, |c| c.saturating_sub(1));
            cursor.set(Some(i));
            input.set(h[i].clone());
        }
        "ArrowDown" => {
            ev.prevent_default();
            let h = history.get_untracked();
            match cursor.get_untracked() {
                Some(c) if c + 1 < h.len() => {
                    cursor.set(Some(c + 1));
                    input.set(h[c + 1].clone());
                }
                _ => {
                    cursor.set(None);
                    input.set(String::new());
                }
            }
        }
        "Tab" => {
            let line = input.get_untracked();
            if line.is_empty() {
                return;
            }
            ev.prevent_default();
            match complete(&line) {
                Ok(full) => {
                    input.set(full);
                    hint.set(String::new());
                }
                Err(c) if !c.is_empty() => hint.set(c.join("  ")),
                Err(_) => {}
            }
        }
        _ => {}
    };

    view! {
        <section class="console panel" aria-label="Console">
            <div class="panel-head">
                <h2>"Console"</h2>
                <span class="hint">"etcdctl and fault lines · ↑↓ history · Tab completes"</span>
            </div>
            <div class="console-out" node_ref=out_ref role="log" aria-label="Console output">
                {keyed_list(move || {
                    console.entries.get().into_iter().map(|e| {
                        let key = [e.key, e.state as u64, e.text.len() as u64];
                        Row::new(key, move || view! { <Entry e=e/> }.into_any())
                    }).collect()
                })}
            </div>
            <div class="console-hint">{move || hint.get()}</div>
            {move || txn_prompt.get().map(|p| view! {
                <div class="console-txn" role="status">
                    {format!("txn · {p}")}
                    <span class="hint">" a blank line ends the section · Esc or cancel abandons the txn"</span>
                </div>
            }.into_any())}
            <div class="console-in">
                <span class="prompt" aria-hidden="true">"›"</span>
                <input
                    type="text"
                    aria-label="Command"
                    placeholder="put foo bar · crash 1 · partition 1,2 3,4,5 · help"
                    autocomplete="off"
                    spellcheck="false"
                    prop:value=move || input.get()
                    on:input=move |ev| input.set(event_target_value(&ev))
                    on:keydown=on_key
                />
            </div>
        </section>
    }
}

#[component]
fn Entry(e: ConsoleEntry) -> impl IntoView {
    let ctl = use_control();
    if e.origin == Origin::System {
        return view! { <div class="entry note">{e.text}</div> }.into_any();
    }
    let class = match e.state {
        CommandState::Running => "out running",
        CommandState::Done => "out",
        CommandState::Failed => "out failed",
    };
    let origin = match e.origin {
        Origin::Ui => Some("click"),
        Origin::Script => Some("script"),
        Origin::Lesson => Some("show me"),
        Origin::Server => Some("serve"),
        _ => None,
    };
    let cmd = e.cmd;
    let running = e.state == CommandState::Running;
    view! {
        <div class="entry">
            <div class="line">
                <span class="prompt" aria-hidden="true">"›"</span>
                <span class="cmd">{e.line}</span>
                {origin.map(|o| view! { <span class="origin">{o}</span> }).map(IntoAny::into_any)}
                <span class="at">{sim::time::format_ms(e.time_ms)}</span>
            </div>
            {(!e.text.trim_end().is_empty()).then(|| view! { <pre class=class>{e.text.trim_end().to_string()}</pre> }).map(IntoAny::into_any)}
            {running.then(|| view! {
                <div class="running-row">
                    <span class="spinner" aria-hidden="true"></span>
                    <span>"running in virtual time"</span>
                    <button class="link" on:click=move |_| { if let Some(c) = cmd { ctl.cancel(c) } }>"cancel"</button>
                </div>
            }).map(IntoAny::into_any)}
        </div>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn completes_first_word() {
        assert_eq!(complete("par"), Ok("partition ".into()));
        assert_eq!(
            complete("re"),
            Err(vec!["restart", "resume", "restore", "release"])
        );
        assert_eq!(complete("put foo"), Err(vec![]));
    }
}
