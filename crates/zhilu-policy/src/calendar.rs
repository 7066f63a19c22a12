//! R17: the official Chinese working-day calendar (法定节假日与调休), used to turn "within N working
//! days" rules into dates.
//!
//! Why data and not a rule: Chinese public holidays are not computable. Each year the State Council
//! General Office publishes a notice (国务院办公厅关于某年部分节假日安排的通知, 国办发明电〔…〕…号)
//! that moves rest days around (调休): some weekdays become days off, and some Saturdays and
//! Sundays become working days (调休上班). A naive "Monday to Friday" count is wrong several
//! times a year, exactly around the long holidays when offload deadlines are most at risk.
//!
//! The built-in years come from `data/calendar-cn.toml` (every year cites its notice). An
//! administrator loads further years (typically next year's notice, published each November or
//! December) with [`Calendar::from_toml`] and [`Calendar::merge`]. A year that is not loaded is
//! never guessed: every query for it fails with [`CalendarError::YearNotCovered`], because a
//! silently wrong deadline is worse than a finding that says the calendar is missing.
//!
//! Pure: no IO, no clock. Dates are China calendar days (UTC+8); converting instants to China days
//! is the caller's job (see `facts::local_date`).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use chrono::{Datelike, NaiveDate, Weekday};
use serde::Deserialize;
use toml::Spanned;

/// The built-in calendar data: one table per year, each citing its State Council notice.
const BUILTIN_TOML: &str = include_str!("../data/calendar-cn.toml");

/// Why a calendar could not be loaded or could not answer. Messages are Chinese because they are
/// shown to agency staff and administrators as they are.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum CalendarError {
    /// The year has no holiday arrangement loaded; the answer would be a guess.
    #[error("日历未包含 {0} 年，请管理员导入该年的节假日安排")]
    YearNotCovered(i32),
    /// The file is not valid TOML or does not have the expected shape, or a date is malformed.
    #[error("{}", parse_display(*.line, .message))]
    Parse {
        line: Option<usize>,
        message: String,
    },
    /// The file is well-formed but a year's arrangement is inconsistent.
    #[error("{year} 年的节假日安排有误：{message}")]
    Invalid { year: i32, message: String },
}

fn parse_display(line: Option<usize>, message: &str) -> String {
    match line {
        Some(l) => format!("日历文件第 {l} 行有误：{message}"),
        None => format!("日历文件有误：{message}"),
    }
}

/// One year's arrangement, as published.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Year {
    /// The notice(s) the year is taken from, e.g. "国办发明电〔2025〕7号".
    source: String,
    /// Days off: statutory holidays, 调休 rest days and the weekend days inside a holiday span.
    holidays: BTreeSet<NaiveDate>,
    /// Saturdays and Sundays that are working days (调休上班).
    workdays: BTreeSet<NaiveDate>,
}

/// The working-day calendar: the years it covers, and for each its days off and make-up working
/// days. A day is a working day iff it is a make-up working day, or it is Monday–Friday and not a
/// day off.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Calendar {
    years: BTreeMap<i32, Year>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    years: BTreeMap<Spanned<String>, RawYear>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawYear {
    source: Option<Spanned<String>>,
    #[serde(default)]
    holidays: Vec<Spanned<String>>,
    #[serde(default)]
    workdays: Vec<Spanned<String>>,
}

/// 1-based line of a byte offset in `src`.
fn line_of(src: &str, offset: usize) -> usize {
    src.get(..offset).unwrap_or(src).matches('\n').count() + 1
}

/// Parses a strict `YYYY-MM-DD` date: chrono alone would also accept `2026-1-4` or `+2026-01-04`,
/// and a calendar an administrator loads should have one spelling only.
fn parse_date(s: &str) -> Option<NaiveDate> {
    let d = NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()?;
    (s.len() == 10 && d.format("%Y-%m-%d").to_string() == s).then_some(d)
}

fn is_weekend(d: NaiveDate) -> bool {
    matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}

