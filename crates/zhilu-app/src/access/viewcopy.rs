//! Viewing copies (R23): footage the browser cannot play (H.265 from newer cameras, AVI/MJPEG) is
//! shown from an H.264/AAC MP4 made with the system's ffmpeg.
//!
//! * The copy is a derivative, never evidence: it lives in `<data>/viewing/<sha of the
//!   original>.mp4`, outside the vault, and is linked to its original by ONE ledger entry
//!   (`viewing_copy.made`: both SHA-256s, the size, ffmpeg's version, when) written through
//!   `App::record`. A cached copy is used only while its bytes still hash to what that entry
//!   says; otherwise it is made again (and recorded again).
//! * The original is only read, through the handle [`super::open`] gives for a [`Granted`] (the
//!   one reader of original bytes for a person): ffmpeg gets it as its standard input, opened
//!   read-only, and reads it by `/dev/stdin`. No shell; a time limit.
//! * Only a stream grant gets a copy. A copy/provide grant's download (`Use::Download`) always
//!   gives the original; the viewing itself is recorded against the original's SHA-256.

use std::collections::HashMap;
use std::ffi::OsString;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256 as Sha256Hasher};
use zhilu_media::Playability;
use zhilu_store::Change;

use super::content::{Granted, Use, authorize, open};
use crate::App;
use crate::actor::Actor;
use crate::error::AppError;

/// The ledger entry linking a viewing copy to its original.
pub const MADE: &str = "viewing_copy.made";
/// What a person is told when the server has no ffmpeg.
pub const FFMPEG_MISSING: &str =
    "服务器未安装 ffmpeg，无法为此格式生成播放用副本；可申请复制后下载原件";
/// The longest one conversion may run.
const TIMEOUT: Duration = Duration::from_secs(60 * 60);
/// The program run: `ffmpeg` from `PATH`, unless `ZHILU_FFMPEG` names another.
const PROGRAM_ENV: &str = "ZHILU_FFMPEG";

/// A viewing copy, opened read-only for positioned reads.
#[derive(Debug, Clone)]
pub struct ViewingCopy {
    pub file: Arc<File>,
    pub len: u64,
    /// The copy's SHA-256, hex.
    pub sha256: String,
    /// The original's SHA-256, hex.
    pub original: String,
}

/// What this process knows about originals' playability and their copies (originals never
/// change, so a decision is kept; a copy is checked against the ledger once per process).
#[derive(Debug, Default)]
pub(crate) struct ViewCopies {
    plays: Mutex<HashMap<String, bool>>,
    copies: Mutex<HashMap<String, ViewingCopy>>,
    /// One maker per original at a time.
    making: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The viewing copy to show instead of the original `sha`, after the same check the content
/// endpoint makes (`authorize` for `Use::Stream`: a view, copy or provide grant). `None`: the
/// browser plays the original as it is (or it is a photo, or a damaged file whose codecs cannot
/// be read): serve the original.
pub async fn viewing_copy(
    app: &App,
    actor: &Actor,
    sha: &str,
) -> Result<Option<ViewingCopy>, AppError> {
    let granted = authorize(app, actor, sha, Use::Stream).await?;
    copy_for(app, actor, &granted).await
}

/// [`viewing_copy`] for a grant already checked. A download (`Use::Download`) never gets a
/// copy: it is the original or nothing.
pub async fn copy_for(
    app: &App,
    actor: &Actor,
    granted: &Granted,
) -> Result<Option<ViewingCopy>, AppError> {
    if granted.usage() != Use::Stream {
        return Ok(None);
    }
    let sha = granted.sha256().to_string();
    if let Some(c) = lock(&app.viewcopies.copies).get(&sha) {
        return Ok(Some(c.clone()));
    }
    if plays(app, granted).await? {
        return Ok(None);
    }
    let one = lock(&app.viewcopies.making)
        .entry(sha.clone())
        .or_default()
        .clone();
    let _one_maker = one.lock().await;
    if let Some(c) = lock(&app.viewcopies.copies).get(&sha) {
        return Ok(Some(c.clone()));
    }
    let copy = match cached(app, &sha).await? {
        Some(c) => c,
        None => make(app, actor, granted).await?,
    };
    lock(&app.viewcopies.copies).insert(sha, copy.clone());
    Ok(Some(copy))
}

/// Where the copy of `sha` is kept, and the directory its temporary files are made in (same
/// filesystem, so the rename into place is atomic).
fn paths(app: &App, sha: &str) -> (PathBuf, PathBuf) {
    let dir = app.dir.root.join("viewing");
    (dir.join(format!("{sha}.mp4")), dir.join("tmp"))
}

/// Reads an original by positioned reads with a cursor of its own (the handle is shared).
struct At<'a> {
    file: &'a File,
    pos: u64,
}

