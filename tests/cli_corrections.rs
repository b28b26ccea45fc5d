//! `hivemind corrections list|show` end to end: corrections of three kinds detected in
//! two Claude Code sessions played through `hivemind hook` (payloads and transcripts),
//! listed with and without the `--kind` and `--session` filters, shown with their diff
//! and source events; unknown ids and kinds are clear errors.
#![allow(clippy::unwrap_used)]

use serde_json::{json, Value};

#[path = "support/cli.rs"]
mod cli;
#[path = "support/hooks.rs"]
mod hooks;

use hooks::{corrections, ClaudeSession};

const WORKSPACE: &str = "e2e-corrections";
const SESSION_A: &str = "corr-session-a";
const SESSION_B: &str = "corr-session-b";

fn new_env() -> cli::Sandbox {
    cli::Sandbox::new()
        .with_var("HIVEMIND_WORKSPACE_ID", WORKSPACE)
        .with_var("HIVEMIND_SKILLIFY_EVERY_N_TURNS", "0")
}

/// Session A: a rejected `npm install lodash` (feedback in the transcript), then
/// `pnpm add lodash`. Session B: a follow-up prompt correcting `npm run dev`, then an
/// Edit the user modified before accepting it.
fn two_sessions(env: &cli::Sandbox) {
    let mut a = ClaudeSession::new(env, SESSION_A);
    a.start();
    a.npm_rejected_turn("lodash", "use pnpm, this repo never uses npm");

    let mut b = ClaudeSession::new(env, SESSION_B);
    b.start();
    b.prompt("start the dev server");
    b.bash("toolu_dev_npm", "npm run dev");
    b.stop("Started the dev server with npm run dev.");
    b.prompt("No, that's wrong: this repo uses pnpm. Run pnpm dev instead.");
    b.bash("toolu_dev_pnpm", "pnpm dev");
    b.stop("Started it with pnpm dev.");

    let file = env.project.join("src/dates.ts");
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    let original = "export function parse(s: string) {\n  return new Date(s);\n}\n";
    std::fs::write(&file, original).unwrap();
    b.prompt("Make the date parser in src/dates.ts strict");
    let input = json!({
        "file_path": file,
        "old_string": "  return new Date(s);",
        "new_string": "  return new Date(Date.parse(s));",
    });
    b.hook(
        "PreToolUse",
        json!({"tool_name": "Edit", "tool_input": input, "tool_use_id": "toolu_edit"}),
    );
    // The user changed the proposal before accepting it.
    let accepted = "  return parseISO(s); // strict ISO-8601 only";
    std::fs::write(&file, original.replace("  return new Date(s);", accepted)).unwrap();
    b.hook(
        "PostToolUse",
        json!({"tool_name": "Edit", "tool_input": input, "tool_use_id": "toolu_edit",
               "tool_response": {"filePath": file, "oldString": "  return new Date(s);",
                                 "newString": accepted, "originalFile": original,
                                 "structuredPatch": [], "userModified": true, "replaceAll": false}}),
    );
    b.stop("Made the parser strict.");
}

/// A correction without its `confidence` (an f32 that `show --json` prints widened to
/// f64: see `show_json_prints_the_same_correction_as_list_json`).
fn without_confidence(c: &Value) -> Value {
    let mut c = c.clone();
    c.as_object_mut().unwrap().remove("confidence");
    c
}

fn ids(list: &[Value]) -> Vec<&str> {
    list.iter().map(|c| c["id"].as_str().unwrap()).collect()
}

fn kinds(list: &[Value]) -> Vec<&str> {
    list.iter().map(|c| c["kind"].as_str().unwrap()).collect()
}

