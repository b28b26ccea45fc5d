//! Hook latency with injection, process start included, in a workspace of 1,000 skills.
//!
//! `cargo bench --bench hook_latency` (`HIVEMIND_BENCH_SKILLS` changes the number of
//! skills, `HIVEMIND_BENCH_SESSIONS` the number of sessions, default 20;
//! `HIVEMIND_BENCH_KEEP=1` keeps the home for profiling).
//!
//! Seeds the skills through the library into a fresh `HIVEMIND_HOME`, then plays
//! sessions through the release `hivemind hook` binary as Claude Code does (one process
//! per hook call, the JSON payload on stdin): SessionStart, UserPromptSubmit (prompts
//! about some of the skills' topics), PreToolUse, PostToolUse, Stop, a second
//! UserPromptSubmit and Stop, SessionEnd. Reports p50 / p95 / max per event, the share
//! of hook calls that injected context and the largest injection, beside the floors of
//! the same machine in the same run: `/bin/true` (process start) and `node -e 0` (the
//! start-up a Node hook pays before doing anything). Targets: p50 ≤ 5 ms, p95 ≤ 15 ms.
#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::expect_used)]

use chrono::Utc;
use hivemind_core::{
    CorrectionId, Provenance, SessionId, Skill, SkillName, SqliteStore, Store, WorkspaceId,
};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

const TOPICS: &[(&str, &str)] = &[
    ("pnpm", "use pnpm add instead of npm install for packages"),
    (
        "datetime",
        "use timezone-aware datetime.now(tz=UTC), never naive datetimes",
    ),
    (
        "exports",
        "use named exports, never default exports in TypeScript modules",
    ),
    (
        "migrations",
        "write reversible database migrations with a down step",
    ),
    (
        "logging",
        "log with the structured logger, never print to stdout",
    ),
    (
        "errors",
        "wrap errors with context instead of unwrap in library code",
    ),
    (
        "tests",
        "name tests after the behaviour they check, one assertion topic each",
    ),
    (
        "fetch",
        "use the shared http client with retries instead of bare fetch",
    ),
    (
        "css",
        "use the design tokens for colours instead of hex literals",
    ),
    (
        "sql",
        "parameterize every SQL query, never format values into strings",
    ),
];

fn seed(home: &Path, ws: &WorkspaceId, n: usize) {
    std::fs::create_dir_all(home).unwrap();
    let store = SqliteStore::open(home.join("hivemind.db")).unwrap();
    let now = Utc::now();
    for i in 0..n {
        let (topic, rule) = TOPICS[i % TOPICS.len()];
        let name = SkillName::new(format!("{topic}-rule-{i}")).unwrap();
        let body = format!(
            "# {topic} rule {i}\n\n## When this applies\nWhen the task touches {topic} in module m{m}.\n\n\
             ## Do\n- {rule} (variant {i})\n\n## Don't\n- the opposite of: {rule}\n\n\
             ```\n- before_{i}()\n+ after_{i}()\n```\n\n## Why\n> the user said so about {topic}, case {i}\n\n\
             ## Evidence\n- correction {i}\n",
            m = i % 37
        );
        let skill = Skill {
            name,
            description: format!("{rule}; applies to module m{} ({topic}, case {i}).", i % 37),
            body,
            version: 1,
            workspace: ws.clone(),
            provenance: Provenance {
                corrections: (0..3).map(|_| CorrectionId::generate()).collect(),
                sessions: vec![SessionId::new(format!("seed-{i}")).unwrap()],
                author: "bench".into(),
                created_at: now,
                updated_at: now,
            },
        };
        store.upsert_skill(&skill).unwrap();
    }
}

/// Runs one command with `stdin`, returns (milliseconds, stdout).
fn time(cmd: &mut Command, stdin: &str) -> (f64, String) {
    let t = Instant::now();
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    if let Some(mut i) = child.stdin.take() {
        let _ = i.write_all(stdin.as_bytes());
    }
    let out = child.wait_with_output().expect("wait");
    let ms = t.elapsed().as_secs_f64() * 1e3;
    assert!(out.status.success(), "exit status {:?}", out.status);
    (ms, String::from_utf8_lossy(&out.stdout).into_owned())
}

fn summary(xs: &mut [f64]) -> (f64, f64, f64) {
    xs.sort_by(f64::total_cmp);
    let at = |q: f64| xs[((xs.len() as f64 * q).ceil() as usize).clamp(1, xs.len()) - 1];
    (at(0.5), at(0.95), xs[xs.len() - 1])
}

