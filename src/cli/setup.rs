//! `install`, `uninstall`, `status`: format what hivemind-core's setup module decides.

use anyhow::{Context, Result};
use hivemind_core::setup::{self, Host, Scope, SetupReport, Status, TeamStatus};
use hivemind_core::{Config, Hivemind};
use std::io::Write;
use std::path::PathBuf;

struct Target {
    host: Host,
    scope: Scope,
    project: PathBuf,
    home: PathBuf,
    exe: PathBuf,
}

fn target(host: &str, project: bool, global: bool) -> Result<Target> {
    let host: Host = host.parse()?;
    let scope = Scope::resolve(host, project, global)?;
    let project = std::env::current_dir().context("reading the current folder")?;
    let home = setup::home_dir().context("HOME is not set: cannot find the agents' settings")?;
    let exe = std::env::current_exe().context("finding the hivemind executable")?;
    Ok(Target {
        host,
        scope,
        project,
        home,
        exe,
    })
}

fn backup_note(r: &SetupReport) -> String {
    match &r.backup {
        Some(b) => format!(" (backup: {})", b.display()),
        None => String::new(),
    }
}

fn plural(n: impl Into<u64>, what: &str) -> String {
    let n = n.into();
    format!("{n} {what}{}", if n == 1 { "" } else { "s" })
}

fn hooks(n: usize) -> String {
    plural(n as u64, "hook")
}

/// A closed stdout (`hivemind status | head`) is not an error.
fn quiet_pipe(r: std::io::Result<()>) -> Result<()> {
    match r {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}

pub fn install(_config: &Config, host: &str, project: bool, global: bool) -> Result<()> {
    let t = target(host, project, global)?;
    let r = setup::install(t.host, t.scope, &t.project, &t.home, &t.exe)?;
    let mut o = std::io::stdout().lock();
    let path = r.path.display();
    if !r.changed {
        writeln!(
            o,
            "already installed: {} hivemind {} in {path}",
            r.installed,
            if r.installed == 1 { "hook" } else { "hooks" }
        )?;
    } else if r.removed > 0 {
        writeln!(
            o,
            "updated {} hooks in {path}: replaced {} with {}{}",
            r.host,
            hooks(r.removed),
            hooks(r.added),
            backup_note(&r)
        )?;
    } else if r.added > 0 {
        writeln!(o, "added {} to {path}{}", hooks(r.added), backup_note(&r))?;
    } else {
        writeln!(o, "updated {path}{}", backup_note(&r))?;
    }
    for note in &r.notes {
        writeln!(o, "note: {note}")?;
    }
    Ok(())
}

pub fn uninstall(_config: &Config, host: &str, project: bool, global: bool) -> Result<()> {
    let t = target(host, project, global)?;
    let r = setup::uninstall(t.host, t.scope, &t.project, &t.home, &t.exe)?;
    let mut o = std::io::stdout().lock();
    if r.changed {
        writeln!(
            o,
            "removed {} from {}{}",
            hooks(r.removed),
            r.path.display(),
            backup_note(&r)
        )?;
    } else {
        writeln!(
            o,
            "not installed: no hivemind hooks in {}",
            r.path.display()
        )?;
    }
    Ok(())
}

pub fn status(hm: &Hivemind, json: bool) -> Result<()> {
    let st = setup::status(hm)?;
    let mut o = std::io::stdout().lock();
    if json {
        let text = serde_json::to_string_pretty(&st)?;
        return quiet_pipe(writeln!(o, "{text}"));
    }
    quiet_pipe(print_status(&mut o, &st))
}

fn size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut v = bytes as f64;
    let mut unit = 0;
    while v >= 1024.0 && unit + 1 < UNITS.len() {
        v /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{v:.1} {}", UNITS[unit])
    }
}

fn print_status(o: &mut impl Write, st: &Status) -> std::io::Result<()> {
    writeln!(o, "home:        {}", st.home.display())?;
    let db_size = st
        .db_bytes
        .map_or_else(|| "not created yet".to_string(), size);
    writeln!(o, "database:    {} ({db_size})", st.db_path.display())?;
    writeln!(o, "workspace:   {}", st.workspace)?;
    if let Some(p) = &st.project {
        writeln!(o, "project:     {}", p.display())?;
    }
    if st.wired.is_empty() {
        writeln!(
            o,
            "agents:      none wired (run `hivemind install claude|codex|cursor`)"
        )?;
    } else {
        for (i, w) in st.wired.iter().enumerate() {
            writeln!(
                o,
                "{}{} ({}, {}) in {}",
                if i == 0 {
                    "agents:      "
                } else {
                    "             "
                },
                w.host,
                w.scope,
                hooks(w.hooks),
                w.path.display()
            )?;
        }
    }
    writeln!(
        o,
        "captured:    {}, {}, {}, {}",
        plural(st.sessions, "session"),
        plural(st.events, "event"),
        plural(st.corrections as u64, "correction"),
        plural(st.skills as u64, "skill")
    )?;
    match st.last_capture {
        Some(t) => writeln!(o, "last capture: {}", t.format("%Y-%m-%d %H:%M:%S UTC"))?,
        None => writeln!(o, "last capture: never")?,
    }
    if st.spooled > 0 {
        writeln!(
            o,
            "spooled:     {} waiting to be replayed in {}",
            plural(st.spooled as u64, "payload"),
            st.spool_dir.display()
        )?;
    }
    if let Some(team) = &st.team {
        print_team(o, team)?;
    }
    if st.recent_errors.is_empty() {
        writeln!(o, "hook errors: none")?;
    } else {
        writeln!(o, "hook errors (last lines of {}):", st.hook_log.display())?;
        for line in &st.recent_errors {
            writeln!(o, "  {line}")?;
        }
    }
    for w in &st.warnings {
        writeln!(o, "warning: {w}")?;
    }
    Ok(())
}

fn print_team(o: &mut impl Write, team: &TeamStatus) -> std::io::Result<()> {
    const WHEN: &str = "%Y-%m-%d %H:%M:%S UTC";
    let h = &team.history;
    match &team.remote {
        Some(r) => writeln!(o, "team store:  {r}")?,
        None => writeln!(o, "team store:  none configured (HIVEMIND_PG_URL)")?,
    }
    match &h.last_success {
        Some(ok) => writeln!(
            o,
            "last sync:   {} with {} ({} pushed, {} pulled)",
            ok.at.format(WHEN),
            ok.remote,
            ok.pushed,
            ok.pulled
        )?,
        None => writeln!(o, "last sync:   never (run `hivemind sync`)")?,
    }
    if let Some(failed) = h.failing() {
        writeln!(
            o,
            "sync failed: {} ({}): {}",
            failed.at.format(WHEN),
            failed.remote,
            failed.error
        )?;
    }
    Ok(())
}
