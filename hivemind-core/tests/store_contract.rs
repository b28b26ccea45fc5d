//! The `Store` contract, written once and run against every implementation.
//!
//! Each `contract_*` function takes a `&dyn Store` and checks one documented promise of
//! the trait (see `hivemind_core::store`). The `contracts!` macro turns every function
//! into one `#[test]` per store: `sqlite_store::contract_*` (a file under a temporary
//! directory), `in_memory_store::contract_*` and, with the `postgres` feature,
//! `postgres_store::contract_*` (each test in its own schema of the test server, see
//! `support/pg.rs`; skipped with a message when no server is reachable). Below the
//! contract: SQLite durability across reopening, and a property test that no read of one
//! workspace ever returns a row of another.
#![allow(clippy::unwrap_used)]

use chrono::{DateTime, Utc};
use hivemind_core::model::{
    Agent, Correction, CorrectionFilter, CorrectionId, CorrectionKind, Diff, Event, EventId,
    EventKind, Provenance, SessionId, Skill, SkillName, Target, WorkspaceId,
};
use hivemind_core::store::{InMemoryStore, SearchHit, SearchScope, SqliteStore, Store, StoreStats};
use hivemind_core::Error;
use std::collections::{BTreeSet, HashMap, HashSet};

// ---------------------------------------------------------------------------------------
// Fixtures and builders
// ---------------------------------------------------------------------------------------

/// A store under test, with whatever must outlive it (the temporary directory).
/// Fields drop in order: the store first, then what it lives in.
struct Fixture {
    store: Box<dyn Store>,
    _dir: Option<tempfile::TempDir>,
    _guard: Option<Box<dyn std::any::Any>>,
}

fn sqlite() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("contract.db")).unwrap();
    Fixture {
        store: Box::new(store),
        _dir: Some(dir),
        _guard: None,
    }
}

fn memory() -> Fixture {
    Fixture {
        store: Box::new(InMemoryStore::new()),
        _dir: None,
        _guard: None,
    }
}

#[cfg(feature = "postgres")]
#[path = "support/pg.rs"]
mod pg;

/// A PostgreSQL store in a fresh schema (dropped afterwards); `None` without a server.
#[cfg(feature = "postgres")]
fn postgres() -> Option<Fixture> {
    let (store, guard) = pg::store()?;
    Some(Fixture {
        store: Box::new(store),
        _dir: None,
        _guard: Some(Box::new(guard)),
    })
}

fn ws(s: &str) -> WorkspaceId {
    WorkspaceId::new(s).unwrap()
}

fn sid(s: &str) -> SessionId {
    SessionId::new(s).unwrap()
}

fn sname(s: &str) -> SkillName {
    SkillName::new(s).unwrap()
}

/// A fixed instant plus `secs` seconds and `nanos` nanoseconds (odd precisions on
/// purpose: the stores must keep them).
fn t(secs: i64, nanos: u32) -> DateTime<Utc> {
    DateTime::from_timestamp(1_750_000_000 + secs, nanos).unwrap()
}

fn event(w: &WorkspaceId, s: &SessionId, kind: EventKind) -> Event {
    Event::new(w.clone(), s.clone(), Agent::ClaudeCode, kind)
}

fn prompt(w: &WorkspaceId, s: &SessionId, text: &str) -> Event {
    event(w, s, EventKind::Prompt { text: text.into() })
}

fn response(w: &WorkspaceId, s: &SessionId, text: &str) -> Event {
    event(w, s, EventKind::Response { text: text.into() })
}

fn correction(
    w: &WorkspaceId,
    s: &SessionId,
    kind: CorrectionKind,
    reason: &str,
    created_at: DateTime<Utc>,
) -> Correction {
    Correction {
        id: CorrectionId::generate(),
        workspace: w.clone(),
        session: s.clone(),
        kind,
        target: Target::Tool("Bash".into()),
        produced: "npm install zod".into(),
        accepted: None,
        diff: Diff(String::new()),
        reason: Some(reason.into()),
        confidence: 0.75,
        source_events: vec![EventId::generate()],
        created_at,
    }
}

fn skill(
    w: &WorkspaceId,
    name: &str,
    version: u32,
    support: usize,
    updated_at: DateTime<Utc>,
    body: &str,
) -> Skill {
    Skill {
        name: sname(name),
        description: format!("Use when {name} applies (v{version})"),
        body: body.into(),
        version,
        workspace: w.clone(),
        provenance: Provenance {
            corrections: (0..support).map(|_| CorrectionId::generate()).collect(),
            sessions: vec![sid("s1")],
            author: "hivemind-local".into(),
            created_at: t(0, 0),
            updated_at,
        },
    }
}

fn seqs(events: &[Event]) -> Vec<u64> {
    events.iter().map(|e| e.seq).collect()
}

fn ids(events: &[Event]) -> Vec<EventId> {
    events.iter().map(|e| e.id.clone()).collect()
}

fn refs(hits: &[SearchHit]) -> BTreeSet<String> {
    hits.iter().map(|h| h.reference.clone()).collect()
}

/// `e` as the store should return it: same everything, `seq` assigned.
fn with_seq(e: &Event, seq: u64) -> Event {
    let mut e = e.clone();
    e.seq = seq;
    e
}

fn assert_best_first(hits: &[SearchHit]) {
    for w in hits.windows(2) {
        assert!(w[0].score >= w[1].score, "hits not best first: {:?}", hits);
    }
}

// ---------------------------------------------------------------------------------------
// Events
// ---------------------------------------------------------------------------------------

fn contract_append_events_is_idempotent_and_counts_only_new(store: &dyn Store) {
    let w = ws("acme");
    let s = sid("s1");
    let a = prompt(&w, &s, "one");
    let b = response(&w, &s, "two");
    let c = prompt(&w, &s, "three");
    assert_eq!(store.append_events(&[]).unwrap(), 0);
    assert_eq!(
        store
            .append_events(&[a.clone(), b.clone(), c.clone()])
            .unwrap(),
        3
    );
    // The same batch again: nothing new.
    assert_eq!(
        store
            .append_events(&[a.clone(), b.clone(), c.clone()])
            .unwrap(),
        0
    );
    // Old and new mixed: only the new ones count, and they get the next seqs.
    let d = prompt(&w, &s, "four");
    let e = response(&w, &s, "five");
    assert_eq!(
        store
            .append_events(&[a.clone(), d.clone(), b.clone(), e.clone(), c.clone()])
            .unwrap(),
        2
    );
    // The same id twice in one batch is stored once.
    let f = prompt(&w, &s, "six");
    assert_eq!(store.append_events(&[f.clone(), f.clone()]).unwrap(), 1);
    // A retry of an event whose content changed meanwhile does not overwrite it.
    let mut a2 = a.clone();
    a2.kind = EventKind::Prompt {
        text: "rewritten".into(),
    };
    assert_eq!(store.append_events(&[a2]).unwrap(), 0);

    let all = store.session_events(&w, &s, 0, None).unwrap();
    assert_eq!(
        all,
        vec![
            with_seq(&a, 1),
            with_seq(&b, 2),
            with_seq(&c, 3),
            with_seq(&d, 4),
            with_seq(&e, 5),
            with_seq(&f, 6)
        ]
    );
}

fn contract_seq_is_assigned_per_session_in_order_across_batches(store: &dyn Store) {
    let w = ws("acme");
    let other_ws = ws("globex");
    let s1 = sid("s1");
    let s2 = sid("s2");
    let mut expected: HashMap<(String, String), Vec<EventId>> = HashMap::new();
    // Interleaved sessions (and the same session id in another workspace), over several
    // batches, with garbage input seqs that must be ignored.
    for batch in 0..4 {
        let mut events = Vec::new();
        for i in 0..5 {
            let (wk, sk) = match (batch + i) % 3 {
                0 => (&w, &s1),
                1 => (&w, &s2),
                _ => (&other_ws, &s1),
            };
            let mut e = prompt(wk, sk, &format!("batch {batch} item {i}"));
            e.seq = 999 - i as u64;
            expected
                .entry((wk.to_string(), sk.to_string()))
                .or_default()
                .push(e.id.clone());
            events.push(e);
        }
        assert_eq!(store.append_events(&events).unwrap(), 5);
    }
    for ((wk, sk), want) in expected {
        let got = store.session_events(&ws(&wk), &sid(&sk), 0, None).unwrap();
        assert_eq!(ids(&got), want, "{wk}/{sk}: append order");
        assert_eq!(
            seqs(&got),
            (1..=want.len() as u64).collect::<Vec<_>>(),
            "{wk}/{sk}: seqs"
        );
    }
}

fn contract_events_round_trip(store: &dyn Store) {
    let w = ws("github.com/acme/shop-web");
    let s = sid("0199a1b2-c3d4:session@host/x");
    let kinds = vec![
        EventKind::SessionStart {
            source: Some("startup".into()),
            cwd: Some("/home/u/shop".into()),
        },
        EventKind::SessionStart {
            source: None,
            cwd: None,
        },
        EventKind::Prompt {
            text: "use pnpm — not npm ✓ 日本語\n\ttabs \"quotes\" \\ back".into(),
        },
        EventKind::ToolCall {
            tool: "Bash".into(),
            call_id: Some("toolu_01".into()),
            input: serde_json::json!({"command": "npm i zod", "nested": {"a": [1, 2.5, null, true]}}),
        },
        EventKind::ToolResult {
            tool: "Bash".into(),
            call_id: None,
            output: serde_json::json!("exit 1"),
            is_error: true,
        },
        EventKind::Response {
            text: String::new(),
        },
        EventKind::Interrupt {
            reason: Some("user".into()),
        },
        EventKind::FileEdited {
            path: "src/a.rs".into(),
            snippet: None,
        },
        EventKind::SessionEnd { reason: None },
    ];
    let agents = [
        Agent::ClaudeCode,
        Agent::Codex,
        Agent::Cursor,
        Agent::Custom("my-runtime".into()),
    ];
    let mut events = Vec::new();
    for (i, k) in kinds.into_iter().enumerate() {
        let mut e = event(&w, &s, k);
        e.agent = agents[i % agents.len()].clone();
        e.at = t(i as i64, [0, 1, 123_000_000, 123_456_789][i % 4]);
        events.push(e);
    }
    assert_eq!(store.append_events(&events).unwrap(), events.len());
    let got = store.session_events(&w, &s, 0, None).unwrap();
    let want: Vec<Event> = events
        .iter()
        .enumerate()
        .map(|(i, e)| with_seq(e, i as u64 + 1))
        .collect();
    assert_eq!(got, want);
}

