//! Claude Code transcripts (`~/.claude/projects/<project>/<session>.jsonl`).
//!
//! Lines are `{type, uuid, parentUuid, sessionId, message, toolUseResult, ...}`. One API
//! message may be split over several assistant lines sharing `message.id`; each line
//! carries its own blocks, so every block becomes its own event with an id derived from
//! what it is, not from where it was written: tool calls and results from the host's
//! tool-use id, responses from `message.id` and the text, prompts and interrupts from
//! the timestamp and the text (the line's `uuid` and block index only when those are
//! missing). Duplicated lines — the same `uuid`, or the history Claude Code copies with
//! fresh uuids when a session is resumed — give the same ids and the store ignores them.
//! `summary`, `progress`, `file-history-snapshot`, `system` and `queue-operation` lines
//! carry nothing to capture. Lines that are not JSON (some files start with `//`
//! comments) are reported as skipped.
//!
//! A human prompt is the text of a `user` line (string content or `text` blocks) that is
//! not a subagent's (`isSidechain`), not injected by the host (`isMeta`,
//! `isCompactSummary`), and not plumbing: IDE context (`<ide_opened_file>`,
//! `<ide_selection>`) and `<system-reminder>` spans are removed first, and slash-command
//! plumbing, local command output, `!` shell input/output and background task
//! notifications are not prompts. `[Request interrupted by user…]` is an interrupt.

use super::IngestItem;
use crate::model::{Agent, Event, EventId, EventKind, SessionId, WorkspaceId};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::Value;
use std::collections::HashMap;
use std::io::BufRead;

/// Marker of a rejected tool use in a `tool_result`.
pub const REJECTION_MARKER: &str = "doesn't want to proceed with this tool use";
/// What precedes the user's feedback in a rejection.
pub const FEEDBACK_MARKER: &str = "the user said:";
/// Prefix of Claude Code's interrupt lines.
pub const INTERRUPT_PREFIX: &str = "[Request interrupted by user";

/// Streams events out of a Claude Code transcript.
#[derive(Debug)]
pub struct ClaudeTranscriptReader<R> {
    reader: R,
    workspace: WorkspaceId,
    fallback_session: SessionId,
    line_no: usize,
    /// Bytes consumed so far (complete lines only).
    offset: u64,
    pending: std::collections::VecDeque<IngestItem>,
    tool_names: HashMap<String, String>,
    /// The line being read (reused).
    buf: Vec<u8>,
    /// A last line without a newline is complete (a finished file), not being written.
    eof_ends_line: bool,
}

impl<R: BufRead> ClaudeTranscriptReader<R> {
    /// Reads from `reader`; `fallback_session` is used for lines without `sessionId`.
    /// `start_offset` is added to the reported [`offset`](Self::offset) (for incremental
    /// reads that seek first).
    pub fn new(
        reader: R,
        workspace: WorkspaceId,
        fallback_session: SessionId,
        start_offset: u64,
    ) -> Self {
        ClaudeTranscriptReader {
            reader,
            workspace,
            fallback_session,
            line_no: 0,
            offset: start_offset,
            pending: Default::default(),
            tool_names: HashMap::new(),
            buf: Vec::new(),
            eof_ends_line: false,
        }
    }

    /// Reads a finished file: a last line without a trailing newline is read too
    /// (by default it is taken as a line still being written and left for later).
    pub fn finished(mut self) -> Self {
        self.eof_ends_line = true;
        self
    }

