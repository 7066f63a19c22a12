//! The use cases run on either kind of tokio runtime: a server uses the multi-threaded one, but a
//! small tool or a test may use the current-thread one, where `block_in_place` would panic.

use zhilu_app::registry::{NewOfficer, add_officer, register_device};
use zhilu_app::testing::{TestApp, fixture};
use zhilu_app::{Actor, integrity, offload};

const MP4: &str = "DSJ0001_000123_20261120093000_0001.MP4";

#[tokio::test(flavor = "current_thread")]
async fn r26_offload_clear_and_fixity_run_on_a_current_thread_runtime() {
    let t = TestApp::new().await;
    let admin = Actor::test("test");
    register_device(t.app(), &admin, zhilu_app::testing::camera("DSJ0001"))
        .await
        .expect("device");
    add_officer(
        t.app(),
        &admin,
        NewOfficer {
            id: "000123".into(),
            name: "周明".into(),
            unit: "一大队".into(),
            role: None,
        },
    )
    .await
    .expect("officer");
    let dir = t.device_dir("DSJ0001");
    std::fs::create_dir_all(dir.join("DCIM")).expect("mkdir");
    std::fs::copy(fixture(MP4), dir.join("DCIM").join(MP4)).expect("copy");
    let report = offload::offload(
        t.app(),
        &admin,
        &offload::OffloadRequest {
            source: dir.clone(),
            device: "DSJ0001".into(),
            officer: "000123".into(),
            station: "CJZ-01".into(),
            device_clock: None,
            clear_device: true,
        },
        &offload::Silent,
    )
    .await
    .expect("offload");
    assert_eq!(report.imported, 1);
    assert!(report.device_cleared, "{report:#?}");
    assert!(
        !dir.join("DCIM").join(MP4).exists(),
        "cleared from the device"
    );
    let fixity = integrity::fixity(t.app(), &admin, false)
        .await
        .expect("fixity");
    assert!(fixity.problems.is_empty(), "{:#?}", fixity.problems);
    assert_eq!(fixity.objects, 1);
}
