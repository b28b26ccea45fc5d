//! `hivemind report [--json]` end to end: Claude Code sessions played through
//! `hivemind hook` (payloads and transcripts) where the user corrects the same mistake
//! three times, `hivemind skillify run` mines it into a skill, later sessions receive
//! the lesson at SessionStart and one of them repeats the mistake once; the report
//! gives the skill's corrections per session before it existed and after it was
//! injected.
#![allow(clippy::unwrap_used)]

use serde_json::Value;

#[path = "support/cli.rs"]
mod cli;
#[path = "support/hooks.rs"]
mod hooks;

use hooks::{additional_context, ClaudeSession};

const WORKSPACE: &str = "e2e-report";

fn new_env() -> cli::Sandbox {
    cli::Sandbox::new()
        .with_var("HIVEMIND_WORKSPACE_ID", WORKSPACE)
        // No background `skillify run` racing the assertions (no SessionEnd either).
        .with_var("HIVEMIND_SKILLIFY_EVERY_N_TURNS", "0")
}

/// The same mistake (npm in a pnpm repository) rejected with feedback, in one session.
const BEFORE: [(&str, &str, &str); 3] = [
    (
        "report-s1",
        "lodash",
        "we use pnpm in this repo, run pnpm add instead",
    ),
    ("report-s2", "zod", "no npm here, this project uses pnpm"),
    ("report-s3", "dayjs", "use pnpm, this repo never uses npm"),
];

#[test]
fn report_counts_corrections_per_session_before_the_skill_and_after_its_injection() {
    let env = new_env();
    for (id, pkg, feedback) in BEFORE {
        let mut s = ClaudeSession::new(&env, id);
        let out = s.start();
        assert!(out.trim().is_empty(), "nothing learned yet: {out}");
        s.npm_rejected_turn(pkg, feedback);
    }
    let list = hooks::corrections(&env, &[]);
    assert_eq!(list.len(), 3, "one rejection per session: {list:#?}");
    assert!(list.iter().all(|c| c["kind"] == "rejection"), "{list:#?}");

    // Before any skill the report is empty but successful.
    assert_eq!(env.json(&["report", "--json"]), Value::Array(vec![]));

    let run = env.json(&["skillify", "run", "--json"]);
    let created = run["created"].as_array().unwrap();
    assert_eq!(created.len(), 1, "one pattern, one skill: {run}");
    let skill = created[0]["name"].as_str().unwrap().to_string();
    let skill_file = env
        .project
        .join(".claude/skills")
        .join(&skill)
        .join("SKILL.md");
    assert!(hooks::read(&skill_file).contains(&format!("name: {skill}")));

    // Created, never injected yet.
    let report = env.json(&["report", "--json"]);
    let rows = report.as_array().unwrap();
    assert_eq!(rows.len(), 1, "{report}");
    assert_eq!(rows[0]["skill"], skill.as_str());
    assert_eq!(rows[0]["corrections_before"], 3, "{report}");
    assert_eq!(rows[0]["sessions_before"], 3, "{report}");
    assert_eq!(rows[0]["sessions_injected"], 0, "{report}");
    assert!(rows[0]["rate_after"].is_null(), "{report}");
    assert!(rows[0]["first_injected_at"].is_null(), "{report}");
    let text = env.ok(&["report"]);
    assert!(text.contains(&skill), "{text}");
    assert!(text.contains("not injected yet"), "{text}");

    // Three later sessions receive the lesson at SessionStart; the second one repeats
    // the mistake once anyway.
    for (n, id) in ["report-s4", "report-s5", "report-s6"].iter().enumerate() {
        let mut s = ClaudeSession::new(&env, id);
        let out = s.start();
        let context = additional_context(&out, "SessionStart")
            .unwrap_or_else(|| panic!("{id}: no lesson at SessionStart: {out:?}"));
        assert!(context.contains(&skill), "{id}: {context}");
        assert!(context.contains("pnpm"), "{id}: {context}");
        if n == 1 {
            s.npm_rejected_turn("axios", "pnpm please, never npm in this repo");
        } else {
            s.prompt("add a README section about the build");
            s.stop("Added the section.");
        }
    }
    let list = hooks::corrections(&env, &[]);
    assert_eq!(list.len(), 4, "{list:#?}");

    let report = env.json(&["report", "--json"]);
    let rows = report.as_array().unwrap();
    assert_eq!(rows.len(), 1, "{report}");
    let r = &rows[0];
    assert_eq!(r["skill"], skill.as_str());
    // Before: 3 corrections in the 3 sessions the workspace had when the skill was made.
    assert_eq!(r["corrections_before"], 3, "{report}");
    assert_eq!(r["sessions_before"], 3, "{report}");
    assert_eq!(r["rate_before"].as_f64(), Some(1.0), "{report}");
    // After: 1 correction in the 3 sessions that received the lesson.
    assert_eq!(r["sessions_injected"], 3, "{report}");
    assert_eq!(r["corrections_after"], 1, "{report}");
    let after = r["rate_after"].as_f64().unwrap();
    assert!((after - 1.0 / 3.0).abs() < 1e-9, "{report}");
    assert!(r["first_injected_at"].is_string(), "{report}");
    let time = |v: &Value| chrono::DateTime::parse_from_rfc3339(v.as_str().unwrap()).unwrap();
    assert!(
        time(&r["first_injected_at"]) >= time(&r["created_at"]),
        "injected after it was created: {report}"
    );

    // A session that receives the lesson again (resume) is not counted twice.
    let s = ClaudeSession::new(&env, "report-s5");
    s.hook("SessionStart", serde_json::json!({"source": "resume"}));
    let again = env.json(&["report", "--json"]);
    assert_eq!(again[0]["sessions_injected"], 3, "{again}");

    let text = env.ok(&["report"]);
    let row = text
        .lines()
        .find(|l| l.starts_with(&skill))
        .unwrap_or_else(|| panic!("no row for {skill}:\n{text}"));
    assert!(row.contains("3/3 = 1.00"), "{row}");
    assert!(row.contains("1/3 = 0.33"), "{row}");
}

#[test]
fn report_on_an_empty_home_is_a_clear_empty_report() {
    let env = new_env();
    let out = env.run(&["report"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("no skills yet"), "{text}");
    assert!(text.contains(WORKSPACE), "{text}");
    assert_eq!(env.json(&["report", "--json"]), Value::Array(vec![]));
    // Nothing was written to HOME.
    assert_eq!(std::fs::read_dir(&env.home).unwrap().count(), 0);
}
