//! Hostile and malformed input: bad ids, huge tool output, invalid UTF-8, garbage hook
//! payloads, use after close. Nothing may panic; errors must say what is wrong.
#![allow(clippy::unwrap_used)]

use hivemind_core::hook::{drain_spool, run_hook};
use hivemind_core::model::{
    Agent, CorrectionKind, Event, EventKind, SessionId, SkillName, WorkspaceId,
};
use hivemind_core::store::{InMemoryStore, SearchScope, SqliteStore, Store};
use hivemind_core::{Config, CorrectionInput, Error, Hivemind};
use std::path::Path;
use std::sync::Arc;

fn ws(s: &str) -> WorkspaceId {
    WorkspaceId::new(s).unwrap()
}

fn sid(s: &str) -> SessionId {
    SessionId::new(s).unwrap()
}

/// A `Hivemind` on a SQLite store under `home`, in workspace `acme`.
fn open(home: &Path) -> Hivemind {
    let mut config = Config::with_home(home);
    config.workspace = Some(ws("acme"));
    Hivemind::open(config).unwrap()
}

fn invalid_message(r: hivemind_core::Result<impl std::fmt::Debug>) -> String {
    match r {
        Err(Error::InvalidInput(m)) => m,
        other => panic!("expected Error::InvalidInput, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------
// Bad ids
// ---------------------------------------------------------------------------------------

#[test]
fn bad_workspace_ids_are_invalid_input_naming_the_problem() {
    let long = "w".repeat(129);
    let cases: [(&str, &[&str]); 9] = [
        ("", &["workspace id", "empty"]),
        ("a b", &["workspace id", "\"a b\"", "' '"]),
        ("acme\u{0}", &["workspace id", "'\\0'"]),
        ("café", &["workspace id", "'é'"]),
        ("acme;rm -rf", &["workspace id", "';'"]),
        ("../etc", &["workspace id", "'.'", "'/'", "'..'"]),
        ("/abs/path", &["workspace id", "'/'"]),
        ("a..b", &["workspace id", "'..'"]),
        (&long, &["workspace id", "129 bytes", "128"]),
    ];
    for (bad, words) in cases {
        let msg = invalid_message(WorkspaceId::new(bad));
        for w in words {
            assert!(msg.contains(w), "{bad:?}: {msg:?} does not mention {w}");
        }
        // The Display form carries the same explanation.
        let shown = WorkspaceId::new(bad).unwrap_err().to_string();
        assert!(shown.starts_with("invalid input: "), "{shown}");
        assert!(shown.ends_with(&msg), "{shown}");
        assert_eq!(
            WorkspaceId::new(bad).unwrap_err().code(),
            "HIVEMIND_INVALID_INPUT"
        );
        // The same check guards deserialization (config files, journals, API JSON).
        let json = serde_json::to_string(bad).unwrap();
        let err = serde_json::from_str::<WorkspaceId>(&json).unwrap_err();
        assert!(
            err.to_string().contains(&msg),
            "{bad:?}: serde error {err} lacks {msg:?}"
        );
    }
    // Limits are inclusive.
    assert!(WorkspaceId::new("w".repeat(128)).is_ok());
    assert!(WorkspaceId::new("github.com/acme/shop-web_2:main@x").is_ok());
}

#[test]
fn bad_ids_inside_documents_are_rejected() {
    // A config file naming a bad workspace.
    let err = serde_json::from_str::<Config>(r#"{"workspace": "../../etc"}"#).unwrap_err();
    assert!(err.to_string().contains("workspace id"), "{err}");
    // An event whose workspace or session is bad.
    let good = Event::new(
        ws("acme"),
        sid("s1"),
        Agent::ClaudeCode,
        EventKind::Prompt { text: "hi".into() },
    );
    let mut v = serde_json::to_value(&good).unwrap();
    assert!(serde_json::from_value::<Event>(v.clone()).is_ok());
    v["workspace"] = serde_json::json!("a b");
    let err = serde_json::from_value::<Event>(v.clone()).unwrap_err();
    assert!(err.to_string().contains("workspace id"), "{err}");
    v["workspace"] = serde_json::json!("acme");
    v["session"] = serde_json::json!("");
    let err = serde_json::from_value::<Event>(v.clone()).unwrap_err();
    assert!(err.to_string().contains("session id"), "{err}");
    v["session"] = serde_json::json!("s1");
    v["id"] = serde_json::json!("not-a-uuid");
    let err = serde_json::from_value::<Event>(v).unwrap_err();
    assert!(err.to_string().contains("not a UUID"), "{err}");
    // Skill names.
    let msg = invalid_message(SkillName::new("Use PNPM"));
    assert!(msg.contains("'U'") && msg.contains("a-z"), "{msg}");
    let msg = invalid_message(SessionId::new("x".repeat(201)));
    assert!(msg.contains("session id") && msg.contains("200"), "{msg}");
    let msg = invalid_message("nonsense".parse::<CorrectionKind>());
    assert!(
        msg.contains("nonsense") && msg.contains("followup"),
        "{msg}"
    );
}

// ---------------------------------------------------------------------------------------
// Huge and broken content
// ---------------------------------------------------------------------------------------

/// About `n` bytes of realistic build output with multi-byte characters (so that a cut
/// lands inside a character) and no secrets.
fn big_output(n: usize) -> String {
    let line = "   Compiling größe-日本 v0.1.0 (/src/crate) … ok ✓\n";
    let mut s = line.repeat(n / line.len() + 1);
    let mut cut = n;
    while !s.is_char_boundary(cut) {
        cut += 1;
    }
    s.truncate(cut);
    s
}

/// What `text` must look like once capped at `cap` bytes.
fn expected_truncation(text: &str, cap: usize) -> String {
    let mut head = cap;
    while !text.is_char_boundary(head) {
        head -= 1;
    }
    let cut = text.len() - head;
    format!("{}\n[… truncated {cut} bytes by hivemind …]", &text[..head])
}

#[test]
fn fifty_megabyte_tool_result_is_stored_truncated_and_the_batch_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let hm = open(dir.path());
    let cap = hm.config().max_tool_output_bytes;
    let s = sid("big");
    let huge = big_output(50 * 1024 * 1024);
    assert!(huge.len() >= 50 * 1024 * 1024);
    let medium = big_output(cap + 1000);

    let before = hm.event(
        s.clone(),
        Agent::ClaudeCode,
        EventKind::Prompt {
            text: "build the project".into(),
        },
    );
    let call = hm.event(
        s.clone(),
        Agent::ClaudeCode,
        EventKind::ToolCall {
            tool: "Bash".into(),
            call_id: Some("toolu_1".into()),
            input: serde_json::json!({"command": "cargo build"}),
        },
    );
    let result = hm.event(
        s.clone(),
        Agent::ClaudeCode,
        EventKind::ToolResult {
            tool: "Bash".into(),
            call_id: Some("toolu_1".into()),
            output: serde_json::Value::String(huge.clone()),
            is_error: false,
        },
    );
    // Nested JSON output: every oversized string is capped, small ones are untouched.
    let nested = hm.event(
        s.clone(),
        Agent::ClaudeCode,
        EventKind::ToolResult {
            tool: "Read".into(),
            call_id: Some("toolu_2".into()),
            output: serde_json::json!({"stdout": medium, "stderr": "warning: x", "code": 0}),
            is_error: false,
        },
    );
    let response = hm.event(
        s.clone(),
        Agent::ClaudeCode,
        EventKind::Response {
            text: medium.clone(),
        },
    );
    let after = hm.event(
        s.clone(),
        Agent::ClaudeCode,
        EventKind::Prompt {
            text: "thanks, now run the tests".into(),
        },
    );
    let all = [before, call, result, nested, response, after];
    for e in all.iter().cloned() {
        hm.capture(e).unwrap();
    }
    assert_eq!(hm.flush().unwrap(), all.len());

    let stored = hm
        .store()
        .session_events(hm.workspace(), &s, 0, None)
        .unwrap();
    assert_eq!(stored.len(), all.len(), "an event of the batch was lost");
    for (i, (got, sent)) in stored.iter().zip(&all).enumerate() {
        assert_eq!(got.id, sent.id, "order at {i}");
        assert_eq!(got.seq, i as u64 + 1);
    }
    assert_eq!(stored[0].kind, all[0].kind);
    assert_eq!(stored[1].kind, all[1].kind);
    assert_eq!(stored[5].kind, all[5].kind);

    let EventKind::ToolResult { output, tool, .. } = &stored[2].kind else {
        panic!("not a tool result: {:?}", stored[2].kind.name());
    };
    assert_eq!(tool, "Bash");
    let text = output.as_str().unwrap();
    assert!(text.len() < cap + 100, "stored {} bytes", text.len());
    let marker_at = text.find("\n[… truncated ").expect("no truncation marker");
    assert!(
        marker_at <= cap && marker_at + 4 > cap,
        "kept {marker_at} bytes"
    );
    assert!(
        text.ends_with(&format!(
            "\n[… truncated {} bytes by hivemind …]",
            huge.len() - marker_at
        )),
        "marker: {:?}",
        &text[marker_at..]
    );
    assert_eq!(&text[..marker_at], &huge[..marker_at]);
    assert_eq!(text, expected_truncation(&huge, cap));

    let EventKind::ToolResult { output, .. } = &stored[3].kind else {
        panic!("not a tool result");
    };
    assert_eq!(
        output["stdout"].as_str().unwrap(),
        expected_truncation(&medium, cap)
    );
    assert_eq!(output["stderr"], "warning: x");
    assert_eq!(output["code"], 0);

    let EventKind::Response { text } = &stored[4].kind else {
        panic!("not a response");
    };
    assert_eq!(text, &expected_truncation(&medium, cap));
    // The truncated response is still searchable.
    let hits = hm
        .store()
        .search(hm.workspace(), SearchScope::Events, "compiling", 10)
        .unwrap();
    assert!(hits.iter().any(|h| h.reference == all[4].id.to_string()));
}

#[test]
fn invalid_utf8_tool_output_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let hm = open(dir.path());
    let s = sid("utf8");
    let bytes: Vec<u8> = [
        &b"ok: "[..],
        &[0xff, 0xfe, 0xfd],
        b" half \xe2\x82 euro \xe2\x82\xac ",
        &[0xc3, 0x28],
        b" overlong \xc0\xaf surrogate \xed\xa0\x80 nul \x00 bell \x07 ",
        &[0xf0, 0x9f, 0x99],
        b" end\r\n",
    ]
    .concat();
    let lossy = String::from_utf8_lossy(&bytes).into_owned();
    assert!(lossy.contains('\u{FFFD}'));
    assert!(lossy.contains('€'));
    let output = hm.event(
        s.clone(),
        Agent::Codex,
        EventKind::ToolResult {
            tool: "shell".into(),
            call_id: Some("c1".into()),
            output: serde_json::json!({"stdout": lossy, "raw": [lossy.clone()]}),
            is_error: true,
        },
    );
    let prompt = hm.event(
        s.clone(),
        Agent::Codex,
        EventKind::Prompt {
            text: format!("what does {lossy} mean"),
        },
    );
    hm.capture(output.clone()).unwrap();
    hm.capture(prompt.clone()).unwrap();
    hm.close().unwrap();
    drop(hm);

    // Read back through a fresh store on the same file.
    let store = SqliteStore::open(Config::with_home(dir.path()).db_path()).unwrap();
    let got = store.session_events(&ws("acme"), &s, 0, None).unwrap();
    assert_eq!(got.len(), 2);
    let mut want = output;
    want.seq = 1;
    assert_eq!(got[0], want);
    let mut want = prompt;
    want.seq = 2;
    assert_eq!(got[1], want);
    // Searching with the same broken text is fine too.
    let hits = store
        .search(&ws("acme"), SearchScope::Events, &lossy, 10)
        .unwrap();
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].reference, got[1].id.to_string());
}

