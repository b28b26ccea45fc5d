//! `hivemind hook`: never breaks the host. Exit 0 on our own failures, logged under
//! `HIVEMIND_HOME/logs`.

use hivemind_core::{hook, Agent, Config};
use std::io::{Read, Write};
use std::process::ExitCode;

/// Payloads larger than this are cut (the rest is drained and dropped).
const MAX_PAYLOAD: u64 = 64 * 1024 * 1024;

pub fn run(agent: &str, workspace: &Option<String>) -> ExitCode {
    let mut raw = Vec::new();
    let mut stdin = std::io::stdin().lock();
    if let Err(e) = (&mut stdin).take(MAX_PAYLOAD).read_to_end(&mut raw) {
        log(None, "hook.log", &format!("reading stdin: {e}"));
        return ExitCode::SUCCESS;
    }
    let _ = std::io::copy(&mut stdin, &mut std::io::sink());
    let payload = String::from_utf8_lossy(&raw);
    let config = match super::config(workspace) {
        Ok(c) => c,
        Err(e) => {
            log(None, "hook.log", &format!("configuration: {e:#}"));
            return ExitCode::SUCCESS;
        }
    };
    let agent: Agent = match agent.parse() {
        Ok(a) => a,
        Err(e) => {
            log(Some(&config), "hook.log", &format!("{e}"));
            return ExitCode::SUCCESS;
        }
    };
    match hook::run_hook(&config, &agent, &payload) {
        Ok(run) => {
            if let Some(out) = run.stdout {
                let mut so = std::io::stdout().lock();
                let _ = so.write_all(out.as_bytes());
                let _ = so.write_all(b"\n");
            }
            if run.start_skillify {
                spawn_skillify(
                    run.workspace.as_ref().map(|w| w.to_string()),
                    config.pg_url.is_some(),
                );
            }
        }
        Err(e) => log(
            Some(&config),
            "hook.log",
            &format!("{} hook failed: {e}", agent),
        ),
    }
    ExitCode::SUCCESS
}

/// Starts `hivemind skillify run` (with `--sync` when a team store is configured)
/// detached: its output goes nowhere, the hook does not wait for it.
fn spawn_skillify(workspace: Option<String>, sync: bool) {
    let Ok(exe) = std::env::current_exe() else {
        return;
    };
    let mut cmd = std::process::Command::new(exe);
    if let Some(w) = workspace {
        cmd.arg("--workspace").arg(w);
    }
    cmd.args(["skillify", "run"]);
    if sync {
        cmd.arg("--sync");
    }
    cmd.stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    if let Err(e) = cmd.spawn() {
        log(
            None,
            "hook.log",
            &format!("cannot start background skillify: {e}"),
        );
    }
}

/// Appends `msg` to `HIVEMIND_HOME/logs/<file>` (best effort: logging never fails a
/// hook).
pub fn log(config: Option<&Config>, file: &str, msg: &str) {
    let home = config.map(|c| c.home.clone()).or_else(|| {
        std::env::var_os("HIVEMIND_HOME")
            .map(std::path::PathBuf::from)
            .or_else(|| {
                std::env::var_os("HOME").map(|h| std::path::PathBuf::from(h).join(".hivemind"))
            })
    });
    let Some(home) = home else { return };
    let dir = home.join("logs");
    if std::fs::create_dir_all(&dir).is_err() {
        return;
    }
    if let Ok(mut f) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join(file))
    {
        let _ = writeln!(f, "{} {msg}", chrono_now());
    }
}

fn chrono_now() -> String {
    let d = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    format!("{}.{:03}", d.as_secs(), d.subsec_millis())
}
