//! Codex rollout import: real 0.40 rollouts (jnarowski/agentcmd fixtures) and synthetic
//! 0.60+ lines.
#![allow(clippy::unwrap_used)]

use hivemind_core::import::{import_file, ImportStats};
use hivemind_core::ingest::codex_rollout::*;
use hivemind_core::ingest::{detect_format, IngestItem, TranscriptFormat};
use hivemind_core::model::*;
use hivemind_core::{InMemoryStore, SqliteStore, Store};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Cursor};
use std::path::{Path, PathBuf};

/// Folder of the Codex fixtures; `HIVEMIND_TRANSCRIPT_FIXTURES` points at the folder holding
/// `codex/` when the shared fixtures live elsewhere.
fn fixture_dir() -> PathBuf {
    let root = std::env::var_os("HIVEMIND_TRANSCRIPT_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/work/shared/fixtures/transcripts"));
    let dir = root.join("codex/jnarowski-agentcmd");
    assert!(
        dir.is_dir(),
        "Codex fixtures not found at {}",
        dir.display()
    );
    dir
}

fn fixtures() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(fixture_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .collect();
    files.sort();
    assert_eq!(files.len(), 5, "{files:?}");
    files
}

fn fixture(prefix: &str) -> PathBuf {
    fixtures()
        .into_iter()
        .find(|p| p.file_name().unwrap().to_string_lossy().starts_with(prefix))
        .unwrap_or_else(|| panic!("no fixture starting with {prefix}"))
}

fn ws() -> WorkspaceId {
    WorkspaceId::new("test-ws").unwrap()
}

fn fallback() -> SessionId {
    SessionId::new("fallback-session").unwrap()
}

struct Read {
    events: Vec<Event>,
    skipped: Vec<(usize, String)>,
    session: SessionId,
    cwd: Option<String>,
}

fn read_from(input: impl BufRead) -> Read {
    let mut reader = CodexRolloutReader::new(input, ws(), fallback());
    let mut events = Vec::new();
    let mut skipped = Vec::new();
    for item in reader.by_ref() {
        match item {
            IngestItem::Event(e) => events.push(*e),
            IngestItem::Skipped { line, reason } => skipped.push((line, reason)),
        }
    }
    Read {
        events,
        skipped,
        session: reader.session_id().clone(),
        cwd: reader.cwd().map(str::to_string),
    }
}

fn read_file(path: &Path) -> Read {
    read_from(BufReader::new(std::fs::File::open(path).unwrap()))
}

fn read_str(s: &str) -> Read {
    read_from(Cursor::new(s.as_bytes().to_vec()))
}

/// Per-kind counts of a file's events, as the reader produces them or as the independent
/// counter ([`count_raw`]) expects them.
#[derive(Debug, Default, Clone, PartialEq)]
struct Counts {
    starts: usize,
    prompts: usize,
    responses: usize,
    calls: usize,
    apply_patch_calls: usize,
    shell_calls: usize,
    update_plan_calls: usize,
    results: usize,
    errors: usize,
    interrupts: usize,
}

fn counts(events: &[Event]) -> Counts {
    let mut c = Counts::default();
    for e in events {
        match &e.kind {
            EventKind::SessionStart { .. } => c.starts += 1,
            EventKind::Prompt { .. } => c.prompts += 1,
            EventKind::Response { .. } => c.responses += 1,
            EventKind::ToolCall { tool, .. } => {
                c.calls += 1;
                match tool.as_str() {
                    "apply_patch" => c.apply_patch_calls += 1,
                    "shell" => c.shell_calls += 1,
                    "update_plan" => c.update_plan_calls += 1,
                    _ => {}
                }
            }
            EventKind::ToolResult { is_error, .. } => {
                c.results += 1;
                c.errors += usize::from(*is_error);
            }
            EventKind::Interrupt { .. } => c.interrupts += 1,
            _ => {}
        }
    }
    c
}

/// What the independent counter finds in one rollout file.
#[derive(Debug, Default, Clone, PartialEq)]
struct Raw {
    /// Sessions the file's events belong to.
    sessions: BTreeSet<String>,
    counts: Counts,
    /// Lines that are malformed per the documented rule.
    skipped: usize,
    /// Tool outputs that are exactly Codex's "patch rejected by user".
    rejected_patches: usize,
}

const REQUEST_MARKER: &str = "## My request for Codex:";

/// The user's words in a `user_message`: the text after the first "## My request for
/// Codex:" that starts a line (leading blanks allowed), else the whole text; trimmed.
fn request_of(message: &str) -> &str {
    for (i, _) in message.match_indices(REQUEST_MARKER) {
        let line_start = message[..i].rfind('\n').map_or(0, |n| n + 1);
        if message[line_start..i].trim().is_empty() {
            return message[i + REQUEST_MARKER.len()..].trim();
        }
    }
    message.trim()
}

/// Whether a shell script (or an argv joined by spaces) applies a patch: it names
/// `apply_patch`/`applypatch` and holds a `*** Begin Patch` body. (Simpler than the
/// importer's command-position test; on these fixtures no command merely mentions it.)
fn applies_patch(script: &str) -> bool {
    (script.contains("apply_patch") || script.contains("applypatch"))
        && script.contains("*** Begin Patch")
}

