//! The disc image(s) of a written evidence package (R22): the bag tree as ISO 9660 + Joliet, one
//! image when it fits the disc, else split with `iso::plan` so that every disc carries its share
//! of `data/` and all the tag files (manifests, bag-info, tag manifest, audit proofs, verify.py,
//! README.txt, statement.pdf) — each disc checks on its own, the payload files it does not carry
//! aside.

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;
use sha2::{Digest, Sha256};
use zhilu_export::iso::{self, IsoEntry, IsoFile, IsoLayout, IsoOptions};

use crate::error::AppError;

/// Where and on what size of disc to write the package's image(s).
#[derive(Debug, Clone)]
pub struct Disc {
    /// The image file; split images are named `NAME-1.iso`, `NAME-2.iso`, … next to it.
    pub image: PathBuf,
    /// Usable bytes of one disc (`iso::DVD_R` …).
    pub capacity: u64,
}

/// One written image.
#[derive(Debug, Clone, Serialize)]
pub struct DiscImage {
    pub path: PathBuf,
    pub size: u64,
    pub sha256: String,
    /// How many payload files (`data/…`) it carries.
    pub payload_files: usize,
    /// Their paths in the bag (`data/…`).
    #[serde(skip)]
    pub payload: Vec<String>,
}

/// Reads a disc size: bytes, or a decimal number with K/M/G/T (powers of 1000, as discs are
/// sold: `4.7G`, `25G`), or a disc name: `cd`, `dvd`, `dvd-dl`, `bd25`.
pub fn parse_disc_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    match t.to_ascii_lowercase().as_str() {
        "cd" | "cd-r" => return Ok(iso::CD_R_700),
        "dvd" | "dvd-r" | "dvd+r" => return Ok(iso::DVD_R),
        "dvd-dl" | "dvd+r-dl" | "dvd-r-dl" => return Ok(iso::DVD_R_DL),
        "bd" | "bd25" | "bd-r" | "bd-r-25" => return Ok(iso::BD_R_25),
        _ => {}
    }
    let bad = || {
        format!("光盘容量“{s}”无法识别：请写字节数，或如 4.7G、25G、700M，或 cd、dvd、dvd-dl、bd25")
    };
    let (num, mult) = match t.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => {
            let m: u64 = match c.to_ascii_uppercase() {
                'K' => 1_000,
                'M' => 1_000_000,
                'G' => 1_000_000_000,
                'T' => 1_000_000_000_000,
                _ => return Err(bad()),
            };
            (&t[..i], m)
        }
        _ => (t, 1),
    };
    let bytes = if mult == 1 {
        num.trim().parse::<u64>().map_err(|_| bad())?
    } else {
        let v: f64 = num.trim().parse().map_err(|_| bad())?;
        if !v.is_finite() || v <= 0.0 {
            return Err(bad());
        }
        (v * mult as f64) as u64
    };
    if bytes < 64 * iso::SECTOR {
        return Err(format!("光盘容量“{s}”太小"));
    }
    Ok(bytes)
}

/// `dir/NAME.iso` → `dir/NAME-n.iso`.
pub fn numbered(image: &Path, n: usize) -> PathBuf {
    let stem = image
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let name = match image.extension() {
        Some(ext) => format!("{stem}-{n}.{}", ext.to_string_lossy()),
        None => format!("{stem}-{n}"),
    };
    image.with_file_name(name)
}

fn disc_err(e: impl std::fmt::Display) -> AppError {
    AppError::ExportDisc(e.to_string())
}

