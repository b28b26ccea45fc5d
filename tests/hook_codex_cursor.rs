//! `hivemind hook --agent codex` and `--agent cursor` end to end with the built binary:
//! full sessions of the payloads each host sends are captured and their corrections
//! detected; once skills exist, each host gets the lesson in the format it reads
//! (Claude Code and Codex: `hookSpecificOutput.additionalContext` on SessionStart and
//! UserPromptSubmit; Cursor: `additional_context` on `sessionStart` only), Codex's
//! within its smaller budget; malformed input never breaks any host.
#![allow(clippy::unwrap_used)]

use hivemind_core::{Config, CorrectionInput, Hivemind, SessionId, Target, WorkspaceId};
use serde_json::{json, Value};

#[path = "support/cli.rs"]
mod cli;
#[path = "support/hooks.rs"]
mod hooks;

use hooks::{additional_context, count_events, hook_as, hook_ok};

const WORKSPACE: &str = "e2e-codex-cursor";

/// Codex keeps hook context under this many characters: the hook's budget for Codex is
/// at most 600 tokens (`HookProcessor::budget`) and a token is estimated as 4
/// characters (`select::estimate_tokens`, `char_cap`).
const CODEX_MAX_CHARS: usize = 600 * 4;

fn new_env() -> cli::Sandbox {
    cli::Sandbox::new()
        .with_var("HIVEMIND_WORKSPACE_ID", WORKSPACE)
        .with_var("HIVEMIND_SKILLIFY_EVERY_N_TURNS", "0")
}

/// A Codex session: the fields Codex sends on every hook (`turn_id` on turn events).
struct Codex<'a> {
    env: &'a cli::Sandbox,
    id: String,
    turn: usize,
}

impl Codex<'_> {
    fn payload(&self, event: &str, extra: Value) -> Value {
        let mut v = json!({
            "session_id": self.id,
            "transcript_path": self.env.home.join(format!(
                ".codex/sessions/2025/11/28/rollout-2025-11-28T10-00-00-{}.jsonl", self.id)),
            "cwd": self.env.project,
            "hook_event_name": event,
            "model": "gpt-5-codex",
            "permission_mode": "default",
        });
        if event != "SessionStart" {
            v["turn_id"] = json!(format!("turn-{}", self.turn));
        }
        for (k, x) in extra.as_object().unwrap() {
            v[k] = x.clone();
        }
        v
    }

    fn hook(&self, event: &str, extra: Value) -> String {
        hook_ok(self.env, "codex", &self.payload(event, extra))
    }

    fn start(&self) -> String {
        self.hook("SessionStart", json!({"source": "startup"}))
    }

    fn prompt(&mut self, text: &str) -> String {
        self.turn += 1;
        self.hook("UserPromptSubmit", json!({"prompt": text}))
    }

    /// PreToolUse then PostToolUse of a shell command; both print nothing.
    fn shell(&self, call_id: &str, command: &str, output: &str) {
        let input = json!({"command": command});
        let pre = self.hook(
            "PreToolUse",
            json!({"tool_name": "Bash", "tool_input": input, "tool_use_id": call_id}),
        );
        assert_eq!(pre, "", "PreToolUse prints nothing");
        let post = self.hook(
            "PostToolUse",
            json!({"tool_name": "Bash", "tool_input": input, "tool_use_id": call_id,
                   "tool_response": output}),
        );
        assert_eq!(post, "", "PostToolUse prints nothing");
    }

    /// Stop: Codex sends no assistant text (`last_assistant_message` is Claude Code's;
    /// see `ingest::claude_hook`), only the turn.
    fn stop(&self) -> String {
        self.hook("Stop", json!({"stop_hook_active": false}))
    }
}

/// A Cursor conversation: the fields Cursor sends on every hook.
struct Cursor<'a> {
    env: &'a cli::Sandbox,
    id: String,
    generation: usize,
}

impl Cursor<'_> {
    fn payload(&self, event: &str, extra: Value) -> Value {
        let mut v = json!({
            "conversation_id": self.id,
            "generation_id": format!("gen-{}", self.generation),
            "model": "claude-4.5-sonnet",
            "hook_event_name": event,
            "cursor_version": "1.7.52",
            "workspace_roots": [self.env.project],
            "user_email": "dev@example.com",
        });
        for (k, x) in extra.as_object().unwrap() {
            v[k] = x.clone();
        }
        v
    }

    fn hook(&self, event: &str, extra: Value) -> String {
        hook_ok(self.env, "cursor", &self.payload(event, extra))
    }

    fn start(&self) -> String {
        self.hook(
            "sessionStart",
            json!({"session_id": self.id, "is_background_agent": false, "composer_mode": "agent"}),
        )
    }

    fn prompt(&mut self, text: &str) -> String {
        self.generation += 1;
        self.hook(
            "beforeSubmitPrompt",
            json!({"prompt": text, "attachments": []}),
        )
    }
}

