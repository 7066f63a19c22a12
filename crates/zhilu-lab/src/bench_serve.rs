//! `bench serve`: random 64 KiB ranges of a large file (1 GiB by default), served by
//! (a) our `zhilu_web::content::respond` and (b) nginx, under one load generator written here.
//!
//! * Target A is "a URL and extra headers": by default a plain axum server started here
//!   ([`start_plain_server`]) on the generated file; the real, authorised endpoint
//!   (`http://127.0.0.1:PORT/api/v1/recordings/{sha256}/content` with a session cookie) can take
//!   its place through [`ServeBenchOptions::target`].
//! * Target B is Debian's nginx, run as a child process with its own configuration in a
//!   temporary directory (`sendfile off; tcp_nopush off; tcp_nodelay on`: Debian's default
//!   `sendfile on; tcp_nopush on` stalls 64 KiB ranges on keep-alive connections).
//! * The load generator: N keep-alive HTTP/1.1 connections (raw hyper over tokio, TCP_NODELAY),
//!   each issuing sequential `GET` requests with `Range: bytes=S-(S+65535)` at random offsets, for
//!   a warm-up and then a measured duration. Every response must be 206 with exactly the range's
//!   length (and, on the generated file, the right bytes at its start). It runs on its own
//!   runtime and the plain server on another, each with two workers like nginx's two processes,
//!   so the caller's runtime does not change the figures.

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::net::{SocketAddr, TcpListener as StdListener, TcpStream as StdStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Request, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::serve::ListenerExt;
use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper_util::rt::TokioIo;
use serde::Serialize;
use zhilu_web::content::{self, Servable};

use crate::{LabError, Spread};

/// Where target A is: a URL serving a file of `len` bytes, and headers sent with every request
/// (a session `Cookie`, for the real endpoint).
#[derive(Debug, Clone)]
pub struct Target {
    /// `http://host:port/path`; plain HTTP only.
    pub url: String,
    pub headers: Vec<(String, String)>,
    /// The length of the file behind the URL: the random ranges stay inside it.
    pub len: u64,
    /// The name in the table (`zhilu` when the harness starts its own server).
    pub label: String,
}

#[derive(Debug, Clone)]
pub struct ServeBenchOptions {
    /// The size of the generated file nginx (and the plain server) serves. Default 1 GiB.
    pub file_size: u64,
    /// The length of every range. Default 64 KiB.
    pub range_len: u64,
    pub warmup: Duration,
    pub duration: Duration,
    /// One run per count, for each server. Default 16 and 64.
    pub connections: Vec<usize>,
    /// Rounds of every count, each round measuring both servers, alternating which goes first
    /// (A B, B A, …): one server's good or bad minute then lands on both. Default 3.
    pub runs: usize,
    /// `None`: start [`start_plain_server`] on the generated file.
    pub target: Option<Target>,
    /// The nginx binary; `None` looks on `PATH`, then `/usr/sbin/nginx`.
    pub nginx: Option<PathBuf>,
    /// Where the generated file and nginx's directory go (a temporary directory inside it,
    /// deleted afterwards). `None`: the system's temporary directory.
    pub work_dir: Option<PathBuf>,
    /// Worker threads of the plain server, and of the load generator (nginx gets as many
    /// worker processes). Default 2.
    pub workers: usize,
    pub seed: u64,
}

impl Default for ServeBenchOptions {
    fn default() -> Self {
        ServeBenchOptions {
            file_size: 1 << 30,
            range_len: 64 * 1024,
            warmup: Duration::from_secs(1),
            duration: Duration::from_secs(5),
            connections: vec![16, 64],
            runs: 3,
            target: None,
            nginx: None,
            work_dir: None,
            workers: 2,
            seed: 0x5EED_2026,
        }
    }
}

/// One server at one connection count.
#[derive(Debug, Clone, Serialize)]
pub struct ServeBenchRow {
    /// The round (from 1).
    pub run: usize,
    pub server: String,
    pub connections: usize,
    pub requests: u64,
    pub requests_per_second: f64,
    pub p50_us: u64,
    pub p99_us: u64,
}

/// Target A against nginx at one connection count, over the rounds (each round's ratio is of
/// the two servers measured back to back in that round).
#[derive(Debug, Clone, Serialize)]
pub struct ServeBenchRatio {
    pub connections: usize,
    /// `A req/s ÷ nginx req/s` (above 1: A is faster).
    pub requests_per_second: Spread,
    /// `A p50 ÷ nginx p50` (below 1: A answers sooner).
    pub p50: Spread,
}

#[derive(Debug, Clone, Serialize)]
pub struct ServeBenchReport {
    pub file_size: u64,
    pub range_len: u64,
    pub duration_seconds: f64,
    pub runs: usize,
    pub nginx_version: String,
    pub rows: Vec<ServeBenchRow>,
    pub ratios: Vec<ServeBenchRatio>,
}

impl ServeBenchReport {
    /// The figures as a text table.
    pub fn table(&self) -> String {
        let mut out = format!(
            "{} 字节文件中随机 {} 字节范围，每组 {:.1} 秒，交替 {} 轮（{}）\n{:<3} {:<10} {:>6} {:>10} {:>9} {:>9}\n",
            self.file_size,
            self.range_len,
            self.duration_seconds,
            self.runs,
            self.nginx_version,
            "run",
            "server",
            "conns",
            "req/s",
            "p50 µs",
            "p99 µs"
        );
        for r in &self.rows {
            out += &format!(
                "{:<3} {:<10} {:>6} {:>10.0} {:>9} {:>9}\n",
                r.run, r.server, r.connections, r.requests_per_second, r.p50_us, r.p99_us
            );
        }
        for r in &self.ratios {
            out += &format!(
                "ours/nginx at {:>3} conns (min / median / max): req/s {}×, p50 {}×\n",
                r.connections,
                r.requests_per_second.show(2),
                r.p50.show(2)
            );
        }
        out
    }
}

/// Runs the benchmark: for each connection count, target A then nginx.
pub async fn bench_serve(opts: ServeBenchOptions) -> Result<ServeBenchReport, LabError> {
    tokio::task::spawn_blocking(move || run(opts))
        .await
        .map_err(|e| LabError::Invalid(format!("基准任务失败：{e}")))?
}

fn invalid(what: &str, e: impl std::fmt::Display) -> LabError {
    LabError::Invalid(format!("{what}：{e}"))
}

fn run(opts: ServeBenchOptions) -> Result<ServeBenchReport, LabError> {
    if opts.range_len == 0 || opts.file_size < opts.range_len || opts.file_size > 64 << 30 {
        return Err(LabError::Invalid(
            "文件大小须不小于范围长度且不超过 64 GiB，范围长度须大于 0".into(),
        ));
    }
    if opts.connections.is_empty() || opts.connections.iter().any(|&c| c == 0 || c > 4096) {
        return Err(LabError::Invalid("连接数须在 1 到 4096 之间".into()));
    }
    if opts.target.as_ref().is_some_and(|t| t.len < opts.range_len) {
        return Err(LabError::Invalid("目标文件比请求的范围还短".into()));
    }
    let nginx = match &opts.nginx {
        Some(p) => p.clone(),
        None => find_nginx().ok_or_else(|| {
            LabError::Invalid("未找到 nginx（可用 apt-get install -y nginx 安装）".into())
        })?,
    };
    let workers = opts.workers.max(1);
    let base = opts.work_dir.clone().unwrap_or_else(std::env::temp_dir);
    let dir = tempfile::Builder::new()
        .prefix("zhilu-bench-serve-")
        .tempdir_in(&base)
        .map_err(|e| LabError::io(&base, e))?;
    let www = dir.path().join("www");
    fs::create_dir_all(&www).map_err(|e| LabError::io(&www, e))?;
    let file = www.join("footage.mp4");
    write_pattern(&file, opts.file_size)?;
    // nginx's workers drop to `nobody` when started as root: they must reach the file.
    open_up(dir.path())?;
    open_up(&www)?;

    let ngx = Nginx::start(&nginx, dir.path(), &www, workers)?;
    let nginx_target = Target {
        url: format!("http://{}/footage.mp4", ngx.addr),
        headers: Vec::new(),
        len: opts.file_size,
        label: "nginx".into(),
    };
    let plain;
    let (target_a, verify_a) = match &opts.target {
        Some(t) => (t.clone(), false),
        None => {
            plain = start_plain_server(file.clone(), opts.file_size, workers)?;
            (
                Target {
                    url: plain.url.clone(),
                    headers: Vec::new(),
                    len: opts.file_size,
                    label: "zhilu".into(),
                },
                true,
            )
        }
    };

    let runs = opts.runs.max(1);
    let mut rows = Vec::new();
    let mut per_conns: Vec<(Vec<f64>, Vec<f64>)> =
        vec![(Vec::new(), Vec::new()); opts.connections.len()];
    for run in 0..runs {
        for (i, &conns) in opts.connections.iter().enumerate() {
            let seed = opts.seed ^ ((i as u64) << 32) ^ ((run as u64) << 48);
            let load = |t: &Target, verify: bool| Load {
                target: t.clone(),
                connections: conns,
                range_len: opts.range_len,
                warmup: opts.warmup,
                duration: opts.duration,
                verify,
                seed,
                workers,
            };
            let (mut a, mut b) = if run % 2 == 0 {
                let a = load(&target_a, verify_a).run()?;
                (a, load(&nginx_target, true).run()?)
            } else {
                let b = load(&nginx_target, true).run()?;
                (load(&target_a, verify_a).run()?, b)
            };
            a.run = run + 1;
            b.run = run + 1;
            per_conns[i]
                .0
                .push(a.requests_per_second / b.requests_per_second);
            per_conns[i]
                .1
                .push(a.p50_us as f64 / b.p50_us.max(1) as f64);
            rows.push(a);
            rows.push(b);
        }
    }
    let ratios = opts
        .connections
        .iter()
        .zip(per_conns)
        .map(|(&connections, (rps, p50))| ServeBenchRatio {
            connections,
            requests_per_second: Spread::of(rps),
            p50: Spread::of(p50),
        })
        .collect();
    let nginx_version = ngx.version.clone();
    drop(ngx);
    Ok(ServeBenchReport {
        file_size: opts.file_size,
        range_len: opts.range_len,
        duration_seconds: opts.duration.as_secs_f64(),
        runs,
        nginx_version,
        rows,
        ratios,
    })
}

/// `nginx` on `PATH`, else `/usr/sbin/nginx`.
pub fn find_nginx() -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|d| d.join("nginx"));
    on_path
        .chain([PathBuf::from("/usr/sbin/nginx")])
        .find(|p| p.is_file())
}

