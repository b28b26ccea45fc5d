//! Writing skills where hosts find them, atomically, without clobbering anyone's files.
//!
//! `<root>/<name>/SKILL.md` where `<root>` is `<project>/.claude/skills` (default) or
//! `~/.claude/skills`. A manifest under `HIVEMIND_HOME` records the hash of every file
//! hivemind wrote: a file that exists but is not ours, or that someone edited since we
//! wrote it, is never overwritten: a file of ours that a person edited keeps their text,
//! and new versions only append their new evidence to it. When `~/.agents/skills` exists
//! (Codex), each skill folder is linked there too.

use crate::error::{Error, Result};
use crate::model::Skill;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Component, Path, PathBuf};

/// What happened to one skill file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WriteOutcome {
    /// Written (new or updated).
    Written(PathBuf),
    /// Already up to date.
    Unchanged(PathBuf),
    /// A person edited the file since hivemind wrote it: their text is kept and only the
    /// new evidence (corrections not yet mentioned) was appended.
    Appended {
        /// The file.
        path: PathBuf,
        /// Corrections appended.
        corrections: usize,
    },
    /// Left alone: the file is not ours.
    Skipped {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
}

/// What happened to one skill's file on removal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RemoveOutcome {
    /// Deleted (with its folder when that became empty).
    Deleted(PathBuf),
    /// Kept: not ours, or a person edited it.
    Kept {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// No file there.
    Absent(PathBuf),
}

/// The record of files hivemind wrote: path → SHA-256 of the content.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Manifest {
    /// Files we own.
    pub files: BTreeMap<String, String>,
    /// Files of ours a person edited: from then on only evidence is appended to them.
    #[serde(default)]
    pub edited: std::collections::BTreeSet<String>,
}

fn sha(text: &[u8]) -> String {
    format!("{:x}", Sha256::digest(text))
}

/// Writes `contents` to `path` atomically (temp file in the same folder, flushed to
/// disk, then renamed over `path`).
pub fn write_atomic(path: &Path, contents: &[u8]) -> Result<()> {
    write_atomic_with(path, contents, true)
}

/// Like [`write_atomic`], without waiting for the disk: readers see the old or the new
/// content, never a mix; a power loss may lose the update. For small, rebuildable state
/// written on the hook hot path.
pub fn write_atomic_fast(path: &Path, contents: &[u8]) -> Result<()> {
    write_atomic_with(path, contents, false)
}

fn write_atomic_with(path: &Path, contents: &[u8], sync: bool) -> Result<()> {
    let dir = path
        .parent()
        .ok_or_else(|| Error::invalid(format!("{} has no parent folder", path.display())))?;
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let tmp = dir.join(format!(
        ".{}.{}.tmp",
        path.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        std::process::id()
    ));
    let mut f = std::fs::File::create(&tmp).map_err(|e| Error::io(&tmp, e))?;
    f.write_all(contents).map_err(|e| Error::io(&tmp, e))?;
    if sync {
        f.sync_all().map_err(|e| Error::io(&tmp, e))?;
    }
    drop(f);
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        Error::io(path, e)
    })
}

/// A relative path from data must stay inside its root: no `..`, no absolute parts.
pub fn safe_join(root: &Path, relative: &str) -> Result<PathBuf> {
    let rel = Path::new(relative);
    if rel.components().any(|c| !matches!(c, Component::Normal(_))) || relative.is_empty() {
        return Err(Error::invalid(format!(
            "path {relative:?} must be a plain relative path"
        )));
    }
    Ok(root.join(rel))
}

/// Writes skills under one root, keeping the manifest.
#[derive(Debug)]
pub struct SkillWriter {
    root: PathBuf,
    manifest_path: PathBuf,
    manifest: Manifest,
    agents_dir: Option<PathBuf>,
}

impl SkillWriter {
    /// Skills go under `root`; the manifest lives at `home/skills-manifest.json`.
    /// `agents_dir` (`~/.agents/skills`) gets a link per skill when it exists.
    pub fn new(root: PathBuf, home: &Path, agents_dir: Option<PathBuf>) -> Result<Self> {
        let manifest_path = home.join("skills-manifest.json");
        let manifest = match std::fs::read_to_string(&manifest_path) {
            Ok(t) => serde_json::from_str(&t).unwrap_or_else(|e| {
                tracing::warn!(
                    "manifest {} unreadable ({e}); starting a new one",
                    manifest_path.display()
                );
                Manifest::default()
            }),
            Err(_) => Manifest::default(),
        };
        Ok(SkillWriter {
            root,
            manifest_path,
            manifest,
            agents_dir: agents_dir.filter(|d| d.is_dir()),
        })
    }

