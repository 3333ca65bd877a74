//! `raftlab serve`: the simulated cluster for real etcd clients. Each member listens on its own
//! port and serves etcd's v3 gRPC API (generated from etcd's own `.proto` files) and the JSON
//! gateway on the same port; requests run at the member they were sent to, through the same
//! path as the page's console (the playground), on a thread that owns the simulation and keeps
//! its virtual time locked to the wall clock. Native only: the page never links this crate.

pub mod convert;
pub mod driver;
pub mod follow;
pub mod gateway_watch;
pub mod grpc;
pub mod http_gateway;
mod http_status;
pub mod lines;
pub mod recipes;
pub mod services;
pub mod ui;

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::thread::JoinHandle;

use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::{oneshot, Semaphore};

pub use driver::{Call, Sink};

/// Code generated from etcd's `.proto` files (see `proto/README.md`).
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

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A port could not be bound.
    #[error("cannot listen on {0}: {1}")]
    Bind(SocketAddr, std::io::Error),
    /// The cluster's configuration is invalid.
    #[error("{0}")]
    Cluster(String),
    /// The runtime could not start.
    #[error("cannot start the server: {0}")]
    Runtime(String),
    /// `--ui` names a folder without a built page.
    #[error("{0}")]
    Ui(String),
}

/// How to serve.
#[derive(Clone, Debug)]
pub struct Config {
    /// Members.
    pub nodes: u64,
    /// Seed of the run.
    pub seed: u64,
    /// Virtual milliseconds per wall millisecond.
    pub speed: f64,
    /// Address to listen on.
    pub listen: IpAddr,
    /// First port: 2379 gives etcd's 2379, 22379, 32379, ... (up to six members, then
    /// consecutive ports); another port N gives N, N+1, ...; 0 lets the system pick each.
    pub port: u16,
    /// Most open connections per member.
    pub max_connections: usize,
    /// Most concurrent HTTP/2 streams per connection.
    pub max_streams: u32,
    /// Most requests waiting for the cluster thread at once (beyond: `too many requests`).
    pub max_queued: usize,
    /// The recording's title.
    pub title: String,
    /// The built page to serve (`--ui DIR`: trunk's `dist/`), with the live view's stream.
    pub ui: Option<std::path::PathBuf>,
    /// The page's port (0: the system picks).
    pub ui_port: u16,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            nodes: 3,
            seed: 0,
            speed: 1.0,
            listen: IpAddr::from([127, 0, 0, 1]),
            port: 2379,
            max_connections: 1024,
            max_streams: 256,
            max_queued: 4096,
            title: "raftlab serve".into(),
            ui: None,
            ui_port: 8080,
        }
    }
}

impl Config {
    /// Member `node`'s port (see [`Config::port`]).
    pub fn port_of(&self, node: u64) -> u16 {
        if self.port == 0 {
            return 0;
        }
        if self.port == 2379 && self.nodes <= 6 {
            return if node == 1 {
                2379
            } else {
                (node * 10_000 + 2379) as u16
            };
        }
        self.port.saturating_add((node - 1) as u16)
    }
}

/// gRPC's message limit: etcd's request limit (1.5 MiB) plus gRPC's overhead (512 KiB), as
/// etcd sets it; a request over etcd's own limit is refused by the service with
/// `etcdserver: request is too large`.
pub const MAX_GRPC_MESSAGE: usize = 3 * 512 * 1024 + 512 * 1024;

/// A running server.
pub struct Server {
    endpoints: Vec<(u64, SocketAddr)>,
    ui: Option<SocketAddr>,
    handle: grpc::Handle,
    shutdown: Option<oneshot::Sender<()>>,
    net: Option<JoinHandle<()>>,
    sim: Option<JoinHandle<String>>,
}

