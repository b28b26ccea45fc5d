//! The embedded SQLite store: WAL, busy timeout, migrations by `user_version`, FTS5.

use super::{search_terms, Positioned, SearchHit, SearchScope, SkillSummary, Store, StoreStats};
use crate::error::{Error, Result};
use crate::model::{
    Agent, Correction, CorrectionFilter, Event, EventKind, SessionId, Skill, SkillName, WorkspaceId,
};
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

/// Schema migrations, applied in order; `PRAGMA user_version` records how many ran.
const MIGRATIONS: &[&str] = &[
    // 1: events, corrections, skills, state, FTS5 indexes.
    r#"
    CREATE TABLE events (
        id TEXT PRIMARY KEY,
        workspace TEXT NOT NULL,
        session TEXT NOT NULL,
        agent TEXT NOT NULL,
        seq INTEGER NOT NULL,
        at TEXT NOT NULL,
        kind TEXT NOT NULL,
        data TEXT NOT NULL
    );
    CREATE INDEX events_by_session ON events(workspace, session, seq);
    CREATE TABLE corrections (
        id TEXT PRIMARY KEY,
        workspace TEXT NOT NULL,
        session TEXT NOT NULL,
        kind TEXT NOT NULL,
        created_at TEXT NOT NULL,
        data TEXT NOT NULL
    );
    CREATE INDEX corrections_by_workspace ON corrections(workspace, created_at);
    CREATE TABLE skills (
        workspace TEXT NOT NULL,
        name TEXT NOT NULL,
        version INTEGER NOT NULL,
        updated_at TEXT NOT NULL,
        description TEXT NOT NULL,
        support INTEGER NOT NULL,
        data TEXT NOT NULL,
        PRIMARY KEY (workspace, name, version)
    );
    CREATE INDEX skills_by_support ON skills(workspace, support);
    CREATE TABLE state (
        workspace TEXT NOT NULL,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (workspace, key)
    );
    CREATE VIRTUAL TABLE events_fts USING fts5(text, workspace UNINDEXED, ref UNINDEXED);
    CREATE VIRTUAL TABLE corrections_fts USING fts5(text, workspace UNINDEXED, ref UNINDEXED);
    CREATE VIRTUAL TABLE skills_fts USING fts5(name, description, body, workspace UNINDEXED, ref UNINDEXED);
    "#,
    // 2: change logs for sync (`*_after`). Events and skills use their rowid (rows are
    // never deleted, so rowids only grow); an index on `workspace` alone holds the rowid,
    // so a workspace's events after a rowid are one range scan. A correction's position
    // is that of its latest write, so an update moves it to the end.
    r#"
    CREATE INDEX events_by_workspace ON events(workspace);
    ALTER TABLE corrections ADD COLUMN pos INTEGER;
    UPDATE corrections SET pos = rowid;
    CREATE UNIQUE INDEX corrections_by_pos ON corrections(pos);
    CREATE INDEX corrections_by_workspace_pos ON corrections(workspace, pos);
    "#,
    // 3: the SessionStart index of a workspace's skills read from one covering index,
    // in its order (most supported first), without touching the skills' bodies: with
    // 1,000 skills this is what keeps SessionStart within a hook's budget. The skills'
    // vocabulary (document frequency per term) lets a prompt's search drop the terms
    // most skills contain (see `skill_query`).
    r#"
    DROP INDEX skills_by_support;
    CREATE INDEX skills_for_index
        ON skills(workspace, support DESC, updated_at DESC, name, version, description);
    CREATE VIRTUAL TABLE skills_vocab USING fts5vocab(skills_fts, 'row');
    "#,
    // 4: the prompts' and responses' full-text index no longer keeps its own copy of the
    // text, workspace and id (they are in `events` already): a contentless FTS5 table
    // whose rowid is the event's rowid. It is filled behind the appends (see
    // `SqliteStore::index_event_text`), not by them.
    r#"
    CREATE VIRTUAL TABLE events_text USING fts5(text, content='', contentless_delete=1);
    INSERT INTO events_text (rowid, text)
        SELECT e.rowid, f.text FROM events_fts f JOIN events e ON e.id = f.ref;
    DROP TABLE events_fts;
    "#,
];

