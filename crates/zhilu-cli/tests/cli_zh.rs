//! X4 (air-gapped, Chinese-first product): `--help`, an unknown flag and a missing argument print
//! no English word besides flag names and values a user types.
//!
//! Runs the real binary. The command tree is discovered from the binary itself: the `命令：`
//! section of every help page, recursively from `zhilu --help`, so a new command is covered
//! without editing this file. No data directory is needed: help and usage errors stop before any
//! command runs.

use std::collections::BTreeSet;
use std::process::{Command, Output};

/// Values a user can type that appear in help texts (besides flag names, which `english_words`
/// skips, the binary name, subcommand names and `ZHILU_*` environment variables, which the tests
/// collect from the binary). Keep this short: a value, never prose.
#[rustfmt::skip]
const ALLOWED_VALUES: &[&str] = &[
    // hash and signature algorithms, key tools
    "sha256", "sm3", "ed25519", "sm2", "openssl", "dgst",
    // catalogue databases and file formats
    "postgres", "postgres://user@host/db", "json", "toml", "zhilu.toml",
    // JSON error keys scripts read: {"code", "message"}
    "code", "message",
    // time format, size units
    "RFC", "GiB", "GB", "MiB", "KiB",
    // default paths: data directories, evidence stores, the memory disk of `bench ingest`
    "./zhilu-data", "./zhilu-demo", "vault/primary", "vault/replica", "/dev/shm",
    // the baseline tools of `bench check` and `bench serve` (nginx with `sendfile off`)
    "sqlite3", "nginx", "sendfile", "off",
    // the catalogue server and baseline tool of `bench check-pg`
    "PostgreSQL", "psql",
    // the baseline tools of `bench export` (cp, xorriso -as mkisofs)
    "cp", "xorriso", "mkisofs",
    // the baseline of `bench offload` (a Python script that fsyncs and hashes SHA-256), its sizes
    "Python", "fsync", "SHA", "KB",
    // the key that stops `serve` and `demo --serve`
    "Ctrl",
    // disc image standards and the disc sizes `--disc-size` accepts by name
    "ISO", "Joliet", "cd", "dvd", "dl", "bd25",
    // a witness's address (http://host:port), its default directory
    "http", "./zhilu-witness",
    // a networked station's platform address (`station ingest --to https://…`)
    "https",
    // prefixes of the numbers `approve` takes (NR…, IR…, EX…, AR…, PR…)
    "NR", "IR", "EX", "AR", "PR",
    // enforcement profile ids
    "dalian-ftz", "zhejiang-rf", "luohe-xm", "lushan-sj", "jinpu-wj",
    // role ids
    "admin", "officer", "unit_head", "custodian", "legal",
    // spreadsheet formats and encodings `user import` / `device import` read, a date's form
    "xlsx", "CSV", "UTF-8", "GBK", "YYYY-MM-DD",
    // `access classify --item recording:<哈希>`, and `none` to lift a class
    "recording", "activity", "none",
    // `serve`: TLS certificate files
    "TLS", "PEM",
    // activity flags, device kind alias
    "dispute", "complaint", "obstruction", "incident", "evidence", "public_interest",
    "major", "life_health", "major_property", "remote", "body-camera",
];

// ---------------------------------------------------------------------------------------------
// english_words
// ---------------------------------------------------------------------------------------------

/// English words in `text` (alphanumeric runs with 2 or more ASCII letters). These do not count:
/// - tokens starting with `-` (argument names, such as `-h`, `--data-dir`);
/// - a whole token (delimited by whitespace, non-ASCII characters and `` `'"()[]<>{},;| ``, with
///   trailing `.:!?` removed) that is in `allowed`, such as `./zhilu-data` or
///   `postgres://user@host/db`;
/// - a word that is itself in `allowed` (case-insensitive), such as `zhilu`, `sha256`, `RFC`.
pub fn english_words(text: &str, allowed: &[&str]) -> Vec<String> {
    let ok = |s: &str| allowed.iter().any(|a| a.eq_ignore_ascii_case(s));
    let is_delim = |c: char| {
        !c.is_ascii()
            || c.is_ascii_whitespace()
            || c.is_ascii_control()
            || "`'\"()[]<>{},;|".contains(c)
    };
    let mut found = Vec::new();
    for chunk in text.split(is_delim) {
        let chunk = chunk.trim_end_matches(['.', ':', '!', '?']);
        if chunk.is_empty() || chunk.starts_with('-') || ok(chunk) {
            continue;
        }
        for word in chunk.split(|c: char| !c.is_ascii_alphanumeric()) {
            let letters = word.chars().filter(|c| c.is_ascii_alphabetic()).count();
            if letters >= 2 && !ok(word) {
                found.push(word.to_owned());
            }
        }
    }
    found
}

