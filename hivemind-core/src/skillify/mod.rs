//! Skillify: recurring corrections become skills with lineage.
//!
//! Mining is split in two: [`group`] finds recurring patterns deterministically (no
//! model), and a [`Skillifier`] judges each pattern and writes its prose: the
//! [`LocalSkillifier`] (default, offline) or the [`LlmSkillifier`] (opt-in), which falls
//! back to the local one on any failure.
//!
//! What a run looks at: a watermark (a digest of the workspace's corrections, their
//! accepted text and reasons) ends a run at once when nothing changed. Otherwise the
//! grouping is recomputed over every correction, which is cheap (10,000 corrections in
//! about half a second, see `BENCHMARKS.md`) and keeps the result independent of when
//! the runs happened (incremental greedy grouping would depend on the order of runs).
//! Only the groups a new or changed correction touches are then judged and written:
//! a group whose corrections the existing skill already cites is left as it is, with
//! no skillifier (model) call and no file write.

pub mod group;
pub mod llm;
pub mod local;

pub use llm::LlmSkillifier;
pub use local::LocalSkillifier;

use crate::detect::followup::CueLexicon;
use crate::error::Result;
use crate::model::{
    Correction, CorrectionFilter, CorrectionId, Provenance, SessionId, Skill, SkillName,
    WorkspaceId,
};
use crate::store::Store;
use chrono::Utc;
use serde::Serialize;
use std::collections::{BTreeSet, HashMap};

/// A recurring pattern: similar corrections of one workspace.
#[derive(Debug, Clone)]
pub struct CorrectionGroup {
    /// Workspace.
    pub workspace: WorkspaceId,
    /// The corrections, oldest first.
    pub corrections: Vec<Correction>,
    /// The features that characterize the group, strongest first
    /// (`+tok` added by the diffs, `-tok` removed, plain terms, `file:`, `ext:`, `tool:`).
    pub top_features: Vec<(String, f32)>,
    /// The skill this group already became, if any.
    pub existing: Option<Skill>,
}

/// The prose of a skill.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SkillDraft {
    /// Name (ignored when merging into an existing skill: names are stable).
    pub name: SkillName,
    /// When to use it.
    pub description: String,
    /// Markdown body.
    pub body: String,
    /// Who wrote this draft when it is not the skillifier's own [`Skillifier::author`]:
    /// a model skillifier that fell back to the local miner says so, and the lineage
    /// records the local miner as the author.
    pub author: Option<String>,
}

/// A skillifier's verdict on a group.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// Write (or rewrite) the skill.
    Keep(SkillDraft),
    /// Not a lesson worth keeping.
    Skip(String),
}

/// Judges a recurring pattern and writes the skill's prose.
///
/// Contract: `judge` sees the structured group (corrections with their diffs and the
/// users' reasons), never raw chat; it returns [`Verdict::Keep`] with a draft that
/// passes the SKILL.md rules, or [`Verdict::Skip`]. Implementations that call a model
/// must time out, must not log credentials and must fall back rather than fail.
#[async_trait::async_trait]
pub trait Skillifier: Send + Sync + std::fmt::Debug {
    /// Who writes the skills (recorded as the author in the lineage).
    fn author(&self) -> String;
    /// Judges one group.
    async fn judge(&self, group: &CorrectionGroup) -> Result<Verdict>;
}

/// Which corrections a mining run learns from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MiningScope {
    /// Every correction of the workspace, including the team's (pulled by
    /// [`crate::sync::sync`]).
    #[default]
    Team,
    /// Only the corrections made on this machine: those pulled from a team store are
    /// left out (see [`crate::sync::is_pulled`]).
    Me,
}

impl MiningScope {
    /// Stable string form (`team`, `me`).
    pub fn as_str(self) -> &'static str {
        match self {
            MiningScope::Team => "team",
            MiningScope::Me => "me",
        }
    }
}

impl std::fmt::Display for MiningScope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for MiningScope {
    type Err = crate::error::Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.trim() {
            "team" => Ok(MiningScope::Team),
            "me" => Ok(MiningScope::Me),
            other => Err(crate::error::Error::InvalidInput(format!(
                "unknown mining scope {other:?} (team, me)"
            ))),
        }
    }
}

/// Options of a mining run.
#[derive(Debug, Clone)]
pub struct SkillifyOptions {
    /// Corrections of one pattern before it becomes a skill.
    pub min_support: usize,
    /// Similarity needed to join a group.
    pub threshold: f32,
    /// Whose corrections to learn from.
    pub scope: MiningScope,
}

impl Default for SkillifyOptions {
    fn default() -> Self {
        SkillifyOptions {
            min_support: 3,
            threshold: group::JOIN_THRESHOLD,
            scope: MiningScope::Team,
        }
    }
}

