//! The [`Hivemind`] facade: one clonable handle over a store and a configuration.

use crate::capture::{sanitize_event, Capture};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::model::{
    Agent, Correction, CorrectionFilter, CorrectionKind, Event, EventKind, SessionId, Skill,
    Target, WorkspaceId,
};
use crate::store::{SqliteStore, Store};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// An explicit correction recorded through the API.
#[derive(Debug, Clone, Default)]
pub struct CorrectionInput {
    /// The session it belongs to.
    pub session: Option<SessionId>,
    /// What the agent produced.
    pub produced: String,
    /// What the user accepted instead.
    pub accepted: Option<String>,
    /// Why, in the user's words.
    pub reason: Option<String>,
    /// What was corrected (default: the response).
    pub target: Option<Target>,
}

#[derive(Debug)]
struct Inner {
    store: Arc<dyn Store>,
    config: Config,
    workspace: WorkspaceId,
    buffer: Mutex<Vec<Event>>,
    writer: crate::capture::BatchWriter,
    closed: AtomicBool,
    project: Option<PathBuf>,
}

/// The handle embedders use: capture events, record and list corrections, mine skills,
/// get the context to inject. Cheap to clone (an `Arc`); safe to share between threads.
///
/// Events are buffered and written in batches of `config.batch_size`; [`flush`] makes
/// them durable and dropping the last handle flushes too.
///
/// [`flush`]: Hivemind::flush
#[derive(Debug, Clone)]
pub struct Hivemind {
    inner: Arc<Inner>,
}

impl Hivemind {
    /// Opens the SQLite store under `config.home`. The default workspace is
    /// `config.workspace`, else derived from the current directory.
    pub fn open(config: Config) -> Result<Self> {
        Self::open_in(config, std::env::current_dir().ok())
    }

    /// Opens the SQLite store under `config.home` for `project`: the folder skills are
    /// written into (`<project>/.claude/skills`) and the workspace is derived from
    /// (unless `config.workspace` is set). `None`: no project folder; skills stay in
    /// the store (and the global folder when `skills_scope` is `global`).
    pub fn open_in(config: Config, project: Option<PathBuf>) -> Result<Self> {
        let store = SqliteStore::open(config.db_path())?;
        let workspace = match &project {
            Some(p) => config.workspace_for(p),
            None => config
                .workspace
                .clone()
                .unwrap_or_else(|| WorkspaceId::trusted("default")),
        };
        Ok(Self::with_store(
            config,
            Arc::new(store),
            workspace,
            project,
        ))
    }

    /// Wraps an existing store (e.g. [`crate::InMemoryStore`] in tests).
    pub fn with_store(
        config: Config,
        store: Arc<dyn Store>,
        workspace: WorkspaceId,
        project: Option<PathBuf>,
    ) -> Self {
        Hivemind {
            inner: Arc::new(Inner {
                writer: crate::capture::BatchWriter::new(store.clone()),
                store,
                config,
                workspace,
                buffer: Mutex::new(Vec::new()),
                closed: AtomicBool::new(false),
                project,
            }),
        }
    }

    /// The store.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.inner.store
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// The default workspace of this handle.
    pub fn workspace(&self) -> &WorkspaceId {
        &self.inner.workspace
    }

    /// The project folder skills are written into (`<project>/.claude/skills`).
    pub fn project(&self) -> Option<&std::path::Path> {
        self.inner.project.as_deref()
    }

    fn check_open(&self) -> Result<()> {
        if self.inner.closed.load(Ordering::Acquire) {
            return Err(Error::Closed);
        }
        Ok(())
    }

    /// A new event in this handle's workspace.
    pub fn event(&self, session: SessionId, agent: Agent, kind: EventKind) -> Event {
        Event::new(self.inner.workspace.clone(), session, agent, kind)
    }

    /// Buffers several events (one lock); writes a batch when the buffer is full.
    pub fn capture_many(&self, events: impl IntoIterator<Item = Event>) -> Result<usize> {
        self.check_open()?;
        let max = self.inner.config.max_tool_output_bytes;
        let mut n = 0;
        let full = {
            let mut buf = self.buffer()?;
            for mut e in events {
                sanitize_event(&mut e, max);
                buf.push(e);
                n += 1;
            }
            (buf.len() >= self.inner.config.batch_size).then(|| std::mem::take(&mut *buf))
        };
        if let Some(batch) = full {
            self.inner.writer.submit(batch)?;
        }
        Ok(n)
    }

