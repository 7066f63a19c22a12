//! `zhilu bench serve`: the authorised content endpoint of the real server (login, grant check,
//! viewing log, Range) against nginx serving a file of the same size, in the same run; plus the
//! cost of a login (Argon2id) and of the grant check per request.
//!
//! Set-up goes through the use cases as people would: the three administrators from `init`, the
//! system administrator registers the device and the people, the custodian offloads, the officer
//! asks, the profile's approvers approve, and the officer logs in over HTTP.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use serde::Serialize;
use zhilu_app::access::{self, AccessAsk, Use};
use zhilu_app::identity::{self, NewUser};
use zhilu_app::offload::{self, OffloadRequest, Silent};
use zhilu_app::{App, DataDir, InitOptions, ProfileSource, SystemClock};

use crate::LabError;
use crate::bench_serve::{ServeBenchOptions, ServeBenchReport, Target, bench_serve};
use crate::setup::{self, PASSWORD, own_password};

const TEMPLATE_MP4: &[u8] = include_bytes!("../../zhilu-media/tests/fixtures/demo_template.mp4");
const INITIAL: &str = "Initial-Pass-2026";

/// What `zhilu bench serve` reports.
#[derive(Debug, Clone, Serialize)]
pub struct AuthorisedServeReport {
    pub serve: ServeBenchReport,
    /// Mean wall time of one login (Argon2id verify + session entry), ms.
    pub login_ms: f64,
    /// Mean time of the grant check alone (`access::authorize`) when the decision is remembered
    /// at the current ledger head (every request after the first), µs.
    pub grant_check_us: f64,
    /// Mean time of the grant check made from the catalog (the first request after any change
    /// that can alter a decision), µs.
    pub grant_check_uncached_us: f64,
    /// Mean time of reading the recording's row alone, the check's floor, µs.
    pub recording_lookup_us: f64,
}

impl AuthorisedServeReport {
    pub fn table(&self) -> String {
        format!(
            "{}\n登录（Argon2id 校验并记入审计日志）平均 {:.1} ms\n授权检查：沿用同一账本状态下的判定平均 {:.2} µs；重新从编目库判定平均 {:.1} µs（仅读取该音像记录一行：{:.1} µs，{:.1} 倍）\n",
            self.serve.table(),
            self.login_ms,
            self.grant_check_us,
            self.grant_check_uncached_us,
            self.recording_lookup_us,
            self.grant_check_uncached_us / self.recording_lookup_us.max(0.001)
        )
    }
}

fn io(p: &Path) -> impl FnOnce(std::io::Error) -> LabError + '_ {
    move |e| LabError::io(p, e)
}

/// Writes a clip of `size` bytes: a real MP4 followed by zeros (stored as evidence like any
/// other file; its tail only makes it large).
fn write_clip(path: &Path, size: u64) -> Result<(), LabError> {
    use std::io::Write;
    let mut f = std::fs::File::create(path).map_err(io(path))?;
    f.write_all(TEMPLATE_MP4).map_err(io(path))?;
    let zeros = vec![0u8; 1 << 20];
    let mut left = size.saturating_sub(TEMPLATE_MP4.len() as u64);
    while left > 0 {
        let n = left.min(zeros.len() as u64) as usize;
        f.write_all(&zeros[..n]).map_err(io(path))?;
        left -= n as u64;
    }
    f.sync_all().map_err(io(path))
}

