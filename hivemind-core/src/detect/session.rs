//! Detection over one session's event stream: the follow-up, modified-proposal and
//! rejection detectors run event by event, in order, as an import (or any caller with a
//! whole session) sees them. Hooks use the same detectors through
//! [`crate::hook::HookProcessor`], with state kept between processes.
//!
//! ```
//! use hivemind_core::detect::detect_session;
//! use hivemind_core::{Agent, Event, EventId, EventKind, SessionId, WorkspaceId};
//!
//! let ws = WorkspaceId::new("acme/app")?;
//! let s = SessionId::new("s1")?;
//! let ev = |kind| Event::new(ws.clone(), s.clone(), Agent::ClaudeCode, kind);
//! let events = vec![
//!     ev(EventKind::Prompt { text: "add zod to the project".into() }),
//!     ev(EventKind::ToolCall {
//!         tool: "Bash".into(),
//!         call_id: None,
//!         input: serde_json::json!({"command": "npm install zod"}),
//!     }),
//!     ev(EventKind::Prompt { text: "No, we use pnpm here, never npm.".into() }),
//!     ev(EventKind::ToolCall {
//!         tool: "Bash".into(),
//!         call_id: None,
//!         input: serde_json::json!({"command": "pnpm add zod"}),
//!     }),
//! ];
//! let found = detect_session(&events);
//! assert_eq!(found.len(), 1);
//! assert_eq!(found[0].produced, "npm install zod");
//! assert_eq!(found[0].accepted.as_deref(), Some("pnpm add zod"));
//! # Ok::<(), hivemind_core::Error>(())
//! ```

use super::{followup, modified, rejection};
use crate::detect;
use crate::model::{Correction, CorrectionId, CorrectionKind, Event, EventKind, Target};

/// The corrections in one session's events (in order), as an import finds them.
pub fn detect_session(events: &[Event]) -> Vec<Correction> {
    let mut d = SessionDetector::default();
    let mut out: Vec<Correction> = events.iter().flat_map(|e| d.on_event(e)).collect();
    out.extend(d.finish());
    out
}

/// Detection over a streamed session: the same detectors as the hooks. Feed events in
/// order with [`SessionDetector::on_event`]; a new session id finishes the previous one.
/// Call [`SessionDetector::finish`] at the end. Ids of the corrections derive from their
/// source events, so running it twice over the same events gives the same records.
#[derive(Debug, Default)]
pub struct SessionDetector {
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

impl SessionDetector {
    /// Takes the next event; returns the corrections it completes (a follow-up waits
    /// for what the agent does next, so it comes out later).
    pub fn on_event(&mut self, e: &Event) -> Vec<Correction> {
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
                        if rejection::prompt_explains(
                            text,
                            &c.produced,
                            &self.lexicon,
                            &self.weights,
                        ) {
                            c.reason = Some(text.clone());
                            c.source_events.push(e.id.clone());
                        }
                        self.pending.push(c);
                    }
                } else if let Some((target, produced, source)) = self
                    .has_cue(text)
                    .then(|| detect::last_agent_output(&self.window))
                    .flatten()
                {
                    let all = detect::agent_text(&self.window);
                    let score = followup::classify_reply(
                        text,
                        &all,
                        detect::last_response(&self.window),
                        &self.lexicon,
                        &self.weights,
                    );
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
                            c.source_events = call
                                .map(|c| c.id.clone())
                                .into_iter()
                                .chain([e.id.clone()])
                                .collect();
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
                if let Some((target, produced, source)) = detect::last_agent_output(&self.window) {
                    let source = source.id.clone();
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
                        c.source_events = vec![source, e.id.clone()];
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

    /// Ends the current session: every pending correction comes out.
    pub fn finish(&mut self) -> Vec<Correction> {
        let mut out = self.settle();
        out.append(&mut self.awaiting_reason);
        self.window.clear();
        out
    }
}