fn contract_session_events_after_seq_and_limit(store: &dyn Store) {
    let w = ws("acme");
    let s = sid("s1");
    let events: Vec<Event> = (0..10).map(|i| prompt(&w, &s, &format!("p{i}"))).collect();
    store.append_events(&events[..4]).unwrap();
    store.append_events(&events[4..]).unwrap();

    let all = store.session_events(&w, &s, 0, None).unwrap();
    assert_eq!(seqs(&all), (1..=10).collect::<Vec<_>>());
    assert_eq!(ids(&all), ids(&events));

    let after3 = store.session_events(&w, &s, 3, None).unwrap();
    assert_eq!(seqs(&after3), (4..=10).collect::<Vec<_>>());
    assert_eq!(ids(&after3), ids(&events[3..]));

    let page = store.session_events(&w, &s, 3, Some(2)).unwrap();
    assert_eq!(seqs(&page), vec![4, 5]);
    let next = store.session_events(&w, &s, 5, Some(2)).unwrap();
    assert_eq!(seqs(&next), vec![6, 7]);

    assert!(store.session_events(&w, &s, 0, Some(0)).unwrap().is_empty());
    assert_eq!(store.session_events(&w, &s, 9, Some(5)).unwrap().len(), 1);
    assert!(store.session_events(&w, &s, 10, None).unwrap().is_empty());
    assert!(store.session_events(&w, &s, 1000, None).unwrap().is_empty());
    assert_eq!(
        store.session_events(&w, &s, 0, Some(100)).unwrap().len(),
        10
    );
    assert!(store
        .session_events(&w, &sid("nope"), 0, None)
        .unwrap()
        .is_empty());
    assert!(store
        .session_events(&ws("other"), &s, 0, None)
        .unwrap()
        .is_empty());
}

fn contract_last_events_oldest_first(store: &dyn Store) {
    let w = ws("acme");
    let s = sid("s1");
    let events: Vec<Event> = (0..10).map(|i| prompt(&w, &s, &format!("p{i}"))).collect();
    for chunk in events.chunks(3) {
        store.append_events(chunk).unwrap();
    }
    // Noise in another session and another workspace.
    store
        .append_events(&[prompt(&w, &sid("s2"), "x"), prompt(&ws("o"), &s, "y")])
        .unwrap();

    let last3 = store.last_events(&w, &s, 3).unwrap();
    assert_eq!(seqs(&last3), vec![8, 9, 10]);
    assert_eq!(ids(&last3), ids(&events[7..]));
    let last1 = store.last_events(&w, &s, 1).unwrap();
    assert_eq!(seqs(&last1), vec![10]);
    assert!(store.last_events(&w, &s, 0).unwrap().is_empty());
    let all = store.last_events(&w, &s, 100).unwrap();
    assert_eq!(seqs(&all), (1..=10).collect::<Vec<_>>());
    assert!(store.last_events(&w, &sid("nope"), 5).unwrap().is_empty());
}

// ---------------------------------------------------------------------------------------
// Corrections
// ---------------------------------------------------------------------------------------

fn contract_insert_correction_is_idempotent(store: &dyn Store) {
    let w = ws("acme");
    let s = sid("s1");
    let mut c = correction(&w, &s, CorrectionKind::Followup, "we use pnpm", t(10, 5));
    c.set_accepted("pnpm add zod".into());
    c.target = Target::File("src/lib.rs".into());
    assert!(store.insert_correction(&c).unwrap());
    assert!(!store.insert_correction(&c).unwrap());
    // Same id, different content: still a no-op, the first one stays.
    let mut changed = c.clone();
    changed.reason = Some("something else".into());
    assert!(!store.insert_correction(&changed).unwrap());
    let got = store.corrections(&w, &CorrectionFilter::default()).unwrap();
    assert_eq!(got, vec![c]);
}

fn contract_update_correction_replaces(store: &dyn Store) {
    let w = ws("acme");
    let s = sid("s1");
    let c = correction(&w, &s, CorrectionKind::Followup, "zeppelin style", t(10, 0));
    let keep = correction(&w, &s, CorrectionKind::Rejection, "other", t(20, 0));
    assert!(store.insert_correction(&c).unwrap());
    assert!(store.insert_correction(&keep).unwrap());

    let mut updated = c.clone();
    updated.set_accepted("pnpm add zod".into());
    updated.reason = Some("quokka convention".into());
    updated.kind = CorrectionKind::Modified;
    updated.confidence = 0.9;
    store.update_correction(&updated).unwrap();

    let got = store.corrections(&w, &CorrectionFilter::default()).unwrap();
    assert_eq!(got, vec![updated.clone(), keep.clone()]);
    // Filters see the new kind, not the old one.
    let by_kind = |k| {
        store
            .corrections(
                &w,
                &CorrectionFilter {
                    kind: Some(k),
                    ..Default::default()
                },
            )
            .unwrap()
    };
    assert_eq!(by_kind(CorrectionKind::Modified), vec![updated.clone()]);
    assert!(by_kind(CorrectionKind::Followup).is_empty());
    // Search sees the new text, not the old one.
    let hits = store
        .search(&w, SearchScope::Corrections, "quokka", 10)
        .unwrap();
    assert_eq!(refs(&hits), BTreeSet::from([c.id.to_string()]));
    assert!(store
        .search(&w, SearchScope::Corrections, "zeppelin", 10)
        .unwrap()
        .is_empty());

    // An unknown id is an error, and changes nothing.
    let unknown = correction(&w, &s, CorrectionKind::Explicit, "ghost", t(30, 0));
    let err = store.update_correction(&unknown).unwrap_err();
    assert!(matches!(err, Error::InvalidInput(_)), "{err:?}");
    assert!(err.to_string().contains(unknown.id.as_str()), "{err}");
    // The right id in another workspace is an error too: it must not touch acme's row
    // nor create one in globex.
    let mut foreign = updated.clone();
    foreign.workspace = ws("globex");
    foreign.reason = Some("hijacked".into());
    let err = store.update_correction(&foreign).unwrap_err();
    assert!(matches!(err, Error::InvalidInput(_)), "{err:?}");
    let got = store.corrections(&w, &CorrectionFilter::default()).unwrap();
    assert_eq!(got, vec![updated, keep]);
    assert!(store
        .corrections(&ws("globex"), &CorrectionFilter::default())
        .unwrap()
        .is_empty());
    assert!(store
        .search(&ws("globex"), SearchScope::Corrections, "hijacked", 10)
        .unwrap()
        .is_empty());
    assert!(store
        .search(&w, SearchScope::Corrections, "hijacked", 10)
        .unwrap()
        .is_empty());
}

fn contract_corrections_filter_and_order(store: &dyn Store) {
    let w = ws("acme");
    let s1 = sid("s1");
    let s2 = sid("s2");
    use CorrectionKind::*;
    // (session, kind, created_at); inserted out of order on purpose, with sub-second
    // precisions that differ in length (ordering must follow time, not text).
    let spec = [
        (&s1, Followup, t(5, 0)),
        (&s2, Rejection, t(1, 0)),
        (&s1, Rejection, t(3, 500_000_000)),
        (&s2, Followup, t(3, 0)),
        (&s1, UserEdit, t(3, 123_456)),
        (&s2, Followup, t(8, 1)),
        (&s1, Followup, t(2, 999_999_999)),
    ];
    let mut all: Vec<Correction> = spec
        .iter()
        .map(|(s, k, at)| correction(&w, s, *k, "reason", *at))
        .collect();
    for c in &all {
        assert!(store.insert_correction(c).unwrap());
    }
    // Noise in another workspace, same sessions and kinds.
    for (s, k, at) in &spec {
        store
            .insert_correction(&correction(&ws("globex"), s, *k, "reason", *at))
            .unwrap();
    }
    all.sort_by_key(|c| c.created_at);
    let get = |f: CorrectionFilter| store.corrections(&w, &f).unwrap();

    assert_eq!(get(CorrectionFilter::default()), all);

    let want: Vec<_> = all.iter().filter(|c| c.session == s1).cloned().collect();
    assert_eq!(
        get(CorrectionFilter {
            session: Some(s1.clone()),
            ..Default::default()
        }),
        want
    );
    let want: Vec<_> = all.iter().filter(|c| c.kind == Followup).cloned().collect();
    assert_eq!(
        get(CorrectionFilter {
            kind: Some(Followup),
            ..Default::default()
        }),
        want
    );
    assert!(get(CorrectionFilter {
        kind: Some(Explicit),
        ..Default::default()
    })
    .is_empty());
    // `since` is inclusive.
    let since = t(3, 0);
    let want: Vec<_> = all
        .iter()
        .filter(|c| c.created_at >= since)
        .cloned()
        .collect();
    assert_eq!(want.len(), 5);
    assert_eq!(
        get(CorrectionFilter {
            since: Some(since),
            ..Default::default()
        }),
        want
    );
    let since = t(3, 1);
    let want: Vec<_> = all
        .iter()
        .filter(|c| c.created_at >= since)
        .cloned()
        .collect();
    assert_eq!(want.len(), 4);
    assert_eq!(
        get(CorrectionFilter {
            since: Some(since),
            ..Default::default()
        }),
        want
    );
    // `limit` keeps the newest, still oldest first.
    assert_eq!(
        get(CorrectionFilter {
            limit: Some(2),
            ..Default::default()
        }),
        all[all.len() - 2..].to_vec()
    );
    assert!(get(CorrectionFilter {
        limit: Some(0),
        ..Default::default()
    })
    .is_empty());
    assert_eq!(
        get(CorrectionFilter {
            limit: Some(100),
            ..Default::default()
        }),
        all
    );
    // Combined.
    let want: Vec<_> = all
        .iter()
        .filter(|c| c.session == s1 && c.kind == Followup)
        .cloned()
        .collect();
    assert_eq!(want.len(), 2);
    assert_eq!(
        get(CorrectionFilter {
            session: Some(s1.clone()),
            kind: Some(Followup),
            since: Some(t(0, 0)),
            limit: Some(1),
        }),
        want[1..].to_vec()
    );
    assert!(get(CorrectionFilter {
        session: Some(sid("nope")),
        ..Default::default()
    })
    .is_empty());
}

