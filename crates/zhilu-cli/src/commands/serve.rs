//! `serve`: the web server and its API (zhilu-web) on this data directory.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use clap::Args;
use zhilu_web::ServeOptions;

use crate::Ctx;

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// 监听地址。
    #[arg(long, value_name = "地址", default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,
    /// TLS 证书链（PEM），与 --tls-key 成对给出；不给出则为 HTTP。
    #[arg(long, value_name = "文件", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// TLS 私钥（PEM）。
    #[arg(long, value_name = "文件", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
}

pub async fn serve(ctx: &Ctx, a: ServeArgs) -> anyhow::Result<bool> {
    let app = Arc::new(ctx.open().await?);
    run(ctx, app, a).await
}

/// Serves `app` until Ctrl-C (also after `demo --serve`, on the demo's directory).
pub async fn run(ctx: &Ctx, app: Arc<zhilu_app::App>, a: ServeArgs) -> anyhow::Result<bool> {
    let tls = a.tls_cert.zip(a.tls_key);
    let scheme = if tls.is_some() { "https" } else { "http" };
    let running = zhilu_web::start(Arc::clone(&app), ServeOptions { bind: a.bind, tls })
        .await
        .map_err(|e| anyhow::anyhow!("无法在 {} 上启动服务：{e}", a.bind))?;
    ctx.out.show(
        &serde_json::json!({"url": format!("{scheme}://{}", running.addr)}),
        || {
            format!(
                "服务已启动：{scheme}://{}（浏览器打开此地址登录；按 Ctrl-C 停止）",
                running.addr
            )
        },
    )?;
    tokio::select! {
        r = running.handle => {
            if let Err(e) = r {
                anyhow::bail!("服务意外停止：{e}");
            }
        }
        _ = tokio::signal::ctrl_c() => {}
    }
    app.close().await;
    Ok(true)
}
