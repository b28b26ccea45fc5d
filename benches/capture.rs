//! Capture and append benchmarks (issue 2). Results and method: `BENCHMARKS.md`.
//!
//! Run with `cargo bench --bench capture`. In one run, so that figures compare:
//!
//! * `append/store/{1,100,1000}`: [`Store::append_events`] on a [`SqliteStore`] file,
//!   batches of 1, 100 and 1,000 events (throughput in events/s).
//! * `append/raw/{1,100,1000}`: the physical floor. A bare rusqlite loop inserting the
//!   *same rows* (same column values: id, workspace, session, agent, seq, at, kind,
//!   data JSON, checked against what the store wrote) into a table with the store's
//!   `events` schema (same primary key and index), WAL + `synchronous=NORMAL`, one
//!   prepared statement reused, one transaction per batch. No JSON serialization, no
//!   full-text index, SQLite's default checkpointing.
//! * `capture/hivemind`: one `Hivemind::capture` call with the default `batch_size`
//!   (512); the periodic `append_events` flush is inside the timing, amortized.
//!
//! Attribution (where the gap between store and raw goes): a cumulative ladder from the
//! raw loop towards what `append_events` does, at the same batch sizes:
//! `breakdown/1_pragmas` (raw + the store's `journal_size_limit`),
//! `breakdown/2_index` (+ the `events_by_workspace` index sync reads),
//! `breakdown/3_serialize` (+ `serde_json::to_string(&kind)` and `to_rfc3339` inside
//! the timing).
//!
//! The store's full-text index of prompts and responses is filled behind the appends
//! (`SqliteStore::index_event_text`, run by every event search). Its cost is measured
//! apart: `index/store_then_index/{1,100,1000}` appends each batch and then indexes it,
//! which is what an append would cost if it tokenized inline, and
//! `index/raw_fts/{1,100,1000}` is the raw loop writing the same contentless FTS5 rows
//! inline. What remains between step 3 and `append/store` is
//! the store's own bookkeeping (seq lookup, statement cache, `INSERT OR IGNORE`).
//! For `capture`: `capture/sanitize_event` (redaction + truncation of one event) and
//! `append/store/512` (the flush `capture` triggers every 512 events).
//!
//! Setup is outside the timing (`iter_custom`): events are generated once; each
//! sample starts on a fresh database file in a temp dir, and a database is replaced by
//! a fresh one (untimed) after `APPEND_POOL` / `CAPTURE_POOL` events, so no database
//! grows past ~10k events and every sample sees the same sequence of database sizes.

use criterion::{
    criterion_group, criterion_main, BenchmarkId, Criterion, SamplingMode, Throughput,
};
use hivemind_core::capture::sanitize_event;
use hivemind_core::{
    Agent, Config, Event, EventKind, Hivemind, SessionId, SqliteStore, Store, WorkspaceId,
};
use rusqlite::{params, Connection};
use serde_json::{json, Value};
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Events per database before it is replaced: a multiple of 1, 100, 1,000 (append
/// batches) is used for appends (10,000); captures use 10,240 (20 flushes of 512).
const APPEND_POOL: usize = 10_000;
const CAPTURE_POOL: usize = 10_240;
/// Events per session (sessions change every `SESSION_LEN` events of the pool).
const SESSION_LEN: usize = 400;
const BATCHES: [usize; 3] = [1, 100, 1000];
/// Events cloned (untimed) at a time before being handed to timed code.
const CHUNK: usize = 2048;

// ---------------------------------------------------------------------------------
// Realistic events
// ---------------------------------------------------------------------------------

/// xorshift64*: deterministic, dependency-free.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len())]
    }
}

