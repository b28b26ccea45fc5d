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
