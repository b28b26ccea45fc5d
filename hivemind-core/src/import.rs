//! `hivemind import`: Claude Code transcripts and Codex rollouts, auto-detected,
//! streamed, idempotent, with corrections detected along the way.
//!
//! Ids derive from the source (line uuids, line numbers), so importing the same file
//! twice adds nothing. Detection over a transcript uses the same detectors as the hooks,
//! over a bounded window of the session (the events since the last prompt).

use crate::capture::sanitize_event;
use crate::detect::{self, followup, modified, rejection};
use crate::error::{Error, Result};
use crate::ingest::claude_transcript::ClaudeTranscriptReader;
use crate::ingest::codex_rollout::CodexRolloutReader;
use crate::ingest::{detect_format, IngestItem, TranscriptFormat};
use crate::model::{
    Correction, CorrectionId, CorrectionKind, Event, EventKind, SessionId, Target, WorkspaceId,
};
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
        let mut detector = StreamDetector::default();
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

/// Detection over a streamed session: the same detectors as the hooks.
#[derive(Debug, Default)]
struct StreamDetector {
    window: Vec<Event>,
    /// A follow-up or rejection waiting for what the agent did next.
    pending: Vec<Correction>,
    /// Silent rejections / aborted turns waiting for the next prompt as their reason.
    awaiting_reason: Vec<Correction>,
    lexicon: followup::CueLexicon,
    weights: followup::FollowupWeights,
}

fn derived_id(source: &Event, kind: CorrectionKind) -> CorrectionId {
    CorrectionId::derived(&format!("correction:{}:{}", source.id, kind))
}

