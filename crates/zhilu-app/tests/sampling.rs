//! R27 (zhejiang-rf §23, jinpu-wj §26, lushan-sj §17): a supervisor draws a reproducible sample of
//! a period's activities, reviewers score them (never their own), and the reviews roll up into
//! the enforcement-quality assessment. Runs on PostgreSQL too when `ZHILU_TEST_POSTGRES_URL` is set.

use zhilu_app::records::{self, NewActivity};
use zhilu_app::supervision::sampling::{self, DrawAsk, ReviewAsk};
use zhilu_app::testing::{TestApp, beijing_time};
use zhilu_app::{Actor, AppError};
use zhilu_model::{ReviewResult, SampleBy};

const PROFILE: &str = "lushan-sj";

async fn user(t: &TestApp, id: &str, unit: &str, roles: &[&str]) -> Actor {
    t.person(id, unit, roles).await
}

struct Setup {
    t: TestApp,
    supervisor: Actor,
    officer: Actor,
    head: Actor,
}

/// Two units; `n1` activities of officer 000101 (一大队) and `n2` of 000201 (二大队) in
/// November 2026, one in December; a supervisor S1 who also took part in the first one.
async fn setup(n1: usize, n2: usize) -> Setup {
    let t = TestApp::with_profile(PROFILE).await;
    t.at("2026-12-05 08:00:00");
    let officer = user(&t, "000101", "一大队", &["officer"]).await;
    user(&t, "000201", "二大队", &["officer"]).await;
    let head = user(&t, "000102", "一大队", &["unit_head"]).await;
    let supervisor = user(&t, "S1", "督察室", &["supervisor"]).await;
    let setup = Actor::test("setup");
    let add = async |who: &[&str], day: usize, hour: usize| {
        let start = beijing_time(&format!(
            "2026-11-{:02} {:02}:00:00",
            1 + day % 28,
            8 + hour % 10
        ));
        records::add_activity(
            t.app(),
            &setup,
            NewActivity {
                kind: "routine_inspection".into(),
                subject_name: "某某商店".into(),
                subject_code: None,
                place: "某某路1号".into(),
                officers: who.iter().map(|s| s.to_string()).collect(),
                start,
                end: start + chrono::Duration::minutes(30),
                case_no: None,
                flags: vec![],
            },
        )
        .await
        .expect("activity");
    };
    for i in 0..n1 {
        if i == 0 {
            add(&["000101", "S1"], i, i).await;
        } else {
            add(&["000101"], i, i).await;
        }
    }
    for i in 0..n2 {
        add(&["000201"], i + 3, i + 1).await;
    }
    // Outside November.
    let start = beijing_time("2026-12-02 09:00:00");
    records::add_activity(
        t.app(),
        &setup,
        NewActivity {
            kind: "routine_inspection".into(),
            subject_name: "某某商店".into(),
            subject_code: None,
            place: "某某路1号".into(),
            officers: vec!["000101".into()],
            start,
            end: start + chrono::Duration::minutes(30),
            case_no: None,
            flags: vec![],
        },
    )
    .await
    .expect("activity");
    t.at("2026-12-05 10:00:00");
    Setup {
        t,
        supervisor,
        officer,
        head,
    }
}

