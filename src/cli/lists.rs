//! Listing and mining commands: call the core, format the output.

use anyhow::Result;
use hivemind_core::{CorrectionFilter, Hivemind};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;

fn out() -> std::io::StdoutLock<'static> {
    std::io::stdout().lock()
}

pub fn corrections(hm: &Hivemind, json: bool) -> Result<()> {
    let list = hm.corrections(&CorrectionFilter::default())?;
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
    let session =
        hivemind_core::SessionId::new(format!("preview-{}", hivemind_core::EventId::generate()))?;
    let budget = budget.unwrap_or(hm.config().budget_tokens);
    let sel = hm.context_for(&session, prompt, budget)?;
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
    let bar = if std::io::stderr().is_terminal() {
        let b = indicatif::ProgressBar::new(files.len() as u64);
        b.set_style(
            indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} files {msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        Some(b)
    } else {
        None
    };
    let mut total = hivemind_core::import::ImportStats::default();
    for f in &files {
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
            &mut |_| {},
        )?;
        total.files += s.files;
        total.unrecognized_files += s.unrecognized_files;
        total.sessions += s.sessions;
        total.events += s.events;
        total.duplicate_events += s.duplicate_events;
        total.skipped_lines += s.skipped_lines;
        total.corrections += s.corrections;
        if let Some(b) = &bar {
            b.inc(1);
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
