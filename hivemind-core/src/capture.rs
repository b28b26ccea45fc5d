//! Capture: the [`Capture`] trait and the sanitizing every event goes through before it
//! is stored (secret redaction, truncation of oversized tool output).

use crate::error::Result;
use crate::model::{Event, EventKind};
use crate::redact;
use serde_json::Value;

/// Accepts events from an agent host or runtime.
///
/// Contract: `capture` is cheap for the caller (events may be buffered and written in
/// batches); `flush` makes everything captured so far durable and returns how many
/// events it wrote. Secrets are redacted before anything is stored. Synchronous on
/// purpose: buffering costs microseconds and needs no runtime (see [`crate::store`]).
pub trait Capture: Send + Sync {
    /// Accepts one event.
    fn capture(&self, event: Event) -> Result<()>;
    /// Writes all buffered events.
    fn flush(&self) -> Result<usize>;
}

/// Redacts secrets in every text of `event` and truncates tool output (and any single
/// string) larger than `max_bytes`. Returns the number of redactions.
pub fn sanitize_event(event: &mut Event, max_bytes: usize) -> usize {
    let mut n = 0;
    let fix_text = |t: &mut String, n: &mut usize| {
        if let std::borrow::Cow::Owned(s) = redact::redact_bounded(t, max_bytes) {
            *n += 1;
            *t = s;
        }
    };
    match &mut event.kind {
        EventKind::Prompt { text } | EventKind::Response { text } => fix_text(text, &mut n),
        EventKind::ToolCall { input: v, .. } | EventKind::ToolResult { output: v, .. } => {
            bound_json(v, max_bytes);
            n += redact::redact_json(v);
        }
        EventKind::FileEdited {
            snippet: Some(s), ..
        } => fix_text(s, &mut n),
        EventKind::SessionEnd { reason: Some(r) } | EventKind::Interrupt { reason: Some(r) } => {
            fix_text(r, &mut n)
        }
        _ => {}
    }
    n
}

/// Redacts and truncates every string of `v` longer than `max_bytes` (bounded work);
/// shorter strings are left for [`redact::redact_json`].
fn bound_json(v: &mut Value, max_bytes: usize) {
    match v {
        Value::String(s) if s.len() > max_bytes => {
            *s = redact::redact_bounded(s, max_bytes).into_owned();
        }
        Value::Array(items) => items.iter_mut().for_each(|x| bound_json(x, max_bytes)),
        Value::Object(map) => map.values_mut().for_each(|x| bound_json(x, max_bytes)),
        _ => {}
    }
}

/// Writes full batches on a background thread, so `capture` never waits for the disk.
/// Failed writes keep their events and report the error at the next flush.
#[derive(Debug)]
pub(crate) struct BatchWriter {
    tx: std::sync::Mutex<Option<std::sync::mpsc::Sender<WriterMsg>>>,
    handle: std::sync::Mutex<Option<std::thread::JoinHandle<()>>>,
    store: std::sync::Arc<dyn crate::store::Store>,
}

#[derive(Debug)]
enum WriterMsg {
    Batch(Vec<Event>),
    Flush(std::sync::mpsc::Sender<Result<usize>>),
}

impl BatchWriter {
    pub(crate) fn new(store: std::sync::Arc<dyn crate::store::Store>) -> Self {
        BatchWriter {
            tx: std::sync::Mutex::new(None),
            handle: std::sync::Mutex::new(None),
            store,
        }
    }

    fn sender(&self) -> Result<std::sync::mpsc::Sender<WriterMsg>> {
        let mut tx = self
            .tx
            .lock()
            .map_err(|_| crate::Error::Storage("writer poisoned".into()))?;
        if let Some(t) = tx.as_ref() {
            return Ok(t.clone());
        }
        let (t, rx) = std::sync::mpsc::channel::<WriterMsg>();
        let store = self.store.clone();
        let handle = std::thread::Builder::new()
            .name("hivemind-writer".into())
            .spawn(move || writer_loop(store, rx))
            .map_err(|e| crate::Error::Storage(format!("cannot start the writer thread: {e}")))?;
        if let Ok(mut h) = self.handle.lock() {
            *h = Some(handle);
        }
        *tx = Some(t.clone());
        Ok(t)
    }

    /// Hands a batch to the writer thread.
    pub(crate) fn submit(&self, batch: Vec<Event>) -> Result<()> {
        self.sender()?
            .send(WriterMsg::Batch(batch))
            .map_err(|_| crate::Error::Storage("the writer thread stopped".into()))
    }

    /// Is the writer thread running (has any batch been handed over)?
    pub(crate) fn started(&self) -> bool {
        self.tx.lock().map(|t| t.is_some()).unwrap_or(false)
    }

    /// Waits until everything handed over is written; returns how many events were
    /// written since the last flush.
    pub(crate) fn flush(&self) -> Result<usize> {
        let (ack, wait) = std::sync::mpsc::channel();
        self.sender()?
            .send(WriterMsg::Flush(ack))
            .map_err(|_| crate::Error::Storage("the writer thread stopped".into()))?;
        wait.recv()
            .map_err(|_| crate::Error::Storage("the writer thread stopped".into()))?
    }

    /// Flushes and stops the thread.
    pub(crate) fn shutdown(&self) -> Result<usize> {
        if !self.started() {
            return Ok(0);
        }
        let n = self.flush();
        if let Ok(mut tx) = self.tx.lock() {
            tx.take();
        }
        if let Some(h) = self.handle.lock().ok().and_then(|mut h| h.take()) {
            let _ = h.join();
        }
        n
    }
}

fn writer_loop(
    store: std::sync::Arc<dyn crate::store::Store>,
    rx: std::sync::mpsc::Receiver<WriterMsg>,
) {
    let mut pending: Vec<Event> = Vec::new();
    let mut written = 0usize;
    let mut failure: Option<String> = None;
    let write = |pending: &mut Vec<Event>, written: &mut usize, failure: &mut Option<String>| {
        if pending.is_empty() {
            return;
        }
        match store.append_events(pending) {
            Ok(_) => {
                *written += pending.len();
                pending.clear();
                *failure = None;
            }
            Err(e) => {
                tracing::warn!(
                    "background write of {} events failed (kept for retry): {e}",
                    pending.len()
                );
                *failure = Some(e.to_string());
            }
        }
    };
    while let Ok(msg) = rx.recv() {
        match msg {
            WriterMsg::Batch(b) => {
                pending.extend(b);
                write(&mut pending, &mut written, &mut failure);
            }
            WriterMsg::Flush(ack) => {
                write(&mut pending, &mut written, &mut failure);
                let result = match &failure {
                    Some(msg) => Err(crate::Error::Storage(format!(
                        "{msg} ({} events kept for retry)",
                        pending.len()
                    ))),
                    None => Ok(std::mem::take(&mut written)),
                };
                let _ = ack.send(result);
            }
        }
    }
    write(&mut pending, &mut written, &mut failure);
    if !pending.is_empty() {
        tracing::error!("lost {} events: the store kept failing", pending.len());
    }
}
