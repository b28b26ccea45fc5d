//! Sync: share a workspace's corrections and skills with a team store.
//!
//! Each machine keeps writing to its local store (SQLite, offline-first); [`sync`]
//! exchanges rows with a remote store shared by the team (usually a
//! `PostgresStore`, feature `postgres`, but any [`Store`] works):
//!
//! - **push**: the local events, corrections and skills of the given workspaces go to
//!   the remote;
//! - **pull**: the remote's corrections and skills of those workspaces (the team's)
//!   come into the local store. Events are never pulled: sessions stay where they
//!   were captured, the lessons travel.
//!
//! Guarantees:
//!
//! - **Idempotent by id**: every write is an idempotent store write (events and
//!   corrections by id, skills by version), so a batch sent twice changes nothing.
//! - **Bounded batches** of [`SyncOptions::batch_size`] rows, read in change order with
//!   [`Store::events_after`], [`Store::corrections_after`] and [`Store::skills_after`].
//! - **Resumable**: per workspace and direction, a watermark (the last position done)
//!   is kept in the *local* store's state and advanced only after the batch was
//!   written to the other side. A sync that fails half-way (a dropped connection)
//!   returns the error; the next one resumes from the last watermark, with nothing
//!   lost and nothing duplicated.
//! - **Workspace-scoped**: only the given workspaces are read and written.
//!
//! Corrections belong to the machine that recorded them: a pulled correction is marked
//! in local state ([`is_pulled`]), is never pushed back, and takes the team's later
//! updates; mining with [`MiningScope::Me`](crate::skillify::MiningScope) leaves it out.
//! A correction of this machine coming back from the remote is ignored: the local copy
//! is the source of truth, and its updates are pushed.
//!
//! Skills with the same name on both sides are reconciled by [`reconcile_skills`]: the
//! higher version wins when it already covers the other's lineage, otherwise (equal
//! versions with different content, or a lineage the winner lacks) both become one new
//! version: the content of the winner (by version, then time), every correction,
//! session and author of both.
//!
//! `sync` blocks (it calls the stores); call it from a background thread or
//! `spawn_blocking`, never from a hook's hot path.

use crate::error::Result;
use crate::model::{Correction, CorrectionFilter, CorrectionId, Skill, SkillName, WorkspaceId};
use crate::store::Store;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// Options of a [`sync`].
#[derive(Debug, Clone)]
pub struct SyncOptions {
    /// The remote's name in the watermark keys (`sync:<remote>:...`): one name per
    /// remote store, stable across runs (e.g. `PostgresStore::label`). Default `team`.
    pub remote: String,
    /// Rows per batch (default 500, at least 1).
    pub batch_size: usize,
    /// Send local rows to the remote (default true).
    pub push: bool,
    /// Bring the remote's corrections and skills here (default true).
    pub pull: bool,
}

impl Default for SyncOptions {
    fn default() -> Self {
        SyncOptions {
            remote: "team".into(),
            batch_size: 500,
            push: true,
            pull: true,
        }
    }
}

/// What a [`sync`] did, summed over its workspaces.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SyncReport {
    /// Workspaces synchronized.
    pub workspaces: usize,
    /// Events the remote did not have.
    pub events_pushed: usize,
    /// Corrections written to the remote (new, or updated here since the last push).
    pub corrections_pushed: usize,
    /// Skill versions written to the remote.
    pub skills_pushed: usize,
    /// Team corrections written here (new, or updated by their author).
    pub corrections_pulled: usize,
    /// Team skill versions written here.
    pub skills_pulled: usize,
    /// Conflicting skills merged into a new version on both sides.
    pub skills_merged: usize,
    /// Batches read (each followed by a watermark update).
    pub batches: usize,
}

impl std::ops::AddAssign<&SyncReport> for SyncReport {
    fn add_assign(&mut self, other: &SyncReport) {
        self.workspaces += other.workspaces;
        self.events_pushed += other.events_pushed;
        self.corrections_pushed += other.corrections_pushed;
        self.skills_pushed += other.skills_pushed;
        self.corrections_pulled += other.corrections_pulled;
        self.skills_pulled += other.skills_pulled;
        self.skills_merged += other.skills_merged;
        self.batches += other.batches;
    }
}

