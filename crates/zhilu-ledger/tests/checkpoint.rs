//! X1/X2: signed checkpoints — exact bytes pinned, Ed25519 and SM2 signatures, every tampering refused.

use zhilu_ledger::*;

fn cp(alg: HashAlg) -> Checkpoint {
    Checkpoint {
        origin: "zhilu.ledger/v1 test".into(),
        size: 42,
        root: [7u8; 32],
        alg,
    }
}

#[test]
fn x1_checkpoint_body_bytes_are_pinned() {
    assert_eq!(
        cp(HashAlg::Sha256).body_text(),
        "zhilu.ledger/v1 test\n42\nBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=\n"
    );
    assert_eq!(
        cp(HashAlg::Sm3).body_text(),
        "zhilu.ledger/v1 test\n42\nBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=\nhash: sm3\n"
    );
    for alg in [HashAlg::Sha256, HashAlg::Sm3] {
        assert_eq!(
            Checkpoint::parse_body(&cp(alg).body_text()).expect("parse"),
            cp(alg)
        );
    }
}

#[test]
fn x1_ed25519_signed_note_is_deterministic_and_pinned() {
    let key =
        SigningKey::from_seed(SignatureKind::Ed25519, "zhilu-ledger", [1u8; 32]).expect("key");
    let note = key.sign(&cp(HashAlg::Sha256)).expect("sign");
    let vk = key.verifying_key();
    assert!(note.starts_with("zhilu.ledger/v1 test\n42\nBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=\n\n\u{2014} zhilu-ledger "));
    assert_eq!(
        note,
        key.sign(&cp(HashAlg::Sha256)).expect("sign again"),
        "Ed25519 is deterministic"
    );
    // Pinned: the public key of seed [1; 32] (RFC 8032 derivation) and its signed-note key id.
    assert_eq!(vk.to_string(), PINNED_VKEY);
    assert_eq!(
        verify_checkpoint(&note, &vk).expect("verify"),
        cp(HashAlg::Sha256)
    );
    let round = VerifyingKey::parse(&vk.to_string()).expect("parse");
    assert_eq!(round, vk);
    let secret = SigningKey::from_secret_string(&key.to_secret_string()).expect("secret");
    assert_eq!(secret.verifying_key(), vk);
    assert!(
        !format!("{key:?}").contains(&key.to_secret_string()),
        "Debug must not show the secret"
    );
}

/// Ed25519 public key of seed [1; 32] is 8a88e3dd…0f6f5c (RFC 8032 derivation).
const PINNED_VKEY: &str = "zhilu-ledger+1087bc25+AYqI4910CfGV/VLbLTy6XXLKZwm/HZQSG/N0iAG0D29c";

#[test]
fn x2_sm2_signed_checkpoint_round_trips() {
    let key = SigningKey::from_seed(SignatureKind::Sm2, "zhilu-sm2", [3u8; 32]).expect("key");
    let note = key.sign(&cp(HashAlg::Sm3)).expect("sign");
    let vk = VerifyingKey::parse(&key.verifying_key().to_string()).expect("parse");
    assert_eq!(vk.kind(), SignatureKind::Sm2);
    assert_eq!(
        verify_checkpoint(&note, &vk).expect("verify"),
        cp(HashAlg::Sm3)
    );
    let tampered = note.replacen("\n42\n", "\n43\n", 1);
    assert_eq!(
        verify_checkpoint(&tampered, &vk),
        Err(LedgerError::BadSignature)
    );
    let again = SigningKey::from_secret_string(&key.to_secret_string()).expect("secret");
    assert_eq!(again.verifying_key(), key.verifying_key());
}

#[test]
fn x1_tampered_or_malformed_notes_are_refused() {
    let key =
        SigningKey::from_seed(SignatureKind::Ed25519, "zhilu-ledger", [9u8; 32]).expect("key");
    let other =
        SigningKey::from_seed(SignatureKind::Ed25519, "zhilu-ledger", [8u8; 32]).expect("key");
    let vk = key.verifying_key();
    let note = key.sign(&cp(HashAlg::Sha256)).expect("sign");
    assert_eq!(
        verify_checkpoint(&note.replacen("\n42\n", "\n41\n", 1), &vk),
        Err(LedgerError::BadSignature)
    );
    assert_eq!(
        verify_checkpoint(&note.replacen("BwcHB", "CAcHB", 1), &vk),
        Err(LedgerError::BadSignature)
    );
    assert!(matches!(
        verify_checkpoint(&note, &other.verifying_key()),
        Err(LedgerError::NoSignatureByKey(_))
    ));
    assert!(matches!(
        verify_checkpoint(&note[..note.len() - 10], &vk),
        Err(LedgerError::Malformed(_))
    ));
    assert!(verify_checkpoint("", &vk).is_err());
    assert!(verify_checkpoint("\n\n\n", &vk).is_err());
    assert!(VerifyingKey::parse("zhilu-ledger+00000000+AQ==").is_err());
    assert!(
        VerifyingKey::parse(&vk.to_string().replacen('+', "+0", 1)).is_err(),
        "key id must match"
    );
    assert!(SigningKey::from_seed(SignatureKind::Ed25519, "bad name", [1; 32]).is_err());
    let bad_origin = Checkpoint {
        origin: "a\nb".into(),
        ..cp(HashAlg::Sha256)
    };
    assert!(key.sign(&bad_origin).is_err());
    assert!(
        Checkpoint::parse_body("o\n042\nAAAA\n").is_err(),
        "non-canonical size"
    );
}
