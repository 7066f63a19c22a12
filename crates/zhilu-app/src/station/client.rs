//! The station's side (`zhilu station ingest`, R16, R26): walk the device folder as a local
//! offload does, hash each file (SHA-256 and SM3) at the station, send it in chunks over the
//! resumable upload protocol (asking the platform's offset first, so a run cut off anywhere
//! continues from the byte where it stopped), and clear a file from the device only after the
//! platform answered that it is stored and verified in every vault root — and then only under
//! the clearing rules of a local offload (still the same inode, size and time; its bytes hash
//! again to what was stored). Until then the device folder itself is the station's copy.
//!
//! HTTP/1.1 over hyper (already in the tree through the server and the witness client); https
//! with rustls against the CA certificate the station is given (`--ca-file`).

use std::fs::File;
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper::{Method, StatusCode};
use hyper_util::rt::TokioIo;
use serde::Serialize;
use serde_json::Value;
use zhilu_model::explain::io_error;
use zhilu_model::{Sha256, Sm3, StationId};

use super::TOKEN_PREFIX;
use super::uploads::{CHUNK_MAX, Completed};
use crate::error::{AppError, Field, id};
use crate::offload::{ListedFile, Opened, clear_checked, walk};

/// What a station run is asked to do.
#[derive(Debug, Clone)]
pub struct IngestRequest {
    /// The mounted device folder.
    pub source: PathBuf,
    pub device: String,
    pub officer: String,
    /// This station's id (must be the one its token was registered for).
    pub station: String,
    /// The platform, `https://host[:port]` (or `http://` on a trusted network and in tests).
    pub url: String,
    /// The station's token (`zst_…`), as read from its token file.
    pub token: String,
    /// PEM certificate(s) of the CA that signed the platform's certificate (https).
    pub ca_file: Option<PathBuf>,
    /// Bytes per chunk (at most [`CHUNK_MAX`]).
    pub chunk: u64,
    /// Remove each confirmed file from the device (R26).
    pub clear_device: bool,
    /// Stop after sending this many chunks, as a run cut off would (tests of resuming).
    pub max_chunks: Option<u64>,
}

/// Bytes per chunk unless told otherwise.
pub const DEFAULT_CHUNK: u64 = 8 * 1024 * 1024;

/// What became of one device file.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct SentFile {
    pub file: String,
    pub size: u64,
    pub sha256: Option<String>,
    /// `stored`, `duplicate`, `damaged`, `already_stored`, `skipped` (by the platform: not
    /// media), `local_skip` (empty or unreadable here), `refused` (hashes differed at the
    /// platform), `interrupted` (the run stopped before it was complete).
    pub outcome: String,
    pub reason: Option<String>,
    /// The platform confirmed it stored and verified in every root.
    pub confirmed: bool,
    /// Where this run started sending it (0, or the offset the platform already held).
    pub resumed_from: u64,
    pub bytes_sent: u64,
}

/// The outcome of one station run.
#[derive(Debug, Clone, Serialize)]
pub struct IngestReport {
    pub station: String,
    pub device: String,
    pub officer: String,
    pub files: Vec<SentFile>,
    /// Payload bytes sent in this run (chunks only).
    pub bytes_sent: u64,
    /// Every file was dealt with (no failure, not cut off).
    pub complete: bool,
    pub device_cleared: bool,
    pub cleared: Vec<String>,
    pub kept_on_device: Vec<ListedFile>,
    /// Entries of the device folder that were not read (links, special files…).
    pub skipped: Vec<ListedFile>,
}

fn net(what: &str, e: impl std::fmt::Display) -> AppError {
    AppError::OffloadFailed(format!("与平台通信失败（{what}）：{e}"))
}

/// Where the platform is.
#[derive(Debug, Clone)]
struct Target {
    tls: bool,
    host: String,
    port: u16,
    /// `host[:port]` as the `Host` header carries it.
    authority: String,
}

