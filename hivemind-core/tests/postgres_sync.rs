//! Sync through a real PostgreSQL server (feature `postgres`).
//!
//! Each test uses its own schema of the test server (see `support/pg.rs`: the server is
//! `HIVEMIND_PG_TEST_URL`, else `postgres://postgres@127.0.0.1:5432/test`; without
//! either the tests print why and pass). Machines are SQLite homes in temporary
//! directories.
#![cfg(feature = "postgres")]
#![allow(clippy::unwrap_used)]

#[path = "support/pg.rs"]
mod pg;

use hivemind_core::model::{
    Agent, Correction, CorrectionFilter, CorrectionId, CorrectionKind, Diff, Event, EventId,
    EventKind, Provenance, SessionId, Skill, SkillName, Target, WorkspaceId,
};
use hivemind_core::skillify::{mine, LocalSkillifier, MiningScope, SkillifyOptions};
use hivemind_core::sync::{is_pulled, sync, SyncOptions};
use hivemind_core::{Config, CorrectionInput, Hivemind, PostgresStore, SqliteStore, Store};
use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn ws(s: &str) -> WorkspaceId {
    WorkspaceId::new(s).unwrap()
}

fn sid(s: &str) -> SessionId {
    SessionId::new(s).unwrap()
}

/// A machine: a hivemind home of its own.
struct Machine {
    hm: Hivemind,
    _home: tempfile::TempDir,
}

fn machine(workspace: &WorkspaceId) -> Machine {
    let home = tempfile::tempdir().unwrap();
    let mut config = Config::with_home(home.path());
    config.workspace = Some(workspace.clone());
    config.no_llm = true;
    let hm = Hivemind::open_in(config, None).unwrap();
    Machine { hm, _home: home }
}

fn correct(m: &Machine, session: &str, package: &str) -> Correction {
    m.hm.record_correction(CorrectionInput {
        session: Some(sid(session)),
        produced: format!("npm install {package}"),
        accepted: Some(format!("pnpm add {package}")),
        reason: Some("we use pnpm in this repo, never npm".into()),
        target: Some(Target::Tool("Bash".into())),
    })
    .unwrap()
}

fn correction(w: &WorkspaceId, s: &SessionId, reason: &str) -> Correction {
    Correction {
        id: CorrectionId::generate(),
        workspace: w.clone(),
        session: s.clone(),
        kind: CorrectionKind::Followup,
        target: Target::Response,
        produced: "npm install zod".into(),
        accepted: None,
        diff: Diff(String::new()),
        reason: Some(reason.into()),
        confidence: 0.8,
        source_events: vec![],
        created_at: chrono::Utc::now(),
    }
}

fn skill(w: &WorkspaceId, name: &str, version: u32, author: &str) -> Skill {
    let now = chrono::Utc::now();
    Skill {
        name: SkillName::new(name).unwrap(),
        description: format!("Use when {name} applies"),
        body: format!("Body of {name} v{version}"),
        version,
        workspace: w.clone(),
        provenance: Provenance {
            corrections: vec![CorrectionId::generate()],
            sessions: vec![sid("s1")],
            author: author.into(),
            created_at: now,
            updated_at: now,
        },
    }
}

fn prompts(w: &WorkspaceId, sessions: usize, per_session: usize, tag: &str) -> Vec<Event> {
    let mut out = Vec::with_capacity(sessions * per_session);
    for i in 0..per_session {
        for s in 0..sessions {
            out.push(Event::new(
                w.clone(),
                sid(&format!("{tag}-s{s}")),
                Agent::ClaudeCode,
                EventKind::Prompt {
                    text: format!("prompt {i} of session {s} ({tag})"),
                },
            ));
        }
    }
    out
}

fn opts(batch: usize) -> SyncOptions {
    SyncOptions {
        batch_size: batch,
        ..Default::default()
    }
}

