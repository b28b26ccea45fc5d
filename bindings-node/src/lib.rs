//! Node.js binding of `hivemind-core`, published as `@deeplake/hivemind`.
//!
//! One JavaScript class, `Hivemind`, wraps one core [`hivemind_core::Hivemind`] handle.
//! The binding holds no logic: it parses JavaScript values with the core's serde forms
//! and validators ([`convert`]), calls the core, and converts results back (the serde form
//! of the core types) or errors ([`error`]: a JavaScript `Error` with the core's stable
//! `code`). Capture is synchronous (it appends to an in-memory buffer); everything that
//! touches the database returns a Promise and runs on libuv's thread pool ([`task`]).
//! Panics never cross into Node: they become errors with code `HIVEMIND_PANIC`.

mod convert;
mod error;
mod task;

use convert::{ContextRequest, EventInput, OpenOptions};
use error::{guard, Failure};
use hivemind_core::EventKind;
use napi::bindgen_prelude::{AsyncTask, Unknown};
use napi::Env;
use napi_derive::napi;
use serde_json::Value;
use task::{Job, JsonJob};

type Core = hivemind_core::Hivemind;

/// Opens the core handle the options describe (`project`: the folder skills are written
/// into and the workspace is derived from; default: the current directory).
fn open_core(options: &OpenOptions) -> Result<Core, Failure> {
    let config = options.config()?;
    Ok(match options.project() {
        Some(project) => Core::open_in(config, Some(project.clone()))?,
        None => Core::open(config)?,
    })
}

/// A hivemind handle: capture an agent's events, record the user's corrections, mine them
/// into skills, and get the lessons to put into the agent's context before it acts.
///
/// Open one with `await Hivemind.open({ home, workspace })`. Several handles may share one
/// home (one SQLite database); each sees what the others flushed.
#[napi]
#[derive(Debug)]
pub struct Hivemind {
    inner: Core,
}

