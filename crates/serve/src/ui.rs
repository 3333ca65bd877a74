//! `raftlab serve --ui`: the built page (trunk's `dist/`) over HTTP on one more port, with the
//! live view's endpoints beside it:
//!
//! - `GET /raftlab/follow`: the session as Server-Sent Events ([`crate::follow`]);
//! - `POST /raftlab/line`: a line from the page (a fault, a time line, any console line), run
//!   as a line of standard input; `200` once taken, `400` with its one-line error;
//! - `GET /raftlab/status`: the server's point (`{"now_ms","events","trace_hash","nodes",
//!   "followers"}`);
//! - `GET /` without a query: a redirect to `/?follow=/raftlab/follow` (the page then follows);
//! - anything else: a file under the page's folder, and nothing outside it.

use std::convert::Infallible;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::{oneshot, Semaphore};
use tokio_stream::wrappers::ReceiverStream;

use crate::driver::Call;
use crate::grpc::Handle;

/// Most open connections to the page's port.
pub const MAX_CONNECTIONS: usize = 128;
/// Longest line a page may send (as standard input's limit).
pub const MAX_LINE: usize = 64 * 1024;
/// Where a page follows the session.
pub const FOLLOW_PATH: &str = "/raftlab/follow";

/// The page's folder, checked: it holds an `index.html`.
///
/// # Errors
/// A folder without a built page, in one line that says how to build it.
pub fn site(dir: &Path) -> Result<PathBuf, String> {
    let root = dir
        .canonicalize()
        .ok()
        .filter(|r| r.join("index.html").is_file());
    root.ok_or_else(|| {
        format!(
            "no built page in {} (index.html missing): run ./scripts/serve.sh or trunk build --release --offline first",
            dir.display()
        )
    })
}

#[derive(Clone)]
struct Site {
    root: Arc<PathBuf>,
    handle: Handle,
}

/// Serves the page in `root` (checked by [`site`]) and the live view's endpoints on
/// `listener`, at most [`MAX_CONNECTIONS`] connections at once.
pub async fn accept(listener: TcpListener, root: PathBuf, handle: Handle) {
    let router = Router::new()
        .route(FOLLOW_PATH, get(follow))
        .route(
            "/raftlab/line",
            post(line).layer(DefaultBodyLimit::max(MAX_LINE)),
        )
        .route("/raftlab/status", get(status))
        .fallback(file)
        .with_state(Site {
            root: Arc::new(root),
            handle,
        });
    let permits = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            continue;
        };
        let Ok(permit) = permits.clone().try_acquire_owned() else {
            continue;
        };
        let svc = TowerToHyperService::new(router.clone());
        tokio::spawn(async move {
            let mut builder = auto::Builder::new(TokioExecutor::new());
            builder
                .http1()
                .timer(TokioTimer::new())
                .header_read_timeout(std::time::Duration::from_secs(30));
            let _ = builder.serve_connection(TokioIo::new(stream), svc).await;
            drop(permit);
        });
    }
}

fn text(status: StatusCode, body: impl Into<String>) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        body.into() + "\n",
    )
        .into_response()
}

/// `GET /raftlab/follow`.
async fn follow(State(site): State<Site>) -> Response {
    let (tx, rx) = oneshot::channel();
    if site.handle.send(Call::Follow(tx)).is_err() {
        return text(
            StatusCode::SERVICE_UNAVAILABLE,
            "the cluster is busy or stopped",
        );
    }
    match rx.await {
        Ok(Ok(stream)) => {
            let body = ReceiverStream::new(stream);
            let body = tokio_stream::StreamExt::map(body, Ok::<Bytes, Infallible>);
            (
                StatusCode::OK,
                [
                    (header::CONTENT_TYPE, "text/event-stream"),
                    (header::CACHE_CONTROL, "no-cache"),
                ],
                Body::from_stream(body),
            )
                .into_response()
        }
        Ok(Err(e)) => text(StatusCode::SERVICE_UNAVAILABLE, e),
        Err(_) => text(StatusCode::SERVICE_UNAVAILABLE, "the cluster stopped"),
    }
}

/// `POST /raftlab/line`: one line, run as standard input runs it.
async fn line(State(site): State<Site>, body: Bytes) -> Response {
    let Ok(line) = std::str::from_utf8(&body) else {
        return text(StatusCode::BAD_REQUEST, "Error: the line is not UTF-8");
    };
    let line = line.trim_end_matches(['\n', '\r']);
    if line.contains(['\n', '\r']) {
        return text(StatusCode::BAD_REQUEST, "Error: one line at a time");
    }
    let t = line.trim();
    if t.is_empty() || t.starts_with('#') {
        return text(StatusCode::BAD_REQUEST, "Error: an empty line");
    }
    if t == "record" || t.starts_with("record ") {
        return text(
            StatusCode::BAD_REQUEST,
            "Error: `record` is for the server's standard input",
        );
    }
    let (tx, rx) = oneshot::channel();
    if site
        .handle
        .send(Call::Remote(line.to_string(), tx))
        .is_err()
    {
        return text(
            StatusCode::SERVICE_UNAVAILABLE,
            "Error: the cluster is busy or stopped",
        );
    }
    match rx.await {
        Ok(Ok(())) => text(StatusCode::OK, "ok"),
        Ok(Err(e)) => text(StatusCode::BAD_REQUEST, e),
        Err(_) => text(
            StatusCode::SERVICE_UNAVAILABLE,
            "Error: the cluster stopped",
        ),
    }
}

