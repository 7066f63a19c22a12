//! Viewing copies (R23, R24): footage the browser cannot play (H.265, AVI/MJPEG) is shown from an
//! H.264 copy made once with ffmpeg, cached outside the vault and linked to the original's hash
//! in the ledger; the original is never touched, and a copy grant always downloads the original.
//!
//! Needs Debian's ffmpeg (libx264, aac): without it these tests say so and pass, unless `CI=true`.

mod common;

use std::io::Cursor;

use common::*;
use sha2::{Digest, Sha256};
use zhilu_app::testing::fixture;
use zhilu_media::{Playability, playability, probe};

const MADE: &str = "viewing_copy.made";
/// The H.265 fixture under a body camera's name.
const HEVC_NAME: &str = "DSJ0001_000123_20261120100000_0003.MP4";

fn viewing(sha: &str) -> String {
    format!("/api/v1/recordings/{sha}/viewing")
}

fn sha256(b: &[u8]) -> String {
    hex::encode(Sha256::digest(b))
}

/// Whether ffmpeg can be run; on CI it must be.
fn have_ffmpeg(test: &str) -> bool {
    let ok = std::process::Command::new("ffmpeg")
        .arg("-version")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "{test}: ffmpeg is required on CI"
        );
        eprintln!("{test}: skipped, ffmpeg is not installed");
    }
    ok
}

/// Offloads the H.265 fixture from camera DSJ0001; returns its SHA-256 and bytes.
async fn offload_hevc(env: &Env) -> (String, Vec<u8>) {
    let dir = env.t.device_dir("DSJ0001-hevc");
    std::fs::copy(fixture("hevc.mp4"), dir.join(HEVC_NAME)).expect("copy");
    common::offload_from(env.app(), dir, "CJZ-01").await;
    let bytes = std::fs::read(fixture("hevc.mp4")).expect("fixture");
    (sha256(&bytes), bytes)
}

/// The original's stored copies in every vault root: each byte-identical to what was offloaded.
fn assert_original_untouched(env: &Env, sha: &str, bytes: &[u8]) {
    let mut roots = 0;
    for root in env.app().vault().roots() {
        let Some(p) = root.local_path(sha) else {
            continue;
        };
        let stored = std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        assert!(stored == bytes, "{} differs from the original", p.display());
        assert_eq!(sha256(&stored), sha);
        roots += 1;
    }
    assert!(roots >= 1, "no local copy of the original");
}

