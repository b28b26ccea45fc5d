//! The LLM skillifier (opt-in): a model judges a recurring pattern and writes the
//! skill's prose from the *structured* group (the corrections' kinds, targets, diffs and
//! the users' reasons), never from raw chat.
//!
//! Two wire formats are spoken:
//! - `anthropic`: `POST {base_url}/v1/messages` (Anthropic Messages API), key in
//!   `x-api-key`, answer in `content[0].text`;
//! - `openai` (also `openai-compatible`, `ollama`, `vllm`, `llama.cpp`, ...):
//!   `POST {base_url}/chat/completions` where `base_url` includes `/v1`, key (when
//!   configured) as `Authorization: Bearer`, answer in `choices[0].message.content`.
//!
//! The model must answer with one JSON object
//! `{"verdict": "keep"|"merge"|"skip", "name", "description", "body", "reason"}`. The
//! draft is checked against the SKILL.md rules and its lineage (correction ids) is kept.
//! Rate limits (429), server errors (5xx) and connection failures are retried with
//! exponential backoff; every request times out. On any failure (no network, timeout,
//! refusal, malformed or invalid answer) the group is judged by the [`LocalSkillifier`]
//! instead: `judge` never fails because of the model.
//!
//! The API key is read from the environment variable named by
//! [`LlmConfig::api_key_env`] at call time, sent as a sensitive header, and never
//! stored, logged or printed. `HIVEMIND_NO_LLM=1` (checked on every call) or
//! [`LlmSkillifier::with_no_llm`] forbid any request.

use super::{CorrectionGroup, LocalSkillifier, SkillDraft, Skillifier, Verdict};
use crate::config::LlmConfig;
use crate::error::Result;
use crate::model::{Correction, SkillName};
use reqwest::header::{HeaderMap, HeaderValue, AUTHORIZATION, RETRY_AFTER};
use reqwest::StatusCode;
use serde::Deserialize;
use serde_json::{json, Value};
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Attempts per request (the first one included) on 429, 5xx and connection errors.
const MAX_ATTEMPTS: u32 = 3;
/// First backoff; doubled on every retry (200 ms, 400 ms).
const BASE_BACKOFF: Duration = Duration::from_millis(200);
/// A `retry-after` longer than this is not waited for: the group falls back instead.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(5);
/// Total time spent sleeping between attempts of one request, at most.
const MAX_TOTAL_WAIT: Duration = Duration::from_secs(8);
/// After a transport failure (timeout, retries exhausted) the model is not asked again
/// by this skillifier for this long: the rest of the run uses the local miner instead
/// of waiting for a dead endpoint once per group.
const COOLDOWN: Duration = Duration::from_secs(120);
/// Output budget of the model.
const MAX_TOKENS: u32 = 4096;
/// `anthropic-version` header.
const ANTHROPIC_VERSION: &str = "2023-06-01";
/// Bytes of a diff sent per correction.
const DIFF_BYTES: usize = 3000;
/// Bytes of `produced` / `accepted` sent per correction.
const SNIPPET_BYTES: usize = 800;
/// Bytes of a reason sent per correction.
const REASON_BYTES: usize = 600;
/// Bytes of an existing skill's body sent for a merge.
const EXISTING_BODY_BYTES: usize = 12_000;
/// Corrections sent in full (the newest); the others are listed by id only.
const MAX_DETAILED: usize = 20;
/// Evidence lines appended when the model dropped the lineage.
const MAX_EVIDENCE: usize = 40;
/// Characters of an answer searched for the verdict object.
const MAX_ANSWER_CHARS: usize = 256 * 1024;
/// Characters of an error body kept for the logs.
const LOG_SNIPPET_CHARS: usize = 200;

/// The SKILL.md rules and the expected answer, sent as the system message.
const SYSTEM_PROMPT: &str = r#"You turn recurring corrections that users made to a coding agent into a reusable skill (a SKILL.md file) that the agent will read before it acts next time.

You receive ONE group of similar corrections from one workspace, as JSON: for each correction its id, kind (followup, user_edit, modified, rejection, explicit), target (file, tool or response), the user's reason in their own words, a unified diff from what the agent produced to what the user accepted, and snippets of both; the group's top features (+token added by the users, -token removed, plain terms, file:, ext:, tool:); and, when the group already became a skill, that existing skill.

