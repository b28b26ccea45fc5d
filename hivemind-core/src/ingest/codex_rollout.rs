//! Codex rollouts (`~/.codex/sessions/**/rollout-*.jsonl`), streamed into [`Event`]s.
//!
//! Each line is `{timestamp, type, payload}` with `type` one of `session_meta`,
//! `turn_context`, `response_item`, `event_msg` (and `compacted` in later versions).
//! The reader maps:
//!
//! * `session_meta` → [`EventKind::SessionStart`] (and the session id);
//! * `event_msg/user_message` → [`EventKind::Prompt`], with the IDE preamble stripped
//!   (see [`strip_ide_preamble`]); the duplicated `response_item` user messages are ignored;
//! * `event_msg/agent_message` → [`EventKind::Response`]; the duplicated `response_item`
//!   assistant messages are ignored;
//! * `response_item/function_call`, `custom_tool_call`, `local_shell_call` →
//!   [`EventKind::ToolCall`], recognising `apply_patch` run through the shell (0.40) and the
//!   `shell_command` / custom `apply_patch` tools (0.60+);
//! * `response_item/function_call_output`, `custom_tool_call_output` →
//!   [`EventKind::ToolResult`], paired with the call by `call_id`;
//! * `event_msg/turn_aborted` → [`EventKind::Interrupt`].
//!
//! Everything else Codex writes (`turn_context`, reasoning, token counts, ...) is ignored.
//! Lines that are not JSON or lack the expected fields become [`IngestItem::Skipped`] and
//! reading goes on.
//!
//! Event ids are derived from `codex:<session>:<line number>`, so importing the same file
//! twice yields the same ids.

use super::IngestItem;
use crate::model::{Agent, Event, EventId, EventKind, SessionId, WorkspaceId};
use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};
use std::collections::HashMap;
use std::fmt;
use std::io::{BufRead, ErrorKind};

/// The line that ends the preamble the Codex IDE extension puts before the user's request.
const REQUEST_MARKER: &str = "## My request for Codex:";

/// The start of every `apply_patch` body.
const BEGIN_PATCH: &str = "*** Begin Patch";
/// The end of every `apply_patch` body.
const END_PATCH: &str = "*** End Patch";

/// Tool calls still waiting for their output are forgotten past this many (a file whose
/// calls never get outputs must not make the reader grow without bound).
const MAX_PENDING_CALLS: usize = 10_000;

/// After a line longer than this, the line buffer gives its memory back.
const MAX_KEPT_BUFFER: usize = 1 << 20;

/// Streams a Codex rollout file as [`IngestItem`]s, one line at a time.
///
/// Memory stays bounded by the longest line plus a map of tool calls still waiting for
/// their output (entries are dropped as outputs arrive).
pub struct CodexRolloutReader<R> {
    reader: R,
    buf: Vec<u8>,
    line_no: usize,
    workspace: WorkspaceId,
    session: SessionId,
    saw_session_meta: bool,
    cwd: Option<String>,
    /// `call_id` → tool name, for calls whose output has not been read yet.
    pending_calls: HashMap<String, String>,
    done: bool,
}

impl<R> fmt::Debug for CodexRolloutReader<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CodexRolloutReader")
            .field("line_no", &self.line_no)
            .field("workspace", &self.workspace)
            .field("session", &self.session)
            .field("cwd", &self.cwd)
            .field("pending_calls", &self.pending_calls.len())
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}

impl<R: BufRead> CodexRolloutReader<R> {
    /// A reader over `reader`, scoping events to `workspace`.
    ///
    /// `fallback_session` is used when the file has no `session_meta` id (or an invalid one),
    /// and for any line read before the `session_meta` line.
    pub fn new(reader: R, workspace: WorkspaceId, fallback_session: SessionId) -> Self {
        CodexRolloutReader {
            reader,
            buf: Vec::new(),
            line_no: 0,
            workspace,
            session: fallback_session,
            saw_session_meta: false,
            cwd: None,
            pending_calls: HashMap::new(),
            done: false,
        }
    }

