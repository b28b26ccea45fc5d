//! A [`SqliteStore`] opened on first use: hooks that only journal never pay for it.

use super::{Positioned, SearchHit, SearchScope, SkillSummary, SqliteStore, Store, StoreStats};
use crate::error::Result;
use crate::model::{Correction, CorrectionFilter, Event, SessionId, Skill, SkillName, WorkspaceId};
use std::path::PathBuf;
use std::sync::OnceLock;

/// WAL checkpoint interval of short-lived processes (see
/// [`SqliteStore::open_with_checkpoint`]).
pub const HOOK_CHECKPOINT_PAGES: u32 = 64;

/// How long a hook waits for a lock another process holds before it gives up and
/// spools its payload (hosts kill hooks after a few seconds).
pub const HOOK_BUSY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(1);

/// Opens the SQLite database at `path` the first time a method needs it (with the
/// short-lived-process WAL setting).
#[derive(Debug)]
pub struct LazySqliteStore {
    path: PathBuf,
    inner: OnceLock<SqliteStore>,
}

impl LazySqliteStore {
    /// A store for `path`, not opened yet.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        LazySqliteStore {
            path: path.into(),
            inner: OnceLock::new(),
        }
    }

    /// Has the database been opened?
    pub fn is_open(&self) -> bool {
        self.inner.get().is_some()
    }

    fn get(&self) -> Result<&SqliteStore> {
        if let Some(s) = self.inner.get() {
            return Ok(s);
        }
        let s = SqliteStore::open_with(&self.path, HOOK_CHECKPOINT_PAGES, HOOK_BUSY_TIMEOUT)?;
        Ok(self.inner.get_or_init(|| s))
    }
}

impl Store for LazySqliteStore {
    fn sync(&self) -> Result<()> {
        match self.inner.get() {
            Some(s) => s.sync(),
            None => Ok(()), // never opened: nothing written
        }
    }

    fn append_events(&self, events: &[Event]) -> Result<usize> {
        if events.is_empty() {
            return Ok(0);
        }
        self.get()?.append_events(events)
    }
    fn session_events(
        &self,
        w: &WorkspaceId,
        s: &SessionId,
        after: u64,
        limit: Option<usize>,
    ) -> Result<Vec<Event>> {
        self.get()?.session_events(w, s, after, limit)
    }
    fn last_events(&self, w: &WorkspaceId, s: &SessionId, n: usize) -> Result<Vec<Event>> {
        self.get()?.last_events(w, s, n)
    }
    fn insert_correction(&self, c: &Correction) -> Result<bool> {
        self.get()?.insert_correction(c)
    }
    fn update_correction(&self, c: &Correction) -> Result<()> {
        self.get()?.update_correction(c)
    }
    fn corrections(&self, w: &WorkspaceId, f: &CorrectionFilter) -> Result<Vec<Correction>> {
        self.get()?.corrections(w, f)
    }
    fn upsert_skill(&self, s: &Skill) -> Result<bool> {
        self.get()?.upsert_skill(s)
    }
    fn skills(&self, w: &WorkspaceId) -> Result<Vec<Skill>> {
        self.get()?.skills(w)
    }
    fn skill_index(&self, w: &WorkspaceId, limit: usize) -> Result<Vec<SkillSummary>> {
        self.get()?.skill_index(w, limit)
    }
    fn skill(&self, w: &WorkspaceId, n: &SkillName) -> Result<Option<Skill>> {
        self.get()?.skill(w, n)
    }
    fn search(
        &self,
        w: &WorkspaceId,
        scope: SearchScope,
        q: &str,
        limit: usize,
    ) -> Result<Vec<SearchHit>> {
        self.get()?.search(w, scope, q, limit)
    }
    fn get_state(&self, w: &WorkspaceId, k: &str) -> Result<Option<String>> {
        self.get()?.get_state(w, k)
    }
    fn set_state(&self, w: &WorkspaceId, k: &str, v: &str) -> Result<()> {
        self.get()?.set_state(w, k, v)
    }
    fn incr_counter(&self, w: &WorkspaceId, k: &str, by: i64) -> Result<i64> {
        self.get()?.incr_counter(w, k, by)
    }
    fn workspaces(&self) -> Result<Vec<WorkspaceId>> {
        self.get()?.workspaces()
    }
    fn stats(&self, w: &WorkspaceId) -> Result<StoreStats> {
        self.get()?.stats(w)
    }
    fn events_after(
        &self,
        w: &WorkspaceId,
        after: i64,
        limit: usize,
    ) -> Result<Vec<Positioned<Event>>> {
        self.get()?.events_after(w, after, limit)
    }
    fn corrections_after(
        &self,
        w: &WorkspaceId,
        after: i64,
        limit: usize,
    ) -> Result<Vec<Positioned<Correction>>> {
        self.get()?.corrections_after(w, after, limit)
    }
    fn skills_after(
        &self,
        w: &WorkspaceId,
        after: i64,
        limit: usize,
    ) -> Result<Vec<Positioned<Skill>>> {
        self.get()?.skills_after(w, after, limit)
    }
}
