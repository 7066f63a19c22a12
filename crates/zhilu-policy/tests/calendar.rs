//! The Chinese working-day calendar: built-in years match the State Council notices, working-day
//! deadlines (R17) skip holidays and count make-up working days, uncovered years are refused, and
//! broken administrator files are rejected with the date and line.

use chrono::{Datelike, NaiveDate, Weekday};
use proptest::prelude::*;
use zhilu_policy::calendar::{Calendar, CalendarError};

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn working(cal: &Calendar, s: &str) -> bool {
    cal.is_working_day(d(s)).unwrap()
}

/// All days of `year` for which `pred` holds.
fn days_of(year: i32, mut pred: impl FnMut(NaiveDate) -> bool) -> Vec<NaiveDate> {
    d(&format!("{year}-01-01"))
        .iter_days()
        .take_while(|x| x.year() == year)
        .filter(|x| pred(*x))
        .collect()
}

fn weekend(x: NaiveDate) -> bool {
    matches!(x.weekday(), Weekday::Sat | Weekday::Sun)
}

#[test]
fn builtin_parses_and_covers_2019_to_2026_with_notice_numbers() {
    let cal = Calendar::builtin();
    assert_eq!(cal.years(), (2019..=2026).collect::<Vec<_>>());
    let expected = [
        (2019, "国办发明电〔2018〕15号"),
        (2020, "国办发明电〔2019〕16号"),
        (2021, "国办发明电〔2020〕27号"),
        (2022, "国办发明电〔2021〕11号"),
        (2023, "国办发明电〔2022〕16号"),
        (2024, "国办发明电〔2023〕7号"),
        (2025, "国办发明电〔2024〕12号"),
        (2026, "国办发明电〔2025〕7号"),
    ];
    for (y, notice) in expected {
        let src = cal.source(y).unwrap();
        assert!(src.contains(notice), "{y}: {src}");
    }
    assert!(cal.source(2020).unwrap().contains("国办发明电〔2020〕1号"));
    assert_eq!(cal.source(2027), None);
}

#[test]
fn builtin_make_up_working_days_per_year_match_the_notices() {
    // Weekend days worked (调休上班), counted within each calendar year, as the notices list them.
    // 2019: 2018-12-29 belongs to 2018; Labour Day as adjusted (4-28, 5-5).
    // 2020: 2-1 was cancelled by the Spring Festival extension, leaving 5.
    let cal = Calendar::builtin();
    let expected = [
        (
            2019,
            vec![
                "2019-02-02",
                "2019-02-03",
                "2019-04-28",
                "2019-05-05",
                "2019-09-29",
                "2019-10-12",
            ],
        ),
        (
            2020,
            vec![
                "2020-01-19",
                "2020-04-26",
                "2020-05-09",
                "2020-06-28",
                "2020-09-27",
                "2020-10-10",
            ],
        ),
        (
            2021,
            vec![
                "2021-02-07",
                "2021-02-20",
                "2021-04-25",
                "2021-05-08",
                "2021-09-18",
                "2021-09-26",
                "2021-10-09",
            ],
        ),
        (
            2022,
            vec![
                "2022-01-29",
                "2022-01-30",
                "2022-04-02",
                "2022-04-24",
                "2022-05-07",
                "2022-10-08",
                "2022-10-09",
            ],
        ),
        (
            2023,
            vec![
                "2023-01-28",
                "2023-01-29",
                "2023-04-23",
                "2023-05-06",
                "2023-06-25",
                "2023-10-07",
                "2023-10-08",
            ],
        ),
        (
            2024,
            vec![
                "2024-02-04",
                "2024-02-18",
                "2024-04-07",
                "2024-04-28",
                "2024-05-11",
                "2024-09-14",
                "2024-09-29",
                "2024-10-12",
            ],
        ),
        (
            2025,
            vec![
                "2025-01-26",
                "2025-02-08",
                "2025-04-27",
                "2025-09-28",
                "2025-10-11",
            ],
        ),
        (
            2026,
            vec![
                "2026-01-04",
                "2026-02-14",
                "2026-02-28",
                "2026-05-09",
                "2026-09-20",
                "2026-10-10",
            ],
        ),
    ];
    for (y, days) in expected {
        let got = days_of(y, |x| weekend(x) && cal.is_working_day(x).unwrap());
        let want: Vec<_> = days.iter().map(|s| d(s)).collect();
        assert_eq!(got, want, "{y}");
    }
}

