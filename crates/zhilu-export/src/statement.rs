//! The written statement (文字说明材料, R22) and the disc label (R21) as PDF/A-2b in Chinese.
//!
//! A receiver (a court, a procuratorate) must be able to read and archive these pages without our
//! software, so they are PDF/A-2b with the CJK font embedded as a subset (krilla subsets every font
//! it embeds). krilla draws glyphs but does not break lines, so this module lays text out itself:
//! widths come from the font's own advance widths (skrifa), CJK text breaks between any two
//! characters, Latin text at spaces, and the 64-digit hashes are set at a fixed pitch so that
//! their columns line up like a monospace font and can be read aloud digit by digit.
//!
//! Every string arrives already formatted (Beijing time, sizes, hashes in hex): no clock, no
//! database. The only IO is [`system_cjk_font`], which looks for a font on this machine.

use std::path::Path;

use krilla::configure::{Archival, ConfigurationBuilder};
use krilla::geom::{PathBuilder, Point};
use krilla::metadata::{DateTime, Metadata};
use krilla::page::PageSettings;
use krilla::paint::Stroke;
use krilla::surface::Surface;
use krilla::text::{Font, GlyphId, KrillaGlyph};
use krilla::{Document, SerializeSettings};
use skrifa::instance::{LocationRef, Size};
use skrifa::metrics::GlyphMetrics;
use skrifa::string::StringId;
use skrifa::{FontRef, MetadataProvider};

/// What can go wrong while writing a statement or a label; every message says what to do.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No CJK font on this machine (and none named by `ZHILU_CJK_FONT`).
    #[error(
        "未找到中文字体：请安装 fonts-noto-cjk（apt-get install fonts-noto-cjk）或 fonts-wqy-zenhei，\
         或用环境变量 ZHILU_CJK_FONT 指向一个 .ttc/.otf/.ttf 中文字体文件"
    )]
    NoCjkFont,
    /// The font bytes are not a font, or the collection has no face at that index.
    #[error(
        "字体无法读取（字体集合中的第 {index} 个字体）：请检查 ZHILU_CJK_FONT 指向的文件，或重新安装 fonts-noto-cjk"
    )]
    Font {
        /// The face index inside the collection.
        index: u32,
    },
    /// A character of the text has no glyph in the font; PDF/A forbids drawing `.notdef`.
    #[error(
        "字体缺少字符“{ch}”（U+{code:04X}，出现在“{text}”中）：请换用包含该字的中文字体（如 fonts-noto-cjk）"
    )]
    MissingGlyph {
        /// The character.
        ch: char,
        /// Its code point, for characters that do not print.
        code: u32,
        /// The text it appeared in.
        text: String,
    },
    /// A date field could not be read as a Beijing date (time) for the PDF metadata.
    #[error(
        "{field}“{value}”无法识别为日期：请写成“2026-12-07 10:06”或“2026年12月7日”这样的北京时间"
    )]
    Date {
        /// Which field (制作时间, 制作日期).
        field: &'static str,
        /// What it held.
        value: String,
    },
    /// krilla refused to write the PDF (for instance a PDF/A-2b rule was broken).
    #[error("PDF/A-2b 文件生成失败：{0}")]
    Pdf(String),
}

/// The written statement that accompanies extracted recordings (行政执法音像记录证据提取说明).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// The law-enforcement agency (执法机关), printed above the title.
    pub agency: String,
    /// The title, e.g. "行政执法音像记录证据提取说明".
    pub title: String,
    /// Case number (案件编号).
    pub case_no: String,
    /// Case name (案件名称).
    pub case_name: String,
    /// Who made the statement (制作人).
    pub maker: String,
    /// Who extracted the recordings (提取人).
    pub extractor: String,
    /// When it was made, already formatted as Beijing time, e.g. "2026-12-07 10:06"; also the
    /// PDF's creation date (UTC+8), so it must hold at least year, month and day.
    pub made_at: String,
    /// Why the recordings were extracted (提取原因).
    pub reason: String,
    /// Who receives them (接收人/接收单位).
    pub receiver: String,
    /// One entry per extracted file.
    pub files: Vec<StatementFile>,
    /// The text of the disc label (R21), usually [`Label::lines`].
    pub label_lines: Vec<String>,
}

