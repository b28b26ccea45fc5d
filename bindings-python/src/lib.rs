//! Python binding of `hivemind-core`, imported as `hivemind._hivemind` and wrapped by the
//! pure-Python package `hivemind` (typed events and results, context manager, asyncio).
//!
//! The binding holds no logic of its own: one wrapper over the core [`Hivemind`] handle,
//! serde ↔ Python conversion (`pythonize`), the core [`Error`] mapped to an exception
//! class per variant (each with the core's `.code`), and the GIL released around every
//! call into the core (`Python::detach`).
//!
//! Fork safety: a handle opened before `os.fork()` is disowned in the child (it is never
//! flushed, closed or dropped there, so the child never touches the parent's SQLite
//! connection or buffered events); using it in the child raises `ClosedError`. The child
//! opens its own handle.

use hivemind_core::{
    Agent, Config, CorrectionFilter, CorrectionInput, CorrectionKind, Error, EventKind, Hivemind,
    SessionId, Target, WorkspaceId,
};
use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use serde::{Deserialize, Serialize};
use std::mem::ManuallyDrop;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Instant;

create_exception!(
    hivemind,
    HivemindError,
    PyException,
    "Base class of every hivemind error. `.code` is the core's stable machine-readable code."
);
create_exception!(
    hivemind,
    InvalidInputError,
    HivemindError,
    "Input is not acceptable (bad id, bad event, unknown kind, ...). code: HIVEMIND_INVALID_INPUT"
);
create_exception!(
    hivemind,
    StorageError,
    HivemindError,
    "The store failed (locked, corrupt, disk full, ...). code: HIVEMIND_STORAGE"
);
create_exception!(
    hivemind,
    IoError,
    HivemindError,
    "A file-system operation failed. code: HIVEMIND_IO"
);
create_exception!(
    hivemind,
    ModelError,
    HivemindError,
    "A model call (LLM skillifier) failed. code: HIVEMIND_MODEL"
);
create_exception!(
    hivemind,
    ClosedError,
    HivemindError,
    "The handle was closed (or opened in the parent of a fork). code: HIVEMIND_CLOSED"
);

/// The core error as a Python exception of the matching class, with `.code` set.
fn py_err(py: Python<'_>, e: Error) -> PyErr {
    let msg = e.to_string();
    let err = match &e {
        Error::InvalidInput(_) => InvalidInputError::new_err(msg),
        Error::Storage(_) => StorageError::new_err(msg),
        Error::Io { .. } => IoError::new_err(msg),
        Error::Model(_) => ModelError::new_err(msg),
        Error::Closed => ClosedError::new_err(msg),
        _ => HivemindError::new_err(msg),
    };
    if let Err(set) = err.value(py).setattr("code", e.code()) {
        return set;
    }
    err
}

/// Input that Python handed over and the core's types reject (an `InvalidInput`).
fn invalid(what: &str, e: impl std::fmt::Display) -> Error {
    Error::InvalidInput(format!("{what}: {e}"))
}

fn to_py<T: Serialize + ?Sized>(py: Python<'_>, value: &T) -> PyResult<Py<PyAny>> {
    pythonize::pythonize(py, value)
        .map(Bound::unbind)
        .map_err(|e| py_err(py, invalid("cannot convert a result to Python", e)))
}

fn from_py<'a, T: Deserialize<'a>>(obj: &'a Bound<'_, PyAny>, what: &str) -> Result<T, Error> {
    pythonize::depythonize(obj).map_err(|e| invalid(what, e))
}

/// One event as the Python layer passes it: `{"kind": "prompt", "session": ..., "agent":
/// ..., <the kind's fields>}` (the core's serde form of [`EventKind`]).
#[derive(Deserialize)]
struct EventIn {
    session: SessionId,
    agent: Agent,
    #[serde(flatten)]
    kind: EventKind,
}

/// Flags of live handles, so that a forked child can disown them (see the module doc).
static LIVE: Mutex<Vec<Weak<AtomicBool>>> = Mutex::new(Vec::new());

fn register(flag: &Arc<AtomicBool>) {
    if let Ok(mut live) = LIVE.lock() {
        live.retain(|w| w.strong_count() > 0);
        live.push(Arc::downgrade(flag));
    }
}

/// Called by `os.register_at_fork(after_in_child=...)`: every handle inherited from the
/// parent is disowned. Runs with the GIL held in the only thread of the child.
#[pyfunction]
fn _after_fork_in_child() {
    let live = LIVE.lock().unwrap_or_else(|p| p.into_inner());
    for flag in live.iter().filter_map(Weak::upgrade) {
        flag.store(true, Ordering::Release);
    }
}

/// The native handle. Prefer `hivemind.Hivemind`, which wraps it with typed events and
/// results.
#[pyclass(frozen, module = "hivemind._hivemind", name = "Hivemind")]
#[derive(Debug)]
struct PyHivemind {
    /// `ManuallyDrop` so that a forked child can leak the parent's handle instead of
    /// flushing it; always `Some` until dropped.
    hm: ManuallyDrop<Option<Hivemind>>,
    /// Set in a forked child: the handle belongs to the parent.
    forked: Arc<AtomicBool>,
}

