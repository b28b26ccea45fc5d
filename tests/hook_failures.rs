//! `hivemind hook` never breaks the agent, with the built binary: with the database
//! locked by another process, corrupt, or on a full disk, every hook call exits 0 in
//! bounded time, prints nothing the host would misread, logs its failure under
//! `HIVEMIND_HOME/logs`, and keeps what it could (capture-only hooks in the session
//! journal, the others' payloads under `HIVEMIND_HOME/spool`), so that once the fault is
//! gone the next reading command (`corrections list`) stores every captured event.
#![allow(clippy::unwrap_used)]

use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

#[path = "support/cli.rs"]
mod cli;

type Env = cli::Sandbox;

const WORKSPACE: &str = "hook-failures";

/// What a hook may take whatever goes wrong: half the timeout `hivemind setup` writes
/// on the hosts' hook entries (10 s), with room for a debug build.
const BOUND: Duration = Duration::from_secs(5);

fn new_env() -> Env {
    Env::new()
        .with_var("HIVEMIND_WORKSPACE_ID", WORKSPACE)
        // No background `skillify run` touching the database behind the test's back.
        .with_var("HIVEMIND_SKILLIFY_EVERY_N_TURNS", "0")
}

fn db_path(env: &Env) -> PathBuf {
    env.hm_home.join("hivemind.db")
}

/// The fields Claude Code puts in every hook payload, plus `extra`.
fn payload(env: &Env, session: &str, event: &str, extra: Value) -> Value {
    let mut v = json!({
        "session_id": session,
        "transcript_path": env.project.join("no-transcript.jsonl"),
        "cwd": env.project,
        "permission_mode": "default",
        "hook_event_name": event,
    });
    for (k, x) in extra.as_object().unwrap() {
        v[k] = x.clone();
    }
    v
}

/// One session's SessionStart, UserPromptSubmit, PreToolUse and Stop; the prompt and the
/// tool call carry `marker` so that their events can be found afterwards.
fn session_calls(env: &Env, session: &str, marker: &str) -> Vec<Value> {
    vec![
        payload(env, session, "SessionStart", json!({"source": "startup"})),
        payload(
            env,
            session,
            "UserPromptSubmit",
            json!({"prompt": format!("{marker} rename the helper please")}),
        ),
        payload(
            env,
            session,
            "PreToolUse",
            json!({"tool_name": "Write", "tool_use_id": format!("call-{marker}"),
                   "tool_input": {"file_path": "/tmp/x.txt", "content": "x"}}),
        ),
        payload(env, session, "Stop", json!({"stop_hook_active": false})),
    ]
}

/// Everything logged under `HIVEMIND_HOME/logs`.
fn logs(env: &Env) -> String {
    let Ok(entries) = std::fs::read_dir(env.hm_home.join("logs")) else {
        return String::new();
    };
    let mut files: Vec<PathBuf> = entries.map(|e| e.unwrap().path()).collect();
    files.sort();
    files
        .iter()
        .map(|f| std::fs::read_to_string(f).unwrap_or_default())
        .collect()
}

/// The payloads waiting under `HIVEMIND_HOME/spool`.
fn spooled(env: &Env) -> Vec<Value> {
    let Ok(entries) = std::fs::read_dir(env.hm_home.join("spool")) else {
        return Vec::new();
    };
    entries
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .map(|p| serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap())
        .collect()
}

/// What the session journals hold (capture-only hooks write there).
fn journals(env: &Env) -> String {
    let Ok(entries) = std::fs::read_dir(env.hm_home.join("sessions")) else {
        return String::new();
    };
    entries
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".journal.jsonl"))
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect()
}

/// The stored events of `session`: (kind, data).
fn events(env: &Env, session: &str) -> Vec<(String, Value)> {
    let conn = rusqlite::Connection::open(db_path(env)).unwrap();
    let mut stmt = conn
        .prepare("SELECT kind, data FROM events WHERE workspace = ?1 AND session = ?2 ORDER BY seq")
        .unwrap();
    let rows = stmt
        .query_map([WORKSPACE, session], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
        })
        .unwrap();
    rows.map(|r| {
        let (kind, data) = r.unwrap();
        (kind, serde_json::from_str(&data).unwrap())
    })
    .collect()
}

