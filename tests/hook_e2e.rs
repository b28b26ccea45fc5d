//! `hivemind hook` end to end with the built binary: a Claude Code session of real-shaped
//! payloads (and its transcript) becomes stored events and a rejection correction; bad
//! input never breaks the host; processes killed with SIGKILL at random moments never
//! corrupt the database nor lose what hooks that exited normally captured.
#![allow(clippy::unwrap_used)]

use serde_json::{json, Value};
use std::collections::HashSet;
use std::io::Write;
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::Duration;

const WORKSPACE: &str = "e2e-hooks";

#[path = "support/cli.rs"]
mod cli;

type Env = cli::Sandbox;

fn new_env() -> Env {
    Env::new()
        .with_var("HIVEMIND_WORKSPACE_ID", WORKSPACE)
        // No background `skillify run` racing the assertions.
        .with_var("HIVEMIND_SKILLIFY_EVERY_N_TURNS", "0")
}

fn corrections(env: &Env) -> Vec<Value> {
    env.json(&["corrections", "list", "--json"])
        .as_array()
        .unwrap()
        .clone()
}

fn db(env: &Env) -> rusqlite::Connection {
    rusqlite::Connection::open(env.hm_home.join("hivemind.db")).unwrap()
}

fn hook_log(env: &Env) -> String {
    std::fs::read_to_string(env.hm_home.join("logs").join("hook.log")).unwrap_or_default()
}

/// The fields Claude Code puts in every hook payload.
fn payload(env: &Env, session: &str, transcript: &Path, event: &str, extra: Value) -> Value {
    let mut v = json!({
        "session_id": session,
        "transcript_path": transcript,
        "cwd": env.project,
        "permission_mode": "default",
        "hook_event_name": event,
    });
    for (k, x) in extra.as_object().unwrap() {
        v[k] = x.clone();
    }
    v
}

/// Appends Claude Code transcript lines (one JSON object per line).
fn transcript_append(path: &Path, lines: &[Value]) {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap();
    for l in lines {
        writeln!(f, "{l}").unwrap();
    }
}

fn line(session: &str, uuid: &str, parent: Option<&str>, ty: &str, message: Value) -> Value {
    json!({
        "parentUuid": parent,
        "isSidechain": false,
        "userType": "external",
        "cwd": "/work/project",
        "sessionId": session,
        "version": "2.0.29",
        "gitBranch": "main",
        "type": ty,
        "message": message,
        "uuid": uuid,
        "timestamp": "2025-10-24T20:50:22.798Z",
    })
}