    /// The session the events belong to: the `session_meta` payload id once that line has
    /// been read, else the fallback given to [`CodexRolloutReader::new`].
    pub fn session_id(&self) -> &SessionId {
        &self.session
    }

    /// The project folder from `session_meta`, once that line has been read.
    pub fn cwd(&self) -> Option<&str> {
        self.cwd.as_deref()
    }

    /// Reads the next physical line into `self.buf`; `false` at end of input (or on an I/O
    /// error, which is logged and ends the stream).
    fn read_next_line(&mut self) -> Result<bool, String> {
        if self.buf.capacity() > MAX_KEPT_BUFFER {
            self.buf = Vec::new();
        } else {
            self.buf.clear();
        }
        loop {
            match self.reader.read_until(b'\n', &mut self.buf) {
                Ok(0) => return Ok(false),
                Ok(_) => {
                    self.line_no += 1;
                    return Ok(true);
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => return Err(e.to_string()),
            }
        }
    }

    fn skipped(&self, reason: impl Into<String>) -> Option<IngestItem> {
        let reason = reason.into();
        tracing::debug!(line = self.line_no, %reason, "codex rollout: skipping line");
        Some(IngestItem::Skipped {
            line: self.line_no,
            reason,
        })
    }

    fn event(&self, at: DateTime<Utc>, kind: EventKind) -> Option<IngestItem> {
        let key = format!("codex:{}:{}", self.session, self.line_no);
        Some(IngestItem::Event(Box::new(Event {
            id: EventId::derived(&key),
            workspace: self.workspace.clone(),
            session: self.session.clone(),
            agent: Agent::Codex,
            seq: 0,
            at,
            kind,
        })))
    }

    fn remember_call(&mut self, call_id: &str, tool: &str) {
        if self.pending_calls.len() >= MAX_PENDING_CALLS
            && !self.pending_calls.contains_key(call_id)
        {
            tracing::warn!(
                pending = self.pending_calls.len(),
                "codex rollout: too many tool calls without output; forgetting them"
            );
            self.pending_calls.clear();
        }
        self.pending_calls
            .insert(call_id.to_string(), tool.to_string());
    }

    /// Turns the line in `self.buf` into at most one item.
    fn process_line(&mut self) -> Option<IngestItem> {
        let text = match std::str::from_utf8(&self.buf) {
            Ok(t) => t.trim(),
            Err(e) => return self.skipped(format!("line is not valid UTF-8: {e}")),
        };
        if text.is_empty() {
            return None;
        }
        let value: Value = match serde_json::from_str(text) {
            Ok(v) => v,
            Err(e) => return self.skipped(format!("not JSON: {e}")),
        };
        let Some(obj) = value.as_object() else {
            return self.skipped("not a JSON object");
        };
        let Some(line_type) = obj.get("type").and_then(Value::as_str) else {
            return self.skipped("no \"type\" field");
        };
        let Some(payload) = obj.get("payload").and_then(Value::as_object) else {
            return self.skipped(format!("{line_type} line without an object \"payload\""));
        };
        let at = obj
            .get("timestamp")
            .and_then(Value::as_str)
            .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
            .map_or_else(Utc::now, |t| t.with_timezone(&Utc));

        match line_type {
            "session_meta" => self.session_meta(payload, at),
            "event_msg" => self.event_msg(payload, at),
            "response_item" => self.response_item(payload, at),
            "turn_context" | "compacted" => None,
            other => self.skipped(format!("unknown line type {other:?}")),
        }
    }

    fn session_meta(
        &mut self,
        payload: &Map<String, Value>,
        at: DateTime<Utc>,
    ) -> Option<IngestItem> {
        if self.saw_session_meta {
            // Forked/resumed rollouts repeat the parent's meta; the first one names the file.
            tracing::debug!(
                line = self.line_no,
                "codex rollout: ignoring repeated session_meta"
            );
            return None;
        }
        self.saw_session_meta = true;
        match payload.get("id").and_then(Value::as_str) {
            Some(id) => match SessionId::new(id) {
                Ok(s) => self.session = s,
                Err(e) => tracing::warn!(
                    line = self.line_no,
                    error = %e,
                    fallback = %self.session,
                    "codex rollout: invalid session id in session_meta; keeping the fallback"
                ),
            },
            None => tracing::warn!(
                line = self.line_no,
                fallback = %self.session,
                "codex rollout: session_meta without an id; keeping the fallback"
            ),
        }
        let cwd = str_field(payload, "cwd");
        self.cwd.clone_from(&cwd);
        let source = str_field(payload, "originator");
        self.event(at, EventKind::SessionStart { source, cwd })
    }

    fn event_msg(&mut self, payload: &Map<String, Value>, at: DateTime<Utc>) -> Option<IngestItem> {
        let Some(kind) = payload.get("type").and_then(Value::as_str) else {
            return self.skipped("event_msg without a payload type");
        };
        match kind {
            "user_message" => {
                let Some(message) = payload.get("message").and_then(Value::as_str) else {
                    return self.skipped("user_message without a message");
                };
                let text = strip_ide_preamble(message);
                if text.is_empty() {
                    return None;
                }
                self.event(
                    at,
                    EventKind::Prompt {
                        text: text.to_string(),
                    },
                )
            }
            "agent_message" => {
                let Some(message) = payload.get("message").and_then(Value::as_str) else {
                    return self.skipped("agent_message without a message");
                };
                if message.trim().is_empty() {
                    return None;
                }
                self.event(
                    at,
                    EventKind::Response {
                        text: message.to_string(),
                    },
                )
            }
            "turn_aborted" => {
                let reason = str_field(payload, "reason");
                self.event(at, EventKind::Interrupt { reason })
            }
            _ => None,
        }
    }

    fn response_item(
        &mut self,
        payload: &Map<String, Value>,
        at: DateTime<Utc>,
    ) -> Option<IngestItem> {
        let Some(kind) = payload.get("type").and_then(Value::as_str) else {
            return self.skipped("response_item without a payload type");
        };
        match kind {
            "function_call" => {
                let (Some(name), Some(call_id)) = (
                    payload.get("name").and_then(Value::as_str),
                    payload.get("call_id").and_then(Value::as_str),
                ) else {
                    return self.skipped("function_call without name or call_id");
                };
                let arguments = payload.get("arguments").cloned().unwrap_or(Value::Null);
                let (tool, input) = map_function_call(name, arguments);
                self.tool_call(at, call_id, tool, input)
            }
            "custom_tool_call" => {
                let (Some(name), Some(call_id)) = (
                    payload.get("name").and_then(Value::as_str),
                    payload.get("call_id").and_then(Value::as_str),
                ) else {
                    return self.skipped("custom_tool_call without name or call_id");
                };
                let input = payload.get("input").cloned().unwrap_or(Value::Null);
                let (tool, input) = match (name, input) {
                    ("apply_patch", Value::String(s)) => (
                        "apply_patch".to_string(),
                        json!({ "patch": patch_body(&s).unwrap_or(&s) }),
                    ),
                    (name, input) => (name.to_string(), input),
                };
                self.tool_call(at, call_id, tool, input)
            }
            "local_shell_call" => {
                let Some(call_id) = payload
                    .get("call_id")
                    .or_else(|| payload.get("id"))
                    .and_then(Value::as_str)
                else {
                    return self.skipped("local_shell_call without call_id");
                };
                let command = payload
                    .get("action")
                    .and_then(|a| a.get("command"))
                    .cloned()
                    .unwrap_or(Value::Null);
                let (tool, input) = map_shell_argv(command);
                self.tool_call(at, call_id, tool, input)
            }
            "function_call_output" | "custom_tool_call_output" => {
                let Some(call_id) = payload.get("call_id").and_then(Value::as_str) else {
                    return self.skipped(format!("{kind} without call_id"));
                };
                let Some(raw) = payload.get("output") else {
                    return self.skipped(format!("{kind} without output"));
                };
                let (output, is_error) = interpret_output(raw);
                let tool = self
                    .pending_calls
                    .remove(call_id)
                    .unwrap_or_else(|| "unknown".to_string());
                self.event(
                    at,
                    EventKind::ToolResult {
                        tool,
                        call_id: Some(call_id.to_string()),
                        output,
                        is_error,
                    },
                )
            }
            // `message` (duplicates of event_msg user/agent messages, environment context),
            // `reasoning`, `web_search_call`, `ghost_snapshot`, `compaction`, ...
            _ => None,
        }
    }

    fn tool_call(
        &mut self,
        at: DateTime<Utc>,
        call_id: &str,
        tool: String,
        input: Value,
    ) -> Option<IngestItem> {
        self.remember_call(call_id, &tool);
        self.event(
            at,
            EventKind::ToolCall {
                tool,
                call_id: Some(call_id.to_string()),
                input,
            },
        )
    }
}

impl<R: BufRead> Iterator for CodexRolloutReader<R> {
    type Item = IngestItem;

