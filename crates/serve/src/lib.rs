//! `raftlab serve`.

/// Code generated from etcd's `.proto` files.
#[allow(missing_docs, clippy::all, clippy::pedantic)]
pub mod pb {
    /// `etcdserverpb`
    pub mod etcdserverpb {
        tonic::include_proto!("etcdserverpb");
    }
    /// `mvccpb`
    pub mod mvccpb {
        tonic::include_proto!("mvccpb");
    }
    /// `authpb`
    pub mod authpb {
        tonic::include_proto!("authpb");
    }
    /// `v3lockpb`
    pub mod v3lockpb {
        tonic::include_proto!("v3lockpb");
    }
    /// `v3electionpb`
    pub mod v3electionpb {
        tonic::include_proto!("v3electionpb");
    }
}
