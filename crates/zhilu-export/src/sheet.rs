//! Ledgers and registers as xlsx workbooks (R3, R21, R23): one typed table per worksheet, with
//! a bold frozen header row, column widths, an autofilter, and dates written as real Excel dates
//! (a receiver sorts and filters them as dates, not as text). The one spreadsheet writer of the
//! product: the CLI and the web pages both come here with a [`Sheet`] the app built.
//!
//! Times are given as Beijing wall-clock times: Excel has no time zones, and people read the
//! agency's local time.

use chrono::{Datelike, NaiveDate, NaiveDateTime, Timelike};
use rust_xlsxwriter::{ExcelDateTime, Format, FormatAlign, Workbook, Worksheet, XlsxError};

/// Excel's limit on a worksheet name, in characters.
pub const MAX_SHEET_NAME: usize = 31;
/// Excel's limit on the text of one cell, in characters.
pub const MAX_CELL_TEXT: usize = 32_767;
/// Excel's limit on rows per worksheet (the header included).
pub const MAX_ROWS: usize = 1_048_576;

/// One cell, typed so the workbook can say what it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell {
    Text(String),
    Int(i64),
    /// A calendar day, shown `yyyy-mm-dd`.
    Date(NaiveDate),
    /// A Beijing wall-clock time, shown `yyyy-mm-dd hh:mm`.
    DateTime(NaiveDateTime),
    /// Written as 是 / 否, as a person fills in a paper register.
    Bool(bool),
    /// A number with two decimals, given in hundredths (exact): money in fen (分) shown as yuan,
    /// a score in hundredths of a point.
    Hundredths(i64),
    Empty,
}

impl Cell {
    /// A text cell; empty text is an empty cell.
    pub fn text(s: impl Into<String>) -> Cell {
        let s = s.into();
        if s.is_empty() {
            Cell::Empty
        } else {
            Cell::Text(s)
        }
    }

    /// The cell as a page shows it: times with seconds, as Beijing time everywhere else.
    pub fn display(&self) -> String {
        match self {
            Cell::Text(s) => s.clone(),
            Cell::Int(i) => i.to_string(),
            Cell::Date(d) => d.format("%Y-%m-%d").to_string(),
            Cell::DateTime(t) => t.format("%Y-%m-%d %H:%M:%S").to_string(),
            Cell::Bool(b) => yes_no(*b).to_string(),
            Cell::Hundredths(n) => yuan(*n),
            Cell::Empty => String::new(),
        }
    }
}

/// `123450` fen as `1234.50`, exactly (no float on the way).
pub fn yuan(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let a = fen.unsigned_abs();
    format!("{sign}{}.{:02}", a / 100, a % 100)
}

fn yes_no(b: bool) -> &'static str {
    if b { "是" } else { "否" }
}

impl From<String> for Cell {
    fn from(s: String) -> Self {
        Cell::text(s)
    }
}

impl From<&str> for Cell {
    fn from(s: &str) -> Self {
        Cell::text(s)
    }
}

impl<T: Into<Cell>> From<Option<T>> for Cell {
    fn from(v: Option<T>) -> Self {
        v.map_or(Cell::Empty, Into::into)
    }
}

impl From<i64> for Cell {
    fn from(i: i64) -> Self {
        Cell::Int(i)
    }
}

impl From<u64> for Cell {
    fn from(i: u64) -> Self {
        Cell::Int(i64::try_from(i).unwrap_or(i64::MAX))
    }
}

impl From<bool> for Cell {
    fn from(b: bool) -> Self {
        Cell::Bool(b)
    }
}

impl From<NaiveDate> for Cell {
    fn from(d: NaiveDate) -> Self {
        Cell::Date(d)
    }
}

impl From<NaiveDateTime> for Cell {
    fn from(t: NaiveDateTime) -> Self {
        Cell::DateTime(t)
    }
}

/// A worksheet: its title (made a valid sheet name when written), its columns as
/// `(header, width in characters)`, and its rows, each as long as `columns` or shorter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sheet {
    pub title: String,
    pub columns: Vec<(String, u16)>,
    pub rows: Vec<Vec<Cell>>,
}