impl Drop for PyHivemind {
    fn drop(&mut self) {
        if self.forked.load(Ordering::Acquire) {
            return; // the parent's: leaked, never flushed here
        }
        // Dropping the last handle flushes buffered events (SQLite may wait on a lock):
        // do it with the GIL released when the interpreter is still there.
        let mut last = self.hm.take();
        let _ = Python::try_attach(|py| py.detach(|| drop(last.take())));
        drop(last);
    }
}

impl PyHivemind {
    fn handle(&self) -> Result<&Hivemind, Error> {
        if self.forked.load(Ordering::Acquire) {
            return Err(Error::Closed);
        }
        self.hm.as_ref().ok_or(Error::Closed)
    }

    /// Runs `f` on the core handle with the GIL released.
    fn run<T, F>(&self, py: Python<'_>, f: F) -> PyResult<T>
    where
        T: Send,
        F: FnOnce(&Hivemind) -> Result<T, Error> + Send,
    {
        let hm = self.handle().map_err(|e| py_err(py, e))?;
        py.detach(|| f(hm)).map_err(|e| py_err(py, e))
    }
}

fn event_in(ev: &Bound<'_, PyAny>) -> Result<EventIn, Error> {
    from_py(ev, "bad event")
}

#[pymethods]
impl PyHivemind {
    /// Opens the SQLite store. The configuration is read from the environment
    /// (`HIVEMIND_*`, see the README); `home` and `workspace` override it and
    /// `no_llm=True` forbids model calls.
    #[new]
    #[pyo3(signature = (home=None, workspace=None, no_llm=false))]
    fn new(
        py: Python<'_>,
        home: Option<PathBuf>,
        workspace: Option<String>,
        no_llm: bool,
    ) -> PyResult<Self> {
        let hm = py
            .detach(|| {
                let mut config = Config::from_env()?;
                if let Some(home) = home {
                    config.home = home;
                }
                if let Some(w) = workspace {
                    config.workspace = Some(WorkspaceId::new(w)?);
                }
                if no_llm {
                    config.no_llm = true;
                }
                Hivemind::open(config)
            })
            .map_err(|e| py_err(py, e))?;
        let forked = Arc::new(AtomicBool::new(false));
        register(&forked);
        Ok(PyHivemind {
            hm: ManuallyDrop::new(Some(hm)),
            forked,
        })
    }

    /// The workspace of this handle.
    #[getter]
    fn workspace(&self, py: Python<'_>) -> PyResult<String> {
        let hm = self.handle().map_err(|e| py_err(py, e))?;
        Ok(hm.workspace().to_string())
    }

    /// The state folder (database, logs, manifests).
    #[getter]
    fn home(&self, py: Python<'_>) -> PyResult<PathBuf> {
        let hm = self.handle().map_err(|e| py_err(py, e))?;
        Ok(hm.config().home.clone())
    }

    /// Buffers one event (a dict: `kind`, `session`, `agent` and the kind's fields).
    fn capture(&self, py: Python<'_>, event: &Bound<'_, PyAny>) -> PyResult<()> {
        let ev = event_in(event).map_err(|e| py_err(py, e))?;
        self.run(py, move |hm| {
            hm.capture(hm.event(ev.session, ev.agent, ev.kind))
        })
    }

    /// Buffers several events; returns how many.
    fn capture_many(&self, py: Python<'_>, events: &Bound<'_, PyAny>) -> PyResult<usize> {
        let mut batch = Vec::new();
        for item in events.try_iter()? {
            batch.push(event_in(&item?).map_err(|e| py_err(py, e))?);
        }
        self.run(py, move |hm| {
            hm.capture_many(
                batch
                    .into_iter()
                    .map(|ev| hm.event(ev.session, ev.agent, ev.kind)),
            )
        })
    }

    /// Writes buffered events; returns how many were written.
    fn flush(&self, py: Python<'_>) -> PyResult<usize> {
        self.run(py, |hm| hm.flush())
    }

    /// Flushes and closes; later calls raise `ClosedError`. Closing twice is fine.
    fn close(&self, py: Python<'_>) -> PyResult<()> {
        if self.forked.load(Ordering::Acquire) {
            return Ok(());
        }
        self.run(py, |hm| hm.close())
    }

    /// Records an explicit correction; returns it (a dict).
    #[pyo3(signature = (produced, accepted=None, reason=None, session=None, target=None))]
    fn record_correction(
        &self,
        py: Python<'_>,
        produced: String,
        accepted: Option<String>,
        reason: Option<String>,
        session: Option<String>,
        target: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        let input = (|| -> Result<CorrectionInput, Error> {
            Ok(CorrectionInput {
                session: session.map(SessionId::new).transpose()?,
                produced,
                accepted,
                reason,
                target: target
                    .map(|t| from_py::<Target>(t, "bad target"))
                    .transpose()?,
            })
        })()
        .map_err(|e| py_err(py, e))?;
        let c = self.run(py, move |hm| hm.record_correction(input))?;
        to_py(py, &c)
    }