#[rustfmt::skip]
const WORDS: &[&str] = &[
    "the", "a", "to", "of", "in", "and", "is", "it", "for", "on", "with", "that", "this",
    "store", "event", "session", "test", "cargo", "build", "error", "warning", "function",
    "module", "return", "value", "config", "path", "file", "struct", "impl", "trait",
    "async", "query", "index", "table", "insert", "commit", "batch", "result", "option",
    "string", "vector", "hash", "map", "parse", "json", "write", "read", "lock", "thread",
    "mutex", "buffer", "flush", "capture", "skill", "correction", "workspace", "schema",
    "migration", "sqlite", "transaction", "prepared", "statement", "column", "row", "type",
    "lifetime", "borrow", "clone", "serde", "serialize", "deserialize", "handler", "hook",
    "payload", "timeout", "retry", "fixed", "failing", "passes", "compile", "unused",
    "import", "variable", "closure", "iterator", "pnpm", "npm", "install", "package",
    "dependency", "version", "release", "debug", "log", "trace", "span", "field", "enum",
];

const FILES: &[&str] = &[
    "hivemind-core/src/store/sqlite.rs",
    "hivemind-core/src/hivemind.rs",
    "hivemind-core/src/capture.rs",
    "hivemind-core/src/model/event.rs",
    "hivemind-core/src/detect/rejection.rs",
    "hivemind-core/src/skills/select.rs",
    "src/main.rs",
    "tests/capture.rs",
];

/// Words joined by spaces, with sentence breaks, until `bytes` is reached.
fn prose(rng: &mut Rng, bytes: usize) -> String {
    let mut s = String::with_capacity(bytes + 16);
    while s.len() < bytes {
        if !s.is_empty() {
            s.push(if rng.below(12) == 0 { '.' } else { ' ' });
            if s.ends_with('.') {
                s.push(' ');
            }
        }
        s.push_str(rng.pick(WORDS));
    }
    s
}

/// Tool-output-like text: short lines of compiler / test / file output.
fn output_lines(rng: &mut Rng, bytes: usize) -> String {
    let mut s = String::with_capacity(bytes + 80);
    while s.len() < bytes {
        match rng.below(4) {
            0 => s.push_str(&format!(
                "   Compiling {} v0.{}.{}\n",
                rng.pick(WORDS),
                rng.below(9),
                rng.below(30)
            )),
            1 => s.push_str(&format!(
                "test {}::{}_{} ... ok\n",
                rng.pick(WORDS),
                rng.pick(WORDS),
                rng.pick(WORDS)
            )),
            2 => s.push_str(&format!(
                "{}:{}:{}: {}\n",
                rng.pick(FILES),
                rng.below(900),
                rng.below(80),
                prose(rng, 40)
            )),
            _ => {
                s.push_str(&prose(rng, 50));
                s.push('\n');
            }
        }
    }
    s
}

fn call_id(rng: &mut Rng) -> String {
    const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut s = String::from("toolu_01");
    for _ in 0..22 {
        s.push(ALNUM[rng.below(ALNUM.len())] as char);
    }
    s
}

/// A tool call (~200 bytes of JSON input) and its result (~1 KB of output).
fn tool_pair(rng: &mut Rng) -> (EventKind, EventKind) {
    let id = call_id(rng);
    let (tool, input, output) = match rng.below(4) {
        0 => (
            "Bash",
            json!({
                "command": format!("cargo test -p hivemind-core {} -- --nocapture 2>&1 | tail -n 40", rng.pick(WORDS)),
                "description": prose(rng, 70),
                "timeout": 120000,
            }),
            json!({
                "stdout": output_lines(rng, 1000),
                "stderr": "",
                "interrupted": false,
                "isImage": false,
            }),
        ),
        1 => (
            "Read",
            json!({
                "file_path": format!("/home/dev/hivemind/{}", rng.pick(FILES)),
                "offset": rng.below(400),
                "limit": 200,
                "description": prose(rng, 80),
            }),
            Value::String(output_lines(rng, 1050)),
        ),
        2 => (
            "Edit",
            json!({
                "file_path": format!("/home/dev/hivemind/{}", rng.pick(FILES)),
                "old_string": prose(rng, 50),
                "new_string": prose(rng, 55),
            }),
            Value::String(output_lines(rng, 1000)),
        ),
        _ => (
            "Grep",
            json!({
                "pattern": format!("fn {}_{}", rng.pick(WORDS), rng.pick(WORDS)),
                "path": "/home/dev/hivemind",
                "output_mode": "content",
                "glob": "*.rs",
                "description": prose(rng, 60),
            }),
            Value::String(output_lines(rng, 1000)),
        ),
    };
    (
        EventKind::ToolCall {
            tool: tool.into(),
            call_id: Some(id.clone()),
            input,
        },
        EventKind::ToolResult {
            tool: tool.into(),
            call_id: Some(id),
            output,
            is_error: rng.below(10) == 0,
        },
    )
}