Decide:
- "keep": the corrections share one lesson worth following in future sessions; write a new skill.
- "merge": existing_skill is present; rewrite it so it covers the old and the new corrections (its name is kept).
- "skip": the corrections do not share a durable lesson (one-off fixes, unrelated edits, noise).

Rules for the skill (agentskills.io SKILL.md):
- name: 1 to 64 characters, only lowercase a-z, digits 0-9 and '-', no leading or trailing '-', never '--'. Short and specific, e.g. "use-pnpm-not-npm".
- description: 1 to 1024 characters, one or two sentences saying what to do and when it applies (the agent decides from the description alone whether to load the skill).
- body: Markdown, under 500 lines, no YAML frontmatter, with these sections:
  ## When this applies
  ## Do
  ## Don't (before → after)   (concrete examples taken from the diffs)
  ## Why                      (the users' own reasons)
  ## Evidence                 (one line per correction id of the group)
- Only state what the corrections support; do not invent project facts.

Answer with ONLY one JSON object, no prose before or after:
{"verdict": "keep" | "merge" | "skip", "name": "...", "description": "...", "body": "...", "reason": "why this verdict, one sentence"}"#;

/// The wire format of the configured endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Provider {
    Anthropic,
    OpenAi,
}

impl Provider {
    fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "anthropic" | "claude" => Some(Provider::Anthropic),
            "openai" | "openai-compatible" | "openai_compatible" | "ollama" | "vllm"
            | "llama.cpp" | "llamacpp" | "llama-cpp" | "lmstudio" | "lm-studio" => {
                Some(Provider::OpenAi)
            }
            _ => None,
        }
    }
}

/// Why a model call did not give a usable verdict. Never holds a credential.
#[derive(Debug)]
struct Failure {
    message: String,
    /// The endpoint looks unreachable or overloaded: stop asking it for a while.
    transport: bool,
}

impl Failure {
    fn model(message: impl Into<String>) -> Self {
        Failure {
            message: message.into(),
            transport: false,
        }
    }

    fn transport(message: impl Into<String>) -> Self {
        Failure {
            message: message.into(),
            transport: true,
        }
    }
}

/// Asks a model (Anthropic Messages API or any OpenAI-compatible chat endpoint) for a
/// verdict on a group; falls back to the [`LocalSkillifier`] on any failure.
///
/// Build one per mining run: after a timeout or exhausted retries it stops calling the
/// endpoint for a while and lets the local miner judge the remaining groups.
#[derive(Clone)]
pub struct LlmSkillifier {
    config: LlmConfig,
    provider: Option<Provider>,
    client: Option<reqwest::Client>,
    no_llm: bool,
    fallback: LocalSkillifier,
    unavailable_until: Arc<Mutex<Option<Instant>>>,
}

impl fmt::Debug for LlmSkillifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Only the *name* of the key's variable: the key itself is never held.
        f.debug_struct("LlmSkillifier")
            .field("provider", &self.config.provider)
            .field("base_url", &self.config.base_url)
            .field("model", &self.config.model)
            .field("api_key_env", &self.config.api_key_env)
            .field("timeout_secs", &self.config.timeout_secs)
            .field("no_llm", &self.no_llm)
            .finish_non_exhaustive()
    }
}

impl LlmSkillifier {
    /// A skillifier for `config`. Builds its HTTP client once (timeout
    /// `config.timeout_secs`, at least 1 s); sends nothing until [`Skillifier::judge`].
    pub fn new(config: LlmConfig) -> Self {
        let provider = Provider::parse(&config.provider);
        if provider.is_none() {
            tracing::warn!(
                provider = %config.provider,
                "unknown LLM provider (expected anthropic or openai); the local miner will be used"
            );
        }
        let timeout = Duration::from_secs(config.timeout_secs.max(1));
        let mut builder = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .user_agent(concat!("hivemind/", env!("CARGO_PKG_VERSION")));
        if is_loopback(&config.base_url) {
            // A local server (Ollama, vLLM, llama.cpp) is never reached through a proxy.
            builder = builder.no_proxy();
        }
        let client = builder.build();
        let client = match client {
            Ok(c) => Some(c),
            Err(e) => {
                tracing::warn!("cannot build the HTTP client ({e}); the local miner will be used");
                None
            }
        };
        LlmSkillifier {
            config,
            provider,
            client,
            no_llm: false,
            fallback: LocalSkillifier,
            unavailable_until: Arc::new(Mutex::new(None)),
        }
    }

