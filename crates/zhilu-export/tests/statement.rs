//! R21/R22 acceptance: the statement and the disc label as a receiver reads them, through
//! poppler's `pdftotext`, `pdffonts` and `pdfinfo` (Debian `poppler-utils`) and the Noto CJK font
//! (Debian `fonts-noto-cjk`). Without them the tests are skipped with a note, except under
//! `CI=true`, where a missing tool is a failure.
//!
//! PDF/A-2b conformance is checked as far as we can here: krilla validates while writing, and the
//! XMP metadata must declare part 2, conformance B. veraPDF, the reference validator, is not
//! available on these machines (not in Debian); run it on a sample when the layout changes.

use std::path::Path;
use std::process::Command;

use sha2::{Digest, Sha256};
use zhilu_export::statement::{
    Label, Statement, StatementFile, label_pdf, statement_pdf, system_cjk_font,
};

fn ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// The font and the poppler tools, or `None` (after saying why) when the test should be skipped.
fn setup(tools: &[&str]) -> Option<(Vec<u8>, u32)> {
    for tool in tools {
        if Command::new(tool).arg("-v").output().is_err() {
            assert!(!ci(), "{tool} missing: apt-get install poppler-utils");
            eprintln!("skipped: {tool} not found (apt-get install poppler-utils)");
            return None;
        }
    }
    let font = system_cjk_font();
    if font.is_none() {
        assert!(!ci(), "no CJK font: apt-get install fonts-noto-cjk");
        eprintln!("skipped: no CJK font (apt-get install fonts-noto-cjk)");
    }
    font
}

fn hex_of(data: &[u8]) -> (String, String) {
    (
        hex::encode(Sha256::digest(data)),
        hex::encode(sm3::Sm3::digest(data)),
    )
}

fn statement(files: usize) -> Statement {
    let label = label();
    Statement {
        agency: "某市市场监督管理局".into(),
        title: "行政执法音像记录证据提取说明".into(),
        case_no: "某市监处〔2026〕123号".into(),
        case_name: "某某超市销售过期食品案".into(),
        maker: "李明".into(),
        extractor: "王芳".into(),
        made_at: "2026-12-07 10:06".into(),
        reason: "当事人申请听证，需向听证主持人提交现场检查时的执法记录仪录像作为证据；\
                 依据《市场监督管理行政执法音像记录实施办法》提取原始文件。"
            .into(),
        receiver: "某市市场监督管理局法制科 张强".into(),
        files: (1..=files)
            .map(|i| {
                let (sha256, sm3) = hex_of(format!("录像{i}").as_bytes());
                StatementFile {
                    original_name: format!("执法记录仪_警号0{i:05}_现场检查冷藏柜第{i}段.MP4"),
                    capture_start: format!("2026-12-01 09:{:02}:00", i % 60),
                    capture_end: format!("2026-12-01 10:{:02}:30", i % 60),
                    device: format!("DSJ-V8 序列号 A2026{i:04}"),
                    officer: "李明（执法证号 35010012）".into(),
                    size: format!("{} 字节", 1_048_576 * i),
                    sha256,
                    sm3,
                }
            })
            .collect(),
        label_lines: label.lines(),
    }
}

fn label() -> Label {
    Label {
        unit: "某市市场监督管理局".into(),
        maker: "李明".into(),
        date: "2026-12-07".into(),
        name: "某某超市销售过期食品案执法音像记录".into(),
        number: "ZL-2026-000123".into(),
        copy_no: 1,
        copies: 2,
    }
}

