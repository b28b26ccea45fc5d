//! Hook processing: one hook call of a host agent, from payload to stored events,
//! detected corrections and the context to inject.
//!
//! Everything a hook remembers between calls of a session (files the agent wrote, how
//! far the transcript was read, what was already injected, the last prompt) lives in one
//! [`SessionState`] file per session, read and written under a per-session lock.

use crate::config::Config;
use crate::detect::{self, followup, modified, rejection, user_edit::FileTracker};
use crate::error::{Error, Result};
use crate::ingest::claude_transcript::ClaudeTranscriptReader;
use crate::ingest::hook::{HookEvent, HookInput};
use crate::ingest::IngestItem;
use crate::journal::{JournalEntry, SessionFiles};
use crate::model::{
    Agent, Correction, CorrectionId, CorrectionKind, Event, EventKind, SessionId, Target,
    WorkspaceId,
};
use crate::skills::select::{self, Selection};
use crate::store::Store;
use serde::{Deserialize, Serialize};
use std::io::{BufReader, Seek, SeekFrom};
use std::path::{Path, PathBuf};

/// Per-session memory of the hook, kept in the session's state file
/// (see [`crate::journal`]).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SessionState {
    /// Files the agent wrote.
    #[serde(default)]
    pub files: FileTracker,
    /// Bytes of the transcript already read.
    #[serde(default)]
    pub transcript_offset: u64,
    /// Skills already injected in this session.
    #[serde(default)]
    pub injected: Vec<String>,
    /// `seq` of the last prompt event.
    #[serde(default)]
    pub last_prompt_seq: u64,
    /// A follow-up correction waiting for what the agent does next.
    #[serde(default)]
    pub pending_followup: Option<CorrectionId>,
    /// A silent rejection waiting for the next prompt as its reason.
    #[serde(default)]
    pub pending_rejections: Vec<CorrectionId>,
    /// Stop events seen.
    #[serde(default)]
    pub turns: u32,
}

/// What a hook call asks the host to do.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HookOutcome {
    /// Context to inject, when there is any.
    pub context: Option<String>,
    /// Corrections detected by this call.
    pub corrections: usize,
    /// The caller should start background mining now.
    pub start_skillify: bool,
}

/// Processes hook calls against a store.
#[derive(Debug)]
pub struct HookProcessor<'a> {
    store: &'a dyn Store,
    files: SessionFiles,
    config: &'a Config,
    lexicon: followup::CueLexicon,
    weights: followup::FollowupWeights,
}

impl<'a> HookProcessor<'a> {
    /// A processor over `store` with `config`.
    pub fn new(store: &'a dyn Store, config: &'a Config) -> Self {
        HookProcessor {
            store,
            files: SessionFiles::new(&config.home),
            config,
            lexicon: followup::CueLexicon::english(),
            weights: followup::FollowupWeights::default(),
        }
    }

    /// The workspace a hook call belongs to.
    pub fn workspace_of(&self, input: &HookInput) -> WorkspaceId {
        let cwd = input
            .cwd
            .clone()
            .or_else(|| std::env::current_dir().ok())
            .unwrap_or_else(|| PathBuf::from("."));
        self.config.workspace_for(&cwd)
    }