/// Counts rows of `table` in `schema` (and distinct ids when `id` says which column).
fn count(url: &str, schema: &str, table: &str, distinct: &str) -> (i64, i64) {
    let sql = format!("SELECT COUNT(*), COUNT(DISTINCT {distinct}) FROM \"{schema}\".{table}");
    let row = pg::admin(url).query_one(sql.as_str(), &[]).unwrap();
    (row.get(0), row.get(1))
}

// ---------------------------------------------------------------------------------------
// Two machines, one lesson
// ---------------------------------------------------------------------------------------

#[test]
fn two_machines_correcting_the_same_pattern_each_learn_one_skill() {
    let Some((remote, _guard)) = pg::store() else {
        return;
    };
    let w = ws("github.com/acme/shop");
    let a = machine(&w);
    let b = machine(&w);
    correct(&a, "a-1", "zod");
    correct(&a, "a-2", "lodash");
    correct(&b, "b-1", "date-fns");
    correct(&b, "b-2", "clsx");
    // Two corrections are a one-off on each machine alone.
    assert!(a.hm.skillify_blocking().unwrap().created.is_empty());
    assert!(b.hm.skillify_blocking().unwrap().created.is_empty());

    let o = SyncOptions::default();
    let ra = sync(a.hm.store().as_ref(), &remote, std::slice::from_ref(&w), &o).unwrap();
    assert_eq!(ra.corrections_pushed, 2);
    let rb = sync(b.hm.store().as_ref(), &remote, std::slice::from_ref(&w), &o).unwrap();
    assert_eq!((rb.corrections_pushed, rb.corrections_pulled), (2, 2));
    let ra = sync(a.hm.store().as_ref(), &remote, std::slice::from_ref(&w), &o).unwrap();
    assert_eq!((ra.corrections_pushed, ra.corrections_pulled), (0, 2));
    for m in [&a, &b] {
        assert_eq!(
            m.hm.corrections(&CorrectionFilter::default())
                .unwrap()
                .len(),
            4
        );
    }

    // `scope me` leaves the team's corrections out: still a one-off on A.
    let me = SkillifyOptions {
        scope: MiningScope::Me,
        ..Default::default()
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let report = rt
        .block_on(mine(a.hm.store().as_ref(), &w, &LocalSkillifier, &me))
        .unwrap();
    assert_eq!(report.corrections, 2);
    assert!(report.created.is_empty());
    let own: Vec<CorrectionId> =
        a.hm.corrections(&CorrectionFilter::default())
            .unwrap()
            .into_iter()
            .filter(|c| !is_pulled(a.hm.store().as_ref(), &w, &c.id).unwrap())
            .map(|c| c.id)
            .collect();
    assert_eq!(own.len(), 2);

    // The team's corrections: one skill on each machine, from all four.
    for m in [&a, &b] {
        let report = m.hm.skillify_blocking().unwrap();
        assert_eq!(report.created.len(), 1, "{report:?}");
        let skills = m.hm.skills().unwrap();
        assert_eq!(skills.len(), 1);
        assert_eq!(skills[0].provenance.corrections.len(), 4);
    }

    // Syncing the two independently mined versions leaves one skill everywhere.
    for _ in 0..2 {
        a.hm.sync_with(&remote, &o).unwrap();
        b.hm.sync_with(&remote, &o).unwrap();
    }
    let sa = a.hm.skills().unwrap();
    let sb = b.hm.skills().unwrap();
    let sr = remote.skills(&w).unwrap();
    assert_eq!(sa.len(), 1);
    assert_eq!(sa, sb);
    assert_eq!(sa, sr);
    assert_eq!(sa[0].provenance.corrections.len(), 4);
    // Quiet once converged.
    let again = sync(a.hm.store().as_ref(), &remote, std::slice::from_ref(&w), &o).unwrap();
    assert_eq!(
        (
            again.corrections_pushed,
            again.corrections_pulled,
            again.skills_pushed,
            again.skills_pulled,
            again.skills_merged
        ),
        (0, 0, 0, 0, 0),
        "{again:?}"
    );
}

// ---------------------------------------------------------------------------------------
// Workspace isolation
// ---------------------------------------------------------------------------------------

#[test]
fn a_pull_never_brings_another_workspace() {
    let Some((remote, guard)) = pg::store() else {
        return;
    };
    let acme = ws("acme");
    let globex = ws("globex");
    let dir = tempfile::tempdir().unwrap();
    let one = SqliteStore::open(dir.path().join("one.db")).unwrap();
    let two = SqliteStore::open(dir.path().join("two.db")).unwrap();
    for w in [&acme, &globex] {
        one.append_events(&prompts(w, 2, 5, "one")).unwrap();
        for i in 0..3 {
            one.insert_correction(&correction(w, &sid("s1"), &format!("{w} reason {i}")))
                .unwrap();
        }
        one.upsert_skill(&skill(w, "use-pnpm", 1, "one")).unwrap();
        one.upsert_skill(&skill(w, &format!("only-{w}"), 1, "one"))
            .unwrap();
    }
    let both = [acme.clone(), globex.clone()];
    sync(&one, &remote, &both, &opts(2)).unwrap();
    assert_eq!(remote.workspaces().unwrap(), both.to_vec());

    // Machine two works on acme only.
    two.insert_correction(&correction(&acme, &sid("t1"), "two's own"))
        .unwrap();
    let r = sync(&two, &remote, std::slice::from_ref(&acme), &opts(2)).unwrap();
    assert_eq!((r.corrections_pulled, r.skills_pulled), (3, 2));
    assert_eq!(two.workspaces().unwrap(), vec![acme.clone()]);
    assert!(two
        .corrections(&globex, &CorrectionFilter::default())
        .unwrap()
        .is_empty());
    assert!(two.skills(&globex).unwrap().is_empty());
    let acme_skills: Vec<String> = two
        .skills(&acme)
        .unwrap()
        .iter()
        .map(|s| s.name.to_string())
        .collect();
    assert_eq!(acme_skills, vec!["only-acme", "use-pnpm"]);
    for c in two
        .corrections(&acme, &CorrectionFilter::default())
        .unwrap()
    {
        assert_eq!(c.workspace, acme);
    }
    // Events are pushed, never pulled.
    assert_eq!(two.stats(&acme).unwrap().events, 0);

    // Back on one: it pulls two's acme correction, and globex is untouched.
    let r = sync(&one, &remote, &both, &opts(2)).unwrap();
    assert_eq!(r.corrections_pulled, 1);
    assert_eq!(
        one.corrections(&globex, &CorrectionFilter::default())
            .unwrap()
            .len(),
        3
    );
    // The server holds each workspace's rows under its own name.
    let url = &guard.url;
    let rows = pg::admin(url)
        .query(
            format!(
                "SELECT workspace, COUNT(*) FROM \"{}\".corrections GROUP BY 1 ORDER BY 1",
                guard.schema
            )
            .as_str(),
            &[],
        )
        .unwrap();
    let counts: Vec<(String, i64)> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
    assert_eq!(
        counts,
        vec![("acme".to_string(), 4), ("globex".to_string(), 3)]
    );
}

/// Syncs `local` with `remote` while another thread terminates every backend of
/// application `app` each time `progress` (read on that thread) reaches the next of
/// `thresholds`; retries each failed sync until one completes and returns its report.
/// Asserts that a backend was killed and a sync failed.
fn sync_through_kills<P: FnMut() -> i64 + Send + 'static>(
    local: &SqliteStore,
    remote: &PostgresStore,
    w: &WorkspaceId,
    batch: usize,
    app: &str,
    thresholds: &'static [i64],
    progress: impl FnOnce() -> P + Send + 'static,
) -> hivemind_core::sync::SyncReport {
    let done = Arc::new(AtomicBool::new(false));
    let killer = {
        let (done, app, url) = (done.clone(), app.to_string(), pg::url().unwrap());
        std::thread::spawn(move || {
            let mut admin = pg::admin(&url);
            let mut progress = progress();
            let mut kills = 0;
            let deadline = Instant::now() + Duration::from_secs(120);
            for &threshold in thresholds {
                loop {
                    if done.load(Ordering::SeqCst) || Instant::now() > deadline {
                        return kills;
                    }
                    if progress() >= threshold {
                        let killed: i64 = admin
                            .query_one(
                                "SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity
                                 WHERE application_name = $1",
                                &[&app],
                            )
                            .unwrap()
                            .get(0);
                        kills += killed;
                        break;
                    }
                    std::thread::sleep(Duration::from_millis(1));
                }
            }
            kills
        })
    };
    let mut failures = 0;
    let report = loop {
        match sync(local, remote, std::slice::from_ref(w), &opts(batch)) {
            Ok(r) => break r,
            Err(e) => {
                failures += 1;
                eprintln!("sync failed as planned ({failures}): {e}");
                assert!(failures < 20, "sync keeps failing: {e}");
            }
        }
    };
    done.store(true, Ordering::SeqCst);
    let kills = killer.join().unwrap();
    eprintln!("{kills} kill(s), {failures} failed sync(s), then {report:?}");
    assert!(kills >= 1, "the backend was never killed");
    assert!(failures >= 1, "no sync failed: the kill came too late");
    report
}

