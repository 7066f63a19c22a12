//! Spreadsheets people fill in to register many users or devices at once: the bytes of an xlsx
//! file or a CSV (UTF-8 with or without BOM, or GBK/GB18030 as Excel saves Chinese CSV) become
//! rows of text under a Chinese header, each with its spreadsheet row number, and then the input
//! of the use case. Every row is checked before anything is written, and every failing row is
//! reported (第 N 行：…), so a person fixes the file once.

/// The rows that parsed (with their spreadsheet row numbers) and the errors of the others.
pub(crate) type Checked<T> = (Vec<(usize, T)>, Vec<RowError>);

use std::collections::HashMap;
use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};
use chrono::NaiveDate;
use zhilu_model::FixedRole;

use super::NewDevice;
use crate::error::AppError;
use crate::identity::NewUser;

/// Most data rows one file may hold.
pub const MAX_ROWS: usize = 5000;

/// A row that failed, by its number in the spreadsheet (the header is row 1 when it comes first).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RowError {
    pub row: usize,
    pub message: String,
}

impl std::fmt::Display for RowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "第 {} 行：{}", self.row, self.message)
    }
}

/// Why a spreadsheet was not imported. Nothing was written in any case.
#[derive(Debug, thiserror::Error)]
pub enum SheetError {
    /// Not a spreadsheet this reads (an `.xls`, a damaged or truncated xlsx, binary bytes), or
    /// empty.
    #[error("{0}")]
    Unreadable(String),
    /// The header row lacks a column, repeats one or names one that is not known.
    #[error("表头不对：{0}")]
    Header(String),
    /// Some rows failed: all of them, in order.
    #[error("{} 行有误，未导入任何一行：\n{}", .0.len(), .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Rows(Vec<RowError>),
    /// The use case refused (permission, a conflict at commit).
    #[error(transparent)]
    App(#[from] AppError),
}

impl SheetError {
    /// The stable code for scripts (`--json`).
    pub fn code(&self) -> &'static str {
        match self {
            SheetError::Unreadable(_) => "sheet_unreadable",
            SheetError::Header(_) => "sheet_header",
            SheetError::Rows(_) => "sheet_rows",
            SheetError::App(e) => e.code(),
        }
    }
}

/// One data row: its spreadsheet row number and its cells by column name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub number: usize,
    cells: HashMap<&'static str, String>,
}

impl Row {
    /// The cell of `column`, trimmed; empty when absent.
    pub fn get(&self, column: &str) -> &str {
        self.cells.get(column).map_or("", |s| s.trim())
    }
}

/// A column of a sheet's header.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub name: &'static str,
    pub required: bool,
}

const fn col(name: &'static str, required: bool) -> Column {
    Column { name, required }
}

/// The columns of the users sheet.
pub const USER_COLUMNS: &[Column] = &[
    col("编号", true),
    col("姓名", true),
    col("单位", true),
    col("角色", true),
    col("执法证号", false),
    col("有效期起", false),
    col("有效期止", false),
];

/// The columns of the devices sheet.
pub const DEVICE_COLUMNS: &[Column] = &[
    col("设备编号", true),
    col("设备类型", true),
    col("型号", true),
    col("资产编号", false),
    col("单位", true),
    col("保管人", true),
];

/// Raw rows of text, each with its spreadsheet row number; blank rows left out.
fn raw_rows(bytes: &[u8]) -> Result<Vec<(usize, Vec<String>)>, SheetError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(SheetError::Unreadable("文件是空的".into()));
    }
    if bytes.starts_with(b"PK\x03\x04") {
        return xlsx_rows(bytes);
    }
    if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        return Err(SheetError::Unreadable(
            "这是旧版 Excel（.xls）文件：请在 Excel 中另存为 .xlsx 或 CSV 后再导入".into(),
        ));
    }
    csv_rows(&decode_text(bytes)?)
}

