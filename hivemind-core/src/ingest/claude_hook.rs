//! Claude Code (and Codex, which uses the same shape) hook payloads.
//!
//! Common fields: `session_id, transcript_path, cwd, hook_event_name`; Codex adds
//! `turn_id`. SessionStart `source`; UserPromptSubmit `prompt`; Pre/PostToolUse
//! `tool_name, tool_input, tool_use_id` (+ `tool_response`); Stop
//! `last_assistant_message` (absent on Codex); SessionEnd `reason`.

use super::hook::{str_field, HookEvent, HookInput};
use crate::error::{Error, Result};
use crate::model::Agent;
use serde_json::Value;
use std::path::PathBuf;

pub(crate) fn parse(agent: Agent, v: &Value) -> Result<HookInput> {
    let session_id = str_field(v, &["session_id", "sessionId", "conversation_id"])
        .filter(|s| !s.is_empty())
        .ok_or_else(|| Error::invalid("hook payload has no session_id"))?;
    let name = str_field(v, &["hook_event_name", "hookEventName", "event"]).unwrap_or_default();
    let raw_tool = || str_field(v, &["tool_name"]).unwrap_or_else(|| "unknown".into());
    let raw_input = || v.get("tool_input").cloned().unwrap_or(Value::Null);
    // Codex runs commands as an argv (`["bash", "-lc", "npm i"]`): read it as the rollout
    // importer does (the script, or the `apply_patch` it wraps).
    let codex_argv = || {
        (agent == Agent::Codex)
            .then(|| v.get("tool_input").and_then(|i| i.get("command")))
            .flatten()
            .filter(|c| c.is_array())
            .map(|c| super::codex_rollout::map_shell_argv(c.clone()))
    };
    let tool = || codex_argv().map_or_else(raw_tool, |(t, _)| t);
    let input = || codex_argv().map_or_else(raw_input, |(_, i)| i);
    let call_id = || str_field(v, &["tool_use_id", "call_id"]);
    let event = match name.as_str() {
        "SessionStart" => HookEvent::SessionStart {
            source: str_field(v, &["source"]),
        },
        "UserPromptSubmit" => HookEvent::PromptSubmit {
            prompt: str_field(v, &["prompt", "user_prompt"]).unwrap_or_default(),
        },
        "PreToolUse" => HookEvent::PreToolUse {
            tool: tool(),
            input: input(),
            call_id: call_id(),
        },
        "PostToolUse" => HookEvent::PostToolUse {
            tool: tool(),
            input: input(),
            response: v
                .get("tool_response")
                .or_else(|| v.get("tool_output"))
                .cloned()
                .unwrap_or(Value::Null),
            call_id: call_id(),
        },
        "Stop" => HookEvent::Stop {
            last_message: str_field(v, &["last_assistant_message", "last_agent_message"]),
        },
        "SubagentStop" => HookEvent::SubagentStop,
        "SessionEnd" => HookEvent::SessionEnd {
            reason: str_field(v, &["reason"]),
        },
        "" => return Err(Error::invalid("hook payload has no hook_event_name")),
        other => HookEvent::Other(other.to_string()),
    };
    Ok(HookInput {
        agent,
        session_id,
        cwd: str_field(v, &["cwd"]).map(PathBuf::from),
        transcript_path: str_field(v, &["transcript_path"])
            .filter(|s| !s.is_empty())
            .map(PathBuf::from),
        event,
    })
}

#[cfg(test)]
mod tests {
    use super::super::hook::parse_hook;
    use super::*;

    #[test]
    fn parses_every_claude_event_and_tolerates_unknown_fields() {
        let base = r#""session_id":"s1","transcript_path":"/t.jsonl","cwd":"/p","extra":{"x":1}"#;
        let cases = [
            (
                r#""hook_event_name":"SessionStart","source":"startup""#,
                "SessionStart",
            ),
            (
                r#""hook_event_name":"UserPromptSubmit","prompt":"hi""#,
                "UserPromptSubmit",
            ),
            (
                r#""hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":"ls"},"tool_use_id":"t""#,
                "PreToolUse",
            ),
            (
                r#""hook_event_name":"PostToolUse","tool_name":"Bash","tool_input":{},"tool_response":{"stdout":""}"#,
                "PostToolUse",
            ),
            (
                r#""hook_event_name":"Stop","stop_hook_active":false"#,
                "Stop",
            ),
            (r#""hook_event_name":"SubagentStop""#, "SubagentStop"),
            (
                r#""hook_event_name":"SessionEnd","reason":"exit""#,
                "SessionEnd",
            ),
            (r#""hook_event_name":"Notification""#, "Notification"),
        ];
        for (fields, name) in cases {
            let h = parse_hook(&Agent::ClaudeCode, &format!("{{{base},{fields}}}")).unwrap();
            assert_eq!(h.event.claude_name(), name);
            assert_eq!(h.session_id, "s1");
            assert_eq!(h.cwd, Some(PathBuf::from("/p")));
        }
    }

    #[test]
    fn bad_payloads_are_clear_errors() {
        for bad in [
            "",
            "not json",
            "[]",
            r#"{"hook_event_name":"Stop"}"#,
            r#"{"session_id":"s"}"#,
        ] {
            let e = parse_hook(&Agent::ClaudeCode, bad).unwrap_err();
            assert!(matches!(e, Error::InvalidInput(_)), "{bad}: {e}");
        }
    }
}
