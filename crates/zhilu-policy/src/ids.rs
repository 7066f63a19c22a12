//! Identifiers of enforcement subjects (当事人): the unified social credit code (统一社会信用代码,
//! GB 32100-2015) of an organisation, or the resident ID number (公民身份号码, GB 11643-1999) of a
//! person. Both carry a check character; [`SubjectCode::parse`] verifies it once, so everything
//! downstream takes a `SubjectCode` and never a raw string.

use chrono::NaiveDate;

/// GB 32100-2015 character set: digits and capitals without I, O, Z, S, V, in value order 0–30.
const CREDIT_CHARS: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
const CREDIT_WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];
/// GB 11643-1999 (ISO 7064 MOD 11-2).
const ID_WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const ID_CHECK: &[u8; 11] = b"10X98765432";

/// Which kind of code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SubjectCodeKind {
    CreditCode,
    ResidentId,
}

/// A subject code whose check character has been verified.
#[derive(Clone, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(into = "String")]
pub struct SubjectCode {
    kind: SubjectCodeKind,
    code: String,
}

/// Why a code was refused; the message says what to check.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SubjectCodeError {
    #[error("当事人代码应为 18 位（统一社会信用代码或公民身份号码），实为 {0} 位，请核对")]
    Length(usize),
    #[error(
        "统一社会信用代码第 {position} 位“{found}”不是允许的字符（不使用 I、O、Z、S、V），请核对证照"
    )]
    CreditChar { position: usize, found: char },
    #[error("统一社会信用代码校验位错误：应为 {expected}，实为 {found}，请核对证照")]
    CreditCheck { expected: char, found: char },
    #[error("公民身份号码第 {position} 位“{found}”不是数字，请核对身份证件")]
    IdChar { position: usize, found: char },
    #[error("公民身份号码中的出生日期 {0} 不是有效日期，请核对身份证件")]
    IdBirthDate(String),
    #[error("公民身份号码校验位错误：应为 {expected}，实为 {found}，请核对身份证件")]
    IdCheck { expected: char, found: char },
}

/// The check character of a credit code's first 17 characters, or `None` if one is not allowed.
pub fn credit_code_check_char(first17: &str) -> Option<char> {
    let b = first17.as_bytes();
    if b.len() != 17 {
        return None;
    }
    let mut sum = 0u32;
    for (i, c) in b.iter().enumerate() {
        let v = CREDIT_CHARS.iter().position(|x| x == c)? as u32;
        sum += v * CREDIT_WEIGHTS[i];
    }
    let check = (31 - sum % 31) % 31;
    Some(CREDIT_CHARS[check as usize] as char)
}

/// The check character of a resident ID number's first 17 digits, or `None` if one is not a digit.
pub fn resident_id_check_char(first17: &str) -> Option<char> {
    let b = first17.as_bytes();
    if b.len() != 17 {
        return None;
    }
    let mut sum = 0u32;
    for (i, c) in b.iter().enumerate() {
        if !c.is_ascii_digit() {
            return None;
        }
        sum += u32::from(c - b'0') * ID_WEIGHTS[i];
    }
    Some(ID_CHECK[(sum % 11) as usize] as char)
}

impl SubjectCode {
    /// Parses either kind, telling them apart by shape: 17 digits and a digit or X is a resident
    /// ID number; anything else of 18 characters is read as a credit code.
    pub fn parse(s: &str) -> Result<SubjectCode, SubjectCodeError> {
        let code: String = s.trim().to_uppercase();
        let chars: Vec<char> = code.chars().collect();
        if chars.len() != 18 {
            return Err(SubjectCodeError::Length(chars.len()));
        }
        let looks_like_id = chars[..17].iter().all(char::is_ascii_digit)
            && (chars[17].is_ascii_digit() || chars[17] == 'X')
            && !matches!(chars[0], '0' | '9');
        if looks_like_id {
            let birth = &code[6..14];
            if NaiveDate::parse_from_str(birth, "%Y%m%d").is_err() {
                return Err(SubjectCodeError::IdBirthDate(birth.to_string()));
            }
            let expected = resident_id_check_char(&code[..17]).unwrap_or('?');
            if chars[17] != expected {
                return Err(SubjectCodeError::IdCheck {
                    expected,
                    found: chars[17],
                });
            }
            return Ok(SubjectCode {
                kind: SubjectCodeKind::ResidentId,
                code,
            });
        }
        if let Some((i, c)) = chars
            .iter()
            .enumerate()
            .find(|(_, c)| !CREDIT_CHARS.contains(&(**c as u32 as u8)) || !c.is_ascii())
        {
            return Err(SubjectCodeError::CreditChar {
                position: i + 1,
                found: *c,
            });
        }
        let expected = credit_code_check_char(&code[..17]).unwrap_or('?');
        if chars[17] != expected {
            return Err(SubjectCodeError::CreditCheck {
                expected,
                found: chars[17],
            });
        }
        Ok(SubjectCode {
            kind: SubjectCodeKind::CreditCode,
            code,
        })
    }

    pub fn kind(&self) -> SubjectCodeKind {
        self.kind
    }

    pub fn as_str(&self) -> &str {
        &self.code
    }

    /// For logs and lists: a resident ID number is personal data and shows only its region and
    /// last four characters; a credit code is public and shows in full.
    pub fn masked(&self) -> String {
        match self.kind {
            SubjectCodeKind::CreditCode => self.code.clone(),
            SubjectCodeKind::ResidentId => {
                format!("{}********{}", &self.code[..6], &self.code[14..])
            }
        }
    }
}

impl std::fmt::Debug for SubjectCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SubjectCode({:?}, {})", self.kind, self.masked())
    }
}

impl std::fmt::Display for SubjectCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.code)
    }
}

impl From<SubjectCode> for String {
    fn from(c: SubjectCode) -> String {
        c.code
    }
}