#[test]
fn builtin_weekday_days_off_per_year_match_the_notices() {
    // Monday–Friday days off. Derived from each notice's spans by hand, independently of the data.
    let cal = Calendar::builtin();
    let expected = [
        // 1-1; 2-4..8; 4-5; 5-1..3; 6-7; 9-13; 10-1..4, 10-7
        (2019, 1 + 5 + 1 + 3 + 1 + 1 + 5),
        // 1-1; 1-24, 1-27..31 (extension adds 1-31); 4-6; 5-1, 5-4, 5-5; 6-25, 6-26; 10-1..2, 10-5..8
        (2020, 1 + 6 + 1 + 3 + 2 + 6),
        // 1-1; 2-11, 2-12, 2-15..17; 4-5; 5-3..5; 6-14; 9-20, 9-21; 10-1, 10-4..7
        (2021, 1 + 5 + 1 + 3 + 1 + 2 + 5),
        // 1-3; 1-31..2-4; 4-4, 4-5; 5-2..4; 6-3; 9-12; 10-3..7
        (2022, 1 + 5 + 2 + 3 + 1 + 1 + 5),
        // 1-2; 1-23..27; 4-5; 5-1..3; 6-22, 6-23; 9-29, 10-2..6
        (2023, 1 + 5 + 1 + 3 + 2 + 6),
        // 1-1; 2-12..16; 4-4, 4-5; 5-1..3; 6-10; 9-16, 9-17; 10-1..4, 10-7
        (2024, 1 + 5 + 2 + 3 + 1 + 2 + 5),
        // 1-1; 1-28..31, 2-3, 2-4; 4-4; 5-1, 5-2, 5-5; 6-2; 10-1..3, 10-6..8
        (2025, 1 + 6 + 1 + 3 + 1 + 6),
        // 1-1, 1-2; 2-16..20, 2-23; 4-6; 5-1, 5-4, 5-5; 6-19; 9-25; 10-1, 10-2, 10-5..7
        (2026, 2 + 6 + 1 + 3 + 1 + 1 + 5),
    ];
    for (y, n) in expected {
        let got = days_of(y, |x| !weekend(x) && !cal.is_working_day(x).unwrap());
        assert_eq!(got.len(), n, "{y}: {got:?}");
    }
}

#[test]
fn national_day_2026_is_off_and_its_make_up_days_are_worked() {
    let cal = Calendar::builtin();
    for day in 1..=7 {
        assert!(!working(&cal, &format!("2026-10-0{day}")), "2026-10-0{day}");
    }
    assert_eq!(d("2026-09-20").weekday(), Weekday::Sun);
    assert!(working(&cal, "2026-09-20"));
    assert_eq!(d("2026-10-10").weekday(), Weekday::Sat);
    assert!(working(&cal, "2026-10-10"));
    assert!(working(&cal, "2026-09-30"));
    assert!(working(&cal, "2026-10-08"));
    assert!(!working(&cal, "2026-10-11"));
}

#[test]
fn spring_festival_2026_is_nine_days_off() {
    let cal = Calendar::builtin();
    for day in 15..=23 {
        assert!(!working(&cal, &format!("2026-02-{day}")), "2026-02-{day}");
    }
    assert!(working(&cal, "2026-02-13"));
    assert!(working(&cal, "2026-02-14"));
    assert!(working(&cal, "2026-02-24"));
    assert!(working(&cal, "2026-02-28"));
}

#[test]
fn a_make_up_saturday_is_a_working_day() {
    let cal = Calendar::builtin();
    assert_eq!(d("2026-02-28").weekday(), Weekday::Sat);
    assert!(working(&cal, "2026-02-28"));
    assert!(working(&cal, "2026-05-09"));
    assert_eq!(d("2026-01-04").weekday(), Weekday::Sun);
    assert!(working(&cal, "2026-01-04"));
}

