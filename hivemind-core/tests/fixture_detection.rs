//! Correction detection over real Claude Code transcripts (the acceptance
//! criteria): importing a fixture with `import_file` finds the corrections a person
//! reading it finds, and nothing in sessions without any.
#![allow(clippy::unwrap_used)]

use hivemind_core::detect::{self, followup};
use hivemind_core::import::import_file;
use hivemind_core::{
    Correction, CorrectionFilter, CorrectionKind, Event, EventKind, InMemoryStore, SessionId,
    Store, Target, WorkspaceId,
};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    std::env::var_os("HIVEMIND_TRANSCRIPT_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/work/shared/fixtures/transcripts"))
}

fn fixture(rel: &str) -> PathBuf {
    let p = root().join("claude").join(rel);
    assert!(p.is_file(), "fixture {} missing", p.display());
    p
}

fn ws() -> WorkspaceId {
    WorkspaceId::new("fixture-detection").unwrap()
}

/// Imports one file into a fresh store; returns the store and its corrections, after
/// checking that each links back to events of its session that the store holds.
fn corrections_of(path: &Path) -> (InMemoryStore, Vec<Correction>) {
    let store = InMemoryStore::new();
    let stats = import_file(&store, &ws(), path, 1 << 20, &mut |_| {}).unwrap();
    let list = store
        .corrections(&ws(), &CorrectionFilter::default())
        .unwrap();
    assert_eq!(stats.corrections, list.len());
    for c in &list {
        assert!(!c.source_events.is_empty(), "no source events: {c:?}");
        let events = store.session_events(&ws(), &c.session, 0, None).unwrap();
        for id in &c.source_events {
            assert!(
                events.iter().any(|e| &e.id == id),
                "{} links to {id}, which its session does not hold",
                c.id
            );
        }
    }
    (store, list)
}