    fn buffer(&self) -> Result<std::sync::MutexGuard<'_, Vec<Event>>> {
        self.inner
            .buffer
            .lock()
            .map_err(|_| Error::Storage("capture buffer poisoned".into()))
    }

    /// Writes everything captured so far (buffer and background batches); returns how
    /// many events were written since the last flush.
    fn write_all(&self) -> Result<usize> {
        let batch = std::mem::take(&mut *self.buffer()?);
        if !self.inner.writer.started() {
            if batch.is_empty() {
                return Ok(0);
            }
            return match self.inner.store.append_events(&batch) {
                Ok(_) => Ok(batch.len()),
                Err(e) => {
                    // Keep them for the next attempt.
                    let mut buf = self.buffer()?;
                    let later = std::mem::replace(&mut *buf, batch);
                    buf.extend(later);
                    Err(e)
                }
            };
        }
        if !batch.is_empty() {
            self.inner.writer.submit(batch)?;
        }
        self.inner.writer.flush()
    }

    /// Records an explicit correction (kind `explicit`, confidence 1).
    pub fn record_correction(&self, input: CorrectionInput) -> Result<Correction> {
        self.check_open()?;
        let session = input.session.unwrap_or_else(|| SessionId::trusted("api"));
        let redact = |s: String| crate::redact::redact(&s).into_owned();
        let mut c = Correction::new(
            self.inner.workspace.clone(),
            session,
            CorrectionKind::Explicit,
            input.target.unwrap_or(Target::Response),
            redact(input.produced),
            input.accepted.map(redact),
            input.reason.map(redact),
            1.0,
        )?;
        c.diff = match &c.accepted {
            Some(a) => crate::model::Diff::between(&c.produced, a),
            None => c.diff,
        };
        self.inner.store.insert_correction(&c)?;
        Ok(c)
    }

    /// Brings what hooks left under the home into the store: replays the payloads a
    /// failing hook spooled (see [`crate::hook::spool`]), then folds the session
    /// journals (see [`crate::journal`]). Reading commands and mining call it so they
    /// see every capture. Returns how many payloads and journal entries it took in.
    pub fn fold_journals(&self) -> Result<usize> {
        let store = self.inner.store.as_ref();
        let replayed = match crate::hook::drain_spool(&self.inner.config, store) {
            Ok(n) => n,
            Err(e) => {
                tracing::warn!("spooled hook payloads stay for a later replay: {e}");
                0
            }
        };
        Ok(replayed + crate::journal::fold_all(&self.inner.config.home, store)?)
    }

    /// Corrections of this handle's workspace.
    pub fn corrections(&self, filter: &CorrectionFilter) -> Result<Vec<Correction>> {
        self.check_open()?;
        self.fold_journals()?;
        self.inner.store.corrections(&self.inner.workspace, filter)
    }

    /// The stored events of a session in this handle's workspace, in order (flushes
    /// buffered captures first).
    pub fn session_events(&self, session: &SessionId) -> Result<Vec<Event>> {
        self.check_open()?;
        self.flush()?;
        self.inner
            .store
            .session_events(&self.inner.workspace, session, 0, None)
    }

    /// The events a correction was derived from (those still in the store).
    pub fn source_events(&self, correction: &Correction) -> Result<Vec<Event>> {
        self.check_open()?;
        if correction.source_events.is_empty() {
            return Ok(Vec::new());
        }
        let events =
            self.inner
                .store
                .session_events(&correction.workspace, &correction.session, 0, None)?;
        Ok(events
            .into_iter()
            .filter(|e| correction.source_events.contains(&e.id))
            .collect())
    }

    /// Effectiveness of each skill: corrections of its pattern per session before it
    /// existed and after it was injected.
    pub fn report(&self) -> Result<Vec<crate::report::SkillEffect>> {
        self.check_open()?;
        self.fold_journals()?;
        crate::report::report(self.inner.store.as_ref(), &self.inner.workspace)
    }

    /// Skills of this handle's workspace (latest versions), without those a person
    /// removed.
    pub fn skills(&self) -> Result<Vec<Skill>> {
        self.check_open()?;
        let store = self.inner.store.as_ref();
        let removed = crate::skills::lifecycle::removed(store, &self.inner.workspace)?;
        let mut skills = store.skills(&self.inner.workspace)?;
        skills.retain(|s| !removed.contains(s.name.as_str()));
        Ok(skills)
    }

    /// One skill with its lineage (the corrections behind it, oldest first), whether it
    /// was removed or promoted, and where its files are. `None` when the workspace has
    /// no skill of that name.
    pub fn skill_detail(
        &self,
        name: &str,
    ) -> Result<Option<crate::skills::lifecycle::SkillDetail>> {
        self.check_open()?;
        let name = crate::model::SkillName::new(name)?;
        let store = self.inner.store.as_ref();
        let ws = &self.inner.workspace;
        let Some(skill) = store.skill(ws, &name)? else {
            return Ok(None);
        };
        let wanted: std::collections::HashSet<&str> = skill
            .provenance
            .corrections
            .iter()
            .map(|c| c.as_str())
            .collect();
        let corrections = store
            .corrections(ws, &CorrectionFilter::default())?
            .into_iter()
            .filter(|c| wanted.contains(c.id.as_str()))
            .collect();
        let files = [self.skills_dir(), self.global_skills_dir()]
            .into_iter()
            .flatten()
            .map(|root| root.join(name.as_str()).join("SKILL.md"))
            .filter(|p| p.is_file())
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        Ok(Some(crate::skills::lifecycle::SkillDetail {
            removed: crate::skills::lifecycle::removed(store, ws)?.contains(name.as_str()),
            promoted: crate::skills::lifecycle::promoted(store, ws)?.contains(name.as_str()),
            skill,
            corrections,
            files,
        }))
    }

    /// Promotes a skill to the user's global skills folder (`~/.claude/skills`): every
    /// project of the user then gets it, and its later versions follow it there. A
    /// removed skill is restored first. Errors when the skill does not exist.
    pub fn promote_skill(&self, name: &str) -> Result<crate::skills::install::WriteOutcome> {
        self.check_open()?;
        let name = crate::model::SkillName::new(name)?;
        let store = self.inner.store.as_ref();
        let ws = &self.inner.workspace;
        let skill = store
            .skill(ws, &name)?
            .ok_or_else(|| Error::invalid(format!("workspace {ws} has no skill named {name}")))?;
        let root = self
            .global_skills_dir()
            .ok_or_else(|| Error::invalid("HOME is not set: no global skills folder"))?;
        let _lock = self.skills_lock()?;
        crate::skills::lifecycle::set_removed(store, ws, name.as_str(), false)?;
        crate::skills::lifecycle::set_promoted(store, ws, name.as_str(), true)?;
        let mut writer = crate::skills::install::SkillWriter::new(
            root,
            &self.inner.config.home,
            self.agents_dir(),
        )?;
        let outcome = writer.write(&skill)?;
        writer.save()?;
        Ok(outcome)
    }

    /// Removes a skill: it is no longer injected, written or mined again (its record
    /// stays, holding the lineage, so the same corrections do not come back as a new
    /// skill), and its SKILL.md files are deleted where they are ours and unedited. A
    /// file a person wrote or edited is kept (see the outcomes). Errors when the skill
    /// does not exist.
    pub fn remove_skill(&self, name: &str) -> Result<Vec<crate::skills::install::RemoveOutcome>> {
        self.check_open()?;
        let name = crate::model::SkillName::new(name)?;
        let store = self.inner.store.as_ref();
        let ws = &self.inner.workspace;
        if store.skill(ws, &name)?.is_none() {
            return Err(Error::invalid(format!(
                "workspace {ws} has no skill named {name}"
            )));
        }
        let _lock = self.skills_lock()?;
        crate::skills::lifecycle::set_removed(store, ws, name.as_str(), true)?;
        crate::skills::lifecycle::set_promoted(store, ws, name.as_str(), false)?;
        let mut roots: Vec<PathBuf> = [self.skills_dir(), self.global_skills_dir()]
            .into_iter()
            .flatten()
            .collect();
        roots.dedup();
        let mut out = Vec::new();
        for root in roots {
            let mut writer = crate::skills::install::SkillWriter::new(
                root,
                &self.inner.config.home,
                self.agents_dir(),
            )?;
            out.push(writer.remove(&name)?);
            writer.save()?;
        }
        Ok(out)
    }

    /// Where mining stands: the last run, corrections no skill covers yet, and the
    /// patterns close to becoming skills (`hivemind skillify status`).
    pub fn skillify_status(&self) -> Result<crate::skillify::SkillifyStatus> {
        self.check_open()?;
        self.flush()?;
        self.fold_journals()?;
        crate::skillify::status(
            self.inner.store.as_ref(),
            &self.inner.workspace,
            &self.skillify_options(),
        )
    }

    fn skillify_options(&self) -> crate::skillify::SkillifyOptions {
        crate::skillify::SkillifyOptions {
            min_support: self.inner.config.min_support.max(1),
            scope: self.inner.config.mining_scope,
            ..Default::default()
        }
    }

    /// The lock that serializes writers of skill files and of the manifest (mining
    /// runs, promote, remove), across processes.
    fn skills_lock(&self) -> Result<std::fs::File> {
        let home = &self.inner.config.home;
        std::fs::create_dir_all(home).map_err(|e| Error::io(home, e))?;
        let lock_path = home.join("skillify.lock");
        let lock = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| Error::io(&lock_path, e))?;
        lock.lock().map_err(|e| Error::io(&lock_path, e))?;
        Ok(lock)
    }

    /// The user's global skills folder, `~/.claude/skills` (`None` without `HOME`).
    pub fn global_skills_dir(&self) -> Option<PathBuf> {
        std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".claude").join("skills"))
    }

    /// `~/.agents/skills`, where Codex looks for skills.
    fn agents_dir(&self) -> Option<PathBuf> {
        std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".agents").join("skills"))
    }

    /// Flushes and closes the handle; later calls fail with [`Error::Closed`]. Closing
    /// twice is fine.
    pub fn close(&self) -> Result<()> {
        if self.inner.closed.load(Ordering::Acquire) {
            return Ok(());
        }
        self.write_all()?;
        self.inner.writer.shutdown()?;
        self.inner.closed.store(true, Ordering::Release);
        Ok(())
    }
}