/// Every call of a Codex session exits 0 and prints nothing while nothing was learned;
/// its events are stored once each and the follow-up prompt is a correction.
#[test]
fn a_codex_session_is_captured_and_its_followup_detected() {
    let env = new_env();
    let mut s = Codex {
        env: &env,
        id: "019a6f3c-codex-session-0001".into(),
        turn: 0,
    };
    assert_eq!(s.start(), "");
    assert_eq!(s.prompt("add lodash to the project"), "");
    s.shell("call_npm", "npm install lodash", "added 1 package in 2s");
    assert_eq!(s.stop(), "");
    assert_eq!(
        s.prompt("No, this repo uses pnpm, never npm. Run pnpm add lodash instead."),
        ""
    );
    s.shell("call_pnpm", "pnpm add lodash", "+ lodash 4.17.21");
    assert_eq!(s.stop(), "");

    let list = hooks::corrections(&env, &["--session", &s.id]);
    assert_eq!(list.len(), 1, "{list:#?}");
    let c = &list[0];
    assert_eq!(c["kind"], "followup");
    assert_eq!(c["target"], json!({"type": "tool", "value": "Bash"}));
    assert!(
        c["produced"]
            .as_str()
            .unwrap()
            .contains("npm install lodash"),
        "{c}"
    );
    assert!(c["reason"].as_str().unwrap().contains("pnpm"), "{c}");
    assert_eq!(c["accepted"], "pnpm add lodash", "{c}");

    // `corrections list` folded the journals: everything is in the store, from codex.
    assert_eq!(count_events(&env, &s.id, "session_start"), 1);
    assert_eq!(count_events(&env, &s.id, "prompt"), 2);
    assert_eq!(count_events(&env, &s.id, "tool_result"), 2);
    let agents: Vec<String> = hooks::db(&env)
        .prepare("SELECT DISTINCT agent FROM events WHERE session = ?1")
        .unwrap()
        .query_map([&s.id], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(agents, ["codex"]);
    let st = env.json(&["status", "--json"]);
    assert_eq!(st["sessions"], 1, "{st}");
    assert_eq!(st["corrections"], 1, "{st}");
    assert!(st["recent_errors"].as_array().unwrap().is_empty(), "{st}");
}

/// Codex sends PreToolUse and PostToolUse for the same call: the call is one event.
#[test]
fn a_codex_tool_call_is_stored_once() {
    let env = new_env();
    let mut s = Codex {
        env: &env,
        id: "019a6f3c-codex-session-0002".into(),
        turn: 0,
    };
    s.start();
    s.prompt("add lodash to the project");
    s.shell("call_npm", "npm install lodash", "added 1 package in 2s");
    s.stop();
    let st = env.json(&["status", "--json"]);
    assert_eq!(count_events(&env, &s.id, "tool_call"), 1);
    // session start, prompt, tool call, tool result.
    assert_eq!(st["events"], 4, "{st}");
}

/// Every Cursor hook exits 0 and prints nothing while nothing was learned; prompts,
/// the agent's file edits, tool uses and responses are stored, and a user edit of the
/// file the agent wrote is a correction.
#[test]
fn a_cursor_session_is_captured_and_a_user_edit_detected() {
    let env = new_env();
    let mut s = Cursor {
        env: &env,
        id: "c0ffee00-cursor-conversation-1".into(),
        generation: 0,
    };
    assert_eq!(s.start(), "");
    assert_eq!(s.prompt("Write a setup script in setup.sh"), "");
    let script = env.project.join("setup.sh");
    let agent_text = "#!/bin/sh\nnpm install\nnpm run build\n";
    std::fs::write(&script, agent_text).unwrap();
    let out = s.hook(
        "afterFileEdit",
        json!({"file_path": script, "edits": [{"old_string": "", "new_string": agent_text}]}),
    );
    assert_eq!(out, "");
    let out = s.hook(
        "postToolUse",
        json!({"tool_name": "Shell", "tool_input": {"command": "chmod +x setup.sh"},
               "tool_output": "", "tool_use_id": "tool_chmod"}),
    );
    assert_eq!(out, "");
    let out = s.hook(
        "afterAgentResponse",
        json!({"text": "Wrote setup.sh: it installs and builds with npm."}),
    );
    assert_eq!(out, "");
    assert_eq!(
        s.hook("stop", json!({"status": "completed", "loop_count": 0})),
        ""
    );
    // The user fixes the file between turns.
    let user_text = "#!/bin/sh\npnpm install\npnpm run build\n";
    std::fs::write(&script, user_text).unwrap();
    assert_eq!(
        s.prompt("I switched setup.sh to pnpm, we never use npm here. Now add a README."),
        ""
    );
    let out = s.hook("afterAgentResponse", json!({"text": "Added README.md."}));
    assert_eq!(out, "");
    assert_eq!(
        s.hook("stop", json!({"status": "completed", "loop_count": 0})),
        ""
    );

    let list = hooks::corrections(&env, &["--session", &s.id, "--kind", "user_edit"]);
    assert_eq!(list.len(), 1, "{list:#?}");
    let c = &list[0];
    assert_eq!(c["target"], json!({"type": "file", "value": "setup.sh"}));
    assert_eq!(c["produced"], agent_text);
    assert_eq!(c["accepted"], user_text);
    assert!(c["diff"].as_str().unwrap().contains("+pnpm install"), "{c}");

    assert_eq!(count_events(&env, &s.id, "session_start"), 1);
    assert_eq!(count_events(&env, &s.id, "prompt"), 2);
    // afterFileEdit (an Edit call) and postToolUse (its call and result).
    assert_eq!(count_events(&env, &s.id, "tool_call"), 2);
    assert_eq!(count_events(&env, &s.id, "tool_result"), 1);
    assert_eq!(count_events(&env, &s.id, "response"), 2);
    let st = env.json(&["status", "--json"]);
    assert_eq!(st["sessions"], 1, "{st}");
    assert_eq!(st["events"], 8, "{st}");

    // sessionEnd is stored too, prints nothing, and starts mining in the background
    // (waited for here, so that it does not outlive the sandbox).
    assert!(env.json(&["skillify", "status", "--json"])["last_run"].is_null());
    assert_eq!(s.hook("sessionEnd", json!({"reason": "user_close"})), "");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let st = env.json(&["skillify", "status", "--json"]);
        if !st["last_run"].is_null() {
            assert_eq!(st["last_run"]["created"], 0, "{st}");
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no background mining after sessionEnd: {st}"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert_eq!(count_events(&env, &s.id, "session_end"), 1);
}

/// Patterns corrected three times each through the library, so that mining makes one
/// skill per pattern and their lessons together are longer than Codex's cap.
const PATTERNS: &[(&str, &str, &str)] = &[
    (
        "npm install {}",
        "pnpm add {}",
        "we use pnpm in this repository, never npm",
    ),
    (
        "git push --force origin feature-{}",
        "git push --force-with-lease origin feature-{}",
        "never force push, always use --force-with-lease",
    ),
    (
        "SELECT * FROM orders_{} WHERE id = $1",
        "SELECT id, total, status FROM orders_{} WHERE id = $1",
        "never select star in queries, list the columns explicitly",
    ),
    (
        "import moment from 'moment'; moment(ts_{}).format()",
        "import dayjs from 'dayjs'; dayjs(ts_{}).format()",
        "moment is deprecated in this codebase, use dayjs",
    ),
    (
        "console.log('debug', value_{})",
        "logger.debug({{ value: value_{} }}, 'debug')",
        "do not leave console.log calls, use the pino logger",
    ),
    (
        "let config_{} = std::fs::read_to_string(path).unwrap();",
        "let config_{} = std::fs::read_to_string(path)?;",
        "no unwrap in library code, propagate the error with the question mark",
    ),
];

fn learn(env: &cli::Sandbox) -> Vec<String> {
    let mut config = Config::with_home(&env.hm_home);
    config.workspace = Some(WorkspaceId::new(WORKSPACE).unwrap());
    let hm = Hivemind::open_in(config, Some(env.project.clone())).unwrap();
    for (p, (produced, accepted, reason)) in PATTERNS.iter().enumerate() {
        for i in 0..3 {
            let pkg = ["lodash", "zod", "dayjs"][i];
            hm.record_correction(CorrectionInput {
                session: Some(SessionId::new(format!("learn-{p}-{i}")).unwrap()),
                produced: produced
                    .replace("{}", pkg)
                    .replace("{{", "{")
                    .replace("}}", "}"),
                accepted: Some(
                    accepted
                        .replace("{}", pkg)
                        .replace("{{", "{")
                        .replace("}}", "}"),
                ),
                reason: Some(reason.to_string()),
                target: Some(Target::Tool("Bash".into())),
            })
            .unwrap();
        }
    }
    hm.close().unwrap();
    let run = env.json(&["skillify", "run", "--json"]);
    let names: Vec<String> = run["created"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(names.len(), PATTERNS.len(), "one skill per pattern: {run}");
    names
}

#[test]
fn each_host_gets_the_lesson_in_its_own_format_and_codex_a_short_one() {
    let env = new_env();
    let skills = learn(&env);
    let npm_skill = env.json(&["context", "--prompt", "npm install lodash", "--json"]);
    let npm_skill = npm_skill["full"][0].as_str().unwrap().to_string();
    assert!(skills.contains(&npm_skill));

    // Claude Code: SessionStart gets the lessons, under Claude Code's own cap.
    let claude = hooks::ClaudeSession::new(&env, "inject-claude-1");
    let out = claude.start();
    let claude_start = additional_context(&out, "SessionStart").expect("a lesson");
    for name in &skills {
        assert!(
            claude_start.contains(name.as_str()),
            "{name}: {claude_start}"
        );
    }
    assert!(claude_start.chars().count() <= 10_000);
    assert!(
        claude_start.chars().count() > CODEX_MAX_CHARS,
        "the lessons are longer than Codex's cap, so the cap below is tested ({} chars)",
        claude_start.chars().count()
    );
    // The only key is hookSpecificOutput.
    let v: Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(v.as_object().unwrap().len(), 1, "{v}");

    // Codex: the same format, within its cap, with the most supported lessons first.
    let codex = Codex {
        env: &env,
        id: "inject-codex-1".into(),
        turn: 0,
    };
    let out = codex.start();
    let codex_start = additional_context(&out, "SessionStart").expect("a lesson for Codex");
    let n = codex_start.chars().count();
    assert!(n <= CODEX_MAX_CHARS, "{n} chars for Codex: {codex_start}");
    assert!(
        codex_start.starts_with("# Lessons from this workspace's past corrections"),
        "{codex_start}"
    );
    assert!(
        skills
            .iter()
            .any(|s| codex_start.contains(&format!("### {s}"))),
        "at least one lesson in full: {codex_start}"
    );

    // UserPromptSubmit in sessions that did not get them at start (resumed sessions):
    // the relevant lesson, for Claude Code and Codex.
    let mut claude = hooks::ClaudeSession::new(&env, "inject-claude-2");
    let out = claude.prompt("add lodash with npm install lodash");
    let ctx = additional_context(&out, "UserPromptSubmit").expect("a lesson at the prompt");
    assert!(ctx.contains(&npm_skill), "{ctx}");
    let mut codex = Codex {
        env: &env,
        id: "inject-codex-2".into(),
        turn: 0,
    };
    let out = codex.prompt("add lodash with npm install lodash");
    let ctx = additional_context(&out, "UserPromptSubmit").expect("a lesson for Codex");
    assert!(ctx.contains(&npm_skill), "{ctx}");
    assert!(ctx.chars().count() <= CODEX_MAX_CHARS, "{ctx}");
    // Tool and Stop events never print context.
    codex.shell("call_1", "pnpm add lodash", "+ lodash 4.17.21");
    assert_eq!(codex.stop(), "");

    // Cursor: `additional_context` on sessionStart, nothing on any other event.
    let mut cursor = Cursor {
        env: &env,
        id: "inject-cursor-1".into(),
        generation: 0,
    };
    let out = cursor.start();
    let v: Value = serde_json::from_str(out.trim())
        .unwrap_or_else(|e| panic!("cursor sessionStart printed {out:?}: {e}"));
    assert_eq!(v.as_object().unwrap().len(), 1, "{v}");
    let cursor_start = v["additional_context"]
        .as_str()
        .expect("additional_context");
    assert!(cursor_start.contains(&npm_skill), "{cursor_start}");
    assert_eq!(cursor_start, claude_start, "same budget as Claude Code");
    let mut fresh = Cursor {
        env: &env,
        id: "inject-cursor-2".into(),
        generation: 0,
    };
    assert_eq!(fresh.prompt("add lodash with npm install lodash"), "");
    for (event, extra) in [
        (
            "postToolUse",
            json!({"tool_name": "Shell", "tool_input": {"command": "npm install lodash"}, "tool_output": "ok"}),
        ),
        (
            "afterFileEdit",
            json!({"file_path": env.project.join("a.ts"), "edits": []}),
        ),
        ("afterAgentResponse", json!({"text": "Done."})),
        ("stop", json!({"status": "completed", "loop_count": 0})),
    ] {
        assert_eq!(fresh.hook(event, extra), "", "{event}");
    }
    assert_eq!(cursor.prompt("npm install zod"), "");
}

/// A Cursor prompt prints nothing (Cursor cannot take context there), so the session
/// did not receive the lesson and `report` must not count it as injected.
#[test]
fn a_cursor_prompt_that_prints_nothing_is_not_an_injection() {
    let env = new_env();
    learn(&env);
    let mut cursor = Cursor {
        env: &env,
        id: "cursor-no-context".into(),
        generation: 0,
    };
    assert_eq!(cursor.prompt("add lodash with npm install lodash"), "");
    let report = env.json(&["report", "--json"]);
    for r in report.as_array().unwrap() {
        assert_eq!(r["sessions_injected"], 0, "{report}");
    }
    // And a later sessionStart of that conversation still gets every lesson.
    let out = cursor.start();
    let v: Value = serde_json::from_str(out.trim()).unwrap();
    let ctx = v["additional_context"].as_str().unwrap();
    let npm = env.json(&["context", "--prompt", "npm install lodash", "--json"]);
    assert!(ctx.contains(npm["full"][0].as_str().unwrap()), "{ctx}");
}

#[test]
fn malformed_json_exits_0_for_every_agent() {
    let env = new_env();
    let log = || std::fs::read_to_string(env.hm_home.join("logs/hook.log")).unwrap_or_default();
    let mut lines = 0;
    for agent in ["claude-code", "codex", "cursor"] {
        for bad in [
            &b"{not json"[..],
            b"",
            b"[]",
            b"{\"hook_event_name\": \"Stop\"}",
            b"\xff\xfe garbage",
        ] {
            let out = hook_as(&env, agent, bad);
            assert!(
                out.status.success(),
                "{agent} {bad:?}: {:?} {}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            );
            assert!(out.stdout.is_empty(), "{agent}: nothing for the host");
            lines += 1;
            assert_eq!(log().lines().count(), lines, "{agent}: logged:\n{}", log());
        }
    }
    assert!(log().contains("codex hook failed"), "{}", log());
    assert!(log().contains("cursor hook failed"), "{}", log());
    // Nothing was captured from them.
    if env.hm_home.join("hivemind.db").exists() {
        let n: i64 = hooks::db(&env)
            .query_row("SELECT COUNT(*) FROM events", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 0);
    }
}

/// Codex's shell tool takes an argv (`["bash", "-lc", "npm install lodash"]`, the shape
/// `hook_e2e` plays): a correction of it reads as the command, not as JSON.
#[test]
fn a_codex_shell_argv_reads_as_the_command() {
    let env = new_env();
    let mut s = Codex {
        env: &env,
        id: "019a6f3c-codex-session-0003".into(),
        turn: 0,
    };
    s.start();
    s.prompt("add lodash to the project");
    let argv = json!({"command": ["bash", "-lc", "npm install lodash"], "workdir": env.project});
    s.hook(
        "PreToolUse",
        json!({"tool_name": "shell", "tool_input": argv, "call_id": "call_argv"}),
    );
    s.hook(
        "PostToolUse",
        json!({"tool_name": "shell", "tool_input": argv, "call_id": "call_argv",
               "tool_response": "added 1 package"}),
    );
    s.stop();
    s.prompt("No, this repo uses pnpm, never npm. Run pnpm add lodash instead.");
    s.stop();
    let list = hooks::corrections(&env, &["--session", &s.id]);
    assert_eq!(list.len(), 1, "{list:#?}");
    let produced = list[0]["produced"].as_str().unwrap();
    assert!(produced.contains("npm install lodash"), "{produced}");
    assert!(
        !produced.starts_with('{'),
        "not the tool input's JSON: {produced}"
    );
}