// ---------------------------------------------------------------------------------------
// A connection killed mid-sync
// ---------------------------------------------------------------------------------------

#[test]
fn a_connection_killed_mid_sync_resumes_with_nothing_lost_or_duplicated() {
    let Some((opts_pg, guard)) = pg::options() else {
        return;
    };
    let app = format!("hm-kill-{}", uuid::Uuid::new_v4().simple());
    let remote = PostgresStore::connect_with(opts_pg.application_name(app.clone())).unwrap();
    let w = ws("acme");
    let dir = tempfile::tempdir().unwrap();
    let local = SqliteStore::open(dir.path().join("local.db")).unwrap();
    let events = prompts(&w, 20, 1000, "kill");
    local.append_events(&events).unwrap();
    let mut corrections = Vec::new();
    for i in 0..600 {
        let c = correction(&w, &sid(&format!("s{}", i % 7)), &format!("reason {i}"));
        local.insert_correction(&c).unwrap();
        corrections.push(c);
    }

    // Kill the store's backend three times while the sync runs, at different depths.
    let (url, schema) = (guard.url.clone(), guard.schema.clone());
    let pushed = move || {
        let mut admin = pg::admin(&url);
        move || -> i64 {
            admin
                .query_one(
                    format!("SELECT COUNT(*) FROM \"{schema}\".events").as_str(),
                    &[],
                )
                .unwrap()
                .get(0)
        }
    };
    sync_through_kills(&local, &remote, &w, 250, &app, &[1, 6_000, 12_000], pushed);

    // Every row exactly once.
    assert_eq!(
        count(&guard.url, &guard.schema, "events", "id"),
        (20_000, 20_000)
    );
    assert_eq!(
        count(&guard.url, &guard.schema, "corrections", "id"),
        (600, 600)
    );
    // Each session's seqs are 1..=n, no gap, no repeat.
    let bad: i64 = pg::admin(&guard.url)
        .query_one(
            format!(
                "SELECT COUNT(*) FROM (SELECT session FROM \"{}\".events GROUP BY session
                 HAVING MIN(seq) <> 1 OR MAX(seq) <> COUNT(*) OR COUNT(DISTINCT seq) <> COUNT(*)) x",
                guard.schema
            )
            .as_str(),
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(bad, 0);
    // And they are the local ones.
    let remote_ids: HashSet<String> = remote
        .events_after(&w, 0, 100_000)
        .unwrap()
        .into_iter()
        .map(|(_, e)| e.id.to_string())
        .collect();
    let local_ids: HashSet<String> = events.iter().map(|e| e.id.to_string()).collect();
    assert_eq!(remote_ids, local_ids);
    let got = remote
        .corrections(&w, &CorrectionFilter::default())
        .unwrap();
    let want = local.corrections(&w, &CorrectionFilter::default()).unwrap();
    assert_eq!(got, want);
    // A further sync has nothing left to do.
    let again = sync(&local, &remote, std::slice::from_ref(&w), &opts(250)).unwrap();
    assert_eq!((again.events_pushed, again.corrections_pushed), (0, 0));
}

