//! Acceptance tests for the disc image writer (R21 splitting over discs, R22 ISO 9660 + Joliet).
//! Images are checked with xorriso/isoinfo, the tools a receiver would use, where installed.

use std::fs;
use std::io::{self, BufWriter, Read, Write};
use std::process::Command;

use zhilu_export::iso::{
    IsoEntry, IsoError, IsoFile, IsoLayout, IsoOptions, MAX_EXTENT, SECTOR, image_size, plan,
    write_image,
};

const STAMP: i64 = 1_795_132_800; // 2026-11-20T00:00:00Z

fn options() -> IsoOptions {
    IsoOptions {
        volume_label: "执法记录导出 2026-11-20".to_owned(),
        recorded_at_unix_seconds: STAMP,
    }
}

/// Deterministic pseudo-random bytes, so a misplaced sector cannot compare equal by accident.
fn bytes(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

/// True when `tool` can run; false (with a note) when it is missing outside CI; panics in CI.
fn have(tool: &str) -> bool {
    let ok = Command::new(tool).arg("-version").output().is_ok();
    if !ok {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "{tool} is required in CI (apt-get install xorriso genisoimage)"
        );
        eprintln!("skipping the {tool} part of this test: {tool} is not installed");
    }
    ok
}

#[test]
fn r22_iso_joliet_image_extracts_byte_identical_files_with_chinese_names() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    fs::create_dir(&src).unwrap();
    let long_name = format!("{}.mp4", "长".repeat(80));
    let hostile = "恶意..\\..\\C:*?\"<>|\u{7}😀名.mp4";
    let cases: Vec<(String, Vec<u8>)> = vec![
        (
            "执法记录/现场检查_2026-11-20.mp4".to_owned(),
            bytes(1, 3 * SECTOR as usize + 17),
        ),
        ("执法记录/2026/11/询问笔录.wav".to_owned(), bytes(2, 5000)),
        ("执法记录/2026/11/现场检查.mp4".to_owned(), bytes(3, 2048)),
        ("空文件.txt".to_owned(), Vec::new()),
        (format!("恶意/{hostile}"), bytes(4, 99)),
        (format!("执法记录/{long_name}"), bytes(5, 10)),
        (
            "bag-info.txt".to_owned(),
            b"Source-Organization: test\n".to_vec(),
        ),
    ];
    // Enough long names that directories span several sectors in both trees.
    let mut cases = cases;
    for i in 0..40 {
        cases.push((
            format!("批量/{}_{i:02}.mp4", "现场检查记录视频".repeat(5)),
            bytes(100 + i, 700 * i as usize),
        ));
    }
    let mut files = Vec::new();
    for (i, (path, data)) in cases.iter().enumerate() {
        if i % 2 == 0 {
            let p = src.join(format!("{i}.bin"));
            fs::write(&p, data).unwrap();
            files.push(IsoFile::from_path(path.clone(), p).unwrap());
        } else {
            files.push(IsoFile::from_reader(
                path.clone(),
                data.len() as u64,
                io::Cursor::new(data.clone()),
            ));
        }
    }
    let entries: Vec<IsoEntry> = files.iter().map(|f| f.entry.clone()).collect();
    let layout = IsoLayout::new(&entries).unwrap();

    // Names that Joliet can carry are kept exactly; the others are cleaned, shortened, kept unique.
    for i in [0, 1, 2, 3, 6] {
        assert_eq!(layout.joliet_path(i), cases[i].0);
    }
    assert_eq!(
        layout.joliet_path(4),
        format!("恶意/恶意.._.._C{}名.mp4", "_".repeat(9))
    );
    let long = layout.joliet_path(5);
    assert_eq!(long, format!("执法记录/{}.mp4", "长".repeat(60)));
    assert!(
        layout.iso_path(0).ends_with(".MP4;1"),
        "{}",
        layout.iso_path(0)
    );
    assert_eq!(layout.iso_path(6), "BAG_INFO.TXT;1");
    assert_eq!(layout.iso_path(3), "FILE0001.TXT;1");

    let img = dir.path().join("export.iso");
    let written = write_image(
        files,
        &options(),
        BufWriter::new(fs::File::create(&img).unwrap()),
    )
    .unwrap();
    assert_eq!(written, layout.image_size());
    assert_eq!(fs::metadata(&img).unwrap().len(), written);

    if have("xorriso") {
        let out = dir.path().join("out");
        let status = Command::new("xorriso")
            .args(["-osirrox", "on", "-indev"])
            .arg(&img)
            .args(["-extract", "/"])
            .arg(&out)
            .output()
            .unwrap();
        assert!(
            status.status.success(),
            "xorriso failed: {}",
            String::from_utf8_lossy(&status.stderr)
        );
        for (i, (_, data)) in cases.iter().enumerate() {
            let got = fs::read(out.join(layout.joliet_path(i)))
                .unwrap_or_else(|e| panic!("{} not extracted: {e}", layout.joliet_path(i)));
            assert!(
                got == *data,
                "{} differs after extraction",
                layout.joliet_path(i)
            );
        }
        let _ = Command::new("chmod")
            .arg("-R")
            .arg("u+w")
            .arg(&out)
            .status();
        let report = Command::new("xorriso")
            .arg("-indev")
            .arg(&img)
            .args(["-pvd_info"])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&report.stdout).into_owned()
            + &String::from_utf8_lossy(&report.stderr);
        assert!(
            !text.contains("FAILURE") && !text.contains("SORRY"),
            "{text}"
        );
    }
    if have("isovfy") {
        let out = Command::new("isovfy").arg(&img).output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("No errors found"), "isovfy: {text}");
    }
    // A second, independent reader. Debian's isoinfo cannot convert Joliet names to UTF-8
    // (no such charset in its table), so it checks the Joliet tree on an ASCII name and the
    // primary tree on the 8.3 name of a Chinese-named file.
    if have("isoinfo") {
        for (args, expected) in [
            (
                vec!["-J".to_owned(), "-x".to_owned(), "/bag-info.txt".to_owned()],
                &cases[6].1,
            ),
            (
                vec!["-x".to_owned(), format!("/{}", layout.iso_path(0))],
                &cases[0].1,
            ),
        ] {
            let out = Command::new("isoinfo")
                .arg("-i")
                .arg(&img)
                .args(&args)
                .output()
                .unwrap();
            assert!(
                out.status.success() && out.stdout == *expected,
                "isoinfo {args:?} gave other bytes"
            );
        }
    }
}