/// `n` events shaped like real sessions: turns of a prompt, four tool call/result
/// pairs and a response (20% prompts and responses, which go to the FTS index).
/// Sessions change every `SESSION_LEN` events.
fn session_events(n: usize, seed: u64) -> Vec<Event> {
    let mut rng = Rng(seed);
    let ws = WorkspaceId::new("bench-workspace").expect("valid workspace");
    let mut out = Vec::with_capacity(n);
    let mut session = SessionId::new("session-0").expect("valid session");
    while out.len() < n {
        let prompt_len = 120 + rng.below(160);
        let mut turn = vec![EventKind::Prompt {
            text: prose(&mut rng, prompt_len),
        }];
        for _ in 0..4 {
            let (call, result) = tool_pair(&mut rng);
            turn.push(call);
            turn.push(result);
        }
        let response_len = 300 + rng.below(600);
        turn.push(EventKind::Response {
            text: prose(&mut rng, response_len),
        });
        for kind in turn {
            if out.len() == n {
                break;
            }
            if out.len() % SESSION_LEN == 0 {
                session = SessionId::new(format!("session-{}", out.len() / SESSION_LEN))
                    .expect("valid session");
            }
            out.push(Event::new(
                ws.clone(),
                session.clone(),
                Agent::ClaudeCode,
                kind,
            ));
        }
    }
    out
}

/// A row exactly as `SqliteStore::append_events` writes it into `events`.
#[derive(Debug, Clone, PartialEq)]
struct Row {
    id: String,
    workspace: String,
    session: String,
    agent: String,
    seq: i64,
    at: String,
    kind: String,
    data: String,
    /// The FTS text (prompts and responses), for the breakdown variants.
    fts: Option<String>,
}

/// The rows the store writes for `events` appended in order into an empty database.
fn rows_for(events: &[Event]) -> Vec<Row> {
    let mut next_seq = std::collections::HashMap::<String, i64>::new();
    events
        .iter()
        .map(|e| {
            let seq = next_seq.entry(e.session.as_str().to_string()).or_insert(0);
            *seq += 1;
            Row {
                id: e.id.as_str().to_string(),
                workspace: e.workspace.as_str().to_string(),
                session: e.session.as_str().to_string(),
                agent: e.agent.as_str().to_string(),
                seq: *seq,
                at: e.at.to_rfc3339(),
                kind: e.kind.name().to_string(),
                data: serde_json::to_string(&e.kind).expect("serializable"),
                fts: e.kind.searchable_text().map(str::to_string),
            }
        })
        .collect()
}

// ---------------------------------------------------------------------------------
// Databases
// ---------------------------------------------------------------------------------

/// The store's `events` table and index (migration 1), and its FTS table.
const EVENTS_DDL: &str = "
    CREATE TABLE events (
        id TEXT PRIMARY KEY,
        workspace TEXT NOT NULL,
        session TEXT NOT NULL,
        agent TEXT NOT NULL,
        seq INTEGER NOT NULL,
        at TEXT NOT NULL,
        kind TEXT NOT NULL,
        data TEXT NOT NULL
    );
    CREATE INDEX events_by_session ON events(workspace, session, seq);";
