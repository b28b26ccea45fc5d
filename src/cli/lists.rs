//! Listing and mining commands: call the core, format the output.

use anyhow::Result;
use hivemind_core::{CorrectionFilter, Hivemind};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;

fn out() -> std::io::StdoutLock<'static> {
    std::io::stdout().lock()
}

pub fn corrections(
    hm: &Hivemind,
    json: bool,
    session: Option<String>,
    kind: Option<String>,
) -> Result<()> {
    let filter = CorrectionFilter {
        session: session.map(hivemind_core::SessionId::new).transpose()?,
        kind: kind.map(|k| k.parse()).transpose()?,
        ..Default::default()
    };
    let list = hm.corrections(&filter)?;
    let mut o = out();
    if json {
        serde_json::to_writer_pretty(&mut o, &list)?;
        writeln!(o)?;
        return Ok(());
    }
    for c in &list {
        writeln!(
            o,
            "{} {:9} {} — {}",
            c.id,
            c.kind,
            c.target.label(),
            c.reason
                .as_deref()
                .unwrap_or("(no reason)")
                .lines()
                .next()
                .unwrap_or("")
        )?;
    }
    writeln!(
        o,
        "{} corrections in workspace {}",
        list.len(),
        hm.workspace()
    )?;
    Ok(())
}

pub fn skills(hm: &Hivemind, json: bool) -> Result<()> {
    let list = hm.skills()?;
    let mut o = out();
    if json {
        let rows: Vec<serde_json::Value> = list
            .iter()
            .map(|s| {
                let mut v = serde_json::to_value(s).unwrap_or_default();
                v["corrections"] =
                    serde_json::to_value(&s.provenance.corrections).unwrap_or_default();
                v
            })
            .collect();
        serde_json::to_writer_pretty(&mut o, &rows)?;
        writeln!(o)?;
        return Ok(());
    }
    for s in &list {
        writeln!(
            o,
            "{} v{} ({} corrections) — {}",
            s.name,
            s.version,
            s.provenance.corrections.len(),
            s.description
        )?;
    }
    writeln!(o, "{} skills in workspace {}", list.len(), hm.workspace())?;
    Ok(())
}

pub fn skillify(hm: &Hivemind, json: bool) -> Result<()> {
    let report = hm.skillify_blocking()?;
    let mut o = out();
    if json {
        serde_json::to_writer_pretty(&mut o, &report)?;
        writeln!(o)?;
        return Ok(());
    }
    if report.up_to_date {
        writeln!(
            o,
            "skills are up to date ({} corrections)",
            report.corrections
        )?;
        return Ok(());
    }
    for s in &report.created {
        writeln!(
            o,
            "created {} ({} corrections)",
            s.name,
            s.provenance.corrections.len()
        )?;
    }
    for s in &report.updated {
        writeln!(
            o,
            "updated {} to v{} ({} corrections)",
            s.name,
            s.version,
            s.provenance.corrections.len()
        )?;
    }
    writeln!(
        o,
        "{} corrections, {} groups, {} created, {} updated, {} unchanged",
        report.corrections,
        report.groups,
        report.created.len(),
        report.updated.len(),
        report.unchanged
    )?;
    Ok(())
}

pub fn context(hm: &Hivemind, prompt: &str, budget: Option<usize>, json: bool) -> Result<()> {
    let budget = budget.unwrap_or(hm.config().budget_tokens);
    let sel = hm.preview_context(prompt, budget)?;
    let mut o = out();
    if json {
        serde_json::to_writer_pretty(&mut o, &sel)?;
        writeln!(o)?;
        return Ok(());
    }
    writeln!(
        o,
        "{}",
        if sel.text.is_empty() {
            "(nothing to inject)"
        } else {
            &sel.text
        }
    )?;
    writeln!(o, "\n--- why ---")?;
    for (name, score) in &sel.scores {
        writeln!(o, "{name}: {score:.2}")?;
    }
    writeln!(
        o,
        "{} tokens (estimated) of {budget}",
        hivemind_core::skills::select::estimate_tokens(&sel.text)
    )?;
    Ok(())
}