    /// Handles one hook call. Capture-only events (tool use, responses) go to the
    /// session journal without touching the store; the others fold the journal first.
    pub fn handle(&self, input: &HookInput) -> Result<HookOutcome> {
        let ws = self.workspace_of(input);
        let session = SessionId::new(input.session_id.clone())?;
        let mut lock = self.files.lock(&ws, &session)?;
        let cx = Cx {
            ws: &ws,
            session: &session,
            agent: &input.agent,
            project: input.cwd.as_deref(),
        };
        let mut out = HookOutcome::default();
        let mut journal: Vec<JournalEntry> = Vec::new();
        let needs_store = matches!(
            input.event,
            HookEvent::SessionStart { .. }
                | HookEvent::PromptSubmit { .. }
                | HookEvent::Stop { .. }
                | HookEvent::SessionEnd { .. }
        );
        if needs_store {
            lock.fold(self.store)?;
        }
        let state = &mut lock.state;
        match &input.event {
            HookEvent::SessionStart { source } => {
                self.append(
                    &cx,
                    EventKind::SessionStart {
                        source: source.clone(),
                        cwd: input.cwd.as_ref().map(|p| p.display().to_string()),
                    },
                )?;
                crate::report::note_session_started(self.store, &ws)?;
                let sel = select::session_start(
                    self.store,
                    &ws,
                    self.budget(&input.agent),
                    &state.injected,
                )?;
                out.context = self.take(&cx, sel, state)?;
            }
            HookEvent::PromptSubmit { prompt } => {
                // Built first so that the corrections it explains can link to it; stored
                // after them, so that the window below ends before it.
                let prompt_event = self.event(
                    &cx,
                    EventKind::Prompt {
                        text: prompt.clone(),
                    },
                );
                let said = Said {
                    text: prompt,
                    event: &prompt_event.id,
                };
                let edits = self.check_user_edits(&cx, state, Some(said))?;
                out.corrections += edits.found;
                let window =
                    self.store
                        .session_events(&ws, &session, state.last_prompt_seq, Some(500))?;
                // A prompt that explains the user's own edit is that edit's reason, not also
                // a correction of the same file (which the user already fixed); it still
                // corrects other work of the agent's it names.
                out.corrections += self.on_prompt(&cx, state, said, &window, &edits.explained)?;
                self.store
                    .append_events(std::slice::from_ref(&prompt_event))?;
                state.last_prompt_seq = self
                    .store
                    .last_events(&ws, &session, 1)?
                    .first()
                    .map_or(0, |e| e.seq);
                // Cursor shows hook context only at session start: nothing selected here
                // is delivered, so nothing is recorded as injected.
                if input.agent != Agent::Cursor {
                    let touched = touched_terms(&window);
                    let sel = select::for_prompt(
                        self.store,
                        &ws,
                        prompt,
                        &touched,
                        self.budget(&input.agent),
                        &state.injected,
                    )?;
                    out.context = self.take(&cx, sel, state)?;
                }
            }
            HookEvent::PreToolUse {
                tool,
                input: ti,
                call_id,
            } => {
                journal.push(self.entry(
                    &cx,
                    EventKind::ToolCall {
                        tool: tool.clone(),
                        call_id: call_id.clone(),
                        input: ti.clone(),
                    },
                ));
            }
            HookEvent::PostToolUse {
                tool,
                input: ti,
                response,
                call_id,
            } => {
                if input.agent == Agent::Cursor {
                    // Cursor has no PreToolUse: its call is recorded here. Claude Code and
                    // Codex recorded it at PreToolUse.
                    journal.push(self.entry(
                        &cx,
                        EventKind::ToolCall {
                            tool: tool.clone(),
                            call_id: call_id.clone(),
                            input: ti.clone(),
                        },
                    ));
                }
                let result = self.entry(
                    &cx,
                    EventKind::ToolResult {
                        tool: tool.clone(),
                        call_id: call_id.clone(),
                        output: response.clone(),
                        is_error: false,
                    },
                );
                let result_id = match &result {
                    JournalEntry::Event(e) => Some(e.id.clone()),
                    JournalEntry::Correction(_) => None,
                };
                journal.push(result);
                if let Some((path, produced, accepted)) =
                    modified::modified_proposal(tool, ti, response)
                {
                    let target = Target::File(detect::relative_to(&path, cx.project));
                    let redact = |s: String| crate::redact::redact(&s).into_owned();
                    let mut c = Correction::new(
                        ws.clone(),
                        session.clone(),
                        CorrectionKind::Modified,
                        target,
                        redact(produced),
                        Some(redact(accepted)),
                        None,
                        0.95,
                    )?;
                    c.source_events.extend(result_id.clone());
                    journal.push(JournalEntry::Correction(Box::new(c)));
                    out.corrections += 1;
                }
                match detect::written_file(tool, ti) {
                    Some(path) => state.files.record(&abs(&path, cx.project), result_id),
                    None => state.files.refresh_all(),
                }
            }
            HookEvent::AgentFileEdit { path, .. } => {
                let edit = self.event(
                    &cx,
                    EventKind::ToolCall {
                        tool: "Edit".into(),
                        call_id: None,
                        input: serde_json::json!({"file_path": path}),
                    },
                );
                state
                    .files
                    .record(&abs(path, cx.project), Some(edit.id.clone()));
                journal.push(JournalEntry::Event(Box::new(edit)));
            }
            HookEvent::AgentResponse { text } => {
                journal.push(self.entry(&cx, EventKind::Response { text: text.clone() }));
            }
            HookEvent::Stop { last_message } => {
                out.corrections +=
                    self.read_transcript(&cx, state, input.transcript_path.as_deref())?;
                let said_nothing = last_message.as_ref().is_none_or(|t| t.trim().is_empty());
                out.corrections += self.read_codex_rollout(
                    &cx,
                    state,
                    input.transcript_path.as_deref(),
                    said_nothing,
                )?;
                if let Some(text) = last_message.as_ref().filter(|t| !t.trim().is_empty()) {
                    self.append(&cx, EventKind::Response { text: text.clone() })?;
                }
                self.settle_followup(&cx, state)?;
                out.corrections += self.check_user_edits(&cx, state, None)?.found;
                state.turns += 1;
                let n = self.config.skillify_every_n_turns;
                out.start_skillify = n > 0 && state.turns % n == 0;
            }
            HookEvent::SubagentStop => {}
            HookEvent::SessionEnd { reason } => {
                out.corrections +=
                    self.read_transcript(&cx, state, input.transcript_path.as_deref())?;
                out.corrections +=
                    self.read_codex_rollout(&cx, state, input.transcript_path.as_deref(), true)?;
                self.settle_followup(&cx, state)?;
                out.corrections += self.check_user_edits(&cx, state, None)?.found;
                self.append(
                    &cx,
                    EventKind::SessionEnd {
                        reason: reason.clone(),
                    },
                )?;
                out.start_skillify = true;
            }
            HookEvent::Other(_) => {}
        }
        lock.append(&journal)?;
        lock.save()?;
        Ok(out)
    }