    /// Byte offset just after the last complete line read.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    fn parse_line(&mut self, raw: &[u8]) {
        if raw.iter().all(u8::is_ascii_whitespace) {
            return;
        }
        let parsed =
            serde_json::from_slice::<Line>(raw).or_else(|e| match std::str::from_utf8(raw) {
                // Not UTF-8: read what can be read.
                Err(_) => serde_json::from_str::<Line>(&String::from_utf8_lossy(raw)),
                Ok(_) => Err(e),
            });
        let line = match parsed {
            Ok(l) => l,
            Err(e) => {
                let reason = match serde_json::from_slice::<serde::de::IgnoredAny>(raw) {
                    Ok(_) => "JSON line of an unknown shape".to_string(),
                    Err(_) => format!("not JSON: {e}"),
                };
                self.pending.push_back(IngestItem::Skipped {
                    line: self.line_no,
                    reason,
                });
                return;
            }
        };
        let str_of = |v: &Option<Value>| v.as_ref().and_then(Value::as_str).map(str::to_string);
        let flag = |v: &Option<Value>| v.as_ref().and_then(Value::as_bool).unwrap_or(false);
        let kind = str_of(&line.ty).unwrap_or_default();
        let session = line
            .session_id
            .as_ref()
            .and_then(Value::as_str)
            .and_then(|s| SessionId::new(s).ok())
            .unwrap_or_else(|| self.fallback_session.clone());
        let uuid = str_of(&line.uuid).unwrap_or_else(|| format!("line-{}", self.line_no));
        let timestamp = str_of(&line.timestamp);
        let at = timestamp
            .as_deref()
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_else(Utc::now);
        let sidechain = flag(&line.is_sidechain);
        let is_meta = flag(&line.is_meta) || flag(&line.is_compact_summary);
        let Line {
            message,
            tool_use_result,
            attachment,
            ..
        } = line;
        // Each event with the key its id derives from (see the module docs).
        let mut kinds: Vec<(EventKind, Option<String>)> = Vec::new();
        let user_key = |text: &str| timestamp.as_ref().map(|t| format!("user:{t}:{text}"));
        let (message_id, content) = match message {
            Some(Value::Object(mut m)) => (
                m.get("id").and_then(Value::as_str).map(str::to_string),
                m.remove("content"),
            ),
            _ => (None, None),
        };
        match kind.as_str() {
            "user" => match content {
                Some(Value::String(text)) if !sidechain && !is_meta => {
                    kinds.extend(user_text_kind(&text).map(|(k, t)| (k, user_key(&t))));
                }
                Some(Value::String(_)) => {}
                Some(Value::Array(blocks)) => {
                    let mut texts: Vec<String> = Vec::new();
                    let mut result = tool_use_result.filter(|r| !r.is_null());
                    let results = blocks
                        .iter()
                        .filter(|b| b.get("type").and_then(Value::as_str) == Some("tool_result"))
                        .count();
                    for b in blocks {
                        let Value::Object(mut b) = b else { continue };
                        match b.get("type").and_then(Value::as_str) {
                            Some("text") => {
                                if let Some(Value::String(t)) = b.remove("text") {
                                    texts.push(t);
                                }
                            }
                            Some("tool_result") => {
                                let call_id = b
                                    .get("tool_use_id")
                                    .and_then(Value::as_str)
                                    .map(str::to_string);
                                let tool = call_id
                                    .as_ref()
                                    .and_then(|id| self.tool_names.remove(id))
                                    .unwrap_or_else(|| "unknown".into());
                                let is_error =
                                    b.get("is_error").and_then(Value::as_bool).unwrap_or(false);
                                // The structured `toolUseResult` when the line has one (it
                                // belongs to the line's only result), else the block's content.
                                let structured = if results == 1 {
                                    result.take()
                                } else {
                                    result.clone()
                                };
                                let content = b.remove("content");
                                let output = if is_error {
                                    // Keep the rejection text itself: it carries the feedback.
                                    let text = block_text(content.as_ref());
                                    let output = structured.or(content).unwrap_or(Value::Null);
                                    serde_json::json!({"error": text, "result": output})
                                } else {
                                    structured.or(content).unwrap_or(Value::Null)
                                };
                                let key = call_id.as_ref().map(|id| format!("result:{id}"));
                                kinds.push((
                                    EventKind::ToolResult {
                                        tool,
                                        call_id,
                                        output,
                                        is_error,
                                    },
                                    key,
                                ));
                            }
                            _ => {}
                        }
                    }
                    if !texts.is_empty() && !sidechain && !is_meta {
                        kinds.extend(
                            user_text_kind(&texts.join("\n")).map(|(k, t)| (k, user_key(&t))),
                        );
                    }
                }
                _ => {}
            },
            "assistant" => {
                if let Some(Value::Array(blocks)) = content {
                    for b in blocks {
                        let Value::Object(mut b) = b else { continue };
                        match b.get("type").and_then(Value::as_str) {
                            Some("text") => {
                                if let Some(Value::String(text)) = b.remove("text") {
                                    if !text.trim().is_empty() {
                                        let key =
                                            message_id.as_ref().map(|m| format!("text:{m}:{text}"));
                                        kinds.push((EventKind::Response { text }, key));
                                    }
                                }
                            }
                            Some("tool_use") => {
                                let tool = b
                                    .get("name")
                                    .and_then(Value::as_str)
                                    .unwrap_or("unknown")
                                    .to_string();
                                let call_id =
                                    b.get("id").and_then(Value::as_str).map(str::to_string);
                                if let Some(id) = &call_id {
                                    if self.tool_names.len() < 10_000 {
                                        self.tool_names.insert(id.clone(), tool.clone());
                                    }
                                }
                                let input = b.remove("input").unwrap_or(Value::Null);
                                let key = call_id.as_ref().map(|id| format!("call:{id}"));
                                kinds.push((
                                    EventKind::ToolCall {
                                        tool,
                                        call_id,
                                        input,
                                    },
                                    key,
                                ));
                            }
                            _ => {}
                        }
                    }
                }
            }
            "attachment" => {
                let a = attachment.as_ref();
                if a.and_then(|a| a.get("type")).and_then(Value::as_str) == Some("edited_text_file")
                {
                    if let Some(path) = a.and_then(|a| a.get("filename")).and_then(Value::as_str) {
                        let snippet = a
                            .and_then(|a| a.get("snippet"))
                            .and_then(Value::as_str)
                            .map(str::to_string);
                        kinds.push((
                            EventKind::FileEdited {
                                path: path.to_string(),
                                snippet,
                            },
                            None,
                        ));
                    }
                }
            }
            "summary" | "progress" | "file-history-snapshot" | "system" | "queue-operation" => {}
            "" => self.pending.push_back(IngestItem::Skipped {
                line: self.line_no,
                reason: "JSON line without a type".into(),
            }),
            _ => {}
        }
        for (i, (kind, key)) in kinds.into_iter().enumerate() {
            let id = match key {
                Some(k) => EventId::derived(&format!("claude:{session}:{k}")),
                None => EventId::derived(&format!("claude:{session}:{uuid}:{i}")),
            };
            self.pending.push_back(IngestItem::Event(Box::new(Event {
                id,
                workspace: self.workspace.clone(),
                session: session.clone(),
                agent: Agent::ClaudeCode,
                seq: 0,
                at,
                kind,
            })));
        }
    }
}

