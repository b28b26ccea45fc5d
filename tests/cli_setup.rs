//! `hivemind install|uninstall|status` end to end: the built binary, with HOME and
//! HIVEMIND_HOME in temporary folders and a temporary project as the current folder.
#![allow(clippy::unwrap_used)]

use serde_json::{json, Value};
use std::path::{Path, PathBuf};

#[path = "support/cli.rs"]
mod cli;

type Env = cli::Sandbox;

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn backups(path: &Path) -> Vec<PathBuf> {
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    let prefix = format!("{name}.hivemind-backup-");
    let mut v: Vec<PathBuf> = std::fs::read_dir(path.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with(&prefix)
        })
        .collect();
    v.sort();
    v
}

/// Every hook command in a settings file, with its event.
fn commands(doc: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (event, items) in doc["hooks"].as_object().into_iter().flatten() {
        for item in items.as_array().into_iter().flatten() {
            match item.get("hooks").and_then(Value::as_array) {
                Some(hooks) => out.extend(
                    hooks
                        .iter()
                        .map(|h| (event.clone(), h["command"].as_str().unwrap().to_string())),
                ),
                None => out.push((event.clone(), item["command"].as_str().unwrap().to_string())),
            }
        }
    }
    out
}

fn ours(doc: &Value) -> Vec<(String, String)> {
    commands(doc)
        .into_iter()
        .filter(|(_, c)| c.contains("hivemind") && c.contains(" hook --agent "))
        .collect()
}

fn user_settings() -> Value {
    json!({
        "permissions": {"allow": ["Bash(cargo test:*)"]},
        "hooks": {
            "PreToolUse": [{"matcher": "Bash", "hooks": [{"type": "command", "command": "./guard.sh"}]}],
            "Notification": [{"hooks": [{"type": "command", "command": "notify-send done"}]}]
        },
        "x-team-setting": [1, {"a": null}]
    })
}

#[test]
fn claude_project_install_twice_then_uninstall() {
    let env = Env::new();
    let path = env.project.join(".claude/settings.json");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let original_text = serde_json::to_string_pretty(&user_settings()).unwrap();
    std::fs::write(&path, &original_text).unwrap();

    let out = env.ok(&["install", "claude", "--project"]);
    assert!(out.contains("added 7 hooks"), "{out}");
    assert!(out.contains(&path.display().to_string()), "{out}");
    let installed = read_json(&path);
    let ours = ours(&installed);
    assert_eq!(ours.len(), 7, "{installed:#}");
    let exe = std::fs::canonicalize(env!("CARGO_BIN_EXE_hivemind")).unwrap();
    let want = format!("{} hook --agent claude-code", exe.display());
    assert!(ours.iter().all(|(_, c)| *c == want), "{ours:?} vs {want}");
    let mut events: Vec<&str> = ours.iter().map(|(e, _)| e.as_str()).collect();
    events.sort();
    assert_eq!(
        events,
        [
            "PostToolUse",
            "PreToolUse",
            "SessionEnd",
            "SessionStart",
            "Stop",
            "SubagentStop",
            "UserPromptSubmit"
        ]
    );
    assert_eq!(installed["hooks"]["PreToolUse"][1]["matcher"], "*");
    assert!(installed["hooks"]["Stop"][0].get("matcher").is_none());
    assert_eq!(installed["hooks"]["Stop"][0]["hooks"][0]["timeout"], 10);
    // The user's own entries come first and are untouched.
    assert_eq!(
        installed["hooks"]["PreToolUse"][0],
        user_settings()["hooks"]["PreToolUse"][0]
    );
    let b = backups(&path);
    assert_eq!(b.len(), 1);
    assert_eq!(std::fs::read_to_string(&b[0]).unwrap(), original_text);

    let bytes = std::fs::read(&path).unwrap();
    let out = env.ok(&["install", "claude"]);
    assert!(out.contains("already installed"), "{out}");
    assert_eq!(
        std::fs::read(&path).unwrap(),
        bytes,
        "second install rewrote"
    );
    assert_eq!(backups(&path).len(), 1, "backup without a change");

    let out = env.ok(&["uninstall", "claude", "--project"]);
    assert!(out.contains("removed 7 hooks"), "{out}");
    assert_eq!(read_json(&path), user_settings());
    assert_eq!(backups(&path).len(), 2);

    let out = env.ok(&["uninstall", "claude"]);
    assert!(out.contains("not installed"), "{out}");
    assert_eq!(backups(&path).len(), 2);
    // Nothing was written in the user's global settings.
    assert!(!env.home.join(".claude/settings.json").exists());
}