/// One extracted file as the statement lists it; every field already formatted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementFile {
    /// The file name as the recorder wrote it (原始文件名).
    pub original_name: String,
    /// Capture start, Beijing time (拍摄开始时间).
    pub capture_start: String,
    /// Capture end, Beijing time (拍摄结束时间).
    pub capture_end: String,
    /// The recorder (记录设备), e.g. its serial.
    pub device: String,
    /// The officer who recorded (执法人员).
    pub officer: String,
    /// The size, e.g. "1,048,576 字节".
    pub size: String,
    /// SHA-256, 64 hex digits.
    pub sha256: String,
    /// SM3, 64 hex digits.
    pub sm3: String,
}

/// The disc label of R21: what is written on an evidence disc.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    /// The unit that made the disc (制作单位).
    pub unit: String,
    /// Who made it (制作人).
    pub maker: String,
    /// When, Beijing date, e.g. "2026-12-07"; also the PDF's creation date.
    pub date: String,
    /// The disc's name (名称), usually the case name.
    pub name: String,
    /// The disc's number (编号).
    pub number: String,
    /// Which copy this is (第 N 份).
    pub copy_no: u32,
    /// How many copies were made (共 M 份).
    pub copies: u32,
}

impl Label {
    /// The label's text, line by line — printed on the disc and repeated in the statement.
    pub fn lines(&self) -> Vec<String> {
        vec![
            format!("名称：{}", self.name),
            format!("编号：{}", self.number),
            format!("制作单位：{}", self.unit),
            format!("制作人：{}", self.maker),
            format!("制作日期：{}", self.date),
            format!("第 {} 份 共 {} 份", self.copy_no, self.copies),
        ]
    }
}

/// The environment variable naming a font file that takes precedence over the system's.
pub const FONT_ENV: &str = "ZHILU_CJK_FONT";

/// Where Debian puts CJK fonts, best first: Noto Sans CJK (`fonts-noto-cjk`), then WenQuanYi.
const SYSTEM_FONTS: &[&str] = &[
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
];

/// Finds a CJK font: the file named by `ZHILU_CJK_FONT` if that is set (and then only that file:
/// a configured font that cannot be read is not silently replaced), else the first of the usual
/// Debian paths. Returns the file's bytes and the index of the face to use — in a collection the
/// Simplified Chinese face (its family name ends in "SC"), since the same code points are drawn
/// differently in the Japanese, Korean and Traditional faces.
pub fn system_cjk_font() -> Option<(Vec<u8>, u32)> {
    let load = |path: &Path| {
        let data = std::fs::read(path).ok()?;
        let index = simplified_chinese_face(&data)?;
        Some((data, index))
    };
    match std::env::var_os(FONT_ENV) {
        Some(path) => load(Path::new(&path)),
        None => SYSTEM_FONTS.iter().find_map(|p| load(Path::new(p))),
    }
}

/// Like [`system_cjk_font`], but says in Chinese what to install when there is none.
pub fn require_cjk_font() -> Result<(Vec<u8>, u32), Error> {
    system_cjk_font().ok_or(Error::NoCjkFont)
}

/// The index of the face to use: the one whose family name ends in "SC" (Noto's Simplified
/// Chinese), else the first face that has glyphs for "说明"; `None` if the data is no font.
fn simplified_chinese_face(data: &[u8]) -> Option<u32> {
    let faces: Vec<(u32, FontRef<'_>)> = (0..64)
        .map_while(|i| FontRef::from_index(data, i).ok().map(|f| (i, f)))
        .collect();
    let family = |f: &FontRef<'_>| {
        f.localized_strings(StringId::FAMILY_NAME)
            .english_or_first()
            .map(|s| s.to_string())
            .unwrap_or_default()
    };
    let has_chinese = |f: &FontRef<'_>| "说明".chars().all(|c| f.charmap().map(c).is_some());
    faces
        .iter()
        .find(|(_, f)| family(f).ends_with(" SC") && has_chinese(f))
        .or_else(|| faces.iter().find(|(_, f)| has_chinese(f)))
        .map(|(i, _)| *i)
}