const FTS_DDL: &str =
    "CREATE VIRTUAL TABLE events_text USING fts5(text, content='', contentless_delete=1);";
/// The index sync reads a workspace's new events from (migration 2).
const INDEX_DDL: &str = "CREATE INDEX events_by_workspace ON events(workspace);";
/// What `SqliteStore::open` sets beyond WAL + synchronous=NORMAL (its checkpoint
/// interval, 1,000 pages, is SQLite's default, as in the raw loop).
const STORE_PRAGMAS: &str = "PRAGMA wal_autocheckpoint=1000; PRAGMA journal_size_limit=4194304;";

static DB_COUNTER: AtomicUsize = AtomicUsize::new(0);

fn fresh_path(dir: &Path) -> PathBuf {
    dir.join(format!(
        "bench-{}.db",
        DB_COUNTER.fetch_add(1, Ordering::Relaxed)
    ))
}

fn remove_db(path: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(p));
    }
}

/// Steps of the attribution ladder; all `false` is the physical floor.
#[derive(Debug, Clone, Copy)]
struct RawOptions {
    /// The store's `journal_size_limit`.
    store_pragmas: bool,
    /// The store's second index on `events`.
    index: bool,
    /// Also write the FTS5 rows of prompts and responses.
    fts: bool,
    /// Serialize `data` and `at` from the events inside the timing, as the store does.
    serialize: bool,
}

const RAW: RawOptions = RawOptions {
    store_pragmas: false,
    index: false,
    fts: false,
    serialize: false,
};

/// Cumulative: each step adds one thing `append_events` does to the previous one.
const LADDER: [(&str, RawOptions); 3] = [
    (
        "1_pragmas",
        RawOptions {
            store_pragmas: true,
            index: false,
            fts: false,
            serialize: false,
        },
    ),
    (
        "2_index",
        RawOptions {
            store_pragmas: true,
            index: true,
            fts: false,
            serialize: false,
        },
    ),
    (
        "3_serialize",
        RawOptions {
            store_pragmas: true,
            index: true,
            fts: false,
            serialize: true,
        },
    ),
];

/// The raw loop plus the same FTS5 rows as the store's text index, written inline.
const RAW_FTS: RawOptions = RawOptions {
    store_pragmas: false,
    index: false,
    fts: true,
    serialize: false,
};

fn open_raw(path: &Path, opts: RawOptions) -> Connection {
    let conn = Connection::open(path).expect("open raw db");
    let mode: String = conn
        .query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))
        .expect("WAL");
    assert_eq!(mode, "wal");
    conn.execute_batch("PRAGMA synchronous=NORMAL;")
        .expect("pragmas");
    if opts.store_pragmas {
        conn.execute_batch(STORE_PRAGMAS).expect("store pragmas");
    }
    conn.execute_batch(EVENTS_DDL).expect("schema");
    if opts.index {
        conn.execute_batch(INDEX_DDL).expect("index");
    }
    if opts.fts {
        conn.execute_batch(FTS_DDL).expect("fts schema");
    }
    conn
}

/// `iters` batches of `batch` events through `SqliteStore::append_events`.
fn time_store(events: &[Event], batch: usize, iters: u64, dir: &Path) -> Duration {
    time_appends(events, batch, iters, dir, false)
}

/// Like `time_store`, with `SqliteStore::index_event_text` after every batch: the
/// whole cost of an indexed append.
fn time_store_then_index(events: &[Event], batch: usize, iters: u64, dir: &Path) -> Duration {
    time_appends(events, batch, iters, dir, true)
}