/// How long a connection waits for another's lock by default.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// SQLite-backed [`Store`]. Safe to use from several threads (one connection behind a
/// mutex) and from several processes at once (WAL, `BEGIN IMMEDIATE`, busy timeout).
#[derive(Debug)]
pub struct SqliteStore {
    conn: Mutex<Connection>,
    path: Option<PathBuf>,
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path` and migrates it. Tuned for
    /// long-lived processes: the WAL is checkpointed every 1,000 pages.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        Self::open_with_checkpoint(path, 1000)
    }

    /// Like [`open`](Self::open), checkpointing the WAL every `pages` pages. Short-lived
    /// processes (hooks) use a small value: each new process reads the whole WAL when it
    /// opens the database, so they keep it short.
    pub fn open_with_checkpoint(path: impl AsRef<Path>, pages: u32) -> Result<Self> {
        Self::open_with(path, pages, BUSY_TIMEOUT)
    }

    /// Like [`open_with_checkpoint`](Self::open_with_checkpoint), waiting at most `busy`
    /// for a lock another connection holds (10 s by default). A hook uses a short wait:
    /// its host kills it after a few seconds, and a failed write is spooled and retried.
    pub fn open_with(path: impl AsRef<Path>, pages: u32, busy: Duration) -> Result<Self> {
        let path = path.as_ref();
        if let Some(dir) = path.parent() {
            if !dir.as_os_str().is_empty() {
                std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
            }
        }
        let conn = Connection::open(path)
            .map_err(|e| Error::Storage(format!("cannot open {}: {e}", path.display())))?;
        let store = Self::init(conn, Some(path.to_path_buf()), busy)?;
        store
            .conn()?
            .pragma_update(None, "wal_autocheckpoint", pages.max(1))?;
        Ok(store)
    }

    /// A private in-memory SQLite database (same code paths, nothing on disk).
    pub fn open_in_memory() -> Result<Self> {
        Self::init(Connection::open_in_memory()?, None, BUSY_TIMEOUT)
    }

    /// The database file, if any.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    fn init(mut conn: Connection, path: Option<PathBuf>, busy: Duration) -> Result<Self> {
        conn.busy_timeout(busy)?;
        if path.is_some() {
            // journal_mode can itself hit a busy database; retry a little.
            let mut tries = 0;
            loop {
                match conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get::<_, String>(0)) {
                    Ok(_) => break,
                    Err(e) if tries < 50 && tries * 20 < busy.as_millis() && is_busy(&e) => {
                        tries += 1;
                        std::thread::sleep(Duration::from_millis(20));
                    }
                    Err(e) => return Err(e.into()),
                }
            }
            // The WAL checkpoint interval is set per connection by the opener.
            conn.execute_batch("PRAGMA synchronous=NORMAL; PRAGMA journal_size_limit=4194304;")?;
            // Hooks are short-lived processes, each usually the only connection: without
            // this, every exit would checkpoint the WAL (an fsync) and delete it.
            // Checkpoints still happen automatically as the WAL grows.
            conn.set_db_config(
                rusqlite::config::DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE,
                true,
            )?;
        }
        conn.execute_batch("PRAGMA foreign_keys=ON; PRAGMA temp_store=MEMORY;")?;
        migrate(&mut conn)?;
        Ok(SqliteStore {
            conn: Mutex::new(conn),
            path,
        })
    }

    /// Brings the full-text index of prompts and responses up to date and returns how
    /// many events it added.
    ///
    /// Appends do not tokenize: [`Store::append_events`] only writes the `events` rows, so
    /// a hook or a `capture` flush never pays for FTS5. The index follows behind, by rowid
    /// (events are never deleted, so rowids only grow): every event search calls this
    /// first, so a search always sees every appended event. Call it yourself to move the
    /// cost to a moment of your choosing (after an import, say). Safe from several
    /// processes at once: the catch-up runs under the write lock.
    pub fn index_event_text(&self) -> Result<usize> {
        let mut conn = self.conn()?;
        index_event_text(&mut conn)
    }

    fn conn(&self) -> Result<MutexGuard<'_, Connection>> {
        self.conn
            .lock()
            .map_err(|_| Error::Storage("store mutex poisoned by a panic".into()))
    }
}

/// The last event rowid the text index holds (0 when empty).
fn indexed_up_to(conn: &Connection) -> Result<i64> {
    Ok(conn
        .query_row(
            "SELECT rowid FROM events_text ORDER BY rowid DESC LIMIT 1",
            [],
            |r| r.get(0),
        )
        .optional()?
        .unwrap_or(0))
}

/// See [`SqliteStore::index_event_text`].
fn index_event_text(conn: &mut Connection) -> Result<usize> {
    const PENDING: &str = "SELECT EXISTS (SELECT 1 FROM events WHERE rowid > ?1
                           AND kind IN ('prompt', 'response'))";
    // Nothing to do is the common case: decide it without the write lock.
    let done = indexed_up_to(conn)?;
    if !conn.query_row(PENDING, [done], |r| r.get::<_, bool>(0))? {
        return Ok(0);
    }
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    // Re-read under the lock: another process may have caught up meanwhile.
    let done = indexed_up_to(&tx)?;
    let added = tx.execute(
        "INSERT INTO events_text (rowid, text)
         SELECT rowid, json_extract(data, '$.text') FROM events
         WHERE rowid > ?1 AND kind IN ('prompt', 'response')
         ORDER BY rowid",
        [done],
    )?;
    tx.commit()?;
    Ok(added)
}

fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, _)
        if f.code == rusqlite::ErrorCode::DatabaseBusy || f.code == rusqlite::ErrorCode::DatabaseLocked)
}

fn migrate(conn: &mut Connection) -> Result<()> {
    let current: usize =
        conn.query_row("PRAGMA user_version", [], |r| r.get::<_, i64>(0))? as usize;
    if current >= MIGRATIONS.len() {
        return Ok(());
    }
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    // Re-read inside the write lock: another process may have migrated meanwhile.
    let current: usize = tx.query_row("PRAGMA user_version", [], |r| r.get::<_, i64>(0))? as usize;
    if current > MIGRATIONS.len() {
        return Err(Error::Storage(format!(
            "database schema version {current} is newer than this hivemind ({}); upgrade hivemind",
            MIGRATIONS.len()
        )));
    }
    for (i, m) in MIGRATIONS.iter().enumerate().skip(current) {
        tx.execute_batch(m)
            .map_err(|e| Error::Storage(format!("migration {} failed: {e}", i + 1)))?;
    }
    tx.pragma_update(None, "user_version", MIGRATIONS.len() as i64)?;
    tx.commit()?;
    Ok(())
}

/// Builds a safe FTS5 query: every term quoted, joined with OR.
fn fts_query(text: &str) -> Option<String> {
    let terms = search_terms(text, 32);
    if terms.is_empty() {
        return None;
    }
    Some(
        terms
            .iter()
            .map(|t| format!("\"{}\"", t.replace('"', "")))
            .collect::<Vec<_>>()
            .join(" OR "),
    )
}

/// Skills below this count are searched with every term of the query.
const PRUNE_FROM_SKILLS: i64 = 64;

/// The FTS query of a skill search. Among many skills, the terms that more than half
/// of them contain (`use`, `when`, a project's name) are dropped when rarer terms
/// remain: their BM25 weight is close to nothing, yet each would make the search score
/// every skill that has it, which is what a prompt-time hook cannot afford.
fn skill_query(conn: &Connection, query: &str) -> Result<Option<String>> {
    let terms = search_terms(query, 32);
    if terms.len() < 2 {
        return Ok(fts_query(query));
    }
    let docs: i64 = conn
        .prepare_cached("SELECT COUNT(*) FROM skills_fts_docsize")?
        .query_row([], |r| r.get(0))?;
    if docs < PRUNE_FROM_SKILLS {
        return Ok(fts_query(query));
    }
    let mut df = conn.prepare_cached("SELECT doc FROM skills_vocab WHERE term = ?1")?;
    let mut kept: Vec<&String> = Vec::with_capacity(terms.len());
    for t in &terms {
        let n: i64 = df.query_row([t], |r| r.get(0)).optional()?.unwrap_or(0);
        if n > 0 && n * 2 <= docs {
            kept.push(t);
        }
    }
    if kept.is_empty() {
        return Ok(fts_query(query));
    }
    Ok(Some(
        kept.iter()
            .map(|t| format!("\"{}\"", t.replace('"', "")))
            .collect::<Vec<_>>()
            .join(" OR "),
    ))
}

fn skill_search_row(skill: &Skill) -> (String, String, String) {
    (
        skill.name.as_str().replace('-', " "),
        skill.description.clone(),
        skill.body.clone(),
    )
}

impl Store for SqliteStore {
    fn append_events(&self, events: &[Event]) -> Result<usize> {
        if events.is_empty() {
            return Ok(0);
        }
        let mut conn = self.conn()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut added = 0;
        {
            // The next seq per (workspace, session); a batch is nearly always one
            // session, so the last key is checked before the map.
            let mut next_seq: HashMap<(&str, &str), u64> = HashMap::new();
            let mut last: Option<((&str, &str), u64)> = None;
            let mut max_seq = tx.prepare_cached(
                "SELECT COALESCE(MAX(seq), 0) FROM events WHERE workspace = ?1 AND session = ?2",
            )?;
            let mut insert = tx.prepare_cached(
                "INSERT OR IGNORE INTO events (id, workspace, session, agent, seq, at, kind, data)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?;
            for e in events {
                let key = (e.workspace.as_str(), e.session.as_str());
                let seq = match last {
                    Some((k, s)) if k == key => s,
                    _ => {
                        if let Some((k, s)) = last {
                            next_seq.insert(k, s);
                        }
                        match next_seq.get(&key) {
                            Some(s) => *s,
                            None => {
                                let m: i64 =
                                    max_seq.query_row(params![key.0, key.1], |r| r.get(0))?;
                                m as u64 + 1
                            }
                        }
                    }
                };
                let data = serde_json::to_string(&e.kind)?;
                let n = insert.execute(params![
                    e.id.as_str(),
                    key.0,
                    key.1,
                    e.agent.as_str(),
                    seq as i64,
                    e.at.to_rfc3339(),
                    e.kind.name(),
                    data
                ])?;
                if n == 1 {
                    added += 1;
                    last = Some((key, seq + 1));
                } else {
                    last = Some((key, seq));
                }
            }
        }
        tx.commit()?;
        Ok(added)
    }

    fn session_events(
        &self,
        workspace: &WorkspaceId,
        session: &SessionId,
        after_seq: u64,
        limit: Option<usize>,
    ) -> Result<Vec<Event>> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare_cached(
            "SELECT id, agent, seq, at, data FROM events
             WHERE workspace = ?1 AND session = ?2 AND seq > ?3 ORDER BY seq LIMIT ?4",
        )?;
        let limit = limit.map_or(-1, |l| l as i64);
        let rows = stmt.query_map(
            params![
                workspace.as_str(),
                session.as_str(),
                after_seq as i64,
                limit
            ],
            row_to_parts,
        )?;
        collect_events(rows, workspace, session)
    }

    fn last_events(
        &self,
        workspace: &WorkspaceId,
        session: &SessionId,
        n: usize,
    ) -> Result<Vec<Event>> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare_cached(
            "SELECT id, agent, seq, at, data FROM events
             WHERE workspace = ?1 AND session = ?2 ORDER BY seq DESC LIMIT ?3",
        )?;
        let rows = stmt.query_map(
            params![workspace.as_str(), session.as_str(), n as i64],
            row_to_parts,
        )?;
        let mut v = collect_events(rows, workspace, session)?;
        v.reverse();
        Ok(v)
    }

    fn insert_correction(&self, c: &Correction) -> Result<bool> {
        let mut conn = self.conn()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let n = tx.execute(
            "INSERT OR IGNORE INTO corrections (id, workspace, session, kind, created_at, data, pos)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, (SELECT COALESCE(MAX(pos), 0) + 1 FROM corrections))",
            params![
                c.id.as_str(),
                c.workspace.as_str(),
                c.session.as_str(),
                c.kind.as_str(),
                c.created_at.to_rfc3339(),
                serde_json::to_string(c)?
            ],
        )?;
        if n == 1 {
            tx.execute(
                "INSERT INTO corrections_fts (text, workspace, ref) VALUES (?1, ?2, ?3)",
                params![c.search_text(), c.workspace.as_str(), c.id.as_str()],
            )?;
        }
        tx.commit()?;
        Ok(n == 1)
    }

    fn update_correction(&self, c: &Correction) -> Result<()> {
        let mut conn = self.conn()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let n = tx.execute(
            "UPDATE corrections SET data = ?1, kind = ?2, session = ?3, created_at = ?4,
                    pos = (SELECT COALESCE(MAX(pos), 0) + 1 FROM corrections)
             WHERE id = ?5 AND workspace = ?6",
            params![
                serde_json::to_string(c)?,
                c.kind.as_str(),
                c.session.as_str(),
                c.created_at.to_rfc3339(),
                c.id.as_str(),
                c.workspace.as_str()
            ],
        )?;
        if n == 0 {
            return Err(Error::invalid(format!(
                "no correction {} in workspace {}",
                c.id, c.workspace
            )));
        }
        tx.execute(
            "DELETE FROM corrections_fts WHERE ref = ?1 AND workspace = ?2",
            params![c.id.as_str(), c.workspace.as_str()],
        )?;
        tx.execute(
            "INSERT INTO corrections_fts (text, workspace, ref) VALUES (?1, ?2, ?3)",
            params![c.search_text(), c.workspace.as_str(), c.id.as_str()],
        )?;
        tx.commit()?;
        Ok(())
    }

    fn corrections(
        &self,
        workspace: &WorkspaceId,
        filter: &CorrectionFilter,
    ) -> Result<Vec<Correction>> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare_cached(
            "SELECT data FROM corrections
             WHERE workspace = ?1
               AND (?2 IS NULL OR session = ?2)
               AND (?3 IS NULL OR kind = ?3)
               AND (?4 IS NULL OR created_at >= ?4)
             ORDER BY created_at, id",
        )?;
        let rows = stmt.query_map(
            params![
                workspace.as_str(),
                filter.session.as_ref().map(|s| s.as_str()),
                filter.kind.map(|k| k.as_str()),
                filter.since.map(|t| t.to_rfc3339())
            ],
            |r| r.get::<_, String>(0),
        )?;
        let mut out = Vec::new();
        for data in rows {
            let c: Correction = serde_json::from_str(&data?)
                .map_err(|e| Error::Storage(format!("corrupt correction row: {e}")))?;
            if &c.workspace == workspace {
                out.push(c);
            }
        }
        if let Some(limit) = filter.limit {
            let skip = out.len().saturating_sub(limit);
            out.drain(..skip);
        }
        Ok(out)
    }

    fn upsert_skill(&self, skill: &Skill) -> Result<bool> {
        skill.validate()?;
        let mut conn = self.conn()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let current: Option<i64> = tx
            .query_row(
                "SELECT MAX(version) FROM skills WHERE workspace = ?1 AND name = ?2",
                params![skill.workspace.as_str(), skill.name.as_str()],
                |r| r.get(0),
            )
            .optional()?
            .flatten();
        if current.is_some_and(|v| v >= skill.version as i64) {
            return Ok(false);
        }
        tx.execute(
            "INSERT INTO skills (workspace, name, version, updated_at, description, support, data)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                skill.workspace.as_str(),
                skill.name.as_str(),
                skill.version as i64,
                skill.provenance.updated_at.to_rfc3339(),
                skill.description,
                skill.provenance.corrections.len() as i64,
                serde_json::to_string(skill)?
            ],
        )?;
        tx.execute(
            "DELETE FROM skills_fts WHERE workspace = ?1 AND ref = ?2",
            params![skill.workspace.as_str(), skill.name.as_str()],
        )?;
        let (n, d, b) = skill_search_row(skill);
        tx.execute(
            "INSERT INTO skills_fts (name, description, body, workspace, ref) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![n, d, b, skill.workspace.as_str(), skill.name.as_str()],
        )?;
        tx.commit()?;
        Ok(true)
    }

    fn skills(&self, workspace: &WorkspaceId) -> Result<Vec<Skill>> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare_cached(
            "SELECT s.data FROM skills s
             WHERE s.workspace = ?1
               AND s.version = (SELECT MAX(version) FROM skills t WHERE t.workspace = s.workspace AND t.name = s.name)
             ORDER BY s.name",
        )?;
        let rows = stmt.query_map(params![workspace.as_str()], |r| r.get::<_, String>(0))?;
        let mut out = Vec::new();
        for data in rows {
            let s: Skill = serde_json::from_str(&data?)
                .map_err(|e| Error::Storage(format!("corrupt skill row: {e}")))?;
            out.push(s);
        }
        Ok(out)
    }

    fn skill(&self, workspace: &WorkspaceId, name: &SkillName) -> Result<Option<Skill>> {
        let conn = self.conn()?;
        let data: Option<String> = conn
            .query_row(
                "SELECT data FROM skills WHERE workspace = ?1 AND name = ?2 ORDER BY version DESC LIMIT 1",
                params![workspace.as_str(), name.as_str()],
                |r| r.get(0),
            )
            .optional()?;
        data.map(|d| {
            serde_json::from_str(&d).map_err(|e| Error::Storage(format!("corrupt skill row: {e}")))
        })
        .transpose()
    }

    fn skill_index(&self, workspace: &WorkspaceId, limit: usize) -> Result<Vec<SkillSummary>> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare_cached(
            "SELECT s.name, s.description, s.version, s.support, s.updated_at FROM skills s
             WHERE s.workspace = ?1
               AND s.version = (SELECT MAX(version) FROM skills t WHERE t.workspace = s.workspace AND t.name = s.name)
             ORDER BY s.support DESC, s.updated_at DESC, s.name LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![workspace.as_str(), limit as i64], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, i64>(3)?,
                r.get::<_, String>(4)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (name, description, version, support, updated) = row?;
            out.push(SkillSummary {
                name: SkillName::new(name)?,
                description,
                version: version as u32,
                support: support as usize,
                updated_at: chrono::DateTime::parse_from_rfc3339(&updated)
                    .map_err(|e| Error::Storage(format!("corrupt timestamp {updated:?}: {e}")))?
                    .with_timezone(&chrono::Utc),
            });
        }
        Ok(out)
    }

    fn search(
        &self,
        workspace: &WorkspaceId,
        scope: SearchScope,
        query: &str,
        limit: usize,
    ) -> Result<Vec<SearchHit>> {
        let mut conn = self.conn()?;
        if scope == SearchScope::Events {
            index_event_text(&mut conn)?;
        }
        let q = match scope {
            SearchScope::Skills => skill_query(&conn, query)?,
            _ => fts_query(query),
        };
        let Some(q) = q else {
            return Ok(Vec::new());
        };
        let sql = match scope {
            SearchScope::Events => {
                "SELECT e.id, bm25(events_text) FROM events_text JOIN events e ON e.rowid = events_text.rowid WHERE events_text MATCH ?1 AND e.workspace = ?2 ORDER BY bm25(events_text) LIMIT ?3"
            }
            SearchScope::Corrections => {
                "SELECT ref, bm25(corrections_fts) FROM corrections_fts WHERE corrections_fts MATCH ?1 AND workspace = ?2 ORDER BY bm25(corrections_fts) LIMIT ?3"
            }
            SearchScope::Skills => {
                "SELECT ref, bm25(skills_fts, 4.0, 2.0, 1.0) FROM skills_fts WHERE skills_fts MATCH ?1 AND workspace = ?2 ORDER BY bm25(skills_fts, 4.0, 2.0, 1.0) LIMIT ?3"
            }
        };
        let mut stmt = conn.prepare_cached(sql)?;
        let rows = stmt.query_map(params![q, workspace.as_str(), limit as i64], |r| {
            Ok(SearchHit {
                reference: r.get(0)?,
                score: -r.get::<_, f64>(1)?,
            })
        })?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(Into::into)
    }

    /// Commits are durable against a crash of the process (WAL); against a power loss
    /// only once the WAL is synced, which `synchronous=NORMAL` leaves to checkpoints: a
    /// passive checkpoint syncs it (and copies what it can into the database).
    fn sync(&self) -> Result<()> {
        if self.path.is_none() {
            return Ok(());
        }
        let conn = self.conn()?;
        conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))?;
        Ok(())
    }

    fn get_state(&self, workspace: &WorkspaceId, key: &str) -> Result<Option<String>> {
        let conn = self.conn()?;
        let mut stmt =
            conn.prepare_cached("SELECT value FROM state WHERE workspace = ?1 AND key = ?2")?;
        Ok(stmt
            .query_row(params![workspace.as_str(), key], |r| r.get(0))
            .optional()?)
    }

    fn set_state(&self, workspace: &WorkspaceId, key: &str, value: &str) -> Result<()> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare_cached(
            "INSERT INTO state (workspace, key, value) VALUES (?1, ?2, ?3)
             ON CONFLICT (workspace, key) DO UPDATE SET value = excluded.value",
        )?;
        stmt.execute(params![workspace.as_str(), key, value])?;
        Ok(())
    }

    fn incr_counter(&self, workspace: &WorkspaceId, key: &str, by: i64) -> Result<i64> {
        let conn = self.conn()?;
        let v: i64 = conn.query_row(
            "INSERT INTO state (workspace, key, value) VALUES (?1, ?2, ?3)
             ON CONFLICT (workspace, key) DO UPDATE SET value = CAST(CAST(value AS INTEGER) + ?3 AS TEXT)
             RETURNING CAST(value AS INTEGER)",
            params![workspace.as_str(), key, by],
            |r| r.get(0),
        )?;
        Ok(v)
    }

    fn workspaces(&self) -> Result<Vec<WorkspaceId>> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare(
            "SELECT workspace FROM events UNION SELECT workspace FROM corrections
             UNION SELECT workspace FROM skills ORDER BY 1",
        )?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
        let mut out = Vec::new();
        for w in rows {
            out.push(WorkspaceId::new(w?)?);
        }
        Ok(out)
    }

    fn stats(&self, workspace: &WorkspaceId) -> Result<StoreStats> {
        let conn = self.conn()?;
        // `at` is always written by `to_rfc3339` of a UTC time (`+00:00`, 0/3/6/9
        // fractional digits), whose text order is its time order: MAX works.
        let (sessions, events, last): (i64, i64, Option<String>) = conn.query_row(
            "SELECT COUNT(DISTINCT session), COUNT(*), MAX(at) FROM events WHERE workspace = ?1",
            params![workspace.as_str()],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )?;
        let last_event_at = match last {
            Some(at) => Some(
                chrono::DateTime::parse_from_rfc3339(&at)
                    .map_err(|e| Error::Storage(format!("corrupt timestamp {at:?}: {e}")))?
                    .with_timezone(&chrono::Utc),
            ),
            None => None,
        };
        Ok(StoreStats {
            sessions: sessions.max(0) as u64,
            events: events.max(0) as u64,
            last_event_at,
        })
    }

    fn events_after(
        &self,
        workspace: &WorkspaceId,
        after: i64,
        limit: usize,
    ) -> Result<Vec<Positioned<Event>>> {
        let conn = self.conn()?;
        // One range of `events_by_workspace` (workspace, rowid).
        let mut stmt = conn.prepare_cached(
            "SELECT rowid, session, id, agent, seq, at, data FROM events INDEXED BY events_by_workspace
             WHERE workspace = ?2 AND rowid > ?1 ORDER BY rowid LIMIT ?3",
        )?;
        let rows = stmt.query_map(
            params![after, workspace.as_str(), clamp_limit(limit)],
            |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    row_to_parts_at(r, 2)?,
                ))
            },
        )?;
        let mut out = Vec::new();
        for row in rows {
            let (pos, session, parts) = row?;
            let session = SessionId::new(session)?;
            let mut events = collect_events(std::iter::once(Ok(parts)), workspace, &session)?;
            if let Some(e) = events.pop() {
                out.push((pos, e));
            }
        }
        Ok(out)
    }

    fn corrections_after(
        &self,
        workspace: &WorkspaceId,
        after: i64,
        limit: usize,
    ) -> Result<Vec<Positioned<Correction>>> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare_cached(
            "SELECT pos, data FROM corrections INDEXED BY corrections_by_workspace_pos
             WHERE workspace = ?2 AND pos > ?1 ORDER BY pos LIMIT ?3",
        )?;
        let rows = stmt.query_map(
            params![after, workspace.as_str(), clamp_limit(limit)],
            |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)),
        )?;
        let mut out = Vec::new();
        for row in rows {
            let (pos, data) = row?;
            let c: Correction = serde_json::from_str(&data)
                .map_err(|e| Error::Storage(format!("corrupt correction row: {e}")))?;
            out.push((pos, c));
        }
        Ok(out)
    }

    fn skills_after(
        &self,
        workspace: &WorkspaceId,
        after: i64,
        limit: usize,
    ) -> Result<Vec<Positioned<Skill>>> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare_cached(
            "SELECT rowid, data FROM skills
             WHERE rowid > ?1 AND workspace = ?2 ORDER BY rowid LIMIT ?3",
        )?;
        let rows = stmt.query_map(
            params![after, workspace.as_str(), clamp_limit(limit)],
            |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)),
        )?;
        let mut out = Vec::new();
        for row in rows {
            let (pos, data) = row?;
            let s: Skill = serde_json::from_str(&data)
                .map_err(|e| Error::Storage(format!("corrupt skill row: {e}")))?;
            out.push((pos, s));
        }
        Ok(out)
    }
}

fn clamp_limit(limit: usize) -> i64 {
    i64::try_from(limit).unwrap_or(i64::MAX)
}

type Parts = (String, String, i64, String, String);

fn row_to_parts(r: &rusqlite::Row<'_>) -> rusqlite::Result<Parts> {
    row_to_parts_at(r, 0)
}

/// `id, agent, seq, at, data` starting at column `i`.
fn row_to_parts_at(r: &rusqlite::Row<'_>, i: usize) -> rusqlite::Result<Parts> {
    Ok((
        r.get(i)?,
        r.get(i + 1)?,
        r.get(i + 2)?,
        r.get(i + 3)?,
        r.get(i + 4)?,
    ))
}

fn collect_events(
    rows: impl Iterator<Item = rusqlite::Result<Parts>>,
    workspace: &WorkspaceId,
    session: &SessionId,
) -> Result<Vec<Event>> {
    let mut out = Vec::new();
    for row in rows {
        let (id, agent, seq, at, data) = row?;
        let kind: EventKind = serde_json::from_str(&data)
            .map_err(|e| Error::Storage(format!("corrupt event row {id}: {e}")))?;
        out.push(Event {
            id: crate::model::EventId::new(id)?,
            workspace: workspace.clone(),
            session: session.clone(),
            // Stored names are read back leniently: a row must never become unreadable.
            agent: agent.parse().unwrap_or(Agent::Custom(agent)),
            seq: seq as u64,
            at: chrono::DateTime::parse_from_rfc3339(&at)
                .map_err(|e| Error::Storage(format!("corrupt timestamp {at:?}: {e}")))?
                .with_timezone(&chrono::Utc),
            kind,
        });
    }
    Ok(out)
}
