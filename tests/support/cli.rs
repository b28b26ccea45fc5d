//! The built `hivemind` command in a sandbox: `HOME`, `HIVEMIND_HOME` and a project
//! folder (the current directory of every command) in one temporary folder, no model
//! calls, and none of the caller's hivemind variables leaking in. Shared by the
//! command-line tests (`#[path = "support/cli.rs"] mod cli;`).
#![allow(dead_code, clippy::unwrap_used)]

use serde_json::Value;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

/// Variables of the caller's environment that would change what the command does.
const CLEARED: &[&str] = &[
    "HIVEMIND_WORKSPACE_ID",
    "HIVEMIND_LOG",
    "HIVEMIND_PG_URL",
    "HIVEMIND_PG_SCHEMA",
    "HIVEMIND_SKILLIFY_EVERY_N_TURNS",
    "USERPROFILE",
    "CODEX_HOME",
];

/// See the module documentation.
pub struct Sandbox {
    _dir: tempfile::TempDir,
    /// `HOME` (where `~/.claude`, `~/.codex`, `~/.cursor` live).
    pub home: PathBuf,
    /// `HIVEMIND_HOME`.
    pub hm_home: PathBuf,
    /// The project: the current directory of every command.
    pub project: PathBuf,
    vars: Vec<(String, String)>,
}

impl Sandbox {
    /// Fresh folders (canonical paths, so they compare equal to what the command
    /// prints).
    pub fn new() -> Sandbox {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        let (home, hm_home, project) = (root.join("home"), root.join("hm"), root.join("project"));
        for d in [&home, &project] {
            std::fs::create_dir_all(d).unwrap();
        }
        Sandbox {
            _dir: dir,
            home,
            hm_home,
            project,
            vars: Vec::new(),
        }
    }

    /// Sets `key` for every command (a later call for the same key wins).
    pub fn with_var(mut self, key: &str, value: impl Into<String>) -> Sandbox {
        self.vars.retain(|(k, _)| k != key);
        self.vars.push((key.into(), value.into()));
        self
    }

    /// `hivemind ARGS` in the sandbox, not started yet.
    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_hivemind"));
        c.args(args).current_dir(&self.project);
        for k in CLEARED {
            c.env_remove(k);
        }
        c.env("HOME", &self.home)
            .env("HIVEMIND_HOME", &self.hm_home)
            .env("HIVEMIND_NO_LLM", "1");
        for (k, v) in &self.vars {
            c.env(k, v);
        }
        c
    }

    /// Runs `hivemind ARGS`.
    pub fn run(&self, args: &[&str]) -> Output {
        self.cmd(args).output().unwrap()
    }

    /// Runs `hivemind ARGS`, which must succeed; its stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "hivemind {args:?} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// Runs `hivemind ARGS`, which must succeed and print JSON.
    pub fn json(&self, args: &[&str]) -> Value {
        let text = self.ok(args);
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("hivemind {args:?}: {e}: {text}"))
    }

    /// Runs `hivemind hook --agent claude-code` with `stdin`.
    pub fn hook_raw(&self, stdin: &[u8]) -> Output {
        self.hook_raw_as("claude-code", stdin)
    }

    /// One hook call of `agent` (`claude-code`, `codex`, `cursor`); its raw output.
    pub fn hook_raw_as(&self, agent: &str, stdin: &[u8]) -> Output {
        let mut child = self
            .cmd(&["hook", "--agent", agent])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(stdin).unwrap();
        child.wait_with_output().unwrap()
    }

    /// One Claude Code hook call, which must exit 0; its stdout.
    pub fn hook(&self, payload: &Value) -> String {
        self.hook_as("claude-code", payload)
    }

    /// One hook call of `agent`, which must exit 0; its stdout.
    pub fn hook_as(&self, agent: &str, payload: &Value) -> String {
        let out = self.hook_raw_as(agent, payload.to_string().as_bytes());
        assert!(
            out.status.success(),
            "hook {payload} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }
}
