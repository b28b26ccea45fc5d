//! Rejections: tool uses the user refused, with or without feedback.

use super::followup::{self, CueLexicon, FollowupWeights};
pub use crate::ingest::claude_transcript::rejection_feedback;
use serde_json::Value;

/// Does `prompt`, the first prompt after a silent rejection of `rejected` (the refused
/// tool input), give the reason for it? It does when it reads as a correction of it (a
/// correction cue or a directive: "use make test") or names at least two things of it;
/// the next unrelated request ("Now add a doc comment") does not, and is not recorded
/// as the reason.
pub fn prompt_explains(
    prompt: &str,
    rejected: &str,
    lex: &CueLexicon,
    w: &FollowupWeights,
) -> bool {
    let s = followup::classify(prompt, rejected, lex, w);
    // "Nope, nothing else for now, thanks!" closes the session; it explains nothing.
    let closes = s.features.iter().any(|(name, _)| *name == "approval");
    (s.has_cue && !closes)
        || s.features.iter().any(|(name, value)| {
            *name == "directive" || (*name == "overlap" && *value >= 2.0 * w.overlap_per_term)
        })
}

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

    #[test]
    fn the_next_prompt_explains_a_silent_rejection_only_when_it_is_about_it() {
        let (lex, w) = (CueLexicon::english(), FollowupWeights::default());
        let explains = |p: &str, r: &str| prompt_explains(p, r, &lex, &w);
        assert!(explains(
            "use make test, it runs the race detector",
            "go test ./..."
        ));
        assert!(explains("No, pnpm here", "npm install zod"));
        assert!(explains(
            "we never run migrations from the system python",
            "python manage.py migrate"
        ));
        assert!(!explains(
            "I'll kick off the suite myself in a bit. Meanwhile, add a doc comment.",
            "go test ./..."
        ));
        assert!(!explains(
            "Let's write a couple of tests for the booking form next.",
            "python manage.py migrate"
        ));
        assert!(!explains(
            "Nope, nothing else for now, thanks!",
            "app.use((err, req, res, next) => { console.error(err); })"
        ));
    }
}
