//! The default, offline skillifier: deterministic prose from the group's structure.

use super::{CorrectionGroup, SkillDraft, Skillifier, Verdict};
use crate::error::Result;
use crate::model::{Correction, CorrectionKind, SkillName, Target};
use std::collections::BTreeMap;

/// Writes skills without a model: the name from the group's strongest features, the
/// description from the users' own words and the targets, the body from the real diffs.
#[derive(Debug, Clone, Default)]
pub struct LocalSkillifier;

#[async_trait::async_trait]
impl Skillifier for LocalSkillifier {
    fn author(&self) -> String {
        "hivemind-local".into()
    }

    async fn judge(&self, group: &CorrectionGroup) -> Result<Verdict> {
        Ok(Verdict::Keep(draft(group)))
    }
}

fn clip(text: &str, max_chars: usize) -> String {
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() <= max_chars {
        one_line
    } else {
        let cut: String = one_line.chars().take(max_chars.saturating_sub(1)).collect();
        format!("{}…", cut.trim_end())
    }
}

fn features_with<'a>(g: &'a CorrectionGroup, prefix: &str) -> Vec<&'a str> {
    g.top_features
        .iter()
        .filter_map(|(k, _)| k.strip_prefix(prefix))
        // Tokens only: code shapes (`shape:style={{`) are evidence, not words.
        .filter(|k| !k.is_empty() && !k.contains(':'))
        .collect()
}

fn plain_terms(g: &CorrectionGroup) -> Vec<&str> {
    g.top_features
        .iter()
        .map(|(k, _)| k.as_str())
        .filter(|k| !k.starts_with(['+', '-']) && !k.contains(':'))
        .collect()
}

/// The name: "prefer X over Y", "avoid Y", "use X", else the file and terms.
pub fn name_for(g: &CorrectionGroup) -> SkillName {
    let added = features_with(g, "+");
    let refused_whole = g
        .corrections
        .iter()
        .all(|c| c.accepted.is_none() || c.diff.is_empty());
    let removed = if refused_whole {
        Vec::new()
    } else {
        // What the users named as the problem comes first ("repo" before the tokens
        // one diff happened to remove).
        let mut removed = features_with(g, "named:-");
        for t in features_with(g, "-") {
            if !removed.contains(&t) {
                removed.push(t);
            }
        }
        removed
    };
    let terms = plain_terms(g);
    let first_new = |skip: &[&str]| {
        terms
            .iter()
            .find(|t| !skip.iter().any(|s| s.contains(*t) || t.contains(*s)))
            .copied()
    };
    let phrase = if !added.is_empty() && !removed.is_empty() {
        format!(
            "prefer {} over {}",
            added.iter().take(2).cloned().collect::<Vec<_>>().join(" "),
            removed
                .iter()
                .take(2)
                .cloned()
                .collect::<Vec<_>>()
                .join(" ")
        )
    } else if !removed.is_empty() {
        let extra = first_new(&removed[..1]).unwrap_or("");
        format!("avoid {} {extra}", removed[0])
    } else if !added.is_empty() {
        format!(
            "use {}",
            added.iter().take(3).cloned().collect::<Vec<_>>().join(" ")
        )
    } else {
        let file = features_with(g, "file:")
            .first()
            .map(|f| f.to_string())
            .unwrap_or_default();
        let t: Vec<&str> = terms
            .iter()
            .filter(|t| !file.contains(*t))
            .take(2)
            .copied()
            .collect();
        format!("{file} {}", t.join(" "))
    };
    SkillName::slugify(&phrase)
}