/// The top-level fields of a transcript line that are used; the others (`cwd`,
/// `version`, `data` of progress lines, `snapshot`, ...) are skipped without being
/// built. Values stay loose (`Value`) so an odd type never loses the whole line.
#[derive(Debug, Deserialize)]
struct Line {
    #[serde(rename = "type")]
    ty: Option<Value>,
    #[serde(rename = "sessionId")]
    session_id: Option<Value>,
    uuid: Option<Value>,
    timestamp: Option<Value>,
    #[serde(rename = "isSidechain")]
    is_sidechain: Option<Value>,
    #[serde(rename = "isMeta")]
    is_meta: Option<Value>,
    #[serde(rename = "isCompactSummary")]
    is_compact_summary: Option<Value>,
    message: Option<Value>,
    #[serde(rename = "toolUseResult")]
    tool_use_result: Option<Value>,
    attachment: Option<Value>,
}

/// Spans the host adds to a prompt (IDE context, reminders): not the user's words.
const CONTEXT_TAGS: &[(&str, &str)] = &[
    ("<ide_opened_file>", "</ide_opened_file>"),
    ("<ide_selection>", "</ide_selection>"),
    ("<system-reminder>", "</system-reminder>"),
];

/// Openings of user text that is host plumbing, not a human prompt.
const PLUMBING_PREFIXES: &[&str] = &[
    "<command-",
    "<local-command-",
    "Caveat: The messages below",
    "<bash-input>",
    "<bash-stdout>",
    "<bash-stderr>",
    "<task-notification>",
];