/// What [`crate::Hivemind::team_sync_blocking`] did: the sync, then (when team
/// corrections arrived) a mining run and the push of the skills it wrote.
#[derive(Debug, Clone, Default, Serialize)]
pub struct TeamSyncReport {
    /// The team store, without credentials (`host:port/database/schema`).
    pub remote: String,
    /// The sync.
    pub sync: SyncReport,
    /// The mining run that followed, if team corrections arrived.
    pub skillify: Option<crate::skillify::SkillifyReport>,
    /// The push of the skills that run created or updated.
    pub pushed_after_mining: Option<SyncReport>,
}

/// The latest team syncs of a workspace, kept in the local store's state so that
/// `hivemind status` can say when this machine last shared its lessons without
/// connecting to the team store.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncHistory {
    /// The last sync that completed.
    pub last_success: Option<SyncSuccess>,
    /// The last sync that failed (it may be older than the last success).
    pub last_failure: Option<SyncFailure>,
}

impl SyncHistory {
    /// The last failure when it came after the last success: the team store has not
    /// been reached since.
    pub fn failing(&self) -> Option<&SyncFailure> {
        let failure = self.last_failure.as_ref()?;
        match &self.last_success {
            Some(ok) if ok.at >= failure.at => None,
            _ => Some(failure),
        }
    }
}

/// A sync that completed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncSuccess {
    /// When it finished.
    pub at: DateTime<Utc>,
    /// The team store, without credentials.
    pub remote: String,
    /// Events, corrections and skill versions sent.
    pub pushed: usize,
    /// Corrections and skill versions received.
    pub pulled: usize,
}

/// A sync that failed; what it had done before the failure is kept (see [`sync`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncFailure {
    /// When it failed.
    pub at: DateTime<Utc>,
    /// The team store, without credentials.
    pub remote: String,
    /// The error, with anything that looks like a secret redacted.
    pub error: String,
}

const HISTORY: &str = "sync:history";

/// The sync history of `workspace` in `store` (empty when it never synced; an
/// unreadable record is logged and treated as empty).
pub fn sync_history(store: &dyn Store, workspace: &WorkspaceId) -> Result<SyncHistory> {
    Ok(match store.get_state(workspace, HISTORY)? {
        None => SyncHistory::default(),
        Some(text) => serde_json::from_str(&text).unwrap_or_else(|e| {
            tracing::warn!(%workspace, error = %e, "unreadable sync history; ignoring it");
            SyncHistory::default()
        }),
    })
}

/// Records in `store` that a sync of `workspace` with `remote` ended with `outcome`.
pub fn record_sync_outcome(
    store: &dyn Store,
    workspace: &WorkspaceId,
    remote: &str,
    outcome: std::result::Result<&SyncReport, &crate::Error>,
) -> Result<()> {
    let mut history = sync_history(store, workspace)?;
    let at = Utc::now();
    let remote = remote.to_string();
    match outcome {
        Ok(r) => {
            history.last_success = Some(SyncSuccess {
                at,
                remote,
                pushed: r.events_pushed + r.corrections_pushed + r.skills_pushed,
                pulled: r.corrections_pulled + r.skills_pulled,
            })
        }
        Err(e) => {
            history.last_failure = Some(SyncFailure {
                at,
                remote,
                error: crate::redact::redact(&e.to_string()).into_owned(),
            })
        }
    }
    store.set_state(workspace, HISTORY, &serde_json::to_string(&history)?)
}

/// How two versions of one skill relate (see [`reconcile_skills`]).
#[derive(Debug, Clone, PartialEq)]
pub enum Reconciled {
    /// They are identical.
    Same,
    /// The first is newer and covers the second's lineage: keep the first.
    First,
    /// The second is newer and covers the first's lineage: keep the second.
    Second,
    /// Neither covers the other: this new version replaces both.
    Merged(Skill),
}

const PULLED: &str = "sync:pulled:";

