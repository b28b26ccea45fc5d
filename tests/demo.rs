//! The README's first command, `cargo run --release --example demo`, end to end: the
//! example is built with the same cargo and profile as this test (the dependencies are
//! already built, so only the example compiles) and run with HOME, HIVEMIND_HOME and
//! TMPDIR in temporary folders. Its output must show the three corrections, the skill
//! mined from them with its SKILL.md, and the lesson in the next session's context.
#![allow(clippy::unwrap_used)]

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Builds `examples/demo.rs` and returns its executable.
fn demo_binary() -> PathBuf {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| env!("CARGO").into());
    let profile_dir = Path::new(env!("CARGO_BIN_EXE_hivemind")).parent().unwrap();
    let mut cmd = Command::new(cargo);
    cmd.args([
        "build",
        "--offline",
        "--example",
        "demo",
        "--message-format=json-render-diagnostics",
        "--manifest-path",
        concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml"),
    ]);
    if profile_dir.file_name().is_some_and(|n| n == "release") {
        cmd.arg("--release");
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "cargo build --example demo: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|m| m["reason"] == "compiler-artifact" && m["target"]["name"] == "demo")
        .find_map(|m| m["executable"].as_str().map(PathBuf::from))
        .expect("cargo reported no demo executable")
}

/// Entries of a folder (recursively), for "nothing was written here" checks.
fn entries(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(entries(&p));
        }
        out.push(p);
    }
    out
}

/// Runs the demo with HOME, HIVEMIND_HOME and TMPDIR in a fresh temporary folder and
/// none of the caller's hivemind variables; its stdout. Asserts it succeeded without
/// a failed hook and left nothing behind in those folders.
fn run_demo() -> String {
    let demo = demo_binary();
    let sandbox = tempfile::tempdir().unwrap();
    let root = sandbox.path().canonicalize().unwrap();
    let (home, hm_home, tmp) = (root.join("home"), root.join("hm"), root.join("tmp"));
    for d in [&home, &hm_home, &tmp] {
        std::fs::create_dir_all(d).unwrap();
    }
    let mut cmd = Command::new(&demo);
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("HIVEMIND_") {
            cmd.env_remove(&k);
        }
    }
    let out = cmd
        .current_dir(&root)
        .env("HOME", &home)
        .env("HIVEMIND_HOME", &hm_home)
        .env("TMPDIR", &tmp)
        .env_remove("USERPROFILE")
        .env_remove("CODEX_HOME")
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "demo failed: {text}{err}");
    assert!(!err.contains("failed"), "a hook failed in the demo: {err}");
    // Nothing outside its own temporary folder: HOME and HIVEMIND_HOME untouched, and
    // that folder (under TMPDIR) removed.
    assert_eq!(entries(&home), Vec::<PathBuf>::new());
    assert_eq!(entries(&hm_home), Vec::<PathBuf>::new());
    assert_eq!(entries(&tmp), Vec::<PathBuf>::new());
    // Where the demo's temporary folder was, for the path checks.
    text.replace(tmp.to_str().unwrap(), "$TMPDIR")
}

/// The corrections the demo lists in its first section.
fn listed_corrections(text: &str) -> Vec<&str> {
    let (_, part1) = text.split_once("== 1.").expect("section 1");
    let (part1, _) = part1.split_once("== 2.").expect("section 2");
    part1.lines().filter(|l| l.starts_with("- [")).collect()
}

#[test]
fn the_demo_shows_corrections_a_skill_and_the_next_sessions_context() {
    let text = run_demo();
    // 1. Three sessions, the same mistake corrected through three channels.
    let (_, part1) = text.split_once("== 1.").expect("section 1");
    let (part1, part2) = part1.split_once("== 2.").expect("section 2");
    let (part2, part3) = part2.split_once("== 3.").expect("section 3");
    let recorded: usize = part1
        .lines()
        .find_map(|l| l.strip_suffix(" corrections recorded:"))
        .unwrap_or_else(|| panic!("no count of corrections:\n{part1}"))
        .trim()
        .parse()
        .unwrap();
    let listed = listed_corrections(&text);
    assert_eq!(listed.len(), recorded, "{part1}");
    // One of each channel, of npm corrected to pnpm (produced, then accepted or said).
    for kind in ["followup", "rejection", "user_edit"] {
        let found = listed.iter().any(|l| {
            let Some((_, fields)) = l.split_once(&format!("- [{kind}] target ")) else {
                return false;
            };
            let produced = fields.split(" | produced ").nth(1).unwrap_or("");
            let after = produced.split_once(" | accepted ").map_or("", |(_, a)| a);
            produced.starts_with("\"npm ") && after.contains("pnpm ")
        });
        assert!(found, "no {kind} correction of npm to pnpm:\n{part1}");
    }
    let rejection = listed
        .iter()
        .find(|l| l.starts_with("- [rejection]"))
        .unwrap();
    assert!(
        rejection.contains("we use pnpm in this repo, run pnpm add instead"),
        "the user's feedback is the reason: {rejection}"
    );

    // 2. One skill from them, its SKILL.md printed from the path the demo gives (the
    // demo removes its temporary folder when it ends: the printed text, read from
    // that path, is the proof the file was there).
    let header = part2
        .lines()
        .find(|l| l.starts_with("skill ") && l.contains(" written to "))
        .unwrap_or_else(|| panic!("no skill written:\n{part2}"));
    let name = header.split_whitespace().nth(1).unwrap();
    let (_, path) = header.split_once(" written to ").unwrap();
    let path = Path::new(path.trim());
    assert!(
        path.ends_with(format!(".claude/skills/{name}/SKILL.md")),
        "{header}"
    );
    assert!(
        path.starts_with("$TMPDIR"),
        "written in the demo's temporary folder, under TMPDIR: {header}"
    );
    let support: usize = header
        .split_once(" corrections)")
        .and_then(|(h, _)| h.rsplit(", ").next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no correction count in {header}"));
    assert!(support >= 3 && support <= recorded, "{header}");
    let skill_md = part2.split_once(header).unwrap().1;
    assert!(
        skill_md.trim_start().starts_with("---"),
        "SKILL.md frontmatter: {skill_md}"
    );
    assert!(skill_md.contains(&format!("name: {name}\n")), "{skill_md}");
    assert!(skill_md.contains("description:"), "{skill_md}");
    assert!(skill_md.contains("pnpm"), "{skill_md}");

    // 3. The fourth session's SessionStart context carries the lesson.
    let (_, context) = part3
        .split_once("SessionStart additionalContext:\n")
        .expect("the SessionStart context");
    let (context, prompt) = context
        .split_once("UserPromptSubmit additionalContext:")
        .unwrap();
    assert!(
        context.contains("Lessons from this workspace's past corrections"),
        "{context}"
    );
    assert!(context.contains(&format!("### {name}")), "{context}");
    assert!(context.contains("pnpm"), "{context}");
    assert!(
        prompt.contains("already given at SessionStart"),
        "the prompt does not repeat it: {prompt}"
    );
}

/// The README: "In each one the user corrects the same mistake through a different
/// channel": three corrections, each of something the agent produced with npm.
#[test]
fn the_demo_records_one_correction_per_channel() {
    let text = run_demo();
    let listed = listed_corrections(&text);
    assert!(text.contains("3 corrections recorded:"), "{text}");
    assert_eq!(listed.len(), 3, "{listed:#?}");
    for line in &listed {
        let produced = line.split(" | produced ").nth(1).unwrap_or("");
        assert!(produced.starts_with("\"npm "), "{line}");
    }
    assert!(!text.contains("pnpm run build` (rejected)"), "{text}");
}
