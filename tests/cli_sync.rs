//! `hivemind sync` and the hooks' background sync end to end against the local
//! PostgreSQL (`HIVEMIND_PG_TEST_URL`, else `postgres://postgres@127.0.0.1:5432/test`;
//! skipped with a message when neither is reachable). Each test uses its own schema.
//! Machines are homes in temporary folders sharing one project name (workspace).
#![allow(clippy::unwrap_used)]

#[path = "../hivemind-core/tests/support/pg.rs"]
mod pg;

use hivemind_core::{
    Config, CorrectionInput, Hivemind, PgOptions, PostgresStore, SessionId, Store, WorkspaceId,
};
use serde_json::{json, Value};

const WS: &str = "acme/team-sync";

#[path = "support/cli.rs"]
mod cli;

type Machine = cli::Sandbox;

/// A machine of the team: its own home, the shared workspace and team store.
fn machine(pg_url: &str, schema: &str) -> Machine {
    Machine::new()
        .with_var("HIVEMIND_WORKSPACE_ID", WS)
        .with_var("HIVEMIND_PG_URL", pg_url)
        .with_var("HIVEMIND_PG_SCHEMA", schema)
}

/// Records `n` pnpm corrections in workspace `ws` through the library, one session each.
fn correct_in(m: &Machine, ws: &str, tag: &str, n: usize) {
    let mut config = Config::with_home(&m.hm_home);
    config.workspace = Some(WorkspaceId::new(ws).unwrap());
    let hm = Hivemind::open_in(config, Some(m.project.clone())).unwrap();
    for i in 0..n {
        hm.record_correction(CorrectionInput {
            session: Some(SessionId::new(format!("{tag}-{i}")).unwrap()),
            produced: format!("npm install {tag}-package-{i}"),
            accepted: Some(format!("pnpm add {tag}-package-{i}")),
            reason: Some("we use pnpm in this repo, never npm".into()),
            ..Default::default()
        })
        .unwrap();
    }
    hm.close().unwrap();
}

fn team(schema: &str) -> PostgresStore {
    PostgresStore::connect_with(PgOptions::new(pg::url().unwrap()).schema(schema)).unwrap()
}

#[test]
fn two_machines_correcting_twice_each_both_get_one_skill() {
    let Some((options, _guard)) = pg::options() else {
        return;
    };
    let (url, schema) = (options.url.clone(), options.schema.clone());
    let a = machine(&url, &schema);
    let b = machine(&url, &schema);
    correct_in(&a, WS, "a", 2);
    correct_in(&b, WS, "b", 2);
    a.ok(&["skillify", "run"]);
    b.ok(&["skillify", "run"]);
    assert!(a
        .json(&["skills", "list", "--json"])
        .as_array()
        .unwrap()
        .is_empty());

    let first = a.json(&["sync", "--json"]);
    assert_eq!(first["sync"]["corrections_pushed"], 2, "{first}");
    assert_eq!(first["sync"]["corrections_pulled"], 0);
    assert!(
        !first["remote"].as_str().unwrap().contains('@'),
        "no credentials"
    );

    let second = b.json(&["sync", "--json"]);
    assert_eq!(second["sync"]["corrections_pushed"], 2, "{second}");
    assert_eq!(second["sync"]["corrections_pulled"], 2);
    assert_eq!(second["skillify"]["created"].as_array().unwrap().len(), 1);
    assert_eq!(second["pushed_after_mining"]["skills_pushed"], 1);

    let third = a.json(&["sync", "--json"]);
    assert_eq!(third["sync"]["corrections_pulled"], 2, "{third}");
    assert_eq!(third["sync"]["skills_pulled"], 1);

    for m in [&a, &b] {
        let skills = m.json(&["skills", "list", "--json"]);
        let skills = skills.as_array().unwrap();
        assert_eq!(skills.len(), 1, "{skills:?}");
        assert_eq!(skills[0]["corrections"].as_array().unwrap().len(), 4);
        let name = skills[0]["name"].as_str().unwrap();
        assert!(m
            .project
            .join(".claude/skills")
            .join(name)
            .join("SKILL.md")
            .is_file());
    }
    // Nothing left to do on either side.
    for m in [&a, &b] {
        let again = m.json(&["sync", "--json", "--no-mine"]);
        let s = &again["sync"];
        for k in [
            "events_pushed",
            "corrections_pushed",
            "skills_pushed",
            "corrections_pulled",
            "skills_pulled",
        ] {
            assert_eq!(s[k], 0, "{k}: {again}");
        }
    }
    let ws = WorkspaceId::new(WS).unwrap();
    assert_eq!(team(&schema).skills(&ws).unwrap().len(), 1);
}