    fn entry(&self, cx: &Cx<'_>, kind: EventKind) -> JournalEntry {
        JournalEntry::Event(Box::new(self.event(cx, kind)))
    }

    /// A new event of this session, redacted and truncated, not stored yet.
    fn event(&self, cx: &Cx<'_>, kind: EventKind) -> Event {
        let mut e = Event::new(cx.ws.clone(), cx.session.clone(), cx.agent.clone(), kind);
        crate::capture::sanitize_event(&mut e, self.config.max_tool_output_bytes);
        e
    }

    fn budget(&self, agent: &Agent) -> usize {
        // Codex shows hook context to the user and truncates above ~2,500 tokens.
        match agent {
            Agent::Codex => self.config.budget_tokens.min(600),
            _ => self.config.budget_tokens,
        }
    }

    fn take(
        &self,
        cx: &Cx<'_>,
        sel: Selection,
        state: &mut SessionState,
    ) -> Result<Option<String>> {
        if sel.text.is_empty() {
            return Ok(None);
        }
        let fresh: Vec<String> = sel
            .full
            .into_iter()
            .filter(|n| !state.injected.contains(n))
            .collect();
        crate::report::note_injected(self.store, cx.ws, cx.session, &fresh)?;
        state.injected.extend(fresh);
        Ok(Some(sel.text))
    }

    fn append(&self, cx: &Cx<'_>, kind: EventKind) -> Result<()> {
        let mut e = Event::new(cx.ws.clone(), cx.session.clone(), cx.agent.clone(), kind);
        crate::capture::sanitize_event(&mut e, self.config.max_tool_output_bytes);
        self.store.append_events(std::slice::from_ref(&e))?;
        Ok(())
    }

    fn on_prompt(
        &self,
        cx: &Cx<'_>,
        state: &mut SessionState,
        said: Said<'_>,
        window: &[Event],
        explained_edits: &[String],
    ) -> Result<usize> {
        let prompt = said.text;
        // A silent rejection takes this prompt as its reason; it is not a follow-up too.
        if !state.pending_rejections.is_empty() {
            let ids = std::mem::take(&mut state.pending_rejections);
            let all = self.store.corrections(
                cx.ws,
                &crate::model::CorrectionFilter {
                    session: Some(cx.session.clone()),
                    ..Default::default()
                },
            )?;
            for mut c in all.into_iter().filter(|c| ids.contains(&c.id)) {
                if detect::rejection::prompt_explains(
                    prompt,
                    &c.produced,
                    &self.lexicon,
                    &self.weights,
                ) {
                    c.reason = Some(crate::redact::redact(prompt).into_owned());
                    c.source_events.push(said.event.clone());
                    self.store.update_correction(&c)?;
                }
            }
            return Ok(0);
        }
        let Some((target, tool_text, source)) = detect::last_agent_output(window) else {
            return Ok(0);
        };
        let agent_all = detect::agent_text(window);
        let score = followup::classify_reply(
            prompt,
            &agent_all,
            detect::last_response(window),
            &self.lexicon,
            &self.weights,
        );
        if !score.is_correction {
            return Ok(0);
        }
        let (target, produced) = match target {
            Target::File(p) => {
                let absolute = abs(&p, cx.project);
                if explained_edits.contains(&absolute) {
                    return Ok(0);
                }
                let content = state
                    .files
                    .content(&absolute)
                    .map(str::to_string)
                    .unwrap_or(tool_text);
                (Target::File(detect::relative_to(&p, cx.project)), content)
            }
            t => (t, tool_text),
        };
        let confidence = (0.5 + score.score / 10.0).clamp(0.5, 0.99);
        let mut c = Correction::new(
            cx.ws.clone(),
            cx.session.clone(),
            CorrectionKind::Followup,
            target,
            produced,
            None,
            Some(crate::redact::redact(prompt).into_owned()),
            confidence,
        )?;
        c.source_events.push(source.id.clone());
        c.source_events.push(said.event.clone());
        self.store.insert_correction(&c)?;
        state.pending_followup = Some(c.id.clone());
        Ok(1)
    }