// A4 in PostScript points; krilla's origin is the top-left corner, y grows downwards.
const PAGE_W: f32 = 595.28;
const PAGE_H: f32 = 841.89;
const MARGIN: f32 = 56.7; // 2 cm
const BOTTOM: f32 = PAGE_H - MARGIN - 20.0; // room for the page number
const CONTENT_W: f32 = PAGE_W - 2.0 * MARGIN;
const BODY: f32 = 11.0;
const TABLE: f32 = 9.5;
const LEADING: f32 = 1.55;

/// Writes the statement as an A4 PDF/A-2b document in Chinese. `font`/`index` are a CJK font
/// file and the face to use (see [`system_cjk_font`]).
pub fn statement_pdf(s: &Statement, font: &[u8], index: u32) -> Result<Vec<u8>, Error> {
    let fm = FontMetrics::new(font, index)?;
    let mut l = Layout::new(&fm);

    l.centered(&s.agency, 14.0)?;
    l.centered(&s.title, 18.0)?;
    l.gap(8.0);
    for (label, value) in [
        ("案件编号", &s.case_no),
        ("案件名称", &s.case_name),
        ("制作人", &s.maker),
        ("提取人", &s.extractor),
        ("制作时间", &s.made_at),
        ("接收人", &s.receiver),
        ("提取原因", &s.reason),
    ] {
        l.field(label, value, BODY, 4)?;
    }

    l.gap(8.0);
    l.heading(&format!(
        "一、提取的音像记录（共 {} 个文件）",
        s.files.len()
    ))?;
    for (i, f) in s.files.iter().enumerate() {
        l.file_table(i + 1, s.files.len(), f)?;
    }

    if !s.label_lines.is_empty() {
        l.gap(4.0);
        l.heading("二、光盘标签内容")?;
        for line in &s.label_lines {
            l.paragraph(line, BODY, 2.0 * BODY)?;
        }
    }

    l.gap(4.0);
    l.heading(if s.label_lines.is_empty() {
        "二、签名"
    } else {
        "三、签名"
    })?;
    l.paragraph(
        "以上音像记录系从执法记录设备中原样提取，文件的 SHA-256 与 SM3 校验值由提取时计算，\
         接收人可用任一算法自行核对文件未被改动。",
        BODY,
        0.0,
    )?;
    l.signatures()?;

    let created = beijing_date("制作时间", &s.made_at)?;
    write_pdf(
        &fm,
        l.finish(),
        &s.title,
        &[&s.maker, &s.extractor],
        created,
    )
}

/// Writes the disc label (R21) on A4: a 120 mm disc outline with the label text inside, to print
/// on label paper or to cut out, and the same text again below it for the disc case.
pub fn label_pdf(label: &Label, font: &[u8], index: u32) -> Result<Vec<u8>, Error> {
    let fm = FontMetrics::new(font, index)?;
    let mut l = Layout::new(&fm);
    let mm = 72.0 / 25.4;
    let (cx, cy) = (PAGE_W / 2.0, MARGIN + 60.0 * mm);
    l.ops.push(Op::Circle {
        cx,
        cy,
        r: 60.0 * mm,
    });
    l.ops.push(Op::Circle {
        cx,
        cy,
        r: 11.0 * mm,
    });

    // The name above the hub, everything else below it, each line centred inside the ring.
    let lines = label.lines();
    let (name, rest) = lines.split_first().expect("a label has lines");
    let size = 12.0;
    let chord = |y: f32| {
        let dy = (y - cy).abs() + size;
        2.0 * ((60.0 * mm - 6.0).powi(2) - dy * dy).max(0.0).sqrt()
    };
    let name_lines = l.wrap(name, 15.0, chord(cy - 30.0 * mm))?;
    let mut y = cy - 20.0 * mm - (name_lines.len() as f32 - 1.0) * 15.0 * LEADING;
    for line in name_lines {
        let w = fm.width(&line, 15.0)?;
        l.ops.push(Op::text(cx - w / 2.0, y, 15.0, line));
        y += 15.0 * LEADING;
    }
    let mut y = cy + 17.0 * mm + size;
    for line in rest {
        for part in l.wrap(line, size, chord(y))? {
            let w = fm.width(&part, size)?;
            l.ops.push(Op::text(cx - w / 2.0, y, size, part));
            y += size * LEADING;
        }
    }

    l.y = cy + 60.0 * mm + 14.0 * mm;
    l.heading("光盘盒标签")?;
    for line in &lines {
        l.paragraph(line, BODY, 2.0 * BODY)?;
    }

    let created = beijing_date("制作日期", &label.date)?;
    let title = format!("光盘标签：{}", label.name);
    write_pdf(&fm, l.finish(), &title, &[&label.maker], created)
}