    /// The folder skills are written under.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Writes one skill's SKILL.md (if it changed and is ours to write). A file of ours
    /// that a person edited keeps their text: the corrections of `skill` it does not
    /// mention yet are appended as evidence.
    pub fn write(&mut self, skill: &Skill) -> Result<WriteOutcome> {
        let dir = safe_join(&self.root, skill.name.as_str())?;
        let path = dir.join("SKILL.md");
        let text = super::format::render(skill);
        let key = path.to_string_lossy().into_owned();
        if let Ok(existing) = std::fs::read(&path) {
            let current = sha(&existing);
            let ours = self.manifest.files.get(&key);
            let edited = self.manifest.edited.contains(&key) || ours.is_some_and(|h| *h != current);
            if edited {
                return self.append_evidence(path, key, &existing, skill);
            }
            if existing == text.as_bytes() {
                self.manifest.files.insert(key, current);
                return Ok(WriteOutcome::Unchanged(path));
            }
            if ours.is_none() {
                return Ok(WriteOutcome::Skipped {
                    path,
                    reason: "exists and was not written by hivemind".into(),
                });
            }
        }
        write_atomic(&path, text.as_bytes())?;
        self.manifest.files.insert(key, sha(text.as_bytes()));
        self.link_for_codex(&dir, skill.name.as_str());
        Ok(WriteOutcome::Written(path))
    }

    /// Appends to a person-edited file the evidence lines of the corrections it does not
    /// mention yet (taken from the new version's evidence section when it has them).
    fn append_evidence(
        &mut self,
        path: PathBuf,
        key: String,
        existing: &[u8],
        skill: &Skill,
    ) -> Result<WriteOutcome> {
        self.manifest.edited.insert(key.clone());
        let text = String::from_utf8_lossy(existing);
        let missing: Vec<&str> = skill
            .provenance
            .corrections
            .iter()
            .map(|c| c.as_str())
            .filter(|id| !text.contains(id))
            .collect();
        if missing.is_empty() {
            self.manifest.files.insert(key, sha(existing));
            return Ok(WriteOutcome::Unchanged(path));
        }
        let mut out = text.into_owned();
        if !out.ends_with('\n') {
            out.push('\n');
        }
        out.push_str(&format!(
            "\n<!-- hivemind: evidence of version {} appended on {}; the text above was edited by a person and is kept as it is -->\n",
            skill.version,
            chrono::Utc::now().format("%Y-%m-%d")
        ));
        for id in &missing {
            let line = skill
                .body
                .lines()
                .find(|l| l.trim_start().starts_with("- ") && l.contains(id))
                .map_or_else(|| format!("- {id}"), |l| l.trim().to_string());
            out.push_str(&line);
            out.push('\n');
        }
        write_atomic(&path, out.as_bytes())?;
        self.manifest.files.insert(key, sha(out.as_bytes()));
        Ok(WriteOutcome::Appended {
            path,
            corrections: missing.len(),
        })
    }

