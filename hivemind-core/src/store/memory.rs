//! An in-memory [`Store`] for tests and ephemeral use.

use super::{search_terms, Positioned, SearchHit, SearchScope, SkillSummary, Store, StoreStats};
use crate::error::{Error, Result};
use crate::model::{Correction, CorrectionFilter, Event, SessionId, Skill, SkillName, WorkspaceId};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Mutex, MutexGuard};

#[derive(Debug, Default)]
struct Inner {
    event_ids: HashSet<String>,
    events: HashMap<(WorkspaceId, SessionId), Vec<Event>>,
    corrections: Vec<Correction>,
    skills: BTreeMap<(WorkspaceId, SkillName), Vec<Skill>>,
    state: HashMap<(WorkspaceId, String), String>,
    /// The last position handed out (events, corrections and skills share it).
    last_pos: i64,
    /// Position of each stored event, in order: (position, workspace, session, seq).
    event_log: Vec<(i64, WorkspaceId, SessionId, u64)>,
    /// Position of each correction's latest write, parallel to `corrections`.
    correction_pos: Vec<i64>,
    /// Position of each stored skill version, in order: (position, workspace, name,
    /// index in its version list).
    skill_log: Vec<(i64, WorkspaceId, SkillName, usize)>,
}

impl Inner {
    fn next_pos(&mut self) -> i64 {
        self.last_pos += 1;
        self.last_pos
    }
}

/// A [`Store`] that keeps everything in memory. Full-text search scores by the number
/// of query terms a document contains (no BM25), which is enough for tests.
#[derive(Debug, Default)]
pub struct InMemoryStore {
    inner: Mutex<Inner>,
}

impl InMemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> Result<MutexGuard<'_, Inner>> {
        self.inner
            .lock()
            .map_err(|_| Error::Storage("store mutex poisoned by a panic".into()))
    }
}

fn score(terms: &[String], text: &str) -> f64 {
    let doc: HashSet<String> = search_terms(text, usize::MAX).into_iter().collect();
    terms.iter().filter(|t| doc.contains(*t)).count() as f64
}

impl Store for InMemoryStore {
    fn append_events(&self, events: &[Event]) -> Result<usize> {
        let mut g = self.lock()?;
        let mut added = 0;
        for e in events {
            if !g.event_ids.insert(e.id.as_str().to_string()) {
                continue;
            }
            let list = g
                .events
                .entry((e.workspace.clone(), e.session.clone()))
                .or_default();
            let mut e = e.clone();
            e.seq = list.last().map_or(1, |l| l.seq + 1);
            let seq = e.seq;
            list.push(e.clone());
            let pos = g.next_pos();
            g.event_log.push((pos, e.workspace, e.session, seq));
            added += 1;
        }
        Ok(added)
    }

    fn session_events(
        &self,
        workspace: &WorkspaceId,
        session: &SessionId,
        after_seq: u64,
        limit: Option<usize>,
    ) -> Result<Vec<Event>> {
        let g = self.lock()?;
        let list = g.events.get(&(workspace.clone(), session.clone()));
        Ok(list
            .into_iter()
            .flatten()
            .filter(|e| e.seq > after_seq)
            .take(limit.unwrap_or(usize::MAX))
            .cloned()
            .collect())
    }

    fn last_events(
        &self,
        workspace: &WorkspaceId,
        session: &SessionId,
        n: usize,
    ) -> Result<Vec<Event>> {
        let g = self.lock()?;
        let list = g
            .events
            .get(&(workspace.clone(), session.clone()))
            .map(|l| l.as_slice())
            .unwrap_or(&[]);
        Ok(list[list.len().saturating_sub(n)..].to_vec())
    }

    fn insert_correction(&self, c: &Correction) -> Result<bool> {
        let mut g = self.lock()?;
        if g.corrections.iter().any(|x| x.id == c.id) {
            return Ok(false);
        }
        g.corrections.push(c.clone());
        let pos = g.next_pos();
        g.correction_pos.push(pos);
        Ok(true)
    }

