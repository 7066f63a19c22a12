//! Identities, roles and grants against the app (R23, R24, R25, R30): the permission matrix,
//! 三员分立, lockout, and footage only on a grant. The same flows over HTTP are in zhilu-web.

use zhilu_app::access::{self, AccessAsk, Use};
use zhilu_app::identity::{self, NewUser};
use zhilu_app::model::{AccessKind, Secrecy};
use zhilu_app::records::NewActivity;
use zhilu_app::registry::NewDevice;
use zhilu_app::testing::{TestApp, beijing_time};
use zhilu_app::{Action, Actor, AppError, offload, records, registry};

const PASSWORD: &str = "Strong-Pass-2026";
const INITIAL: &str = "Initial-Pass-2026";

/// Camera DSJ0001 and officer 000123, and two recordings offloaded from it: (MP4, WAV) SHA-256.
async fn two_recordings(t: &TestApp) -> (String, String) {
    let setup = Actor::test("setup");
    registry::register_device(t.app(), &setup, zhilu_app::testing::camera("DSJ0001"))
        .await
        .expect("device");
    registry::add_officer(
        t.app(),
        &setup,
        registry::NewOfficer {
            id: "000123".into(),
            name: "周明".into(),
            unit: "一大队".into(),
            role: None,
        },
    )
    .await
    .expect("officer");
    t.offload_fixtures().await
}

/// The roles the profile's access chain names, in order.
async fn access_chain(t: &TestApp) -> Vec<String> {
    t.app()
        .profile()
        .await
        .unwrap()
        .access
        .approvers
        .iter()
        .map(|r| r.get_ref().clone())
        .collect()
}

/// Registers a user with roles (and clearances) and a password, and logs them in. Administrator
/// roles and clearances are given by the security administrator, as 三员分立 asks.
async fn user(t: &TestApp, id: &str, unit: &str, roles: &[&str], clear: &[Secrecy]) -> Actor {
    let setup = Actor::test("setup");
    let roles: Vec<String> = roles.iter().map(|r| r.to_string()).collect();
    let admin = roles.iter().any(|r| r.ends_with("_admin"));
    identity::add_user(
        t.app(),
        &setup,
        NewUser {
            id: id.into(),
            name: format!("用户{id}"),
            unit: unit.into(),
            roles: if admin {
                vec!["supervisor".into()]
            } else {
                roles.clone()
            },
            password: Some(INITIAL.into()),
            ..NewUser::default()
        },
    )
    .await
    .expect("add user");
    if admin {
        identity::set_roles(t.app(), &setup, id, &roles)
            .await
            .expect("roles");
    }
    if !clear.is_empty() {
        identity::set_clearances(t.app(), &setup, id, clear.to_vec())
            .await
            .expect("clearances");
    }
    first_login(t, id).await
}

/// Logs in with the initial password an administrator set and changes it, as every user must
/// before doing anything else; returns the actor of a fresh login.
async fn first_login(t: &TestApp, id: &str) -> Actor {
    let first = identity::login(t.app(), id, INITIAL, "127.0.0.1")
        .await
        .expect("first login");
    assert!(first.must_change_password);
    identity::change_password(t.app(), &first.actor, INITIAL, PASSWORD)
        .await
        .expect("change password");
    identity::login(t.app(), id, PASSWORD, "127.0.0.1")
        .await
        .expect("login")
        .actor
}

/// The expected matrix, written out by hand (not derived from the code's table): for each fixed
/// role, the actions it may do on a record of its *own* unit (`o`), of *another* unit (`a`), or
/// not at all (`-`). Columns follow `Action::ALL`:
/// ManageUsers ManageDevices AssignRoles ReadAudit Checkout Offload WriteRecords Hold
/// RequestAccess RevokeGrant ReadRegister ReadRecords ReadFindings ReadDevices Classify
/// ReadRetention ReadUsers Purge Preserve DownloadExports AnswerFindings ManageFindings DrawSample
/// ReviewSample ReadSupervision RecordAccountability ManageCosts ReadCosts ManageStations.
const EXPECTED: &[(&str, &str)] = &[
    (
        "officer",
        "- - - - - o o - a - - o o o - - - - - - o - - - o - - - -",
    ),
    (
        "unit_head",
        "- - - - o o o - a - - o o o o o - - - - o - - - o - - o -",
    ),
    (
        "custodian",
        "- - - - a a a a a a a a - a - a - a a a - - - - - - a a -",
    ),
    (
        "legal",
        "- - - - - - - a a a a a a a a a - - - a - - - - a - - a -",
    ),
    (
        "leader",
        "- - - - - - - - a a a a a a - a - - - - - - - - a - - a -",
    ),
    (
        "supervisor",
        "- - - - - - - - - - a a a a - - - - - - - a a a a a - a -",
    ),
    (
        "system_admin",
        "a a - - - - - - - - - - - a - - a - - - - - - - - - - - a",
    ),
    (
        "security_admin",
        "- - a - - - - - - - - - - - a - a - - - - - - - - - - - -",
    ),
    (
        "audit_admin",
        "- - - a - - - - - - - - - - - - a - - - - - - - - - - - -",
    ),
];