#[test]
fn a_claude_session_with_a_rejection_shows_in_corrections_list() {
    let env = new_env();
    let session = "5d3c7a1e-0b59-4c57-a6a1-1f1f2e3d4c5b";
    let transcript = env
        .home
        .join(".claude/projects/-work-project/session.jsonl");
    std::fs::create_dir_all(transcript.parent().unwrap()).unwrap();
    let p = |event: &str, extra: Value| payload(&env, session, &transcript, event, extra);

    // SessionStart: nothing learned yet, nothing to inject.
    let out = env.hook(&p("SessionStart", json!({"source": "startup"})));
    assert!(out.trim().is_empty(), "{out}");

    let prompt = "add lodash to the project";
    transcript_append(
        &transcript,
        &[line(
            session,
            "u1",
            None,
            "user",
            json!({"role": "user", "content": prompt}),
        )],
    );
    env.hook(&p("UserPromptSubmit", json!({"prompt": prompt})));

    // The agent proposes `npm install lodash`; the user rejects it with feedback.
    let npm = json!({"command": "npm install lodash", "description": "Install lodash"});
    transcript_append(
        &transcript,
        &[line(
            session,
            "a1",
            Some("u1"),
            "assistant",
            json!({"id": "msg_01", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5",
                   "content": [{"type": "tool_use", "id": "toolu_npm", "name": "Bash", "input": npm}]}),
        )],
    );
    env.hook(&p(
        "PreToolUse",
        json!({"tool_name": "Bash", "tool_input": npm, "tool_use_id": "toolu_npm"}),
    ));
    let feedback = "use pnpm, this repo never uses npm";
    let rejection = format!(
        "The user doesn't want to proceed with this tool use. The tool use was rejected (eg. if it was a file edit, the new_string was NOT written to the file). To tell you how to proceed, the user said:\n{feedback}"
    );
    let mut rejected = line(
        session,
        "u2",
        Some("a1"),
        "user",
        json!({"role": "user", "content": [{"type": "tool_result", "content": rejection, "is_error": true, "tool_use_id": "toolu_npm"}]}),
    );
    rejected["toolUseResult"] = json!(format!("Error: {rejection}"));
    transcript_append(&transcript, &[rejected]);

    // It does what the user said instead.
    let pnpm = json!({"command": "pnpm add lodash", "description": "Install lodash"});
    transcript_append(
        &transcript,
        &[line(
            session,
            "a2",
            Some("u2"),
            "assistant",
            json!({"id": "msg_02", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5",
                   "content": [{"type": "tool_use", "id": "toolu_pnpm", "name": "Bash", "input": pnpm}]}),
        )],
    );
    env.hook(&p(
        "PreToolUse",
        json!({"tool_name": "Bash", "tool_input": pnpm, "tool_use_id": "toolu_pnpm"}),
    ));
    env.hook(&p(
        "PostToolUse",
        json!({"tool_name": "Bash", "tool_input": pnpm, "tool_use_id": "toolu_pnpm",
               "tool_response": {"stdout": "+ lodash 4.17.21", "stderr": "", "interrupted": false, "isImage": false}}),
    ));
    let last = "Installed lodash with pnpm.";
    transcript_append(
        &transcript,
        &[line(
            session,
            "a3",
            Some("a2"),
            "assistant",
            json!({"id": "msg_03", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5",
                   "content": [{"type": "text", "text": last}]}),
        )],
    );
    env.hook(&p(
        "Stop",
        json!({"stop_hook_active": false, "last_assistant_message": last}),
    ));

    let list = corrections(&env);
    let c = list
        .iter()
        .find(|c| c["kind"] == "rejection")
        .unwrap_or_else(|| panic!("no rejection in {list:#?}"));
    for field in [
        "id",
        "session_id",
        "workspace",
        "kind",
        "target",
        "produced",
        "accepted",
        "diff",
        "reason",
    ] {
        assert!(c.get(field).is_some(), "{field} missing in {c}");
    }
    assert_eq!(c["session_id"], session);
    assert_eq!(c["workspace"], WORKSPACE);
    assert_eq!(c["target"], json!({"type": "tool", "value": "Bash"}));
    assert_eq!(c["produced"], "npm install lodash");
    assert_eq!(c["accepted"], "pnpm add lodash");
    assert_eq!(c["reason"], feedback);

    // Every step was captured, once.
    let conn = db(&env);
    let count = |kind: &str| -> i64 {
        conn.query_row(
            "SELECT COUNT(*) FROM events WHERE session = ?1 AND kind = ?2",
            [session, kind],
            |r| r.get(0),
        )
        .unwrap()
    };
    assert_eq!(count("session_start"), 1);
    assert_eq!(count("prompt"), 1);
    assert_eq!(count("tool_call"), 2);
    assert_eq!(count("tool_result"), 2, "the PostToolUse and the rejection");
    assert_eq!(count("response"), 1);

    // A second Stop (the transcript read again from its offset) adds nothing.
    env.hook(&p(
        "Stop",
        json!({"stop_hook_active": true, "last_assistant_message": ""}),
    ));
    assert_eq!(corrections(&env).len(), list.len());
    assert_eq!(count("tool_result"), 2);
}

