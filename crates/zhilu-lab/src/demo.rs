//! `zhilu demo`: builds a demo data directory from generated sample recordings (made from small
//! real encoded clips shipped in the binary) and plays one working day of an agency under the
//! chosen policy profile: officers, a device checkout, two activities, an offload the next morning
//! (run twice: nothing is imported twice), fixity, the ledger, and the compliance check.
//! Works on a fresh machine with nothing configured and no network.
//!
//! Everyone acts as themselves, as at a real agency: `init` creates the three administrators,
//! the system administrator registers the device and the people, the custodian checks the device
//! out, the officer registers the activities and offloads; the reads are the shell's. The demo
//! directory is a replay directory, so it ends by giving each person a fresh password and listing
//! the logins, to try the web pages with.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{Duration, TimeZone, Utc};
use serde::Serialize;
use zhilu_app::compliance::{CheckScope, Finding, check};
use zhilu_app::identity::{
    NewUser, add_users, bootstrap_admins, cli_actor, passwords, reset_password, shell_reader,
};
use zhilu_app::integrity::{FixityReport, VerifyReport, fixity, verify};
use zhilu_app::offload::{OffloadReport, OffloadRequest, Silent, offload};
use zhilu_app::records::{NewActivity, add_activity};
use zhilu_app::registry::{NewCheckout, NewDevice, checkout, register_device};
use zhilu_app::setup::ProfileSource;
use zhilu_app::{App, Clock, DataDir, InitOptions, ManualClock};
use zhilu_model::{DeviceSerial, Recording};
use zhilu_policy::facts::china;

use crate::LabError as AppError;

/// A real H.264/AAC clip and a real EXIF JPEG (see scripts/make-media-fixtures.sh).
const TEMPLATE_MP4: &[u8] = include_bytes!("../../zhilu-media/tests/fixtures/demo_template.mp4");
const TEMPLATE_JPEG: &[u8] = include_bytes!("../../zhilu-media/tests/fixtures/demo_template.jpg");

#[derive(Debug, Clone, Serialize)]
pub struct DemoReport {
    pub data_dir: String,
    pub source: String,
    pub ingest: OffloadReport,
    pub reingest_imported: u64,
    pub reingest_duplicates: u64,
    pub recordings: Vec<Recording>,
    pub fixity: FixityReport,
    pub verify: VerifyReport,
    pub profile: String,
    pub findings: Vec<Finding>,
    /// Who can log in to the demo directory, with a password made for this run (replay only).
    pub logins: Vec<Login>,
}

/// A person of the demo and a password to log in with.
#[derive(Debug, Clone, Serialize)]
pub struct Login {
    pub id: String,
    pub name: String,
    pub roles: Vec<String>,
    pub password: String,
}

const DEVICE: &str = "DSJ-2026-0001";
const OFFICER: &str = "000123";
const PARTNER: &str = "000124";
const KEEPER: &str = "000100";
const UNIT: &str = "综合执法一大队";
const STATION: &str = "CJZ-01";

fn write(path: &Path, bytes: &[u8]) -> Result<(), AppError> {
    fs::write(path, bytes).map_err(|e| AppError::Io(path.to_path_buf(), e))
}

