//! Profiles: the five presets load and validate; broken profiles are refused with line and field.

use zhilu_policy::profile::{Obligation, PRESETS, Profile, ProfileError};

fn preset(id: &str) -> &'static str {
    PRESETS
        .iter()
        .find(|(p, _)| *p == id)
        .map(|(_, s)| *s)
        .expect("preset")
}

fn line_of(src: &str, needle: &str) -> usize {
    src.lines()
        .position(|l| l.contains(needle))
        .expect("needle")
        + 1
}

fn refused(src: &str) -> ProfileError {
    Profile::parse(src).expect_err("must be refused")
}

#[test]
fn r6_all_five_presets_load_and_validate() {
    for (id, src) in PRESETS {
        let p = Profile::parse(src).unwrap_or_else(|e| panic!("{id}: {e}"));
        assert_eq!(p.id(), id);
        for kind in ["routine_inspection", "compulsory_measure"] {
            assert!(p.kind(kind).is_some(), "{id} lacks {kind}");
        }
        assert!(p.roles.contains_key("unit_head"), "{id}");
    }
}

#[test]
fn r6_dalian_checklist_is_the_annex_seventeen_rows() {
    let p = Profile::parse(preset("dalian-ftz")).unwrap();
    assert_eq!(p.checklist.len(), 17);
    let nos: Vec<u32> = p.checklist.iter().map(|r| r.no.unwrap()).collect();
    assert_eq!(nos, (1..=17).collect::<Vec<_>>());
    for r in &p.checklist {
        let want = match r.no.unwrap() {
            1..=5 => Obligation::Mandatory,
            16 => Obligation::AsNeeded,
            _ => Obligation::AsCircumstances,
        };
        assert_eq!(r.obligation, want, "row {}", r.no.unwrap());
    }
    assert_eq!(p.checklist[0].content.len(), 11, "row 1 lists eleven items");
    assert_eq!(
        p.checklist[0].situation,
        "依法实施查封或者扣押等强制措施的现场执法活动和场所"
    );
    assert!(p.officers.one_films_whole, "§13");
}

#[test]
fn r17_r20_r23_numbers_differ_per_profile_as_the_texts_say() {
    let months: Vec<(&str, i64)> = PRESETS
        .iter()
        .map(|(id, src)| {
            (
                *id,
                *Profile::parse(src)
                    .unwrap()
                    .retention
                    .minimum_months
                    .get_ref(),
            )
        })
        .collect();
    assert_eq!(
        months,
        [
            ("dalian-ftz", 24),
            ("zhejiang-rf", 24),
            ("luohe-xm", 12),
            ("lushan-sj", 24),
            ("jinpu-wj", 6)
        ]
    );
    let zj = Profile::parse(preset("zhejiang-rf")).unwrap();
    let ext = zj.offload.extension.as_ref().expect("§19 extension");
    assert_eq!(*ext.working_days.get_ref(), 2);
    let excluded: Vec<&str> = ext
        .excluded_flags
        .iter()
        .map(|f| f.get_ref().as_str())
        .collect();
    assert_eq!(excluded, ["dispute", "incident"]);
    let lh = Profile::parse(preset("luohe-xm")).unwrap();
    let chain: Vec<&str> = lh
        .access
        .approvers
        .iter()
        .map(|r| r.get_ref().as_str())
        .collect();
    assert_eq!(chain, ["legal_office", "chief_leader"], "§17 two levels");
    assert_eq!(
        *Profile::parse(preset("lushan-sj"))
            .unwrap()
            .retention
            .disc_copies
            .get_ref(),
        2
    );
}

#[test]
fn r20_negative_retention_period_is_refused() {
    let src = preset("jinpu-wj").replace("minimum_months = 6 ", "minimum_months = -6 ");
    let e = refused(&src);
    assert_eq!(e.field, "retention.minimum_months");
    assert_eq!(e.line, Some(line_of(&src, "minimum_months = -6")));
    assert!(e.to_string().contains("负数"), "{e}");
}

#[test]
fn r6_unknown_field_is_refused_with_its_line() {
    let src = preset("jinpu-wj").replace("[pre_use]\n", "[pre_use]\nbattery_minimum = 50\n");
    let e = refused(&src);
    assert_eq!(e.line, Some(line_of(&src, "battery_minimum")));
    assert!(e.to_string().contains("未知字段"), "{e}");
}

#[test]
fn r10_approver_naming_an_undefined_role_is_refused() {
    let src = preset("jinpu-wj").replace(
        "approvers = [\"agency_head\"]         # §9",
        "approvers = [\"mayor\"]         # §9",
    );
    let e = refused(&src);
    assert_eq!(e.field, "norecord.approvers");
    assert!(e.message.contains("mayor"));
}

#[test]
fn r21_unknown_flag_in_a_trigger_is_refused() {
    let src = preset("jinpu-wj").replace("flags = [\"incident\"]", "flags = [\"riot\"]");
    let e = refused(&src);
    assert_eq!(e.field, "retention.triggers.flags");
    assert_eq!(e.line, Some(line_of(&src, "\"riot\"")));
}

#[test]
fn r6_duplicated_checklist_kind_is_refused() {
    let src =
        preset("jinpu-wj").replace("kind = \"investigation\"", "kind = \"routine_inspection\"");
    assert_eq!(refused(&src).field, "checklist.kind");
}

#[test]
fn r27_sampling_ratio_above_one_and_wrong_schema_are_refused() {
    let src = preset("jinpu-wj").replace("ratio = 0.05", "ratio = 1.5");
    assert_eq!(refused(&src).field, "sampling.ratio");
    let src = preset("jinpu-wj").replace("schema = 1", "schema = 2");
    let e = refused(&src);
    assert_eq!(
        (e.field.as_str(), e.line),
        ("schema", Some(line_of(&src, "schema = 2")))
    );
}

#[test]
fn r13_notification_phrases_are_the_regulations_words() {
    let phrase = |id: &str| Profile::parse(preset(id)).unwrap().notification.phrase;
    assert_eq!(
        phrase("zhejiang-rf"),
        "为保护您的合法权益，监督我们的执法行为，本次执法全程录音录像。"
    );
    assert!(phrase("luohe-xm").starts_with("您好，我们是漯河市畜牧兽医执法大队执法人员×××、×××"));
    assert!(
        phrase("jinpu-wj")
            .starts_with("我们是大连市卫生健康委执法人员＊＊＊、＊＊＊，这是我们的执法证件")
    );
    assert!(
        Profile::parse(preset("lushan-sj"))
            .unwrap()
            .notification
            .spoken_statement,
        "lushan-sj §8"
    );
}