    fn update_correction(&self, c: &Correction) -> Result<()> {
        let mut g = self.lock()?;
        match g
            .corrections
            .iter()
            .position(|x| x.id == c.id && x.workspace == c.workspace)
        {
            Some(i) => {
                g.corrections[i] = c.clone();
                let pos = g.next_pos();
                g.correction_pos[i] = pos;
                Ok(())
            }
            None => Err(Error::invalid(format!(
                "no correction {} in workspace {}",
                c.id, c.workspace
            ))),
        }
    }

    fn corrections(
        &self,
        workspace: &WorkspaceId,
        filter: &CorrectionFilter,
    ) -> Result<Vec<Correction>> {
        let g = self.lock()?;
        let mut out: Vec<Correction> = g
            .corrections
            .iter()
            .filter(|c| &c.workspace == workspace)
            .filter(|c| filter.session.as_ref().is_none_or(|s| &c.session == s))
            .filter(|c| filter.kind.is_none_or(|k| c.kind == k))
            .filter(|c| filter.since.is_none_or(|t| c.created_at >= t))
            .cloned()
            .collect();
        out.sort_by(|a, b| (a.created_at, a.id.as_str()).cmp(&(b.created_at, b.id.as_str())));
        if let Some(limit) = filter.limit {
            let skip = out.len().saturating_sub(limit);
            out.drain(..skip);
        }
        Ok(out)
    }

    fn upsert_skill(&self, skill: &Skill) -> Result<bool> {
        skill.validate()?;
        let mut g = self.lock()?;
        let versions = g
            .skills
            .entry((skill.workspace.clone(), skill.name.clone()))
            .or_default();
        if versions.last().is_some_and(|v| v.version >= skill.version) {
            return Ok(false);
        }
        versions.push(skill.clone());
        let index = versions.len() - 1;
        let pos = g.next_pos();
        g.skill_log
            .push((pos, skill.workspace.clone(), skill.name.clone(), index));
        Ok(true)
    }

    fn skills(&self, workspace: &WorkspaceId) -> Result<Vec<Skill>> {
        let g = self.lock()?;
        Ok(g.skills
            .iter()
            .filter(|((w, _), _)| w == workspace)
            .filter_map(|(_, v)| v.last().cloned())
            .collect())
    }

    fn skill_index(&self, workspace: &WorkspaceId, limit: usize) -> Result<Vec<SkillSummary>> {
        let mut v: Vec<SkillSummary> = self
            .skills(workspace)?
            .into_iter()
            .map(|s| SkillSummary {
                support: s.provenance.corrections.len(),
                updated_at: s.provenance.updated_at,
                name: s.name,
                description: s.description,
                version: s.version,
            })
            .collect();
        v.sort_by(|a, b| {
            b.support
                .cmp(&a.support)
                .then(b.updated_at.cmp(&a.updated_at))
                .then(a.name.cmp(&b.name))
        });
        v.truncate(limit);
        Ok(v)
    }

    fn skill(&self, workspace: &WorkspaceId, name: &SkillName) -> Result<Option<Skill>> {
        let g = self.lock()?;
        Ok(g.skills
            .get(&(workspace.clone(), name.clone()))
            .and_then(|v| v.last().cloned()))
    }

    fn search(
        &self,
        workspace: &WorkspaceId,
        scope: SearchScope,
        query: &str,
        limit: usize,
    ) -> Result<Vec<SearchHit>> {
        let terms = search_terms(query, 32);
        if terms.is_empty() {
            return Ok(Vec::new());
        }
        let g = self.lock()?;
        let mut hits: Vec<SearchHit> = match scope {
            SearchScope::Events => g
                .events
                .iter()
                .filter(|((w, _), _)| w == workspace)
                .flat_map(|(_, v)| v.iter())
                .filter_map(|e| {
                    e.kind
                        .searchable_text()
                        .map(|t| (e.id.to_string(), score(&terms, t)))
                })
                .map(|(reference, score)| SearchHit { reference, score })
                .collect(),
            SearchScope::Corrections => g
                .corrections
                .iter()
                .filter(|c| &c.workspace == workspace)
                .map(|c| SearchHit {
                    reference: c.id.to_string(),
                    score: score(&terms, &c.search_text()),
                })
                .collect(),
            SearchScope::Skills => g
                .skills
                .iter()
                .filter(|((w, _), _)| w == workspace)
                .filter_map(|(_, v)| v.last())
                .map(|s| SearchHit {
                    reference: s.name.to_string(),
                    score: score(
                        &terms,
                        &format!(
                            "{} {} {}",
                            s.name.as_str().replace('-', " "),
                            s.description,
                            s.body
                        ),
                    ),
                })
                .collect(),
        };
        hits.retain(|h| h.score > 0.0);
        hits.sort_by(|a, b| {
            b.score
                .total_cmp(&a.score)
                .then_with(|| a.reference.cmp(&b.reference))
        });
        hits.truncate(limit);
        Ok(hits)
    }