/// CSV text: UTF-8 (a BOM is dropped), else GB18030 (which GBK is a part of).
fn decode_text(bytes: &[u8]) -> Result<String, SheetError> {
    let not_text = || {
        SheetError::Unreadable(
            "不是 xlsx 文件，也不是 UTF-8 或 GBK 编码的 CSV 文本：请在 Excel 中另存为 .xlsx 或 CSV"
                .into(),
        )
    };
    if bytes.contains(&0) {
        return Err(not_text());
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if let Ok(s) = std::str::from_utf8(bytes) {
        return Ok(s.to_string());
    }
    encoding_rs::GB18030
        .decode_without_bom_handling_and_without_replacement(bytes)
        .map(|s| s.into_owned())
        .ok_or_else(not_text)
}

fn csv_rows(text: &str) -> Result<Vec<(usize, Vec<String>)>, SheetError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut out = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| {
            let at = e
                .position()
                .map(|p| format!("第 {} 行：", p.line()))
                .unwrap_or_default();
            SheetError::Unreadable(format!("CSV 格式有误：{at}{e}"))
        })?;
        let number = record.position().map_or(out.len() + 1, |p| {
            usize::try_from(p.line()).unwrap_or(usize::MAX)
        });
        push_row(
            &mut out,
            number,
            record.iter().map(str::to_string).collect(),
        )?;
    }
    Ok(out)
}

fn push_row(
    out: &mut Vec<(usize, Vec<String>)>,
    number: usize,
    cells: Vec<String>,
) -> Result<(), SheetError> {
    if cells.iter().all(|c| c.trim().is_empty()) {
        return Ok(());
    }
    // The header and MAX_ROWS data rows.
    if out.len() > MAX_ROWS {
        return Err(SheetError::Unreadable(format!(
            "行数过多：一次最多导入 {MAX_ROWS} 行，请分成几个文件"
        )));
    }
    out.push((number, cells));
    Ok(())
}

fn xlsx_rows(bytes: &[u8]) -> Result<Vec<(usize, Vec<String>)>, SheetError> {
    let damaged = |e: String| {
        SheetError::Unreadable(format!(
            "xlsx 文件已损坏或不完整，无法读取（{e}）：请在 Excel 中打开并重新保存后再导入"
        ))
    };
    let mut book = Xlsx::new(Cursor::new(bytes)).map_err(|e| damaged(e.to_string()))?;
    let range = match book.worksheet_range_at(0) {
        Some(r) => r.map_err(|e| damaged(e.to_string()))?,
        None => return Err(SheetError::Unreadable("xlsx 文件中没有工作表".into())),
    };
    let first = range.start().map_or(0, |(r, _)| r as usize);
    let mut out = Vec::new();
    for (i, row) in range.rows().enumerate() {
        push_row(&mut out, first + i + 1, row.iter().map(cell_text).collect())?;
    }
    Ok(out)
}

/// A cell as text: dates as YYYY-MM-DD, whole numbers without a decimal point.
fn cell_text(c: &Data) -> String {
    match c {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{f:.0}"),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => if *b { "是" } else { "否" }.to_string(),
        Data::DateTime(d) => {
            excel_date(d.as_f64()).map_or_else(|| d.to_string(), |d| d.to_string())
        }
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Error(e) => format!("#{e:?}"),
    }
}

/// The day an Excel serial date (1900 system) falls on.
fn excel_date(serial: f64) -> Option<NaiveDate> {
    if !(1.0..2_958_466.0).contains(&serial) {
        return None;
    }
    NaiveDate::from_ymd_opt(1899, 12, 30)?
        .checked_add_days(chrono::Days::new(serial.trunc() as u64))
}

/// The header (the first non-blank row) mapped onto `columns`, and the data rows after it.
pub fn rows(bytes: &[u8], columns: &'static [Column]) -> Result<Vec<Row>, SheetError> {
    let mut raw = raw_rows(bytes)?.into_iter();
    let Some((_, header)) = raw.next() else {
        return Err(SheetError::Unreadable("文件是空的".into()));
    };
    let expected = || {
        columns
            .iter()
            .map(|c| {
                if c.required {
                    c.name.to_string()
                } else {
                    format!("{}（可空）", c.name)
                }
            })
            .collect::<Vec<_>>()
            .join("、")
    };
    let mut index: Vec<Option<&'static str>> = Vec::new();
    let mut problems = Vec::new();
    for h in &header {
        let h = h.trim().trim_start_matches('\u{feff}');
        if h.is_empty() {
            index.push(None);
            continue;
        }
        match columns.iter().find(|c| c.name == h) {
            Some(c) if index.contains(&Some(c.name)) => {
                problems.push(format!("列“{h}”出现了两次"));
                index.push(None);
            }
            Some(c) => index.push(Some(c.name)),
            None => {
                problems.push(format!(
                    "不认识的列“{}”",
                    h.chars().take(32).collect::<String>()
                ));
                index.push(None);
            }
        }
    }
    let missing: Vec<&str> = columns
        .iter()
        .filter(|c| c.required && !index.contains(&Some(c.name)))
        .map(|c| c.name)
        .collect();
    if !missing.is_empty() {
        problems.push(format!("缺少列 {}", missing.join("、")));
    }
    if !problems.is_empty() {
        return Err(SheetError::Header(format!(
            "{}。第一行应为列名：{}",
            problems.join("；"),
            expected()
        )));
    }
    let mut out = Vec::new();
    for (number, cells) in raw {
        let mut map = HashMap::new();
        for (i, cell) in cells.into_iter().enumerate() {
            if let Some(Some(name)) = index.get(i) {
                map.insert(*name, cell);
            }
        }
        out.push(Row { number, cells: map });
    }
    if out.is_empty() {
        return Err(SheetError::Unreadable("只有表头，没有数据行".into()));
    }
    Ok(out)
}