#[test]
fn a_connection_killed_mid_pull_resumes_with_nothing_lost_or_duplicated() {
    let Some((opts_pg, _guard)) = pg::options() else {
        return;
    };
    let w = ws("acme");
    // Machine A shares 1,500 corrections and five skills with the team store.
    let dir_a = tempfile::tempdir().unwrap();
    let local_a = SqliteStore::open(dir_a.path().join("a.db")).unwrap();
    for i in 0..1_500 {
        let c = correction(&w, &sid(&format!("a{}", i % 11)), &format!("reason {i}"));
        local_a.insert_correction(&c).unwrap();
    }
    for i in 0..5 {
        local_a
            .upsert_skill(&skill(&w, &format!("lesson-{i}"), 1, "alice"))
            .unwrap();
    }
    let remote_a = PostgresStore::connect_with(opts_pg.clone()).unwrap();
    sync(&local_a, &remote_a, std::slice::from_ref(&w), &opts(500)).unwrap();
    drop(remote_a);

    // Machine B pulls them while its backend is killed at three depths of the pull,
    // judged by how many corrections have landed in its SQLite file.
    let app = format!("hm-pullkill-{}", uuid::Uuid::new_v4().simple());
    let remote_b = PostgresStore::connect_with(opts_pg.application_name(app.clone())).unwrap();
    let dir_b = tempfile::tempdir().unwrap();
    let db_b = dir_b.path().join("b.db");
    let local_b = SqliteStore::open(&db_b).unwrap();
    let landed = move || {
        let db = rusqlite::Connection::open(&db_b).unwrap();
        move || -> i64 {
            db.query_row("SELECT COUNT(*) FROM corrections", [], |r| r.get(0))
                .unwrap_or(0)
        }
    };
    let report = sync_through_kills(&local_b, &remote_b, &w, 100, &app, &[1, 500, 1_000], landed);
    let pulled = report.corrections_pulled;

    // Every correction and skill of A is on B once, marked as the team's.
    let want = local_a
        .corrections(&w, &CorrectionFilter::default())
        .unwrap();
    let got = local_b
        .corrections(&w, &CorrectionFilter::default())
        .unwrap();
    assert_eq!(got.len(), 1_500);
    let got_ids: HashSet<_> = got.iter().map(|c| c.id.clone()).collect();
    assert_eq!(got_ids.len(), 1_500, "a correction arrived twice");
    assert_eq!(got, want);
    for c in &got {
        assert!(
            is_pulled(&local_b, &w, &c.id).unwrap(),
            "{} not marked",
            c.id
        );
    }
    let skills: HashSet<String> = local_b
        .skills(&w)
        .unwrap()
        .into_iter()
        .map(|s| format!("{}@{}", s.name, s.version))
        .collect();
    assert_eq!(skills.len(), 5, "{skills:?}");
    // The batches done before each kill were not pulled again: the final pull brought
    // fewer than everything, and a further sync brings nothing.
    assert!(pulled < 1_500, "the resumed pull started over ({pulled})");
    let again = sync(&local_b, &remote_b, std::slice::from_ref(&w), &opts(100)).unwrap();
    assert_eq!((again.corrections_pulled, again.skills_pulled), (0, 0));
    // And B pushed none of A's corrections back as its own.
    assert_eq!(again.corrections_pushed, 0);
}

