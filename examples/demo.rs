//! The whole hivemind loop on the embedded default (SQLite, no network, no model).
//!
//! Plays three short Claude Code sessions through `hivemind hook` exactly as Claude Code
//! would (payloads, a transcript file, files on disk). In each one the user corrects the
//! same mistake (the agent runs `npm`, the repository uses `pnpm`) through a different
//! channel: a follow-up prompt, a rejected tool use with feedback, and an edit of a file
//! the agent wrote. Then it mines the corrections into a skill and shows the context the
//! next session receives before the agent acts.
//!
//! Run: `cargo run --release --example demo`
// An example prints its results: that is what it is for.
#![allow(clippy::print_stdout)]

use hivemind_core::hook::run_hook;
use hivemind_core::{Agent, Config, CorrectionFilter, Hivemind, WorkspaceId};
use serde_json::{json, Value};
use std::io::Write;
use std::path::Path;

const REJECTED: &str = "The user doesn't want to proceed with this tool use. The tool use was rejected (eg. if it was a file edit, the new_string was NOT written to the file). To tell you how to proceed, the user said:\n";

struct Session<'a> {
    id: String,
    project: &'a Path,
    transcript: std::path::PathBuf,
    config: &'a Config,
}

impl Session<'_> {
    fn hook(&self, event: &str, fields: Value) -> Option<String> {
        let mut payload = json!({
            "session_id": self.id, "transcript_path": self.transcript, "cwd": self.project,
            "permission_mode": "default", "hook_event_name": event,
        });
        if let (Some(p), Some(f)) = (payload.as_object_mut(), fields.as_object()) {
            p.extend(f.clone());
        }
        match run_hook(self.config, &Agent::ClaudeCode, &payload.to_string()) {
            Ok(run) => run.stdout,
            Err(e) => {
                eprintln!("hook {event} failed: {e}");
                None
            }
        }
    }

    fn transcript_line(&self, line: Value) {
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.transcript)
            .expect("transcript");
        writeln!(f, "{line}").expect("write transcript");
    }

    fn bash(&self, id: &str, command: &str, rejection: Option<&str>) {
        let input = json!({"command": command});
        self.transcript_line(json!({"type": "assistant", "uuid": format!("{id}-a"), "sessionId": self.id,
            "message": {"role": "assistant", "content": [{"type": "tool_use", "id": id, "name": "Bash", "input": input}]}}));
        self.hook(
            "PreToolUse",
            json!({"tool_name": "Bash", "tool_input": input, "tool_use_id": id}),
        );
        match rejection {
            Some(feedback) => self.transcript_line(json!({"type": "user", "uuid": format!("{id}-r"), "sessionId": self.id,
                "message": {"role": "user", "content": [{"type": "tool_result", "tool_use_id": id, "is_error": true, "content": format!("{REJECTED}{feedback}")}]}})),
            None => {
                self.hook("PostToolUse", json!({"tool_name": "Bash", "tool_input": input, "tool_use_id": id, "tool_response": {"stdout": "ok"}}));
            }
        }
    }

    fn write(&self, id: &str, file: &str, content: &str) {
        let path = self.project.join(file);
        let input = json!({"file_path": path, "content": content});
        self.hook(
            "PreToolUse",
            json!({"tool_name": "Write", "tool_input": input, "tool_use_id": id}),
        );
        std::fs::write(&path, content).expect("write file");
        self.hook(
            "PostToolUse",
            json!({"tool_name": "Write", "tool_input": input, "tool_use_id": id,
            "tool_response": {"type": "create", "filePath": path, "content": content}}),
        );
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = tempfile::tempdir()?;
    // The demo never touches your home: no `~/.claude`, no link in `~/.agents/skills`.
    let home = root.path().join("home");
    std::fs::create_dir_all(&home)?;
    std::env::set_var("HOME", &home);
    let project = root.path().join("shop-web");
    std::fs::create_dir_all(&project)?;
    std::fs::write(project.join("package.json"), "{\"name\": \"shop-web\"}\n")?;
    let mut config = Config::with_home(root.path().join("hivemind-home"));
    config.workspace = Some(WorkspaceId::new("demo-shop")?);
    config.no_llm = true;
    let session = |n: usize| Session {
        id: format!("demo-session-{n}"),
        project: &project,
        transcript: root.path().join(format!("session-{n}.jsonl")),
        config: &config,
    };

    println!("== 1. Three sessions, the same mistake corrected three times ==\n");
    // Session 1: a follow-up prompt corrects the agent.
    let s = session(1);
    s.hook("SessionStart", json!({"source": "startup"}));
    s.hook(
        "UserPromptSubmit",
        json!({"prompt": "Add the date-fns package"}),
    );
    s.bash("toolu_1a", "npm install date-fns", None);
    s.hook(
        "Stop",
        json!({"last_assistant_message": "Installed date-fns with npm."}),
    );
    s.hook(
        "UserPromptSubmit",
        json!({"prompt": "No, this repo uses pnpm. Never npm here: run pnpm add date-fns."}),
    );
    s.bash("toolu_1b", "pnpm add date-fns", None);
    s.hook(
        "Stop",
        json!({"last_assistant_message": "Installed with pnpm."}),
    );
    s.hook("SessionEnd", json!({"reason": "prompt_input_exit"}));
    // Session 2: the user rejects the tool use and says why.
    let s = session(2);
    s.hook("SessionStart", json!({"source": "startup"}));
    s.hook("UserPromptSubmit", json!({"prompt": "Add lodash"}));
    s.bash(
        "toolu_2a",
        "npm install lodash",
        Some("we use pnpm in this repo, run pnpm add instead"),
    );
    s.bash("toolu_2b", "pnpm add lodash", None);
    s.hook(
        "Stop",
        json!({"last_assistant_message": "Added lodash with pnpm."}),
    );
    s.hook("SessionEnd", json!({"reason": "prompt_input_exit"}));
    // Session 3: the agent writes a script with npm; the user fixes the file.
    let s = session(3);
    s.hook("SessionStart", json!({"source": "startup"}));
    s.hook(
        "UserPromptSubmit",
        json!({"prompt": "Write a setup script in setup.sh"}),
    );
    s.write(
        "toolu_3a",
        "setup.sh",
        "#!/bin/sh\nnpm install\nnpm run build\n",
    );
    s.hook("Stop", json!({"last_assistant_message": "Wrote setup.sh."}));
    std::fs::write(
        project.join("setup.sh"),
        "#!/bin/sh\npnpm install\npnpm run build\n",
    )?; // the user's edit
    s.hook(
        "UserPromptSubmit",
        json!({"prompt": "I switched it to pnpm, we never use npm here. Now add a README."}),
    );
    s.hook(
        "Stop",
        json!({"last_assistant_message": "Added README.md."}),
    );
    s.hook("SessionEnd", json!({"reason": "prompt_input_exit"}));

    std::env::set_current_dir(&project)?;
    let hm = Hivemind::open(config.clone())?;
    let corrections = hm.corrections(&CorrectionFilter::default())?;
    println!("{} corrections recorded:", corrections.len());
    for c in &corrections {
        println!(
            "- [{}] target {} | produced {:?} | accepted {:?} | reason {:?}",
            c.kind,
            c.target.label(),
            first_line(&c.produced),
            c.accepted.as_deref().map(first_line),
            c.reason.as_deref().unwrap_or("-")
        );
    }

    println!("\n== 2. Mining: the recurring correction becomes a skill ==\n");
    let report = hm.skillify_blocking()?;
    for s in report.created.iter().chain(&report.updated) {
        let path = project
            .join(".claude/skills")
            .join(s.name.as_str())
            .join("SKILL.md");
        println!(
            "skill {} (v{}, {} corrections) written to {}\n",
            s.name,
            s.version,
            s.provenance.corrections.len(),
            path.display()
        );
        println!("{}", std::fs::read_to_string(&path).unwrap_or_default());
    }

    println!("== 3. The next session: the lesson arrives before the agent acts ==\n");
    let s = session(4);
    let start = s
        .hook("SessionStart", json!({"source": "startup"}))
        .unwrap_or_default();
    let prompt = s
        .hook("UserPromptSubmit", json!({"prompt": "Add the zod package"}))
        .unwrap_or_default();
    let context = |out: &str| -> String {
        serde_json::from_str::<Value>(out)
            .ok()
            .and_then(|v| {
                v["hookSpecificOutput"]["additionalContext"]
                    .as_str()
                    .map(str::to_string)
            })
            .unwrap_or_default()
    };
    println!("SessionStart additionalContext:\n{}\n", context(&start));
    println!(
        "UserPromptSubmit additionalContext: {}",
        if prompt.is_empty() {
            "(nothing new: already given at SessionStart)".to_string()
        } else {
            context(&prompt)
        }
    );
    Ok(())
}

fn first_line(s: &str) -> &str {
    s.lines()
        .find(|l| !l.trim().is_empty() && !l.starts_with("#!"))
        .unwrap_or("")
}
