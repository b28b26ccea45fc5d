//! `hivemind import`: Claude Code transcripts and Codex rollouts, auto-detected,
//! streamed, idempotent, with corrections detected along the way.
//!
//! Ids derive from the source (line uuids, line numbers), so importing the same file
//! twice adds nothing. Detection over a transcript uses the same detectors as the hooks,
//! over a bounded window of the session (the events since the last prompt).

use crate::capture::sanitize_event;
use crate::detect::SessionDetector;
use crate::error::{Error, Result};
use crate::ingest::claude_transcript::ClaudeTranscriptReader;
use crate::ingest::codex_rollout::CodexRolloutReader;
use crate::ingest::{detect_format, IngestItem, TranscriptFormat};
use crate::model::{Correction, Event, SessionId, WorkspaceId};
use crate::store::Store;
use serde::Serialize;
use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

/// Totals of an import.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct ImportStats {
    /// Files read.
    pub files: usize,
    /// Files that were not transcripts.
    pub unrecognized_files: usize,
    /// Distinct sessions seen.
    pub sessions: usize,
    /// Events newly stored.
    pub events: usize,
    /// Events already present (earlier import).
    pub duplicate_events: usize,
    /// Lines skipped (not JSON, unknown shape).
    pub skipped_lines: usize,
    /// Corrections newly detected.
    pub corrections: usize,
}

/// All `.jsonl` files under `paths` (files are taken as given), sorted.
pub fn collect_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for p in paths {
        let meta = std::fs::metadata(p).map_err(|e| Error::io(p, e))?;
        if meta.is_dir() {
            walk(p, &mut out)?;
        } else {
            out.push(p.clone());
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    for entry in std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))? {
        let entry = entry.map_err(|e| Error::io(dir, e))?;
        let path = entry.path();
        let ft = entry.file_type().map_err(|e| Error::io(&path, e))?;
        if ft.is_dir() {
            walk(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "jsonl") {
            out.push(path);
        }
    }
    Ok(())
}

/// Events written per transaction: each commit may checkpoint the WAL (fsyncs), so
/// few, large transactions, bounded in events and in bytes of transcript read (what a
/// batch holds in memory).
const BATCH: usize = 5000;
/// See [`BATCH`].
const BATCH_BYTES: u64 = 8 << 20;

/// Imports one file into `store` under `workspace`. `on_bytes` is called with the
/// number of bytes consumed so far (for progress bars).
pub fn import_file(
    store: &dyn Store,
    workspace: &WorkspaceId,
    path: &Path,
    max_bytes: usize,
    on_bytes: &mut dyn FnMut(u64),
) -> Result<ImportStats> {
    let mut stats = ImportStats {
        files: 1,
        ..Default::default()
    };
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let read_bytes = std::rc::Rc::new(std::cell::Cell::new(0u64));
    let file = CountingRead {
        inner: file,
        count: read_bytes.clone(),
    };
    let mut reader = BufReader::with_capacity(256 * 1024, file);
    let head: Vec<String> = {
        let buf = reader.fill_buf().map_err(|e| Error::io(path, e))?;
        String::from_utf8_lossy(buf)
            .lines()
            .take(30)
            .map(str::to_string)
            .collect()
    };
    let Some(format) = detect_format(head.iter().map(String::as_str)) else {
        stats.unrecognized_files = 1;
        return Ok(stats);
    };
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let fallback =
        SessionId::new(sanitize_session(&stem)).unwrap_or_else(|_| SessionId::trusted("imported"));
    let items: Box<dyn Iterator<Item = IngestItem>> = match format {
        TranscriptFormat::ClaudeCode => {
            Box::new(ClaudeTranscriptReader::new(reader, workspace.clone(), fallback, 0).finished())
        }
        TranscriptFormat::CodexRollout => {
            Box::new(CodexRolloutReader::new(reader, workspace.clone(), fallback))
        }
    };
    // Two stages on two threads: this one reads, redacts and detects; a writer stores
    // the batches (SQLite commits and their fsyncs) meanwhile. At most one batch waits
    // between them, so memory stays bounded.
    let (to_writer, batches) = std::sync::mpsc::sync_channel::<(Vec<Event>, Vec<Correction>)>(1);
    std::thread::scope(|scope| {
        let writer = scope.spawn(move || -> Result<ImportStats> {
            let mut written = ImportStats::default();
            for (mut events, mut corrections) in batches {
                flush(store, &mut events, &mut corrections, &mut written)?;
            }
            Ok(written)
        });
        let mut sessions: BTreeSet<SessionId> = BTreeSet::new();
        let mut batch: Vec<Event> = Vec::with_capacity(BATCH);
        let mut flushed_at = 0u64;
        let mut detector = SessionDetector::default();
        let mut corrections: Vec<Correction> = Vec::new();
        let mut writer_gone = false;
        for item in items {
            match item {
                IngestItem::Skipped { line, reason } => {
                    tracing::warn!("{}:{line}: skipped: {reason}", path.display());
                    stats.skipped_lines += 1;
                }
                IngestItem::Event(mut e) => {
                    sanitize_event(&mut e, max_bytes);
                    if !sessions.contains(&e.session) {
                        sessions.insert(e.session.clone());
                    }
                    corrections.extend(detector.on_event(&e));
                    batch.push(*e);
                    if batch.len() >= BATCH || read_bytes.get() - flushed_at >= BATCH_BYTES {
                        let full = (
                            std::mem::replace(&mut batch, Vec::with_capacity(BATCH)),
                            std::mem::take(&mut corrections),
                        );
                        if to_writer.send(full).is_err() {
                            // The writer failed: its error is returned below.
                            writer_gone = true;
                            break;
                        }
                        flushed_at = read_bytes.get();
                        on_bytes(flushed_at);
                    }
                }
            }
        }
        if !writer_gone {
            corrections.extend(detector.finish());
            // A failed send means the writer failed; its error is returned below.
            let _ = to_writer.send((batch, corrections));
        }
        drop(to_writer);
        let written = writer
            .join()
            .map_err(|_| Error::Storage("the import writer panicked".into()))??;
        stats.events = written.events;
        stats.duplicate_events = written.duplicate_events;
        stats.corrections = written.corrections;
        stats.sessions = sessions.len();
        on_bytes(read_bytes.get());
        Ok(stats)
    })
}

/// Counts the bytes read from a file (for `on_bytes`: read-ahead included).
struct CountingRead<R> {
    inner: R,
    count: std::rc::Rc<std::cell::Cell<u64>>,
}

impl<R: std::io::Read> std::io::Read for CountingRead<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.set(self.count.get() + n as u64);
        Ok(n)
    }
}

fn sanitize_session(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

fn flush(
    store: &dyn Store,
    batch: &mut Vec<Event>,
    corrections: &mut Vec<Correction>,
    stats: &mut ImportStats,
) -> Result<()> {
    let added = store.append_events(batch)?;
    stats.events += added;
    stats.duplicate_events += batch.len() - added;
    batch.clear();
    for c in corrections.drain(..) {
        if store.insert_correction(&c)? {
            stats.corrections += 1;
        }
    }
    Ok(())
}