fn describe(list: &[Correction]) -> String {
    list.iter()
        .map(|c| {
            format!(
                "{} {:?} reason={:?} produced={:.80?}",
                c.kind, c.target, c.reason, c.produced
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The `sessionId` of a file's first line that has one.
fn session_of(path: &Path) -> SessionId {
    let text = std::fs::read_to_string(path).unwrap();
    let id = text
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find_map(|v| v["sessionId"].as_str().map(str::to_string))
        .unwrap();
    SessionId::new(id).unwrap()
}

#[test]
fn full_session_two_rejected_plan_carries_the_users_words() {
    let (_, list) = corrections_of(&fixture("jnarowski-agentcmd/full-session-two.jsonl"));
    let prompt = "Completely outside the search bar entirely";
    let rejection = list
        .iter()
        .find(|c| c.kind == CorrectionKind::Rejection)
        .unwrap_or_else(|| panic!("no rejection:\n{}", describe(&list)));
    assert_eq!(rejection.target, Target::Tool("ExitPlanMode".into()));
    assert!(rejection.produced.contains("\"plan\""));
    // The rejection was silent; the user's next prompt says what they wanted instead.
    assert_eq!(rejection.reason.as_deref(), Some(prompt));
    assert!(rejection
        .accepted
        .as_deref()
        .is_some_and(|a| a.contains("completely outside and separate")));
    // The prompt is that rejection's reason, not a second correction of the same thing.
    assert_eq!(
        list.iter()
            .filter(|c| c.reason.as_deref() == Some(prompt))
            .count(),
        1,
        "{}",
        describe(&list)
    );
    // "not the new session button. this one…" corrects the agent's first reading.
    assert!(
        list.iter().any(|c| c.kind == CorrectionKind::Followup
            && c.reason
                .as_deref()
                .is_some_and(|r| r.starts_with("not the new session button"))),
        "{}",
        describe(&list)
    );
}

/// The prompt follows a turn in which the agent only read `AppSidebar.tsx` and answered
/// "Yes! You're correct…"; it is a norm statement ("We should use …") about the agent's
/// output (overlap: logged, guest, user, initials, name).
#[test]
fn full_session_four_initials_from_username_is_a_correction() {
    let path = fixture("jnarowski-agentcmd/full-session-four.jsonl");
    let (store, list) = corrections_of(&path);
    let prompt = "We should use the initials from the username if name isn't present";
    assert!(
        list.iter()
            .any(|c| c.reason.as_deref().is_some_and(|r| r.contains(prompt))),
        "{}\n{}",
        describe(&list),
        score_of(&store, &path, "The username I am logged in with")
    );
}

#[test]
fn general_tool_calls_forgot_to_tell_you_is_a_correction_once() {
    let (_, list) = corrections_of(&fixture("moredip-session-share/general-tool-calls.jsonl"));
    let hits: Vec<&Correction> = list
        .iter()
        .filter(|c| {
            c.reason.as_deref().is_some_and(|r| {
                r.starts_with("I forgot to tell you, we already have another plugin")
            })
        })
        .collect();
    // The file holds the session twice (a resumed copy with fresh uuids): one correction.
    assert_eq!(hits.len(), 1, "{}", describe(&list));
    assert_eq!(hits[0].kind, CorrectionKind::Followup);
    assert!(!hits[0].produced.is_empty());
    // The silent rejection of the Bash call later in the file.
    assert!(list
        .iter()
        .any(|c| c.kind == CorrectionKind::Rejection && c.target == Target::Tool("Bash".into())));
}

#[test]
fn sessions_without_human_corrections_yield_at_most_one() {
    let dir = root().join("claude/d-kimuson-claude-code-viewer");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .collect();
    files.sort();
    assert_eq!(files.len(), 3, "{files:?}");
    let mut all = Vec::new();
    for f in &files {
        let (store, list) = corrections_of(f);
        // The files are not empty: there was something to misread.
        let events = store
            .session_events(&ws(), &session_of(f), 0, None)
            .unwrap();
        assert!(events.len() > 10, "{}", f.display());
        all.extend(list);
    }
    assert!(all.len() <= 1, "{}", describe(&all));
}

/// The follow-up score of the first prompt starting with `prompt_start` in the session
/// of `path`, against the agent's output since the prompt before it (what the importer
/// classified).
fn score_of(store: &InMemoryStore, path: &Path, prompt_start: &str) -> String {
    let events = store
        .session_events(&ws(), &session_of(path), 0, None)
        .unwrap();
    let mut window: Vec<Event> = Vec::new();
    for e in events {
        if let EventKind::Prompt { text } = &e.kind {
            if text.starts_with(prompt_start) {
                let agent = detect::agent_text(&window);
                let s = followup::classify(
                    text,
                    &agent,
                    &followup::CueLexicon::english(),
                    &followup::FollowupWeights::default(),
                );
                return format!(
                    "prompt {text:?}\nafter: {:?}\nscore: {s:?}",
                    detect::last_agent_output(&window).map(|(t, p, _)| (t, p))
                );
            }
            window.clear();
        }
        window.push(e);
    }
    format!("prompt starting {prompt_start:?} not stored")
}

/// The importer skips scoring prompts without a correction cue (cues depend on the
/// prompt alone). Guard that invariant of the classifier: over every prompt of every
/// Claude Code fixture, scored against the agent's turn before it, a correction always
/// has a cue when scored against a dummy output too.
#[test]
fn a_correction_always_has_a_cue_that_depends_on_the_prompt_alone() {
    let lex = followup::CueLexicon::english();
    let w = followup::FollowupWeights::default();
    let dir = root().join("claude");
    let mut files = Vec::new();
    for d in std::fs::read_dir(&dir).unwrap() {
        for f in std::fs::read_dir(d.unwrap().path()).unwrap() {
            files.push(f.unwrap().path());
        }
    }
    let (mut prompts, mut corrections) = (0, 0);
    for f in files
        .iter()
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
    {
        let store = InMemoryStore::new();
        import_file(&store, &ws(), f, 1 << 20, &mut |_| {}).unwrap();
        let events = store
            .session_events(&ws(), &session_of(f), 0, None)
            .unwrap();
        let mut window: Vec<Event> = Vec::new();
        for e in events {
            if let EventKind::Prompt { text } = &e.kind {
                let agent = detect::agent_text(&window);
                window.clear();
                // Without agent output there is nothing to correct (never scored).
                if !agent.trim().is_empty() {
                    prompts += 1;
                    let full = followup::classify(text, &agent, &lex, &w);
                    let alone = followup::classify(text, "-", &lex, &w);
                    assert_eq!(
                        full.has_cue, alone.has_cue,
                        "{text:?}: {full:?} / {alone:?}"
                    );
                    if full.is_correction {
                        corrections += 1;
                    }
                }
            }
            window.push(e);
        }
    }
    assert!(
        prompts >= 10 && corrections > 0,
        "{prompts} prompts, {corrections}"
    );
    // And on sentences written to fire each cue family.
    for p in [
        "No, use pnpm",
        "it still fails",
        "Actually call it total",
        "undo that",
        "we always use tabs here",
        "almost right, but the header must be bold",
        "call it total, not tmp",
    ] {
        for out in [
            "-",
            "npm install x",
            "a much longer agent output about totals and tabs",
        ] {
            assert_eq!(
                followup::classify(p, out, &lex, &w).has_cue,
                followup::classify(p, "-", &lex, &w).has_cue,
                "{p:?} / {out:?}"
            );
        }
    }
}