fn parse_url(url: &str) -> Result<Target, AppError> {
    let bad = |why: &str| AppError::invalid(Field::Url, format!("{url}：{why}"));
    let (tls, rest) = if let Some(r) = url.strip_prefix("https://") {
        (true, r)
    } else if let Some(r) = url.strip_prefix("http://") {
        (false, r)
    } else {
        return Err(bad("须以 https:// 或 http:// 开头"));
    };
    let authority = rest.trim_end_matches('/');
    if authority.is_empty() || authority.contains(['/', '?', '#', '@']) {
        return Err(bad(
            "只写平台的主机和端口，如 https://platform.example:8443",
        ));
    }
    let default = if tls { 443 } else { 80 };
    let (host, port) = if let Some(h) = authority.strip_prefix('[') {
        let (h, p) = h.split_once(']').ok_or_else(|| bad("IPv6 地址缺少 ]"))?;
        (h.to_string(), p.strip_prefix(':'))
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h.to_string(), Some(p)),
            None => (authority.to_string(), None),
        }
    };
    let port = match port {
        Some(p) => p.parse().map_err(|_| bad("端口无效"))?,
        None => default,
    };
    Ok(Target {
        tls,
        host,
        port,
        authority: authority.to_string(),
    })
}

/// One HTTP/1.1 connection to the platform, made again when it drops.
struct Http {
    target: Target,
    tls: Option<tokio_rustls::TlsConnector>,
    auth: String,
    sender: Option<SendRequest<Full<Bytes>>>,
}

struct Answer {
    status: StatusCode,
    headers: hyper::HeaderMap,
    body: Bytes,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }

    /// The platform's Chinese message, or the status.
    fn message(&self) -> String {
        self.json()["message"]
            .as_str()
            .map(str::to_string)
            .unwrap_or_else(|| format!("HTTP {}", self.status))
    }

    fn offset(&self) -> Option<u64> {
        self.headers
            .get("upload-offset")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok())
            .or_else(|| self.json()["offset"].as_u64())
    }
}

fn tls_connector(ca: &Path) -> Result<tokio_rustls::TlsConnector, AppError> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let bad =
        |why: String| AppError::invalid(Field::Certificate, format!("{}：{why}", ca.display()));
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(ca).map_err(|e| bad(e.to_string()))? {
        let cert = cert.map_err(|e| bad(e.to_string()))?;
        roots.add(cert).map_err(|e| bad(e.to_string()))?;
    }
    if roots.is_empty() {
        return Err(bad("文件中没有证书".into()));
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| bad(e.to_string()))?
    .with_root_certificates(roots)
    .with_no_client_auth();
    Ok(tokio_rustls::TlsConnector::from(Arc::new(config)))
}

/// What went wrong in a TLS handshake, in Chinese: above all, a platform certificate that the
/// CA the station was given did not sign.
fn tls_problem(e: &std::io::Error, host: &str) -> String {
    use rustls::{CertificateError as C, Error as R};
    let Some(r) = e.get_ref().and_then(|x| x.downcast_ref::<R>()) else {
        return io_error(e);
    };
    match r {
        R::InvalidCertificate(C::UnknownIssuer) => "平台的证书不是 --ca-file 指定的 CA 签发的（签发者未知），拒绝连接：请向平台管理员索取签发平台证书的 CA 证书".into(),
        R::InvalidCertificate(C::NotValidForName | C::NotValidForNameContext { .. }) => {
            format!("平台的证书不是签发给 {host} 的，拒绝连接：请核对 --to 中的主机名")
        }
        R::InvalidCertificate(C::Expired | C::ExpiredContext { .. }) => {
            "平台的证书已过期，拒绝连接：请平台管理员更换证书".into()
        }
        R::InvalidCertificate(C::NotValidYet | C::NotValidYetContext { .. }) => {
            "平台的证书尚未生效（请核对本机时间），拒绝连接".into()
        }
        R::InvalidCertificate(other) => format!("平台的证书无法验证（{other:?}），拒绝连接"),
        other => format!("TLS 握手失败（{other}）"),
    }
}

impl Http {
    fn new(url: &str, token: &str, ca: Option<&Path>) -> Result<Http, AppError> {
        let target = parse_url(url)?;
        let tls = match (target.tls, ca) {
            (true, Some(ca)) => Some(tls_connector(ca)?),
            (true, None) => {
                return Err(AppError::invalid(
                    Field::Certificate,
                    "https 地址须用 --ca-file 指定签发平台证书的 CA 证书（PEM）",
                ));
            }
            (false, _) => None,
        };
        Ok(Http {
            target,
            tls,
            auth: format!("Bearer {token}"),
            sender: None,
        })
    }

