//! Claude Code transcript import over the real fixtures (`claude/` under
//! `/work/shared/fixtures/transcripts`, or `$HIVEMIND_TRANSCRIPT_FIXTURES`): what the
//! importer stores is checked against a deliberately simple, separate count over the raw
//! JSON lines.
#![allow(clippy::unwrap_used)]

use hivemind_core::import::{import_file, ImportStats};
use hivemind_core::ingest::claude_transcript::REJECTION_MARKER;
use hivemind_core::{
    CorrectionFilter, CorrectionKind, Event, EventKind, InMemoryStore, SessionId, SqliteStore,
    Store, Target, WorkspaceId,
};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::{Path, PathBuf};

const MAX_BYTES: usize = 1 << 20;

/// The folder holding `claude/` (and `codex/`).
fn root() -> PathBuf {
    std::env::var_os("HIVEMIND_TRANSCRIPT_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/work/shared/fixtures/transcripts"))
}

/// Every `.jsonl` under `claude/`, read at test time, sorted.
fn claude_fixtures() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "jsonl") {
                out.push(p);
            }
        }
    }
    let dir = root().join("claude");
    assert!(
        dir.is_dir(),
        "Claude Code fixtures not found at {} (set HIVEMIND_TRANSCRIPT_FIXTURES)",
        dir.display()
    );
    let mut out = Vec::new();
    walk(&dir, &mut out);
    out.sort();
    assert!(!out.is_empty(), "no .jsonl under {}", dir.display());
    out
}

fn fixture(rel: &str) -> PathBuf {
    let p = root().join("claude").join(rel);
    assert!(p.is_file(), "fixture {} missing", p.display());
    p
}

fn ws() -> WorkspaceId {
    WorkspaceId::new("claude-import-test").unwrap()
}

fn import(store: &dyn Store, path: &Path) -> ImportStats {
    import_file(store, &ws(), path, MAX_BYTES, &mut |_| {}).unwrap()
}

/// What the simple counter finds in one file.
#[derive(Debug, Default, Clone, PartialEq)]
struct Counts {
    sessions: BTreeSet<String>,
    prompts: usize,
    interrupts: usize,
    tool_calls: usize,
    tool_results: usize,
    /// Lines that are not JSON (`//` comments).
    not_json: usize,
}

/// Removes `<open>…</close>` spans (IDE context and reminders the host adds to a prompt).
fn remove_spans(text: &str, open: &str, close: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find(open) {
        out.push_str(&rest[..i]);
        rest = match rest[i..].find(close) {
            Some(j) => &rest[i + j + close.len()..],
            None => "",
        };
    }
    out.push_str(rest);
    out
}