/// The tool a call counts under: `apply_patch`, `shell`, or the call's own name.
fn tool_of(name: &str, arguments: Option<&Value>) -> String {
    let parsed = match arguments {
        Some(Value::String(s)) => serde_json::from_str::<Value>(s).ok(),
        Some(v) => Some(v.clone()),
        None => None,
    };
    let command = parsed.as_ref().and_then(|p| p.get("command"));
    let script = match command {
        Some(Value::Array(argv)) => Some(
            argv.iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(" "),
        ),
        Some(Value::String(s)) => Some(s.clone()),
        _ => None,
    };
    match name {
        "shell" | "container.exec" | "shell_command" => match script {
            Some(s) if applies_patch(&s) => "apply_patch".into(),
            _ => "shell".into(),
        },
        other => other.into(),
    }
}

/// Whether a tool output reports a failure: a JSON text `{output, metadata: {exit_code}}`
/// with a non-zero exit code, a text whose first line is `Exit code: N` or with a line
/// `Process exited with code N` (N non-zero), a text starting with one of Codex's failure
/// messages, or an object `{content, success: false}`.
fn output_failed(output: &Value) -> bool {
    let text = match output {
        Value::String(s) => s.as_str(),
        Value::Object(o) => {
            if o.get("success").and_then(Value::as_bool) == Some(false) {
                return true;
            }
            match o.get("content") {
                Some(Value::String(s)) => s.as_str(),
                _ => return false,
            }
        }
        _ => return false,
    };
    if let Ok(v) = serde_json::from_str::<Value>(text.trim()) {
        if v.get("output").is_some() && v["metadata"].is_object() {
            return v["metadata"]["exit_code"].as_i64().is_some_and(|c| c != 0);
        }
    }
    let text = text.trim_start();
    let nonzero = |c: &str| c.trim().parse::<i64>().is_ok_and(|c| c != 0);
    if let Some(c) = text
        .lines()
        .next()
        .and_then(|l| l.strip_prefix("Exit code: "))
    {
        return nonzero(c);
    }
    if let Some(c) = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("Process exited with code "))
    {
        return nonzero(c);
    }
    [
        "failed in sandbox",
        "execution error",
        "sandbox error",
        "patch rejected by user",
        "exec command rejected by user",
        "rejected by user",
    ]
    .iter()
    .any(|p| text.starts_with(p))
}

/// The session a file's events get before (or without) a valid `session_meta` id: the
/// file stem with every character outside `[A-Za-z0-9_-]` replaced by `-` (what `hivemind
/// import` passes as the fallback).
fn stem_session(path: &Path) -> String {
    path.file_stem()
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
        .collect()
}

