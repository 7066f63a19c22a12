//! `bench export`: evidence export (R22) of recording-sized files into a BagIt bag, and into a bag
//! plus its ISO image, next to what the same work costs with common tools in the same run: `cp`
//! of the same vault files then `openssl dgst -sm3` and `-sha256` of the copies (the export
//! computes both), and for the image `xorriso -as mkisofs` of the tree. Runs are interleaved
//! (ours, baseline, ours, baseline…) so a change in the machine's load hits both sides; medians
//! are reported. Figures, never timed tests.
//!
//! Set-up goes through the use cases as people would: a fresh replay data directory, the
//! administrators from `init`, a camera and an officer registered, the custodian offloads, the
//! officer asks for a copy and the profile's approvers approve. The data directory (catalog and
//! both vault roots) may live in a memory-backed folder: the vault is only the source here, read
//! warm by both sides, and the disk then holds only what is being written (the bag, the image).

use std::fs::{self, File};
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Instant;

use chrono::TimeZone;
use serde::Serialize;
use zhilu_app::access::{self, AccessAsk};
use zhilu_app::export::{self, Disc, Facts};
use zhilu_app::identity::{self, NewUser};
use zhilu_app::offload::{self, OffloadRequest, Silent};
use zhilu_app::{Actor, App, Clock, DataDir, InitOptions, ProfileSource};

use crate::LabError;
use crate::setup::{self, PASSWORD, own_password};

const INITIAL: &str = "Initial-Pass-2026";

/// What to run.
#[derive(Debug, Clone)]
pub struct BenchExportOptions {
    /// Total size of the generated recordings, GiB.
    pub size_gib: f64,
    /// Timed runs per path and side (at least 3).
    pub runs: usize,
    /// Where the generated files, the bags, the copies and the images are written (removed after).
    pub work_dir: PathBuf,
    /// Where the data directory (catalog and vault) is made, e.g. `/dev/shm`; `work_dir` if none.
    pub vault_dir: Option<PathBuf>,
}

/// One path: our throughput next to the baseline's, medians over the runs.
#[derive(Debug, Clone, Serialize)]
pub struct PathFigures {
    /// MB/s (10^6 bytes per second of payload), median.
    pub ours_mb_s: f64,
    pub baseline_mb_s: f64,
    /// `ours_mb_s / baseline_mb_s` (target ≥ 0.8).
    pub ratio: f64,
    /// Seconds of every run, in order.
    pub ours_s: Vec<f64>,
    pub baseline_s: Vec<f64>,
}

/// What `zhilu bench export` reports.
#[derive(Debug, Clone, Serialize)]
pub struct BenchExportReport {
    pub files: usize,
    /// Payload bytes (the recordings' total size).
    pub bytes: u64,
    pub runs: usize,
    /// Where the vault was (its files are the source of both sides).
    pub vault_dir: String,
    /// How the page cache was handled.
    pub cache_note: String,
    /// `export evidence` (bag) against `cp` + `openssl dgst -sm3` + `openssl dgst -sha256`.
    pub bag: PathFigures,
    /// The same runs of ours against `cp` + `openssl dgst -sm3` only (the figure the issue names).
    pub bag_vs_cp_sm3: PathFigures,
    /// `export evidence --iso` (bag + image) against the bag baseline + `xorriso -as mkisofs`.
    pub bag_iso: Option<PathFigures>,
    /// The image step alone: `write_disc_images` of an existing bag against `xorriso -as mkisofs`
    /// of the same bag.
    pub iso_only: Option<PathFigures>,
    /// The same two ISO paths against baselines made durable as ours is (`sync` of what they
    /// wrote counted in): our image is fsynced because its SHA-256 goes into the ledger entry.
    pub bag_iso_vs_durable_baseline: Option<PathFigures>,
    pub iso_only_vs_durable_baseline: Option<PathFigures>,
    /// The bag baseline with the copies made durable (`sync` of the copies, as the export
    /// fsyncs what it writes), for reference.
    pub bag_vs_durable_baseline: PathFigures,
    /// Median seconds of each baseline step.
    pub cp_s: f64,
    pub openssl_sm3_s: f64,
    pub openssl_sha256_s: f64,
    pub sync_s: f64,
    pub xorriso_s: Option<f64>,
}

