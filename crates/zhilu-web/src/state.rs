//! What every handler is given: the shared application and how the server was started.

use std::sync::Arc;

use zhilu_app::App;

/// Shared by every request.
#[derive(Debug, Clone)]
pub struct AppState {
    pub app: Arc<App>,
    /// TLS is on: cookies carry `Secure`.
    pub secure_cookies: bool,
}
