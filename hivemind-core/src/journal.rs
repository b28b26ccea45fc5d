//! The hook hot path: per-session state files and append-only journals.
//!
//! Capture-only hooks (PreToolUse, PostToolUse, ...) do not open SQLite: they append
//! their (already redacted) events and corrections as JSON lines to the session's
//! journal and update the session's state file, under a per-session lock. The next hook
//! that opens the store (SessionStart, UserPromptSubmit, Stop, SessionEnd) — or
//! `skillify run`, `corrections list`, ... through [`fold_all`] — folds the journal into
//! the store in one transaction and truncates it. Ids are fixed when journaled, so a
//! fold interrupted between the commit and the truncation is replayed without
//! duplicates: nothing captured is lost if a process dies.

use crate::error::{Error, Result};
use crate::hook::SessionState;
use crate::model::{Correction, Event, SessionId, WorkspaceId};
use crate::store::Store;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

/// One journaled record.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "t", content = "v", rename_all = "snake_case")]
pub enum JournalEntry {
    /// A captured event.
    Event(Box<Event>),
    /// A detected correction.
    Correction(Box<Correction>),
}

/// Where session files live: `HIVEMIND_HOME/sessions`.
#[derive(Debug, Clone)]
pub struct SessionFiles {
    dir: PathBuf,
}

/// A locked session: its state, and its journal for appending.
#[derive(Debug)]
pub struct SessionLock {
    _lock: File,
    state_path: PathBuf,
    journal_path: PathBuf,
    /// The session's hook state.
    pub state: SessionState,
}

fn file_key(ws: &WorkspaceId, session: &SessionId) -> String {
    let mut h = Sha256::new();
    h.update(ws.as_str());
    h.update([0u8]);
    h.update(session.as_str());
    format!("{:x}", h.finalize())[..32].to_string()
}

impl SessionFiles {
    /// Session files under `home/sessions`.
    pub fn new(home: &Path) -> Self {
        SessionFiles {
            dir: home.join("sessions"),
        }
    }

    /// Locks the session (waits for other hooks of the same session) and loads its state.
    pub fn lock(&self, ws: &WorkspaceId, session: &SessionId) -> Result<SessionLock> {
        std::fs::create_dir_all(&self.dir).map_err(|e| Error::io(&self.dir, e))?;
        let key = file_key(ws, session);
        let lock_path = self.dir.join(format!("{key}.lock"));
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| Error::io(&lock_path, e))?;
        lock.lock().map_err(|e| Error::io(&lock_path, e))?;
        let state_path = self.dir.join(format!("{key}.state.json"));
        let state = match std::fs::read_to_string(&state_path) {
            Ok(text) => serde_json::from_str(&text).unwrap_or_else(|e| {
                tracing::warn!(
                    "session state {} unreadable ({e}); starting afresh",
                    state_path.display()
                );
                SessionState::default()
            }),
            Err(_) => SessionState::default(),
        };
        Ok(SessionLock {
            _lock: lock,
            state_path,
            journal_path: self.dir.join(format!("{key}.journal.jsonl")),
            state,
        })
    }
}

impl SessionLock {
    /// Appends entries to the journal (one `write` of whole lines).
    pub fn append(&self, entries: &[JournalEntry]) -> Result<()> {
        if entries.is_empty() {
            return Ok(());
        }
        let mut buf = Vec::new();
        // A process killed mid-write can leave a partial last line: start on a fresh
        // line so this entry is not glued to it (the partial line is dropped at fold).
        let ends_cleanly = match std::fs::File::open(&self.journal_path) {
            Ok(mut f) => {
                use std::io::{Read, Seek, SeekFrom};
                let len = f.metadata().map(|m| m.len()).unwrap_or(0);
                let mut last = [b'\n'];
                len == 0
                    || (f.seek(SeekFrom::Start(len - 1)).is_ok()
                        && f.read_exact(&mut last).is_ok()
                        && last[0] == b'\n')
            }
            Err(_) => true,
        };
        if !ends_cleanly {
            buf.push(b'\n');
        }
        for e in entries {
            serde_json::to_writer(&mut buf, e)?;
            buf.push(b'\n');
        }
        let mut f = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.journal_path)
            .map_err(|e| Error::io(&self.journal_path, e))?;
        f.write_all(&buf)
            .map_err(|e| Error::io(&self.journal_path, e))
    }

    /// Folds the journal into `store` and empties it. Returns the number of entries.
    pub fn fold(&self, store: &dyn Store) -> Result<usize> {
        fold_file(&self.journal_path, store)
    }

    /// Saves the state (atomically). The lock is released when `self` is dropped.
    pub fn save(&self) -> Result<()> {
        crate::skills::install::write_atomic_fast(
            &self.state_path,
            serde_json::to_string(&self.state)?.as_bytes(),
        )
    }
}

fn fold_file(path: &Path, store: &dyn Store) -> Result<usize> {
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(Error::io(path, e)),
    };
    let mut events = Vec::new();
    let mut corrections = Vec::new();
    for (i, line) in BufReader::new(file).split(b'\n').enumerate() {
        let line = line.map_err(|e| Error::io(path, e))?;
        if line.is_empty() {
            continue;
        }
        match serde_json::from_slice::<JournalEntry>(&line) {
            Ok(JournalEntry::Event(e)) => events.push(*e),
            Ok(JournalEntry::Correction(c)) => corrections.push(*c),
            Err(e) => tracing::warn!(
                "{}:{}: unreadable journal line dropped: {e}",
                path.display(),
                i + 1
            ),
        }
    }
    let n = events.len() + corrections.len();
    store.append_events(&events)?;
    for c in &corrections {
        store.insert_correction(c)?;
    }
    let f = OpenOptions::new()
        .write(true)
        .open(path)
        .map_err(|e| Error::io(path, e))?;
    f.set_len(0).map_err(|e| Error::io(path, e))?;
    Ok(n)
}

/// Folds every session journal under `home` (used by commands that read the store).
pub fn fold_all(home: &Path, store: &dyn Store) -> Result<usize> {
    let dir = home.join("sessions");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Ok(0);
    };
    let mut n = 0;
    for entry in entries.flatten() {
        let path = entry.path();
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        let Some(key) = name.strip_suffix(".journal.jsonl") else {
            continue;
        };
        if entry.metadata().map(|m| m.len()).unwrap_or(0) == 0 {
            continue;
        }
        let lock_path = dir.join(format!("{key}.lock"));
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| Error::io(&lock_path, e))?;
        lock.lock().map_err(|e| Error::io(&lock_path, e))?;
        n += fold_file(&path, store)?;
    }
    Ok(n)
}
