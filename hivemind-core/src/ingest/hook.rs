//! Hook payloads, normalized across hosts.

use crate::error::{Error, Result};
use crate::model::Agent;
use serde_json::Value;
use std::path::PathBuf;

/// What a hook call reports, in host-neutral terms.
#[derive(Debug, Clone, PartialEq)]
pub enum HookEvent {
    /// A session starts (`source`: startup, resume, clear, compact).
    SessionStart {
        /// Why.
        source: Option<String>,
    },
    /// The user submitted a prompt.
    PromptSubmit {
        /// The prompt.
        prompt: String,
    },
    /// The agent is about to run a tool.
    PreToolUse {
        /// Tool name.
        tool: String,
        /// Tool input.
        input: Value,
        /// Host id of the call.
        call_id: Option<String>,
    },
    /// A tool ran.
    PostToolUse {
        /// Tool name.
        tool: String,
        /// Tool input.
        input: Value,
        /// Tool response.
        response: Value,
        /// Host id of the call.
        call_id: Option<String>,
    },
    /// The agent wrote or edited a file (Cursor `afterFileEdit`).
    AgentFileEdit {
        /// The file.
        path: String,
        /// The edits as the host reported them.
        edits: Value,
    },
    /// The agent's response text arrived (Cursor `afterAgentResponse`).
    AgentResponse {
        /// The text.
        text: String,
    },
    /// The agent finished its turn.
    Stop {
        /// The last assistant message, when the host gives it.
        last_message: Option<String>,
    },
    /// A subagent finished.
    SubagentStop,
    /// The session ended.
    SessionEnd {
        /// Why.
        reason: Option<String>,
    },
    /// An event we do not act on (Notification, PreCompact, ...).
    Other(String),
}

impl HookEvent {
    /// The host's name for the event family (`SessionStart`, `UserPromptSubmit`, ...).
    pub fn claude_name(&self) -> &str {
        match self {
            HookEvent::SessionStart { .. } => "SessionStart",
            HookEvent::PromptSubmit { .. } => "UserPromptSubmit",
            HookEvent::PreToolUse { .. } => "PreToolUse",
            HookEvent::PostToolUse { .. } | HookEvent::AgentFileEdit { .. } => "PostToolUse",
            HookEvent::AgentResponse { .. } => "AgentResponse",
            HookEvent::Stop { .. } => "Stop",
            HookEvent::SubagentStop => "SubagentStop",
            HookEvent::SessionEnd { .. } => "SessionEnd",
            HookEvent::Other(n) => n,
        }
    }
}

/// One hook call: who, where, what.
#[derive(Debug, Clone, PartialEq)]
pub struct HookInput {
    /// The host.
    pub agent: Agent,
    /// The host's session (or conversation) id.
    pub session_id: String,
    /// The project folder.
    pub cwd: Option<PathBuf>,
    /// The host's transcript (Claude Code transcript, Codex rollout), if any.
    pub transcript_path: Option<PathBuf>,
    /// The event.
    pub event: HookEvent,
}

/// Parses one hook payload for `agent`. Unknown and missing fields are tolerated; a
/// payload that is not a JSON object, or has no session id, is an error.
pub fn parse_hook(agent: &Agent, payload: &str) -> Result<HookInput> {
    let v: Value = serde_json::from_str(payload)
        .map_err(|e| Error::invalid(format!("hook payload is not JSON: {e}")))?;
    if !v.is_object() {
        return Err(Error::invalid("hook payload is not a JSON object"));
    }
    match agent {
        Agent::Cursor => super::cursor_hook::parse(&v),
        _ => super::claude_hook::parse(agent.clone(), &v),
    }
}

pub(crate) fn str_field(v: &Value, keys: &[&str]) -> Option<String> {
    keys.iter()
        .find_map(|k| v.get(*k).and_then(Value::as_str))
        .map(str::to_string)
}