fn contract_corrections_with_equal_times_are_stable(store: &dyn Store) {
    let w = ws("acme");
    let s = sid("s1");
    let at = t(42, 0);
    let cs: Vec<Correction> = (0..5)
        .map(|_| correction(&w, &s, CorrectionKind::Explicit, "same time", at))
        .collect();
    for c in cs.iter().rev() {
        store.insert_correction(c).unwrap();
    }
    let before = correction(&w, &s, CorrectionKind::Explicit, "earlier", t(41, 0));
    let after = correction(&w, &s, CorrectionKind::Explicit, "later", t(43, 0));
    store.insert_correction(&after).unwrap();
    store.insert_correction(&before).unwrap();
    let all = store.corrections(&w, &CorrectionFilter::default()).unwrap();
    assert_eq!(all.len(), 7);
    assert_eq!(all[0], before);
    assert_eq!(all[6], after);
    let tied: HashSet<String> = all[1..6].iter().map(|c| c.id.to_string()).collect();
    assert_eq!(tied, cs.iter().map(|c| c.id.to_string()).collect());
    // Ties come back in one deterministic order, and `limit` cuts that same order.
    assert_eq!(
        store.corrections(&w, &CorrectionFilter::default()).unwrap(),
        all
    );
    let last3 = store
        .corrections(
            &w,
            &CorrectionFilter {
                limit: Some(3),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(last3, all[4..].to_vec());
}

// ---------------------------------------------------------------------------------------
// Skills
// ---------------------------------------------------------------------------------------

fn contract_upsert_skill_versions_only_move_forward(store: &dyn Store) {
    let w = ws("acme");
    let v1 = skill(&w, "use-pnpm", 1, 3, t(1, 0), "body one");
    let v2 = skill(&w, "use-pnpm", 2, 4, t(2, 0), "body two");
    let v3 = skill(&w, "use-pnpm", 3, 5, t(3, 0), "body three");
    assert!(store.upsert_skill(&v1).unwrap());
    assert!(!store.upsert_skill(&v1).unwrap(), "equal version");
    assert!(
        store.upsert_skill(&v3).unwrap(),
        "skipping a version is fine"
    );
    assert!(!store.upsert_skill(&v2).unwrap(), "lower version");
    assert!(!store.upsert_skill(&v1).unwrap(), "lower version");
    let mut v3b = v3.clone();
    v3b.body = "a different body at the same version".into();
    assert!(!store.upsert_skill(&v3b).unwrap(), "equal version");
    assert_eq!(
        store.skill(&w, &sname("use-pnpm")).unwrap(),
        Some(v3.clone())
    );
    assert_eq!(store.skills(&w).unwrap(), vec![v3]);
    // Versions are per workspace: globex starts from scratch.
    assert!(store
        .upsert_skill(&skill(&ws("globex"), "use-pnpm", 1, 1, t(1, 0), "g"))
        .unwrap());

    // Invalid skills are refused with InvalidInput, and not stored.
    let mut bad = skill(&w, "bad-one", 1, 1, t(1, 0), "b");
    bad.description = String::new();
    assert!(matches!(
        store.upsert_skill(&bad).unwrap_err(),
        Error::InvalidInput(_)
    ));
    let bad = skill(&w, "bad-two", 0, 1, t(1, 0), "b");
    assert!(matches!(
        store.upsert_skill(&bad).unwrap_err(),
        Error::InvalidInput(_)
    ));
    let bad = skill(&w, "bad-three", 1, 1, t(1, 0), &"line\n".repeat(500));
    assert!(matches!(
        store.upsert_skill(&bad).unwrap_err(),
        Error::InvalidInput(_)
    ));
    assert!(store.skill(&w, &sname("bad-one")).unwrap().is_none());
    assert!(store.skill(&w, &sname("bad-two")).unwrap().is_none());
    assert!(store.skill(&w, &sname("bad-three")).unwrap().is_none());
}

fn contract_skills_returns_latest_versions_only(store: &dyn Store) {
    let w = ws("acme");
    let b1 = skill(&w, "bravo", 1, 1, t(1, 0), "b1");
    let a1 = skill(&w, "alpha", 1, 1, t(1, 0), "a1");
    let a2 = skill(&w, "alpha", 2, 2, t(2, 0), "a2");
    let c1 = skill(&w, "charlie-2", 1, 0, t(1, 0), "c1");
    let c5 = skill(&w, "charlie-2", 5, 0, t(5, 0), "c5");
    for s in [&b1, &a1, &c1, &a2, &c5] {
        assert!(store.upsert_skill(s).unwrap());
    }
    store
        .upsert_skill(&skill(&ws("globex"), "delta", 1, 1, t(1, 0), "d"))
        .unwrap();
    assert_eq!(store.skills(&w).unwrap(), vec![a2, b1, c5]);
    assert!(store.skills(&ws("nobody")).unwrap().is_empty());
}

fn contract_skill_index_order_and_limit(store: &dyn Store) {
    let w = ws("acme");
    // support 5 at v1, then 1 at v2: the index reflects the latest version only.
    store
        .upsert_skill(&skill(&w, "demoted", 1, 5, t(1, 0), "x"))
        .unwrap();
    store
        .upsert_skill(&skill(&w, "demoted", 2, 1, t(9, 0), "x"))
        .unwrap();
    store
        .upsert_skill(&skill(&w, "top", 1, 4, t(1, 0), "x"))
        .unwrap();
    store
        .upsert_skill(&skill(&w, "tie-old", 1, 2, t(2, 0), "x"))
        .unwrap();
    store
        .upsert_skill(&skill(&w, "tie-new", 1, 2, t(2, 500_000_000), "x"))
        .unwrap();
    store
        .upsert_skill(&skill(&w, "nobody-cares", 1, 0, t(50, 0), "x"))
        .unwrap();
    store
        .upsert_skill(&skill(&ws("globex"), "foreign", 1, 99, t(99, 0), "x"))
        .unwrap();

    let index = store.skill_index(&w, 100).unwrap();
    let names: Vec<&str> = index.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names,
        vec!["top", "tie-new", "tie-old", "demoted", "nobody-cares"]
    );
    let demoted = &index[3];
    assert_eq!(demoted.version, 2);
    assert_eq!(demoted.support, 1);
    assert_eq!(demoted.description, "Use when demoted applies (v2)");
    assert_eq!(demoted.updated_at, t(9, 0));
    assert_eq!(index[0].support, 4);
    assert_eq!(index[1].updated_at, t(2, 500_000_000));

    let top2 = store.skill_index(&w, 2).unwrap();
    assert_eq!(top2, index[..2].to_vec());
    assert!(store.skill_index(&w, 0).unwrap().is_empty());
    assert!(store.skill_index(&ws("nobody"), 10).unwrap().is_empty());
}

fn contract_skill_lookup(store: &dyn Store) {
    let w = ws("acme");
    let v1 = skill(&w, "use-pnpm", 1, 1, t(1, 0), "one");
    let v2 = skill(&w, "use-pnpm", 2, 2, t(2, 0), "two");
    store.upsert_skill(&v1).unwrap();
    assert_eq!(store.skill(&w, &sname("use-pnpm")).unwrap(), Some(v1));
    store.upsert_skill(&v2).unwrap();
    assert_eq!(store.skill(&w, &sname("use-pnpm")).unwrap(), Some(v2));
    assert_eq!(store.skill(&w, &sname("missing")).unwrap(), None);
    assert_eq!(
        store.skill(&ws("globex"), &sname("use-pnpm")).unwrap(),
        None
    );
}

// ---------------------------------------------------------------------------------------
// Search
// ---------------------------------------------------------------------------------------

fn contract_search_events(store: &dyn Store) {
    let w = ws("acme");
    let s = sid("s1");
    let both = prompt(&w, &s, "please install zod with pnpm");
    let one = response(&w, &s, "I ran npm install for zod and also wrote a long explanation about package managers in general");
    let unrelated = prompt(&w, &s, "fix the flaky test");
    let tool = event(
        &w,
        &s,
        EventKind::ToolCall {
            tool: "Bash".into(),
            call_id: None,
            input: serde_json::json!({"command": "xylophone"}),
        },
    );
    let unicode = prompt(&w, &s, "Grüße aus München, 使用 pnpm");
    let foreign = prompt(&ws("globex"), &s, "install zod with pnpm");
    store
        .append_events(&[
            both.clone(),
            one.clone(),
            unrelated.clone(),
            tool,
            unicode.clone(),
            foreign,
        ])
        .unwrap();

    let hits = store.search(&w, SearchScope::Events, "zod", 10).unwrap();
    assert_eq!(
        refs(&hits),
        BTreeSet::from([both.id.to_string(), one.id.to_string()])
    );
    // Both terms beat one term.
    let hits = store
        .search(&w, SearchScope::Events, "pnpm zod", 10)
        .unwrap();
    assert_best_first(&hits);
    assert_eq!(hits[0].reference, both.id.to_string(), "{hits:?}");
    assert_eq!(
        refs(&hits),
        BTreeSet::from([
            both.id.to_string(),
            one.id.to_string(),
            unicode.id.to_string()
        ])
    );
    // Case-insensitive.
    assert_eq!(
        refs(&store.search(&w, SearchScope::Events, "FLAKY", 10).unwrap()),
        BTreeSet::from([unrelated.id.to_string()])
    );
    // Unicode words.
    for q in ["münchen", "MÜNCHEN", "grüße", "使用"] {
        assert_eq!(
            refs(&store.search(&w, SearchScope::Events, q, 10).unwrap()),
            BTreeSet::from([unicode.id.to_string()]),
            "{q}"
        );
    }
    // Tool calls are not indexed; other scopes do not see events.
    assert!(store
        .search(&w, SearchScope::Events, "xylophone", 10)
        .unwrap()
        .is_empty());
    assert!(store
        .search(&w, SearchScope::Corrections, "zod", 10)
        .unwrap()
        .is_empty());
    assert!(store
        .search(&w, SearchScope::Skills, "zod", 10)
        .unwrap()
        .is_empty());
    // Limit.
    assert_eq!(
        store
            .search(&w, SearchScope::Events, "zod pnpm", 1)
            .unwrap()
            .len(),
        1
    );
    assert!(store
        .search(&w, SearchScope::Events, "zod", 0)
        .unwrap()
        .is_empty());
    // A word nobody used.
    assert!(store
        .search(&w, SearchScope::Events, "quux", 10)
        .unwrap()
        .is_empty());
}

fn contract_search_corrections(store: &dyn Store) {
    let w = ws("acme");
    let s = sid("s1");
    let mut by_reason = correction(
        &w,
        &s,
        CorrectionKind::Followup,
        "we always use pnpm",
        t(1, 0),
    );
    by_reason.target = Target::Response;
    let mut by_target = correction(&w, &s, CorrectionKind::UserEdit, "tidy", t(2, 0));
    by_target.target = Target::File("src/billing/invoice.rs".into());
    let mut by_diff = correction(&w, &s, CorrectionKind::Modified, "style", t(3, 0));
    by_diff.produced = "let x = foo();\n".into();
    by_diff.set_accepted("let x = quaternion();\n".into());
    let foreign = correction(
        &ws("globex"),
        &s,
        CorrectionKind::Followup,
        "pnpm invoice quaternion",
        t(1, 0),
    );
    for c in [&by_reason, &by_target, &by_diff, &foreign] {
        store.insert_correction(c).unwrap();
    }
    let q = |text: &str| {
        refs(
            &store
                .search(&w, SearchScope::Corrections, text, 10)
                .unwrap(),
        )
    };
    assert_eq!(q("pnpm"), BTreeSet::from([by_reason.id.to_string()]));
    assert_eq!(q("invoice"), BTreeSet::from([by_target.id.to_string()]));
    assert_eq!(q("quaternion"), BTreeSet::from([by_diff.id.to_string()]));
    assert_eq!(
        q("pnpm invoice"),
        BTreeSet::from([by_reason.id.to_string(), by_target.id.to_string()])
    );
    assert!(q("nothing-here").is_empty());
    assert!(store
        .search(&w, SearchScope::Events, "pnpm", 10)
        .unwrap()
        .is_empty());
}

fn contract_search_skills(store: &dyn Store) {
    let w = ws("acme");
    let pnpm1 = skill(
        &w,
        "use-pnpm",
        1,
        1,
        t(1, 0),
        "Run pnpm add, never npm install. marmalade",
    );
    let mut pnpm2 = skill(
        &w,
        "use-pnpm",
        2,
        2,
        t(2, 0),
        "Run pnpm add, never npm install.",
    );
    pnpm2.description = "Installing JavaScript dependencies".into();
    let mut tabs = skill(&w, "indent-with-tabs", 1, 1, t(1, 0), "Tabs in Go files.");
    tabs.description = "Formatting gofiles".into();
    let foreign = skill(
        &ws("globex"),
        "use-pnpm",
        1,
        1,
        t(1, 0),
        "pnpm marmalade tabs",
    );
    for s in [&pnpm1, &pnpm2, &tabs, &foreign] {
        store.upsert_skill(s).unwrap();
    }
    let q = |text: &str| refs(&store.search(&w, SearchScope::Skills, text, 10).unwrap());
    // By a word of the name (the name's dashes are word breaks), the description, the body.
    assert_eq!(q("pnpm"), BTreeSet::from(["use-pnpm".to_string()]));
    assert_eq!(
        q("indent"),
        BTreeSet::from(["indent-with-tabs".to_string()])
    );
    assert_eq!(q("javascript"), BTreeSet::from(["use-pnpm".to_string()]));
    assert_eq!(
        q("gofiles"),
        BTreeSet::from(["indent-with-tabs".to_string()])
    );
    // Only the latest version is searchable: v1's body word is gone.
    assert!(q("marmalade").is_empty());
    // One hit per skill, even with several versions.
    let hits = store
        .search(&w, SearchScope::Skills, "pnpm npm", 10)
        .unwrap();
    assert_eq!(hits.len(), 1, "{hits:?}");
    assert_eq!(
        q("pnpm tabs"),
        BTreeSet::from(["use-pnpm".to_string(), "indent-with-tabs".to_string()])
    );
}

/// Queries that are FTS5 syntax (or otherwise hostile) must be taken as plain words.
fn contract_search_never_errors_on_query_syntax(store: &dyn Store) {
    let w = ws("acme");
    let s = sid("s1");
    let e = prompt(&w, &s, "we use pnpm and biome, not eslint");
    store.append_events(std::slice::from_ref(&e)).unwrap();
    let c = correction(
        &w,
        &s,
        CorrectionKind::Followup,
        "use pnpm, not npm",
        t(1, 0),
    );
    store.insert_correction(&c).unwrap();
    store
        .upsert_skill(&skill(&w, "use-pnpm", 1, 1, t(1, 0), "pnpm add"))
        .unwrap();
    let hostile = [
        "",
        " ",
        "\t\n",
        "\"",
        "\"\"",
        "'",
        "\"pnpm",
        "pnpm\"",
        "\"pnpm\" OR",
        "NEAR(",
        "NEAR(pnpm",
        "NEAR(pnpm biome, 2)",
        "*",
        "pnpm*",
        "pn*",
        "-",
        "-pnpm",
        "pnpm -npm",
        "AND",
        "OR",
        "NOT",
        "pnpm AND",
        "AND pnpm",
        "pnpm NOT npm",
        "pnpm OR OR OR",
        "(",
        ")",
        "(pnpm",
        "pnpm)",
        "{text}: pnpm",
        "text:pnpm",
        "workspace:acme",
        "ref:x",
        "^pnpm",
        "+pnpm",
        "pnpm;",
        "'; DROP TABLE events; --",
        "%",
        "_",
        "__",
        "\\",
        "\0",
        "pnpm\0npm",
        "🙂",
        "🙂pnpm🙂",
        "\u{202e}pnpm",
        "ÅÄÖ",
        "日本語",
        "a",
        "x y z",
    ];
    for scope in [
        SearchScope::Events,
        SearchScope::Corrections,
        SearchScope::Skills,
    ] {
        for q in hostile {
            let hits = store
                .search(&w, scope, q, 10)
                .unwrap_or_else(|err| panic!("{scope:?} {q:?}: {err}"));
            let mentions_pnpm = q.to_lowercase().contains("pnpm");
            if mentions_pnpm {
                assert!(!hits.is_empty(), "{scope:?} {q:?} found nothing");
            }
        }
        let long = "pnpm ".repeat(5000) + &"(\"*".repeat(1000);
        assert!(!store.search(&w, scope, &long, 10).unwrap().is_empty());
        assert!(store.search(&w, scope, "", 10).unwrap().is_empty());
        assert!(store.search(&w, scope, "\"", 10).unwrap().is_empty());
        assert!(store.search(&w, scope, "NEAR(", 10).unwrap().is_empty());
    }
}

// ---------------------------------------------------------------------------------------
// State, counters, workspaces
// ---------------------------------------------------------------------------------------

fn contract_state_get_and_set(store: &dyn Store) {
    let w = ws("acme");
    let g = ws("globex");
    assert_eq!(store.get_state(&w, "watermark").unwrap(), None);
    store.set_state(&w, "watermark", "42").unwrap();
    assert_eq!(
        store.get_state(&w, "watermark").unwrap().as_deref(),
        Some("42")
    );
    store.set_state(&w, "watermark", "43").unwrap();
    assert_eq!(
        store.get_state(&w, "watermark").unwrap().as_deref(),
        Some("43")
    );
    // Keys are per workspace.
    assert_eq!(store.get_state(&g, "watermark").unwrap(), None);
    store.set_state(&g, "watermark", "g").unwrap();
    assert_eq!(
        store.get_state(&w, "watermark").unwrap().as_deref(),
        Some("43")
    );
    assert_eq!(
        store.get_state(&g, "watermark").unwrap().as_deref(),
        Some("g")
    );
    // Arbitrary keys and values.
    let big = "x".repeat(100_000);
    for (k, v) in [
        ("", "empty key"),
        ("session:abc/def", ""),
        ("ключ", "значение ✓"),
        ("quote'\"", "{\"json\": [1, 2]}"),
        ("big", big.as_str()),
    ] {
        store.set_state(&w, k, v).unwrap();
        assert_eq!(store.get_state(&w, k).unwrap().as_deref(), Some(v), "{k:?}");
    }
}

fn contract_incr_counter(store: &dyn Store) {
    let w = ws("acme");
    let g = ws("globex");
    assert_eq!(store.incr_counter(&w, "turns", 0).unwrap(), 0);
    assert_eq!(store.incr_counter(&w, "turns", 1).unwrap(), 1);
    assert_eq!(store.incr_counter(&w, "turns", 5).unwrap(), 6);
    assert_eq!(store.incr_counter(&w, "turns", -10).unwrap(), -4);
    assert_eq!(store.incr_counter(&w, "other", 3).unwrap(), 3);
    assert_eq!(store.incr_counter(&g, "turns", 1).unwrap(), 1);
    assert_eq!(store.incr_counter(&w, "turns", 0).unwrap(), -4);
    let big = 1_i64 << 40;
    assert_eq!(store.incr_counter(&w, "big", big).unwrap(), big);
    assert_eq!(store.incr_counter(&w, "big", big).unwrap(), 2 * big);
}

fn contract_stats(store: &dyn Store) {
    let w = ws("acme");
    assert_eq!(store.stats(&w).unwrap(), StoreStats::default());
    let at = |e: Event, when: DateTime<Utc>| {
        let mut e = e;
        e.at = when;
        e
    };
    // The latest `at` wins, whatever the append order and sub-second precision.
    let events = vec![
        at(prompt(&w, &sid("s1"), "a"), t(5, 0)),
        at(prompt(&w, &sid("s1"), "b"), t(7, 123_000_000)),
        at(prompt(&w, &sid("s2"), "c"), t(7, 5)),
        at(prompt(&w, &sid("s2"), "d"), t(7, 0)),
        at(prompt(&w, &sid("s3"), "e"), t(1, 0)),
    ];
    store.append_events(&events).unwrap();
    // Duplicates and other workspaces do not count.
    store.append_events(&events[..2]).unwrap();
    store
        .append_events(&[at(prompt(&ws("globex"), &sid("s9"), "x"), t(99, 0))])
        .unwrap();
    assert_eq!(
        store.stats(&w).unwrap(),
        StoreStats {
            sessions: 3,
            events: 5,
            last_event_at: Some(t(7, 123_000_000)),
        }
    );
    assert_eq!(
        store.stats(&ws("globex")).unwrap(),
        StoreStats {
            sessions: 1,
            events: 1,
            last_event_at: Some(t(99, 0)),
        }
    );
    // Corrections, skills and state are not activity.
    let quiet = ws("quiet");
    store
        .insert_correction(&correction(
            &quiet,
            &sid("s1"),
            CorrectionKind::Explicit,
            "r",
            t(1, 0),
        ))
        .unwrap();
    store.set_state(&quiet, "k", "v").unwrap();
    assert_eq!(store.stats(&quiet).unwrap(), StoreStats::default());
}

fn contract_workspaces(store: &dyn Store) {
    assert!(store.workspaces().unwrap().is_empty());
    let s = sid("s1");
    store
        .append_events(&[
            prompt(&ws("bravo"), &s, "x"),
            prompt(&ws("bravo"), &sid("s2"), "y"),
        ])
        .unwrap();
    store
        .insert_correction(&correction(
            &ws("alpha"),
            &s,
            CorrectionKind::Explicit,
            "r",
            t(1, 0),
        ))
        .unwrap();
    store
        .upsert_skill(&skill(&ws("charlie.io/x"), "k", 1, 1, t(1, 0), "b"))
        .unwrap();
    store
        .upsert_skill(&skill(&ws("bravo"), "k", 1, 1, t(1, 0), "b"))
        .unwrap();
    assert_eq!(
        store.workspaces().unwrap(),
        vec![ws("alpha"), ws("bravo"), ws("charlie.io/x")]
    );
}

// ---------------------------------------------------------------------------------------
// Change log (sync)
// ---------------------------------------------------------------------------------------

/// Reads a whole change log by pages of `page`, checking positions grow.
fn read_log<T>(page: usize, mut next: impl FnMut(i64, usize) -> Vec<(i64, T)>) -> Vec<T> {
    let mut out = Vec::new();
    let mut cursor = 0;
    loop {
        let rows = next(cursor, page);
        assert!(rows.len() <= page, "page of {page} returned {}", rows.len());
        for (pos, item) in rows.iter().map(|(p, i)| (*p, i)) {
            assert!(pos > cursor, "position {pos} not after {cursor}");
            cursor = pos;
            let _ = item;
        }
        let done = rows.len() < page;
        out.extend(rows.into_iter().map(|(_, i)| i));
        if done {
            return out;
        }
    }
}

fn contract_events_after_lists_appends_in_order(store: &dyn Store) {
    let w = ws("acme");
    let g = ws("globex");
    assert!(store.events_after(&w, 0, 10).unwrap().is_empty());
    let mut want = Vec::new();
    for batch in 0..5 {
        let mut events = Vec::new();
        for i in 0..7 {
            let (wk, sk) = match (batch + i) % 3 {
                0 => (&w, sid("s1")),
                1 => (&w, sid("s2")),
                _ => (&g, sid("s1")),
            };
            events.push(prompt(wk, &sk, &format!("batch {batch} item {i}")));
        }
        // A duplicate in the batch and a replay of an earlier event add nothing.
        events.push(events[0].clone());
        if let Some(first) = want.first() {
            events.push(Event::clone(first));
        }
        store.append_events(&events).unwrap();
        for e in &events[..7] {
            if e.workspace == w {
                want.push(e.clone());
            }
        }
    }
    // Stored events (with their seqs) in append order, each once, only acme's.
    let all = store.events_after(&w, 0, 1000).unwrap();
    let got: Vec<Event> = all.iter().map(|(_, e)| e.clone()).collect();
    assert_eq!(ids(&got), ids(&want));
    for e in &got {
        let stored = store
            .session_events(&w, &e.session, e.seq - 1, Some(1))
            .unwrap();
        assert_eq!(stored, vec![e.clone()]);
    }
    // Paging with the last position gives the same sequence.
    for page in [1, 4, 100] {
        let paged = read_log(page, |after, n| store.events_after(&w, after, n).unwrap());
        assert_eq!(paged, got, "page {page}");
    }
    let last = all.last().unwrap().0;
    assert!(store.events_after(&w, last, 10).unwrap().is_empty());
    assert!(store.events_after(&w, 0, 0).unwrap().is_empty());
    // Later appends come after the cursor.
    let more = prompt(&w, &sid("s3"), "later");
    store.append_events(std::slice::from_ref(&more)).unwrap();
    let after = store.events_after(&w, last, 10).unwrap();
    assert_eq!(after.len(), 1);
    assert!(after[0].0 > last);
    assert_eq!(after[0].1, with_seq(&more, 1));
    assert!(store
        .events_after(&ws("nobody"), 0, 10)
        .unwrap()
        .iter()
        .all(|(_, e)| e.workspace == ws("nobody")));
    let foreign = store.events_after(&g, 0, 1000).unwrap();
    assert!(!foreign.is_empty());
    assert!(foreign.iter().all(|(_, e)| e.workspace == g));
}

fn contract_corrections_after_moves_updates_to_the_end(store: &dyn Store) {
    let w = ws("acme");
    let s = sid("s1");
    let a = correction(&w, &s, CorrectionKind::Followup, "first", t(30, 0));
    let b = correction(&w, &s, CorrectionKind::Followup, "second", t(10, 0));
    let c = correction(&w, &s, CorrectionKind::Followup, "third", t(20, 0));
    let foreign = correction(&ws("globex"), &s, CorrectionKind::Followup, "x", t(1, 0));
    for x in [&a, &foreign, &b, &c] {
        assert!(store.insert_correction(x).unwrap());
    }
    assert!(!store.insert_correction(&a).unwrap());
    // Insertion order, not time order.
    let log =
        |after| -> Vec<(i64, Correction)> { store.corrections_after(&w, after, 100).unwrap() };
    let first = log(0);
    assert_eq!(
        first.iter().map(|(_, c)| c.clone()).collect::<Vec<_>>(),
        vec![a.clone(), b.clone(), c.clone()]
    );
    let cursor = first.last().unwrap().0;
    assert!(log(cursor).is_empty());
    // An update moves the correction after the cursor, with its new content, once.
    let mut a2 = a.clone();
    a2.set_accepted("pnpm add zod".into());
    store.update_correction(&a2).unwrap();
    let after = log(cursor);
    assert_eq!(after.len(), 1);
    assert_eq!(after[0].1, a2);
    let all = log(0);
    assert_eq!(
        all.iter().map(|(_, c)| c.clone()).collect::<Vec<_>>(),
        vec![b.clone(), c.clone(), a2.clone()]
    );
    for page in [1, 2, 100] {
        let paged = read_log(page, |after, n| {
            store.corrections_after(&w, after, n).unwrap()
        });
        assert_eq!(paged, vec![b.clone(), c.clone(), a2.clone()], "page {page}");
    }
    assert!(store.corrections_after(&w, 0, 0).unwrap().is_empty());
    let g = store.corrections_after(&ws("globex"), 0, 100).unwrap();
    assert_eq!(g.len(), 1);
    assert_eq!(g[0].1, foreign);
}

fn contract_skills_after_lists_accepted_versions(store: &dyn Store) {
    let w = ws("acme");
    let v1 = skill(&w, "use-pnpm", 1, 1, t(1, 0), "one");
    let v2 = skill(&w, "use-pnpm", 2, 2, t(2, 0), "two");
    let other = skill(&w, "tabs", 1, 1, t(3, 0), "tabs");
    let foreign = skill(&ws("globex"), "use-pnpm", 1, 1, t(1, 0), "g");
    assert!(store.upsert_skill(&v1).unwrap());
    assert!(store.upsert_skill(&foreign).unwrap());
    assert!(store.upsert_skill(&other).unwrap());
    assert!(store.upsert_skill(&v2).unwrap());
    assert!(
        !store.upsert_skill(&v1).unwrap(),
        "refused versions are not logged"
    );
    let all = store.skills_after(&w, 0, 100).unwrap();
    assert_eq!(
        all.iter().map(|(_, s)| s.clone()).collect::<Vec<_>>(),
        vec![v1.clone(), other.clone(), v2.clone()]
    );
    for page in [1, 2, 100] {
        let paged = read_log(page, |after, n| store.skills_after(&w, after, n).unwrap());
        assert_eq!(
            paged,
            vec![v1.clone(), other.clone(), v2.clone()],
            "page {page}"
        );
    }
    let cursor = all[1].0;
    let rest = store.skills_after(&w, cursor, 100).unwrap();
    assert_eq!(rest.len(), 1);
    assert_eq!(rest[0].1, v2);
    assert_eq!(
        store.skills_after(&ws("globex"), 0, 100).unwrap()[0].1,
        foreign
    );
}

// ---------------------------------------------------------------------------------------
// One #[test] per (contract, store)
// ---------------------------------------------------------------------------------------

macro_rules! contracts {
    ($($name:ident),* $(,)?) => {
        mod sqlite_store {
            $(
                #[test]
                fn $name() {
                    let f = super::sqlite();
                    super::$name(f.store.as_ref());
                }
            )*
        }
        mod in_memory_store {
            $(
                #[test]
                fn $name() {
                    let f = super::memory();
                    super::$name(f.store.as_ref());
                }
            )*
        }
        #[cfg(feature = "postgres")]
        mod postgres_store {
            $(
                #[test]
                fn $name() {
                    let Some(f) = super::postgres() else { return };
                    super::$name(f.store.as_ref());
                }
            )*
        }
    };
}

contracts!(
    contract_append_events_is_idempotent_and_counts_only_new,
    contract_seq_is_assigned_per_session_in_order_across_batches,
    contract_events_round_trip,
    contract_session_events_after_seq_and_limit,
    contract_last_events_oldest_first,
    contract_insert_correction_is_idempotent,
    contract_update_correction_replaces,
    contract_corrections_filter_and_order,
    contract_corrections_with_equal_times_are_stable,
    contract_upsert_skill_versions_only_move_forward,
    contract_skills_returns_latest_versions_only,
    contract_skill_index_order_and_limit,
    contract_skill_lookup,
    contract_search_events,
    contract_search_corrections,
    contract_search_skills,
    contract_search_never_errors_on_query_syntax,
    contract_state_get_and_set,
    contract_incr_counter,
    contract_workspaces,
    contract_stats,
    contract_events_after_lists_appends_in_order,
    contract_corrections_after_moves_updates_to_the_end,
    contract_skills_after_lists_accepted_versions,
);

// ---------------------------------------------------------------------------------------
// SQLite: durability across reopening
// ---------------------------------------------------------------------------------------

/// `sync` leaves nothing only in the WAL: a copy of the database file alone (what
/// survives if the WAL's unsynced pages are lost) holds every event.
#[test]
fn sqlite_sync_puts_committed_events_in_the_database_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("h.db");
    let store = SqliteStore::open(&path).unwrap();
    let (w, s) = (ws("acme"), sid("s1"));
    let batch: Vec<Event> = (0..50).map(|i| prompt(&w, &s, &format!("p{i}"))).collect();
    store.append_events(&batch).unwrap();
    let copy = |to: &str| {
        let dest = dir.path().join(to);
        std::fs::copy(&path, &dest).unwrap();
        let conn = rusqlite::Connection::open(&dest).unwrap();
        conn.query_row("SELECT COUNT(*) FROM events", [], |r| r.get::<_, i64>(0))
            .unwrap_or(0)
    };
    assert_eq!(
        copy("before.db"),
        0,
        "the rows are only in the WAL before a sync"
    );
    store.sync().unwrap();
    assert_eq!(copy("after.db"), 50);
}

