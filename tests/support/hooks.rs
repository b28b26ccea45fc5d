//! Hook calls of Claude Code, Codex and Cursor through the built binary, for the
//! command-line tests (`#[path = "support/hooks.rs"] mod hooks;` beside `mod cli;`).
//! Payloads have the fields each host sends; a Claude Code session also writes its
//! transcript, where rejected tool uses are only visible.
#![allow(dead_code, clippy::unwrap_used)]

use super::cli::Sandbox;
use serde_json::{json, Value};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Output;

/// The text Claude Code puts in the `tool_result` of a tool use the user rejected with
/// feedback.
pub const REJECTED: &str = "The user doesn't want to proceed with this tool use. The tool use was rejected (eg. if it was a file edit, the new_string was NOT written to the file). To tell you how to proceed, the user said:\n";

/// Runs `hivemind hook --agent AGENT` with `stdin`.
pub fn hook_as(env: &Sandbox, agent: &str, stdin: &[u8]) -> Output {
    env.hook_raw_as(agent, stdin)
}

/// One hook call of `agent`, which must exit 0; its stdout.
pub fn hook_ok(env: &Sandbox, agent: &str, payload: &Value) -> String {
    let out = hook_as(env, agent, payload.to_string().as_bytes());
    assert!(
        out.status.success(),
        "{agent} hook {payload} exited {:?}: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The context in a hook's stdout: `hookSpecificOutput.additionalContext` (Claude
/// Code, Codex) checked against `event`, or `None` when nothing was printed.
pub fn additional_context(stdout: &str, event: &str) -> Option<String> {
    if stdout.trim().is_empty() {
        return None;
    }
    let v: Value = serde_json::from_str(stdout.trim())
        .unwrap_or_else(|e| panic!("hook stdout is not JSON ({e}): {stdout}"));
    assert_eq!(v["hookSpecificOutput"]["hookEventName"], event, "{v}");
    Some(
        v["hookSpecificOutput"]["additionalContext"]
            .as_str()
            .unwrap_or_else(|| panic!("no additionalContext string in {v}"))
            .to_string(),
    )
}

/// A Claude Code session: its id, its transcript, and the sandbox's project as `cwd`.
pub struct ClaudeSession<'a> {
    pub env: &'a Sandbox,
    pub id: String,
    pub transcript: PathBuf,
    lines: usize,
}

impl<'a> ClaudeSession<'a> {
    /// A session whose transcript lives under `~/.claude/projects` of the sandbox.
    pub fn new(env: &'a Sandbox, id: &str) -> ClaudeSession<'a> {
        let transcript = env
            .home
            .join(".claude/projects/-project")
            .join(format!("{id}.jsonl"));
        std::fs::create_dir_all(transcript.parent().unwrap()).unwrap();
        ClaudeSession {
            env,
            id: id.to_string(),
            transcript,
            lines: 0,
        }
    }

    /// The payload of `event` with the fields Claude Code always sends, plus `extra`.
    pub fn payload(&self, event: &str, extra: Value) -> Value {
        let mut v = json!({
            "session_id": self.id,
            "transcript_path": self.transcript,
            "cwd": self.env.project,
            "permission_mode": "default",
            "hook_event_name": event,
        });
        for (k, x) in extra.as_object().unwrap() {
            v[k] = x.clone();
        }
        v
    }

    /// One hook call (exit 0 asserted); its stdout.
    pub fn hook(&self, event: &str, extra: Value) -> String {
        hook_ok(self.env, "claude-code", &self.payload(event, extra))
    }

    /// Appends one transcript line of `ty` (`user`, `assistant`) carrying `message`.
    pub fn transcript_line(&mut self, ty: &str, message: Value) -> Value {
        self.lines += 1;
        let uuid = format!("{}-line-{}", self.id, self.lines);
        let parent = (self.lines > 1).then(|| format!("{}-line-{}", self.id, self.lines - 1));
        let line = json!({
            "parentUuid": parent,
            "isSidechain": false,
            "userType": "external",
            "cwd": self.env.project,
            "sessionId": self.id,
            "version": "2.0.29",
            "gitBranch": "main",
            "type": ty,
            "message": message,
            "uuid": uuid,
            "timestamp": "2025-10-24T20:50:22.798Z",
        });
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.transcript)
            .unwrap();
        writeln!(f, "{line}").unwrap();
        line
    }

    /// SessionStart (`source: startup`); its stdout.
    pub fn start(&self) -> String {
        self.hook("SessionStart", json!({"source": "startup"}))
    }

    /// UserPromptSubmit (also written to the transcript); its stdout.
    pub fn prompt(&mut self, text: &str) -> String {
        self.transcript_line("user", json!({"role": "user", "content": text}));
        self.hook("UserPromptSubmit", json!({"prompt": text}))
    }

    fn tool_use_line(&mut self, call_id: &str, tool: &str, input: &Value) {
        self.transcript_line(
            "assistant",
            json!({"id": format!("msg_{call_id}"), "type": "message", "role": "assistant",
                   "model": "claude-sonnet-4-5",
                   "content": [{"type": "tool_use", "id": call_id, "name": tool, "input": input}]}),
        );
    }

    /// The agent runs `command` with Bash and it succeeds (PreToolUse, PostToolUse).
    pub fn bash(&mut self, call_id: &str, command: &str) {
        let input = json!({"command": command, "description": "Run a command"});
        self.tool_use_line(call_id, "Bash", &input);
        self.hook(
            "PreToolUse",
            json!({"tool_name": "Bash", "tool_input": input, "tool_use_id": call_id}),
        );
        self.hook(
            "PostToolUse",
            json!({"tool_name": "Bash", "tool_input": input, "tool_use_id": call_id,
                   "tool_response": {"stdout": "done", "stderr": "", "interrupted": false, "isImage": false}}),
        );
    }

    /// The agent proposes `command` (PreToolUse) and the user rejects it with
    /// `feedback` (only in the transcript, as Claude Code does).
    pub fn bash_rejected(&mut self, call_id: &str, command: &str, feedback: &str) {
        let input = json!({"command": command, "description": "Run a command"});
        self.tool_use_line(call_id, "Bash", &input);
        self.hook(
            "PreToolUse",
            json!({"tool_name": "Bash", "tool_input": input, "tool_use_id": call_id}),
        );
        let rejection = format!("{REJECTED}{feedback}");
        self.transcript_line(
            "user",
            json!({"role": "user", "content": [{"type": "tool_result", "content": rejection,
                                                 "is_error": true, "tool_use_id": call_id}]}),
        );
    }

    /// The agent says `text` and its turn ends (Stop); its stdout.
    pub fn stop(&mut self, text: &str) -> String {
        self.transcript_line(
            "assistant",
            json!({"id": format!("msg_stop_{}", self.lines), "type": "message", "role": "assistant",
                   "model": "claude-sonnet-4-5", "content": [{"type": "text", "text": text}]}),
        );
        self.hook(
            "Stop",
            json!({"stop_hook_active": false, "last_assistant_message": text}),
        )
    }

    /// A turn where the agent runs `npm install PKG`, the user rejects it with
    /// `feedback`, and the agent runs `pnpm add PKG` instead.
    pub fn npm_rejected_turn(&mut self, pkg: &str, feedback: &str) {
        self.prompt(&format!("add the {pkg} package"));
        self.bash_rejected(
            &format!("toolu_{}_npm_{pkg}", self.lines),
            &format!("npm install {pkg}"),
            feedback,
        );
        self.bash(
            &format!("toolu_{}_pnpm_{pkg}", self.lines),
            &format!("pnpm add {pkg}"),
        );
        self.stop(&format!("Added {pkg} with pnpm."));
    }
}

/// Opens the sandbox's SQLite database (read it after a command folded the journals).
pub fn db(env: &Sandbox) -> rusqlite::Connection {
    rusqlite::Connection::open(env.hm_home.join("hivemind.db")).unwrap()
}

/// Stored events of `session` of kind `kind`.
pub fn count_events(env: &Sandbox, session: &str, kind: &str) -> i64 {
    db(env)
        .query_row(
            "SELECT COUNT(*) FROM events WHERE session = ?1 AND kind = ?2",
            [session, kind],
            |r| r.get(0),
        )
        .unwrap()
}

/// `hivemind corrections list --json ARGS`.
pub fn corrections(env: &Sandbox, args: &[&str]) -> Vec<Value> {
    let mut all = vec!["corrections", "list", "--json"];
    all.extend_from_slice(args);
    env.json(&all).as_array().unwrap().clone()
}

/// Reads a file that must exist.
pub fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}
