//! `zhilu demo`: builds a demo data directory from generated sample recordings (made from small
//! real encoded clips shipped in the binary), offloads them twice, and checks fixity and the ledger.
//! Works on a fresh machine with nothing configured and no network.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{Duration, TimeZone, Utc};
use serde::Serialize;
use zhilu_store::RecordingRow;

use crate::app::{App, DataDir, InitOptions};
use crate::clock::Clock;
use crate::device::RegisterDevice;
use crate::error::AppError;
use crate::fixity::FixityReport;
use crate::ingest::{IngestOptions, IngestReport, NoProgress};
use crate::time::china;
use crate::verify::VerifyReport;

/// A real H.264/AAC clip and a real EXIF JPEG (see scripts/make-media-fixtures.sh).
const TEMPLATE_MP4: &[u8] = include_bytes!("../../zhilu-media/tests/fixtures/demo_template.mp4");
const TEMPLATE_JPEG: &[u8] = include_bytes!("../../zhilu-media/tests/fixtures/demo_template.jpg");

#[derive(Debug, Clone, Serialize)]
pub struct DemoReport {
    pub data_dir: String,
    pub source: String,
    pub ingest: IngestReport,
    pub reingest_imported: u64,
    pub reingest_duplicates: u64,
    pub recordings: Vec<RecordingRow>,
    pub fixity: FixityReport,
    pub verify: VerifyReport,
}

const DEVICE: &str = "DSJ-2026-0001";
const OFFICER: &str = "000123";
const STATION: &str = "CJZ-01";

fn write(path: &Path, bytes: &[u8]) -> Result<(), AppError> {
    fs::write(path, bytes).map_err(|e| AppError::io(path, e))
}

/// Writes the sample device folder: three consecutive video segments with GA/T 947-style names, a
/// photo, a voice recording, a clip cut off as if the battery died, an empty file and a device log.
fn make_device_folder(dir: &Path) -> Result<(), AppError> {
    fs::create_dir_all(dir.join("DCIM")).map_err(|e| AppError::io(dir, e))?;
    let start = Utc
        .with_ymd_and_hms(2026, 11, 20, 1, 30, 0)
        .single()
        .unwrap_or_default();
    let info = zhilu_media::probe(
        &mut std::io::Cursor::new(TEMPLATE_MP4),
        TEMPLATE_MP4.len() as u64,
    )
    .map_err(|e| AppError::invalid("demo", format!("内置示例视频无法解析：{e:?}")))?;
    let seg = Duration::milliseconds((info.duration_s.unwrap_or(3.0) * 1000.0) as i64);
    let mut last = Vec::new();
    for i in 0..4u32 {
        let t = start + seg * i as i32;
        let local = t.with_timezone(&china()).format("%Y%m%d%H%M%S");
        let bytes = zhilu_media::synth::restamp_mp4(
            TEMPLATE_MP4,
            t,
            format!("demo-segment-{i}").as_bytes(),
        )
        .map_err(|e| AppError::invalid("demo", format!("生成示例视频失败：{e:?}")))?;
        let name = format!("DSJ20260001_{OFFICER}_{local}_{:04}.MP4", i + 1);
        if i < 3 {
            write(&dir.join("DCIM").join(name), &bytes)?;
        } else {
            // Cut off before its index, as when the battery dies mid-recording.
            last = bytes;
            let cut = last.len() * 3 / 5;
            write(&dir.join("DCIM").join(name), &last[..cut])?;
        }
    }
    let photo_time = (start + Duration::minutes(5))
        .with_timezone(&china())
        .naive_local();
    let photo = zhilu_media::synth::restamp_jpeg(TEMPLATE_JPEG, photo_time, b"demo-photo")
        .map_err(|e| AppError::invalid("demo", format!("生成示例照片失败：{e:?}")))?;
    write(
        &dir.join("DCIM")
            .join(format!("IMG_{}.JPG", photo_time.format("%Y%m%d_%H%M%S"))),
        &photo,
    )?;
    let voice_time = (start + Duration::minutes(8)).with_timezone(&china());
    write(
        &dir.join(format!("REC_{}.WAV", voice_time.format("%Y%m%d_%H%M%S"))),
        &zhilu_media::synth::wav(2.5, 16_000, 440.0),
    )?;
    write(&dir.join("EMPTY.MP4"), b"")?;
    write(
        &dir.join("device.log"),
        "2026-11-20 09:29:58 开机\n2026-11-20 09:30:00 开始录像\n".as_bytes(),
    )?;
    drop(last);
    Ok(())
}

/// Runs the demo in `dir` (initialising it if needed).
pub async fn run_demo(dir: DataDir, clock: Arc<dyn Clock>) -> Result<DemoReport, AppError> {
    let app = App::init(dir.clone(), InitOptions::default(), clock.clone()).await?;
    if app.catalog.device(DEVICE).await?.is_none() {
        app.register_device(
            "demo",
            &RegisterDevice {
                serial: DEVICE.into(),
                kind: "执法记录仪".into(),
                model: "DSJ-V9".into(),
                unit: "综合执法一大队".into(),
                keeper: "张伟".into(),
                asset_no: Some("ZC-2026-0101".into()),
            },
        )
        .await?;
    }
    let source: PathBuf = dir.root.join("demo-source").join(DEVICE);
    if !source.exists() {
        make_device_folder(&source)?;
    }
    let opts = IngestOptions {
        source: source.clone(),
        device: DEVICE.into(),
        officer: OFFICER.into(),
        station: STATION.into(),
        device_clock: Some(clock.now() + Duration::seconds(3)),
        clear_device: false,
    };
    let ingest = app.ingest(&opts, &NoProgress).await?;
    let again = app.ingest(&opts, &NoProgress).await?;
    let recordings = app.catalog.recordings(None).await?;
    let fixity = app.fixity(false).await?;
    let verify = app.verify().await?;
    app.close().await;
    Ok(DemoReport {
        data_dir: dir.root.display().to_string(),
        source: source.display().to_string(),
        ingest,
        reingest_imported: again.imported,
        reingest_duplicates: again.duplicates,
        recordings,
        fixity,
        verify,
    })
}