impl Capture for Hivemind {
    /// Redacts, truncates and buffers one event; a full buffer goes to the background
    /// writer (the caller never waits for the disk).
    fn capture(&self, mut event: Event) -> Result<()> {
        self.check_open()?;
        sanitize_event(&mut event, self.inner.config.max_tool_output_bytes);
        let full = {
            let mut buf = self.buffer()?;
            buf.push(event);
            (buf.len() >= self.inner.config.batch_size).then(|| std::mem::take(&mut *buf))
        };
        if let Some(batch) = full {
            self.inner.writer.submit(batch)?;
        }
        Ok(())
    }

    /// Makes everything captured so far durable. On failure the events are kept and
    /// the next flush retries them.
    fn flush(&self) -> Result<usize> {
        self.check_open()?;
        let n = self.write_all()?;
        self.inner.store.sync()?;
        Ok(n)
    }
}

impl Hivemind {
    /// Buffers one event (see [`Capture::capture`]).
    pub fn capture(&self, event: Event) -> Result<()> {
        Capture::capture(self, event)
    }

    /// Writes buffered events (see [`Capture::flush`]).
    pub fn flush(&self) -> Result<usize> {
        Capture::flush(self)
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        if let Ok(buf) = self.buffer.get_mut() {
            if !buf.is_empty() {
                let batch = std::mem::take(buf);
                let result = if self.writer.started() {
                    self.writer.submit(batch)
                } else {
                    self.store.append_events(&batch).map(|_| ())
                };
                if let Err(e) = result {
                    tracing::error!("lost buffered events on drop: {e}");
                }
            }
        }
        if let Err(e) = self.writer.shutdown() {
            tracing::error!("background writes failed on drop: {e}");
        }
    }
}