/// Was this correction pulled from a team store (rather than recorded here)?
pub fn is_pulled(store: &dyn Store, workspace: &WorkspaceId, id: &CorrectionId) -> Result<bool> {
    Ok(store
        .get_state(workspace, &format!("{PULLED}{id}"))?
        .is_some_and(|v| !v.is_empty()))
}

fn mark_pulled(
    store: &dyn Store,
    workspace: &WorkspaceId,
    id: &CorrectionId,
    remote: &str,
) -> Result<()> {
    store.set_state(workspace, &format!("{PULLED}{id}"), remote)
}

fn unmark_pulled(store: &dyn Store, workspace: &WorkspaceId, id: &CorrectionId) -> Result<()> {
    store.set_state(workspace, &format!("{PULLED}{id}"), "")
}

/// Reconciles two versions of the skill `a.name` (same workspace): the higher version
/// wins when its lineage already holds every correction and author of the other;
/// otherwise the result is a merged version, one above both, with the content of the
/// winner (highest version, then latest `updated_at`, then a fixed order so that
/// every machine picks the same one) and the union of both lineages. Symmetric: the
/// merge of (a, b) equals the merge of (b, a).
pub fn reconcile_skills(a: &Skill, b: &Skill) -> Reconciled {
    if a == b {
        return Reconciled::Same;
    }
    if a.version > b.version && covers(a, b) {
        return Reconciled::First;
    }
    if b.version > a.version && covers(b, a) {
        return Reconciled::Second;
    }
    let (winner, loser) = if rank(a) >= rank(b) { (a, b) } else { (b, a) };
    let mut merged = winner.clone();
    merged.version = a.version.max(b.version).saturating_add(1);
    for c in &loser.provenance.corrections {
        if !merged.provenance.corrections.contains(c) {
            merged.provenance.corrections.push(c.clone());
        }
    }
    for s in &loser.provenance.sessions {
        if !merged.provenance.sessions.contains(s) {
            merged.provenance.sessions.push(s.clone());
        }
    }
    for author in authors(&loser.provenance.author) {
        merged.provenance.author =
            crate::skillify::merge_authors(&merged.provenance.author, author);
    }
    merged.provenance.created_at = a.provenance.created_at.min(b.provenance.created_at);
    merged.provenance.updated_at = a.provenance.updated_at.max(b.provenance.updated_at);
    Reconciled::Merged(merged)
}

type Rank<'a> = (
    u32,
    chrono::DateTime<chrono::Utc>,
    &'a str,
    &'a str,
    &'a str,
    usize,
);

fn rank(s: &Skill) -> Rank<'_> {
    (
        s.version,
        s.provenance.updated_at,
        &s.body,
        &s.description,
        &s.provenance.author,
        s.provenance.corrections.len(),
    )
}

fn authors(a: &str) -> impl Iterator<Item = &str> {
    a.split(", ").filter(|x| !x.is_empty())
}

/// Does `winner`'s lineage hold every correction and author of `other`?
fn covers(winner: &Skill, other: &Skill) -> bool {
    let have: BTreeSet<&str> = winner
        .provenance
        .corrections
        .iter()
        .map(|c| c.as_str())
        .collect();
    let who: BTreeSet<&str> = authors(&winner.provenance.author).collect();
    other
        .provenance
        .corrections
        .iter()
        .all(|c| have.contains(c.as_str()))
        && authors(&other.provenance.author).all(|a| who.contains(a))
}