/// Every call of [`session_calls`] is stored exactly once.
fn assert_session_stored(env: &Env, session: &str, marker: &str) {
    let evs = events(env, session);
    let count = |pred: &dyn Fn(&(String, Value)) -> bool| evs.iter().filter(|e| pred(e)).count();
    let kinds: Vec<&str> = evs.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        count(&|(k, _)| k == "session_start"),
        1,
        "SessionStart lost or doubled: {kinds:?}"
    );
    assert_eq!(
        count(&|(k, v)| k == "prompt" && v["text"].as_str().is_some_and(|t| t.starts_with(marker))),
        1,
        "prompt lost or doubled: {kinds:?}"
    );
    let call = format!("call-{marker}");
    assert_eq!(
        count(&|(k, v)| k == "tool_call" && v["call_id"] == call.as_str()),
        1,
        "tool call lost or doubled: {kinds:?}"
    );
}

/// A finished hook call: its output and how long it took.
struct Call {
    out: Output,
    took: Duration,
}

/// Runs `cmd` (a hook, `payload` on stdin), killing it if it is still running after 60
/// s so that a hanging hook fails the test instead of blocking it.
fn run_with_stdin(mut cmd: Command, payload: &Value) -> Call {
    let start = Instant::now();
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let bytes = payload.to_string().into_bytes();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        use std::io::Write;
        let _ = stdin.write_all(&bytes);
    });
    let id = child.id();
    let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
    let watchdog = std::thread::spawn(move || {
        if done_rx.recv_timeout(Duration::from_secs(60)).is_err() {
            // Still running: end this one child (by its own pid).
            let _ = Command::new("kill").args(["-9", &id.to_string()]).status();
        }
    });
    let out = child.wait_with_output().unwrap();
    let took = start.elapsed();
    let _ = done_tx.send(());
    watchdog.join().unwrap();
    writer.join().unwrap();
    Call { out, took }
}

fn hook(env: &Env, payload: &Value) -> Call {
    run_with_stdin(env.cmd(&["hook", "--agent", "claude-code"]), payload)
}

/// Exit 0, no panic, and stdout empty or JSON lines (what the host parses).
fn assert_host_safe(call: &Call, what: &str) {
    let stderr = String::from_utf8_lossy(&call.out.stderr);
    assert!(
        call.out.status.success(),
        "{what}: {:?} after {:?}; stderr: {stderr}",
        call.out.status,
        call.took
    );
    assert!(!stderr.contains("panicked"), "{what}: {stderr}");
    let stdout = String::from_utf8(call.out.stdout.clone())
        .unwrap_or_else(|e| panic!("{what}: stdout is not UTF-8: {e}"));
    for line in stdout.lines().filter(|l| !l.trim().is_empty()) {
        let v: Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("{what}: stdout is not JSON ({e}): {stdout}"));
        assert!(v.is_object(), "{what}: {stdout}");
    }
}

/// A hook that could not store its payload logged why and kept the payload: each call
/// that added log lines added its payload to the spool (or, for a capture-only call,
/// its event to the session journal).
fn assert_failure_logged_and_kept(env: &Env, payload: &Value, logs_before: usize, what: &str) {
    let logs_now = logs(env);
    if logs_now.lines().count() == logs_before {
        return;
    }
    let event = payload["hook_event_name"].as_str().unwrap();
    let kept = spooled(env).contains(payload)
        || (event == "PreToolUse"
            && journals(env).contains(payload["tool_use_id"].as_str().unwrap()));
    assert!(
        kept,
        "{what}: failed (log: {logs_now}) and its payload is neither spooled nor journaled"
    );
}

/// Creates the database (WAL, migrated) with a first session in it.
fn warm_up(env: &Env) {
    for p in session_calls(env, "sess-warm", "warm") {
        assert_host_safe(&hook(env, &p), "warm-up");
    }
    assert!(db_path(env).exists());
    assert_eq!(events(env, "sess-warm").len(), 3, "warm-up not stored");
    assert!(logs(env).is_empty(), "warm-up failed: {}", logs(env));
}

/// Runs the calls of one session, each of which must be host safe, and returns how
/// long each took.
fn run_session(env: &Env, calls: &[Value], label: &str) -> Vec<Duration> {
    calls
        .iter()
        .map(|p| {
            let what = format!("{label} {}", p["hook_event_name"]);
            let before = logs(env).lines().count();
            let call = hook(env, p);
            assert_host_safe(&call, &what);
            assert_failure_logged_and_kept(env, p, before, &what);
            call.took
        })
        .collect()
}