impl Sheet {
    /// An empty sheet with these `(header, width)` columns.
    pub fn new(title: impl Into<String>, columns: &[(&str, u16)]) -> Sheet {
        Sheet {
            title: title.into(),
            columns: columns.iter().map(|(h, w)| (h.to_string(), *w)).collect(),
            rows: Vec::new(),
        }
    }

    /// The headers, in order.
    pub fn headers(&self) -> Vec<&str> {
        self.columns.iter().map(|(h, _)| h.as_str()).collect()
    }

    /// Every row as the page shows it ([`Cell::display`]).
    pub fn display_rows(&self) -> Vec<Vec<String>> {
        self.rows
            .iter()
            .map(|r| r.iter().map(Cell::display).collect())
            .collect()
    }
}

/// Why a workbook was not written.
#[derive(Debug, thiserror::Error)]
pub enum SheetError {
    /// More rows than a worksheet holds.
    #[error("工作表“{title}”有 {rows} 行，超过 Excel 每个工作表 {max} 行的上限：请缩短时间段")]
    TooManyRows {
        title: String,
        rows: usize,
        max: usize,
    },
    /// A row has more cells than the sheet has columns.
    #[error("工作表“{title}”第 {row} 行有 {cells} 个单元格，多于 {columns} 列")]
    RowTooLong {
        title: String,
        row: usize,
        cells: usize,
        columns: usize,
    },
    /// A date Excel cannot hold (before 1900 or after 9999).
    #[error("工作表“{title}”第 {row} 行的日期 {value} 超出 Excel 能表示的范围（1900–9999 年）")]
    BadDate {
        title: String,
        row: usize,
        value: String,
    },
    /// The writer failed (it does not, for what this module gives it).
    #[error("生成 xlsx 文件失败：{0}")]
    Xlsx(#[from] XlsxError),
}

/// `title` as a worksheet name Excel accepts, distinct from every name in `taken` (compared
/// ignoring case, as Excel does): `[]:*?/\` become `_`, apostrophes at either end are dropped, it
/// is cut to 31 characters, a blank one becomes 工作表, and a repeated one gets `(2)`, `(3)`…
pub fn sheet_name(title: &str, taken: &[String]) -> String {
    let cleaned: String = title
        .chars()
        .map(|c| {
            if "[]:*?/\\".contains(c) || c.is_control() {
                '_'
            } else {
                c
            }
        })
        .collect();
    let cleaned = cleaned.trim().trim_matches('\'').trim();
    let base = if cleaned.is_empty() {
        "工作表"
    } else {
        cleaned
    };
    let cut = |s: &str, n: usize| -> String {
        let s: String = s.chars().take(n).collect();
        // Cutting may leave an apostrophe at the end again.
        s.trim_end_matches('\'').to_string()
    };
    let clash = |name: &str| {
        taken
            .iter()
            .any(|t| t.to_lowercase() == name.to_lowercase())
    };
    let first = cut(base, MAX_SHEET_NAME);
    if !clash(&first) {
        return first;
    }
    (2..)
        .map(|n| {
            let suffix = format!("({n})");
            format!(
                "{}{suffix}",
                cut(base, MAX_SHEET_NAME - suffix.chars().count())
            )
        })
        .find(|name| !clash(name))
        .unwrap_or(first)
}

fn excel_date(d: NaiveDate) -> Option<ExcelDateTime> {
    ExcelDateTime::from_ymd(
        u16::try_from(d.year()).ok()?,
        u8::try_from(d.month()).ok()?,
        u8::try_from(d.day()).ok()?,
    )
    .ok()
}

fn excel_datetime(t: NaiveDateTime) -> Option<ExcelDateTime> {
    excel_date(t.date())?
        .and_hms(
            u16::try_from(t.hour()).ok()?,
            u8::try_from(t.minute()).ok()?,
            t.second(),
        )
        .ok()
}

/// Text Excel can hold: cut at [`MAX_CELL_TEXT`] characters, marked with an ellipsis.
fn cell_text(s: &str) -> std::borrow::Cow<'_, str> {
    if s.chars().count() <= MAX_CELL_TEXT {
        return s.into();
    }
    let mut t: String = s.chars().take(MAX_CELL_TEXT - 1).collect();
    t.push('…');
    t.into()
}

struct Formats {
    header: Format,
    date: Format,
    datetime: Format,
    center: Format,
    yuan: Format,
}