impl BenchExportReport {
    /// The figures as a Chinese table.
    pub fn table(&self) -> String {
        let row = |name: &str, base: &str, f: &PathFigures| {
            format!(
                "{name}\n  本系统 {:>8.1} MB/s   对照（{base}）{:>8.1} MB/s   比值 {:.2}\n",
                f.ours_mb_s, f.baseline_mb_s, f.ratio
            )
        };
        let mut s = format!(
            "证据导出基准：{} 个文件，共 {} 字节（{:.2} GB），每项 {} 轮，交替运行取中位数；证据库位于 {}\n{}\n\n",
            self.files,
            self.bytes,
            self.bytes as f64 / 1e9,
            self.runs,
            self.vault_dir,
            self.cache_note
        );
        s.push_str(&row(
            "导出为 BagIt 证据包",
            "cp + openssl sm3 + openssl sha256",
            &self.bag,
        ));
        s.push_str(&row(
            "导出为 BagIt 证据包（对照只含 SM3）",
            "cp + openssl sm3",
            &self.bag_vs_cp_sm3,
        ));
        s.push_str(&row(
            "导出为 BagIt 证据包（对照也落盘）",
            "cp + sync + openssl sm3 + openssl sha256",
            &self.bag_vs_durable_baseline,
        ));
        match &self.bag_iso {
            Some(f) => s.push_str(&row(
                "导出为证据包并制作光盘映像",
                "上述对照 + xorriso -as mkisofs",
                f,
            )),
            None => s.push_str("导出为证据包并制作光盘映像：未测（没有 xorriso）\n"),
        }
        if let Some(f) = &self.iso_only {
            s.push_str(&row(
                "仅制作光盘映像（同一证据包）",
                "xorriso -as mkisofs",
                f,
            ));
        }
        if let Some(f) = &self.bag_iso_vs_durable_baseline {
            s.push_str(&row(
                "导出为证据包并制作光盘映像（对照也落盘）",
                "上述对照 + xorriso + sync",
                f,
            ));
        }
        if let Some(f) = &self.iso_only_vs_durable_baseline {
            s.push_str(&row(
                "仅制作光盘映像（对照也落盘）",
                "xorriso -as mkisofs + sync",
                f,
            ));
        }
        s.push_str(&format!(
            "对照各步骤中位耗时：cp {:.2} 秒，openssl sm3 {:.2} 秒，openssl sha256 {:.2} 秒，sync {:.2} 秒{}\n",
            self.cp_s,
            self.openssl_sm3_s,
            self.openssl_sha256_s,
            self.sync_s,
            self.xorriso_s
                .map(|x| format!("，xorriso {x:.2} 秒"))
                .unwrap_or_default()
        ));
        s
    }
}

fn io(p: &Path) -> impl FnOnce(std::io::Error) -> LabError + '_ {
    move |e| LabError::io(p, e)
}

fn median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    match s.len() {
        0 => 0.0,
        n if n % 2 == 1 => s[n / 2],
        n => (s[n / 2 - 1] + s[n / 2]) / 2.0,
    }
}

fn figures(bytes: u64, ours: Vec<f64>, baseline: Vec<f64>) -> PathFigures {
    let rate = |s: f64| if s > 0.0 { bytes as f64 / 1e6 / s } else { 0.0 };
    let (o, b) = (rate(median(&ours)), rate(median(&baseline)));
    PathFigures {
        ours_mb_s: o,
        baseline_mb_s: b,
        ratio: if b > 0.0 { o / b } else { 0.0 },
        ours_s: ours,
        baseline_s: baseline,
    }
}

