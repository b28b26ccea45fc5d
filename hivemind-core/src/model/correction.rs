//! Corrections: what the agent produced, what the user accepted, and why.

use super::diff::Diff;
use super::ids::{CorrectionId, EventId, SessionId, WorkspaceId};
use crate::error::{Error, Result};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

/// The channel a correction was detected on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CorrectionKind {
    /// The next user prompt corrected the agent's last output.
    Followup,
    /// The user edited a file the agent wrote, between turns.
    UserEdit,
    /// The user changed a proposed edit before accepting it.
    Modified,
    /// The user rejected a tool use.
    Rejection,
    /// Recorded through the API.
    Explicit,
}

impl CorrectionKind {
    /// Stable string form.
    pub fn as_str(self) -> &'static str {
        match self {
            CorrectionKind::Followup => "followup",
            CorrectionKind::UserEdit => "user_edit",
            CorrectionKind::Modified => "modified",
            CorrectionKind::Rejection => "rejection",
            CorrectionKind::Explicit => "explicit",
        }
    }
}

impl fmt::Display for CorrectionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for CorrectionKind {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Ok(match s {
            "followup" => CorrectionKind::Followup,
            "user_edit" => CorrectionKind::UserEdit,
            "modified" => CorrectionKind::Modified,
            "rejection" => CorrectionKind::Rejection,
            "explicit" => CorrectionKind::Explicit,
            other => {
                return Err(Error::invalid(format!(
                    "unknown correction kind {other:?} (followup, user_edit, modified, rejection, explicit)"
                )))
            }
        })
    }
}

/// What was corrected.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", content = "value", rename_all = "snake_case")]
pub enum Target {
    /// A file (path as the host reported it, relative to the project when possible).
    File(String),
    /// A tool call (tool name).
    Tool(String),
    /// The agent's text response.
    Response,
}

impl Target {
    /// A short label: the path, the tool name, or `response`.
    pub fn label(&self) -> &str {
        match self {
            Target::File(p) => p,
            Target::Tool(t) => t,
            Target::Response => "response",
        }
    }
}

/// A user's correction of the agent, as structured data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Correction {
    /// Unique id.
    pub id: CorrectionId,
    /// Workspace scope.
    pub workspace: WorkspaceId,
    /// Session it happened in.
    #[serde(rename = "session_id", alias = "session")]
    pub session: SessionId,
    /// Channel.
    pub kind: CorrectionKind,
    /// What was corrected.
    pub target: Target,
    /// What the agent produced (text, tool input, file content).
    pub produced: String,
    /// What the user accepted instead, when known.
    pub accepted: Option<String>,
    /// Unified diff produced → accepted (empty when `accepted` is unknown).
    pub diff: Diff,
    /// The user's own words, when there are any.
    pub reason: Option<String>,
    /// Detector confidence in 0..=1.
    pub confidence: f32,
    /// Events the correction was derived from.
    pub source_events: Vec<EventId>,
    /// When it was detected or recorded.
    pub created_at: DateTime<Utc>,
}

impl Correction {
    /// A new correction with a fresh id; computes the diff when `accepted` is given.
    ///
    /// Fails with [`Error::InvalidInput`] when `produced` and `accepted` are both empty
    /// and there is no reason (nothing to learn from) or when confidence is not in 0..=1.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        workspace: WorkspaceId,
        session: SessionId,
        kind: CorrectionKind,
        target: Target,
        produced: impl Into<String>,
        accepted: Option<String>,
        reason: Option<String>,
        confidence: f32,
    ) -> Result<Self> {
        let produced = produced.into();
        if !(0.0..=1.0).contains(&confidence) || confidence.is_nan() {
            return Err(Error::invalid(format!(
                "confidence {confidence} is not between 0 and 1"
            )));
        }
        let reason = reason.filter(|r| !r.trim().is_empty());
        if produced.trim().is_empty()
            && accepted.as_deref().is_none_or(|a| a.trim().is_empty())
            && reason.is_none()
        {
            return Err(Error::invalid(
                "a correction needs at least one of produced, accepted or reason",
            ));
        }
        let diff = match &accepted {
            Some(a) => Diff::between(&produced, a),
            None => Diff(String::new()),
        };
        Ok(Correction {
            id: CorrectionId::generate(),
            workspace,
            session,
            kind,
            target,
            produced,
            accepted,
            diff,
            reason,
            confidence,
            source_events: Vec::new(),
            created_at: Utc::now(),
        })
    }

    /// Sets what the user accepted and recomputes the diff.
    pub fn set_accepted(&mut self, accepted: String) {
        self.diff = Diff::between(&self.produced, &accepted);
        self.accepted = Some(accepted);
    }

    /// Text indexed for full-text search.
    pub fn search_text(&self) -> String {
        let mut s = String::new();
        if let Some(r) = &self.reason {
            s.push_str(r);
            s.push('\n');
        }
        s.push_str(self.target.label());
        s.push('\n');
        s.push_str(self.diff.as_str());
        s
    }
}

/// Filter for [`crate::Store::corrections`].
#[derive(Debug, Clone, Default)]
pub struct CorrectionFilter {
    /// Only this session.
    pub session: Option<SessionId>,
    /// Only this kind.
    pub kind: Option<CorrectionKind>,
    /// Only created at or after this instant.
    pub since: Option<DateTime<Utc>>,
    /// At most this many (newest last). `None`: all.
    pub limit: Option<usize>,
}
