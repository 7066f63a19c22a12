//! R7: subject codes are checked by their check character once, at the edge.

use proptest::prelude::*;
use zhilu_policy::ids::*;

#[test]
fn r7_published_resident_id_example_is_accepted_and_masked() {
    // The example number of GB 11643-1999.
    let c = SubjectCode::parse("11010519491231002x").expect("valid");
    assert_eq!(c.kind(), SubjectCodeKind::ResidentId);
    assert_eq!(c.as_str(), "11010519491231002X");
    assert_eq!(c.masked(), "110105********002X");
    assert!(
        !format!("{c:?}").contains("19491231"),
        "Debug never shows the full ID"
    );
}

#[test]
fn r7_credit_code_with_wrong_check_digit_is_rejected() {
    // A real published code (国家市场监督管理总局 lists this format); build one with the computed check.
    let first = "91350100M000100Y4";
    let ok = format!("{first}{}", credit_code_check_char(first).unwrap());
    assert_eq!(
        SubjectCode::parse(&ok).unwrap().kind(),
        SubjectCodeKind::CreditCode
    );
    let mut bad = ok.clone();
    let last = bad.pop().unwrap();
    bad.push(if last == '0' { '1' } else { '0' });
    let e = SubjectCode::parse(&bad).unwrap_err();
    assert!(matches!(e, SubjectCodeError::CreditCheck { .. }), "{e:?}");
    assert!(e.to_string().contains("校验位"));
}

#[test]
fn r7_wrong_length_illegal_letter_and_bad_birth_date_are_rejected() {
    assert_eq!(
        SubjectCode::parse("123").unwrap_err(),
        SubjectCodeError::Length(3)
    );
    assert!(matches!(
        SubjectCode::parse("91350100I000100Y41").unwrap_err(),
        SubjectCodeError::CreditChar {
            position: 9,
            found: 'I'
        }
    ));
    let first = "11010519990230123";
    let id = format!("{first}{}", resident_id_check_char(first).unwrap());
    assert!(matches!(
        SubjectCode::parse(&id).unwrap_err(),
        SubjectCodeError::IdBirthDate(_)
    ));
}

proptest! {
    /// r7: every valid prefix with its computed check parses, and any single-character change is caught.
    #[test]
    fn r7_credit_code_single_errors_are_detected(idx in proptest::collection::vec(0usize..31, 17), pos in 1usize..18, delta in 1usize..31) {
        let chars = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
        let mut prefix: String = idx.iter().map(|i| chars[*i] as char).collect();
        // Avoid the shape of a resident ID (17 digits not starting with 0 or 9).
        prefix.replace_range(0..1, "9");
        let code = format!("{prefix}{}", credit_code_check_char(&prefix).unwrap());
        prop_assert!(SubjectCode::parse(&code).is_ok());
        let mut b: Vec<u8> = code.into_bytes();
        let cur = chars.iter().position(|c| *c == b[pos]).unwrap();
        b[pos] = chars[(cur + delta) % 31];
        let changed = String::from_utf8(b).unwrap();
        prop_assert!(SubjectCode::parse(&changed).is_err(), "{} accepted", changed);
    }
}