/// Runs `program args`, failing with its stderr; returns the seconds it took.
fn timed(program: &str, args: &[&std::ffi::OsStr]) -> Result<f64, LabError> {
    let t = Instant::now();
    let out = Command::new(program)
        .args(args)
        .output()
        .map_err(|e| LabError::Invalid(format!("无法运行 {program}：{e}")))?;
    if !out.status.success() {
        return Err(LabError::Invalid(format!(
            "{program} 运行失败：{}",
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(t.elapsed().as_secs_f64())
}

fn have(program: &str, arg: &str) -> bool {
    Command::new(program)
        .arg(arg)
        .output()
        .is_ok_and(|o| o.status.success())
}

/// File sizes for `total` bytes: 100–500 MB each, as offloads see them (scaled down for small
/// smoke runs).
fn plan_sizes(total: u64) -> Vec<u64> {
    const MB: u64 = 1_000_000;
    let pattern = [300, 150, 500, 250, 100, 400, 200, 350].map(|m| m * MB);
    let scale = (total as f64 / (1_000 * MB) as f64).min(1.0);
    let mut sizes = Vec::new();
    let mut left = total;
    let mut i = 0;
    while left > 0 {
        let want = ((pattern[i % pattern.len()] as f64 * scale) as u64).max(64 * 1024);
        let s = want.min(left);
        sizes.push(s);
        left -= s;
        i += 1;
    }
    sizes
}

/// The prepared data directory: the officer holding an approved copy grant on every recording,
/// and the vault files export reads.
struct Prepared {
    app: App,
    officer: Actor,
    grant: String,
    vault_files: Vec<PathBuf>,
    bytes: u64,
}

async fn prepare(
    data: &Path,
    device: &Path,
    total: u64,
    clock: Arc<dyn Clock>,
) -> Result<Prepared, LabError> {
    let app = App::init(
        DataDir::new(data),
        InitOptions {
            profile: Some(ProfileSource::Preset("luohe-xm".into())),
            replay: true,
            ..InitOptions::default()
        },
        clock,
    )
    .await?;
    let sys = setup::sysadmin_with_camera(&app).await?;
    let chain = setup::access_chain(&app).await?;
    let mut people = vec![
        ("000123".to_string(), "officer".to_string()),
        ("K01".to_string(), "custodian".to_string()),
    ];
    for (i, role) in chain.iter().enumerate() {
        people.push((format!("AP{i}"), role.clone()));
    }
    identity::add_users(
        &app,
        &sys,
        people
            .iter()
            .map(|(id, role)| NewUser {
                id: id.clone(),
                name: format!("测试{id}"),
                unit: "一大队".into(),
                roles: vec![role.clone()],
                password: Some(INITIAL.into()),
                ..NewUser::default()
            })
            .collect(),
    )
    .await?;
    for (id, _) in &people {
        own_password(&app, id, INITIAL).await?;
    }
    let login = |id: String| {
        let app = &app;
        async move { identity::login(app, &id, PASSWORD, "bench").await }
    };

    // Recordings as a camera leaves them, offloaded by the custodian.
    fs::create_dir_all(device).map_err(io(device))?;
    let base = chrono::Utc
        .with_ymd_and_hms(2026, 11, 20, 1, 0, 0)
        .single()
        .unwrap_or_default();
    let sizes = plan_sizes(total);
    for (i, size) in sizes.iter().enumerate() {
        let start = base + chrono::Duration::minutes(10 * i as i64);
        let local = start.with_timezone(&zhilu_policy::facts::china());
        let name = format!(
            "DSJ0001_000123_{}_{:04}.MP4",
            local.format("%Y%m%d%H%M%S"),
            i + 1
        );
        let path = device.join(name);
        let f = File::create(&path).map_err(io(&path))?;
        let mut w = BufWriter::with_capacity(1 << 20, f);
        zhilu_media::synth::write_large_mp4(&mut w, *size, start, 600.0, i as u64 + 1)
            .and_then(|()| w.flush())
            .map_err(io(&path))?;
    }
    let custodian = login("K01".into()).await?.actor;
    let report = offload::offload(
        &app,
        &custodian,
        &OffloadRequest {
            source: device.to_path_buf(),
            device: "DSJ0001".into(),
            officer: "000123".into(),
            station: "CJZ-01".into(),
            device_clock: None,
            clear_device: false,
        },
        &Silent,
    )
    .await?;
    let _ = fs::remove_dir_all(device);
    if report.imported != sizes.len() as u64 {
        return Err(LabError::Invalid(format!(
            "基准测试导入了 {} 个文件，应为 {}",
            report.imported,
            sizes.len()
        )));
    }
    let recordings = offload::recordings(&app, &custodian, None).await?;
    let shas: Vec<String> = recordings.iter().map(|r| r.sha256.to_string()).collect();
    let bytes = recordings.iter().map(|r| r.size).sum();
    let root = app
        .vault()
        .roots()
        .first()
        .ok_or_else(|| LabError::Invalid("证据库没有存储位置".into()))?;
    let vault_files = shas
        .iter()
        .map(|s| {
            root.local_path(s)
                .ok_or_else(|| LabError::Invalid("证据库的第一个存储位置不是本地目录".into()))
        })
        .collect::<Result<Vec<_>, _>>()?;

    // A copy asked for by the officer and approved along the profile's chain.
    let officer = login("000123".into()).await?.actor;
    let request = access::request_access(
        &app,
        &officer,
        AccessAsk {
            recordings: shas,
            kind: Some("copy".into()),
            reason: "性能测试".into(),
            ..AccessAsk::default()
        },
    )
    .await?;
    for i in 0..chain.len() {
        let approver = login(format!("AP{i}")).await?.actor;
        access::approve(&app, &approver, request.id.as_str(), None).await?;
    }
    let grant = access::my_grants(&app, &officer)
        .await?
        .first()
        .map(|g| g.grant.id.to_string())
        .ok_or_else(|| LabError::Invalid("审批后没有得到授权".into()))?;
    Ok(Prepared {
        app,
        officer,
        grant,
        vault_files,
        bytes,
    })
}

fn facts() -> Facts {
    Facts {
        maker: "王芳".into(),
        extractor: "李强".into(),
        reason: "性能测试".into(),
        case: "（2026）基准0001号".into(),
        case_name: String::new(),
        receiver: "某区人民法院".into(),
        agency: "某市公安局".into(),
    }
}

/// Reads every file once so that both sides start from a warm page cache.
fn warm(files: &[PathBuf]) -> Result<(), LabError> {
    let mut buf = vec![0u8; 1 << 20];
    for f in files {
        let mut r = File::open(f).map_err(io(f))?;
        while r.read(&mut buf).map_err(io(f))? > 0 {}
    }
    Ok(())
}

fn remove(p: &Path) {
    let _ = if p.is_dir() {
        fs::remove_dir_all(p)
    } else {
        fs::remove_file(p)
    };
}

/// The baseline's seconds per step.
struct Baseline {
    cp: f64,
    sm3: f64,
    sha256: f64,
    sync: f64,
    xorriso: Option<f64>,
}

/// `cp` of the vault files into a fresh `dir`, `openssl dgst -sm3` and `-sha256` of the copies,
/// optionally `xorriso -as mkisofs` of `dir` into `iso`, then `sync` of what was written (timed
/// apart: the baseline's own figure leaves the copies in the page cache, as `cp` does).
fn baseline(files: &[PathBuf], dir: &Path, iso: Option<&Path>) -> Result<Baseline, LabError> {
    let data = dir.join("data");
    fs::create_dir_all(&data).map_err(io(&data))?;
    let mut args: Vec<&std::ffi::OsStr> = files.iter().map(|f| f.as_os_str()).collect();
    args.push(data.as_os_str());
    let cp = timed("cp", &args)?;
    let copies: Vec<PathBuf> = files
        .iter()
        .map(|f| data.join(f.file_name().unwrap_or_default()))
        .collect();
    let dgst = |alg: &str| {
        let mut a: Vec<&std::ffi::OsStr> = vec!["dgst".as_ref(), alg.as_ref()];
        a.extend(copies.iter().map(|c| c.as_os_str()));
        timed("openssl", &a)
    };
    let sm3 = dgst("-sm3")?;
    let sha256 = dgst("-sha256")?;
    let xorriso = match iso {
        Some(iso) => Some(timed(
            "xorriso",
            &[
                "-as".as_ref(),
                "mkisofs".as_ref(),
                "-quiet".as_ref(),
                "-J".as_ref(),
                "-joliet-long".as_ref(),
                "-iso-level".as_ref(),
                "3".as_ref(),
                "-o".as_ref(),
                iso.as_os_str(),
                dir.as_os_str(),
            ],
        )?),
        None => None,
    };
    let mut written: Vec<&std::ffi::OsStr> = copies.iter().map(|c| c.as_os_str()).collect();
    if let Some(iso) = iso {
        written.push(iso.as_os_str());
    }
    let sync = timed("sync", &written)?;
    Ok(Baseline {
        cp,
        sm3,
        sha256,
        sync,
        xorriso,
    })
}

/// Runs the benchmark; everything it makes under `work_dir` and `vault_dir` is removed after.
pub async fn bench_export(
    opts: &BenchExportOptions,
    clock: Arc<dyn Clock>,
) -> Result<BenchExportReport, LabError> {
    if !(opts.size_gib > 0.0 && opts.size_gib <= 64.0) {
        return Err(LabError::Invalid("数据量须在 0 到 64 GiB 之间".into()));
    }
    if opts.runs < 3 {
        return Err(LabError::Invalid("每项至少运行 3 轮".into()));
    }
    for (tool, arg) in [
        ("cp", "--version"),
        ("openssl", "version"),
        ("sync", "--version"),
    ] {
        if !have(tool, arg) {
            return Err(LabError::Invalid(format!("对照测试需要 {tool}，本机没有")));
        }
    }
    let id = std::process::id();
    let work = opts.work_dir.join(format!("bench-export-{id}"));
    let data = opts
        .vault_dir
        .as_ref()
        .unwrap_or(&opts.work_dir)
        .join(format!("zhilu-bench-export-{id}"));
    fs::create_dir_all(&work).map_err(io(&work))?;
    let result = run(opts, &work, &data, clock).await;
    let _ = fs::remove_dir_all(&work);
    let _ = fs::remove_dir_all(&data);
    result
}

async fn run(
    opts: &BenchExportOptions,
    work: &Path,
    data: &Path,
    clock: Arc<dyn Clock>,
) -> Result<BenchExportReport, LabError> {
    let total = (opts.size_gib * (1u64 << 30) as f64) as u64;
    let p = prepare(data, &work.join("device"), total, clock).await?;
    let files = &p.vault_files;
    tokio::task::block_in_place(|| warm(files))?;
    let xorriso = have("xorriso", "-version");
    let capacity = export::parse_disc_size("bd25").map_err(LabError::Invalid)?;
    let recorded_at = chrono::Utc::now().timestamp();

    let (mut a1, mut a2, mut iso_ours, mut iso_x) = (vec![], vec![], vec![], vec![]);
    let (mut b1, mut b1_sm3, mut b1_sync, mut b2) = (vec![], vec![], vec![], vec![]);
    let (mut b2_sync, mut iso_x_sync) = (vec![], vec![]);
    let mut steps: Vec<Baseline> = Vec::new();
    for run in 0..opts.runs {
        // A1: the bag alone.
        let out = work.join(format!("bag-{run}"));
        let t = Instant::now();
        export::evidence(&p.app, &p.officer, &p.grant, &out, facts()).await?;
        a1.push(t.elapsed().as_secs_f64());
        // The image step alone, ours and xorriso's, on this same bag.
        if xorriso {
            let image = work.join(format!("ours-{run}.iso"));
            let disc = Disc {
                image: image.clone(),
                capacity,
            };
            let t = Instant::now();
            tokio::task::block_in_place(|| export::write_disc_images(&out, &disc, recorded_at))?;
            iso_ours.push(t.elapsed().as_secs_f64());
            remove(&image);
            let image = work.join(format!("xorriso-{run}.iso"));
            let secs = tokio::task::block_in_place(|| {
                let s = timed(
                    "xorriso",
                    &[
                        "-as".as_ref(),
                        "mkisofs".as_ref(),
                        "-quiet".as_ref(),
                        "-J".as_ref(),
                        "-joliet-long".as_ref(),
                        "-iso-level".as_ref(),
                        "3".as_ref(),
                        "-o".as_ref(),
                        image.as_os_str(),
                        out.as_os_str(),
                    ],
                )?;
                let synced = timed("sync", &[image.as_os_str()])?;
                Ok::<_, LabError>((s, synced))
            })?;
            iso_x.push(secs.0);
            iso_x_sync.push(secs.0 + secs.1);
            remove(&image);
        }
        remove(&out);

        // B1: cp + openssl sm3 + openssl sha256.
        let dir = work.join(format!("copy-{run}"));
        let b = tokio::task::block_in_place(|| baseline(files, &dir, None))?;
        remove(&dir);
        b1.push(b.cp + b.sm3 + b.sha256);
        b1_sm3.push(b.cp + b.sm3);
        b1_sync.push(b.cp + b.sync + b.sm3 + b.sha256);
        steps.push(b);

        if xorriso {
            // A2: the bag and its image.
            let out = work.join(format!("bag-iso-{run}"));
            let image = work.join(format!("bag-iso-{run}.iso"));
            let disc = Disc {
                image: image.clone(),
                capacity,
            };
            let t = Instant::now();
            export::evidence_with(&p.app, &p.officer, &p.grant, &out, facts(), Some(&disc)).await?;
            a2.push(t.elapsed().as_secs_f64());
            remove(&out);
            remove(&image);
            // B2: the B1 work and xorriso of the copied tree.
            let dir = work.join(format!("copy-iso-{run}"));
            let image = work.join(format!("copy-iso-{run}.iso"));
            let b = tokio::task::block_in_place(|| baseline(files, &dir, Some(&image)))?;
            remove(&dir);
            remove(&image);
            b2.push(b.cp + b.sm3 + b.sha256 + b.xorriso.unwrap_or(0.0));
            b2_sync.push(b.cp + b.sm3 + b.sha256 + b.xorriso.unwrap_or(0.0) + b.sync);
            steps.push(b);
        }
    }
    let bytes = p.bytes;
    let step = |f: fn(&Baseline) -> f64| median(&steps.iter().map(f).collect::<Vec<_>>());
    let xs: Vec<f64> = steps.iter().filter_map(|b| b.xorriso).collect();
    p.app.settle().await;
    p.app.close().await;
    Ok(BenchExportReport {
        files: files.len(),
        bytes,
        runs: opts.runs,
        vault_dir: data.display().to_string(),
        cache_note: "未清空页缓存（drop_caches 需要 root 权限，且会拖慢同机的其他任务）：测前把证据库文件完整读一遍预热，双方都从热缓存读取；写入的一方本系统 fsync 落盘，对照的 cp 不落盘（另列 sync 后的对照）。".into(),
        bag: figures(bytes, a1.clone(), b1),
        bag_vs_cp_sm3: figures(bytes, a1.clone(), b1_sm3),
        bag_iso: xorriso.then(|| figures(bytes, a2.clone(), b2)),
        iso_only: xorriso.then(|| figures(bytes, iso_ours.clone(), iso_x)),
        bag_iso_vs_durable_baseline: xorriso.then(|| figures(bytes, a2, b2_sync)),
        iso_only_vs_durable_baseline: xorriso.then(|| figures(bytes, iso_ours, iso_x_sync)),
        bag_vs_durable_baseline: figures(bytes, a1, b1_sync),
        cp_s: step(|b| b.cp),
        openssl_sm3_s: step(|b| b.sm3),
        openssl_sha256_s: step(|b| b.sha256),
        sync_s: step(|b| b.sync),
        xorriso_s: (!xs.is_empty()).then(|| median(&xs)),
    })
}