    /// Forbids (`true`) any model call, as `HIVEMIND_NO_LLM=1` does: every group is
    /// judged by the local miner.
    pub fn with_no_llm(mut self, no_llm: bool) -> Self {
        self.no_llm = no_llm;
        self
    }

    /// The configuration (holds the key's variable name, never the key).
    pub fn config(&self) -> &LlmConfig {
        &self.config
    }

    /// True when a model call is forbidden right now (`with_no_llm(true)` or
    /// `HIVEMIND_NO_LLM` set to `1`/`true`/`yes`/`on` in the environment).
    pub fn calls_forbidden(&self) -> bool {
        self.no_llm || env_forbids()
    }

    fn cooling_down(&self) -> bool {
        match self.unavailable_until.lock() {
            Ok(mut g) => match *g {
                Some(t) if Instant::now() < t => true,
                Some(_) => {
                    *g = None;
                    false
                }
                None => false,
            },
            Err(_) => false,
        }
    }

    fn trip(&self) {
        if let Ok(mut g) = self.unavailable_until.lock() {
            *g = Some(Instant::now() + COOLDOWN);
        }
    }

    /// The API key from the environment, when one is configured and set.
    fn api_key(&self) -> std::result::Result<Option<String>, Failure> {
        let Some(var) = self.config.api_key_env.as_deref().filter(|v| !v.is_empty()) else {
            return Ok(None);
        };
        match std::env::var(var) {
            Ok(k) if !k.trim().is_empty() => Ok(Some(k.trim().to_string())),
            _ => {
                if self.provider == Some(Provider::Anthropic) {
                    Err(Failure::model(format!(
                        "the API key variable {var} is not set"
                    )))
                } else {
                    tracing::debug!("the API key variable {var} is not set; calling without a key");
                    Ok(None)
                }
            }
        }
    }

    /// Asks the model; `Err` says why its answer cannot be used.
    async fn ask(&self, group: &CorrectionGroup) -> std::result::Result<Verdict, Failure> {
        let provider = self.provider.ok_or_else(|| {
            Failure::model(format!("unknown provider {:?}", self.config.provider))
        })?;
        let client = self
            .client
            .as_ref()
            .ok_or_else(|| Failure::model("no HTTP client"))?;
        let key = self.api_key()?;
        let user = user_message(group);
        let base = self.config.base_url.trim().trim_end_matches('/');
        let (url, mut headers) = match provider {
            Provider::Anthropic => {
                let url = if base.ends_with("/v1") {
                    format!("{base}/messages")
                } else {
                    format!("{base}/v1/messages")
                };
                let mut h = HeaderMap::new();
                h.insert(
                    "anthropic-version",
                    HeaderValue::from_static(ANTHROPIC_VERSION),
                );
                if let Some(k) = &key {
                    h.insert("x-api-key", sensitive(k)?);
                }
                (url, h)
            }
            Provider::OpenAi => {
                let url = format!("{base}/chat/completions");
                let mut h = HeaderMap::new();
                if let Some(k) = &key {
                    h.insert(AUTHORIZATION, sensitive(&format!("Bearer {k}"))?);
                }
                (url, h)
            }
        };
        headers.insert(
            reqwest::header::ACCEPT,
            HeaderValue::from_static("application/json"),
        );
        let model = &self.config.model;
        let text = match provider {
            Provider::Anthropic => {
                let body = json!({
                    "model": model,
                    "max_tokens": MAX_TOKENS,
                    "temperature": 0,
                    "system": SYSTEM_PROMPT,
                    "messages": [{"role": "user", "content": user}],
                });
                let raw = self
                    .post(client, &url, &headers, &body, key.as_deref())
                    .await?;
                anthropic_text(&raw)?
            }
            Provider::OpenAi => {
                let mut body = json!({
                    "model": model,
                    "temperature": 0,
                    "messages": [
                        {"role": "system", "content": SYSTEM_PROMPT},
                        {"role": "user", "content": user},
                    ],
                    "response_format": {"type": "json_object"},
                });
                let raw = match self
                    .post(client, &url, &headers, &body, key.as_deref())
                    .await
                {
                    Err(f) if f.message.starts_with("HTTP 400") => {
                        // Some OpenAI-compatible servers reject `response_format`.
                        tracing::debug!("retrying without response_format after: {}", f.message);
                        if let Some(o) = body.as_object_mut() {
                            o.remove("response_format");
                        }
                        self.post(client, &url, &headers, &body, key.as_deref())
                            .await?
                    }
                    other => other?,
                };
                openai_text(&raw)?
            }
        };
        let answer = extract_verdict(&text).ok_or_else(|| {
            Failure::model(format!(
                "the answer holds no JSON verdict object: {}",
                log_snippet(&text, key.as_deref())
            ))
        })?;
        validate(answer, group).map_err(Failure::model)
    }