    fn get_state(&self, workspace: &WorkspaceId, key: &str) -> Result<Option<String>> {
        Ok(self
            .lock()?
            .state
            .get(&(workspace.clone(), key.to_string()))
            .cloned())
    }

    fn set_state(&self, workspace: &WorkspaceId, key: &str, value: &str) -> Result<()> {
        self.lock()?
            .state
            .insert((workspace.clone(), key.to_string()), value.to_string());
        Ok(())
    }

    fn incr_counter(&self, workspace: &WorkspaceId, key: &str, by: i64) -> Result<i64> {
        let mut g = self.lock()?;
        let slot = g
            .state
            .entry((workspace.clone(), key.to_string()))
            .or_insert_with(|| "0".into());
        let v = slot.parse::<i64>().unwrap_or(0) + by;
        *slot = v.to_string();
        Ok(v)
    }

    fn workspaces(&self) -> Result<Vec<WorkspaceId>> {
        let g = self.lock()?;
        let mut set: Vec<WorkspaceId> = g
            .events
            .keys()
            .map(|(w, _)| w.clone())
            .chain(g.corrections.iter().map(|c| c.workspace.clone()))
            .chain(g.skills.keys().map(|(w, _)| w.clone()))
            .collect();
        set.sort();
        set.dedup();
        Ok(set)
    }

    fn stats(&self, workspace: &WorkspaceId) -> Result<StoreStats> {
        let g = self.lock()?;
        let mut stats = StoreStats::default();
        for ((w, _), list) in &g.events {
            if w != workspace || list.is_empty() {
                continue;
            }
            stats.sessions += 1;
            stats.events += list.len() as u64;
            let last = list.iter().map(|e| e.at).max();
            stats.last_event_at = stats.last_event_at.max(last);
        }
        Ok(stats)
    }

    fn events_after(
        &self,
        workspace: &WorkspaceId,
        after: i64,
        limit: usize,
    ) -> Result<Vec<Positioned<Event>>> {
        let g = self.lock()?;
        let mut out = Vec::new();
        for (pos, w, s, seq) in &g.event_log {
            if out.len() >= limit {
                break;
            }
            if *pos <= after || w != workspace {
                continue;
            }
            let e = g
                .events
                .get(&(w.clone(), s.clone()))
                .and_then(|list| list.get((*seq as usize).saturating_sub(1)))
                .ok_or_else(|| Error::Storage(format!("event log out of step at {pos}")))?;
            out.push((*pos, e.clone()));
        }
        Ok(out)
    }

    fn corrections_after(
        &self,
        workspace: &WorkspaceId,
        after: i64,
        limit: usize,
    ) -> Result<Vec<Positioned<Correction>>> {
        let g = self.lock()?;
        let mut out: Vec<Positioned<Correction>> = g
            .corrections
            .iter()
            .zip(&g.correction_pos)
            .filter(|(c, pos)| **pos > after && &c.workspace == workspace)
            .map(|(c, pos)| (*pos, c.clone()))
            .collect();
        out.sort_by_key(|(pos, _)| *pos);
        out.truncate(limit);
        Ok(out)
    }

    fn skills_after(
        &self,
        workspace: &WorkspaceId,
        after: i64,
        limit: usize,
    ) -> Result<Vec<Positioned<Skill>>> {
        let g = self.lock()?;
        let mut out = Vec::new();
        for (pos, w, name, index) in &g.skill_log {
            if out.len() >= limit {
                break;
            }
            if *pos <= after || w != workspace {
                continue;
            }
            let s = g
                .skills
                .get(&(w.clone(), name.clone()))
                .and_then(|v| v.get(*index))
                .ok_or_else(|| Error::Storage(format!("skill log out of step at {pos}")))?;
            out.push((*pos, s.clone()));
        }
        Ok(out)
    }
}