/// The independent counter. How it counts:
///
/// - one JSON value per non-empty line; lines that fail to parse are counted as
///   `not_json` (the `//` comment lines some fixtures start with);
/// - lines are deduplicated by `uuid`. That is not enough: when Claude Code resumes a
///   session it copies the history into the transcript again with *fresh* uuids
///   (`general-tool-calls.jsonl` holds its session twice this way), so the copies are
///   also recognised by what they are: a tool call by its `tool_use` id, a tool result
///   by its `tool_use_id`, a prompt or interrupt by its session, timestamp and text;
/// - sessions: distinct `sessionId` of `user` and `assistant` lines (the file stem
///   when a line has none);
/// - tool calls: `tool_use` blocks in `assistant` lines (subagents' included);
/// - tool results: `tool_result` blocks in `user` lines;
/// - human prompts: `user` lines that are not a subagent's (`isSidechain`), not
///   injected by Claude Code (`isMeta`, `isCompactSummary`), whose content is a string
///   or has `text` blocks (joined), which after removing IDE context
///   (`<ide_opened_file>`, `<ide_selection>`) and `<system-reminder>` spans is not
///   empty, is not an interrupt (`[Request interrupted by user…]`, counted apart) and is
///   not plumbing: slash-command lines (`<command-…>`), local command output
///   (`<local-command-…>`, "Caveat: The messages below…"), `!` shell input/output
///   (`<bash-…>`) and background task notifications (`<task-notification>`).
fn count_raw(path: &Path) -> Counts {
    let text = std::fs::read_to_string(path).unwrap();
    let stem: String = path
        .file_stem()
        .unwrap()
        .to_string_lossy()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let mut c = Counts::default();
    let mut uuids = HashSet::new();
    let mut seen = HashSet::new();
    for line in text.lines() {
        if line.trim().is_empty() {
            continue;
        }
        let Ok(v) = serde_json::from_str::<Value>(line) else {
            c.not_json += 1;
            continue;
        };
        if let Some(u) = v["uuid"].as_str() {
            if !uuids.insert(u.to_string()) {
                continue;
            }
        }
        let ty = v["type"].as_str().unwrap_or("");
        if ty != "user" && ty != "assistant" {
            continue;
        }
        let session = v["sessionId"].as_str().unwrap_or(&stem).to_string();
        c.sessions.insert(session.clone());
        let content = &v["message"]["content"];
        let blocks: &[Value] = content.as_array().map(Vec::as_slice).unwrap_or(&[]);
        if ty == "assistant" {
            for b in blocks.iter().filter(|b| b["type"] == "tool_use") {
                if seen.insert(format!("{session} call {}", b["id"])) {
                    c.tool_calls += 1;
                }
            }
            continue;
        }
        for b in blocks.iter().filter(|b| b["type"] == "tool_result") {
            if seen.insert(format!("{session} result {}", b["tool_use_id"])) {
                c.tool_results += 1;
            }
        }
        let flag = |k: &str| v[k].as_bool().unwrap_or(false);
        if flag("isSidechain") || flag("isMeta") || flag("isCompactSummary") {
            continue;
        }
        let raw = match content {
            Value::String(s) => s.clone(),
            _ => {
                let texts: Vec<&str> = blocks
                    .iter()
                    .filter(|b| b["type"] == "text")
                    .filter_map(|b| b["text"].as_str())
                    .collect();
                if texts.is_empty() {
                    continue;
                }
                texts.join("\n")
            }
        };
        let mut t = raw;
        for tag in ["ide_opened_file", "ide_selection", "system-reminder"] {
            t = remove_spans(&t, &format!("<{tag}>"), &format!("</{tag}>"));
        }
        let t = t.trim();
        let plumbing = [
            "<command-",
            "<local-command-",
            "Caveat: The messages below",
            "<bash-",
            "<task-notification>",
        ];
        if t.is_empty() || plumbing.iter().any(|p| t.starts_with(p)) {
            continue;
        }
        if !seen.insert(format!("{session} user {} {t}", v["timestamp"])) {
            continue;
        }
        if t.starts_with("[Request interrupted by user") {
            c.interrupts += 1;
        } else {
            c.prompts += 1;
        }
    }
    c
}

/// Counts by kind of the stored events of `sessions`, read back through the store.
fn stored_counts(store: &dyn Store, sessions: &BTreeSet<String>) -> BTreeMap<&'static str, usize> {
    let mut out = BTreeMap::new();
    for s in sessions {
        let events = store
            .session_events(&ws(), &SessionId::new(s.clone()).unwrap(), 0, None)
            .unwrap();
        for e in events {
            *out.entry(e.kind.name()).or_insert(0) += 1;
        }
    }
    out
}

/// The first `sessionId` of a file.
fn session_of(path: &Path) -> String {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find_map(|v| v["sessionId"].as_str().map(str::to_string))
        .unwrap()
}

fn events_of(store: &dyn Store, session: &str) -> Vec<Event> {
    store
        .session_events(&ws(), &SessionId::new(session).unwrap(), 0, None)
        .unwrap()
}