async fn made_entries(env: &Env) -> Vec<serde_json::Value> {
    env.app()
        .catalog()
        .events_of_kinds(&[MADE])
        .await
        .expect("entries")
        .iter()
        .map(|e| e.state())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r23_h265_original_gets_a_cached_h264_viewing_copy_linked_in_the_ledger() {
    if !have_ffmpeg("r23_h265_original_gets_a_cached_h264_viewing_copy_linked_in_the_ledger") {
        return;
    }
    let env = env().await;
    let (sha, original) = offload_hevc(&env).await;
    assert_eq!(
        playability(&mut Cursor::new(&original), original.len() as u64).expect("hevc"),
        Playability::NeedsCopy
    );
    let mut officer = env.login(OFFICER).await;
    assert_eq!(officer.get(&viewing(&sha)).await.code(), "no_grant");
    granted(&env, &officer, &sha, "view").await;

    let r = officer.get(&viewing(&sha)).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let copy = r.body.to_vec();
    assert!(copy != original, "the copy is not the original");
    assert_eq!(r.header("content-type"), Some("video/mp4"));
    assert_eq!(r.header("x-zhilu-viewing-copy-of"), Some(sha.as_str()));
    let copy_sha = sha256(&copy);
    assert_ne!(copy_sha, sha);
    assert_eq!(r.header("etag"), Some(format!("\"{copy_sha}\"").as_str()));
    // H.264 the browser plays.
    let info = probe(&mut Cursor::new(&copy), copy.len() as u64).expect("the copy parses");
    assert_eq!(info.video_codec, Some(*b"avc1"));
    assert_eq!(Playability::of(&info), Playability::Plays);

    // Ranges work on the copy; a second fetch does not make it again.
    let r = officer
        .get_with(&viewing(&sha), &[("range", "bytes=100-199")])
        .await;
    assert_eq!(r.status, 206, "{}", r.text());
    assert_eq!(&r.body[..], &copy[100..200]);
    assert_eq!(
        r.header("content-range"),
        Some(format!("bytes 100-199/{}", copy.len()).as_str())
    );
    let again = officer.get(&viewing(&sha)).await;
    assert_eq!(sha256(&again.body), copy_sha);
    let made = made_entries(&env).await;
    assert_eq!(made.len(), 1, "{made:?}");
    assert_eq!(made[0]["original_sha256"], sha.as_str());
    assert_eq!(made[0]["copy_sha256"], copy_sha.as_str());
    assert_eq!(made[0]["size"], copy.len() as u64);
    assert!(
        made[0]["ffmpeg"]
            .as_str()
            .is_some_and(|v| v.starts_with("ffmpeg version")),
        "{made:?}"
    );
    assert!(made[0]["made_at"].is_string());

    // The copy is kept outside the vault, under the original's hash.
    let cached = env.t.data().join("viewing").join(format!("{sha}.mp4"));
    assert_eq!(std::fs::read(&cached).expect("cached copy"), copy);

    // The original is untouched, and `content` still serves it as it is.
    assert_original_untouched(&env, &sha, &original);
    let r = officer
        .get(&format!("/api/v1/recordings/{sha}/content"))
        .await;
    assert_eq!(r.status, 200);
    assert!(r.body[..] == original[..]);

    // The viewing is in the register under the original.
    zhilu_app::access::flush_viewings(env.app())
        .await
        .expect("flush");
    let mut custodian = env.login(CUSTODIAN).await;
    let reg = custodian.get("/api/v1/register").await;
    assert_eq!(reg.status, 200, "{}", reg.text());
    let plays: Vec<serde_json::Value> = reg
        .json()
        .as_array()
        .expect("register")
        .iter()
        .flat_map(|e| e["playbacks"].as_array().cloned().unwrap_or_default())
        .collect();
    assert!(
        plays.iter().any(|p| p["sha256"] == sha.as_str()),
        "{plays:?}"
    );
    assert!(plays.iter().all(|p| p["sha256"] != copy_sha.as_str()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r24_a_copy_grant_downloads_the_original_not_the_viewing_copy() {
    if !have_ffmpeg("r24_a_copy_grant_downloads_the_original_not_the_viewing_copy") {
        return;
    }
    let env = env().await;
    let (sha, original) = offload_hevc(&env).await;
    let mut officer = env.login(OFFICER).await;
    granted(&env, &officer, &sha, "copy").await;
    // Watching on a copy grant gets the viewing copy…
    let r = officer.get(&viewing(&sha)).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.body[..] != original[..]);
    // …downloading always gets the original, whole and by range.
    let r = officer
        .get(&format!("/api/v1/recordings/{sha}/download"))
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.body[..] == original[..], "the download is the original");
    assert_eq!(sha256(&r.body), sha);
    assert_eq!(r.header("etag"), Some(format!("\"{sha}\"").as_str()));
    assert!(r.header("x-zhilu-viewing-copy-of").is_none());
    let r = officer
        .get_with(
            &format!("/api/v1/recordings/{sha}/download"),
            &[("range", "bytes=0-63")],
        )
        .await;
    assert_eq!(r.status, 206);
    assert_eq!(&r.body[..], &original[..64]);
    assert_original_untouched(&env, &sha, &original);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r23_h264_original_is_served_as_is() {
    let env = env().await;
    let mut officer = env.login(OFFICER).await;
    granted(&env, &officer, &env.sha, "view").await;
    let r = officer.get(&viewing(&env.sha)).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.body[..] == env.bytes[..], "the original, as it is");
    assert_eq!(r.header("etag"), Some(format!("\"{}\"", env.sha).as_str()));
    assert!(r.header("x-zhilu-viewing-copy-of").is_none());
    let r = officer
        .get_with(&viewing(&env.sha), &[("range", "bytes=0-99")])
        .await;
    assert_eq!(r.status, 206);
    assert_eq!(&r.body[..], &env.bytes[..100]);
    // So is audio (the WAV), on its own grant.
    granted(&env, &officer, &env.other_sha, "view").await;
    let r = officer.get(&viewing(&env.other_sha)).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("content-type"), Some("audio/wav"));
    assert_eq!(sha256(&r.body), env.other_sha);
    assert!(made_entries(&env).await.is_empty());
    assert!(!env.t.data().join("viewing").exists());
}
