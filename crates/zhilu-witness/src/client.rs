//! The log's side of tlog-witness: offer a checkpoint to a witness over HTTP and read its answer.

use std::time::Duration;

use http_body_util::{BodyExt as _, Full, Limited};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

use crate::cosign::CONTENT_TYPE_SIZE;

/// How long one offer may take, connection included: a witness answers in milliseconds, and a
/// log must not stall its checkpointing on a witness that hangs.
pub const TIMEOUT: Duration = Duration::from_secs(5);
const MAX_RESPONSE_BYTES: usize = 64 * 1024;

/// What the witness answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// 200: the cosignature line(s), each without its final newline.
    Cosigned(Vec<String>),
    /// 409 with `text/x.tlog.size`: the witness holds another size; offer again from it.
    Conflict {
        /// The size of the latest checkpoint the witness cosigned.
        witness_size: u64,
    },
    /// Any other answer (403, 404, 422, a fork's 409…), with the witness's message.
    Refused {
        /// HTTP status.
        status: u16,
        /// The response body, as text.
        message: String,
    },
}

/// Why no answer could be had.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The URL is not a plain `http://` URL.
    #[error("见证地址 {0:?} 无效：应为 http://主机:端口[/前缀]")]
    BadUrl(String),
    /// Connecting or talking to the witness failed.
    #[error("无法连接见证 {url}：{message}")]
    Network {
        /// The URL.
        url: String,
        /// The cause.
        message: String,
    },
    /// No answer within [`TIMEOUT`].
    #[error("见证 {0} 在 {secs} 秒内没有应答", secs = TIMEOUT.as_secs())]
    Timeout(String),
    /// An answer that does not follow the protocol.
    #[error("见证 {url} 的应答不符合协议：{message}")]
    BadResponse {
        /// The URL.
        url: String,
        /// What is wrong.
        message: String,
    },
}

/// Offers `body` (an `add-checkpoint` request, see [`zhilu_ledger::AddCheckpoint`]) to the witness
/// whose submission prefix is `url` (e.g. `http://192.0.2.7:7380`; `/add-checkpoint` is appended).
pub async fn add_checkpoint(url: &str, body: Vec<u8>) -> Result<Outcome, ClientError> {
    let prefix = url.trim_end_matches('/');
    let target = format!("{prefix}/add-checkpoint");
    let uri: hyper::Uri = target
        .parse()
        .map_err(|_| ClientError::BadUrl(url.to_string()))?;
    if uri.scheme_str() != Some("http") || uri.host().is_none() {
        return Err(ClientError::BadUrl(url.to_string()));
    }
    let network = |m: String| ClientError::Network {
        url: url.to_string(),
        message: m,
    };
    let bad = |m: String| ClientError::BadResponse {
        url: url.to_string(),
        message: m,
    };
    let exchange = async {
        let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
        let req = hyper::Request::post(uri)
            .header(hyper::header::CONTENT_TYPE, "text/plain; charset=utf-8")
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| network(e.to_string()))?;
        let resp = client
            .request(req)
            .await
            .map_err(|e| network(e.to_string()))?;
        let status = resp.status().as_u16();
        let size_type = resp
            .headers()
            .get(hyper::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.split(';').next().map(str::trim) == Some(CONTENT_TYPE_SIZE));
        let bytes = Limited::new(resp.into_body(), MAX_RESPONSE_BYTES)
            .collect()
            .await
            .map_err(|e| network(e.to_string()))?
            .to_bytes();
        let text = String::from_utf8(bytes.to_vec()).map_err(|_| bad("不是 UTF-8 文本".into()))?;
        Ok::<_, ClientError>((status, size_type, text))
    };
    let (status, size_type, text) = tokio::time::timeout(TIMEOUT, exchange)
        .await
        .map_err(|_| ClientError::Timeout(url.to_string()))??;
    match status {
        200 => {
            let lines: Vec<String> = text.lines().map(str::to_string).collect();
            if lines.is_empty()
                || !text.ends_with('\n')
                || lines.iter().any(|l| !l.starts_with("\u{2014} "))
            {
                return Err(bad("200 应答应为以 — 开头、以换行结尾的签名行".into()));
            }
            Ok(Outcome::Cosigned(lines))
        }
        409 if size_type => {
            let witness_size = text
                .strip_suffix('\n')
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| bad(format!("409 应答的长度 {text:?} 不是十进制数")))?;
            Ok(Outcome::Conflict { witness_size })
        }
        _ => Ok(Outcome::Refused {
            status,
            message: text.trim_end().to_string(),
        }),
    }
}