/// Reads a Beijing date (time) such as "2026-12-07 10:06:05" or "2026年12月7日 10时06分" for
/// the PDF's creation date: the runs of digits, in order, are year, month, day and optionally
/// hour, minute, second.
fn beijing_date(field: &'static str, value: &str) -> Result<DateTime, Error> {
    let bad = || Error::Date {
        field,
        value: value.to_owned(),
    };
    let numbers: Vec<u32> = value
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().map_err(|_| bad()))
        .collect::<Result<_, _>>()?;
    let part = |i: usize, max: u32| match numbers.get(i) {
        Some(&n) if n <= max => u8::try_from(n).map_err(|_| bad()),
        Some(_) => Err(bad()),
        None => Ok(0),
    };
    let year = match numbers.first() {
        Some(&y) if (1900..=9999).contains(&y) => y as u16,
        _ => return Err(bad()),
    };
    if numbers.len() < 3 || numbers.len() > 6 {
        return Err(bad());
    }
    let (month, day) = (part(1, 12)?, part(2, 31)?);
    if month == 0 || day == 0 {
        return Err(bad());
    }
    Ok(DateTime::new(year)
        .month(month)
        .day(day)
        .hour(part(3, 23)?)
        .minute(part(4, 59)?)
        .second(part(5, 59)?)
        .utc_offset_hour(8)
        .utc_offset_minute(0))
}

/// Draws the laid-out pages, numbers them "第 N 页 共 M 页" and serialises as PDF/A-2b.
fn write_pdf(
    fm: &FontMetrics<'_>,
    pages: Vec<Vec<Op>>,
    title: &str,
    authors: &[&str],
    created: DateTime,
) -> Result<Vec<u8>, Error> {
    let configuration = ConfigurationBuilder::new()
        .with_archival_validator(Archival::A2_B)
        .finish()
        .map_err(|e| Error::Pdf(format!("{e:?}")))?;
    let mut doc = Document::new_with(SerializeSettings {
        configuration,
        ..SerializeSettings::default()
    });
    doc.set_metadata(
        Metadata::new()
            .title(title.to_owned())
            .language("zh-CN".to_owned())
            .authors(authors.iter().map(|a| (*a).to_owned()).collect())
            .creator("Zhilu 执法音像记录管理".to_owned())
            .creation_date(created),
    );
    let font =
        Font::new(fm.data.to_vec().into(), fm.index).ok_or(Error::Font { index: fm.index })?;
    let total = pages.len();
    for (n, ops) in pages.into_iter().enumerate() {
        let footer = format!("第 {} 页 共 {} 页", n + 1, total);
        let footer_w = fm.width(&footer, 9.0)?;
        let settings = PageSettings::from_wh(PAGE_W, PAGE_H).expect("A4 is a valid page size");
        let mut page = doc.start_page_with(settings);
        let mut surface = page.surface();
        for op in ops {
            op.draw(&mut surface, fm, &font)?;
        }
        Op::text(
            (PAGE_W - footer_w) / 2.0,
            PAGE_H - MARGIN + 6.0,
            9.0,
            footer,
        )
        .draw(&mut surface, fm, &font)?;
        surface.finish();
        page.finish();
    }
    doc.finish().map_err(|e| Error::Pdf(format!("{e:?}")))
}