impl Server {
    /// Builds the cluster, binds every member's port and starts serving.
    ///
    /// # Errors
    /// A port that cannot be bound, or an invalid configuration.
    pub fn start(config: Config, sink: Sink) -> Result<Server, Error> {
        let site = match &config.ui {
            Some(dir) => Some(ui::site(dir).map_err(Error::Ui)?),
            None => None,
        };
        let cluster = sim::ClusterConfig::new(config.nodes as usize, config.seed);
        let pg = etcd::Playground::new(cluster).map_err(|e| Error::Cluster(e.to_string()))?;
        let (calls_tx, calls_rx) = std::sync::mpsc::sync_channel(config.max_queued.max(1));
        let handle = grpc::Handle::new(calls_tx);
        let driver = driver::Driver::new(pg, config.speed, sink, config.title.clone());
        let sim = std::thread::Builder::new()
            .name("raftlab-cluster".into())
            .spawn(move || driver.run(calls_rx))
            .map_err(|e| Error::Runtime(e.to_string()))?;

        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let (shutdown_tx, shutdown_rx) = oneshot::channel::<()>();
        let h2 = handle.clone();
        let cfg = config.clone();
        let net = std::thread::Builder::new()
            .name("raftlab-serve".into())
            .spawn(move || {
                let rt = match tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt,
                    Err(e) => {
                        let _ = ready_tx.send(Err(Error::Runtime(e.to_string())));
                        return;
                    }
                };
                rt.block_on(async move {
                    let mut listeners = Vec::new();
                    for node in 1..=cfg.nodes {
                        let addr = SocketAddr::new(cfg.listen, cfg.port_of(node));
                        match TcpListener::bind(addr).await {
                            Ok(l) => listeners.push((node, l)),
                            Err(e) => {
                                let _ = ready_tx.send(Err(Error::Bind(addr, e)));
                                return;
                            }
                        }
                    }
                    let page = match site {
                        Some(root) => {
                            let addr = SocketAddr::new(cfg.listen, cfg.ui_port);
                            match TcpListener::bind(addr).await {
                                Ok(l) => Some((l, root)),
                                Err(e) => {
                                    let _ = ready_tx.send(Err(Error::Bind(addr, e)));
                                    return;
                                }
                            }
                        }
                        None => None,
                    };
                    let page_addr = page.as_ref().and_then(|(l, _)| l.local_addr().ok());
                    let endpoints: Vec<(u64, SocketAddr)> = listeners
                        .iter()
                        .filter_map(|(n, l)| l.local_addr().ok().map(|a| (*n, a)))
                        .collect();
                    let urls: Arc<BTreeMap<u64, String>> = Arc::new(
                        endpoints
                            .iter()
                            .map(|(n, a)| (*n, format!("http://{a}")))
                            .collect(),
                    );
                    let _ = ready_tx.send(Ok((endpoints, page_addr)));
                    if let Some((listener, root)) = page {
                        tokio::spawn(ui::accept(listener, root, h2.clone()));
                    }
                    for (node, listener) in listeners {
                        let member = grpc::Member {
                            node,
                            handle: h2.clone(),
                            urls: urls.clone(),
                        };
                        tokio::spawn(accept(listener, member, cfg.clone()));
                    }
                    let _ = shutdown_rx.await;
                });
                rt.shutdown_background();
            })
            .map_err(|e| Error::Runtime(e.to_string()))?;
        let (endpoints, ui) = match ready_rx.recv() {
            Ok(Ok(e)) => e,
            Ok(Err(e)) => {
                let _ = handle.send(Call::Stop(std::sync::mpsc::channel().0));
                let _ = sim.join();
                let _ = net.join();
                return Err(e);
            }
            Err(_) => return Err(Error::Runtime("the server thread ended".into())),
        };
        Ok(Server {
            endpoints,
            ui,
            handle,
            shutdown: Some(shutdown_tx),
            net: Some(net),
            sim: Some(sim),
        })
    }

    /// Every member's address, by node id.
    pub fn endpoints(&self) -> &[(u64, SocketAddr)] {
        &self.endpoints
    }

    /// The page's address (`--ui`), if it is served.
    pub fn ui_addr(&self) -> Option<SocketAddr> {
        self.ui
    }

    /// Member `node`'s client URL (`http://127.0.0.1:2379`).
    pub fn url(&self, node: u64) -> Option<String> {
        self.endpoints
            .iter()
            .find(|(n, _)| *n == node)
            .map(|(_, a)| format!("http://{a}"))
    }

    /// Runs a line as if typed on `serve`'s standard input (a fault or time line, or any
    /// line of the repl language).
    pub fn input(&self, line: &str) {
        let _ = self.handle.send(Call::Input(line.to_string()));
    }

    /// Waits until the cluster thread has handled every call sent so far, and answers `f` of
    /// the playground then.
    pub fn peek<T: Send + 'static>(
        &self,
        f: impl FnOnce(&etcd::Playground) -> T + Send + 'static,
    ) -> Option<T> {
        let (tx, rx) = std::sync::mpsc::channel();
        self.handle
            .send(Call::Peek(Box::new(move |pg| {
                let _ = tx.send(f(pg));
            })))
            .ok()?;
        rx.recv().ok()
    }

    /// The session so far as a scenario file (`raftlab run --scenario` replays it).
    pub fn recording(&self) -> Option<String> {
        let (tx, rx) = std::sync::mpsc::channel();
        self.handle.send(Call::Record(tx)).ok()?;
        rx.recv().ok()
    }

    /// Stops serving; returns the recording.
    pub fn stop(mut self) -> String {
        self.stop_inner()
    }

    fn stop_inner(&mut self) -> String {
        if let Some(s) = self.shutdown.take() {
            let _ = s.send(());
        }
        if let Some(n) = self.net.take() {
            let _ = n.join();
        }
        let (tx, _rx) = std::sync::mpsc::channel();
        let _ = self.handle.send(Call::Stop(tx));
        self.sim
            .take()
            .and_then(|s| s.join().ok())
            .unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if self.sim.is_some() {
            self.stop_inner();
        }
    }
}

