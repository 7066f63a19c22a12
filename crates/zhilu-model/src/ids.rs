//! Typed identifiers. Each is checked once where it enters the system and carried as its type, so a
//! function that takes a [`DeviceSerial`] never has to wonder whether it is safe in a file name, a
//! ledger subject or a spreadsheet cell.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize};

/// Why an identifier was refused. Chinese, because it reaches the person who typed it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("不能为空")]
    Empty,
    #[error("不能超过 {max} 个字符")]
    TooLong { max: usize },
    #[error("含有不允许的字符 {0:?}：只能使用字母、数字、-、_、.")]
    BadChar(char),
    #[error("不能以 . 开头")]
    LeadingDot,
    #[error("应为 64 位十六进制数（SHA-256 / SM3 哈希值）")]
    NotHash,
    #[error("哈希前缀至少需要 {min} 位十六进制数字（收到 {got} 位）")]
    PrefixTooShort { min: usize, got: usize },
    #[error("哈希前缀只能包含十六进制数字 0-9、a-f")]
    PrefixNotHex,
}

/// The longest identifier accepted: long enough for any serial or UUID, short enough for a label.
pub const MAX_IDENT: usize = 64;

/// The identifier rules: 1–64 ASCII letters, digits, `-`, `_`, `.`, not starting with `.`.
/// Strict because identifiers end up in file names, ledger subjects and spreadsheets.
fn check_ident(s: &str) -> Result<&str, IdError> {
    if s.is_empty() {
        return Err(IdError::Empty);
    }
    if s.chars().count() > MAX_IDENT {
        return Err(IdError::TooLong { max: MAX_IDENT });
    }
    if let Some(c) = s
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
    {
        return Err(IdError::BadChar(c));
    }
    if s.starts_with('.') {
        return Err(IdError::LeadingDot);
    }
    Ok(s)
}

/// Display, `AsRef<str>`, `FromStr` and validating `Deserialize` for a string newtype whose
/// `parse` checks it.
macro_rules! string_newtype {
    ($name:ident) => {
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl FromStr for $name {
            type Err = IdError;
            fn from_str(s: &str) -> Result<Self, IdError> {
                Self::parse(s)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                Self::parse(&s).map_err(serde::de::Error::custom)
            }
        }
    };
}

macro_rules! ident_type {
    ($(#[$m:meta])* $name:ident) => {
        $(#[$m])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Checks `s` (surrounding white space ignored) against the identifier rules.
            pub fn parse(s: &str) -> Result<Self, IdError> {
                check_ident(s.trim()).map(|s| $name(s.to_string()))
            }
            pub fn as_str(&self) -> &str {
                &self.0
            }
            pub fn into_string(self) -> String {
                self.0
            }
        }

        string_newtype!($name);

        #[cfg(feature = "openapi")]
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                crate::openapi::string(
                    "编号：1–64 位字母、数字、-、_、.，不以 . 开头",
                    crate::openapi::IDENT,
                )
            }
        }

        #[cfg(feature = "openapi")]
        impl utoipa::ToSchema for $name {}
    };
}

ident_type!(
    /// A device's serial number (R1), e.g. `DSJ-2026-0001`.
    DeviceSerial
);
ident_type!(
    /// An officer's (or, later, any user's) id, e.g. the staff number `000123`.
    OfficerId
);
ident_type!(
    /// A collection station (采集站), e.g. `CJZ-01`.
    StationId
);
ident_type!(
    /// An enforcement activity, `A<yyyymmdd>-<nnn>` by the day it started.
    ActivityId
);
ident_type!(
    /// A device checkout (领用单), `CO<nnnnn>`.
    CheckoutId
);
ident_type!(
    /// A record that waits for approval and the approval itself: non-recording `NR…`,
    /// interruption `IR…`, extension `EX…`, access request `AR…`.
    RecordId
);
ident_type!(
    /// A legal hold, `H<nnnnn>`.
    HoldId
);
ident_type!(
    /// An offload session (a UUID).
    SessionId
);
ident_type!(
    /// A device lifecycle event (a UUID).
    EventId
);

fn parse_hex32(s: &str) -> Result<String, IdError> {
    let s = s.trim();
    if s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(s.to_ascii_lowercase())
    } else {
        Err(IdError::NotHash)
    }
}

fn hex32(bytes: &[u8; 32]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(64);
    for b in bytes {
        s.push(HEX[usize::from(b >> 4)] as char);
        s.push(HEX[usize::from(b & 15)] as char);
    }
    s
}

