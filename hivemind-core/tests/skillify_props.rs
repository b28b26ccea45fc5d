//! Skill mining: order independence, idempotence on disk, SKILL.md validity, one-offs,
//! merges.
#![allow(clippy::unwrap_used)]

use chrono::{Duration, TimeZone, Utc};
use hivemind_core::model::{Provenance, Skill, SkillName};
use hivemind_core::skills::format::validate_file;
use hivemind_core::store::{SearchHit, SearchScope, SkillSummary};
use hivemind_core::{
    Config, Correction, CorrectionFilter, CorrectionKind, Event, Hivemind, InMemoryStore, Result,
    SessionId, SqliteStore, Store, Target, WorkspaceId,
};
use proptest::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

const PACKAGES: &[&str] = &["zod", "lodash", "date-fns", "clsx", "react-query", "vitest"];

/// A correction of one of five patterns (or a one-off), with a fixed creation time.
fn correction(ws: &WorkspaceId, pattern: usize, n: usize) -> Correction {
    let session = SessionId::new(format!("s{}", n % 7)).unwrap();
    let pkg = PACKAGES[n % PACKAGES.len()];
    let (kind, target, produced, accepted, reason): (_, _, String, Option<String>, Option<String>) =
        match pattern {
            0 => (
                CorrectionKind::Rejection,
                Target::Tool("Bash".into()),
                format!("npm install {pkg}"),
                Some(format!("pnpm add {pkg}")),
                Some("we use pnpm here, never npm".into()),
            ),
            1 => (
                CorrectionKind::Modified,
                Target::File(format!("src/C{n}.tsx")),
                format!("export default function C{n}() {{}}\n"),
                Some(format!("export function C{n}() {{}}\n")),
                None,
            ),
            2 => (
                CorrectionKind::Followup,
                Target::File(format!("app/t{n}.py")),
                "stamp = datetime.now()\n".into(),
                Some("stamp = datetime.now(timezone.utc)\n".into()),
                Some("always timezone-aware UTC timestamps".into()),
            ),
            3 => (
                CorrectionKind::Rejection,
                Target::File("CHANGELOG.md".into()),
                format!("## {n}.0\n- change {pkg}\n"),
                None,
                Some("CHANGELOG.md is written by release-please, never by hand".into()),
            ),
            4 => (
                CorrectionKind::UserEdit,
                Target::File(format!("db/q{n}.sql")),
                "FROM orders o\nJOIN customers c\n".into(),
                Some("FROM orders o USE INDEX (idx_orders_customer_id)\nJOIN customers c\n".into()),
                None,
            ),
            _ => (
                CorrectionKind::Followup,
                Target::File(format!("misc/f{n}.txt")),
                format!("value_{n}_old = 1\n"),
                Some(format!("renamed_thing_{n} = 1\n")),
                Some(format!("call it renamed_thing_{n}")),
            ),
        };
    let mut c = Correction::new(
        ws.clone(),
        session,
        kind,
        target,
        produced,
        accepted,
        reason,
        0.9,
    )
    .unwrap();
    c.id = hivemind_core::CorrectionId::derived(&format!("p{pattern}-n{n}"));
    c.created_at = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap() + Duration::seconds(n as i64);
    c
}

fn workload() -> Vec<Correction> {
    let ws = WorkspaceId::new("acme").unwrap();
    let mut out = Vec::new();
    let mut n = 0;
    for round in 0..4 {
        for pattern in 0..5 {
            n += 1;
            out.push(correction(&ws, pattern, n));
        }
        // Two one-offs per round.
        for _ in 0..2 {
            n += 1;
            out.push(correction(&ws, 100 + round, n));
        }
    }
    out
}

/// A store that lists corrections in an order of its own (a permutation drawn from a
/// seed), as another backend could: what the miner sees is permuted, not only what was
/// inserted.
#[derive(Debug)]
struct PermutingStore {
    inner: InMemoryStore,
    seed: Option<u64>,
}

fn permute<T>(items: &mut [T], seed: u64) {
    // Fisher–Yates with a small LCG from the seed.
    let mut state = seed | 1;
    for i in (1..items.len()).rev() {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        items.swap(i, (state >> 33) as usize % (i + 1));
    }
}