    /// After the agent's turn that followed a corrective prompt: what the agent did is
    /// what the user accepted (the next prompt may still object, creating a new one).
    fn settle_followup(&self, cx: &Cx<'_>, state: &mut SessionState) -> Result<()> {
        let Some(id) = state.pending_followup.take() else {
            return Ok(());
        };
        let all = self.store.corrections(
            cx.ws,
            &crate::model::CorrectionFilter {
                session: Some(cx.session.clone()),
                ..Default::default()
            },
        )?;
        let Some(mut c) = all.into_iter().find(|c| c.id == id) else {
            return Ok(());
        };
        let window =
            self.store
                .session_events(cx.ws, cx.session, state.last_prompt_seq, Some(500))?;
        let accepted = match &c.target {
            Target::File(p) => {
                let absolute = abs(p, cx.project);
                state.files.refresh_all();
                state
                    .files
                    .content(&absolute)
                    .map(str::to_string)
                    .or_else(|| {
                        window.iter().rev().find_map(|e| match &e.kind {
                            EventKind::ToolCall { tool, input, .. }
                                if detect::written_file(tool, input)
                                    .is_some_and(|f| detect::relative_to(&f, cx.project) == *p) =>
                            {
                                Some(detect::tool_output_text(tool, input))
                            }
                            _ => None,
                        })
                    })
            }
            Target::Tool(t) => window.iter().find_map(|e| match &e.kind {
                EventKind::ToolCall { tool, input, .. } if tool == t => {
                    Some(detect::tool_output_text(tool, input))
                }
                _ => None,
            }),
            Target::Response => window.iter().rev().find_map(|e| match &e.kind {
                EventKind::Response { text } => Some(text.clone()),
                _ => None,
            }),
        };
        let accepted = accepted.filter(|a| *a != c.produced);
        // The agent may have answered by editing another file than the one it touched
        // last ("Logger, not IO.puts" fixed in billing.ex after an edit of the
        // controller): the edit whose text the user's words name better is the answer.
        let reason_terms = c
            .reason
            .as_deref()
            .map(|r| followup::content_terms(r, &self.lexicon))
            .unwrap_or_default();
        let named = |old: &str, new: &str| {
            let diff = crate::model::Diff::between(old, new);
            let changed: String = diff
                .removed_lines()
                .chain(diff.added_lines())
                .collect::<Vec<_>>()
                .join("\n")
                .to_lowercase();
            reason_terms
                .iter()
                .filter(|t| contains_term(&changed, t))
                .count()
        };
        let current = accepted.as_deref().map_or(0, |a| named(&c.produced, a));
        let better = detect::answering_edits(&window)
            .into_iter()
            .map(|(file, old, new)| {
                let score = named(&old, &new);
                (score, file, old, new)
            })
            .filter(|(score, ..)| *score > current)
            .max_by_key(|(score, ..)| *score);
        if let Some((_, file, old, new)) = better {
            c.target = Target::File(detect::relative_to(&file, cx.project));
            c.produced = crate::redact::redact(&old).into_owned();
            c.set_accepted(crate::redact::redact(&new).into_owned());
            self.store.update_correction(&c)?;
        } else if let Some(a) = accepted {
            c.set_accepted(crate::redact::redact(&a).into_owned());
            self.store.update_correction(&c)?;
        }
        Ok(())
    }

    fn check_user_edits(
        &self,
        cx: &Cx<'_>,
        state: &mut SessionState,
        said: Option<Said<'_>>,
    ) -> Result<UserEdits> {
        let mut found = UserEdits::default();
        if state.files.is_empty() {
            return Ok(found);
        }
        for edit in state.files.check() {
            let (Some(before), Some(after)) = (edit.before, edit.after) else {
                tracing::debug!("user edited {} (binary or large): hash only", edit.path);
                continue;
            };
            let diff = crate::model::Diff::between(&before, &after);
            let explained =
                said.filter(|p| talks_about(p.text, &diff, &self.lexicon, &self.weights));
            let reason = explained.map(|p| crate::redact::redact(p.text).into_owned());
            let target = Target::File(detect::relative_to(&edit.path, cx.project));
            let mut c = Correction::new(
                cx.ws.clone(),
                cx.session.clone(),
                CorrectionKind::UserEdit,
                target,
                crate::redact::redact(&before).into_owned(),
                Some(crate::redact::redact(&after).into_owned()),
                reason,
                0.9,
            )?;
            // The agent's write and, when it explains the edit, the user's prompt.
            c.source_events.extend(edit.agent_event);
            c.source_events.extend(explained.map(|p| p.event.clone()));
            self.store.insert_correction(&c)?;
            found.found += 1;
            if explained.is_some() {
                found.explained.push(edit.path.clone());
            }
        }
        Ok(found)
    }

