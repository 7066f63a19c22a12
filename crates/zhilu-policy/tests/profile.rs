//! Profiles: the five presets load and validate; broken profiles are refused with line and field.

use zhilu_policy::profile::{
    DeadlineBase, NotInProfile, Obligation, PRESETS, Profile, ProfileError, RetentionClass,
    check_flag,
};

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

/// What a lookup gives back: the label it found, or the sentence shown to the person.
fn lookup<T>(r: Result<T, NotInProfile>, label: impl Fn(T) -> String) -> Result<String, String> {
    r.map(label).map_err(|e| e.to_string())
}

#[test]
fn r10_r11_reasons_are_looked_up_in_the_profile_and_refused_with_the_choices() {
    let p = Profile::preset("jinpu-wj").expect("preset");
    let cases: Vec<(&str, Result<String, String>)> = vec![
        ("norecord secret", Ok("涉及国家秘密、工作秘密、商业秘密及个人隐私".into())),
        ("norecord  force_majeure ", Ok("因天气等其他不可抗力因素不能使用".into())),
        (
            "norecord weather",
            Err("“weather”不是jinpu-wj §9 允许的不记录情形，可选：secret（涉及国家秘密、工作秘密、商业秘密及个人隐私）、force_majeure（因天气等其他不可抗力因素不能使用）".into()),
        ),
        ("interruption cannot_continue", Ok("确实无法继续记录（事后书面说明情况）".into())),
        (
            "interruption secret",
            Err("“secret”不是jinpu-wj §14 允许的中断原因，可选：device_fault（设备故障、损坏）、weather（天气情况恶劣）、power_storage（电量、存储空间不足）、place_change（检查场所变化）、cannot_continue（确实无法继续记录（事后书面说明情况））".into()),
        ),
    ];
    for (input, want) in cases {
        let (which, id) = input.split_once(' ').expect("case");
        let got = match which {
            "norecord" => lookup(p.norecord_reason(id), |r| r.label.clone()),
            _ => lookup(p.interruption_reason(id), |r| r.label.clone()),
        };
        assert_eq!(got, want, "{input:?}");
    }
}

#[test]
fn r7_activity_kinds_roles_and_flags_are_checked_against_the_profile() {
    let p = Profile::preset("lushan-sj").expect("preset");
    let cases: Vec<(&str, Result<String, String>)> = vec![
        ("kind hearing", Ok("举行听证".into())),
        (
            "kind seizure",
            Err("“seizure”不是配置 lushan-sj 中的活动类型，可选：routine_inspection（现场执法）、investigation（调查取证）、hearing（举行听证）、service_lodging（留置送达）、service_notice（公告送达）、compulsory_measure（实施行政强制措施（现场执法中容易引发争议的过程））".into()),
        ),
        ("role chief_leader", Ok("本单位主要领导".into())),
        ("role  officer", Ok("执法人员".into())),
        (
            "role 执法人员",
            Err("“执法人员”不是配置 lushan-sj 中的角色，可选：archive（案卷档案室）、chief_leader（本单位主要领导）、legal_office（法规股）、office（办公室）、officer（执法人员）、records_manager（管理人员）、unit_head（执法机构负责人）".into()),
        ),
        ("flag remote", Ok("异地、偏远、连续执法，无法当天移交".into())),
        (
            "flag Dispute",
            Err("“Dispute”不是已知的活动标记，可选：dispute（现场发生纠纷冲突或当事人有异议）、complaint（投诉、上访、复议或诉讼）、obstruction（逃避、拒绝、阻碍执法或谩骂、侮辱、殴打执法人员）、incident（群体性事件、突发事件）、evidence（作为证据或行政决定证据使用）、public_interest（涉及公共利益、人身安全等复杂案件）、major（其他重大、复杂、敏感情况）、life_health（直接涉及生命健康）、major_property（直接涉及重大财产权益）、remote（异地、偏远、连续执法，无法当天移交）".into()),
        ),
    ];
    for (input, want) in cases {
        let (which, id) = input.split_once(' ').expect("case");
        let got = match which {
            "kind" => lookup(p.activity_kind(id), |r| r.situation.clone()),
            "role" => lookup(p.check_role(id), str::to_string),
            _ => lookup(check_flag(id), str::to_string),
        };
        assert_eq!(got, want, "{input:?}");
    }
}

#[test]
fn r10_refusal_keeps_the_given_value_and_choices_for_machines() {
    let p = Profile::preset("jinpu-wj").expect("preset");
    let e = p.norecord_reason(" nope ").expect_err("unknown");
    assert_eq!(e.what, "jinpu-wj §9 允许的不记录情形");
    assert_eq!(e.given, "nope");
    assert_eq!(
        e.choices,
        vec![
            (
                "secret".to_string(),
                "涉及国家秘密、工作秘密、商业秘密及个人隐私".to_string()
            ),
            (
                "force_majeure".to_string(),
                "因天气等其他不可抗力因素不能使用".to_string()
            ),
        ]
    );
}

#[test]
fn r17_offload_rule_is_described_in_chinese_not_by_its_debug_name() {
    let cases = [
        (
            "dalian-ftz",
            "执法活动结束当日 24 时前；异地或连续执法的，返回单位后 24 小时内",
            None,
        ),
        (
            "luohe-xm",
            "执法活动结束当日 24 时前；异地或连续执法的，返回单位后 24 小时内",
            None,
        ),
        (
            "zhejiang-rf",
            "执法活动结束后 24 小时内；经批准可延长至 2 个工作日（现场发生纠纷冲突或当事人有异议、群体性事件、突发事件的除外）",
            Some(
                "执法活动结束后 24 小时内；经本处室负责人批准可延长至 2 个工作日（现场发生纠纷冲突或当事人有异议、群体性事件、突发事件的除外）",
            ),
        ),
    ];
    for (id, describe, with_titles) in cases {
        let p = Profile::preset(id).expect("preset");
        assert_eq!(p.offload.describe(), describe, "{id}");
        assert_eq!(
            p.describe_offload(),
            with_titles.unwrap_or(describe),
            "{id}"
        );
    }
    // The hours are the profile's, and each exception appears only when the profile has it.
    let src = preset("zhejiang-rf")
        .replace("hours = 24                #", "hours = 36 #")
        .replace(
            "excluded_flags = [\"dispute\", \"incident\"]",
            "excluded_flags = []",
        );
    let p = Profile::parse(&src).expect("valid");
    assert_eq!(
        p.offload.describe(),
        "执法活动结束后 36 小时内；经批准可延长至 2 个工作日"
    );
}

#[test]
fn r17_r20_labels_for_people_are_chinese_and_distinct() {
    let bases = [
        (DeadlineBase::SameDay, "执法活动结束当日 24 时前"),
        (DeadlineBase::Hours, "执法活动结束后规定小时数内"),
    ];
    for (b, want) in bases {
        assert_eq!(b.label(), want, "{b:?}");
    }
    let classes = [
        (RetentionClass::Minimum, "最低保存期限"),
        (RetentionClass::Case, "随案卷保存"),
        (RetentionClass::LongTerm, "长期保存"),
        (RetentionClass::Permanent, "永久保存"),
        (RetentionClass::Hold, "保全中"),
    ];
    for (c, want) in classes {
        assert_eq!(c.label(), want, "{c:?}");
        assert_ne!(c.label(), c.as_str());
    }
}
