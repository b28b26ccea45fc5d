//! The LLM skillifier against a tiny HTTP/1.1 server on 127.0.0.1 that speaks both the
//! Anthropic Messages and the OpenAI chat-completions wire formats, and misbehaves on
//! demand (malformed answers, invalid drafts, 429, 5xx, slow answers).

use hivemind_core::skillify::{CorrectionGroup, LocalSkillifier, SkillDraft, Verdict};
use hivemind_core::{
    Correction, CorrectionKind, LlmConfig, Provenance, SessionId, Skill, SkillName, Skillifier,
    Target, WorkspaceId,
};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Every test reads the environment under a read guard; the one test that sets
/// `HIVEMIND_NO_LLM` takes the write guard, so it never leaks into the others.
static ENV: tokio::sync::RwLock<()> = tokio::sync::RwLock::const_new(());

const REASON: &str = "we use pnpm in this repo, never npm";

// ---------------------------------------------------------------------------------
// The test server.

/// One scripted answer.
#[derive(Clone)]
enum Reply {
    /// `200` with this JSON body.
    Ok(Value),
    /// This status, extra headers and raw body.
    Status(u16, Vec<(&'static str, String)>, String),
    /// Waits, then `200` with this JSON body.
    Slow(Duration, Value),
}

/// A request as the server saw it.
#[derive(Debug, Clone)]
struct Recorded {
    path: String,
    headers: HashMap<String, String>,
    body: String,
}

impl Recorded {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).expect("the request body is JSON")
    }
}

struct Server {
    url: String,
    log: Arc<Mutex<Vec<Recorded>>>,
}

impl Server {
    /// Serves `script` in order; the last reply repeats.
    async fn start(script: Vec<Reply>) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let log = Arc::new(Mutex::new(Vec::new()));
        let count = Arc::new(AtomicUsize::new(0));
        let script = Arc::new(script);
        let log2 = log.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (log, count, script) = (log2.clone(), count.clone(), script.clone());
                tokio::spawn(async move {
                    let _ = handle(stream, log, count, script).await;
                });
            }
        });
        Server { url, log }
    }

    fn requests(&self) -> Vec<Recorded> {
        self.log.lock().expect("log").clone()
    }
}

