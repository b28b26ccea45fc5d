//! JavaScript values in, core types out, and back. No decisions are made here: every
//! value is parsed with the core's own serde forms and validators (ids, agent names, event
//! kinds, targets), and results are the core types' serde forms.

use crate::error::Failure;
use chrono::{DateTime, Utc};
use hivemind_core::{
    Agent, Config, CorrectionFilter, CorrectionInput, CorrectionKind, EventKind, SessionId, Target,
    WorkspaceId,
};
use napi::bindgen_prelude::{FromNapiValue, Function, JsObjectValue, Object, ObjectRef, Unknown};
use napi::{Env, JsValue, ValueType};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::cell::RefCell;
use std::path::PathBuf;
use std::rc::Rc;

/// The agent of events that do not name one.
pub const DEFAULT_AGENT: &str = "custom";

fn invalid(msg: impl Into<String>) -> Failure {
    hivemind_core::Error::InvalidInput(msg.into()).into()
}

/// Deserializes `value` into `T`; a mismatch is invalid input that names `what`.
fn from_js<T: serde::de::DeserializeOwned>(what: &str, value: Value) -> Result<T, Failure> {
    serde_json::from_value(value).map_err(|e| invalid(format!("{what}: {e}")))
}

fn workspace_id(s: Option<String>) -> Result<Option<WorkspaceId>, Failure> {
    Ok(s.map(WorkspaceId::new).transpose()?)
}

fn session_opt(s: Option<String>) -> Result<Option<SessionId>, Failure> {
    Ok(s.map(SessionId::new).transpose()?)
}

/// Options of `Hivemind.open` (see `OpenOptions` in `types.d.ts`).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OpenOptions {
    home: Option<PathBuf>,
    workspace: Option<String>,
    no_llm: Option<bool>,
    project: Option<PathBuf>,
    batch_size: Option<usize>,
}

impl OpenOptions {
    /// Parses the options object (`undefined`/`null`: all defaults).
    pub fn parse(value: Option<Value>) -> Result<Self, Failure> {
        let options: Self = match value {
            None | Some(Value::Null) => Self::default(),
            Some(v) => from_js("open options", v)?,
        };
        workspace_id(options.workspace.clone())?;
        Ok(options)
    }

    /// The configuration: `Config::load(home)` (the home's `config.json`, then the
    /// `HIVEMIND_*` variables; without `home`, `Config::from_env()`), then the options.
    pub fn config(&self) -> Result<Config, Failure> {
        let mut config = match &self.home {
            Some(home) => Config::load(home)?,
            None => Config::from_env()?,
        };
        if let Some(w) = workspace_id(self.workspace.clone())? {
            config.workspace = Some(w);
        }
        if let Some(no_llm) = self.no_llm {
            config.no_llm = no_llm;
        }
        if let Some(n) = self.batch_size {
            config.batch_size = n;
        }
        Ok(config)
    }

    /// The project folder skills are written into, when the caller gave one.
    pub fn project(&self) -> Option<&PathBuf> {
        self.project.as_ref()
    }
}

/// One event object: `session`, optional `agent`, and the fields of one `EventKind` in its
/// serde form (`kind` plus the variant's fields).
pub struct EventInput {
    pub session: SessionId,
    pub agent: Agent,
    pub kind: EventKind,
}

fn take_string(map: &mut Map<String, Value>, key: &str) -> Result<Option<String>, Failure> {
    match map.remove(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(other) => Err(invalid(format!(
            "event: `{key}` must be a string, not {other}"
        ))),
    }
}

impl EventInput {
    /// Parses one event object.
    pub fn parse(value: Value) -> Result<Self, Failure> {
        let Value::Object(mut map) = value else {
            return Err(invalid(format!(
                "an event must be an object with `session` and `kind`, not {value}"
            )));
        };
        let session = take_string(&mut map, "session")?
            .ok_or_else(|| invalid("an event needs a `session` (string)"))?;
        let session = SessionId::new(session)?;
        let agent = take_string(&mut map, "agent")?;
        let agent = agent.as_deref().unwrap_or(DEFAULT_AGENT).parse::<Agent>()?;
        let kind: EventKind = from_js("event", Value::Object(map))?;
        Ok(EventInput {
            session,
            agent,
            kind,
        })
    }
}