/// R23/R25/R30: every action × every fixed role × own/other unit, on the permission check every
/// use case calls, against the hand-written matrix. (`ManageDevices` for the system
/// administrator: `a`, allowed everywhere.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r23_permission_matrix_every_action_role_and_unit() {
    let t = TestApp::with_profile("zhejiang-rf").await;
    let own_person = zhilu_app::model::OfficerId::parse("P-OWN").unwrap();
    let other_person = zhilu_app::model::OfficerId::parse("P-OTHER").unwrap();
    let mut failures = Vec::new();
    for (n, (role, row)) in EXPECTED.iter().enumerate() {
        let actor = user(&t, &format!("M{n:02}"), "一处", &[role], &[]).await;
        let cells: Vec<&str> = row.split(' ').collect();
        assert_eq!(cells.len(), Action::ALL.len(), "{role}");
        for (action, cell) in Action::ALL.iter().zip(cells) {
            let own_unit = vec!["一处".to_string()];
            let other_unit = vec!["二处".to_string()];
            let own = actor.allows(
                *action,
                zhilu_app::Target {
                    people: std::slice::from_ref(&own_person),
                    units: &own_unit,
                },
            );
            let other = actor.allows(
                *action,
                zhilu_app::Target {
                    people: std::slice::from_ref(&other_person),
                    units: &other_unit,
                },
            );
            // `o`: own unit only (for an officer: what names them — checked below); `a`: both.
            let want = match cell {
                "a" => (true, true),
                "o" if *role == "officer" => (false, false),
                "o" => (true, false),
                _ => (false, false),
            };
            if (own, other) != want {
                failures.push(format!(
                    "{role} {action:?}: got {:?}, want {want:?}",
                    (own, other)
                ));
            }
            if *role == "officer" && cell == "o" {
                let me = actor.person_id().unwrap().clone();
                let mine = actor.allows(
                    *action,
                    zhilu_app::Target {
                        people: std::slice::from_ref(&me),
                        units: &other_unit,
                    },
                );
                if !mine {
                    failures.push(format!("officer {action:?}: refused on their own record"));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

/// The matrix holds in the use cases themselves, not only in the table: an officer registers an
/// activity of their own but not another unit's; a unit head lists only their unit's activities;
/// the system administrator registers a device but reads no records; the legal office reads
/// every record (R30) but registers no device.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r30_use_cases_enforce_the_matrix_for_own_and_other_units() {
    let t = TestApp::with_profile("zhejiang-rf").await;
    t.at("2026-11-20 09:00:00");
    let officer1 = user(&t, "O1", "一处", &["officer"], &[]).await;
    let _officer2 = user(&t, "O2", "二处", &["officer"], &[]).await;
    let head1 = user(&t, "H1", "一处", &["unit_head"], &[]).await;
    let legal = user(&t, "L1", "法制处", &["legal"], &[]).await;
    let sysadmin = user(&t, "SA", "办公室", &["system_admin"], &[]).await;
    let activity = |officer: &str| NewActivity {
        kind: "inspection".into(),
        subject_name: "某公司".into(),
        place: "某地".into(),
        officers: vec![officer.into()],
        start: beijing_time("2026-11-20 09:00:00"),
        end: beijing_time("2026-11-20 10:00:00"),
        ..NewActivity::default()
    };
    let kind = t.app().profile().await.unwrap().checklist[0]
        .kind
        .get_ref()
        .clone();
    let with_kind = |mut a: NewActivity| {
        a.kind = kind.clone();
        a
    };
    records::add_activity(t.app(), &officer1, with_kind(activity("O1")))
        .await
        .expect("own activity");
    let e = records::add_activity(t.app(), &officer1, with_kind(activity("O2")))
        .await
        .unwrap_err();
    assert!(matches!(e, AppError::Forbidden { .. }), "{e:?}");
    records::add_activity(t.app(), &legal, with_kind(activity("O2")))
        .await
        .expect_err("legal office only reads");
    let t2 = records::add_activity(t.app(), &head1, with_kind(activity("O1")))
        .await
        .expect("unit head, own unit");
    assert!(t2.0.officers.iter().any(|o| o.as_str() == "O1"));
    let setup = Actor::test("setup");
    records::add_activity(t.app(), &setup, with_kind(activity("O2")))
        .await
        .expect("another unit's");
    let seen_by_head = records::activities(t.app(), &head1).await.unwrap();
    assert_eq!(seen_by_head.len(), 2, "only 一处's");
    assert_eq!(records::activities(t.app(), &legal).await.unwrap().len(), 3);
    assert_eq!(
        records::activities(t.app(), &officer1).await.unwrap().len(),
        2
    );
    let e = records::activities(t.app(), &sysadmin).await.unwrap_err();
    assert!(matches!(e, AppError::Forbidden { .. }), "{e:?}");
    let dev = NewDevice {
        serial: "DSJ-9".into(),
        kind: "执法记录仪".into(),
        model: "X".into(),
        unit: "一处".into(),
        keeper: "某人".into(),
        ..NewDevice::default()
    };
    registry::register_device(t.app(), &legal, dev.clone())
        .await
        .expect_err("legal office registers no device");
    registry::register_device(t.app(), &sysadmin, dev)
        .await
        .expect("system administrator");
}

/// 三员分立: nobody holds two administrator roles, an administrator holds no business role,
/// nobody gives themselves a role or a clearance, and the system administrator cannot grant
/// clearances or administrator roles.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r25_three_administrators_are_separate_and_nobody_grants_themselves() {
    let t = TestApp::with_profile("zhejiang-rf").await;
    let admins = identity::bootstrap_admins(t.app(), "办公室").await.unwrap();
    assert_eq!(admins.len(), 3);
    assert!(
        identity::bootstrap_admins(t.app(), "办公室")
            .await
            .unwrap()
            .is_empty(),
        "a second init creates nobody"
    );
    let login = |id: &'static str, pw: String| {
        let app = t.app();
        async move { identity::login(app, id, &pw, "127.0.0.1").await }
    };
    let pw = |id: &str| {
        admins
            .iter()
            .find(|(u, _)| u.id.as_str() == id)
            .unwrap()
            .1
            .clone()
    };
    let sys = login("sysadmin", pw("sysadmin")).await.unwrap();
    assert!(
        sys.must_change_password,
        "initial passwords must be changed"
    );
    // Until then the administrator can do nothing else.
    let e = identity::list_users(t.app(), &sys.actor).await.unwrap_err();
    assert!(matches!(e, AppError::PasswordChangeRequired), "{e:?}");
    for id in ["sysadmin", "secadmin"] {
        let first = login(id, pw(id)).await.unwrap().actor;
        identity::change_password(t.app(), &first, &pw(id), PASSWORD)
            .await
            .unwrap();
    }
    let sec = login("secadmin", PASSWORD.to_string()).await.unwrap().actor;
    let sys = login("sysadmin", PASSWORD.to_string()).await.unwrap().actor;
    let e = identity::set_roles(
        t.app(),
        &sec,
        "secadmin",
        &["security_admin".into(), "audit_admin".into()],
    )
    .await
    .unwrap_err();
    assert!(matches!(e, AppError::SeparationOfDuties(_)), "{e:?}");
    let e = identity::set_clearances(t.app(), &sec, "secadmin", vec![Secrecy::StateSecret])
        .await
        .unwrap_err();
    assert!(matches!(e, AppError::SeparationOfDuties(_)), "{e:?}");
    let e = identity::set_roles(
        t.app(),
        &sec,
        "sysadmin",
        &["system_admin".into(), "security_admin".into()],
    )
    .await
    .unwrap_err();
    assert!(matches!(e, AppError::SeparationOfDuties(_)), "{e:?}");
    let e = identity::set_roles(
        t.app(),
        &sec,
        "auditadmin",
        &["audit_admin".into(), "legal".into()],
    )
    .await
    .unwrap_err();
    assert!(matches!(e, AppError::SeparationOfDuties(_)), "{e:?}");
    let e = identity::set_clearances(t.app(), &sys, "secadmin", vec![Secrecy::Privacy])
        .await
        .unwrap_err();
    assert!(matches!(e, AppError::Forbidden { .. }), "{e:?}");
    let e = identity::add_user(
        t.app(),
        &sys,
        NewUser {
            id: "X1".into(),
            name: "某".into(),
            unit: "一处".into(),
            roles: vec!["officer".into()],
            clearances: vec![Secrecy::WorkSecret],
            ..NewUser::default()
        },
    )
    .await
    .unwrap_err();
    assert!(matches!(e, AppError::SeparationOfDuties(_)), "{e:?}");
    let e = identity::reset_password(t.app(), &sys, "sysadmin", PASSWORD)
        .await
        .unwrap_err();
    assert!(matches!(e, AppError::SeparationOfDuties(_)), "{e:?}");
}

/// Wrong passwords lock the account (even the right password is refused while locked); a
/// disabled user cannot log in; an unknown user gets the same answer as a wrong password.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r23_wrong_passwords_lock_the_account_and_disabled_users_cannot_log_in() {
    let t = TestApp::with_profile("zhejiang-rf").await;
    user(&t, "U1", "一处", &["officer"], &[]).await;
    for _ in 0..identity::login::LOCK_AFTER - 1 {
        let e = identity::login(t.app(), "U1", "Wrong-Pass-1", "x")
            .await
            .unwrap_err();
        assert!(matches!(e, AppError::LoginFailed), "{e:?}");
    }
    let e = identity::login(t.app(), "U1", "Wrong-Pass-1", "x")
        .await
        .unwrap_err();
    assert!(matches!(e, AppError::LockedOut { .. }), "{e:?}");
    let e = identity::login(t.app(), "U1", PASSWORD, "x")
        .await
        .unwrap_err();
    assert!(
        matches!(e, AppError::LockedOut { .. }),
        "locked even with the right one: {e:?}"
    );
    let e = identity::login(t.app(), "nobody", PASSWORD, "x")
        .await
        .unwrap_err();
    assert!(matches!(e, AppError::LoginFailed), "{e:?}");
    user(&t, "U2", "一处", &["officer"], &[]).await;
    identity::set_disabled(t.app(), &Actor::test("setup"), "U2", true)
        .await
        .unwrap();
    let e = identity::login(t.app(), "U2", PASSWORD, "x")
        .await
        .unwrap_err();
    assert!(matches!(e, AppError::AccountDisabled(_)), "{e:?}");
    let e = identity::add_user(
        t.app(),
        &Actor::test("setup"),
        NewUser {
            id: "U3".into(),
            name: "弱".into(),
            unit: "一处".into(),
            roles: vec!["officer".into()],
            password: Some("password".into()),
            ..NewUser::default()
        },
    )
    .await
    .unwrap_err();
    assert!(matches!(e, AppError::WeakPassword(_)), "{e:?}");
}