/// Appends leave the events' text index behind; a search catches it up first, so it
/// sees every event, and two handles catching up at once index each event once.
#[test]
fn sqlite_event_text_index_follows_appends() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("h.db");
    let w = ws("acme");
    let s = sid("s1");
    let a = SqliteStore::open(&path).unwrap();
    let b = SqliteStore::open(&path).unwrap();
    let mut batch = Vec::new();
    for i in 0..300 {
        batch.push(prompt(&w, &s, &format!("prompt number {i} about zod")));
        batch.push(event(
            &w,
            &s,
            EventKind::ToolCall {
                tool: "Bash".into(),
                input: serde_json::json!({ "command": format!("echo zod {i}") }),
                call_id: None,
            },
        ));
    }
    a.append_events(&batch).unwrap();
    let (x, y) = std::thread::scope(|sc| {
        let x = sc.spawn(|| a.index_event_text().unwrap());
        let y = sc.spawn(|| b.index_event_text().unwrap());
        (x.join().unwrap(), y.join().unwrap())
    });
    assert_eq!(x + y, 300, "each prompt indexed once ({x} + {y})");
    assert_eq!(a.index_event_text().unwrap(), 0);

    // Appended after the catch-up: the next search indexes and finds it.
    let late = response(&w, &s, "the xylophone answer");
    b.append_events(std::slice::from_ref(&late)).unwrap();
    let hits = a.search(&w, SearchScope::Events, "xylophone", 10).unwrap();
    assert_eq!(
        refs(&hits),
        [late.id.as_str().to_string()].into_iter().collect()
    );
    assert_eq!(
        a.search(&w, SearchScope::Events, "zod", 1000)
            .unwrap()
            .len(),
        300
    );
    assert_eq!(b.index_event_text().unwrap(), 0);
}