/// `len` zero bytes without allocating them.
struct Zeros(u64);

impl Read for Zeros {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = buf.len().min(usize::try_from(self.0).unwrap_or(usize::MAX));
        buf[..n].fill(0);
        self.0 -= n as u64;
        Ok(n)
    }
}

/// Keeps the first `keep` bytes (the metadata) and only counts the rest.
struct Head {
    keep: usize,
    head: Vec<u8>,
    total: u64,
}

impl Write for Head {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let room = self.keep.saturating_sub(self.head.len()).min(buf.len());
        self.head.extend_from_slice(&buf[..room]);
        self.total += buf.len() as u64;
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn u32_le(b: &[u8], at: usize) -> u64 {
    u64::from(u32::from_le_bytes(b[at..at + 4].try_into().unwrap()))
}

/// (identifier, extent LBA, length, flags) of every record in the root directory of the
/// volume descriptor at sector `vd`, reading both-endian fields from their little-endian half
/// and checking the big-endian half agrees.
fn root_records(img: &[u8], vd: usize) -> Vec<(Vec<u8>, u64, u64, u8)> {
    let d = &img[vd * SECTOR as usize..];
    let root = &d[156..190];
    let (lba, len) = (u32_le(root, 2) as usize, u32_le(root, 10) as usize);
    let dir = &img[lba * SECTOR as usize..lba * SECTOR as usize + len];
    let mut out = Vec::new();
    let mut at = 0;
    while at < dir.len() {
        let n = dir[at] as usize;
        if n == 0 {
            at = (at / SECTOR as usize + 1) * SECTOR as usize;
            continue;
        }
        let r = &dir[at..at + n];
        assert_eq!(r[2..6], [r[9], r[8], r[7], r[6]], "extent both-endian");
        assert_eq!(
            r[10..14],
            [r[17], r[16], r[15], r[14]],
            "length both-endian"
        );
        out.push((
            r[33..33 + r[32] as usize].to_vec(),
            u32_le(r, 2),
            u32_le(r, 10),
            r[25],
        ));
        at += n;
    }
    out
}

#[test]
fn r22_files_over_4_gib_use_multi_extent_records() {
    let big = (4u64 << 30) + 10;
    let files = vec![
        IsoFile::from_reader("大文件.mp4", big, Zeros(big)),
        IsoFile::from_reader("b.txt", 3, io::Cursor::new(b"abc".to_vec())),
    ];
    let entries: Vec<IsoEntry> = files.iter().map(|f| f.entry.clone()).collect();
    let layout = IsoLayout::new(&entries).unwrap();
    let mut sink = Head {
        keep: 1 << 20,
        head: Vec::new(),
        total: 0,
    };
    let written = write_image(files, &options(), &mut sink).unwrap();
    assert_eq!(written, sink.total);
    assert_eq!(written, layout.image_size());

    let joliet_big: Vec<u8> = "大文件.mp4"
        .encode_utf16()
        .flat_map(u16::to_be_bytes)
        .collect();
    for (vd, name) in [(16, layout.iso_path(0).into_bytes()), (17, joliet_big)] {
        let recs: Vec<_> = root_records(&sink.head, vd)
            .into_iter()
            .filter(|r| r.0 == name)
            .collect();
        assert_eq!(recs.len(), 2, "two extents in descriptor {vd}");
        assert_eq!(
            (recs[0].2, recs[0].3),
            (MAX_EXTENT, 0x80),
            "first extent flagged multi-extent"
        );
        assert_eq!(
            (recs[1].2, recs[1].3),
            (big - MAX_EXTENT, 0),
            "last extent unflagged"
        );
        assert_eq!(
            recs[1].1,
            recs[0].1 + MAX_EXTENT / SECTOR,
            "extents contiguous"
        );
    }

    // The data region is all zeros, so the metadata head on a sparse file is the real image.
    if have("xorriso") {
        let dir = tempfile::tempdir().unwrap();
        let img = dir.path().join("big.iso");
        let mut f = fs::File::create(&img).unwrap();
        f.write_all(&sink.head).unwrap();
        f.set_len(written).unwrap();
        drop(f);
        let out = Command::new("xorriso")
            .arg("-indev")
            .arg(&img)
            .args(["-lsl", "/"])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        let line = text
            .lines()
            .find(|l| l.contains("大文件.mp4"))
            .unwrap_or_else(|| panic!("{text}"));
        assert!(
            line.contains(&big.to_string()),
            "xorriso sees one file of {big} bytes: {line}"
        );
    }
}

#[test]
fn r21_plan_splits_over_discs_and_refuses_a_file_larger_than_a_disc() {
    let kib = 1024;
    let entries: Vec<IsoEntry> = [600, 500, 300, 50, 400]
        .iter()
        .enumerate()
        .map(|(i, k)| IsoEntry {
            path: format!("执法记录/录像{i}.mp4"),
            len: k * kib,
        })
        .collect();
    let capacity = 1024 * kib;
    let discs = plan(&entries, capacity).unwrap();
    assert_eq!(discs, vec![vec![0, 2, 3], vec![1, 4]]);
    for disc in &discs {
        let set: Vec<IsoEntry> = disc.iter().map(|&i| entries[i].clone()).collect();
        assert!(image_size(&set).unwrap() <= capacity);
    }
    assert_eq!(plan(&entries, u64::MAX).unwrap(), vec![vec![0, 1, 2, 3, 4]]);

    let mut too_big = entries.clone();
    too_big.push(IsoEntry {
        path: "执法记录/超长录像.mp4".to_owned(),
        len: capacity,
    });
    let err = plan(&too_big, capacity).unwrap_err();
    assert!(
        matches!(&err, IsoError::FileLargerThanDisc { path, .. } if path == "执法记录/超长录像.mp4")
    );
    let msg = err.to_string();
    assert!(
        msg.contains("执法记录/超长录像.mp4") && msg.contains("放不下"),
        "{msg}"
    );
}

#[test]
fn r22_image_bytes_depend_only_on_entries_label_and_timestamp() {
    let make = |stamp: i64| {
        let files = vec![
            IsoFile::from_reader("执法记录/a.mp4", 5000, io::Cursor::new(bytes(7, 5000))),
            IsoFile::from_reader("说明.txt", 4, io::Cursor::new(b"1234".to_vec())),
        ];
        let mut out = Vec::new();
        write_image(
            files,
            &IsoOptions {
                recorded_at_unix_seconds: stamp,
                ..options()
            },
            &mut out,
        )
        .unwrap();
        out
    };
    let first = make(STAMP);
    assert_eq!(first, make(STAMP));
    assert_ne!(first, make(STAMP + 1));
    assert_eq!(first.len() as u64 % SECTOR, 0);
    assert_eq!(
        &first[16 * 2048 + 813..16 * 2048 + 829],
        b"2026112000000000"
    );
    assert_eq!(&first[17 * 2048 + 88..17 * 2048 + 91], b"%/E");
}

#[test]
fn r22_invalid_or_duplicate_paths_are_refused() {
    for bad in [
        "../etc/passwd",
        "/abs.mp4",
        "a//b.mp4",
        "a/./b.mp4",
        "",
        "a/",
    ] {
        let e = IsoEntry {
            path: bad.to_owned(),
            len: 1,
        };
        assert!(
            matches!(image_size(&[e]), Err(IsoError::InvalidPath { .. })),
            "{bad:?}"
        );
    }
    let dup = [
        IsoEntry {
            path: "a/b".into(),
            len: 1,
        },
        IsoEntry {
            path: "a/b".into(),
            len: 2,
        },
    ];
    assert!(matches!(
        image_size(&dup),
        Err(IsoError::DuplicatePath { .. })
    ));
    let clash = [
        IsoEntry {
            path: "a".into(),
            len: 1,
        },
        IsoEntry {
            path: "a/b".into(),
            len: 2,
        },
    ];
    assert!(matches!(
        image_size(&clash),
        Err(IsoError::DuplicatePath { .. })
    ));
    let short = vec![IsoFile::from_reader(
        "x.bin",
        10,
        io::Cursor::new(vec![1u8; 9]),
    )];
    assert!(matches!(
        write_image(short, &options(), io::sink()),
        Err(IsoError::LengthMismatch { .. })
    ));
    let long = vec![IsoFile::from_reader(
        "x.bin",
        10,
        io::Cursor::new(vec![1u8; 11]),
    )];
    assert!(matches!(
        write_image(long, &options(), io::sink()),
        Err(IsoError::LengthMismatch { .. })
    ));
}