/// `GET /raftlab/status`.
async fn status(State(site): State<Site>) -> Response {
    let (tx, rx) = oneshot::channel();
    let peek = Call::Peek(Box::new(move |pg: &etcd::Playground| {
        let v = serde_json::json!({
            "now_ms": pg.now(),
            "events": pg.steps(),
            "trace_hash": pg.cluster().trace_hash(),
            "nodes": pg.cluster().config().nodes,
            "leader": pg.cluster().leader(),
        });
        let _ = tx.send(v.to_string());
    }));
    if site.handle.send(peek).is_err() {
        return text(
            StatusCode::SERVICE_UNAVAILABLE,
            "the cluster is busy or stopped",
        );
    }
    match rx.await {
        Ok(json) => ([(header::CONTENT_TYPE, "application/json")], json).into_response(),
        Err(_) => text(StatusCode::SERVICE_UNAVAILABLE, "the cluster stopped"),
    }
}

/// The content type of a file of the page, by its name.
pub fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" | "htm" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "wasm" => "application/wasm",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "webmanifest" => "application/manifest+json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "txt" | "scenario" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// The relative path a request names, or `None` if it could leave the folder (`..`, a
/// backslash, a NUL, a bad escape).
pub fn relative(path: &str) -> Option<PathBuf> {
    let mut out = PathBuf::new();
    for seg in path.split('/') {
        let seg = decode(seg)?;
        match seg.as_str() {
            "" | "." => {}
            ".." => return None,
            s if s.contains(['\\', '\0', '/']) || s.contains(':') => return None,
            s => out.push(s),
        }
    }
    Some(out)
}

/// Percent-decodes one path segment.
fn decode(seg: &str) -> Option<String> {
    let b = seg.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = std::str::from_utf8(b.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Any other `GET`: a file under the page's folder.
async fn file(State(site): State<Site>, method: Method, uri: Uri) -> Response {
    if method != Method::GET && method != Method::HEAD {
        return text(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed");
    }
    if uri.path() == "/" && uri.query().is_none() {
        let to = format!("/?follow={FOLLOW_PATH}");
        return (StatusCode::FOUND, [(header::LOCATION, to)]).into_response();
    }
    let Some(rel) = relative(uri.path()) else {
        return text(StatusCode::NOT_FOUND, "Not Found");
    };
    let root = site.root.clone();
    let read = tokio::task::spawn_blocking(move || {
        let mut p = root.join(rel);
        if p.is_dir() {
            p.push("index.html");
        }
        // Symbolic links may not lead out of the folder either.
        let p = p.canonicalize().ok().filter(|p| p.starts_with(&*root))?;
        std::fs::read(&p).ok().map(|b| (content_type(&p), b))
    })
    .await;
    match read {
        Ok(Some((ty, bytes))) => (
            [
                (header::CONTENT_TYPE, ty),
                (header::CACHE_CONTROL, "no-cache"),
            ],
            bytes,
        )
            .into_response(),
        _ => text(StatusCode::NOT_FOUND, "Not Found"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_stay_in_the_folder() {
        assert_eq!(relative("/"), Some(PathBuf::new()));
        assert_eq!(relative("/a/b.js"), Some(PathBuf::from("a").join("b.js")));
        assert_eq!(relative("/a%20b.js"), Some(PathBuf::from("a b.js")));
        for bad in [
            "/../etc/passwd",
            "/a/../../x",
            "/%2e%2e/x",
            "/a%2f..%2fb",
            "/a\\b",
            "/%00",
            "/%zz",
            "/%e2%28",
            "/c:x",
        ] {
            assert_eq!(relative(bad), None, "{bad}");
        }
    }

    #[test]
    fn content_types() {
        assert_eq!(content_type(Path::new("x_bg.wasm")), "application/wasm");
        assert!(content_type(Path::new("index.html")).starts_with("text/html"));
        assert!(content_type(Path::new("a.js")).starts_with("text/javascript"));
        assert_eq!(content_type(Path::new("x")), "application/octet-stream");
    }

    #[test]
    fn a_folder_without_a_page_says_how_to_build_one() {
        let e = site(Path::new("/nonexistent/dist")).unwrap_err();
        assert!(e.contains("trunk build --release --offline"), "{e}");
        assert!(!e.contains('\n'));
    }
}
