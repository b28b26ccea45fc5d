//! Unified diffs between what the agent produced and what the user accepted.

use serde::{Deserialize, Serialize};

/// A unified diff (`---`/`+++` headers, `@@` hunks), computed with `similar`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Diff(pub String);

impl Diff {
    /// The unified diff from `before` to `after`, labelled `produced`/`accepted`.
    /// Empty when the texts are equal.
    pub fn between(before: &str, after: &str) -> Self {
        if before == after {
            return Diff(String::new());
        }
        let diff = similar::TextDiff::from_lines(before, after);
        let text = diff
            .unified_diff()
            .context_radius(3)
            .header("produced", "accepted")
            .to_string();
        Diff(text)
    }

    /// Lines removed (without the `-` sign), headers excluded.
    pub fn removed_lines(&self) -> impl Iterator<Item = &str> {
        self.0
            .lines()
            .filter(|l| l.starts_with('-') && !l.starts_with("---"))
            .map(|l| &l[1..])
    }

    /// Lines added (without the `+` sign), headers excluded.
    pub fn added_lines(&self) -> impl Iterator<Item = &str> {
        self.0
            .lines()
            .filter(|l| l.starts_with('+') && !l.starts_with("+++"))
            .map(|l| &l[1..])
    }

    /// True when the texts were equal.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The diff text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_lists_removed_and_added_lines() {
        let d = Diff::between("a\nnpm install x\nb\n", "a\npnpm add x\nb\n");
        assert!(d.as_str().starts_with("--- produced"));
        assert_eq!(d.removed_lines().collect::<Vec<_>>(), vec!["npm install x"]);
        assert_eq!(d.added_lines().collect::<Vec<_>>(), vec!["pnpm add x"]);
        assert!(Diff::between("same", "same").is_empty());
    }
}