/// A database written by a version without change logs (schema 1) gets them on open:
/// existing corrections keep their insertion order, new ones come after.
#[test]
fn sqlite_schema_1_databases_gain_change_logs_and_keep_their_index() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    let w = ws("acme");
    let s = sid("s1");
    let old: Vec<Correction> = (0..3)
        .map(|i| correction(&w, &s, CorrectionKind::Explicit, "old", t(10 - i, 0)))
        .collect();
    let old_event;
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(
            "CREATE TABLE events (id TEXT PRIMARY KEY, workspace TEXT NOT NULL, session TEXT NOT NULL,
                 agent TEXT NOT NULL, seq INTEGER NOT NULL, at TEXT NOT NULL, kind TEXT NOT NULL,
                 data TEXT NOT NULL);
             CREATE INDEX events_by_session ON events(workspace, session, seq);
             CREATE TABLE corrections (id TEXT PRIMARY KEY, workspace TEXT NOT NULL,
                 session TEXT NOT NULL, kind TEXT NOT NULL, created_at TEXT NOT NULL,
                 data TEXT NOT NULL);
             CREATE INDEX corrections_by_workspace ON corrections(workspace, created_at);
             CREATE TABLE skills (workspace TEXT NOT NULL, name TEXT NOT NULL,
                 version INTEGER NOT NULL, updated_at TEXT NOT NULL, description TEXT NOT NULL,
                 support INTEGER NOT NULL, data TEXT NOT NULL,
                 PRIMARY KEY (workspace, name, version));
             CREATE INDEX skills_by_support ON skills(workspace, support);
             CREATE TABLE state (workspace TEXT NOT NULL, key TEXT NOT NULL,
                 value TEXT NOT NULL, PRIMARY KEY (workspace, key));
             CREATE VIRTUAL TABLE events_fts USING fts5(text, workspace UNINDEXED, ref UNINDEXED);
             CREATE VIRTUAL TABLE corrections_fts USING fts5(text, workspace UNINDEXED, ref UNINDEXED);
             CREATE VIRTUAL TABLE skills_fts USING fts5(name, description, body,
                 workspace UNINDEXED, ref UNINDEXED);
             PRAGMA user_version = 1;",
        )
        .unwrap();
        // An indexed prompt, as schema 1 stored it (the FTS table kept its own copy).
        let e = prompt(&w, &s, "always validate payloads with zod schemas");
        conn.execute(
            "INSERT INTO events (id, workspace, session, agent, seq, at, kind, data)
             VALUES (?1, ?2, ?3, ?4, 1, ?5, 'prompt', ?6)",
            rusqlite::params![
                e.id.as_str(),
                w.as_str(),
                s.as_str(),
                e.agent.as_str(),
                e.at.to_rfc3339(),
                serde_json::to_string(&e.kind).unwrap()
            ],
        )
        .unwrap();
        conn.execute(
            "INSERT INTO events_fts (text, workspace, ref) VALUES (?1, ?2, ?3)",
            rusqlite::params![
                "always validate payloads with zod schemas",
                w.as_str(),
                e.id.as_str()
            ],
        )
        .unwrap();
        old_event = e.id.as_str().to_string();
        for c in &old {
            conn.execute(
                "INSERT INTO corrections (id, workspace, session, kind, created_at, data)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                rusqlite::params![
                    c.id.as_str(),
                    c.workspace.as_str(),
                    c.session.as_str(),
                    c.kind.as_str(),
                    c.created_at.to_rfc3339(),
                    serde_json::to_string(c).unwrap()
                ],
            )
            .unwrap();
        }
    }
    let store = SqliteStore::open(&path).unwrap();
    let new = correction(&w, &s, CorrectionKind::Explicit, "new", t(1, 0));
    store.insert_correction(&new).unwrap();
    let log: Vec<Correction> = store
        .corrections_after(&w, 0, 10)
        .unwrap()
        .into_iter()
        .map(|(_, c)| c)
        .collect();
    let mut want = old.clone();
    want.push(new);
    assert_eq!(log, want);

    // The old full-text rows moved to the new index: old and new prompts are found.
    let later = prompt(&w, &s, "zod everywhere, please");
    store.append_events(std::slice::from_ref(&later)).unwrap();
    let hits = refs(&store.search(&w, SearchScope::Events, "zod", 10).unwrap());
    let want: BTreeSet<String> = [old_event, later.id.as_str().to_string()]
        .into_iter()
        .collect();
    assert_eq!(hits, want);
    assert!(store
        .search(&ws("other"), SearchScope::Events, "zod", 10)
        .unwrap()
        .is_empty());
}

