//! Bounded reads: every parser goes through these, so a size read from the input can never make
//! us allocate or seek beyond the stream.

use std::io::{self, Read, Seek, SeekFrom};

use crate::Damage;

/// A parser failure: the input's fault (`Damage`) or the reader's (`Io`).
#[derive(Debug)]
pub enum Error {
    Damage(Damage),
    Io(io::Error),
}

impl From<io::Error> for Error {
    fn from(e: io::Error) -> Self {
        Error::Io(e)
    }
}

impl From<Damage> for Error {
    fn from(d: Damage) -> Self {
        Error::Damage(d)
    }
}

pub type Result<T> = std::result::Result<T, Error>;

/// Largest structure any parser loads into memory (an MP4 `moov`, a RIFF header list).
pub const MAX_LOAD: u64 = 16 << 20;

/// Reads up to `buf.len()` bytes at `offset`; returns how many were available.
pub fn read_at<R: Read + Seek>(r: &mut R, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
    r.seek(SeekFrom::Start(offset))?;
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// Loads `[offset, offset + size)`, which the caller has checked lies inside a stream of `len`.
pub fn load<R: Read + Seek>(
    r: &mut R,
    offset: u64,
    size: u64,
    len: u64,
    what: &str,
) -> Result<Vec<u8>> {
    if size > MAX_LOAD {
        return Err(Damage::Corrupt(format!("{what} 过大（{size} 字节）")).into());
    }
    let end = offset
        .checked_add(size)
        .ok_or_else(|| Damage::Corrupt(format!("{what} 大小溢出")))?;
    if end > len {
        return Err(Damage::Truncated {
            what: what.to_string(),
            expected: end,
            actual: len,
        }
        .into());
    }
    let mut buf = vec![0u8; size as usize];
    let n = read_at(r, offset, &mut buf)?;
    if n as u64 != size {
        return Err(Damage::Truncated {
            what: what.to_string(),
            expected: end,
            actual: offset + n as u64,
        }
        .into());
    }
    Ok(buf)
}

pub fn be_u16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(
        b.get(at..at.checked_add(2)?)?.try_into().ok()?,
    ))
}
pub fn be_u32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(
        b.get(at..at.checked_add(4)?)?.try_into().ok()?,
    ))
}
pub fn be_u64(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_be_bytes(
        b.get(at..at.checked_add(8)?)?.try_into().ok()?,
    ))
}
pub fn le_u16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(
        b.get(at..at.checked_add(2)?)?.try_into().ok()?,
    ))
}
pub fn le_u32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(
        b.get(at..at.checked_add(4)?)?.try_into().ok()?,
    ))
}