#[test]
fn an_ordinary_weekend_is_not_a_working_day() {
    let cal = Calendar::builtin();
    assert!(!working(&cal, "2026-03-07"));
    assert!(!working(&cal, "2026-03-08"));
    assert!(working(&cal, "2026-03-09"));
}

#[test]
fn covid_extension_2020_makes_31_january_and_1_february_days_off() {
    let cal = Calendar::builtin();
    assert!(!working(&cal, "2020-01-31"));
    // Saturday 1 February was a make-up working day under 国办发明电〔2019〕16号; the extension
    // (国办发明电〔2020〕1号) made it a day off.
    assert!(!working(&cal, "2020-02-01"));
    assert!(!working(&cal, "2020-02-02"));
    assert!(working(&cal, "2020-02-03"));
    assert!(working(&cal, "2020-01-19"));
}

#[test]
fn labour_day_2019_follows_the_adjustment_notice() {
    let cal = Calendar::builtin();
    for s in ["2019-05-01", "2019-05-02", "2019-05-03", "2019-05-04"] {
        assert!(!working(&cal, s), "{s}");
    }
    assert!(working(&cal, "2019-04-28"));
    assert!(working(&cal, "2019-05-05"));
}

#[test]
fn r17_two_working_days_across_national_day_2026() {
    let cal = Calendar::builtin();
    // 10-01..07 off; 10-08 (Thu) is the 1st working day, 10-09 (Fri) the 2nd.
    assert_eq!(
        cal.add_working_days(d("2026-09-30"), 2).unwrap(),
        d("2026-10-09")
    );
    // 10-10 is a make-up Saturday, so it counts as the 3rd.
    assert_eq!(
        cal.add_working_days(d("2026-09-30"), 3).unwrap(),
        d("2026-10-10")
    );
    assert_eq!(
        cal.add_working_days(d("2026-09-30"), 4).unwrap(),
        d("2026-10-12")
    );
    // Make-up Sunday 09-20 counts.
    assert_eq!(
        cal.add_working_days(d("2026-09-18"), 1).unwrap(),
        d("2026-09-20")
    );
}

#[test]
fn r17_working_days_across_spring_festival_2026() {
    let cal = Calendar::builtin();
    assert_eq!(
        cal.add_working_days(d("2026-02-13"), 1).unwrap(),
        d("2026-02-14")
    );
    assert_eq!(
        cal.add_working_days(d("2026-02-13"), 2).unwrap(),
        d("2026-02-24")
    );
    assert_eq!(
        cal.add_working_days(d("2026-02-15"), 2).unwrap(),
        d("2026-02-25")
    );
}

#[test]
fn r17_the_first_day_is_not_counted() {
    let cal = Calendar::builtin();
    // From a working Monday: the next day is the 1st.
    assert_eq!(
        cal.add_working_days(d("2026-03-02"), 1).unwrap(),
        d("2026-03-03")
    );
    // From a Friday: the weekend is skipped.
    assert_eq!(
        cal.add_working_days(d("2026-03-06"), 2).unwrap(),
        d("2026-03-10")
    );
    // From an ordinary Saturday: Monday is the 1st.
    assert_eq!(
        cal.add_working_days(d("2026-03-07"), 1).unwrap(),
        d("2026-03-09")
    );
    // Zero working days ends with the day itself.
    assert_eq!(
        cal.add_working_days(d("2026-10-03"), 0).unwrap(),
        d("2026-10-03")
    );
}

#[test]
fn r17_working_days_across_new_year_2026() {
    let cal = Calendar::builtin();
    // 2026-01-01..03 off; Sunday 01-04 is worked.
    assert_eq!(
        cal.add_working_days(d("2025-12-31"), 1).unwrap(),
        d("2026-01-04")
    );
    assert_eq!(
        cal.add_working_days(d("2025-12-31"), 2).unwrap(),
        d("2026-01-05")
    );
}

