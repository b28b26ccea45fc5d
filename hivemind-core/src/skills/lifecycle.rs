//! What people decided about a workspace's skills, kept in the store's state so every
//! process (hooks, the miner, `hivemind skills …`) sees it:
//!
//! - **removed**: never injected, never written again, and never re-mined (the skill's
//!   record stays as a tombstone that keeps its lineage, so the same corrections do not
//!   form a new skill under another name);
//! - **promoted**: also written to the user's global skills folder
//!   (`~/.claude/skills`), so every project of the user gets it, and kept there as it
//!   gets new versions.

use crate::error::Result;
use crate::model::{Correction, Skill, WorkspaceId};
use crate::store::Store;
use serde::Serialize;
use std::collections::BTreeSet;
use std::path::PathBuf;

/// One skill with its lineage resolved (`hivemind skills show`).
#[derive(Debug, Clone, Serialize)]
pub struct SkillDetail {
    /// The skill (latest version).
    pub skill: Skill,
    /// The corrections behind it that the store holds, oldest first.
    pub corrections: Vec<Correction>,
    /// A person removed it: not injected, written or mined again.
    pub removed: bool,
    /// Promoted to the global skills folder.
    pub promoted: bool,
    /// Its SKILL.md files on disk (project and global folders).
    pub files: Vec<PathBuf>,
}

const REMOVED: &str = "skills:removed";
const PROMOTED: &str = "skills:promoted";

fn read(store: &dyn Store, ws: &WorkspaceId, key: &str) -> Result<BTreeSet<String>> {
    Ok(match store.get_state(ws, key)? {
        Some(text) => serde_json::from_str(&text).unwrap_or_else(|e| {
            tracing::warn!("state {key} of {ws} is unreadable ({e}); treating it as empty");
            BTreeSet::new()
        }),
        None => BTreeSet::new(),
    })
}

fn set(store: &dyn Store, ws: &WorkspaceId, key: &str, name: &str, on: bool) -> Result<bool> {
    let mut names = read(store, ws, key)?;
    let changed = if on {
        names.insert(name.to_string())
    } else {
        names.remove(name)
    };
    if changed {
        store.set_state(ws, key, &serde_json::to_string(&names)?)?;
    }
    Ok(changed)
}

/// Names of the workspace's removed skills.
pub fn removed(store: &dyn Store, ws: &WorkspaceId) -> Result<BTreeSet<String>> {
    read(store, ws, REMOVED)
}

/// Marks a skill removed (`true`) or restores it (`false`); whether anything changed.
pub fn set_removed(store: &dyn Store, ws: &WorkspaceId, name: &str, on: bool) -> Result<bool> {
    set(store, ws, REMOVED, name, on)
}

/// Names of the workspace's promoted skills.
pub fn promoted(store: &dyn Store, ws: &WorkspaceId) -> Result<BTreeSet<String>> {
    read(store, ws, PROMOTED)
}

/// Marks a skill promoted (`true`) or not (`false`); whether anything changed.
pub fn set_promoted(store: &dyn Store, ws: &WorkspaceId, name: &str, on: bool) -> Result<bool> {
    set(store, ws, PROMOTED, name, on)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::InMemoryStore;

    #[test]
    fn marks_are_per_workspace_and_reversible() {
        let store = InMemoryStore::new();
        let a = WorkspaceId::new("a").unwrap();
        let b = WorkspaceId::new("b").unwrap();
        assert!(removed(&store, &a).unwrap().is_empty());
        assert!(set_removed(&store, &a, "use-pnpm", true).unwrap());
        assert!(!set_removed(&store, &a, "use-pnpm", true).unwrap());
        assert!(removed(&store, &a).unwrap().contains("use-pnpm"));
        assert!(removed(&store, &b).unwrap().is_empty());
        assert!(promoted(&store, &a).unwrap().is_empty());
        assert!(set_removed(&store, &a, "use-pnpm", false).unwrap());
        assert!(removed(&store, &a).unwrap().is_empty());
        assert!(set_promoted(&store, &b, "x", true).unwrap());
        assert_eq!(promoted(&store, &b).unwrap().len(), 1);
    }

    #[test]
    fn unreadable_state_is_empty_not_an_error() {
        let store = InMemoryStore::new();
        let a = WorkspaceId::new("a").unwrap();
        store.set_state(&a, REMOVED, "not json").unwrap();
        assert!(removed(&store, &a).unwrap().is_empty());
        assert!(set_removed(&store, &a, "s", true).unwrap());
        assert_eq!(removed(&store, &a).unwrap().len(), 1);
    }
}