/// The independent counter: reads the rollout line by line as `serde_json::Value` and
/// applies the mapping documented in `ingest::codex_rollout` (none of the importer's code
/// is used). How it counts:
///
/// - a line is one `\n`-terminated run of bytes; blank lines are ignored. A line is
///   *skipped* (malformed) when it is not UTF-8, not JSON, not an object, has no string
///   `type` or no object `payload`, has an unknown `type` (`turn_context` and `compacted`
///   are known and ignored), or lacks the fields its kind needs (below);
/// - sessions: the session of every counted event. Events before the first
///   `session_meta`, or in a file whose `session_meta` has no valid id, belong to the
///   fallback session (see [`stem_session`]); from the first `session_meta` on, to its
///   `payload.id`. A repeated `session_meta` (a forked rollout copying its parent's
///   header) is ignored, so a well-formed file has exactly one session;
/// - session starts: the first `session_meta` line;
/// - human prompts: `event_msg` lines with `payload.type == "user_message"` whose string
///   `payload.message` is non-empty after removing the IDE preamble (everything up to
///   and including the first line starting with "## My request for Codex:", see
///   [`request_of`]) and trimming; a prompt empty after that is dropped (not skipped);
///   one without a string `message` is skipped. `response_item` messages with role
///   `user` are copies and are not counted;
/// - responses: `event_msg/agent_message` with a non-blank string `message`;
/// - interrupts: `event_msg/turn_aborted`;
/// - tool calls: `response_item` lines whose `payload.type` is `function_call` or
///   `custom_tool_call` (with string `name` and `call_id`) or `local_shell_call` (with a
///   string `call_id` or `id`); split by tool with [`tool_of`];
/// - tool results: `response_item` lines whose `payload.type` is `function_call_output`
///   or `custom_tool_call_output`, with a string `call_id` and an `output`; errors as
///   [`output_failed`] says.
fn count_raw(path: &Path) -> Raw {
    let bytes = std::fs::read(path).unwrap();
    let mut raw = Raw::default();
    let mut session = stem_session(path);
    let mut saw_meta = false;
    for line in bytes.split(|b| *b == b'\n') {
        let Ok(text) = std::str::from_utf8(line) else {
            raw.skipped += 1;
            continue;
        };
        let text = text.trim();
        if text.is_empty() {
            continue;
        }
        let Ok(v) = serde_json::from_str::<Value>(text) else {
            raw.skipped += 1;
            continue;
        };
        let (Some(kind), Some(payload)) = (
            v.get("type").and_then(Value::as_str),
            v.get("payload").filter(|p| p.is_object()),
        ) else {
            raw.skipped += 1;
            continue;
        };
        let sub = payload.get("type").and_then(Value::as_str);
        let has = |k: &str| payload.get(k).and_then(Value::as_str).is_some();
        let c = &mut raw.counts;
        // Whether the line becomes an event, or is malformed.
        let (event, malformed) = match (kind, sub) {
            ("session_meta", _) if saw_meta => (false, false),
            ("session_meta", _) => {
                saw_meta = true;
                if let Some(id) = payload["id"].as_str() {
                    if SessionId::new(id).is_ok() {
                        session = id.to_string();
                    }
                }
                c.starts += 1;
                (true, false)
            }
            ("turn_context" | "compacted", _) => (false, false),
            ("event_msg" | "response_item", None) => (false, true),
            ("event_msg", Some("user_message")) => match payload["message"].as_str() {
                None => (false, true),
                Some(m) if request_of(m).is_empty() => (false, false),
                Some(_) => {
                    c.prompts += 1;
                    (true, false)
                }
            },
            ("event_msg", Some("agent_message")) => match payload["message"].as_str() {
                None => (false, true),
                Some(m) if m.trim().is_empty() => (false, false),
                Some(_) => {
                    c.responses += 1;
                    (true, false)
                }
            },
            ("event_msg", Some("turn_aborted")) => {
                c.interrupts += 1;
                (true, false)
            }
            ("event_msg", Some(_)) => (false, false),
            ("response_item", Some(t @ ("function_call" | "custom_tool_call")))
                if has("name") && has("call_id") =>
            {
                c.calls += 1;
                let name = payload["name"].as_str().unwrap();
                let tool = if t == "function_call" {
                    tool_of(name, payload.get("arguments"))
                } else {
                    name.to_string()
                };
                match tool.as_str() {
                    "apply_patch" => c.apply_patch_calls += 1,
                    "shell" => c.shell_calls += 1,
                    "update_plan" => c.update_plan_calls += 1,
                    _ => {}
                }
                (true, false)
            }
            ("response_item", Some("local_shell_call")) if has("call_id") || has("id") => {
                c.calls += 1;
                let command = payload["action"].get("command").cloned();
                let args = command.map(|cmd| serde_json::json!({ "command": cmd }));
                if tool_of("shell", args.as_ref()) == "apply_patch" {
                    c.apply_patch_calls += 1;
                } else {
                    c.shell_calls += 1;
                }
                (true, false)
            }
            ("response_item", Some("function_call" | "custom_tool_call" | "local_shell_call")) => {
                (false, true)
            }
            ("response_item", Some("function_call_output" | "custom_tool_call_output")) => {
                match payload.get("output") {
                    Some(output) if has("call_id") => {
                        c.results += 1;
                        c.errors += usize::from(output_failed(output));
                        raw.rejected_patches +=
                            usize::from(output.as_str() == Some("patch rejected by user"));
                        (true, false)
                    }
                    _ => (false, true),
                }
            }
            ("response_item", Some(_)) => (false, false),
            _ => (false, true),
        };
        if event {
            raw.sessions.insert(session.clone());
        }
        raw.skipped += usize::from(malformed);
    }
    raw
}

const MAX_BYTES: usize = 1 << 20;

