//! Errors as JavaScript sees them: an `Error` whose `code` is the stable code of the core
//! error (`HIVEMIND_INVALID_INPUT`, `HIVEMIND_STORAGE`, ...) and whose message carries the
//! whole cause chain. A Rust panic becomes an `Error` with code `HIVEMIND_PANIC`.

use napi::bindgen_prelude::{JsObjectValue, JsValue};
use napi::{Env, Status};
use std::any::Any;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// Code of the JavaScript error raised when the Rust side panicked.
pub const PANIC_CODE: &str = "HIVEMIND_PANIC";

/// A failure on its way to JavaScript.
#[derive(Debug)]
pub struct Failure {
    code: &'static str,
    message: String,
}

impl From<hivemind_core::Error> for Failure {
    fn from(e: hivemind_core::Error) -> Self {
        Failure {
            code: e.code(),
            message: chain(&e),
        }
    }
}

impl Failure {
    /// The failure for a panic payload.
    fn panic(payload: &(dyn Any + Send)) -> Self {
        let what = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "(no message)".to_string());
        Failure {
            code: PANIC_CODE,
            message: format!("hivemind panicked: {what}"),
        }
    }

    /// Prefixes the message with where the failure happened (`events[3]`, ...).
    pub fn context(mut self, what: impl std::fmt::Display) -> Self {
        self.message = format!("{what}: {}", self.message);
        self
    }

    /// Builds the JavaScript `Error` (with `code`) and wraps it so napi throws or rejects
    /// with exactly that object.
    pub fn into_napi(self, env: &Env) -> napi::Error {
        let built = env
            .create_error(napi::Error::new(Status::GenericFailure, &self.message))
            .and_then(|mut obj| {
                obj.set_named_property("code", self.code)?;
                Ok(napi::Error::from(obj.to_unknown()))
            });
        match built {
            Ok(e) => e,
            // The environment cannot build objects (it is shutting down): a plain error.
            Err(_) => napi::Error::new(Status::GenericFailure, self.message),
        }
    }
}

/// The error's message followed by each cause that it does not already spell out.
fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut message = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !message.contains(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        source = s.source();
    }
    message
}

/// Runs `f`, turning a panic into a [`Failure`] instead of unwinding into Node.
pub fn guard<T>(f: impl FnOnce() -> Result<T, Failure>) -> Result<T, Failure> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(payload) => Err(Failure::panic(payload.as_ref())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_come_from_the_core_and_causes_are_kept() {
        let f: Failure = hivemind_core::WorkspaceId::new("../x").unwrap_err().into();
        assert_eq!(f.code, "HIVEMIND_INVALID_INPUT");
        assert!(f.message.contains("workspace id"), "{}", f.message);
    }

    #[test]
    fn panics_become_failures() {
        let r: Result<(), Failure> = guard(|| panic!("boom"));
        let f = r.unwrap_err();
        assert_eq!(f.code, PANIC_CODE);
        assert!(f.message.contains("boom"));
    }
}