    /// The workspace's corrections (dicts), optionally filtered.
    #[pyo3(signature = (session=None, kind=None, since=None, limit=None))]
    fn corrections(
        &self,
        py: Python<'_>,
        session: Option<String>,
        kind: Option<String>,
        since: Option<String>,
        limit: Option<usize>,
    ) -> PyResult<Py<PyAny>> {
        let filter = (|| -> Result<CorrectionFilter, Error> {
            Ok(CorrectionFilter {
                session: session.map(SessionId::new).transpose()?,
                kind: kind.map(|k| k.parse::<CorrectionKind>()).transpose()?,
                since: since
                    .map(|s| {
                        s.parse::<chrono::DateTime<chrono::Utc>>()
                            .map_err(|e| invalid(&format!("since {s:?} is not RFC 3339"), e))
                    })
                    .transpose()?,
                limit,
            })
        })()
        .map_err(|e| py_err(py, e))?;
        let list = self.run(py, move |hm| hm.corrections(&filter))?;
        to_py(py, &list)
    }

    /// The stored events of a session (dicts), in order; flushes first.
    fn session_events(&self, py: Python<'_>, session: String) -> PyResult<Py<PyAny>> {
        let session = SessionId::new(session).map_err(|e| py_err(py, e))?;
        let events = self.run(py, move |hm| hm.session_events(&session))?;
        to_py(py, &events)
    }

    /// The workspace's skills (dicts, latest versions).
    fn skills(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let list = self.run(py, |hm| hm.skills())?;
        to_py(py, &list)
    }

    /// Mines the workspace's corrections into skills now (blocking); returns the report.
    fn skillify(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let report = self.run(py, |hm| hm.skillify_blocking())?;
        to_py(py, &report)
    }

    /// The context to put before the agent acts on `prompt` (a dict: `text`, `full`,
    /// `indexed`, `scores`).
    #[pyo3(signature = (session, prompt, budget_tokens=2000))]
    fn context_for(
        &self,
        py: Python<'_>,
        session: String,
        prompt: String,
        budget_tokens: usize,
    ) -> PyResult<Py<PyAny>> {
        let session = SessionId::new(session).map_err(|e| py_err(py, e))?;
        let sel = self.run(py, move |hm| {
            hm.context_for(&session, &prompt, budget_tokens)
        })?;
        to_py(py, &sel)
    }

    fn __repr__(&self) -> String {
        match self.handle() {
            Ok(hm) => format!(
                "Hivemind(home={:?}, workspace={:?})",
                hm.config().home.display().to_string(),
                hm.workspace().as_str()
            ),
            Err(_) => "Hivemind(<forked>)".into(),
        }
    }
}

/// Benchmark helper: the same loop as `for i in range(n): hm.capture(Prompt(...))` (or one
/// `capture_many` of `n` events when `many`), in Rust, on a new handle under `home`
/// (workspace `bench`), followed by one `flush`. Returns the seconds it took.
#[pyfunction]
#[pyo3(signature = (home, n, many=false))]
fn _bench_rust_capture(py: Python<'_>, home: PathBuf, n: usize, many: bool) -> PyResult<f64> {
    py.detach(|| -> Result<f64, Error> {
        let mut config = Config::with_home(home);
        config.workspace = Some(WorkspaceId::new("bench")?);
        config.no_llm = true;
        let hm = Hivemind::open(config)?;
        let session = SessionId::new(if many {
            "bench-rust-many"
        } else {
            "bench-rust"
        })?;
        let agent: Agent = "python".parse()?;
        let event = |i: usize| {
            hm.event(
                session.clone(),
                agent.clone(),
                EventKind::Prompt {
                    text: format!("prompt number {i}"),
                },
            )
        };
        let start = Instant::now();
        if many {
            hm.capture_many((0..n).map(event))?;
        } else {
            for i in 0..n {
                hm.capture(event(i))?;
            }
        }
        hm.flush()?;
        let secs = start.elapsed().as_secs_f64();
        hm.close()?;
        Ok(secs)
    })
    .map_err(|e| py_err(py, e))
}

#[pymodule]
fn _hivemind(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add_class::<PyHivemind>()?;
    m.add_function(wrap_pyfunction!(_bench_rust_capture, m)?)?;
    m.add_function(wrap_pyfunction!(_after_fork_in_child, m)?)?;
    m.add("HivemindError", py.get_type::<HivemindError>())?;
    m.add("InvalidInputError", py.get_type::<InvalidInputError>())?;
    m.add("StorageError", py.get_type::<StorageError>())?;
    m.add("IoError", py.get_type::<IoError>())?;
    m.add("ModelError", py.get_type::<ModelError>())?;
    m.add("ClosedError", py.get_type::<ClosedError>())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    let after = m.getattr("_after_fork_in_child")?;
    let kwargs = pyo3::types::PyDict::new(py);
    kwargs.set_item("after_in_child", after)?;
    py.import("os")?
        .getattr("register_at_fork")?
        .call((), Some(&kwargs))?;
    Ok(())
}
