//! Recognise and parse recordings without trusting them.
//!
//! Media is recognised by content ([`sniff`]), never by extension, and parsed only as far as the
//! catalog needs: capture start, duration, picture size. Files come off devices and may be cut off
//! (a battery died), corrupted or hostile, so every parser here reads through a bounded reader:
//! sizes and counts taken from the input are checked against the stream length and hard caps before
//! anything is allocated, and no input can make it panic (fuzzed: `crates/zhilu-media/fuzz`).
//! No IO beyond the `Read + Seek` it is given.

mod bmff;
mod capture;
mod filename;
mod jpeg;
mod mp3;
mod reader;
mod riff;
pub mod synth;

use std::io::{Read, Seek};

use chrono::{DateTime, NaiveDateTime, Utc};

pub use capture::{TimeSource, capture_start};
pub use filename::{DeviceFileName, parse_device_file_name};

/// The media formats a collection station must take off a device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MediaKind {
    Mp4,
    Mov,
    Avi,
    Jpeg,
    Wav,
    Mp3,
}

impl MediaKind {
    /// The stable machine name stored in the catalog (`mp4`, `mov`, `avi`, `jpeg`, `wav`, `mp3`).
    pub fn as_str(&self) -> &'static str {
        match self {
            MediaKind::Mp4 => "mp4",
            MediaKind::Mov => "mov",
            MediaKind::Avi => "avi",
            MediaKind::Jpeg => "jpeg",
            MediaKind::Wav => "wav",
            MediaKind::Mp3 => "mp3",
        }
    }

    /// The inverse of [`MediaKind::as_str`], for reading the catalog back.
    pub fn parse(s: &str) -> Option<Self> {
        [
            MediaKind::Mp4,
            MediaKind::Mov,
            MediaKind::Avi,
            MediaKind::Jpeg,
            MediaKind::Wav,
            MediaKind::Mp3,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }

    /// Video containers: they have a duration and a picture size.
    pub fn is_video(&self) -> bool {
        matches!(self, MediaKind::Mp4 | MediaKind::Mov | MediaKind::Avi)
    }

    /// What the file is, in Chinese, for people: 视频, 音频 or 照片.
    pub fn label(&self) -> &'static str {
        match self {
            MediaKind::Mp4 | MediaKind::Mov | MediaKind::Avi => "视频",
            MediaKind::Wav | MediaKind::Mp3 => "音频",
            MediaKind::Jpeg => "照片",
        }
    }
}

/// Recognises media by its first bytes (`head`: up to 64 bytes from the start of the file).
pub fn sniff(head: &[u8]) -> Option<MediaKind> {
    if head.len() >= 12 && &head[4..8] == b"ftyp" {
        return Some(if &head[8..12] == b"qt  " {
            MediaKind::Mov
        } else {
            MediaKind::Mp4
        });
    }
    if head.len() >= 8 && matches!(&head[4..8], b"moov" | b"mdat" | b"wide") {
        return Some(MediaKind::Mov);
    }
    if head.len() >= 12 && &head[0..4] == b"RIFF" {
        return match &head[8..12] {
            b"AVI " => Some(MediaKind::Avi),
            b"WAVE" => Some(MediaKind::Wav),
            _ => None,
        };
    }
    if head.len() >= 3 && head[0..3] == [0xFF, 0xD8, 0xFF] {
        return Some(MediaKind::Jpeg);
    }
    if head.len() >= 10 && &head[0..3] == b"ID3" {
        return Some(MediaKind::Mp3);
    }
    if head.len() >= 4 && mp3::FrameHeader::parse(&head[0..4]).is_some() {
        return Some(MediaKind::Mp3);
    }
    None
}

/// A capture instant as the file states it. MP4's `mvhd` is defined as UTC; EXIF and device file
/// names carry only local wall-clock time, which the caller places in a time zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaptureTime {
    Utc(DateTime<Utc>),
    Local(NaiveDateTime),
}

/// What the catalog learns from a recording's own metadata.
#[derive(Debug, Clone, PartialEq)]
pub struct MediaInfo {
    pub kind: MediaKind,
    pub capture_start: Option<CaptureTime>,
    pub duration_s: Option<f64>,
    pub width: Option<u32>,
    pub height: Option<u32>,
    /// Camera make and model from EXIF, when present.
    pub make_model: Option<String>,
    /// MP4/MOV: the sample-entry code of the first video track (`avc1`, `hvc1`, …).
    pub video_codec: Option<[u8; 4]>,
    /// MP4/MOV: the sample-entry code of the first audio track (`mp4a`, …).
    pub audio_codec: Option<[u8; 4]>,
}

