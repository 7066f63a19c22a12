//! `zhilu station register|list|revoke|ingest` through the real binary (R16, R26): the system
//! administrator registers a station (its token shown once), the station offloads a device to a
//! real server on port 0 and clears it only after the platform confirmed every file; a revoked
//! station is refused in Chinese. SQLite, or PostgreSQL with `ZHILU_TEST_POSTGRES_URL`.

mod support;

use std::sync::Arc;

use support::*;
use zhilu_app::testing::fixture;

#[test]
fn r16_station_cli_registers_ingests_clears_and_revokes() {
    let t = TestApp::empty();
    t.ready("DSJ0001");
    let reg = t.ok(&[
        "--actor",
        SYSADMIN,
        "station",
        "register",
        "--id",
        "ST-01",
        "--name",
        "一大队采集站",
        "--unit",
        "一大队",
    ]);
    let token = reg["token"].as_str().expect("token").to_string();
    assert!(token.starts_with("zst_ST-01_"), "{reg}");
    let listed = t.ok(&["--actor", SYSADMIN, "station", "list"]);
    assert_eq!(listed[0]["station"], "ST-01");
    assert_eq!(listed[0]["active"], true);
    assert!(
        !listed.to_string().contains(&token[10..]),
        "the token is shown once only"
    );
    // Only the system administrator manages stations.
    let refused = t.fails(&["station", "list"]);
    assert_eq!(refused.code, "forbidden", "{}", refused.message);

    let token_file = t.scratch().join("station.token");
    std::fs::write(&token_file, format!("{token}\n")).expect("token file");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let running = rt.block_on(async {
        let app = zhilu_app::App::open(
            t.data_dir(),
            Arc::new(zhilu_app::FixedClock(t.now())),
            Some(t.db_url().to_string()),
        )
        .await
        .expect("open");
        zhilu_web::start(
            Arc::new(app),
            zhilu_web::ServeOptions {
                bind: "127.0.0.1:0".parse().expect("addr"),
                tls: None,
            },
        )
        .await
        .expect("serve")
    });
    let url = format!("http://{}", running.addr);
    let dir = t.device_dir("cam");
    for f in ["clip.avi", "clip.mov"] {
        std::fs::copy(fixture(f), dir.join(f)).expect("copy");
    }
    let dir_s = dir.to_str().expect("utf8");
    let tf = token_file.to_str().expect("utf8");
    let args = [
        "station",
        "ingest",
        dir_s,
        "--device",
        "DSJ0001",
        "--officer",
        "000123",
        "--station",
        "ST-01",
        "--to",
        &url,
        "--token-file",
        tf,
        "--chunk-mib",
        "1",
        "--clear-device",
    ];
    let r = t.ok(&args);
    assert_eq!(r["complete"], true, "{r}");
    assert_eq!(r["device_cleared"], true, "{r}");
    assert_eq!(r["cleared"].as_array().map(Vec::len), Some(2), "{r}");
    for f in r["files"].as_array().expect("files") {
        assert_eq!(f["confirmed"], true, "{f}");
    }
    assert!(!dir.join("clip.avi").exists() && !dir.join("clip.mov").exists());
    let recs = t.ok(&["recordings", "list"]);
    let at_station = recs
        .as_array()
        .expect("recordings")
        .iter()
        .filter(|x| x["station"] == "ST-01")
        .count();
    assert_eq!(at_station, 2, "{recs}");

    // Text output in Chinese.
    std::fs::copy(fixture("voice.mp3"), dir.join("voice.mp3")).expect("copy");
    let (stdout, stderr, ok) = t.text(&args);
    assert!(ok, "{stderr}");
    assert!(
        stdout.contains("已入库") && stdout.contains("每个存储位置均已校验"),
        "{stdout}"
    );

    // Revoked: refused with a Chinese message, the device file kept.
    t.ok(&["--actor", SYSADMIN, "station", "revoke", "--id", "ST-01"]);
    std::fs::copy(fixture("photo.jpg"), dir.join("photo.jpg")).expect("copy");
    let f = t.fails(&args);
    assert!(
        f.message.contains("采集站凭据无效或已被吊销"),
        "{}",
        f.message
    );
    assert!(dir.join("photo.jpg").exists());
    // A token of another station is refused before anything is sent.
    let mut other = args;
    other[8] = "ST-02";
    let f = t.fails(&other);
    assert!(f.message.contains("不是采集站 ST-02 的"), "{}", f.message);
    running.handle.abort();
    drop(rt);
}