    /// POSTs `body` with retries; the response text of a 2xx answer.
    async fn post(
        &self,
        client: &reqwest::Client,
        url: &str,
        headers: &HeaderMap,
        body: &Value,
        key: Option<&str>,
    ) -> std::result::Result<String, Failure> {
        let mut waited = Duration::ZERO;
        let mut attempt: u32 = 0;
        loop {
            attempt += 1;
            let sent = client
                .post(url)
                .headers(headers.clone())
                .json(body)
                .send()
                .await;
            let (delay, last_error) = match sent {
                Ok(resp) => {
                    let status = resp.status();
                    if status.is_success() {
                        return resp.text().await.map_err(|e| {
                            let e = e.without_url();
                            if e.is_timeout() {
                                Failure::transport(format!("timed out reading the answer: {e}"))
                            } else {
                                Failure::model(format!("cannot read the answer: {e}"))
                            }
                        });
                    }
                    let retry_after = retry_after(resp.headers());
                    let text = resp.text().await.unwrap_or_default();
                    let message = format!("HTTP {}: {}", status.as_u16(), log_snippet(&text, key));
                    let retryable =
                        status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error();
                    if !retryable {
                        // A refused key or a wrong URL or model will not get better
                        // within this run.
                        let fatal = matches!(status.as_u16(), 401 | 403 | 404);
                        return Err(Failure {
                            message,
                            transport: fatal,
                        });
                    }
                    match retry_after {
                        Some(d) if d > MAX_RETRY_AFTER => {
                            return Err(Failure::transport(format!(
                                "{message} (retry-after {}s is too long)",
                                d.as_secs()
                            )))
                        }
                        Some(d) => (d, message),
                        None => (backoff(attempt), message),
                    }
                }
                Err(e) => {
                    let e = e.without_url();
                    if e.is_timeout() {
                        return Err(Failure::transport(format!(
                            "timed out after {}s: {e}",
                            self.config.timeout_secs.max(1)
                        )));
                    }
                    if e.is_connect() || e.is_request() {
                        (backoff(attempt), format!("request failed: {e}"))
                    } else {
                        return Err(Failure::model(format!("request failed: {e}")));
                    }
                }
            };
            if attempt >= MAX_ATTEMPTS {
                return Err(Failure::transport(format!(
                    "{last_error} (after {attempt} attempts)"
                )));
            }
            if waited + delay > MAX_TOTAL_WAIT {
                return Err(Failure::transport(format!(
                    "{last_error} (retry budget spent)"
                )));
            }
            tracing::debug!(attempt, ?delay, "retrying the model call: {last_error}");
            tokio::time::sleep(delay).await;
            waited += delay;
        }
    }
}

impl LlmSkillifier {
    /// The local miner's verdict, with the local miner as its author.
    async fn local(&self, group: &CorrectionGroup) -> Result<Verdict> {
        Ok(match self.fallback.judge(group).await? {
            Verdict::Keep(mut d) => {
                d.author = Some(self.fallback.author());
                Verdict::Keep(d)
            }
            skip => skip,
        })
    }
}

#[async_trait::async_trait]
impl Skillifier for LlmSkillifier {
    fn author(&self) -> String {
        format!("hivemind-llm:{}", self.config.model)
    }