fn time_appends(events: &[Event], batch: usize, iters: u64, dir: &Path, index: bool) -> Duration {
    let per_db = (events.len() / batch) as u64;
    let mut total = Duration::ZERO;
    let mut done = 0;
    while done < iters {
        let path = fresh_path(dir);
        let store = SqliteStore::open(&path).expect("open store");
        let n = (iters - done).min(per_db) as usize;
        let start = Instant::now();
        for chunk in events.chunks_exact(batch).take(n) {
            let added = store.append_events(black_box(chunk)).expect("append");
            assert_eq!(added, batch);
            if index {
                store.index_event_text().expect("index");
            }
        }
        total += start.elapsed();
        done += n as u64;
        drop(store);
        remove_db(&path);
    }
    total
}

/// `iters` transactions of `batch` rows through one reused prepared INSERT.
/// `events[i]` is the event of `rows[i]` (read only with `opts.serialize`).
fn time_raw(
    rows: &[Row],
    events: &[Event],
    batch: usize,
    iters: u64,
    dir: &Path,
    opts: RawOptions,
) -> Duration {
    let per_db = (rows.len() / batch) as u64;
    let mut total = Duration::ZERO;
    let mut done = 0;
    while done < iters {
        let path = fresh_path(dir);
        let conn = open_raw(&path, opts);
        let n = (iters - done).min(per_db) as usize;
        {
            let mut begin = conn.prepare("BEGIN IMMEDIATE").expect("prepare");
            let mut commit = conn.prepare("COMMIT").expect("prepare");
            let mut insert = conn
                .prepare(
                    "INSERT INTO events (id, workspace, session, agent, seq, at, kind, data)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                )
                .expect("prepare");
            let mut insert_fts = if opts.fts {
                Some(
                    conn.prepare("INSERT INTO events_text (rowid, text) VALUES (?1, ?2)")
                        .expect("prepare"),
                )
            } else {
                None
            };
            let start = Instant::now();
            let batches = rows.chunks_exact(batch).zip(events.chunks_exact(batch));
            for (chunk, chunk_events) in batches.take(n) {
                begin.execute([]).expect("begin");
                for (r, e) in black_box(chunk).iter().zip(chunk_events) {
                    if opts.serialize {
                        let data = serde_json::to_string(&e.kind).expect("serialize");
                        let at = e.at.to_rfc3339();
                        insert
                            .execute(params![
                                r.id,
                                r.workspace,
                                r.session,
                                r.agent,
                                r.seq,
                                at,
                                e.kind.name(),
                                data
                            ])
                            .expect("insert");
                    } else {
                        insert
                            .execute(params![
                                r.id,
                                r.workspace,
                                r.session,
                                r.agent,
                                r.seq,
                                r.at,
                                r.kind,
                                r.data
                            ])
                            .expect("insert");
                    }
                    if let (Some(stmt), Some(text)) = (insert_fts.as_mut(), r.fts.as_deref()) {
                        stmt.execute(params![conn.last_insert_rowid(), text])
                            .expect("insert fts");
                    }
                }
                commit.execute([]).expect("commit");
            }
            total += start.elapsed();
        }
        done += n as u64;
        drop(conn);
        remove_db(&path);
    }
    total
}

/// `iters` `Hivemind::capture` calls (default batch size), the flushes included.
/// Like `time_capture`, but times only the `capture` calls: durability (the final
/// flush) happens on the background writer and is waited for outside the timing.
fn time_capture_calls(events: &[Event], iters: u64, dir: &Path) -> Duration {
    let config = Config::default();
    let mut total = Duration::ZERO;
    let mut done = 0;
    while done < iters {
        let path = fresh_path(dir);
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&path).expect("open store"));
        let hm = Hivemind::with_store(config.clone(), store, events[0].workspace.clone(), None);
        let n = (iters - done).min(events.len() as u64) as usize;
        for chunk in events[..n].chunks(CHUNK) {
            let owned: Vec<Event> = chunk.to_vec();
            let start = Instant::now();
            for e in owned {
                hm.capture(black_box(e)).expect("capture");
            }
            total += start.elapsed();
        }
        hm.flush().expect("flush");
        done += n as u64;
        drop(hm);
        remove_db(&path);
    }
    total
}

