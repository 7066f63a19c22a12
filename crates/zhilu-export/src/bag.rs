//! BagIt bags (RFC 8493) for evidence leaving the vault (R22, X3): the original bytes under safe
//! names in `data/`, manifests in SHA-256 and SM3 computed from the very bytes written (a given
//! hash is never trusted), `names.tsv` mapping each safe name to the original one, `bag-info.txt`
//! with the facts the caller passes (no clock here), and a tag manifest over every tag file. A
//! receiver checks it with `python3 verify.py` ([`VERIFY_PY`], shipped in every package),
//! `bagit.py --validate`, `openssl dgst -sm3` or `certutil` ([`README_TXT`]).
//!
//! The bag is written in two steps: [`BagWriter::add`] per payload file (its digests come back at
//! once, so the caller can hold them against its catalog and stop before anything else is
//! written), then [`BagWriter::finish`] with the bag-info facts and extra tag files (the audit
//! proofs). [`verify`] re-checks a finished bag and names the first problem in Chinese.

use std::collections::{BTreeMap, HashSet};
use std::fs;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use sm3::Sm3;

/// A bag that cannot be written, or one that does not verify. The message is Chinese and names
/// the file.
#[derive(Debug, thiserror::Error)]
pub enum BagError {
    #[error("写入 {}失败：{source}", path.display())]
    Io { path: PathBuf, source: io::Error },
    #[error("导出目录 {0} 已存在且不是空目录：请指定一个不存在的或空的目录")]
    NotEmpty(PathBuf),
    #[error("文件名无效：{0}")]
    BadName(String),
    /// The bag does not verify: the first problem found.
    #[error("校验未通过：{0}")]
    Invalid(String),
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> BagError + '_ {
    move |source| BagError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn invalid(m: impl Into<String>) -> BagError {
    BagError::Invalid(m.into())
}

/// What was written for one payload file, computed from the bytes as they were copied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileDigests {
    /// The name the file had (as given).
    pub original_name: String,
    /// Its path in the bag, `data/<safe name>`.
    pub path: String,
    pub sha256: [u8; 32],
    pub sm3: [u8; 32],
    pub size: u64,
}

/// The facts listed in `bag-info.txt`. Times are given by the caller (already formatted), so
/// this crate needs no clock. Empty values are left out.
#[derive(Debug, Clone, Default)]
pub struct BagInfo {
    /// Source-Organization: the agency.
    pub agency: String,
    /// External-Identifier: the case number (案件编号) or the grant.
    pub case: String,
    /// 接收单位: the court, reconsideration body or auditor receiving the package.
    pub receiver: String,
    /// 制作人.
    pub maker: String,
    /// 提取人.
    pub extractor: String,
    /// 事由.
    pub reason: String,
    /// 提取时间, as the receiver should read it (e.g. Beijing time).
    pub time: String,
    /// Bagging-Date, `YYYY-MM-DD`.
    pub bagging_date: String,
}

/// The `bagit.txt` of every bag.
pub const BAGIT_TXT: &str = "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n";
/// The tag file mapping safe names to original names.
pub const NAMES_TSV: &str = "names.tsv";

/// Longest safe name, in bytes (well under the 255 of common file systems, leaving room for a
/// collision suffix and the folders a receiver copies the bag into).
const MAX_NAME_BYTES: usize = 160;

/// Writes one bag into an empty directory.
#[derive(Debug)]
pub struct BagWriter {
    root: PathBuf,
    taken: HashSet<String>,
    files: Vec<FileDigests>,
}

impl BagWriter {
    /// Starts a bag in `root`, which must not exist or be an empty directory.
    pub fn create(root: &Path) -> Result<Self, BagError> {
        match fs::read_dir(root) {
            Ok(mut it) => {
                if it.next().is_some() {
                    return Err(BagError::NotEmpty(root.to_path_buf()));
                }
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                fs::create_dir_all(root).map_err(io_err(root))?
            }
            Err(e) => return Err(io_err(root)(e)),
        }
        let data = root.join("data");
        fs::create_dir(&data).map_err(io_err(&data))?;
        Ok(BagWriter {
            root: root.to_path_buf(),
            taken: HashSet::new(),
            files: Vec::new(),
        })
    }

