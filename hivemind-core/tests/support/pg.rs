//! Test support for the PostgreSQL store: the server URL, one fresh schema per test.
//!
//! The server is `HIVEMIND_PG_TEST_URL`, else `postgres://postgres@127.0.0.1:5432/test`.
//! When the variable is unset and the default server is unreachable, tests print why
//! and return early (a machine without PostgreSQL), except under CI (`CI` set), where
//! that is a failure; when the variable is set, an unreachable server is a failure.
#![allow(dead_code)]

use hivemind_core::{PgOptions, PostgresStore};
use std::sync::OnceLock;
use std::time::Duration;

pub const DEFAULT_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

/// The test server's URL, or `None` (with a message) when tests should be skipped.
pub fn url() -> Option<String> {
    static URL: OnceLock<Option<String>> = OnceLock::new();
    URL.get_or_init(|| {
        if let Some(u) = std::env::var("HIVEMIND_PG_TEST_URL")
            .ok()
            .filter(|u| !u.trim().is_empty())
        {
            return Some(u);
        }
        let mut cfg: postgres::Config = DEFAULT_URL.parse().unwrap();
        cfg.connect_timeout(Duration::from_secs(3));
        match cfg.connect(postgres::NoTls) {
            Ok(_) => Some(DEFAULT_URL.to_string()),
            Err(e) if std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false") => {
                panic!(
                    "CI is set and the PostgreSQL test server {DEFAULT_URL} is unreachable \
                     ({e}); CI must run the PostgreSQL tests"
                )
            }
            Err(e) => {
                eprintln!(
                    "SKIPPED: PostgreSQL tests need a server: HIVEMIND_PG_TEST_URL is unset and \
                     {DEFAULT_URL} is unreachable ({e})"
                );
                None
            }
        }
    })
    .clone()
}

/// A plain client on the test server (setup, teardown, sabotage).
pub fn admin(url: &str) -> postgres::Client {
    url.parse::<postgres::Config>()
        .unwrap()
        .connect(postgres::NoTls)
        .unwrap()
}

/// A schema name no other test uses.
pub fn fresh_schema() -> String {
    format!("hm_test_{}", uuid::Uuid::new_v4().simple())
}

/// Drops its schema (and everything in it) when dropped.
#[derive(Debug)]
pub struct SchemaGuard {
    pub url: String,
    pub schema: String,
}

impl Drop for SchemaGuard {
    fn drop(&mut self) {
        let sql = format!("DROP SCHEMA IF EXISTS \"{}\" CASCADE", self.schema);
        if let Err(e) = admin(&self.url).batch_execute(&sql) {
            eprintln!("could not drop test schema {}: {e}", self.schema);
        }
    }
}

/// Options for a fresh schema on the test server, and its guard.
pub fn options() -> Option<(PgOptions, SchemaGuard)> {
    let url = url()?;
    let schema = fresh_schema();
    let guard = SchemaGuard {
        url: url.clone(),
        schema: schema.clone(),
    };
    Some((PgOptions::new(url).schema(schema), guard))
}

/// A store on a fresh schema, and its guard (drop the store first).
pub fn store() -> Option<(PostgresStore, SchemaGuard)> {
    let (opts, guard) = options()?;
    Some((PostgresStore::connect_with(opts).unwrap(), guard))
}
