//! The server: `zhilu serve`. HTTP in, `zhilu-app` use cases, HTTP out. No rule lives here: who
//! may do what is decided in `zhilu-app` from the `Actor` this crate builds from the session.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use zhilu_app::App;

pub mod content;

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

/// Binds and serves until the process ends. (To be written.)
pub async fn start(_app: Arc<App>, _opts: ServeOptions) -> Result<Running, std::io::Error> {
    Err(std::io::Error::other("not yet"))
}