fn ask(seed: &str, ratio: f64, by: SampleBy, reason: Option<&str>) -> DrawAsk {
    DrawAsk {
        period: "2026-11".into(),
        ratio: Some(ratio),
        by,
        seed: seed.into(),
        reason: reason.map(str::to_string),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn r27_same_seed_draws_the_same_sample() {
    let s = setup(6, 4).await;
    let app = s.t.app();
    let a = sampling::draw(app, &s.supervisor, ask("甲", 0.3, SampleBy::All, None))
        .await
        .unwrap();
    assert!(a.id.as_str().starts_with("CC"), "{}", a.id);
    assert_eq!(a.population_count, 10, "December is not in 2026-11");
    assert_eq!(a.items.len(), 3);
    assert_eq!(a.algorithm, "zhilu-sample-v1");
    let b = sampling::draw(
        app,
        &s.supervisor,
        ask("甲", 0.3, SampleBy::All, Some("复核第一次抽样")),
    )
    .await
    .unwrap();
    assert_eq!(a.items, b.items);
    assert_eq!(a.population_digest, b.population_digest);
    let v = sampling::verify(app, &s.supervisor, a.id.as_str())
        .await
        .unwrap();
    assert!(v.population_matches && v.sample_matches, "{v:?}");
    // The ledgered draw reads back identically.
    let shown = sampling::show(app, &s.supervisor, a.id.as_str())
        .await
        .unwrap();
    assert_eq!(shown.draw, a);
    assert_eq!(shown.entries.len(), 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn r27_another_seed_draws_another_sample() {
    let s = setup(12, 8).await;
    let app = s.t.app();
    let a = sampling::draw(app, &s.supervisor, ask("甲", 0.25, SampleBy::All, None))
        .await
        .unwrap();
    let b = sampling::draw(
        app,
        &s.supervisor,
        ask("乙", 0.25, SampleBy::All, Some("另选种子复核")),
    )
    .await
    .unwrap();
    assert_eq!(a.items.len(), b.items.len());
    assert_ne!(a.items, b.items);
    assert_eq!(a.population_digest, b.population_digest);
}

#[tokio::test(flavor = "multi_thread")]
async fn r27_sample_size_is_ceil_ratio_per_stratum() {
    let s = setup(7, 3).await;
    let d = sampling::draw(
        s.t.app(),
        &s.supervisor,
        ask("丙", 0.2, SampleBy::Unit, None),
    )
    .await
    .unwrap();
    let strata: Vec<(&str, u64, u64)> = d
        .strata
        .iter()
        .map(|x| (x.name.as_str(), x.population, x.drawn))
        .collect();
    // ⌈0.2 × 7⌉ = 2, ⌈0.2 × 3⌉ = 1.
    assert_eq!(strata, [("一大队", 7, 2), ("二大队", 3, 1)]);
    assert_eq!(d.items.len(), 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn r27_second_draw_needs_a_reason() {
    let s = setup(3, 2).await;
    let app = s.t.app();
    sampling::draw(app, &s.supervisor, ask("甲", 0.5, SampleBy::All, None))
        .await
        .unwrap();
    // A quarter overlapping November, another seed, no reason: refused.
    let mut q = ask("乙", 0.5, SampleBy::All, None);
    q.period = "2026-Q4".into();
    match sampling::draw(app, &s.supervisor, q.clone()).await {
        Err(AppError::SampleRefused(m)) => {
            assert!(m.contains("事由") && m.contains("CC00001"), "{m}")
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert_eq!(sampling::list(app, &s.supervisor).await.unwrap().len(), 1);
    q.reason = Some("季度抽查".into());
    let d = sampling::draw(app, &s.supervisor, q).await.unwrap();
    assert_eq!(d.reason.as_deref(), Some("季度抽查"));
    // A period that does not overlap needs none.
    let mut sep = ask("丁", 0.5, SampleBy::All, None);
    sep.period = "2026-09".into();
    let empty = sampling::draw(app, &s.supervisor, sep).await.unwrap();
    assert_eq!((empty.population_count, empty.items.len()), (0, 0));
    // Only a supervisor draws.
    assert!(matches!(
        sampling::draw(app, &s.officer, ask("戊", 0.5, SampleBy::All, Some("x"))).await,
        Err(AppError::Forbidden { .. })
    ));
}

#[tokio::test(flavor = "multi_thread")]
async fn r27_reviewer_cannot_review_own_activity() {
    let s = setup(1, 1).await;
    let app = s.t.app();
    let d = sampling::draw(app, &s.supervisor, ask("甲", 1.0, SampleBy::All, None))
        .await
        .unwrap();
    let shown = sampling::show(app, &s.supervisor, d.id.as_str())
        .await
        .unwrap();
    let own = shown
        .entries
        .iter()
        .find(|e| e.officers.iter().any(|o| o.as_str() == "S1"))
        .expect("the supervisor's own activity is in the sample");
    let r = sampling::review(
        app,
        &s.supervisor,
        ReviewAsk {
            draw: d.id.to_string(),
            activity: own.activity.to_string(),
            items: vec![],
            others: Some("符合".into()),
            comment: "自评".into(),
        },
    )
    .await;
    match r {
        Err(AppError::SampleRefused(m)) => assert!(m.contains("本人参与"), "{m}"),
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert!(
        sampling::show(app, &s.supervisor, d.id.as_str())
            .await
            .unwrap()
            .entries
            .iter()
            .all(|e| e.review.is_none())
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn r27_review_rolls_up_into_assessment() {
    let s = setup(2, 1).await;
    let app = s.t.app();
    let d = sampling::draw(app, &s.supervisor, ask("甲", 1.0, SampleBy::All, None))
        .await
        .unwrap();
    let shown = sampling::show(app, &s.supervisor, d.id.as_str())
        .await
        .unwrap();
    let mine = |e: &&sampling::DrawEntry| e.officers.iter().any(|o| o.as_str() == "S1");
    let of = |who: &str| {
        shown
            .entries
            .iter()
            .filter(|e| !mine(e))
            .find(|e| e.officers.iter().any(|o| o.as_str() == who))
            .expect("entry")
            .activity
            .to_string()
    };
    let before = sampling::assess(app, &s.officer, "2026-11").await.unwrap();
    assert!(before.officers.is_empty());
    // Each weight group is named in Chinese for the page and the CLI.
    let labels: Vec<&str> = before.weights.iter().map(|w| w.label.as_str()).collect();
    assert_eq!(
        labels,
        [
            "环节完整",
            "连续不间断",
            "移交管理使用规范",
            "记录内容",
            "告知用语"
        ],
        "{:?}",
        before.weights
    );
    // 000101's activity: interrupted (fail) and notification partial; the rest pass:
    // (0.3 + 0 + 0.2 + 0.2 + 0.1 × 0.5) / 1 × 100 = 75.
    let r = sampling::review(
        app,
        &s.supervisor,
        ReviewAsk {
            draw: d.id.to_string(),
            activity: of("000101"),
            items: vec![
                ("uninterrupted".into(), "不符合".into()),
                ("notification".into(), "基本符合".into()),
            ],
            others: Some("符合".into()),
            comment: "中途中断约两分钟".into(),
        },
    )
    .await
    .unwrap();
    assert!(
        r.items.iter().any(|i| i.key == "content_1"),
        "{:?}",
        r.items
    );
    assert_eq!(
        r.items
            .iter()
            .find(|i| i.key == "uninterrupted")
            .unwrap()
            .result,
        ReviewResult::Fail
    );
    // A second review of the same activity in the same draw is refused.
    let again = sampling::review(
        app,
        &s.supervisor,
        ReviewAsk {
            draw: d.id.to_string(),
            activity: of("000101"),
            items: vec![],
            others: Some("符合".into()),
            comment: String::new(),
        },
    )
    .await;
    assert!(
        matches!(again, Err(AppError::AlreadyExists { .. })),
        "{again:?}"
    );
    // Missing items without `others` are refused, naming them.
    match sampling::review(
        app,
        &s.supervisor,
        ReviewAsk {
            draw: d.id.to_string(),
            activity: of("000201"),
            items: vec![("events_recorded".into(), "符合".into())],
            others: None,
            comment: String::new(),
        },
    )
    .await
    {
        Err(AppError::Invalid { reason, .. }) => {
            assert!(reason.contains("uninterrupted"), "{reason}")
        }
        other => panic!("expected missing items, got {other:?}"),
    }
    sampling::review(
        app,
        &s.supervisor,
        ReviewAsk {
            draw: d.id.to_string(),
            activity: of("000201"),
            items: vec![],
            others: Some("pass".into()),
            comment: String::new(),
        },
    )
    .await
    .unwrap();

    // The officer sees only the sampled activities they took part in, and may not re-draw.
    let theirs = sampling::show(app, &s.officer, d.id.as_str())
        .await
        .unwrap();
    assert!(theirs.hidden >= 1, "{theirs:?}");
    assert!(!theirs.entries.is_empty());
    assert!(
        theirs
            .entries
            .iter()
            .all(|e| e.officers.iter().any(|o| o.as_str() == "000101"))
    );
    assert_eq!(theirs.draw.items.len(), theirs.entries.len());
    let listed = sampling::list(app, &s.officer).await.unwrap();
    assert_eq!(listed[0].items.len(), theirs.entries.len());
    assert!(matches!(
        sampling::verify(app, &s.officer, d.id.as_str()).await,
        Err(AppError::Forbidden { .. })
    ));
    // The officer sees their own line only.
    let mine = sampling::assess(app, &s.officer, "2026-11").await.unwrap();
    assert_eq!(mine.officers.len(), 1);
    assert_eq!(mine.officers[0].id, "000101");
    assert_eq!(mine.officers[0].reviewed, 1);
    assert!(
        (mine.officers[0].score.unwrap() - 75.0).abs() < 1e-9,
        "{mine:?}"
    );
    assert!(mine.units.is_empty());
    // The unit head sees the unit.
    let unit = sampling::assess(app, &s.head, "2026-11").await.unwrap();
    assert_eq!(unit.units.len(), 1);
    assert_eq!(unit.units[0].id, "一大队");
    // The supervisor sees everyone.
    let all = sampling::assess(app, &s.supervisor, "2026-11")
        .await
        .unwrap();
    assert_eq!(all.units.len(), 2);
    let u2 = all.units.iter().find(|u| u.id == "二大队").unwrap();
    assert_eq!(u2.score, Some(100.0));
    // Another period has none of it.
    assert!(
        sampling::assess(app, &s.supervisor, "2026-10")
            .await
            .unwrap()
            .officers
            .is_empty()
    );
    // The sheet.
    let sheet = sampling::assessment_sheet(app, &s.supervisor, "2026-11")
        .await
        .unwrap();
    assert_eq!(sheet.rows.len(), 2 + all.officers.len());
}
