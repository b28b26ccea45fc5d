//! User edits: files the agent wrote that the user changed between turns.
//!
//! When the agent writes a file, its content hash (and, for small text files, the
//! content) is remembered per session. At the next hook that can see the disk
//! (UserPromptSubmit, Stop, SessionEnd) the file is compared with what is on disk: a
//! difference the agent did not make is the user's. Large or binary files are hashed
//! only (bounded work); the tracker itself is bounded to [`MAX_TRACKED`] files.

use crate::model::EventId;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::Path;

/// Files tracked per session at most (oldest dropped first).
pub const MAX_TRACKED: usize = 64;
/// Content kept for diffs up to this size; larger files are hashed only.
pub const MAX_CONTENT_BYTES: u64 = 256 * 1024;
/// Files larger than this are fingerprinted by size and modification time only.
pub const MAX_HASH_BYTES: u64 = 8 * 1024 * 1024;

/// What we remember about one file the agent wrote.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrackedFile {
    /// SHA-256 of the content (or a size/mtime fingerprint for huge files).
    pub hash: String,
    /// The content, for small text files.
    pub content: Option<String>,
    /// Order of recording (for eviction).
    pub tick: u64,
    /// The event in which the agent wrote it last (a tool call or result), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<EventId>,
}

/// A user edit found on disk.
#[derive(Debug, Clone, PartialEq)]
pub struct UserEdit {
    /// The file.
    pub path: String,
    /// What the agent left (when known).
    pub before: Option<String>,
    /// What is on disk now (when small text).
    pub after: Option<String>,
    /// The event in which the agent wrote what the user changed, when known.
    pub agent_event: Option<EventId>,
}

/// The per-session set of agent-written files.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FileTracker {
    files: BTreeMap<String, TrackedFile>,
    tick: u64,
}

struct Snapshot {
    hash: String,
    content: Option<String>,
}

fn snapshot(path: &Path) -> Option<Snapshot> {
    let meta = std::fs::metadata(path).ok()?;
    if !meta.is_file() {
        return None;
    }
    if meta.len() > MAX_HASH_BYTES {
        let mtime = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos());
        return Some(Snapshot {
            hash: format!("size:{}:mtime:{mtime}", meta.len()),
            content: None,
        });
    }
    let bytes = std::fs::read(path).ok()?;
    let hash = format!("{:x}", Sha256::digest(&bytes));
    let binary = bytes.iter().take(8192).any(|b| *b == 0);
    let content = if !binary && (bytes.len() as u64) <= MAX_CONTENT_BYTES {
        String::from_utf8(bytes).ok()
    } else {
        None
    };
    Some(Snapshot { hash, content })
}

impl FileTracker {
    /// Is nothing tracked?
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// Tracked paths.
    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.files.keys().map(String::as_str)
    }

    /// The content the agent left in `path`, when known.
    pub fn content(&self, path: &str) -> Option<&str> {
        self.files.get(path).and_then(|f| f.content.as_deref())
    }

    /// Records the current disk state of `path` as written by the agent, in `event`
    /// (`None` keeps the event recorded before, if any).
    pub fn record(&mut self, path: &str, event: Option<EventId>) {
        let Some(snap) = snapshot(Path::new(path)) else {
            self.files.remove(path);
            return;
        };
        self.tick += 1;
        let event = event.or_else(|| self.files.get(path).and_then(|f| f.event.clone()));
        self.files.insert(
            path.to_string(),
            TrackedFile {
                hash: snap.hash,
                content: snap.content,
                tick: self.tick,
                event,
            },
        );
        while self.files.len() > MAX_TRACKED {
            let oldest = self
                .files
                .iter()
                .min_by_key(|(_, f)| f.tick)
                .map(|(k, _)| k.clone());
            match oldest {
                Some(k) => {
                    self.files.remove(&k);
                }
                None => break,
            }
        }
    }

    /// Re-reads tracked files after the agent itself may have changed them (a shell
    /// command): no user edit is reported, the new state is the agent's.
    pub fn refresh_all(&mut self) {
        let paths: Vec<String> = self.files.keys().cloned().collect();
        for p in paths {
            self.record(&p, None);
        }
    }

    /// Compares every tracked file with the disk; returns the ones that changed and
    /// records their new state (so each edit is reported once).
    pub fn check(&mut self) -> Vec<UserEdit> {
        let mut out = Vec::new();
        let paths: Vec<String> = self.files.keys().cloned().collect();
        for p in paths {
            let Some(snap) = snapshot(Path::new(&p)) else {
                continue;
            };
            let Some(old) = self.files.get_mut(&p) else {
                continue;
            };
            if snap.hash != old.hash {
                out.push(UserEdit {
                    path: p.clone(),
                    before: old.content.clone(),
                    after: snap.content.clone(),
                    agent_event: old.event.clone(),
                });
                old.hash = snap.hash;
                old.content = snap.content;
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_user_edits_once_and_ignores_agent_rewrites() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("a.py");
        let p = f.to_str().unwrap().to_string();
        std::fs::write(&f, "x = 1\n").unwrap();
        let mut t = FileTracker::default();
        let write = EventId::generate();
        t.record(&p, Some(write.clone()));
        assert!(t.check().is_empty());
        std::fs::write(&f, "x = 2\n").unwrap();
        let edits = t.check();
        assert_eq!(edits.len(), 1);
        assert_eq!(edits[0].before.as_deref(), Some("x = 1\n"));
        assert_eq!(edits[0].after.as_deref(), Some("x = 2\n"));
        assert_eq!(
            edits[0].agent_event.as_ref(),
            Some(&write),
            "links the agent's write"
        );
        assert!(t.check().is_empty(), "reported once");
        std::fs::write(&f, "x = 3\n").unwrap();
        t.record(&p, None); // the agent wrote it (a shell command: no event of its own)
        assert!(t.check().is_empty());
        std::fs::write(&f, "x = 4\n").unwrap();
        assert_eq!(t.check()[0].agent_event.as_ref(), Some(&write), "kept");
    }

    #[test]
    fn binary_files_are_hashed_only_and_tracker_is_bounded() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("b.bin");
        std::fs::write(&f, [0u8, 1, 2, 3]).unwrap();
        let mut t = FileTracker::default();
        t.record(f.to_str().unwrap(), None);
        assert_eq!(t.content(f.to_str().unwrap()), None);
        for i in 0..(MAX_TRACKED + 5) {
            let g = dir.path().join(format!("f{i}.txt"));
            std::fs::write(&g, "x").unwrap();
            t.record(g.to_str().unwrap(), None);
        }
        assert_eq!(t.paths().count(), MAX_TRACKED);
    }
}
