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
    assert_eq!(note, PINNED_NOTE);
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

/// Ed25519 public key of seed [1; 32] is 8a88e3dd…0f6f5c (RFC 8032 derivation). This line, the
/// key id and the note below were produced independently of this crate, with OpenSSL 3
/// (`openssl pkeyutl -sign -rawin` on the body, key id via Python's hashlib), so they pin the
/// format and the signature bytes, not merely this implementation's current output.
const PINNED_VKEY: &str = "zhilu-ledger+1087bc25+AYqI4910CfGV/VLbLTy6XXLKZwm/HZQSG/N0iAG0D29c";

const PINNED_NOTE: &str = "zhilu.ledger/v1 test\n42\nBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=\n\n\u{2014} zhilu-ledger EIe8JWmZwIxDGzxQLR5o7fjHI+5CJG8F1yEtBFCeg1+h2HWYgLJA/jkKUhdnzuhvc48v1ligmY8/U7hAJcBiXQWM2gc=\n";

#[test]
fn x1_pinned_note_verifies_and_every_single_byte_change_is_refused() {
    let vk = VerifyingKey::parse(PINNED_VKEY).expect("vkey");
    assert_eq!(vk.name(), "zhilu-ledger");
    assert_eq!(vk.key_id(), [0x10, 0x87, 0xbc, 0x25]);
    assert_eq!(vk.kind(), SignatureKind::Ed25519);
    assert_eq!(
        verify_checkpoint(PINNED_NOTE, &vk).expect("verify"),
        cp(HashAlg::Sha256)
    );
    let bytes = PINNED_NOTE.as_bytes();
    for i in 0..bytes.len() {
        let mut b = bytes.to_vec();
        b[i] ^= 0x01;
        assert!(
            verify_checkpoint_bytes(&b, &vk).is_err(),
            "byte {i} changed and still verified"
        );
    }
    // Every truncation is refused too, with a format error or a missing signature.
    for end in 0..bytes.len() {
        let r = verify_checkpoint_bytes(&bytes[..end], &vk);
        assert!(
            matches!(
                r,
                Err(LedgerError::Malformed(_)) | Err(LedgerError::NoSignatureByKey(_))
            ),
            "truncated at {end}: {r:?}"
        );
    }
}

#[test]
fn x1_non_utf8_and_control_characters_are_malformed() {
    let vk = VerifyingKey::parse(PINNED_VKEY).expect("vkey");
    let mut b = PINNED_NOTE.as_bytes().to_vec();
    b[3] = 0xFF;
    assert!(matches!(
        verify_checkpoint_bytes(&b, &vk),
        Err(LedgerError::Malformed(_))
    ));
    assert!(matches!(
        verify_checkpoint_bytes(&[0xC3], &vk),
        Err(LedgerError::Malformed(_))
    ));
    assert!(matches!(
        verify_checkpoint(&PINNED_NOTE.replacen('\n', "\r\n", 1), &vk),
        Err(LedgerError::Malformed(_))
    ));
    assert!(matches!(
        Checkpoint::parse_body("o\t1\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n"),
        Err(LedgerError::Malformed(_))
    ));
}

#[test]
fn x1_other_signatures_are_ignored_but_bounded() {
    let key =
        SigningKey::from_seed(SignatureKind::Ed25519, "zhilu-ledger", [1u8; 32]).expect("key");
    let witness = SigningKey::from_seed(SignatureKind::Ed25519, "witness", [2u8; 32]).expect("key");
    let note = key.sign(&cp(HashAlg::Sha256)).expect("sign");
    let witnessed = witness.sign(&cp(HashAlg::Sha256)).expect("sign");
    let extra_line = &witnessed[witnessed.rfind("\n\n").expect("split") + 2..];
    // A cosigned note (another key's line before or after ours) still verifies under either key.
    let cosigned = format!("{note}{extra_line}");
    assert!(verify_checkpoint(&cosigned, &key.verifying_key()).is_ok());
    assert!(verify_checkpoint(&cosigned, &witness.verifying_key()).is_ok());
    let first = format!(
        "{}{}",
        witnessed,
        &note[note.rfind("\n\n").expect("split") + 2..]
    );
    assert!(verify_checkpoint(&first, &key.verifying_key()).is_ok());
    // More than 100 signature lines is not a note.
    let flood = format!("{note}{}", extra_line.repeat(100));
    assert!(matches!(
        verify_checkpoint(&flood, &key.verifying_key()),
        Err(LedgerError::Malformed(_))
    ));
    // A line with our name and id but a forged signature is a bad signature, not ignored.
    let forged = note.replacen("EIe8JWmZ", "EIe8JWmY", 1);
    assert_eq!(
        verify_checkpoint(&forged, &key.verifying_key()),
        Err(LedgerError::BadSignature)
    );
    assert_eq!(SignatureKind::parse("SM2"), Some(SignatureKind::Sm2));
    assert_eq!(
        SignatureKind::parse(SignatureKind::Ed25519.as_str()),
        Some(SignatureKind::Ed25519)
    );
    assert_eq!(SignatureKind::parse("rsa"), None);
    assert_eq!(key.kind(), SignatureKind::Ed25519);
}