/// R23/R24/R25: footage only on a grant. A request waits for the chain; nobody approves their
/// own; the grant covers exactly its items and kind; a view grant does not download; revoked
/// or expired grants serve nothing; an item classified above the user's clearance does not exist
/// for them; the viewing is recorded before any byte.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r23_footage_is_served_only_on_an_approved_unexpired_grant() {
    let t = TestApp::with_profile("zhejiang-rf").await;
    t.at("2026-11-20 09:00:00");
    let (a, b) = two_recordings(&t).await;
    let chain = access_chain(&t).await;
    let requester = user(&t, "R1", "一处", &["officer"], &[]).await;
    let mut approvers = Vec::new();
    for (i, role) in chain.iter().enumerate() {
        approvers.push(user(&t, &format!("AP{i}"), "办领导", &[role.as_str()], &[]).await);
    }
    let stranger = user(&t, "S1", "一处", &["officer"], &[]).await;

    let e = access::authorize(t.app(), &requester, &a, Use::Stream)
        .await
        .unwrap_err();
    assert!(matches!(e, AppError::NoGrant(_)), "{e:?}");
    let req = access::request_access(
        t.app(),
        &requester,
        AccessAsk {
            recordings: vec![a.clone()],
            kind: Some("查阅".into()),
            reason: "<script>alert(1)</script> 复议".into(),
            ..AccessAsk::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(
        req.reason, "<script>alert(1)</script> 复议",
        "stored as text"
    );
    assert_eq!(req.kind, AccessKind::View);
    let e = access::approve(t.app(), &requester, req.id.as_str(), None)
        .await
        .unwrap_err();
    assert!(
        matches!(e, AppError::ApprovalRefused { .. }),
        "own request: {e:?}"
    );
    let e = access::approve(t.app(), &stranger, req.id.as_str(), None)
        .await
        .unwrap_err();
    assert!(
        matches!(e, AppError::ApprovalRefused { .. }),
        "wrong role: {e:?}"
    );
    assert_eq!(
        access::inbox(t.app(), &approvers[0]).await.unwrap().len(),
        1
    );
    for ap in &approvers {
        access::approve(t.app(), ap, req.id.as_str(), Some("同意"))
            .await
            .unwrap();
    }
    let g = access::authorize(t.app(), &requester, &a, Use::Stream)
        .await
        .unwrap();
    let e = access::authorize(t.app(), &requester, &a, Use::Download)
        .await
        .unwrap_err();
    assert!(
        matches!(e, AppError::NoGrant(_)),
        "view grant used to download: {e:?}"
    );
    let e = access::authorize(t.app(), &requester, &b, Use::Stream)
        .await
        .unwrap_err();
    assert!(
        matches!(e, AppError::NoGrant(_)),
        "another recording: {e:?}"
    );
    let e = access::authorize(t.app(), &stranger, &a, Use::Stream)
        .await
        .unwrap_err();
    assert!(matches!(e, AppError::NoGrant(_)), "another user: {e:?}");
    let e = access::authorize(t.app(), &requester, "../../etc/passwd", Use::Stream)
        .await
        .unwrap_err();
    assert!(matches!(e, AppError::Invalid { .. }), "{e:?}");

    // The viewing is in the register before a byte is read; the ranges follow in a batch.
    let v = access::viewing(t.app(), &requester, &g, "s1")
        .await
        .unwrap();
    let reg = access::register(t.app(), &approvers[0]).await.unwrap();
    assert_eq!(reg.len(), 1);
    assert_eq!(reg[0].playbacks.len(), 1, "recorded before the first byte");
    assert_eq!(reg[0].approvals.len(), chain.len());
    let served = access::open(t.app(), &g).await.unwrap();
    assert_eq!(served.len, g.size());
    access::served(t.app(), &v, 0, 9).await.unwrap();
    access::flush_viewings(t.app()).await.unwrap();
    let reg = access::register(t.app(), &approvers[0]).await.unwrap();
    assert_eq!(reg[0].playbacks[0].ranges, vec!["0-9".to_string()]);

    // Classified above the requester's clearance: it does not exist for them.
    let sec = user(&t, "SEC", "保密办", &["security_admin"], &[]).await;
    let cleared = user(&t, "C1", "法制处", &["legal"], &[Secrecy::CommercialSecret]).await;
    let e = access::classify(t.app(), &sec, &a, Some(Secrecy::CommercialSecret))
        .await
        .unwrap_err();
    assert!(
        matches!(e, AppError::Forbidden { .. }),
        "uncleared classifier: {e:?}"
    );
    access::classify(t.app(), &cleared, &a, Some(Secrecy::CommercialSecret))
        .await
        .unwrap();
    let e = access::authorize(t.app(), &requester, &a, Use::Stream)
        .await
        .unwrap_err();
    assert!(matches!(e, AppError::NotFound { .. }), "{e:?}");
    let reader = legal_reader(&t).await;
    let listed = zhilu_app::offload::recordings(t.app(), &reader, None)
        .await
        .unwrap();
    assert!(
        listed.iter().all(|r| r.sha256.as_str() != a),
        "absent from lists"
    );
    let kept = zhilu_app::compliance::retention(t.app(), &reader)
        .await
        .unwrap();
    assert!(
        kept.iter().all(|r| r.sha256.as_str() != a),
        "absent from retention"
    );
    let kept = zhilu_app::compliance::retention(t.app(), &cleared)
        .await
        .unwrap();
    assert!(
        kept.iter().any(|r| r.sha256.as_str() == a),
        "the cleared see it"
    );
    access::classify(t.app(), &cleared, &a, None).await.unwrap();

    // Revoked: nothing more.
    access::revoke(t.app(), &cleared, g.grant().id.as_str())
        .await
        .unwrap();
    let e = access::authorize(t.app(), &requester, &a, Use::Stream)
        .await
        .unwrap_err();
    assert!(matches!(e, AppError::NoGrant(_)), "{e:?}");

    // Expired: a second grant, then the business clock passes its end.
    let req2 = access::request_access(
        t.app(),
        &requester,
        AccessAsk {
            recordings: vec![b.clone()],
            reason: "复核".into(),
            days: Some(1),
            ..AccessAsk::default()
        },
    )
    .await
    .unwrap();
    for ap in &approvers {
        access::approve(t.app(), ap, req2.id.as_str(), None)
            .await
            .unwrap();
    }
    access::authorize(t.app(), &requester, &b, Use::Stream)
        .await
        .unwrap();
    t.at("2026-11-22 09:00:00");
    let e = access::authorize(t.app(), &requester, &b, Use::Stream)
        .await
        .unwrap_err();
    assert!(matches!(e, AppError::NoGrant(_)), "{e:?}");
}

async fn legal_reader(t: &TestApp) -> Actor {
    user(t, "LR", "法制处", &["legal"], &[]).await
}

/// Two approvals of the same step at once: exactly one wins, one grant is issued.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r23_two_approvals_at_once_exactly_one_wins() {
    let t = TestApp::with_profile("dalian-ftz").await;
    t.at("2026-11-20 09:00:00");
    let (a, _) = two_recordings(&t).await;
    let chain = access_chain(&t).await;
    assert_eq!(chain.len(), 1, "dalian-ftz: one level");
    let requester = user(&t, "R1", "一处", &["officer"], &[]).await;
    let ap1 = user(&t, "AP1", "局领导", &[chain[0].as_str()], &[]).await;
    let ap2 = user(&t, "AP2", "局领导", &[chain[0].as_str()], &[]).await;
    let req = access::request_access(
        t.app(),
        &requester,
        AccessAsk {
            recordings: vec![a],
            kind: Some("copy".into()),
            reason: "复制".into(),
            ..AccessAsk::default()
        },
    )
    .await
    .unwrap();
    let (r1, r2) = tokio::join!(
        access::approve(t.app(), &ap1, req.id.as_str(), None),
        access::approve(t.app(), &ap2, req.id.as_str(), None)
    );
    assert_eq!(
        [r1.is_ok(), r2.is_ok()].iter().filter(|ok| **ok).count(),
        1,
        "{r1:?} {r2:?}"
    );
    let reg = access::register(t.app(), &ap1).await.unwrap();
    assert!(reg[0].grant.is_some());
    assert_eq!(reg[0].grant.as_ref().unwrap().kind, AccessKind::Copy);
}