fn import(store: &dyn Store, path: &Path) -> ImportStats {
    import_file(store, &ws(), path, MAX_BYTES, &mut |_| {}).unwrap()
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

/// For each fixture, what the importer finds (read back from a store after `import_file`,
/// and straight from the reader) equals what [`count_raw`] counts in the raw lines.
#[test]
fn importer_counts_match_an_independent_count_per_fixture() {
    let mut report = Vec::new();
    let mut totals = (0, 0, 0, 0);
    for path in fixtures() {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let want = count_raw(&path);

        // Through the importer, into a store.
        let store = InMemoryStore::new();
        let stats = import(&store, &path);
        let stored = stored_counts(&store, &want.sessions);
        let got = |k: &str| stored.get(k).copied().unwrap_or(0);
        report.push(format!(
            "{name}: {} sessions, {} prompts, {} tool calls, {} tool results, {} skipped",
            stats.sessions,
            got("prompt"),
            got("tool_call"),
            got("tool_result"),
            stats.skipped_lines
        ));
        assert_eq!(stats.files, 1, "{name}");
        assert_eq!(stats.unrecognized_files, 0, "{name}");
        assert_eq!(stats.sessions, want.sessions.len(), "{name}: sessions");
        assert_eq!(got("session_start"), want.counts.starts, "{name}: starts");
        assert_eq!(got("prompt"), want.counts.prompts, "{name}: human prompts");
        assert_eq!(got("tool_call"), want.counts.calls, "{name}: tool calls");
        assert_eq!(
            got("tool_result"),
            want.counts.results,
            "{name}: tool results"
        );
        assert_eq!(stats.skipped_lines, want.skipped, "{name}: skipped lines");
        // Everything stored belongs to the counted sessions and was new exactly once.
        assert_eq!(stats.events, stored.values().sum::<usize>(), "{name}");
        totals.0 += want.sessions.len();
        totals.1 += want.counts.prompts;
        totals.2 += want.counts.calls;
        totals.3 += want.counts.results;

        // Straight from the reader: every per-kind count, tool split and errors included.
        let r = read_file(&path);
        assert_eq!(r.skipped.len(), want.skipped, "{name}: {:?}", r.skipped);
        assert_eq!(counts(&r.events), want.counts, "{name}");
    }
    eprintln!("{}", report.join("\n"));
    // Not vacuous: the fixtures hold real sessions, prompts, calls and results.
    let (sessions, prompts, calls, results) = totals;
    assert!(
        sessions >= 5 && prompts > 0 && calls > 0 && results > 0,
        "{totals:?}"
    );
}

/// What the reader yields for each fixture beyond counts: ids, cwd, order, timestamps.
#[test]
fn fixtures_read_in_order_with_their_session() {
    for path in fixtures() {
        let prefix = path.file_name().unwrap().to_string_lossy().into_owned();
        let r = read_file(&path);
        assert!(r.skipped.is_empty(), "{prefix}: {:?}", r.skipped);
        assert_eq!(counts(&r.events).starts, 1, "{prefix}");

        // The session id is the rollout id (the file name ends with it).
        let name = path.file_stem().unwrap().to_string_lossy().to_string();
        assert!(
            name.ends_with(r.session.as_str()),
            "{name} vs {}",
            r.session
        );
        assert!(
            r.cwd
                .as_deref()
                .is_some_and(|c| c.starts_with("/Users/jnarowski/")),
            "{:?}",
            r.cwd
        );
        for e in &r.events {
            assert_eq!(e.agent, Agent::Codex);
            assert_eq!(e.session, r.session);
            assert_eq!(e.workspace, ws());
        }
        // The first event is the session start, timestamped from the line.
        let first = &r.events[0];
        assert!(
            matches!(&first.kind, EventKind::SessionStart { source: Some(s), cwd: Some(_) } if s == "codex_vscode")
        );
        assert!(
            first.at.to_rfc3339().starts_with("2025-09-2"),
            "{}",
            first.at
        );
        // Events come in file order, and timestamps never go backwards by much.
        for w in r.events.windows(2) {
            assert!(
                w[1].at >= w[0].at - chrono::Duration::seconds(1),
                "{:?} then {:?}",
                w[0].at,
                w[1].at
            );
        }
    }
}

#[test]
fn interrupts_and_prompts_in_the_aborted_session() {
    let path = fixture("rollout-2025-09-24T19-22-20");
    let want = count_raw(&path).counts;
    assert!(want.interrupts > 0 && want.prompts > 1, "{want:?}");
    let r = read_file(&path);
    let reasons: Vec<_> = r
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Interrupt { reason } => Some(reason.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(
        reasons,
        vec![Some("interrupted".to_string()); want.interrupts]
    );

    let prompts: Vec<&str> = r
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Prompt { text } => Some(text.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(prompts.len(), want.prompts);
    assert!(
        prompts.contains(&"No teams or leads are loading into the pane now"),
        "{prompts:#?}"
    );
    assert!(prompts.contains(&"Ok it is still not working either way. No data is showing up"));
    assert!(prompts.contains(&"continue"));
    assert!(
        prompts[0].starts_with("Updating a team to assign a lead"),
        "{}",
        prompts[0]
    );
}

#[test]
fn ide_preamble_is_stripped_everywhere() {
    let mut n = 0;
    let mut want = 0;
    for path in fixtures() {
        want += count_raw(&path).counts.prompts;
        for e in read_file(&path).events {
            if let EventKind::Prompt { text } = &e.kind {
                n += 1;
                assert!(!text.contains("## My request for Codex:"), "{text}");
                assert!(!text.contains("# Context from my IDE setup"), "{text}");
                assert!(!text.contains("<environment_context>"), "{text}");
                assert_eq!(text.trim(), text);
                assert!(!text.is_empty());
            }
        }
    }
    assert!(n > 0);
    assert_eq!(n, want);
}

#[test]
fn apply_patch_inside_shell_is_recognised() {
    let path = fixture("rollout-2025-09-24T19-22-20");
    let want = count_raw(&path);
    assert!(
        want.counts.apply_patch_calls > 0
            && want.counts.shell_calls > 0
            && want.rejected_patches > 0,
        "{want:?}"
    );
    let r = read_file(&path);
    let patches: Vec<&str> = r
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::ToolCall { tool, input, .. } if tool == "apply_patch" => {
                Some(input["patch"].as_str().unwrap())
            }
            _ => None,
        })
        .collect();
    assert_eq!(patches.len(), want.counts.apply_patch_calls);
    for p in &patches {
        assert!(p.starts_with("*** Begin Patch\n"), "{p}");
        assert!(p.ends_with("*** End Patch"), "{p}");
        assert!(!p.contains("PATCH\n"), "heredoc terminator leaked: {p}");
    }
    assert!(patches
        .iter()
        .any(|p| p.contains("*** Add File: apps/spectora-labs/src/app/api/teams/[id]/route.ts")));

    // Shell calls carry the `-lc` script, not the argv.
    let shell_cmds: Vec<&str> = r
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::ToolCall { tool, input, .. } if tool == "shell" => {
                Some(input["command"].as_str().unwrap())
            }
            _ => None,
        })
        .collect();
    assert_eq!(shell_cmds.len(), want.counts.shell_calls);
    assert!(
        shell_cmds.iter().all(|c| !c.starts_with("bash -lc")),
        "{shell_cmds:?}"
    );
    assert!(shell_cmds.iter().all(|c| !c.contains("*** Begin Patch")));

    // Patches rejected by the user: their results are errors.
    let rejected = r
        .events
        .iter()
        .filter(|e| {
            matches!(&e.kind, EventKind::ToolResult { tool, output, is_error: true, .. }
                if tool == "apply_patch" && output == "patch rejected by user")
        })
        .count();
    assert_eq!(rejected, want.rejected_patches);
}

