//! The PostgreSQL store: the shared store of a team (feature `postgres`).
//!
//! [`PostgresStore`] implements [`Store`] with the same semantics as
//! [`SqliteStore`](super::SqliteStore) (the contract suite runs against both):
//!
//! - **Own migrations**, recorded in a `schema_version` table of the store's schema
//!   (default `hivemind`, created when missing), applied under an advisory lock so that
//!   several machines may connect for the first time at once.
//! - **Full-text search** on PostgreSQL's `tsvector`/`tsquery` with GIN indexes and
//!   `ts_rank`. Documents and queries are split into words by
//!   [`search_terms`](super::search_terms) on our side and handed over as typed
//!   lexemes, so tokenization is identical to the other stores whatever the server's
//!   locale, and no user text is ever parsed as query syntax.
//! - **Every query parameterized** and **filtered by workspace**. The only SQL built
//!   from data is the schema name, quoted as an identifier.
//! - **Exact times**: timestamps are stored as RFC 3339 text (nanoseconds kept) beside a
//!   nanosecond `BIGINT` used for ordering and filtering (`timestamptz` would keep
//!   microseconds only).
//! - **Change log**: every row has a `pos` from a sequence. Writers of one workspace
//!   and table take a transaction-level advisory lock before drawing positions, so
//!   positions grow in commit order within a workspace and a reader of
//!   [`Store::events_after`] (and the other `*_after` methods) never misses a row that
//!   was committed late.
//!
//! # Threads and runtimes
//!
//! The store owns one connection, driven by the blocking `postgres` client on a
//! dedicated worker thread: every call is sent to that thread and waits for its
//! answer. The blocking client must never run inside a tokio runtime (it would
//! panic); the worker thread has no runtime, so calling the store from anywhere is
//! safe, including from async code (it then blocks the calling thread like any
//! [`Store`]: prefer `tokio::task::spawn_blocking`). Calls are serialized on the one
//! connection; open several stores for parallel writers.
//!
//! A dropped connection fails the call that was running; the next call reconnects.
//!
//! # TLS
//!
//! Plain TCP unless the URL says `sslmode=require`: then TLS through rustls, the
//! server's certificate verified against the Mozilla roots (`webpki-roots`) plus
//! the PEM certificates of [`PgOptions::ca_file`] (`HIVEMIND_PG_CA_FILE`). `prefer`
//! (the default) does not attempt TLS: a connection that is not verified is not worth
//! encrypting opportunistically, and libpq-style unverified TLS is not offered.
//!
//! # Limits
//!
//! PostgreSQL `text` cannot hold the NUL character: a state value, agent name or skill
//! description containing `\0` is refused with [`Error::InvalidInput`] (event and
//! correction contents are stored as JSON, where NUL is escaped, and are not affected).

use super::{
    nanos, search_terms, Positioned, SearchHit, SearchScope, SkillSummary, Store, StoreStats,
};
use crate::error::{Error, Result};
use crate::model::{
    Agent, Correction, CorrectionFilter, Event, EventId, EventKind, SessionId, Skill, SkillName,
    WorkspaceId,
};
use postgres::{Client, NoTls, Statement};
use std::collections::{BTreeSet, HashMap, HashSet};
use std::fmt;
use std::path::PathBuf;
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

/// Schema migrations, applied in order; `schema_version` records how many ran.
const MIGRATIONS: &[&str] = &[
    // 1: events, corrections, skills (+ their search rows), state.
    r#"
    CREATE TABLE events (
        id TEXT COLLATE "C" PRIMARY KEY,
        pos BIGSERIAL NOT NULL,
        workspace TEXT COLLATE "C" NOT NULL,
        session TEXT COLLATE "C" NOT NULL,
        agent TEXT NOT NULL,
        seq BIGINT NOT NULL,
        at TEXT NOT NULL,
        at_ns BIGINT NOT NULL,
        kind TEXT NOT NULL,
        data TEXT NOT NULL,
        tsv TSVECTOR
    );
    CREATE UNIQUE INDEX events_by_session ON events (workspace, session, seq);
    CREATE UNIQUE INDEX events_by_pos ON events (workspace, pos);
    CREATE INDEX events_fts ON events USING GIN (tsv);
    CREATE TABLE corrections (
        id TEXT COLLATE "C" PRIMARY KEY,
        pos BIGSERIAL NOT NULL,
        workspace TEXT COLLATE "C" NOT NULL,
        session TEXT COLLATE "C" NOT NULL,
        kind TEXT NOT NULL,
        created_ns BIGINT NOT NULL,
        data TEXT NOT NULL,
        tsv TSVECTOR NOT NULL
    );
    CREATE INDEX corrections_by_time ON corrections (workspace, created_ns, id);
    CREATE UNIQUE INDEX corrections_by_pos ON corrections (workspace, pos);
    CREATE INDEX corrections_fts ON corrections USING GIN (tsv);
    CREATE TABLE skills (
        workspace TEXT COLLATE "C" NOT NULL,
        name TEXT COLLATE "C" NOT NULL,
        version BIGINT NOT NULL,
        pos BIGSERIAL NOT NULL,
        updated_at TEXT NOT NULL,
        updated_ns BIGINT NOT NULL,
        description TEXT NOT NULL,
        support BIGINT NOT NULL,
        data TEXT NOT NULL,
        PRIMARY KEY (workspace, name, version)
    );
    CREATE UNIQUE INDEX skills_by_pos ON skills (workspace, pos);
    CREATE TABLE skills_search (
        workspace TEXT COLLATE "C" NOT NULL,
        name TEXT COLLATE "C" NOT NULL,
        tsv TSVECTOR NOT NULL,
        PRIMARY KEY (workspace, name)
    );
    CREATE INDEX skills_fts ON skills_search USING GIN (tsv);
    CREATE TABLE state (
        workspace TEXT COLLATE "C" NOT NULL,
        key TEXT COLLATE "C" NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (workspace, key)
    );
    "#,
];