/// What a mining run did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SkillifyReport {
    /// Corrections considered.
    pub corrections: usize,
    /// Groups found (including one-offs).
    pub groups: usize,
    /// Skills created.
    pub created: Vec<Skill>,
    /// Skills merged into (new versions).
    pub updated: Vec<Skill>,
    /// Recurring groups already fully covered by their skill.
    pub unchanged: usize,
    /// Groups the skillifier skipped.
    pub skipped: usize,
    /// Groups whose skill a person removed: left alone.
    pub removed: usize,
    /// Nothing new since the last run: mining did not run.
    pub up_to_date: bool,
}

const WATERMARK: &str = "skillify:watermark";
const LAST_RUN: &str = "skillify:last_run";

/// The record of the last mining run (see [`status`]).
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct LastRun {
    /// When it finished.
    pub at: chrono::DateTime<Utc>,
    /// Corrections it considered.
    pub corrections: usize,
    /// Skills it created.
    pub created: usize,
    /// Skills it updated.
    pub updated: usize,
    /// Nothing was new: it did not mine.
    pub up_to_date: bool,
}

fn record_run(store: &dyn Store, ws: &WorkspaceId, report: &SkillifyReport) -> Result<()> {
    let run = LastRun {
        at: Utc::now(),
        corrections: report.corrections,
        created: report.created.len(),
        updated: report.updated.len(),
        up_to_date: report.up_to_date,
    };
    store.set_state(ws, LAST_RUN, &serde_json::to_string(&run)?)
}

/// A group of corrections not yet frequent enough to become a skill.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NearGroup {
    /// Its corrections, oldest first.
    pub corrections: Vec<CorrectionId>,
    /// How many more corrections it needs to become a skill.
    pub needed: usize,
    /// What characterizes it, strongest first.
    pub features: Vec<String>,
    /// The newest correction's reason (or what was produced), for people to recognize it.
    pub example: String,
}

/// Where mining stands (`hivemind skillify status`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SkillifyStatus {
    /// The last run, if any.
    pub last_run: Option<LastRun>,
    /// Corrections of the workspace.
    pub corrections: usize,
    /// Corrections recorded since the last run (all of them before any run).
    pub since_last_run: usize,
    /// Corrections not in any skill's lineage.
    pub pending: usize,
    /// Skills of the workspace (removed ones excluded).
    pub skills: usize,
    /// Corrections a pattern needs to become a skill.
    pub min_support: usize,
    /// Groups close to the threshold (at least half of it), largest first, at most 10.
    pub near: Vec<NearGroup>,
}

/// Where mining stands: the last run, the corrections no skill covers yet, and the
/// patterns close to becoming skills. Reads only; mines nothing.
pub fn status(
    store: &dyn Store,
    ws: &WorkspaceId,
    opts: &SkillifyOptions,
) -> Result<SkillifyStatus> {
    let corrections = store.corrections(ws, &CorrectionFilter::default())?;
    let last_run: Option<LastRun> = store
        .get_state(ws, LAST_RUN)?
        .and_then(|t| serde_json::from_str(&t).ok());
    let skills = store.skills(ws)?;
    let removed = crate::skills::lifecycle::removed(store, ws)?;
    let covered: std::collections::HashSet<&str> = skills
        .iter()
        .flat_map(|s| s.provenance.corrections.iter().map(|c| c.as_str()))
        .collect();
    let since_last_run = match &last_run {
        Some(r) => corrections.len().saturating_sub(r.corrections),
        None => corrections.len(),
    };
    let lex = CueLexicon::english();
    let vectors = group::weighted(&corrections, &lex);
    let floor = opts.min_support.div_ceil(2).max(2);
    let mut near: Vec<NearGroup> = group::group(&vectors, opts.threshold)
        .iter()
        .filter(|g| {
            g.members.len() >= floor
                && g.members.len() < opts.min_support
                && g.members
                    .iter()
                    .all(|&m| !covered.contains(corrections[m].id.as_str()))
        })
        .map(|g| {
            let newest = &corrections[g.members[g.members.len() - 1]];
            NearGroup {
                corrections: g
                    .members
                    .iter()
                    .map(|&m| corrections[m].id.clone())
                    .collect(),
                needed: opts.min_support - g.members.len(),
                features: group::top_features(g, 6)
                    .into_iter()
                    .map(|(f, _)| f)
                    .collect(),
                example: newest
                    .reason
                    .clone()
                    .unwrap_or_else(|| newest.produced.clone())
                    .chars()
                    .take(160)
                    .collect(),
            }
        })
        .collect();
    near.sort_by(|a, b| {
        a.needed
            .cmp(&b.needed)
            .then_with(|| b.corrections.len().cmp(&a.corrections.len()))
    });
    near.truncate(10);
    Ok(SkillifyStatus {
        last_run,
        pending: corrections
            .iter()
            .filter(|c| !covered.contains(c.id.as_str()))
            .count(),
        corrections: corrections.len(),
        since_last_run,
        skills: skills
            .iter()
            .filter(|s| !removed.contains(s.name.as_str()))
            .count(),
        min_support: opts.min_support,
        near,
    })
}

