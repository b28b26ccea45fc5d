//! Import benchmark: `hivemind_core::import::import_file` on a synthetic Claude Code
//! transcript of ~200 MB, into a fresh `SqliteStore` file each sample.
//!
//! Run with `cargo bench --bench import`. `HIVEMIND_BENCH_IMPORT_MB` changes the size
//! (default 200); `HIVEMIND_BENCH_IMPORT_FILE=path` keeps the generated file (profiling). The transcript is generated once per run in a temp dir: realistic
//! lines (prompts, assistant text, `tool_use` with Bash / Edit / Write / Read inputs,
//! `tool_result` lines carrying 1–4 KB outputs both in the block and in
//! `toolUseResult`, as Claude Code writes them, plus `progress` and
//! `file-history-snapshot` lines), several sessions, a few rejections.
//!
//! Reported:
//! * `import/claude_transcript`: throughput in bytes of transcript per second
//!   (criterion's `Throughput::Bytes`); the store is created outside the timing.
//! * peak memory: after criterion, the release `hivemind import FILE` is run once under
//!   `/usr/bin/time -v` and its "Maximum resident set size" printed (fallback: VmHWM
//!   polled from `/proc`). Targets: ≥ 50 MB/s, peak < 100 MB.
#![allow(clippy::unwrap_used, clippy::print_stdout)]

use criterion::{BatchSize, Criterion, SamplingMode, Throughput};
use hivemind_core::import::import_file;
use hivemind_core::{SqliteStore, WorkspaceId};
use serde_json::{json, Value};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

const WORDS: &[&str] = &[
    "the",
    "component",
    "render",
    "state",
    "button",
    "search",
    "input",
    "function",
    "return",
    "const",
    "import",
    "from",
    "export",
    "default",
    "props",
    "user",
    "session",
    "handler",
    "async",
    "await",
    "result",
    "value",
    "update",
    "create",
    "delete",
    "query",
    "database",
    "table",
    "index",
    "column",
    "schema",
    "migration",
    "test",
    "expect",
    "describe",
    "should",
    "layout",
    "flex",
    "gap",
    "class",
    "style",
    "theme",
    "config",
    "build",
    "package",
    "install",
    "script",
    "server",
    "client",
    "request",
    "response",
    "header",
    "body",
    "json",
    "parse",
    "string",
    "number",
    "array",
    "object",
];

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    /// A user prompt: mostly requests and questions, some approvals, ~3% corrections.
    fn prompt(&mut self) -> String {
        const NOUNS: &[&str] = &[
            "search bar",
            "login form",
            "session list",
            "settings page",
            "user menu",
            "sidebar",
            "API client",
            "database schema",
            "test suite",
            "build script",
        ];
        const TASKS: &[&str] = &[
            "Add a loading state to the {}",
            "Refactor the {} into smaller components",
            "Write tests for the {}",
            "Can you explain how the {} gets its data?",
            "Move the {} to its own module and update the imports",
            "Make the {} responsive on small screens",
            "Looks good, thanks. Now add pagination to the {}",
            "Add error handling to the {} and log failures",
        ];
        const CORRECTIONS: &[&str] = &[
            "No, use pnpm instead of npm for the {}",
            "That's wrong, the {} should keep its old props",
            "It still doesn't work, the {} is empty after reload",
            "Undo that change to the {}",
        ];
        let noun = NOUNS[self.below(NOUNS.len())];
        let t = if self.below(33) == 0 {
            CORRECTIONS[self.below(CORRECTIONS.len())]
        } else {
            TASKS[self.below(TASKS.len())]
        };
        let mut p = t.replace("{}", noun);
        if self.below(4) == 0 {
            // Some prompts carry pasted context.
            p.push_str("\n\n");
            p.push_str(&self.text_about(200, 1500));
        }
        p
    }

    /// Text of `min` to `min + spread` bytes.
    fn text_about(&mut self, min: usize, spread: usize) -> String {
        let n = min + self.below(spread);
        self.text(n)
    }
    /// Text of about `bytes` bytes: words, some code-like lines.
    fn text(&mut self, bytes: usize) -> String {
        let mut s = String::with_capacity(bytes + 16);
        let mut col = 0;
        while s.len() < bytes {
            let w = WORDS[self.below(WORDS.len())];
            s.push_str(w);
            col += w.len() + 1;
            if col > 70 {
                s.push('\n');
                col = 0;
            } else if self.below(9) == 0 {
                s.push_str("();");
            } else {
                s.push(' ');
            }
        }
        s
    }
}