#[test]
fn list_filters_by_kind_and_session() {
    let env = new_env();
    two_sessions(&env);
    let all = corrections(&env, &[]);
    let mut k = kinds(&all);
    k.sort_unstable();
    assert_eq!(k, ["followup", "modified", "rejection"], "{all:#?}");
    for c in &all {
        assert_eq!(c["workspace"], WORKSPACE);
        for field in [
            "id",
            "session_id",
            "target",
            "produced",
            "accepted",
            "diff",
            "reason",
        ] {
            assert!(c.get(field).is_some(), "{field} missing in {c}");
        }
    }
    let by_id = |kind: &str| all.iter().find(|c| c["kind"] == kind).unwrap();
    assert_eq!(by_id("rejection")["session_id"], SESSION_A);
    assert_eq!(by_id("followup")["session_id"], SESSION_B);
    assert_eq!(by_id("modified")["session_id"], SESSION_B);
    assert_eq!(
        by_id("modified")["target"],
        json!({"type": "file", "value": "src/dates.ts"})
    );

    // --kind keeps only that kind, in every session.
    let rejections = corrections(&env, &["--kind", "rejection"]);
    assert_eq!(
        ids(&rejections),
        [by_id("rejection")["id"].as_str().unwrap()]
    );
    let followups = corrections(&env, &["--kind", "followup"]);
    assert_eq!(ids(&followups), [by_id("followup")["id"].as_str().unwrap()]);
    assert!(corrections(&env, &["--kind", "user_edit"]).is_empty());

    // --session keeps only that session's, of every kind.
    let a = corrections(&env, &["--session", SESSION_A]);
    assert_eq!(kinds(&a), ["rejection"], "{a:#?}");
    let b = corrections(&env, &["--session", SESSION_B]);
    let mut kb = kinds(&b);
    kb.sort_unstable();
    assert_eq!(kb, ["followup", "modified"], "{b:#?}");
    assert!(b.iter().all(|c| c["session_id"] == SESSION_B));
    assert!(corrections(&env, &["--session", "no-such-session"]).is_empty());

    // Both filters at once.
    let both = corrections(&env, &["--session", SESSION_B, "--kind", "modified"]);
    assert_eq!(ids(&both), [by_id("modified")["id"].as_str().unwrap()]);
    assert!(corrections(&env, &["--session", SESSION_A, "--kind", "modified"]).is_empty());

    // The text form filters the same way.
    let text = env.ok(&["corrections", "list", "--kind", "rejection"]);
    assert!(
        text.contains(by_id("rejection")["id"].as_str().unwrap()),
        "{text}"
    );
    assert!(
        !text.contains(by_id("followup")["id"].as_str().unwrap()),
        "{text}"
    );
    assert!(
        text.contains(&format!("1 corrections in workspace {WORKSPACE}")),
        "{text}"
    );
}

#[test]
fn show_prints_the_diff_and_the_source_events() {
    let env = new_env();
    two_sessions(&env);
    let rejection = corrections(&env, &["--kind", "rejection"]).remove(0);
    let id = rejection["id"].as_str().unwrap();
    assert_eq!(rejection["produced"], "npm install lodash");
    assert_eq!(rejection["accepted"], "pnpm add lodash");

    // JSON: the correction and the events it was derived from, by id.
    let shown = env.json(&["corrections", "show", id, "--json"]);
    assert_eq!(
        without_confidence(&shown["correction"]),
        without_confidence(&rejection)
    );
    let sources = shown["source_events"].as_array().unwrap();
    let source_ids: Vec<&Value> = sources.iter().map(|e| &e["id"]).collect();
    let wanted: Vec<&Value> = rejection["source_events"]
        .as_array()
        .unwrap()
        .iter()
        .collect();
    assert_eq!(
        wanted.len(),
        2,
        "the tool call and its rejection: {rejection}"
    );
    assert_eq!(source_ids, wanted);
    let call = sources.iter().find(|e| e["kind"] == "tool_call");
    let call = call.unwrap_or_else(|| panic!("no tool_call among {sources:#?}"));
    assert_eq!(call["input"]["command"], "npm install lodash");
    let result = sources
        .iter()
        .find(|e| e["kind"] == "tool_result")
        .unwrap_or_else(|| panic!("no tool_result among {sources:#?}"));
    assert_eq!(result["is_error"], true);
    assert!(result["output"]
        .to_string()
        .contains("use pnpm, this repo never uses npm"));

    // Text: the diff lines and one line per source event (its seq and content).
    let text = env.ok(&["corrections", "show", id]);
    assert!(text.contains(&format!("correction {id}")), "{text}");
    assert!(text.contains("kind:       rejection"), "{text}");
    assert!(
        text.contains("reason:     use pnpm, this repo never uses npm"),
        "{text}"
    );
    let diff = rejection["diff"].as_str().unwrap();
    assert!(diff.contains("-npm install lodash"), "{diff}");
    assert!(diff.contains("+pnpm add lodash"), "{diff}");
    assert!(!text.contains("\x1b["), "no colour when not on a terminal");
    let after_diff = text.split_once("diff:").map(|(_, d)| d).unwrap_or("");
    for line in diff.lines() {
        assert!(
            after_diff.contains(line),
            "diff line {line:?} missing:\n{text}"
        );
    }
    let (_, events) = text
        .split_once("source events (2):")
        .unwrap_or_else(|| panic!("no source events section:\n{text}"));
    let lines: Vec<&str> = events.lines().filter(|l| l.starts_with("- #")).collect();
    assert_eq!(lines.len(), 2, "{text}");
    for e in sources {
        let seq = format!("- #{} ", e["seq"]);
        let line = lines
            .iter()
            .find(|l| l.starts_with(&seq))
            .unwrap_or_else(|| panic!("no line for event {seq}:\n{text}"));
        assert!(line.contains(e["kind"].as_str().unwrap()), "{line}");
    }
    let call_line = lines.iter().find(|l| l.contains("tool_call")).unwrap();
    assert!(call_line.contains("npm install lodash"), "{call_line}");
    let result_line = lines.iter().find(|l| l.contains("tool_result")).unwrap();
    assert!(
        result_line.contains("doesn't want to proceed"),
        "{result_line}"
    );

    // The modified proposal: its diff and the PostToolUse result it came from.
    let modified = corrections(&env, &["--kind", "modified"]).remove(0);
    let shown = env.json(&[
        "corrections",
        "show",
        modified["id"].as_str().unwrap(),
        "--json",
    ]);
    let sources = shown["source_events"].as_array().unwrap();
    assert_eq!(sources.len(), 1, "{shown}");
    assert_eq!(sources[0]["id"], modified["source_events"][0]);
    assert_eq!(sources[0]["kind"], "tool_result");
    assert_eq!(sources[0]["output"]["userModified"], true);
    let text = env.ok(&["corrections", "show", modified["id"].as_str().unwrap()]);
    assert!(
        text.contains("-  return new Date(Date.parse(s));"),
        "{text}"
    );
    assert!(
        text.contains("+  return parseISO(s); // strict ISO-8601 only"),
        "{text}"
    );
    assert!(text.contains("source events (1):"), "{text}");
}