#[test]
fn fixture_set_is_complete() {
    let names: Vec<String> = claude_fixtures()
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    for expected in [
        "full-session-two.jsonl",
        "full-session-four.jsonl",
        "general-tool-calls.jsonl",
        "0ccf1a04-1b4c-43b6-8aa5-79e41db43a68_subagents_agent-a5bdbc1.jsonl",
    ] {
        assert!(names.iter().any(|n| n == expected), "{expected} missing");
    }
}

#[test]
fn importer_counts_match_an_independent_count_per_fixture() {
    let mut report = Vec::new();
    for path in claude_fixtures() {
        let name = path.strip_prefix(root()).unwrap().display().to_string();
        let expected = count_raw(&path);
        let store = InMemoryStore::new();
        let stats = import(&store, &path);
        let stored = stored_counts(&store, &expected.sessions);
        let got = |k: &str| stored.get(k).copied().unwrap_or(0);
        report.push(format!(
            "{name}: {} sessions, {} prompts, {} interrupts, {} tool calls, {} tool results, {} skipped",
            stats.sessions,
            got("prompt"),
            got("interrupt"),
            got("tool_call"),
            got("tool_result"),
            stats.skipped_lines
        ));
        assert_eq!(stats.files, 1, "{name}");
        assert_eq!(stats.unrecognized_files, 0, "{name}");
        assert_eq!(stats.sessions, expected.sessions.len(), "{name}: sessions");
        assert_eq!(got("prompt"), expected.prompts, "{name}: human prompts");
        assert_eq!(got("interrupt"), expected.interrupts, "{name}: interrupts");
        assert_eq!(got("tool_call"), expected.tool_calls, "{name}: tool calls");
        assert_eq!(
            got("tool_result"),
            expected.tool_results,
            "{name}: tool results"
        );
        assert_eq!(stats.skipped_lines, expected.not_json, "{name}: skipped");
        // Everything stored was counted as new exactly once.
        assert_eq!(stats.events, stored.values().sum::<usize>(), "{name}");
        // No prompt is host plumbing.
        for s in &expected.sessions {
            for e in events_of(&store, s) {
                if let EventKind::Prompt { text } = &e.kind {
                    for bad in ["<ide_opened_file>", "<command-", "<task-notification>"] {
                        assert!(!text.contains(bad), "{name}: prompt {text:?}");
                    }
                }
            }
        }
    }
    eprintln!("{}", report.join("\n"));
}

#[test]
fn importing_all_fixtures_twice_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("hivemind.db");
    let store = SqliteStore::open(&db).unwrap();
    let files = claude_fixtures();
    let count_rows = || {
        let conn = rusqlite::Connection::open(&db).unwrap();
        let mut stmt = conn
            .prepare(
                "SELECT session, kind, COUNT(*) FROM events GROUP BY session, kind ORDER BY 1, 2",
            )
            .unwrap();
        let rows: Vec<(String, String, i64)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        let corrections: i64 = conn
            .query_row("SELECT COUNT(*) FROM corrections", [], |r| r.get(0))
            .unwrap();
        (rows, corrections)
    };
    let mut first = ImportStats::default();
    for f in &files {
        let s = import(&store, f);
        first.events += s.events;
        first.corrections += s.corrections;
    }
    let once = count_rows();
    assert!(first.events > 0);
    assert_eq!(
        once.0.iter().map(|r| r.2).sum::<i64>() as usize,
        first.events
    );
    assert_eq!(once.1 as usize, first.corrections);
    for f in &files {
        let s = import(&store, f);
        assert_eq!(s.events, 0, "{}: new events on re-import", f.display());
        assert_eq!(
            s.corrections,
            0,
            "{}: new corrections on re-import",
            f.display()
        );
        assert!(s.duplicate_events > 0, "{}", f.display());
    }
    assert_eq!(count_rows(), once);
}

