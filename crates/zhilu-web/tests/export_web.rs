//! Evidence packages from the API and the grants page (R22, X3): the grant's holder makes the
//! package on the server, downloads its disc image, and the image is what the ledger says and
//! checks with tools that are not ours (xorriso, the package's own verify.py, bagit-python);
//! anyone else is refused and nothing is written.

mod common;

use std::path::Path;
use std::process::Command;

use bytes::Bytes;
use common::*;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

fn body(grant: &str) -> Value {
    json!({
        "grant": grant,
        "maker": "周明",
        "extractor": "李强",
        "reason": "移送法院作为证据",
        "case": "（2026）豫1102行初12号",
        "case_name": "某某餐饮店行政处罚案",
        "receiver": "某区人民法院",
    })
}

/// Whether `program args` runs here; outside CI a missing tool skips its check, in CI it fails.
fn have(program: &str, args: &[&str]) -> bool {
    let ok = Command::new(program)
        .args(args)
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI needs {program} {args:?}"
        );
        eprintln!("skipped: {program} {args:?} does not run here");
    }
    ok
}

fn run(cmd: &mut Command) -> (bool, String) {
    let o = cmd.output().expect("run");
    (
        o.status.success(),
        String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr),
    )
}

/// What is in `<data>/exports` (nothing, or the folder of each package).
fn exports_in(env: &Env) -> Vec<String> {
    std::fs::read_dir(env.t.data().join("exports"))
        .map(|rd| {
            rd.filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
                .collect()
        })
        .unwrap_or_default()
}

async fn ledger_states(env: &Env, kind: &str) -> Vec<Value> {
    env.app()
        .catalog()
        .events_of_kinds(&[kind])
        .await
        .expect("entries")
        .iter()
        .map(|e| e.state())
        .collect()
}

