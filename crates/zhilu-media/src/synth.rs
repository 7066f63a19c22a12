//! Sample media for the demo and the ingest benchmark: a WAV tone, re-stamped copies of real encoded
//! MP4 and JPEG files (new capture time, unique bytes, still valid files), and large structurally
//! valid MP4 files with pseudo-random payload, written at memory speed.

use std::io::{self, Write};

use chrono::{DateTime, NaiveDateTime, Utc};

use crate::bmff::{self, EPOCH_1904};
use crate::{Damage, MediaKind, ProbeError};

/// 16-bit mono PCM WAV with a sine tone (different tones give different bytes).
pub fn wav(duration_s: f64, sample_rate: u32, tone_hz: f64) -> Vec<u8> {
    let samples = (duration_s.max(0.0) * f64::from(sample_rate)).round() as u32;
    let data_len = samples * 2;
    let mut out = Vec::with_capacity(44 + data_len as usize);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data_len).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes()); // PCM
    out.extend_from_slice(&1u16.to_le_bytes()); // mono
    out.extend_from_slice(&sample_rate.to_le_bytes());
    out.extend_from_slice(&(sample_rate * 2).to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&16u16.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data_len.to_le_bytes());
    for i in 0..samples {
        let t = f64::from(i) / f64::from(sample_rate);
        let v = (t * tone_hz * std::f64::consts::TAU).sin() * 12_000.0;
        out.extend_from_slice(&(v as i16).to_le_bytes());
    }
    out
}

fn damaged(kind: MediaKind, what: &str) -> ProbeError {
    ProbeError::Damaged {
        kind,
        reason: Damage::Corrupt(what.to_string()),
    }
}

/// A copy of a real MP4/MOV with every creation/modification time set to `creation` and a `free`
/// box holding `salt` appended, so the copy is unique and still a valid file.
pub fn restamp_mp4(
    template: &[u8],
    creation: DateTime<Utc>,
    salt: &[u8],
) -> Result<Vec<u8>, ProbeError> {
    let fields =
        bmff::time_fields(template).ok_or_else(|| damaged(MediaKind::Mp4, "模板不是完整的 MP4"))?;
    if fields.is_empty() {
        return Err(damaged(MediaKind::Mp4, "模板中没有时间字段"));
    }
    let t = u64::try_from(creation.timestamp() + EPOCH_1904)
        .map_err(|_| damaged(MediaKind::Mp4, "时间早于 1904 年"))?;
    let mut out = template.to_vec();
    for (at, wide) in fields {
        if wide {
            out[at..at + 8].copy_from_slice(&t.to_be_bytes());
        } else {
            let t32 =
                u32::try_from(t).map_err(|_| damaged(MediaKind::Mp4, "时间超出 32 位范围"))?;
            out[at..at + 4].copy_from_slice(&t32.to_be_bytes());
        }
    }
    let size = u32::try_from(8 + salt.len()).map_err(|_| damaged(MediaKind::Mp4, "salt 过长"))?;
    out.extend_from_slice(&size.to_be_bytes());
    out.extend_from_slice(b"free");
    out.extend_from_slice(salt);
    Ok(out)
}

/// Like [`restamp_mp4`], and the movie header also declares `duration_s`: a stand-in for a long
/// body-camera segment in scenario tests, without megabytes of frames. The tracks keep their real
/// (short) media, so the file still plays; only the declared movie duration changes.
pub fn restamp_mp4_with_duration(
    template: &[u8],
    creation: DateTime<Utc>,
    duration_s: u32,
    salt: &[u8],
) -> Result<Vec<u8>, ProbeError> {
    let mut out = restamp_mp4(template, creation, salt)?;
    let (p, v1) =
        bmff::mvhd_payload(&out).ok_or_else(|| damaged(MediaKind::Mp4, "模板中没有 mvhd"))?;
    let (ts_at, dur_at) = if v1 {
        (p + 20, p + 24)
    } else {
        (p + 12, p + 16)
    };
    let ts = u32::from_be_bytes(
        out[ts_at..ts_at + 4]
            .try_into()
            .map_err(|_| damaged(MediaKind::Mp4, "mvhd 太短"))?,
    );
    let d = u64::from(duration_s) * u64::from(ts);
    if v1 {
        out[dur_at..dur_at + 8].copy_from_slice(&d.to_be_bytes());
    } else {
        let d32 = u32::try_from(d).map_err(|_| damaged(MediaKind::Mp4, "时长超出 32 位范围"))?;
        out[dur_at..dur_at + 4].copy_from_slice(&d32.to_be_bytes());
    }
    Ok(out)
}