/// Accepts connections for one member: HTTP/2 (gRPC) and HTTP/1.1 (the JSON gateway) on the
/// same port, at most `max_connections` at once (beyond that a connection is closed at once).
async fn accept(listener: TcpListener, member: Member, cfg: Config) {
    let router = routes(member);
    let permits = Arc::new(Semaphore::new(cfg.max_connections.max(1)));
    loop {
        let (stream, _) = match listener.accept().await {
            Ok(s) => s,
            Err(_) => {
                // Out of descriptors and the like: wait a little and go on.
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                continue;
            }
        };
        let Ok(permit) = permits.clone().try_acquire_owned() else {
            drop(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let svc = TowerToHyperService::new(router.clone());
        let max_streams = cfg.max_streams;
        tokio::spawn(async move {
            let mut builder = auto::Builder::new(TokioExecutor::new());
            builder
                .http2()
                .timer(TokioTimer::new())
                .max_concurrent_streams(max_streams);
            builder
                .http1()
                .timer(TokioTimer::new())
                .header_read_timeout(std::time::Duration::from_secs(30));
            let _ = builder
                .serve_connection_with_upgrades(TokioIo::new(stream), svc)
                .await;
            drop(permit);
        });
    }
}

use grpc::Member;

/// One member's router: the gRPC services and the JSON gateway.
fn routes(member: Member) -> axum::Router {
    use pb::etcdserverpb::*;
    let m = MAX_GRPC_MESSAGE;
    let grpc = tonic::service::Routes::new(
        kv_server::KvServer::new(member.clone()).max_decoding_message_size(m),
    )
    .add_service(watch_server::WatchServer::new(member.clone()).max_decoding_message_size(m))
    .add_service(lease_server::LeaseServer::new(member.clone()).max_decoding_message_size(m))
    .add_service(cluster_server::ClusterServer::new(member.clone()).max_decoding_message_size(m))
    .add_service(
        maintenance_server::MaintenanceServer::new(member.clone()).max_decoding_message_size(m),
    )
    .add_service(
        pb::v3lockpb::lock_server::LockServer::new(member.clone()).max_decoding_message_size(m),
    )
    .add_service(
        pb::v3electionpb::election_server::ElectionServer::new(member.clone())
            .max_decoding_message_size(m),
    );
    grpc.into_axum_router().merge(http_gateway::router(member))
}

/// Blocks until the process gets Ctrl-C (SIGINT).
pub fn wait_for_interrupt() {
    match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => {
            let _ = rt.block_on(tokio::signal::ctrl_c());
        }
        Err(_) => loop {
            std::thread::park();
        },
    }
}