async fn handle(
    mut stream: TcpStream,
    log: Arc<Mutex<Vec<Recorded>>>,
    count: Arc<AtomicUsize>,
    script: Arc<Vec<Reply>>,
) -> std::io::Result<()> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Ok(());
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break p + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let mut lines = head.split("\r\n");
    let request_line = lines.next().unwrap_or_default();
    let path = request_line
        .split_whitespace()
        .nth(1)
        .unwrap_or_default()
        .to_string();
    let headers: HashMap<String, String> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let len: usize = headers
        .get("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    while buf.len() < head_end + len {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let body = String::from_utf8_lossy(&buf[head_end..]).to_string();
    log.lock().expect("log").push(Recorded {
        path,
        headers,
        body,
    });
    let i = count.fetch_add(1, Ordering::SeqCst);
    let reply = script[i.min(script.len() - 1)].clone();
    let (status, extra, body) = match reply {
        Reply::Ok(v) => (200, Vec::new(), v.to_string()),
        Reply::Status(s, h, b) => (s, h, b),
        Reply::Slow(d, v) => {
            tokio::time::sleep(d).await;
            (200, Vec::new(), v.to_string())
        }
    };
    let mut out = format!(
        "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n",
        body.len()
    );
    for (k, v) in extra {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str("\r\n");
    out.push_str(&body);
    stream.write_all(out.as_bytes()).await?;
    stream.shutdown().await
}

// ---------------------------------------------------------------------------------
// Fixtures.

fn group(n: usize) -> CorrectionGroup {
    let ws = WorkspaceId::new("github.com/acme/shop").expect("ws");
    let session = SessionId::new("session-1").expect("session");
    let corrections = (0..n)
        .map(|i| {
            Correction::new(
                ws.clone(),
                session.clone(),
                CorrectionKind::Modified,
                Target::Tool("Bash".into()),
                format!("npm install pkg{i}"),
                Some(format!("pnpm add pkg{i}")),
                Some(REASON.into()),
                0.9,
            )
            .expect("correction")
        })
        .collect();
    CorrectionGroup {
        workspace: ws,
        corrections,
        top_features: vec![("+pnpm".into(), 1.0), ("-npm".into(), 0.8)],
        existing: None,
    }
}

fn config(provider: &str, base_url: String, key_env: Option<&str>, timeout: u64) -> LlmConfig {
    LlmConfig {
        provider: provider.into(),
        base_url,
        model: "test-model".into(),
        api_key_env: key_env.map(str::to_string),
        timeout_secs: timeout,
    }
}

fn verdict(verdict: &str, name: &str, body: &str) -> String {
    json!({
        "verdict": verdict,
        "name": name,
        "description": "Install packages with pnpm, never npm. Use when adding dependencies.",
        "body": body,
        "reason": "the users corrected npm to pnpm three times",
    })
    .to_string()
}

const BODY: &str = "## When this applies\nAdding a dependency.\n\n## Do\n- `pnpm add x`\n\n## Don't (before → after)\n- `npm install x` → `pnpm add x`\n\n## Why\n> we use pnpm\n";

fn anthropic(text: &str) -> Value {
    json!({
        "id": "msg_01",
        "type": "message",
        "role": "assistant",
        "model": "test-model",
        "content": [{"type": "text", "text": text}],
        "stop_reason": "end_turn",
        "usage": {"input_tokens": 10, "output_tokens": 20},
    })
}

fn openai(text: &str) -> Value {
    json!({
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "model": "test-model",
        "choices": [{
            "index": 0,
            "message": {"role": "assistant", "content": text},
            "finish_reason": "stop",
        }],
    })
}

/// What a fallback returns: the local miner's verdict, authored by the local miner.
async fn local(g: &CorrectionGroup) -> Verdict {
    match LocalSkillifier.judge(g).await.expect("local verdict") {
        Verdict::Keep(mut d) => {
            assert_eq!(d.author, None, "the local miner is its own author");
            d.author = Some(LocalSkillifier.author());
            Verdict::Keep(d)
        }
        skip => skip,
    }
}

fn keep(v: Verdict) -> SkillDraft {
    match v {
        Verdict::Keep(d) => d,
        Verdict::Skip(why) => panic!("expected a draft, got skip: {why}"),
    }
}

/// The structured group inside the user message.
fn group_json(user_content: &str) -> Value {
    let start = user_content.find('{').expect("JSON in the user message");
    serde_json::from_str(&user_content[start..]).expect("the user message holds JSON")
}

fn assert_structured(user_content: &str, g: &CorrectionGroup) {
    let v = group_json(user_content);
    let ids: Vec<&str> = v["correction_ids"]
        .as_array()
        .expect("ids")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let want: Vec<&str> = g.corrections.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, want);
    let cs = v["corrections"].as_array().expect("corrections");
    assert_eq!(cs.len(), g.corrections.len());
    for (c, sent) in g.corrections.iter().zip(cs) {
        assert_eq!(sent["id"], c.id.as_str());
        assert_eq!(sent["kind"], "modified");
        assert_eq!(sent["target"], "Bash");
        assert_eq!(sent["reason"], REASON);
        assert_eq!(sent["diff"], c.diff.as_str());
        assert!(sent["diff"]
            .as_str()
            .is_some_and(|d| d.contains("+pnpm add")));
    }
    assert_eq!(v["top_features"][0]["feature"], "+pnpm");
}

// ---------------------------------------------------------------------------------
// Tests.

#[tokio::test]
async fn anthropic_answer_becomes_a_validated_draft() {
    let _env = ENV.read().await;
    std::env::set_var("HIVEMIND_TEST_KEY_ANTHROPIC", "sk-ant-test-123");
    let fenced = format!(
        "Here is my verdict:\n```json\n{}\n```",
        verdict("keep", "use-pnpm-not-npm", BODY)
    );
    let server = Server::start(vec![Reply::Ok(anthropic(&fenced))]).await;
    let s = hivemind_core::skillify::LlmSkillifier::new(config(
        "anthropic",
        server.url.clone(),
        Some("HIVEMIND_TEST_KEY_ANTHROPIC"),
        5,
    ));
    let g = group(3);
    let d = keep(s.judge(&g).await.expect("judge"));
    assert_eq!(d.name.as_str(), "use-pnpm-not-npm");
    assert!(d.description.starts_with("Install packages with pnpm"));
    assert!(d.body.starts_with("## When this applies"));
    // The model cited no correction: the lineage is appended.
    assert!(d.body.contains("## Evidence"));
    for c in &g.corrections {
        assert!(d.body.contains(c.id.as_str()), "{}", d.body);
    }
    assert_eq!(s.author(), "hivemind-llm:test-model");

    let reqs = server.requests();
    assert_eq!(reqs.len(), 1);
    let r = &reqs[0];
    assert_eq!(r.path, "/v1/messages");
    assert_eq!(r.headers["x-api-key"], "sk-ant-test-123");
    assert_eq!(r.headers["anthropic-version"], "2023-06-01");
    assert!(r.headers["content-type"].starts_with("application/json"));
    assert!(!r.headers.contains_key("authorization"));
    let body = r.json();
    assert_eq!(body["model"], "test-model");
    assert!(body["max_tokens"].as_u64().is_some_and(|n| n > 0));
    assert!(body["system"]
        .as_str()
        .is_some_and(|s| s.contains("[a-z") || s.contains("a-z")));
    assert_eq!(body["messages"].as_array().map(Vec::len), Some(1));
    assert_eq!(body["messages"][0]["role"], "user");
    assert_structured(
        body["messages"][0]["content"].as_str().expect("content"),
        &g,
    );
    assert!(format!("{s:?}").contains("HIVEMIND_TEST_KEY_ANTHROPIC"));
    assert!(!format!("{s:?}").contains("sk-ant-test-123"));
}