/// How to reach the PostgreSQL store.
#[derive(Clone)]
pub struct PgOptions {
    /// A libpq-style URL (`postgres://user:password@host:5432/db?sslmode=require`) or
    /// `key=value` string. `application_name`, `connect_timeout`, `sslmode` and
    /// `options` are honoured.
    pub url: String,
    /// The schema holding hivemind's tables; created when missing (default `hivemind`).
    pub schema: String,
    /// `application_name` of the connection, unless the URL sets one (default
    /// `hivemind`).
    pub application_name: Option<String>,
    /// PEM file of extra certificate authorities trusted for TLS (besides the Mozilla
    /// roots), e.g. a company CA.
    pub ca_file: Option<PathBuf>,
    /// Connection timeout, unless the URL sets one (default 10 seconds).
    pub connect_timeout: Duration,
}

impl PgOptions {
    /// Options for `url` with the defaults.
    pub fn new(url: impl Into<String>) -> Self {
        PgOptions {
            url: url.into(),
            schema: "hivemind".into(),
            application_name: None,
            ca_file: None,
            connect_timeout: Duration::from_secs(10),
        }
    }

    /// Options from a configuration: its `pg_url` (config file or `HIVEMIND_PG_URL`),
    /// and `HIVEMIND_PG_CA_FILE` and `HIVEMIND_PG_SCHEMA` when set. `None` when no URL
    /// is configured.
    pub fn from_config(config: &crate::Config) -> Option<Self> {
        let url = config.pg_url.as_deref()?.trim();
        if url.is_empty() {
            return None;
        }
        let mut o = PgOptions::new(url);
        o.ca_file = std::env::var_os("HIVEMIND_PG_CA_FILE")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from);
        if let Some(schema) = std::env::var("HIVEMIND_PG_SCHEMA")
            .ok()
            .filter(|s| !s.trim().is_empty())
        {
            o.schema = schema.trim().to_string();
        }
        Some(o)
    }

    /// `host:port/database/schema` of the store these options reach, without
    /// credentials (what [`PostgresStore::label`] returns once connected).
    pub fn label(&self) -> Result<String> {
        let config: postgres::Config = self.url.parse().map_err(|e| {
            Error::invalid(format!("PostgreSQL URL {}: {e}", redact_url(&self.url)))
        })?;
        Ok(server_label(&config, &self.schema))
    }

    /// Sets the schema.
    pub fn schema(mut self, schema: impl Into<String>) -> Self {
        self.schema = schema.into();
        self
    }

    /// Sets the application name.
    pub fn application_name(mut self, name: impl Into<String>) -> Self {
        self.application_name = Some(name.into());
        self
    }
}

impl fmt::Debug for PgOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PgOptions")
            .field("url", &redact_url(&self.url))
            .field("schema", &self.schema)
            .field("application_name", &self.application_name)
            .field("ca_file", &self.ca_file)
            .field("connect_timeout", &self.connect_timeout)
            .finish()
    }
}