    /// Copies `src` to `data/<safe name>`, hashing the bytes as they are written.
    pub fn add(
        &mut self,
        original_name: &str,
        src: &mut dyn Read,
    ) -> Result<FileDigests, BagError> {
        let safe = unique_name(&safe_name(original_name), &self.taken);
        self.taken.insert(safe.to_lowercase());
        let path = self.root.join("data").join(&safe);
        let mut out = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(io_err(&path))?;
        let (mut sha, mut sm3, mut size) = (Sha256::new(), Sm3::new(), 0u64);
        let mut buf = vec![0u8; 1 << 16];
        loop {
            let n = match src.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(io_err(Path::new(original_name))(e)),
            };
            out.write_all(&buf[..n]).map_err(io_err(&path))?;
            sha.update(&buf[..n]);
            sm3.update(&buf[..n]);
            size += n as u64;
        }
        out.sync_all().map_err(io_err(&path))?;
        let d = FileDigests {
            original_name: original_name.to_string(),
            path: format!("data/{safe}"),
            sha256: sha.finalize().into(),
            sm3: sm3.finalize().into(),
            size,
        };
        self.files.push(d.clone());
        Ok(d)
    }

    /// Writes the tag files: `bagit.txt`, both manifests, `names.tsv`, `bag-info.txt`, the
    /// caller's `tag_files` (relative paths outside `data/`, e.g. `audit/…`, `verify.py`) and
    /// last `tagmanifest-sha256.txt` over all of them. Returns every payload file's digests.
    pub fn finish(
        self,
        info: &BagInfo,
        tag_files: &[(String, Vec<u8>)],
    ) -> Result<Vec<FileDigests>, BagError> {
        let mut tags: Vec<(String, Vec<u8>)> = Vec::new();
        tags.push(("bagit.txt".into(), BAGIT_TXT.into()));
        let manifest = |f: fn(&FileDigests) -> &[u8; 32]| {
            self.files
                .iter()
                .map(|d| format!("{}  {}\n", hex::encode(f(d)), d.path))
                .collect::<String>()
                .into_bytes()
        };
        tags.push(("manifest-sha256.txt".into(), manifest(|d| &d.sha256)));
        tags.push(("manifest-sm3.txt".into(), manifest(|d| &d.sm3)));
        let mut names = String::from("data-path\toriginal-name\n");
        for d in &self.files {
            names.push_str(&format!("{}\t{}\n", d.path, escape_tsv(&d.original_name)));
        }
        tags.push((NAMES_TSV.into(), names.into_bytes()));
        let bytes: u64 = self.files.iter().map(|d| d.size).sum();
        let mut bi = String::new();
        let mut field = |label: &str, value: &str| {
            let v: String = value
                .chars()
                .map(|c| if c.is_control() { ' ' } else { c })
                .collect();
            if !v.trim().is_empty() {
                bi.push_str(&format!("{label}: {}\n", v.trim()));
            }
        };
        field("Source-Organization", &info.agency);
        field("External-Identifier", &info.case);
        field("Receiver-接收单位", &info.receiver);
        field("Maker-制作人", &info.maker);
        field("Extractor-提取人", &info.extractor);
        field("Reason-事由", &info.reason);
        field("Extraction-Time-提取时间", &info.time);
        field("Bagging-Date", &info.bagging_date);
        field("Payload-Oxum", &format!("{bytes}.{}", self.files.len()));
        field("Bag-Software-Agent", "zhilu");
        tags.push(("bag-info.txt".into(), bi.into_bytes()));
        for (name, body) in tag_files {
            if !tag_path_ok(name) {
                return Err(BagError::BadName(name.clone()));
            }
            tags.push((name.clone(), body.clone()));
        }
        let mut tagmanifest = String::new();
        for (name, body) in &tags {
            let path = self.root.join(name);
            if let Some(parent) = path.parent() {
                fs::create_dir_all(parent).map_err(io_err(parent))?;
            }
            write_new(&path, body)?;
            tagmanifest.push_str(&format!("{}  {name}\n", hex::encode(Sha256::digest(body))));
        }
        write_new(
            &self.root.join("tagmanifest-sha256.txt"),
            tagmanifest.as_bytes(),
        )?;
        Ok(self.files)
    }
}