/// Every file under `root` as (`/`-separated relative path, absolute path), sorted.
fn walk(root: &Path) -> Result<Vec<(String, PathBuf)>, AppError> {
    fn go(root: &Path, dir: &Path, out: &mut Vec<(String, PathBuf)>) -> io::Result<()> {
        for e in std::fs::read_dir(dir)? {
            let e = e?;
            let p = e.path();
            if e.file_type()?.is_dir() {
                go(root, &p, out)?;
            } else {
                let rel = p.strip_prefix(root).unwrap_or(&p);
                let rel: Vec<String> = rel
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect();
                out.push((rel.join("/"), p));
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    go(root, root, &mut out).map_err(|source| AppError::Io {
        path: root.to_path_buf(),
        source,
    })?;
    out.sort();
    Ok(out)
}

/// Which files go on which disc: indices into `files`, tag files on every disc.
fn discs(
    files: &[(String, PathBuf)],
    entries: &[IsoEntry],
    capacity: u64,
) -> Result<Vec<Vec<usize>>, AppError> {
    let all: Vec<usize> = (0..files.len()).collect();
    if iso::image_size(entries).map_err(disc_err)? <= capacity {
        return Ok(vec![all]);
    }
    let (data, tags): (Vec<usize>, Vec<usize>) = all
        .into_iter()
        .partition(|&i| files[i].0.starts_with("data/"));
    let tag_entries: Vec<IsoEntry> = tags.iter().map(|&i| entries[i].clone()).collect();
    let data_entries: Vec<IsoEntry> = data.iter().map(|&i| entries[i].clone()).collect();
    let empty = iso::image_size(&[]).map_err(disc_err)?;
    let overhead = iso::image_size(&tag_entries).map_err(disc_err)? - empty;
    let too_small = || {
        AppError::ExportDisc(format!(
            "单张光盘容量 {capacity} 字节放不下证据包的核对文件（清单、审计证明、说明等）和任一记录文件：请改用更大容量的光盘"
        ))
    };
    let mut budget = capacity.checked_sub(overhead).ok_or_else(too_small)?;
    loop {
        let plan = match iso::plan(&data_entries, budget) {
            Ok(p) => p,
            Err(iso::IsoError::FileLargerThanDisc { path, size, .. }) => {
                return Err(AppError::ExportDisc(format!(
                    "文件“{path}”有 {size} 字节，加上每张光盘都要带的核对文件，单张光盘（容量 {capacity} 字节）放不下，且文件不能跨盘拆分：请改用更大容量的光盘（如 BD-R）或改用移动硬盘导出"
                )));
            }
            Err(e) => return Err(disc_err(e)),
        };
        let mut over = 0;
        let mut out = Vec::new();
        for disc in &plan {
            let mut ids = tags.clone();
            ids.extend(disc.iter().map(|&j| data[j]));
            let es: Vec<IsoEntry> = ids.iter().map(|&i| entries[i].clone()).collect();
            let size = iso::image_size(&es).map_err(disc_err)?;
            over = over.max(size.saturating_sub(capacity));
            out.push(ids);
        }
        if over == 0 {
            return Ok(out);
        }
        budget = budget.checked_sub(over).ok_or_else(too_small)?;
    }
}

/// Bytes handed at once to the image file and its hasher.
const CHUNK: usize = 1 << 20;
/// Start the disk's write-back after this many bytes, so that the final fsync finds little left.
const FLUSH_EVERY: u64 = 64 << 20;

/// The image file as `write_image` writes it: buffered in large chunks, each chunk hashed
/// (SHA-256) on a thread of its own while this one writes it, and the disk kept busy by an
/// `fdatasync` started in the background every [`FLUSH_EVERY`] bytes (skipped while the last one
/// runs). [`ImageOut::finish`] waits for both, then fsyncs once.
struct ImageOut {
    file: File,
    buf: Vec<u8>,
    written: u64,
    flushed_at: u64,
    hash_tx: Option<std::sync::mpsc::SyncSender<Vec<u8>>>,
    hasher: Option<std::thread::JoinHandle<[u8; 32]>>,
    flush_tx: Option<std::sync::mpsc::SyncSender<()>>,
    flusher: Option<std::thread::JoinHandle<()>>,
}

impl ImageOut {
    fn new(file: File) -> io::Result<Self> {
        let (hash_tx, hash_rx) = std::sync::mpsc::sync_channel::<Vec<u8>>(4);
        let hasher = std::thread::spawn(move || {
            let mut h = Sha256::new();
            for chunk in hash_rx {
                h.update(&chunk);
            }
            <[u8; 32]>::from(h.finalize())
        });
        let (flush_tx, flush_rx) = std::sync::mpsc::sync_channel::<()>(1);
        let behind = file.try_clone()?;
        let flusher = std::thread::spawn(move || {
            for () in flush_rx {
                // Only starts write-back early; the fsync in `finish` is the one that counts.
                let _ = behind.sync_data();
            }
        });
        Ok(ImageOut {
            file,
            buf: Vec::with_capacity(CHUNK),
            written: 0,
            flushed_at: 0,
            hash_tx: Some(hash_tx),
            hasher: Some(hasher),
            flush_tx: Some(flush_tx),
            flusher: Some(flusher),
        })
    }

    fn hash_gone() -> io::Error {
        io::Error::other("计算光盘映像哈希的线程异常退出")
    }

    /// Writes and hands to the hasher what is buffered.
    fn drain(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK));
        self.file.write_all(&chunk)?;
        self.written += chunk.len() as u64;
        self.hash_tx
            .as_ref()
            .ok_or_else(Self::hash_gone)?
            .send(chunk)
            .map_err(|_| Self::hash_gone())?;
        if self.written - self.flushed_at >= FLUSH_EVERY {
            self.flushed_at = self.written;
            if let Some(tx) = &self.flush_tx {
                let _ = tx.try_send(());
            }
        }
        Ok(())
    }

    /// Writes the rest, fsyncs, and returns the image's SHA-256.
    fn finish(mut self) -> io::Result<[u8; 32]> {
        self.drain()?;
        self.hash_tx = None;
        self.flush_tx = None;
        if let Some(f) = self.flusher.take() {
            let _ = f.join();
        }
        let hash = self
            .hasher
            .take()
            .ok_or_else(Self::hash_gone)?
            .join()
            .map_err(|_| Self::hash_gone())?;
        self.file.sync_all()?;
        Ok(hash)
    }
}

impl Write for ImageOut {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let n = data.len().min(CHUNK - self.buf.len());
        self.buf.extend_from_slice(&data[..n]);
        if self.buf.len() == CHUNK {
            self.drain()?;
        }
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Writes the image(s) of the bag at `bag`; on any failure removes the images it wrote.
pub fn write(bag: &Path, disc: &Disc, recorded_at: i64) -> Result<Vec<DiscImage>, AppError> {
    let files = walk(bag)?;
    let entries: Vec<IsoEntry> = files
        .iter()
        .map(|(rel, p)| {
            let len = std::fs::metadata(p)
                .map_err(|source| AppError::Io {
                    path: p.clone(),
                    source,
                })?
                .len();
            Ok(IsoEntry {
                path: rel.clone(),
                len,
            })
        })
        .collect::<Result<_, AppError>>()?;
    let plan = discs(&files, &entries, disc.capacity)?;
    // Every name must read back exactly as the bag has it, or the manifests would not match.
    for ids in &plan {
        let es: Vec<IsoEntry> = ids.iter().map(|&i| entries[i].clone()).collect();
        let layout = IsoLayout::new(&es).map_err(disc_err)?;
        for (k, e) in es.iter().enumerate() {
            let j = layout.joliet_path(k);
            if j != e.path {
                return Err(AppError::ExportDisc(format!(
                    "证据包中的“{}”在光盘（Joliet）上会被改名为“{j}”，接收方将无法按清单核对：请缩短或更正该文件名后重新导出",
                    e.path
                )));
            }
        }
    }
    let paths: Vec<PathBuf> = if plan.len() == 1 {
        vec![disc.image.clone()]
    } else {
        (1..=plan.len()).map(|n| numbered(&disc.image, n)).collect()
    };
    let mut written: Vec<PathBuf> = Vec::new();
    let result = (|| {
        let mut out = Vec::new();
        for (n, (ids, path)) in plan.iter().zip(&paths).enumerate() {
            let io_err = |source| AppError::Io {
                path: path.clone(),
                source,
            };
            let file = File::options()
                .write(true)
                .create_new(true)
                .open(path)
                .map_err(io_err)?;
            written.push(path.clone());
            let isofiles = ids
                .iter()
                .map(|&i| IsoFile::from_path(files[i].0.clone(), files[i].1.clone()))
                .collect::<Result<Vec<_>, _>>()
                .map_err(disc_err)?;
            let options = IsoOptions {
                volume_label: if plan.len() == 1 {
                    "EVIDENCE".into()
                } else {
                    format!("EVIDENCE_{}", n + 1)
                },
                recorded_at_unix_seconds: recorded_at,
            };
            let mut w = ImageOut::new(file).map_err(io_err)?;
            let size = iso::write_image(isofiles, &options, &mut w).map_err(disc_err)?;
            let hash = w.finish().map_err(io_err)?;
            out.push(DiscImage {
                path: path.clone(),
                size,
                sha256: hex::encode(hash),
                payload_files: ids
                    .iter()
                    .filter(|&&i| files[i].0.starts_with("data/"))
                    .count(),
                payload: ids
                    .iter()
                    .filter(|&&i| files[i].0.starts_with("data/"))
                    .map(|&i| files[i].0.clone())
                    .collect(),
            });
        }
        Ok(out)
    })();
    if result.is_err() {
        for p in &written {
            let _ = std::fs::remove_file(p);
        }
    }
    result
}

/// Removes written images (when what follows them fails).
pub(crate) fn remove(images: &[DiscImage]) {
    for i in images {
        let _ = std::fs::remove_file(&i.path);
    }
}
