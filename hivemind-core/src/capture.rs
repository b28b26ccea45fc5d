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
        if let std::borrow::Cow::Owned(s) = redact::redact(t) {
            *n += 1;
            *t = s;
        }
        if t.len() > max_bytes {
            *t = redact::truncate(t, max_bytes).into_owned();
        }
    };
    match &mut event.kind {
        EventKind::Prompt { text } | EventKind::Response { text } => fix_text(text, &mut n),
        EventKind::ToolCall { input, .. } => {
            n += redact::redact_json(input);
            truncate_json(input, max_bytes);
        }
        EventKind::ToolResult { output, .. } => {
            n += redact::redact_json(output);
            truncate_json(output, max_bytes);
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

/// Truncates every string in `v` to `max_bytes` (with a marker saying how much was cut).
fn truncate_json(v: &mut Value, max_bytes: usize) {
    match v {
        Value::String(s) if s.len() > max_bytes => {
            *s = redact::truncate(s, max_bytes).into_owned();
        }
        Value::Array(items) => items.iter_mut().for_each(|x| truncate_json(x, max_bytes)),
        Value::Object(map) => map.values_mut().for_each(|x| truncate_json(x, max_bytes)),
        _ => {}
    }
}
