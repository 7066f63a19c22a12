//! RIFF containers: AVI (duration from the video stream header, creation date from `IDIT` or the
//! `INFO/ICRD` tag) and WAV (duration from the format and data sizes; `bext` or `ICRD` date).

use std::io::{Read, Seek};

use chrono::{NaiveDate, NaiveDateTime};

use crate::reader::{self, Result, le_u16, le_u32};
use crate::{CaptureTime, Damage, MediaInfo, MediaKind};

const MAX_CHUNKS: usize = 100_000;

struct Chunk {
    id: [u8; 4],
    /// Offset of the chunk payload.
    data: u64,
    size: u64,
}

/// Top-level chunks after the 12-byte RIFF header. A chunk running past the end is returned with
/// `truncated = true` as the last item.
fn top_chunks<R: Read + Seek>(r: &mut R, len: u64) -> Result<(Vec<Chunk>, bool)> {
    let mut out = Vec::new();
    let mut at = 12u64;
    while at + 8 <= len {
        if out.len() >= MAX_CHUNKS {
            return Err(Damage::Corrupt("RIFF 块数量异常".into()).into());
        }
        let mut h = [0u8; 8];
        reader::read_at(r, at, &mut h)?;
        let size = u64::from(le_u32(&h, 4).unwrap_or(0));
        let id = [h[0], h[1], h[2], h[3]];
        let data = at + 8;
        let end = data + size;
        out.push(Chunk { id, data, size });
        if end > len {
            return Ok((out, true));
        }
        at = end + (size & 1);
    }
    Ok((out, false))
}

/// Sub-chunks of an in-memory LIST payload (after its 4-byte list type).
fn sub_chunks(buf: &[u8]) -> Vec<([u8; 4], &[u8])> {
    let mut out = Vec::new();
    let mut at = 4usize;
    while at + 8 <= buf.len() && out.len() < MAX_CHUNKS {
        let id = [buf[at], buf[at + 1], buf[at + 2], buf[at + 3]];
        let size = le_u32(buf, at + 4).unwrap_or(0) as usize;
        let start = at + 8;
        let Some(end) = start.checked_add(size).filter(|e| *e <= buf.len()) else {
            break;
        };
        out.push((id, &buf[start..end]));
        at = end + (size & 1);
    }
    out
}

fn ascii(b: &[u8]) -> String {
    String::from_utf8_lossy(b)
        .trim_matches(|c: char| c == '\0' || c.is_whitespace())
        .to_string()
}

/// Dates as cameras and ffmpeg write them in RIFF tags: `2026-11-20`, `2026-11-20 09:30:00`,
/// `2026:11:20 09:30:00`, or the `IDIT` form `Fri Nov 20 09:30:00 2026`.
fn parse_riff_date(s: &str) -> Option<NaiveDateTime> {
    let s = s.trim();
    for f in [
        "%Y-%m-%d %H:%M:%S",
        "%Y:%m:%d %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S",
        "%a %b %d %H:%M:%S %Y",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, f) {
            return Some(t);
        }
    }
    NaiveDate::parse_from_str(s.get(..10)?, "%Y-%m-%d")
        .ok()?
        .and_hms_opt(0, 0, 0)
}

fn load_list<R: Read + Seek>(r: &mut R, c: &Chunk, len: u64) -> Result<Vec<u8>> {
    reader::load(r, c.data, c.size, len, "RIFF 列表")
}

