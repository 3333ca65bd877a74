//! A session's transcript: each line echoed as `> line` (`>` for a blank txn line), then the
//! whole output of the command it completes (a background command's output includes what it
//! printed until the session ended).

use super::corpus::{Session, Step};

/// Builds the transcript from one output per step.
pub fn render(session: &Session, outputs: &[String]) -> String {
    let mut t = String::new();
    for (step, out) in session.steps.iter().zip(outputs) {
        echo(&mut t, step);
        t.push_str(out);
        if !out.is_empty() && !out.ends_with('\n') {
            t.push('\n');
        }
    }
    t
}

fn echo(t: &mut String, step: &Step) {
    for l in std::iter::once(&step.line).chain(&step.input) {
        if l.trim().is_empty() {
            t.push_str(">\n");
        } else {
            t.push_str("> ");
            t.push_str(l);
            t.push('\n');
        }
    }
}
