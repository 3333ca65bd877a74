//! A cluster kept as a checkpoint: what it holds alone (once the live run has let go of it)
//! packed smaller, and back as it was before it runs again.

use super::Cluster;
use crate::state_machine::StateMachine;

impl<SM: StateMachine> Cluster<SM> {
    /// Packs the trace's kept events (see [`crate::trace::Trace::pack`]): for a clone kept
    /// as a checkpoint, which must be [`Cluster::unpack`]ed before it runs.
    pub fn pack(&mut self) {
        self.trace.pack();
    }

    /// Undoes [`Cluster::pack`]: the cluster is as it was before it.
    pub fn unpack(&mut self) {
        self.trace.unpack();
    }

    /// Whether the cluster is packed (see [`Cluster::pack`]).
    pub fn is_packed(&self) -> bool {
        self.trace.is_packed()
    }
}