/// A copy of a real JPEG with its EXIF date-times set to `local` and a comment segment holding `salt`.
pub fn restamp_jpeg(
    template: &[u8],
    local: NaiveDateTime,
    salt: &[u8],
) -> Result<Vec<u8>, ProbeError> {
    if !template.starts_with(&[0xFF, 0xD8]) || salt.len() > 60_000 {
        return Err(damaged(MediaKind::Jpeg, "模板不是 JPEG"));
    }
    let stamp = local.format("%Y:%m:%d %H:%M:%S").to_string();
    let mut out = template.to_vec();
    // EXIF date-times are fixed-width ASCII "YYYY:MM:DD hh:mm:ss": rewrite each in place.
    let looks_like = |w: &[u8]| {
        w.len() == 19
            && w.iter().enumerate().all(|(i, b)| match i {
                4 | 7 => *b == b':',
                10 => *b == b' ',
                13 | 16 => *b == b':',
                _ => b.is_ascii_digit(),
            })
    };
    let limit = out.len().min(64 * 1024);
    let mut i = 0;
    let mut found = false;
    while i + 19 <= limit {
        if looks_like(&out[i..i + 19]) {
            out[i..i + 19].copy_from_slice(stamp.as_bytes());
            found = true;
            i += 19;
        } else {
            i += 1;
        }
    }
    if !found {
        return Err(damaged(MediaKind::Jpeg, "模板中没有 EXIF 时间"));
    }
    let mut com = vec![0xFF, 0xFE];
    com.extend_from_slice(&((salt.len() + 2) as u16).to_be_bytes());
    com.extend_from_slice(salt);
    out.splice(2..2, com);
    Ok(out)
}

/// xorshift64*: fast, deterministic filler for benchmark payloads (not cryptographic).
struct Filler(u64);

impl Filler {
    fn fill(&mut self, buf: &mut [u8]) {
        for chunk in buf.chunks_exact_mut(8) {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            chunk.copy_from_slice(&self.0.wrapping_mul(0x2545_F491_4F6C_DD1D).to_le_bytes());
        }
    }
}

fn bx(kind: &[u8; 4], payload: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(8 + payload.len());
    v.extend_from_slice(&((8 + payload.len()) as u32).to_be_bytes());
    v.extend_from_slice(kind);
    v.extend_from_slice(payload);
    v
}

/// The `moov` of a synthetic file: mvhd plus one video track header (no sample tables: the file is
/// for parsers and hashers, not players).
fn synth_moov(creation: u32, duration_s: f64) -> Vec<u8> {
    let timescale = 1000u32;
    let duration = (duration_s.max(0.0) * 1000.0)
        .round()
        .min(f64::from(u32::MAX - 1)) as u32;
    let mut mvhd = vec![0u8; 100];
    mvhd[4..8].copy_from_slice(&creation.to_be_bytes());
    mvhd[8..12].copy_from_slice(&creation.to_be_bytes());
    mvhd[12..16].copy_from_slice(&timescale.to_be_bytes());
    mvhd[16..20].copy_from_slice(&duration.to_be_bytes());
    mvhd[20..24].copy_from_slice(&0x0001_0000u32.to_be_bytes()); // rate 1.0
    mvhd[24..26].copy_from_slice(&0x0100u16.to_be_bytes()); // volume 1.0
    for (i, v) in [0x0001_0000u32, 0, 0, 0, 0x0001_0000, 0, 0, 0, 0x4000_0000]
        .iter()
        .enumerate()
    {
        mvhd[36 + i * 4..40 + i * 4].copy_from_slice(&v.to_be_bytes());
    }
    mvhd[96..100].copy_from_slice(&2u32.to_be_bytes()); // next track id
    let mut tkhd = vec![0u8; 84];
    tkhd[3] = 7; // enabled, in movie, in preview
    tkhd[4..8].copy_from_slice(&creation.to_be_bytes());
    tkhd[8..12].copy_from_slice(&creation.to_be_bytes());
    tkhd[12..16].copy_from_slice(&1u32.to_be_bytes());
    tkhd[20..24].copy_from_slice(&duration.to_be_bytes());
    tkhd[76..80].copy_from_slice(&(1920u32 << 16).to_be_bytes());
    tkhd[80..84].copy_from_slice(&(1080u32 << 16).to_be_bytes());
    let mut hdlr = vec![0u8; 24];
    hdlr[8..12].copy_from_slice(b"vide");
    hdlr.extend_from_slice(b"VideoHandler\0");
    let mdia = bx(b"mdia", &bx(b"hdlr", &hdlr));
    let trak = bx(b"trak", &[bx(b"tkhd", &tkhd), mdia].concat());
    bx(b"moov", &[bx(b"mvhd", &mvhd), trak].concat())
}

/// Writes a structurally valid MP4 of exactly `total_size` bytes: `ftyp`, an `mdat` of pseudo-random
/// bytes from `seed`, then `moov` (last, as a camera writes it) with the given creation time and
/// duration.
pub fn write_large_mp4<W: Write>(
    w: &mut W,
    total_size: u64,
    creation: DateTime<Utc>,
    duration_s: f64,
    seed: u64,
) -> io::Result<()> {
    let ftyp = bx(b"ftyp", b"isom\0\0\x02\0isommp41");
    let created = u32::try_from(creation.timestamp() + EPOCH_1904).unwrap_or(0);
    let moov = synth_moov(created, duration_s);
    let overhead = (ftyp.len() + 16 + moov.len()) as u64;
    if total_size < overhead {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("an MP4 needs at least {overhead} bytes"),
        ));
    }
    let payload = total_size - overhead;
    w.write_all(&ftyp)?;
    w.write_all(&1u32.to_be_bytes())?;
    w.write_all(b"mdat")?;
    w.write_all(&(payload + 16).to_be_bytes())?;
    let mut filler = Filler(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let mut buf = vec![0u8; 1 << 20];
    let mut left = payload;
    while left > 0 {
        let n = left.min(buf.len() as u64) as usize;
        let fill = n.next_multiple_of(8).min(buf.len());
        filler.fill(&mut buf[..fill]);
        w.write_all(&buf[..n])?;
        left -= n as u64;
    }
    w.write_all(&moov)
}