/// Where the lesson applies, from the targets.
fn applies_to(g: &CorrectionGroup) -> String {
    let mut files: BTreeMap<String, usize> = BTreeMap::new();
    let mut exts: BTreeMap<String, usize> = BTreeMap::new();
    let mut tools: BTreeMap<String, usize> = BTreeMap::new();
    for c in &g.corrections {
        match &c.target {
            Target::File(p) => {
                let path = std::path::Path::new(p);
                if let Some(n) = path.file_name() {
                    *files.entry(n.to_string_lossy().into_owned()).or_default() += 1;
                }
                if let Some(e) = path.extension() {
                    *exts.entry(e.to_string_lossy().into_owned()).or_default() += 1;
                }
            }
            Target::Tool(t) => *tools.entry(t.clone()).or_default() += 1,
            Target::Response => *tools.entry("response".into()).or_default() += 1,
        }
    }
    let n = g.corrections.len();
    let top_file = files.iter().max_by_key(|(_, k)| **k);
    if let Some((f, k)) = top_file {
        if *k == n {
            return format!("changing {f}");
        }
    }
    let mut parts = Vec::new();
    if let Some((e, _)) = exts.iter().max_by_key(|(_, k)| **k) {
        // A lesson learned mostly on one file still applies to its siblings.
        match top_file {
            Some((f, k)) if *k * 2 > n => {
                parts.push(format!("editing *.{e} files (most often {f})"))
            }
            _ => parts.push(format!("editing *.{e} files")),
        }
    }
    for t in tools.keys() {
        parts.push(if t == "response" {
            "answering".to_string()
        } else {
            format!("running {t} commands")
        });
    }
    if parts.is_empty() {
        "working in this workspace".into()
    } else {
        parts.join(" or ")
    }
}

/// The most representative reason: the one sharing the most of the group's terms.
fn best_reason(g: &CorrectionGroup) -> Option<&str> {
    let terms = plain_terms(g);
    g.corrections
        .iter()
        .filter_map(|c| c.reason.as_deref())
        .max_by_key(|r| {
            let low = r.to_lowercase();
            (
                terms.iter().take(6).filter(|t| low.contains(*t)).count(),
                usize::MAX - r.len(),
            )
        })
}

fn example(c: &Correction) -> Option<String> {
    if let (Some(_), false) = (&c.accepted, c.diff.is_empty()) {
        let removed: Vec<&str> = c
            .diff
            .removed_lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .take(2)
            .collect();
        let added: Vec<&str> = c
            .diff
            .added_lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .take(2)
            .collect();
        if removed.is_empty() && added.is_empty() {
            return None;
        }
        let show = |v: &[&str]| {
            if v.is_empty() {
                "(nothing)".to_string()
            } else {
                format!("`{}`", clip(&v.join(" ⏎ "), 140))
            }
        };
        return Some(format!("{} → {}", show(&removed), show(&added)));
    }
    let produced = c.produced.trim();
    (!produced.is_empty()).then(|| format!("`{}` (rejected)", clip(produced, 140)))
}

/// Capitalized, ending with a full stop.
fn sentence(text: &str) -> String {
    let t = text.trim();
    let mut out: String = t
        .chars()
        .take(1)
        .flat_map(char::to_uppercase)
        .chain(t.chars().skip(1))
        .collect();
    if !out.ends_with(['.', '!', '?', '…']) {
        out.push('.');
    }
    out
}

