//! The SKILL.md format (agentskills.io): YAML frontmatter with `name`, `description`
//! and string-to-string `metadata`, then a Markdown body.
//!
//! hivemind writes its own fields under `metadata` (`hivemind-version`,
//! `hivemind-corrections`, ...). It also reads Hivemind-style files with top-level
//! `version`, `source_sessions`, `author`, `trigger`.

use crate::error::{Error, Result};
use crate::model::{CorrectionId, Provenance, SessionId, Skill, SkillName, WorkspaceId};
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;

/// Renders a skill as SKILL.md text.
pub fn render(skill: &Skill) -> String {
    let q = |s: &str| serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into());
    let ids = |v: &[String]| v.join(",");
    let p = &skill.provenance;
    let mut meta: BTreeMap<&str, String> = BTreeMap::new();
    meta.insert("hivemind-version", skill.version.to_string());
    meta.insert("hivemind-workspace", skill.workspace.to_string());
    meta.insert("hivemind-author", p.author.clone());
    meta.insert("hivemind-created-at", p.created_at.to_rfc3339());
    meta.insert("hivemind-updated-at", p.updated_at.to_rfc3339());
    meta.insert(
        "hivemind-corrections",
        ids(&p
            .corrections
            .iter()
            .map(|c| c.to_string())
            .collect::<Vec<_>>()),
    );
    meta.insert(
        "hivemind-sessions",
        ids(&p.sessions.iter().map(|c| c.to_string()).collect::<Vec<_>>()),
    );
    let mut out = String::new();
    out.push_str("---\n");
    out.push_str(&format!("name: {}\n", skill.name));
    out.push_str(&format!("description: {}\n", q(&skill.description)));
    out.push_str("metadata:\n");
    for (k, v) in meta {
        out.push_str(&format!("  {k}: {}\n", q(&v)));
    }
    out.push_str("---\n\n");
    out.push_str(skill.body.trim_end());
    out.push('\n');
    out
}

/// Does YAML read this scalar as a string? Quoted ones are; a plain one is unless it is
/// empty, a collection, or reads as a number, a boolean or null (`42`, `1.5`, `true`,
/// `no`, `null`, `~`).
fn is_yaml_string(v: &str) -> bool {
    if v.starts_with('"') {
        return serde_json::from_str::<String>(v).is_ok();
    }
    if v.starts_with('\'') {
        return v.len() >= 2 && v.ends_with('\'');
    }
    if v.is_empty() || v.starts_with(['[', '{', '-', '&', '*', '!', '|', '>']) {
        return false;
    }
    let lower = v.to_ascii_lowercase();
    let keyword = matches!(
        lower.as_str(),
        "true" | "false" | "yes" | "no" | "on" | "off" | "y" | "n" | "null" | "~"
    );
    let number = lower.parse::<f64>().is_ok()
        || lower.starts_with("0x")
        || lower.starts_with("0o")
        || matches!(lower.as_str(), ".inf" | "+.inf" | "-.inf" | ".nan");
    !(keyword || number)
}

fn unquote(v: &str) -> String {
    let v = v.trim();
    if v.starts_with('"') {
        if let Ok(s) = serde_json::from_str::<String>(v) {
            return s;
        }
    }
    if v.len() >= 2 && v.starts_with('\'') && v.ends_with('\'') {
        return v[1..v.len() - 1].replace("''", "'");
    }
    v.to_string()
}

