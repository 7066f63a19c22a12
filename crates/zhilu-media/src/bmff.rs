//! ISO base media files (MP4) and QuickTime (MOV): walk the top-level boxes without loading media
//! data, load only `moov` (bounded), and read `mvhd` (creation time, duration) and each track's
//! `tkhd`/`hdlr` (picture size of the video track) and the first `stsd` sample entry (codec).

use std::io::{Read, Seek};

use chrono::{DateTime, Utc};

use crate::reader::{self, Result, be_u32, be_u64};
use crate::{CaptureTime, Damage, MediaInfo, MediaKind};

/// Seconds from 1904-01-01 (the ISO/QuickTime epoch) to 1970-01-01.
pub(crate) const EPOCH_1904: i64 = 2_082_844_800;
const MAX_TOP_BOXES: usize = 100_000;
const MAX_DEPTH: usize = 8;

/// One box header: (type, header length, total size).
fn header_at<R: Read + Seek>(
    r: &mut R,
    offset: u64,
    len: u64,
) -> Result<Option<([u8; 4], u64, u64)>> {
    let mut h = [0u8; 16];
    let n = reader::read_at(r, offset, &mut h)?;
    if n < 8 {
        return Ok(None);
    }
    let size32 = be_u32(&h, 0).unwrap_or(0) as u64;
    let kind = [h[4], h[5], h[6], h[7]];
    let (hdr, size) = match size32 {
        0 => (8, len - offset),
        1 => {
            if n < 16 {
                return Ok(None);
            }
            (16, be_u64(&h, 8).unwrap_or(0))
        }
        s => (8, s),
    };
    if size < hdr {
        return Err(Damage::Corrupt(format!(
            "盒子 {} 的长度 {size} 小于其头部",
            String::from_utf8_lossy(&kind)
        ))
        .into());
    }
    Ok(Some((kind, hdr, size)))
}

/// The unix instant of a 1904-based timestamp; `None` for 0 (unset) and implausible values.
pub(crate) fn from_1904(secs: u64) -> Option<DateTime<Utc>> {
    if secs == 0 {
        return None;
    }
    let unix = i64::try_from(secs).ok()?.checked_sub(EPOCH_1904)?;
    // Before 1990 or after 2200: a zeroed or garbage clock, not a capture time.
    if !(631_152_000..=7_258_118_400).contains(&unix) {
        return None;
    }
    DateTime::from_timestamp(unix, 0)
}

#[derive(Default)]
struct Moov {
    creation: Option<u64>,
    timescale: u32,
    duration: u64,
    has_mvhd: bool,
    video_dims: Option<(u32, u32)>,
    video_codec: Option<[u8; 4]>,
    audio_codec: Option<[u8; 4]>,
}

/// The four-character code of the first sample entry in `stsd` (below `minf`/`stbl`), e.g.
/// `avc1`, `hvc1`, `mp4a`. `None` when the track has no readable sample description: a damaged
/// description does not make an otherwise readable file unreadable.
fn sample_entry(minf: &[u8]) -> Option<[u8; 4]> {
    let stbl = children(minf)
        .map_while(std::result::Result::ok)
        .find(|(k, _)| k == b"stbl")?
        .1;
    let stsd = children(stbl)
        .map_while(std::result::Result::ok)
        .find(|(k, _)| k == b"stsd")?
        .1;
    // Full box: version and flags (4), entry count (4), then the entries as boxes.
    if be_u32(stsd, 4)? == 0 {
        return None;
    }
    let (kind, _) = children(stsd.get(8..)?).next()?.ok()?;
    Some(kind)
}