fn time_capture(events: &[Event], iters: u64, dir: &Path) -> Duration {
    let config = Config::default();
    // Databases are swapped right after a flush, and chunks end on flush boundaries.
    assert_eq!(events.len() % config.batch_size, 0);
    assert_eq!(CHUNK % config.batch_size, 0);
    let mut total = Duration::ZERO;
    let mut done = 0;
    while done < iters {
        let path = fresh_path(dir);
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&path).expect("open store"));
        let hm = Hivemind::with_store(config.clone(), store, events[0].workspace.clone(), None);
        let n = (iters - done).min(events.len() as u64) as usize;
        for chunk in events[..n].chunks(CHUNK) {
            let owned: Vec<Event> = chunk.to_vec();
            let start = Instant::now();
            for e in owned {
                hm.capture(black_box(e)).expect("capture");
            }
            total += start.elapsed();
        }
        // The last partial batch of the sample is written inside the timing too.
        let start = Instant::now();
        hm.flush().expect("flush");
        total += start.elapsed();
        done += n as u64;
        drop(hm);
        remove_db(&path);
    }
    total
}

/// `iters` calls of `sanitize_event` (what `capture` does before buffering), cycling
/// through the events; clones are made outside the timing.
fn time_sanitize(events: &[Event], iters: u64) -> Duration {
    let max = Config::default().max_tool_output_bytes;
    let mut total = Duration::ZERO;
    let mut done = 0;
    let mut at = 0;
    while done < iters {
        let n = ((iters - done) as usize).min(CHUNK).min(events.len() - at);
        let mut owned: Vec<Event> = events[at..at + n].to_vec();
        let start = Instant::now();
        for e in owned.iter_mut() {
            black_box(sanitize_event(black_box(e), max));
        }
        total += start.elapsed();
        drop(owned);
        done += n as u64;
        at = (at + n) % events.len();
    }
    total
}

/// Checks that the raw rows are exactly what the store writes for the same events.
fn verify_same_rows(events: &[Event], rows: &[Row], dir: &Path) {
    let path = fresh_path(dir);
    let store = SqliteStore::open(&path).expect("open store");
    for chunk in events.chunks(100) {
        store.append_events(chunk).expect("append");
    }
    store.index_event_text().expect("index");
    drop(store);
    let conn = Connection::open(&path).expect("open");
    let mut stmt = conn
        .prepare(
            "SELECT id, workspace, session, agent, seq, at, kind, data FROM events ORDER BY rowid",
        )
        .expect("prepare");
    let stored: Vec<Row> = stmt
        .query_map([], |r| {
            Ok(Row {
                id: r.get(0)?,
                workspace: r.get(1)?,
                session: r.get(2)?,
                agent: r.get(3)?,
                seq: r.get(4)?,
                at: r.get(5)?,
                kind: r.get(6)?,
                data: r.get(7)?,
                fts: None,
            })
        })
        .expect("query")
        .collect::<rusqlite::Result<_>>()
        .expect("rows");
    let fts_rows: i64 = conn
        .query_row("SELECT COUNT(*) FROM events_text", [], |r| r.get(0))
        .expect("count fts");
    drop(stmt);
    drop(conn);
    remove_db(&path);
    assert_eq!(stored.len(), rows.len());
    for (s, r) in stored.iter().zip(rows) {
        let r = Row {
            fts: None,
            ..r.clone()
        };
        assert_eq!(*s, r, "raw rows must be the rows the store writes");
    }
    assert_eq!(
        fts_rows as usize,
        rows.iter().filter(|r| r.fts.is_some()).count()
    );
}