impl Hivemind {
    /// The skillifier the configuration asks for: the local miner, or the LLM one when
    /// a model is configured and `no_llm` is off.
    pub fn skillifier(&self) -> Box<dyn crate::skillify::Skillifier> {
        match (&self.inner.config.llm, self.inner.config.no_llm) {
            (Some(llm), false) => Box::new(crate::skillify::LlmSkillifier::new(llm.clone())),
            _ => Box::new(crate::skillify::LocalSkillifier),
        }
    }

    /// Where skills are written: `~/.claude/skills` for the global scope, else
    /// `<project>/.claude/skills`; `None` without a project.
    pub fn skills_dir(&self) -> Option<PathBuf> {
        if self.inner.config.skills_scope == "global" {
            return self.global_skills_dir();
        }
        self.inner
            .project
            .as_ref()
            .map(|p| p.join(".claude").join("skills"))
    }

    /// Synchronizes this handle's workspace with a team store (see [`crate::sync`]):
    /// makes buffered and journaled captures durable first, pushes, pulls, then writes
    /// the SKILL.md files when team skills arrived (files that are not ours are left
    /// alone, as for mined skills). Blocking: run it off the hook path (a background
    /// thread or `spawn_blocking`).
    pub fn sync_with(
        &self,
        remote: &dyn Store,
        options: &crate::sync::SyncOptions,
    ) -> Result<crate::sync::SyncReport> {
        self.check_open()?;
        self.flush()?;
        self.fold_journals()?;
        let report = crate::sync::sync(
            self.inner.store.as_ref(),
            remote,
            std::slice::from_ref(&self.inner.workspace),
            options,
        )?;
        if report.skills_pulled + report.skills_merged > 0 {
            let _lock = self.skills_lock()?;
            self.write_skill_files()?;
        }
        Ok(report)
    }

