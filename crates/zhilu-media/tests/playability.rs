//! R23: which originals a browser (Debian's Chromium: H.264/AAC MP4, WAV, MP3) plays as they
//! are, and which need a viewing copy — decided from the bytes of real encoded files
//! (`scripts/make-media-fixtures.sh`), never from the name.

use std::io::Cursor;
use std::path::PathBuf;

use zhilu_media::{MediaKind, Playability, ProbeError, playability, probe};

fn bytes(name: &str) -> Vec<u8> {
    std::fs::read(
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name),
    )
    .expect("fixture")
}

fn decide(name: &str) -> Result<Playability, ProbeError> {
    let b = bytes(name);
    let len = b.len() as u64;
    playability(&mut Cursor::new(b), len)
}

fn codecs(name: &str) -> (Option<[u8; 4]>, Option<[u8; 4]>) {
    let b = bytes(name);
    let len = b.len() as u64;
    let info = probe(&mut Cursor::new(b), len).expect("probe");
    (info.video_codec, info.audio_codec)
}

#[test]
fn r23_the_sample_entry_codes_are_read_from_stsd() {
    // ffprobe: h264 (avc1) + aac (mp4a); hevc (hvc1), no audio.
    let avc = (Some(*b"avc1"), Some(*b"mp4a"));
    assert_eq!(codecs("DSJ0001_000123_20261120093000_0001.MP4"), avc);
    assert_eq!(codecs("demo_template.mp4"), avc);
    assert_eq!(codecs("clip.mov"), avc);
    assert_eq!(codecs("hevc.mp4"), (Some(*b"hvc1"), None));
    // Other formats carry no sample entries.
    assert_eq!(codecs("clip.avi"), (None, None));
}

#[test]
fn r23_h264_mp4_and_mov_wav_and_mp3_play_as_they_are() {
    for name in [
        "DSJ0001_000123_20261120093000_0001.MP4",
        "demo_template.mp4",
        "clip.mov",
        "REC_20261120_094000.WAV",
        "voice.mp3",
    ] {
        assert_eq!(decide(name).expect(name), Playability::Plays, "{name}");
    }
}

#[test]
fn r23_h265_and_avi_need_a_viewing_copy() {
    assert_eq!(decide("hevc.mp4").expect("hevc"), Playability::NeedsCopy);
    assert_eq!(decide("clip.avi").expect("avi"), Playability::NeedsCopy);
    // A cut-off AVI still gets a copy attempted (ffmpeg reads what is there).
    assert_eq!(decide("clip_cut.avi").expect("avi"), Playability::NeedsCopy);
}

#[test]
fn r23_photos_are_not_video_and_damaged_or_foreign_files_are_errors() {
    assert_eq!(decide("photo.jpg").expect("jpeg"), Playability::NotVideo);
    assert!(matches!(
        decide("DSJ0001_000123_20261120093100_0002_cut.MP4"),
        Err(ProbeError::Damaged {
            kind: MediaKind::Mp4,
            ..
        })
    ));
    assert!(matches!(decide("random.MP4"), Err(ProbeError::NotMedia)));
}

#[test]
fn r23_the_decision_follows_the_codecs_not_the_container() {
    let b = bytes("hevc.mp4");
    let len = b.len() as u64;
    let mut info = probe(&mut Cursor::new(b), len).expect("probe");
    assert_eq!(Playability::of(&info), Playability::NeedsCopy);
    for (video, audio, want) in [
        (Some(*b"avc1"), None, Playability::Plays),
        (Some(*b"avc3"), Some(*b"mp4a"), Playability::Plays),
        (Some(*b"hev1"), None, Playability::NeedsCopy),
        (Some(*b"mp4v"), None, Playability::NeedsCopy),
        (Some(*b"avc1"), Some(*b"ac-3"), Playability::NeedsCopy),
        (None, Some(*b"mp4a"), Playability::Plays),
        (None, None, Playability::NeedsCopy),
    ] {
        info.video_codec = video;
        info.audio_codec = audio;
        assert_eq!(Playability::of(&info), want, "{video:?} {audio:?}");
    }
}
