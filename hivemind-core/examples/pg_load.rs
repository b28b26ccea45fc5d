//! Load through sync: N machines (SQLite homes) push M events each to one PostgreSQL
//! store at the same time; prints rows per second and checks every row arrived once.
//!
//! Run: `cargo run --release -p hivemind-core --features postgres --example pg_load --
//! [writers=8] [events_per_writer=10000] [batch=500]`, against `HIVEMIND_PG_TEST_URL`
//! (default `postgres://postgres@127.0.0.1:5432/test`). Uses a fresh schema, dropped at
//! the end. Two runs: all writers in one workspace (a team on one repository: writes of
//! one workspace are serialized by the store), then one workspace per writer.
#![allow(clippy::print_stdout, clippy::unwrap_used)]

use hivemind_core::sync::{sync, SyncOptions};
use hivemind_core::{
    Agent, Event, EventKind, PgOptions, PostgresStore, SessionId, SqliteStore, Store, WorkspaceId,
};
use std::time::Instant;

fn main() -> hivemind_core::Result<()> {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .map(|a| a.parse().expect("numeric arguments"))
        .collect();
    let writers = args.first().copied().unwrap_or(8);
    let per_writer = args.get(1).copied().unwrap_or(10_000);
    let batch = args.get(2).copied().unwrap_or(500);
    let url = std::env::var("HIVEMIND_PG_TEST_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    for distinct in [false, true] {
        run(&url, writers, per_writer, batch, distinct)?;
    }
    Ok(())
}

fn run(
    url: &str,
    writers: usize,
    per_writer: usize,
    batch: usize,
    distinct: bool,
) -> hivemind_core::Result<()> {
    let schema = format!("hm_load_{}", uuid::Uuid::new_v4().simple());
    let options = PgOptions::new(url).schema(schema.clone());
    let admin = PostgresStore::connect_with(options.clone())?;
    let dir = tempfile::tempdir().map_err(|e| hivemind_core::Error::Storage(e.to_string()))?;
    let mut locals = Vec::new();
    for i in 0..writers {
        let w = workspace(i, distinct);
        let local = SqliteStore::open(dir.path().join(format!("m{i}.db")))?;
        let events: Vec<Event> = (0..per_writer)
            .map(|n| {
                Event::new(
                    w.clone(),
                    SessionId::new(format!("m{i}-s{}", n % 10)).unwrap(),
                    Agent::ClaudeCode,
                    EventKind::Prompt {
                        text: format!("machine {i} prompt {n}: install zod with pnpm please"),
                    },
                )
            })
            .collect();
        local.append_events(&events)?;
        locals.push((local, w));
    }
    let start = Instant::now();
    let pushed: usize = std::thread::scope(|scope| {
        let handles: Vec<_> = locals
            .iter()
            .map(|(local, w)| {
                let options = options.clone();
                scope.spawn(move || -> hivemind_core::Result<usize> {
                    let remote = PostgresStore::connect_with(options)?;
                    let opts = SyncOptions {
                        batch_size: batch,
                        ..Default::default()
                    };
                    Ok(sync(local, &remote, std::slice::from_ref(w), &opts)?.events_pushed)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("writer thread").unwrap())
            .sum()
    });
    let secs = start.elapsed().as_secs_f64();
    let mut stored = 0u64;
    for (_, w) in locals.iter().take(if distinct { writers } else { 1 }) {
        stored += admin.stats(w)?.events;
    }
    let total = writers * per_writer;
    assert_eq!(pushed, total, "rows reported new");
    assert_eq!(stored, total as u64, "rows stored");
    println!(
        "{writers} writers x {per_writer} events ({}): {total} rows in {secs:.2} s = {:.0} rows/s, each once",
        if distinct {
            "one workspace each"
        } else {
            "one shared workspace"
        },
        total as f64 / secs
    );
    drop(admin);
    let mut client = url
        .parse::<postgres::Config>()
        .map_err(|e| hivemind_core::Error::Storage(e.to_string()))?
        .connect(postgres::NoTls)?;
    client.batch_execute(&format!("DROP SCHEMA \"{schema}\" CASCADE"))?;
    Ok(())
}

fn workspace(i: usize, distinct: bool) -> WorkspaceId {
    if distinct {
        WorkspaceId::new(format!("github.com/acme/repo-{i}")).unwrap()
    } else {
        WorkspaceId::new("github.com/acme/shop").unwrap()
    }
}
