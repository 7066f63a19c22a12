//! Passwords: Argon2id PHC strings, hashed and checked off the async threads, and the minimum
//! strength a person must choose.

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier, phc::PasswordHash};

use crate::error::AppError;

/// Minimum length, in characters.
pub const MIN_LEN: usize = 10;
/// Longest accepted (Argon2 takes any length; a cap keeps a hostile body from costing time).
pub const MAX_LEN: usize = 128;

/// Refuses a password a person should not use: too short or long, fewer than three of the four
/// kinds (lower case, upper case, digits, symbols), or containing the user id.
pub fn check_strength(user: &str, password: &str) -> Result<(), AppError> {
    let n = password.chars().count();
    if n < MIN_LEN {
        return Err(AppError::WeakPassword(format!(
            "至少 {MIN_LEN} 个字符，当前 {n} 个"
        )));
    }
    if n > MAX_LEN {
        return Err(AppError::WeakPassword(format!("最多 {MAX_LEN} 个字符")));
    }
    let kinds = [
        password.chars().any(|c| c.is_ascii_lowercase()),
        password.chars().any(|c| c.is_ascii_uppercase()),
        password.chars().any(|c| c.is_ascii_digit()),
        password.chars().any(|c| !c.is_ascii_alphanumeric()),
    ]
    .iter()
    .filter(|k| **k)
    .count();
    if kinds < 3 {
        return Err(AppError::WeakPassword(
            "须包含小写字母、大写字母、数字、符号中的至少三类".into(),
        ));
    }
    if !user.is_empty() && password.to_lowercase().contains(&user.to_lowercase()) {
        return Err(AppError::WeakPassword("不能包含用户编号".into()));
    }
    Ok(())
}

/// Hashes a password (Argon2id, default parameters, random salt) on a blocking thread.
pub async fn hash(password: String) -> Result<String, AppError> {
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| AppError::WeakPassword(format!("无法计算密码摘要：{e}")))
    })
    .await
    .map_err(|e| AppError::OffloadFailed(format!("密码计算线程失败：{e}")))?
}

/// Whether `password` matches the PHC string, on a blocking thread. A malformed stored string is
/// a mismatch (and logged), never a panic.
pub async fn verify(password: String, phc: String) -> bool {
    tokio::task::spawn_blocking(move || match PasswordHash::new(&phc) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(e) => {
            tracing::warn!(error = %e, "stored password hash is malformed");
            false
        }
    })
    .await
    .unwrap_or(false)
}

/// A fresh password that meets [`check_strength`]: 16 characters from a 56-symbol alphabet
/// without look-alikes (≈ 93 bits), with every kind present.
pub fn generate() -> String {
    const LOWER: &[u8] = b"abcdefghijkmnpqrstuvwxyz";
    const UPPER: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ";
    const DIGIT: &[u8] = b"23456789";
    const ALL: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    loop {
        let mut bytes = [0u8; 16];
        if getrandom::fill(&mut bytes).is_err() {
            continue;
        }
        let mut s: String = bytes
            .iter()
            .map(|b| ALL[usize::from(*b) % ALL.len()] as char)
            .collect();
        s.push('-');
        let ok = s.bytes().any(|b| LOWER.contains(&b))
            && s.bytes().any(|b| UPPER.contains(&b))
            && s.bytes().any(|b| DIGIT.contains(&b));
        if ok {
            return s;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hash_then_verify_round_trips_and_refuses_a_wrong_password() {
        let phc = hash("Correct-horse-9".into()).await.unwrap();
        assert!(phc.starts_with("$argon2id$"));
        assert!(verify("Correct-horse-9".into(), phc.clone()).await);
        assert!(!verify("correct-horse-9".into(), phc).await);
        assert!(!verify("x".into(), "not a phc".into()).await);
    }

    #[test]
    fn strength_rules_refuse_short_simple_and_id_containing_passwords() {
        assert!(check_strength("u1", "Short-1").is_err());
        assert!(check_strength("u1", "alllowercaseletters").is_err());
        assert!(check_strength("zhang01", "Zhang01-password").is_err());
        assert!(check_strength("u1", "Good-Password-42").is_ok());
        let g = generate();
        assert!(check_strength("sysadmin", &g).is_ok(), "{g}");
    }
}