/// Mines the workspace: groups its corrections, writes or merges skills for patterns
/// with enough support, and stores them. Idempotent: a second run with no new
/// corrections changes nothing.
pub async fn mine(
    store: &dyn Store,
    ws: &WorkspaceId,
    skillifier: &dyn Skillifier,
    opts: &SkillifyOptions,
) -> Result<SkillifyReport> {
    let mut corrections = store.corrections(ws, &CorrectionFilter::default())?;
    // Canonical order whatever the store's: grouping is greedy in this order, so the
    // same corrections always make the same skills.
    corrections.sort_by(|a, b| {
        a.created_at
            .cmp(&b.created_at)
            .then_with(|| a.id.as_str().cmp(b.id.as_str()))
    });
    if opts.scope == MiningScope::Me {
        let mut mine = Vec::with_capacity(corrections.len());
        for c in corrections {
            if !crate::sync::is_pulled(store, ws, &c.id)? {
                mine.push(c);
            }
        }
        corrections = mine;
    }
    let mark = match opts.scope {
        MiningScope::Team => watermark(&corrections),
        MiningScope::Me => format!("me:{}", watermark(&corrections)),
    };
    let mut report = SkillifyReport {
        corrections: corrections.len(),
        ..Default::default()
    };
    if store.get_state(ws, WATERMARK)?.as_deref() == Some(mark.as_str()) {
        report.up_to_date = true;
        record_run(store, ws, &report)?;
        return Ok(report);
    }
    let removed = crate::skills::lifecycle::removed(store, ws)?;
    let lex = CueLexicon::english();
    let vectors = group::weighted(&corrections, &lex);
    let groups = group::group(&vectors, opts.threshold);
    report.groups = groups.len();
    for g in &groups {
        tracing::debug!(
            members = ?g.members,
            top = ?group::top_features(g, 8),
            "group"
        );
    }
    let skills = store.skills(ws)?;
    let mut owner: HashMap<&str, usize> = HashMap::new();
    for (i, s) in skills.iter().enumerate() {
        for c in &s.provenance.corrections {
            owner.insert(c.as_str(), i);
        }
    }
    let mut taken_names: BTreeSet<String> = skills.iter().map(|s| s.name.to_string()).collect();
    let mut merged_into: BTreeSet<usize> = BTreeSet::new();
    // Each group's preferred skill: the one that already holds most of its corrections.
    let preferred: Vec<Option<(usize, usize)>> = groups
        .iter()
        .map(|g| {
            let mut votes: HashMap<usize, usize> = HashMap::new();
            for &m in &g.members {
                if let Some(&s) = owner.get(corrections[m].id.as_str()) {
                    *votes.entry(s).or_default() += 1;
                }
            }
            votes.into_iter().max_by_key(|(s, n)| (*n, usize::MAX - s))
        })
        .collect();
    // A skill stays with the group that holds most of its lineage. When early, sparse
    // evidence put two patterns in one skill and they have since grown apart, the other
    // group becomes a skill of its own and leaves this one's lineage.
    let mut keeper: HashMap<usize, (usize, usize)> = HashMap::new();
    for (gi, p) in preferred.iter().enumerate() {
        if let Some((s, n)) = *p {
            let k = keeper.entry(s).or_insert((gi, n));
            if n > k.1 {
                *k = (gi, n);
            }
        }
    }
    let mut group_of: HashMap<&str, usize> = HashMap::new();
    for (gi, g) in groups.iter().enumerate() {
        for &m in &g.members {
            group_of.insert(corrections[m].id.as_str(), gi);
        }
    }
    for (gi, g) in groups.iter().enumerate() {
        let existing = preferred[gi]
            .map(|(s, _)| s)
            .filter(|s| keeper.get(s).is_some_and(|k| k.0 == gi));
        if existing.is_none() && g.members.len() < opts.min_support {
            continue; // a one-off never becomes a skill
        }
        if let Some(s) = existing.filter(|&s| removed.contains(skills[s].name.as_str())) {
            tracing::debug!(
                "{} was removed by a person: not mined again",
                skills[s].name
            );
            report.removed += 1;
            continue;
        }
        let ids: BTreeSet<&str> = g
            .members
            .iter()
            .map(|&m| corrections[m].id.as_str())
            .collect();
        // The existing skill's lineage without the corrections now grouped elsewhere.
        let kept_lineage: Option<Vec<CorrectionId>> = existing.map(|s| {
            skills[s]
                .provenance
                .corrections
                .iter()
                .filter(|c| group_of.get(c.as_str()).is_none_or(|&other| other == gi))
                .cloned()
                .collect()
        });
        if let (Some(s), Some(kept)) = (existing, &kept_lineage) {
            let have: BTreeSet<&str> = kept.iter().map(|c| c.as_str()).collect();
            let split = kept.len() < skills[s].provenance.corrections.len();
            if (ids.is_subset(&have) && !split) || merged_into.contains(&s) {
                report.unchanged += 1;
                continue;
            }
        }
        let members: Vec<Correction> = g.members.iter().map(|&m| corrections[m].clone()).collect();
        let cg = CorrectionGroup {
            workspace: ws.clone(),
            corrections: members,
            top_features: group::top_features(g, 12),
            existing: existing.map(|s| {
                let mut skill = skills[s].clone();
                if let Some(kept) = &kept_lineage {
                    skill.provenance.corrections = kept.clone();
                }
                skill
            }),
        };
        let verdict = skillifier.judge(&cg).await?;
        let draft = match verdict {
            Verdict::Keep(d) => d,
            Verdict::Skip(why) => {
                tracing::info!(
                    "skillifier skipped a group of {}: {why}",
                    cg.corrections.len()
                );
                report.skipped += 1;
                continue;
            }
        };
        let now = Utc::now();
        let author = draft.author.unwrap_or_else(|| skillifier.author());
        let skill = match existing {
            Some(s) => {
                merged_into.insert(s);
                let old = &skills[s];
                let mut lineage: Vec<CorrectionId> = kept_lineage.clone().unwrap_or_default();
                for c in &cg.corrections {
                    if !lineage.contains(&c.id) {
                        lineage.push(c.id.clone());
                    }
                }
                Skill {
                    name: old.name.clone(),
                    description: draft.description,
                    body: draft.body,
                    version: old.version + 1,
                    workspace: ws.clone(),
                    provenance: Provenance {
                        sessions: sessions_of(&corrections, &lineage),
                        corrections: lineage,
                        author: merge_authors(&old.provenance.author, &author),
                        created_at: old.provenance.created_at,
                        updated_at: now,
                    },
                }
            }
            None => {
                let name = unique_name(&draft.name, &taken_names);
                taken_names.insert(name.to_string());
                let lineage: Vec<CorrectionId> =
                    cg.corrections.iter().map(|c| c.id.clone()).collect();
                Skill {
                    name,
                    description: draft.description,
                    body: draft.body,
                    version: 1,
                    workspace: ws.clone(),
                    provenance: Provenance {
                        sessions: sessions_of(&corrections, &lineage),
                        corrections: lineage,
                        author,
                        created_at: now,
                        updated_at: now,
                    },
                }
            }
        };
        skill.validate()?;
        store.upsert_skill(&skill)?;
        if existing.is_some() {
            report.updated.push(skill);
        } else {
            crate::report::note_skill_created(store, ws, skill.name.as_str())?;
            report.created.push(skill);
        }
    }
    store.set_state(ws, WATERMARK, &mark)?;
    record_run(store, ws, &report)?;
    Ok(report)
}