/// Extracts an ISO image with xorriso and checks the package on it with its own verify.py and
/// with bagit-python.
fn check_disc(iso: &Path, out: &Path) {
    if !have("xorriso", &["-version"]) {
        return;
    }
    let (ok, said) = run(Command::new("xorriso")
        .args(["-osirrox", "on", "-indev"])
        .arg(iso)
        .args(["-extract", "/"])
        .arg(out));
    assert!(ok, "xorriso: {said}");
    assert!(out.join("data").join(MP4).is_file(), "{MP4} on the disc");
    let (ok, said) = run(Command::new("python3").arg(out.join("verify.py")));
    assert!(ok, "verify.py on the disc: {said}");
    if have("python3", &["-c", "import bagit"]) {
        let (ok, said) = run(Command::new("python3")
            .args(["-m", "bagit", "--validate"])
            .arg(out));
        assert!(ok, "bagit --validate: {said}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r22_api_export_image_downloads_with_the_ledgered_sha256_and_verifies() {
    let env = env().await;
    let mut officer = env.login(OFFICER).await;
    let (_, grant) = granted(&env, &officer, &env.sha, "copy").await;

    let r = officer.post("/api/v1/exports", body(&grant)).await;
    assert_eq!(r.status, 201, "{}", r.text());
    let made = r.json();
    let id = made["id"].as_str().expect("id").to_string();
    assert_eq!(made["grant"], grant.as_str());
    assert_eq!(made["made_by"], OFFICER);
    let files = made["files"].as_array().expect("files");
    assert_eq!(files.len(), 1);
    assert_eq!(files[0]["sha256"], env.sha.as_str());
    assert_eq!(files[0]["sm3"].as_str().map(str::len), Some(64));
    let images = made["images"].as_array().expect("images");
    assert_eq!(images.len(), 1, "one DVD is enough");
    let image_sha = images[0]["sha256"].as_str().expect("sha256").to_string();
    let image_name = images[0]["name"].as_str().expect("name").to_string();
    assert_eq!(image_name, format!("{id}.iso"));

    // Listed, as made.
    let r = officer.get("/api/v1/exports").await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json(), json!([made.clone()]));

    // The ledger's entry names the same image hash.
    let exported = ledger_states(&env, "evidence.exported").await;
    assert_eq!(exported.len(), 1);
    assert_eq!(exported[0]["discs"][0]["sha256"], image_sha.as_str());
    assert_eq!(exported[0]["files"][0]["sha256"], env.sha.as_str());

    // Downloaded: the bytes hash to what was returned and ledgered; the download is ledgered.
    let r = officer.get(&format!("/api/v1/exports/{id}/images/1")).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        r.header("content-disposition"),
        Some(format!("attachment; filename=\"{image_name}\"").as_str())
    );
    assert_eq!(hex::encode(Sha256::digest(&r.body)), image_sha);
    let downloaded = ledger_states(&env, "evidence.downloaded").await;
    assert_eq!(downloaded.len(), 1);
    assert_eq!(downloaded[0]["export"], id.as_str());
    assert_eq!(downloaded[0]["sha256"], image_sha.as_str());

    // What the receiver gets checks without our software.
    let iso = env.t.scratch().join("downloaded.iso");
    std::fs::write(&iso, &r.body).expect("write");
    check_disc(&iso, &env.t.scratch().join("disc"));

    // The custodian may download it too (recorded); no second image exists.
    let mut custodian = env.login(CUSTODIAN).await;
    let r = custodian
        .get(&format!("/api/v1/exports/{id}/images/1"))
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(hex::encode(Sha256::digest(&r.body)), image_sha);
    let r = officer.get(&format!("/api/v1/exports/{id}/images/2")).await;
    assert_eq!(r.status, 403, "{}", r.text());
    assert_eq!(ledger_states(&env, "evidence.downloaded").await.len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r22_api_export_without_the_grant_is_refused_and_writes_nothing() {
    let env = env().await;
    let mut officer = env.login(OFFICER).await;
    let (_, copy) = granted(&env, &officer, &env.sha, "copy").await;
    let (_, view) = granted(&env, &officer, &env.other_sha, "view").await;
    let mut other = env.login(OTHER).await;
    let holder = zhilu_app::identity::login(env.app(), OFFICER, PW, "test")
        .await
        .expect("login")
        .actor;
    let before = env.ledger_kinds().await.len();

    // Not the holder; the grant of someone else; a view grant; no such grant.
    let r = other.post("/api/v1/exports", body(&copy)).await;
    assert_eq!(r.status, 403, "{}", r.text());
    assert_eq!(r.code(), "no_grant");
    let r = officer.post("/api/v1/exports", body(&view)).await;
    assert_eq!(r.status, 403, "{}", r.text());
    assert!(
        r.json()["message"].as_str().unwrap().contains("复制"),
        "{}",
        r.text()
    );
    let r = officer.post("/api/v1/exports", body("NO-SUCH-GRANT")).await;
    assert!(matches!(r.status, 400 | 404), "{}", r.text());
    // A disc size that cannot be read, said in Chinese.
    let mut bad = body(&copy);
    bad["disc_size"] = json!("huge");
    let r = officer.post("/api/v1/exports", bad).await;
    assert_eq!(r.status, 400, "{}", r.text());
    assert!(
        r.json()["message"].as_str().unwrap().contains("光盘容量"),
        "{}",
        r.text()
    );
    // Without the CSRF token.
    let mut no_token = officer.clone();
    no_token.csrf = None;
    let r = no_token.post("/api/v1/exports", body(&copy)).await;
    assert_eq!(r.status, 403, "{}", r.text());
    assert_eq!(r.code(), "csrf");

    // Outside the server's use case, `exports/` is the data directory like the rest of it.
    let by_hand = zhilu_app::export::evidence(
        env.app(),
        &holder,
        &copy,
        &env.t.data().join("exports").join("by-hand"),
        zhilu_app::export::Facts::default(),
    )
    .await;
    assert!(
        matches!(by_hand, Err(zhilu_app::AppError::ExportIntoStore { .. })),
        "{by_hand:?}"
    );

    assert_eq!(exports_in(&env), Vec::<String>::new(), "nothing written");
    assert_eq!(env.ledger_kinds().await.len(), before, "nothing ledgered");

    // Made by the holder: another officer can neither list nor download it.
    let r = officer.post("/api/v1/exports", body(&copy)).await;
    assert_eq!(r.status, 201, "{}", r.text());
    let id = r.json()["id"].as_str().expect("id").to_string();
    let r = other.get("/api/v1/exports").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json(), json!([]));
    for path in [
        format!("/api/v1/exports/{id}/images/1"),
        "/api/v1/exports/NO-SUCH/images/1".to_string(),
        "/api/v1/exports/..%2F..%2Fcatalog.db/images/1".to_string(),
    ] {
        let r = other.get(&path).await;
        assert_eq!(r.status, 403, "{path}: {}", r.text());
    }
    assert!(
        ledger_states(&env, "evidence.downloaded").await.is_empty(),
        "a refused download is not a download"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r22_grants_page_makes_a_package_and_lists_its_image_with_the_sha256() {
    let env = env().await;
    let mut officer = env.login(OFFICER).await;
    let (_, grant) = granted(&env, &officer, &env.sha, "copy").await;

    let r = officer.get("/access").await;
    assert_eq!(r.status, 200, "{}", r.text());
    let page = r.text();
    assert!(page.contains("制作证据包"), "the form: {page}");
    assert!(page.contains("hx-post=\"/access/exports\""), "{page}");
    assert!(page.contains("我的证据包"), "{page}");

    let form = format!(
        "grant={}&maker=%E5%91%A8%E6%98%8E&extractor=%E6%9D%8E%E5%BC%BA&reason=%E7%A7%BB%E9%80%81&case=&case_name=&receiver=%E6%B3%95%E9%99%A2&disc_size=dvd",
        grant
    );
    let r = officer
        .send(
            "POST",
            "/access/exports",
            Some(Bytes::from(form)),
            &[
                ("content-type", "application/x-www-form-urlencoded"),
                ("hx-request", "true"),
            ],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let fragment = r.text();
    let made = officer.get("/api/v1/exports").await.json();
    let id = made[0]["id"].as_str().expect("made").to_string();
    let sha = made[0]["images"][0]["sha256"].as_str().expect("sha");
    assert!(fragment.contains("已制作证据包"), "{fragment}");
    assert!(
        fragment.contains(&format!("/api/v1/exports/{id}/images/1")),
        "{fragment}"
    );
    assert!(fragment.contains(sha), "the label's SHA-256: {fragment}");
    let page = officer.get("/access").await.text();
    assert!(page.contains(sha), "listed on the page: {page}");

    // A refusal comes back in Chinese into the page's message area.
    let mut other = env.login(OTHER).await;
    let r = other
        .send(
            "POST",
            "/access/exports",
            Some(Bytes::from(format!(
                "grant={grant}&maker=x&extractor=x&reason=x&receiver=x&disc_size=dvd"
            ))),
            &[
                ("content-type", "application/x-www-form-urlencoded"),
                ("hx-request", "true"),
            ],
        )
        .await;
    assert_eq!(r.header("hx-retarget"), Some("#flash"), "{}", r.text());
    assert!(r.text().contains("只有被授权人本人"), "{}", r.text());
}