    fn next(&mut self) -> Option<IngestItem> {
        while !self.done {
            match self.read_next_line() {
                Ok(true) => {
                    if let Some(item) = self.process_line() {
                        return Some(item);
                    }
                }
                Ok(false) => self.done = true,
                Err(e) => {
                    self.done = true;
                    tracing::warn!(line = self.line_no + 1, error = %e, "codex rollout: read error; stopping");
                    return Some(IngestItem::Skipped {
                        line: self.line_no + 1,
                        reason: format!("read error, import stopped: {e}"),
                    });
                }
            }
        }
        None
    }
}

/// Strips the IDE preamble: everything up to and including a line "## My request for
/// Codex:" (the Codex IDE extension puts open tabs and the active file before the user's
/// words). The result is trimmed; text without the marker line is returned trimmed.
#[must_use]
pub fn strip_ide_preamble(text: &str) -> &str {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let start = line.trim_start();
        if start.starts_with(REQUEST_MARKER) {
            // The request may start on the marker line itself.
            let after = offset + (line.len() - start.len()) + REQUEST_MARKER.len();
            return text[after..].trim();
        }
        offset += line.len();
    }
    text.trim()
}

fn str_field(map: &Map<String, Value>, key: &str) -> Option<String> {
    map.get(key).and_then(Value::as_str).map(str::to_string)
}