    async fn connect(&mut self) -> Result<SendRequest<Full<Bytes>>, AppError> {
        let t = &self.target;
        let tcp = tokio::net::TcpStream::connect((t.host.as_str(), t.port))
            .await
            .map_err(|e| net(&format!("连接 {}", t.authority), io_error(&e)))?;
        let _ = tcp.set_nodelay(true);
        let sender = match &self.tls {
            Some(tls) => {
                let name = rustls::pki_types::ServerName::try_from(t.host.clone())
                    .map_err(|e| AppError::invalid(Field::Url, e.to_string()))?;
                let stream = tls
                    .connect(name, tcp)
                    .await
                    .map_err(|e| net("TLS 握手", tls_problem(&e, &t.host)))?;
                let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
                    .await
                    .map_err(|e| net("HTTP 握手", e))?;
                tokio::spawn(conn);
                sender
            }
            None => {
                let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tcp))
                    .await
                    .map_err(|e| net("HTTP 握手", e))?;
                tokio::spawn(conn);
                sender
            }
        };
        Ok(sender)
    }

    async fn send(
        &mut self,
        method: Method,
        path: &str,
        headers: &[(&str, String)],
        body: Bytes,
    ) -> Result<Answer, AppError> {
        let mut sender = match self.sender.take() {
            Some(s) if !s.is_closed() => s,
            _ => self.connect().await?,
        };
        sender.ready().await.map_err(|e| net("连接", e))?;
        let mut b = hyper::Request::builder()
            .method(method)
            .uri(path)
            .header(hyper::header::HOST, &self.target.authority)
            .header(hyper::header::AUTHORIZATION, &self.auth);
        for (k, v) in headers {
            b = b.header(*k, v);
        }
        let req = b
            .body(Full::new(body))
            .map_err(|e| AppError::OffloadFailed(e.to_string()))?;
        let resp = sender.send_request(req).await.map_err(|e| net(path, e))?;
        let status = resp.status();
        let headers = resp.headers().clone();
        let body = resp
            .into_body()
            .collect()
            .await
            .map_err(|e| net(path, e))?
            .to_bytes();
        self.sender = Some(sender);
        Ok(Answer {
            status,
            headers,
            body,
        })
    }

    async fn json(&mut self, method: Method, path: &str, body: &Value) -> Result<Answer, AppError> {
        self.send(
            method,
            path,
            &[("content-type", "application/json".into())],
            Bytes::from(body.to_string()),
        )
        .await
    }
}

/// A device file hashed at the station.
struct Hashed {
    opened: Opened,
    sha256: Sha256,
    sm3: Sm3,
}

fn hash_file(path: &Path, dev: u64, ino: u64) -> Result<Result<Hashed, String>, AppError> {
    let mut f = match File::open(path) {
        Ok(f) => f,
        Err(e) => return Ok(Err(format!("无法读取：{}", io_error(&e)))),
    };
    let opened = match f.metadata() {
        Ok(m) if m.is_file() && m.dev() == dev && m.ino() == ino => Opened::of(&m),
        _ => return Ok(Err("文件在读取时被替换，未上传".into())),
    };
    let d = match crate::hashing::hash_stream(&mut f) {
        Ok(d) => d,
        Err(e) => return Ok(Err(format!("读取中断：{}", io_error(&e)))),
    };
    if d.size != opened.size {
        return Ok(Err(format!(
            "文件在读取期间发生变化（{} → {} 字节），未上传：请确认设备已停止录制后重新导入",
            opened.size, d.size
        )));
    }
    let sha256 =
        Sha256::parse(&d.sha256_hex()).map_err(|e| AppError::OffloadFailed(e.to_string()))?;
    let sm3 = Sm3::parse(&d.sm3_hex()).map_err(|e| AppError::OffloadFailed(e.to_string()))?;
    Ok(Ok(Hashed {
        opened,
        sha256,
        sm3,
    }))
}