#[test]
fn rejected_exit_plan_mode_is_a_tool_result_with_is_error_and_a_rejection() {
    let store = InMemoryStore::new();
    import(
        &store,
        &fixture("jnarowski-agentcmd/full-session-two.jsonl"),
    );
    let events = events_of(
        &store,
        &session_of(&fixture("jnarowski-agentcmd/full-session-two.jsonl")),
    );
    let calls: Vec<&Event> = events
        .iter()
        .filter(|e| matches!(&e.kind, EventKind::ToolCall { tool, .. } if tool == "ExitPlanMode"))
        .collect();
    assert_eq!(calls.len(), 2, "the rejected plan and the approved one");
    let (rejected_call_id, rejected_input) = match &calls[0].kind {
        EventKind::ToolCall { call_id, input, .. } => (call_id.clone().unwrap(), input.clone()),
        _ => unreachable!(),
    };
    let result = events
        .iter()
        .find(|e| {
            matches!(&e.kind, EventKind::ToolResult { call_id: Some(c), .. } if *c == rejected_call_id)
        })
        .expect("the rejected call has a result");
    match &result.kind {
        EventKind::ToolResult {
            tool,
            output,
            is_error,
            ..
        } => {
            assert_eq!(tool, "ExitPlanMode");
            assert!(is_error);
            assert!(
                output["error"].as_str().unwrap().contains(REJECTION_MARKER),
                "{output}"
            );
        }
        _ => unreachable!(),
    }
    let rejections = store
        .corrections(
            &ws(),
            &CorrectionFilter {
                kind: Some(CorrectionKind::Rejection),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(rejections.len(), 1, "{rejections:#?}");
    let c = &rejections[0];
    assert_eq!(c.target, Target::Tool("ExitPlanMode".into()));
    // The tool input is what the agent produced (ExitPlanMode has no file or command).
    assert_eq!(c.produced, rejected_input.to_string());
    assert!(c
        .produced
        .contains("separate button positioned to the right"));
    // Silent rejection: the next prompt is the user's reason.
    assert_eq!(
        c.reason.as_deref(),
        Some("Completely outside the search bar entirely")
    );
    // What the agent proposed next with the same tool is what the user accepted.
    let accepted = c.accepted.as_deref().expect("accepted: the approved plan");
    assert!(
        accepted.contains("completely outside and separate from the search input"),
        "{accepted}"
    );
    assert!(!c.diff.is_empty());
    // The rejected call, its result, and the prompt that gave the reason.
    let reason_prompt = events
        .iter()
        .find(|e| {
            matches!(&e.kind, EventKind::Prompt { text } if text == "Completely outside the search bar entirely")
        })
        .expect("the reason's prompt is captured");
    assert_eq!(
        c.source_events,
        vec![
            calls[0].id.clone(),
            result.id.clone(),
            reason_prompt.id.clone()
        ]
    );
}

#[test]
fn leading_comment_lines_are_reported_as_skipped() {
    let mut with_comments = 0;
    for path in claude_fixtures() {
        let text = std::fs::read_to_string(&path).unwrap();
        let comments = text.lines().take_while(|l| l.starts_with("//")).count();
        if comments == 0 {
            continue;
        }
        with_comments += 1;
        let stats = import(&InMemoryStore::new(), &path);
        assert_eq!(stats.skipped_lines, comments, "{}", path.display());
        assert!(stats.events > 0, "{}: the rest imports", path.display());
    }
    assert_eq!(
        with_comments, 4,
        "SOURCES.md: four files start with `//` lines"
    );
}

#[test]
fn subagent_transcript_imports_into_its_parent_session() {
    let path = fixture(
        "moredip-session-share/0ccf1a04-1b4c-43b6-8aa5-79e41db43a68_subagents_agent-a5bdbc1.jsonl",
    );
    let store = InMemoryStore::new();
    let stats = import(&store, &path);
    assert_eq!(stats.sessions, 1);
    assert_eq!(stats.skipped_lines, 0);
    let events = events_of(&store, "0ccf1a04-1b4c-43b6-8aa5-79e41db43a68");
    assert_eq!(events.len(), stats.events);
    assert!(events
        .iter()
        .any(|e| matches!(&e.kind, EventKind::ToolCall { tool, .. } if tool == "WebSearch")));
    assert!(events
        .iter()
        .any(|e| matches!(&e.kind, EventKind::Response { text } if text.contains("curry"))));
    // The subagent's task is the parent agent's words, not a human prompt.
    assert!(!events
        .iter()
        .any(|e| matches!(e.kind, EventKind::Prompt { .. })));
    // Imported beside its parent, nothing is counted twice.
    let parent = fixture("moredip-session-share/0ccf1a04-1b4c-43b6-8aa5-79e41db43a68.jsonl");
    let p = import(&store, &parent);
    assert_eq!(p.duplicate_events, 0);
    assert_eq!(
        events_of(&store, "0ccf1a04-1b4c-43b6-8aa5-79e41db43a68").len(),
        stats.events + p.events
    );
}

#[test]
fn a_resumed_copy_of_the_session_is_stored_once() {
    let path = fixture("moredip-session-share/general-tool-calls.jsonl");
    let store = InMemoryStore::new();
    let stats = import(&store, &path);
    assert!(stats.duplicate_events > 100, "{stats:?}");
    let events = events_of(&store, "88f04c6a-d128-40bf-96b3-6b2aa787f62c");
    let forgot: Vec<_> = events
        .iter()
        .filter(|e| {
            matches!(&e.kind, EventKind::Prompt { text } if text.starts_with("I forgot to tell you"))
        })
        .collect();
    assert_eq!(forgot.len(), 1);
    let read_plan = events
        .iter()
        .filter(|e| {
            matches!(&e.kind, EventKind::Prompt { text } if text.starts_with("read plan.md and roadmap.md"))
        })
        .count();
    assert_eq!(
        read_plan, 1,
        "IDE context removed, both copies are one prompt"
    );
    let corrections = store
        .corrections(&ws(), &CorrectionFilter::default())
        .unwrap();
    let mut keys: Vec<_> = corrections
        .iter()
        .map(|c| (c.kind, c.reason.clone(), c.produced.clone()))
        .collect();
    let n = keys.len();
    keys.dedup();
    assert_eq!(keys.len(), n, "duplicated corrections: {corrections:#?}");
}

#[test]
fn progress_reports_bytes() {
    let path = fixture("jnarowski-agentcmd/full-session-four.jsonl");
    let mut last = 0u64;
    import_file(&InMemoryStore::new(), &ws(), &path, MAX_BYTES, &mut |b| {
        assert!(b >= last);
        last = b;
    })
    .unwrap();
    assert_eq!(last, std::fs::metadata(&path).unwrap().len());
}

#[test]
fn a_finished_file_without_a_final_newline_loses_nothing() {
    let path = fixture("jnarowski-agentcmd/full-session-two.jsonl");
    let text = std::fs::read_to_string(&path).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let trimmed = dir.path().join("no-final-newline.jsonl");
    std::fs::write(&trimmed, text.trim_end()).unwrap();
    let whole = InMemoryStore::new();
    let a = import(&whole, &path);
    let cut = InMemoryStore::new();
    let b = import(&cut, &trimmed);
    assert_eq!((b.events, b.skipped_lines), (a.events, 0));
    let sid = session_of(&path);
    assert_eq!(events_of(&cut, &sid), events_of(&whole, &sid));
    // A last line cut in the middle (a transcript still being written) is skipped.
    let partial = dir.path().join("partial.jsonl");
    let last = text.trim_end().rsplit('\n').next().unwrap();
    std::fs::write(&partial, format!("{text}{}", &last[..last.len() / 2])).unwrap();
    let c = import(&InMemoryStore::new(), &partial);
    assert_eq!((c.events, c.skipped_lines), (a.events, 1));
}

/// An in-memory store whose event writes fail after `ok_batches` batches.
#[derive(Debug)]
struct FailingStore {
    inner: InMemoryStore,
    ok_batches: std::sync::atomic::AtomicUsize,
}

impl Store for FailingStore {
    fn append_events(&self, events: &[Event]) -> hivemind_core::Result<usize> {
        use std::sync::atomic::Ordering;
        if self
            .ok_batches
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_err()
        {
            return Err(hivemind_core::Error::Storage("disk full".into()));
        }
        self.inner.append_events(events)
    }
    fn session_events(
        &self,
        w: &WorkspaceId,
        s: &SessionId,
        after: u64,
        limit: Option<usize>,
    ) -> hivemind_core::Result<Vec<Event>> {
        self.inner.session_events(w, s, after, limit)
    }
    fn last_events(
        &self,
        w: &WorkspaceId,
        s: &SessionId,
        n: usize,
    ) -> hivemind_core::Result<Vec<Event>> {
        self.inner.last_events(w, s, n)
    }
    fn insert_correction(&self, c: &hivemind_core::Correction) -> hivemind_core::Result<bool> {
        self.inner.insert_correction(c)
    }
    fn update_correction(&self, c: &hivemind_core::Correction) -> hivemind_core::Result<()> {
        self.inner.update_correction(c)
    }
    fn corrections(
        &self,
        w: &WorkspaceId,
        f: &CorrectionFilter,
    ) -> hivemind_core::Result<Vec<hivemind_core::Correction>> {
        self.inner.corrections(w, f)
    }
    fn upsert_skill(&self, s: &hivemind_core::Skill) -> hivemind_core::Result<bool> {
        self.inner.upsert_skill(s)
    }
    fn skills(&self, w: &WorkspaceId) -> hivemind_core::Result<Vec<hivemind_core::Skill>> {
        self.inner.skills(w)
    }
    fn skill_index(
        &self,
        w: &WorkspaceId,
        limit: usize,
    ) -> hivemind_core::Result<Vec<hivemind_core::SkillSummary>> {
        self.inner.skill_index(w, limit)
    }
    fn skill(
        &self,
        w: &WorkspaceId,
        n: &hivemind_core::SkillName,
    ) -> hivemind_core::Result<Option<hivemind_core::Skill>> {
        self.inner.skill(w, n)
    }
    fn search(
        &self,
        w: &WorkspaceId,
        scope: hivemind_core::SearchScope,
        q: &str,
        limit: usize,
    ) -> hivemind_core::Result<Vec<hivemind_core::SearchHit>> {
        self.inner.search(w, scope, q, limit)
    }
    fn get_state(&self, w: &WorkspaceId, k: &str) -> hivemind_core::Result<Option<String>> {
        self.inner.get_state(w, k)
    }
    fn set_state(&self, w: &WorkspaceId, k: &str, v: &str) -> hivemind_core::Result<()> {
        self.inner.set_state(w, k, v)
    }
    fn incr_counter(&self, w: &WorkspaceId, k: &str, by: i64) -> hivemind_core::Result<i64> {
        self.inner.incr_counter(w, k, by)
    }
    fn workspaces(&self) -> hivemind_core::Result<Vec<WorkspaceId>> {
        self.inner.workspaces()
    }
}

#[test]
fn a_store_error_is_returned_not_hung_on() {
    // Big enough for several batches: every fixture, concatenated twice over.
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.jsonl");
    let mut text = String::new();
    while text.len() < 20 << 20 {
        for f in claude_fixtures() {
            text.push_str(&std::fs::read_to_string(f).unwrap());
        }
    }
    std::fs::write(&big, &text).unwrap();
    // Failing on the first batch (the reader is still going) and on the last one.
    for ok_batches in [0, 2] {
        let store = FailingStore {
            inner: InMemoryStore::new(),
            ok_batches: ok_batches.into(),
        };
        let err = import_file(&store, &ws(), &big, MAX_BYTES, &mut |_| {}).unwrap_err();
        assert!(err.to_string().contains("disk full"), "{err}");
    }
}