fn write_new(path: &Path, body: &[u8]) -> Result<(), BagError> {
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(io_err(path))?;
    f.write_all(body).map_err(io_err(path))?;
    f.sync_all().map_err(io_err(path))
}

/// A tag file's relative path: `/`-separated plain names, not in `data/`, not a bag file.
fn tag_path_ok(p: &str) -> bool {
    !p.is_empty()
        && !p.starts_with("data/")
        && !p.starts_with("manifest-")
        && !p.starts_with("tagmanifest-")
        && !matches!(p, "bagit.txt" | "bag-info.txt" | NAMES_TSV)
        && p.split('/').all(|c| !c.is_empty() && safe_name(c) == c)
}

/// Escapes a name for one TSV cell: backslash, tab, newline and other control characters as
/// `\\`, `\t`, `\n`, `\r`, `\u{…}`.
fn escape_tsv(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

const RESERVED: [&str; 4] = ["CON", "PRN", "AUX", "NUL"];

fn reserved(stem: &str) -> bool {
    let up = stem.to_ascii_uppercase();
    RESERVED.contains(&up.as_str())
        || ((up.starts_with("COM") || up.starts_with("LPT"))
            && up.len() == 4
            && up.as_bytes()[3].is_ascii_digit())
        || up.starts_with("COM¹")
        || up.starts_with("COM²")
        || up.starts_with("COM³")
        || up.starts_with("LPT¹")
        || up.starts_with("LPT²")
        || up.starts_with("LPT³")
}

/// A name any common file system (Windows, macOS, Linux, ISO 9660 Joliet) takes as it is: path
/// separators, control characters, `<>:"|?*\` and `%` (which manifests would percent-encode)
/// become `_`; a trailing dot or space becomes `_`; `.`, `..` and an empty name become `_`; a
/// reserved Windows device name (CON, PRN, AUX, NUL, COM1–9, LPT1–9, with any extension) gets a
/// leading `_`; a name longer than 160 bytes is cut, keeping a short extension. A name that is
/// already safe is unchanged.
pub fn safe_name(original: &str) -> String {
    let mut s: String = original
        .chars()
        .map(|c| {
            if c.is_control() || "<>:\"|?*\\/%".contains(c) {
                '_'
            } else {
                c
            }
        })
        .collect();
    let trimmed = s.trim_end_matches(['.', ' ']).len();
    if trimmed < s.len() {
        let n = s[trimmed..].chars().count();
        s.truncate(trimmed);
        s.extend(std::iter::repeat_n('_', n));
    }
    if s.is_empty() {
        s.push('_');
    }
    let stem = s.split('.').next().unwrap_or("").trim_end();
    if reserved(stem) {
        s.insert(0, '_');
    }
    if s.len() > MAX_NAME_BYTES {
        let ext = match s.rfind('.') {
            Some(i) if s.len() - i <= 16 && i > 0 => s[i..].to_string(),
            _ => String::new(),
        };
        let mut cut = MAX_NAME_BYTES - ext.len();
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
        s.push_str(&ext);
    }
    s
}

/// `name`, or `name~2`, `name~3`… (before the extension) when a name differing only in case is
/// taken (`taken` holds lowercase names), as case-insensitive file systems would collide.
fn unique_name(name: &str, taken: &HashSet<String>) -> String {
    if !taken.contains(&name.to_lowercase()) {
        return name.to_string();
    }
    let (stem, ext) = match name.rfind('.') {
        Some(i) if i > 0 => name.split_at(i),
        _ => (name, ""),
    };
    (2u64..)
        .map(|n| format!("{stem}~{n}{ext}"))
        .find(|c| !taken.contains(&c.to_lowercase()))
        .unwrap_or_default()
}

/// What a verified bag holds.
#[derive(Debug, Clone)]
pub struct Verified {
    /// Payload files in manifest order, with both digests as re-computed.
    pub files: Vec<FileDigests>,
    /// `bag-info.txt` as label → value.
    pub info: BTreeMap<String, String>,
}

fn read(path: &Path, rel: &str) -> Result<Vec<u8>, BagError> {
    fs::read(path).map_err(|e| invalid(format!("无法读取 {rel}：{e}")))
}

fn text(root: &Path, rel: &str) -> Result<String, BagError> {
    String::from_utf8(read(&root.join(rel), rel)?)
        .map_err(|_| invalid(format!("{rel} 不是 UTF-8 文本")))
}

/// Parses a manifest: `<hex> <path>` per line, path percent-decoded (RFC 8493 §2.1.3).
fn parse_manifest(body: &str, rel: &str) -> Result<Vec<(String, String)>, BagError> {
    let mut out = Vec::new();
    for (i, line) in body.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let (hash, path) = line
            .split_once([' ', '\t'])
            .ok_or_else(|| invalid(format!("{rel} 第 {} 行格式错误", i + 1)))?;
        let path = path
            .trim_start_matches([' ', '\t'])
            .replace("%0D", "\r")
            .replace("%0A", "\n")
            .replace("%25", "%");
        if path
            .split('/')
            .any(|c| c == ".." || c == "." || c.is_empty())
        {
            return Err(invalid(format!(
                "{rel} 第 {} 行的路径不安全：{path}",
                i + 1
            )));
        }
        out.push((hash.to_ascii_lowercase(), path));
    }
    Ok(out)
}