/// A connection holding SQLite's write lock on the database (`BEGIN EXCLUSIVE`) until
/// dropped.
fn lock_database(env: &Env) -> rusqlite::Connection {
    let conn = rusqlite::Connection::open(db_path(env)).unwrap();
    conn.execute_batch("BEGIN EXCLUSIVE").unwrap();
    // Held: another writer cannot start.
    let other = rusqlite::Connection::open(db_path(env)).unwrap();
    assert!(
        other.execute_batch("BEGIN IMMEDIATE").is_err(),
        "the database is not locked"
    );
    conn
}

#[test]
fn a_locked_database_fails_no_hook_and_loses_no_event() {
    let env = new_env();
    warm_up(&env);
    let calls = session_calls(&env, "sess-locked", "locked");
    let locker = lock_database(&env);
    let took = run_session(&env, &calls, "locked");
    // Not hung on the lock (waiting out SQLite's busy timeout once at most).
    for (p, t) in calls.iter().zip(&took) {
        assert!(
            *t < Duration::from_secs(30),
            "{} took {t:?} on a locked database",
            p["hook_event_name"]
        );
    }
    let log = logs(&env);
    eprintln!("took {took:?} on a locked database; log:\n{log}");
    assert!(
        log.contains("hook failed"),
        "the lock made no hook fail, or the failure was not logged: {log:?}"
    );
    // The lock was held throughout: nothing of the session reached the store yet.
    drop(locker);
    assert!(events(&env, "sess-locked").is_empty());
    // Released: the next reading command takes in the spool and the journal.
    env.json(&["corrections", "list", "--json"]);
    assert_session_stored(&env, "sess-locked", "locked");
    assert!(spooled(&env).is_empty(), "spool not drained");
    // And the hooks work again.
    let before = logs(&env).lines().count();
    let next = payload(
        &env,
        "sess-locked",
        "UserPromptSubmit",
        json!({"prompt": "after the lock"}),
    );
    assert_host_safe(&hook(&env, &next), "after the lock");
    assert_eq!(logs(&env).lines().count(), before, "{}", logs(&env));
    assert_eq!(events(&env, "sess-locked").len(), 4);
}

#[test]
fn hooks_on_a_locked_database_finish_well_within_the_host_timeout() {
    let env = new_env();
    warm_up(&env);
    let calls = session_calls(&env, "sess-locked", "locked");
    let _locker = lock_database(&env);
    for p in &calls {
        let call = hook(&env, p);
        assert_host_safe(&call, "locked");
        assert!(
            call.took < BOUND,
            "{} took {:?} on a locked database (bound {BOUND:?})",
            p["hook_event_name"],
            call.took
        );
    }
}

/// Overwrites the database with `corrupt(bytes)`, the WAL checkpointed into it first
/// and removed, so that the main file is all there is.
fn corrupt_database(env: &Env, corrupt: impl FnOnce(&mut Vec<u8>)) {
    let conn = rusqlite::Connection::open(db_path(env)).unwrap();
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
        .unwrap();
    conn.pragma_update(None, "journal_mode", "DELETE").unwrap();
    drop(conn);
    for ext in ["-wal", "-shm"] {
        let mut p = db_path(env).into_os_string();
        p.push(ext);
        let _ = std::fs::remove_file(PathBuf::from(p));
    }
    let mut bytes = std::fs::read(db_path(env)).unwrap();
    corrupt(&mut bytes);
    std::fs::write(db_path(env), &bytes).unwrap();
}

/// Moves the corrupt database aside (what a user would do) and runs a reading command,
/// which replays the spool into a fresh database.
fn replace_database(env: &Env) {
    let aside = env.hm_home.join("hivemind.db.corrupt");
    std::fs::rename(db_path(env), aside).unwrap();
    for ext in ["-wal", "-shm"] {
        let mut p = db_path(env).into_os_string();
        p.push(ext);
        let _ = std::fs::remove_file(PathBuf::from(p));
    }
    env.json(&["corrections", "list", "--json"]);
}

fn check_corrupt(env: &Env, label: &str) {
    let calls = session_calls(env, "sess-corrupt", "corrupt");
    let took = run_session(env, &calls, label);
    for (p, t) in calls.iter().zip(&took) {
        assert!(*t < BOUND, "{label} {}: took {t:?}", p["hook_event_name"]);
    }
    let log = logs(env);
    eprintln!("{label}: took {took:?}; log:\n{log}");
    // The three calls that open the database failed, each logged; the tool call only
    // journals, so it did not notice.
    let failed = log.lines().filter(|l| l.contains("hook failed")).count();
    assert_eq!(failed, 3, "{label}: {log}");
    let spool = spooled(env);
    for p in [&calls[0], &calls[1], &calls[3]] {
        assert!(spool.contains(p), "{label}: {p} not spooled");
    }
    assert!(journals(env).contains("call-corrupt"), "{label}");
    replace_database(env);
    assert_session_stored(env, "sess-corrupt", "corrupt");
    assert!(spooled(env).is_empty(), "{label}: spool not drained");
}

