//! ISO 9660 + Joliet disc images of an export (R21, R22), so a court or a lawyer can mount or
//! extract the disc with the tools of any operating system and see the Chinese file names.
//!
//! Written by hand rather than with a crate: `hadris-iso` (the one maintained Rust writer with
//! Joliet, level 3 and multi-extent files) needs a `Read + Write + Seek` target and takes file
//! contents as in-memory `Vec<u8>` (streaming is behind an `unstable-streaming` feature), while an
//! export streams recordings of several GiB to a plain `Write` (a file, a pipe to a burner). The
//! format subset we need — one primary volume descriptor, one Joliet supplementary descriptor,
//! path tables and directory records — fits in one module and is pinned by the tests.
//!
//! Layout (deterministic: the same entries, label and timestamp give the same bytes):
//! sectors 0–15 zero (system area), 16 primary descriptor, 17 Joliet descriptor (`%/E`, UCS-2
//! level 3), 18 terminator, then the L and M path tables of both trees, the primary directories,
//! the Joliet directories, and the file data in input order, each file starting on a sector and
//! shared by both trees. Files longer than 4 GiB − 1 are recorded as several extents of
//! 4 GiB − 2 KiB with the multi-extent flag (ISO 9660 level 3) in both trees.

use std::collections::{BTreeMap, HashSet};
use std::fs::File;
use std::io::{self, Read, Write};
use std::path::PathBuf;

/// Logical block size of every image we write.
pub const SECTOR: u64 = 2048;
/// Bytes of one extent of a multi-extent file: the largest multiple of the sector size that a
/// directory record's 32-bit length can hold.
pub const MAX_EXTENT: u64 = 0xFFFF_F800;
/// Usable capacity of a 700 MB CD-R.
pub const CD_R_700: u64 = 360_000 * SECTOR;
/// Usable capacity of a single-layer DVD±R.
pub const DVD_R: u64 = 2_295_104 * SECTOR;
/// Usable capacity of a dual-layer DVD+R.
pub const DVD_R_DL: u64 = 4_173_824 * SECTOR;
/// Usable capacity of a single-layer BD-R.
pub const BD_R_25: u64 = 12_219_392 * SECTOR;

/// ECMA-119 allows at most eight directory levels, the root counting as the first.
const MAX_DEPTH: usize = 8;
/// Joliet limits a name to 64 UCS-2 code units.
const JOLIET_MAX: usize = 64;
const FIRST_PATH_TABLE_LBA: u64 = 19;

/// What can go wrong when laying out or writing an image; messages say what to do, in Chinese.
#[derive(Debug, thiserror::Error)]
pub enum IsoError {
    /// A path inside the image is empty, absolute, or has an empty, `.` or `..` component.
    #[error(
        "光盘映像内的路径“{path}”无效：须为相对路径，各级名称不能为空、“.”或“..”。请更正导出清单中的文件名。"
    )]
    InvalidPath { path: String },
    /// Two entries have the same path, or a file's path is also used as a directory.
    #[error("光盘映像内的路径“{path}”重复，或同时被用作文件和目录。请更正导出清单。")]
    DuplicatePath { path: String },
    /// A file lies deeper than ISO 9660 allows.
    #[error("文件“{path}”的目录层级超过 ISO 9660 允许的 8 层。请减少导出包的目录层级。")]
    TooDeep { path: String },
    /// One file does not fit on an empty disc, so no plan can hold it.
    #[error(
        "文件“{path}”有 {size} 字节，单张光盘（容量 {capacity} 字节）放不下，且文件不能跨盘拆分。请改用更大容量的光盘（如 BD-R）或改用移动硬盘导出。"
    )]
    FileLargerThanDisc {
        path: String,
        size: u64,
        capacity: u64,
    },
    /// Path tables number directories with 16 bits.
    #[error(
        "导出包有 {count} 个目录，超过 ISO 9660 路径表允许的 65535 个。请减少目录数量或分多张光盘导出。"
    )]
    TooManyDirectories { count: usize },
    /// The image would exceed what 32-bit sector numbers address (8 TiB).
    #[error("光盘映像超过 ISO 9660 可寻址的 8 TiB 上限。请分多张光盘导出。")]
    ImageTooLarge,
    /// The timestamp cannot be written in ISO 9660 directory records (years 1900–2155).
    #[error("映像时间戳 {unix_seconds} 超出 ISO 9660 可表示的 1900–2155 年范围。请检查系统时钟。")]
    TimestampOutOfRange { unix_seconds: i64 },
    /// A source gave more or fewer bytes than declared (the file changed while exporting).
    #[error(
        "文件“{path}”声明 {expected} 字节，读取时却不一致（文件可能在导出时被修改）。请重新导出。"
    )]
    LengthMismatch { path: String, expected: u64 },
    /// Reading a source file failed.
    #[error("读取待写入光盘映像的文件“{path}”失败：{source}。请检查文件是否存在且可读。")]
    Read { path: String, source: io::Error },
    /// Writing the image failed.
    #[error("写入光盘映像失败：{0}。请检查目标磁盘空间和权限。")]
    Write(io::Error),
}