fn open_up(path: &Path) -> Result<(), LabError> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(0o755)).map_err(|e| LabError::io(path, e))
}

/// The byte at offset `p` of the generated file: every aligned 8-byte word holds its own offset
/// (little-endian), so any range can be checked without reading the file.
fn pattern_byte(p: u64) -> u8 {
    (p & !7).to_le_bytes()[(p & 7) as usize]
}

fn write_pattern(path: &Path, len: u64) -> Result<(), LabError> {
    let io = |e| LabError::io(path, e);
    let f = File::create(path).map_err(io)?;
    let mut w = BufWriter::with_capacity(1 << 20, f);
    let mut at = 0u64;
    let mut block = Vec::with_capacity(1 << 20);
    while at < len {
        let n = (len - at).min(1 << 20);
        block.clear();
        block.extend((at..at + n).map(pattern_byte));
        w.write_all(&block).map_err(io)?;
        at += n;
    }
    let f = w.into_inner().map_err(|e| io(e.into_error()))?;
    f.sync_all().map_err(io)?;
    // Make the file readable by nginx's `nobody` workers.
    open_up(path)?;
    fs::set_permissions(path, std::os::unix::fs::PermissionsExt::from_mode(0o644)).map_err(io)
}

/// A free loopback port: bind port 0, read it, release it (nginx cannot listen on port 0).
fn free_port() -> Result<u16, LabError> {
    let l = StdListener::bind("127.0.0.1:0").map_err(|e| invalid("无法取得空闲端口", e))?;
    let port = l
        .local_addr()
        .map_err(|e| invalid("无法取得空闲端口", e))?
        .port();
    Ok(port)
}