/// Parses SKILL.md text. `workspace` is used when the file does not name one.
pub fn parse(text: &str, workspace: &WorkspaceId) -> Result<Skill> {
    let rest = text
        .strip_prefix("---\n")
        .or_else(|| text.strip_prefix("---\r\n"))
        .ok_or_else(|| Error::invalid("SKILL.md must start with a --- frontmatter block"))?;
    let end = rest
        .find("\n---")
        .ok_or_else(|| Error::invalid("SKILL.md frontmatter is not closed with ---"))?;
    let (front, body) = (&rest[..end], &rest[end + 4..]);
    let body = body
        .trim_start_matches(['-'])
        .trim_start_matches(['\r', '\n'])
        .trim_start_matches('\n');
    let mut top: BTreeMap<String, String> = BTreeMap::new();
    let mut meta: BTreeMap<String, String> = BTreeMap::new();
    let mut in_meta = false;
    for line in front.lines() {
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        let indented = line.starts_with(' ') || line.starts_with('\t');
        let Some((k, v)) = line.trim().split_once(':') else {
            continue;
        };
        if indented && in_meta {
            meta.insert(k.trim().to_string(), unquote(v));
        } else {
            in_meta = k.trim() == "metadata" && v.trim().is_empty();
            if !in_meta {
                top.insert(k.trim().to_string(), unquote(v));
            }
        }
    }
    let get = |k: &str| {
        meta.get(&format!("hivemind-{k}"))
            .or_else(|| top.get(k))
            .cloned()
    };
    let name = SkillName::new(top.get("name").cloned().unwrap_or_default())?;
    let description = top
        .get("description")
        .cloned()
        .or_else(|| top.get("trigger").cloned())
        .unwrap_or_default();
    let version = get("version")
        .and_then(|v| v.parse().ok())
        .unwrap_or(1u32)
        .max(1);
    let split = |v: Option<String>| -> Vec<String> {
        v.unwrap_or_default()
            .trim_matches(['[', ']'])
            .split(',')
            .map(|s| s.trim().trim_matches('"').to_string())
            .filter(|s| !s.is_empty())
            .collect()
    };
    let time = |v: Option<String>| -> DateTime<Utc> {
        v.and_then(|t| DateTime::parse_from_rfc3339(&t).ok())
            .map_or_else(Utc::now, |t| t.with_timezone(&Utc))
    };
    let corrections = split(get("corrections"))
        .into_iter()
        .filter_map(|c| CorrectionId::new(c).ok())
        .collect();
    let sessions = split(get("sessions").or_else(|| top.get("source_sessions").cloned()))
        .into_iter()
        .filter_map(|s| SessionId::new(s).ok())
        .collect();
    let ws = match get("workspace") {
        Some(w) => WorkspaceId::new(w)?,
        None => workspace.clone(),
    };
    let skill = Skill {
        name,
        description,
        body: body.to_string(),
        version,
        workspace: ws,
        provenance: Provenance {
            corrections,
            sessions,
            author: get("author").unwrap_or_else(|| "unknown".into()),
            created_at: time(get("created-at")),
            updated_at: time(get("updated-at")),
        },
    };
    skill.validate()?;
    Ok(skill)
}