/// Writes a synthetic Claude Code transcript of about `target` bytes.
fn generate(path: &Path, target: u64) {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut out = BufWriter::with_capacity(1 << 20, std::fs::File::create(path).unwrap());
    let mut written = 0u64;
    let mut n = 0u64;
    let mut parent: Option<String> = None;
    let mut session = String::new();
    let mut turn = 0u64;
    let mut emit = |v: Value, written: &mut u64| {
        let line = serde_json::to_string(&v).unwrap();
        out.write_all(line.as_bytes()).unwrap();
        out.write_all(b"\n").unwrap();
        *written += line.len() as u64 + 1;
    };
    while written < target {
        // A new session every 400 turns.
        if turn.is_multiple_of(400) {
            session = format!("0199{:04x}-0000-7000-8000-{:012x}", turn / 400, turn);
            parent = None;
        }
        turn += 1;
        let ts = |n: u64| {
            format!(
                "2025-10-{:02}T{:02}:{:02}:{:02}.{:03}Z",
                1 + (n / 86_400_000) % 28,
                (n / 3_600_000) % 24,
                (n / 60_000) % 60,
                (n / 1000) % 60,
                n % 1000
            )
        };
        let mut base = |ty: &str, n: &mut u64| {
            *n += 1;
            let uuid = format!("00000000-0000-4000-8000-{:012x}", *n);
            let v = json!({
                "parentUuid": parent,
                "isSidechain": false,
                "userType": "external",
                "cwd": "/home/dev/project",
                "sessionId": session,
                "version": "2.0.29",
                "gitBranch": "main",
                "type": ty,
                "uuid": uuid,
                "timestamp": ts(*n * 37),
            });
            parent = Some(uuid);
            v
        };
        // The user's prompt.
        let mut u = base("user", &mut n);
        u["message"] = json!({"role": "user", "content": rng.prompt()});
        emit(u, &mut written);
        emit(
            json!({"type": "file-history-snapshot", "messageId": format!("snap-{n}"),
                   "snapshot": {"messageId": format!("snap-{n}"), "trackedFileBackups": {}, "timestamp": ts(n * 37)},
                   "isSnapshotUpdate": false}),
            &mut written,
        );
        // The agent's turn: a few tool calls, each with its result, then an answer.
        for k in 0..(2 + rng.below(5)) {
            let msg = format!("msg_{turn:08x}{k:02x}");
            let call = format!("toolu_{turn:010x}{k:04x}");
            let mut a = base("assistant", &mut n);
            a["message"] = json!({"id": msg, "type": "message", "role": "assistant",
                "model": "claude-sonnet-4-5", "content": [{"type": "text", "text": rng.text_about(60, 200)}],
                "usage": {"input_tokens": 1200, "output_tokens": 80}});
            emit(a, &mut written);
            let file = format!("/home/dev/project/src/module_{}.ts", rng.below(50));
            let (tool, input) = match rng.below(4) {
                0 => (
                    "Bash",
                    json!({"command": format!("pnpm test {}", rng.text(30)), "description": "Run the tests"}),
                ),
                1 => (
                    "Edit",
                    json!({"file_path": file, "old_string": rng.text_about(200, 800), "new_string": rng.text_about(200, 800)}),
                ),
                2 => (
                    "Write",
                    json!({"file_path": file, "content": rng.text_about(1000, 3000)}),
                ),
                _ => ("Read", json!({"file_path": file})),
            };
            let mut a = base("assistant", &mut n);
            a["message"] = json!({"id": msg, "type": "message", "role": "assistant",
                "model": "claude-sonnet-4-5", "content": [{"type": "tool_use", "id": call, "name": tool, "input": input}]});
            emit(a, &mut written);
            let mut p = base("progress", &mut n);
            p["data"] = json!({"type": "hook_progress", "hookEvent": "PreToolUse"});
            emit(p, &mut written);
            let rejected = rng.below(200) == 0;
            let output = rng.text_about(1024, 3 * 1024);
            let mut r = base("user", &mut n);
            if rejected {
                let text = "The user doesn't want to proceed with this tool use. The tool use was rejected (eg. if it was a file edit, the new_string was NOT written to the file). To tell you how to proceed, the user said:\nuse the existing helper instead";
                r["message"] = json!({"role": "user", "content": [{"type": "tool_result", "content": text, "is_error": true, "tool_use_id": call}]});
                r["toolUseResult"] = json!(format!("Error: {text}"));
            } else {
                r["message"] = json!({"role": "user", "content": [{"type": "tool_result", "content": output, "tool_use_id": call}]});
                r["toolUseResult"] = match tool {
                    "Bash" => {
                        json!({"stdout": output, "stderr": "", "interrupted": false, "isImage": false})
                    }
                    "Read" => {
                        json!({"type": "text", "file": {"filePath": file, "content": output, "numLines": 80, "startLine": 1, "totalLines": 80}})
                    }
                    _ => {
                        json!({"filePath": file, "type": "update", "structuredPatch": [], "userModified": false})
                    }
                };
            }
            emit(r, &mut written);
        }
        let mut a = base("assistant", &mut n);
        a["message"] = json!({"id": format!("msg_{turn:08x}ff"), "type": "message", "role": "assistant",
            "model": "claude-sonnet-4-5", "content": [{"type": "text", "text": rng.text_about(200, 800)}]});
        emit(a, &mut written);
    }
    out.flush().unwrap();
}