const WEEKDAY_ZH: [&str; 7] = [
    "星期一",
    "星期二",
    "星期三",
    "星期四",
    "星期五",
    "星期六",
    "星期日",
];

fn weekday_zh(d: NaiveDate) -> &'static str {
    WEEKDAY_ZH[d.weekday().num_days_from_monday() as usize]
}

impl Calendar {
    /// The calendar shipped with the product: every year in `data/calendar-cn.toml` (2019–2026).
    ///
    /// The data is compiled in, so this cannot fail at run time; the test suite proves the file
    /// parses and validates. Parsed once per process and cloned.
    pub fn builtin() -> Calendar {
        static BUILTIN: OnceLock<Calendar> = OnceLock::new();
        BUILTIN
            .get_or_init(|| {
                Calendar::from_toml(BUILTIN_TOML)
                    .unwrap_or_else(|e| panic!("内置日历数据无效（data/calendar-cn.toml）：{e}"))
            })
            .clone()
    }

    /// Parses one or more years from TOML, as loaded by an administrator:
    ///
    /// ```toml
    /// [years.2027]
    /// source = "国办发明电〔2026〕N号"
    /// holidays = ["2027-01-01", ...]   # every day off in a holiday span
    /// workdays = ["2027-02-20", ...]   # Saturdays/Sundays worked (调休上班)
    /// ```
    ///
    /// Everything is checked before anything is accepted, because a wrong calendar moves
    /// deadlines silently: dates must be `YYYY-MM-DD` and fall in their table's year; a day cannot
    /// be both a day off and a working day; a make-up working day must be a Saturday or Sunday
    /// (a weekday is a working day already, so listing one means the file is mistaken); each year
    /// must cite its notice (`source`) and list at least one day off. Errors name the date and,
    /// where the TOML parser gives a position, the line.
    pub fn from_toml(src: &str) -> Result<Calendar, CalendarError> {
        let raw: RawFile = toml::from_str(src).map_err(|e| CalendarError::Parse {
            line: e.span().map(|s| line_of(src, s.start)),
            message: e.message().trim().to_string(),
        })?;
        let mut years = BTreeMap::new();
        for (key, table) in raw.years {
            let key_line = line_of(src, key.span().start);
            let year = key
                .get_ref()
                .parse::<i32>()
                .ok()
                .filter(|y| (1949..=9999).contains(y) && key.get_ref().len() == 4)
                .ok_or_else(|| CalendarError::Parse {
                    line: Some(key_line),
                    message: format!("“{}”不是有效的年份，表名应为 [years.YYYY]", key.get_ref()),
                })?;
            years.insert(year, Self::check_year(src, year, key_line, table)?);
        }
        Ok(Calendar { years })
    }

    fn check_year(
        src: &str,
        year: i32,
        key_line: usize,
        raw: RawYear,
    ) -> Result<Year, CalendarError> {
        let invalid = |message: String| CalendarError::Invalid { year, message };
        let source = raw
            .source
            .map(|s| s.into_inner().trim().to_string())
            .unwrap_or_default();
        if source.is_empty() {
            return Err(invalid(format!(
                "第 {key_line} 行：缺少 source（国务院办公厅放假安排通知的文号，例如“国办发明电〔2025〕7号”）"
            )));
        }
        let dates = |list: Vec<Spanned<String>>| -> Result<Vec<(usize, NaiveDate)>, CalendarError> {
            list.into_iter()
                .map(|s| {
                    let line = line_of(src, s.span().start);
                    let d = parse_date(s.get_ref()).ok_or_else(|| CalendarError::Parse {
                        line: Some(line),
                        message: format!(
                            "日期“{}”格式无效，应为 YYYY-MM-DD 且为真实存在的日期",
                            s.get_ref()
                        ),
                    })?;
                    if d.year() != year {
                        return Err(invalid(format!(
                            "第 {line} 行：日期 {d} 不属于 {year} 年，应放在 [years.{}] 中",
                            d.year()
                        )));
                    }
                    Ok((line, d))
                })
                .collect()
        };
        let holidays = dates(raw.holidays)?;
        let workdays = dates(raw.workdays)?;
        if holidays.is_empty() {
            return Err(invalid(format!(
                "第 {key_line} 行：holidays 中没有任何放假日期，请核对通知"
            )));
        }
        let holiday_set: BTreeSet<NaiveDate> = holidays.iter().map(|&(_, d)| d).collect();
        for &(line, d) in &workdays {
            if holiday_set.contains(&d) {
                return Err(invalid(format!(
                    "第 {line} 行：{d} 同时列为放假日和调休上班日"
                )));
            }
            if !is_weekend(d) {
                return Err(invalid(format!(
                    "第 {line} 行：{d} 是{}，不是周六或周日；workdays 只应列出调休上班的周末",
                    weekday_zh(d)
                )));
            }
        }
        Ok(Year {
            source,
            holidays: holiday_set,
            workdays: workdays.into_iter().map(|(_, d)| d).collect(),
        })
    }