/// A font face and the metrics needed to place its glyphs.
struct FontMetrics<'a> {
    data: &'a [u8],
    index: u32,
    font: FontRef<'a>,
    metrics: GlyphMetrics<'a>,
    units_per_em: f32,
    /// The widest lower-case hex digit: the pitch at which hashes are set.
    hex_pitch: f32,
}

impl<'a> FontMetrics<'a> {
    fn new(data: &'a [u8], index: u32) -> Result<Self, Error> {
        let font = FontRef::from_index(data, index).map_err(|_| Error::Font { index })?;
        let metrics = font.glyph_metrics(Size::unscaled(), LocationRef::default());
        let units_per_em = f32::from(
            font.metrics(Size::unscaled(), LocationRef::default())
                .units_per_em,
        );
        let mut fm = FontMetrics {
            data,
            index,
            font,
            metrics,
            units_per_em,
            hex_pitch: 0.0,
        };
        fm.hex_pitch = "0123456789abcdef"
            .chars()
            .map(|c| fm.glyph(c, "0123456789abcdef").map(|(_, w)| w))
            .try_fold(0.0_f32, |m, w| w.map(|w| m.max(w)))?;
        Ok(fm)
    }

    /// The glyph for `ch` and its advance in em.
    fn glyph(&self, ch: char, text: &str) -> Result<(GlyphId, f32), Error> {
        let missing = || Error::MissingGlyph {
            ch,
            code: u32::from(ch),
            text: text.to_owned(),
        };
        let gid = self
            .font
            .charmap()
            .map(ch)
            .filter(|g| g.to_u32() != 0)
            .ok_or_else(missing)?;
        let advance = self.metrics.advance_width(gid).ok_or_else(missing)?;
        Ok((GlyphId::new(gid.to_u32()), advance / self.units_per_em))
    }

    fn width(&self, text: &str, size: f32) -> Result<f32, Error> {
        text.chars()
            .map(|c| self.glyph(c, text).map(|(_, w)| w * size))
            .sum()
    }

    /// The glyphs of one line; with `fixed_pitch`, every glyph is centred in a cell as wide as the
    /// widest hex digit.
    fn glyphs(&self, text: &str, fixed_pitch: bool) -> Result<Vec<KrillaGlyph>, Error> {
        text.char_indices()
            .map(|(i, c)| {
                let (glyph_id, w) = self.glyph(c, text)?;
                let (x_advance, x_offset) = if fixed_pitch {
                    (self.hex_pitch, (self.hex_pitch - w) / 2.0)
                } else {
                    (w, 0.0)
                };
                Ok(KrillaGlyph {
                    glyph_id,
                    text_range: i..i + c.len_utf8(),
                    x_advance,
                    x_offset,
                    y_offset: 0.0,
                    y_advance: 0.0,
                    location: None,
                })
            })
            .collect()
    }
}

/// One thing to draw on a page, positioned by the layout.
enum Op {
    /// A line of text; `y` is the baseline.
    Text {
        x: f32,
        y: f32,
        size: f32,
        text: String,
        fixed_pitch: bool,
    },
    /// A thin straight rule.
    Rule { x1: f32, y1: f32, x2: f32, y2: f32 },
    /// A circle outline (the disc label).
    Circle { cx: f32, cy: f32, r: f32 },
}

impl Op {
    fn text(x: f32, y: f32, size: f32, text: String) -> Self {
        Op::Text {
            x,
            y,
            size,
            text,
            fixed_pitch: false,
        }
    }