/// How sending one file ended.
enum Sent {
    Done(Completed),
    /// Refused by the platform (its Chinese message).
    Refused(String),
    /// The run's chunk budget ran out.
    CutOff,
}

/// Runs a station ingest. See the module documentation.
pub async fn ingest(req: &IngestRequest) -> Result<IngestReport, AppError> {
    let station = id(Field::Station, StationId::parse, &req.station)?;
    let token = req.token.trim();
    let token_station = token
        .strip_prefix(TOKEN_PREFIX)
        .and_then(|r| r.rsplit_once('_'))
        .map(|(s, _)| s);
    if token_station != Some(station.as_str()) {
        return Err(AppError::invalid(
            Field::Key,
            format!("凭据文件中的令牌不是采集站 {station} 的（须为 {TOKEN_PREFIX}{station}_…）"),
        ));
    }
    let chunk = req.chunk.clamp(1, CHUNK_MAX);
    let mut http = Http::new(&req.url, token, req.ca_file.as_deref())?;
    let source = std::fs::canonicalize(&req.source).map_err(|e| AppError::SourceUnreadable {
        path: req.source.clone(),
        reason: io_error(&e),
    })?;
    if !source.is_dir() {
        return Err(AppError::SourceUnreadable {
            path: req.source.clone(),
            reason: "不是目录".into(),
        });
    }
    let walked = crate::blocking(|| walk(&source, &[]))?;
    if walked.found.is_empty() && walked.skipped.is_empty() {
        return Err(AppError::EmptySource(req.source.clone()));
    }
    let mut report = IngestReport {
        station: station.to_string(),
        device: req.device.clone(),
        officer: req.officer.clone(),
        files: Vec::new(),
        bytes_sent: 0,
        complete: true,
        device_cleared: false,
        cleared: Vec::new(),
        kept_on_device: Vec::new(),
        skipped: walked.skipped.clone(),
    };
    let mut budget = req.max_chunks;
    let mut confirmed: Vec<(&crate::offload::Found, Hashed)> = Vec::new();
    let mut unread = walked.unread;
    for f in &walked.found {
        let mut sent = SentFile {
            file: f.rel.clone(),
            size: f.size,
            sha256: None,
            outcome: String::new(),
            reason: None,
            confirmed: false,
            resumed_from: 0,
            bytes_sent: 0,
        };
        if f.size == 0 {
            sent.outcome = "local_skip".into();
            sent.reason = Some("空文件（0 字节）".into());
            report.files.push(sent);
            continue;
        }
        let hashed = match crate::blocking(|| hash_file(&f.abs, f.dev, f.ino))? {
            Ok(h) => h,
            Err(reason) => {
                unread = true;
                sent.outcome = "local_skip".into();
                sent.reason = Some(reason);
                report.files.push(sent);
                continue;
            }
        };
        sent.sha256 = Some(hashed.sha256.to_string());
        let result = send_file(&mut http, req, f, &hashed, chunk, &mut budget, &mut sent).await;
        report.bytes_sent += sent.bytes_sent;
        match result {
            Ok(Sent::Done(c)) => {
                sent.confirmed = c.stored && c.verified_in_every_root;
                sent.outcome = c.outcome;
                sent.reason = c.reason;
                if sent.confirmed {
                    confirmed.push((f, hashed));
                }
                report.files.push(sent);
            }
            Ok(Sent::Refused(message)) => {
                sent.outcome = "refused".into();
                sent.reason = Some(message);
                report.complete = false;
                report.files.push(sent);
            }
            Ok(Sent::CutOff) => {
                sent.outcome = "interrupted".into();
                report.complete = false;
                report.files.push(sent);
                break;
            }
            Err(e) => {
                sent.outcome = "interrupted".into();
                sent.reason = Some(e.to_string());
                report.files.push(sent);
                report.complete = false;
                return Err(e);
            }
        }
    }
    if req.clear_device && report.complete && !unread {
        let mut kept = false;
        for (f, h) in &confirmed {
            let checked = crate::blocking(|| {
                clear_checked(&f.abs, &h.opened, &h.sha256, &h.sm3, || Ok(None))
            })?;
            match checked {
                None => report.cleared.push(f.rel.clone()),
                Some(reason) => {
                    kept = true;
                    report.kept_on_device.push(ListedFile {
                        file: f.rel.clone(),
                        reason,
                    });
                }
            }
        }
        report.device_cleared = !kept
            && report
                .files
                .iter()
                .all(|s| s.confirmed || s.outcome == "local_skip");
    }
    Ok(report)
}