// ---------------------------------------------------------------------------------------------
// running the binary and walking its command tree
// ---------------------------------------------------------------------------------------------

/// Runs `zhilu` in an empty directory with no `ZHILU_*` variables set (so no required argument
/// is filled from the environment and nothing is read or written).
fn zhilu(args: &[&str]) -> Output {
    let cwd = std::env::temp_dir();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_zhilu"));
    cmd.args(args).current_dir(cwd).env("NO_COLOR", "1");
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("ZHILU_") {
            cmd.env_remove(key);
        }
    }
    cmd.output().expect("run zhilu")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).expect("output is UTF-8")
}

fn has_cjk(s: &str) -> bool {
    s.chars()
        .any(|c| matches!(c as u32, 0x3400..=0x4DBF | 0x4E00..=0x9FFF))
}

/// Names listed in the `命令：` section of a help page.
fn subcommands(help: &str) -> Vec<String> {
    help.lines()
        .skip_while(|l| l.trim() != "命令：")
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_owned)
        .collect()
}

/// The usage line (after `用法：`) of a help page or error.
fn usage_line(out: &str) -> Option<&str> {
    out.lines().find_map(|l| l.trim().strip_prefix("用法："))
}

/// Whether a usage line asks for something outside `[…]`: `--serial <编号>`, `<文件>`, `<命令>`.
fn has_required(usage: &str) -> bool {
    let mut depth = 0usize;
    let mut outside = String::new();
    for c in usage.chars() {
        match c {
            '[' => depth += 1,
            ']' => depth = depth.saturating_sub(1),
            _ if depth == 0 => outside.push(c),
            _ => {}
        }
    }
    outside.contains('<') || outside.split_whitespace().any(|t| t.starts_with('-'))
}

/// The command tree as the binary shows it.
struct Tree {
    /// Every command path, root (empty) first, each with its `--help` page.
    paths: Vec<(Vec<String>, String)>,
    /// The words a user may see: values, the binary name, subcommand names, environment variables.
    allowed: Vec<String>,
}

impl Tree {
    fn discover() -> Tree {
        let mut paths = Vec::new();
        let mut queue = vec![Vec::<String>::new()];
        let mut names = BTreeSet::new();
        let mut env_vars = BTreeSet::new();
        while let Some(path) = queue.pop() {
            let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
            args.push("--help");
            let out = zhilu(&args);
            let help = text(&out.stdout);
            assert!(
                out.status.success(),
                "zhilu {args:?}: {}",
                text(&out.stderr)
            );
            for sub in subcommands(&help).into_iter().rev() {
                names.insert(sub.clone());
                let mut child = path.clone();
                child.push(sub);
                queue.push(child);
            }
            for token in help.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')) {
                if token.starts_with("ZHILU_") {
                    env_vars.insert(token.to_owned());
                }
            }
            paths.push((path, help));
        }
        let mut allowed: Vec<String> = ALLOWED_VALUES.iter().map(|s| s.to_string()).collect();
        allowed.push("zhilu".into());
        allowed.extend(names);
        allowed.extend(env_vars);
        Tree { paths, allowed }
    }

    fn english(&self, text: &str) -> Vec<String> {
        self.english_with(text, None)
    }

    /// Also allows `typed` as a whole token: what the user typed, named back by the error.
    fn english_with(&self, text: &str, typed: Option<&str>) -> Vec<String> {
        let mut allowed: Vec<&str> = self.allowed.iter().map(String::as_str).collect();
        allowed.extend(typed);
        english_words(text, &allowed)
    }

    fn assert_chinese(&self, what: &str, text: &str) {
        let words = self.english(text);
        assert!(
            words.is_empty(),
            "{what}: English words {words:?} in:\n{text}"
        );
    }
}

fn cmd_line(path: &[String], extra: &[&str]) -> Vec<String> {
    path.iter()
        .cloned()
        .chain(extra.iter().map(|s| s.to_string()))
        .collect()
}

fn run(args: &[String]) -> Output {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    zhilu(&args)
}

// ---------------------------------------------------------------------------------------------
// tests
// ---------------------------------------------------------------------------------------------

#[test]
fn x4_command_tree_is_discovered_from_help() {
    let tree = Tree::discover();
    let top = subcommands(&tree.paths[0].1);
    assert!(top.len() >= 15, "top-level commands: {top:?}");
    for name in ["init", "device", "ingest", "check", "verify"] {
        assert!(top.iter().any(|t| t == name), "{name} missing from {top:?}");
    }
    assert!(
        tree.paths.iter().any(|(p, _)| p.len() == 2),
        "no nested command found"
    );
}