/// A date cell: YYYY-MM-DD (or YYYY/MM/DD, as Excel writes it into a CSV).
fn date(row: &Row, column: &str, errors: &mut Vec<String>) -> Option<NaiveDate> {
    let v = row.get(column);
    if v.is_empty() {
        return None;
    }
    let parsed = NaiveDate::parse_from_str(v, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(v, "%Y/%m/%d"));
    match parsed {
        Ok(d) => Some(d),
        Err(_) => {
            errors.push(format!("{column}“{}”不是日期（应为 YYYY-MM-DD）", short(v)));
            None
        }
    }
}

fn short(v: &str) -> String {
    let s: String = v.chars().take(32).collect();
    if s.chars().any(char::is_control) {
        format!("{s:?}")
    } else {
        s
    }
}

fn required(row: &Row, columns: &[Column], errors: &mut Vec<String>) {
    for c in columns.iter().filter(|c| c.required) {
        if row.get(c.name).is_empty() {
            errors.push(format!("{}为空", c.name));
        }
    }
}

/// Roles as a person types several in one cell: separated by `,` `，` `、` or spaces.
pub fn split_roles(cell: &str) -> Vec<String> {
    cell.split([',', '，', '、', ';', '；', ' ', '\u{3000}'])
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(|r| {
            // A fixed role may be written by its Chinese label (执法人员) as well as its id.
            FixedRole::ALL
                .iter()
                .find(|f| f.label() == r)
                .map_or_else(|| r.to_string(), |f| f.as_str().to_string())
        })
        .collect()
}

/// Records the first row of each key and reports the later ones.
fn duplicate(
    seen: &mut HashMap<String, usize>,
    key: &str,
    what: &str,
    row: usize,
) -> Option<String> {
    if key.is_empty() {
        return None;
    }
    match seen.get(key) {
        Some(first) => Some(format!("{what}“{}”与第 {first} 行重复", short(key))),
        None => {
            seen.insert(key.to_string(), row);
            None
        }
    }
}

/// The users a sheet asks to register, by row; every row's form checked (required cells,
/// dates, ids repeated within the file). The use case checks the rest.
pub fn users(bytes: &[u8]) -> Result<Vec<(usize, NewUser)>, SheetError> {
    let (out, failed) = users_and_errors(bytes)?;
    finish(out, failed)
}

/// The users of every row, and the rows whose form failed (the import checks the others further
/// and reports both together).
pub(crate) fn users_and_errors(bytes: &[u8]) -> Result<Checked<NewUser>, SheetError> {
    let mut out = Vec::new();
    let mut failed = Vec::new();
    let mut seen = HashMap::new();
    for row in rows(bytes, USER_COLUMNS)? {
        let mut errors = Vec::new();
        required(&row, USER_COLUMNS, &mut errors);
        errors.extend(duplicate(&mut seen, row.get("编号"), "编号", row.number));
        let from = date(&row, "有效期起", &mut errors);
        let to = date(&row, "有效期止", &mut errors);
        let user = NewUser {
            id: row.get("编号").to_string(),
            name: row.get("姓名").to_string(),
            unit: row.get("单位").to_string(),
            roles: split_roles(row.get("角色")),
            clearances: Vec::new(),
            certificate: Some(row.get("执法证号").to_string()).filter(|c| !c.is_empty()),
            certificate_from: from,
            certificate_to: to,
            password: None,
        };
        report(&mut failed, row.number, errors);
        out.push((row.number, user));
    }
    Ok((out, failed))
}

/// The devices a sheet asks to register, by row (see [`users`]).
pub fn devices(bytes: &[u8]) -> Result<Vec<(usize, NewDevice)>, SheetError> {
    let (out, failed) = devices_and_errors(bytes)?;
    finish(out, failed)
}

