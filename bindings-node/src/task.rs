//! Work that returns a Promise: run on libuv's thread pool (`AsyncTask`), off the
//! JavaScript thread, with panics caught; the result or the typed error is built back on
//! the JavaScript thread.

use crate::error::{guard, Failure};
use napi::bindgen_prelude::{ToNapiValue, TypeName, Unknown};
use napi::{Env, ScopedTask, Task};
use serde_json::Value;

type Work<T> = Box<dyn FnOnce() -> Result<T, Failure> + Send>;

/// One call into the core, run off the JavaScript thread.
pub struct Job<T> {
    work: Option<Work<T>>,
}

impl<T> std::fmt::Debug for Job<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Job")
            .field("pending", &self.work.is_some())
            .finish()
    }
}

impl<T> Job<T> {
    /// Wraps `work` (a closure over cloned core handles and parsed inputs).
    pub fn new(work: impl FnOnce() -> Result<T, Failure> + Send + 'static) -> Self {
        Job {
            work: Some(Box::new(work)),
        }
    }
}

fn run<T>(work: &mut Option<Work<T>>) -> Result<T, Failure> {
    match work.take() {
        Some(work) => guard(work),
        None => Err(hivemind_core::Error::InvalidInput("this task already ran".into()).into()),
    }
}

impl<T> Task for Job<T>
where
    T: ToNapiValue + TypeName + Send + 'static,
{
    type Output = Result<T, Failure>;
    type JsValue = T;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        Ok(run(&mut self.work))
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> napi::Result<T> {
        output.map_err(|f| f.into_napi(&env))
    }
}

/// One call into the core whose result is the serde form of a core value (a correction,
/// skills, a selection, ...), converted to a JavaScript value on the JavaScript thread.
pub struct JsonJob {
    work: Option<Work<Value>>,
}

impl std::fmt::Debug for JsonJob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JsonJob")
            .field("pending", &self.work.is_some())
            .finish()
    }
}

impl JsonJob {
    /// Wraps `work`.
    pub fn new(work: impl FnOnce() -> Result<Value, Failure> + Send + 'static) -> Self {
        JsonJob {
            work: Some(Box::new(work)),
        }
    }
}

impl<'task> ScopedTask<'task> for JsonJob {
    type Output = Result<Value, Failure>;
    type JsValue = Unknown<'task>;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        Ok(run(&mut self.work))
    }

    fn resolve(&mut self, env: &'task Env, output: Self::Output) -> napi::Result<Unknown<'task>> {
        match output {
            Ok(value) => env.to_js_value(&value),
            Err(f) => Err(f.into_napi(env)),
        }
    }
}