/// Declares, sends and completes one file.
async fn send_file(
    http: &mut Http,
    req: &IngestRequest,
    f: &crate::offload::Found,
    h: &Hashed,
    chunk: u64,
    budget: &mut Option<u64>,
    sent: &mut SentFile,
) -> Result<Sent, AppError> {
    let declared = serde_json::json!({
        "device": req.device,
        "officer": req.officer,
        "file_name": f.rel,
        "size": h.opened.size,
        "sha256": h.sha256.as_str(),
        "sm3": h.sm3.as_str(),
    });
    let a = http
        .json(Method::POST, "/api/v1/uploads", &declared)
        .await?;
    if !a.status.is_success() {
        return Err(AppError::OffloadFailed(format!(
            "平台拒绝了文件 {}：{}",
            f.rel,
            a.message()
        )));
    }
    let v = a.json();
    let Some(upload) = v["id"].as_str().map(str::to_string) else {
        let c: Completed = serde_json::from_value(v).map_err(|e| net("读取平台的答复", e))?;
        return Ok(Sent::Done(c));
    };
    let mut offset = v["offset"].as_u64().unwrap_or(0);
    sent.resumed_from = offset;
    let file = File::open(&f.abs).map_err(|e| AppError::io(&f.abs, e))?;
    let size = h.opened.size;
    let path = format!("/api/v1/uploads/{upload}");
    let mut buf = vec![0u8; usize::try_from(chunk.min(size)).unwrap_or(usize::MAX)];
    let mut retries = 0;
    while offset < size {
        if let Some(left) = budget.as_mut() {
            if *left == 0 {
                return Ok(Sent::CutOff);
            }
            *left -= 1;
        }
        let n = usize::try_from((size - offset).min(chunk)).unwrap_or(usize::MAX);
        crate::blocking(|| file.read_exact_at(&mut buf[..n], offset))
            .map_err(|e| AppError::io(&f.abs, e))?;
        let answer = http
            .send(
                Method::PATCH,
                &path,
                &[
                    ("upload-offset", offset.to_string()),
                    ("content-type", "application/offset+octet-stream".into()),
                ],
                Bytes::copy_from_slice(&buf[..n]),
            )
            .await;
        match answer {
            Ok(a) if a.status.is_success() => {
                sent.bytes_sent += n as u64;
                offset = a.offset().unwrap_or(offset + n as u64);
                retries = 0;
            }
            Ok(a) if a.status == StatusCode::CONFLICT && a.offset().is_some() => {
                sent.bytes_sent += n as u64;
                offset = a.offset().unwrap_or(offset);
            }
            Ok(a) => {
                return Err(AppError::OffloadFailed(format!(
                    "平台拒绝了文件 {} 的数据：{}",
                    f.rel,
                    a.message()
                )));
            }
            // The connection dropped: ask where the platform stands and go on from there.
            Err(e) if retries < 3 => {
                retries += 1;
                tracing::warn!(file = %f.rel, error = %e, "chunk not sent; asking the offset");
                tokio::time::sleep(std::time::Duration::from_millis(500 * retries)).await;
                let a = http.send(Method::GET, &path, &[], Bytes::new()).await?;
                offset = a.offset().ok_or_else(|| net("查询进度", a.message()))?;
            }
            Err(e) => return Err(e),
        }
    }
    let a = http
        .send(Method::POST, &format!("{path}/complete"), &[], Bytes::new())
        .await?;
    if a.status == StatusCode::CONFLICT {
        return Ok(Sent::Refused(a.message()));
    }
    if !a.status.is_success() {
        return Err(AppError::OffloadFailed(format!(
            "平台未能入库文件 {}：{}",
            f.rel,
            a.message()
        )));
    }
    let c: Completed = serde_json::from_slice(&a.body).map_err(|e| net("读取平台的答复", e))?;
    Ok(Sent::Done(c))
}