/// Runs a poppler tool on `pdf`; `args` end with "-" where the tool writes to a file otherwise.
fn run(tool: &str, args: &[&str], pdf: &Path) -> String {
    let (before, after) = args.split_at(args.iter().position(|a| *a == "-").unwrap_or(args.len()));
    let out = Command::new(tool)
        .args(before)
        .arg(pdf)
        .args(after)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{tool}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// `pdftotext` output with all whitespace removed: lines may break anywhere.
fn text_of(pdf: &Path) -> String {
    run("pdftotext", &["-enc", "UTF-8", "-"], pdf)
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect()
}

fn pages_of(pdf: &Path) -> usize {
    let out = Command::new("pdfinfo").arg(pdf).output().unwrap();
    let info = String::from_utf8(out.stdout).unwrap();
    info.lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .and_then(|n| n.trim().parse().ok())
        .unwrap()
}

fn write(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

#[test]
fn r22_statement_pdf_contains_every_name_and_hash() {
    let Some((font, index)) = setup(&["pdftotext"]) else {
        return;
    };
    let s = statement(3);
    let dir = tempfile::tempdir().unwrap();
    let pdf = write(&dir, "说明.pdf", &statement_pdf(&s, &font, index).unwrap());
    let text = text_of(&pdf);
    for f in &s.files {
        for needle in [&f.original_name, &f.sha256, &f.sm3, &f.device, &f.size] {
            let needle: String = needle.chars().filter(|c| !c.is_whitespace()).collect();
            assert!(text.contains(&needle), "{needle} missing from:\n{text}");
        }
    }
    for needle in [
        "行政执法音像记录证据提取说明",
        "制作人：李明",
        "提取人：王芳",
        "某某超市销售过期食品案",
    ] {
        assert!(text.contains(needle), "{needle} missing from:\n{text}");
    }
    for needle in [
        "制作人（签名）",
        "提取人（签名）",
        "日期：",
        "编号：ZL-2026-000123",
    ] {
        assert!(text.contains(needle), "{needle} missing from:\n{text}");
    }
}

#[test]
fn r22_statement_embeds_the_cjk_font_as_a_subset() {
    let Some((font, index)) = setup(&["pdffonts"]) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let bytes = statement_pdf(&statement(2), &font, index).unwrap();
    let pdf = write(&dir, "说明.pdf", &bytes);
    let fonts = run("pdffonts", &[], &pdf);
    let rows: Vec<Vec<&str>> = fonts
        .lines()
        .skip(2)
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert!(!rows.is_empty(), "{fonts}");
    for row in rows {
        let name = row[0];
        let (emb, sub) = (row[row.len() - 5], row[row.len() - 4]);
        let prefix = name.split_once('+').map(|(p, _)| p).unwrap_or("");
        assert!(
            prefix.len() == 6 && prefix.chars().all(|c| c.is_ascii_uppercase()),
            "{name} has no subset prefix:\n{fonts}"
        );
        assert!(name.contains("CJK"), "{name} is not the CJK font:\n{fonts}");
        assert_eq!((emb, sub), ("yes", "yes"), "{fonts}");
    }
    // A subset: the whole collection is ~20 MB, the statement a small fraction of one face.
    assert!(bytes.len() < font.len() / 20, "{} bytes", bytes.len());
}

#[test]
fn r22_statement_is_pdf_a_2b() {
    // veraPDF is not available here: we check what krilla validated and what the file declares.
    let Some((font, index)) = setup(&[]) else {
        return;
    };
    let bytes = statement_pdf(&statement(1), &font, index).unwrap();
    let raw = String::from_utf8_lossy(&bytes);
    let declares = |key: &str, value: &str| {
        raw.contains(&format!("<pdfaid:{key}>{value}</pdfaid:{key}>"))
            || raw.contains(&format!("pdfaid:{key}=\"{value}\""))
    };
    assert!(
        declares("part", "2"),
        "no pdfaid:part 2 in the XMP metadata"
    );
    assert!(
        declares("conformance", "B"),
        "no pdfaid:conformance B in the XMP metadata"
    );
    assert!(raw.contains("zh-CN"), "document language zh-CN missing");
    assert!(
        raw.contains("行政执法音像记录证据提取说明"),
        "title missing from the XMP metadata"
    );
    // The same statement gives the same bytes: no clock inside.
    assert_eq!(bytes, statement_pdf(&statement(1), &font, index).unwrap());
}

#[test]
fn r21_disc_label_pdf_names_unit_maker_date_and_number() {
    let Some((font, index)) = setup(&["pdftotext"]) else {
        return;
    };
    let l = label();
    let dir = tempfile::tempdir().unwrap();
    let pdf = write(&dir, "标签.pdf", &label_pdf(&l, &font, index).unwrap());
    let text = text_of(&pdf);
    for needle in [
        &l.unit,
        &l.maker,
        &l.date,
        &l.name,
        &l.number,
        &"第1份共2份".to_owned(),
    ] {
        assert!(
            text.contains(needle.as_str()),
            "{needle} missing from:\n{text}"
        );
    }
}

#[test]
fn r22_many_files_run_over_several_numbered_pages() {
    let Some((font, index)) = setup(&["pdftotext", "pdfinfo"]) else {
        return;
    };
    let s = statement(40);
    let dir = tempfile::tempdir().unwrap();
    let pdf = write(&dir, "说明.pdf", &statement_pdf(&s, &font, index).unwrap());
    let pages = pages_of(&pdf);
    assert!(pages >= 3, "40 files on {pages} pages");
    let text = text_of(&pdf);
    for n in 1..=pages {
        let footer = format!("第{n}页共{pages}页");
        assert!(text.contains(&footer), "{footer} missing");
    }
    for f in &s.files {
        assert!(
            text.contains(&f.sha256) && text.contains(&f.sm3),
            "{} missing",
            f.original_name
        );
    }
}

#[test]
fn r22_a_date_that_is_no_date_is_refused_in_chinese() {
    let Some((font, index)) = setup(&[]) else {
        return;
    };
    let mut s = statement(1);
    s.made_at = "上周".into();
    let err = statement_pdf(&s, &font, index).unwrap_err().to_string();
    assert!(err.contains("制作时间“上周”"), "{err}");
}

#[test]
fn r22_a_character_missing_from_the_font_is_named_not_drawn_as_a_box() {
    let Some((font, index)) = setup(&[]) else {
        return;
    };
    let mut s = statement(1);
    // A private-use code point: no CJK font draws it, and PDF/A forbids the .notdef box.
    s.files[0].original_name = "现场\u{F8FF}.MP4".into();
    let err = statement_pdf(&s, &font, index).unwrap_err().to_string();
    assert!(err.contains("U+F8FF") && err.contains("现场"), "{err}");
}