/// Removes the spans of [`CONTEXT_TAGS`] from `text`.
fn strip_context(text: &str) -> std::borrow::Cow<'_, str> {
    if !CONTEXT_TAGS.iter().any(|(open, _)| text.contains(open)) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = text.to_string();
    for (open, close) in CONTEXT_TAGS {
        while let Some(start) = out.find(open) {
            let end = out[start..]
                .find(close)
                .map_or(out.len(), |i| start + i + close.len());
            out.replace_range(start..end, "");
        }
    }
    std::borrow::Cow::Owned(out)
}

/// The event a user text makes (a prompt or an interrupt), with the text it carries.
fn user_text_kind(text: &str) -> Option<(EventKind, String)> {
    let stripped = strip_context(text);
    let t = stripped.trim();
    if t.is_empty() {
        return None;
    }
    if t.starts_with(INTERRUPT_PREFIX) {
        return Some((
            EventKind::Interrupt {
                reason: Some(t.to_string()),
            },
            t.to_string(),
        ));
    }
    // Slash-command plumbing, local command output, shell escapes and task
    // notifications are not human prompts.
    if PLUMBING_PREFIXES.iter().any(|p| t.starts_with(p)) {
        return None;
    }
    Some((
        EventKind::Prompt {
            text: t.to_string(),
        },
        t.to_string(),
    ))
}

/// The plain text of a `tool_result` content (string or text blocks).
pub fn block_text(content: Option<&Value>) -> String {
    match content {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|b| b.get("text").and_then(Value::as_str))
            .collect::<Vec<_>>()
            .join("\n"),
        _ => String::new(),
    }
}

/// If `text` is a rejection, the user's feedback (possibly empty) after "the user said:".
pub fn rejection_feedback(text: &str) -> Option<String> {
    if !text.contains(REJECTION_MARKER) {
        return None;
    }
    Some(match text.find(FEEDBACK_MARKER) {
        Some(i) => text[i + FEEDBACK_MARKER.len()..].trim().to_string(),
        None => String::new(),
    })
}

impl<R: BufRead> Iterator for ClaudeTranscriptReader<R> {
    type Item = IngestItem;