// ---------------------------------------------------------------------------------------
// Updates travel, ownership holds
// ---------------------------------------------------------------------------------------

#[test]
fn correction_updates_travel_from_their_author_only() {
    let Some((remote, _guard)) = pg::store() else {
        return;
    };
    let w = ws("acme");
    let dir = tempfile::tempdir().unwrap();
    let a = SqliteStore::open(dir.path().join("a.db")).unwrap();
    let b = SqliteStore::open(dir.path().join("b.db")).unwrap();
    let c = correction(&w, &sid("s1"), "use pnpm");
    a.insert_correction(&c).unwrap();
    let o = SyncOptions::default();
    sync(&a, &remote, std::slice::from_ref(&w), &o).unwrap();
    sync(&b, &remote, std::slice::from_ref(&w), &o).unwrap();
    assert!(is_pulled(&b, &w, &c.id).unwrap());
    assert!(!is_pulled(&a, &w, &c.id).unwrap());

    // The author fills in what was accepted: it reaches the team.
    let mut filled = c.clone();
    filled.set_accepted("pnpm add zod".into());
    a.update_correction(&filled).unwrap();
    let r = sync(&a, &remote, std::slice::from_ref(&w), &o).unwrap();
    assert_eq!(r.corrections_pushed, 1);
    let r = sync(&b, &remote, std::slice::from_ref(&w), &o).unwrap();
    assert_eq!((r.corrections_pulled, r.corrections_pushed), (1, 0));
    let on_b = b.corrections(&w, &CorrectionFilter::default()).unwrap();
    assert_eq!(on_b, vec![filled.clone()]);

    // A change made on b to a team correction is never pushed back.
    let mut tampered = filled.clone();
    tampered.reason = Some("b's opinion".into());
    b.update_correction(&tampered).unwrap();
    let r = sync(&b, &remote, std::slice::from_ref(&w), &o).unwrap();
    assert_eq!(r.corrections_pushed, 0);
    assert_eq!(
        remote
            .corrections(&w, &CorrectionFilter::default())
            .unwrap(),
        vec![filled]
    );
}

