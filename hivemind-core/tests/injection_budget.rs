//! Injected context never exceeds its budget or the host cap, whatever the skills hold.
#![allow(clippy::unwrap_used)]

use chrono::Utc;
use hivemind_core::skills::select::{
    estimate_tokens, for_prompt, session_start, MAX_CONTEXT_CHARS,
};
use hivemind_core::{
    CorrectionId, InMemoryStore, Provenance, Skill, SkillName, Store, WorkspaceId,
};
use proptest::prelude::*;

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

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn context_fits_the_budget_and_the_cap(
        skills in proptest::collection::vec(("\\PC{0,300}", "(\\PC{0,80}\n){0,60}", 1usize..20), 0..25),
        prompt in "\\PC{0,200}",
        budget in 0usize..6000,
    ) {
        let ws = WorkspaceId::new("w").unwrap();
        let store = InMemoryStore::new();
        for (i, (d, b, n)) in skills.iter().enumerate() {
            store.upsert_skill(&skill(&ws, i, d, b, *n)).unwrap();
        }
        // Prompts that name the skills' words, so prompt-time selection has hits.
        let prompt = format!("{prompt} skill {}", skills.first().map(|s| s.0.as_str()).unwrap_or(""));
        let start = session_start(&store, &ws, budget, &[]).unwrap();
        prop_assert!(estimate_tokens(&start.text) <= budget, "{} tokens > {budget}", estimate_tokens(&start.text));
        prop_assert!(start.text.chars().count() <= MAX_CONTEXT_CHARS);
        let p = for_prompt(&store, &ws, &prompt, &[], budget, &start.full).unwrap();
        prop_assert!(estimate_tokens(&p.text) <= budget);
        prop_assert!(p.text.chars().count() <= MAX_CONTEXT_CHARS);
        for name in &p.full {
            prop_assert!(!start.full.contains(name), "{name} repeated");
        }
        // Valid UTF-8 that survives a JSON round trip (what the hook prints).
        let json = serde_json::to_string(&p.text).unwrap();
        prop_assert_eq!(serde_json::from_str::<String>(&json).unwrap(), p.text);
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