/// Writes the sample device folder: three consecutive video segments with GA/T 947-style names, a
/// photo, a voice recording, a clip cut off as if the battery died, an empty file and a device log.
fn make_device_folder(dir: &Path) -> Result<(), AppError> {
    fs::create_dir_all(dir.join("DCIM")).map_err(|e| AppError::Io(dir.to_path_buf(), e))?;
    let start = Utc
        .with_ymd_and_hms(2026, 11, 20, 1, 30, 0)
        .single()
        .unwrap_or_default();
    let info = zhilu_media::probe(
        &mut std::io::Cursor::new(TEMPLATE_MP4),
        TEMPLATE_MP4.len() as u64,
    )
    .map_err(|e| AppError::Invalid(format!("内置示例视频无法解析：{e:?}")))?;
    drop(info);
    // Ten-minute segments as a body camera cuts them (the movie header declares the length; see
    // synth::restamp_mp4_with_duration).
    let seg = Duration::minutes(10);
    let mut last = Vec::new();
    for i in 0..4u32 {
        let t = start + seg * i as i32;
        let local = t.with_timezone(&china()).format("%Y%m%d%H%M%S");
        let bytes = zhilu_media::synth::restamp_mp4_with_duration(
            TEMPLATE_MP4,
            t,
            600,
            format!("demo-segment-{i}").as_bytes(),
        )
        .map_err(|e| AppError::Invalid(format!("生成示例视频失败：{e:?}")))?;
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
        .map_err(|e| AppError::Invalid(format!("生成示例照片失败：{e:?}")))?;
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

fn at(local: (u32, u32, u32, u32)) -> chrono::DateTime<Utc> {
    let (d, h, m, sec) = local;
    china()
        .with_ymd_and_hms(2026, 11, d, h, m, sec)
        .single()
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_default()
}

/// Runs the demo in `dir` (initialising it if needed) under `profile` (a preset id). The story
/// happens on 20–21 November 2026, whatever today is, so the findings are the same on every
/// machine: the directory is a replay directory, its clock set by the script.
pub async fn run_demo(
    dir: DataDir,
    database_url: Option<String>,
    profile: &str,
    os_user: &str,
) -> Result<DemoReport, AppError> {
    let story = Arc::new(ManualClock::new(at((20, 8, 30, 0))));
    let clock: Arc<dyn Clock> = story.clone();
    let app = App::init(
        dir.clone(),
        InitOptions {
            profile: Some(ProfileSource::Preset(profile.to_string())),
            database_url,
            ..InitOptions::default()
        },
        clock.clone(),
    )
    .await?;
    let p = app.profile().await?;
    let first_admins = bootstrap_admins(&app, UNIT).await?;
    let sysadmin = cli_actor(&app, "sysadmin", os_user).await?;
    let reader = shell_reader(os_user);
    let serial = DeviceSerial::parse(DEVICE).map_err(|e| AppError::Invalid(e.to_string()))?;
    if app.catalog().device(&serial).await?.is_none() {
        register_device(
            &app,
            &sysadmin,
            NewDevice {
                serial: DEVICE.into(),
                kind: "执法记录仪".into(),
                model: "DSJ-V9".into(),
                unit: "综合执法一大队".into(),
                keeper: "张伟".into(),
                asset_no: Some("ZC-2026-0101".into()),
            },
        )
        .await?;
        let people = [
            (OFFICER, "张伟", "officer"),
            (PARTNER, "李强", "officer"),
            (KEEPER, "王敏", "custodian"),
        ];
        add_users(
            &app,
            &sysadmin,
            people
                .iter()
                .map(|(id, name, role)| NewUser {
                    id: (*id).into(),
                    name: (*name).into(),
                    unit: UNIT.into(),
                    roles: vec![(*role).into()],
                    ..NewUser::default()
                })
                .collect(),
        )
        .await?;
        checkout(
            &app,
            &cli_actor(&app, KEEPER, os_user).await?,
            NewCheckout {
                device: DEVICE.into(),
                officer: OFFICER.into(),
                battery_pct: Some(96),
                free_gb: Some(48),
                clock_ok: true,
            },
        )
        .await?;
        // 09:30–10:00 an inspection, filmed; 14:00–15:00 a seizure nobody filmed.
        let code = format!(
            "91210200MA0DEM5G1{}",
            zhilu_policy::ids::credit_code_check_char("91210200MA0DEM5G1").unwrap_or('0')
        );
        for (kind, start, end) in [
            ("routine_inspection", (20, 9, 30, 0), (20, 10, 0, 0)),
            ("compulsory_measure", (20, 14, 0, 0), (20, 15, 0, 0)),
        ] {
            add_activity(
                &app,
                &cli_actor(&app, OFFICER, os_user).await?,
                NewActivity {
                    kind: kind.into(),
                    subject_name: "大连示例商贸有限公司".into(),
                    subject_code: Some(code.clone()),
                    place: "金州区示例路 1 号".into(),
                    officers: vec![OFFICER.into(), PARTNER.into()],
                    start: at(start),
                    end: at(end),
                    case_no: None,
                    flags: vec![],
                },
            )
            .await?;
        }
    }
    // The next morning at 10:00 the device reaches the collection station.
    story.set(at((21, 10, 0, 0)));
    // The sample card sits beside the data directory, never inside it: an offload refuses a
    // folder inside the evidence store.
    let card = {
        let mut name = dir.root.clone().into_os_string();
        name.push("-card");
        PathBuf::from(name)
    };
    let source: PathBuf = card.join(DEVICE);
    if !source.exists() {
        make_device_folder(&source)?;
    }
    let req = OffloadRequest {
        source: source.clone(),
        device: DEVICE.into(),
        officer: OFFICER.into(),
        station: STATION.into(),
        device_clock: Some(clock.now() + Duration::seconds(3)),
        clear_device: false,
    };
    let station = cli_actor(&app, OFFICER, os_user).await?;
    let ingest = offload(&app, &station, &req, &Silent).await?;
    let again = offload(&app, &station, &req, &Silent).await?;
    let recordings = app.catalog().recordings(None).await?;
    let fixity = fixity(&app, &reader, false).await?;
    story.set(at((23, 9, 0, 0)));
    let findings = check(&app, &reader, &CheckScope::default()).await?;
    let verify = verify(&app, &reader).await?;
    let logins = if app.is_replay() {
        logins(&app, &sysadmin, first_admins).await?
    } else {
        Vec::new()
    };
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
        profile: p.id().to_string(),
        findings,
        logins,
    })
}

/// A fresh password for everyone but the system administrator, set by them (who cannot reset
/// their own: theirs is listed only on the run that created it).
async fn logins(
    app: &App,
    sysadmin: &zhilu_app::Actor,
    first_admins: Vec<(zhilu_app::identity::UserView, String)>,
) -> Result<Vec<Login>, AppError> {
    let mut out: Vec<Login> = first_admins
        .into_iter()
        .filter(|(u, _)| Some(&u.id) == sysadmin.person_id())
        .map(|(u, password)| Login {
            id: u.id.to_string(),
            name: u.name,
            roles: u.roles,
            password,
        })
        .collect();
    for id in ["secadmin", "auditadmin", KEEPER, OFFICER, PARTNER] {
        let password = passwords::generate();
        reset_password(app, sysadmin, id, &password).await?;
        let u = zhilu_app::identity::user(app, sysadmin, id).await?;
        out.push(Login {
            id: u.id.to_string(),
            name: u.name,
            roles: u.roles,
            password,
        });
    }
    Ok(out)
}