    fn draw(
        &self,
        surface: &mut Surface<'_>,
        fm: &FontMetrics<'_>,
        font: &Font,
    ) -> Result<(), Error> {
        match self {
            Op::Text {
                x,
                y,
                size,
                text,
                fixed_pitch,
            } => {
                let glyphs = fm.glyphs(text, *fixed_pitch)?;
                surface.set_stroke(None);
                surface.draw_glyphs(
                    Point::from_xy(*x, *y),
                    &glyphs,
                    font.clone(),
                    text,
                    *size,
                    false,
                );
            }
            Op::Rule { x1, y1, x2, y2 } => {
                let mut pb = PathBuilder::new();
                pb.move_to(*x1, *y1);
                pb.line_to(*x2, *y2);
                stroke(surface, pb, 0.6);
            }
            Op::Circle { cx, cy, r } => {
                // Four cubic Béziers, the usual 0.5523 approximation of a quarter circle.
                let k = 0.552_284_8 * r;
                let mut pb = PathBuilder::new();
                pb.move_to(cx + r, *cy);
                pb.cubic_to(cx + r, cy + k, cx + k, cy + r, *cx, cy + r);
                pb.cubic_to(cx - k, cy + r, cx - r, cy + k, cx - r, *cy);
                pb.cubic_to(cx - r, cy - k, cx - k, cy - r, *cx, cy - r);
                pb.cubic_to(cx + k, cy - r, cx + r, cy - k, cx + r, *cy);
                pb.close();
                stroke(surface, pb, 0.8);
            }
        }
        Ok(())
    }
}

fn stroke(surface: &mut Surface<'_>, pb: PathBuilder, width: f32) {
    if let Some(path) = pb.finish() {
        surface.set_fill(None);
        surface.set_stroke(Some(Stroke {
            width,
            ..Stroke::default()
        }));
        surface.draw_path(&path);
        surface.set_stroke(None);
        surface.set_fill(Some(Default::default()));
    }
}

/// Places text top to bottom, starting a new page when the current one is full.
struct Layout<'f> {
    fm: &'f FontMetrics<'f>,
    pages: Vec<Vec<Op>>,
    ops: Vec<Op>,
    /// The top of the next line.
    y: f32,
}

impl<'f> Layout<'f> {
    fn new(fm: &'f FontMetrics<'f>) -> Self {
        Layout {
            fm,
            pages: Vec::new(),
            ops: Vec::new(),
            y: MARGIN,
        }
    }

    fn finish(mut self) -> Vec<Vec<Op>> {
        self.pages.push(self.ops);
        self.pages
    }

    fn new_page(&mut self) {
        self.pages.push(std::mem::take(&mut self.ops));
        self.y = MARGIN;
    }

    /// Makes room for `height`: a new page if it does not fit on this one (unless this page is
    /// still empty, where nothing would be gained).
    fn room(&mut self, height: f32) {
        if self.y + height > BOTTOM && !self.ops.is_empty() {
            self.new_page();
        }
    }

    fn gap(&mut self, height: f32) {
        self.y += height;
    }

    fn wrap(&self, text: &str, size: f32, width: f32) -> Result<Vec<String>, Error> {
        wrap(text, width, &|s: &str| self.fm.width(s, size))
    }

    /// Draws one line with its top at the current position and moves below it.
    fn line(&mut self, x: f32, size: f32, text: String) {
        self.room(size * LEADING);
        self.ops.push(Op::text(x, self.y + size * 1.1, size, text));
        self.y += size * LEADING;
    }

    fn centered(&mut self, text: &str, size: f32) -> Result<(), Error> {
        for line in self.wrap(text, size, CONTENT_W)? {
            let w = self.fm.width(&line, size)?;
            self.line(MARGIN + (CONTENT_W - w) / 2.0, size, line);
        }
        Ok(())
    }

    fn heading(&mut self, text: &str) -> Result<(), Error> {
        // Keep a heading with at least three lines of what follows it.
        self.room(13.0 * LEADING + 3.0 * BODY * LEADING);
        for line in self.wrap(text, 13.0, CONTENT_W)? {
            self.line(MARGIN, 13.0, line);
        }
        Ok(())
    }

    /// A paragraph indented by `indent` points.
    fn paragraph(&mut self, text: &str, size: f32, indent: f32) -> Result<(), Error> {
        for line in self.wrap(text, size, CONTENT_W - indent)? {
            self.line(MARGIN + indent, size, line);
        }
        Ok(())
    }