#[test]
fn the_store_is_usable_inside_a_tokio_runtime() {
    let Some((remote, _guard)) = pg::store() else {
        return;
    };
    let w = ws("acme");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    // The blocking client would panic if it ran on a runtime thread: it does not.
    let n = rt.block_on(async { remote.append_events(&prompts(&w, 1, 3, "rt")).unwrap() });
    assert_eq!(n, 3);
    let _id: EventId = remote.events_after(&w, 0, 1).unwrap()[0].1.id.clone();
}

#[test]
fn bad_urls_and_unreachable_servers_are_errors_not_panics() {
    let err = PostgresStore::connect("postgres://u:secret@127.0.0.1:1/x?nonsense=1").unwrap_err();
    assert!(!err.to_string().contains("secret"), "{err}");
    let mut o = hivemind_core::PgOptions::new("postgres://u:secret@127.0.0.1:1/x");
    o.connect_timeout = Duration::from_secs(1);
    let err = PostgresStore::connect_with(o).unwrap_err();
    assert!(matches!(err, hivemind_core::Error::Storage(_)), "{err:?}");
    assert!(!err.to_string().contains("secret"), "{err}");
}

// ---------------------------------------------------------------------------------------
// Load: 8 writers × 10,000 events through sync
// ---------------------------------------------------------------------------------------