fn digest_file(path: &Path, rel: &str) -> Result<([u8; 32], [u8; 32], u64), BagError> {
    let mut f = fs::File::open(path).map_err(|e| invalid(format!("无法读取 {rel}：{e}")))?;
    let (mut sha, mut sm3, mut size) = (Sha256::new(), Sm3::new(), 0u64);
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f
            .read(&mut buf)
            .map_err(|e| invalid(format!("读取 {rel} 出错：{e}")))?;
        if n == 0 {
            break;
        }
        sha.update(&buf[..n]);
        sm3.update(&buf[..n]);
        size += n as u64;
    }
    Ok((sha.finalize().into(), sm3.finalize().into(), size))
}

/// Every regular file below `dir`, as `/`-separated paths relative to `root`; anything that is
/// neither a file nor a folder (a link, a device) is a problem.
fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) -> Result<(), BagError> {
    let entries =
        fs::read_dir(dir).map_err(|e| invalid(format!("无法读取目录 {}：{e}", dir.display())))?;
    for e in entries {
        let e = e.map_err(|e| invalid(format!("无法读取目录 {}：{e}", dir.display())))?;
        let p = e.path();
        let rel = p
            .strip_prefix(root)
            .unwrap_or(&p)
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join("/");
        let t = e
            .file_type()
            .map_err(|e| invalid(format!("无法读取 {rel}：{e}")))?;
        if t.is_dir() {
            walk(root, &p, out)?;
        } else if t.is_file() {
            out.push(rel);
        } else {
            return Err(invalid(format!("{rel} 不是普通文件（链接或设备文件）")));
        }
    }
    Ok(())
}