#[test]
fn hooks_with_an_unreachable_team_store_lose_nothing_and_sync_later() {
    let Some((options, _guard)) = pg::options() else {
        return;
    };
    // Port 1 refuses connections at once: the team store is down.
    let m = machine("postgres://postgres@127.0.0.1:1/test", &options.schema);
    let base = json!({"session_id": "offline-1", "transcript_path": "", "cwd": m.project});
    let with = |event: &str, extra: Value| {
        let mut p = base.clone();
        p["hook_event_name"] = json!(event);
        for (k, v) in extra.as_object().unwrap() {
            p[k] = v.clone();
        }
        p
    };
    let payloads = [
        with("SessionStart", json!({"source": "startup"})),
        with("UserPromptSubmit", json!({"prompt": "add zod"})),
        with(
            "PreToolUse",
            json!({"tool_name": "Bash", "tool_input": {"command": "npm install zod"}, "tool_use_id": "t1"}),
        ),
        with(
            "PostToolUse",
            json!({"tool_name": "Bash", "tool_input": {"command": "npm install zod"}, "tool_use_id": "t1", "tool_response": {"stdout": "added 1 package"}}),
        ),
        with(
            "UserPromptSubmit",
            json!({"prompt": "No, use pnpm here, never npm."}),
        ),
        with(
            "Stop",
            json!({"stop_hook_active": false, "last_assistant_message": "Done."}),
        ),
        with("SessionEnd", json!({"reason": "exit"})),
    ];
    for p in &payloads {
        let started = std::time::Instant::now();
        let out = m.hook_raw(p.to_string().as_bytes());
        assert!(out.status.success(), "a hook never fails the host");
        // Hooks never touch the network: far under any connect timeout even in a
        // debug build (the latency figures are in BENCHMARKS.md).
        assert!(
            started.elapsed() < std::time::Duration::from_secs(2),
            "{} took {:?}",
            p["hook_event_name"],
            started.elapsed()
        );
    }
    // The hook's background run (skillify --sync) fails to reach the server; wait for
    // it to log that, then check nothing was lost locally.
    let log = m.hm_home.join("logs/sync.log");
    for _ in 0..200 {
        if log.is_file() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert!(
        std::fs::read_to_string(&log)
            .unwrap_or_default()
            .contains("team sync failed"),
        "the background sync logged its failure"
    );
    let offline = m.run(&["sync"]);
    assert!(!offline.status.success());
    assert!(!String::from_utf8_lossy(&offline.stderr).is_empty());
    // `status` says so, without connecting.
    let st = m.json(&["status", "--json"]);
    let team_st = &st["team"];
    assert_eq!(
        team_st["remote"],
        json!(format!("127.0.0.1:1/test/{}", options.schema)),
        "{st}"
    );
    assert!(team_st["history"]["last_success"].is_null(), "{st}");
    assert!(
        !team_st["history"]["last_failure"]["error"]
            .as_str()
            .unwrap()
            .is_empty(),
        "{st}"
    );
    let text = m.ok(&["status"]);
    assert!(text.contains("last sync:   never"), "{text}");
    assert!(text.contains("sync failed: "), "{text}");

    // The server is back: everything captured offline arrives once.
    let m = m.with_var("HIVEMIND_PG_URL", options.url.clone());
    let report = m.json(&["sync", "--json"]);
    // SessionStart, two prompts, the tool call and its result, the response, SessionEnd.
    assert_eq!(report["sync"]["events_pushed"], 7, "{report}");
    assert_eq!(report["sync"]["corrections_pushed"], 1, "{report}");
    let ws = WorkspaceId::new(WS).unwrap();
    let stored = team(&options.schema)
        .session_events(&ws, &SessionId::new("offline-1").unwrap(), 0, None)
        .unwrap();
    assert_eq!(
        stored.len() as u64,
        report["sync"]["events_pushed"].as_u64().unwrap()
    );
    let again = m.json(&["sync", "--json"]);
    assert_eq!(again["sync"]["events_pushed"], 0);
    // The failure is history now; the last success is the empty sync just made.
    let st = m.json(&["status", "--json"]);
    let ok = &st["team"]["history"]["last_success"];
    assert_eq!(ok["pushed"], 0, "{st}");
    assert_eq!(ok["remote"], json!(options.label().unwrap()), "{st}");
    let text = m.ok(&["status"]);
    assert!(text.contains("last sync:   "), "{text}");
    assert!(!text.contains("sync failed"), "{text}");
}

#[test]
fn sync_all_covers_every_local_workspace_and_pulls_only_those() {
    let Some((options, _guard)) = pg::options() else {
        return;
    };
    let (url, schema) = (options.url.clone(), options.schema.clone());
    let other = "acme/other-project";
    let a = machine(&url, &schema);
    let b = machine(&url, &schema);
    correct_in(&a, WS, "a", 2);
    correct_in(&a, other, "o", 1);
    correct_in(&b, WS, "b", 1);

    let ra = a.json(&["sync", "--all", "--json"]);
    assert_eq!(ra["sync"]["workspaces"], 2, "{ra}");
    assert_eq!(ra["sync"]["corrections_pushed"], 3, "{ra}");
    assert!(ra["skillify"].is_null(), "--all does not mine");

    let rb = b.json(&["sync", "--all", "--json"]);
    assert_eq!(rb["sync"]["workspaces"], 1, "{rb}");
    assert_eq!(rb["sync"]["corrections_pushed"], 1, "{rb}");
    assert_eq!(
        rb["sync"]["corrections_pulled"], 2,
        "only this machine's workspace: {rb}"
    );
    let theirs = b.json(&["--workspace", other, "corrections", "list", "--json"]);
    assert!(theirs.as_array().unwrap().is_empty(), "{theirs}");
    let ours = b.json(&["corrections", "list", "--json"]);
    assert_eq!(ours.as_array().unwrap().len(), 3);
    let text = b.ok(&["sync", "--all"]);
    assert!(text.contains("synced 1 workspace with"), "{text}");
}
