//! Captured events: what the agent and the user did, in order.

use super::ids::{EventId, SessionId, WorkspaceId};
use crate::error::{Error, Result};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

/// The agent host an event came from. Serialized as its name (`claude-code`, `codex`,
/// ...); a custom name is 1–64 characters (validated when parsed or deserialized).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(into = "String")]
pub enum Agent {
    /// Anthropic's Claude Code.
    ClaudeCode,
    /// OpenAI's Codex CLI / IDE extension.
    Codex,
    /// Cursor.
    Cursor,
    /// OpenClaw.
    Openclaw,
    /// pi.
    Pi,
    /// Hermes.
    Hermes,
    /// Any other runtime, named by the caller.
    Custom(String),
}

impl From<Agent> for String {
    fn from(a: Agent) -> String {
        a.as_str().to_string()
    }
}

impl<'de> Deserialize<'de> for Agent {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

impl Agent {
    /// The stable string form (`claude-code`, `codex`, ...).
    pub fn as_str(&self) -> &str {
        match self {
            Agent::ClaudeCode => "claude-code",
            Agent::Codex => "codex",
            Agent::Cursor => "cursor",
            Agent::Openclaw => "openclaw",
            Agent::Pi => "pi",
            Agent::Hermes => "hermes",
            Agent::Custom(s) => s,
        }
    }
}

impl fmt::Display for Agent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Agent {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Ok(match s {
            "claude-code" | "claude" => Agent::ClaudeCode,
            "codex" => Agent::Codex,
            "cursor" => Agent::Cursor,
            "openclaw" => Agent::Openclaw,
            "pi" => Agent::Pi,
            "hermes" => Agent::Hermes,
            "" => return Err(Error::invalid("agent name must not be empty")),
            other if other.len() <= 64 => Agent::Custom(other.to_string()),
            _ => return Err(Error::invalid("agent name is longer than 64 characters")),
        })
    }
}

/// What happened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EventKind {
    /// A session started (`source`: startup, resume, clear, compact, ...).
    SessionStart {
        /// Why the session started, as the host says it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        source: Option<String>,
        /// The project folder.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        cwd: Option<String>,
    },
    /// The session ended.
    SessionEnd {
        /// Why, as the host says it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// The user's prompt.
    Prompt {
        /// The prompt text.
        text: String,
    },
    /// The agent called a tool.
    ToolCall {
        /// Tool name (`Bash`, `Edit`, `apply_patch`, ...).
        tool: String,
        /// Host id pairing the call with its result.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        call_id: Option<String>,
        /// The tool input as the host gave it.
        input: serde_json::Value,
    },
    /// A tool returned (or was rejected).
    ToolResult {
        /// Tool name.
        tool: String,
        /// Host id pairing the call with its result.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        call_id: Option<String>,
        /// The tool output as the host gave it (possibly truncated).
        output: serde_json::Value,
        /// The tool failed or was rejected.
        #[serde(default)]
        is_error: bool,
    },
    /// The agent's text response.
    Response {
        /// The response text.
        text: String,
    },
    /// The user interrupted or aborted the agent's turn (Claude Code "[Request
    /// interrupted by user]", Codex `turn_aborted`).
    Interrupt {
        /// Why, as the host says it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// The user edited a file outside the agent (Claude Code `edited_text_file`
    /// attachment, Cursor `afterFileEdit` by the user).
    FileEdited {
        /// The file path.
        path: String,
        /// A snippet of the new content, as the host gave it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        snippet: Option<String>,
    },
}

impl EventKind {
    /// The kind's name as stored (`prompt`, `tool_call`, ...).
    pub fn name(&self) -> &'static str {
        match self {
            EventKind::SessionStart { .. } => "session_start",
            EventKind::SessionEnd { .. } => "session_end",
            EventKind::Prompt { .. } => "prompt",
            EventKind::ToolCall { .. } => "tool_call",
            EventKind::ToolResult { .. } => "tool_result",
            EventKind::Response { .. } => "response",
            EventKind::Interrupt { .. } => "interrupt",
            EventKind::FileEdited { .. } => "file_edited",
        }
    }

    /// Text worth indexing for full-text search (prompts and responses).
    pub fn searchable_text(&self) -> Option<&str> {
        match self {
            EventKind::Prompt { text } | EventKind::Response { text } => Some(text),
            _ => None,
        }
    }
}

/// One captured event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Unique id (UUIDv7, or derived from the source for idempotent imports).
    pub id: EventId,
    /// Workspace scope.
    pub workspace: WorkspaceId,
    /// Session it belongs to.
    pub session: SessionId,
    /// Host agent.
    pub agent: Agent,
    /// Position in the session, assigned by the store on append (input value ignored).
    #[serde(default)]
    pub seq: u64,
    /// When it happened.
    pub at: DateTime<Utc>,
    /// What happened.
    #[serde(flatten)]
    pub kind: EventKind,
}

impl Event {
    /// A new event happening now, with a fresh id.
    pub fn new(workspace: WorkspaceId, session: SessionId, agent: Agent, kind: EventKind) -> Self {
        Event {
            id: EventId::generate(),
            workspace,
            session,
            agent,
            seq: 0,
            at: Utc::now(),
            kind,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_kinds_round_trip_through_json() {
        let ws = WorkspaceId::new("w").unwrap();
        let s = SessionId::new("s").unwrap();
        let kinds = vec![
            EventKind::SessionStart {
                source: Some("startup".into()),
                cwd: None,
            },
            EventKind::SessionEnd { reason: None },
            EventKind::Prompt { text: "hi".into() },
            EventKind::ToolCall {
                tool: "Bash".into(),
                call_id: Some("t1".into()),
                input: serde_json::json!({"command": "ls"}),
            },
            EventKind::ToolResult {
                tool: "Bash".into(),
                call_id: None,
                output: serde_json::json!("x"),
                is_error: true,
            },
            EventKind::Response {
                text: "done".into(),
            },
            EventKind::Interrupt { reason: None },
            EventKind::FileEdited {
                path: "a.rs".into(),
                snippet: Some("x".into()),
            },
        ];
        for k in kinds {
            let e = Event::new(ws.clone(), s.clone(), Agent::Custom("mine".into()), k);
            let j = serde_json::to_string(&e).unwrap();
            let back: Event = serde_json::from_str(&j).unwrap();
            assert_eq!(back, e, "{j}");
        }
    }

    #[test]
    fn agents_parse() {
        assert_eq!("claude-code".parse::<Agent>().unwrap(), Agent::ClaudeCode);
        assert_eq!(
            serde_json::to_string(&Agent::ClaudeCode).unwrap(),
            "\"claude-code\""
        );
        assert!("".parse::<Agent>().is_err());
    }
}