#[napi]
impl Hivemind {
    /// Opens (creating if needed) the database under `options.home` (default:
    /// `$HIVEMIND_HOME`, else `~/.hivemind`), with the home's `config.json` and the
    /// `HIVEMIND_*` variables applied, then the options. The workspace is `options.workspace`, else derived
    /// from `options.project` (default: the current directory): its git `origin`, else
    /// its path.
    ///
    /// Rejects with code `HIVEMIND_INVALID_INPUT` for a bad workspace id or an unknown
    /// option, `HIVEMIND_STORAGE` when the database cannot be opened.
    #[napi(
        ts_args_type = "options?: OpenOptions",
        ts_return_type = "Promise<Hivemind>"
    )]
    pub fn open(env: Env, options: Option<Value>) -> napi::Result<AsyncTask<Job<Hivemind>>> {
        let options = OpenOptions::parse(options).map_err(|f| f.into_napi(&env))?;
        Ok(AsyncTask::new(Job::new(move || {
            Ok(Hivemind {
                inner: open_core(&options)?,
            })
        })))
    }

    /// The workspace this handle reads and writes.
    #[napi(getter)]
    pub fn workspace(&self) -> String {
        self.inner.workspace().to_string()
    }

    /// The folder that holds the database, logs and manifests.
    #[napi(getter)]
    pub fn home(&self) -> String {
        self.inner.config().home.display().to_string()
    }

    /// Captures one event: redacts secrets, truncates oversized tool output and buffers
    /// it. Synchronous and cheap: every `batchSize` (512) events the buffer is handed to
    /// the core's background writer, so this call never waits for the disk. `flush()`
    /// makes events durable; closing or dropping the handle flushes too.
    ///
    /// Throws code `HIVEMIND_INVALID_INPUT` for a malformed event, `HIVEMIND_CLOSED` after
    /// `close()`.
    #[napi(ts_args_type = "event: HivemindEvent")]
    pub fn capture(&self, env: Env, event: Unknown<'_>) -> napi::Result<()> {
        guard(|| {
            let e = EventInput::from_js(env, event)?;
            let event = self.inner.event(e.session, e.agent, e.kind);
            Ok(self.inner.capture(event)?)
        })
        .map_err(|f| f.into_napi(&env))
    }

    /// Captures several events under one lock; returns how many. Nothing is captured when
    /// one of them is malformed (the error names its index).
    #[napi(ts_args_type = "events: HivemindEvent[]")]
    pub fn capture_many(&self, env: Env, events: Unknown<'_>) -> napi::Result<u32> {
        guard(|| {
            let events = convert::array(events, "captureMany takes an array of events")?;
            let mut parsed = Vec::with_capacity(events.len());
            for (i, v) in events.into_iter().enumerate() {
                let e =
                    EventInput::from_js(env, v).map_err(|f| f.context(format!("events[{i}]")))?;
                parsed.push(self.inner.event(e.session, e.agent, e.kind));
            }
            let n = self.inner.capture_many(parsed)?;
            Ok(u32::try_from(n).unwrap_or(u32::MAX))
        })
        .map_err(|f| f.into_napi(&env))
    }

    /// Writes buffered events to the database; resolves to how many were written.
    #[napi(ts_return_type = "Promise<number>")]
    pub fn flush(&self) -> AsyncTask<Job<u32>> {
        let hm = self.inner.clone();
        AsyncTask::new(Job::new(move || {
            let n = hm.flush()?;
            Ok(u32::try_from(n).unwrap_or(u32::MAX))
        }))
    }

    /// The stored events of a session, oldest first, in the serde form of the core
    /// (`id`, `workspace`, `session`, `agent`, `seq`, `at`, `kind` and the kind's fields).
    /// Flushes buffered events first.
    #[napi(
        ts_args_type = "session: string",
        ts_return_type = "Promise<StoredEvent[]>"
    )]
    pub fn session_events(&self, env: Env, session: String) -> napi::Result<AsyncTask<JsonJob>> {
        let session = convert::session_id(session).map_err(|f| f.into_napi(&env))?;
        let hm = self.inner.clone();
        Ok(AsyncTask::new(JsonJob::new(move || {
            convert::to_js(&hm.session_events(&session)?)
        })))
    }

    /// Records an explicit correction: what the agent produced, what the user accepted
    /// instead, and why. Resolves to the stored correction (with its diff).
    #[napi(
        ts_args_type = "input: CorrectionInput",
        ts_return_type = "Promise<Correction>"
    )]
    pub fn record_correction(&self, env: Env, input: Value) -> napi::Result<AsyncTask<JsonJob>> {
        let input = convert::correction_input(input).map_err(|f| f.into_napi(&env))?;
        let hm = self.inner.clone();
        Ok(AsyncTask::new(JsonJob::new(move || {
            convert::to_js(&hm.record_correction(input)?)
        })))
    }

    /// The workspace's corrections (detected or recorded), oldest first, optionally
    /// filtered by session, kind, creation time and count.
    #[napi(
        ts_args_type = "filter?: CorrectionFilter",
        ts_return_type = "Promise<Correction[]>"
    )]
    pub fn corrections(&self, env: Env, filter: Option<Value>) -> napi::Result<AsyncTask<JsonJob>> {
        let filter = convert::correction_filter(filter).map_err(|f| f.into_napi(&env))?;
        let hm = self.inner.clone();
        Ok(AsyncTask::new(JsonJob::new(move || {
            convert::to_js(&hm.corrections(&filter)?)
        })))
    }

    /// Mines the workspace's corrections into skills now (a pattern seen `minSupport`
    /// times, 3 by default, becomes a skill) and writes their `SKILL.md` files under
    /// `<project>/.claude/skills`. Idempotent. Resolves to what the run did.
    #[napi(ts_return_type = "Promise<SkillifyReport>")]
    pub fn skillify(&self) -> AsyncTask<JsonJob> {
        let hm = self.inner.clone();
        AsyncTask::new(JsonJob::new(move || {
            // The core's async API, driven by napi's Tokio runtime (no runtime of our own).
            let report = napi::bindgen_prelude::block_on(hm.skillify())?;
            convert::to_js(&report)
        }))
    }

    /// The workspace's skills (latest versions), with their lineage under `provenance`.
    #[napi(ts_return_type = "Promise<Skill[]>")]
    pub fn skills(&self) -> AsyncTask<JsonJob> {
        let hm = self.inner.clone();
        AsyncTask::new(JsonJob::new(move || convert::to_js(&hm.skills()?)))
    }

    /// The context to put before the agent acts on `prompt`: the skills relevant to it
    /// and, on the session's first call, the most important ones, within `budgetTokens`
    /// (default: the configured budget, 2000). Skills already given to the session are
    /// not repeated. `text` is empty when there is nothing to inject.
    #[napi(
        ts_args_type = "request: ContextRequest",
        ts_return_type = "Promise<Selection>"
    )]
    pub fn context_for(&self, env: Env, request: Value) -> napi::Result<AsyncTask<JsonJob>> {
        let r = ContextRequest::parse(request).map_err(|f| f.into_napi(&env))?;
        let hm = self.inner.clone();
        Ok(AsyncTask::new(JsonJob::new(move || {
            let budget = r.budget_tokens.unwrap_or(hm.config().budget_tokens);
            convert::to_js(&hm.context_for(&r.session, &r.prompt, budget)?)
        })))
    }

    /// Flushes and closes the handle; later calls fail with code `HIVEMIND_CLOSED`.
    /// Closing twice is fine.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn close(&self) -> AsyncTask<Job<()>> {
        let hm = self.inner.clone();
        AsyncTask::new(Job::new(move || Ok(hm.close()?)))
    }
}