    /// Adds `other`'s years; a year present in both is replaced by `other`'s, so an administrator
    /// can correct a built-in year (e.g. a mid-year adjustment like 2020's extended Spring
    /// Festival) by loading it again.
    pub fn merge(&mut self, other: Calendar) {
        self.years.extend(other.years);
    }

    /// The years covered, ascending.
    pub fn years(&self) -> Vec<i32> {
        self.years.keys().copied().collect()
    }

    /// The notice(s) a covered year was taken from, for display next to a computed deadline.
    pub fn source(&self, year: i32) -> Option<&str> {
        self.years.get(&year).map(|y| y.source.as_str())
    }

    /// Whether `d` (a China calendar day) is a working day: a make-up Saturday/Sunday (调休上班),
    /// or Monday–Friday that is not a day off.
    ///
    /// Fails with [`CalendarError::YearNotCovered`] if `d`'s year is not loaded, even for a
    /// weekday that "obviously" works: without the year's notice nobody knows.
    pub fn is_working_day(&self, d: NaiveDate) -> Result<bool, CalendarError> {
        let y = self
            .years
            .get(&d.year())
            .ok_or(CalendarError::YearNotCovered(d.year()))?;
        Ok(y.workdays.contains(&d) || (!is_weekend(d) && !y.holidays.contains(&d)))
    }

    /// The China calendar day on which a period of `n` working days that starts on `from` ends:
    /// the n-th working day strictly after `from`. The deadline instant is the END of that day,
    /// 24:00 China time (UTC+8) — i.e. 00:00 of the following day.
    ///
    /// Why this interpretation: it is how 期间 are counted in Chinese administrative law (e.g.
    /// 《行政处罚法》《行政诉讼法》《民事诉讼法》: 期间开始的时和日，不计算在期间内). The day of `from`
    /// is never counted, whatever the hour of `from` and whether or not that day is a working day;
    /// days off (weekends, holidays, 调休 rest days) are skipped, and make-up working days (调休上班)
    /// count. So work ending on 2026-09-30 with "2 working days" ends at 24:00 on 2026-10-09:
    /// 10-01..07 are National Day, 10-08 is the 1st working day and 10-09 the 2nd.
    ///
    /// `n == 0` returns `from` itself (the deadline is the end of that same day) without needing the
    /// calendar. Fails with [`CalendarError::YearNotCovered`] as soon as the count reaches a day
    /// whose year is not loaded, so a period running past the last loaded year is never guessed.
    pub fn add_working_days(&self, from: NaiveDate, n: u32) -> Result<NaiveDate, CalendarError> {
        let mut day = from;
        let mut left = n;
        while left > 0 {
            day = day
                .succ_opt()
                .ok_or(CalendarError::YearNotCovered(day.year().saturating_add(1)))?;
            if self.is_working_day(day)? {
                left -= 1;
            }
        }
        Ok(day)
    }
}