/// A file as the layout sees it: where it goes in the image and how long it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IsoEntry {
    /// Path inside the image, `/`-separated, any Unicode, e.g. `执法记录/现场检查.mp4`.
    pub path: String,
    /// Exact length in bytes; the source must yield exactly this many.
    pub len: u64,
}

/// Where the bytes of a file come from; read once, streamed, never held whole in memory.
pub enum IsoSource {
    /// A file on disk, opened when its turn comes.
    Path(PathBuf),
    /// Any reader yielding exactly the entry's length.
    Reader(Box<dyn Read + Send>),
}

/// One file to write: its entry and its bytes.
pub struct IsoFile {
    /// Path inside the image and length.
    pub entry: IsoEntry,
    /// The bytes.
    pub source: IsoSource,
}

impl IsoFile {
    /// A file on disk; its length is taken now and checked again when it is written.
    pub fn from_path(
        path_in_image: impl Into<String>,
        fs_path: impl Into<PathBuf>,
    ) -> Result<Self, IsoError> {
        let fs_path = fs_path.into();
        let len = std::fs::metadata(&fs_path)
            .map_err(|source| IsoError::Read {
                path: fs_path.display().to_string(),
                source,
            })?
            .len();
        Ok(Self {
            entry: IsoEntry {
                path: path_in_image.into(),
                len,
            },
            source: IsoSource::Path(fs_path),
        })
    }

    /// Bytes from a reader that yields exactly `len` bytes.
    pub fn from_reader(
        path_in_image: impl Into<String>,
        len: u64,
        reader: impl Read + Send + 'static,
    ) -> Self {
        Self {
            entry: IsoEntry {
                path: path_in_image.into(),
                len,
            },
            source: IsoSource::Reader(Box::new(reader)),
        }
    }
}

/// The volume label and the one timestamp written everywhere (no clock is read here).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IsoOptions {
    /// Volume label; shown in full (16 characters, Chinese allowed) by Joliet readers, as
    /// upper-case d-characters in the primary descriptor.
    pub volume_label: String,
    /// Creation time of the volume and of every record, as UTC seconds since 1970.
    pub recorded_at_unix_seconds: i64,
}

/// The exact sizes and names of an image, computed without reading or writing any data.
#[derive(Debug, Clone)]
pub struct IsoLayout {
    entries: Vec<IsoEntry>,
    dirs: Vec<DirNode>,
    file_parent: Vec<usize>,
    primary: Tree,
    joliet: Tree,
    file_lba: Vec<u64>,
    total_sectors: u64,
}

impl IsoLayout {
    /// Lay out `entries` (checking paths) and compute every position in the image.
    pub fn new(entries: &[IsoEntry]) -> Result<Self, IsoError> {
        let (dirs, file_parent) = build_dirs(entries)?;
        if dirs.len() > usize::from(u16::MAX) {
            return Err(IsoError::TooManyDirectories { count: dirs.len() });
        }
        let mut primary = Tree::new(&dirs, entries, Scheme::Primary);
        let mut joliet = Tree::new(&dirs, entries, Scheme::Joliet);
        let mut next = FIRST_PATH_TABLE_LBA;
        for tree in [&mut primary, &mut joliet] {
            tree.l_table_lba = next;
            next += sectors(tree.path_table_size);
            tree.m_table_lba = next;
            next += sectors(tree.path_table_size);
        }
        for tree in [&mut primary, &mut joliet] {
            for &d in &tree.order {
                tree.dir_lba[d] = next;
                next += tree.dir_size[d] / SECTOR;
            }
        }
        let mut file_lba = Vec::with_capacity(entries.len());
        for e in entries {
            if e.len == 0 {
                file_lba.push(0);
            } else {
                file_lba.push(next);
                next += sectors(e.len);
            }
        }
        if next > u64::from(u32::MAX) {
            return Err(IsoError::ImageTooLarge);
        }
        Ok(Self {
            entries: entries.to_vec(),
            dirs,
            file_parent,
            primary,
            joliet,
            file_lba,
            total_sectors: next,
        })
    }