/// The devices of every row, and the rows whose form failed (see [`users_and_errors`]).
pub(crate) fn devices_and_errors(bytes: &[u8]) -> Result<Checked<NewDevice>, SheetError> {
    let mut out = Vec::new();
    let mut failed = Vec::new();
    let mut seen = HashMap::new();
    for row in rows(bytes, DEVICE_COLUMNS)? {
        let mut errors = Vec::new();
        required(&row, DEVICE_COLUMNS, &mut errors);
        errors.extend(duplicate(
            &mut seen,
            row.get("设备编号"),
            "设备编号",
            row.number,
        ));
        let device = NewDevice {
            serial: row.get("设备编号").to_string(),
            kind: row.get("设备类型").to_string(),
            model: row.get("型号").to_string(),
            unit: row.get("单位").to_string(),
            keeper: row.get("保管人").to_string(),
            asset_no: Some(row.get("资产编号").to_string()).filter(|a| !a.is_empty()),
        };
        report(&mut failed, row.number, errors);
        out.push((row.number, device));
    }
    Ok((out, failed))
}

fn report(failed: &mut Vec<RowError>, row: usize, errors: Vec<String>) {
    if !errors.is_empty() {
        failed.push(RowError {
            row,
            message: errors.join("；"),
        });
    }
}

