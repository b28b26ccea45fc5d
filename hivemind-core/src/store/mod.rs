//! Storage: the [`Store`] trait and its implementations.
//!
//! A store holds events, corrections, versioned skills, a full-text index and a small
//! key/value state, every row scoped by [`WorkspaceId`]. Implementations:
//! [`SqliteStore`] (embedded default), [`InMemoryStore`] (tests, ephemeral use) and,
//! with the `postgres` feature, `PostgresStore` (the shared store of a team, see
//! [`crate::sync`]).
//!
//! The trait is synchronous on purpose: the embedded store is SQLite (blocking by
//! nature, and `rusqlite::Connection` must not be held across `.await`), and the hook
//! hot path must not pay for starting an async runtime. Async callers wrap calls in
//! `tokio::task::spawn_blocking`.

mod lazy;
mod memory;
#[cfg(feature = "postgres")]
mod postgres;
mod sqlite;

pub use lazy::LazySqliteStore;
pub use memory::InMemoryStore;
#[cfg(feature = "postgres")]
pub(crate) use postgres::redact_url;
#[cfg(feature = "postgres")]
pub use postgres::{PgOptions, PostgresStore};
pub use sqlite::SqliteStore;

use crate::error::{Error, Result};
use crate::model::{Correction, CorrectionFilter, Event, SessionId, Skill, SkillName, WorkspaceId};
use serde::{Deserialize, Serialize};

/// What a full-text search looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SearchScope {
    /// Prompts and responses.
    Events,
    /// Correction reasons, targets and diffs.
    Corrections,
    /// Skill names, descriptions and bodies.
    Skills,
}

/// A skill without its body, for indexes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SkillSummary {
    /// Name.
    pub name: SkillName,
    /// Description.
    pub description: String,
    /// Latest version.
    pub version: u32,
    /// Number of corrections behind it.
    pub support: usize,
    /// When the latest version was written.
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

/// Counts of a workspace's captured activity (see [`Store::stats`]).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StoreStats {
    /// Sessions with at least one event.
    pub sessions: u64,
    /// Events.
    pub events: u64,
    /// When the most recent event happened, if there is any.
    pub last_event_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// One full-text search result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchHit {
    /// The event id, correction id or skill name.
    pub reference: String,
    /// Relevance: higher is better (BM25, sign flipped for SQLite).
    pub score: f64,
}

/// A row and its position in a store's change log (see [`Store::events_after`]).
///
/// Positions are opaque, strictly increasing per store, and only comparable within
/// the store that assigned them: a sync keeps one cursor per store and workspace.
pub type Positioned<T> = (i64, T);

/// The storage contract.
///
/// Every method is scoped by workspace: no method ever returns a row of another
/// workspace. Writes are idempotent by id (appending an event or inserting a correction
/// whose id exists already is a no-op), so imports and retries never duplicate.
/// Implementations are safe to share between threads, and [`SqliteStore`] also between
/// processes (hooks run as separate processes).
pub trait Store: Send + Sync + std::fmt::Debug {
    /// Appends events in one transaction. Each new event gets the next `seq` of its
    /// session (the input `seq` is ignored). Returns how many were new.
    fn append_events(&self, events: &[Event]) -> Result<usize>;

    /// Events of a session with `seq > after_seq`, in order, at most `limit`.
    fn session_events(
        &self,
        workspace: &WorkspaceId,
        session: &SessionId,
        after_seq: u64,
        limit: Option<usize>,
    ) -> Result<Vec<Event>>;

    /// The last `n` events of a session, in order (oldest first).
    fn last_events(
        &self,
        workspace: &WorkspaceId,
        session: &SessionId,
        n: usize,
    ) -> Result<Vec<Event>>;

    /// Inserts a correction; returns false when its id exists already.
    fn insert_correction(&self, correction: &Correction) -> Result<bool>;

    /// Replaces a stored correction (same id and workspace), e.g. to fill `accepted`.
    fn update_correction(&self, correction: &Correction) -> Result<()>;

    /// Corrections of a workspace, oldest first.
    fn corrections(
        &self,
        workspace: &WorkspaceId,
        filter: &CorrectionFilter,
    ) -> Result<Vec<Correction>>;

    /// Stores a skill version. A version lower than or equal to the stored one for the
    /// same name is ignored (returns false): versions only move forward.
    fn upsert_skill(&self, skill: &Skill) -> Result<bool>;

    /// The latest version of every skill of a workspace, by name.
    fn skills(&self, workspace: &WorkspaceId) -> Result<Vec<Skill>>;

    /// Name, description and support of the latest version of each skill, most
    /// supported first (then most recently updated), at most `limit`. Cheap: no bodies.
    fn skill_index(&self, workspace: &WorkspaceId, limit: usize) -> Result<Vec<SkillSummary>>;