    async fn judge(&self, group: &CorrectionGroup) -> Result<Verdict> {
        if self.calls_forbidden() {
            tracing::debug!("model calls are forbidden (HIVEMIND_NO_LLM); using the local miner");
            return self.local(group).await;
        }
        if self.cooling_down() {
            tracing::debug!("the model endpoint failed recently; using the local miner");
            return self.local(group).await;
        }
        let started = Instant::now();
        match self.ask(group).await {
            Ok(v) => {
                tracing::debug!(
                    elapsed_ms = started.elapsed().as_millis() as u64,
                    skip = matches!(v, Verdict::Skip(_)),
                    "model verdict"
                );
                Ok(v)
            }
            Err(f) => {
                if f.transport {
                    self.trip();
                }
                tracing::warn!(
                    model = %self.config.model,
                    corrections = group.corrections.len(),
                    "LLM skillifier failed ({}); using the local miner for this group",
                    f.message
                );
                self.local(group).await
            }
        }
    }
}

/// `HIVEMIND_NO_LLM` is set to a true value.
fn env_forbids() -> bool {
    std::env::var("HIVEMIND_NO_LLM").is_ok_and(|v| {
        matches!(
            v.trim().to_ascii_lowercase().as_str(),
            "1" | "true" | "yes" | "on"
        )
    })
}

/// True when `url` points at this machine (`localhost`, `127.0.0.0/8`, `::1`).
fn is_loopback(url: &str) -> bool {
    match reqwest::Url::parse(url.trim()) {
        Ok(u) => u.host_str().is_some_and(|h| {
            h.eq_ignore_ascii_case("localhost")
                || h.trim_start_matches('[')
                    .trim_end_matches(']')
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback())
        }),
        Err(_) => false,
    }
}

/// A header value that `Debug` output and logs never show.
fn sensitive(value: &str) -> std::result::Result<HeaderValue, Failure> {
    let mut v = HeaderValue::from_str(value)
        .map_err(|_| Failure::model("the API key is not a valid header value"))?;
    v.set_sensitive(true);
    Ok(v)
}

fn backoff(attempt: u32) -> Duration {
    BASE_BACKOFF * 2u32.saturating_pow(attempt.saturating_sub(1).min(8))
}

/// `retry-after` in seconds (HTTP dates are ignored).
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let v = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    let secs: f64 = v.parse().ok()?;
    (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs.min(3600.0)))
}

/// A short, one-line, key-free excerpt of a response for the logs.
fn log_snippet(text: &str, key: Option<&str>) -> String {
    let mut s: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if let Some(k) = key.filter(|k| !k.is_empty()) {
        s = s.replace(k, "[REDACTED]");
    }
    let mut out: String = s.chars().take(LOG_SNIPPET_CHARS).collect();
    if s.chars().count() > LOG_SNIPPET_CHARS {
        out.push('…');
    }
    out
}

/// At most `max` bytes of `s`, cut on a character boundary, with a marker when cut.
fn truncate(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut cut = max;
    while !s.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}\n…[{} more bytes]", &s[..cut], s.len() - cut)
}

fn correction_json(c: &Correction) -> Value {
    json!({
        "id": c.id.as_str(),
        "kind": c.kind.as_str(),
        "target": c.target.label(),
        "target_type": match &c.target {
            crate::model::Target::File(_) => "file",
            crate::model::Target::Tool(_) => "tool",
            crate::model::Target::Response => "response",
        },
        "reason": c.reason.as_deref().map(|r| truncate(r, REASON_BYTES)),
        "diff": truncate(c.diff.as_str(), DIFF_BYTES),
        "produced": truncate(&c.produced, SNIPPET_BYTES),
        "accepted": c.accepted.as_deref().map(|a| truncate(a, SNIPPET_BYTES)),
        "session": c.session.as_str(),
        "confidence": c.confidence,
    })
}

/// The user message: the structured group as JSON (never raw chat).
fn user_message(group: &CorrectionGroup) -> String {
    let n = group.corrections.len();
    let detailed_from = n.saturating_sub(MAX_DETAILED);
    let corrections: Vec<Value> = group.corrections[detailed_from..]
        .iter()
        .map(correction_json)
        .collect();
    let ids: Vec<&str> = group.corrections.iter().map(|c| c.id.as_str()).collect();
    let features: Vec<Value> = group
        .top_features
        .iter()
        .map(|(f, w)| json!({"feature": f, "weight": w}))
        .collect();
    let existing = group.existing.as_ref().map(|s| {
        json!({
            "name": s.name.as_str(),
            "description": s.description,
            "body": truncate(&s.body, EXISTING_BODY_BYTES),
            "version": s.version,
        })
    });
    let expected = if group.existing.is_some() {
        "merge or skip"
    } else {
        "keep or skip"
    };
    let msg = json!({
        "expected_verdict": expected,
        "support": n,
        "correction_ids": ids,
        "corrections": corrections,
        "omitted_corrections": detailed_from,
        "top_features": features,
        "existing_skill": existing,
    });
    format!(
        "Judge this group of {n} similar user corrections and answer with the JSON object only.\n\n{msg}"
    )
}

