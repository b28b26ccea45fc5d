//! Injected context never exceeds its budget or the host cap, whatever the skills hold:
//! over the in-memory store, over a real SQLite store (FTS5/BM25 selection) and through
//! [`Hivemind::context_for`] (prompt selection merged with the session-start index).
#![allow(clippy::unwrap_used)]

use chrono::Utc;
use hivemind_core::skills::select::{
    estimate_tokens, for_prompt, session_start, Selection, MAX_CONTEXT_CHARS,
};
use hivemind_core::{
    Config, CorrectionId, Hivemind, InMemoryStore, Provenance, SessionId, Skill, SkillName,
    SqliteStore, Store, WorkspaceId,
};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use std::sync::Arc;

fn skill(ws: &WorkspaceId, i: usize, description: &str, body: &str, support: usize) -> Skill {
    Skill {
        name: SkillName::new(format!("skill-{i}")).unwrap(),
        description: if description.is_empty() {
            "d".into()
        } else {
            description.chars().take(1024).collect()
        },
        body: body.lines().take(400).collect::<Vec<_>>().join("\n"),
        version: 1,
        workspace: ws.clone(),
        provenance: Provenance {
            corrections: (0..support.max(1))
                .map(|_| CorrectionId::generate())
                .collect(),
            sessions: vec![],
            author: "test".into(),
            created_at: Utc::now(),
            updated_at: Utc::now(),
        },
    }
}

/// Generated skills: (description, body, corrections behind it).
type Specs = Vec<(String, String, usize)>;

fn specs() -> impl Strategy<Value = Specs> {
    proptest::collection::vec(("\\PC{0,300}", "(\\PC{0,80}\n){0,60}", 1usize..20), 0..25)
}

fn fill(store: &dyn Store, ws: &WorkspaceId, skills: &Specs) {
    for (i, (d, b, n)) in skills.iter().enumerate() {
        store.upsert_skill(&skill(ws, i, d, b, *n)).unwrap();
    }
}

/// A prompt that names the skills' words, so prompt-time selection has hits.
fn naming_prompt(prompt: &str, skills: &Specs) -> String {
    format!(
        "{prompt} skill {}",
        skills.first().map(|s| s.0.as_str()).unwrap_or("")
    )
}

/// Within the budget, under the host cap, and valid UTF-8 that survives a JSON round
/// trip (what the hook prints).
fn fits(sel: &Selection, budget: usize) -> Result<(), TestCaseError> {
    let tokens = estimate_tokens(&sel.text);
    prop_assert!(
        tokens <= budget,
        "{tokens} tokens > {budget}: {:?}",
        sel.text
    );
    prop_assert!(sel.text.chars().count() <= MAX_CONTEXT_CHARS);
    let json = serde_json::to_string(&sel.text).unwrap();
    prop_assert_eq!(&serde_json::from_str::<String>(&json).unwrap(), &sel.text);
    Ok(())
}

/// Session-start and prompt selection over `store` both fit, and the prompt does not
/// repeat what session start injected.
fn selections_fit(
    store: &dyn Store,
    ws: &WorkspaceId,
    prompt: &str,
    budget: usize,
) -> Result<(), TestCaseError> {
    let start = session_start(store, ws, budget, &[]).unwrap();
    fits(&start, budget)?;
    let p = for_prompt(store, ws, prompt, &[], budget, &start.full).unwrap();
    fits(&p, budget)?;
    for name in &p.full {
        prop_assert!(!start.full.contains(name), "{name} repeated");
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn context_fits_the_budget_and_the_cap(
        skills in specs(),
        prompt in "\\PC{0,200}",
        budget in 0usize..6000,
    ) {
        let ws = WorkspaceId::new("w").unwrap();
        let store = InMemoryStore::new();
        fill(&store, &ws, &skills);
        selections_fit(&store, &ws, &naming_prompt(&prompt, &skills), budget)?;
    }
}

proptest! {
    // Each case creates and migrates a database on disk: fewer cases.
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn context_from_a_sqlite_store_fits_the_budget_and_the_cap(
        skills in specs(),
        prompt in "\\PC{0,200}",
        budget in 0usize..6000,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let ws = WorkspaceId::new("w").unwrap();
        let store = SqliteStore::open(dir.path().join("hivemind.db")).unwrap();
        fill(&store, &ws, &skills);
        selections_fit(&store, &ws, &naming_prompt(&prompt, &skills), budget)?;
    }

    #[test]
    fn context_for_a_session_fits_the_budget_and_the_cap(
        skills in specs(),
        prompts in proptest::collection::vec("\\PC{0,200}", 2..4),
        budget in 0usize..6000,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let ws = WorkspaceId::new("w").unwrap();
        let store = SqliteStore::open(dir.path().join("hivemind.db")).unwrap();
        fill(&store, &ws, &skills);
        // No project folder: nothing is written outside the temporary home.
        let hm = Hivemind::with_store(
            Config::with_home(dir.path()),
            Arc::new(store),
            ws,
            None,
        );
        let session = SessionId::new("s-budget").unwrap();
        // The first call merges the prompt's skills with the session-start index; the
        // next ones select for the prompt only, never repeating a skill in full.
        let mut injected: Vec<String> = Vec::new();
        for prompt in &prompts {
            let sel = hm
                .context_for(&session, &naming_prompt(prompt, &skills), budget)
                .unwrap();
            fits(&sel, budget)?;
            for name in &sel.full {
                prop_assert!(!injected.contains(name), "{name} injected twice");
            }
            injected.extend(sel.full.iter().cloned());
        }
    }
}

#[test]
fn nothing_from_another_workspace() {
    let a = WorkspaceId::new("a").unwrap();
    let b = WorkspaceId::new("b").unwrap();
    let store = InMemoryStore::new();
    store
        .upsert_skill(&skill(
            &a,
            1,
            "use pnpm never npm",
            "## Do\n- pnpm add x",
            3,
        ))
        .unwrap();
    let sel = session_start(&store, &b, 2000, &[]).unwrap();
    assert!(sel.text.is_empty());
    let sel = for_prompt(&store, &b, "install with pnpm", &[], 2000, &[]).unwrap();
    assert!(sel.text.is_empty());
    let sel = session_start(&store, &a, 2000, &[]).unwrap();
    assert!(sel.text.contains("pnpm"));
}