    /// The latest version of one skill.
    fn skill(&self, workspace: &WorkspaceId, name: &SkillName) -> Result<Option<Skill>>;

    /// Full-text search (BM25 where available), best first, at most `limit` hits.
    /// `query` is free text: it is split into terms, never interpreted as syntax.
    fn search(
        &self,
        workspace: &WorkspaceId,
        scope: SearchScope,
        query: &str,
        limit: usize,
    ) -> Result<Vec<SearchHit>>;

    /// Reads a state value (watermarks, offsets, per-session memory).
    fn get_state(&self, workspace: &WorkspaceId, key: &str) -> Result<Option<String>>;

    /// Writes a state value.
    fn set_state(&self, workspace: &WorkspaceId, key: &str, value: &str) -> Result<()>;

    /// Adds `by` to an integer counter (created at 0) and returns the new value.
    fn incr_counter(&self, workspace: &WorkspaceId, key: &str, by: i64) -> Result<i64>;

    /// Workspaces that have any data.
    fn workspaces(&self) -> Result<Vec<WorkspaceId>>;

    /// Makes every committed write durable across a power loss (an fsync where the
    /// store's commits alone do not guarantee it). Stores whose commits are durable do
    /// nothing.
    fn sync(&self) -> Result<()> {
        Ok(())
    }

    /// Number of sessions and events of a workspace and the time of its latest event.
    /// Read-only. The default implementation reports that the store cannot tell
    /// (an [`Error::Storage`]); the stores of this crate implement it.
    fn stats(&self, workspace: &WorkspaceId) -> Result<StoreStats> {
        let _ = workspace;
        Err(Error::Storage(format!(
            "this store ({self:?}) does not report statistics"
        )))
    }

    /// Events of a workspace whose position is greater than `after`, in position
    /// order (the order they were appended), at most `limit`, each with its position.
    ///
    /// The change log a sync reads: a caller that keeps the last position it saw and
    /// asks again gets every later event exactly once. Positions grow with commit
    /// order within a workspace, so a row that becomes visible later never has a
    /// position below one already returned. The default implementation reports that
    /// the store cannot be synchronized (an [`Error::Storage`]).
    fn events_after(
        &self,
        workspace: &WorkspaceId,
        after: i64,
        limit: usize,
    ) -> Result<Vec<Positioned<Event>>> {
        let _ = (workspace, after, limit);
        Err(not_syncable(self))
    }

    /// Corrections of a workspace whose position is greater than `after`, like
    /// [`events_after`](Self::events_after). A correction's position is that of its
    /// latest write: [`update_correction`](Self::update_correction) moves it to the
    /// end, so a reader that saw the first version also sees the update. Each
    /// correction appears once, with its current content.
    fn corrections_after(
        &self,
        workspace: &WorkspaceId,
        after: i64,
        limit: usize,
    ) -> Result<Vec<Positioned<Correction>>> {
        let _ = (workspace, after, limit);
        Err(not_syncable(self))
    }

    /// Stored skill versions of a workspace whose position is greater than `after`,
    /// like [`events_after`](Self::events_after): every accepted
    /// [`upsert_skill`](Self::upsert_skill) adds one version at the end.
    fn skills_after(
        &self,
        workspace: &WorkspaceId,
        after: i64,
        limit: usize,
    ) -> Result<Vec<Positioned<Skill>>> {
        let _ = (workspace, after, limit);
        Err(not_syncable(self))
    }
}

fn not_syncable(store: &(impl Store + ?Sized)) -> Error {
    Error::Storage(format!(
        "this store ({store:?}) does not list its rows in change order (no sync)"
    ))
}

/// Converts a time to nanoseconds since the epoch for ordering columns, saturating
/// outside the years 1677–2262 (the exact time is stored beside it).
#[cfg_attr(not(feature = "postgres"), allow(dead_code))]
pub(crate) fn nanos(t: chrono::DateTime<chrono::Utc>) -> i64 {
    t.timestamp_nanos_opt().unwrap_or(if t.timestamp() < 0 {
        i64::MIN
    } else {
        i64::MAX
    })
}

/// Splits free text into search terms: lowercase alphanumeric runs (with `_`), at least
/// two characters, deduplicated, at most `max` terms.
pub fn search_terms(text: &str, max: usize) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for w in text.split(|c: char| !(c.is_alphanumeric() || c == '_')) {
        if w.chars().count() < 2 {
            continue;
        }
        let w = w.to_lowercase();
        if !out.contains(&w) {
            out.push(w);
            if out.len() >= max {
                break;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn search_terms_are_plain_words() {
        let t = super::search_terms("Use \"pnpm\" OR npm; NEAR(x) -- AND pnpm", 10);
        assert_eq!(t, vec!["use", "pnpm", "or", "npm", "near", "and"]);
    }
}