/// Every correction a hook records links back to events the store holds: a user's edit
/// of the agent's file to the agent's write and the prompt that explains it, a follow-up
/// to the agent's output it corrects and the correcting prompt.
#[test]
fn corrections_from_hooks_link_to_their_source_events() {
    let env = new_env();
    let session = "0b7f5a52-3c1d-4a8e-9f36-5b2d8c6e1a47";
    let transcript = env.home.join(".claude/projects/-work-project/edit.jsonl");
    std::fs::create_dir_all(transcript.parent().unwrap()).unwrap();
    let p = |event: &str, extra: Value| payload(&env, session, &transcript, event, extra);
    env.hook(&p("SessionStart", json!({"source": "startup"})));
    env.hook(&p(
        "UserPromptSubmit",
        json!({"prompt": "add a retry helper"}),
    ));

    // The agent writes a file.
    let file = env.project.join("retry.py");
    let written = "import time\n\ndef retry(f):\n    time.sleep(1)\n    return f()\n";
    std::fs::write(&file, written).unwrap();
    let input = json!({"file_path": file, "content": written});
    env.hook(&p(
        "PreToolUse",
        json!({"tool_name": "Write", "tool_input": input, "tool_use_id": "toolu_w1"}),
    ));
    env.hook(&p(
        "PostToolUse",
        json!({"tool_name": "Write", "tool_input": input, "tool_use_id": "toolu_w1",
               "tool_response": {"type": "create", "filePath": file, "content": written}}),
    ));
    env.hook(&p(
        "Stop",
        json!({"stop_hook_active": false, "last_assistant_message": "Added retry.py."}),
    ));

    // The user edits it, then explains in the next prompt.
    let edited =
        "import asyncio\n\nasync def retry(f):\n    await asyncio.sleep(1)\n    return await f()\n";
    std::fs::write(&file, edited).unwrap();
    let why = "I switched retry to asyncio.sleep, time.sleep blocks the event loop";
    env.hook(&p("UserPromptSubmit", json!({"prompt": why})));
    env.hook(&p(
        "Stop",
        json!({"stop_hook_active": false, "last_assistant_message": "Understood."}),
    ));

    let list = corrections(&env);
    let edit = list
        .iter()
        .find(|c| c["kind"] == "user_edit")
        .unwrap_or_else(|| panic!("no user edit in {list:#?}"));
    assert_eq!(edit["reason"], why);
    let conn = db(&env);
    let kind_of = |id: &str| -> String {
        conn.query_row("SELECT kind FROM events WHERE id = ?1", [id], |r| r.get(0))
            .unwrap_or_else(|e| panic!("source event {id} is not stored: {e}"))
    };
    let show = env.json(&[
        "corrections",
        "show",
        edit["id"].as_str().unwrap(),
        "--json",
    ]);
    let sources: Vec<String> = show["source_events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_string())
        .collect();
    let kinds: Vec<String> = sources.iter().map(|id| kind_of(id)).collect();
    assert_eq!(kinds, ["tool_result", "prompt"], "{show:#}");
    let prompt_text: String = conn
        .query_row(
            "SELECT json_extract(data, '$.text') FROM events WHERE id = ?1",
            [&sources[1]],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(prompt_text, why);
    for c in &list {
        let ids = c["source_events"].as_array();
        let show = env.json(&["corrections", "show", c["id"].as_str().unwrap(), "--json"]);
        let linked = show["source_events"].as_array().unwrap();
        assert!(!linked.is_empty(), "no source events: {c:#}");
        if let Some(ids) = ids {
            assert_eq!(
                ids.len(),
                linked.len(),
                "every linked event is stored: {c:#}"
            );
        }
    }
}

/// Codex's Stop carries no assistant text: the hook reads the rollout at
/// `transcript_path` from where it stopped, for the agent's messages and aborted turns.
/// An aborted turn is a rejection of the agent's last output, explained by the next
/// prompt; reading the rollout again adds nothing.
#[test]
fn codex_stop_reads_the_rollout_for_messages_and_aborted_turns() {
    let env = new_env();
    let session = "019a2b3c-4d5e-7f60-8a9b-0c1d2e3f4a5b";
    let rollout = env.home.join(".codex/sessions/2026/11/28/rollout-x.jsonl");
    std::fs::create_dir_all(rollout.parent().unwrap()).unwrap();
    let line = |ts: &str, ty: &str, payload: Value| {
        json!({"timestamp": ts, "type": ty, "payload": payload}).to_string() + "\n"
    };
    let p = |event: &str, extra: Value| {
        let mut v = json!({"session_id": session, "transcript_path": rollout, "cwd": env.project,
                           "hook_event_name": event, "turn_id": "t1"});
        for (k, x) in extra.as_object().unwrap() {
            v[k] = x.clone();
        }
        env.hook_as("codex", &v)
    };
    let append = |text: &str| {
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&rollout)
            .unwrap();
        f.write_all(text.as_bytes()).unwrap();
    };
    append(&line(
        "2026-11-28T10:00:00.000Z",
        "session_meta",
        json!({"id": session, "cwd": env.project}),
    ));
    p("SessionStart", json!({"source": "startup"}));
    p(
        "UserPromptSubmit",
        json!({"prompt": "bump the lodash version"}),
    );
    let cmd = json!({"command": ["bash", "-lc", "npm install lodash@4.17.21"]});
    p(
        "PreToolUse",
        json!({"tool_name": "shell", "tool_input": cmd, "call_id": "c1"}),
    );
    let said = "I'll install the new lodash with npm.";
    append(&line(
        "2026-11-28T10:00:05.000Z",
        "event_msg",
        json!({"type": "agent_message", "message": said}),
    ));
    append(&line(
        "2026-11-28T10:00:06.000Z",
        "event_msg",
        json!({"type": "turn_aborted", "reason": "interrupted"}),
    ));
    // A line still being written is left for the next read.
    append(
        r#"{"timestamp":"2026-11-28T10:00:07.000Z","type":"event_msg","payload":{"type":"agent_mes"#,
    );
    p("Stop", json!({}));

    let conn = db(&env);
    let texts: Vec<String> = conn
        .prepare("SELECT json_extract(data, '$.text') FROM events WHERE session = ?1 AND kind = 'response'")
        .unwrap()
        .query_map([session], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(texts, [said], "the agent's message, from the rollout");
    let list = corrections(&env);
    let c = list
        .iter()
        .find(|c| c["kind"] == "rejection")
        .unwrap_or_else(|| panic!("the aborted turn is a rejection: {list:#?}"));
    assert!(
        c["produced"]
            .as_str()
            .unwrap()
            .contains("npm install lodash"),
        "{c:#}"
    );

    // The user explains; the rejection takes the prompt as its reason.
    let why = "don't use npm, this repo uses pnpm for every install";
    p("UserPromptSubmit", json!({"prompt": why}));
    let list = corrections(&env);
    let c = list.iter().find(|c| c["kind"] == "rejection").unwrap();
    assert_eq!(c["reason"], why, "{c:#}");

    // The half-written line completes; reading again adds only it.
    append("sage\",\"message\":\"Switched to pnpm.\"}}\n");
    p("Stop", json!({}));
    p("Stop", json!({}));
    let n: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM events WHERE session = ?1 AND kind IN ('response', 'interrupt')",
            [session],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(n, 3, "two messages and one abort, each once");
    assert_eq!(
        corrections(&env)
            .iter()
            .filter(|c| c["kind"] == "rejection")
            .count(),
        1
    );
}

/// A follow-up the agent answers by editing another file than the one it touched last
/// ("Logger, not IO.puts" after an edit of the controller; the fix is in billing.ex):
/// the correction is about the edit whose text the user's words name.
#[test]
fn a_followup_answered_in_another_file_is_about_that_edit() {
    let env = new_env();
    let session = "7c1e2d3f-4a5b-4c6d-8e9f-0a1b2c3d4e5f";
    let transcript = env.home.join(".claude/projects/-work-project/other.jsonl");
    std::fs::create_dir_all(transcript.parent().unwrap()).unwrap();
    let p = |event: &str, extra: Value| payload(&env, session, &transcript, event, extra);
    let edit = |file: &Path, old: &str, new: &str, id: &str| {
        let text = std::fs::read_to_string(file).unwrap_or_default();
        std::fs::write(file, text.replacen(old, new, 1)).unwrap();
        let input = json!({"file_path": file, "old_string": old, "new_string": new});
        env.hook(&p(
            "PreToolUse",
            json!({"tool_name": "Edit", "tool_input": input, "tool_use_id": id}),
        ));
        env.hook(&p(
            "PostToolUse",
            json!({"tool_name": "Edit", "tool_input": input, "tool_use_id": id,
                   "tool_response": {"filePath": file, "oldString": old, "newString": new, "userModified": false}}),
        ));
    };
    let billing = env.project.join("billing.ex");
    let controller = env.project.join("invoice_controller.ex");
    std::fs::write(&billing, "defmodule Billing do\nend\n").unwrap();
    std::fs::write(&controller, "defmodule InvoiceController do\nend\n").unwrap();
    env.hook(&p("SessionStart", json!({"source": "startup"})));
    env.hook(&p(
        "UserPromptSubmit",
        json!({"prompt": "add voiding of invoices"}),
    ));
    edit(
        &billing,
        "end\n",
        "  def void(i) do\n    IO.puts(\"voided\")\n    i\n  end\nend\n",
        "t1",
    );
    edit(
        &controller,
        "end\n",
        "  def void(conn, i), do: Billing.void(i)\nend\n",
        "t2",
    );
    env.hook(&p(
        "Stop",
        json!({"stop_hook_active": false, "last_assistant_message": "Added void."}),
    ));

    env.hook(&p(
        "UserPromptSubmit",
        json!({"prompt": "Logger, not IO.puts"}),
    ));
    edit(
        &billing,
        "    IO.puts(\"voided\")\n",
        "    Logger.info(\"voided\")\n",
        "t3",
    );
    env.hook(&p(
        "Stop",
        json!({"stop_hook_active": false, "last_assistant_message": "Switched to Logger."}),
    ));

    let list = corrections(&env);
    let c = list
        .iter()
        .find(|c| c["kind"] == "followup")
        .unwrap_or_else(|| panic!("no follow-up in {list:#?}"));
    assert_eq!(
        c["target"],
        json!({"type": "file", "value": "billing.ex"}),
        "{c:#}"
    );
    let diff = c["diff"].as_str().unwrap();
    assert!(diff.contains("-    IO.puts(\"voided\")"), "{diff}");
    assert!(diff.contains("+    Logger.info(\"voided\")"), "{diff}");
}

/// An `edited_text_file` attachment in the transcript for a file the hooks do not
/// track (its PostToolUse never came) is compared with the agent's write of it.
#[test]
fn an_edited_text_file_attachment_is_a_user_edit_of_the_agents_write() {
    let env = new_env();
    let session = "3e4f5a6b-7c8d-4e9f-a0b1-c2d3e4f5a6b7";
    let transcript = env.home.join(".claude/projects/-work-project/attach.jsonl");
    std::fs::create_dir_all(transcript.parent().unwrap()).unwrap();
    let p = |event: &str, extra: Value| payload(&env, session, &transcript, event, extra);
    env.hook(&p("SessionStart", json!({"source": "startup"})));
    env.hook(&p(
        "UserPromptSubmit",
        json!({"prompt": "write a settings module"}),
    ));
    let file = env.project.join("settings.py");
    let written = "DEBUG = True\nTIMEOUT = 10\n";
    let input = json!({"file_path": file, "content": written});
    env.hook(&p(
        "PreToolUse",
        json!({"tool_name": "Write", "tool_input": input, "tool_use_id": "toolu_w"}),
    ));
    // The write happens; no PostToolUse reaches hivemind. The user then edits the file
    // and Claude Code notes it in the transcript.
    let edited = "DEBUG = False\nTIMEOUT = 45\n";
    std::fs::write(&file, edited).unwrap();
    let mut attachment = line(session, "att1", None, "attachment", json!({}));
    attachment.as_object_mut().unwrap().remove("message");
    attachment["attachment"] =
        json!({"type": "edited_text_file", "filename": file, "snippet": "     1→DEBUG = False"});
    transcript_append(&transcript, &[attachment]);
    env.hook(&p(
        "Stop",
        json!({"stop_hook_active": false, "last_assistant_message": "Done."}),
    ));

    let list = corrections(&env);
    let c = list
        .iter()
        .find(|c| c["kind"] == "user_edit")
        .unwrap_or_else(|| panic!("no user edit in {list:#?}"));
    assert_eq!(c["produced"], written);
    assert_eq!(c["accepted"], edited);
    let show = env.json(&["corrections", "show", c["id"].as_str().unwrap(), "--json"]);
    let kinds: Vec<&str> = show["source_events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(kinds, ["tool_call", "file_edited"], "{show:#}");
    // Reading the transcript again adds nothing.
    env.hook(&p(
        "Stop",
        json!({"stop_hook_active": true, "last_assistant_message": ""}),
    ));
    assert_eq!(corrections(&env).len(), list.len());
}

#[test]
fn bad_json_on_stdin_exits_0_and_is_logged() {
    let env = new_env();
    for (i, bad) in [
        &b"{not json"[..],
        b"",
        b"[1, 2, 3]",
        b"{\"hook_event_name\": \"PreToolUse\"}",
        b"\xff\xfe\x00garbage",
    ]
    .iter()
    .enumerate()
    {
        let out = env.hook_raw(bad);
        assert!(out.status.success(), "case {i}: {:?}", out.status);
        assert!(out.stdout.is_empty(), "case {i}: nothing for the host");
        let lines = hook_log(&env).lines().count();
        assert_eq!(
            lines,
            i + 1,
            "case {i}: one log line each:\n{}",
            hook_log(&env)
        );
    }
    // Nothing was captured from them.
    if env.hm_home.join("hivemind.db").exists() {
        let n: i64 = db(&env)
            .query_row("SELECT COUNT(*) FROM events", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 0);
    }
}

/// xorshift64*: enough randomness for kill timings without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

struct Running {
    child: Child,
    marker: String,
    writer: std::thread::JoinHandle<()>,
}

#[test]
fn sigkilled_hooks_never_corrupt_the_store_nor_lose_completed_events() {
    let env = new_env();
    let seed = std::env::var("HIVEMIND_E2E_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
                | 1
        });
    eprintln!("seed {seed} (HIVEMIND_E2E_SEED to replay)");
    let mut rng = Rng(seed);
    let sessions = ["sess-kill-a", "sess-kill-b", "sess-kill-c"];
    let transcript = env.project.join("missing-transcript.jsonl");
    let (mut completed, mut killed) = (Vec::new(), 0usize);
    // Rounds of concurrent hooks (2 cores: a few at a time), some killed mid-flight.
    for round in 0..8 {
        let mut batch: Vec<Running> = Vec::new();
        for k in 0..6 {
            let session = sessions[(round + k) % sessions.len()];
            let marker = format!("marker-{round}-{k}-{}", rng.next());
            let big = "x".repeat(64 * 1024 + rng.below(512 * 1024) as usize);
            let body = if k % 3 == 0 {
                payload(
                    &env,
                    session,
                    &transcript,
                    "UserPromptSubmit",
                    json!({"prompt": format!("{marker} please refactor this:\n{big}")}),
                )
            } else {
                payload(
                    &env,
                    session,
                    &transcript,
                    "PreToolUse",
                    json!({"tool_name": "Write", "tool_use_id": marker,
                           "tool_input": {"file_path": format!("/work/project/{marker}.txt"), "content": big}}),
                )
            };
            let mut child = env
                .cmd(&["hook", "--agent", "claude-code"])
                .stdin(Stdio::piped())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            let mut stdin = child.stdin.take().unwrap();
            let bytes = body.to_string().into_bytes();
            // A killed process closes the pipe: the write may fail, that is expected.
            let writer = std::thread::spawn(move || {
                let _ = stdin.write_all(&bytes);
            });
            batch.push(Running {
                child,
                marker,
                writer,
            });
        }
        for r in batch.iter_mut() {
            if rng.below(2) == 0 {
                // Spread over a hook's life (startup, reading stdin, journal or SQLite
                // writes, folding): a debug build takes ~0.1 s for a PreToolUse and
                // longer for a large prompt.
                std::thread::sleep(Duration::from_millis(rng.below(300)));
                let _ = r.child.kill();
            }
        }
        for mut r in batch {
            let status = r.child.wait().unwrap();
            r.writer.join().unwrap();
            if status.success() {
                completed.push(r.marker);
            } else {
                use std::os::unix::process::ExitStatusExt;
                assert_eq!(
                    status.signal(),
                    Some(9),
                    "{status:?}: only SIGKILL may stop a hook"
                );
                killed += 1;
            }
        }
    }
    eprintln!("{} hooks completed, {killed} killed", completed.len());
    assert!(!completed.is_empty());
    assert!(
        killed > 0,
        "no hook was killed mid-flight: the test proved nothing"
    );

    // `corrections list` folds the session journals into the store.
    corrections(&env);
    let conn = db(&env);
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
    let mut stmt = conn
        .prepare("SELECT kind, data FROM events WHERE workspace = ?1")
        .unwrap();
    let mut stored: HashSet<String> = HashSet::new();
    let rows = stmt
        .query_map([WORKSPACE], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
        })
        .unwrap();
    for row in rows {
        let (kind, data) = row.unwrap();
        let v: Value = serde_json::from_str(&data).unwrap();
        match kind.as_str() {
            "tool_call" => {
                stored.insert(v["call_id"].as_str().unwrap().to_string());
            }
            "prompt" => {
                let text = v["text"].as_str().unwrap();
                stored.insert(text.split_whitespace().next().unwrap().to_string());
            }
            _ => {}
        }
    }
    let lost: Vec<&String> = completed.iter().filter(|m| !stored.contains(*m)).collect();
    assert!(
        lost.is_empty(),
        "events of hooks that exited normally are missing: {lost:?} (seed {seed})"
    );
    // Nothing is stored twice: one event per completed (or killed-after-writing) hook.
    let total: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM events WHERE workspace = ?1 AND kind IN ('tool_call', 'prompt')",
            [WORKSPACE],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(total as usize, stored.len());
    assert!(stored.len() <= completed.len() + killed);
}