fn parse_json(raw: &str) -> std::result::Result<Value, Failure> {
    serde_json::from_str(raw).map_err(|e| {
        Failure::model(format!(
            "the endpoint did not answer JSON ({e}): {}",
            log_snippet(raw, None)
        ))
    })
}

/// The text of an Anthropic Messages answer: the first `text` block of `content`.
fn anthropic_text(raw: &str) -> std::result::Result<String, Failure> {
    let v = parse_json(raw)?;
    v.get("content")
        .and_then(Value::as_array)
        .and_then(|blocks| {
            blocks
                .iter()
                .filter(|b| b.get("type").and_then(Value::as_str).unwrap_or("text") == "text")
                .find_map(|b| b.get("text").and_then(Value::as_str))
        })
        .map(str::to_string)
        .ok_or_else(|| {
            Failure::model(format!(
                "no content[].text in the answer: {}",
                log_snippet(raw, None)
            ))
        })
}

/// The text of an OpenAI chat completion: `choices[0].message.content` (a string or a
/// list of text parts).
fn openai_text(raw: &str) -> std::result::Result<String, Failure> {
    let v = parse_json(raw)?;
    let content = v
        .get("choices")
        .and_then(Value::as_array)
        .and_then(|c| c.first())
        .and_then(|c| c.get("message"))
        .and_then(|m| m.get("content"));
    match content {
        Some(Value::String(s)) => Ok(s.clone()),
        Some(Value::Array(parts)) => {
            let text: String = parts
                .iter()
                .filter_map(|p| p.get("text").and_then(Value::as_str))
                .collect();
            if text.is_empty() {
                Err(Failure::model("empty choices[0].message.content"))
            } else {
                Ok(text)
            }
        }
        _ => Err(Failure::model(format!(
            "no choices[0].message.content in the answer: {}",
            log_snippet(raw, None)
        ))),
    }
}

/// The verdict object a model answers with.
#[derive(Debug, Deserialize)]
struct ModelVerdict {
    verdict: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    body: Option<String>,
    #[serde(default)]
    reason: Option<String>,
}

/// The first JSON object with a `verdict` field in `text` (models wrap it in prose,
/// Markdown `json` code fences or a reasoning block).
fn extract_verdict(text: &str) -> Option<ModelVerdict> {
    let text = match text.char_indices().nth(MAX_ANSWER_CHARS) {
        Some((cut, _)) => &text[..cut],
        None => text,
    };
    for (i, _) in text.match_indices('{').take(256) {
        let mut values = serde_json::Deserializer::from_str(&text[i..]).into_iter::<Value>();
        if let Some(Ok(v @ Value::Object(_))) = values.next() {
            if v.get("verdict").is_some() {
                if let Ok(mv) = serde_json::from_value::<ModelVerdict>(v) {
                    return Some(mv);
                }
            }
        }
    }
    None
}

/// Drops a YAML frontmatter block a model may have put at the top of the body.
fn strip_frontmatter(body: &str) -> &str {
    let t = body.trim_start();
    if let Some(rest) = t
        .strip_prefix("---\n")
        .or_else(|| t.strip_prefix("---\r\n"))
    {
        if let Some(end) = rest.find("\n---") {
            let after = &rest[end + 4..];
            return after.trim_start_matches(['\r', '\n']);
        }
    }
    body
}