#[test]
fn claude_global_codex_and_cursor_round_trips() {
    let env = Env::new();
    for (host, rel, n, empty) in [
        ("claude", ".claude/settings.json", 7, json!({})),
        ("codex", ".codex/hooks.json", 5, json!({})),
        ("cursor", ".cursor/hooks.json", 7, json!({"version": 1})),
    ] {
        let path = env.home.join(rel);
        let args: Vec<&str> = if host == "claude" {
            vec!["install", host, "--global"]
        } else {
            vec!["install", host]
        };
        let out = env.ok(&args);
        assert!(out.contains(&format!("added {n} hooks")), "{host}: {out}");
        assert_eq!(
            out.contains("[features] hooks = true"),
            host == "codex",
            "{host}: {out}"
        );
        let doc = read_json(&path);
        let ours = ours(&doc);
        assert_eq!(ours.len(), n, "{host}: {doc:#}");
        let agent = if host == "claude" {
            "claude-code"
        } else {
            host
        };
        assert!(ours
            .iter()
            .all(|(_, c)| c.ends_with(&format!("hook --agent {agent}"))));
        assert!(backups(&path).is_empty(), "{host}: new file, no backup");
        if host == "cursor" {
            assert_eq!(doc["version"], 1);
            assert_eq!(
                doc["hooks"]["afterFileEdit"][0].as_object().unwrap().len(),
                1
            );
        }

        let bytes = std::fs::read(&path).unwrap();
        let out = env.ok(&args);
        assert!(out.contains("already installed"), "{host}: {out}");
        assert_eq!(std::fs::read(&path).unwrap(), bytes);
        assert!(backups(&path).is_empty());

        let mut un = args.clone();
        un[0] = "uninstall";
        let out = env.ok(&un);
        assert!(out.contains(&format!("removed {n} hooks")), "{host}: {out}");
        assert_eq!(read_json(&path), empty, "{host}");
        assert_eq!(backups(&path).len(), 1, "{host}");
    }
    // Nothing landed in the project.
    assert!(!env.project.join(".claude").exists());
}

