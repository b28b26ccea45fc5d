//! `hivemind sync`: call the core, format the output.

use anyhow::Result;
use hivemind_core::Hivemind;
use std::io::Write;

pub fn run(hm: &Hivemind, json: bool, mine: bool, all: bool) -> Result<()> {
    let r = if all {
        hm.team_sync_all_blocking()?
    } else {
        hm.team_sync_blocking(mine)?
    };
    let mut o = std::io::stdout().lock();
    if json {
        serde_json::to_writer_pretty(&mut o, &r)?;
        writeln!(o)?;
        return Ok(());
    }
    let s = &r.sync;
    writeln!(
        o,
        "synced {} with {}: pushed {} events, {} corrections, {} skills; pulled {} corrections, {} skills ({} merged)",
        if all {
            match r.sync.workspaces {
                1 => "1 workspace".to_string(),
                n => format!("{n} workspaces"),
            }
        } else {
            format!("workspace {}", hm.workspace())
        },
        r.remote,
        s.events_pushed,
        s.corrections_pushed,
        s.skills_pushed,
        s.corrections_pulled,
        s.skills_pulled,
        s.skills_merged
    )?;
    if let Some(m) = &r.skillify {
        writeln!(
            o,
            "mined the team's corrections: {} skills created, {} updated",
            m.created.len(),
            m.updated.len()
        )?;
    }
    if let Some(p) = &r.pushed_after_mining {
        writeln!(o, "pushed {} skills to the team", p.skills_pushed)?;
    }
    Ok(())
}
