//! R27: the sampling draw (`zhilu-sample-v1`) is reproducible, its size is ⌈ratio × n⌉ per
//! stratum, and reviews roll up into the enforcement-quality assessment with the profile's weights.

use zhilu_policy::profile::SamplingWeights;
use zhilu_policy::sampling::{self, Candidate, Grade, Period, Reviewed};

fn population(n: usize, strata: &[&str]) -> Vec<Candidate> {
    (0..n)
        .map(|i| Candidate {
            id: format!("A20261{:03}-{:03}", 101 + i % 28, i),
            stratum: strata[i % strata.len()].to_string(),
        })
        .collect()
}

fn weights() -> SamplingWeights {
    SamplingWeights {
        events_recorded: 0.3,
        uninterrupted: 0.2,
        handled_properly: 0.2,
        content: 0.2,
        notification: 0.1,
    }
}

#[test]
fn r27_same_seed_draws_the_same_sample() {
    let pop = population(57, &["一大队", "二大队"]);
    let a = sampling::draw("2026年第四季度", 0.1, &pop);
    let mut shuffled = pop.clone();
    shuffled.reverse();
    let b = sampling::draw("2026年第四季度", 0.1, &shuffled);
    assert_eq!(a, b, "the order the catalog returns does not matter");
    assert!(!a.items.is_empty());
    // The documented key: hex SHA-256(seed ‖ 0x00 ‖ id), as `sha256sum` computes it.
    assert_eq!(
        sampling::draw_key("abc", "x"),
        "c0f25b467b7394ad21f93e84ae39481c86380d5d62978809d1b95ff2a59effe1"
    );
    // The digest is over the sorted ids joined by "\n": SHA-256("a\nb").
    assert_eq!(
        sampling::population_digest(["b", "a"]),
        "7e18f737311b2dc3b2f269dd78396b0351f14fb66efa879f768cb23181883c78"
    );
}

#[test]
fn r27_another_seed_draws_another_sample() {
    let pop = population(200, &["全部"]);
    let a = sampling::draw("seed-1", 0.05, &pop);
    let b = sampling::draw("seed-2", 0.05, &pop);
    assert_eq!(a.items.len(), b.items.len());
    assert_ne!(a.items, b.items);
    assert_eq!(a.population_digest, b.population_digest);
}

#[test]
fn r27_sample_size_is_ceil_ratio_per_stratum() {
    assert_eq!(sampling::sample_size(0.05, 20), 1, "0.05 × 20 is exactly 1");
    assert_eq!(sampling::sample_size(0.05, 21), 2);
    assert_eq!(sampling::sample_size(0.05, 1), 1);
    assert_eq!(sampling::sample_size(0.1, 30), 3);
    assert_eq!(sampling::sample_size(1.0, 7), 7);
    assert_eq!(sampling::sample_size(0.5, 0), 0);
    // 30 in 一大队, 21 in 二大队, 9 in 三大队.
    let mut pop = population(30, &["一大队"]);
    pop.extend(population(21, &["二大队"]).into_iter().map(|mut c| {
        c.id.push('b');
        c
    }));
    pop.extend(population(9, &["三大队"]).into_iter().map(|mut c| {
        c.id.push('c');
        c
    }));
    let d = sampling::draw("s", 0.1, &pop);
    let sizes: Vec<(&str, usize, usize)> = d
        .strata
        .iter()
        .map(|s| (s.name.as_str(), s.population, s.drawn))
        .collect();
    assert_eq!(
        sizes,
        [("一大队", 30, 3), ("三大队", 9, 1), ("二大队", 21, 3)]
    );
    assert_eq!(d.items.len(), 7);
    assert_eq!(d.population_count, 60);
}

#[test]
fn r27_periods_are_beijing_calendar_days() {
    let q = Period::parse("2026-Q4").unwrap();
    assert_eq!(
        (q.from.to_string(), q.to.to_string()),
        ("2026-10-01".into(), "2026-12-31".into())
    );
    assert_eq!(q.label(), "2026-Q4");
    assert_eq!(
        Period::parse("2026-11").unwrap().to.to_string(),
        "2026-11-30"
    );
    assert_eq!(Period::parse("2026").unwrap().label(), "2026");
    let r = Period::parse("2026-10-05..2026-10-09").unwrap();
    assert_eq!(r.label(), "2026-10-05..2026-10-09");
    let (from, to) = q.bounds();
    assert_eq!(from.to_rfc3339(), "2026-09-30T16:00:00+00:00");
    assert_eq!(to.to_rfc3339(), "2026-12-31T16:00:00+00:00");
    assert!(q.overlaps(&Period::parse("2026-12").unwrap()));
    assert!(!q.overlaps(&Period::parse("2026-Q3").unwrap()));
    for bad in [
        "2026-Q5",
        "2026-13",
        "26",
        "2026-12-31..2026-01-01",
        "下季度",
    ] {
        let e = Period::parse(bad).unwrap_err();
        assert!(e.contains('期'), "{e}");
    }
}

#[test]
fn r27_review_rolls_up_into_assessment() {
    let w = weights();
    // Everything passes: 100.
    let all_pass = [
        ("events_recorded", Grade::Pass),
        ("uninterrupted", Grade::Pass),
        ("handled_properly", Grade::Pass),
        ("content_1", Grade::Pass),
        ("notification", Grade::Pass),
    ];
    assert_eq!(sampling::review_score(&all_pass, &w), Some(100.0));
    // Interrupted (fail, 0.2), content half right (two items: pass + fail = 0.5, weight 0.2),
    // notification not applicable (its 0.1 renormalised away):
    // (0.3·1 + 0.2·0 + 0.2·1 + 0.2·0.5) / 0.9 × 100 = 66.67.
    let mixed = [
        ("events_recorded", Grade::Pass),
        ("uninterrupted", Grade::Fail),
        ("handled_properly", Grade::Pass),
        ("content_1", Grade::Pass),
        ("content_2", Grade::Fail),
        ("notification", Grade::NotApplicable),
    ];
    let s = sampling::review_score(&mixed, &w).unwrap();
    assert!((s - 600.0 / 9.0).abs() < 1e-9, "{s}");
    let partial = [("events_recorded", Grade::Partial)];
    assert_eq!(sampling::review_score(&partial, &w), Some(50.0));
    assert_eq!(
        sampling::review_score(&[("uninterrupted", Grade::NotApplicable)], &w),
        None
    );

    let reviews = [
        Reviewed {
            activity: "A1",
            officers: vec![("000101", "一大队"), ("000102", "一大队")],
            items: all_pass.to_vec(),
        },
        Reviewed {
            activity: "A2",
            officers: vec![("000101", "一大队"), ("000201", "二大队")],
            items: mixed.to_vec(),
        },
    ];
    let a = sampling::assess(&reviews, &w);
    let line = |v: &[sampling::Score], who: &str| {
        v.iter()
            .find(|s| s.who == who)
            .cloned()
            .unwrap_or_else(|| panic!("{who}"))
    };
    let o101 = line(&a.officers, "000101");
    assert_eq!(o101.reviewed, 2);
    assert!((o101.score.unwrap() - (100.0 + 600.0 / 9.0) / 2.0).abs() < 1e-9);
    assert_eq!(line(&a.officers, "000102").score, Some(100.0));
    assert_eq!(line(&a.officers, "000201").unit, "二大队");
    let u1 = line(&a.units, "一大队");
    assert_eq!(
        u1.reviewed, 2,
        "an activity of two of its officers counts once"
    );
    assert_eq!(line(&a.units, "二大队").reviewed, 1);
}