    /// Deletes a skill's SKILL.md when it is ours and nobody edited it (its folder too
    /// when that becomes empty, and the Codex link to it). A person's file, or one of
    /// ours a person edited, is kept.
    pub fn remove(&mut self, name: &crate::model::SkillName) -> Result<RemoveOutcome> {
        let dir = safe_join(&self.root, name.as_str())?;
        let path = dir.join("SKILL.md");
        let key = path.to_string_lossy().into_owned();
        let existing = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                self.manifest.files.remove(&key);
                self.manifest.edited.remove(&key);
                return Ok(RemoveOutcome::Absent(path));
            }
            Err(e) => return Err(Error::io(&path, e)),
        };
        let reason = match self.manifest.files.get(&key) {
            None => Some("not written by hivemind"),
            Some(h) if *h != sha(&existing) || self.manifest.edited.contains(&key) => {
                Some("edited by a person")
            }
            Some(_) => None,
        };
        if let Some(reason) = reason {
            return Ok(RemoveOutcome::Kept {
                path,
                reason: reason.into(),
            });
        }
        std::fs::remove_file(&path).map_err(|e| Error::io(&path, e))?;
        self.manifest.files.remove(&key);
        // Only an empty folder goes; anything a person put beside the file stays.
        let _ = std::fs::remove_dir(&dir);
        if let Some(agents) = &self.agents_dir {
            let link = agents.join(name.as_str());
            if std::fs::read_link(&link).is_ok_and(|target| target == dir) {
                let _ = std::fs::remove_file(&link);
            }
        }
        Ok(RemoveOutcome::Deleted(path))
    }

    #[cfg(unix)]
    fn link_for_codex(&self, dir: &Path, name: &str) {
        if let Some(agents) = &self.agents_dir {
            let link = agents.join(name);
            if std::fs::symlink_metadata(&link).is_err() {
                if let Err(e) = std::os::unix::fs::symlink(dir, &link) {
                    tracing::warn!("cannot link {} for Codex: {e}", link.display());
                }
            }
        }
    }

    #[cfg(not(unix))]
    fn link_for_codex(&self, _dir: &Path, _name: &str) {}

    /// Saves the manifest (atomically).
    pub fn save(&self) -> Result<()> {
        write_atomic(
            &self.manifest_path,
            serde_json::to_string_pretty(&self.manifest)?.as_bytes(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{CorrectionId, Provenance, SkillName, WorkspaceId};

    fn skill(body: &str) -> Skill {
        Skill {
            name: SkillName::new("use-pnpm").unwrap(),
            description: "d".into(),
            body: body.into(),
            version: 1,
            workspace: WorkspaceId::new("w").unwrap(),
            provenance: Provenance {
                corrections: vec![CorrectionId::generate()],
                sessions: vec![],
                author: "t".into(),
                created_at: chrono::Utc::now(),
                updated_at: chrono::Utc::now(),
            },
        }
    }

    #[test]
    fn writes_updates_and_never_clobbers_foreign_or_edited_files() {
        let home = tempfile::tempdir().unwrap();
        let root = home.path().join("skills");
        let mut w = SkillWriter::new(root.clone(), home.path(), None).unwrap();
        let a = skill("a");
        assert!(matches!(w.write(&a).unwrap(), WriteOutcome::Written(_)));
        assert!(matches!(w.write(&a).unwrap(), WriteOutcome::Unchanged(_)));
        assert!(matches!(
            w.write(&skill("b")).unwrap(),
            WriteOutcome::Written(_)
        ));
        let path = root.join("use-pnpm/SKILL.md");
        std::fs::write(&path, "my own edit").unwrap();
        // An edited file keeps the person's text; the new evidence is appended.
        let mut c = skill("c\n## Evidence\n- LINE\n");
        let id = c.provenance.corrections[0].to_string();
        c.body = c
            .body
            .replace("LINE", &format!("{id} (followup, session s1, 2026-01-02)"));
        assert_eq!(
            w.write(&c).unwrap(),
            WriteOutcome::Appended {
                path: path.clone(),
                corrections: 1
            }
        );
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with("my own edit\n"), "{text}");
        assert!(
            text.ends_with(&format!("- {id} (followup, session s1, 2026-01-02)\n")),
            "{text}"
        );
        // Nothing new: nothing appended; a later version appends only its new ids.
        assert!(matches!(w.write(&c).unwrap(), WriteOutcome::Unchanged(_)));
        assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
        let mut d = c.clone();
        d.version = 2;
        d.provenance.corrections.push(CorrectionId::generate());
        assert!(matches!(
            w.write(&d).unwrap(),
            WriteOutcome::Appended { corrections: 1, .. }
        ));
        let after = std::fs::read_to_string(&path).unwrap();
        assert!(after.starts_with(&text) && after.contains(d.provenance.corrections[1].as_str()));
        // Still the person's file: it is never removed.
        assert!(matches!(
            w.remove(&d.name).unwrap(),
            RemoveOutcome::Kept { .. }
        ));
        assert!(path.exists());
        w.save().unwrap();
        // A file nobody recorded is not ours.
        let home2 = tempfile::tempdir().unwrap();
        let mut w2 = SkillWriter::new(root.clone(), home2.path(), None).unwrap();
        assert!(matches!(
            w2.write(&skill("d")).unwrap(),
            WriteOutcome::Skipped { .. }
        ));
    }

    #[test]
    fn remove_deletes_only_unedited_files_of_ours() {
        let home = tempfile::tempdir().unwrap();
        let root = home.path().join("skills");
        let mut w = SkillWriter::new(root.clone(), home.path(), None).unwrap();
        let a = skill("a");
        w.write(&a).unwrap();
        let path = root.join("use-pnpm/SKILL.md");
        assert_eq!(
            w.remove(&a.name).unwrap(),
            RemoveOutcome::Deleted(path.clone())
        );
        assert!(!path.exists() && !root.join("use-pnpm").exists());
        assert_eq!(
            w.remove(&a.name).unwrap(),
            RemoveOutcome::Absent(path.clone())
        );
        // A person's own file of the same name stays.
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, "mine").unwrap();
        assert!(matches!(
            w.remove(&a.name).unwrap(),
            RemoveOutcome::Kept { .. }
        ));
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "mine");
    }

    #[test]
    fn safe_join_refuses_escapes() {
        let r = Path::new("/r");
        assert!(safe_join(r, "../x").is_err());
        assert!(safe_join(r, "/etc").is_err());
        assert!(safe_join(r, "").is_err());
        assert_eq!(safe_join(r, "a").unwrap(), PathBuf::from("/r/a"));
    }
}
