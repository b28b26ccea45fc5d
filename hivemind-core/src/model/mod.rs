//! Plain data types: ids, events, corrections, diffs, skills.

pub mod correction;
pub mod diff;
pub mod event;
pub mod ids;
pub mod skill;

pub use correction::{Correction, CorrectionFilter, CorrectionKind, Target};
pub use diff::Diff;
pub use event::{Agent, Event, EventKind};
pub use ids::{CorrectionId, EventId, SessionId, WorkspaceId};
pub use skill::{Provenance, Skill, SkillName};