#[test]
fn sqlite_skill_search_among_many_skills_ignores_terms_most_skills_have() {
    let f = sqlite();
    let w = ws("acme");
    for i in 0..100 {
        let body = if i % 33 == 0 {
            "Always use pnpm, the common package manager here."
        } else {
            "The common way to do it."
        };
        f.store
            .upsert_skill(&skill(&w, &format!("rule-{i}"), 1, 1, t(i, 0), body))
            .unwrap();
    }
    // "common" is in every skill: only "pnpm" decides, and only its skills are scored.
    let hits = f
        .store
        .search(&w, SearchScope::Skills, "common pnpm", 50)
        .unwrap();
    assert_eq!(
        refs(&hits),
        BTreeSet::from([
            "rule-0".to_string(),
            "rule-33".into(),
            "rule-66".into(),
            "rule-99".into()
        ])
    );
    // Alone, a common term still finds what it can.
    assert_eq!(
        f.store
            .search(&w, SearchScope::Skills, "common", 50)
            .unwrap()
            .len(),
        50
    );
    // Terms no skill has are dropped too; nothing but them: nothing found.
    assert_eq!(
        refs(
            &f.store
                .search(&w, SearchScope::Skills, "zzz pnpm", 50)
                .unwrap()
        )
        .len(),
        4
    );
    assert!(f
        .store
        .search(&w, SearchScope::Skills, "zzz yyy", 50)
        .unwrap()
        .is_empty());
}