/// Pushes the local rows of `workspaces` to `remote` and pulls the remote's corrections
/// and skills of the same workspaces into `local` (see the [module docs](self)).
///
/// On error (e.g. the remote's connection dropped) the batches done so far are kept,
/// their watermarks saved; calling `sync` again resumes after them.
pub fn sync(
    local: &dyn Store,
    remote: &dyn Store,
    workspaces: &[WorkspaceId],
    options: &SyncOptions,
) -> Result<SyncReport> {
    let mut report = SyncReport::default();
    let mut seen: BTreeSet<&WorkspaceId> = BTreeSet::new();
    for ws in workspaces {
        if !seen.insert(ws) {
            continue;
        }
        let mut s = Syncer {
            local,
            remote,
            ws,
            opts: options,
            batch: options.batch_size.max(1),
            report: &mut report,
        };
        if options.push {
            s.push_events()?;
            s.push_corrections()?;
            s.push_skills()?;
        }
        if options.pull {
            s.pull_corrections()?;
            s.pull_skills()?;
        }
        report.workspaces += 1;
        tracing::debug!(workspace = %ws, remote = %options.remote, "workspace synchronized");
    }
    tracing::info!(remote = %options.remote, ?report, "sync done");
    Ok(report)
}

struct Syncer<'a> {
    local: &'a dyn Store,
    remote: &'a dyn Store,
    ws: &'a WorkspaceId,
    opts: &'a SyncOptions,
    batch: usize,
    report: &'a mut SyncReport,
}