    /// Exact size in bytes of the image `write_image` produces for these entries.
    pub fn image_size(&self) -> u64 {
        self.total_sectors * SECTOR
    }

    /// The path of entry `index` as Joliet readers (Windows, Linux, macOS, xorriso) show it;
    /// differs from the entry's path only where a name had to be shortened or cleaned.
    pub fn joliet_path(&self, index: usize) -> String {
        self.tree_path(&self.joliet, index)
    }

    /// The path of entry `index` in the primary (8.3 upper-case) tree, e.g. `DIR00001/FILE0001.MP4;1`.
    pub fn iso_path(&self, index: usize) -> String {
        self.tree_path(&self.primary, index)
    }

    fn tree_path(&self, tree: &Tree, index: usize) -> String {
        let mut parts = vec![tree.scheme.display(&tree.file_ids[index])];
        let mut d = self.file_parent[index];
        while d != 0 {
            parts.push(tree.scheme.display(&tree.dir_ids[d]));
            d = self.dirs[d].parent;
        }
        parts.reverse();
        parts.join("/")
    }
}

/// Exact size in bytes of the image for `entries`, without reading or writing anything.
pub fn image_size(entries: &[IsoEntry]) -> Result<u64, IsoError> {
    Ok(IsoLayout::new(entries)?.image_size())
}

/// Split `entries` over as few discs as first-fit finds: each entry goes on the first disc whose
/// image, with it added, still fits `disc_capacity_bytes`. A file is never split across discs;
/// one that does not fit an empty disc is an error naming it. Returns entry indices per disc.
pub fn plan(entries: &[IsoEntry], disc_capacity_bytes: u64) -> Result<Vec<Vec<usize>>, IsoError> {
    build_dirs(entries)?;
    let mut discs: Vec<Vec<usize>> = Vec::new();
    'entry: for (i, e) in entries.iter().enumerate() {
        for disc in discs.iter_mut() {
            let mut candidate: Vec<IsoEntry> = disc.iter().map(|&j| entries[j].clone()).collect();
            candidate.push(e.clone());
            if image_size(&candidate)? <= disc_capacity_bytes {
                disc.push(i);
                continue 'entry;
            }
        }
        if image_size(std::slice::from_ref(e))? > disc_capacity_bytes {
            return Err(IsoError::FileLargerThanDisc {
                path: e.path.clone(),
                size: e.len,
                capacity: disc_capacity_bytes,
            });
        }
        discs.push(vec![i]);
    }
    Ok(discs)
}

/// Write the image of `files` to `out`, streaming each file's bytes; returns the bytes written
/// (always `IsoLayout::image_size`). `out` is written strictly sequentially.
pub fn write_image<W: Write>(
    files: Vec<IsoFile>,
    options: &IsoOptions,
    out: W,
) -> Result<u64, IsoError> {
    let entries: Vec<IsoEntry> = files.iter().map(|f| f.entry.clone()).collect();
    let layout = IsoLayout::new(&entries)?;
    let stamp = Stamp::from_unix(options.recorded_at_unix_seconds)?;
    let mut out = Counting {
        inner: out,
        written: 0,
    };
    out.put(&vec![0u8; 16 * SECTOR as usize])?;
    out.put(&volume_descriptor(
        &layout,
        &layout.primary,
        options,
        &stamp,
    ))?;
    out.put(&volume_descriptor(&layout, &layout.joliet, options, &stamp))?;
    let mut terminator = vec![0u8; SECTOR as usize];
    terminator[0] = 255;
    terminator[1..6].copy_from_slice(b"CD001");
    terminator[6] = 1;
    out.put(&terminator)?;
    for tree in [&layout.primary, &layout.joliet] {
        debug_assert_eq!(out.written, tree.l_table_lba * SECTOR);
        out.put(&path_table(tree, false))?;
        out.put(&path_table(tree, true))?;
    }
    for tree in [&layout.primary, &layout.joliet] {
        for &d in &tree.order {
            debug_assert_eq!(out.written, tree.dir_lba[d] * SECTOR);
            out.put(&directory(&layout, tree, d, &stamp))?;
        }
    }
    let mut buf = vec![0u8; 1 << 20];
    for (i, file) in files.into_iter().enumerate() {
        let e = &layout.entries[i];
        if e.len == 0 {
            continue;
        }
        debug_assert_eq!(out.written, layout.file_lba[i] * SECTOR);
        match file.source {
            IsoSource::Path(p) => {
                let read_err = |source| IsoError::Read {
                    path: p.display().to_string(),
                    source,
                };
                let f = File::open(&p).map_err(read_err)?;
                if f.metadata().map_err(read_err)?.len() != e.len {
                    return Err(IsoError::LengthMismatch {
                        path: e.path.clone(),
                        expected: e.len,
                    });
                }
                copy_exact(f, e, &mut out, &mut buf)?;
            }
            IsoSource::Reader(r) => copy_exact(r, e, &mut out, &mut buf)?,
        }
        let pad = (SECTOR - e.len % SECTOR) % SECTOR;
        out.put(&vec![0u8; pad as usize])?;
    }
    debug_assert_eq!(out.written, layout.image_size());
    out.inner.flush().map_err(IsoError::Write)?;
    Ok(out.written)
}

