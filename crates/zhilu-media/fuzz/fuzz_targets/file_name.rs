//! Arbitrary strings through the device file-name parser.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = zhilu_media::parse_device_file_name(s);
    }
});