impl Syncer<'_> {
    fn key(&self, what: &str) -> String {
        format!("sync:{}:{what}", self.opts.remote)
    }

    fn cursor(&self, key: &str) -> Result<i64> {
        Ok(match self.local.get_state(self.ws, key)? {
            None => 0,
            Some(v) => v.trim().parse().unwrap_or_else(|_| {
                tracing::warn!(key, value = %v, "unreadable sync watermark; starting over");
                0
            }),
        })
    }

    fn advance(&mut self, key: &str, pos: i64) -> Result<()> {
        self.local.set_state(self.ws, key, &pos.to_string())?;
        self.report.batches += 1;
        Ok(())
    }

    fn push_events(&mut self) -> Result<()> {
        let key = self.key("push:events");
        loop {
            let after = self.cursor(&key)?;
            let rows = self.local.events_after(self.ws, after, self.batch)?;
            let Some(last) = rows.last().map(|(p, _)| *p) else {
                return Ok(());
            };
            let full = rows.len() >= self.batch;
            let events: Vec<_> = rows
                .into_iter()
                .map(|(_, e)| e)
                .filter(|e| &e.workspace == self.ws)
                .collect();
            self.report.events_pushed += self.remote.append_events(&events)?;
            self.advance(&key, last)?;
            if !full {
                return Ok(());
            }
        }
    }

    fn push_corrections(&mut self) -> Result<()> {
        let key = self.key("push:corrections");
        loop {
            let after = self.cursor(&key)?;
            let rows = self.local.corrections_after(self.ws, after, self.batch)?;
            let Some(last) = rows.last().map(|(p, _)| *p) else {
                return Ok(());
            };
            let full = rows.len() >= self.batch;
            for (_, c) in rows {
                if &c.workspace != self.ws || is_pulled(self.local, self.ws, &c.id)? {
                    continue;
                }
                if self.remote.insert_correction(&c)? {
                    self.report.corrections_pushed += 1;
                    continue;
                }
                // Known remotely: bring it up to date if it changed here.
                match find_correction(self.remote, self.ws, &c)? {
                    Some(r) if r == c => {}
                    Some(_) => {
                        self.remote.update_correction(&c)?;
                        self.report.corrections_pushed += 1;
                    }
                    // The id exists in another workspace: never touch it.
                    None => tracing::warn!(id = %c.id, "correction id taken remotely; not pushed"),
                }
            }
            self.advance(&key, last)?;
            if !full {
                return Ok(());
            }
        }
    }

    fn push_skills(&mut self) -> Result<()> {
        let key = self.key("push:skills");
        loop {
            let after = self.cursor(&key)?;
            let rows = self.local.skills_after(self.ws, after, self.batch)?;
            let Some(last) = rows.last().map(|(p, _)| *p) else {
                return Ok(());
            };
            let full = rows.len() >= self.batch;
            for name in names(&rows, self.ws) {
                let Some(l) = self.local.skill(self.ws, &name)? else {
                    continue;
                };
                match self.remote.skill(self.ws, &name)? {
                    None => {
                        if self.remote.upsert_skill(&l)? {
                            self.report.skills_pushed += 1;
                        }
                    }
                    Some(r) => match reconcile_skills(&l, &r) {
                        Reconciled::Same | Reconciled::Second => {}
                        Reconciled::First => {
                            if self.remote.upsert_skill(&l)? {
                                self.report.skills_pushed += 1;
                            }
                        }
                        Reconciled::Merged(m) => self.write_merged(&m)?,
                    },
                }
            }
            self.advance(&key, last)?;
            if !full {
                return Ok(());
            }
        }
    }

    fn pull_corrections(&mut self) -> Result<()> {
        let key = self.key("pull:corrections");
        loop {
            let after = self.cursor(&key)?;
            let rows = self.remote.corrections_after(self.ws, after, self.batch)?;
            let Some(last) = rows.last().map(|(p, _)| *p) else {
                return Ok(());
            };
            let full = rows.len() >= self.batch;
            for (_, c) in rows {
                if &c.workspace != self.ws {
                    continue;
                }
                match find_correction(self.local, self.ws, &c)? {
                    None => {
                        // Marked first: a crash between the two writes leaves a marker
                        // for a row the next pull inserts, never a team row taken for
                        // one of ours.
                        mark_pulled(self.local, self.ws, &c.id, &self.opts.remote)?;
                        if self.local.insert_correction(&c)? {
                            self.report.corrections_pulled += 1;
                        } else {
                            // It was here already (under another session): ours.
                            unmark_pulled(self.local, self.ws, &c.id)?;
                        }
                    }
                    Some(l) if l != c && is_pulled(self.local, self.ws, &c.id)? => {
                        self.local.update_correction(&c)?;
                        self.report.corrections_pulled += 1;
                    }
                    // Identical, or ours: the local copy is the source of truth.
                    Some(_) => {}
                }
            }
            self.advance(&key, last)?;
            if !full {
                return Ok(());
            }
        }
    }

    fn pull_skills(&mut self) -> Result<()> {
        let key = self.key("pull:skills");
        loop {
            let after = self.cursor(&key)?;
            let rows = self.remote.skills_after(self.ws, after, self.batch)?;
            let Some(last) = rows.last().map(|(p, _)| *p) else {
                return Ok(());
            };
            let full = rows.len() >= self.batch;
            for name in names(&rows, self.ws) {
                let Some(r) = self.remote.skill(self.ws, &name)? else {
                    continue;
                };
                match self.local.skill(self.ws, &name)? {
                    None => {
                        if self.local.upsert_skill(&r)? {
                            self.report.skills_pulled += 1;
                        }
                    }
                    Some(l) => match reconcile_skills(&l, &r) {
                        Reconciled::Same | Reconciled::First => {}
                        Reconciled::Second => {
                            if self.local.upsert_skill(&r)? {
                                self.report.skills_pulled += 1;
                            }
                        }
                        Reconciled::Merged(m) => self.write_merged(&m)?,
                    },
                }
            }
            self.advance(&key, last)?;
            if !full {
                return Ok(());
            }
        }
    }

    /// Writes a merged skill version on both sides (remote first: if it fails, the
    /// next sync merges again and gets the same result).
    fn write_merged(&mut self, m: &Skill) -> Result<()> {
        self.remote.upsert_skill(m)?;
        self.local.upsert_skill(m)?;
        self.report.skills_merged += 1;
        tracing::info!(skill = %m.name, version = m.version, author = %m.provenance.author, "merged diverging skill versions");
        Ok(())
    }
}

/// The distinct names of skill rows of `ws`, in order of first appearance.
fn names(rows: &[(i64, Skill)], ws: &WorkspaceId) -> Vec<SkillName> {
    let mut seen: BTreeSet<&str> = BTreeSet::new();
    rows.iter()
        .filter(|(_, s)| &s.workspace == ws)
        .filter(|(_, s)| seen.insert(s.name.as_str()))
        .map(|(_, s)| s.name.clone())
        .collect()
}