#[tokio::test]
async fn openai_compatible_answer_becomes_a_validated_draft() {
    let _env = ENV.read().await;
    std::env::set_var("HIVEMIND_TEST_KEY_OPENAI", "sk-openai-test-456");
    let g = group(3);
    // This model cites the evidence itself: the body is kept as written.
    let body = format!("{BODY}\n## Evidence\n- {}\n", g.corrections[0].id);
    let server = Server::start(vec![Reply::Ok(openai(&verdict(
        "keep",
        "use-pnpm-not-npm",
        &body,
    )))])
    .await;
    let s = hivemind_core::skillify::LlmSkillifier::new(config(
        "openai",
        format!("{}/v1/", server.url),
        Some("HIVEMIND_TEST_KEY_OPENAI"),
        5,
    ));
    let d = keep(s.judge(&g).await.expect("judge"));
    assert_eq!(d.name.as_str(), "use-pnpm-not-npm");
    assert_eq!(d.body.trim_end(), body.trim_end());

    let reqs = server.requests();
    assert_eq!(reqs.len(), 1);
    let r = &reqs[0];
    assert_eq!(r.path, "/v1/chat/completions");
    assert_eq!(r.headers["authorization"], "Bearer sk-openai-test-456");
    assert!(!r.headers.contains_key("x-api-key"));
    let sent = r.json();
    assert_eq!(sent["model"], "test-model");
    assert_eq!(sent["temperature"], 0);
    assert_eq!(sent["messages"][0]["role"], "system");
    assert_eq!(sent["messages"][1]["role"], "user");
    assert_structured(
        sent["messages"][1]["content"].as_str().expect("content"),
        &g,
    );
}

#[tokio::test]
async fn openai_without_a_key_sends_no_authorization_and_honours_skip() {
    let _env = ENV.read().await;
    let server = Server::start(vec![Reply::Ok(openai(
        "{\"verdict\": \"skip\", \"reason\": \"one-off edits, no shared lesson\"}",
    ))])
    .await;
    let s =
        hivemind_core::skillify::LlmSkillifier::new(config("ollama", server.url.clone(), None, 5));
    let v = s.judge(&group(3)).await.expect("judge");
    assert_eq!(v, Verdict::Skip("one-off edits, no shared lesson".into()));
    let reqs = server.requests();
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].path, "/chat/completions");
    assert!(!reqs[0].headers.contains_key("authorization"));
}

#[tokio::test]
async fn merge_keeps_the_existing_name_and_sends_the_existing_skill() {
    let _env = ENV.read().await;
    let mut g = group(4);
    let now = chrono::Utc::now();
    g.existing = Some(Skill {
        name: SkillName::new("use-pnpm").expect("name"),
        description: "Use pnpm.".into(),
        body: "## Do\n- pnpm\n".into(),
        version: 2,
        workspace: g.workspace.clone(),
        provenance: Provenance {
            corrections: vec![g.corrections[0].id.clone()],
            sessions: vec![g.corrections[0].session.clone()],
            author: "hivemind-local".into(),
            created_at: now,
            updated_at: now,
        },
    });
    let server = Server::start(vec![Reply::Ok(anthropic(&verdict(
        "merge",
        "a-brand-new-name",
        BODY,
    )))])
    .await;
    let s = hivemind_core::skillify::LlmSkillifier::new(config(
        "anthropic",
        server.url.clone(),
        None,
        5,
    ));
    let d = keep(s.judge(&g).await.expect("judge"));
    assert_eq!(d.name.as_str(), "use-pnpm");
    let reqs = server.requests();
    assert_eq!(reqs.len(), 1);
    let user = reqs[0].json()["messages"][0]["content"]
        .as_str()
        .expect("content")
        .to_string();
    let sent = group_json(&user);
    assert_eq!(sent["existing_skill"]["name"], "use-pnpm");
    assert_eq!(sent["existing_skill"]["body"], "## Do\n- pnpm\n");
    assert_eq!(sent["expected_verdict"], "merge or skip");
}