const STRING: &str = "a string";

/// `JSON.stringify` of a Node environment, kept per thread (one environment per thread):
/// nested tool input and output cross the boundary as one JSON string, which costs far
/// less than walking the object property by property through N-API.
struct Stringify {
    /// The environment it belongs to.
    env: usize,
    /// Never released: it lives as long as its environment.
    func: ObjectRef<false>,
}

impl Stringify {
    fn new(env: Env) -> napi::Result<Self> {
        let func = env
            .get_global()?
            .get_named_property_unchecked::<Object>("JSON")?
            .get_named_property_unchecked::<Object>("stringify")?
            .create_ref::<false>()?;
        Ok(Stringify {
            env: env.raw() as usize,
            func,
        })
    }

    /// The function of `env`'s thread, looked up on first use.
    fn of(env: &Env) -> napi::Result<Rc<Stringify>> {
        thread_local! {
            static CACHE: RefCell<Option<Rc<Stringify>>> = const { RefCell::new(None) };
        }
        CACHE.with_borrow_mut(|cached| {
            if let Some(s) = cached.as_ref().filter(|s| s.env == env.raw() as usize) {
                return Ok(s.clone());
            }
            let s = Rc::new(Stringify::new(*env)?);
            *cached = Some(s.clone());
            Ok(s)
        })
    }

    /// `value` as JSON, the way `JSON.stringify` sees it (`toJSON`, dates as strings,
    /// `undefined` and functions dropped; a cycle or a BigInt is an error).
    fn to_json(env: &Env, value: Unknown<'_>) -> napi::Result<Value> {
        let cache = Self::of(env)?;
        let func = cache.func.get_value(env)?.to_unknown();
        let func = Function::<Unknown, Option<String>>::from_unknown(func)?;
        match func.call(value)? {
            Some(text) => serde_json::from_str(&text)
                .map_err(|e| napi::Error::from_reason(format!("not JSON: {e}"))),
            None => Ok(Value::Null),
        }
    }
}

/// Reads the fields of one event object with `napi_get_named_property`: three to four
/// N-API calls per field, and one `JSON.stringify` call per nested value. Only on a
/// failure does it look again to say what is wrong.
struct Reader<'a> {
    env: Env,
    obj: Object<'a>,
}

impl Reader<'_> {
    /// Why `key` could not be read as `what`: absent, or of another type.
    fn bad_field(&self, key: &str, what: &str) -> Failure {
        let ty = self
            .obj
            .get_named_property_unchecked::<Unknown>(key)
            .and_then(|u| u.get_type());
        match ty {
            Ok(ValueType::Undefined) => invalid(format!("event: missing field `{key}`")),
            Ok(ty) => invalid(format!("event: `{key}` must be {what}, not {ty}")),
            Err(e) => invalid(format!("event: `{key}`: {}", e.reason)),
        }
    }

    /// A string field the event's kind requires.
    fn required(&self, key: &str) -> Result<String, Failure> {
        self.obj
            .get_named_property_unchecked::<String>(key)
            .map_err(|_| self.bad_field(key, STRING))
    }

    /// An optional field (`undefined` or `null`: `None`).
    fn optional<T: FromNapiValue>(&self, key: &str, what: &str) -> Result<Option<T>, Failure> {
        self.obj
            .get_named_property_unchecked::<Option<T>>(key)
            .map_err(|_| self.bad_field(key, what))
    }

    /// A JSON field the event's kind requires (`null` is a value; absent is not).
    fn required_json(&self, key: &str) -> Result<Value, Failure> {
        let v = self
            .obj
            .get_named_property_unchecked::<Unknown>(key)
            .map_err(|e| invalid(format!("event: `{key}`: {}", e.reason)))?;
        match v.get_type() {
            Ok(ValueType::Undefined) => Err(invalid(format!("event: missing field `{key}`"))),
            Ok(ValueType::String) => Ok(Value::String(
                String::from_unknown(v).map_err(|e| invalid(e.reason))?,
            )),
            _ => Stringify::to_json(&self.env, v)
                .map_err(|e| invalid(format!("event: `{key}`: {}", e.reason))),
        }
    }

    /// The fields of the event kinds the core has, by name (the serde form of
    /// `EventKind`, so `EventInput::parse` and this agree); `None` for a kind it does not
    /// know, which then goes through serde.
    fn known_kind(&self, kind: &str) -> Result<Option<EventKind>, Failure> {
        Ok(Some(match kind {
            "prompt" => EventKind::Prompt {
                text: self.required("text")?,
            },
            "response" => EventKind::Response {
                text: self.required("text")?,
            },
            "tool_call" => EventKind::ToolCall {
                tool: self.required("tool")?,
                call_id: self.optional("call_id", STRING)?,
                input: self.required_json("input")?,
            },
            "tool_result" => EventKind::ToolResult {
                tool: self.required("tool")?,
                call_id: self.optional("call_id", STRING)?,
                output: self.required_json("output")?,
                is_error: self.optional("is_error", "a boolean")?.unwrap_or(false),
            },
            "session_start" => EventKind::SessionStart {
                source: self.optional("source", STRING)?,
                cwd: self.optional("cwd", STRING)?,
            },
            "session_end" => EventKind::SessionEnd {
                reason: self.optional("reason", STRING)?,
            },
            "interrupt" => EventKind::Interrupt {
                reason: self.optional("reason", STRING)?,
            },
            "file_edited" => EventKind::FileEdited {
                path: self.required("path")?,
                snippet: self.optional("snippet", STRING)?,
            },
            _ => return Ok(None),
        }))
    }
}

