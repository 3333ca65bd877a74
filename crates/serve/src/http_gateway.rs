//! etcd's v3 JSON gateway on the member's port: each request is the console's curl line
//! (`crates/etcd/src/ctl/gateway_request.rs` parses it, as for the page's curl lines), run at the member
//! the client sent it to; the body printed is the body answered.

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;

use crate::grpc::Member;
use crate::lines;

/// The largest gateway body: etcd's request limit, base64 grows bytes by a third, plus JSON.
pub const MAX_BODY: usize = 4 * 1024 * 1024;

fn json(status: StatusCode, body: String) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// The HTTP answer for what a gateway line printed.
fn answer(text: String) -> Response {
    let v: Option<serde_json::Value> = serde_json::from_str(text.trim()).ok();
    match v {
        Some(v) => {
            let code = v
                .get("error")
                .map(|_| {
                    v.get("code")
                        .and_then(serde_json::Value::as_i64)
                        .unwrap_or(2)
                })
                .unwrap_or(0);
            // etcd's gateway writes a unary answer with no line break after it.
            let body = text.trim_end_matches('\n').to_string();
            json(crate::http_status::of(code), body)
        }
        None => {
            // `Not Found`, `Method Not Allowed`: plain text, as grpc-gateway's mux.
            let status = if text.contains("Method Not Allowed") {
                StatusCode::METHOD_NOT_ALLOWED
            } else {
                StatusCode::NOT_FOUND
            };
            (status, text).into_response()
        }
    }
}

async fn run(m: &Member, line: String, what: &str) -> Response {
    let label = format!("node{} {what}", m.node);
    // A lock or campaign may wait: if its client goes away first, it is given up.
    let waits = what.ends_with("/v3/lock/lock") || what.ends_with("/v3/election/campaign");
    let result = if waits {
        m.handle.waiting_line(line, label).await
    } else {
        m.handle.line(line, label).await
    };
    match result {
        Ok(a) => answer(a.text),
        Err(st) => json(
            StatusCode::SERVICE_UNAVAILABLE,
            serde_json::json!({"error": st.message(), "code": st.code() as i32, "message": st.message()})
                .to_string(),
        ),
    }
}

async fn post_v3(State(m): State<Member>, uri: Uri, body: Bytes) -> Response {
    let path = uri.path().to_string();
    let Ok(text) = std::str::from_utf8(&body) else {
        return json(
            StatusCode::BAD_REQUEST,
            r#"{"error":"invalid character in request body (not UTF-8)","code":3,"message":"invalid character in request body (not UTF-8)"}"#.into(),
        );
    };
    // A well-formed body is written compactly (one line); a malformed one goes as it came, so
    // the gateway's parser gives etcd's error for it.
    let body = match serde_json::from_str::<serde_json::Value>(text) {
        Ok(v) => v.to_string(),
        Err(_) => text.to_string(),
    };
    let line = lines::curl_raw(m.node, &path, &body);
    run(&m, line, &format!("POST {path}")).await
}

async fn health(State(m): State<Member>) -> Response {
    run(&m, lines::health(m.node), "GET /health").await
}

async fn version() -> Response {
    json(
        StatusCode::OK,
        r#"{"etcdserver":"3.5.1","etcdcluster":"3.5.0"}"#.into(),
    )
}

/// The gateway's routes for one member.
pub fn router(m: Member) -> Router {
    let mut r = Router::new()
        .route("/health", get(health))
        .route("/version", get(version))
        .route("/v3/watch", post(crate::gateway_watch::watch))
        .route("/v3/election/observe", post(crate::gateway_watch::observe));
    for path in etcd::ctl::gateway_post_paths() {
        r = r.route(path, post(post_v3));
    }
    r.layer(DefaultBodyLimit::max(MAX_BODY)).with_state(m)
}