/// Maps a `function_call` to (tool, input).
fn map_function_call(name: &str, arguments: Value) -> (String, Value) {
    // `arguments` is a JSON string in rollouts; accept an already-parsed object too.
    let parsed = match &arguments {
        Value::String(s) => serde_json::from_str::<Value>(s).ok(),
        Value::Object(_) => Some(arguments.clone()),
        _ => None,
    };
    match name {
        "shell" | "container.exec" => match parsed.and_then(|p| p.get("command").cloned()) {
            Some(command) => map_shell_argv(command),
            None => {
                tracing::debug!("codex rollout: shell call with unreadable arguments");
                ("shell".to_string(), arguments)
            }
        },
        "shell_command" => match parsed
            .as_ref()
            .and_then(|p| p.get("command"))
            .and_then(Value::as_str)
        {
            Some(script) => map_shell_script(script),
            None => ("shell".to_string(), parsed.unwrap_or(arguments)),
        },
        "apply_patch" => {
            let patch = parsed
                .as_ref()
                .and_then(|p| p.get("input").or_else(|| p.get("patch")))
                .and_then(Value::as_str)
                .map(str::to_string);
            match patch {
                Some(p) => (
                    "apply_patch".to_string(),
                    json!({ "patch": patch_body(&p).unwrap_or(&p) }),
                ),
                None => ("apply_patch".to_string(), parsed.unwrap_or(arguments)),
            }
        }
        other => (other.to_string(), parsed.unwrap_or(arguments)),
    }
}