impl EventInput {
    /// Reads one event straight from a JavaScript object: the hot path of `capture`. It
    /// reads only the properties the event's kind has (no walk over the object); an
    /// unknown `kind` goes through [`EventInput::parse`], so the core's serde form stays
    /// the reference and its errors name the valid kinds.
    pub fn from_js(env: Env, value: Unknown<'_>) -> Result<Self, Failure> {
        let is_object = matches!(value.get_type(), Ok(ValueType::Object));
        if !is_object {
            let v = Value::from_unknown(value).unwrap_or(Value::Null);
            return Self::parse(v);
        }
        let obj = Object::from_unknown(value).map_err(|e| invalid(e.reason))?;
        let r = Reader { env, obj };
        let kind = r.required("kind")?;
        let Some(kind) = r.known_kind(&kind)? else {
            let v = Stringify::to_json(&env, r.obj.to_unknown())
                .map_err(|e| invalid(format!("event: {}", e.reason)))?;
            return Self::parse(v);
        };
        let session = r.required("session")?;
        let agent: Option<String> = r.optional("agent", STRING)?;
        Ok(EventInput {
            session: SessionId::new(session)?,
            agent: agent.as_deref().unwrap_or(DEFAULT_AGENT).parse::<Agent>()?,
            kind,
        })
    }
}

/// `recordCorrection` input (see `CorrectionInput` in `types.d.ts`).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct CorrectionInputJs {
    session: Option<String>,
    produced: String,
    accepted: Option<String>,
    reason: Option<String>,
    target: Option<Target>,
}

/// Parses a `recordCorrection` input into the core's [`CorrectionInput`].
pub fn correction_input(value: Value) -> Result<CorrectionInput, Failure> {
    let c: CorrectionInputJs = from_js("correction", value)?;
    Ok(CorrectionInput {
        session: session_opt(c.session)?,
        produced: c.produced,
        accepted: c.accepted,
        reason: c.reason,
        target: c.target,
    })
}

/// `corrections` filter (see `CorrectionFilter` in `types.d.ts`).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct FilterJs {
    session: Option<String>,
    kind: Option<CorrectionKind>,
    since: Option<DateTime<Utc>>,
    limit: Option<usize>,
}

/// Parses a `corrections` filter (`undefined`/`null`: everything).
pub fn correction_filter(value: Option<Value>) -> Result<CorrectionFilter, Failure> {
    let f: FilterJs = match value {
        None | Some(Value::Null) => FilterJs::default(),
        Some(v) => from_js("corrections filter", v)?,
    };
    Ok(CorrectionFilter {
        session: session_opt(f.session)?,
        kind: f.kind,
        since: f.since,
        limit: f.limit,
    })
}

/// `contextFor` request (see `ContextRequest` in `types.d.ts`).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ContextRequestJs {
    session: String,
    prompt: String,
    budget_tokens: Option<usize>,
}