/// Checks the model's draft against the SKILL.md rules and keeps the lineage.
fn validate(v: ModelVerdict, group: &CorrectionGroup) -> std::result::Result<Verdict, String> {
    let verdict = v.verdict.trim().to_ascii_lowercase();
    match verdict.as_str() {
        "skip" => {
            let reason = v
                .reason
                .map(|r| r.trim().to_string())
                .filter(|r| !r.is_empty())
                .unwrap_or_else(|| "the model found no lesson worth keeping".into());
            return Ok(Verdict::Skip(reason));
        }
        "keep" | "merge" => {}
        other => return Err(format!("unknown verdict {other:?}")),
    }
    let name = match &group.existing {
        // Names are stable: a merge keeps the existing one whatever the model says.
        Some(s) => s.name.clone(),
        None => {
            let raw = v.name.as_deref().unwrap_or("").trim();
            SkillName::new(raw).map_err(|e| e.to_string())?
        }
    };
    let description = v
        .description
        .as_deref()
        .unwrap_or("")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let n = description.chars().count();
    if n == 0 || n > 1024 {
        return Err(format!(
            "description is {n} characters; it must be 1 to 1024"
        ));
    }
    let raw_body = v.body.as_deref().unwrap_or("");
    let mut body = strip_frontmatter(raw_body).trim().to_string();
    if body.is_empty() {
        return Err("the body is empty".into());
    }
    if !group
        .corrections
        .iter()
        .any(|c| body.contains(c.id.as_str()))
    {
        body.push_str("\n\n");
        body.push_str(&evidence(group));
    }
    if !body.ends_with('\n') {
        body.push('\n');
    }
    let lines = body.lines().count();
    if lines >= 500 {
        return Err(format!(
            "the body has {lines} lines; it must stay under 500"
        ));
    }
    Ok(Verdict::Keep(SkillDraft {
        name,
        description,
        body,
        author: None,
    }))
}