#[test]
fn results_pair_with_calls_by_call_id() {
    for path in fixtures() {
        let r = read_file(&path);
        let mut calls = std::collections::HashMap::new();
        for e in &r.events {
            match &e.kind {
                EventKind::ToolCall { tool, call_id, .. } => {
                    let id = call_id.clone().unwrap();
                    assert!(
                        calls.insert(id, tool.clone()).is_none(),
                        "duplicate call id"
                    );
                }
                EventKind::ToolResult {
                    tool,
                    call_id,
                    output,
                    ..
                } => {
                    let id = call_id.as_ref().unwrap();
                    assert_eq!(calls.get(id), Some(tool), "{}: result {id}", path.display());
                    assert_ne!(tool, "unknown");
                    assert!(!output.is_null());
                }
                _ => {}
            }
        }
    }
    // Structured shell outputs are parsed, with their exit code.
    let path = fixture("rollout-2025-09-24T20-12-23");
    let want = count_raw(&path).counts.errors;
    assert!(want > 0);
    let r = read_file(&path);
    let failed: Vec<_> = r
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::ToolResult {
                output,
                is_error: true,
                ..
            } => Some(output.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(failed.len(), want);
    for o in failed {
        assert_ne!(o["metadata"]["exit_code"].as_i64(), Some(0), "{o}");
        assert!(o["output"].is_string());
    }
}

#[test]
fn rereading_gives_identical_ids() {
    for path in fixtures() {
        let a = read_file(&path);
        let b = read_file(&path);
        let ids_a: Vec<_> = a.events.iter().map(|e| e.id.clone()).collect();
        let ids_b: Vec<_> = b.events.iter().map(|e| e.id.clone()).collect();
        assert_eq!(ids_a, ids_b);
        let unique: std::collections::HashSet<_> = ids_a.iter().collect();
        assert_eq!(
            unique.len(),
            ids_a.len(),
            "ids must be unique within a file"
        );
        assert_eq!(a.events, b.events);
    }
    // Ids depend on the session and the line: another session's file gives other ids.
    let a = read_file(&fixture("rollout-2025-09-25T09-49-46"));
    let b = read_file(&fixture("rollout-2025-09-25T15-12-14"));
    assert_ne!(a.events[0].id, b.events[0].id);
    assert_eq!(
        a.events[0].id,
        EventId::derived(&format!("codex:{}:1", a.session)),
        "session_meta is line 1"
    );
}

const META: &str = r#"{"timestamp":"2025-11-20T10:00:00.000Z","type":"session_meta","payload":{"id":"019aa000-0000-7000-8000-000000000001","cwd":"/home/u/proj","originator":"codex_cli_rs","cli_version":"0.63.0"}}"#;

#[test]
fn synthetic_060_lines() {
    let lines = [
        META,
        r#"{"timestamp":"2025-11-20T10:00:01.000Z","type":"turn_context","payload":{"cwd":"/home/u/proj","model":"gpt-5.1-codex"}}"#,
        r#"{"timestamp":"2025-11-20T10:00:02.000Z","type":"event_msg","payload":{"type":"user_message","message":"rename foo to bar","images":[]}}"#,
        r#"{"timestamp":"2025-11-20T10:00:03.000Z","type":"response_item","payload":{"type":"custom_tool_call","status":"completed","call_id":"call_p","name":"apply_patch","input":"*** Begin Patch\n*** Update File: src/a.rs\n@@\n-foo\n+bar\n*** End Patch"}}"#,
        r#"{"timestamp":"2025-11-20T10:00:04.000Z","type":"response_item","payload":{"type":"custom_tool_call_output","call_id":"call_p","output":"{\"output\":\"Success. Updated the following files:\\nM src/a.rs\\n\",\"metadata\":{\"exit_code\":0,\"duration_seconds\":0.0}}"}}"#,
        r#"{"timestamp":"2025-11-20T10:00:05.000Z","type":"response_item","payload":{"type":"function_call","name":"shell_command","arguments":"{\"command\":\"cargo test\",\"workdir\":\"/home/u/proj\"}","call_id":"call_s"}}"#,
        r#"{"timestamp":"2025-11-20T10:00:06.000Z","type":"response_item","payload":{"type":"function_call_output","call_id":"call_s","output":"{\"output\":\"error[E0425]\",\"metadata\":{\"exit_code\":1,\"duration_seconds\":2.5}}"}}"#,
        r#"{"timestamp":"2025-11-20T10:00:07.000Z","type":"response_item","payload":{"type":"function_call","name":"shell_command","arguments":"{\"command\":\"ls\"}","call_id":"call_f"}}"#,
        r#"{"timestamp":"2025-11-20T10:00:08.000Z","type":"response_item","payload":{"type":"function_call_output","call_id":"call_f","output":"Exit code: 2\nWall time: 0.1 seconds\nOutput:\nls: cannot access"}}"#,
        r#"{"timestamp":"2025-11-20T10:00:09.000Z","type":"response_item","payload":{"type":"function_call_output","call_id":"call_orphan","output":"hi"}}"#,
        r#"{"timestamp":"2025-11-20T10:00:10.000Z","type":"event_msg","payload":{"type":"agent_message","message":"Done."}}"#,
        r#"{"timestamp":"2025-11-20T10:00:10.000Z","type":"response_item","payload":{"type":"message","role":"assistant","content":[{"type":"output_text","text":"Done."}]}}"#,
        r#"{"timestamp":"2025-11-20T10:00:11.000Z","type":"event_msg","payload":{"type":"turn_aborted","reason":"interrupted"}}"#,
    ];
    let r = read_str(&lines.join("\n"));
    assert!(r.skipped.is_empty(), "{:?}", r.skipped);
    assert_eq!(r.session.as_str(), "019aa000-0000-7000-8000-000000000001");
    assert_eq!(r.cwd.as_deref(), Some("/home/u/proj"));
    let kinds: Vec<EventKind> = r.events.iter().map(|e| e.kind.clone()).collect();
    assert_eq!(
        kinds,
        vec![
            EventKind::SessionStart {
                source: Some("codex_cli_rs".into()),
                cwd: Some("/home/u/proj".into())
            },
            EventKind::Prompt {
                text: "rename foo to bar".into()
            },
            EventKind::ToolCall {
                tool: "apply_patch".into(),
                call_id: Some("call_p".into()),
                input: serde_json::json!({"patch": "*** Begin Patch\n*** Update File: src/a.rs\n@@\n-foo\n+bar\n*** End Patch"}),
            },
            EventKind::ToolResult {
                tool: "apply_patch".into(),
                call_id: Some("call_p".into()),
                output: serde_json::json!({"output": "Success. Updated the following files:\nM src/a.rs\n", "metadata": {"exit_code": 0, "duration_seconds": 0.0}}),
                is_error: false,
            },
            EventKind::ToolCall {
                tool: "shell".into(),
                call_id: Some("call_s".into()),
                input: serde_json::json!({"command": "cargo test"}),
            },
            EventKind::ToolResult {
                tool: "shell".into(),
                call_id: Some("call_s".into()),
                output: serde_json::json!({"output": "error[E0425]", "metadata": {"exit_code": 1, "duration_seconds": 2.5}}),
                is_error: true,
            },
            EventKind::ToolCall {
                tool: "shell".into(),
                call_id: Some("call_f".into()),
                input: serde_json::json!({"command": "ls"}),
            },
            EventKind::ToolResult {
                tool: "shell".into(),
                call_id: Some("call_f".into()),
                output: serde_json::json!(
                    "Exit code: 2\nWall time: 0.1 seconds\nOutput:\nls: cannot access"
                ),
                is_error: true,
            },
            EventKind::ToolResult {
                tool: "unknown".into(),
                call_id: Some("call_orphan".into()),
                output: serde_json::json!("hi"),
                is_error: false,
            },
            EventKind::Response {
                text: "Done.".into()
            },
            EventKind::Interrupt {
                reason: Some("interrupted".into())
            },
        ]
    );
    assert_eq!(
        r.events[1].at,
        chrono::DateTime::parse_from_rfc3339("2025-11-20T10:00:02Z").unwrap()
    );
}

#[test]
fn shell_argv_shapes() {
    let call = |args: &str| {
        let line = serde_json::json!({
            "timestamp": "2025-09-25T01:22:20.083Z",
            "type": "response_item",
            "payload": {"type": "function_call", "name": "shell", "arguments": args, "call_id": "c1"},
        });
        let r = read_str(&line.to_string());
        assert!(r.skipped.is_empty(), "{:?}", r.skipped);
        match r.events.into_iter().next().unwrap().kind {
            EventKind::ToolCall { tool, input, .. } => (tool, input),
            other => panic!("{other:?}"),
        }
    };
    assert_eq!(
        call(r#"{"command":["rg","-n","TeamSheet","apps"]}"#),
        (
            "shell".to_string(),
            serde_json::json!({"command": "rg -n TeamSheet apps"})
        )
    );
    assert_eq!(
        call(r#"{"command":["bash","-lc","ls -la"],"workdir":"/x"}"#),
        (
            "shell".to_string(),
            serde_json::json!({"command": "ls -la"})
        )
    );
    assert_eq!(
        call(
            r#"{"command":["apply_patch","*** Begin Patch\n*** Delete File: a\n*** End Patch\n"]}"#
        ),
        (
            "apply_patch".to_string(),
            serde_json::json!({"patch": "*** Begin Patch\n*** Delete File: a\n*** End Patch"})
        )
    );
    assert_eq!(
        call(
            r#"{"command":["bash","-lc","cd web && apply_patch <<'EOF'\n*** Begin Patch\n*** Delete File: a\n*** End Patch\nEOF\n"]}"#
        ),
        (
            "apply_patch".to_string(),
            serde_json::json!({"patch": "*** Begin Patch\n*** Delete File: a\n*** End Patch"})
        )
    );
    // Mentioning apply_patch is not invoking it.
    assert_eq!(
        call(r#"{"command":["bash","-lc","rg apply_patch src"]}"#),
        (
            "shell".to_string(),
            serde_json::json!({"command": "rg apply_patch src"})
        )
    );
    // Other functions keep their name and parsed arguments.
    let line = r#"{"timestamp":"2025-09-25T01:22:20.083Z","type":"response_item","payload":{"type":"function_call","name":"update_plan","arguments":"{\"plan\":[]}","call_id":"c2"}}"#;
    let r = read_str(line);
    assert!(
        matches!(&r.events[0].kind, EventKind::ToolCall { tool, input, .. }
        if tool == "update_plan" && input == &serde_json::json!({"plan": []}))
    );
    // Unparsable arguments are kept raw.
    let line = r#"{"timestamp":"2025-09-25T01:22:20.083Z","type":"response_item","payload":{"type":"function_call","name":"view_image","arguments":"not json","call_id":"c3"}}"#;
    let r = read_str(line);
    assert!(
        matches!(&r.events[0].kind, EventKind::ToolCall { tool, input, .. }
        if tool == "view_image" && input == &serde_json::json!("not json"))
    );
}

#[test]
fn garbage_lines_are_skipped_and_reading_goes_on() {
    let input = [
        "not json",
        "{}",
        "",
        "   ",
        "[1,2]",
        r#"{"timestamp":"2025-11-20T10:00:00Z","type":"event_msg","payload":{"type":"user_message"}}"#,
        r#"{"timestamp":"2025-11-20T10:00:00Z","type":"response_item","payload":{"type":"function_call","name":"shell"}}"#,
        r#"{"timestamp":"2025-11-20T10:00:00Z","type":"mystery","payload":{}}"#,
        META,
        r#"{"timestamp":"2025-11-20T10:00:02.000Z","type":"event_msg","payload":{"type":"token_count","info":null}}"#,
        r#"{"type":"event_msg","payload":{"type":"agent_message","message":"no timestamp"}}"#,
        r##"{"timestamp":"2025-11-20T10:00:03.000Z","type":"event_msg","payload":{"type":"user_message","message":"# Context from my IDE setup:\n\n## My request for Codex:\n   \n"}}"##,
    ]
    .join("\n");
    let before = chrono::Utc::now();
    let r = read_str(&input);
    let lines: Vec<usize> = r.skipped.iter().map(|(l, _)| *l).collect();
    assert_eq!(lines, vec![1, 2, 5, 6, 7, 8], "{:?}", r.skipped);
    assert!(r.skipped[0].1.contains("not JSON"), "{}", r.skipped[0].1);
    // Events after the garbage are still read; the missing timestamp becomes "now"; the
    // prompt that is empty after stripping is dropped.
    assert_eq!(r.events.len(), 2);
    assert!(matches!(r.events[0].kind, EventKind::SessionStart { .. }));
    assert_eq!(
        r.events[0].id,
        EventId::derived("codex:019aa000-0000-7000-8000-000000000001:9")
    );
    assert!(matches!(&r.events[1].kind, EventKind::Response { text } if text == "no timestamp"));
    assert!(r.events[1].at >= before);
}

#[test]
fn invalid_or_missing_session_id_keeps_the_fallback() {
    let bad = r#"{"timestamp":"2025-11-20T10:00:00Z","type":"session_meta","payload":{"id":"../evil id","cwd":"/p","originator":"x"}}"#;
    let r = read_str(bad);
    assert_eq!(r.session, fallback());
    assert_eq!(r.cwd.as_deref(), Some("/p"));
    assert_eq!(r.events.len(), 1);
    assert_eq!(r.events[0].id, EventId::derived("codex:fallback-session:1"));

    let prompt = r#"{"timestamp":"2025-11-20T10:00:00Z","type":"event_msg","payload":{"type":"user_message","message":"hi"}}"#;
    let r = read_str(prompt);
    assert_eq!(r.session, fallback());
    assert_eq!(r.cwd, None);
    assert_eq!(r.events[0].session, fallback());
}

#[test]
fn invalid_utf8_is_skipped() {
    let mut bytes = b"\xff\xfe garbage\n".to_vec();
    bytes.extend_from_slice(META.as_bytes());
    let r = read_from(Cursor::new(bytes));
    assert_eq!(r.skipped.len(), 1);
    assert_eq!(r.skipped[0].0, 1);
    assert_eq!(r.events.len(), 1);
}

#[test]
fn strip_ide_preamble_cases() {
    let full = "# Context from my IDE setup:\n\n## Open tabs:\n- a.ts: a.ts\n\n## My request for Codex:\nfix the build\n";
    assert_eq!(strip_ide_preamble(full), "fix the build");
    assert_eq!(strip_ide_preamble("  plain request \n"), "plain request");
    assert_eq!(strip_ide_preamble(""), "");
    assert_eq!(strip_ide_preamble("## My request for Codex:\n"), "");
    assert_eq!(
        strip_ide_preamble("## My request for Codex: inline words"),
        "inline words"
    );
    assert_eq!(
        strip_ide_preamble("x\r\n## My request for Codex:\r\nline one\r\nline two\r\n"),
        "line one\r\nline two"
    );
    // Only a whole marker line counts; a mention inside the request is kept.
    assert_eq!(
        strip_ide_preamble("why does it say \"## My request for Codex:\"?"),
        "why does it say \"## My request for Codex:\"?"
    );
    // The first marker ends the preamble; a later one belongs to the request.
    assert_eq!(
        strip_ide_preamble("pre\n## My request for Codex:\nquote:\n## My request for Codex:\nend"),
        "quote:\n## My request for Codex:\nend"
    );
    // Multi-byte text survives.
    assert_eq!(
        strip_ide_preamble("é\n## My request for Codex:\nçà ✓"),
        "çà ✓"
    );
}

#[test]
fn detect_format_recognises_each_fixture() {
    for path in fixtures() {
        let mut first = String::new();
        BufReader::new(std::fs::File::open(&path).unwrap())
            .read_line(&mut first)
            .unwrap();
        assert_eq!(
            detect_format([first.as_str()]),
            Some(TranscriptFormat::CodexRollout),
            "{}",
            path.display()
        );
    }
}

/// Importing every Codex fixture a second time into the same store adds nothing: the
/// events (by session and kind) and corrections stored after the second pass are those
/// stored after the first.
#[test]
fn importing_all_fixtures_twice_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("hivemind.db");
    let store = SqliteStore::open(&db).unwrap();
    let files = fixtures();
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
    let mut sessions = BTreeSet::new();
    for f in &files {
        let s = import(&store, f);
        first.events += s.events;
        first.corrections += s.corrections;
        sessions.extend(count_raw(f).sessions);
    }
    let once = count_rows();
    assert!(first.events > 0);
    assert_eq!(
        once.0.iter().map(|r| r.2).sum::<i64>() as usize,
        first.events
    );
    assert_eq!(once.1 as usize, first.corrections);
    let stored_sessions: BTreeSet<String> = once.0.iter().map(|r| r.0.clone()).collect();
    assert_eq!(stored_sessions, sessions);
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

/// The counter's edge rules (malformed lines, dropped prompts, lines before
/// `session_meta`, a repeated or invalid `session_meta`) give what the reader gives on
/// small hand-written rollouts, so its agreement on the fixtures is not luck.
#[test]
fn the_counter_agrees_with_the_reader_on_edge_cases() {
    let prompt = |m: &str| {
        serde_json::json!({"timestamp": "2025-11-20T10:00:00Z", "type": "event_msg",
            "payload": {"type": "user_message", "message": m}})
        .to_string()
    };
    let other_meta = META.replace("000000000001", "000000000002");
    let bad_meta = META.replace("019aa000-0000-7000-8000-000000000001", "../evil id");
    let garbage = [
        "not json",
        "{}",
        "",
        "[1,2]",
        r#"{"type":"event_msg","payload":"x"}"#,
        r#"{"timestamp":"2025-11-20T10:00:00Z","type":"event_msg","payload":{"type":"user_message"}}"#,
        r#"{"timestamp":"2025-11-20T10:00:00Z","type":"event_msg","payload":{"message":"no type"}}"#,
        r#"{"timestamp":"2025-11-20T10:00:00Z","type":"response_item","payload":{"type":"function_call","name":"shell"}}"#,
        r#"{"timestamp":"2025-11-20T10:00:00Z","type":"response_item","payload":{"type":"function_call_output","call_id":"c"}}"#,
        r#"{"timestamp":"2025-11-20T10:00:00Z","type":"response_item","payload":{"type":"local_shell_call","id":"ls1","action":{"command":["apply_patch","*** Begin Patch\n*** End Patch"]}}}"#,
        r#"{"timestamp":"2025-11-20T10:00:00Z","type":"response_item","payload":{"type":"custom_tool_call_output","call_id":"ls1","output":"Exit code: 2\nOutput:\n"}}"#,
        r#"{"timestamp":"2025-11-20T10:00:00Z","type":"event_msg","payload":{"type":"agent_message","message":"  "}}"#,
        r#"{"timestamp":"2025-11-20T10:00:00Z","type":"mystery","payload":{}}"#,
    ];
    let inputs: Vec<String> = vec![
        // Events before the header belong to the fallback session.
        [prompt("early"), META.to_string(), prompt("late")].join("\n"),
        // A repeated header is ignored; an invalid id keeps the fallback.
        [META.to_string(), other_meta, prompt("x")].join("\n"),
        [bad_meta, prompt("y")].join("\n"),
        // Prompts empty after the preamble are dropped; inline and indented markers.
        [
            prompt("# Context\n## My request for Codex:\n  \n"),
            prompt("## My request for Codex: inline"),
            prompt("ctx\n   ## My request for Codex:\nindented"),
            prompt("say \"## My request for Codex:\" please"),
            prompt(" \n "),
        ]
        .join("\n"),
        garbage.join("\n") + "\n" + META + "\n",
        garbage.join("\n") + "\n\u{ff}",
    ];
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fallback-session.jsonl");
    for (i, input) in inputs.iter().enumerate() {
        let mut bytes = input.clone().into_bytes();
        if i == inputs.len() - 1 {
            // Invalid UTF-8 on the last line.
            bytes.pop();
            bytes.pop();
            bytes.push(0xff);
        }
        std::fs::write(&path, &bytes).unwrap();
        let want = count_raw(&path);
        let r = read_file(&path);
        assert_eq!(counts(&r.events), want.counts, "input {i}");
        assert_eq!(r.skipped.len(), want.skipped, "input {i}: {:?}", r.skipped);
        let sessions: BTreeSet<String> = r
            .events
            .iter()
            .map(|e| e.session.as_str().to_string())
            .collect();
        assert_eq!(sessions, want.sessions, "input {i}");
    }
}