impl Read for At<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.file.read_at(buf, self.pos)?;
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for At<'_> {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let len = self.file.metadata()?.len();
        let next = match to {
            SeekFrom::Start(n) => Some(n),
            SeekFrom::End(d) => len.checked_add_signed(d),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        self.pos = next.ok_or_else(|| io::Error::from(io::ErrorKind::InvalidInput))?;
        Ok(self.pos)
    }
}

/// Whether the browser plays the original as it is. A file whose codecs cannot be read (a cut-off
/// MP4) is served as it is: a copy could not be made from it either.
async fn plays(app: &App, granted: &Granted) -> Result<bool, AppError> {
    let sha = granted.sha256().to_string();
    if let Some(p) = lock(&app.viewcopies.plays).get(&sha) {
        return Ok(*p);
    }
    let original = open(app, granted).await?;
    let (file, len) = (original.file, original.len);
    let p = tokio::task::spawn_blocking(move || {
        match zhilu_media::playability(
            &mut At {
                file: &file,
                pos: 0,
            },
            len,
        ) {
            Ok(p) => p != Playability::NeedsCopy,
            Err(_) => true,
        }
    })
    .await
    .map_err(|e| AppError::OffloadFailed(format!("读取线程失败：{e}")))?;
    lock(&app.viewcopies.plays).insert(sha, p);
    Ok(p)
}

/// The copy already on disk, if the latest `viewing_copy.made` entry for `sha` names its bytes.
async fn cached(app: &App, sha: &str) -> Result<Option<ViewingCopy>, AppError> {
    let subject = subject(sha);
    let Some(entry) = app
        .catalog
        .ledger_entries_about(&subject, 16)
        .await?
        .into_iter()
        .find(|e| e.kind == MADE)
    else {
        return Ok(None);
    };
    let state = entry.state();
    let (Some(want), Some(size)) = (state["copy_sha256"].as_str(), state["size"].as_u64()) else {
        return Ok(None);
    };
    let want = want.to_string();
    let (path, _) = paths(app, sha);
    let original = sha.to_string();
    tokio::task::spawn_blocking(move || {
        let Ok(file) = File::open(&path) else {
            return Ok(None);
        };
        match file.metadata() {
            Ok(m) if m.is_file() && m.len() == size => {}
            _ => return Ok(None),
        }
        let got = hash(&file).map_err(|e| AppError::io(&path, e))?;
        Ok((got == want).then(|| ViewingCopy {
            file: Arc::new(file),
            len: size,
            sha256: got,
            original,
        }))
    })
    .await
    .map_err(|e| AppError::OffloadFailed(format!("读取线程失败：{e}")))?
}

fn subject(sha: &str) -> String {
    format!("viewing-copy:{sha}")
}

