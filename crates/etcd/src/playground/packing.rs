//! A playground kept as a checkpoint: packed smaller while it is kept, unpacked before it runs
//! again (see [`sim::Cluster::pack`]).

use super::Playground;

impl Playground {
    /// Packs what a checkpoint holds alone once the live session has let go of it (the
    /// trace's kept events): the playground must be [`Playground::unpack`]ed before it runs.
    pub fn pack(&mut self) {
        self.client.service_mut().cluster_mut().pack();
    }

    /// Undoes [`Playground::pack`]: the playground is as it was before it.
    pub fn unpack(&mut self) {
        self.client.service_mut().cluster_mut().unpack();
    }
}
