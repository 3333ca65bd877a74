//! Generates etcd's gRPC services and messages from the vendored `.proto` files (see
//! `proto/README.md`) with the pure-Rust `protox`, so no `protoc` is needed.

fn main() {
    let files = [
        "etcd/api/etcdserverpb/rpc.proto",
        "etcd/api/mvccpb/kv.proto",
        "etcd/api/authpb/auth.proto",
        "etcd/server/etcdserver/api/v3lock/v3lockpb/v3lock.proto",
        "etcd/server/etcdserver/api/v3election/v3electionpb/v3election.proto",
    ];
    println!("cargo:rerun-if-changed=proto");
    let fds = match protox::compile(files, ["proto"]) {
        Ok(fds) => fds,
        Err(e) => panic!("etcd's .proto files do not compile: {e}"),
    };
    if let Err(e) = tonic_build::configure()
        .build_client(false)
        .compile_fds(fds)
    {
        panic!("code generation failed: {e}");
    }
}