fn finish<T>(out: Vec<T>, failed: Vec<RowError>) -> Result<Vec<T>, SheetError> {
    if failed.is_empty() {
        Ok(out)
    } else {
        Err(SheetError::Rows(failed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use zhilu_export::sheet::{Cell, Sheet, xlsx as workbook};

    const HEADER: [&str; 7] = [
        "编号",
        "姓名",
        "单位",
        "角色",
        "执法证号",
        "有效期起",
        "有效期止",
    ];

    /// A workbook as the product writes one (`zhilu_export::sheet`), the last cell of the first
    /// row a real date cell when `date_cell`.
    fn xlsx(rows: &[&[&str]], date_cell: bool) -> Vec<u8> {
        let mut sheet = Sheet::new("用户", &HEADER.map(|h| (h, 12)));
        sheet.rows = rows
            .iter()
            .map(|r| r.iter().map(|v| Cell::text(*v)).collect())
            .collect();
        if date_cell {
            let first = &mut sheet.rows[0];
            first.resize(HEADER.len(), Cell::Empty);
            first[6] = Cell::Date(NaiveDate::from_ymd_opt(2029, 12, 31).unwrap());
        }
        workbook(&[sheet]).unwrap()
    }

    #[test]
    fn identity_users_from_a_real_xlsx_with_a_date_cell() {
        let bytes = xlsx(
            &[
                &[
                    "000123",
                    "张伟",
                    "一大队",
                    "officer、unit_head",
                    "ZF-1",
                    "2024-01-01",
                ],
                &[],
                &["000124", "李强", "一大队", "执法人员", "", "", ""],
            ],
            true,
        );
        let users = users(&bytes).unwrap();
        assert_eq!(users.len(), 2);
        let (row, u) = &users[0];
        assert_eq!(*row, 2);
        assert_eq!(u.id, "000123");
        assert_eq!(u.roles, ["officer", "unit_head"]);
        assert_eq!(u.certificate.as_deref(), Some("ZF-1"));
        assert_eq!(u.certificate_from, NaiveDate::from_ymd_opt(2024, 1, 1));
        assert_eq!(u.certificate_to, NaiveDate::from_ymd_opt(2029, 12, 31));
        // The blank row is skipped, but numbers stay those of the spreadsheet.
        assert_eq!(users[1].0, 4);
        assert_eq!(users[1].1.roles, ["officer"]);
        assert_eq!(users[1].1.certificate, None);
    }

    #[test]
    fn identity_gbk_csv_as_excel_saves_it_and_utf8_with_bom() {
        let text = "编号,姓名,单位,角色\n000123,张伟,综合执法一大队,\"officer，custodian\"\n";
        let (gbk, _, lossy) = encoding_rs::GBK.encode(text);
        assert!(!lossy);
        assert!(std::str::from_utf8(&gbk).is_err());
        let users_gbk = users(&gbk).unwrap();
        assert_eq!(users_gbk[0].1.name, "张伟");
        assert_eq!(users_gbk[0].1.unit, "综合执法一大队");
        assert_eq!(users_gbk[0].1.roles, ["officer", "custodian"]);
        let mut bom = b"\xEF\xBB\xBF".to_vec();
        bom.extend_from_slice(text.as_bytes());
        assert_eq!(users(&bom).unwrap()[0].1.name, "张伟");
    }

    #[test]
    fn identity_markup_in_a_name_is_kept_as_text() {
        let csv = "编号,姓名,单位,角色\n000125,<script>alert(1)</script>,一大队,officer\n";
        let users = users(csv.as_bytes()).unwrap();
        assert_eq!(users[0].1.name, "<script>alert(1)</script>");
    }

    #[test]
    fn identity_wrong_header_is_refused_naming_the_columns() {
        let csv = "工号,姓名,单位,Role\n000123,张伟,一大队,officer\n";
        let e = users(csv.as_bytes()).unwrap_err();
        let SheetError::Header(m) = &e else {
            panic!("{e:?}")
        };
        assert!(m.contains("不认识的列“工号”"), "{m}");
        assert!(m.contains("缺少列 编号、角色"), "{m}");
        assert_eq!(e.code(), "sheet_header");
        let twice = "编号,编号,姓名,单位,角色\n";
        assert!(
            matches!(users(twice.as_bytes()), Err(SheetError::Header(m)) if m.contains("两次"))
        );
    }

    #[test]
    fn identity_empty_files_are_refused() {
        for bytes in [
            &b""[..],
            b"  \n",
            b"\xEF\xBB\xBF",
            "编号,姓名,单位,角色\n".as_bytes(),
        ] {
            let e = users(bytes).unwrap_err();
            assert!(matches!(e, SheetError::Unreadable(_)), "{bytes:?}: {e:?}");
        }
    }

    #[test]
    fn identity_every_failing_row_is_reported_with_its_number() {
        let csv = "编号,姓名,单位,角色,执法证号,有效期起,有效期止\n\
                   000123,张伟,一大队,officer,,,\n\
                   000124,,一大队,officer,,2024-13-01,\n\
                   000123,王五,一大队,officer,,,\n\
                   000126,赵六,一大队,,,,\n";
        let Err(SheetError::Rows(rows)) = users(csv.as_bytes()) else {
            panic!("rows should fail")
        };
        let lines: Vec<String> = rows.iter().map(ToString::to_string).collect();
        assert_eq!(lines.len(), 3, "{lines:?}");
        assert!(lines[0].starts_with("第 3 行：") && lines[0].contains("姓名为空"));
        assert!(lines[0].contains("有效期起“2024-13-01”不是日期"));
        assert!(lines[1].starts_with("第 4 行：") && lines[1].contains("与第 2 行重复"));
        assert!(lines[2].starts_with("第 5 行：") && lines[2].contains("角色为空"));
    }

    #[test]
    fn identity_truncated_xlsx_and_binary_are_refused_in_chinese() {
        let whole = xlsx(&[&["000123", "张伟", "一大队", "officer"]], false);
        for cut in [whole.len() / 2, 30, whole.len() - 10] {
            let e = users(&whole[..cut]).unwrap_err();
            assert!(
                matches!(&e, SheetError::Unreadable(m) if m.contains("xlsx 文件已损坏")),
                "{cut}: {e:?}"
            );
        }
        assert!(matches!(
            users(&[0xD0, 0xCF, 0x11, 0xE0, 0, 0]),
            Err(SheetError::Unreadable(m)) if m.contains(".xls")
        ));
        assert!(matches!(
            users(&[0xFF, 0xFE, 0, 0x41]),
            Err(SheetError::Unreadable(_))
        ));
    }

    #[test]
    fn r1_devices_sheet_with_duplicate_serials() {
        let csv = "设备编号,设备类型,型号,资产编号,单位,保管人\n\
                   DSJ-01,执法记录仪,V9,ZC-1,一大队,张伟\n\
                   DSJ-02,执法记录仪,V9,,一大队,张伟\n\
                   DSJ-01,执法记录仪,V9,,一大队,张伟\n";
        let Err(SheetError::Rows(rows)) = devices(csv.as_bytes()) else {
            panic!("duplicate should fail")
        };
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].row, 4);
        let ok = devices(&csv.as_bytes()[..csv.rfind("DSJ-01").unwrap()]).unwrap();
        assert_eq!(ok.len(), 2);
        assert_eq!(ok[0].1.asset_no.as_deref(), Some("ZC-1"));
        assert_eq!(ok[1].1.asset_no, None);
    }
}