fn write_sheet(
    ws: &mut Worksheet,
    sheet: &Sheet,
    name: &str,
    f: &Formats,
) -> Result<(), SheetError> {
    ws.set_name(name)?;
    let columns = sheet.columns.len();
    if sheet.rows.len() + 1 > MAX_ROWS {
        return Err(SheetError::TooManyRows {
            title: sheet.title.clone(),
            rows: sheet.rows.len(),
            max: MAX_ROWS - 1,
        });
    }
    for (c, (header, width)) in sheet.columns.iter().enumerate() {
        let c = u16::try_from(c).unwrap_or(u16::MAX);
        ws.write_string_with_format(0, c, cell_text(header), &f.header)?;
        ws.set_column_width(c, *width)?;
    }
    for (r, row) in sheet.rows.iter().enumerate() {
        if row.len() > columns {
            return Err(SheetError::RowTooLong {
                title: sheet.title.clone(),
                row: r + 2,
                cells: row.len(),
                columns,
            });
        }
        let excel_row = u32::try_from(r + 1).unwrap_or(u32::MAX);
        let bad_date = |value: String| SheetError::BadDate {
            title: sheet.title.clone(),
            row: r + 2,
            value,
        };
        for (c, cell) in row.iter().enumerate() {
            let c = u16::try_from(c).unwrap_or(u16::MAX);
            match cell {
                Cell::Text(s) => {
                    ws.write_string(excel_row, c, cell_text(s))?;
                }
                Cell::Int(i) => {
                    // Excel holds numbers as doubles: beyond 2^53 they would lose digits, so
                    // such a number is kept exactly, as text.
                    if i.unsigned_abs() <= 1 << 53 {
                        ws.write_number(excel_row, c, *i as f64)?;
                    } else {
                        ws.write_string(excel_row, c, i.to_string())?;
                    }
                }
                Cell::Date(d) => {
                    let v = excel_date(*d).ok_or_else(|| bad_date(d.to_string()))?;
                    ws.write_datetime_with_format(excel_row, c, v, &f.date)?;
                }
                Cell::DateTime(t) => {
                    let v = excel_datetime(*t).ok_or_else(|| bad_date(t.to_string()))?;
                    ws.write_datetime_with_format(excel_row, c, v, &f.datetime)?;
                }
                Cell::Bool(b) => {
                    ws.write_string_with_format(excel_row, c, yes_no(*b), &f.center)?;
                }
                Cell::Hundredths(n) => {
                    // Numbers a sheet holds are far below 2^53 hundredths, where a double is
                    // exact to the hundredth; the cell shows two decimals.
                    ws.write_number_with_format(excel_row, c, *n as f64 / 100.0, &f.yuan)?;
                }
                Cell::Empty => {}
            }
        }
    }
    if columns > 0 {
        let last_col = u16::try_from(columns - 1).unwrap_or(u16::MAX);
        let last_row = u32::try_from(sheet.rows.len()).unwrap_or(u32::MAX);
        ws.set_freeze_panes(1, 0)?;
        ws.autofilter(0, 0, last_row, last_col)?;
    }
    Ok(())
}

