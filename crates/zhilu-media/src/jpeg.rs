//! JPEG: walk the marker segments up to the image data (picture size from SOF), take the EXIF APP1
//! segment (at most 64 KiB by construction) and hand only that to kamadak-exif, a maintained EXIF
//! parser, for DateTimeOriginal / OffsetTimeOriginal and Make / Model. A file without an end-of-image
//! marker was cut off.

use std::io::{Read, Seek};

use chrono::{FixedOffset, NaiveDateTime, TimeZone, Utc};

use crate::reader::{self, Result, be_u16};
use crate::{CaptureTime, Damage, MediaInfo, MediaKind};

const MAX_SEGMENTS: usize = 10_000;
const TAIL_SCAN: u64 = 1 << 20;

fn exif_fields(tiff: Vec<u8>, info: &mut MediaInfo) {
    let Ok(exif) = exif::Reader::new().read_raw(tiff) else {
        return; // unreadable EXIF: the photo is intact, its capture time unknown
    };
    let ascii = |tag| match exif.get_field(tag, exif::In::PRIMARY).map(|f| &f.value) {
        Some(exif::Value::Ascii(v)) => v.first().map(|s| {
            String::from_utf8_lossy(s)
                .trim_end_matches('\0')
                .trim()
                .to_string()
        }),
        _ => None,
    };
    let when = ascii(exif::Tag::DateTimeOriginal).or_else(|| ascii(exif::Tag::DateTime));
    if let Some(t) = when.and_then(|s| NaiveDateTime::parse_from_str(&s, "%Y:%m:%d %H:%M:%S").ok())
    {
        let offset = ascii(exif::Tag::OffsetTimeOriginal)
            .and_then(|o| {
                chrono::DateTime::parse_from_rfc3339(&format!("2000-01-01T00:00:00{o}")).ok()
            })
            .map(|d| *d.offset());
        info.capture_start = Some(
            match offset.and_then(|o: FixedOffset| o.from_local_datetime(&t).single()) {
                Some(dt) => CaptureTime::Utc(dt.with_timezone(&Utc)),
                None => CaptureTime::Local(t),
            },
        );
    }
    let mm: Vec<String> = [ascii(exif::Tag::Make), ascii(exif::Tag::Model)]
        .into_iter()
        .flatten()
        .filter(|s| !s.is_empty())
        .collect();
    if !mm.is_empty() {
        info.make_model = Some(mm.join(" "));
    }
}

pub fn probe<R: Read + Seek>(r: &mut R, len: u64) -> Result<MediaInfo> {
    let mut info = MediaInfo::new(MediaKind::Jpeg);
    let mut at = 2u64;
    let mut segments = 0;
    let mut saw_sos = false;
    while at + 4 <= len {
        segments += 1;
        if segments > MAX_SEGMENTS {
            return Err(Damage::Corrupt("JPEG 段数量异常".into()).into());
        }
        let mut m = [0u8; 4];
        reader::read_at(r, at, &mut m)?;
        if m[0] != 0xFF {
            return Err(Damage::Corrupt(format!("JPEG 在偏移 {at} 处缺少段标记")).into());
        }
        let marker = m[1];
        if marker == 0xFF {
            at += 1; // fill byte
            continue;
        }
        if marker == 0xD9 {
            return Ok(info);
        }
        if (0xD0..=0xD7).contains(&marker) || marker == 0x01 {
            at += 2;
            continue;
        }
        let seg_len = u64::from(be_u16(&m, 2).unwrap_or(0));
        if seg_len < 2 {
            return Err(Damage::Corrupt("JPEG 段长度无效".into()).into());
        }
        let data = at + 4;
        let end = at + 2 + seg_len;
        if end > len {
            return Err(Damage::Truncated {
                what: "JPEG 段".into(),
                expected: end,
                actual: len,
            }
            .into());
        }
        match marker {
            0xE1 => {
                let seg = reader::load(r, data, seg_len - 2, len, "EXIF")?;
                if seg.starts_with(b"Exif\0\0") {
                    exif_fields(seg[6..].to_vec(), &mut info);
                }
            }
            0xC0..=0xCF if !matches!(marker, 0xC4 | 0xC8 | 0xCC) => {
                let mut sof = [0u8; 5];
                reader::read_at(r, data, &mut sof)?;
                info.height = be_u16(&sof, 1).map(u32::from).filter(|h| *h > 0);
                info.width = be_u16(&sof, 3).map(u32::from).filter(|w| *w > 0);
            }
            0xDA => {
                saw_sos = true;
                break;
            }
            _ => {}
        }
        at = end;
    }
    if !saw_sos {
        return Err(Damage::Truncated {
            what: "JPEG 缺少图像数据".into(),
            expected: len + 1,
            actual: len,
        }
        .into());
    }
    // The entropy-coded data runs to the end-of-image marker; look for it near the end of the file
    // (cameras may append a few bytes or a thumbnail after it).
    let scan = TAIL_SCAN.min(len);
    let tail = reader::load(r, len - scan, scan, len, "JPEG 结尾")?;
    if tail.windows(2).any(|w| w == [0xFF, 0xD9]) {
        Ok(info)
    } else {
        Err(Damage::Truncated {
            what: "JPEG 缺少结束标记，照片不完整".into(),
            expected: len + 1,
            actual: len,
        }
        .into())
    }
}