    /// Claude Code's `edited_text_file` attachments: the user edited a file. A file the
    /// hooks track is compared with the disk at the end of the turn anyway; one they do
    /// not (written while hooks were off, or dropped from the tracker) is compared here
    /// with the agent's last full write of it in this session, then tracked.
    fn edited_files(&self, cx: &Cx<'_>, state: &mut SessionState, keep: &[Event]) -> Result<usize> {
        let mut n = 0;
        for e in keep {
            let EventKind::FileEdited { path, .. } = &e.kind else {
                continue;
            };
            let absolute = abs(path, cx.project);
            if state.files.paths().any(|p| p == absolute) {
                continue;
            }
            let events = self.store.last_events(cx.ws, cx.session, 2000)?;
            let write = events.iter().rev().find_map(|w| match &w.kind {
                EventKind::ToolCall { tool, input, .. }
                    if tool == "Write"
                        && detect::written_file(tool, input)
                            .is_some_and(|f| abs(&f, cx.project) == absolute) =>
                {
                    Some((w.id.clone(), detect::tool_output_text(tool, input)))
                }
                _ => None,
            });
            let Some((write_id, produced)) = write else {
                continue;
            };
            let Some(after) = read_small_text(Path::new(&absolute)) else {
                continue;
            };
            state.files.record(&absolute, Some(write_id.clone()));
            if after == produced {
                continue;
            }
            let mut c = Correction::new(
                cx.ws.clone(),
                cx.session.clone(),
                CorrectionKind::UserEdit,
                Target::File(detect::relative_to(&absolute, cx.project)),
                crate::redact::redact(&produced).into_owned(),
                Some(crate::redact::redact(&after).into_owned()),
                None,
                0.85,
            )?;
            c.id = crate::model::CorrectionId::derived(&format!("edited-file:{}", e.id));
            c.source_events = vec![write_id, e.id.clone()];
            if self.store.insert_correction(&c)? {
                n += 1;
            }
        }
        Ok(n)
    }

    /// Reads the Codex rollout at `transcript_path` from where the last call stopped, for
    /// what Codex hooks do not carry: the agent's messages (its Stop payload has no text;
    /// taken only when `want_responses`) and aborted turns, which become rejections of
    /// the agent's last output, explained by the next prompt. Reads at most
    /// [`MAX_ROLLOUT_READ`] bytes per call and only whole lines.
    fn read_codex_rollout(
        &self,
        cx: &Cx<'_>,
        state: &mut SessionState,
        path: Option<&Path>,
        want_responses: bool,
    ) -> Result<usize> {
        use std::io::Read;
        let Some(path) = path else { return Ok(0) };
        if *cx.agent != Agent::Codex {
            return Ok(0);
        }
        let Ok(mut file) = std::fs::File::open(path) else {
            tracing::debug!("rollout {} not readable", path.display());
            return Ok(0);
        };
        let len = file.metadata().map(|m| m.len()).unwrap_or(0);
        if len < state.transcript_offset {
            state.transcript_offset = 0; // rewritten: start over, ids dedupe
        }
        // Far behind (a first read of a long rollout): only the latest part matters.
        let start = state
            .transcript_offset
            .max(len.saturating_sub(MAX_ROLLOUT_READ));
        if file.seek(SeekFrom::Start(start)).is_err() {
            return Ok(0);
        }
        let mut bytes = Vec::new();
        if let Err(e) = file.take(MAX_ROLLOUT_READ).read_to_end(&mut bytes) {
            tracing::warn!("cannot read rollout {}: {e}", path.display());
            return Ok(0);
        }
        // Whole lines only: a line being written is read next time.
        let end = bytes.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
        bytes.truncate(end);
        state.transcript_offset = start + end as u64;
        let reader = crate::ingest::codex_rollout::CodexRolloutReader::new(
            &bytes[..],
            cx.ws.clone(),
            cx.session.clone(),
        );
        let mut keep = Vec::new();
        for item in reader {
            let IngestItem::Event(mut e) = item else {
                continue;
            };
            let wanted = match &e.kind {
                EventKind::Interrupt { .. } => true,
                EventKind::Response { .. } => want_responses,
                _ => false,
            };
            if !wanted {
                continue;
            }
            // The hook's session, and an id from the content (the reader's ids count
            // lines from where this read started).
            e.session = cx.session.clone();
            let key = format!(
                "codex-hook:{}:{}:{}",
                cx.session,
                e.at.to_rfc3339(),
                serde_json::to_string(&e.kind)?
            );
            e.id = crate::model::EventId::derived(&key);
            crate::capture::sanitize_event(&mut e, self.config.max_tool_output_bytes);
            keep.push(*e);
        }
        if keep.is_empty() {
            return Ok(0);
        }
        let window =
            self.store
                .session_events(cx.ws, cx.session, state.last_prompt_seq, Some(1000))?;
        let added = self.store.append_events(&keep)?;
        if added == 0 {
            return Ok(0); // read before: nothing new
        }
        let mut n = 0;
        for e in keep
            .iter()
            .filter(|e| matches!(e.kind, EventKind::Interrupt { .. }))
        {
            // The turn the user stopped: what the agent did last in it (hook events carry
            // this machine's clock and the rollout Codex's, so order is not compared).
            let Some((target, produced, source)) = detect::last_agent_output(&window) else {
                continue;
            };
            let target = match target {
                Target::File(p) => Target::File(detect::relative_to(&p, cx.project)),
                t => t,
            };
            let mut c = Correction::new(
                cx.ws.clone(),
                cx.session.clone(),
                CorrectionKind::Rejection,
                target,
                crate::redact::redact(&produced).into_owned(),
                None,
                None,
                0.7,
            )?;
            c.id = crate::model::CorrectionId::derived(&format!("codex-abort:{}", e.id));
            c.source_events = vec![source.id.clone(), e.id.clone()];
            if self.store.insert_correction(&c)? {
                state.pending_rejections.push(c.id.clone());
                n += 1;
            }
        }
        Ok(n)
    }