/// Runs the benchmark in `work` (a data directory and nginx's files are made inside it).
pub async fn bench_serve_authorised(
    work: &Path,
    mut opts: ServeBenchOptions,
) -> Result<AuthorisedServeReport, LabError> {
    let data = work.join("data");
    let app = Arc::new(
        App::init(
            DataDir::new(&data),
            InitOptions {
                profile: Some(ProfileSource::Preset("luohe-xm".into())),
                ..InitOptions::default()
            },
            Arc::new(SystemClock),
        )
        .await?,
    );
    let sys = setup::sysadmin_with_camera(&app).await?;
    let chain = setup::access_chain(&app).await?;
    let mut people = vec![
        ("000123", "一大队", "officer".to_string()),
        ("K01", "一大队", "custodian".to_string()),
    ];
    let ids: Vec<String> = (0..chain.len()).map(|i| format!("AP{i}")).collect();
    for (i, role) in chain.iter().enumerate() {
        people.push((ids[i].as_str(), "局领导", role.clone()));
    }
    identity::add_users(
        &app,
        &sys,
        people
            .iter()
            .map(|(id, unit, role)| NewUser {
                id: id.to_string(),
                name: format!("测试{id}"),
                unit: unit.to_string(),
                roles: vec![role.clone()],
                password: Some(INITIAL.into()),
                ..NewUser::default()
            })
            .collect(),
    )
    .await?;
    for (id, _, _) in &people {
        own_password(&app, id, INITIAL).await?;
    }
    let login = |id: &str| {
        let app = app.clone();
        let id = id.to_string();
        async move { identity::login(&app, &id, PASSWORD, "bench").await }
    };

    // The recording: offloaded by the custodian.
    let device = work.join("device");
    std::fs::create_dir_all(&device).map_err(io(&device))?;
    let name = "DSJ0001_000123_20261120093000_0001.MP4";
    write_clip(&device.join(name), opts.file_size)?;
    let custodian = login("K01").await?.actor;
    offload::offload(
        &app,
        &custodian,
        &OffloadRequest {
            source: device.clone(),
            device: "DSJ0001".into(),
            officer: "000123".into(),
            station: "CJZ-01".into(),
            device_clock: None,
            clear_device: false,
        },
        &Silent,
    )
    .await?;
    let sha = offload::recordings(&app, &custodian, None)
        .await?
        .into_iter()
        .find(|r| r.original_name == name)
        .ok_or_else(|| LabError::Invalid("没有导入的音像记录".into()))?
        .sha256
        .to_string();
    let _ = std::fs::remove_dir_all(&device);

    // Asked for and approved along the profile's chain.
    let officer = login("000123").await?.actor;
    let request = access::request_access(
        &app,
        &officer,
        AccessAsk {
            recordings: vec![sha.clone()],
            reason: "性能测试".into(),
            ..AccessAsk::default()
        },
    )
    .await?;
    for id in &ids {
        let approver = login(id).await?.actor;
        access::approve(&app, &approver, request.id.as_str(), None).await?;
    }

    // Login cost, and the grant check against its floor.
    let n = 10;
    let t0 = Instant::now();
    for _ in 0..n {
        login("000123").await?;
    }
    let login_ms = t0.elapsed().as_secs_f64() * 1e3 / n as f64;
    let n = 2000;
    let t0 = Instant::now();
    for _ in 0..n {
        access::authorize(&app, &officer, &sha, Use::Stream).await?;
    }
    let grant_check_us = t0.elapsed().as_secs_f64() * 1e6 / n as f64;
    let t0 = Instant::now();
    for _ in 0..n {
        app.forget_decisions();
        access::authorize(&app, &officer, &sha, Use::Stream).await?;
    }
    let grant_check_uncached_us = t0.elapsed().as_secs_f64() * 1e6 / n as f64;
    let t0 = Instant::now();
    for _ in 0..n {
        offload::recordings(&app, &officer, Some("DSJ0001")).await?;
    }
    let recording_lookup_us = t0.elapsed().as_secs_f64() * 1e6 / n as f64;

    // The real server, and the officer's session cookie from a real login.
    let running = zhilu_web::start(
        app.clone(),
        zhilu_web::ServeOptions {
            bind: "127.0.0.1:0".parse().expect("address"),
            tls: None,
        },
    )
    .await
    .map_err(|e| LabError::Io(PathBuf::from("serve"), e))?;
    let cookie = http_login(running.addr, "000123", PASSWORD).await?;
    opts.target = Some(Target {
        url: format!("http://{}/api/v1/recordings/{sha}/content", running.addr),
        headers: vec![("Cookie".into(), cookie)],
        len: opts.file_size,
        label: "zhilu".into(),
    });
    opts.work_dir = Some(work.to_path_buf());
    let serve = bench_serve(opts).await?;
    running.handle.abort();
    access::flush_viewings(&app).await?;
    app.settle().await;
    Ok(AuthorisedServeReport {
        serve,
        login_ms,
        grant_check_us,
        grant_check_uncached_us,
        recording_lookup_us,
    })
}

/// `POST /api/v1/session`, returning the `name=value` of the session cookie.
async fn http_login(
    addr: std::net::SocketAddr,
    user: &str,
    password: &str,
) -> Result<String, LabError> {
    use http_body_util::{BodyExt, Full};
    use hyper_util::client::legacy::Client;
    use hyper_util::rt::TokioExecutor;
    let client: Client<_, Full<bytes::Bytes>> = Client::builder(TokioExecutor::new()).build_http();
    let body = serde_json::json!({"user": user, "password": password}).to_string();
    let req = hyper::Request::post(format!("http://{addr}/api/v1/session"))
        .header("content-type", "application/json")
        .body(Full::new(bytes::Bytes::from(body)))
        .map_err(|e| LabError::Invalid(e.to_string()))?;
    let resp = client
        .request(req)
        .await
        .map_err(|e| LabError::Invalid(format!("登录请求失败：{e}")))?;
    let status = resp.status();
    let cookie = resp
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.split(';').next().map(str::to_string));
    let text = resp
        .into_body()
        .collect()
        .await
        .map(|b| String::from_utf8_lossy(&b.to_bytes()).into_owned())
        .unwrap_or_default();
    match (status.is_success(), cookie) {
        (true, Some(c)) => Ok(c),
        _ => Err(LabError::Invalid(format!("登录失败（{status}）：{text}"))),
    }
}
