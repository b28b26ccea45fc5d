//! Several OS processes writing one SQLite file at once, as concurrent hooks do.
//!
//! The writers are this very test binary, re-run with `--exact writer_child` and
//! environment variables telling `writer_child` what to do; without them `writer_child`
//! returns at once. All writers wait for a start signal (a file) before they even open
//! the database, so opening (WAL switch, migration) races too.
#![allow(clippy::unwrap_used)]

use hivemind_core::model::{Agent, Event, EventId, EventKind, SessionId, WorkspaceId};
use hivemind_core::store::{SqliteStore, Store};
use hivemind_core::{Config, Hivemind};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const ENV_DB: &str = "HIVEMIND_TEST_WRITER_DB";
const ENV_ID: &str = "HIVEMIND_TEST_WRITER_ID";
const ENV_MODE: &str = "HIVEMIND_TEST_WRITER_MODE";
const ENV_GO: &str = "HIVEMIND_TEST_WRITER_GO";

const WRITERS: usize = 4;
/// Store mode: events per writer, and batch size (one transaction each).
const EVENTS_PER_WRITER: usize = 5_000;
const BATCH: usize = 50;
/// Store mode: batches of events with the same ids, written by every writer.
const SHARED_BATCHES: usize = 10;
const SHARED_BATCH: usize = 10;
/// Facade mode: events per writer, all in one shared session.
const FACADE_EVENTS: usize = 500;
const FACADE_BATCH: usize = 50;

fn workspace() -> WorkspaceId {
    WorkspaceId::new("github.com/acme/shop").unwrap()
}

fn writer_session(id: usize) -> SessionId {
    SessionId::new(format!("writer-{id}")).unwrap()
}

fn shared_session() -> SessionId {
    SessionId::new("shared").unwrap()
}

fn facade_session() -> SessionId {
    SessionId::new("facade").unwrap()
}

fn writer_event_id(id: usize, i: usize) -> EventId {
    EventId::derived(&format!("multiprocess:{id}:{i}"))
}

fn shared_event_id(b: usize, k: usize) -> EventId {
    EventId::derived(&format!("multiprocess:shared:{b}:{k}"))
}

fn facade_event_id(id: usize, i: usize) -> EventId {
    EventId::derived(&format!("multiprocess:facade:{id}:{i}"))
}

/// Event `i` of a writer: prompts, tool calls and responses in turn (prompts and
/// responses also go to the full-text index).
fn kind(id: usize, i: usize) -> EventKind {
    match i % 3 {
        0 => EventKind::Prompt {
            text: format!("writer {id} prompt {i} pnpm"),
        },
        1 => EventKind::ToolCall {
            tool: "Bash".into(),
            call_id: Some(format!("call-{id}-{i}")),
            input: serde_json::json!({"command": format!("echo {id} {i}")}),
        },
        _ => EventKind::Response {
            text: format!("writer {id} response {i}"),
        },
    }
}

fn make_event(id: EventId, session: SessionId, kind: EventKind) -> Event {
    let mut e = Event::new(workspace(), session, Agent::ClaudeCode, kind);
    e.id = id;
    e
}

