//! The server: `zhilu serve`. HTTP in, `zhilu-app` use cases, HTTP out. No rule lives here: who
//! may do what is decided in `zhilu-app` from the `Actor` this crate builds from the session.
//!
//! Layers, outermost first: security headers → body limit → sessions → CSRF → routes.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::response::IntoResponse;
use zhilu_app::App;

pub mod content;
pub mod csrf;
pub mod error;
mod headers;
pub mod pages;
pub mod routes;
pub mod session;
pub mod state;
mod tls;

pub use state::AppState;

/// The largest request body the API reads (JSON only; footage is never uploaded here).
pub const BODY_LIMIT: usize = 64 * 1024;

/// How to serve.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// Where to listen (`127.0.0.1:8080`; port 0 picks one).
    pub bind: SocketAddr,
    /// PEM certificate chain and private key for TLS; plain HTTP when `None`.
    pub tls: Option<(PathBuf, PathBuf)>,
}

/// A server listening (returned once bound, so tests and the CLI know the port).
#[derive(Debug)]
pub struct Running {
    pub addr: SocketAddr,
    pub handle: tokio::task::JoinHandle<()>,
}

/// The whole application as one router (for `start`, and for tests that drive it in-process).
pub fn router(state: AppState) -> Router {
    routes::api()
        .merge(pages::router())
        .fallback(|| async {
            error::ApiError::new(
                axum::http::StatusCode::NOT_FOUND,
                "not_found",
                "没有这个接口",
            )
            .into_response()
        })
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            csrf::check,
        ))
        .layer(session::layer(&state))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(axum::middleware::from_fn(headers::add))
        .with_state(state)
}

/// The server's housekeeping: every few seconds, the ranges of viewings that have waited long
/// enough are written to the ledger (so what was watched last is not held back until the next
/// request); now and then, sessions past their absolute expiry are deleted (an ended session is
/// also refused and deleted when it is next used; this keeps abandoned ones from piling up);
/// hourly, stations' uploads idle for a week are swept (`station::uploads::sweep_abandoned`).
async fn housekeeping(app: Arc<App>) {
    let mut flush = tokio::time::interval(std::time::Duration::from_secs(5));
    let mut sweep = tokio::time::interval(std::time::Duration::from_secs(600));
    let mut uploads = tokio::time::interval(std::time::Duration::from_secs(3600));
    loop {
        tokio::select! {
            _ = uploads.tick() => {
                let system = zhilu_app::Actor::system("station-sweep");
                if let Err(e) = zhilu_app::station::uploads::sweep_abandoned(&app, &system).await {
                    tracing::warn!(error = %e, "sweeping abandoned uploads");
                }
            }
            _ = flush.tick() => {
                if let Err(e) = zhilu_app::access::flush_due_viewings(&app).await {
                    tracing::warn!(error = %e, "writing viewed ranges");
                }
            }
            _ = sweep.tick() => {
                if let Err(e) = zhilu_app::identity::login::sweep_sessions(&app).await {
                    tracing::warn!(error = %e, "sweeping expired sessions");
                }
            }
        }
    }
}

/// Binds and serves until the process ends. The TLS files are read before binding, so a bad
/// certificate is an error here, not on the first connection.
pub async fn start(app: Arc<App>, opts: ServeOptions) -> Result<Running, std::io::Error> {
    let tls = match &opts.tls {
        Some((cert, key)) => Some(tls::config(cert, key)?),
        None => None,
    };
    let state = AppState {
        app,
        secure_cookies: tls.is_some(),
    };
    let sweeper = housekeeping(state.app.clone());
    let router = router(state);
    let listener = tokio::net::TcpListener::bind(opts.bind).await?;
    let addr = listener.local_addr()?;
    let server = async move {
        match tls {
            Some(cfg) => tls::serve(listener, cfg, router).await,
            None => {
                let listener = axum::serve::ListenerExt::tap_io(listener, |t| {
                    let _ = t.set_nodelay(true);
                });
                if let Err(e) = axum::serve(
                    listener,
                    router.into_make_service_with_connect_info::<SocketAddr>(),
                )
                .await
                {
                    tracing::error!(error = %e, "server stopped");
                }
            }
        }
    };
    // One task: aborting `handle` stops the sweeper with the server.
    let handle = tokio::spawn(async move {
        tokio::select! {
            () = server => {}
            () = sweeper => {}
        }
    });
    tracing::info!(%addr, tls = opts.tls.is_some(), "serving");
    Ok(Running { addr, handle })
}