/// An Evidence section listing the group's corrections (the lineage).
fn evidence(group: &CorrectionGroup) -> String {
    let mut out = String::from("## Evidence\n");
    let n = group.corrections.len();
    for c in group
        .corrections
        .iter()
        .skip(n.saturating_sub(MAX_EVIDENCE))
    {
        out.push_str(&format!(
            "- {} ({}, session {}, {})\n",
            c.id,
            c.kind,
            c.session,
            c.created_at.format("%Y-%m-%d")
        ));
    }
    if n > MAX_EVIDENCE {
        out.push_str(&format!(
            "- … and {} earlier corrections\n",
            n - MAX_EVIDENCE
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{CorrectionKind, SessionId, Target, WorkspaceId};

    fn group(n: usize) -> CorrectionGroup {
        let ws = WorkspaceId::new("acme").unwrap();
        let s = SessionId::new("s1").unwrap();
        let corrections = (0..n)
            .map(|i| {
                Correction::new(
                    ws.clone(),
                    s.clone(),
                    CorrectionKind::Modified,
                    Target::Tool("Bash".into()),
                    format!("npm install pkg{i}"),
                    Some(format!("pnpm add pkg{i}")),
                    Some("we use pnpm here".into()),
                    0.9,
                )
                .unwrap()
            })
            .collect();
        CorrectionGroup {
            workspace: ws,
            corrections,
            top_features: vec![("+pnpm".into(), 1.0), ("-npm".into(), 0.8)],
            existing: None,
        }
    }

    fn mv(verdict: &str, name: &str, body: &str) -> ModelVerdict {
        ModelVerdict {
            verdict: verdict.into(),
            name: Some(name.into()),
            description: Some("Use pnpm.\nWhen installing packages.".into()),
            body: Some(body.into()),
            reason: Some("recurring".into()),
        }
    }

    #[test]
    fn extracts_the_verdict_from_fenced_or_noisy_text() {
        let t = "Sure! {not json} <think>{\"a\": 1}</think>\n```json\n{\"verdict\": \"keep\", \"name\": \"use-pnpm\", \"description\": \"d\", \"body\": \"b {x}\"}\n```\nDone.";
        let v = extract_verdict(t).unwrap();
        assert_eq!(v.verdict, "keep");
        assert_eq!(v.name.as_deref(), Some("use-pnpm"));
        assert_eq!(v.body.as_deref(), Some("b {x}"));
        assert!(extract_verdict("no object here").is_none());
        assert!(extract_verdict("{\"verdict\": 3}").is_none());
        assert!(extract_verdict("{\"verdict\": \"keep\", \"name\": ").is_none());
    }

    #[test]
    fn validation_enforces_skill_rules_and_keeps_lineage() {
        let g = group(3);
        let Ok(Verdict::Keep(d)) = validate(mv("keep", "use-pnpm", "## Do\nuse pnpm"), &g) else {
            panic!("valid draft rejected");
        };
        assert_eq!(d.name.as_str(), "use-pnpm");
        assert_eq!(d.description, "Use pnpm. When installing packages.");
        for c in &g.corrections {
            assert!(d.body.contains(c.id.as_str()));
        }
        assert!(d.body.contains("## Evidence"));
        // Already cites a correction: left as written.
        let cited = format!("## Do\nuse pnpm\n## Evidence\n- {}", g.corrections[0].id);
        let Ok(Verdict::Keep(d)) = validate(mv("KEEP", "use-pnpm", &cited), &g) else {
            panic!()
        };
        assert_eq!(d.body.matches("## Evidence").count(), 1);
        assert!(validate(mv("keep", "Bad Name!", "x"), &g).is_err());
        assert!(validate(mv("keep", "a--b", "x"), &g).is_err());
        assert!(validate(mv("keep", "ok", "  \n "), &g).is_err());
        assert!(validate(mv("keep", "ok", &"line\n".repeat(600)), &g).is_err());
        assert!(validate(mv("maybe", "ok", "x"), &g).is_err());
        let mut long = mv("keep", "ok", "x");
        long.description = Some("d".repeat(1025));
        assert!(validate(long, &g).is_err());
        assert_eq!(
            validate(mv("skip", "", ""), &g).unwrap(),
            Verdict::Skip("recurring".into())
        );
        // Frontmatter in the body is dropped.
        let Ok(Verdict::Keep(d)) = validate(mv("keep", "ok", "---\nname: ok\n---\n## Do\nx"), &g)
        else {
            panic!()
        };
        assert!(d.body.starts_with("## Do"));
    }

    #[test]
    fn the_prompt_is_the_structured_group_with_bounded_size() {
        let mut g = group(30);
        g.corrections[29].produced = "é".repeat(10_000);
        let msg = user_message(&g);
        let json_start = msg.find('{').unwrap();
        let v: Value = serde_json::from_str(&msg[json_start..]).unwrap();
        assert_eq!(v["correction_ids"].as_array().unwrap().len(), 30);
        assert_eq!(v["corrections"].as_array().unwrap().len(), MAX_DETAILED);
        assert_eq!(v["omitted_corrections"], 10);
        assert_eq!(v["corrections"][0]["reason"], "we use pnpm here");
        assert!(msg.len() < 200_000);
        assert_eq!(v["expected_verdict"], "keep or skip");
    }

    #[test]
    fn helpers() {
        assert_eq!(backoff(1), Duration::from_millis(200));
        assert_eq!(backoff(2), Duration::from_millis(400));
        assert_eq!(truncate("héllo", 2), "h\n…[5 more bytes]");
        assert_eq!(
            log_snippet("bad key sk-123\n x", Some("sk-123")),
            "bad key [REDACTED] x"
        );
        assert_eq!(Provider::parse("Ollama"), Some(Provider::OpenAi));
        assert_eq!(Provider::parse("anthropic"), Some(Provider::Anthropic));
        assert_eq!(Provider::parse("gemini"), None);
        assert!(is_loopback("http://127.0.0.1:11434/v1"));
        assert!(is_loopback("http://localhost:8000/v1"));
        assert!(is_loopback("http://[::1]:8080"));
        assert!(!is_loopback("https://api.anthropic.com"));
        assert!(!is_loopback("not a url"));
        let mut h = HeaderMap::new();
        h.insert(RETRY_AFTER, HeaderValue::from_static("2"));
        assert_eq!(retry_after(&h), Some(Duration::from_secs(2)));
    }

    #[test]
    fn debug_shows_no_secret() {
        let s = LlmSkillifier::new(LlmConfig {
            provider: "openai".into(),
            base_url: "http://127.0.0.1:1/v1".into(),
            model: "m".into(),
            api_key_env: Some("HIVEMIND_TEST_UNIT_KEY".into()),
            timeout_secs: 1,
        });
        assert!(s.client.is_some(), "the rustls client builds");
        let d = format!("{s:?}");
        assert!(d.contains("HIVEMIND_TEST_UNIT_KEY"));
        assert!(s.with_no_llm(true).calls_forbidden());
    }
}