fn wait_for(go: &Path) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !go.exists() {
        assert!(
            Instant::now() < deadline,
            "no start signal at {}",
            go.display()
        );
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// Store mode: `EVENTS_PER_WRITER` events into the writer's own session through
/// `SqliteStore::append_events`, in batches of `BATCH`; the first `SHARED_BATCHES`
/// rounds also append a batch that every writer appends (same ids). Returns how many
/// shared events this writer added.
fn write_through_store(db: &Path, id: usize) -> usize {
    let store = SqliteStore::open(db).unwrap_or_else(|e| panic!("writer {id}: open: {e}"));
    let mut shared_new = 0;
    for b in 0..EVENTS_PER_WRITER / BATCH {
        let batch: Vec<Event> = (b * BATCH..(b + 1) * BATCH)
            .map(|i| make_event(writer_event_id(id, i), writer_session(id), kind(id, i)))
            .collect();
        let n = store
            .append_events(&batch)
            .unwrap_or_else(|e| panic!("writer {id}: batch {b}: {e}"));
        assert_eq!(n, BATCH, "writer {id}: batch {b} was not all new");
        if b < SHARED_BATCHES {
            let shared: Vec<Event> = (0..SHARED_BATCH)
                .map(|k| {
                    make_event(
                        shared_event_id(b, k),
                        shared_session(),
                        EventKind::Prompt {
                            text: format!("shared {b} {k}"),
                        },
                    )
                })
                .collect();
            shared_new += store
                .append_events(&shared)
                .unwrap_or_else(|e| panic!("writer {id}: shared batch {b}: {e}"));
        }
    }
    // A retry of an early batch adds nothing.
    let retry: Vec<Event> = (0..BATCH)
        .map(|i| make_event(writer_event_id(id, i), writer_session(id), kind(id, i)))
        .collect();
    assert_eq!(
        store.append_events(&retry).unwrap(),
        0,
        "writer {id}: retry"
    );
    shared_new
}

/// Facade mode: `FACADE_EVENTS` events captured into the shared facade session through
/// a `Hivemind` opened on `home` (written every `FACADE_BATCH` captures), then flushed
/// and closed.
fn write_through_facade(home: &Path, id: usize) {
    let mut config = Config::with_home(home);
    config.workspace = Some(workspace());
    config.batch_size = FACADE_BATCH;
    let hm = Hivemind::open(config).unwrap_or_else(|e| panic!("writer {id}: open: {e}"));
    assert_eq!(hm.workspace(), &workspace());
    for i in 0..FACADE_EVENTS {
        let e = make_event(facade_event_id(id, i), facade_session(), kind(id, i));
        hm.capture(e)
            .unwrap_or_else(|e| panic!("writer {id}: capture {i}: {e}"));
    }
    hm.flush()
        .unwrap_or_else(|e| panic!("writer {id}: flush: {e}"));
    hm.close()
        .unwrap_or_else(|e| panic!("writer {id}: close: {e}"));
}

/// The body of the child processes; does nothing in a normal test run.
#[test]
fn writer_child() {
    let Some(db) = std::env::var_os(ENV_DB) else {
        return;
    };
    let db = PathBuf::from(db);
    let id: usize = std::env::var(ENV_ID).unwrap().parse().unwrap();
    let mode = std::env::var(ENV_MODE).unwrap();
    wait_for(Path::new(&std::env::var_os(ENV_GO).unwrap()));
    let started = Instant::now();
    match mode.as_str() {
        "store" => {
            let shared_new = write_through_store(&db, id);
            println!(
                "WRITER_DONE id={id} shared_new={shared_new} ms={}",
                started.elapsed().as_millis()
            );
        }
        "facade" => {
            write_through_facade(db.parent().unwrap(), id);
            println!(
                "WRITER_DONE id={id} shared_new=0 ms={}",
                started.elapsed().as_millis()
            );
        }
        other => panic!("unknown writer mode {other:?}"),
    }
}

struct Run {
    /// `shared_new` reported by each writer.
    shared_new: Vec<usize>,
}

/// Runs `WRITERS` children in `mode` against `db`, started together; fails on any
/// error a child reports.
fn run_writers(mode: &str, db: &Path) -> Run {
    let dir = db.parent().unwrap();
    let go = dir.join(format!("go-{mode}"));
    let exe = std::env::current_exe().unwrap();
    let children: Vec<(usize, Child)> = (0..WRITERS)
        .map(|id| {
            let child = Command::new(&exe)
                .args(["--exact", "writer_child", "--nocapture", "--test-threads=1"])
                .env(ENV_DB, db)
                .env(ENV_ID, id.to_string())
                .env(ENV_MODE, mode)
                .env(ENV_GO, &go)
                .env_remove("RUST_LOG")
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            (id, child)
        })
        .collect();
    std::fs::write(&go, b"go").unwrap();
    let mut shared_new = vec![0; WRITERS];
    let mut failures = Vec::new();
    for (id, child) in children {
        let out = child.wait_with_output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        let all = format!("{stdout}\n{stderr}").to_lowercase();
        // libtest prints "test writer_child ... " on the same line, before ours.
        let marker = format!("WRITER_DONE id={id} ");
        let done = stdout
            .lines()
            .find_map(|l| l.find(&marker).map(|at| &l[at..]));
        if !out.status.success()
            || done.is_none()
            || all.contains("locked")
            || all.contains("busy")
            || all.contains("error")
        {
            failures.push(format!(
                "writer {id} ({}):\n--- stdout\n{stdout}\n--- stderr\n{stderr}",
                out.status
            ));
            continue;
        }
        let done = done.unwrap();
        // 1 of 1 tests ran: the filter really selected the child test.
        assert!(
            stdout.contains("1 passed"),
            "writer {id} did not run writer_child:\n{stdout}"
        );
        shared_new[id] = done
            .split_whitespace()
            .find_map(|kv| kv.strip_prefix("shared_new="))
            .unwrap()
            .parse()
            .unwrap();
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    Run { shared_new }
}

fn assert_dense(events: &[Event], n: usize, what: &str) {
    assert_eq!(events.len(), n, "{what}: count");
    for (i, e) in events.iter().enumerate() {
        assert_eq!(e.seq, i as u64 + 1, "{what}: seq gap or duplicate at {i}");
    }
}

fn raw_count(db: &Path, sql: &str) -> i64 {
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.query_row(sql, [], |r| r.get(0)).unwrap()
}

#[test]
fn four_processes_append_20000_events_to_one_sqlite_file() {
    let started = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("hivemind.db");
    let run = run_writers("store", &db);

    let store = SqliteStore::open(&db).unwrap();
    let w = workspace();
    for id in 0..WRITERS {
        let events = store
            .session_events(&w, &writer_session(id), 0, None)
            .unwrap();
        assert_dense(&events, EVENTS_PER_WRITER, &format!("writer {id}"));
        for (i, e) in events.iter().enumerate() {
            assert_eq!(e.id, writer_event_id(id, i), "writer {id}: order at {i}");
            assert_eq!(e.kind, kind(id, i), "writer {id}: content at {i}");
        }
    }
    // The shared batches: every id once, seqs dense, and the writers' "new" counts add
    // up to exactly the number of distinct events.
    let shared = store
        .session_events(&w, &shared_session(), 0, None)
        .unwrap();
    assert_dense(&shared, SHARED_BATCHES * SHARED_BATCH, "shared");
    let want: HashSet<EventId> = (0..SHARED_BATCHES)
        .flat_map(|b| (0..SHARED_BATCH).map(move |k| shared_event_id(b, k)))
        .collect();
    let got: HashSet<EventId> = shared.iter().map(|e| e.id.clone()).collect();
    assert_eq!(got, want);
    assert_eq!(
        run.shared_new.iter().sum::<usize>(),
        SHARED_BATCHES * SHARED_BATCH,
        "{:?}",
        run.shared_new
    );
    // Shared batches are atomic: each batch's 10 events have consecutive seqs.
    let by_id: HashMap<&EventId, u64> = shared.iter().map(|e| (&e.id, e.seq)).collect();
    for b in 0..SHARED_BATCHES {
        let mut s: Vec<u64> = (0..SHARED_BATCH)
            .map(|k| by_id[&shared_event_id(b, k)])
            .collect();
        s.sort_unstable();
        assert_eq!(
            s[SHARED_BATCH - 1] - s[0],
            SHARED_BATCH as u64 - 1,
            "batch {b}: {s:?}"
        );
    }
    drop(store);

    // Exactly once, at the table level too, and the full-text index has one row per
    // prompt/response.
    let total = (WRITERS * EVENTS_PER_WRITER + SHARED_BATCHES * SHARED_BATCH) as i64;
    assert_eq!(raw_count(&db, "SELECT COUNT(*) FROM events"), total);
    assert_eq!(
        raw_count(&db, "SELECT COUNT(DISTINCT id) FROM events"),
        total
    );
    let indexed = (0..EVENTS_PER_WRITER).filter(|i| i % 3 != 1).count() * WRITERS
        + SHARED_BATCHES * SHARED_BATCH;
    // Appends leave the text index behind; one catch-up indexes every prompt and
    // response exactly once, and a second finds nothing left.
    let store = SqliteStore::open(&db).unwrap();
    assert_eq!(raw_count(&db, "SELECT COUNT(*) FROM events_text"), 0);
    assert_eq!(store.index_event_text().unwrap(), indexed);
    assert_eq!(store.index_event_text().unwrap(), 0);
    drop(store);
    assert_eq!(
        raw_count(&db, "SELECT COUNT(*) FROM events_text"),
        indexed as i64
    );
    // Each index row is the row of an event with text (its rowid is the event's).
    assert_eq!(
        raw_count(
            &db,
            "SELECT COUNT(DISTINCT e.id) FROM events_text f JOIN events e ON e.rowid = f.rowid
             WHERE e.kind IN ('prompt', 'response')"
        ),
        indexed as i64
    );
    let conn = rusqlite::Connection::open(&db).unwrap();
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
    eprintln!(
        "store mode: {:?}, shared events added per writer {:?}",
        started.elapsed(),
        run.shared_new
    );
}

#[test]
fn four_processes_capture_through_the_facade() {
    let started = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    let config = Config::with_home(&home);
    run_writers("facade", &config.db_path());

    let store = SqliteStore::open(config.db_path()).unwrap();
    let events = store
        .session_events(&workspace(), &facade_session(), 0, None)
        .unwrap();
    assert_dense(&events, WRITERS * FACADE_EVENTS, "facade session");
    let ids: HashSet<&EventId> = events.iter().map(|e| &e.id).collect();
    assert_eq!(
        ids.len(),
        WRITERS * FACADE_EVENTS,
        "an event is stored twice"
    );
    // Each writer's events are all there, in its capture order, with their content.
    let pos: HashMap<&EventId, usize> =
        events.iter().enumerate().map(|(i, e)| (&e.id, i)).collect();
    for id in 0..WRITERS {
        let mut last = None;
        for i in 0..FACADE_EVENTS {
            let eid = facade_event_id(id, i);
            let p = *pos
                .get(&eid)
                .unwrap_or_else(|| panic!("writer {id}: event {i} missing"));
            assert_eq!(events[p].kind, kind(id, i));
            assert!(last < Some(p), "writer {id}: event {i} out of order");
            last = Some(p);
        }
    }
    // Each flush is one transaction: the session is made of runs of FACADE_BATCH events
    // of one writer each, never interleaved.
    let writer_of: HashMap<EventId, usize> = (0..WRITERS)
        .flat_map(|id| (0..FACADE_EVENTS).map(move |i| (facade_event_id(id, i), id)))
        .collect();
    for chunk in events.chunks(FACADE_BATCH) {
        let first = writer_of[&chunk[0].id];
        assert!(
            chunk.iter().all(|e| writer_of[&e.id] == first),
            "a flush was interleaved with another process's (seqs {}..)",
            chunk[0].seq
        );
    }
    assert_eq!(store.workspaces().unwrap(), vec![workspace()]);
    let switches = events
        .windows(2)
        .filter(|w| writer_of[&w[0].id] != writer_of[&w[1].id])
        .count();
    eprintln!(
        "facade mode: {:?}, {switches} switches between writers",
        started.elapsed()
    );
}