    /// Synchronizes this workspace with the team's PostgreSQL store (`pg_url` in
    /// `config.json`, or `HIVEMIND_PG_URL`; schema `HIVEMIND_PG_SCHEMA`, default
    /// `hivemind`): pushes what was captured here, pulls the team's corrections and
    /// skills. With `mine`, when team corrections arrived, mines them with this
    /// workspace's own (per the mining scope) and pushes the skills that run wrote.
    ///
    /// Resumable: an error (server unreachable, connection dropped) keeps everything
    /// local and the batches already done; the next call continues from there.
    #[cfg(feature = "postgres")]
    pub fn team_sync_blocking(&self, mine: bool) -> Result<crate::sync::TeamSyncReport> {
        self.check_open()?;
        let (options, label) = self.team_store_options()?;
        let connected = crate::store::PostgresStore::connect_with(options).and_then(|remote| {
            let sync_options = crate::sync::SyncOptions {
                remote: remote.label().to_string(),
                ..Default::default()
            };
            let report = self.sync_with(&remote, &sync_options)?;
            Ok((remote, sync_options, report))
        });
        self.note_sync(
            &self.inner.workspace,
            &label,
            connected.as_ref().map(|(_, _, r)| r),
        );
        let (remote, sync_options, sync) = connected?;
        let mut report = crate::sync::TeamSyncReport {
            remote: remote.label().to_string(),
            sync,
            ..Default::default()
        };
        if mine && report.sync.corrections_pulled > 0 {
            let mined = self.skillify_blocking()?;
            if !mined.created.is_empty() || !mined.updated.is_empty() {
                let push_only = crate::sync::SyncOptions {
                    pull: false,
                    ..sync_options
                };
                report.pushed_after_mining = Some(self.sync_with(&remote, &push_only)?);
            }
            report.skillify = Some(mined);
        }
        Ok(report)
    }