/// Sessions end on the real clock: idle past the limit, or past the absolute expiry, and at once
/// when the account is disabled; an ended session's row is deleted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r23_sessions_expire_idle_and_absolute_on_the_real_clock() {
    use identity::login::{IDLE_MINUTES, load_session, real_now, save_session, session_actor};
    let t = TestApp::with_profile("zhejiang-rf").await;
    user(&t, "U1", "一处", &["officer"], &[]).await;
    let now = real_now(t.app()).timestamp_micros();
    let minute = 60_000_000;
    let row = |id: &str, seen_ago: i64, expires_in: i64| zhilu_store::WebSession {
        id_hash: id.into(),
        user: Some("U1".into()),
        data: "{}".into(),
        created_at: now - seen_ago,
        seen_at: now - seen_ago,
        expires_at: now + expires_in,
    };
    save_session(t.app(), &row("fresh", minute, 60 * minute))
        .await
        .unwrap();
    save_session(
        t.app(),
        &row("idle", (IDLE_MINUTES + 1) * minute, 60 * minute),
    )
    .await
    .unwrap();
    save_session(t.app(), &row("old", minute, -minute))
        .await
        .unwrap();
    let fresh = load_session(t.app(), "fresh").await.unwrap().unwrap();
    assert_eq!(
        session_actor(t.app(), &fresh)
            .await
            .unwrap()
            .person_id()
            .unwrap()
            .as_str(),
        "U1"
    );
    for id in ["idle", "old"] {
        let s = load_session(t.app(), id).await.unwrap().unwrap();
        let e = session_actor(t.app(), &s).await.unwrap_err();
        assert!(matches!(e, AppError::NotAuthenticated), "{id}: {e:?}");
        assert!(
            load_session(t.app(), id).await.unwrap().is_none(),
            "{id} deleted"
        );
    }
    identity::set_disabled(t.app(), &Actor::test("setup"), "U1", true)
        .await
        .unwrap();
    assert!(
        load_session(t.app(), "fresh").await.unwrap().is_none(),
        "disabling ends the sessions"
    );
    let e = session_actor(t.app(), &fresh).await.unwrap_err();
    assert!(matches!(e, AppError::NotAuthenticated), "{e:?}");
}

