//! Rejections: tool uses the user refused, with or without feedback.

pub use crate::ingest::claude_transcript::rejection_feedback;
use serde_json::Value;

/// If a tool result is a rejection, the user's feedback (empty when silent).
pub fn rejection_of(output: &Value, is_error: bool) -> Option<String> {
    if !is_error {
        return None;
    }
    let text = match output {
        Value::String(s) => s.clone(),
        other => other
            .get("error")
            .and_then(Value::as_str)
            .map(str::to_string)
            .unwrap_or_else(|| other.to_string()),
    };
    rejection_feedback(&text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn rejections_with_and_without_feedback() {
        let with = json!({"error": "The user doesn't want to proceed with this tool use. ... the user said:\nuse pnpm"});
        assert_eq!(rejection_of(&with, true).as_deref(), Some("use pnpm"));
        let silent =
            json!("The user doesn't want to proceed with this tool use. STOP what you are doing");
        assert_eq!(rejection_of(&silent, true).as_deref(), Some(""));
        assert_eq!(rejection_of(&with, false), None);
        assert_eq!(rejection_of(&json!("command failed"), true), None);
    }
}