/// The full draft.
pub fn draft(g: &CorrectionGroup) -> SkillDraft {
    let name = g
        .existing
        .as_ref()
        .map_or_else(|| name_for(g), |s| s.name.clone());
    let applies = applies_to(g);
    // Every correction the skill will cite: the existing lineage and this group.
    let n = match &g.existing {
        Some(s) => {
            let mut ids: std::collections::BTreeSet<&crate::model::CorrectionId> =
                s.provenance.corrections.iter().collect();
            ids.extend(g.corrections.iter().map(|c| &c.id));
            ids.len()
        }
        None => g.corrections.len(),
    };
    let reason = best_reason(g);
    let summary = match reason {
        Some(r) => clip(r, 300),
        None => {
            let added = features_with(g, "+");
            let removed = features_with(g, "-");
            match (added.first(), removed.first()) {
                (Some(a), Some(r)) => format!("Write {a} where the agent wrote {r}"),
                (Some(a), None) => format!("Include {a}"),
                (None, Some(r)) => format!("Do not write {r}"),
                (None, None) => "Follow the corrections below".into(),
            }
        }
    };
    let summary = sentence(&summary);
    let description = clip(
        &format!("{summary} Applies when {applies}. Learned from {n} user corrections in this workspace."),
        1000,
    );
    let mut body = String::new();
    body.push_str(&format!(
        "# {}\n\n## When this applies\nWhen {applies}.\n\n",
        name
    ));
    // Do: what users accepted instead.
    let added: Vec<&str> = features_with(g, "+");
    let mut dos: Vec<String> = Vec::new();
    for c in &g.corrections {
        if let Some(a) = &c.accepted {
            if c.kind == CorrectionKind::Rejection || c.diff.is_empty() {
                dos.push(format!("- `{}`", clip(a, 140)));
                continue;
            }
            if let Some(line) = c.diff.added_lines().map(str::trim).find(|l| !l.is_empty()) {
                dos.push(format!("- `{}`", clip(line, 140)));
            }
        }
    }
    dos.dedup();
    body.push_str("## Do\n");
    if let Some(r) = reason {
        body.push_str(&format!("- {}\n", clip(r, 200)));
    }
    for d in dos.iter().take(3) {
        body.push_str(d);
        body.push('\n');
    }
    if dos.is_empty() && !added.is_empty() {
        body.push_str(&format!(
            "- Include `{}`.\n",
            added
                .iter()
                .take(3)
                .cloned()
                .collect::<Vec<_>>()
                .join("`, `")
        ));
    }
    body.push_str("\n## Don't (before → after)\n");
    let mut shown = 0;
    for c in &g.corrections {
        if let Some(e) = example(c) {
            body.push_str(&format!("- {e}\n"));
            shown += 1;
            if shown == 4 {
                break;
            }
        }
    }
    let reasons: Vec<&str> = g
        .corrections
        .iter()
        .filter_map(|c| c.reason.as_deref())
        .collect();
    if !reasons.is_empty() {
        body.push_str("\n## Why (the users' own words)\n");
        let mut seen = Vec::new();
        for r in reasons {
            let r = clip(r, 240);
            if !seen.contains(&r) {
                body.push_str(&format!("> {r}\n"));
                seen.push(r);
            }
            if seen.len() == 4 {
                break;
            }
        }
    }
    body.push_str("\n## Evidence\n");
    for c in g.corrections.iter().rev().take(40).rev() {
        body.push_str(&format!(
            "- {} ({}, session {}, {})\n",
            c.id,
            c.kind,
            c.session,
            c.created_at.format("%Y-%m-%d")
        ));
    }
    if g.corrections.len() > 40 {
        body.push_str(&format!(
            "- … and {} earlier corrections\n",
            g.corrections.len() - 40
        ));
    }
    SkillDraft {
        name,
        description,
        body,
        author: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{CorrectionId, Provenance, SessionId, Skill, WorkspaceId};

    fn on(file: &str, reason: &str) -> Correction {
        Correction::new(
            WorkspaceId::new("acme").unwrap(),
            SessionId::new("s").unwrap(),
            CorrectionKind::Followup,
            Target::File(file.into()),
            "fn parse() -> anyhow::Result<()>".to_string(),
            None,
            Some(reason.to_string()),
            0.9,
        )
        .unwrap()
    }

    fn group(corrections: Vec<Correction>, existing: Option<Skill>) -> CorrectionGroup {
        CorrectionGroup {
            workspace: WorkspaceId::new("acme").unwrap(),
            corrections,
            top_features: vec![("thiserror".into(), 2.0)],
            existing,
        }
    }

    #[test]
    fn a_lesson_learned_mostly_on_one_file_applies_to_its_siblings() {
        let one = group(vec![on("src/lib.rs", "use thiserror"); 3], None);
        assert_eq!(applies_to(&one), "changing lib.rs");
        let mixed = group(
            vec![
                on("src/lib.rs", "use thiserror"),
                on("src/lib.rs", "thiserror please"),
                on("src/config.rs", "thiserror here too"),
            ],
            None,
        );
        assert_eq!(applies_to(&mixed), "editing *.rs files (most often lib.rs)");
    }

    #[test]
    fn the_description_counts_every_cited_correction() {
        let corrections = vec![
            on("src/lib.rs", "use thiserror"),
            on("src/a.rs", "thiserror"),
        ];
        let now = chrono::Utc::now();
        let existing = Skill {
            name: SkillName::new("use-thiserror").unwrap(),
            description: "d".into(),
            body: "b".into(),
            version: 1,
            workspace: WorkspaceId::new("acme").unwrap(),
            provenance: Provenance {
                // One of this group's and two earlier ones.
                corrections: vec![
                    corrections[0].id.clone(),
                    CorrectionId::generate(),
                    CorrectionId::generate(),
                ],
                sessions: vec![],
                author: "local".into(),
                created_at: now,
                updated_at: now,
            },
        };
        let d = draft(&group(corrections, Some(existing)));
        assert!(
            d.description.contains("Learned from 4 user corrections"),
            "{}",
            d.description
        );
    }
}