#[test]
fn a_database_overwritten_with_garbage_fails_no_hook_and_keeps_the_payloads() {
    let env = new_env();
    warm_up(&env);
    corrupt_database(&env, |bytes| {
        // xorshift bytes: no SQLite header, no page structure.
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for b in bytes.iter_mut() {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            *b = x as u8;
        }
    });
    check_corrupt(&env, "garbage");
}

#[test]
fn a_truncated_database_fails_no_hook_and_keeps_the_payloads() {
    let env = new_env();
    warm_up(&env);
    corrupt_database(&env, |bytes| {
        let half = bytes.len() / 2;
        bytes.truncate(half);
    });
    check_corrupt(&env, "truncated");
}

/// `hivemind hook` in `sh` with the file size limit at `blocks` of 512 bytes (`ulimit
/// -f`) and SIGXFSZ ignored, so that a write past the limit fails with EFBIG (a full
/// disk, as the process sees it) instead of killing the process.
fn hook_with_file_limit(env: &Env, blocks: u32, payload: &Value) -> Call {
    let inner = env.cmd(&["hook", "--agent", "claude-code"]);
    let mut cmd = Command::new("/bin/sh");
    cmd.arg("-c")
        .arg(format!(
            "trap '' XFSZ; ulimit -f {blocks} || exit 97; exec \"$@\""
        ))
        .arg("sh")
        .arg(inner.get_program())
        .args(inner.get_args())
        .current_dir(inner.get_current_dir().unwrap());
    for (k, v) in inner.get_envs() {
        match v {
            Some(v) => cmd.env(k, v),
            None => cmd.env_remove(k),
        };
    }
    run_with_stdin(cmd, payload)
}

fn file_len(path: &Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

#[test]
fn a_full_disk_fails_no_hook_and_keeps_what_fits() {
    let env = new_env();
    warm_up(&env);
    // 1.5 KiB per file: room for a log line, a spooled payload, a journal line and the
    // session state, none for a database page (4 KiB, in the WAL or the main file).
    let blocks = 3;
    assert!(file_len(&db_path(&env)) > 1536);
    let calls = session_calls(&env, "sess-full", "full");
    for p in &calls {
        let what = format!("full disk {}", p["hook_event_name"]);
        let before = logs(&env).lines().count();
        let call = hook_with_file_limit(&env, blocks, p);
        assert_host_safe(&call, &what);
        assert!(call.took < BOUND, "{what}: took {:?}", call.took);
        assert_failure_logged_and_kept(&env, p, before, &what);
    }
    let log = logs(&env);
    eprintln!("full disk log:\n{log}");
    let failed = log.lines().filter(|l| l.contains("hook failed")).count();
    assert_eq!(failed, 3, "the store calls did not all fail: {log}");
    assert_eq!(spooled(&env).len(), 3);
    // Room again: nothing captured was lost.
    env.json(&["corrections", "list", "--json"]);
    assert_session_stored(&env, "sess-full", "full");
    assert!(spooled(&env).is_empty(), "spool not drained");
    let conn = rusqlite::Connection::open(db_path(&env)).unwrap();
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
}

#[test]
fn a_disk_without_room_for_a_byte_still_exits_0() {
    let env = new_env();
    warm_up(&env);
    let log_len = file_len(&env.hm_home.join("logs").join("hook.log"));
    for p in session_calls(&env, "sess-nothing", "nothing") {
        let what = format!("no room {}", p["hook_event_name"]);
        // Nothing can be written, not even the log or the spool: still no failure the
        // host sees.
        let call = hook_with_file_limit(&env, 0, &p);
        assert_host_safe(&call, &what);
        assert!(call.took < BOUND, "{what}: took {:?}", call.took);
    }
    // Nothing was written (had the limit not applied, SessionStart would have stored
    // its event and nothing would have failed).
    assert_eq!(
        file_len(&env.hm_home.join("logs").join("hook.log")),
        log_len,
        "a log line was written past a zero file size limit"
    );
    assert!(spooled(&env).is_empty());
    assert!(events(&env, "sess-nothing").is_empty());
}