fn copy_exact(
    mut r: impl Read,
    e: &IsoEntry,
    out: &mut Counting<impl Write>,
    buf: &mut [u8],
) -> Result<(), IsoError> {
    let mut left = e.len;
    let read_err = |source| IsoError::Read {
        path: e.path.clone(),
        source,
    };
    while left > 0 {
        let want = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
        let n = match r.read(&mut buf[..want]) {
            Ok(0) => {
                return Err(IsoError::LengthMismatch {
                    path: e.path.clone(),
                    expected: e.len,
                });
            }
            Ok(n) => n,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
            Err(err) => return Err(read_err(err)),
        };
        out.put(&buf[..n])?;
        left -= n as u64;
    }
    let mut one = [0u8; 1];
    loop {
        match r.read(&mut one) {
            Ok(0) => return Ok(()),
            Ok(_) => {
                return Err(IsoError::LengthMismatch {
                    path: e.path.clone(),
                    expected: e.len,
                });
            }
            Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
            Err(err) => return Err(read_err(err)),
        }
    }
}

struct Counting<W> {
    inner: W,
    written: u64,
}

impl<W: Write> Counting<W> {
    fn put(&mut self, bytes: &[u8]) -> Result<(), IsoError> {
        self.inner.write_all(bytes).map_err(IsoError::Write)?;
        self.written += bytes.len() as u64;
        Ok(())
    }
}

fn sectors(bytes: u64) -> u64 {
    bytes.div_ceil(SECTOR)
}

