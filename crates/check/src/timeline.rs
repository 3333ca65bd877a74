//! A Porcupine-style view of a history: one lane per client, one bar per operation from its
//! call to its return, as a self-contained HTML page with an inline SVG (no script; every piece
//! of text from the history is escaped).
//!
//! Bars of operations whose outcome is unknown run to the end of the history and are hatched;
//! operations the caller marks (the one the checker could not place, say) are drawn in red, and
//! those of the longest linearizable prefix in green. Hovering a bar shows the request and the
//! response (SVG `<title>`).

use std::fmt::Write;

use crate::history::Operation;
use crate::model::{describe_input, describe_output};

/// What to show besides the history.
#[derive(Debug, Clone, Default)]
pub struct TimelineOptions {
    /// Page title (escaped).
    pub title: String,
    /// Lines shown above the timeline (the verdict, violations; escaped).
    pub notes: Vec<String>,
    /// Operations drawn in red (indices into the history).
    pub marked: Vec<usize>,
    /// Operations drawn in green (e.g. the longest linearizable prefix).
    pub good: Vec<usize>,
}

/// Escape text for HTML element content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && c != '\n' => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

const LANE_H: u64 = 26;
const LEFT: u64 = 90;
const WIDTH: u64 = 1400;

/// Render `history` as a self-contained HTML page.
pub fn render_html(history: &[Operation], options: &TimelineOptions) -> String {
    let clients = order::set(history.iter().map(|o| o.client));
    let lane = order::map(clients.iter().enumerate().map(|(i, c)| (*c, i as u64)));
    let t0 = history.iter().map(|o| o.call_ms).min().unwrap_or(0);
    let t1 = history
        .iter()
        .map(|o| o.return_ms.unwrap_or(o.call_ms).max(o.call_ms))
        .max()
        .unwrap_or(0)
        .max(t0 + 1);
    let span = (t1 - t0) as f64;
    let x =
        |t: u64| LEFT as f64 + (t.saturating_sub(t0)) as f64 / span * (WIDTH - LEFT - 10) as f64;
    let marked = order::set(options.marked.iter().copied());
    let good = order::set(options.good.iter().copied());
    let height = 40 + LANE_H * clients.len() as u64;

    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" font-family="monospace" font-size="11">"#
    );
    svg.push_str(
        r##"<defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#eee"/><line x1="0" y1="0" x2="0" y2="6" stroke="#999" stroke-width="2"/></pattern></defs>"##,
    );
    // Time axis: ten ticks.
    for i in 0..=10u64 {
        let t = t0 + (t1 - t0) * i / 10;
        let px = x(t);
        let _ = write!(
            svg,
            r##"<line x1="{px:.1}" y1="14" x2="{px:.1}" y2="{height}" stroke="#ddd"/><text x="{px:.1}" y="11" text-anchor="middle">{t} ms</text>"##
        );
    }
    for (c, l) in &lane {
        let y = 20 + l * LANE_H;
        let name = if *c == u32::MAX {
            "server".to_string()
        } else {
            format!("client {c}")
        };
        let _ = write!(
            svg,
            r##"<text x="4" y="{}">{}</text><line x1="{LEFT}" y1="{}" x2="{WIDTH}" y2="{}" stroke="#f4f4f4"/>"##,
            y + 15,
            escape(&name),
            y + LANE_H,
            y + LANE_H
        );
    }
    for (i, op) in history.iter().enumerate() {
        let y = 22 + lane[&op.client] * LANE_H;
        let unknown = op.is_unknown();
        let end = if unknown {
            t1
        } else {
            op.return_ms.unwrap_or(t1)
        };
        let (x0, x1) = (x(op.call_ms), x(end));
        let w = (x1 - x0).max(2.0);
        let fill = if marked.contains(&i) {
            "#f28b82"
        } else if good.contains(&i) {
            "#a8dab5"
        } else if unknown {
            "url(#hatch)"
        } else if op.input.is_write() {
            "#aecbfa"
        } else {
            "#fde293"
        };
        let stroke = if marked.contains(&i) {
            "#c5221f"
        } else {
            "#777"
        };
        let label = format!(
            "#{i} {} -> {}",
            describe_input(&op.input),
            describe_output(&op.output)
        );
        let times = match op.return_ms {
            Some(r) => format!("{}..{} ms", op.call_ms, r),
            None => format!("{}.. ms (never returned)", op.call_ms),
        };
        let _ = write!(
            svg,
            r#"<g><title>{} ({})</title><rect x="{x0:.1}" y="{y}" width="{w:.1}" height="{}" rx="2" fill="{fill}" stroke="{stroke}"/>"#,
            escape(&label),
            escape(&times),
            LANE_H - 6
        );
        if w > 40.0 {
            // Clip the text to the bar.
            let short: String = describe_input(&op.input)
                .chars()
                .take((w / 7.0) as usize)
                .collect();
            let _ = write!(
                svg,
                r#"<text x="{:.1}" y="{}">{}</text>"#,
                x0 + 2.0,
                y + 14,
                escape(&short)
            );
        }
        svg.push_str("</g>");
    }
    svg.push_str("</svg>");

    let mut html = String::new();
    let title = escape(&options.title);
    let _ = write!(
        html,
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{title}</title>\
         <style>body{{font-family:sans-serif;margin:1em}}pre{{white-space:pre-wrap}}\
         .legend span{{display:inline-block;padding:0 6px;margin-right:6px;border:1px solid #777}}</style>\
         </head><body><h1>{title}</h1>\n"
    );
    if !options.notes.is_empty() {
        html.push_str("<pre>");
        for n in &options.notes {
            html.push_str(&escape(n));
            html.push('\n');
        }
        html.push_str("</pre>\n");
    }
    html.push_str(
        "<p class=\"legend\"><span style=\"background:#aecbfa\">write</span>\
         <span style=\"background:#fde293\">read</span>\
         <span style=\"background:#eee\">unknown outcome</span>\
         <span style=\"background:#f28b82\">cannot be placed</span>\
         <span style=\"background:#a8dab5\">linearizable prefix</span></p>\n",
    );
    let _ = writeln!(
        html,
        "<p>{} operations, {} clients, hover a bar for its request and response.</p>",
        history.len(),
        clients.len()
    );
    html.push_str("<div style=\"overflow-x:auto\">");
    html.push_str(&svg);
    html.push_str("</div></body></html>\n");
    html
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::{Input, Output};

    #[test]
    fn escapes_everything_from_the_history() {
        let op = Operation {
            client: 1,
            call_ms: 0,
            return_ms: Some(10),
            input: Input::Put {
                key: "<script>alert(1)</script>".into(),
                value: "\"&'".into(),
            },
            output: Output::Put { revision: 2 },
        };
        let unknown = Operation {
            client: 2,
            call_ms: 5,
            return_ms: None,
            input: Input::Delete { key: "k".into() },
            output: Output::Unknown,
        };
        let html = render_html(
            &[op, unknown],
            &TimelineOptions {
                title: "a <b> title".into(),
                notes: vec!["verdict: <ok>".into()],
                marked: vec![1],
                good: vec![0],
            },
        );
        assert!(!html.contains("<script>"));
        assert!(html.contains("&lt;script&gt;"));
        assert!(html.contains("a &lt;b&gt; title"));
        assert!(html.contains("client 2"));
        assert!(html.contains("#f28b82"));
        assert_eq!(html.matches("<rect x=").count(), 2);
    }

    #[test]
    fn empty_history_renders() {
        let html = render_html(&[], &TimelineOptions::default());
        assert!(html.contains("<svg"));
    }
}
