//! The etcd v3 service on the simulated raftlab cluster.
//!
//! `ctl` is the etcdctl command language (parsing and output formats); the service modules apply
//! etcd requests through the `sim` cluster.

pub mod ctl;