#[derive(Debug, Clone)]
struct DirNode {
    parent: usize,
    depth: usize,
    /// Children by original name, so naming and order never depend on input order.
    children: BTreeMap<String, Child>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Child {
    Dir(usize),
    File(usize),
}

fn build_dirs(entries: &[IsoEntry]) -> Result<(Vec<DirNode>, Vec<usize>), IsoError> {
    let mut dirs = vec![DirNode {
        parent: 0,
        depth: 1,
        children: BTreeMap::new(),
    }];
    let mut file_parent = Vec::with_capacity(entries.len());
    for (i, e) in entries.iter().enumerate() {
        let parts: Vec<&str> = e.path.split('/').collect();
        if e.path.is_empty()
            || parts
                .iter()
                .any(|p| p.is_empty() || *p == "." || *p == "..")
        {
            return Err(IsoError::InvalidPath {
                path: e.path.clone(),
            });
        }
        let (name, dir_parts) = parts.split_last().expect("split yields at least one part");
        let mut d = 0;
        for part in dir_parts {
            d = match dirs[d].children.get(*part) {
                Some(Child::Dir(c)) => *c,
                Some(Child::File(_)) => {
                    return Err(IsoError::DuplicatePath {
                        path: e.path.clone(),
                    });
                }
                None => {
                    let depth = dirs[d].depth + 1;
                    if depth > MAX_DEPTH {
                        return Err(IsoError::TooDeep {
                            path: e.path.clone(),
                        });
                    }
                    let c = dirs.len();
                    dirs.push(DirNode {
                        parent: d,
                        depth,
                        children: BTreeMap::new(),
                    });
                    dirs[d].children.insert((*part).to_owned(), Child::Dir(c));
                    c
                }
            };
        }
        if dirs[d]
            .children
            .insert((*name).to_owned(), Child::File(i))
            .is_some()
        {
            return Err(IsoError::DuplicatePath {
                path: e.path.clone(),
            });
        }
        file_parent.push(d);
    }
    Ok((dirs, file_parent))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scheme {
    Primary,
    Joliet,
}

impl Scheme {
    fn display(self, id: &[u8]) -> String {
        match self {
            Scheme::Primary => String::from_utf8_lossy(id).into_owned(),
            Scheme::Joliet => {
                let units: Vec<u16> = id
                    .chunks(2)
                    .map(|c| u16::from_be_bytes([c[0], c[1]]))
                    .collect();
                String::from_utf16_lossy(&units)
            }
        }
    }
}

/// One of the two directory hierarchies (primary or Joliet) over the same directories and files.
#[derive(Debug, Clone)]
struct Tree {
    scheme: Scheme,
    dir_ids: Vec<Vec<u8>>,
    file_ids: Vec<Vec<u8>>,
    /// Per directory: children sorted as the scheme requires.
    sorted: Vec<Vec<Child>>,
    parent: Vec<usize>,
    /// Directories in path-table order (by level, then parent number, then identifier).
    order: Vec<usize>,
    number: Vec<u16>,
    dir_size: Vec<u64>,
    dir_lba: Vec<u64>,
    path_table_size: u64,
    l_table_lba: u64,
    m_table_lba: u64,
}

impl Tree {
    fn new(dirs: &[DirNode], entries: &[IsoEntry], scheme: Scheme) -> Self {
        let mut dir_ids = vec![vec![0u8]; dirs.len()];
        let mut file_ids = vec![Vec::new(); entries.len()];
        for node in dirs {
            let mut taken_primary = HashSet::new();
            let mut taken_joliet = HashSet::new();
            // Separate counters, so files are FILE0001… and directories DIR00001… in each directory.
            let mut counters = [0u32; 2];
            for (name, child) in &node.children {
                let is_dir = matches!(child, Child::Dir(_));
                let id = match scheme {
                    Scheme::Primary => primary_name(
                        name,
                        is_dir,
                        &mut taken_primary,
                        &mut counters[usize::from(is_dir)],
                    ),
                    Scheme::Joliet => joliet_name(name, &mut taken_joliet),
                };
                match child {
                    Child::Dir(c) => dir_ids[*c] = id,
                    Child::File(f) => file_ids[*f] = id,
                }
            }
        }
        let sorted: Vec<Vec<Child>> = dirs
            .iter()
            .map(|node| {
                let mut kids: Vec<Child> = node.children.values().copied().collect();
                kids.sort_by(|a, b| {
                    let id = |c: &Child| match c {
                        Child::Dir(d) => &dir_ids[*d],
                        Child::File(f) => &file_ids[*f],
                    };
                    sort_key(scheme, id(a)).cmp(&sort_key(scheme, id(b)))
                });
                kids
            })
            .collect();
        // Breadth first with children in identifier order gives the path-table order.
        let mut order = vec![0usize];
        let mut at = 0;
        while at < order.len() {
            let d = order[at];
            order.extend(sorted[d].iter().filter_map(|c| match c {
                Child::Dir(x) => Some(*x),
                Child::File(_) => None,
            }));
            at += 1;
        }
        let mut number = vec![0u16; dirs.len()];
        for (n, &d) in order.iter().enumerate() {
            number[d] = u16::try_from(n + 1).expect("layout refuses more than 65535 directories");
        }
        let mut tree = Self {
            scheme,
            parent: dirs.iter().map(|n| n.parent).collect(),
            dir_ids,
            file_ids,
            sorted,
            order,
            number,
            dir_size: vec![0; dirs.len()],
            dir_lba: vec![0; dirs.len()],
            path_table_size: 0,
            l_table_lba: 0,
            m_table_lba: 0,
        };
        for d in 0..dirs.len() {
            let mut pos = 0u64;
            for len in tree.record_lens(d, entries) {
                if pos % SECTOR + len > SECTOR {
                    pos = pos.div_ceil(SECTOR) * SECTOR;
                }
                pos += len;
            }
            tree.dir_size[d] = sectors(pos) * SECTOR;
        }
        tree.path_table_size = tree
            .order
            .iter()
            .map(|&d| 8 + padded(tree.dir_ids[d].len()) as u64)
            .sum();
        tree
    }

    /// Lengths of every record of directory `d` in order: `.`, `..`, then each child (several
    /// records for a multi-extent file).
    fn record_lens(&self, d: usize, entries: &[IsoEntry]) -> Vec<u64> {
        let mut lens = vec![34, 34];
        for c in &self.sorted[d] {
            match c {
                Child::Dir(x) => lens.push(record_len(self.dir_ids[*x].len())),
                Child::File(f) => {
                    let n = extent_count(entries[*f].len);
                    lens.extend(std::iter::repeat_n(record_len(self.file_ids[*f].len()), n));
                }
            }
        }
        lens
    }
}

fn sort_key(scheme: Scheme, id: &[u8]) -> (Vec<u8>, Vec<u8>) {
    match scheme {
        // ECMA-119 9.3: name, then extension, each padded with spaces; d-characters sort above
        // the space, so plain byte order of the two parts is the padded order.
        Scheme::Primary => {
            let s = id.split(|&b| b == b';').next().unwrap_or(id);
            match s.iter().position(|&b| b == b'.') {
                Some(p) => (s[..p].to_vec(), s[p + 1..].to_vec()),
                None => (s.to_vec(), Vec::new()),
            }
        }
        Scheme::Joliet => (id.to_vec(), Vec::new()),
    }
}

fn padded(len: usize) -> usize {
    len + len % 2
}

fn record_len(id_len: usize) -> u64 {
    (33 + id_len + (1 - id_len % 2)) as u64
}

fn extent_count(len: u64) -> usize {
    if len <= u64::from(u32::MAX) {
        1
    } else {
        len.div_ceil(MAX_EXTENT) as usize
    }
}

/// Primary-tree identifier: the original name when it is already a clean 8.3 d-character name,
/// otherwise `FILE0001.EXT;1` / `DIR00001`, unique within the directory.
fn primary_name(
    name: &str,
    is_dir: bool,
    taken: &mut HashSet<Vec<u8>>,
    counter: &mut u32,
) -> Vec<u8> {
    let (stem, ext) = match name.rfind('.') {
        Some(p) if !is_dir && p > 0 => (&name[..p], &name[p + 1..]),
        _ => (name, ""),
    };
    let clean = |s: &str, max: usize| -> Option<String> {
        let up: Option<String> = s
            .chars()
            .map(|c| match c {
                'a'..='z' | 'A'..='Z' | '0'..='9' | '_' => Some(c.to_ascii_uppercase()),
                '-' => Some('_'),
                _ => None,
            })
            .collect();
        up.filter(|u| u.len() <= max)
    };
    let ext: String = ext
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(3)
        .collect::<String>()
        .to_ascii_uppercase();
    let suffix = if is_dir {
        String::new()
    } else {
        format!(".{ext};1")
    };
    if let Some(stem) = clean(stem, 8).filter(|s| !s.is_empty()) {
        let id = format!("{stem}{suffix}").into_bytes();
        if taken.insert(id.clone()) {
            return id;
        }
    }
    loop {
        *counter += 1;
        let stem = match (is_dir, *counter) {
            (true, n) if n < 100_000 => format!("DIR{n:05}"),
            (true, n) => format!("D{n:07}"),
            (false, n) if n < 10_000 => format!("FILE{n:04}"),
            (false, n) => format!("F{n:07}"),
        };
        let id = format!("{stem}{suffix}").into_bytes();
        if taken.insert(id.clone()) {
            return id;
        }
    }
}

/// Joliet identifier: the name as UCS-2 big-endian, with characters Joliet or Windows forbid
/// and characters outside the BMP replaced by `_`, shortened to 64 units keeping the extension,
/// and made unique (case-insensitively, as Windows compares) with `~N` before the extension.
fn joliet_name(name: &str, taken: &mut HashSet<String>) -> Vec<u8> {
    let cleaned: String = name
        .chars()
        .map(|c| match c {
            '\u{0}'..='\u{1f}'
            | '\u{7f}'
            | '*'
            | '/'
            | ':'
            | ';'
            | '?'
            | '\\'
            | '"'
            | '<'
            | '>'
            | '|' => '_',
            c if (c as u32) > 0xFFFF => '_',
            c => c,
        })
        .collect();
    let chars: Vec<char> = cleaned.chars().collect();
    let split = match chars.iter().rposition(|&c| c == '.') {
        Some(p) if p > 0 && chars.len() - p <= 16 => p,
        _ => chars.len(),
    };
    let (stem, ext) = chars.split_at(split);
    let fit = |tag: &str| -> String {
        let room = JOLIET_MAX - ext.len() - tag.chars().count();
        let mut s: String = stem.iter().take(room).collect();
        s.push_str(tag);
        s.extend(ext);
        s
    };
    let mut candidate = fit("");
    let mut n = 0u32;
    while !taken.insert(candidate.to_lowercase()) {
        n += 1;
        candidate = fit(&format!("~{n}"));
    }
    candidate
        .encode_utf16()
        .flat_map(u16::to_be_bytes)
        .collect()
}

/// A UTC instant in the two forms ISO 9660 uses.
struct Stamp {
    record: [u8; 7],
    long: [u8; 17],
}

impl Stamp {
    fn from_unix(unix_seconds: i64) -> Result<Self, IsoError> {
        let days = unix_seconds.div_euclid(86_400);
        let secs = unix_seconds.rem_euclid(86_400);
        // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = yoe + era * 400 + i64::from(month <= 2);
        if !(1900..=2155).contains(&year) {
            return Err(IsoError::TimestampOutOfRange { unix_seconds });
        }
        let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
        let as_u8 = |v: i64| u8::try_from(v).unwrap_or(0);
        let record = [
            as_u8(year - 1900),
            as_u8(month),
            as_u8(day),
            as_u8(h),
            as_u8(m),
            as_u8(s),
            0,
        ];
        let mut long = [0u8; 17];
        long[..16]
            .copy_from_slice(format!("{year:04}{month:02}{day:02}{h:02}{m:02}{s:02}00").as_bytes());
        Ok(Self { record, long })
    }
}

fn both16(v: u16) -> [u8; 4] {
    let (l, b) = (v.to_le_bytes(), v.to_be_bytes());
    [l[0], l[1], b[0], b[1]]
}

fn both32(v: u32) -> [u8; 8] {
    let (l, b) = (v.to_le_bytes(), v.to_be_bytes());
    [l[0], l[1], l[2], l[3], b[0], b[1], b[2], b[3]]
}

fn lba32(lba: u64) -> u32 {
    u32::try_from(lba).expect("layout checked the image fits 32-bit sector numbers")
}

fn dir_record(id: &[u8], lba: u64, len: u64, flags: u8, stamp: &Stamp) -> Vec<u8> {
    let total = record_len(id.len()) as usize;
    let mut r = vec![0u8; total];
    r[0] = total as u8;
    r[2..10].copy_from_slice(&both32(lba32(lba)));
    r[10..18].copy_from_slice(&both32(
        u32::try_from(len).expect("extent lengths fit 32 bits"),
    ));
    r[18..25].copy_from_slice(&stamp.record);
    r[25] = flags;
    r[28..32].copy_from_slice(&both16(1));
    r[32] = id.len() as u8;
    r[33..33 + id.len()].copy_from_slice(id);
    r
}

fn directory(layout: &IsoLayout, tree: &Tree, d: usize, stamp: &Stamp) -> Vec<u8> {
    let parent = layout.dirs[d].parent;
    let mut records = vec![
        dir_record(&[0], tree.dir_lba[d], tree.dir_size[d], 2, stamp),
        dir_record(&[1], tree.dir_lba[parent], tree.dir_size[parent], 2, stamp),
    ];
    for c in &tree.sorted[d] {
        match *c {
            Child::Dir(x) => records.push(dir_record(
                &tree.dir_ids[x],
                tree.dir_lba[x],
                tree.dir_size[x],
                2,
                stamp,
            )),
            Child::File(f) => {
                let len = layout.entries[f].len;
                let id = &tree.file_ids[f];
                if extent_count(len) == 1 {
                    records.push(dir_record(id, layout.file_lba[f], len, 0, stamp));
                } else {
                    let mut offset = 0;
                    while offset < len {
                        let part = MAX_EXTENT.min(len - offset);
                        let flags = if offset + part < len { 0x80 } else { 0 };
                        let lba = layout.file_lba[f] + offset / SECTOR;
                        records.push(dir_record(id, lba, part, flags, stamp));
                        offset += part;
                    }
                }
            }
        }
    }
    let mut out = Vec::with_capacity(tree.dir_size[d] as usize);
    for r in records {
        let used = out.len() as u64 % SECTOR;
        if used + r.len() as u64 > SECTOR {
            out.resize(
                (out.len() as u64).div_ceil(SECTOR) as usize * SECTOR as usize,
                0,
            );
        }
        out.extend_from_slice(&r);
    }
    out.resize(tree.dir_size[d] as usize, 0);
    out
}

fn path_table(tree: &Tree, big_endian: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(tree.path_table_size as usize);
    for &d in &tree.order {
        let id = &tree.dir_ids[d];
        let lba = lba32(tree.dir_lba[d]);
        let parent = if d == 0 {
            1
        } else {
            tree.number[tree.parent[d]]
        };
        out.push(id.len() as u8);
        out.push(0);
        if big_endian {
            out.extend_from_slice(&lba.to_be_bytes());
            out.extend_from_slice(&parent.to_be_bytes());
        } else {
            out.extend_from_slice(&lba.to_le_bytes());
            out.extend_from_slice(&parent.to_le_bytes());
        }
        out.extend_from_slice(id);
        if id.len() % 2 == 1 {
            out.push(0);
        }
    }
    out.resize(sectors(tree.path_table_size) as usize * SECTOR as usize, 0);
    out
}

/// A text field: d-characters padded with spaces (primary) or UCS-2 BE padded with U+0020 (Joliet).
fn text_field(scheme: Scheme, text: &str, bytes: usize) -> Vec<u8> {
    let mut out: Vec<u8> = match scheme {
        Scheme::Primary => text.bytes().take(bytes).collect(),
        Scheme::Joliet => text
            .encode_utf16()
            .take(bytes / 2)
            .flat_map(u16::to_be_bytes)
            .collect(),
    };
    while out.len() < bytes {
        match scheme {
            Scheme::Primary => out.push(b' '),
            Scheme::Joliet => out.extend_from_slice(&[0, b' ']),
        }
    }
    out
}

fn volume_descriptor(
    layout: &IsoLayout,
    tree: &Tree,
    options: &IsoOptions,
    stamp: &Stamp,
) -> Vec<u8> {
    let s = tree.scheme;
    let mut v = vec![0u8; SECTOR as usize];
    v[0] = if s == Scheme::Primary { 1 } else { 2 };
    v[1..6].copy_from_slice(b"CD001");
    v[6] = 1;
    v[8..40].copy_from_slice(&text_field(s, "", 32));
    let label = match s {
        Scheme::Primary => {
            let l: String = options
                .volume_label
                .chars()
                .filter_map(|c| match c {
                    'a'..='z' | 'A'..='Z' | '0'..='9' | '_' => Some(c.to_ascii_uppercase()),
                    '-' | ' ' => Some('_'),
                    _ => None,
                })
                .take(32)
                .collect();
            if l.is_empty() { "ZHILU".to_owned() } else { l }
        }
        Scheme::Joliet => {
            let mut taken = HashSet::new();
            let id = joliet_name(&options.volume_label, &mut taken);
            let units: Vec<u16> = id
                .chunks(2)
                .map(|c| u16::from_be_bytes([c[0], c[1]]))
                .take(16)
                .collect();
            String::from_utf16_lossy(&units)
        }
    };
    v[40..72].copy_from_slice(&text_field(s, &label, 32));
    v[80..88].copy_from_slice(&both32(lba32(layout.total_sectors)));
    if s == Scheme::Joliet {
        v[88..91].copy_from_slice(b"%/E");
    }
    v[120..124].copy_from_slice(&both16(1));
    v[124..128].copy_from_slice(&both16(1));
    v[128..132].copy_from_slice(&both16(SECTOR as u16));
    v[132..140].copy_from_slice(&both32(tree.path_table_size as u32));
    v[140..144].copy_from_slice(&lba32(tree.l_table_lba).to_le_bytes());
    v[148..152].copy_from_slice(&lba32(tree.m_table_lba).to_be_bytes());
    v[156..190].copy_from_slice(&dir_record(
        &[0],
        tree.dir_lba[0],
        tree.dir_size[0],
        2,
        stamp,
    ));
    v[190..318].copy_from_slice(&text_field(s, "", 128));
    v[318..446].copy_from_slice(&text_field(s, "", 128));
    v[446..574].copy_from_slice(&text_field(s, "ZHILU", 128));
    v[574..702].copy_from_slice(&text_field(s, "ZHILU", 128));
    v[702..813].copy_from_slice(&text_field(Scheme::Primary, "", 111));
    v[813..830].copy_from_slice(&stamp.long);
    v[830..847].copy_from_slice(&stamp.long);
    v[847..863].copy_from_slice(b"0000000000000000");
    v[864..880].copy_from_slice(b"0000000000000000");
    v[881] = 1;
    v
}
