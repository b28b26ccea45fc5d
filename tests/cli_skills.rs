//! `hivemind skillify run|status` and `hivemind skills list|show|promote|remove` end to
//! end: corrections recorded through the library into a home, then the built binary with
//! HOME, HIVEMIND_HOME and the project in temporary folders.
#![allow(clippy::unwrap_used)]

use hivemind_core::{Config, CorrectionInput, Hivemind, SessionId, WorkspaceId};
use serde_json::Value;
use std::path::{Path, PathBuf};

const WS: &str = "acme/skills-cli";

#[path = "support/cli.rs"]
mod cli;

type Env = cli::Sandbox;

fn new_env() -> Env {
    Env::new().with_var("HIVEMIND_WORKSPACE_ID", WS)
}

/// Records pnpm corrections `from..to` (each in its own session) through the library.
fn correct(env: &Env, from: usize, to: usize) {
    let mut config = Config::with_home(&env.hm_home);
    config.workspace = Some(WorkspaceId::new(WS).unwrap());
    let hm = Hivemind::open_in(config, Some(env.project.clone())).unwrap();
    for i in from..to {
        hm.record_correction(CorrectionInput {
            session: Some(SessionId::new(format!("s{i}")).unwrap()),
            produced: format!("npm install package-{i}"),
            accepted: Some(format!("pnpm add package-{i}")),
            reason: Some("we use pnpm in this repo, never npm".into()),
            ..Default::default()
        })
        .unwrap();
    }
    hm.close().unwrap();
}

fn project_skill(env: &Env, name: &str) -> PathBuf {
    env.project
        .join(".claude/skills")
        .join(name)
        .join("SKILL.md")
}

fn global_skill(env: &Env, name: &str) -> PathBuf {
    env.home.join(".claude/skills").join(name).join("SKILL.md")
}

fn only_skill(env: &Env) -> (String, Value) {
    let list = env.json(&["skills", "list", "--json"]);
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 1, "{list:?}");
    (
        list[0]["name"].as_str().unwrap().to_string(),
        list[0].clone(),
    )
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

#[test]
fn status_counts_near_patterns_then_runs() {
    let env = new_env();
    correct(&env, 0, 2);
    let st = env.json(&["skillify", "status", "--json"]);
    assert!(st["last_run"].is_null(), "{st}");
    assert_eq!(st["corrections"], 2);
    assert_eq!(st["pending"], 2);
    assert_eq!(st["skills"], 0);
    let near = st["near"].as_array().unwrap();
    assert_eq!(
        near.len(),
        1,
        "two similar corrections are one near group: {st}"
    );
    assert_eq!(near[0]["needed"], 1);
    assert_eq!(near[0]["corrections"].as_array().unwrap().len(), 2);
    let text = env.ok(&["skillify", "status"]);
    assert!(text.contains("last run:    never"), "{text}");
    assert!(text.contains("1 more needed"), "{text}");

    correct(&env, 2, 3);
    env.ok(&["skillify", "run"]);
    let st = env.json(&["skillify", "status", "--json"]);
    assert_eq!(st["last_run"]["created"], 1, "{st}");
    assert_eq!(st["last_run"]["corrections"], 3);
    assert_eq!(st["pending"], 0);
    assert_eq!(st["since_last_run"], 0);
    assert_eq!(st["skills"], 1);
    assert!(st["near"].as_array().unwrap().is_empty());
}

#[test]
fn show_promote_edit_and_remove() {
    let env = new_env();
    correct(&env, 0, 3);
    env.ok(&["skillify", "run"]);
    let (name, listed) = only_skill(&env);
    let project_file = project_skill(&env, &name);
    assert!(project_file.is_file());

    // show: the text, the files and the lineage with each correction.
    let shown = env.json(&["skills", "show", &name, "--json"]);
    assert_eq!(shown["skill"]["body"], listed["body"]);
    assert_eq!(shown["removed"], false);
    assert_eq!(shown["promoted"], false);
    assert_eq!(shown["corrections"].as_array().unwrap().len(), 3);
    assert_eq!(
        shown["files"][0].as_str().unwrap(),
        project_file.to_str().unwrap()
    );
    let text = env.ok(&["skills", "show", &name]);
    assert!(
        text.contains("lineage: 3 corrections in 3 sessions"),
        "{text}"
    );
    assert!(text.contains("npm"), "{text}");
    let missing = env.run(&["skills", "show", "no-such-skill"]);
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no skill named no-such-skill"));
    let bad = env.run(&["skills", "show", "../escape"]);
    assert!(!bad.status.success(), "an invalid name is refused");

    // promote: written to ~/.claude/skills, and later versions follow it there.
    let out = env.ok(&["skills", "promote", &name]);
    assert!(out.contains("promoted"), "{out}");
    let global_file = global_skill(&env, &name);
    assert_eq!(read(&global_file), read(&project_file));
    assert_eq!(
        env.json(&["skills", "show", &name, "--json"])["promoted"],
        true
    );

    // A person edits the project copy; new evidence is appended to their text only.
    let edited = format!(
        "{}\nOur team note: pnpm workspaces too.\n",
        read(&project_file)
    );
    std::fs::write(&project_file, &edited).unwrap();
    correct(&env, 3, 5);
    env.ok(&["skillify", "run"]);
    let (_, v2) = only_skill(&env);
    assert_eq!(v2["version"], 2);
    let after = read(&project_file);
    assert!(after.starts_with(&edited), "the person's text is kept");
    for id in v2["corrections"].as_array().unwrap().iter().skip(3) {
        assert!(
            after.contains(id.as_str().unwrap()),
            "new evidence appended"
        );
    }
    assert!(
        read(&global_file).contains(v2["body"].as_str().unwrap().trim()),
        "the promoted copy follows the new version"
    );
    assert!(
        !read(&global_file).contains("Our team note"),
        "the unedited global copy is rewritten, not appended"
    );

    // remove: not listed, not injected, not re-mined; the edited file stays.
    let removed = env.json(&["skills", "remove", &name, "--json"]);
    let removed = removed.as_array().unwrap();
    assert!(
        removed.iter().any(|r| r.get("kept").is_some()),
        "{removed:?}"
    );
    assert!(
        removed.iter().any(|r| r.get("deleted").is_some()),
        "{removed:?}"
    );
    assert!(
        project_file.is_file(),
        "a person-edited file is never deleted"
    );
    assert!(!global_file.exists(), "our unedited copy is deleted");
    assert!(env
        .json(&["skills", "list", "--json"])
        .as_array()
        .unwrap()
        .is_empty());
    let ctx = env.json(&["context", "--prompt", "install lodash with npm", "--json"]);
    assert_eq!(ctx["text"], "", "{ctx}");
    correct(&env, 5, 8);
    env.ok(&["skillify", "run"]);
    assert!(env
        .json(&["skills", "list", "--json"])
        .as_array()
        .unwrap()
        .is_empty());
    assert_eq!(
        env.json(&["skills", "show", &name, "--json"])["removed"],
        true
    );

    // Promoting again restores it.
    env.ok(&["skills", "promote", &name]);
    assert_eq!(
        env.json(&["skills", "list", "--json"])
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert!(global_skill(&env, &name).is_file());
}