    /// Reads the Claude Code transcript from where the last call stopped, for what hooks
    /// do not carry: rejections (and their feedback), interrupts, `edited_text_file`.
    fn read_transcript(
        &self,
        cx: &Cx<'_>,
        state: &mut SessionState,
        path: Option<&Path>,
    ) -> Result<usize> {
        let Some(path) = path else { return Ok(0) };
        if *cx.agent != Agent::ClaudeCode {
            return Ok(0);
        }
        let Ok(mut file) = std::fs::File::open(path) else {
            tracing::debug!("transcript {} not readable", path.display());
            return Ok(0);
        };
        let len = file.metadata().map(|m| m.len()).unwrap_or(0);
        if len < state.transcript_offset {
            state.transcript_offset = 0; // rewritten (compaction): start over, ids dedupe
        }
        if file.seek(SeekFrom::Start(state.transcript_offset)).is_err() {
            return Ok(0);
        }
        let reader = ClaudeTranscriptReader::new(
            BufReader::new(file),
            cx.ws.clone(),
            cx.session.clone(),
            state.transcript_offset,
        );
        let mut reader = reader;
        let mut keep = Vec::new();
        for item in reader.by_ref() {
            if let IngestItem::Event(e) = item {
                if e.session != *cx.session {
                    continue;
                }
                let wanted = matches!(
                    &e.kind,
                    EventKind::ToolResult { is_error: true, .. }
                        | EventKind::Interrupt { .. }
                        | EventKind::FileEdited { .. }
                );
                if wanted {
                    keep.push(*e);
                }
            }
        }
        state.transcript_offset = reader.offset();
        if keep.is_empty() {
            return Ok(0);
        }
        for e in keep.iter_mut() {
            crate::capture::sanitize_event(e, self.config.max_tool_output_bytes);
        }
        self.store.append_events(&keep)?;
        let window =
            self.store
                .session_events(cx.ws, cx.session, state.last_prompt_seq, Some(1000))?;
        let mut n = self.edited_files(cx, state, &keep)?;
        for e in &keep {
            let EventKind::ToolResult {
                output,
                is_error,
                call_id,
                ..
            } = &e.kind
            else {
                continue;
            };
            let Some(feedback) = rejection::rejection_of(output, *is_error) else {
                continue;
            };
            let call = call_id.as_ref().and_then(|id| {
                window.iter().find(
                    |w| matches!(&w.kind, EventKind::ToolCall { call_id: Some(c), .. } if c == id),
                )
            });
            let Some(call) = call else { continue };
            let EventKind::ToolCall { tool, input, .. } = &call.kind else {
                continue;
            };
            let target = match detect::written_file(tool, input) {
                Some(p) => Target::File(detect::relative_to(&p, cx.project)),
                None => Target::Tool(tool.clone()),
            };
            // What the agent did instead, in the same turn, with the same tool.
            let accepted = window
                .iter()
                .filter(|w| w.seq > call.seq)
                .find_map(|w| match &w.kind {
                    EventKind::ToolCall {
                        tool: t,
                        input: i,
                        call_id: cid,
                        ..
                    } if t == tool && cid != call_id => {
                        let same_target =
                            detect::written_file(t, i) == detect::written_file(tool, input);
                        same_target.then(|| detect::tool_output_text(t, i))
                    }
                    _ => None,
                });
            let reason = (!feedback.is_empty()).then_some(feedback);
            let silent = reason.is_none();
            let mut c = Correction::new(
                cx.ws.clone(),
                cx.session.clone(),
                CorrectionKind::Rejection,
                target,
                detect::tool_output_text(tool, input),
                accepted,
                reason,
                if silent { 0.8 } else { 0.95 },
            )?;
            c.source_events = vec![call.id.clone(), e.id.clone()];
            // It happened when the agent proposed it, not when the transcript was read.
            c.created_at = call.at;
            if self.store.insert_correction(&c)? {
                n += 1;
                if silent {
                    state.pending_rejections.push(c.id.clone());
                }
            }
        }
        Ok(n)
    }
}