#[test]
fn r17_deadline_running_into_an_uncovered_year_is_refused() {
    let cal = Calendar::builtin();
    assert_eq!(
        cal.add_working_days(d("2026-12-31"), 1),
        Err(CalendarError::YearNotCovered(2027))
    );
    assert_eq!(
        cal.add_working_days(d("2026-12-30"), 2),
        Err(CalendarError::YearNotCovered(2027))
    );
    assert_eq!(
        cal.add_working_days(d("2026-12-30"), 1).unwrap(),
        d("2026-12-31")
    );
}

#[test]
fn year_not_covered_is_an_error_with_a_chinese_message() {
    let cal = Calendar::builtin();
    let e = cal.is_working_day(d("2027-01-04")).unwrap_err();
    assert_eq!(e, CalendarError::YearNotCovered(2027));
    assert_eq!(
        e.to_string(),
        "日历未包含 2027 年，请管理员导入该年的节假日安排"
    );
    assert_eq!(
        cal.is_working_day(d("2018-06-01")),
        Err(CalendarError::YearNotCovered(2018))
    );
    assert_eq!(
        Calendar::default().add_working_days(d("2026-03-02"), 1),
        Err(CalendarError::YearNotCovered(2026))
    );
}

const Y2027: &str = r#"
[years.2027]
source = "测试用"
holidays = ["2027-01-01", "2027-03-01"]
workdays = ["2027-03-06"]
"#;

#[test]
fn an_admin_loaded_year_extends_and_replaces_by_merge() {
    let mut cal = Calendar::builtin();
    cal.merge(Calendar::from_toml(Y2027).unwrap());
    assert_eq!(cal.years(), (2019..=2027).collect::<Vec<_>>());
    assert!(!working(&cal, "2027-03-01"));
    assert!(working(&cal, "2027-03-06"));
    assert!(working(&cal, "2027-03-02"));
    assert_eq!(cal.source(2027), Some("测试用"));
    assert_eq!(
        cal.add_working_days(d("2026-12-31"), 1).unwrap(),
        d("2027-01-04")
    );

    // Replacing a year drops the old arrangement entirely.
    let fix = Calendar::from_toml("[years.2026]\nsource = \"更正\"\nholidays = [\"2026-01-01\"]\n")
        .unwrap();
    cal.merge(fix);
    assert!(working(&cal, "2026-10-08"));
    assert!(working(&cal, "2026-10-02"));
    assert!(!working(&cal, "2026-10-10"));
    assert_eq!(cal.source(2026), Some("更正"));
}

#[test]
fn an_empty_file_has_no_years() {
    assert_eq!(Calendar::from_toml("").unwrap().years(), Vec::<i32>::new());
}

fn invalid(src: &str) -> (i32, String) {
    match Calendar::from_toml(src) {
        Err(CalendarError::Invalid { year, message }) => (year, message),
        other => panic!("expected Invalid, got {other:?}"),
    }
}

fn parse_err(src: &str) -> (Option<usize>, String) {
    match Calendar::from_toml(src) {
        Err(CalendarError::Parse { line, message }) => (line, message),
        other => panic!("expected Parse, got {other:?}"),
    }
}

#[test]
fn from_toml_rejects_a_date_outside_its_year() {
    let src =
        "[years.2027]\nsource = \"x\"\nholidays = [\n  \"2027-01-01\",\n  \"2028-01-01\",\n]\n";
    let (year, msg) = invalid(src);
    assert_eq!(year, 2027);
    assert!(
        msg.contains("第 5 行") && msg.contains("2028-01-01") && msg.contains("不属于 2027 年"),
        "{msg}"
    );
    let e = Calendar::from_toml(src).unwrap_err().to_string();
    assert!(e.starts_with("2027 年的节假日安排有误："), "{e}");
}