impl MediaInfo {
    fn new(kind: MediaKind) -> Self {
        MediaInfo {
            kind,
            capture_start: None,
            duration_s: None,
            width: None,
            height: None,
            make_model: None,
            video_codec: None,
            audio_codec: None,
        }
    }
}

/// Why a recognised media file cannot be parsed. It is still evidence: the caller stores it.
/// `Display` is the Chinese reason shown to officers.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Damage {
    /// MP4/MOV with media data but no `moov` index: recording cut off (battery, card pulled).
    #[error("MP4/MOV 缺少 moov 索引：录制可能因断电或拔卡中断，文件未写完")]
    MissingIndex,
    /// A structure runs past the end of the file.
    #[error("文件被截断：{what}（应有 {expected} 字节，实有 {actual} 字节）")]
    Truncated {
        what: String,
        expected: u64,
        actual: u64,
    },
    /// A structure is malformed.
    #[error("文件结构损坏：{0}")]
    Corrupt(String),
}

/// Why [`probe`] returned no [`MediaInfo`].
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    /// Not a format we recognise (device logs, system files…).
    #[error("不是可识别的音视频或照片文件")]
    NotMedia,
    /// A recognised format that cannot be parsed.
    #[error("{kind:?} 文件损坏：{reason}")]
    Damaged { kind: MediaKind, reason: Damage },
    /// The reader failed.
    #[error("读取失败：{0}")]
    Io(#[from] std::io::Error),
}

/// Parses a whole file of `len` bytes. Reads headers only (it seeks); never the whole payload.
pub fn probe<R: Read + Seek>(r: &mut R, len: u64) -> Result<MediaInfo, ProbeError> {
    let mut head = [0u8; 64];
    let n = reader::read_at(r, 0, &mut head)?;
    let kind = sniff(&head[..n]).ok_or(ProbeError::NotMedia)?;
    let damaged = |reason| ProbeError::Damaged { kind, reason };
    let result = match kind {
        MediaKind::Mp4 | MediaKind::Mov => bmff::probe(r, len, kind),
        MediaKind::Avi => riff::probe_avi(r, len),
        MediaKind::Wav => riff::probe_wav(r, len),
        MediaKind::Jpeg => jpeg::probe(r, len),
        MediaKind::Mp3 => mp3::probe(r, len),
    };
    match result {
        Ok(info) => Ok(info),
        Err(reader::Error::Damage(d)) => Err(damaged(d)),
        Err(reader::Error::Io(e)) => Err(ProbeError::Io(e)),
    }
}

/// Whether a browser (Debian's Chromium: H.264/AAC in MP4, WAV, MP3) plays a recording as it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Playability {
    /// The `<video>`/`<audio>` element plays the original: MP4/MOV with H.264 video (`avc1`,
    /// `avc3`) and AAC (`mp4a`) or no audio; audio-only AAC MP4; WAV; MP3.
    Plays,
    /// A video the browser cannot decode (H.265 `hvc1`/`hev1`, any other codec, AVI/MJPEG): it
    /// needs a viewing copy.
    NeedsCopy,
    /// A photo: nothing to play.
    NotVideo,
}

impl Playability {
    /// The decision for what [`probe`] read.
    pub fn of(info: &MediaInfo) -> Playability {
        match info.kind {
            MediaKind::Wav | MediaKind::Mp3 => Playability::Plays,
            MediaKind::Jpeg => Playability::NotVideo,
            MediaKind::Avi => Playability::NeedsCopy,
            MediaKind::Mp4 | MediaKind::Mov => {
                let video_ok = match &info.video_codec {
                    Some(c) => matches!(c, b"avc1" | b"avc3"),
                    None => info.audio_codec.is_some(),
                };
                let audio_ok = info.audio_codec.is_none_or(|c| &c == b"mp4a");
                if video_ok && audio_ok {
                    Playability::Plays
                } else {
                    Playability::NeedsCopy
                }
            }
        }
    }
}

/// Decides from the bytes whether a browser plays a recording of `len` bytes as it is. AVI is
/// decided by its header alone (a damaged AVI still gets a copy attempted); MP4/MOV by their
/// sample descriptions, so a damaged one is an error ([`ProbeError::Damaged`]).
pub fn playability<R: Read + Seek>(r: &mut R, len: u64) -> Result<Playability, ProbeError> {
    let mut head = [0u8; 64];
    let n = reader::read_at(r, 0, &mut head)?;
    match sniff(&head[..n]).ok_or(ProbeError::NotMedia)? {
        MediaKind::Avi => Ok(Playability::NeedsCopy),
        MediaKind::Jpeg => Ok(Playability::NotVideo),
        MediaKind::Wav | MediaKind::Mp3 => Ok(Playability::Plays),
        MediaKind::Mp4 | MediaKind::Mov => Ok(Playability::of(&probe(r, len)?)),
    }
}