/// Decisions are remembered per ledger head: a grant revoked by another process on the same data
/// directory (the CLI beside the server) stops serving within `HEAD_TTL`; one revoked by this
/// process, at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r23_a_grant_revoked_elsewhere_stops_serving_within_a_second() {
    let t = TestApp::with_profile("dalian-ftz").await;
    t.at("2026-11-20 09:00:00");
    let (a, _) = two_recordings(&t).await;
    let chain = access_chain(&t).await;
    let requester = user(&t, "R1", "一处", &["officer"], &[]).await;
    let approver = user(&t, "AP1", "局领导", &[chain[0].as_str()], &[]).await;
    let grant_for = |reason: &'static str| {
        let (app, requester, approver, a) =
            (t.app(), requester.clone(), approver.clone(), a.clone());
        async move {
            let req = access::request_access(
                app,
                &requester,
                AccessAsk {
                    recordings: vec![a],
                    reason: reason.into(),
                    ..AccessAsk::default()
                },
            )
            .await
            .unwrap();
            access::approve(app, &approver, req.id.as_str(), None)
                .await
                .unwrap();
        }
    };
    grant_for("第一次").await;
    let g = access::authorize(t.app(), &requester, &a, Use::Stream)
        .await
        .unwrap();
    // Another process on the same directory revokes it.
    let other = zhilu_app::App::open(
        t.data_dir(),
        std::sync::Arc::new(zhilu_app::SystemClock),
        Some(t.db_url().to_string()),
    )
    .await
    .expect("second process");
    access::revoke(&other, &Actor::test("custodian"), g.grant().id.as_str())
        .await
        .unwrap();
    let started = std::time::Instant::now();
    loop {
        match access::authorize(t.app(), &requester, &a, Use::Stream).await {
            Err(AppError::NoGrant(_)) => break,
            Ok(_) => {
                assert!(
                    started.elapsed() < zhilu_app::HEAD_TTL * 2,
                    "still served {:?} after another process revoked it",
                    started.elapsed()
                );
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
            Err(e) => panic!("{e:?}"),
        }
    }
    // In this process: at once.
    grant_for("第二次").await;
    let g = access::authorize(t.app(), &requester, &a, Use::Stream)
        .await
        .unwrap();
    access::revoke(t.app(), &Actor::test("custodian"), g.grant().id.as_str())
        .await
        .unwrap();
    let e = access::authorize(t.app(), &requester, &a, Use::Stream)
        .await
        .unwrap_err();
    assert!(matches!(e, AppError::NoGrant(_)), "{e:?}");
}