impl Store for PermutingStore {
    fn append_events(&self, events: &[Event]) -> Result<usize> {
        self.inner.append_events(events)
    }
    fn session_events(
        &self,
        w: &WorkspaceId,
        s: &SessionId,
        after: u64,
        limit: Option<usize>,
    ) -> Result<Vec<Event>> {
        self.inner.session_events(w, s, after, limit)
    }
    fn last_events(&self, w: &WorkspaceId, s: &SessionId, n: usize) -> Result<Vec<Event>> {
        self.inner.last_events(w, s, n)
    }
    fn insert_correction(&self, c: &Correction) -> Result<bool> {
        self.inner.insert_correction(c)
    }
    fn update_correction(&self, c: &Correction) -> Result<()> {
        self.inner.update_correction(c)
    }
    fn corrections(&self, w: &WorkspaceId, f: &CorrectionFilter) -> Result<Vec<Correction>> {
        let mut list = self.inner.corrections(w, f)?;
        if let Some(seed) = self.seed {
            permute(&mut list, seed);
        }
        Ok(list)
    }
    fn upsert_skill(&self, s: &Skill) -> Result<bool> {
        self.inner.upsert_skill(s)
    }
    fn skills(&self, w: &WorkspaceId) -> Result<Vec<Skill>> {
        self.inner.skills(w)
    }
    fn skill_index(&self, w: &WorkspaceId, limit: usize) -> Result<Vec<SkillSummary>> {
        self.inner.skill_index(w, limit)
    }
    fn skill(&self, w: &WorkspaceId, name: &SkillName) -> Result<Option<Skill>> {
        self.inner.skill(w, name)
    }
    fn search(
        &self,
        w: &WorkspaceId,
        scope: SearchScope,
        q: &str,
        limit: usize,
    ) -> Result<Vec<SearchHit>> {
        self.inner.search(w, scope, q, limit)
    }
    fn get_state(&self, w: &WorkspaceId, key: &str) -> Result<Option<String>> {
        self.inner.get_state(w, key)
    }
    fn set_state(&self, w: &WorkspaceId, key: &str, value: &str) -> Result<()> {
        self.inner.set_state(w, key, value)
    }
    fn incr_counter(&self, w: &WorkspaceId, key: &str, by: i64) -> Result<i64> {
        self.inner.incr_counter(w, key, by)
    }
    fn workspaces(&self) -> Result<Vec<WorkspaceId>> {
        self.inner.workspaces()
    }
}

/// name → (version, sorted lineage, description, body)
fn mine(corrections: &[Correction]) -> BTreeMap<String, (u32, Vec<String>, String, String)> {
    mine_seen_in(corrections, None)
}

/// Like `mine`, with the store listing corrections permuted by `seed`.
fn mine_seen_in(
    corrections: &[Correction],
    seed: Option<u64>,
) -> BTreeMap<String, (u32, Vec<String>, String, String)> {
    let store = Arc::new(PermutingStore {
        inner: InMemoryStore::new(),
        seed,
    });
    for c in corrections {
        store.insert_correction(c).unwrap();
    }
    let ws = WorkspaceId::new("acme").unwrap();
    let hm = Hivemind::with_store(Config::default(), store.clone(), ws.clone(), None);
    hm.skillify_blocking().unwrap();
    store
        .skills(&ws)
        .unwrap()
        .into_iter()
        .map(|s| {
            let mut lineage: Vec<String> = s
                .provenance
                .corrections
                .iter()
                .map(|c| c.to_string())
                .collect();
            lineage.sort();
            (
                s.name.to_string(),
                (s.version, lineage, s.description, s.body),
            )
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn permuting_corrections_yields_the_same_skills(seed in any::<u64>()) {
        let base = workload();
        let expected = mine(&base);
        // Inserted in another order, and listed by the store in yet another.
        let mut shuffled = base.clone();
        permute(&mut shuffled, seed);
        prop_assert_eq!(mine_seen_in(&shuffled, Some(seed.rotate_left(17))), expected);
    }
}

#[test]
fn five_patterns_become_five_skills_and_one_offs_none() {
    let skills = mine(&workload());
    assert_eq!(skills.len(), 5, "{:#?}", skills.keys().collect::<Vec<_>>());
    for (name, (_, lineage, _, _)) in &skills {
        assert_eq!(lineage.len(), 4, "{name}");
        let patterns: std::collections::BTreeSet<&str> =
            lineage.iter().map(|id| id.as_str()).collect();
        assert_eq!(patterns.len(), 4);
    }
    // Every lineage holds corrections of exactly one pattern.
    let ws = WorkspaceId::new("acme").unwrap();
    let by_id: BTreeMap<String, usize> = (1..=40)
        .flat_map(|n| (0..5).chain(100..104).map(move |p| (p, n)))
        .map(|(p, n)| (correction(&ws, p, n).id.to_string(), p))
        .collect();
    for (name, (_, lineage, _, _)) in &skills {
        let pats: std::collections::BTreeSet<usize> = lineage.iter().map(|id| by_id[id]).collect();
        assert_eq!(pats.len(), 1, "{name} mixes patterns {pats:?}");
        assert!(pats.iter().all(|p| *p < 100), "{name} cites a one-off");
    }
}

#[test]
fn new_corrections_merge_into_the_existing_skill() {
    let ws = WorkspaceId::new("acme").unwrap();
    let store = Arc::new(InMemoryStore::new());
    let hm = Hivemind::with_store(Config::default(), store.clone(), ws.clone(), None);
    for n in 1..=3 {
        store.insert_correction(&correction(&ws, 0, n)).unwrap();
    }
    let first = hm.skillify_blocking().unwrap();
    assert_eq!(first.created.len(), 1);
    let again = hm.skillify_blocking().unwrap();
    assert!(
        again.created.is_empty() && again.updated.is_empty(),
        "idempotent"
    );
    store.insert_correction(&correction(&ws, 0, 4)).unwrap();
    let merged = hm.skillify_blocking().unwrap();
    assert!(merged.created.is_empty());
    assert_eq!(merged.updated.len(), 1);
    let s = &merged.updated[0];
    assert_eq!(s.name, first.created[0].name);
    assert_eq!(s.version, 2);
    assert_eq!(s.provenance.corrections.len(), 4);
}

#[test]
fn skill_files_are_valid_and_rerunning_changes_nothing_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join("project");
    std::fs::create_dir_all(&project).unwrap();
    let home = dir.path().join("home");
    let store = Arc::new(SqliteStore::open(home.join("hivemind.db")).unwrap());
    let ws = WorkspaceId::new("acme").unwrap();
    for c in workload() {
        store.insert_correction(&c).unwrap();
    }
    let hm = Hivemind::with_store(Config::with_home(&home), store, ws, Some(project.clone()));
    let report = hm.skillify_blocking().unwrap();
    assert_eq!(report.created.len(), 5);
    let root = project.join(".claude/skills");
    let mut files: Vec<_> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path().join("SKILL.md"))
        .collect();
    files.sort();
    assert_eq!(files.len(), 5);
    let snapshot = |files: &[std::path::PathBuf]| -> Vec<(String, std::time::SystemTime)> {
        files
            .iter()
            .map(|f| {
                (
                    std::fs::read_to_string(f).unwrap(),
                    std::fs::metadata(f).unwrap().modified().unwrap(),
                )
            })
            .collect()
    };
    for f in &files {
        validate_file(f).unwrap_or_else(|p| panic!("{}: {p:?}", f.display()));
    }
    let before = snapshot(&files);
    std::thread::sleep(std::time::Duration::from_millis(20));
    let report = hm.skillify_blocking().unwrap();
    assert!(report.created.is_empty() && report.updated.is_empty());
    assert_eq!(
        snapshot(&files),
        before,
        "a re-run must not touch the files"
    );
}

