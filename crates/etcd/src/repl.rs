//! Scripts: lines of the etcdctl language (plus fault and time lines) run one after another,
//! each advancing virtual time until it completes, with the output as etcdctl prints it.
//!
//! Long-running commands (watch, lock, elect, keep-alive) go on in the background once they
//! have settled (watch created, lock held or queued, first keep-alive answered); what they print
//! later appears after the output of the line during which it arrived. `cancel` stops the most
//! recent running command, `cancel N` the N-th command of the script.

use crate::playground::Playground;

/// How long a line may take, in virtual time, before the script moves on.
pub const LINE_LIMIT_MS: u64 = 120_000;

/// What etcdctl prints when its input ends inside an interactive txn.
pub const EOF_IN_TXN: &str = "Error: EOF\n";

/// Runs scripts against a playground and collects what they print.
#[derive(Clone)]
pub struct Repl {
    playground: Playground,
    printed: usize,
}

/// One line's result: the new output of every command since the previous line.
pub type Printed = String;

impl Repl {
    /// A REPL over `playground`; runs until a leader is elected first (at most 10 s), as a
    /// client would wait for a freshly started cluster.
    ///
    /// # Errors
    /// An invariant violation.
    pub fn new(playground: Playground) -> crate::Result<Self> {
        let mut r = Self::fresh(playground);
        r.wait_for_leader()?;
        Ok(r)
    }

    /// A REPL over `playground` that starts right away (scenarios decide when things happen).
    pub fn fresh(playground: Playground) -> Self {
        Repl {
            playground,
            printed: 0,
        }
    }

    fn wait_for_leader(&mut self) -> crate::Result<()> {
        let playground = &mut self.playground;
        let deadline = playground.now() + 10_000;
        while playground.cluster().leader().is_none() && playground.next_time() <= deadline {
            playground.step()?;
        }
        Ok(())
    }

    /// The playground, to drive time directly.
    pub fn playground_mut(&mut self) -> &mut Playground {
        &mut self.playground
    }

    /// Gives up the playground.
    pub fn into_playground(self) -> Playground {
        self.playground
    }

    /// The playground.
    pub fn playground(&self) -> &Playground {
        &self.playground
    }

    /// Runs one line; returns what was printed meanwhile.
    ///
    /// # Errors
    /// An invariant violation (the run stops).
    pub fn line(&mut self, line: &str) -> crate::Result<Printed> {
        self.line_with(line, true)
    }

    /// Starts one line without waiting for it (a timed line of a scenario); returns what was
    /// printed meanwhile.
    ///
    /// # Errors
    /// An invariant violation.
    pub fn line_nowait(&mut self, line: &str) -> crate::Result<Printed> {
        self.line_with(line, false)
    }

    /// What the end of the input prints: etcdctl's `Error: EOF` if a txn is still open (its
    /// interactive reader hits the end of its input), else nothing.
    pub fn end_of_input(&mut self) -> Printed {
        let mut out = self.collect();
        if self.playground.needs_more() {
            out.push_str(EOF_IN_TXN);
        }
        out
    }

    /// What was printed since the last line.
    pub fn flush(&mut self) -> Printed {
        self.collect()
    }

    fn line_with(&mut self, line: &str, wait: bool) -> crate::Result<Printed> {
        let (mut out, id) = self.begin(line);
        if let Some(id) = id.filter(|_| wait) {
            self.playground.run_until_settled(id, LINE_LIMIT_MS)?;
        }
        out.push_str(&self.collect());
        Ok(out)
    }

    /// Starts one line without running time: what [`Repl::line`] does before it waits. Returns
    /// what the repl itself answered (its `cancel` finding nothing to stop; the playground's
    /// output comes with [`Repl::flush`]) and the command to wait for, if one started. A caller
    /// that runs the playground in slices waits for it as [`Playground::run_until_settled`]
    /// does, for at most [`LINE_LIMIT_MS`].
    pub fn begin(&mut self, line: &str) -> (Printed, Option<crate::CommandId>) {
        if let Some(cancelled) = self.playground.cancel_line(line) {
            let out = if cancelled {
                String::new()
            } else {
                crate::playground::NO_SUCH_COMMAND.to_string()
            };
            return (out, None);
        }
        (String::new(), self.playground.exec(line))
    }

    /// New output of every command, in the order it was printed.
    fn collect(&mut self) -> String {
        let mut out = String::new();
        for (_, _, text) in self.playground.log_since(self.printed) {
            out.push_str(text);
        }
        self.printed = self.playground.log_len();
        out
    }

    /// Runs a whole script; returns a transcript: each line echoed as `> line`, then its output.
    ///
    /// # Errors
    /// An invariant violation.
    pub fn transcript(&mut self, script: &str) -> crate::Result<String> {
        let mut out = String::new();
        for line in script.lines() {
            let t = line.trim();
            if t.is_empty() {
                if self.playground.needs_more() {
                    out.push_str(">\n");
                    out.push_str(&self.line(line)?);
                }
                continue;
            }
            if t.starts_with('#') && !self.playground.needs_more() {
                out.push_str(line);
                out.push('\n');
                continue;
            }
            out.push_str("> ");
            out.push_str(line);
            out.push('\n');
            out.push_str(&self.line(line)?);
        }
        out.push_str(&self.end_of_input());
        Ok(out)
    }
}