    /// Like [`team_sync_blocking`](Self::team_sync_blocking) without mining, for every
    /// workspace this machine's store holds (this handle's included): pushes what each
    /// captured, pulls the team's corrections and skills of those workspaces only.
    /// Skill files are written for this handle's workspace; the others get theirs when
    /// their own projects next mine or sync. Stops at the first workspace that fails
    /// (the ones before it are done; the next call resumes).
    #[cfg(feature = "postgres")]
    pub fn team_sync_all_blocking(&self) -> Result<crate::sync::TeamSyncReport> {
        self.check_open()?;
        self.flush()?;
        self.fold_journals()?;
        let (options, label) = self.team_store_options()?;
        let mut workspaces = self.inner.store.workspaces()?;
        if !workspaces.contains(&self.inner.workspace) {
            workspaces.push(self.inner.workspace.clone());
        }
        let remote = match crate::store::PostgresStore::connect_with(options) {
            Ok(remote) => remote,
            Err(e) => {
                for ws in &workspaces {
                    self.note_sync(ws, &label, Err(&e));
                }
                return Err(e);
            }
        };
        let sync_options = crate::sync::SyncOptions {
            remote: remote.label().to_string(),
            ..Default::default()
        };
        let mut total = crate::sync::SyncReport::default();
        for ws in &workspaces {
            let one = crate::sync::sync(
                self.inner.store.as_ref(),
                &remote,
                std::slice::from_ref(ws),
                &sync_options,
            );
            self.note_sync(ws, &label, one.as_ref());
            total += &one?;
        }
        if total.skills_pulled + total.skills_merged > 0 {
            let _lock = self.skills_lock()?;
            self.write_skill_files()?;
        }
        Ok(crate::sync::TeamSyncReport {
            remote: remote.label().to_string(),
            sync: total,
            ..Default::default()
        })
    }

    /// The team store's options from the configuration, and its label for the sync
    /// history (the URL without its password when it cannot be parsed).
    #[cfg(feature = "postgres")]
    fn team_store_options(&self) -> Result<(crate::store::PgOptions, String)> {
        let options =
            crate::store::PgOptions::from_config(&self.inner.config).ok_or_else(|| {
                Error::invalid(
                    "no team store is configured: set HIVEMIND_PG_URL or \"pg_url\" in config.json",
                )
            })?;
        let label = options
            .label()
            .unwrap_or_else(|_| crate::store::redact_url(&options.url));
        Ok((options, label))
    }

    /// Records a sync's outcome in `ws`'s history (see [`crate::sync::sync_history`]);
    /// a failure to record is logged, never returned over the sync's own result.
    #[cfg(feature = "postgres")]
    fn note_sync(
        &self,
        ws: &WorkspaceId,
        remote: &str,
        outcome: std::result::Result<&crate::sync::SyncReport, &Error>,
    ) {
        if let Err(e) =
            crate::sync::record_sync_outcome(self.inner.store.as_ref(), ws, remote, outcome)
        {
            tracing::warn!(workspace = %ws, error = %e, "could not record the sync's outcome");
        }
    }

    /// Mines this workspace's corrections into skills now, stores them and writes their
    /// SKILL.md files. Guarded by a lock file so concurrent runs (a hook's background run
    /// and `hivemind skillify run`) take turns. Idempotent.
    pub async fn skillify(&self) -> Result<crate::skillify::SkillifyReport> {
        self.check_open()?;
        self.flush()?;
        self.fold_journals()?;
        let lock = self.skills_lock()?;
        let opts = self.skillify_options();
        let skillifier = self.skillifier();
        let report = crate::skillify::mine(
            self.inner.store.as_ref(),
            &self.inner.workspace,
            skillifier.as_ref(),
            &opts,
        )
        .await;
        let report = match report {
            Ok(r) => r,
            Err(e) if !matches!(e, Error::Storage(_)) && self.inner.config.llm.is_some() => {
                tracing::warn!("skillifier failed ({e}); falling back to the local miner");
                crate::skillify::mine(
                    self.inner.store.as_ref(),
                    &self.inner.workspace,
                    &crate::skillify::LocalSkillifier,
                    &opts,
                )
                .await?
            }
            Err(e) => return Err(e),
        };
        self.write_skill_files()?;
        drop(lock);
        Ok(report)
    }