/// The ledger's entries as (kind, subject), oldest first.
async fn ledger_events(t: &TestApp) -> Vec<(String, String)> {
    let (size, _) = t.app().catalog().ledger_head().await.expect("head");
    t.app()
        .catalog()
        .ledger_entries(0, size)
        .await
        .expect("entries")
        .into_iter()
        .map(|e| (e.kind, e.subject))
        .collect()
}

/// R25: a recording of a classified activity is as secret as the activity — absent from every
/// list and "not found" for the uncleared, even though the recording itself carries no class —
/// and every classified item shown to a cleared reader, in a list as on its own page, is a
/// `classified.viewed` ledger entry naming the item.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r25_recordings_of_a_classified_activity_are_hidden_and_every_view_is_logged() {
    let t = TestApp::with_profile("zhejiang-rf").await;
    t.at("2026-11-20 09:00:00");
    let (a, b) = two_recordings(&t).await;
    let setup = Actor::test("setup");
    let kind = t.app().profile().await.unwrap().checklist[0]
        .kind
        .get_ref()
        .clone();
    let (act, _) = records::add_activity(
        t.app(),
        &setup,
        NewActivity {
            kind,
            subject_name: "某涉密单位".into(),
            subject_code: Some("91110000600037341L".into()),
            place: "某地".into(),
            officers: vec!["000123".into()],
            // The MP4 (09:30) falls inside, the WAV (09:40) outside.
            start: beijing_time("2026-11-20 09:29:00"),
            end: beijing_time("2026-11-20 09:33:00"),
            ..NewActivity::default()
        },
    )
    .await
    .expect("activity");
    records::link(t.app(), &setup, &a, act.id.as_str())
        .await
        .expect("link");
    let cleared = user(&t, "C1", "法制处", &["legal"], &[Secrecy::WorkSecret]).await;
    let reader = legal_reader(&t).await;
    access::classify(
        t.app(),
        &cleared,
        &format!("activity:{}", act.id),
        Some(Secrecy::WorkSecret),
    )
    .await
    .expect("classify the activity");

    // Not cleared: the activity and its recording are nowhere, the other recording is.
    let shas = |v: Vec<zhilu_app::model::Recording>| -> Vec<String> {
        v.into_iter().map(|r| r.sha256.to_string()).collect()
    };
    let listed = shas(offload::recordings(t.app(), &reader, None).await.unwrap());
    assert!(!listed.contains(&a), "inherited class hides it: {listed:?}");
    assert!(listed.contains(&b), "the unclassified one is listed");
    let kept = zhilu_app::compliance::retention(t.app(), &reader)
        .await
        .unwrap();
    assert!(kept.iter().all(|r| r.sha256.as_str() != a));
    assert!(
        records::activities(t.app(), &reader)
            .await
            .unwrap()
            .is_empty()
    );
    let subject =
        zhilu_app::compliance::subject(t.app(), &reader, Some("91110000600037341L"), None)
            .await
            .unwrap();
    assert!(subject.activities.is_empty() && subject.recordings.is_empty());
    let e = access::authorize(t.app(), &reader, &a, Use::Stream)
        .await
        .unwrap_err();
    assert!(matches!(e, AppError::NotFound { .. }), "{e:?}");
    let before = ledger_events(&t).await;
    assert!(
        before.iter().all(|(k, _)| k != "classified.viewed"),
        "nothing classified was shown yet: {before:?}"
    );

    // Cleared: shown, and each showing is in the ledger.
    let listed = shas(offload::recordings(t.app(), &cleared, None).await.unwrap());
    assert!(listed.contains(&a));
    let viewed = |events: &[(String, String)]| -> Vec<String> {
        events
            .iter()
            .filter(|(k, _)| k == "classified.viewed")
            .map(|(_, s)| s.clone())
            .collect()
    };
    let after = ledger_events(&t).await;
    assert_eq!(
        viewed(&after),
        vec![format!("view:recording:{a}")],
        "one entry for the one classified recording in the list"
    );
    records::activities(t.app(), &cleared).await.unwrap();
    zhilu_app::compliance::subject(t.app(), &cleared, Some("91110000600037341L"), None)
        .await
        .unwrap();
    records::activity(t.app(), &cleared, act.id.as_str())
        .await
        .unwrap();
    let after = viewed(&ledger_events(&t).await);
    let act_key = format!("view:activity:{}", act.id);
    assert_eq!(
        after.iter().filter(|s| **s == act_key).count(),
        3,
        "activities list, subject view and the activity page: {after:?}"
    );
    // Unclassified lists write nothing.
    let n = ledger_events(&t).await.len();
    access::classify(t.app(), &cleared, &format!("activity:{}", act.id), None)
        .await
        .unwrap();
    offload::recordings(t.app(), &reader, None).await.unwrap();
    records::activities(t.app(), &reader).await.unwrap();
    assert_eq!(
        ledger_events(&t).await.len(),
        n + 1,
        "only the declassification"
    );
}