#[tokio::test]
async fn malformed_answers_fall_back_to_the_local_miner() {
    let _env = ENV.read().await;
    let g = group(3);
    let expected = local(&g).await;
    let cases: Vec<(&str, Reply)> = vec![
        (
            "not JSON at all",
            Reply::Status(200, Vec::new(), "<html>oops</html>".into()),
        ),
        (
            "no verdict object",
            Reply::Ok(openai("I think this is fine.")),
        ),
        (
            "truncated object",
            Reply::Ok(openai("{\"verdict\": \"keep\", \"name\": \"use-pn")),
        ),
        (
            "wrong shape",
            Reply::Ok(json!({"choices": [{"message": {"content": null}}]})),
        ),
        (
            "empty body",
            Reply::Ok(openai(&verdict("keep", "use-pnpm", "   "))),
        ),
        (
            "unknown verdict",
            Reply::Ok(openai(&verdict("perhaps", "use-pnpm", BODY))),
        ),
    ];
    for (what, reply) in cases {
        let server = Server::start(vec![reply]).await;
        let s = hivemind_core::skillify::LlmSkillifier::new(config(
            "openai",
            server.url.clone(),
            None,
            5,
        ));
        let v = s
            .judge(&g)
            .await
            .expect("judge never fails on a bad answer");
        assert_eq!(v, expected, "{what}");
        assert_eq!(
            server.requests().len(),
            1,
            "{what}: no retry on a bad answer"
        );
    }
    // The Anthropic format too.
    let server = Server::start(vec![Reply::Ok(json!({"content": []}))]).await;
    let s = hivemind_core::skillify::LlmSkillifier::new(config(
        "anthropic",
        server.url.clone(),
        None,
        5,
    ));
    assert_eq!(s.judge(&g).await.expect("judge"), expected);
}