/// Re-checks a bag: `bagit.txt`, every line of both manifests against the bytes, no payload file
/// missing from or extra to them, `Payload-Oxum`, and every line of `tagmanifest-sha256.txt`.
/// The first problem is named in Chinese.
pub fn verify(root: &Path) -> Result<Verified, BagError> {
    if text(root, "bagit.txt")? != BAGIT_TXT {
        return Err(invalid("bagit.txt 的内容不是 BagIt 1.0 的声明"));
    }
    let tagmanifest = text(root, "tagmanifest-sha256.txt")?;
    for (hash, rel) in parse_manifest(&tagmanifest, "tagmanifest-sha256.txt")? {
        let body = read(&root.join(&rel), &rel)?;
        if hex::encode(Sha256::digest(&body)) != hash {
            return Err(invalid(format!(
                "{rel} 的 SHA-256 与 tagmanifest-sha256.txt 不符：该文件被改动过"
            )));
        }
    }
    let sha = parse_manifest(&text(root, "manifest-sha256.txt")?, "manifest-sha256.txt")?;
    let sm3: BTreeMap<String, String> =
        parse_manifest(&text(root, "manifest-sm3.txt")?, "manifest-sm3.txt")?
            .into_iter()
            .map(|(h, p)| (p, h))
            .collect();
    let mut on_disk = Vec::new();
    walk(root, &root.join("data"), &mut on_disk)?;
    let listed: HashSet<&str> = sha.iter().map(|(_, p)| p.as_str()).collect();
    for p in &on_disk {
        if !listed.contains(p.as_str()) {
            return Err(invalid(format!(
                "{p} 不在 manifest-sha256.txt 中：多出的文件"
            )));
        }
    }
    let names = names_map(&text(root, NAMES_TSV).unwrap_or_default());
    let mut files = Vec::new();
    for (hash, rel) in &sha {
        if !rel.starts_with("data/") {
            return Err(invalid(format!(
                "manifest-sha256.txt 列出了 data/ 之外的 {rel}"
            )));
        }
        let path = root.join(rel);
        if !path.is_file() {
            return Err(invalid(format!("{rel} 缺失：清单中有而包中没有")));
        }
        let (s, m, size) = digest_file(&path, rel)?;
        if hex::encode(s) != *hash {
            return Err(invalid(format!(
                "{rel} 的 SHA-256 与 manifest-sha256.txt 不符：文件内容被改动过"
            )));
        }
        match sm3.get(rel) {
            None => return Err(invalid(format!("{rel} 不在 manifest-sm3.txt 中"))),
            Some(h) if *h != hex::encode(m) => {
                return Err(invalid(format!(
                    "{rel} 的 SM3 与 manifest-sm3.txt 不符：文件内容被改动过"
                )));
            }
            Some(_) => {}
        }
        files.push(FileDigests {
            original_name: names
                .get(rel)
                .cloned()
                .unwrap_or_else(|| rel[5..].to_string()),
            path: rel.clone(),
            sha256: s,
            sm3: m,
            size,
        });
    }
    if sm3.len() != sha.len() {
        return Err(invalid(
            "manifest-sm3.txt 与 manifest-sha256.txt 列出的文件不一致",
        ));
    }
    let mut info = BTreeMap::new();
    for line in text(root, "bag-info.txt")?.lines() {
        if let Some((k, v)) = line.split_once(':') {
            info.insert(k.trim().to_string(), v.trim().to_string());
        }
    }
    let oxum = format!(
        "{}.{}",
        files.iter().map(|f| f.size).sum::<u64>(),
        files.len()
    );
    match info.get("Payload-Oxum") {
        Some(v) if *v == oxum => {}
        Some(v) => {
            return Err(invalid(format!(
                "bag-info.txt 的 Payload-Oxum 为 {v}，而包中实际为 {oxum}（字节数.文件数）"
            )));
        }
        None => return Err(invalid("bag-info.txt 缺少 Payload-Oxum")),
    }
    Ok(Verified { files, info })
}

fn names_map(tsv: &str) -> BTreeMap<String, String> {
    tsv.lines()
        .skip(1)
        .filter_map(|l| l.split_once('\t'))
        .map(|(p, o)| (p.to_string(), unescape_tsv(o)))
        .collect()
}

fn unescape_tsv(s: &str) -> String {
    let mut out = String::new();
    let mut it = s.chars().peekable();
    while let Some(c) = it.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match it.next() {
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('u') if it.peek() == Some(&'{') => {
                it.next();
                let hex: String = it.by_ref().take_while(|c| *c != '}').collect();
                if let Some(c) = u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                    out.push(c);
                }
            }
            Some(c) => out.push(c),
            None => {}
        }
    }
    out
}

/// The verifier shipped in every package as `verify.py`: Python 3 standard library only.
pub const VERIFY_PY: &str = include_str!("verify.py");