#[test]
fn a_skill_that_mixed_two_patterns_early_splits_when_they_grow_apart() {
    let ws = WorkspaceId::new("acme").unwrap();
    let store = Arc::new(InMemoryStore::new());
    // Three pnpm corrections and three timestamp corrections.
    let pnpm: Vec<Correction> = (1..=3).map(|n| correction(&ws, 0, n)).collect();
    let utc: Vec<Correction> = (4..=6).map(|n| correction(&ws, 2, n)).collect();
    for c in pnpm.iter().chain(&utc) {
        store.insert_correction(c).unwrap();
    }
    // An earlier run, on sparse evidence, made one skill of two of each.
    let now = Utc::now();
    let mixed = Skill {
        name: SkillName::new("use-pnpm-add").unwrap(),
        description: "Use pnpm add.".into(),
        body: "# use-pnpm-add\n".into(),
        version: 1,
        workspace: ws.clone(),
        provenance: Provenance {
            corrections: vec![
                pnpm[0].id.clone(),
                pnpm[1].id.clone(),
                utc[0].id.clone(),
                utc[1].id.clone(),
            ],
            sessions: vec![],
            author: "hivemind-local".into(),
            created_at: now,
            updated_at: now,
        },
    };
    store.upsert_skill(&mixed).unwrap();

    let hm = Hivemind::with_store(Config::default(), store.clone(), ws.clone(), None);
    hm.skillify_blocking().unwrap();
    let skills = store.skills(&ws).unwrap();
    assert_eq!(skills.len(), 2, "{skills:#?}");
    let lineage = |s: &Skill| -> BTreeSet<String> {
        s.provenance
            .corrections
            .iter()
            .map(|c| c.to_string())
            .collect()
    };
    let ids =
        |cs: &[Correction]| -> BTreeSet<String> { cs.iter().map(|c| c.id.to_string()).collect() };
    let kept = skills
        .iter()
        .find(|s| s.name.as_str() == "use-pnpm-add")
        .unwrap();
    let other = skills
        .iter()
        .find(|s| s.name.as_str() != "use-pnpm-add")
        .unwrap();
    // Each skill cites one pattern, all of it; the name stays with the first.
    assert_eq!(lineage(kept), ids(&pnpm), "{kept:#?}");
    assert_eq!(kept.version, 2);
    assert_eq!(lineage(other), ids(&utc), "{other:#?}");
    // Mining again changes nothing.
    let again = hm.skillify_blocking().unwrap();
    assert!(
        again.created.is_empty() && again.updated.is_empty(),
        "{again:?}"
    );
}