// ---------------------------------------------------------------------------------------
// Garbage hook payloads
// ---------------------------------------------------------------------------------------

fn hook_config(home: &Path) -> Config {
    let mut c = Config::with_home(home);
    c.workspace = Some(ws("acme"));
    c
}

fn run_hook_no_panic(config: &Config, agent: &Agent, payload: &str) -> hivemind_core::Result<()> {
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        run_hook(config, agent, payload).map(|_| ())
    }));
    match result {
        Ok(r) => r,
        Err(_) => panic!("run_hook panicked on {agent} payload {payload:.200}"),
    }
}

#[test]
fn garbage_hook_payloads_are_errors_not_panics() {
    let dir = tempfile::tempdir().unwrap();
    let config = hook_config(dir.path());
    let deep = "[".repeat(100_000) + &"]".repeat(100_000);
    let deep_obj = "{\"a\":".repeat(50_000) + "1" + &"}".repeat(50_000);
    let garbage: Vec<(&str, String)> = vec![
        ("empty", String::new()),
        ("whitespace", " \n\t".into()),
        ("not json", "not json at all".into()),
        (
            "truncated json",
            "{\"session_id\": \"s1\", \"hook_event_name\": \"Stop\"".into(),
        ),
        ("json array", "[]".into()),
        (
            "json array of objects",
            "[{\"session_id\": \"s1\", \"hook_event_name\": \"Stop\"}]".into(),
        ),
        ("number", "42".into()),
        ("null", "null".into()),
        ("string", "\"session_id\"".into()),
        ("empty object", "{}".into()),
        (
            "missing session_id",
            "{\"hook_event_name\": \"Stop\", \"cwd\": \"/tmp\"}".into(),
        ),
        (
            "empty session_id",
            "{\"session_id\": \"\", \"hook_event_name\": \"Stop\"}".into(),
        ),
        (
            "numeric session_id",
            "{\"session_id\": 12, \"hook_event_name\": \"Stop\"}".into(),
        ),
        (
            "null session_id",
            "{\"session_id\": null, \"hook_event_name\": \"Stop\"}".into(),
        ),
        (
            "object session_id",
            "{\"session_id\": {\"id\": \"s\"}, \"hook_event_name\": \"Stop\"}".into(),
        ),
        ("deeply nested array", deep),
        ("deeply nested object", deep_obj),
        (
            "trailing garbage",
            "{\"session_id\": \"s1\", \"hook_event_name\": \"Stop\"} xyz".into(),
        ),
        ("nul bytes", "\0\0\0".into()),
        ("bom", "\u{feff}{\"session_id\": \"s1\"}".into()),
    ];
    for agent in [Agent::ClaudeCode, Agent::Codex, Agent::Cursor] {
        for (what, payload) in &garbage {
            let err = run_hook_no_panic(&config, &agent, payload)
                .expect_err(&format!("{agent} {what}: accepted"));
            assert!(
                matches!(err, Error::InvalidInput(_)),
                "{agent} {what}: {err:?}"
            );
            assert!(!err.to_string().is_empty());
        }
    }
    // The messages say what is wrong.
    let msg = invalid_message(run_hook(&config, &Agent::ClaudeCode, "not json").map(|_| ()));
    assert!(msg.contains("not JSON"), "{msg}");
    let msg = invalid_message(run_hook(&config, &Agent::ClaudeCode, "[1, 2]").map(|_| ()));
    assert!(msg.contains("not a JSON object"), "{msg}");
    let msg = invalid_message(
        run_hook(
            &config,
            &Agent::ClaudeCode,
            "{\"hook_event_name\": \"Stop\"}",
        )
        .map(|_| ()),
    );
    assert!(msg.contains("session_id"), "{msg}");
    let msg = invalid_message(
        run_hook(&config, &Agent::Cursor, "{\"hook_event_name\": \"stop\"}").map(|_| ()),
    );
    assert!(msg.contains("conversation_id"), "{msg}");
    // Unparseable payloads touch nothing: no database, no journal, no spool.
    assert!(!config.db_path().exists());
    assert!(!dir.path().join("sessions").exists());
    assert!(!dir.path().join("spool").exists());
}