/// Waits until something accepts connections on `addr`.
fn wait_listening(addr: SocketAddr, what: &str) -> Result<(), LabError> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if StdStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(LabError::Invalid(format!(
                "{what} 未在 10 秒内开始监听 {addr}"
            )));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// nginx as a child process with its own configuration; stopped (`-s stop`) when dropped.
struct Nginx {
    bin: PathBuf,
    conf: PathBuf,
    prefix: PathBuf,
    child: Child,
    addr: SocketAddr,
    version: String,
}

impl Nginx {
    fn start(bin: &Path, dir: &Path, www: &Path, workers: usize) -> Result<Self, LabError> {
        let version = Command::new(bin)
            .arg("-v")
            .output()
            .map(|o| String::from_utf8_lossy(&o.stderr).trim().to_string())
            .map_err(|e| LabError::io(bin, e))?;
        let port = free_port()?;
        let addr: SocketAddr = ([127, 0, 0, 1], port).into();
        let d = dir.display();
        let conf = dir.join("nginx.conf");
        // As root, nginx's workers would drop to `nobody`, who may not traverse the work
        // directory's parents (a home directory, a CI checkout): keep them as root instead.
        let as_root = {
            use std::os::unix::fs::MetadataExt;
            fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
        };
        let user = if as_root { "user root;\n" } else { "" };
        let text = format!(
            "{user}daemon off;
master_process on;
worker_processes {workers};
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    sendfile off;
    tcp_nopush off;
    tcp_nodelay on;
    keepalive_requests 100000;
    keepalive_timeout 75s;
    client_body_temp_path {d}/client_body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    types {{ video/mp4 mp4; }}
    default_type application/octet-stream;
    server {{
        listen {addr};
        root {www};
        location / {{ }}
    }}
}}
",
            www = www.display()
        );
        fs::write(&conf, text).map_err(|e| LabError::io(&conf, e))?;
        let child = Command::new(bin)
            .arg("-p")
            .arg(dir)
            .arg("-c")
            .arg(&conf)
            .arg("-e")
            .arg(dir.join("error.log"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| LabError::io(bin, e))?;
        let mut ngx = Nginx {
            bin: bin.to_path_buf(),
            conf,
            prefix: dir.to_path_buf(),
            child,
            addr,
            version,
        };
        if let Err(e) = wait_listening(addr, "nginx") {
            let log = fs::read_to_string(dir.join("error.log")).unwrap_or_default();
            let exited = ngx.child.try_wait().ok().flatten();
            return Err(LabError::Invalid(format!(
                "{e}（退出状态：{exited:?}；错误日志：{}）",
                log.trim()
            )));
        }
        Ok(ngx)
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        // The master stops its workers; killing only the master would leave them running.
        let stopped = Command::new(&self.bin)
            .arg("-p")
            .arg(&self.prefix)
            .arg("-c")
            .arg(&self.conf)
            .arg("-e")
            .arg(self.prefix.join("error.log"))
            .args(["-s", "stop"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if stopped {
            let deadline = Instant::now() + Duration::from_secs(5);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = self.child.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The plain server: `GET /footage` answered by `content::respond` on one file (opened per
/// request, as the real endpoint opens the vault object), on its own runtime. Stops when dropped.
pub struct PlainServer {
    pub url: String,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Drop for PlainServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

struct PlainFile {
    path: PathBuf,
    len: u64,
    etag: String,
}

async fn plain_content(State(f): State<Arc<PlainFile>>, headers: HeaderMap) -> Response {
    let range = content::parse_range(&headers, f.len);
    // Opening a cached path is a few microseconds: done in place, like the real handler may.
    match File::open(&f.path) {
        Ok(file) => content::respond(
            Servable {
                file: Arc::new(file),
                len: f.len,
                content_type: "video/mp4",
                etag: f.etag.clone(),
            },
            range,
            |_| {},
        ),
        Err(_) => (StatusCode::INTERNAL_SERVER_ERROR, "无法打开文件").into_response(),
    }
}

/// Starts the plain `content::respond` server on `path` (of `len` bytes) with `workers` runtime
/// threads, listening on a free loopback port with TCP_NODELAY.
pub fn start_plain_server(
    path: PathBuf,
    len: u64,
    workers: usize,
) -> Result<PlainServer, LabError> {
    let listener = StdListener::bind("127.0.0.1:0").map_err(|e| invalid("无法监听本机端口", e))?;
    let addr = listener
        .local_addr()
        .map_err(|e| invalid("无法监听本机端口", e))?;
    listener
        .set_nonblocking(true)
        .map_err(|e| invalid("无法监听本机端口", e))?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers.max(1))
        .thread_name("bench-plain")
        .enable_all()
        .build()
        .map_err(|e| invalid("无法启动服务运行时", e))?;
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let file = Arc::new(PlainFile {
        path,
        len,
        etag: format!("{len:064x}"),
    });
    let thread = std::thread::spawn(move || {
        rt.block_on(async move {
            let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
                return;
            };
            let listener = listener.tap_io(|t| {
                let _ = t.set_nodelay(true);
            });
            let app = Router::new()
                .route("/footage", get(plain_content))
                .with_state(file);
            tokio::select! {
                _ = axum::serve(listener, app) => {}
                _ = rx => {}
            }
        });
        rt.shutdown_timeout(Duration::from_secs(1));
    });
    Ok(PlainServer {
        url: format!("http://{addr}/footage"),
        shutdown: Some(tx),
        thread: Some(thread),
    })
}

/// A tiny xorshift64* generator: random offsets, no dependency.
struct XorShift(u64);
impl XorShift {
    fn new(seed: u64) -> Self {
        XorShift(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

/// One run of the load generator against one target.
struct Load {
    target: Target,
    connections: usize,
    range_len: u64,
    warmup: Duration,
    duration: Duration,
    /// Check the first bytes of every range against [`pattern_byte`].
    verify: bool,
    seed: u64,
    workers: usize,
}

/// What one connection measured.
#[derive(Default)]
struct Tally {
    latencies_us: Vec<u32>,
}

impl Load {
    fn run(self) -> Result<ServeBenchRow, LabError> {
        // Named, so that a profile of the process tells the load from the server.
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(self.workers.max(1))
            .thread_name("bench-load")
            .enable_all()
            .build()
            .map_err(|e| invalid("无法启动负载运行时", e))?;
        let uri: Uri = self
            .target
            .url
            .parse()
            .map_err(|e| invalid("目标地址无效", e))?;
        if uri.scheme_str() != Some("http") {
            return Err(LabError::Invalid("目标地址须为 http://".into()));
        }
        let authority = uri
            .authority()
            .ok_or_else(|| LabError::Invalid("目标地址缺少主机".into()))?
            .clone();
        let path = uri
            .path_and_query()
            .map_or("/".to_string(), |p| p.as_str().to_string());
        let mut extra = HeaderMap::new();
        for (k, v) in &self.target.headers {
            let name =
                HeaderName::try_from(k.as_str()).map_err(|e| invalid("请求头名称无效", e))?;
            let value =
                HeaderValue::try_from(v.as_str()).map_err(|e| invalid("请求头值无效", e))?;
            extra.append(name, value);
        }
        let host = HeaderValue::try_from(authority.as_str()).map_err(|e| invalid("主机无效", e))?;
        let shared = Arc::new((path, extra, host));
        let start = Instant::now();
        let measured_from = start + self.warmup;
        let until = measured_from + self.duration;
        let this = Arc::new(self);
        let tallies = rt.block_on(async {
            let mut tasks = Vec::new();
            for c in 0..this.connections {
                let this = Arc::clone(&this);
                let shared = Arc::clone(&shared);
                let authority = authority.to_string();
                tasks.push(tokio::spawn(async move {
                    this.connection(c, &authority, &shared, measured_from, until)
                        .await
                }));
            }
            let mut tallies = Vec::new();
            for t in tasks {
                tallies.push(t.await.map_err(|e| invalid("负载任务失败", e))??);
            }
            Ok::<_, LabError>(tallies)
        })?;
        rt.shutdown_timeout(Duration::from_secs(1));
        let mut all: Vec<u32> = tallies.into_iter().flat_map(|t| t.latencies_us).collect();
        if all.is_empty() {
            return Err(LabError::Invalid("测量期间没有完成任何请求".into()));
        }
        all.sort_unstable();
        let pct = |p: usize| u64::from(all[(all.len() * p / 100).min(all.len() - 1)]);
        Ok(ServeBenchRow {
            run: 0,
            server: this.target.label.clone(),
            connections: this.connections,
            requests: all.len() as u64,
            requests_per_second: all.len() as f64 / this.duration.as_secs_f64(),
            p50_us: pct(50),
            p99_us: pct(99),
        })
    }

    /// One keep-alive connection issuing requests one after another until `until`; latencies of
    /// the requests started at or after `measured_from` are kept.
    async fn connection(
        &self,
        index: usize,
        authority: &str,
        (path, extra, host): &(String, HeaderMap, HeaderValue),
        measured_from: Instant,
        until: Instant,
    ) -> Result<Tally, LabError> {
        let stream = tokio::net::TcpStream::connect(authority)
            .await
            .map_err(|e| invalid("无法连接目标", e))?;
        let _ = stream.set_nodelay(true);
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| invalid("HTTP 握手失败", e))?;
        let driver = tokio::spawn(conn);
        let mut rng = XorShift::new(self.seed ^ (index as u64 + 1));
        let span = self.target.len - self.range_len + 1;
        let mut tally = Tally::default();
        loop {
            let now = Instant::now();
            if now >= until {
                break;
            }
            let first = rng.next() % span;
            let last = first + self.range_len - 1;
            let mut req = Request::get(path.as_str())
                .header(header::HOST, host.clone())
                .header(header::RANGE, format!("bytes={first}-{last}"))
                .body(Empty::<Bytes>::new())
                .map_err(|e| invalid("无法构造请求", e))?;
            req.headers_mut().extend(extra.clone());
            sender.ready().await.map_err(|e| invalid("连接中断", e))?;
            let resp = sender
                .send_request(req)
                .await
                .map_err(|e| invalid("请求失败", e))?;
            let status = resp.status();
            let mut body = resp.into_body();
            let mut got = 0u64;
            let mut head = [0u8; 8];
            while let Some(frame) = body.frame().await {
                let frame = frame.map_err(|e| invalid("读取响应失败", e))?;
                if let Some(data) = frame.data_ref() {
                    if got < 8 {
                        let skip = got as usize;
                        let n = data.len().min(8 - skip);
                        head[skip..skip + n].copy_from_slice(&data[..n]);
                    }
                    got += data.len() as u64;
                }
            }
            let done = Instant::now();
            if status != StatusCode::PARTIAL_CONTENT || got != self.range_len {
                return Err(LabError::Invalid(format!(
                    "{} 对 bytes={first}-{last} 返回 {status}、{got} 字节（应为 206、{} 字节）",
                    self.target.label, self.range_len
                )));
            }
            if self.verify
                && (0..8u64)
                    .take_while(|&i| i < self.range_len)
                    .any(|i| head[i as usize] != pattern_byte(first + i))
            {
                return Err(LabError::Invalid(format!(
                    "{} 对 bytes={first}-{last} 返回的内容与文件不符",
                    self.target.label
                )));
            }
            if now >= measured_from && done <= until {
                let us = done.duration_since(now).as_micros();
                tally
                    .latencies_us
                    .push(u32::try_from(us).unwrap_or(u32::MAX));
            }
        }
        drop(sender);
        driver.abort();
        Ok(tally)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pattern_is_the_offset() {
        let bytes: Vec<u8> = (8..16).map(pattern_byte).collect();
        assert_eq!(bytes, 8u64.to_le_bytes());
    }

    /// A quick run (8 MiB, 1 s, 2 connections) when nginx is installed; skipped otherwise.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn smoke() {
        if find_nginx().is_none() {
            eprintln!("nginx not found: bench serve smoke test skipped");
            return;
        }
        let report = bench_serve(ServeBenchOptions {
            file_size: 8 << 20,
            warmup: Duration::from_millis(200),
            duration: Duration::from_secs(1),
            connections: vec![2],
            runs: 2,
            ..ServeBenchOptions::default()
        })
        .await
        .unwrap();
        eprintln!("{}", report.table());
        // Two rounds, both servers each: A B, then B A.
        assert_eq!(report.rows.len(), 4);
        assert_eq!(
            report
                .rows
                .iter()
                .map(|r| (r.run, r.server.as_str()))
                .collect::<Vec<_>>(),
            [(1, "zhilu"), (1, "nginx"), (2, "zhilu"), (2, "nginx")]
        );
        assert_eq!(report.ratios[0].requests_per_second.runs.len(), 2);
        assert!(report.rows.iter().all(|r| r.requests > 0));
    }

    /// The full benchmark: `cargo test --release -p zhilu-lab bench_serve::tests::full --
    /// --ignored --nocapture`.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[ignore = "a benchmark: 1 GiB file, about 30 s"]
    async fn full() {
        let report = bench_serve(ServeBenchOptions::default()).await.unwrap();
        println!("{}", report.table());
    }
}
