//! Correction detectors, one file per channel, all without a model.
//!
//! - [`followup`]: the next prompt corrects the agent's last output;
//! - [`user_edit`]: the user edited a file the agent wrote, between turns;
//! - [`modified`]: the user changed a proposed edit before accepting it;
//! - [`rejection`]: the user rejected a tool use (with or without feedback);
//! - [`SessionDetector`] runs them over a whole session's events (imports);
//! - explicit corrections come from [`crate::Hivemind::record_correction`].

pub mod followup;
pub mod modified;
pub mod rejection;
pub mod session;
pub mod user_edit;

pub use session::{detect_session, SessionDetector};

use crate::model::{Event, EventKind, Target};
use serde_json::Value;
use std::path::Path;

/// Tools that only read: their calls are not "output" a user could correct.
const READ_ONLY_TOOLS: &[&str] = &[
    "Read",
    "Grep",
    "Glob",
    "LS",
    "WebFetch",
    "WebSearch",
    "TodoWrite",
    "TodoRead",
    "NotebookRead",
    "BashOutput",
    "ListMcpResourcesTool",
    "ReadMcpResourceTool",
    "update_plan",
    "Task",
];

/// The file a tool input writes, if any.
pub fn written_file(tool: &str, input: &Value) -> Option<String> {
    if READ_ONLY_TOOLS.contains(&tool) {
        return None;
    }
    input
        .get("file_path")
        .or_else(|| input.get("path"))
        .or_else(|| input.get("notebook_path"))
        .and_then(Value::as_str)
        .map(str::to_string)
}

/// The text a tool call produced: file content, new string, command or patch.
pub fn tool_output_text(tool: &str, input: &Value) -> String {
    let s = |k: &str| input.get(k).and_then(Value::as_str).map(str::to_string);
    match tool {
        "Write" => s("content"),
        "Edit" => s("new_string"),
        "MultiEdit" => input.get("edits").and_then(Value::as_array).map(|a| {
            a.iter()
                .filter_map(|e| e.get("new_string").and_then(Value::as_str))
                .collect::<Vec<_>>()
                .join("\n")
        }),
        _ => s("command")
            .or_else(|| s("patch"))
            .or_else(|| s("content"))
            .or_else(|| s("new_string")),
    }
    .unwrap_or_else(|| match input {
        Value::String(x) => x.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    })
}

/// The text an edit replaced and the text it wrote (`Edit`, `MultiEdit`), joined per
/// file; `None` for other tools.
pub fn edit_replacement(tool: &str, input: &Value) -> Option<(String, String)> {
    let pair = |e: &Value| {
        Some((
            e.get("old_string")?.as_str()?.to_string(),
            e.get("new_string")?.as_str()?.to_string(),
        ))
    };
    match tool {
        "Edit" => pair(input),
        "MultiEdit" => {
            let pairs: Vec<(String, String)> = input
                .get("edits")?
                .as_array()?
                .iter()
                .filter_map(pair)
                .collect();
            (!pairs.is_empty()).then(|| {
                let (old, new): (Vec<String>, Vec<String>) = pairs.into_iter().unzip();
                (old.join("\n"), new.join("\n"))
            })
        }
        _ => None,
    }
}

/// How the agent answered a correction in `window` (the events after the prompt), as
/// edits: per edited file in order, the replaced and the written text of its edits.
pub fn answering_edits(window: &[Event]) -> Vec<(String, String, String)> {
    let mut out: Vec<(String, String, String)> = Vec::new();
    for e in window {
        let EventKind::ToolCall { tool, input, .. } = &e.kind else {
            continue;
        };
        let (Some(file), Some((old, new))) =
            (written_file(tool, input), edit_replacement(tool, input))
        else {
            continue;
        };
        match out.iter_mut().find(|(f, _, _)| *f == file) {
            Some((_, o, n)) => {
                o.push('\n');
                o.push_str(&old);
                n.push('\n');
                n.push_str(&new);
            }
            None => out.push((file, old, new)),
        }
    }
    out
}

/// Shortens an absolute path under `project` to a project-relative one.
pub fn relative_to(path: &str, project: Option<&Path>) -> String {
    if let Some(root) = project {
        if let Ok(rel) = Path::new(path).strip_prefix(root) {
            return rel.to_string_lossy().into_owned();
        }
    }
    path.to_string()
}

/// The agent's last output in `window` (events since the previous prompt): the last
/// writing tool call, else the last response. Returns the target and the text.
pub fn last_agent_output(window: &[Event]) -> Option<(Target, String, &Event)> {
    for e in window.iter().rev() {
        if let EventKind::ToolCall { tool, input, .. } = &e.kind {
            if READ_ONLY_TOOLS.contains(&tool.as_str()) {
                continue;
            }
            let target = match written_file(tool, input) {
                Some(p) => Target::File(p),
                None => Target::Tool(tool.clone()),
            };
            return Some((target, tool_output_text(tool, input), e));
        }
    }
    window.iter().rev().find_map(|e| match &e.kind {
        EventKind::Response { text } => Some((Target::Response, text.clone(), e)),
        _ => None,
    })
}

/// The agent's last response in `window` (empty when it said nothing).
pub fn last_response(window: &[Event]) -> &str {
    window
        .iter()
        .rev()
        .find_map(|e| match &e.kind {
            EventKind::Response { text } => Some(text.as_str()),
            _ => None,
        })
        .unwrap_or("")
}

/// All the agent said and did in `window`, as one text (for overlap features).
pub fn agent_text(window: &[Event]) -> String {
    let mut out = String::new();
    for e in window {
        match &e.kind {
            EventKind::ToolCall { tool, input, .. }
                if !READ_ONLY_TOOLS.contains(&tool.as_str()) =>
            {
                out.push_str(&tool_output_text(tool, input));
                out.push('\n');
            }
            EventKind::Response { text } => {
                out.push_str(text);
                out.push('\n');
            }
            _ => {}
        }
    }
    out
}