/// The stored copy of `c` (same id and workspace), looked up through its session.
fn find_correction(
    store: &dyn Store,
    ws: &WorkspaceId,
    c: &Correction,
) -> Result<Option<Correction>> {
    let filter = CorrectionFilter {
        session: Some(c.session.clone()),
        ..Default::default()
    };
    Ok(store
        .corrections(ws, &filter)?
        .into_iter()
        .find(|x| x.id == c.id))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Provenance, SessionId};

    fn id(c: &str) -> CorrectionId {
        CorrectionId::derived(c)
    }

    fn skill(version: u32, secs: i64, corrections: &[&str], author: &str, body: &str) -> Skill {
        let t = |s: i64| DateTime::from_timestamp(1_750_000_000 + s, 0).unwrap_or_default();
        Skill {
            name: SkillName::slugify("use pnpm"),
            description: "Use when installing packages".into(),
            body: body.into(),
            version,
            workspace: WorkspaceId::trusted("acme"),
            provenance: Provenance {
                corrections: corrections.iter().map(|c| id(c)).collect(),
                sessions: vec![SessionId::trusted("s1")],
                author: author.into(),
                created_at: t(0),
                updated_at: t(secs),
            },
        }
    }

    #[test]
    fn higher_version_covering_the_other_wins() {
        let v1 = skill(1, 1, &["c1", "c2"], "hivemind-local", "one");
        let v2 = skill(2, 2, &["c1", "c2", "c3"], "hivemind-local", "two");
        assert_eq!(reconcile_skills(&v2, &v1), Reconciled::First);
        assert_eq!(reconcile_skills(&v1, &v2), Reconciled::Second);
        assert_eq!(reconcile_skills(&v1, &v1.clone()), Reconciled::Same);
    }

    #[test]
    fn diverging_versions_merge_symmetrically() {
        let a = skill(1, 5, &["c1", "c2"], "hivemind-local", "a body");
        let b = skill(1, 7, &["c2", "c3"], "claude-3", "b body");
        let (Reconciled::Merged(ab), Reconciled::Merged(ba)) =
            (reconcile_skills(&a, &b), reconcile_skills(&b, &a))
        else {
            panic!("expected merges");
        };
        assert_eq!(ab, ba);
        assert_eq!(ab.version, 2);
        assert_eq!(ab.body, "b body", "latest wins at equal versions");
        assert_eq!(ab.provenance.corrections, [id("c2"), id("c3"), id("c1")]);
        assert_eq!(ab.provenance.author, "claude-3, hivemind-local");
        // A higher version that lacks part of the other's lineage takes it in.
        let c = skill(3, 1, &["c1"], "hivemind-local", "c body");
        let Reconciled::Merged(m) = reconcile_skills(&c, &b) else {
            panic!("expected a merge");
        };
        assert_eq!((m.version, m.body.as_str()), (4, "c body"));
        assert_eq!(m.provenance.corrections.len(), 3);
    }

    fn correction(ws: &WorkspaceId, session: &str, reason: &str) -> Correction {
        Correction {
            id: CorrectionId::generate(),
            workspace: ws.clone(),
            session: SessionId::new(session).unwrap_or_else(|_| SessionId::trusted("s")),
            kind: crate::model::CorrectionKind::Explicit,
            target: crate::model::Target::Response,
            produced: "npm i zod".into(),
            accepted: None,
            diff: crate::model::Diff(String::new()),
            reason: Some(reason.into()),
            confidence: 1.0,
            source_events: vec![],
            created_at: chrono::Utc::now(),
        }
    }

    #[test]
    fn any_two_stores_sync_in_batches_idempotently() {
        use crate::model::{Agent, Event, EventKind};
        use crate::store::InMemoryStore;
        let ws = WorkspaceId::trusted("acme");
        let (a, b, remote) = (
            InMemoryStore::new(),
            InMemoryStore::new(),
            InMemoryStore::new(),
        );
        let events: Vec<Event> = (0..7)
            .map(|i| {
                Event::new(
                    ws.clone(),
                    SessionId::trusted("s1"),
                    Agent::Codex,
                    EventKind::Prompt {
                        text: format!("p{i}"),
                    },
                )
            })
            .collect();
        a.append_events(&events).unwrap();
        for i in 0..5 {
            a.insert_correction(&correction(&ws, "s1", &format!("r{i}")))
                .unwrap();
        }
        a.upsert_skill(&skill(1, 1, &["c1"], "hivemind-local", "one"))
            .unwrap();
        let opts = SyncOptions {
            batch_size: 2,
            ..Default::default()
        };
        let r = sync(&a, &remote, std::slice::from_ref(&ws), &opts).unwrap();
        assert_eq!(
            (r.events_pushed, r.corrections_pushed, r.skills_pushed),
            (7, 5, 1)
        );
        // Pushed: 4 + 3 + 1 batches; pulled back (its own rows, left alone): 3 + 1.
        assert_eq!(r.batches, 4 + 3 + 1 + 3 + 1);
        let r = sync(&b, &remote, std::slice::from_ref(&ws), &opts).unwrap();
        assert_eq!((r.corrections_pulled, r.skills_pulled), (5, 1));
        for c in b.corrections(&ws, &CorrectionFilter::default()).unwrap() {
            assert!(is_pulled(&b, &ws, &c.id).unwrap());
            assert!(!is_pulled(&a, &ws, &c.id).unwrap());
        }
        // Nothing moves twice. (b's push reads the rows it pulled once, and skips them.)
        for store in [&a, &b, &a, &b] {
            let r = sync(store, &remote, std::slice::from_ref(&ws), &opts).unwrap();
            assert_eq!(
                SyncReport {
                    batches: 0,
                    ..r.clone()
                },
                SyncReport {
                    workspaces: 1,
                    ..Default::default()
                }
            );
        }
        let r = sync(&b, &remote, std::slice::from_ref(&ws), &opts).unwrap();
        assert_eq!(r.batches, 0);
        assert_eq!(remote.stats(&ws).unwrap().events, 7);
    }

    #[test]
    fn the_history_keeps_the_last_success_and_failure_and_redacts_errors() {
        let store = crate::store::InMemoryStore::new();
        let ws = WorkspaceId::new("acme").unwrap();
        assert_eq!(sync_history(&store, &ws).unwrap(), SyncHistory::default());

        let report = SyncReport {
            workspaces: 1,
            events_pushed: 5,
            corrections_pushed: 2,
            skills_pushed: 1,
            corrections_pulled: 3,
            skills_pulled: 1,
            ..Default::default()
        };
        record_sync_outcome(&store, &ws, "db:5432/team/hivemind", Ok(&report)).unwrap();
        let h = sync_history(&store, &ws).unwrap();
        let ok = h.last_success.clone().unwrap();
        assert_eq!((ok.pushed, ok.pulled), (8, 4));
        assert_eq!(ok.remote, "db:5432/team/hivemind");
        assert!(h.failing().is_none());

        let e = crate::Error::Storage(
            "cannot reach postgres://bob:hunter2-secret-pass@db:5432/team".into(),
        );
        record_sync_outcome(&store, &ws, "db:5432/team/hivemind", Err(&e)).unwrap();
        let h = sync_history(&store, &ws).unwrap();
        assert_eq!(h.last_success, Some(ok), "a failure keeps the last success");
        let failing = h.failing().unwrap();
        assert!(failing.error.contains("cannot reach"), "{failing:?}");
        assert!(!failing.error.contains("hunter2"), "{failing:?}");

        // A later success clears the failing state but keeps the failure on record.
        record_sync_outcome(&store, &ws, "db:5432/team/hivemind", Ok(&report)).unwrap();
        let h = sync_history(&store, &ws).unwrap();
        assert!(h.failing().is_none());
        assert!(h.last_failure.is_some());
        // Other workspaces have their own history.
        let other = WorkspaceId::new("other").unwrap();
        assert_eq!(
            sync_history(&store, &other).unwrap(),
            SyncHistory::default()
        );
        // A damaged record reads as empty instead of failing `status`.
        store.set_state(&ws, HISTORY, "{not json").unwrap();
        assert_eq!(sync_history(&store, &ws).unwrap(), SyncHistory::default());
    }
}