    /// "label：value", the value wrapped in a column after a label column `label_chars` wide.
    fn field(
        &mut self,
        label: &str,
        value: &str,
        size: f32,
        label_chars: usize,
    ) -> Result<(), Error> {
        let label_w = self.fm.width(&"中".repeat(label_chars + 1), size)?;
        let lines = self.wrap(value, size, CONTENT_W - label_w)?;
        self.room(size * LEADING);
        self.ops.push(Op::text(
            MARGIN,
            self.y + size * 1.1,
            size,
            format!("{label}："),
        ));
        for line in lines {
            self.line(MARGIN + label_w, size, line);
        }
        Ok(())
    }

    /// One file as a bordered two-column table; kept on one page when it fits on one.
    fn file_table(&mut self, n: usize, total: usize, f: &StatementFile) -> Result<(), Error> {
        let size = TABLE;
        let pad = 2.5;
        let line_h = size * 1.35;
        let label_w = self.fm.width("原始文件名", size)? + 2.0 * pad + 4.0;
        let value_w = CONTENT_W - label_w - 2.0 * pad;
        let rows: Vec<(&str, Vec<String>, bool)> = vec![
            (
                "原始文件名",
                self.wrap(&f.original_name, size, value_w)?,
                false,
            ),
            (
                "拍摄开始",
                self.wrap(&f.capture_start, size, value_w)?,
                false,
            ),
            ("拍摄结束", self.wrap(&f.capture_end, size, value_w)?, false),
            ("记录设备", self.wrap(&f.device, size, value_w)?, false),
            ("执法人员", self.wrap(&f.officer, size, value_w)?, false),
            ("文件大小", self.wrap(&f.size, size, value_w)?, false),
            ("SHA-256", self.hash_lines(&f.sha256, size, value_w), true),
            ("SM3", self.hash_lines(&f.sm3, size, value_w), true),
        ];
        let caption_h = BODY * LEADING;
        let height: f32 = caption_h
            + rows
                .iter()
                .map(|(_, lines, _)| lines.len().max(1) as f32 * line_h + 2.0 * pad)
                .sum::<f32>()
            + 6.0;
        self.room(height);
        self.line(MARGIN, BODY, format!("文件 {n}/{total}"));
        let (left, right, split) = (MARGIN, MARGIN + CONTENT_W, MARGIN + label_w);
        let mut top = self.y;
        self.ops.push(Op::Rule {
            x1: left,
            y1: top,
            x2: right,
            y2: top,
        });
        for (label, lines, fixed_pitch) in rows {
            let row_h = lines.len().max(1) as f32 * line_h + 2.0 * pad;
            if top + row_h > BOTTOM {
                self.new_page();
                top = self.y;
                self.ops.push(Op::Rule {
                    x1: left,
                    y1: top,
                    x2: right,
                    y2: top,
                });
            }
            self.ops.push(Op::text(
                left + pad,
                top + pad + size * 1.1,
                size,
                label.to_owned(),
            ));
            for (i, line) in lines.into_iter().enumerate() {
                self.ops.push(Op::Text {
                    x: split + pad,
                    y: top + pad + i as f32 * line_h + size * 1.1,
                    size,
                    text: line,
                    fixed_pitch,
                });
            }
            let bottom = top + row_h;
            for x in [left, split, right] {
                self.ops.push(Op::Rule {
                    x1: x,
                    y1: top,
                    x2: x,
                    y2: bottom,
                });
            }
            self.ops.push(Op::Rule {
                x1: left,
                y1: bottom,
                x2: right,
                y2: bottom,
            });
            top = bottom;
        }
        self.y = top + 6.0;
        Ok(())
    }

    /// A hash in lines of a multiple of 8 digits at the fixed pitch (all 64 on one line when the
    /// column allows), so that the digits line up column by column.
    fn hash_lines(&self, hex: &str, size: f32, width: f32) -> Vec<String> {
        let per_line = ((width / (self.fm.hex_pitch * size)) as usize / 8 * 8).max(8);
        let chars: Vec<char> = hex.chars().collect();
        chars.chunks(per_line).map(|c| c.iter().collect()).collect()
    }