pub fn probe_avi<R: Read + Seek>(r: &mut R, len: u64) -> Result<MediaInfo> {
    let (chunks, truncated) = top_chunks(r, len)?;
    let mut info = MediaInfo::new(MediaKind::Avi);
    let mut have_hdrl = false;
    for c in &chunks {
        if &c.id != b"LIST" || c.data + c.size > len {
            continue;
        }
        let mut kind = [0u8; 4];
        reader::read_at(r, c.data, &mut kind)?;
        match &kind {
            b"hdrl" => {
                have_hdrl = true;
                let list = load_list(r, c, len)?;
                let mut avih_duration = None;
                for (id, p) in sub_chunks(&list) {
                    match &id {
                        b"avih" => {
                            let (us, frames) =
                                (le_u32(p, 0).unwrap_or(0), le_u32(p, 16).unwrap_or(0));
                            avih_duration = Some(f64::from(us) * f64::from(frames) / 1e6);
                            info.width = le_u32(p, 32).filter(|w| *w > 0);
                            info.height = le_u32(p, 36).filter(|h| *h > 0);
                        }
                        b"LIST" if p.get(0..4) == Some(b"strl") => {
                            for (sid, sp) in sub_chunks(p) {
                                if &sid == b"strh"
                                    && sp.get(0..4) == Some(b"vids")
                                    && info.duration_s.is_none()
                                {
                                    let (scale, rate, length) =
                                        (le_u32(sp, 20), le_u32(sp, 24), le_u32(sp, 32));
                                    if let (Some(s), Some(rt), Some(l)) = (scale, rate, length)
                                        && rt > 0
                                    {
                                        info.duration_s =
                                            Some(f64::from(l) * f64::from(s) / f64::from(rt));
                                    }
                                }
                            }
                        }
                        b"IDIT" => {
                            if let Some(t) = parse_riff_date(&ascii(p)) {
                                info.capture_start = Some(CaptureTime::Local(t));
                            }
                        }
                        _ => {}
                    }
                }
                if info.duration_s.is_none() {
                    info.duration_s = avih_duration;
                }
            }
            b"INFO" => {
                let list = load_list(r, c, len)?;
                for (id, p) in sub_chunks(&list) {
                    if &id == b"ICRD" && info.capture_start.is_none() {
                        info.capture_start = parse_riff_date(&ascii(p)).map(CaptureTime::Local);
                    }
                }
            }
            _ => {}
        }
    }
    if !have_hdrl {
        return Err(Damage::Corrupt("AVI 缺少 hdrl 头".into()).into());
    }
    if truncated {
        return Err(Damage::Truncated {
            what: "AVI 数据块".into(),
            expected: riff_declared_end(r)?,
            actual: len,
        }
        .into());
    }
    Ok(info)
}

fn riff_declared_end<R: Read + Seek>(r: &mut R) -> Result<u64> {
    let mut h = [0u8; 8];
    reader::read_at(r, 0, &mut h)?;
    Ok(u64::from(le_u32(&h, 4).unwrap_or(0)) + 8)
}

pub fn probe_wav<R: Read + Seek>(r: &mut R, len: u64) -> Result<MediaInfo> {
    let (chunks, truncated) = top_chunks(r, len)?;
    let mut info = MediaInfo::new(MediaKind::Wav);
    let mut byte_rate = None;
    let mut data = None;
    for c in &chunks {
        match &c.id {
            b"fmt " => {
                let mut f = [0u8; 16];
                if reader::read_at(r, c.data, &mut f)? < 16 {
                    return Err(Damage::Truncated {
                        what: "WAV fmt 块".into(),
                        expected: c.data + 16,
                        actual: len,
                    }
                    .into());
                }
                byte_rate = le_u32(&f, 8).filter(|b| *b > 0);
                if le_u16(&f, 2) == Some(0) {
                    return Err(Damage::Corrupt("WAV 声道数为 0".into()).into());
                }
            }
            b"data" => data = Some(c),
            b"bext" if c.size >= 338 && c.data + c.size <= len => {
                let mut d = [0u8; 18];
                reader::read_at(r, c.data + 320, &mut d)?;
                let s = format!(
                    "{} {}",
                    ascii(&d[..10]),
                    ascii(&d[10..]).replace([':', '-', '.'], ":")
                );
                info.capture_start = parse_riff_date(&s).map(CaptureTime::Local);
            }
            b"LIST" if c.data + c.size <= len => {
                let list = load_list(r, c, len)?;
                if list.get(0..4) == Some(b"INFO") && info.capture_start.is_none() {
                    for (id, p) in sub_chunks(&list) {
                        if &id == b"ICRD" {
                            info.capture_start = parse_riff_date(&ascii(p)).map(CaptureTime::Local);
                        }
                    }
                }
            }
            _ => {}
        }
    }
    let byte_rate = byte_rate.ok_or_else(|| Damage::Corrupt("WAV 缺少 fmt 块".into()))?;
    let data = data.ok_or_else(|| Damage::Truncated {
        what: "WAV 缺少 data 块".into(),
        expected: len + 1,
        actual: len,
    })?;
    if truncated {
        return Err(Damage::Truncated {
            what: "WAV 音频数据".into(),
            expected: data.data + data.size,
            actual: len,
        }
        .into());
    }
    info.duration_s = Some(data.size as f64 / f64::from(byte_rate));
    Ok(info)
}
