//! Arbitrary bytes through sniff and probe: must never panic, hang or allocate without bound.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = zhilu_media::sniff(&data[..data.len().min(64)]);
    let _ = zhilu_media::probe(&mut std::io::Cursor::new(data), data.len() as u64);
    let _ = zhilu_media::playability(&mut std::io::Cursor::new(data), data.len() as u64);
});