    /// The signature lines, kept together on one page.
    fn signatures(&mut self) -> Result<(), Error> {
        let size = 12.0;
        let h = 3.0 * size * 2.6;
        self.room(h + 12.0);
        self.gap(12.0);
        let blank = "＿".repeat(8);
        let line = format!("制作人（签名）：{blank}    提取人（签名）：{blank}");
        for text in self.wrap(&line, size, CONTENT_W)? {
            self.line(MARGIN, size, text);
            self.gap(size);
        }
        self.line(MARGIN, size, format!("日期：{blank}"));
        Ok(())
    }
}

/// Greedy line breaking: a line may break between any two CJK characters and at spaces between
/// Latin words; closing punctuation stays on the line before it (no line starts with "，" or
/// "）"); a word wider than the line (a long file name, a hash) is broken between characters.
fn wrap(
    text: &str,
    width: f32,
    measure: &dyn Fn(&str) -> Result<f32, Error>,
) -> Result<Vec<String>, Error> {
    let mut lines = Vec::new();
    for para in text.split('\n') {
        let mut line = String::new();
        for unit in units(para) {
            if unit.trim().is_empty() && line.is_empty() {
                continue;
            }
            let candidate = format!("{line}{unit}");
            if measure(candidate.trim_end())? <= width {
                line = candidate;
                continue;
            }
            if !line.trim().is_empty() {
                lines.push(line.trim_end().to_owned());
            }
            line = String::new();
            if unit.trim().is_empty() {
                continue;
            }
            // Too wide for a line of its own: break it between characters.
            for c in unit.chars() {
                let candidate = format!("{line}{c}");
                if measure(&candidate)? > width && !line.is_empty() {
                    lines.push(std::mem::take(&mut line));
                    line.push(c);
                } else {
                    line = candidate;
                }
            }
        }
        if !line.trim().is_empty() || lines.is_empty() {
            lines.push(line.trim_end().to_owned());
        }
    }
    Ok(lines)
}

/// Splits text into the pieces a line may break between: a run of spaces, a Latin word (with its
/// ASCII punctuation), or one other character with any closing punctuation that follows it.
fn units(text: &str) -> Vec<String> {
    const CLOSING: &str = "，。、；：？！）》」』】〕”’,.;:?!)]}%";
    let mut units: Vec<String> = Vec::new();
    let mut word = false;
    for c in text.chars() {
        let latin = c.is_ascii() && !c.is_ascii_whitespace();
        match units.last_mut() {
            Some(last) if CLOSING.contains(c) && !last.trim().is_empty() => last.push(c),
            Some(last) if latin && word => last.push(c),
            Some(last) if c.is_whitespace() && last.chars().all(char::is_whitespace) => {
                last.push(c)
            }
            _ => units.push(c.to_string()),
        }
        word = latin || (word && CLOSING.contains(c));
    }
    units
}

#[cfg(test)]
mod tests {
    use super::*;

    fn by_chars(s: &str) -> Result<f32, Error> {
        Ok(s.chars().count() as f32)
    }

    #[test]
    fn cjk_breaks_anywhere_latin_at_spaces_punctuation_stays_behind() {
        assert_eq!(
            wrap("执法记录仪，拍摄", 5.0, &by_chars).unwrap(),
            ["执法记录", "仪，拍摄"]
        );
        assert_eq!(
            wrap("abc def ghi", 7.0, &by_chars).unwrap(),
            ["abc def", "ghi"]
        );
        assert_eq!(
            wrap("0123456789", 4.0, &by_chars).unwrap(),
            ["0123", "4567", "89"]
        );
        assert_eq!(wrap("", 4.0, &by_chars).unwrap(), [""]);
    }

    #[test]
    fn beijing_dates_in_both_spellings() {
        assert!(beijing_date("制作时间", "2026-12-07 10:06").is_ok());
        assert!(beijing_date("制作时间", "2026年12月7日").is_ok());
        let e = beijing_date("制作时间", "昨天").unwrap_err().to_string();
        assert!(e.contains("制作时间“昨天”"), "{e}");
        assert!(beijing_date("制作日期", "2026-13-01").is_err());
    }
}