struct Cx<'a> {
    ws: &'a WorkspaceId,
    session: &'a SessionId,
    agent: &'a Agent,
    project: Option<&'a Path>,
}

fn abs(path: &str, project: Option<&Path>) -> String {
    let p = Path::new(path);
    if p.is_absolute() {
        return path.to_string();
    }
    match project {
        Some(root) => root.join(p).to_string_lossy().into_owned(),
        None => path.to_string(),
    }
}

/// Does the prompt talk about the change in `diff`? It shares two of its changed terms,
/// or one and reads as a correction ("keep the UTC timestamps I put back"); the next
/// request that merely mentions a word of the file ("Add a spec for the email
/// validation") is not the user's reason for their edit.
fn talks_about(
    prompt: &str,
    diff: &crate::model::Diff,
    lex: &followup::CueLexicon,
    weights: &followup::FollowupWeights,
) -> bool {
    let changed: String = diff
        .removed_lines()
        .chain(diff.added_lines())
        .collect::<Vec<_>>()
        .join("\n");
    let terms = followup::content_terms(&changed, lex);
    let shared = followup::content_terms(prompt, lex)
        .iter()
        .filter(|t| terms.contains(t))
        .count();
    shared >= 2 || (shared == 1 && followup::classify(prompt, &changed, lex, weights).has_cue)
}

/// Files and tools the session is touching (for prompt-time selection).
fn touched_terms(window: &[Event]) -> Vec<String> {
    let mut out = Vec::new();
    for e in window {
        if let EventKind::ToolCall { tool, input, .. } = &e.kind {
            if let Some(f) = detect::written_file(tool, input) {
                if let Some(name) = Path::new(&f).file_name() {
                    out.push(name.to_string_lossy().into_owned());
                }
            }
        }
    }
    out.dedup();
    out
}

/// The JSON a host expects on stdout for an injected `context`, or `None` when this
/// event carries no context.
pub fn render_output(agent: &Agent, event: &HookEvent, context: &str) -> Option<String> {
    if context.is_empty() {
        return None;
    }
    let v = match (agent, event) {
        (Agent::Cursor, HookEvent::SessionStart { .. }) => {
            serde_json::json!({ "additional_context": context })
        }
        (Agent::Cursor, _) => return None,
        (_, HookEvent::SessionStart { .. } | HookEvent::PromptSubmit { .. }) => serde_json::json!({
            "hookSpecificOutput": {
                "hookEventName": event.claude_name(),
                "additionalContext": context,
            }
        }),
        _ => return None,
    };
    Some(v.to_string())
}

/// A small text file's content (what user-edit detection diffs), else `None`.
fn read_small_text(path: &Path) -> Option<String> {
    let meta = std::fs::metadata(path).ok()?;
    if !meta.is_file() || meta.len() > detect::user_edit::MAX_CONTENT_BYTES {
        return None;
    }
    String::from_utf8(std::fs::read(path).ok()?).ok()
}

/// Does `text` (lowercase) contain `term` as a whole word or name part?
fn contains_term(text: &str, term: &str) -> bool {
    text.match_indices(term).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = text[i + term.len()..].chars().next();
        let edge = |c: Option<char>| c.is_none_or(|c| !(c.is_alphanumeric() || c == '_'));
        edge(before) && edge(after)
    })
}

/// What a look for user edits found.
#[derive(Debug, Default, Clone)]
struct UserEdits {
    /// User edits recorded.
    found: usize,
    /// The files (absolute) of those the prompt given explained.
    explained: Vec<String>,
}

/// The most a Codex rollout read takes per hook call (bounded time).
const MAX_ROLLOUT_READ: u64 = 4 << 20;