/// A parsed `contextFor` request.
#[derive(Debug)]
pub struct ContextRequest {
    pub session: SessionId,
    pub prompt: String,
    pub budget_tokens: Option<usize>,
}

impl ContextRequest {
    /// Parses the request object.
    pub fn parse(value: Value) -> Result<Self, Failure> {
        let r: ContextRequestJs = from_js("context request", value)?;
        Ok(ContextRequest {
            session: SessionId::new(r.session)?,
            prompt: r.prompt,
            budget_tokens: r.budget_tokens,
        })
    }
}

/// The elements of a JavaScript array (`what` is the error when it is not one).
pub fn array<'a>(value: Unknown<'a>, what: &str) -> Result<Vec<Unknown<'a>>, Failure> {
    Vec::<Unknown<'a>>::from_unknown(value).map_err(|e| invalid(format!("{what}: {}", e.reason)))
}

/// A session id given as a plain string.
pub fn session_id(s: String) -> Result<SessionId, Failure> {
    Ok(SessionId::new(s)?)
}

/// The serde form of a core value, as handed to JavaScript.
pub fn to_js<T: Serialize>(value: &T) -> Result<Value, Failure> {
    serde_json::to_value(value).map_err(|e| {
        hivemind_core::Error::Storage(format!("cannot convert a result for JavaScript: {e}")).into()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_event_kind_parses_from_its_serde_form() {
        let events = [
            json!({"session": "s", "kind": "session_start", "source": "startup", "cwd": "/p"}),
            json!({"session": "s", "kind": "session_end"}),
            json!({"session": "s", "kind": "prompt", "text": "hi", "agent": "codex"}),
            json!({"session": "s", "kind": "tool_call", "tool": "Bash", "call_id": "t1", "input": {"command": "ls"}}),
            json!({"session": "s", "kind": "tool_result", "tool": "Bash", "output": "x", "is_error": true}),
            json!({"session": "s", "kind": "response", "text": "done"}),
            json!({"session": "s", "kind": "interrupt", "reason": "esc"}),
            json!({"session": "s", "kind": "file_edited", "path": "a.rs", "snippet": "x"}),
        ];
        for e in events {
            let kind = e["kind"].as_str().unwrap().to_string();
            let parsed = EventInput::parse(e).unwrap();
            assert_eq!(parsed.kind.name(), kind);
        }
        let p = EventInput::parse(json!({"session": "s", "kind": "prompt", "text": "x"})).unwrap();
        assert_eq!(p.agent.as_str(), DEFAULT_AGENT);
    }

    #[test]
    fn bad_events_are_invalid_input() {
        for bad in [
            json!("prompt"),
            json!({"kind": "prompt", "text": "x"}),
            json!({"session": "a b", "kind": "prompt", "text": "x"}),
            json!({"session": "s", "kind": "nope"}),
            json!({"session": "s", "kind": "prompt"}),
            json!({"session": "s", "agent": "", "kind": "prompt", "text": "x"}),
            json!({"session": 3, "kind": "prompt", "text": "x"}),
        ] {
            let f = EventInput::parse(bad.clone()).err().unwrap();
            assert!(format!("{f:?}").contains("HIVEMIND_INVALID_INPUT"), "{bad}");
        }
    }

    #[test]
    fn options_and_filters_parse() {
        let o = OpenOptions::parse(Some(
            json!({"home": "/tmp/h", "workspace": "acme", "noLlm": true}),
        ))
        .unwrap();
        let c = o.config().unwrap();
        assert_eq!(c.workspace.unwrap().as_str(), "acme");
        assert!(c.no_llm);
        assert!(OpenOptions::parse(Some(json!({"workspace": "../x"}))).is_err());
        assert!(OpenOptions::parse(Some(json!({"hom": "/tmp"}))).is_err());
        let f = correction_filter(Some(
            json!({"kind": "explicit", "since": "2024-01-01T00:00:00Z", "limit": 2}),
        ))
        .unwrap();
        assert_eq!(f.kind, Some(CorrectionKind::Explicit));
        assert_eq!(f.limit, Some(2));
        let c = correction_input(json!({"produced": "npm i", "accepted": "pnpm add",
            "target": {"type": "tool", "value": "Bash"}}))
        .unwrap();
        assert_eq!(c.target, Some(Target::Tool("Bash".into())));
    }
}