/// Runs in CI (about 4 s in a debug build); it prints its rows per second, which
/// `BENCHMARKS.md` takes from a release run (the `pg_load` example prints the same
/// figure for other sizes).
#[test]
fn eight_writers_times_ten_thousand_events_arrive_once() {
    let Some((opts_pg, guard)) = pg::options() else {
        return;
    };
    const WRITERS: usize = 8;
    const EVENTS: usize = 10_000;
    // Create the schema once, then one connection per writer.
    drop(PostgresStore::connect_with(opts_pg.clone()).unwrap());
    let w = ws("github.com/acme/shop");
    let dir = tempfile::tempdir().unwrap();
    let locals: Vec<SqliteStore> = (0..WRITERS)
        .map(|i| {
            let s = SqliteStore::open(dir.path().join(format!("m{i}.db"))).unwrap();
            s.append_events(&prompts(&w, 10, EVENTS / 10, &format!("m{i}")))
                .unwrap();
            s
        })
        .collect();
    let start = Instant::now();
    std::thread::scope(|scope| {
        for local in &locals {
            let o = opts_pg.clone();
            let w = w.clone();
            scope.spawn(move || {
                let remote = PostgresStore::connect_with(o).unwrap();
                let r = sync(local, &remote, &[w], &SyncOptions::default()).unwrap();
                assert_eq!(r.events_pushed, EVENTS);
            });
        }
    });
    let secs = start.elapsed().as_secs_f64();
    let total = (WRITERS * EVENTS) as i64;
    assert_eq!(
        count(&guard.url, &guard.schema, "events", "id"),
        (total, total)
    );
    eprintln!(
        "{WRITERS} writers x {EVENTS} events: {total} rows in {secs:.2} s = {:.0} rows/s",
        total as f64 / secs
    );
}

// ---------------------------------------------------------------------------------------
// TLS
// ---------------------------------------------------------------------------------------

/// `sslmode=require` means TLS with a verified certificate: refused against an unknown
/// issuer, accepted (and really encrypted) with the server's CA in `ca_file`. The
/// second half needs the server's certificate on this machine for `localhost` (the
/// Debian default); otherwise it prints why and stops there.
#[test]
fn tls_is_required_and_verified_when_asked() {
    let Some(url) = pg::url() else {
        return;
    };
    let mut admin = pg::admin(&url);
    let ssl: String = admin.query_one("SHOW ssl", &[]).unwrap().get(0);
    if ssl != "on" {
        eprintln!("SKIPPED: the test server has ssl = {ssl}");
        return;
    }
    let cert_file: String = admin.query_one("SHOW ssl_cert_file", &[]).unwrap().get(0);
    let cfg: postgres::Config = url.parse().unwrap();
    let user = cfg.get_user().unwrap_or("postgres");
    let port = cfg.get_ports().first().copied().unwrap_or(5432);
    let db = cfg.get_dbname().unwrap_or("postgres");
    let tls_url = format!("postgres://{user}@localhost:{port}/{db}?sslmode=require");
    let schema = pg::fresh_schema();
    let _guard = pg::SchemaGuard {
        url: url.clone(),
        schema: schema.clone(),
    };

    // Unknown issuer: refused.
    let err =
        PostgresStore::connect_with(hivemind_core::PgOptions::new(&tls_url).schema(schema.clone()))
            .unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.to_lowercase().contains("certificate") || msg.contains("issuer"),
        "{msg}"
    );

    // Trusted through ca_file: connected over TLS.
    if std::fs::read(&cert_file).is_err() {
        eprintln!("SKIPPED (second half): cannot read the server certificate {cert_file}");
        return;
    }
    let app = format!("hm-tls-{}", uuid::Uuid::new_v4().simple());
    let mut o = hivemind_core::PgOptions::new(&tls_url)
        .schema(schema)
        .application_name(app.clone());
    o.ca_file = Some(cert_file.into());
    let store = match PostgresStore::connect_with(o) {
        Ok(s) => s,
        Err(e) => {
            eprintln!(
                "SKIPPED (second half): the server certificate is not usable for localhost: {e}"
            );
            return;
        }
    };
    store.set_state(&ws("acme"), "k", "v").unwrap();
    let encrypted: bool = admin
        .query_one(
            "SELECT s.ssl FROM pg_stat_ssl s JOIN pg_stat_activity a ON a.pid = s.pid
             WHERE a.application_name = $1",
            &[&app],
        )
        .unwrap()
        .get(0);
    assert!(encrypted);
    assert_eq!(
        store.get_state(&ws("acme"), "k").unwrap().as_deref(),
        Some("v")
    );
}