/// Timing of `benchRustCapture`.
#[napi(object)]
#[derive(Debug)]
pub struct RustCaptureBench {
    /// Events captured.
    pub events: u32,
    /// Nanoseconds spent in the capture loop (batches written as the buffer fills
    /// included).
    pub capture_ns: f64,
    /// Nanoseconds of the final `flush()`.
    pub flush_ns: f64,
}

/// Benchmark helper: captures `n` events through the Rust API (`Hivemind::capture`), the
/// same mix as `bench/capture.mjs` sends from JavaScript (even: a prompt, odd: a Bash tool
/// call), then flushes, timing both; synchronous. Opens its own handle with `options` (see
/// `Hivemind.open`). Not part of the stable API.
#[napi(ts_args_type = "n: number, options?: OpenOptions")]
pub fn bench_rust_capture(
    env: Env,
    n: u32,
    options: Option<Value>,
) -> napi::Result<RustCaptureBench> {
    guard(|| {
        let options = OpenOptions::parse(options)?;
        let hm = open_core(&options)?;
        let session = hivemind_core::SessionId::new("bench-rust")?;
        let agent: hivemind_core::Agent = convert::DEFAULT_AGENT.parse()?;
        let start = std::time::Instant::now();
        for i in 0..n {
            let kind = if i % 2 == 0 {
                EventKind::Prompt {
                    text: format!("install the zod package, turn {i}"),
                }
            } else {
                EventKind::ToolCall {
                    tool: "Bash".into(),
                    call_id: None,
                    input: serde_json::json!({ "command": format!("npm install zod # {i}") }),
                }
            };
            hm.capture(hm.event(session.clone(), agent.clone(), kind))?;
        }
        let capture_ns = start.elapsed().as_nanos() as f64;
        let start = std::time::Instant::now();
        hm.flush()?;
        let flush_ns = start.elapsed().as_nanos() as f64;
        hm.close()?;
        Ok(RustCaptureBench {
            events: n,
            capture_ns,
            flush_ns,
        })
    })
    .map_err(|f| f.into_napi(&env))
}
