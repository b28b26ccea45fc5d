//! Ingest: hook payloads and transcripts of each agent host, turned into [`Event`]s.
//!
//! Readers stream: they hold at most one line (plus small per-session maps) in memory,
//! whatever the file size.

pub mod claude_hook;
pub mod claude_transcript;
pub mod codex_rollout;
pub mod cursor_hook;
pub mod hook;

use crate::model::Event;

/// One item read from a transcript.
#[derive(Debug, Clone)]
pub enum IngestItem {
    /// An event, with an id derived from its source (importing twice adds nothing).
    Event(Box<Event>),
    /// A line that could not be used (not JSON, unknown shape); import goes on.
    Skipped {
        /// 1-based line number.
        line: usize,
        /// Why.
        reason: String,
    },
}

/// Which transcript format a file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TranscriptFormat {
    /// Claude Code `~/.claude/projects/**.jsonl`.
    ClaudeCode,
    /// Codex rollout `~/.codex/sessions/**.jsonl`.
    CodexRollout,
}

/// Guesses the format from the first lines of a file (non-JSON lines are ignored).
pub fn detect_format<'a>(
    first_lines: impl IntoIterator<Item = &'a str>,
) -> Option<TranscriptFormat> {
    for line in first_lines {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(line.trim()) else {
            continue;
        };
        if v.get("payload").is_some() && v.get("timestamp").is_some() {
            return Some(TranscriptFormat::CodexRollout);
        }
        if v.get("sessionId").is_some() || v.get("uuid").is_some() || v.get("leafUuid").is_some() {
            return Some(TranscriptFormat::ClaudeCode);
        }
        if let Some(t) = v.get("type").and_then(|t| t.as_str()) {
            if matches!(
                t,
                "summary" | "user" | "assistant" | "file-history-snapshot"
            ) {
                return Some(TranscriptFormat::ClaudeCode);
            }
        }
    }
    None
}