#[test]
fn refuses_what_it_cannot_edit_safely() {
    let env = Env::new();
    let path = env.home.join(".cursor/hooks.json");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let bad = "{\"version\": 1, \"hooks\": {\n";
    std::fs::write(&path, bad).unwrap();
    let out = env.run(&["install", "cursor"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&path.display().to_string()), "{err}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), bad);
    assert!(backups(&path).is_empty());

    for args in [
        &["install", "codex", "--project"][..],
        &["install", "emacs"][..],
    ] {
        let out = env.run(args);
        assert!(!out.status.success(), "{args:?}");
    }
    assert!(!env.project.join(".codex").exists());
}

#[test]
fn an_install_from_another_path_replaces_ours() {
    let env = Env::new();
    let path = env.home.join(".codex/hooks.json");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let old = "/old/bin/hivemind hook --agent codex";
    let doc = json!({"hooks": {
        "Stop": [
            {"hooks": [{"type": "command", "command": "say done"}]},
            {"hooks": [{"type": "command", "command": old, "timeout": 10}]}
        ],
        "SessionStart": [{"hooks": [{"type": "command", "command": old}]}]
    }});
    std::fs::write(&path, doc.to_string()).unwrap();
    let out = env.ok(&["install", "codex"]);
    assert!(out.contains("replaced 2 hooks with 5 hooks"), "{out}");
    let after = read_json(&path);
    let ours = ours(&after);
    assert_eq!(ours.len(), 5);
    assert!(ours.iter().all(|(_, c)| c != old));
    assert_eq!(
        after["hooks"]["Stop"][0],
        json!({"hooks": [{"type": "command", "command": "say done"}]})
    );
}

#[test]
fn status_reports_wiring_counts_and_errors() {
    let env = Env::new();
    // Before anything: works on an empty home.
    let st: Value = serde_json::from_str(&env.ok(&["status", "--json"])).unwrap();
    assert_eq!(st["wired"], json!([]));
    assert_eq!(st["events"], 0);
    assert!(st["last_capture"].is_null());

    env.ok(&["install", "claude"]);
    env.ok(&["install", "cursor"]);
    let cwd = env.project.display().to_string();
    let base = json!({"session_id": "sess-1", "cwd": cwd, "permission_mode": "default"});
    let with = |extra: Value| {
        let mut v = base.clone();
        for (k, x) in extra.as_object().unwrap() {
            v[k] = x.clone();
        }
        v
    };
    env.hook(&with(
        json!({"hook_event_name": "SessionStart", "source": "startup"}),
    ));
    env.hook(&with(
        json!({"hook_event_name": "UserPromptSubmit", "prompt": "add a README"}),
    ));
    let input = json!({"file_path": format!("{cwd}/README.md"), "content": "# demo\n"});
    env.hook(&with(
        json!({"hook_event_name": "PreToolUse", "tool_name": "Write",
        "tool_input": input, "tool_use_id": "toolu_1"}),
    ));
    env.hook(&with(json!({"hook_event_name": "PostToolUse", "tool_name": "Write",
        "tool_input": input, "tool_use_id": "toolu_1",
        "tool_response": {"type": "create", "filePath": format!("{cwd}/README.md"), "content": "# demo\n"}})));
    env.hook(&with(
        json!({"hook_event_name": "Stop", "stop_hook_active": false,
        "last_assistant_message": "Added README.md."}),
    ));
    // A broken payload: logged under logs/hook.log.
    env.hook(&json!({"hook_event_name": "Stop"}));

    let st: Value = serde_json::from_str(&env.ok(&["status", "--json"])).unwrap();
    let wired: Vec<(String, String)> = st["wired"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| {
            (
                w["host"].as_str().unwrap().to_string(),
                w["scope"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        wired,
        [
            ("claude".to_string(), "project".to_string()),
            ("cursor".to_string(), "global".to_string())
        ],
        "{st:#}"
    );
    assert_eq!(st["wired"][0]["hooks"], 7);
    assert_eq!(
        st["wired"][0]["path"],
        env.project
            .join(".claude/settings.json")
            .display()
            .to_string()
    );
    assert_eq!(st["sessions"], 1, "{st:#}");
    assert!(st["events"].as_u64().unwrap() >= 5, "{st:#}");
    assert_eq!(st["corrections"], 0);
    assert_eq!(st["skills"], 0);
    assert!(st["last_capture"].is_string(), "{st:#}");
    assert!(
        st["workspace"].as_str().unwrap().contains("project"),
        "{st:#}"
    );
    assert_eq!(st["home"], Value::String(env.hm_home.display().to_string()));
    assert!(st["db_bytes"].as_u64().unwrap() > 0);
    assert!(st["db_path"].as_str().unwrap().ends_with("hivemind.db"));
    let errors = st["recent_errors"].as_array().unwrap();
    assert!(!errors.is_empty(), "{st:#}");
    assert!(st["spooled"].is_u64());

    // The text form says the same things.
    let text = env.ok(&["status"]);
    for needle in [
        "claude (project, 7 hooks)",
        "1 session,",
        "hook errors",
        "cursor",
    ] {
        assert!(text.contains(needle), "{needle:?} not in:\n{text}");
    }
}