/// Maps a shell argv (`["bash", "-lc", "..."]`, `["apply_patch", "*** Begin Patch..."]`,
/// `["ls", "-la"]`) to (tool, input).
pub(crate) fn map_shell_argv(command: Value) -> (String, Value) {
    let argv: Vec<&str> = match &command {
        Value::Array(items) => items.iter().filter_map(Value::as_str).collect(),
        Value::String(s) => return map_shell_script(s),
        _ => return ("shell".to_string(), json!({ "command": command })),
    };
    // Direct invocation: ["apply_patch", "<patch>"].
    if let [program, patch] = argv.as_slice() {
        if matches!(*program, "apply_patch" | "applypatch") {
            return (
                "apply_patch".to_string(),
                json!({ "patch": patch_body(patch).unwrap_or(patch) }),
            );
        }
    }
    // Script through a shell: [sh, "-c" | "-lc", script].
    if let [shell, flag, script] = argv.as_slice() {
        let shell_name = shell.rsplit('/').next().unwrap_or(shell);
        if matches!(shell_name, "bash" | "sh" | "zsh" | "dash" | "fish" | "ksh")
            && matches!(*flag, "-c" | "-lc" | "-cl")
        {
            return map_shell_script(script);
        }
    }
    ("shell".to_string(), json!({ "command": argv.join(" ") }))
}

/// Maps a shell script to `apply_patch` (when it invokes apply_patch with a patch) or `shell`.
fn map_shell_script(script: &str) -> (String, Value) {
    if invokes_apply_patch(script) {
        if let Some(patch) = patch_body(script) {
            return ("apply_patch".to_string(), json!({ "patch": patch }));
        }
    }
    ("shell".to_string(), json!({ "command": script }))
}

/// `apply_patch` (or `applypatch`) appears at a command position in the script.
fn invokes_apply_patch(script: &str) -> bool {
    ["apply_patch", "applypatch"].iter().any(|word| {
        script.match_indices(word).any(|(i, _)| {
            let before = script[..i].trim_end_matches([' ', '\t']);
            let at_command_start = before.is_empty()
                || before.ends_with(['\n', ';', '&', '|', '(', '{'])
                || before.ends_with("then")
                || before.ends_with("do");
            let after = &script[i + word.len()..];
            let ends_word =
                after.is_empty() || after.starts_with([' ', '\t', '\n', '<', ';', '\'', '"']);
            at_command_start && ends_word
        })
    })
}

/// The patch from `*** Begin Patch` through `*** End Patch` (or to the end of the text when
/// the end marker is missing); `None` without a begin marker.
fn patch_body(text: &str) -> Option<&str> {
    let start = text.find(BEGIN_PATCH)?;
    let rest = &text[start..];
    match rest.find(END_PATCH) {
        Some(end) => Some(&rest[..end + END_PATCH.len()]),
        None => Some(rest.trim_end()),
    }
}

/// Interprets a tool output: returns the output to store and whether the call failed.
///
/// * a string holding `{"output": .., "metadata": {"exit_code": ..}}` (0.40 shell) is parsed;
///   a non-zero exit code is an error;
/// * freeform text starting with `Exit code: N` (0.60+ `shell_command`) or holding
///   `Process exited with code N` (unified exec) is kept as text, a non-zero N is an error;
/// * Codex's own failure texts (`failed in sandbox ...`, `execution error: ...`,
///   `patch rejected by user`, `exec command rejected by user`) are errors;
/// * an object `{content, success}` stores `content`, and `success: false` is an error;
/// * anything else is stored as is.
fn interpret_output(raw: &Value) -> (Value, bool) {
    match raw {
        Value::String(s) => interpret_output_text(s),
        Value::Object(o) if o.contains_key("content") => {
            let content = o.get("content").cloned().unwrap_or(Value::Null);
            let failed = o.get("success").and_then(Value::as_bool) == Some(false);
            let (content, text_failed) = match &content {
                Value::String(s) => interpret_output_text(s),
                _ => (content, false),
            };
            (content, failed || text_failed)
        }
        other => (other.clone(), false),
    }
}