fn bench_import(c: &mut Criterion, file: &Path) {
    let bytes = std::fs::metadata(file).unwrap().len();
    let ws = WorkspaceId::new("bench-import").unwrap();
    let max_bytes = hivemind_core::Config::default().max_tool_output_bytes;
    let mut g = c.benchmark_group("import");
    g.throughput(Throughput::Bytes(bytes))
        .sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(Duration::from_millis(1))
        .measurement_time(Duration::from_secs(30));
    g.bench_function("claude_transcript", |b| {
        b.iter_batched(
            || {
                let dir = tempfile::tempdir().unwrap();
                let store = SqliteStore::open(dir.path().join("hivemind.db")).unwrap();
                (dir, store)
            },
            |(dir, store)| {
                let stats = import_file(&store, &ws, file, max_bytes, &mut |_| {}).unwrap();
                assert!(stats.events > 0);
                (dir, store)
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();
}

/// Peak RSS (KB) of the release `hivemind import FILE`, in a fresh HIVEMIND_HOME.
fn peak_rss(file: &Path) -> Option<(u64, Duration)> {
    let exe = PathBuf::from(env!("CARGO_BIN_EXE_hivemind"));
    let home = tempfile::tempdir().unwrap();
    let mut cmd = if Path::new("/usr/bin/time").exists() {
        let mut c = std::process::Command::new("/usr/bin/time");
        c.arg("-v").arg(&exe);
        c
    } else {
        std::process::Command::new(&exe)
    };
    cmd.arg("import")
        .arg(file)
        .env("HIVEMIND_HOME", home.path())
        .env("HIVEMIND_WORKSPACE_ID", "bench-import")
        .env("HIVEMIND_NO_LLM", "1")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let start = std::time::Instant::now();
    let mut child = cmd.spawn().ok()?;
    // Fallback measure: the high-water mark polled while it runs.
    let mut hwm = 0u64;
    let pid = child.id();
    while child.try_wait().ok()?.is_none() {
        if let Ok(s) = std::fs::read_to_string(format!("/proc/{pid}/status")) {
            if let Some(kb) = s
                .lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|x| x.parse::<u64>().ok())
            {
                hwm = hwm.max(kb);
            }
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let elapsed = start.elapsed();
    let out = child.wait_with_output().ok()?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{}", String::from_utf8_lossy(&out.stdout).trim());
    let from_time = stderr
        .lines()
        .find(|l| l.contains("Maximum resident set size"))
        .and_then(|l| l.rsplit(':').next())
        .and_then(|x| x.trim().parse::<u64>().ok());
    Some((from_time.unwrap_or(hwm), elapsed))
}

fn main() {
    let mb: u64 = std::env::var("HIVEMIND_BENCH_IMPORT_MB")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(200);
    let dir = tempfile::tempdir().unwrap();
    // HIVEMIND_BENCH_IMPORT_FILE: generate there and keep it (for profiling).
    let file = std::env::var_os("HIVEMIND_BENCH_IMPORT_FILE")
        .map(PathBuf::from)
        .unwrap_or_else(|| dir.path().join("synthetic-session.jsonl"));
    let t = std::time::Instant::now();
    generate(&file, mb * 1_000_000);
    let bytes = std::fs::metadata(&file).unwrap().len();
    println!(
        "generated {} ({:.1} MB) in {:.1?}",
        file.display(),
        bytes as f64 / 1e6,
        t.elapsed()
    );
    let mut c = Criterion::default().configure_from_args();
    bench_import(&mut c, &file);
    c.final_summary();
    match peak_rss(&file) {
        Some((kb, elapsed)) => println!(
            "hivemind import (release binary): Maximum resident set size {kb} KB ({:.1} MB), {:.1?}, {:.1} MB/s end to end",
            kb as f64 / 1024.0,
            elapsed,
            bytes as f64 / 1e6 / elapsed.as_secs_f64()
        ),
        None => println!("peak memory: could not run {}", env!("CARGO_BIN_EXE_hivemind")),
    }
}