#[test]
fn unknown_id_and_bad_kind_are_clear_errors() {
    let env = new_env();
    two_sessions(&env);
    let unknown = "01890a5d-ac96-774b-bcce-b302099a8057";
    let out = env.run(&["corrections", "show", unknown]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("no correction {unknown}")), "{err}");
    assert!(out.stdout.is_empty(), "nothing printed on stdout");
    let out = env.run(&["corrections", "show", unknown, "--json"]);
    assert!(!out.status.success());
    assert!(out.stdout.is_empty());

    let out = env.run(&["corrections", "list", "--kind", "typo"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("unknown correction kind"), "{err}");
    assert!(err.contains("typo"), "{err}");
    assert!(
        err.contains("rejection"),
        "the valid kinds are listed: {err}"
    );
    assert!(out.stdout.is_empty());
    let out = env.run(&["corrections", "list", "--json", "--kind", "Rejections"]);
    assert!(!out.status.success(), "no silent empty list for a bad kind");
    assert!(out.stdout.is_empty());
}

#[test]
fn an_empty_or_ambiguous_id_prefix_is_an_error() {
    let env = new_env();
    two_sessions(&env);
    let all = corrections(&env, &[]);
    assert!(all.len() >= 2);
    // UUIDv7 ids made within the same second share their first characters.
    let first = all[0]["id"].as_str().unwrap();
    let shared: usize = (0..first.len())
        .take_while(|&i| {
            all.iter()
                .all(|c| c["id"].as_str().unwrap()[..=i] == first[..=i])
        })
        .count();
    assert!(shared > 0, "{all:#?}");
    for prefix in ["", &first[..shared]] {
        let out = env.run(&["corrections", "show", prefix]);
        assert!(
            !out.status.success(),
            "prefix {prefix:?} matches {} corrections but showed:\n{}",
            all.len(),
            String::from_utf8_lossy(&out.stdout)
        );
    }
}

#[test]
fn show_json_prints_the_same_correction_as_list_json() {
    let env = new_env();
    two_sessions(&env);
    for c in corrections(&env, &[]) {
        let shown = env.json(&["corrections", "show", c["id"].as_str().unwrap(), "--json"]);
        assert_eq!(shown["correction"], c);
    }
}

/// The agent writes a file, the user fixes it between turns and says why in the next
/// prompt: one user edit (with that prompt as its reason), not also a follow-up whose
/// `produced` is the user's own fixed text.
#[test]
fn a_prompt_explaining_a_user_edit_is_not_also_a_followup() {
    let env = new_env();
    let mut s = ClaudeSession::new(&env, "corr-user-edit");
    s.start();
    s.prompt("Write a setup script in setup.sh");
    let file = env.project.join("setup.sh");
    let agent_text = "#!/bin/sh\nnpm install\nnpm run build\n";
    let input = json!({"file_path": file, "content": agent_text});
    s.hook(
        "PreToolUse",
        json!({"tool_name": "Write", "tool_input": input, "tool_use_id": "toolu_write"}),
    );
    std::fs::write(&file, agent_text).unwrap();
    s.hook(
        "PostToolUse",
        json!({"tool_name": "Write", "tool_input": input, "tool_use_id": "toolu_write",
               "tool_response": {"type": "create", "filePath": file, "content": agent_text,
                                 "structuredPatch": [], "originalFile": null}}),
    );
    s.stop("Wrote setup.sh.");
    let user_text = "#!/bin/sh\npnpm install\npnpm run build\n";
    std::fs::write(&file, user_text).unwrap();
    let prompt = "I switched it to pnpm, we never use npm here. Now add a README.";
    s.prompt(prompt);
    s.stop("Added README.md.");

    let list = corrections(&env, &[]);
    let edit = list
        .iter()
        .find(|c| c["kind"] == "user_edit")
        .unwrap_or_else(|| panic!("no user edit: {list:#?}"));
    assert_eq!(edit["produced"], agent_text);
    assert_eq!(edit["accepted"], user_text);
    assert_eq!(edit["reason"], prompt);
    for c in &list {
        assert_ne!(
            c["produced"], user_text,
            "the user's own text is not a mistake: {c}"
        );
    }
    assert_eq!(list.len(), 1, "{list:#?}");
}