fn watermark(corrections: &[Correction]) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for c in corrections {
        h.update(c.id.as_str());
        h.update(c.accepted.as_deref().unwrap_or(""));
        h.update(c.reason.as_deref().unwrap_or(""));
    }
    format!("{}:{:x}", corrections.len(), h.finalize())
}

fn sessions_of(all: &[Correction], ids: &[CorrectionId]) -> Vec<SessionId> {
    let wanted: std::collections::HashSet<&str> = ids.iter().map(|c| c.as_str()).collect();
    let mut seen: std::collections::HashSet<&str> = std::collections::HashSet::new();
    let mut out: Vec<SessionId> = Vec::new();
    for c in all.iter().filter(|c| wanted.contains(c.id.as_str())) {
        if seen.insert(c.session.as_str()) {
            out.push(c.session.clone());
        }
    }
    out
}

/// `old` with `new` appended (`, `-separated) unless it is already one of its authors.
pub(crate) fn merge_authors(old: &str, new: &str) -> String {
    if old.split(", ").any(|a| a == new) {
        old.to_string()
    } else {
        format!("{old}, {new}")
    }
}

fn unique_name(name: &SkillName, taken: &BTreeSet<String>) -> SkillName {
    if !taken.contains(name.as_str()) {
        return name.clone();
    }
    for i in 2.. {
        let base: String = name.as_str().chars().take(60).collect();
        let candidate = SkillName::slugify(&format!("{}-{i}", base.trim_end_matches('-')));
        if !taken.contains(candidate.as_str()) {
            return candidate;
        }
    }
    name.clone()
}
