//! Output: Chinese text for people, JSON (stable field names) for machines.

use anyhow::Result;
use serde::Serialize;
use serde_json::{Value, json};
use zhilu_app::{
    App, DemoReport, DeviceRow, FixityReport, IngestReport, RecordingRow, VerifyReport,
    format_micros,
};

pub(crate) fn emit_json<T: Serialize + ?Sized>(v: &T) -> Result<()> {
    println!("{}", serde_json::to_string_pretty(v)?);
    Ok(())
}

/// Names can hold newlines or control characters (they come from devices); show them escaped.
fn shown(name: &str) -> String {
    if name.chars().any(char::is_control) {
        format!("{name:?}")
    } else {
        name.to_string()
    }
}

pub async fn init(app: &App, json: bool) -> Result<()> {
    let (size, root) = app.catalog().ledger_head().await?;
    if json {
        return emit_json(&json!({
            "data_dir": app.data_dir().root.display().to_string(),
            "ledger_entries": size,
            "ledger_root": hex_str(&root),
        }));
    }
    println!("数据目录已就绪：{}", app.data_dir().root.display());
    println!("审计日志：{size} 条记录");
    Ok(())
}

fn hex_str(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn device_json(d: &DeviceRow) -> Value {
    json!({
        "serial": d.serial, "kind": d.kind, "model": d.model, "asset_no": d.asset_no,
        "unit": d.unit, "keeper": d.keeper, "status": d.status,
        "registered_at": format_micros(d.registered_at),
    })
}

pub fn device_registered(d: &DeviceRow, json: bool) -> Result<()> {
    if json {
        return emit_json(&device_json(d));
    }
    println!(
        "设备 {}（{}，{}）：{}，所属单位 {}，保管人 {}",
        d.serial, d.kind, d.model, d.status, d.unit, d.keeper
    );
    Ok(())
}

pub fn devices(list: &[DeviceRow], json: bool) -> Result<()> {
    if json {
        return emit_json(&list.iter().map(device_json).collect::<Vec<_>>());
    }
    if list.is_empty() {
        println!("尚未登记任何设备。");
    }
    for d in list {
        println!(
            "{}\t{}\t{}\t{}\t{}\t{}",
            d.serial, d.kind, d.model, d.status, d.unit, d.keeper
        );
    }
    Ok(())
}

pub fn ingest(r: &IngestReport, json: bool) -> Result<()> {
    if json {
        return emit_json(r);
    }
    let files = r.imported + r.duplicates + r.damaged.len() as u64 + r.skipped.len() as u64;
    println!(
        "设备 {} 导入完成（采集站 {}，批次 {}）",
        r.device, r.station, r.session
    );
    println!(
        "  文件 {files} 个：新导入 {}，重复 {}，损坏但已保存 {}，跳过 {}",
        r.imported,
        r.duplicates,
        r.damaged.len(),
        r.skipped.len()
    );
    println!(
        "  读取 {:.1} MB，新存入 {:.1} MB，用时 {:.2} 秒，{:.1} MB/s",
        r.bytes_read as f64 / 1e6,
        r.bytes as f64 / 1e6,
        r.seconds,
        r.mb_per_s
    );
    if let Some(ms) = r.device_clock_offset_ms {
        println!("  设备时钟偏差：{:+.1} 秒", ms as f64 / 1000.0);
    }
    println!(
        "  设备已清空：{}",
        if r.device_cleared { "是" } else { "否" }
    );
    for s in &r.recovered_sessions {
        println!("  已将上次中断的导入批次 {s} 标记为“中断”");
    }
    for d in &r.damaged {
        println!("  损坏：{} — {}", shown(&d.file), d.reason);
    }
    for s in &r.skipped {
        println!("  跳过：{} — {}", shown(&s.file), s.reason);
    }
    Ok(())
}

fn recording_json(r: &RecordingRow) -> Value {
    json!({
        "sha256": r.sha256,
        "sm3": r.sm3,
        "size": r.size,
        "media_kind": r.media_kind,
        "capture_start": r.capture_start.map(format_micros),
        "capture_end": r.capture_end.map(format_micros),
        "duration_s": r.duration_ms.map(|ms| ms as f64 / 1000.0),
        "time_source": r.time_source,
        "original_name": r.original_name,
        "original_path": r.original_path,
        "device": r.device_serial,
        "officer": r.officer,
        "sequence": r.sequence,
        "important": r.important != 0,
        "station": r.station,
        "session": r.session_id,
        "offloaded_at": format_micros(r.offloaded_at),
        "damaged": r.damaged != 0,
        "damage_reason": r.damage_reason,
    })
}

pub fn recordings(list: &[RecordingRow], json: bool) -> Result<()> {
    if json {
        return emit_json(&list.iter().map(recording_json).collect::<Vec<_>>());
    }
    if list.is_empty() {
        println!("没有记录。");
    }
    for r in list {
        let start = r
            .capture_start
            .map(format_micros)
            .unwrap_or_else(|| "拍摄时间未知".into());
        let dur = r
            .duration_ms
            .map(|ms| format!("{:.1} 秒", ms as f64 / 1000.0))
            .unwrap_or_else(|| "-".into());
        let flag = if r.damaged != 0 { "  [损坏]" } else { "" };
        println!(
            "{}  {:<5} {:>12} 字节  {}  {}  设备 {} 民警 {}  {}{}",
            &r.sha256[..12],
            r.media_kind,
            r.size,
            start,
            dur,
            r.device_serial,
            r.officer,
            shown(&r.original_path),
            flag
        );
    }
    Ok(())
}

pub fn fixity(r: &FixityReport, json: bool) -> Result<()> {
    if json {
        return emit_json(&json!({
            "objects": r.objects,
            "copies_checked": r.copies_checked,
            "bytes_hashed": r.bytes_hashed,
            "seconds": r.seconds,
            "ok": r.unrepaired() == 0,
            "problems": r.problems,
            "orphans": r.orphans,
        }));
    }
    println!(
        "固定性检查：{} 个对象，{} 份副本，重新计算 {:.1} MB，用时 {:.2} 秒",
        r.objects,
        r.copies_checked,
        r.bytes_hashed as f64 / 1e6,
        r.seconds
    );
    for p in &r.problems {
        let state = if p.repaired { "已修复" } else { "未修复" };
        println!(
            "  {}：{} 在 {} — {}（{state}）",
            if p.problem == "missing" {
                "缺失"
            } else {
                "损坏"
            },
            p.sha256,
            p.root,
            p.detail
        );
        if let Some(q) = &p.quarantined_to {
            println!("    损坏副本已隔离到 {q}");
        }
    }
    for o in &r.orphans {
        println!(
            "  未登记的对象：{} 在 {}（可能来自中断的导入，重新导入该设备即可登记）",
            o.sha256, o.root
        );
    }
    if r.unrepaired() == 0 {
        println!("结果：全部副本完好。");
    } else {
        println!(
            "结果：发现 {} 处问题未修复，可运行 `zhilu fixity --repair` 从完好副本修复。",
            r.unrepaired()
        );
    }
    Ok(())
}

pub fn verify(r: &VerifyReport, json: bool) -> Result<()> {
    if json {
        return emit_json(&json!({
            "ok": r.problems.is_empty(),
            "entries": r.entries,
            "root": r.root,
            "checkpoint_size": r.checkpoint_size,
            "checkpoints_checked": r.checkpoints_checked,
            "rows_checked": r.rows_checked,
            "problems": r.problems,
        }));
    }
    println!(
        "审计日志 {} 条，根哈希 {}，核对签名检查点 {} 个、数据库记录 {} 行",
        r.entries, r.root, r.checkpoints_checked, r.rows_checked
    );
    if r.problems.is_empty() {
        println!("结果：审计日志完整，数据库记录与日志一致。");
    }
    for p in &r.problems {
        let entry = p.entry.map(|e| format!("第 {e} 条")).unwrap_or_default();
        let subj = p.subject.as_deref().unwrap_or("");
        println!("  问题 {entry} {subj}：{}", p.message);
    }
    Ok(())
}

pub fn bench<T: Serialize>(r: &T, _json: bool) -> Result<()> {
    // Benchmarks always print JSON: the figures are for people and scripts alike.
    emit_json(r)
}

pub fn demo(r: &DemoReport, json: bool) -> Result<()> {
    if json {
        return emit_json(r);
    }
    println!("演示数据目录：{}", r.data_dir);
    ingest(&r.ingest, false)?;
    println!();
    println!(
        "再次导入同一设备（应全部识别为重复）：新导入 {}，重复 {}",
        r.reingest_imported, r.reingest_duplicates
    );
    println!();
    recordings(&r.recordings, false)?;
    println!();
    fixity(&r.fixity, false)?;
    println!();
    verify(&r.verify, false)?;
    println!();
    println!("按执法规范配置 {} 检查（zhilu check）：", r.profile);
    for f in &r.findings {
        println!(
            "  [{}] {} {}：{}",
            f.rule,
            f.article,
            f.severity.label(),
            f.message
        );
    }
    if r.findings.is_empty() {
        println!("  未发现问题");
    }
    println!();
    println!(
        "下一步：zhilu --data-dir {} check（或 recordings list --json、profile show）",
        r.data_dir
    );
    Ok(())
}