impl StreamDetector {
    fn on_event(&mut self, e: &Event) -> Vec<Correction> {
        let mut out = Vec::new();
        if self.window.first().is_some_and(|f| f.session != e.session) {
            out.extend(self.finish());
        }
        match &e.kind {
            EventKind::Prompt { text } => {
                out.extend(self.settle());
                if !self.awaiting_reason.is_empty() {
                    // The prompt is their reason; what the agent does next is what the
                    // user accepted instead (settled at the next prompt or at the end).
                    for mut c in self.awaiting_reason.drain(..) {
                        c.reason = Some(text.clone());
                        self.pending.push(c);
                    }
                } else if let Some((target, produced, source)) = self
                    .has_cue(text)
                    .then(|| detect::last_agent_output(&self.window))
                    .flatten()
                {
                    let all = detect::agent_text(&self.window);
                    let score = followup::classify(text, &all, &self.lexicon, &self.weights);
                    if score.is_correction {
                        if let Ok(mut c) = Correction::new(
                            e.workspace.clone(),
                            e.session.clone(),
                            CorrectionKind::Followup,
                            target,
                            produced,
                            None,
                            Some(text.clone()),
                            (0.5 + score.score / 10.0).clamp(0.5, 0.99),
                        ) {
                            c.id = derived_id(e, CorrectionKind::Followup);
                            c.created_at = e.at;
                            c.source_events = vec![source.id.clone(), e.id.clone()];
                            self.pending.push(c);
                        }
                    }
                }
                self.window.clear();
            }
            EventKind::ToolResult {
                tool,
                output,
                is_error,
                call_id,
            } => {
                let call = call_id.as_ref().and_then(|id| {
                    self.window.iter().rev().find(|w| matches!(&w.kind, EventKind::ToolCall { call_id: Some(c), .. } if c == id))
                });
                if let Some(EventKind::ToolCall { input, .. }) = call.map(|c| &c.kind) {
                    if let Some((path, produced, accepted)) =
                        modified::modified_proposal(tool, input, output)
                    {
                        if let Ok(mut c) = Correction::new(
                            e.workspace.clone(),
                            e.session.clone(),
                            CorrectionKind::Modified,
                            Target::File(path),
                            produced,
                            Some(accepted),
                            None,
                            0.95,
                        ) {
                            c.id = derived_id(e, CorrectionKind::Modified);
                            c.created_at = e.at;
                            out.push(c);
                        }
                    }
                    if let Some(feedback) = rejection::rejection_of(output, *is_error) {
                        let target = match detect::written_file(tool, input) {
                            Some(p) => Target::File(p),
                            None => Target::Tool(tool.clone()),
                        };
                        let silent = feedback.is_empty();
                        let call_event = call.map(|c| c.id.clone());
                        if let Ok(mut c) = Correction::new(
                            e.workspace.clone(),
                            e.session.clone(),
                            CorrectionKind::Rejection,
                            target,
                            detect::tool_output_text(tool, input),
                            None,
                            (!silent).then_some(feedback),
                            if silent { 0.8 } else { 0.95 },
                        ) {
                            c.id = derived_id(e, CorrectionKind::Rejection);
                            c.source_events =
                                call_event.into_iter().chain([e.id.clone()]).collect();
                            c.created_at = e.at;
                            if silent {
                                self.awaiting_reason.push(c);
                            } else {
                                self.pending.push(c);
                            }
                        }
                    }
                }
            }
            EventKind::Interrupt { .. } if e.agent == crate::model::Agent::Codex => {
                // An aborted Codex turn: the agent's last output, corrected by the next prompt.
                if let Some((target, produced, _)) = detect::last_agent_output(&self.window) {
                    if let Ok(mut c) = Correction::new(
                        e.workspace.clone(),
                        e.session.clone(),
                        CorrectionKind::Rejection,
                        target,
                        produced,
                        None,
                        None,
                        0.7,
                    ) {
                        c.id = derived_id(e, CorrectionKind::Rejection);
                        c.created_at = e.at;
                        self.awaiting_reason.push(c);
                    }
                }
            }
            _ => {}
        }
        if self.window.len() < 2000 {
            // Detection never reads a tool result's output back from the window (calls
            // and responses are what it looks at): keep results without it rather than
            // copying every output.
            let kept = match &e.kind {
                EventKind::ToolResult {
                    tool,
                    call_id,
                    is_error,
                    ..
                } => Event {
                    kind: EventKind::ToolResult {
                        tool: tool.clone(),
                        call_id: call_id.clone(),
                        output: serde_json::Value::Null,
                        is_error: *is_error,
                    },
                    id: e.id.clone(),
                    workspace: e.workspace.clone(),
                    session: e.session.clone(),
                    agent: e.agent.clone(),
                    seq: e.seq,
                    at: e.at,
                },
                _ => e.clone(),
            };
            self.window.push(kept);
        }
        out
    }

    /// Can `prompt` be a follow-up correction at all? The classifier needs a correction
    /// cue, and cues depend on the prompt alone: prompts without one skip building and
    /// scanning the agent's whole turn (the costly part), with the same verdicts.
    fn has_cue(&self, prompt: &str) -> bool {
        followup::classify(prompt, "-", &self.lexicon, &self.weights).has_cue
    }

    /// Fills `accepted` of pending corrections from what the agent did after them.
    fn settle(&mut self) -> Vec<Correction> {
        let mut out = Vec::new();
        for mut c in self.pending.drain(..) {
            let start = c
                .source_events
                .first()
                .and_then(|id| self.window.iter().position(|w| &w.id == id))
                .map_or(0, |i| i + 1);
            let accepted = self.window[start..].iter().find_map(|w| match &w.kind {
                EventKind::ToolCall { tool, input, .. } => {
                    let same = match &c.target {
                        Target::File(p) => {
                            detect::written_file(tool, input).as_deref() == Some(p.as_str())
                        }
                        Target::Tool(t) => t == tool,
                        Target::Response => false,
                    };
                    same.then(|| detect::tool_output_text(tool, input))
                }
                _ => None,
            });
            if let Some(a) = accepted.filter(|a| *a != c.produced) {
                c.set_accepted(a);
            }
            out.push(c);
        }
        out
    }

    fn finish(&mut self) -> Vec<Correction> {
        let mut out = self.settle();
        out.append(&mut self.awaiting_reason);
        self.window.clear();
        out
    }
}