fn hash(mut file: &File) -> io::Result<String> {
    file.seek(SeekFrom::Start(0))?;
    let mut h = Sha256Hasher::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        match file.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => h.update(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(hex::encode(h.finalize()))
}

fn program() -> OsString {
    std::env::var_os(PROGRAM_ENV).unwrap_or_else(|| "ffmpeg".into())
}

/// Makes the copy from the original (read through [`open`]), puts it in place and records it.
async fn make(app: &App, actor: &Actor, granted: &Granted) -> Result<ViewingCopy, AppError> {
    let sha = granted.sha256().to_string();
    let original = open(app, granted).await?;
    let input = original
        .file
        .try_clone()
        .map_err(|e| AppError::OffloadFailed(format!("无法读取原件：{e}")))?;
    let (path, tmp_dir) = paths(app, &sha);
    let made = {
        let (path, sha) = (path.clone(), sha.clone());
        tokio::task::spawn_blocking(move || {
            convert(&program(), input, &tmp_dir, &path, &sha, TIMEOUT)
        })
        .await
        .map_err(|e| AppError::OffloadFailed(format!("转码线程失败：{e}")))??
    };
    app.record(
        actor,
        vec![Change::event(
            MADE,
            subject(&sha),
            serde_json::json!({
                "original_sha256": sha,
                "copy_sha256": made.sha256,
                "size": made.len,
                "ffmpeg": made.version,
                "made_at": app.now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                "format": "mp4 h264/aac",
            }),
        )],
    )
    .await?;
    Ok(ViewingCopy {
        file: made.file,
        len: made.len,
        sha256: made.sha256,
        original: sha,
    })
}

/// A copy put in place.
struct Made {
    file: Arc<File>,
    len: u64,
    sha256: String,
    version: String,
}

/// The first line of `<program> -version`; `FFMPEG_MISSING` when it cannot be run.
fn version(program: &OsString) -> Result<String, AppError> {
    let out = Command::new(program)
        .arg("-version")
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output();
    match out {
        Ok(o) if o.status.success() => Ok(String::from_utf8_lossy(&o.stdout)
            .lines()
            .next()
            .unwrap_or_default()
            .trim()
            .to_string()),
        _ => Err(AppError::ViewingCopy(FFMPEG_MISSING.into())),
    }
}

/// Runs ffmpeg on `input` (its standard input: the original, read-only) into a temporary file
/// in `tmp_dir`, hashes the result and renames it to `dest`. Blocking.
fn convert(
    program: &OsString,
    input: File,
    tmp_dir: &Path,
    dest: &Path,
    sha: &str,
    timeout: Duration,
) -> Result<Made, AppError> {
    let version = version(program)?;
    std::fs::create_dir_all(tmp_dir).map_err(|e| AppError::io(tmp_dir, e))?;
    let stamp = format!(
        "{sha}.{}.{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default()
    );
    let tmp = tmp_dir.join(format!("{stamp}.mp4"));
    let log = tmp_dir.join(format!("{stamp}.log"));
    let cleanup = || {
        let _ = std::fs::remove_file(&tmp);
        let _ = std::fs::remove_file(&log);
    };
    let result = run(program, input, &tmp, &log, timeout).and_then(|()| {
        let file = File::open(&tmp).map_err(|e| AppError::io(&tmp, e))?;
        file.sync_all().map_err(|e| AppError::io(&tmp, e))?;
        let len = file.metadata().map_err(|e| AppError::io(&tmp, e))?.len();
        if len == 0 {
            return Err(AppError::ViewingCopy(
                "无法为此音像记录生成播放用副本：ffmpeg 未输出任何内容；可申请复制后下载原件"
                    .into(),
            ));
        }
        let sha256 = hash(&file).map_err(|e| AppError::io(&tmp, e))?;
        std::fs::rename(&tmp, dest).map_err(|e| AppError::io(dest, e))?;
        if let Some(dir) = dest.parent()
            && let Ok(d) = File::open(dir)
        {
            let _ = d.sync_all();
        }
        Ok(Made {
            file: Arc::new(file),
            len,
            sha256,
            version,
        })
    });
    cleanup();
    result
}

/// `ffmpeg -i /dev/stdin … tmp`, with stdin the original; stderr to `log`. Killed at `timeout`.
fn run(
    program: &OsString,
    input: File,
    tmp: &Path,
    log: &Path,
    timeout: Duration,
) -> Result<(), AppError> {
    let log_file = File::create(log).map_err(|e| AppError::io(log, e))?;
    let spawned = Command::new(program)
        .args(["-nostdin", "-hide_banner", "-loglevel", "error", "-y"])
        // The original, as the standard input (a read-only handle): ffmpeg reopens it by
        // /dev/stdin, so it can seek (an index at the end of an MP4).
        .args(["-i", "file:/dev/stdin"])
        .args([
            "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p",
        ])
        .args(["-c:a", "aac", "-movflags", "+faststart", "-f", "mp4"])
        .arg(tmp)
        .stdin(Stdio::from(input))
        .stdout(Stdio::null())
        .stderr(Stdio::from(log_file))
        .spawn();
    let mut child = match spawned {
        Ok(c) => c,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Err(AppError::ViewingCopy(FFMPEG_MISSING.into()));
        }
        Err(e) => {
            return Err(AppError::ViewingCopy(format!(
                "无法启动 ffmpeg：{e}；可申请复制后下载原件"
            )));
        }
    };
    let start = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if start.elapsed() >= timeout => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(AppError::ViewingCopy(format!(
                    "生成播放用副本超时（超过 {} 分钟）；可申请复制后下载原件",
                    timeout.as_secs() / 60
                )));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(50)),
            Err(e) => return Err(AppError::io(tmp, e)),
        }
    };
    if status.success() {
        return Ok(());
    }
    let said = std::fs::read(log).unwrap_or_default();
    let said = String::from_utf8_lossy(&said[said.len().saturating_sub(400)..]);
    Err(AppError::ViewingCopy(format!(
        "无法为此音像记录生成播放用副本（ffmpeg {status}：{}）；可申请复制后下载原件",
        said.trim()
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r23_without_ffmpeg_the_refusal_says_so_in_chinese() {
        let dir = tempfile::tempdir().expect("dir");
        let input = File::open("/dev/null").expect("null");
        let e = convert(
            &"/nonexistent/zhilu-no-ffmpeg".into(),
            input,
            &dir.path().join("tmp"),
            &dir.path().join("copy.mp4"),
            &"ab".repeat(32),
            TIMEOUT,
        )
        .err()
        .expect("refused");
        assert_eq!(e.code(), "viewing_copy_unavailable");
        assert_eq!(e.to_string(), FFMPEG_MISSING);
        assert!(!dir.path().join("copy.mp4").exists());
    }
}
