//! Skills: lessons mined from recurring corrections, with lineage.

use super::ids::{CorrectionId, SessionId, WorkspaceId};
use crate::error::{Error, Result};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

/// A skill name as SKILL.md requires: 1–64 characters of `[a-z0-9-]`, no leading,
/// trailing or doubled `-`. Safe as a folder name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SkillName(String);

impl SkillName {
    /// Validates `s`.
    pub fn new(s: impl Into<String>) -> Result<Self> {
        let s = s.into();
        if s.is_empty() || s.len() > 64 {
            return Err(Error::invalid(format!(
                "skill name {s:?} must be 1 to 64 characters"
            )));
        }
        if let Some(c) = s
            .chars()
            .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
        {
            return Err(Error::invalid(format!(
                "skill name {s:?} contains {c:?}; only a-z, 0-9 and - are allowed"
            )));
        }
        if s.starts_with('-') || s.ends_with('-') || s.contains("--") {
            return Err(Error::invalid(format!(
                "skill name {s:?} must not start or end with '-' or contain '--'"
            )));
        }
        Ok(Self(s))
    }

    /// Turns free text into a valid name (lowercase, `-` between words, ≤ 64 chars).
    /// Falls back to `skill` when nothing usable remains.
    pub fn slugify(text: &str) -> Self {
        let mut out = String::new();
        for c in text.chars() {
            if c.is_ascii_alphanumeric() {
                out.push(c.to_ascii_lowercase());
            } else if !out.ends_with('-') && !out.is_empty() {
                out.push('-');
            }
        }
        let mut out = out.trim_matches('-').to_string();
        if out.len() > 64 {
            out.truncate(64);
            out = out.trim_end_matches('-').to_string();
        }
        if out.is_empty() {
            out = "skill".into();
        }
        Self(out)
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SkillName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
impl TryFrom<String> for SkillName {
    type Error = Error;
    fn try_from(s: String) -> Result<Self> {
        Self::new(s)
    }
}
impl From<SkillName> for String {
    fn from(v: SkillName) -> String {
        v.0
    }
}

/// Where a skill came from: the corrections and sessions behind it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Provenance {
    /// Correction ids (the lineage).
    pub corrections: Vec<CorrectionId>,
    /// Sessions those corrections came from.
    pub sessions: Vec<SessionId>,
    /// Who mined it (`hivemind-local`, a model name, a user).
    pub author: String,
    /// First version.
    pub created_at: DateTime<Utc>,
    /// This version.
    pub updated_at: DateTime<Utc>,
}

/// A lesson, as stored and as written to `SKILL.md`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Skill {
    /// Name (= folder name on disk).
    pub name: SkillName,
    /// When to use it (≤ 1024 characters).
    pub description: String,
    /// Markdown body.
    pub body: String,
    /// Starts at 1; +1 on every merge.
    pub version: u32,
    /// Workspace scope.
    pub workspace: WorkspaceId,
    /// Lineage.
    pub provenance: Provenance,
}

impl Skill {
    /// Checks the SKILL.md rules: description 1–1024 characters, body under 500 lines.
    pub fn validate(&self) -> Result<()> {
        let n = self.description.chars().count();
        if n == 0 || n > 1024 {
            return Err(Error::invalid(format!(
                "skill {} description is {n} characters; it must be 1 to 1024",
                self.name
            )));
        }
        let lines = self.body.lines().count();
        if lines >= 500 {
            return Err(Error::invalid(format!(
                "skill {} body has {lines} lines; it must stay under 500",
                self.name
            )));
        }
        if self.version == 0 {
            return Err(Error::invalid("skill version starts at 1"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_validated() {
        assert!(SkillName::new("use-pnpm").is_ok());
        for bad in [
            "",
            "Use",
            "a--b",
            "-a",
            "a-",
            "a/b",
            "../x",
            "a b",
            &"a".repeat(65),
        ] {
            assert!(SkillName::new(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn slugify_always_gives_a_valid_name() {
        for t in ["Use pnpm, not npm!", "", "---", "ÄÖÜ", &"word ".repeat(40)] {
            let n = SkillName::slugify(t);
            assert!(SkillName::new(n.as_str()).is_ok(), "{t:?} -> {n}");
        }
        assert_eq!(
            SkillName::slugify("Use pnpm, not npm!").as_str(),
            "use-pnpm-not-npm"
        );
    }
}