/// The signature line's decoded blob: key id (4 bytes) then the signature.
fn signature_blob(note: &str) -> Vec<u8> {
    let line = &note[note.rfind("\n\n").expect("split") + 2..];
    let b64 = line.trim_end().rsplit(' ').next().expect("signature");
    base64::Engine::decode(&base64::engine::general_purpose::STANDARD, b64).expect("b64")
}

#[test]
fn x1_a_note_signed_with_a_nonce_made_ahead_verifies_and_no_two_share_a_nonce() {
    let key =
        SigningKey::from_seed(SignatureKind::Ed25519, "zhilu-ledger", [1u8; 32]).expect("key");
    let vk = key.verifying_key();
    let text = vk.to_string();
    let raw = base64::Engine::decode(
        &base64::engine::general_purpose::STANDARD,
        text.splitn(3, '+').nth(2).expect("three fields"),
    )
    .expect("b64");
    let public: [u8; 32] = raw[1..].try_into().expect("32 bytes");
    let independent = ed25519_dalek::VerifyingKey::from_bytes(&public).expect("public key");
    let deterministic = key.sign(&cp(HashAlg::Sha256)).expect("sign");
    assert_eq!(deterministic, PINNED_NOTE);
    let body = cp(HashAlg::Sha256).body_text();
    let mut source = key.nonce_source().expect("an Ed25519 key makes nonces");
    let mut commitments = std::collections::HashSet::new();
    for _ in 0..64 {
        // The same "random" bytes every time: the nonces must still all differ.
        let note = key
            .sign_with(&cp(HashAlg::Sha256), source.make(&[0u8; 32]))
            .expect("sign");
        assert_eq!(
            verify_checkpoint(&note, &vk).expect("verify"),
            cp(HashAlg::Sha256)
        );
        // The same note as `sign` up to the signature itself, under the same key id.
        assert_eq!(
            note[..note.len() - 93],
            deterministic[..deterministic.len() - 93]
        );
        assert_ne!(note, deterministic);
        let blob = signature_blob(&note);
        assert_eq!(
            (blob.len(), &blob[..4]),
            (68, &signature_blob(&deterministic)[..4])
        );
        // ed25519-dalek's strict RFC 8032 check accepts it too (canonical s, no small order).
        let sig = ed25519_dalek::Signature::from_slice(&blob[4..]).expect("64 bytes");
        independent
            .verify_strict(body.as_bytes(), &sig)
            .expect("ed25519-dalek verifies it");
        assert!(
            commitments.insert(blob[4..36].to_vec()),
            "a nonce commitment R came back"
        );
        // Any changed byte of the body is refused.
        let tampered = note.replacen("\n42\n", "\n43\n", 1);
        assert_eq!(
            verify_checkpoint(&tampered, &vk),
            Err(LedgerError::BadSignature)
        );
    }
}

#[test]
fn x1_a_nonce_is_refused_by_another_key_and_an_sm2_key_makes_none() {
    let key =
        SigningKey::from_seed(SignatureKind::Ed25519, "zhilu-ledger", [1u8; 32]).expect("key");
    let other =
        SigningKey::from_seed(SignatureKind::Ed25519, "zhilu-ledger", [2u8; 32]).expect("key");
    let sm2 = SigningKey::from_seed(SignatureKind::Sm2, "zhilu-sm2", [3u8; 32]).expect("key");
    let mut source = key.nonce_source().expect("source");
    assert!(matches!(
        other.sign_with(&cp(HashAlg::Sha256), source.make(&[9u8; 32])),
        Err(LedgerError::InvalidKey(m)) if m.contains("不是为此密钥生成的")
    ));
    assert!(sm2.nonce_source().is_none());
    assert!(matches!(
        sm2.sign_with(&cp(HashAlg::Sm3), source.make(&[9u8; 32])),
        Err(LedgerError::InvalidKey(m)) if m.contains("只用于 Ed25519")
    ));
    // A bad origin is refused as by `sign`.
    let mut bad = cp(HashAlg::Sha256);
    bad.origin = "a\nb".into();
    assert!(matches!(
        key.sign_with(&bad, source.make(&[9u8; 32])),
        Err(LedgerError::Malformed(_))
    ));
}