fn main() {
    let n_skills: usize = std::env::var("HIVEMIND_BENCH_SKILLS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1000);
    let sessions: usize = std::env::var("HIVEMIND_BENCH_SESSIONS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20);
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("hm");
    let project = dir.path().join("project");
    std::fs::create_dir_all(&project).unwrap();
    let ws = WorkspaceId::new("bench/hook-latency").unwrap();
    let t = Instant::now();
    seed(&home, &ws, n_skills);
    // A workspace with that many skills has their SKILL.md files on disk already:
    // write them now, so the first background mining run does not write them all
    // while hooks are being timed.
    let mut config = hivemind_core::Config::with_home(&home);
    config.workspace = Some(ws.clone());
    let hm = hivemind_core::Hivemind::open_in(config, Some(project.clone())).unwrap();
    let written = hm.write_skill_files().unwrap().len();
    hm.close().unwrap();
    println!(
        "seeded {n_skills} skills ({written} SKILL.md files) in {:.1?}",
        t.elapsed()
    );

    let bin = env!("CARGO_BIN_EXE_hivemind");
    let hook = || {
        let mut c = Command::new(bin);
        c.args(["hook", "--agent", "claude-code"])
            .current_dir(&project)
            .env("HIVEMIND_HOME", &home)
            .env("HIVEMIND_WORKSPACE_ID", ws.as_str())
            .env("HIVEMIND_NO_LLM", "1")
            .env("HOME", dir.path());
        c
    };
    let mut per_event: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    let mut injected = 0usize;
    let mut injecting_calls = 0usize;
    let mut largest = 0usize;
    let mut floor_true = Vec::new();
    let mut floor_node = Vec::new();
    let node = Command::new("node").arg("--version").output().is_ok();
    for s in 0..sessions {
        let (topic, _) = TOPICS[s % TOPICS.len()];
        let base = json!({
            "session_id": format!("bench-{s}"),
            "transcript_path": "",
            "cwd": project,
            "permission_mode": "default",
        });
        let with = |event: &str, extra: Value| {
            let mut p = base.clone();
            p["hook_event_name"] = json!(event);
            for (k, v) in extra.as_object().into_iter().flatten() {
                p[k] = v.clone();
            }
            p
        };
        let calls = [
            with("SessionStart", json!({"source": "startup"})),
            with(
                "UserPromptSubmit",
                json!({"prompt": format!("Fix the {topic} handling in module m{}", s % 37)}),
            ),
            with(
                "PreToolUse",
                json!({"tool_name": "Edit", "tool_use_id": format!("t{s}"), "tool_input": {"file_path": "src/app.ts", "old_string": "a", "new_string": "b"}}),
            ),
            with(
                "PostToolUse",
                json!({"tool_name": "Edit", "tool_use_id": format!("t{s}"), "tool_input": {"file_path": "src/app.ts", "old_string": "a", "new_string": "b"}, "tool_response": {"filePath": "src/app.ts", "userModified": false}}),
            ),
            with(
                "Stop",
                json!({"stop_hook_active": false, "last_assistant_message": "Done."}),
            ),
            with(
                "UserPromptSubmit",
                json!({"prompt": format!("Now add tests for the {} part", TOPICS[(s + 3) % TOPICS.len()].0)}),
            ),
            with(
                "Stop",
                json!({"stop_hook_active": false, "last_assistant_message": "Added."}),
            ),
            with("SessionEnd", json!({"reason": "exit"})),
        ];
        for p in &calls {
            let event = p["hook_event_name"].as_str().unwrap_or("?");
            let (ms, out) = time(&mut hook(), &p.to_string());
            per_event
                .entry(match event {
                    "SessionStart" => "SessionStart",
                    "UserPromptSubmit" => "UserPromptSubmit",
                    "PreToolUse" => "PreToolUse",
                    "PostToolUse" => "PostToolUse",
                    "Stop" => "Stop",
                    _ => "SessionEnd",
                })
                .or_default()
                .push(ms);
            if matches!(event, "SessionStart" | "UserPromptSubmit") {
                injecting_calls += 1;
                if let Ok(v) = serde_json::from_str::<Value>(&out) {
                    let ctx = v["hookSpecificOutput"]["additionalContext"]
                        .as_str()
                        .unwrap_or("");
                    if !ctx.is_empty() {
                        injected += 1;
                        largest = largest.max(ctx.chars().count());
                    }
                }
            }
        }
        floor_true.push(time(&mut Command::new("true"), "").0);
        if node {
            floor_node.push(time(Command::new("node").args(["-e", "0"]), "").0);
        }
    }
    println!(
        "{sessions} sessions, {} hook calls, {n_skills} skills in the workspace",
        per_event.values().map(Vec::len).sum::<usize>()
    );
    println!(
        "{:<18} {:>5} {:>8} {:>8} {:>8}",
        "event", "n", "p50 ms", "p95 ms", "max ms"
    );
    let mut all = Vec::new();
    for (event, xs) in per_event.iter_mut() {
        all.extend(xs.iter().copied());
        let (p50, p95, max) = summary(xs);
        println!(
            "{event:<18} {:>5} {p50:>8.2} {p95:>8.2} {max:>8.2}",
            xs.len()
        );
    }
    let (p50, p95, max) = summary(&mut all);
    println!(
        "{:<18} {:>5} {p50:>8.2} {p95:>8.2} {max:>8.2}",
        "all hooks",
        all.len()
    );
    let (p50, p95, max) = summary(&mut floor_true);
    println!(
        "{:<18} {:>5} {p50:>8.2} {p95:>8.2} {max:>8.2}",
        "/bin/true",
        floor_true.len()
    );
    if !floor_node.is_empty() {
        let (p50, p95, max) = summary(&mut floor_node);
        println!(
            "{:<18} {:>5} {p50:>8.2} {p95:>8.2} {max:>8.2}",
            "node -e 0",
            floor_node.len()
        );
    }
    println!(
        "context injected on {injected} of {injecting_calls} SessionStart/UserPromptSubmit calls; largest {largest} characters (cap 9,000)"
    );
    if std::env::var_os("HIVEMIND_BENCH_KEEP").is_some() {
        println!("kept {} (HIVEMIND_BENCH_KEEP)", dir.keep().display());
        return;
    }
    assert!(injected > 0, "the seeded skills were injected");
    assert!(largest <= 9_000);
}
