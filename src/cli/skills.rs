//! `hivemind skills show|promote|remove` and `hivemind skillify status`: call the core,
//! format the output.

use anyhow::Result;
use hivemind_core::skills::install::{RemoveOutcome, WriteOutcome};
use hivemind_core::Hivemind;
use std::io::Write;

fn json_out<T: serde::Serialize>(value: &T) -> Result<()> {
    let mut o = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut o, value)?;
    writeln!(o)?;
    Ok(())
}

pub fn show(hm: &Hivemind, name: &str, json: bool) -> Result<()> {
    let Some(d) = hm.skill_detail(name)? else {
        anyhow::bail!("no skill named {name} in workspace {}", hm.workspace());
    };
    if json {
        return json_out(&d);
    }
    let s = &d.skill;
    let mut o = std::io::stdout().lock();
    writeln!(o, "skill:       {} (version {})", s.name, s.version)?;
    writeln!(o, "description: {}", s.description)?;
    let state = match (d.removed, d.promoted) {
        (true, _) => "removed (not injected, not mined again)",
        (false, true) => "active, promoted to the global skills folder",
        (false, false) => "active",
    };
    writeln!(o, "state:       {state}")?;
    writeln!(o, "authors:     {}", s.provenance.author)?;
    writeln!(
        o,
        "created:     {}\nupdated:     {}",
        s.provenance.created_at, s.provenance.updated_at
    )?;
    for f in &d.files {
        writeln!(o, "file:        {}", f.display())?;
    }
    writeln!(o, "\n{}", s.body.trim_end())?;
    writeln!(
        o,
        "\nlineage: {} corrections in {} sessions",
        s.provenance.corrections.len(),
        s.provenance.sessions.len()
    )?;
    for c in &d.corrections {
        let why = c
            .reason
            .as_deref()
            .or(c.accepted.as_deref())
            .unwrap_or(&c.produced);
        let why: String = why.lines().next().unwrap_or("").chars().take(100).collect();
        writeln!(
            o,
            "- {} {} {} session {} {}: {why}",
            c.id,
            c.created_at.format("%Y-%m-%d"),
            c.kind,
            c.session,
            c.target.label()
        )?;
    }
    Ok(())
}

pub fn promote(hm: &Hivemind, name: &str, json: bool) -> Result<()> {
    let outcome = hm.promote_skill(name)?;
    if json {
        return json_out(&outcome);
    }
    let mut o = std::io::stdout().lock();
    match outcome {
        WriteOutcome::Written(p) | WriteOutcome::Unchanged(p) => {
            writeln!(o, "promoted {name}: {}", p.display())?
        }
        WriteOutcome::Appended { path, corrections } => writeln!(
            o,
            "promoted {name}: {} was edited by a person; {corrections} corrections of evidence appended",
            path.display()
        )?,
        WriteOutcome::Skipped { path, reason } => writeln!(
            o,
            "promoted {name}, but {} was left alone: {reason}",
            path.display()
        )?,
    }
    Ok(())
}

pub fn remove(hm: &Hivemind, name: &str, json: bool) -> Result<()> {
    let outcomes = hm.remove_skill(name)?;
    if json {
        return json_out(&outcomes);
    }
    let mut o = std::io::stdout().lock();
    writeln!(o, "removed {name}: it will not be injected or mined again")?;
    for r in outcomes {
        match r {
            RemoveOutcome::Deleted(p) => writeln!(o, "deleted {}", p.display())?,
            RemoveOutcome::Kept { path, reason } => {
                writeln!(o, "kept {} ({reason})", path.display())?
            }
            RemoveOutcome::Absent(_) => {}
        }
    }
    Ok(())
}

pub fn skillify_status(hm: &Hivemind, json: bool) -> Result<()> {
    let st = hm.skillify_status()?;
    if json {
        return json_out(&st);
    }
    let mut o = std::io::stdout().lock();
    match &st.last_run {
        Some(r) => writeln!(
            o,
            "last run:    {} ({} corrections; {} created, {} updated{})",
            r.at,
            r.corrections,
            r.created,
            r.updated,
            if r.up_to_date {
                "; nothing was new"
            } else {
                ""
            }
        )?,
        None => writeln!(o, "last run:    never")?,
    }
    writeln!(
        o,
        "corrections: {} ({} since the last run, {} not in any skill)",
        st.corrections, st.since_last_run, st.pending
    )?;
    writeln!(
        o,
        "skills:      {} (a pattern needs {} corrections)",
        st.skills, st.min_support
    )?;
    if st.near.is_empty() {
        writeln!(o, "no pattern is close to the threshold")?;
    } else {
        writeln!(o, "close to the threshold:")?;
        for g in &st.near {
            writeln!(
                o,
                "- {} corrections, {} more needed [{}]: {}",
                g.corrections.len(),
                g.needed,
                g.features.join(", "),
                g.example
            )?;
        }
    }
    Ok(())
}