fn describe(rows: &[Row]) {
    let mut by_kind: std::collections::BTreeMap<&str, (usize, usize)> = Default::default();
    for r in rows {
        let e = by_kind.entry(r.kind.as_str()).or_default();
        e.0 += 1;
        e.1 += r.data.len();
    }
    let total: usize = rows.iter().map(|r| r.data.len()).sum();
    eprintln!(
        "event mix ({} events, mean data JSON {} bytes):",
        rows.len(),
        total / rows.len()
    );
    for (kind, (n, bytes)) in by_kind {
        eprintln!(
            "  {kind:12} {:5.1}%  mean data JSON {:5} bytes",
            100.0 * n as f64 / rows.len() as f64,
            bytes / n
        );
    }
}

// ---------------------------------------------------------------------------------
// Benchmarks
// ---------------------------------------------------------------------------------

fn benches(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let events = session_events(CAPTURE_POOL, 0x5EED_2024);
    let append_events = &events[..APPEND_POOL];
    let rows = rows_for(append_events);
    verify_same_rows(&append_events[..2000], &rows[..2000], dir.path());
    describe(&rows);

    // Per batch size, store, raw and the ladder run back to back, so that they see the
    // same machine state (the disk is shared: fsync latency drifts during a run).
    for batch in BATCHES {
        let mut group = c.benchmark_group("append");
        group.sampling_mode(SamplingMode::Flat);
        group.throughput(Throughput::Elements(batch as u64));
        group.bench_with_input(BenchmarkId::new("store", batch), &batch, |b, &batch| {
            b.iter_custom(|iters| time_store(append_events, batch, iters, dir.path()))
        });
        group.bench_with_input(BenchmarkId::new("raw", batch), &batch, |b, &batch| {
            b.iter_custom(|iters| time_raw(&rows, append_events, batch, iters, dir.path(), RAW))
        });
        group.finish();

        let mut group = c.benchmark_group("breakdown");
        group.sampling_mode(SamplingMode::Flat);
        group.throughput(Throughput::Elements(batch as u64));
        for (name, opts) in LADDER {
            group.bench_with_input(BenchmarkId::new(name, batch), &batch, |b, &batch| {
                b.iter_custom(|iters| {
                    time_raw(&rows, append_events, batch, iters, dir.path(), opts)
                })
            });
        }
        group.finish();

        let mut group = c.benchmark_group("index");
        group.sampling_mode(SamplingMode::Flat);
        group.throughput(Throughput::Elements(batch as u64));
        group.bench_with_input(
            BenchmarkId::new("store_then_index", batch),
            &batch,
            |b, &batch| {
                b.iter_custom(|iters| {
                    time_store_then_index(append_events, batch, iters, dir.path())
                })
            },
        );
        group.bench_with_input(BenchmarkId::new("raw_fts", batch), &batch, |b, &batch| {
            b.iter_custom(|iters| time_raw(&rows, append_events, batch, iters, dir.path(), RAW_FTS))
        });
        group.finish();
    }

    // `capture` next to the append of the batch it flushes (the default `batch_size`).
    let flush_batch = Config::default().batch_size;
    let mut group = c.benchmark_group("append");
    group.sampling_mode(SamplingMode::Flat);
    group.throughput(Throughput::Elements(flush_batch as u64));
    group.bench_with_input(
        BenchmarkId::new("store", flush_batch),
        &flush_batch,
        |b, &batch| b.iter_custom(|iters| time_store(append_events, batch, iters, dir.path())),
    );
    group.finish();

    let mut group = c.benchmark_group("capture");
    group.sampling_mode(SamplingMode::Flat);
    group.throughput(Throughput::Elements(1));
    group.bench_function("hivemind", |b| {
        b.iter_custom(|iters| time_capture(&events, iters, dir.path()))
    });
    group.bench_function("hivemind-call", |b| {
        b.iter_custom(|iters| time_capture_calls(&events, iters, dir.path()))
    });
    group.bench_function("sanitize_event", |b| {
        b.iter_custom(|iters| time_sanitize(&events, iters))
    });
    group.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4))
}

criterion_group! {
    name = capture;
    config = config();
    targets = benches
}
criterion_main!(capture);
