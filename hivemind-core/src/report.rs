//! Effectiveness: did a lesson stop the mistake?
//!
//! For each skill: how often its pattern was corrected per session *before* the skill
//! existed, and per session *after* it was injected (in the sessions that received it).
//! The hooks record the facts this needs in the store's state: a session counter, the
//! sessions each skill was injected into, and the session count when a skill was created.

use crate::detect::followup::CueLexicon;
use crate::error::Result;
use crate::model::{Correction, CorrectionFilter, SessionId, WorkspaceId};
use crate::skillify::group;
use crate::store::Store;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, HashMap};

const SESSIONS: &str = "stats:sessions";
/// Sessions remembered per skill (oldest dropped).
const MAX_SESSIONS: usize = 1000;

/// Where a skill was injected.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Injections {
    /// First injection.
    pub first_at: Option<DateTime<Utc>>,
    /// Sessions that received it, with when.
    pub sessions: Vec<(SessionId, DateTime<Utc>)>,
}

fn injection_key(skill: &str) -> String {
    format!("injections:{skill}")
}

fn created_key(skill: &str) -> String {
    format!("sessions-before:{skill}")
}

/// Counts a started session.
pub fn note_session_started(store: &dyn Store, ws: &WorkspaceId) -> Result<()> {
    store.incr_counter(ws, SESSIONS, 1).map(|_| ())
}

/// Records that `skills` were injected into `session` (first time in that session).
pub fn note_injected(
    store: &dyn Store,
    ws: &WorkspaceId,
    session: &SessionId,
    skills: &[String],
) -> Result<()> {
    let now = Utc::now();
    for name in skills {
        let key = injection_key(name);
        let mut inj: Injections = store
            .get_state(ws, &key)?
            .and_then(|s| serde_json::from_str(&s).ok())
            .unwrap_or_default();
        if inj.sessions.iter().any(|(s, _)| s == session) {
            continue;
        }
        inj.first_at.get_or_insert(now);
        inj.sessions.push((session.clone(), now));
        if inj.sessions.len() > MAX_SESSIONS {
            inj.sessions.remove(0);
        }
        store.set_state(ws, &key, &serde_json::to_string(&inj)?)?;
    }
    Ok(())
}

/// Records how many sessions the workspace had when `skill` was created.
pub fn note_skill_created(store: &dyn Store, ws: &WorkspaceId, skill: &str) -> Result<()> {
    let n = store
        .get_state(ws, SESSIONS)?
        .and_then(|v| v.parse::<i64>().ok())
        .unwrap_or(0);
    store.set_state(ws, &created_key(skill), &n.to_string())
}

/// One skill's before/after figures.
#[derive(Debug, Clone, Serialize)]
pub struct SkillEffect {
    /// Skill name.
    pub skill: String,
    /// When the skill was first written.
    pub created_at: DateTime<Utc>,
    /// Corrections of the pattern before the skill existed.
    pub corrections_before: usize,
    /// Sessions before the skill existed (at least the sessions of those corrections).
    pub sessions_before: usize,
    /// Corrections per session before.
    pub rate_before: f64,
    /// Sessions the skill was injected into.
    pub sessions_injected: usize,
    /// Corrections of the pattern in those sessions, after the injection.
    pub corrections_after: usize,
    /// Corrections per injected session.
    pub rate_after: Option<f64>,
    /// When it was first injected.
    pub first_injected_at: Option<DateTime<Utc>>,
}

/// The report for every skill of `ws`.
pub fn report(store: &dyn Store, ws: &WorkspaceId) -> Result<Vec<SkillEffect>> {
    let corrections = store.corrections(ws, &CorrectionFilter::default())?;
    let lex = CueLexicon::english();
    let vectors = group::weighted(&corrections, &lex);
    let index: HashMap<&str, usize> = corrections
        .iter()
        .enumerate()
        .map(|(i, c)| (c.id.as_str(), i))
        .collect();
    let mut out = Vec::new();
    for skill in store.skills(ws)? {
        let name = skill.name.to_string();
        let lineage: BTreeSet<&str> = skill
            .provenance
            .corrections
            .iter()
            .map(|c| c.as_str())
            .collect();
        // The pattern's centroid, to recognize corrections not mined into the skill yet.
        let mut centroid = group::Features::new();
        for id in &lineage {
            if let Some(&i) = index.get(id) {
                for (k, w) in &vectors[i] {
                    *centroid.entry(k.clone()).or_default() += w;
                }
            }
        }
        let belongs = |i: usize, c: &Correction| {
            lineage.contains(c.id.as_str())
                || group::cosine(&vectors[i], &centroid) >= group::JOIN_THRESHOLD
        };
        let created = skill.provenance.created_at;
        let before: Vec<&Correction> = corrections
            .iter()
            .enumerate()
            .filter(|(i, c)| c.created_at < created && belongs(*i, c))
            .map(|(_, c)| c)
            .collect();
        let before_sessions: BTreeSet<&SessionId> = before.iter().map(|c| &c.session).collect();
        let recorded: usize = store
            .get_state(ws, &created_key(&name))?
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let sessions_before = recorded.max(before_sessions.len());
        let inj: Injections = store
            .get_state(ws, &injection_key(&name))?
            .and_then(|s| serde_json::from_str(&s).ok())
            .unwrap_or_default();
        let injected_at: HashMap<&SessionId, DateTime<Utc>> =
            inj.sessions.iter().map(|(s, t)| (s, *t)).collect();
        let after = corrections
            .iter()
            .enumerate()
            .filter(|(i, c)| {
                injected_at
                    .get(&c.session)
                    .is_some_and(|t| c.created_at >= *t)
                    && belongs(*i, c)
            })
            .count();
        let n_inj = inj.sessions.len();
        out.push(SkillEffect {
            skill: name,
            created_at: created,
            corrections_before: before.len(),
            sessions_before,
            rate_before: if sessions_before > 0 {
                before.len() as f64 / sessions_before as f64
            } else {
                0.0
            },
            sessions_injected: n_inj,
            corrections_after: after,
            rate_after: (n_inj > 0).then(|| after as f64 / n_inj as f64),
            first_injected_at: inj.first_at,
        });
    }
    Ok(out)
}
