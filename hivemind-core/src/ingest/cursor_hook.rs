//! Cursor hook payloads (`~/.cursor/hooks.json`).
//!
//! Common fields: `conversation_id, generation_id, hook_event_name, workspace_roots`.
//! Events: `sessionStart`, `beforeSubmitPrompt` (`prompt`), `afterFileEdit`
//! (`file_path`, `edits`), `afterAgentResponse` (`text`), `postToolUse` (`tool_name`,
//! `tool_input`, `tool_output`), `stop` (`status`), `sessionEnd`.

use super::hook::{str_field, HookEvent, HookInput};
use crate::error::{Error, Result};
use crate::model::Agent;
use serde_json::Value;
use std::path::PathBuf;

pub(crate) fn parse(v: &Value) -> Result<HookInput> {
    let session_id = str_field(v, &["conversation_id", "session_id"])
        .filter(|s| !s.is_empty())
        .ok_or_else(|| Error::invalid("cursor hook payload has no conversation_id"))?;
    let name = str_field(v, &["hook_event_name"]).unwrap_or_default();
    let event = match name.as_str() {
        "sessionStart" => HookEvent::SessionStart {
            source: str_field(v, &["source"]),
        },
        "beforeSubmitPrompt" => HookEvent::PromptSubmit {
            prompt: str_field(v, &["prompt"]).unwrap_or_default(),
        },
        "afterFileEdit" => HookEvent::AgentFileEdit {
            path: str_field(v, &["file_path"]).unwrap_or_default(),
            edits: v.get("edits").cloned().unwrap_or(Value::Null),
        },
        "afterAgentResponse" => HookEvent::AgentResponse {
            text: str_field(v, &["text"]).unwrap_or_default(),
        },
        "postToolUse" => HookEvent::PostToolUse {
            tool: str_field(v, &["tool_name"]).unwrap_or_else(|| "unknown".into()),
            input: v.get("tool_input").cloned().unwrap_or(Value::Null),
            response: v
                .get("tool_output")
                .or_else(|| v.get("tool_response"))
                .cloned()
                .unwrap_or(Value::Null),
            call_id: str_field(v, &["tool_use_id", "call_id"]),
        },
        "stop" => HookEvent::Stop { last_message: None },
        "sessionEnd" => HookEvent::SessionEnd {
            reason: str_field(v, &["reason", "status"]),
        },
        "" => return Err(Error::invalid("cursor hook payload has no hook_event_name")),
        other => HookEvent::Other(other.to_string()),
    };
    let cwd = v
        .get("workspace_roots")
        .and_then(Value::as_array)
        .and_then(|r| r.first())
        .and_then(Value::as_str)
        .map(PathBuf::from)
        .or_else(|| str_field(v, &["cwd"]).map(PathBuf::from));
    Ok(HookInput {
        agent: Agent::Cursor,
        session_id,
        cwd,
        transcript_path: str_field(v, &["transcript_path"]).map(PathBuf::from),
        event,
    })
}

#[cfg(test)]
mod tests {
    use super::super::hook::parse_hook;
    use super::*;

    #[test]
    fn parses_cursor_events() {
        let h = parse_hook(
            &Agent::Cursor,
            r#"{"conversation_id":"c1","hook_event_name":"afterFileEdit","file_path":"/p/a.ts","edits":[{"old_string":"a","new_string":"b"}],"workspace_roots":["/p"]}"#,
        )
        .unwrap();
        assert_eq!(h.cwd, Some(PathBuf::from("/p")));
        assert!(matches!(h.event, HookEvent::AgentFileEdit { ref path, .. } if path == "/p/a.ts"));
        let h = parse_hook(&Agent::Cursor, r#"{"conversation_id":"c1","hook_event_name":"beforeSubmitPrompt","prompt":"no, use pnpm"}"#).unwrap();
        assert_eq!(
            h.event,
            HookEvent::PromptSubmit {
                prompt: "no, use pnpm".into()
            }
        );
        assert!(parse_hook(&Agent::Cursor, r#"{"hook_event_name":"stop"}"#).is_err());
    }
}
