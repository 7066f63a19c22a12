//! MP3: skip an ID3v2 tag, find the first valid MPEG audio frame, and take the frame count from a
//! Xing/Info or VBRI header (as encoders write them), else estimate from the bitrate.

use std::io::{Read, Seek};

use crate::reader::{self, Result, be_u32};
use crate::{Damage, MediaInfo, MediaKind};

/// How far past the tag to look for the first frame.
const SYNC_WINDOW: u64 = 64 * 1024;

#[derive(Debug, Clone, Copy)]
pub struct FrameHeader {
    mpeg1: bool,
    mono: bool,
    bitrate: u32,
    sample_rate: u32,
    samples_per_frame: u32,
    frame_len: u32,
}

impl FrameHeader {
    /// A Layer III frame header, or `None` if these 4 bytes are not one.
    pub fn parse(b: &[u8]) -> Option<Self> {
        if b.len() < 4 || b[0] != 0xFF || b[1] & 0xE0 != 0xE0 {
            return None;
        }
        let version = (b[1] >> 3) & 3; // 0: 2.5, 2: 2, 3: 1
        let layer = (b[1] >> 1) & 3; // 1: III
        if version == 1 || layer != 1 {
            return None;
        }
        let bi = (b[2] >> 4) as usize;
        let si = ((b[2] >> 2) & 3) as usize;
        if bi == 0 || bi == 15 || si == 3 {
            return None;
        }
        let mpeg1 = version == 3;
        const BR1: [u32; 15] = [
            0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320,
        ];
        const BR2: [u32; 15] = [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160];
        let bitrate = if mpeg1 { BR1[bi] } else { BR2[bi] } * 1000;
        let base = [44_100, 48_000, 32_000][si];
        let sample_rate = match version {
            3 => base,
            2 => base / 2,
            _ => base / 4,
        };
        let samples_per_frame = if mpeg1 { 1152 } else { 576 };
        let padding = u32::from((b[2] >> 1) & 1);
        let frame_len = samples_per_frame / 8 * bitrate / sample_rate + padding;
        Some(FrameHeader {
            mpeg1,
            mono: b[3] >> 6 == 3,
            bitrate,
            sample_rate,
            samples_per_frame,
            frame_len,
        })
    }
}

pub fn probe<R: Read + Seek>(r: &mut R, len: u64) -> Result<MediaInfo> {
    let mut start = 0u64;
    let mut id3 = [0u8; 10];
    if reader::read_at(r, 0, &mut id3)? == 10 && &id3[0..3] == b"ID3" {
        let size = id3[6..10]
            .iter()
            .fold(0u64, |acc, b| (acc << 7) | u64::from(b & 0x7F));
        let footer = if id3[5] & 0x10 != 0 { 10 } else { 0 };
        start = 10 + size + footer;
        if start >= len {
            return Err(Damage::Truncated {
                what: "MP3 的 ID3 标签".into(),
                expected: start,
                actual: len,
            }
            .into());
        }
    }
    let window = reader::load(r, start, SYNC_WINDOW.min(len - start), len, "MP3 帧头")?;
    let (pos, h) = (0..window.len().saturating_sub(3))
        .find_map(|i| {
            let h = FrameHeader::parse(&window[i..])?;
            // Require the next frame to follow where this one says, unless the file ends first.
            let next = i + h.frame_len as usize;
            match window.get(next..next + 4) {
                Some(n) if FrameHeader::parse(n).is_none() => None,
                _ => Some((i, h)),
            }
        })
        .ok_or_else(|| Damage::Corrupt("找不到有效的 MP3 音频帧".into()))?;
    let frame = &window[pos..];
    let side = match (h.mpeg1, h.mono) {
        (true, false) => 32,
        (true, true) => 17,
        (false, false) => 17,
        (false, true) => 9,
    };
    let xing = 4 + side;
    let frames = match frame.get(xing..xing + 4) {
        Some(b"Xing") | Some(b"Info") if be_u32(frame, xing + 4).is_some_and(|f| f & 1 == 1) => {
            be_u32(frame, xing + 8)
        }
        _ if frame.get(36..40) == Some(b"VBRI") => be_u32(frame, 36 + 14),
        _ => None,
    };
    let mut info = MediaInfo::new(MediaKind::Mp3);
    info.duration_s = Some(match frames {
        Some(n) => f64::from(n) * f64::from(h.samples_per_frame) / f64::from(h.sample_rate),
        None => (len - start - pos as u64) as f64 * 8.0 / f64::from(h.bitrate),
    });
    Ok(info)
}