fn interpret_output_text(s: &str) -> (Value, bool) {
    let trimmed = s.trim_start();
    if trimmed.starts_with('{') {
        if let Ok(v @ Value::Object(_)) = serde_json::from_str::<Value>(trimmed) {
            if v.get("output").is_some() && v.get("metadata").is_some_and(Value::is_object) {
                let exit_code = v
                    .get("metadata")
                    .and_then(|m| m.get("exit_code"))
                    .and_then(Value::as_i64);
                return (v, exit_code.is_some_and(|c| c != 0));
            }
        }
    }
    (Value::String(s.to_string()), plain_output_failed(trimmed))
}

/// Recognises failures in the plain-text outputs Codex writes.
fn plain_output_failed(text: &str) -> bool {
    if let Some(code) = text
        .lines()
        .next()
        .and_then(|l| l.strip_prefix("Exit code: "))
        .and_then(|c| c.trim().parse::<i64>().ok())
    {
        return code != 0;
    }
    if let Some(code) = text.lines().find_map(|l| {
        l.trim()
            .strip_prefix("Process exited with code ")
            .and_then(|c| c.trim().parse::<i64>().ok())
    }) {
        return code != 0;
    }
    const FAILURE_PREFIXES: [&str; 6] = [
        "failed in sandbox",
        "execution error",
        "sandbox error",
        "patch rejected by user",
        "exec command rejected by user",
        "rejected by user",
    ];
    FAILURE_PREFIXES.iter().any(|p| text.starts_with(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apply_patch_invocation_is_recognised_only_at_command_position() {
        assert!(invokes_apply_patch(
            "apply_patch <<'PATCH'\n*** Begin Patch\n*** End Patch\nPATCH\n"
        ));
        assert!(invokes_apply_patch("cd web && apply_patch <<'EOF'\n"));
        assert!(!invokes_apply_patch("rg apply_patch src"));
        assert!(!invokes_apply_patch("echo my_apply_patch"));
    }

    #[test]
    fn patch_body_is_cut_at_the_markers() {
        let s = "apply_patch <<'P'\n*** Begin Patch\n*** Add File: a\n+x\n*** End Patch\nP\n";
        assert_eq!(
            patch_body(s),
            Some("*** Begin Patch\n*** Add File: a\n+x\n*** End Patch")
        );
        assert_eq!(patch_body("nothing"), None);
    }

    #[test]
    fn outputs_are_interpreted() {
        let (v, err) =
            interpret_output(&json!("{\"output\":\"x\",\"metadata\":{\"exit_code\":2}}"));
        assert!(err);
        assert_eq!(v["output"], "x");
        let (_, err) =
            interpret_output(&json!("{\"output\":\"x\",\"metadata\":{\"exit_code\":0}}"));
        assert!(!err);
        assert!(interpret_output(&json!("Exit code: 1\nWall time: 0.1 seconds\nOutput:\n")).1);
        assert!(!interpret_output(&json!("Exit code: 0\nWall time: 0.1 seconds\nOutput:\nok")).1);
        assert!(interpret_output(&json!("patch rejected by user")).1);
        assert!(!interpret_output(&json!("Plan updated")).1);
        let (v, err) = interpret_output(&json!({"content": "nope", "success": false}));
        assert!(err);
        assert_eq!(v, json!("nope"));
    }
}