/// Iterates child boxes of `buf` as (type, payload).
fn children(buf: &[u8]) -> impl Iterator<Item = std::result::Result<([u8; 4], &[u8]), Damage>> {
    let mut at = 0usize;
    std::iter::from_fn(move || {
        if at + 8 > buf.len() {
            return None;
        }
        let size32 = be_u32(buf, at)? as usize;
        let kind = [buf[at + 4], buf[at + 5], buf[at + 6], buf[at + 7]];
        let (hdr, size) = match size32 {
            0 => (8, buf.len() - at),
            1 => (
                16,
                usize::try_from(be_u64(buf, at + 8)?).unwrap_or(usize::MAX),
            ),
            s => (8, s),
        };
        if size < hdr || at.checked_add(size).is_none_or(|end| end > buf.len()) {
            at = buf.len();
            return Some(Err(Damage::Corrupt(format!(
                "moov 内的盒子 {} 长度无效",
                String::from_utf8_lossy(&kind)
            ))));
        }
        let payload = &buf[at + hdr..at + size];
        at += size;
        Some(Ok((kind, payload)))
    })
}

fn parse_trak(trak: &[u8], depth: usize, m: &mut Moov) -> std::result::Result<(), Damage> {
    let mut dims = None;
    let mut is_video = false;
    let mut is_audio = false;
    let mut codec = None;
    for child in children(trak) {
        let (kind, p) = child?;
        match &kind {
            b"tkhd" => {
                // version 0: 84-byte payload, width/height (16.16) at 76/80; version 1: +12.
                let off = if p.first() == Some(&1) { 88 } else { 76 };
                if let (Some(w), Some(h)) = (be_u32(p, off), be_u32(p, off + 4)) {
                    dims = Some((w >> 16, h >> 16));
                }
            }
            b"mdia" if depth < MAX_DEPTH => {
                for c in children(p) {
                    let (k, hp) = c?;
                    if &k == b"hdlr" {
                        is_video |= hp.get(8..12) == Some(b"vide");
                        is_audio |= hp.get(8..12) == Some(b"soun");
                    }
                    if &k == b"minf" {
                        codec = sample_entry(hp);
                    }
                }
            }
            _ => {}
        }
    }
    if is_video && m.video_dims.is_none() {
        m.video_dims = dims.filter(|(w, h)| *w > 0 && *h > 0);
    }
    if is_video && m.video_codec.is_none() {
        m.video_codec = codec;
    }
    if is_audio && m.audio_codec.is_none() {
        m.audio_codec = codec;
    }
    Ok(())
}

fn parse_moov(buf: &[u8]) -> std::result::Result<Moov, Damage> {
    let mut m = Moov::default();
    for child in children(buf) {
        let (kind, p) = child?;
        match &kind {
            b"mvhd" => {
                let (creation, timescale, duration) = if p.first() == Some(&1) {
                    (be_u64(p, 4), be_u32(p, 20), be_u64(p, 24))
                } else {
                    (
                        be_u32(p, 4).map(u64::from),
                        be_u32(p, 12),
                        be_u32(p, 16).map(u64::from),
                    )
                };
                let (Some(c), Some(ts), Some(d)) = (creation, timescale, duration) else {
                    return Err(Damage::Corrupt("mvhd 太短".into()));
                };
                m.creation = Some(c);
                m.timescale = ts;
                m.duration = d;
                m.has_mvhd = true;
            }
            b"trak" => parse_trak(p, 1, &mut m)?,
            _ => {}
        }
    }
    Ok(m)
}

