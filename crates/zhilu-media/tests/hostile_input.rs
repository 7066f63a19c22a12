//! The parser never panics on hostile input: every fixture truncated at every length, and random
//! mutations of them (the same property the cargo-fuzz target explores at length).

use std::io::Cursor;
use std::path::PathBuf;

use proptest::prelude::*;
use zhilu_media::{parse_device_file_name, playability, probe, sniff};

fn fixtures() -> Vec<Vec<u8>> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut out: Vec<Vec<u8>> = std::fs::read_dir(dir)
        .expect("fixtures")
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x != "json"))
        .map(|e| std::fs::read(e.path()).expect("read"))
        .collect();
    out.sort();
    out
}

fn parse_all(b: &[u8]) {
    let _ = sniff(&b[..b.len().min(64)]);
    let _ = probe(&mut Cursor::new(b), b.len() as u64);
    // A lying length must not make it read or allocate past the stream either.
    let _ = probe(&mut Cursor::new(b), b.len() as u64 + 1_000_000_000);
    let _ = playability(&mut Cursor::new(b), b.len() as u64);
}

#[test]
fn r12_every_truncation_of_every_fixture_is_handled() {
    for f in fixtures() {
        let step = (f.len() / 200).max(1);
        for cut in (0..f.len()).step_by(step) {
            parse_all(&f[..cut]);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn r12_mutated_fixtures_never_panic(pick in any::<usize>(), flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..40)) {
        let all = fixtures();
        let mut f = all[pick % all.len()].clone();
        for (at, v) in flips {
            let n = f.len();
            if n > 0 {
                f[at % n] = v;
            }
        }
        parse_all(&f);
    }

    #[test]
    fn r12_arbitrary_bytes_and_names_never_panic(b in proptest::collection::vec(any::<u8>(), 0..2048), name in ".{0,300}") {
        parse_all(&b);
        let _ = parse_device_file_name(&name);
    }
}