macro_rules! hash_type {
    ($(#[$m:meta])* $name:ident) => {
        $(#[$m])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// 64 hexadecimal digits, either case; kept lower-case.
            pub fn parse(s: &str) -> Result<Self, IdError> {
                parse_hex32(s).map($name)
            }
            pub fn from_bytes(bytes: &[u8; 32]) -> Self {
                $name(hex32(bytes))
            }
            pub fn as_str(&self) -> &str {
                &self.0
            }
            pub fn into_string(self) -> String {
                self.0
            }
            /// The first `n` hex digits, for display where the full value does not fit.
            pub fn short(&self, n: usize) -> &str {
                &self.0[..n.min(self.0.len())]
            }
        }

        string_newtype!($name);

        #[cfg(feature = "openapi")]
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                crate::openapi::string(
                    "哈希值：64 位小写十六进制数",
                    crate::openapi::HEX32,
                )
            }
        }

        #[cfg(feature = "openapi")]
        impl utoipa::ToSchema for $name {}
    };
}

hash_type!(
    /// The SHA-256 of a stored original, in hex: the object's name in the vault and the
    /// recording's identity everywhere.
    Sha256
);
hash_type!(
    /// The SM3 (GB/T 32905) of a stored original, in hex (X2).
    Sm3
);

/// A unique prefix of a SHA-256, as people copy it from a list: at least
/// [`HashPrefix::MIN`] hex digits. The store resolves it to one recording or says why not.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct HashPrefix(String);

impl HashPrefix {
    /// The shortest prefix accepted: 8 hex digits, 4 × 10⁹ values, unique in any real archive
    /// while still short enough to read out over the phone.
    pub const MIN: usize = 8;

    pub fn parse(s: &str) -> Result<Self, IdError> {
        let s = s.trim();
        if !s.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(IdError::PrefixNotHex);
        }
        if s.len() < Self::MIN {
            return Err(IdError::PrefixTooShort {
                min: Self::MIN,
                got: s.len(),
            });
        }
        if s.len() > 64 {
            return Err(IdError::NotHash);
        }
        Ok(HashPrefix(s.to_ascii_lowercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The full hash, when the prefix is all 64 digits.
    pub fn complete(&self) -> Option<Sha256> {
        (self.0.len() == 64).then(|| Sha256(self.0.clone()))
    }
}

impl fmt::Display for HashPrefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r1_identifiers_refuse_traversal_markup_and_control_characters() {
        assert_eq!(
            DeviceSerial::parse(" DSJ-001 ").unwrap().as_str(),
            "DSJ-001"
        );
        for bad in [
            "", "../etc", "a/b", "a b", "x\ny", ".hidden", "设备1", "<script>",
        ] {
            assert!(DeviceSerial::parse(bad).is_err(), "{bad:?} accepted");
        }
        assert_eq!(
            OfficerId::parse(&"9".repeat(65)),
            Err(IdError::TooLong { max: 64 })
        );
    }

    #[test]
    fn x2_hashes_are_64_hex_digits_kept_lower_case() {
        let h = Sha256::parse(&"AB".repeat(32)).unwrap();
        assert_eq!(h.as_str(), "ab".repeat(32));
        assert_eq!(Sha256::from_bytes(&[0xab; 32]), h);
        assert!(Sha256::parse("abc").is_err());
        assert!(Sha256::parse(&"g".repeat(64)).is_err());
    }

    #[test]
    fn r23_a_hash_prefix_needs_eight_hex_digits() {
        assert!(HashPrefix::parse("1234567").is_err());
        assert!(HashPrefix::parse("1234567z").is_err());
        let p = HashPrefix::parse("DEADBEEF").unwrap();
        assert_eq!(p.as_str(), "deadbeef");
        assert_eq!(p.complete(), None);
        let full = "ab".repeat(32);
        assert_eq!(
            HashPrefix::parse(&full).unwrap().complete(),
            Some(Sha256::parse(&full).unwrap())
        );
    }

    #[test]
    fn r1_identifiers_deserialise_only_when_valid() {
        let ok: DeviceSerial = serde_json::from_str("\"DSJ-1\"").unwrap();
        assert_eq!(ok.as_str(), "DSJ-1");
        assert!(serde_json::from_str::<DeviceSerial>("\"../x\"").is_err());
    }
}