pub fn probe<R: Read + Seek>(r: &mut R, len: u64, kind: MediaKind) -> Result<MediaInfo> {
    let mut offset = 0u64;
    let mut moov = None;
    let mut saw_mdat = false;
    let mut boxes = 0usize;
    while offset < len {
        boxes += 1;
        if boxes > MAX_TOP_BOXES {
            return Err(Damage::Corrupt("顶层盒子数量异常".into()).into());
        }
        let Some((t, hdr, size)) = header_at(r, offset, len)? else {
            break; // a few stray trailing bytes
        };
        let end = offset
            .checked_add(size)
            .ok_or_else(|| Damage::Corrupt("盒子长度溢出".into()))?;
        if &t == b"mdat" {
            saw_mdat = true;
        }
        if end > len {
            if moov.is_none() && &t == b"mdat" {
                return Err(Damage::MissingIndex.into());
            }
            return Err(Damage::Truncated {
                what: format!("{} 盒子", String::from_utf8_lossy(&t)),
                expected: end,
                actual: len,
            }
            .into());
        }
        if &t == b"moov" && moov.is_none() {
            moov = Some(reader::load(r, offset + hdr, size - hdr, len, "moov")?);
        }
        offset = end;
    }
    let Some(moov) = moov else {
        return Err(if saw_mdat {
            Damage::MissingIndex
        } else {
            Damage::Corrupt("没有 moov 索引".into())
        }
        .into());
    };
    let m = parse_moov(&moov)?;
    if !m.has_mvhd {
        return Err(Damage::Corrupt("moov 中没有 mvhd".into()).into());
    }
    let mut info = MediaInfo::new(kind);
    info.capture_start = m.creation.and_then(from_1904).map(CaptureTime::Utc);
    if m.timescale > 0 && m.duration != u64::MAX && m.duration != u64::from(u32::MAX) {
        info.duration_s = Some(m.duration as f64 / f64::from(m.timescale));
    }
    if let Some((w, h)) = m.video_dims {
        info.width = Some(w);
        info.height = Some(h);
    }
    info.video_codec = m.video_codec;
    info.audio_codec = m.audio_codec;
    Ok(info)
}

/// The offset of the `mvhd` payload and whether it is version 1 (for synth::with_duration).
pub(crate) fn mvhd_payload(file: &[u8]) -> Option<(usize, bool)> {
    let fields = time_fields(file)?;
    // The first time field time_fields reports is mvhd's creation time (payload + 4): mvhd comes
    // before any trak in every file we write, and walk_times visits moov's children in order.
    let (creation_at, v1) = *fields.first()?;
    let p = creation_at.checked_sub(4)?;
    (file.get(p.checked_sub(4)?..p)? == b"mvhd").then_some((p, v1))
}

/// Offsets of the time fields inside `moov` (for synth::restamp): (absolute offset, is_64bit) of
/// creation and modification times in every mvhd, tkhd and mdhd.
pub(crate) fn time_fields(file: &[u8]) -> Option<Vec<(usize, bool)>> {
    let mut out = Vec::new();
    let mut at = 0usize;
    while at + 8 <= file.len() {
        let size = match be_u32(file, at)? {
            1 => usize::try_from(be_u64(file, at + 8)?).ok()?,
            0 => return None,
            s => s as usize,
        };
        let hdr = if be_u32(file, at)? == 1 { 16 } else { 8 };
        if size < hdr || at.checked_add(size)? > file.len() {
            return None;
        }
        if &file[at + 4..at + 8] == b"moov" {
            walk_times(file, at + hdr, at + size, 0, &mut out)?;
        }
        at += size;
    }
    Some(out)
}

fn walk_times(
    file: &[u8],
    start: usize,
    end: usize,
    depth: usize,
    out: &mut Vec<(usize, bool)>,
) -> Option<()> {
    let mut at = start;
    while at + 8 <= end {
        let size = be_u32(file, at)? as usize;
        if size < 8 || at.checked_add(size)? > end {
            return None;
        }
        let kind = &file[at + 4..at + 8];
        let p = at + 8;
        match kind {
            b"mvhd" | b"tkhd" | b"mdhd" => {
                let v1 = file.get(p) == Some(&1);
                out.push((p + 4, v1));
                out.push((p + if v1 { 12 } else { 8 }, v1));
            }
            b"trak" | b"mdia" if depth < MAX_DEPTH => {
                walk_times(file, p, at + size, depth + 1, out)?
            }
            _ => {}
        }
        at += size;
    }
    Some(())
}