#[tokio::test]
async fn an_invalid_skill_name_falls_back_to_the_local_miner() {
    let _env = ENV.read().await;
    let g = group(3);
    let server = Server::start(vec![Reply::Ok(anthropic(&verdict(
        "keep",
        "Bad Name!",
        BODY,
    )))])
    .await;
    let s = hivemind_core::skillify::LlmSkillifier::new(config(
        "anthropic",
        server.url.clone(),
        None,
        5,
    ));
    let v = s.judge(&g).await.expect("judge");
    assert_eq!(v, local(&g).await);
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn rate_limit_is_retried_then_succeeds() {
    let _env = ENV.read().await;
    let server = Server::start(vec![
        Reply::Status(
            429,
            vec![("retry-after", "0".into())],
            "{\"error\": {\"type\": \"rate_limit_error\"}}".into(),
        ),
        Reply::Ok(anthropic(&verdict("keep", "use-pnpm-not-npm", BODY))),
    ])
    .await;
    let s = hivemind_core::skillify::LlmSkillifier::new(config(
        "anthropic",
        server.url.clone(),
        None,
        5,
    ));
    let started = Instant::now();
    let d = keep(s.judge(&group(3)).await.expect("judge"));
    assert_eq!(d.name.as_str(), "use-pnpm-not-npm");
    assert_eq!(server.requests().len(), 2);
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[tokio::test]
async fn server_errors_are_retried_then_fall_back() {
    let _env = ENV.read().await;
    let g = group(3);
    let server = Server::start(vec![Reply::Status(
        500,
        Vec::new(),
        "internal error".into(),
    )])
    .await;
    let s =
        hivemind_core::skillify::LlmSkillifier::new(config("openai", server.url.clone(), None, 5));
    let started = Instant::now();
    let v = s.judge(&g).await.expect("judge");
    let took = started.elapsed();
    assert_eq!(v, local(&g).await);
    assert_eq!(server.requests().len(), 3, "three attempts");
    // Backoff 200 ms + 400 ms between them.
    assert!(took >= Duration::from_millis(550), "{took:?}");
    assert!(took < Duration::from_secs(4), "{took:?}");
    // The endpoint is failing: the rest of this run uses the local miner at once.
    let started = Instant::now();
    assert_eq!(s.judge(&g).await.expect("judge"), local(&g).await);
    assert_eq!(server.requests().len(), 3);
    assert!(started.elapsed() < Duration::from_millis(200));
}

#[tokio::test]
async fn a_slow_answer_times_out_and_falls_back() {
    let _env = ENV.read().await;
    let g = group(3);
    let timeout = 1;
    let server = Server::start(vec![Reply::Slow(
        Duration::from_secs(5),
        anthropic(&verdict("keep", "use-pnpm-not-npm", BODY)),
    )])
    .await;
    let s = hivemind_core::skillify::LlmSkillifier::new(config(
        "anthropic",
        server.url.clone(),
        None,
        timeout,
    ));
    let started = Instant::now();
    let v = s.judge(&g).await.expect("judge");
    let took = started.elapsed();
    assert_eq!(v, local(&g).await);
    assert!(took >= Duration::from_millis(900), "{took:?}");
    // At most timeout × attempts + slack; a timeout is not retried, so about 1 s.
    assert!(
        took < Duration::from_secs(timeout * 3) + Duration::from_millis(1500),
        "{took:?}"
    );
    assert!(took < Duration::from_millis(2500), "{took:?}");
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn an_unreachable_endpoint_falls_back_quickly() {
    let _env = ENV.read().await;
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    let g = group(3);
    let s = hivemind_core::skillify::LlmSkillifier::new(config(
        "openai",
        format!("http://127.0.0.1:{port}/v1"),
        None,
        5,
    ));
    let started = Instant::now();
    assert_eq!(s.judge(&g).await.expect("judge"), local(&g).await);
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[tokio::test]
async fn no_llm_flag_sends_nothing() {
    let _env = ENV.read().await;
    std::env::set_var("HIVEMIND_TEST_KEY_NO_LLM", "sk-no-llm");
    let g = group(3);
    let server = Server::start(vec![Reply::Ok(anthropic(&verdict(
        "keep",
        "use-pnpm-not-npm",
        BODY,
    )))])
    .await;
    let s = hivemind_core::skillify::LlmSkillifier::new(config(
        "anthropic",
        server.url.clone(),
        Some("HIVEMIND_TEST_KEY_NO_LLM"),
        5,
    ))
    .with_no_llm(true);
    assert!(s.calls_forbidden());
    assert_eq!(s.judge(&g).await.expect("judge"), local(&g).await);
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(server.requests().len(), 0);
}

#[tokio::test]
async fn hivemind_no_llm_in_the_environment_sends_nothing() {
    let _env = ENV.write().await;
    let g = group(3);
    let server = Server::start(vec![Reply::Ok(openai(&verdict(
        "keep",
        "use-pnpm-not-npm",
        BODY,
    )))])
    .await;
    // Built while calls are allowed; the environment is checked at every call.
    let s =
        hivemind_core::skillify::LlmSkillifier::new(config("openai", server.url.clone(), None, 5));
    std::env::set_var("HIVEMIND_NO_LLM", "1");
    let forbidden = s.calls_forbidden();
    let v = s.judge(&g).await;
    std::env::remove_var("HIVEMIND_NO_LLM");
    assert!(forbidden);
    assert_eq!(v.expect("judge"), local(&g).await);
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(server.requests().len(), 0);
    // Allowed again: one request.
    let d = keep(s.judge(&g).await.expect("judge"));
    assert_eq!(d.name.as_str(), "use-pnpm-not-npm");
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn missing_anthropic_key_sends_nothing() {
    let _env = ENV.read().await;
    let g = group(3);
    let server = Server::start(vec![Reply::Ok(anthropic(&verdict(
        "keep",
        "use-pnpm-not-npm",
        BODY,
    )))])
    .await;
    let s = hivemind_core::skillify::LlmSkillifier::new(config(
        "anthropic",
        server.url.clone(),
        Some("HIVEMIND_TEST_KEY_NEVER_SET_4711"),
        5,
    ));
    assert_eq!(s.judge(&g).await.expect("judge"), local(&g).await);
    assert_eq!(server.requests().len(), 0);
}

/// Collects formatted log lines.
#[derive(Clone, Default)]
struct Logs(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Logs {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("logs").extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn a_refused_key_is_not_retried_and_never_logged() {
    // Exclusive: tracing caches each callsite's interest when it is first hit, and a test
    // running on another thread can hit a callsite while this test's scoped subscriber is
    // being registered, caching "never" after the rebuild below. With no other test of this
    // binary running, the rebuild is final.
    let _env = ENV.write().await;
    let key = "sk-secret-do-not-log-98765";
    std::env::set_var("HIVEMIND_TEST_KEY_REFUSED", key);
    let logs = Logs::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    // Earlier tests hit the same log statements without a subscriber and cached "never".
    tracing::callsite::rebuild_interest_cache();

    let g = group(3);
    // The server echoes the key back, as some APIs do in their error messages.
    let server = Server::start(vec![Reply::Status(
        401,
        Vec::new(),
        format!("{{\"error\": {{\"message\": \"Incorrect API key provided: {key}\"}}}}"),
    )])
    .await;
    let s = hivemind_core::skillify::LlmSkillifier::new(config(
        "openai",
        server.url.clone(),
        Some("HIVEMIND_TEST_KEY_REFUSED"),
        5,
    ));
    assert_eq!(s.judge(&g).await.expect("judge"), local(&g).await);
    let reqs = server.requests();
    assert_eq!(reqs.len(), 1, "no retry on 401");
    assert_eq!(reqs[0].headers["authorization"], format!("Bearer {key}"));
    // A refused key does not get better within the run: no second request.
    assert_eq!(s.judge(&g).await.expect("judge"), local(&g).await);
    assert_eq!(server.requests().len(), 1);

    let text = String::from_utf8_lossy(&logs.0.lock().expect("logs")).to_string();
    assert!(text.contains("401"), "the failure is logged: {text}");
    assert!(!text.contains(key), "the key leaked into the logs: {text}");
    assert!(!format!("{s:?}").contains(key));
}

/// A facade on an in-memory store whose model skillifier talks to `server`, with three
/// recorded corrections of the pnpm pattern.
fn facade_with_three_corrections(
    server: &Server,
    home: &std::path::Path,
) -> hivemind_core::Hivemind {
    let mut cfg = hivemind_core::Config::with_home(home);
    cfg.llm = Some(config("openai", server.url.clone(), None, 5));
    let hm = hivemind_core::Hivemind::with_store(
        cfg,
        Arc::new(hivemind_core::InMemoryStore::new()),
        WorkspaceId::new("acme").expect("ws"),
        None,
    );
    for tool in [
        "npm install zod",
        "npm install lodash",
        "npm install date-fns",
    ] {
        hm.record_correction(hivemind_core::CorrectionInput {
            session: Some(SessionId::new("session-1").expect("session")),
            produced: tool.into(),
            accepted: Some(tool.replace("npm install", "pnpm add")),
            reason: Some("we use pnpm in this repo".into()),
            ..Default::default()
        })
        .expect("record");
    }
    hm
}

#[tokio::test]
async fn a_mining_run_through_the_facade_uses_the_model_and_keeps_lineage() {
    let _env = ENV.read().await;
    let home = tempfile::tempdir().expect("home");
    let server = Server::start(vec![Reply::Ok(openai(&verdict(
        "keep",
        "use-pnpm-not-npm",
        BODY,
    )))])
    .await;
    let hm = facade_with_three_corrections(&server, home.path());
    let report = hm.skillify().await.expect("skillify");
    assert_eq!(report.created.len(), 1, "{report:?}");
    let skill = &report.created[0];
    assert_eq!(skill.name.as_str(), "use-pnpm-not-npm");
    assert_eq!(skill.provenance.author, "hivemind-llm:test-model");
    assert_eq!(skill.provenance.corrections.len(), 3);
    for c in &skill.provenance.corrections {
        assert!(skill.body.contains(c.as_str()));
    }
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn a_mining_run_that_falls_back_records_the_local_miner_as_author() {
    let _env = ENV.read().await;
    let home = tempfile::tempdir().expect("home");
    let server = Server::start(vec![Reply::Status(
        200,
        Vec::new(),
        "<html>oops</html>".into(),
    )])
    .await;
    let hm = facade_with_three_corrections(&server, home.path());
    let report = hm.skillify().await.expect("skillify");
    assert_eq!(report.created.len(), 1, "{report:?}");
    assert_eq!(
        report.created[0].provenance.author,
        LocalSkillifier.author()
    );
    assert_eq!(server.requests().len(), 1, "the model was asked once");
}