/// `url` with any password replaced by `***` (for logs and `Debug`).
pub(crate) fn redact_url(url: &str) -> String {
    // URL form: scheme://user:password@host...
    if let Some((scheme, rest)) = url.split_once("://") {
        let (auth_end, _) = rest
            .char_indices()
            .find(|(_, c)| matches!(c, '/' | '?'))
            .unwrap_or((rest.len(), ' '));
        let authority = &rest[..auth_end];
        if let Some((userinfo, host)) = authority.rsplit_once('@') {
            if let Some((user, _)) = userinfo.split_once(':') {
                let mut out = format!("{scheme}://{user}:***@{host}{}", &rest[auth_end..]);
                redact_query_password(&mut out);
                return out;
            }
        }
        let mut out = url.to_string();
        redact_query_password(&mut out);
        return out;
    }
    // key=value form.
    url.split_whitespace()
        .map(|kv| match kv.split_once('=') {
            Some((k, _)) if k.eq_ignore_ascii_case("password") => format!("{k}=***"),
            _ => kv.to_string(),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn redact_query_password(url: &mut String) {
    let Some(q) = url.find('?') else { return };
    let (head, query) = url.split_at(q + 1);
    let query = query
        .split('&')
        .map(|kv| match kv.split_once('=') {
            Some((k, _)) if k.eq_ignore_ascii_case("password") => format!("{k}=***"),
            _ => kv.to_string(),
        })
        .collect::<Vec<_>>()
        .join("&");
    *url = format!("{head}{query}");
}

/// A [`Store`] on a PostgreSQL server, shared by the machines of a team.
///
/// See the [module documentation](self) for the schema, search, threading and TLS.
pub struct PostgresStore {
    jobs: Option<mpsc::Sender<Job>>,
    worker: Option<JoinHandle<()>>,
    schema: String,
    label: String,
}

impl fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PostgresStore")
            .field("server", &self.label)
            .finish()
    }
}

type Job = Box<dyn FnOnce(&mut Worker) + Send>;

enum Tls {
    None,
    Rustls(Box<tokio_postgres_rustls::MakeRustlsConnect>),
}

/// The worker thread's side: the configuration and the live connection, if any.
struct Worker {
    config: postgres::Config,
    tls: Tls,
    schema: String,
    session: Option<Session>,
}

/// One live connection and its prepared statements.
struct Session {
    client: Client,
    statements: HashMap<&'static str, Statement>,
}

impl Session {
    /// The prepared statement for `sql` (prepared once per connection).
    fn st(&mut self, sql: &'static str) -> Result<Statement> {
        if let Some(s) = self.statements.get(sql) {
            return Ok(s.clone());
        }
        let s = self.client.prepare(sql)?;
        self.statements.insert(sql, s.clone());
        Ok(s)
    }
}

impl Worker {
    fn connect(&self) -> Result<Client> {
        let mut client = match &self.tls {
            Tls::None => self.config.connect(NoTls),
            Tls::Rustls(make) => self.config.connect((**make).clone()),
        }?;
        client.batch_execute(&format!("SET search_path TO {}", quote_ident(&self.schema)))?;
        Ok(client)
    }

    fn session(&mut self) -> Result<&mut Session> {
        if self.session.as_ref().is_some_and(|s| s.client.is_closed()) {
            tracing::info!("postgres connection closed; reconnecting");
            self.session = None;
        }
        if self.session.is_none() {
            let client = self.connect()?;
            self.session = Some(Session {
                client,
                statements: HashMap::new(),
            });
        }
        match self.session.as_mut() {
            Some(s) => Ok(s),
            None => Err(Error::Storage("postgres: no connection".into())),
        }
    }
}

impl PostgresStore {
    /// Connects to `url` with the default options (schema `hivemind`) and migrates.
    pub fn connect(url: &str) -> Result<Self> {
        Self::connect_with(PgOptions::new(url))
    }

    /// Connects with `options`, creates the schema if needed and migrates it.
    pub fn connect_with(options: PgOptions) -> Result<Self> {
        let mut config: postgres::Config = options.url.parse().map_err(|e| {
            Error::invalid(format!("PostgreSQL URL {}: {e}", redact_url(&options.url)))
        })?;
        check_schema_name(&options.schema)?;
        if config.get_application_name().is_none() || options.application_name.is_some() {
            config.application_name(options.application_name.as_deref().unwrap_or("hivemind"));
        }
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(options.connect_timeout);
        }
        config.keepalives(true);
        config.keepalives_idle(Duration::from_secs(30));
        let tls = if matches!(config.get_ssl_mode(), postgres::config::SslMode::Require) {
            Tls::Rustls(Box::new(rustls_connector(options.ca_file.as_deref())?))
        } else {
            Tls::None
        };
        let label = server_label(&config, &options.schema);
        let mut worker = Worker {
            config,
            tls,
            schema: options.schema.clone(),
            session: None,
        };
        let (tx, rx) = mpsc::channel::<Job>();
        let handle = std::thread::Builder::new()
            .name("hivemind-postgres".into())
            .spawn(move || {
                while let Ok(job) = rx.recv() {
                    job(&mut worker);
                }
            })
            .map_err(|e| Error::Storage(format!("cannot start the postgres thread: {e}")))?;
        let store = PostgresStore {
            jobs: Some(tx),
            worker: Some(handle),
            schema: options.schema,
            label,
        };
        let schema = store.schema.clone();
        store.call(move |w| {
            migrate(w, &schema)?;
            Ok(())
        })?;
        tracing::debug!(server = %store.label, "postgres store ready");
        Ok(store)
    }

    /// The schema holding the tables.
    pub fn schema(&self) -> &str {
        &self.schema
    }

    /// `host:port/database/schema`, without credentials: a stable name for this store
    /// (e.g. in sync watermark keys and logs).
    pub fn label(&self) -> &str {
        &self.label
    }

    /// Runs `f` on the worker thread with a live connection (reconnecting if needed).
    fn call<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Worker) -> Result<R> + Send + 'static,
    ) -> Result<R> {
        let (reply_tx, reply_rx) = mpsc::sync_channel(1);
        let job: Job = Box::new(move |w: &mut Worker| {
            let _ = reply_tx.send(f(w));
        });
        let stopped = || Error::Storage("the postgres worker thread stopped".into());
        self.jobs
            .as_ref()
            .ok_or_else(stopped)?
            .send(job)
            .map_err(|_| stopped())?;
        reply_rx.recv().map_err(|_| stopped())?
    }

    /// Like [`call`](Self::call) with the connection's [`Session`].
    fn with<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Session, &str) -> Result<R> + Send + 'static,
    ) -> Result<R> {
        self.call(move |w| {
            let schema = w.schema.clone();
            let s = w.session()?;
            f(s, &schema)
        })
    }
}

impl Drop for PostgresStore {
    fn drop(&mut self) {
        // Closing the channel ends the worker loop, which drops (closes) the connection.
        self.jobs = None;
        if let Some(h) = self.worker.take() {
            let _ = h.join();
        }
    }
}