/// The receiver's instructions shipped as `README.txt` (Chinese).
pub const README_TXT: &str = include_str!("README.txt");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r22_hostile_and_colliding_names_are_made_safe_and_mapped() {
        let cases = [
            ("DSJ0001_0001.MP4", "DSJ0001_0001.MP4"),
            ("..", "__"),
            (".", "_"),
            ("", "_"),
            ("a/b\\c", "a_b_c"),
            ("x<>:\"|?*.mp4", "x_______.mp4"),
            ("name. ", "name__"),
            ("CON", "_CON"),
            ("nul.txt", "_nul.txt"),
            ("COM1.mp4", "_COM1.mp4"),
            ("LPT9", "_LPT9"),
            ("COMPUTER.mp4", "COMPUTER.mp4"),
            ("a\u{7}b\nc", "a_b_c"),
            ("50%.wav", "50_.wav"),
            ("执法记录.mp4", "执法记录.mp4"),
        ];
        for (i, o) in cases {
            assert_eq!(safe_name(i), o, "{i:?}");
        }
        let long = format!("{}.mp4", "录".repeat(200));
        let s = safe_name(&long);
        assert!(s.len() <= MAX_NAME_BYTES && s.ends_with(".mp4"), "{s}");
        let mut taken = HashSet::new();
        taken.insert("a.mp4".to_string());
        assert_eq!(unique_name("A.MP4", &taken), "A~2.MP4");

        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("bag");
        let mut w = BagWriter::create(&root).unwrap();
        let hostile = [
            "../etc/passwd",
            "CON.mp4",
            "a\tb.mp4",
            "x.mp4",
            "X.MP4",
            "dot. ",
        ];
        for n in hostile {
            w.add(n, &mut n.as_bytes()).unwrap();
        }
        let files = w.finish(&BagInfo::default(), &[]).unwrap();
        let paths: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "data/.._etc_passwd",
                "data/_CON.mp4",
                "data/a_b.mp4",
                "data/x.mp4",
                "data/X~2.MP4",
                "data/dot__",
            ]
        );
        let v = verify(&root).unwrap();
        let originals: Vec<&str> = v.files.iter().map(|f| f.original_name.as_str()).collect();
        assert_eq!(originals, hostile, "names.tsv maps every safe name back");
        let tsv = fs::read_to_string(root.join(NAMES_TSV)).unwrap();
        assert!(tsv.contains("data/_CON.mp4\tCON.mp4\n"), "{tsv}");
        assert!(tsv.contains("data/a_b.mp4\ta\\tb.mp4\n"), "{tsv}");
    }

    #[test]
    fn x3_a_written_bag_verifies_and_names_a_changed_file() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("bag");
        let mut w = BagWriter::create(&root).unwrap();
        let a = w.add("a.mp4", &mut &b"hello"[..]).unwrap();
        assert_eq!(hex::encode(a.sha256), hex::encode(Sha256::digest(b"hello")));
        w.add("A.MP4", &mut &b"world"[..]).unwrap();
        w.add("..", &mut &b""[..]).unwrap();
        let info = BagInfo {
            agency: "某局".into(),
            bagging_date: "2026-11-20".into(),
            ..BagInfo::default()
        };
        let files = w
            .finish(&info, &[("audit/x.json".into(), b"{}".to_vec())])
            .unwrap();
        assert_eq!(files.len(), 3);
        let v = verify(&root).unwrap();
        assert_eq!(v.info["Payload-Oxum"], "10.3");
        assert_eq!(v.files[1].path, "data/A~2.MP4");
        assert_eq!(v.files[1].original_name, "A.MP4");
        assert_eq!(v.files[2].original_name, "..");
        fs::write(root.join("data/A~2.MP4"), b"World").unwrap();
        let e = verify(&root).unwrap_err().to_string();
        assert!(e.contains("data/A~2.MP4"), "{e}");
        fs::write(root.join("data/A~2.MP4"), b"world").unwrap();
        fs::write(root.join("data/extra"), b"").unwrap();
        let e = verify(&root).unwrap_err().to_string();
        assert!(e.contains("data/extra"), "{e}");
        fs::remove_file(root.join("data/extra")).unwrap();
        fs::write(root.join("audit/x.json"), b"{ }").unwrap();
        let e = verify(&root).unwrap_err().to_string();
        assert!(e.contains("audit/x.json"), "{e}");
        assert!(matches!(
            BagWriter::create(&root),
            Err(BagError::NotEmpty(_))
        ));
    }
}