pub fn import(hm: &Hivemind, paths: &[PathBuf]) -> Result<()> {
    let files = hivemind_core::import::collect_files(paths)?;
    let sizes: Vec<u64> = files
        .iter()
        .map(|f| std::fs::metadata(f).map(|m| m.len()).unwrap_or(0))
        .collect();
    let bar = if std::io::stderr().is_terminal() {
        let b = indicatif::ProgressBar::new(sizes.iter().sum());
        b.set_style(
            indicatif::ProgressStyle::with_template(
                "{bar:40} {bytes}/{total_bytes} {bytes_per_sec} eta {eta} {msg}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        Some(b)
    } else {
        None
    };
    let mut done: u64 = 0;
    let mut total = hivemind_core::import::ImportStats::default();
    for (f, size) in files.iter().zip(&sizes) {
        if let Some(b) = &bar {
            b.set_message(
                f.file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default(),
            );
        }
        let s = hivemind_core::import::import_file(
            hm.store().as_ref(),
            hm.workspace(),
            f,
            hm.config().max_tool_output_bytes,
            &mut |read| {
                if let Some(b) = &bar {
                    b.set_position(done + read);
                }
            },
        )?;
        total.files += s.files;
        total.unrecognized_files += s.unrecognized_files;
        total.sessions += s.sessions;
        total.events += s.events;
        total.duplicate_events += s.duplicate_events;
        total.skipped_lines += s.skipped_lines;
        total.corrections += s.corrections;
        done += size;
        if let Some(b) = &bar {
            b.set_position(done);
        }
    }
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    writeln!(
        out(),
        "imported {} files: {} sessions, {} events ({} already present), {} corrections, {} skipped lines, {} files not recognized",
        total.files, total.sessions, total.events, total.duplicate_events, total.corrections, total.skipped_lines, total.unrecognized_files
    )?;
    Ok(())
}

pub fn show_correction(hm: &Hivemind, id: &str, json: bool) -> Result<()> {
    let id = id.trim();
    if id.is_empty() {
        anyhow::bail!("give a correction id (or a prefix of one): see `hivemind corrections list`");
    }
    let all = hm.corrections(&CorrectionFilter::default())?;
    let exact = all.iter().find(|c| c.id.as_str() == id);
    let c = match exact {
        Some(c) => c,
        None => {
            let matching: Vec<_> = all
                .iter()
                .filter(|c| c.id.as_str().starts_with(id))
                .collect();
            match matching.as_slice() {
                [] => anyhow::bail!("no correction {id} in workspace {}", hm.workspace()),
                [c] => *c,
                many => anyhow::bail!(
                    "{} corrections start with {id}; give more of the id",
                    many.len()
                ),
            }
        }
    };
    let events = hm.source_events(c)?;
    let mut o = out();
    if json {
        // Serialized directly (not through `serde_json::Value`), so that numbers print
        // as in `corrections list --json`.
        #[derive(serde::Serialize)]
        struct Shown<'a> {
            correction: &'a hivemind_core::Correction,
            source_events: &'a [hivemind_core::Event],
        }
        serde_json::to_writer_pretty(
            &mut o,
            &Shown {
                correction: c,
                source_events: &events,
            },
        )?;
        writeln!(o)?;
        return Ok(());
    }
    let color = std::io::stdout().is_terminal();
    writeln!(o, "correction {}\nkind:       {}\nsession:    {}\ntarget:     {}\nconfidence: {:.2}\ncreated:    {}", c.id, c.kind, c.session, c.target.label(), c.confidence, c.created_at)?;
    writeln!(o, "reason:     {}", c.reason.as_deref().unwrap_or("(none)"))?;
    writeln!(o, "\nproduced:\n{}", c.produced)?;
    if let Some(a) = &c.accepted {
        writeln!(o, "accepted:\n{a}")?;
    }
    if !c.diff.is_empty() {
        writeln!(o, "diff:")?;
        for line in c.diff.as_str().lines() {
            let (pre, post) = match line.chars().next() {
                Some('+') if color && !line.starts_with("+++") => ("\x1b[32m", "\x1b[0m"),
                Some('-') if color && !line.starts_with("---") => ("\x1b[31m", "\x1b[0m"),
                Some('@') if color => ("\x1b[36m", "\x1b[0m"),
                _ => ("", ""),
            };
            writeln!(o, "{pre}{line}{post}")?;
        }
    }
    writeln!(o, "\nsource events ({}):", events.len())?;
    for e in &events {
        let detail = serde_json::to_string(&e.kind).unwrap_or_default();
        let detail: String = detail.chars().take(200).collect();
        writeln!(o, "- #{} {} {} {}", e.seq, e.at, e.kind.name(), detail)?;
    }
    Ok(())
}

pub fn report(hm: &Hivemind, json: bool) -> Result<()> {
    let rows = hm.report()?;
    let mut o = out();
    if json {
        serde_json::to_writer_pretty(&mut o, &rows)?;
        writeln!(o)?;
        return Ok(());
    }
    if rows.is_empty() {
        writeln!(o, "no skills yet in workspace {}", hm.workspace())?;
        return Ok(());
    }
    writeln!(
        o,
        "{:<44} {:>18} {:>22}",
        "skill", "before (per session)", "after injection"
    )?;
    for r in &rows {
        let after = match r.rate_after {
            Some(rate) => format!(
                "{}/{} = {rate:.2}",
                r.corrections_after, r.sessions_injected
            ),
            None => "not injected yet".into(),
        };
        writeln!(
            o,
            "{:<44} {:>18} {:>22}",
            r.skill,
            format!(
                "{}/{} = {:.2}",
                r.corrections_before, r.sessions_before, r.rate_before
            ),
            after
        )?;
    }
    Ok(())
}
