//! The HTTP face of the witness: `POST /add-checkpoint` (C2SP tlog-witness), nothing else.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response as HttpResponse};
use axum::routing::post;
use axum::serve::ListenerExt as _;
use tokio::net::TcpListener;
use zhilu_ledger::MAX_ADD_CHECKPOINT_BYTES;

use crate::cosign::{CONTENT_TYPE_TEXT, Response, Witness};

/// The router, for embedding or testing.
pub fn router(witness: Arc<Witness>) -> Router {
    Router::new()
        .route("/add-checkpoint", post(add_checkpoint))
        .with_state(witness)
}

/// Serves until the task is dropped. TCP_NODELAY is set on every connection: responses are a
/// few hundred bytes and must not wait on Nagle's algorithm.
pub async fn serve(listener: TcpListener, witness: Arc<Witness>) -> std::io::Result<()> {
    let listener = listener.tap_io(|t| {
        let _ = t.set_nodelay(true);
    });
    axum::serve(listener, router(witness)).await
}

fn to_http(r: Response) -> HttpResponse {
    let status = StatusCode::from_u16(r.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut resp = (status, r.body).into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(r.content_type),
    );
    resp
}

async fn add_checkpoint(State(witness): State<Arc<Witness>>, body: Body) -> HttpResponse {
    // One byte over the limit is enough to know it is too large; the parser then says so (400).
    let bytes = match axum::body::to_bytes(body, MAX_ADD_CHECKPOINT_BYTES + 1).await {
        Ok(b) => b,
        Err(_) => {
            return to_http(Response {
                status: 400,
                content_type: CONTENT_TYPE_TEXT,
                body: format!(
                    "add-checkpoint 请求过大（上限 {MAX_ADD_CHECKPOINT_BYTES} 字节）或未完整送达\n"
                ),
            });
        }
    };
    match tokio::task::spawn_blocking(move || witness.add_checkpoint(&bytes)).await {
        Ok(r) => to_http(r),
        Err(e) => {
            tracing::error!(error = %e, "witness task failed");
            to_http(Response {
                status: 500,
                content_type: CONTENT_TYPE_TEXT,
                body: "见证内部错误\n".into(),
            })
        }
    }
}