#[test]
fn sqlite_data_survives_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/dir/hivemind.db");
    let w = ws("acme");
    let s = sid("s1");
    let events: Vec<Event> = (0..7)
        .map(|i| prompt(&w, &s, &format!("durable prompt {i}")))
        .collect();
    let c = correction(&w, &s, CorrectionKind::Followup, "persist pnpm", t(1, 0));
    let v1 = skill(&w, "use-pnpm", 1, 1, t(1, 0), "one");
    let v2 = skill(&w, "use-pnpm", 2, 3, t(2, 0), "two");
    {
        let store = SqliteStore::open(&path).unwrap();
        assert_eq!(store.path(), Some(path.as_path()));
        store.append_events(&events).unwrap();
        store.insert_correction(&c).unwrap();
        store.upsert_skill(&v1).unwrap();
        store.upsert_skill(&v2).unwrap();
        store.set_state(&w, "watermark", "7").unwrap();
        assert_eq!(store.incr_counter(&w, "turns", 3).unwrap(), 3);
    }
    let store = SqliteStore::open(&path).unwrap();
    let got = store.session_events(&w, &s, 0, None).unwrap();
    let want: Vec<Event> = events
        .iter()
        .enumerate()
        .map(|(i, e)| with_seq(e, i as u64 + 1))
        .collect();
    assert_eq!(got, want);
    assert_eq!(
        store.corrections(&w, &CorrectionFilter::default()).unwrap(),
        vec![c.clone()]
    );
    assert_eq!(store.skills(&w).unwrap(), vec![v2.clone()]);
    assert_eq!(
        store.get_state(&w, "watermark").unwrap().as_deref(),
        Some("7")
    );
    assert_eq!(store.incr_counter(&w, "turns", 1).unwrap(), 4);
    assert_eq!(store.workspaces().unwrap(), vec![w.clone()]);
    // Indexes survived too.
    assert_eq!(
        refs(
            &store
                .search(&w, SearchScope::Events, "durable", 100)
                .unwrap()
        )
        .len(),
        7
    );
    assert_eq!(
        refs(
            &store
                .search(&w, SearchScope::Corrections, "persist", 10)
                .unwrap()
        ),
        BTreeSet::from([c.id.to_string()])
    );
    assert_eq!(
        refs(&store.search(&w, SearchScope::Skills, "pnpm", 10).unwrap()),
        BTreeSet::from(["use-pnpm".to_string()])
    );
    // Idempotency and version order still hold against the reopened data.
    assert_eq!(store.append_events(&events).unwrap(), 0);
    assert!(!store.insert_correction(&c).unwrap());
    assert!(!store.upsert_skill(&v1).unwrap());
    assert!(!store.upsert_skill(&v2).unwrap());
    // Seqs continue where they stopped.
    let more = prompt(&w, &s, "after reopen");
    assert_eq!(store.append_events(std::slice::from_ref(&more)).unwrap(), 1);
    assert_eq!(
        store.last_events(&w, &s, 1).unwrap(),
        vec![with_seq(&more, 8)]
    );
    // A second handle on the same file sees the first one's writes.
    let other = SqliteStore::open(&path).unwrap();
    assert_eq!(
        other.last_events(&w, &s, 1).unwrap(),
        vec![with_seq(&more, 8)]
    );
    let next = prompt(&w, &s, "from the second handle");
    other.append_events(std::slice::from_ref(&next)).unwrap();
    assert_eq!(
        store.last_events(&w, &s, 1).unwrap(),
        vec![with_seq(&next, 9)]
    );
}

// ---------------------------------------------------------------------------------------
// Property: no read of workspace A ever returns a row of workspace B
// ---------------------------------------------------------------------------------------

mod isolation {
    use super::*;
    use proptest::prelude::*;

    const WORKSPACES: [&str; 3] = ["acme", "globex", "initech.io/x"];
    const SESSIONS: [&str; 2] = ["s1", "s2"];
    const SKILLS: [&str; 3] = ["use-pnpm", "tabs", "no-console"];
    const WORDS: [&str; 6] = ["pnpm", "zod", "tabs", "biome", "lint", "deploy"];
    const KINDS: [CorrectionKind; 3] = [
        CorrectionKind::Followup,
        CorrectionKind::Rejection,
        CorrectionKind::Explicit,
    ];

    #[derive(Debug, Clone)]
    enum Op {
        Events {
            ws: usize,
            items: Vec<(usize, bool, Vec<usize>)>,
        },
        Correction {
            ws: usize,
            session: usize,
            kind: usize,
            words: Vec<usize>,
            at: i64,
        },
        Skill {
            ws: usize,
            name: usize,
            version: u32,
            support: usize,
            words: Vec<usize>,
        },
        State {
            ws: usize,
            key: usize,
            value: String,
        },
        Counter {
            ws: usize,
            key: usize,
            by: i64,
        },
    }

    fn words() -> impl Strategy<Value = Vec<usize>> {
        prop::collection::vec(0..WORDS.len(), 1..4)
    }

    fn op() -> impl Strategy<Value = Op> {
        let ws = 0..WORKSPACES.len();
        prop_oneof![
            3 => (ws.clone(), prop::collection::vec((0..SESSIONS.len(), any::<bool>(), words()), 1..5))
                .prop_map(|(ws, items)| Op::Events { ws, items }),
            2 => (ws.clone(), 0..SESSIONS.len(), 0..KINDS.len(), words(), 0i64..20)
                .prop_map(|(ws, session, kind, words, at)| Op::Correction { ws, session, kind, words, at }),
            2 => (ws.clone(), 0..SKILLS.len(), 1u32..5, 0usize..4, words())
                .prop_map(|(ws, name, version, support, words)| Op::Skill { ws, name, version, support, words }),
            1 => (ws.clone(), 0usize..3, "[a-z0-9]{0,8}")
                .prop_map(|(ws, key, value)| Op::State { ws, key, value }),
            1 => (ws, 0usize..2, -5i64..6).prop_map(|(ws, key, by)| Op::Counter { ws, key, by }),
        ]
    }