#[test]
fn x4_every_command_helps_in_chinese() {
    let tree = Tree::discover();
    let mut failures = Vec::new();
    for (path, _) in &tree.paths {
        for flag in ["--help", "-h"] {
            let args = cmd_line(path, &[flag]);
            let out = run(&args);
            let stdout = text(&out.stdout);
            let label = format!("zhilu {}", args.join(" "));
            if out.status.code() != Some(0) {
                failures.push(format!("{label}: exit {:?}", out.status.code()));
            }
            if !stdout.contains("用法：") {
                failures.push(format!("{label}: no 用法： in\n{stdout}"));
            }
            let words = tree.english(&stdout);
            if !words.is_empty() {
                failures.push(format!("{label}: English words {words:?}"));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} command paths, failures:\n{}",
        tree.paths.len(),
        failures.join("\n")
    );
}

#[test]
fn x4_usage_errors_are_chinese() {
    let tree = Tree::discover();
    let mut failures = Vec::new();
    // `typed`: what the user typed and the error names back (an unknown subcommand).
    let mut check = |label: String, out: &Output, typed: Option<&str>| {
        let stderr = text(&out.stderr);
        let stdout = text(&out.stdout);
        if out.status.code() != Some(2) {
            failures.push(format!("{label}: exit {:?}, not 2", out.status.code()));
        }
        if !stderr.starts_with("错误：") || !has_cjk(&stderr) {
            failures.push(format!("{label}: stderr is not a Chinese error:\n{stderr}"));
        }
        if let Some(s) = typed
            && !stderr.contains(s)
        {
            failures.push(format!("{label}: stderr does not name {s}:\n{stderr}"));
        }
        for (stream, t) in [("stderr", &stderr), ("stdout", &stdout)] {
            let words = tree.english_with(t, typed);
            if !words.is_empty() {
                failures.push(format!(
                    "{label}: English words {words:?} on {stream}:\n{t}"
                ));
            }
        }
    };
    let mut required = 0;
    for (path, help) in &tree.paths {
        // an unknown flag
        let args = cmd_line(path, &["--no-such-flag"]);
        check(
            format!("zhilu {}", args.join(" ")),
            &run(&args),
            Some("--no-such-flag"),
        );
        // required arguments missing (root included: no command at all)
        let usage = usage_line(help).unwrap_or_else(|| panic!("no usage line for {path:?}"));
        if has_required(usage) {
            required += 1;
            check(format!("zhilu {}", path.join(" ")), &run(path), None);
        }
    }
    // an unknown subcommand, at the root and under a command group
    check(
        "zhilu no-such-command".into(),
        &zhilu(&["no-such-command"]),
        Some("no-such-command"),
    );
    check(
        "zhilu device no-such-command".into(),
        &zhilu(&["device", "no-such-command"]),
        Some("no-such-command"),
    );
    assert!(required > 1, "no command with required arguments found");
    assert!(
        failures.is_empty(),
        "{} command paths ({required} with required arguments), failures:\n{}",
        tree.paths.len(),
        failures.join("\n\n")
    );
}

#[test]
fn x4_root_without_command_is_a_chinese_usage_error() {
    let tree = Tree::discover();
    let out = zhilu(&[]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.starts_with("错误："), "{stderr}");
    assert!(stderr.contains("用法："), "{stderr}");
    tree.assert_chinese("zhilu", &stderr);
    tree.assert_chinese("zhilu (stdout)", &text(&out.stdout));
}

#[test]
fn x4_json_usage_error_is_a_json_object() {
    let tree = Tree::discover();
    for args in [
        &["--json", "--no-such-flag"][..],
        &["--json", "device", "register", "--no-such-flag"],
        &["device", "--json", "--no-such-flag"],
    ] {
        let out = zhilu(args);
        assert_eq!(out.status.code(), Some(2), "zhilu {args:?}");
        let stdout = text(&out.stdout);
        let v: serde_json::Value = serde_json::from_str(&stdout)
            .unwrap_or_else(|e| panic!("zhilu {args:?}: stdout is not JSON ({e}):\n{stdout}"));
        assert_eq!(v["code"], "usage", "zhilu {args:?}: {v}");
        let message = v["message"].as_str().expect("message is a string");
        assert!(
            message.contains("--no-such-flag"),
            "zhilu {args:?}: {message}"
        );
        assert!(has_cjk(message), "zhilu {args:?}: {message}");
        tree.assert_chinese(&format!("zhilu {args:?} message"), message);
    }
}