#[test]
fn from_toml_rejects_a_date_both_holiday_and_workday() {
    let src =
        "[years.2027]\nsource = \"x\"\nholidays = [\"2027-03-06\"]\nworkdays = [\"2027-03-06\"]\n";
    let (year, msg) = invalid(src);
    assert_eq!(year, 2027);
    assert!(
        msg.contains("第 4 行") && msg.contains("2027-03-06") && msg.contains("同时"),
        "{msg}"
    );
}

#[test]
fn from_toml_rejects_a_workday_that_is_not_a_weekend() {
    // 2027-03-03 is a Wednesday.
    let src =
        "[years.2027]\nsource = \"x\"\nholidays = [\"2027-01-01\"]\nworkdays = [\"2027-03-03\"]\n";
    let (year, msg) = invalid(src);
    assert_eq!(year, 2027);
    assert!(
        msg.contains("第 4 行") && msg.contains("2027-03-03") && msg.contains("星期三"),
        "{msg}"
    );
}

#[test]
fn from_toml_rejects_malformed_dates_with_the_line() {
    for bad in [
        "2027-02-30",
        "2027-1-04",
        "2027/01/04",
        "20270104",
        "+2027-01-04",
        "",
    ] {
        let src =
            format!("[years.2027]\nsource = \"x\"\nholidays = [\"2027-01-01\",\n \"{bad}\"]\n");
        let (line, msg) = parse_err(&src);
        assert_eq!(line, Some(4), "{bad}");
        assert!(
            msg.contains(&format!("“{bad}”")) && msg.contains("YYYY-MM-DD"),
            "{msg}"
        );
        let shown = Calendar::from_toml(&src).unwrap_err().to_string();
        assert!(shown.starts_with("日历文件第 4 行有误："), "{shown}");
    }
}

#[test]
fn from_toml_rejects_bad_toml_bad_keys_and_missing_fields() {
    // Syntax error: line reported.
    let (line, _) = parse_err("[years.2027]\nsource = \"x\"\nholidays = [\"2027-01-01\"\n");
    assert!(line.is_some());
    // Unknown field (e.g. a typo) is not silently ignored.
    let (line, msg) = parse_err("[years.2027]\nsource = \"x\"\nholiday = [\"2027-01-01\"]\n");
    assert_eq!(line, Some(3), "{msg}");
    // Not a year.
    let (line, msg) = parse_err("[years.abc]\nsource = \"x\"\nholidays = [\"2027-01-01\"]\n");
    assert_eq!(line, Some(1));
    assert!(msg.contains("abc"), "{msg}");
    // Unquoted TOML dates are refused (one spelling only).
    assert!(matches!(
        Calendar::from_toml("[years.2027]\nsource = \"x\"\nholidays = [2027-01-01]\n"),
        Err(CalendarError::Parse { .. })
    ));
    // No notice cited.
    let (year, msg) = invalid("[years.2027]\nholidays = [\"2027-01-01\"]\n");
    assert_eq!(year, 2027);
    assert!(msg.contains("source"), "{msg}");
    // No days off at all.
    let (_, msg) = invalid("[years.2027]\nsource = \"x\"\nworkdays = [\"2027-03-06\"]\n");
    assert!(msg.contains("没有任何放假日期"), "{msg}");
}

proptest! {
    /// R17: the result is a working day, strictly after `from`, and exactly `n` working days lie in
    /// (from, result].
    #[test]
    fn r17_add_working_days_counts_exactly_n_working_days(offset in 0i64..(8 * 365), n in 0u32..40) {
        let cal = Calendar::builtin();
        let from = d("2019-01-01") + chrono::Duration::days(offset);
        match cal.add_working_days(from, n) {
            Ok(end) => {
                let counted = from.iter_days().skip(1).take_while(|x| *x <= end)
                    .filter(|x| cal.is_working_day(*x).unwrap()).count();
                prop_assert_eq!(counted, n as usize);
                if n > 0 {
                    prop_assert!(end > from);
                    prop_assert!(cal.is_working_day(end).unwrap());
                } else {
                    prop_assert_eq!(end, from);
                }
            }
            Err(e) => prop_assert_eq!(e, CalendarError::YearNotCovered(2027)),
        }
    }
}