    fn text(words: &[usize]) -> String {
        words
            .iter()
            .map(|&i| WORDS[i])
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// What each workspace wrote, to check the store against.
    #[derive(Default)]
    struct Oracle {
        events: HashMap<(usize, usize), Vec<EventId>>,
        event_ws: HashMap<String, usize>,
        corrections: HashMap<usize, Vec<Correction>>,
        correction_ws: HashMap<String, usize>,
        /// Latest accepted version of each (ws, name).
        skills: HashMap<(usize, usize), Skill>,
        state: HashMap<(usize, usize), String>,
        counters: HashMap<(usize, usize), i64>,
    }

    fn apply(store: &dyn Store, ops: &[Op]) -> Oracle {
        let mut o = Oracle::default();
        for op in ops {
            match op {
                Op::Events { ws: wi, items } => {
                    let w = ws(WORKSPACES[*wi]);
                    let batch: Vec<Event> = items
                        .iter()
                        .map(|(si, is_prompt, words)| {
                            let s = sid(SESSIONS[*si]);
                            let e = if *is_prompt {
                                prompt(&w, &s, &text(words))
                            } else {
                                response(&w, &s, &text(words))
                            };
                            o.events.entry((*wi, *si)).or_default().push(e.id.clone());
                            o.event_ws.insert(e.id.to_string(), *wi);
                            e
                        })
                        .collect();
                    assert_eq!(store.append_events(&batch).unwrap(), batch.len());
                }
                Op::Correction {
                    ws: wi,
                    session,
                    kind,
                    words,
                    at,
                } => {
                    let c = correction(
                        &ws(WORKSPACES[*wi]),
                        &sid(SESSIONS[*session]),
                        KINDS[*kind],
                        &text(words),
                        t(*at, 0),
                    );
                    assert!(store.insert_correction(&c).unwrap());
                    o.correction_ws.insert(c.id.to_string(), *wi);
                    o.corrections.entry(*wi).or_default().push(c);
                }
                Op::Skill {
                    ws: wi,
                    name,
                    version,
                    support,
                    words,
                } => {
                    let s = skill(
                        &ws(WORKSPACES[*wi]),
                        SKILLS[*name],
                        *version,
                        *support,
                        t(i64::from(*version), 0),
                        &format!("{} (from {})", text(words), WORKSPACES[*wi]),
                    );
                    let newer = o
                        .skills
                        .get(&(*wi, *name))
                        .is_none_or(|cur| cur.version < *version);
                    assert_eq!(store.upsert_skill(&s).unwrap(), newer);
                    if newer {
                        o.skills.insert((*wi, *name), s);
                    }
                }
                Op::State { ws: wi, key, value } => {
                    store
                        .set_state(&ws(WORKSPACES[*wi]), &format!("k{key}"), value)
                        .unwrap();
                    o.state.insert((*wi, *key), value.clone());
                }
                Op::Counter { ws: wi, key, by } => {
                    let v = store
                        .incr_counter(&ws(WORKSPACES[*wi]), &format!("c{key}"), *by)
                        .unwrap();
                    let slot = o.counters.entry((*wi, *key)).or_insert(0);
                    *slot += by;
                    assert_eq!(v, *slot);
                }
            }
        }
        o
    }

    fn check(store: &dyn Store, ops: &[Op]) {
        let o = apply(store, ops);
        for (wi, wname) in WORKSPACES.iter().enumerate() {
            let w = ws(wname);
            // Events.
            for (si, sname_) in SESSIONS.iter().enumerate() {
                let s = sid(sname_);
                let want = o.events.get(&(wi, si)).cloned().unwrap_or_default();
                let got = store.session_events(&w, &s, 0, None).unwrap();
                assert!(got.iter().all(|e| e.workspace == w && e.session == s));
                assert_eq!(ids(&got), want, "{wname}/{sname_}");
                assert_eq!(seqs(&got), (1..=want.len() as u64).collect::<Vec<_>>());
                let last = store.last_events(&w, &s, 3).unwrap();
                assert_eq!(ids(&last), want[want.len().saturating_sub(3)..].to_vec());
                let page = store.session_events(&w, &s, 1, Some(2)).unwrap();
                assert_eq!(
                    ids(&page),
                    want.iter().skip(1).take(2).cloned().collect::<Vec<_>>()
                );
            }
            // Corrections, with every filter.
            let mut mine = o.corrections.get(&wi).cloned().unwrap_or_default();
            mine.sort_by(|a, b| (a.created_at, a.id.as_str()).cmp(&(b.created_at, b.id.as_str())));
            let all = store.corrections(&w, &CorrectionFilter::default()).unwrap();
            assert_eq!(all, mine, "{wname} corrections");
            for (si, sname_) in SESSIONS.iter().enumerate() {
                for kind in KINDS {
                    let f = CorrectionFilter {
                        session: Some(sid(sname_)),
                        kind: Some(kind),
                        since: Some(t(5, 0)),
                        limit: Some(3),
                    };
                    let want: Vec<Correction> = mine
                        .iter()
                        .filter(|c| {
                            c.session.as_str() == SESSIONS[si]
                                && c.kind == kind
                                && c.created_at >= t(5, 0)
                        })
                        .cloned()
                        .collect();
                    let want = want[want.len().saturating_sub(3)..].to_vec();
                    assert_eq!(store.corrections(&w, &f).unwrap(), want);
                }
            }
            // Skills.
            let mut want_skills: Vec<Skill> = o
                .skills
                .iter()
                .filter(|((x, _), _)| *x == wi)
                .map(|(_, s)| s.clone())
                .collect();
            want_skills.sort_by(|a, b| a.name.cmp(&b.name));
            assert_eq!(store.skills(&w).unwrap(), want_skills, "{wname} skills");
            let index = store.skill_index(&w, 100).unwrap();
            let index_names: BTreeSet<String> = index.iter().map(|s| s.name.to_string()).collect();
            let want_names: BTreeSet<String> =
                want_skills.iter().map(|s| s.name.to_string()).collect();
            assert_eq!(index_names, want_names);
            for summary in &index {
                let s = want_skills.iter().find(|s| s.name == summary.name).unwrap();
                assert_eq!(summary.version, s.version);
                assert_eq!(summary.support, s.provenance.corrections.len());
            }
            for (ni, n) in SKILLS.iter().enumerate() {
                assert_eq!(
                    store.skill(&w, &sname(n)).unwrap(),
                    o.skills.get(&(wi, ni)).cloned(),
                    "{wname}/{n}"
                );
            }
            // Search: every hit is one of ours.
            let my_skill_names: HashSet<String> = want_names.iter().cloned().collect();
            for q in WORDS
                .iter()
                .copied()
                .chain(["pnpm zod tabs biome lint deploy"])
            {
                for h in store.search(&w, SearchScope::Events, q, 1000).unwrap() {
                    assert_eq!(o.event_ws.get(&h.reference), Some(&wi), "{wname} {q}");
                }
                for h in store.search(&w, SearchScope::Corrections, q, 1000).unwrap() {
                    assert_eq!(o.correction_ws.get(&h.reference), Some(&wi), "{wname} {q}");
                }
                for h in store.search(&w, SearchScope::Skills, q, 1000).unwrap() {
                    assert!(my_skill_names.contains(&h.reference), "{wname} {q}: {h:?}");
                }
            }
            // The words of this workspace's own prompts are all found.
            let found: HashSet<String> = refs(
                &store
                    .search(
                        &w,
                        SearchScope::Events,
                        "pnpm zod tabs biome lint deploy",
                        1000,
                    )
                    .unwrap(),
            )
            .into_iter()
            .collect();
            let mine_ids: HashSet<String> = o
                .event_ws
                .iter()
                .filter(|(_, x)| **x == wi)
                .map(|(id, _)| id.clone())
                .collect();
            assert_eq!(
                found, mine_ids,
                "{wname}: every prompt/response is findable"
            );
            // State and counters.
            for key in 0..3 {
                assert_eq!(
                    store.get_state(&w, &format!("k{key}")).unwrap(),
                    o.state.get(&(wi, key)).cloned()
                );
            }
            for key in 0..2 {
                let want = o.counters.get(&(wi, key)).copied().unwrap_or(0);
                assert_eq!(store.incr_counter(&w, &format!("c{key}"), 0).unwrap(), want);
            }
            // Activity counts.
            let stats = store.stats(&w).unwrap();
            let sessions = (0..SESSIONS.len())
                .filter(|si| o.events.get(&(wi, *si)).is_some_and(|v| !v.is_empty()))
                .count();
            let events: usize = (0..SESSIONS.len())
                .map(|si| o.events.get(&(wi, si)).map_or(0, Vec::len))
                .sum();
            assert_eq!(stats.sessions, sessions as u64, "{wname} stats");
            assert_eq!(stats.events, events as u64, "{wname} stats");
            assert_eq!(stats.last_event_at.is_some(), events > 0, "{wname} stats");
        }
        // Workspaces: exactly those with events, corrections or skills.
        let mut with_data: BTreeSet<usize> = o.events.keys().map(|(w, _)| *w).collect();
        with_data.extend(o.corrections.keys().copied());
        with_data.extend(o.skills.keys().map(|(w, _)| *w));
        let mut want: Vec<WorkspaceId> = with_data.into_iter().map(|i| ws(WORKSPACES[i])).collect();
        want.sort();
        assert_eq!(store.workspaces().unwrap(), want);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(32))]

        #[test]
        fn sqlite_store_never_leaks_across_workspaces(ops in prop::collection::vec(op(), 1..40)) {
            let f = sqlite();
            check(f.store.as_ref(), &ops);
        }

        #[test]
        fn in_memory_store_never_leaks_across_workspaces(ops in prop::collection::vec(op(), 1..40)) {
            let f = memory();
            check(f.store.as_ref(), &ops);
        }
    }

    #[cfg(feature = "postgres")]
    proptest! {
        // Each case creates a schema on the server: fewer cases.
        #![proptest_config(ProptestConfig::with_cases(8))]

        #[test]
        fn postgres_store_never_leaks_across_workspaces(ops in prop::collection::vec(op(), 1..40)) {
            let Some(f) = super::postgres() else { return Ok(()) };
            check(f.store.as_ref(), &ops);
        }
    }

    /// A store that forgets the workspace in one read: the checker must notice.
    #[derive(Debug, Default)]
    struct LeakyStore(InMemoryStore);

    impl Store for LeakyStore {
        fn append_events(&self, e: &[Event]) -> hivemind_core::Result<usize> {
            self.0.append_events(e)
        }
        fn session_events(
            &self,
            w: &WorkspaceId,
            s: &SessionId,
            after: u64,
            limit: Option<usize>,
        ) -> hivemind_core::Result<Vec<Event>> {
            self.0.session_events(w, s, after, limit)
        }
        fn last_events(
            &self,
            w: &WorkspaceId,
            s: &SessionId,
            n: usize,
        ) -> hivemind_core::Result<Vec<Event>> {
            self.0.last_events(w, s, n)
        }
        fn insert_correction(&self, c: &Correction) -> hivemind_core::Result<bool> {
            self.0.insert_correction(c)
        }
        fn update_correction(&self, c: &Correction) -> hivemind_core::Result<()> {
            self.0.update_correction(c)
        }
        fn corrections(
            &self,
            w: &WorkspaceId,
            f: &CorrectionFilter,
        ) -> hivemind_core::Result<Vec<Correction>> {
            self.0.corrections(w, f)
        }
        fn upsert_skill(&self, s: &Skill) -> hivemind_core::Result<bool> {
            self.0.upsert_skill(s)
        }
        fn skills(&self, w: &WorkspaceId) -> hivemind_core::Result<Vec<Skill>> {
            self.0.skills(w)
        }
        fn skill_index(
            &self,
            w: &WorkspaceId,
            limit: usize,
        ) -> hivemind_core::Result<Vec<hivemind_core::SkillSummary>> {
            self.0.skill_index(w, limit)
        }
        fn skill(&self, w: &WorkspaceId, n: &SkillName) -> hivemind_core::Result<Option<Skill>> {
            // The leak: falls back to any workspace's skill of that name.
            if let Some(s) = self.0.skill(w, n)? {
                return Ok(Some(s));
            }
            for other in self.0.workspaces()? {
                if let Some(s) = self.0.skill(&other, n)? {
                    return Ok(Some(s));
                }
            }
            Ok(None)
        }
        fn search(
            &self,
            w: &WorkspaceId,
            scope: SearchScope,
            q: &str,
            limit: usize,
        ) -> hivemind_core::Result<Vec<SearchHit>> {
            self.0.search(w, scope, q, limit)
        }
        fn get_state(&self, w: &WorkspaceId, k: &str) -> hivemind_core::Result<Option<String>> {
            self.0.get_state(w, k)
        }
        fn set_state(&self, w: &WorkspaceId, k: &str, v: &str) -> hivemind_core::Result<()> {
            self.0.set_state(w, k, v)
        }
        fn incr_counter(&self, w: &WorkspaceId, k: &str, by: i64) -> hivemind_core::Result<i64> {
            self.0.incr_counter(w, k, by)
        }
        fn workspaces(&self) -> hivemind_core::Result<Vec<WorkspaceId>> {
            self.0.workspaces()
        }
        fn stats(&self, w: &WorkspaceId) -> hivemind_core::Result<StoreStats> {
            self.0.stats(w)
        }
    }

    #[test]
    fn isolation_checker_catches_a_leak() {
        let ops = vec![Op::Skill {
            ws: 1,
            name: 0,
            version: 1,
            support: 1,
            words: vec![0],
        }];
        // The honest store passes, the leaky one fails.
        check(&InMemoryStore::new(), &ops);
        let leaked = std::panic::catch_unwind(|| check(&LeakyStore::default(), &ops));
        assert!(leaked.is_err(), "a cross-workspace skill() went unnoticed");
    }
}
