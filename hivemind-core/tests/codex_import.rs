//! Codex rollout import: real 0.40 rollouts (jnarowski/agentcmd fixtures) and synthetic
//! 0.60+ lines.
#![allow(clippy::unwrap_used)]

use hivemind_core::ingest::codex_rollout::*;
use hivemind_core::ingest::{detect_format, IngestItem, TranscriptFormat};
use hivemind_core::model::*;
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

#[derive(Debug, Default, PartialEq)]
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

/// Counts per fixture, checked against the files with an independent script.
#[test]
fn fixtures_parse_with_exact_counts() {
    #[rustfmt::skip]
    let expected = [
        // prefix, prompts, responses, calls, apply_patch, shell, update_plan, results, errors, interrupts
        ("rollout-2025-09-24T19-22-20", 13, 9, 123, 29, 91, 3, 123, 12, 4),
        ("rollout-2025-09-24T20-12-23", 2, 2, 16, 0, 16, 0, 16, 3, 0),
        ("rollout-2025-09-25T08-02-05", 2, 1, 57, 0, 57, 0, 57, 12, 0),
        ("rollout-2025-09-25T09-49-46", 1, 1, 84, 0, 81, 3, 84, 4, 0),
        ("rollout-2025-09-25T15-12-14", 1, 1, 34, 0, 34, 0, 34, 0, 0),
    ];
    for (
        prefix,
        prompts,
        responses,
        calls,
        apply_patch,
        shell,
        plan,
        results,
        errors,
        interrupts,
    ) in expected
    {
        let path = fixture(prefix);
        let r = read_file(&path);
        assert!(r.skipped.is_empty(), "{prefix}: {:?}", r.skipped);
        let got = counts(&r.events);
        let want = Counts {
            starts: 1,
            prompts,
            responses,
            calls,
            apply_patch_calls: apply_patch,
            shell_calls: shell,
            update_plan_calls: plan,
            results,
            errors,
            interrupts,
        };
        assert_eq!(got, want, "{prefix}");

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
    let r = read_file(&fixture("rollout-2025-09-24T19-22-20"));
    let reasons: Vec<_> = r
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Interrupt { reason } => Some(reason.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(reasons, vec![Some("interrupted".to_string()); 4]);

    let prompts: Vec<&str> = r
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Prompt { text } => Some(text.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(prompts.len(), 13);
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
    for path in fixtures() {
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
    assert_eq!(n, 19);
}

#[test]
fn apply_patch_inside_shell_is_recognised() {
    let r = read_file(&fixture("rollout-2025-09-24T19-22-20"));
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
    assert_eq!(patches.len(), 29);
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
    assert_eq!(shell_cmds.len(), 91);
    assert!(
        shell_cmds.iter().all(|c| !c.starts_with("bash -lc")),
        "{shell_cmds:?}"
    );
    assert!(shell_cmds.iter().all(|c| !c.contains("*** Begin Patch")));

    // Two patches were rejected by the user: their results are errors.
    let rejected = r
        .events
        .iter()
        .filter(|e| {
            matches!(&e.kind, EventKind::ToolResult { tool, output, is_error: true, .. }
                if tool == "apply_patch" && output == "patch rejected by user")
        })
        .count();
    assert_eq!(rejected, 2);
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
    let r = read_file(&fixture("rollout-2025-09-24T20-12-23"));
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
    assert_eq!(failed.len(), 3);
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