    /// [`skillify`](Self::skillify) for callers without an async runtime.
    pub fn skillify_blocking(&self) -> Result<crate::skillify::SkillifyReport> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Error::Storage(format!("cannot start a runtime: {e}")))?;
        rt.block_on(self.skillify())
    }

    /// Writes every skill of the workspace to the skills folder, and promoted ones to
    /// the global folder too (only files that are ours and changed; person-edited files
    /// only get new evidence appended). Removed skills are not written. Returns what
    /// happened per file.
    pub fn write_skill_files(&self) -> Result<Vec<crate::skills::install::WriteOutcome>> {
        let skills = self.skills()?;
        let promoted =
            crate::skills::lifecycle::promoted(self.inner.store.as_ref(), &self.inner.workspace)?;
        let global = self.global_skills_dir();
        let mut targets: Vec<(PathBuf, Vec<&Skill>)> = Vec::new();
        if let Some(root) = self.skills_dir() {
            targets.push((root, skills.iter().collect()));
        }
        if let Some(root) = global.filter(|g| targets.first().is_none_or(|(r, _)| r != g)) {
            let chosen: Vec<&Skill> = skills
                .iter()
                .filter(|s| promoted.contains(s.name.as_str()))
                .collect();
            if !chosen.is_empty() {
                targets.push((root, chosen));
            }
        }
        let mut out = Vec::new();
        for (root, chosen) in targets {
            let mut writer = crate::skills::install::SkillWriter::new(
                root,
                &self.inner.config.home,
                self.agents_dir(),
            )?;
            for s in chosen {
                match writer.write(s) {
                    Ok(o) => out.push(o),
                    Err(e) => tracing::warn!("cannot write skill {}: {e}", s.name),
                }
            }
            writer.save()?;
        }
        Ok(out)
    }

    /// The context to put before the agent acts, for frameworks that build their own
    /// prompts: the skills relevant to `prompt`, and on the session's first call the
    /// most important ones, within `budget_tokens`. Skills already given to this
    /// session are not repeated, and each skill's first injection into a session is
    /// recorded for [`report`](crate::report) (did the lesson stop the mistake?).
    pub fn context_for(
        &self,
        session: &SessionId,
        prompt: &str,
        budget_tokens: usize,
    ) -> Result<crate::skills::select::Selection> {
        self.check_open()?;
        let ws = &self.inner.workspace;
        let key = format!("session:{session}");
        let stored = self.inner.store.get_state(ws, &key)?;
        if stored.is_none() {
            // A session's first call: counted like a hook's SessionStart, for `report`.
            crate::report::note_session_started(self.inner.store.as_ref(), ws)?;
        }
        let mut state: crate::hook::SessionState = stored
            .and_then(|s| serde_json::from_str(&s).ok())
            .unwrap_or_default();
        let sel = self.select_context(&state.injected, prompt, budget_tokens)?;
        let fresh: Vec<String> = sel
            .full
            .iter()
            .filter(|n| !state.injected.contains(n))
            .cloned()
            .collect();
        crate::report::note_injected(self.inner.store.as_ref(), ws, session, &fresh)?;
        state.injected.extend(fresh);
        self.inner
            .store
            .set_state(ws, &key, &serde_json::to_string(&state)?)?;
        Ok(sel)
    }

    /// What [`context_for`](Self::context_for) would return for a new session, without
    /// recording anything (`hivemind context` previews with it).
    pub fn preview_context(
        &self,
        prompt: &str,
        budget_tokens: usize,
    ) -> Result<crate::skills::select::Selection> {
        self.check_open()?;
        self.select_context(&[], prompt, budget_tokens)
    }

    /// The selection for a session that already received `injected`: the skills relevant
    /// to `prompt`, plus the session-start index on a session's first call.
    fn select_context(
        &self,
        injected: &[String],
        prompt: &str,
        budget_tokens: usize,
    ) -> Result<crate::skills::select::Selection> {
        use crate::skills::select;
        let ws = &self.inner.workspace;
        let first = injected.is_empty();
        let mut sel = select::for_prompt(
            self.inner.store.as_ref(),
            ws,
            prompt,
            &[],
            budget_tokens,
            injected,
        )?;
        if first {
            let used = select::estimate_tokens(&sel.text);
            let mut already = injected.to_vec();
            already.extend(sel.full.iter().cloned());
            let room = select::MAX_CONTEXT_CHARS.saturating_sub(sel.text.chars().count() + 2) / 4;
            let start_budget = budget_tokens.saturating_sub(used + 1).min(room);
            let start =
                select::session_start(self.inner.store.as_ref(), ws, start_budget, &already)?;
            if !start.text.is_empty() {
                sel.text = if sel.text.is_empty() {
                    start.text
                } else {
                    format!("{}\n\n{}", sel.text, start.text)
                };
                sel.full.extend(start.full);
                sel.indexed.extend(start.indexed);
            }
        }
        Ok(sel)
    }
}