#[test]
fn x2_sm2_signed_checkpoint_round_trips() {
    let key = SigningKey::from_seed(SignatureKind::Sm2, "zhilu-sm2", [3u8; 32]).expect("key");
    let note = key.sign(&cp(HashAlg::Sm3)).expect("sign");
    let vk = VerifyingKey::parse(&key.verifying_key().to_string()).expect("parse");
    assert_eq!(vk.kind(), SignatureKind::Sm2);
    assert_eq!(key.kind(), SignatureKind::Sm2);
    // alg byte 0xFF then the 65-byte uncompressed SEC1 point: 66 bytes, 88 base64 characters.
    let text = vk.to_string();
    assert!(text.starts_with("zhilu-sm2+"), "{text}");
    let b64 = text.splitn(3, '+').nth(2).expect("three fields");
    assert_eq!(b64.len(), 88, "{text}");
    let raw = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, b64).expect("b64");
    assert_eq!(
        (raw.len(), raw[0], raw[1]),
        (66, 0xFF, 0x04),
        "alg 0xFF, SEC1 tag 0x04"
    );
    // Signature line: key id (4) + r||s (64) = 68 bytes = 92 base64 characters.
    let sig_line = &note[note.rfind("\n\n").expect("split") + 2..];
    assert_eq!(
        sig_line.trim_end().rsplit(' ').next().map(str::len),
        Some(92)
    );
    // The note names an SM3 tree.
    assert!(note.contains("\nhash: sm3\n\n"));
    // An SM2 key does not verify an Ed25519 key's note of the same name, and vice versa.
    let ed = SigningKey::from_seed(SignatureKind::Ed25519, "zhilu-sm2", [3u8; 32]).expect("key");
    assert!(matches!(
        verify_checkpoint(&ed.sign(&cp(HashAlg::Sm3)).expect("sign"), &vk),
        Err(LedgerError::NoSignatureByKey(_))
    ));
    // Seeds outside [1, n-2] are refused rather than silently changed.
    assert!(matches!(
        SigningKey::from_seed(SignatureKind::Sm2, "k", [0u8; 32]),
        Err(LedgerError::InvalidKey(_))
    ));
    assert!(matches!(
        SigningKey::from_seed(SignatureKind::Sm2, "k", [0xFFu8; 32]),
        Err(LedgerError::InvalidKey(_))
    ));
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

/// An SM2 note (seed [3; 32]) whose signature OpenSSL 3 verified independently
/// (`openssl pkeyutl -verify -rawin -digest sm3 -pkeyopt distid:1234567812345678` with the
/// public key as SM2 SPKI and `r || s` re-encoded as DER), and refused once the size was altered.
/// SM2 signatures need not be reproducible, so only verification is pinned.
const PINNED_SM2_VKEY: &str = "zhilu-sm2+3958c6ae+/wRAeAsmAFbQGqvWuZxeOPcwjJeNw85quucUkWU/3yQVF22ltgQcw9+GE45EWHZJqfrC0C7hB+t+I46d4Iq5Nqdv";
const PINNED_SM2_NOTE: &str = "zhilu.ledger/v1 test\n42\nBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=\nhash: sm3\n\n\u{2014} zhilu-sm2 OVjGrqgDb5Kh5GH/IEmI39LkG1/VIO8oPmVmX4WlwLQ+gXjKWfaPbhzWjWdLte4xAWuNQB+PLgadyFSFSQdPYMpdSM8=\n";

#[test]
fn x2_pinned_sm2_note_verifies() {
    let key = SigningKey::from_seed(SignatureKind::Sm2, "zhilu-sm2", [3u8; 32]).expect("key");
    assert_eq!(key.verifying_key().to_string(), PINNED_SM2_VKEY);
    let vk: VerifyingKey = PINNED_SM2_VKEY.parse().expect("vkey");
    assert_eq!(
        verify_checkpoint(PINNED_SM2_NOTE, &vk).expect("verify"),
        cp(HashAlg::Sm3)
    );
    for (from, to) in [("\n42\n", "\n43\n"), ("hash: sm3\n", ""), ("BwcH", "BwcI")] {
        assert_eq!(
            verify_checkpoint(&PINNED_SM2_NOTE.replacen(from, to, 1), &vk),
            Err(LedgerError::BadSignature),
            "{from:?} -> {to:?}"
        );
    }
}