#[test]
fn hook_payload_with_a_hostile_session_id_is_refused_and_spooled() {
    let dir = tempfile::tempdir().unwrap();
    let config = hook_config(dir.path());
    for (i, session) in ["../../../../tmp/evil", "a b", "s\u{0}1", &"x".repeat(300)]
        .iter()
        .enumerate()
    {
        let payload = serde_json::json!({
            "session_id": session,
            "hook_event_name": "UserPromptSubmit",
            "prompt": "hello",
        })
        .to_string();
        let msg = invalid_message(run_hook_no_panic(&config, &Agent::ClaudeCode, &payload));
        assert!(msg.contains("session id"), "{session:?}: {msg}");
        // Spooled, so nothing captured is lost...
        let spooled = std::fs::read_dir(dir.path().join("spool")).unwrap().count();
        assert_eq!(spooled, i + 1);
    }
    // ...and nothing escaped the home.
    assert!(!Path::new("/tmp/evil").exists());
    // Replaying drops what can never succeed, without failing.
    let store = InMemoryStore::new();
    assert_eq!(drain_spool(&config, &store).unwrap(), 0);
    assert_eq!(
        std::fs::read_dir(dir.path().join("spool")).unwrap().count(),
        0
    );
}

#[test]
fn spooled_payloads_are_replayed_into_the_store_by_the_next_reader() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = hook_config(dir.path());
    config.workspace = Some(hivemind_core::WorkspaceId::new("acme/spool").unwrap());
    // What a hook spools when the store is unavailable: the payload, as received.
    for (i, prompt) in ["first prompt", "second prompt"].iter().enumerate() {
        let payload = serde_json::json!({
            "session_id": "spooled-1",
            "hook_event_name": "UserPromptSubmit",
            "prompt": prompt,
            "cwd": dir.path(),
        })
        .to_string();
        hivemind_core::hook::spool(&config, &Agent::ClaudeCode, &payload).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(2 * (i as u64 + 1)));
    }
    let hm = hivemind_core::Hivemind::open_in(config, Some(dir.path().to_path_buf())).unwrap();
    assert!(hm.fold_journals().unwrap() >= 2, "both payloads replayed");
    let events = hm
        .session_events(&hivemind_core::SessionId::new("spooled-1").unwrap())
        .unwrap();
    let prompts: Vec<String> = events
        .iter()
        .filter_map(|e| match &e.kind {
            hivemind_core::EventKind::Prompt { text } => Some(text.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(
        prompts,
        ["first prompt", "second prompt"],
        "replayed in order"
    );
    assert_eq!(
        std::fs::read_dir(dir.path().join("spool")).unwrap().count(),
        0,
        "replayed payloads leave the spool"
    );
    // Folding again replays nothing twice.
    assert_eq!(hm.fold_journals().unwrap(), 0);
    assert_eq!(
        hm.session_events(&hivemind_core::SessionId::new("spooled-1").unwrap())
            .unwrap()
            .len(),
        events.len()
    );
}

#[test]
fn hook_payloads_with_wrongly_typed_fields_are_tolerated() {
    let dir = tempfile::tempdir().unwrap();
    let config = hook_config(dir.path());
    let payloads = [
        serde_json::json!({"session_id": "s1", "hook_event_name": "SessionStart", "source": 7, "cwd": ["x"]}),
        serde_json::json!({"session_id": "s1", "hook_event_name": "PreToolUse", "tool_name": 42, "tool_input": "not an object"}),
        serde_json::json!({"session_id": "s1", "hook_event_name": "PostToolUse", "tool_name": null, "tool_input": null, "tool_response": [1, {"a": null}]}),
        serde_json::json!({"session_id": "s1", "hook_event_name": "UserPromptSubmit", "prompt": {"text": "hi"}}),
        serde_json::json!({"session_id": "s1", "hook_event_name": "Stop", "last_assistant_message": false, "transcript_path": 3}),
        serde_json::json!({"session_id": "s1", "hook_event_name": "SomethingNew", "extra": {"deep": [[[]]]}}),
        serde_json::json!({"session_id": "s1", "hook_event_name": "SessionEnd", "reason": "", "transcript_path": "/nonexistent/t.jsonl"}),
    ];
    for p in &payloads {
        let payload = p.to_string();
        run_hook_no_panic(&config, &Agent::ClaudeCode, &payload)
            .unwrap_or_else(|e| panic!("{payload}: {e}"));
    }
    // The events that reached the store belong to the session, in order.
    let store = SqliteStore::open(config.db_path()).unwrap();
    let events = store
        .session_events(&ws("acme"), &sid("s1"), 0, None)
        .unwrap();
    let kinds: Vec<&str> = events.iter().map(|e| e.kind.name()).collect();
    assert_eq!(kinds.first(), Some(&"session_start"), "{kinds:?}");
    assert_eq!(kinds.last(), Some(&"session_end"), "{kinds:?}");
    assert!(kinds.contains(&"tool_call"), "{kinds:?}");
    let seqs: Vec<u64> = events.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, (1..=events.len() as u64).collect::<Vec<_>>());
}

// ---------------------------------------------------------------------------------------
// Close
// ---------------------------------------------------------------------------------------

#[test]
fn close_twice_is_fine_and_use_after_close_is_closed() {
    let store: Arc<dyn Store> = Arc::new(InMemoryStore::new());
    let hm = Hivemind::with_store(Config::default(), store.clone(), ws("acme"), None);
    let s = sid("s1");
    for i in 0..3 {
        hm.capture(hm.event(
            s.clone(),
            Agent::Pi,
            EventKind::Prompt {
                text: format!("p{i}"),
            },
        ))
        .unwrap();
    }
    // Buffered, not written yet (batch size 512).
    assert!(store
        .session_events(&ws("acme"), &s, 0, None)
        .unwrap()
        .is_empty());
    hm.close().unwrap();
    // Close flushed the buffer.
    assert_eq!(
        store
            .session_events(&ws("acme"), &s, 0, None)
            .unwrap()
            .len(),
        3
    );
    hm.close().unwrap();
    let clone = hm.clone();
    clone.close().unwrap();

    let e = hm.event(
        s.clone(),
        Agent::Pi,
        EventKind::Prompt {
            text: "late".into(),
        },
    );
    assert!(matches!(hm.capture(e.clone()), Err(Error::Closed)));
    assert!(matches!(clone.capture(e.clone()), Err(Error::Closed)));
    assert!(matches!(hm.capture_many([e.clone()]), Err(Error::Closed)));
    assert!(matches!(
        hm.record_correction(CorrectionInput {
            produced: "npm i".into(),
            reason: Some("use pnpm".into()),
            ..Default::default()
        }),
        Err(Error::Closed)
    ));
    assert!(matches!(
        hm.corrections(&Default::default()),
        Err(Error::Closed)
    ));
    assert!(matches!(hm.skills(), Err(Error::Closed)));
    assert!(matches!(hm.context_for(&s, "x", 100), Err(Error::Closed)));
    assert!(matches!(hm.skillify_blocking(), Err(Error::Closed)));
    assert_eq!(hm.capture(e).unwrap_err().code(), "HIVEMIND_CLOSED");
    // Nothing after close reached the store, and dropping adds nothing either.
    assert!(matches!(hm.flush(), Err(Error::Closed)));
    drop(hm);
    drop(clone);
    assert_eq!(
        store
            .session_events(&ws("acme"), &s, 0, None)
            .unwrap()
            .len(),
        3
    );
    assert!(store
        .corrections(&ws("acme"), &Default::default())
        .unwrap()
        .is_empty());
}

#[test]
fn close_of_a_sqlite_handle_makes_captures_durable() {
    let dir = tempfile::tempdir().unwrap();
    let hm = open(dir.path());
    let s = sid("s1");
    hm.capture(hm.event(
        s.clone(),
        Agent::ClaudeCode,
        EventKind::Prompt {
            text: "durable".into(),
        },
    ))
    .unwrap();
    hm.close().unwrap();
    hm.close().unwrap();
    // Another handle on the file sees it while the first is still alive.
    let store = SqliteStore::open(Config::with_home(dir.path()).db_path()).unwrap();
    assert_eq!(
        store
            .session_events(&ws("acme"), &s, 0, None)
            .unwrap()
            .len(),
        1
    );
    assert!(matches!(
        hm.capture(hm.event(s, Agent::ClaudeCode, EventKind::Prompt { text: "x".into() })),
        Err(Error::Closed)
    ));
}