/// The sheets as one xlsx workbook, in order; each title made a valid, distinct sheet name
/// ([`sheet_name`]).
pub fn xlsx(sheets: &[Sheet]) -> Result<Vec<u8>, SheetError> {
    let formats = Formats {
        header: Format::new()
            .set_bold()
            .set_align(FormatAlign::Center)
            .set_background_color(0xD9E1F2),
        date: Format::new().set_num_format("yyyy-mm-dd"),
        datetime: Format::new().set_num_format("yyyy-mm-dd hh:mm"),
        center: Format::new().set_align(FormatAlign::Center),
        yuan: Format::new().set_num_format("0.00"),
    };
    let mut wb = Workbook::new();
    let mut names: Vec<String> = Vec::new();
    for sheet in sheets {
        let name = sheet_name(&sheet.title, &names);
        let ws = wb.add_worksheet();
        write_sheet(ws, sheet, &name, &formats)?;
        names.push(name);
    }
    if sheets.is_empty() {
        wb.add_worksheet();
    }
    Ok(wb.save_to_buffer()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(titles: &[&str]) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for t in titles {
            let n = sheet_name(t, &out);
            out.push(n);
        }
        out
    }

    #[test]
    fn r3_sheet_names_are_made_valid_and_distinct() {
        assert_eq!(sheet_name("使用台账", &[]), "使用台账");
        assert_eq!(
            sheet_name("问题清单 2026/11/01–2026/11/30", &[]),
            "问题清单 2026_11_01–2026_11_30"
        );
        assert_eq!(sheet_name("[a]:b*c?d\\e", &[]), "_a__b_c_d_e");
        assert_eq!(sheet_name("'引号'", &[]), "引号");
        assert_eq!(sheet_name("  ", &[]), "工作表");
        let long = "一".repeat(40);
        assert_eq!(sheet_name(&long, &[]).chars().count(), MAX_SHEET_NAME);
        let n = names(&["Sheet", "sheet", "SHEET", &long, &long]);
        assert_eq!(n[..3], ["Sheet", "sheet(2)", "SHEET(3)"]);
        assert_eq!(n[4].chars().count(), MAX_SHEET_NAME);
        assert!(n[4].ends_with("(2)"), "{}", n[4]);
        // Every name is one the writer accepts.
        for name in &n {
            rust_xlsxwriter::utility::check_sheet_name(name).unwrap();
        }
        // Cutting to 31 characters must not leave an apostrophe at the end.
        let tricky = format!("{}'x", "a".repeat(30));
        rust_xlsxwriter::utility::check_sheet_name(&sheet_name(&tricky, &[])).unwrap();
    }

    #[test]
    fn r3_cells_keep_their_kind_in_the_workbook() {
        let d = NaiveDate::from_ymd_opt(2026, 11, 2).unwrap();
        let t = d.and_hms_opt(9, 30, 0).unwrap();
        let mut s = Sheet::new(
            "使用台账",
            &[
                ("文本", 10),
                ("数", 6),
                ("日期", 12),
                ("时间", 18),
                ("是否", 6),
                ("空", 6),
            ],
        );
        s.rows.push(vec![
            Cell::text("=1+1"),
            Cell::Int(42),
            Cell::Date(d),
            Cell::DateTime(t),
            Cell::Bool(true),
            Cell::Empty,
        ]);
        s.rows.push(vec![
            Cell::text(""),
            7u64.into(),
            Cell::from(None::<NaiveDate>),
        ]);
        assert_eq!(
            s.display_rows()[0],
            ["=1+1", "42", "2026-11-02", "2026-11-02 09:30:00", "是", ""]
        );
        assert_eq!(s.rows[1][0], Cell::Empty);
        let bytes = xlsx(&[s.clone(), s]).unwrap();
        assert!(bytes.starts_with(b"PK\x03\x04"));
        let xml = unzip_text(&bytes);
        // Two sheets with distinct names.
        assert!(
            xml.contains("name=\"使用台账\"") && xml.contains("name=\"使用台账(2)\""),
            "{xml}"
        );
        // The formula-looking text is a string, never a formula.
        assert!(!xml.contains("<f>"));
        // Dates are numbers with a date format; the header row is frozen and filtered.
        assert!(xml.contains("yyyy-mm-dd hh:mm") && xml.contains("formatCode=\"yyyy-mm-dd\""));
        assert!(xml.contains("<autoFilter ref=\"A1:F3\"/>"), "{xml}");
        assert!(xml.contains("state=\"frozen\""));
        // 2026-11-02 is Excel serial 46328; 09:30 is 0.395833…
        assert!(
            xml.contains("<v>46328</v>") && xml.contains("<v>46328.395833"),
            "{xml}"
        );
    }

    #[test]
    fn r3_rows_wider_than_the_header_are_refused() {
        let mut s = Sheet::new("表", &[("一", 4)]);
        s.rows.push(vec![Cell::Int(1), Cell::Int(2)]);
        let e = xlsx(&[s]).unwrap_err();
        assert!(matches!(e, SheetError::RowTooLong { row: 2, .. }), "{e}");
        assert!(e.to_string().contains("第 2 行"));
    }

    /// The XML parts of an xlsx (stored or deflated), concatenated, via the system `unzip`
    /// when present, else the raw bytes as text.
    fn unzip_text(bytes: &[u8]) -> String {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("t.xlsx");
        std::fs::write(&file, bytes).unwrap();
        let out = std::process::Command::new("unzip")
            .arg("-p")
            .arg(&file)
            .output()
            .expect("unzip");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}