/// A prompt the user submitted, with the id of its event.
#[derive(Clone, Copy)]
struct Said<'a> {
    text: &'a str,
    event: &'a crate::model::EventId,
}

/// Result of [`run_hook`]: what to print and whether to start background mining.
#[derive(Debug, Clone, Default)]
pub struct HookRun {
    /// Text for stdout (the host's JSON), if any.
    pub stdout: Option<String>,
    /// Start `hivemind skillify run` in the background.
    pub start_skillify: bool,
    /// The workspace the call belonged to.
    pub workspace: Option<WorkspaceId>,
}

/// Parses and handles one hook payload against the SQLite store under `config.home`.
/// On failure the payload is spooled under `HIVEMIND_HOME/spool` (nothing captured is
/// lost) and the error is returned for logging; callers still exit 0.
pub fn run_hook(config: &Config, agent: &Agent, payload: &str) -> Result<HookRun> {
    let input = crate::ingest::hook::parse_hook(agent, payload)?;
    let result = (|| {
        let store = crate::store::LazySqliteStore::new(config.db_path());
        let p = HookProcessor::new(&store, config);
        let ws = p.workspace_of(&input);
        let out = p.handle(&input)?;
        Ok::<_, crate::Error>((out, ws))
    })();
    match result {
        Ok((out, ws)) => Ok(HookRun {
            stdout: out
                .context
                .as_deref()
                .and_then(|c| render_output(agent, &input.event, c)),
            start_skillify: out.start_skillify,
            workspace: Some(ws),
        }),
        Err(e) => {
            if let Err(se) = spool(config, agent, payload) {
                tracing::error!("could not spool hook payload: {se}");
            }
            Err(e)
        }
    }
}

fn spool_dir(config: &Config) -> PathBuf {
    config.home.join("spool")
}

/// Saves a payload that could not be processed, to be replayed by [`drain_spool`].
pub fn spool(config: &Config, agent: &Agent, payload: &str) -> Result<PathBuf> {
    let dir = spool_dir(config);
    let name = format!(
        "{}-{}.json",
        crate::model::EventId::generate(),
        agent.as_str()
    );
    let path = dir.join(name);
    crate::skills::install::write_atomic(&path, payload.as_bytes())?;
    Ok(path)
}

/// Replays spooled payloads (oldest first) through the hook processor; each one that
/// succeeds is removed. Returns how many were replayed.
pub fn drain_spool(config: &Config, store: &dyn Store) -> Result<usize> {
    let dir = spool_dir(config);
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Ok(0);
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    let p = HookProcessor::new(store, config);
    let mut n = 0;
    for f in files {
        let Some(agent) = f
            .file_stem()
            .and_then(|s| s.to_str())
            .and_then(|s| s.get(37..))
            .and_then(|a| a.parse::<Agent>().ok())
        else {
            continue;
        };
        // Claim the file first: of several processes draining at once, only the one
        // whose rename succeeds replays it.
        let claimed = f.with_extension(format!("claimed-{}", std::process::id()));
        if std::fs::rename(&f, &claimed).is_err() {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(&claimed) else {
            let _ = std::fs::rename(&claimed, &f);
            continue;
        };
        match crate::ingest::hook::parse_hook(&agent, &text).and_then(|input| p.handle(&input)) {
            Ok(_) => {
                let _ = std::fs::remove_file(&claimed);
                n += 1;
            }
            Err(Error::InvalidInput(e)) => {
                tracing::warn!("dropping unparseable spooled payload {}: {e}", f.display());
                let _ = std::fs::remove_file(&claimed);
            }
            Err(e) => {
                // Kept for the next attempt.
                let _ = std::fs::rename(&claimed, &f);
                return Err(e);
            }
        }
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Diff;

    #[test]
    fn a_user_edit_takes_the_next_prompt_as_reason_only_when_it_is_about_the_edit() {
        let lex = followup::CueLexicon::english();
        let w = followup::FollowupWeights::default();
        let about = |prompt: &str, diff: &Diff| talks_about(prompt, diff, &lex, &w);
        let diff = Diff::between(
            "  def change\n    add_index :users, :email, unique: true\n  end\n",
            "  disable_ddl_transaction!\n  def change\n    add_index :users, :email, unique: true, algorithm: :concurrently\n  end\n",
        );
        // Names the change twice, or once with a correction cue.
        assert!(about(
            "Indexes are built concurrently here, with disable_ddl_transaction and algorithm concurrently",
            &diff
        ));
        assert!(about(
            "I changed it: we always build indexes concurrently",
            &diff
        ));
        // The next request mentions a word of the file, nothing more.
        assert!(!about(
            "Add a spec for the email uniqueness validation",
            &diff
        ));
    }
}