/// Checks a SKILL.md file against the agentskills.io rules: frontmatter with `name`
/// (1–64 of `[a-z0-9-]`, no leading/trailing/double `-`, equal to the folder name) and
/// `description` (1–1024 characters); other top-level keys only among `license`,
/// `compatibility`, `allowed-tools`, `metadata`; `metadata` a map of string to string;
/// body under 500 lines. Returns every problem found.
pub fn validate_file(path: &std::path::Path) -> std::result::Result<(), Vec<String>> {
    let mut problems = Vec::new();
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => return Err(vec![format!("cannot read {}: {e}", path.display())]),
    };
    let Some(rest) = text.strip_prefix("---\n") else {
        return Err(vec!["does not start with a --- frontmatter line".into()]);
    };
    let Some(end) = rest
        .find("\n---\n")
        .or_else(|| rest.strip_suffix("\n---").map(|r| r.len()))
    else {
        return Err(vec!["frontmatter is not closed by ---".into()]);
    };
    let (front, body) = (&rest[..end], rest.get(end + 5..).unwrap_or(""));
    let mut name = None;
    let mut description = None;
    let mut in_meta = false;
    for line in front.lines() {
        if line.trim().is_empty() {
            continue;
        }
        let indented = line.starts_with(' ') || line.starts_with('\t');
        let Some((k, v)) = line.trim().split_once(':') else {
            problems.push(format!("frontmatter line is not `key: value`: {line:?}"));
            continue;
        };
        let (k, v) = (k.trim(), v.trim());
        if indented {
            if !in_meta {
                problems.push(format!("indented key {k:?} outside metadata"));
            } else if !is_yaml_string(v) {
                problems.push(format!("metadata value of {k:?} is not a string"));
            }
            continue;
        }
        in_meta = k == "metadata";
        match k {
            "name" => name = Some(unquote(v)),
            "description" => description = Some(unquote(v)),
            "metadata" => {
                if !v.is_empty() {
                    problems.push("metadata must be a map of string to string".into());
                }
            }
            "license" | "compatibility" | "allowed-tools" => {}
            other => problems.push(format!(
                "top-level field {other:?} is not allowed (put it under metadata)"
            )),
        }
    }
    match &name {
        None => problems.push("no name".into()),
        Some(n) => {
            if let Err(e) = SkillName::new(n.clone()) {
                problems.push(e.to_string());
            }
            let folder = path
                .parent()
                .and_then(|p| p.file_name())
                .map(|f| f.to_string_lossy().into_owned());
            if folder.as_deref() != Some(n.as_str()) {
                problems.push(format!("name {n:?} differs from its folder {folder:?}"));
            }
        }
    }
    match &description {
        None => problems.push("no description".into()),
        Some(d) if d.chars().count() == 0 || d.chars().count() > 1024 => problems.push(format!(
            "description has {} characters (1–1024)",
            d.chars().count()
        )),
        _ => {}
    }
    let lines = body.lines().count();
    if lines >= 500 {
        problems.push(format!("body has {lines} lines (must be under 500)"));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Skill {
        Skill {
            name: SkillName::new("use-pnpm").unwrap(),
            description: "Use pnpm: \"never\" npm. Applies to Bash.".into(),
            body: "## Do\n- pnpm add x\n".into(),
            version: 2,
            workspace: WorkspaceId::new("acme").unwrap(),
            provenance: Provenance {
                corrections: vec![CorrectionId::generate(), CorrectionId::generate()],
                sessions: vec![SessionId::new("s1").unwrap()],
                author: "hivemind-local".into(),
                created_at: Utc::now(),
                updated_at: Utc::now(),
            },
        }
    }

    #[test]
    fn render_then_parse_round_trips() {
        let s = sample();
        let text = render(&s);
        assert!(text.starts_with("---\nname: use-pnpm\n"));
        let back = parse(&text, &WorkspaceId::new("other").unwrap()).unwrap();
        assert_eq!(back.name, s.name);
        assert_eq!(back.description, s.description);
        assert_eq!(back.version, 2);
        assert_eq!(back.workspace.as_str(), "acme");
        assert_eq!(back.provenance.corrections, s.provenance.corrections);
        assert_eq!(back.body.trim(), s.body.trim());
    }

    #[test]
    fn reads_hivemind_style_top_level_fields() {
        let text = "---\nname: tabs\ndescription: Use tabs\nversion: 3\nsource_sessions: [a1, b2]\nauthor: ana\ntrigger: formatting\n---\nBody\n";
        let s = parse(text, &WorkspaceId::new("w").unwrap()).unwrap();
        assert_eq!(s.version, 3);
        assert_eq!(s.provenance.sessions.len(), 2);
        assert_eq!(s.provenance.author, "ana");
    }

    #[test]
    fn validator_accepts_rendered_skills_and_names_problems() {
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join("use-pnpm");
        std::fs::create_dir_all(&folder).unwrap();
        let path = folder.join("SKILL.md");
        std::fs::write(&path, render(&sample())).unwrap();
        assert_eq!(validate_file(&path), Ok(()));
        std::fs::write(
            &path,
            "---\nname: Other\ndescription: \nversion: 2\n---\nbody\n",
        )
        .unwrap();
        let problems = validate_file(&path).unwrap_err();
        assert!(
            problems.iter().any(|p| p.contains("only a-z")),
            "{problems:?}"
        );
        assert!(
            problems.iter().any(|p| p.contains("folder")),
            "{problems:?}"
        );
        assert!(
            problems.iter().any(|p| p.contains("description")),
            "{problems:?}"
        );
        assert!(
            problems.iter().any(|p| p.contains("\"version\"")),
            "{problems:?}"
        );
        std::fs::write(
            &path,
            format!(
                "---\nname: use-pnpm\ndescription: d\n---\n{}",
                "x\n".repeat(500)
            ),
        )
        .unwrap();
        assert!(validate_file(&path).unwrap_err()[0].contains("500"));

        // Metadata values must be strings: YAML reads these plain scalars as others.
        for value in [
            "42", "1.5", "true", "no", "null", "~", "[a, b]", "{a: 1}", "",
        ] {
            std::fs::write(
                &path,
                format!("---\nname: use-pnpm\ndescription: d\nmetadata:\n  support: {value}\n---\nbody\n"),
            )
            .unwrap();
            let problems = validate_file(&path).unwrap_err();
            assert!(
                problems.iter().any(|p| p.contains("not a string")),
                "{value:?}: {problems:?}"
            );
        }
        for value in ["\"42\"", "'true'", "hivemind-local", "2026-11-28 x"] {
            std::fs::write(
                &path,
                format!("---\nname: use-pnpm\ndescription: d\nmetadata:\n  support: {value}\n---\nbody\n"),
            )
            .unwrap();
            assert_eq!(validate_file(&path), Ok(()), "{value:?}");
        }
    }

    #[test]
    fn bad_files_are_errors() {
        let w = WorkspaceId::new("w").unwrap();
        assert!(parse("no frontmatter", &w).is_err());
        assert!(parse("---\nname: ../evil\ndescription: x\n---\n", &w).is_err());
        assert!(parse("---\nname: ok\n", &w).is_err());
    }
}