    fn next(&mut self) -> Option<IngestItem> {
        loop {
            if let Some(item) = self.pending.pop_front() {
                return Some(item);
            }
            self.buf.clear();
            match self.reader.read_until(b'\n', &mut self.buf) {
                Ok(0) => return None,
                Ok(n) => {
                    if self.buf.last() != Some(&b'\n') && !self.eof_ends_line {
                        // A line still being written: leave it for the next read.
                        return None;
                    }
                    self.offset += n as u64;
                    self.line_no += 1;
                    let raw = std::mem::take(&mut self.buf);
                    self.parse_line(&raw);
                    self.buf = raw;
                }
                Err(e) => {
                    tracing::warn!("transcript read failed: {e}");
                    return None;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Vec<IngestItem> {
        ClaudeTranscriptReader::new(
            std::io::Cursor::new(text.as_bytes().to_vec()),
            WorkspaceId::new("w").unwrap(),
            SessionId::new("s").unwrap(),
            0,
        )
        .collect()
    }

    #[test]
    fn rejection_feedback_is_extracted() {
        let t = "The user doesn't want to proceed with this tool use. The tool use was rejected (eg. if it was a file edit, the new_string was NOT written to the file). To tell you how to proceed, the user said:\nuse pnpm";
        assert_eq!(rejection_feedback(t).as_deref(), Some("use pnpm"));
        assert_eq!(rejection_feedback("ok").as_deref(), None);
    }

    #[test]
    fn partial_last_line_is_left_for_later() {
        let items = read("{\"type\":\"user\",\"uuid\":\"u1\",\"message\":{\"content\":\"hi\"}}\n{\"type\":\"user\"");
        assert_eq!(items.len(), 1);
    }

    #[test]
    fn comments_are_skipped_and_duplicates_share_ids() {
        let line = "{\"type\":\"user\",\"uuid\":\"u1\",\"sessionId\":\"s1\",\"message\":{\"content\":\"hi\"}}\n";
        let items = read(&format!("// comment\n{line}{line}"));
        assert!(matches!(items[0], IngestItem::Skipped { line: 1, .. }));
        let ids: Vec<_> = items
            .iter()
            .filter_map(|i| match i {
                IngestItem::Event(e) => Some(e.id.clone()),
                _ => None,
            })
            .collect();
        assert_eq!(ids.len(), 2);
        assert_eq!(ids[0], ids[1]);
    }

    fn events(items: &[IngestItem]) -> Vec<&Event> {
        items
            .iter()
            .filter_map(|i| match i {
                IngestItem::Event(e) => Some(e.as_ref()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn a_resumed_copy_with_fresh_uuids_gives_the_same_ids() {
        let copy = |u: &str, a: &str, r: &str| {
            format!(
                concat!(
                    "{{\"type\":\"user\",\"uuid\":\"{}\",\"sessionId\":\"s1\",\"timestamp\":\"2026-01-21T15:30:16.888Z\",",
                    "\"message\":{{\"content\":[{{\"type\":\"text\",\"text\":\"<ide_opened_file>a.md</ide_opened_file>\"}},{{\"type\":\"text\",\"text\":\"fix it\"}}]}}}}\n",
                    "{{\"type\":\"assistant\",\"uuid\":\"{}\",\"sessionId\":\"s1\",\"message\":{{\"id\":\"msg_1\",\"content\":[",
                    "{{\"type\":\"text\",\"text\":\"On it\"}},{{\"type\":\"tool_use\",\"id\":\"toolu_1\",\"name\":\"Bash\",\"input\":{{\"command\":\"ls\"}}}}]}}}}\n",
                    "{{\"type\":\"user\",\"uuid\":\"{}\",\"sessionId\":\"s1\",\"message\":{{\"content\":[",
                    "{{\"type\":\"tool_result\",\"tool_use_id\":\"toolu_1\",\"content\":\"a.md\"}}]}}}}\n"
                ),
                u, a, r
            )
        };
        let first = read(&copy("u1", "a1", "r1"));
        let second = read(&copy("u2", "a2", "r2"));
        let (a, b) = (events(&first), events(&second));
        assert_eq!(a.len(), 4);
        let ids = |v: &[&Event]| v.iter().map(|e| e.id.clone()).collect::<Vec<_>>();
        assert_eq!(ids(&a), ids(&b));
        // IDE context is not the user's words.
        assert_eq!(
            a[0].kind,
            EventKind::Prompt {
                text: "fix it".into()
            }
        );
        assert!(matches!(&a[3].kind, EventKind::ToolResult { tool, .. } if tool == "Bash"));
    }

    #[test]
    fn plumbing_and_injected_lines_are_not_prompts() {
        let line = |extra: &str, content: &str| {
            format!(
                "{{\"type\":\"user\",\"uuid\":\"u\",{extra}\"message\":{{\"content\":{content}}}}}\n"
            )
        };
        for (extra, content) in [
            ("", "\"<command-name>/clear</command-name>\""),
            ("", "\"<local-command-stdout></local-command-stdout>\""),
            ("", "\"<task-notification>\\n<task-id>a1</task-id>\""),
            ("", "\"<bash-input>ls</bash-input>\""),
            ("", "\"<ide_selection>x</ide_selection>\""),
            ("\"isMeta\":true,", "\"Caveat: The messages below\""),
            (
                "\"isCompactSummary\":true,",
                "\"This session is being continued\"",
            ),
            ("\"isSidechain\":true,", "\"Write a poem\""),
        ] {
            let items = read(&line(extra, content));
            assert!(events(&items).is_empty(), "{extra} {content}: {items:?}");
        }
        let items = read(&line("", "\"[Request interrupted by user for tool use]\""));
        assert!(matches!(
            events(&items)[0].kind,
            EventKind::Interrupt { .. }
        ));
    }

    #[test]
    fn a_finished_reader_reads_a_last_line_without_newline() {
        let text = "{\"type\":\"user\",\"uuid\":\"u1\",\"message\":{\"content\":\"hi\"}}";
        assert!(read(text).is_empty(), "may still be being written");
        let items: Vec<IngestItem> = ClaudeTranscriptReader::new(
            std::io::Cursor::new(text.as_bytes().to_vec()),
            WorkspaceId::new("w").unwrap(),
            SessionId::new("s").unwrap(),
            0,
        )
        .finished()
        .collect();
        assert_eq!(events(&items).len(), 1);
    }
}