fn rustls_connector(
    ca_file: Option<&std::path::Path>,
) -> Result<tokio_postgres_rustls::MakeRustlsConnect> {
    use rustls::pki_types::{pem::PemObject, CertificateDer};
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    if let Some(path) = ca_file {
        let certs = CertificateDer::pem_file_iter(path)
            .map_err(|e| Error::invalid(format!("CA file {}: {e}", path.display())))?;
        for cert in certs {
            let cert =
                cert.map_err(|e| Error::invalid(format!("CA file {}: {e}", path.display())))?;
            roots
                .add(cert)
                .map_err(|e| Error::invalid(format!("CA file {}: {e}", path.display())))?;
        }
    }
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Storage(format!("TLS setup: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(tokio_postgres_rustls::MakeRustlsConnect::new(config))
}

fn server_label(config: &postgres::Config, schema: &str) -> String {
    let host = match config.get_hosts().first() {
        Some(postgres::config::Host::Tcp(h)) => h.clone(),
        Some(postgres::config::Host::Unix(p)) => p.display().to_string(),
        None => "localhost".into(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let db = config
        .get_dbname()
        .or(config.get_user())
        .unwrap_or("postgres");
    format!("{host}:{port}/{db}/{schema}")
}

fn check_schema_name(schema: &str) -> Result<()> {
    if schema.is_empty() || schema.len() > 63 || schema.contains('\0') {
        return Err(Error::invalid(format!(
            "PostgreSQL schema name {schema:?} must be 1 to 63 bytes without NUL"
        )));
    }
    Ok(())
}

/// Quotes an identifier for SQL (`"` doubled).
fn quote_ident(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// A stable 64-bit advisory lock key for (schema, table, workspace).
fn lock_key(schema: &str, table: &str, workspace: &str) -> i64 {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(b"hivemind\0");
    h.update(schema.as_bytes());
    h.update(b"\0");
    h.update(table.as_bytes());
    h.update(b"\0");
    h.update(workspace.as_bytes());
    let d = h.finalize();
    let mut b = [0u8; 8];
    b.copy_from_slice(&d[..8]);
    i64::from_be_bytes(b)
}

/// Takes the (schema, table, workspace) write locks of a transaction, in name order.
fn lock_workspaces<'a>(
    tx: &mut postgres::Transaction<'_>,
    lock: &Statement,
    schema: &str,
    table: &str,
    workspaces: impl IntoIterator<Item = &'a str>,
) -> Result<()> {
    let sorted: BTreeSet<&str> = workspaces.into_iter().collect();
    for w in sorted {
        tx.execute(lock, &[&lock_key(schema, table, w)])?;
    }
    Ok(())
}

const LOCK: &str = "SELECT pg_advisory_xact_lock($1)";

fn migrate(w: &mut Worker, schema: &str) -> Result<()> {
    let s = w.session()?;
    let mut tx = s.client.transaction()?;
    tx.execute(LOCK, &[&lock_key(schema, "", "migrate")])?;
    let exists = tx
        .query_opt("SELECT 1 FROM pg_namespace WHERE nspname = $1", &[&schema])?
        .is_some();
    if !exists {
        tx.batch_execute(&format!("CREATE SCHEMA {}", quote_ident(schema)))?;
    }
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS schema_version (
             id INTEGER PRIMARY KEY CHECK (id = 1),
             version INTEGER NOT NULL
         )",
    )?;
    let current: i32 = tx
        .query_opt("SELECT version FROM schema_version WHERE id = 1", &[])?
        .map(|r| r.get(0))
        .unwrap_or(0);
    let current = usize::try_from(current).unwrap_or(0);
    if current > MIGRATIONS.len() {
        return Err(Error::Storage(format!(
            "PostgreSQL schema {schema} is at version {current}, newer than this hivemind ({}); upgrade hivemind",
            MIGRATIONS.len()
        )));
    }
    for (i, m) in MIGRATIONS.iter().enumerate().skip(current) {
        tx.batch_execute(m)
            .map_err(|e| Error::Storage(format!("PostgreSQL migration {} failed: {e}", i + 1)))?;
        tracing::info!(schema, version = i + 1, "migrated the postgres store");
    }
    let version = i32::try_from(MIGRATIONS.len()).unwrap_or(i32::MAX);
    tx.execute(
        "INSERT INTO schema_version (id, version) VALUES (1, $1)
         ON CONFLICT (id) DO UPDATE SET version = excluded.version",
        &[&version],
    )?;
    tx.commit()?;
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Full-text search: lexemes computed here, handed to PostgreSQL as typed values
// ---------------------------------------------------------------------------------------

/// PostgreSQL refuses lexemes of 2 KiB and more.
const MAX_LEXEME_BYTES: usize = 2046;
/// Positions above this are clamped by PostgreSQL.
const MAX_POSITION: usize = 16383;
/// Positions kept per lexeme (PostgreSQL keeps at most 256).
const MAX_POSITIONS_PER_LEXEME: usize = 255;
/// Lexeme bytes kept per document (a `tsvector` is limited to 1 MiB).
const MAX_DOC_BYTES: usize = 512 * 1024;

/// A `tsvector` literal for weighted texts: every word (as [`search_terms`] splits
/// them) with its positions and weight (`A`..`D`, `D` is the default). Words are
/// letters, digits and `_` only, so quoting them needs no escaping.
fn tsvector_literal(parts: &[(&str, char)]) -> String {
    let mut lexemes: HashMap<String, Vec<(usize, char)>> = HashMap::new();
    let mut order: Vec<String> = Vec::new();
    let mut bytes = 0usize;
    let mut position = 0usize;
    for (text, weight) in parts {
        for word in text.split(|c: char| !(c.is_alphanumeric() || c == '_')) {
            if word.chars().count() < 2 {
                continue;
            }
            let word = word.to_lowercase();
            if word.len() > MAX_LEXEME_BYTES {
                continue;
            }
            position = (position + 1).min(MAX_POSITION);
            match lexemes.get_mut(&word) {
                Some(ps) => {
                    if ps.len() < MAX_POSITIONS_PER_LEXEME
                        && ps.last().is_none_or(|(p, _)| *p < position)
                    {
                        ps.push((position, *weight));
                    }
                }
                None => {
                    if bytes + word.len() > MAX_DOC_BYTES {
                        continue;
                    }
                    bytes += word.len();
                    order.push(word.clone());
                    lexemes.insert(word, vec![(position, *weight)]);
                }
            }
        }
    }
    let mut out = String::with_capacity(bytes + order.len() * 8);
    for word in &order {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push('\'');
        out.push_str(word);
        out.push('\'');
        if let Some(ps) = lexemes.get(word) {
            for (i, (p, w)) in ps.iter().enumerate() {
                out.push(if i == 0 { ':' } else { ',' });
                out.push_str(&p.to_string());
                if *w != 'D' {
                    out.push(*w);
                }
            }
        }
    }
    out
}

/// A `tsquery` literal matching any of the query's words; `None` when it has none.
fn tsquery_literal(query: &str) -> Option<String> {
    let terms: Vec<String> = search_terms(query, 32)
        .into_iter()
        .filter(|t| t.len() <= MAX_LEXEME_BYTES)
        .map(|t| format!("'{t}'"))
        .collect();
    if terms.is_empty() {
        None
    } else {
        Some(terms.join(" | "))
    }
}

fn skill_tsvector(skill: &Skill) -> String {
    let name = skill.name.as_str().replace('-', " ");
    tsvector_literal(&[(&name, 'A'), (&skill.description, 'B'), (&skill.body, 'D')])
}

// ---------------------------------------------------------------------------------------
// Row conversions
// ---------------------------------------------------------------------------------------

fn no_nul<'a>(what: &str, s: &'a str) -> Result<&'a str> {
    if s.contains('\0') {
        return Err(Error::invalid(format!(
            "{what} contains a NUL character, which PostgreSQL cannot store"
        )));
    }
    Ok(s)
}

fn parse_time(at: &str) -> Result<chrono::DateTime<chrono::Utc>> {
    Ok(chrono::DateTime::parse_from_rfc3339(at)
        .map_err(|e| Error::Storage(format!("corrupt timestamp {at:?}: {e}")))?
        .with_timezone(&chrono::Utc))
}

fn limit_param(limit: usize) -> i64 {
    i64::try_from(limit).unwrap_or(i64::MAX)
}

/// `id, agent, seq, at, data` of an event row, starting at column `i`.
fn event_from_row(
    row: &postgres::Row,
    i: usize,
    workspace: &WorkspaceId,
    session: SessionId,
) -> Result<Event> {
    let id: String = row.try_get(i)?;
    let agent: String = row.try_get(i + 1)?;
    let seq: i64 = row.try_get(i + 2)?;
    let at: String = row.try_get(i + 3)?;
    let data: String = row.try_get(i + 4)?;
    let kind: EventKind = serde_json::from_str(&data)
        .map_err(|e| Error::Storage(format!("corrupt event row {id}: {e}")))?;
    Ok(Event {
        id: EventId::new(id)?,
        workspace: workspace.clone(),
        session,
        // Stored names are read back leniently: a row must never become unreadable.
        agent: agent.parse().unwrap_or(Agent::Custom(agent)),
        seq: u64::try_from(seq).unwrap_or(0),
        at: parse_time(&at)?,
        kind,
    })
}

fn correction_from_json(data: &str) -> Result<Correction> {
    serde_json::from_str(data).map_err(|e| Error::Storage(format!("corrupt correction row: {e}")))
}

fn skill_from_json(data: &str) -> Result<Skill> {
    serde_json::from_str(data).map_err(|e| Error::Storage(format!("corrupt skill row: {e}")))
}

/// An event ready to insert (computed on the caller's thread).
struct EventRow {
    id: String,
    workspace: String,
    session: String,
    agent: String,
    at: String,
    at_ns: i64,
    kind: String,
    data: String,
    tsv: Option<String>,
}

// ---------------------------------------------------------------------------------------
// The Store implementation
// ---------------------------------------------------------------------------------------

impl Store for PostgresStore {
    fn append_events(&self, events: &[Event]) -> Result<usize> {
        if events.is_empty() {
            return Ok(0);
        }
        // Deduplicate within the batch (first occurrence wins) and serialize here.
        let mut seen: HashSet<&str> = HashSet::new();
        let mut rows: Vec<EventRow> = Vec::with_capacity(events.len());
        for e in events {
            if !seen.insert(e.id.as_str()) {
                continue;
            }
            rows.push(EventRow {
                id: e.id.as_str().to_string(),
                workspace: e.workspace.as_str().to_string(),
                session: e.session.as_str().to_string(),
                agent: no_nul("agent name", e.agent.as_str())?.to_string(),
                at: e.at.to_rfc3339(),
                at_ns: nanos(e.at),
                kind: e.kind.name().to_string(),
                data: serde_json::to_string(&e.kind)?,
                tsv: e
                    .kind
                    .searchable_text()
                    .map(|t| tsvector_literal(&[(t, 'D')])),
            });
        }
        self.with(move |s, schema| {
            let lock = s.st(LOCK)?;
            let existing_q = s.st("SELECT id FROM events WHERE id = ANY($1::text[])")?;
            let max_q = s.st("SELECT u.w, u.s, (SELECT MAX(e.seq) FROM events e
                                    WHERE e.workspace = u.w AND e.session = u.s)
                 FROM unnest($1::text[], $2::text[]) AS u(w, s)")?;
            let insert = s.st(
                "INSERT INTO events (id, workspace, session, agent, seq, at, at_ns, kind, data, tsv)
                 SELECT id, w, s, agent, seq, at, at_ns, kind, data, tsv::tsvector
                 FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int8[],
                             $6::text[], $7::int8[], $8::text[], $9::text[], $10::text[])
                      WITH ORDINALITY AS u(id, w, s, agent, seq, at, at_ns, kind, data, tsv, ord)
                 ORDER BY ord
                 ON CONFLICT (id) DO NOTHING",
            )?;
            let mut tx = s.client.transaction()?;
            lock_workspaces(
                &mut tx,
                &lock,
                schema,
                "events",
                rows.iter().map(|r| r.workspace.as_str()),
            )?;
            let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
            let existing: HashSet<String> = tx
                .query(&existing_q, &[&ids])?
                .iter()
                .map(|r| r.try_get::<_, String>(0))
                .collect::<std::result::Result<_, _>>()?;
            let new: Vec<&EventRow> = rows.iter().filter(|r| !existing.contains(&r.id)).collect();
            if new.is_empty() {
                tx.commit()?;
                return Ok(0);
            }
            // The next seq of every session in the batch.
            let mut keys: Vec<(&str, &str)> = Vec::new();
            let mut key_set: HashSet<(&str, &str)> = HashSet::new();
            for r in &new {
                let k = (r.workspace.as_str(), r.session.as_str());
                if key_set.insert(k) {
                    keys.push(k);
                }
            }
            let kw: Vec<&str> = keys.iter().map(|k| k.0).collect();
            let ks: Vec<&str> = keys.iter().map(|k| k.1).collect();
            let mut next: HashMap<(String, String), i64> = HashMap::new();
            for row in tx.query(&max_q, &[&kw, &ks])? {
                let w: String = row.try_get(0)?;
                let s: String = row.try_get(1)?;
                let m: Option<i64> = row.try_get(2)?;
                next.insert((w, s), m.unwrap_or(0) + 1);
            }
            let mut seqs: Vec<i64> = Vec::with_capacity(new.len());
            for r in &new {
                let slot = next
                    .entry((r.workspace.clone(), r.session.clone()))
                    .or_insert(1);
                seqs.push(*slot);
                *slot += 1;
            }
            let id: Vec<&str> = new.iter().map(|r| r.id.as_str()).collect();
            let w: Vec<&str> = new.iter().map(|r| r.workspace.as_str()).collect();
            let ss: Vec<&str> = new.iter().map(|r| r.session.as_str()).collect();
            let agent: Vec<&str> = new.iter().map(|r| r.agent.as_str()).collect();
            let at: Vec<&str> = new.iter().map(|r| r.at.as_str()).collect();
            let at_ns: Vec<i64> = new.iter().map(|r| r.at_ns).collect();
            let kind: Vec<&str> = new.iter().map(|r| r.kind.as_str()).collect();
            let data: Vec<&str> = new.iter().map(|r| r.data.as_str()).collect();
            let tsv: Vec<Option<&str>> = new.iter().map(|r| r.tsv.as_deref()).collect();
            let n = tx.execute(
                &insert,
                &[&id, &w, &ss, &agent, &seqs, &at, &at_ns, &kind, &data, &tsv],
            )?;
            tx.commit()?;
            Ok(usize::try_from(n).unwrap_or(usize::MAX))
        })
    }

    fn session_events(
        &self,
        workspace: &WorkspaceId,
        session: &SessionId,
        after_seq: u64,
        limit: Option<usize>,
    ) -> Result<Vec<Event>> {
        let (w, sess) = (workspace.clone(), session.clone());
        self.with(move |s, _| {
            let q = s.st("SELECT id, agent, seq, at, data FROM events
                 WHERE workspace = $1 AND session = $2 AND seq > $3 ORDER BY seq LIMIT $4")?;
            let after = i64::try_from(after_seq).unwrap_or(i64::MAX);
            let limit: Option<i64> = limit.map(limit_param);
            s.client
                .query(&q, &[&w.as_str(), &sess.as_str(), &after, &limit])?
                .iter()
                .map(|r| event_from_row(r, 0, &w, sess.clone()))
                .collect()
        })
    }

    fn last_events(
        &self,
        workspace: &WorkspaceId,
        session: &SessionId,
        n: usize,
    ) -> Result<Vec<Event>> {
        let (w, sess) = (workspace.clone(), session.clone());
        self.with(move |s, _| {
            let q = s.st("SELECT id, agent, seq, at, data FROM events
                 WHERE workspace = $1 AND session = $2 ORDER BY seq DESC LIMIT $3")?;
            let mut v = s
                .client
                .query(&q, &[&w.as_str(), &sess.as_str(), &limit_param(n)])?
                .iter()
                .map(|r| event_from_row(r, 0, &w, sess.clone()))
                .collect::<Result<Vec<_>>>()?;
            v.reverse();
            Ok(v)
        })
    }

    fn insert_correction(&self, c: &Correction) -> Result<bool> {
        let row = (
            c.id.as_str().to_string(),
            c.workspace.as_str().to_string(),
            c.session.as_str().to_string(),
            c.kind.as_str(),
            nanos(c.created_at),
            serde_json::to_string(c)?,
            tsvector_literal(&[(&c.search_text(), 'D')]),
        );
        self.with(move |s, schema| {
            let lock = s.st(LOCK)?;
            let insert = s.st(
                "INSERT INTO corrections (id, workspace, session, kind, created_ns, data, tsv)
                 VALUES ($1, $2, $3, $4, $5, $6, $7::text::tsvector)
                 ON CONFLICT (id) DO NOTHING",
            )?;
            let (id, w, sess, kind, created, data, tsv) = row;
            let mut tx = s.client.transaction()?;
            lock_workspaces(&mut tx, &lock, schema, "corrections", [w.as_str()])?;
            let n = tx.execute(&insert, &[&id, &w, &sess, &kind, &created, &data, &tsv])?;
            tx.commit()?;
            Ok(n == 1)
        })
    }

    fn update_correction(&self, c: &Correction) -> Result<()> {
        let row = (
            c.id.as_str().to_string(),
            c.workspace.as_str().to_string(),
            c.session.as_str().to_string(),
            c.kind.as_str(),
            nanos(c.created_at),
            serde_json::to_string(c)?,
            tsvector_literal(&[(&c.search_text(), 'D')]),
        );
        self.with(move |s, schema| {
            let lock = s.st(LOCK)?;
            let update = s.st("UPDATE corrections
                 SET session = $3, kind = $4, created_ns = $5, data = $6,
                     tsv = $7::text::tsvector, pos = nextval('corrections_pos_seq')
                 WHERE id = $1 AND workspace = $2")?;
            let (id, w, sess, kind, created, data, tsv) = row;
            let mut tx = s.client.transaction()?;
            lock_workspaces(&mut tx, &lock, schema, "corrections", [w.as_str()])?;
            let n = tx.execute(&update, &[&id, &w, &sess, &kind, &created, &data, &tsv])?;
            if n == 0 {
                return Err(Error::invalid(format!(
                    "no correction {id} in workspace {w}"
                )));
            }
            tx.commit()?;
            Ok(())
        })
    }

    fn corrections(
        &self,
        workspace: &WorkspaceId,
        filter: &CorrectionFilter,
    ) -> Result<Vec<Correction>> {
        let w = workspace.clone();
        let session = filter.session.as_ref().map(|s| s.as_str().to_string());
        let kind = filter.kind.map(|k| k.as_str());
        let since = filter.since.map(nanos);
        let limit = filter.limit.map(limit_param);
        self.with(move |s, _| {
            // Newest first to apply the limit, then turned oldest first.
            let q = s.st("SELECT data FROM corrections
                 WHERE workspace = $1
                   AND ($2::text IS NULL OR session = $2)
                   AND ($3::text IS NULL OR kind = $3)
                   AND ($4::int8 IS NULL OR created_ns >= $4)
                 ORDER BY created_ns DESC, id DESC LIMIT $5")?;
            let mut out = Vec::new();
            for r in s
                .client
                .query(&q, &[&w.as_str(), &session, &kind, &since, &limit])?
            {
                let c = correction_from_json(r.try_get(0)?)?;
                if c.workspace == w {
                    out.push(c);
                }
            }
            out.reverse();
            Ok(out)
        })
    }

    fn upsert_skill(&self, skill: &Skill) -> Result<bool> {
        skill.validate()?;
        no_nul("skill description", &skill.description)?;
        let row = (
            skill.workspace.as_str().to_string(),
            skill.name.as_str().to_string(),
            i64::from(skill.version),
            skill.provenance.updated_at.to_rfc3339(),
            nanos(skill.provenance.updated_at),
            skill.description.clone(),
            i64::try_from(skill.provenance.corrections.len()).unwrap_or(i64::MAX),
            serde_json::to_string(skill)?,
            skill_tsvector(skill),
        );
        self.with(move |s, schema| {
            let lock = s.st(LOCK)?;
            let current_q =
                s.st("SELECT MAX(version) FROM skills WHERE workspace = $1 AND name = $2")?;
            let insert = s.st(
                "INSERT INTO skills (workspace, name, version, updated_at, updated_ns, description, support, data)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )?;
            let search = s.st(
                "INSERT INTO skills_search (workspace, name, tsv) VALUES ($1, $2, $3::text::tsvector)
                 ON CONFLICT (workspace, name) DO UPDATE SET tsv = excluded.tsv",
            )?;
            let (w, name, version, updated, updated_ns, description, support, data, tsv) = row;
            let mut tx = s.client.transaction()?;
            lock_workspaces(&mut tx, &lock, schema, "skills", [w.as_str()])?;
            let current: Option<i64> = tx.query_one(&current_q, &[&w, &name])?.try_get(0)?;
            if current.is_some_and(|v| v >= version) {
                tx.commit()?;
                return Ok(false);
            }
            tx.execute(
                &insert,
                &[
                    &w,
                    &name,
                    &version,
                    &updated,
                    &updated_ns,
                    &description,
                    &support,
                    &data,
                ],
            )?;
            tx.execute(&search, &[&w, &name, &tsv])?;
            tx.commit()?;
            Ok(true)
        })
    }

    fn skills(&self, workspace: &WorkspaceId) -> Result<Vec<Skill>> {
        let w = workspace.clone();
        self.with(move |s, _| {
            let q = s.st("SELECT DISTINCT ON (name) data FROM skills
                 WHERE workspace = $1 ORDER BY name, version DESC")?;
            s.client
                .query(&q, &[&w.as_str()])?
                .iter()
                .map(|r| skill_from_json(r.try_get(0)?))
                .collect()
        })
    }

    fn skill_index(&self, workspace: &WorkspaceId, limit: usize) -> Result<Vec<SkillSummary>> {
        let w = workspace.clone();
        self.with(move |s, _| {
            let q = s.st(
                "SELECT name, description, version, support, updated_at FROM (
                     SELECT DISTINCT ON (name) name, description, version, support, updated_at, updated_ns
                     FROM skills WHERE workspace = $1 ORDER BY name, version DESC
                 ) latest
                 ORDER BY support DESC, updated_ns DESC, name LIMIT $2",
            )?;
            let mut out = Vec::new();
            for r in s.client.query(&q, &[&w.as_str(), &limit_param(limit)])? {
                let name: String = r.try_get(0)?;
                let version: i64 = r.try_get(2)?;
                let support: i64 = r.try_get(3)?;
                let updated: String = r.try_get(4)?;
                out.push(SkillSummary {
                    name: SkillName::new(name)?,
                    description: r.try_get(1)?,
                    version: u32::try_from(version).unwrap_or(u32::MAX),
                    support: usize::try_from(support).unwrap_or(0),
                    updated_at: parse_time(&updated)?,
                });
            }
            Ok(out)
        })
    }

    fn skill(&self, workspace: &WorkspaceId, name: &SkillName) -> Result<Option<Skill>> {
        let (w, n) = (workspace.clone(), name.clone());
        self.with(move |s, _| {
            let q = s.st("SELECT data FROM skills WHERE workspace = $1 AND name = $2
                 ORDER BY version DESC LIMIT 1")?;
            s.client
                .query_opt(&q, &[&w.as_str(), &n.as_str()])?
                .map(|r| skill_from_json(r.try_get(0)?))
                .transpose()
        })
    }

    fn search(
        &self,
        workspace: &WorkspaceId,
        scope: SearchScope,
        query: &str,
        limit: usize,
    ) -> Result<Vec<SearchHit>> {
        let Some(q) = tsquery_literal(query) else {
            return Ok(Vec::new());
        };
        if limit == 0 {
            return Ok(Vec::new());
        }
        let w = workspace.clone();
        self.with(move |s, _| {
            let sql: &'static str = match scope {
                SearchScope::Events => {
                    "SELECT e.id, ts_rank(e.tsv, x.q) AS score
                     FROM events e, (SELECT $1::text::tsquery AS q) x
                     WHERE e.workspace = $2 AND e.tsv @@ x.q
                     ORDER BY score DESC, e.id LIMIT $3"
                }
                SearchScope::Corrections => {
                    "SELECT c.id, ts_rank(c.tsv, x.q) AS score
                     FROM corrections c, (SELECT $1::text::tsquery AS q) x
                     WHERE c.workspace = $2 AND c.tsv @@ x.q
                     ORDER BY score DESC, c.id LIMIT $3"
                }
                SearchScope::Skills => {
                    "SELECT k.name, ts_rank(k.tsv, x.q) AS score
                     FROM skills_search k, (SELECT $1::text::tsquery AS q) x
                     WHERE k.workspace = $2 AND k.tsv @@ x.q
                     ORDER BY score DESC, k.name LIMIT $3"
                }
            };
            let st = s.st(sql)?;
            let mut out = Vec::new();
            for r in s
                .client
                .query(&st, &[&q, &w.as_str(), &limit_param(limit)])?
            {
                let score: f32 = r.try_get(1)?;
                out.push(SearchHit {
                    reference: r.try_get(0)?,
                    score: f64::from(score),
                });
            }
            Ok(out)
        })
    }

    fn get_state(&self, workspace: &WorkspaceId, key: &str) -> Result<Option<String>> {
        let (w, k) = (workspace.clone(), no_nul("state key", key)?.to_string());
        self.with(move |s, _| {
            let q = s.st("SELECT value FROM state WHERE workspace = $1 AND key = $2")?;
            Ok(s.client
                .query_opt(&q, &[&w.as_str(), &k])?
                .map(|r| r.try_get(0))
                .transpose()?)
        })
    }

    fn set_state(&self, workspace: &WorkspaceId, key: &str, value: &str) -> Result<()> {
        let w = workspace.clone();
        let k = no_nul("state key", key)?.to_string();
        let v = no_nul("state value", value)?.to_string();
        self.with(move |s, _| {
            let q = s.st(
                "INSERT INTO state (workspace, key, value) VALUES ($1, $2, $3)
                 ON CONFLICT (workspace, key) DO UPDATE SET value = excluded.value",
            )?;
            s.client.execute(&q, &[&w.as_str(), &k, &v])?;
            Ok(())
        })
    }

    fn incr_counter(&self, workspace: &WorkspaceId, key: &str, by: i64) -> Result<i64> {
        let (w, k) = (workspace.clone(), no_nul("state key", key)?.to_string());
        self.with(move |s, _| {
            // A value that is not an integer counts as 0 (as in SQLite's CAST).
            let q = s.st(
                "INSERT INTO state (workspace, key, value) VALUES ($1, $2, ($3::int8)::text)
                 ON CONFLICT (workspace, key) DO UPDATE SET value = (
                     CASE WHEN state.value ~ '^\\s*-?[0-9]{1,19}\\s*$'
                          THEN state.value::int8 ELSE 0 END + $3::int8)::text
                 RETURNING value::int8",
            )?;
            Ok(s.client
                .query_one(&q, &[&w.as_str(), &k, &by])?
                .try_get(0)?)
        })
    }

    fn workspaces(&self) -> Result<Vec<WorkspaceId>> {
        self.with(move |s, _| {
            let q = s.st(
                "SELECT workspace FROM events UNION SELECT workspace FROM corrections
                 UNION SELECT workspace FROM skills ORDER BY 1",
            )?;
            s.client
                .query(&q, &[])?
                .iter()
                .map(|r| WorkspaceId::new(r.try_get::<_, String>(0)?))
                .collect()
        })
    }

    fn stats(&self, workspace: &WorkspaceId) -> Result<StoreStats> {
        let w = workspace.clone();
        self.with(move |s, _| {
            let q = s.st("SELECT COUNT(DISTINCT session), COUNT(*),
                        (SELECT at FROM events WHERE workspace = $1 ORDER BY at_ns DESC LIMIT 1)
                 FROM events WHERE workspace = $1")?;
            let r = s.client.query_one(&q, &[&w.as_str()])?;
            let sessions: i64 = r.try_get(0)?;
            let events: i64 = r.try_get(1)?;
            let last: Option<String> = r.try_get(2)?;
            Ok(StoreStats {
                sessions: u64::try_from(sessions).unwrap_or(0),
                events: u64::try_from(events).unwrap_or(0),
                last_event_at: last.as_deref().map(parse_time).transpose()?,
            })
        })
    }

    fn events_after(
        &self,
        workspace: &WorkspaceId,
        after: i64,
        limit: usize,
    ) -> Result<Vec<Positioned<Event>>> {
        let w = workspace.clone();
        self.with(move |s, _| {
            let q = s.st("SELECT pos, session, id, agent, seq, at, data FROM events
                 WHERE workspace = $1 AND pos > $2 ORDER BY pos LIMIT $3")?;
            let mut out = Vec::new();
            for r in s
                .client
                .query(&q, &[&w.as_str(), &after, &limit_param(limit)])?
            {
                let pos: i64 = r.try_get(0)?;
                let session = SessionId::new(r.try_get::<_, String>(1)?)?;
                out.push((pos, event_from_row(&r, 2, &w, session)?));
            }
            Ok(out)
        })
    }

    fn corrections_after(
        &self,
        workspace: &WorkspaceId,
        after: i64,
        limit: usize,
    ) -> Result<Vec<Positioned<Correction>>> {
        let w = workspace.clone();
        self.with(move |s, _| {
            let q = s.st("SELECT pos, data FROM corrections
                 WHERE workspace = $1 AND pos > $2 ORDER BY pos LIMIT $3")?;
            s.client
                .query(&q, &[&w.as_str(), &after, &limit_param(limit)])?
                .iter()
                .map(|r| Ok((r.try_get(0)?, correction_from_json(r.try_get(1)?)?)))
                .collect()
        })
    }

    fn skills_after(
        &self,
        workspace: &WorkspaceId,
        after: i64,
        limit: usize,
    ) -> Result<Vec<Positioned<Skill>>> {
        let w = workspace.clone();
        self.with(move |s, _| {
            let q = s.st("SELECT pos, data FROM skills
                 WHERE workspace = $1 AND pos > $2 ORDER BY pos LIMIT $3")?;
            s.client
                .query(&q, &[&w.as_str(), &after, &limit_param(limit)])?
                .iter()
                .map(|r| Ok((r.try_get(0)?, skill_from_json(r.try_get(1)?)?)))
                .collect()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tsvector_literals_are_plain_quoted_words() {
        assert_eq!(
            tsvector_literal(&[("Use \"pnpm\" — not npm; use_it x", 'D')]),
            "'use':1 'pnpm':2 'not':3 'npm':4 'use_it':5"
        );
        assert_eq!(
            tsvector_literal(&[("use pnpm", 'A'), ("PNPM add", 'B')]),
            "'use':1A 'pnpm':2A,3B 'add':4B"
        );
        assert_eq!(tsvector_literal(&[("", 'D'), ("a ' \\ ", 'D')]), "");
        assert_eq!(
            tsquery_literal("NEAR(pnpm, 2) OR \"x\""),
            Some("'near' | 'pnpm' | 'or'".into())
        );
        assert_eq!(tsquery_literal("' \" * ( )"), None);
    }

    #[test]
    fn urls_are_redacted() {
        assert_eq!(
            redact_url("postgres://bob:s3cret@db.example:5432/team?sslmode=require"),
            "postgres://bob:***@db.example:5432/team?sslmode=require"
        );
        assert_eq!(
            redact_url("postgres://bob@db/team?password=s3cret&sslmode=require"),
            "postgres://bob@db/team?password=***&sslmode=require"
        );
        assert_eq!(
            redact_url("host=db user=bob password=s3cret"),
            "host=db user=bob password=***"
        );
    }

    #[test]
    fn identifiers_are_quoted() {
        assert_eq!(quote_ident("hm"), "\"hm\"");
        assert_eq!(quote_ident("a\"; DROP"), "\"a\"\"; DROP\"");
    }
}
