//! Command-line parsing and output formatting. Every decision lives in hivemind-core.

mod hook;
mod lists;
mod setup;
mod skills;
mod sync;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use hivemind_core::{Config, Hivemind};
use std::path::PathBuf;
use std::process::ExitCode;

/// Make coding agents learn from their users' corrections.
#[derive(Debug, Parser)]
#[command(name = "hivemind", version, about)]
struct Cli {
    /// Workspace id (default: HIVEMIND_WORKSPACE_ID, else derived from the project).
    #[arg(long, global = true)]
    workspace: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Handle one hook call of a host agent (payload on stdin). Always exits 0.
    Hook {
        /// claude-code, codex or cursor.
        #[arg(long, default_value = "claude-code")]
        agent: String,
    },
    /// Import Claude Code transcripts and Codex rollouts (files or folders).
    Import {
        /// Files or folders.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Mine corrections into skills.
    Skillify {
        #[command(subcommand)]
        action: SkillifyAction,
    },
    /// Corrections of the workspace.
    Corrections {
        #[command(subcommand)]
        action: CorrectionsAction,
    },
    /// For each skill: corrections of its pattern per session before the skill existed
    /// and after it was injected.
    Report {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Skills of the workspace.
    Skills {
        #[command(subcommand)]
        action: SkillsAction,
    },
    /// Wire hivemind's hooks into an agent host (idempotent; backs up the file it changes).
    Install {
        /// claude, codex or cursor.
        host: String,
        /// Project settings (`.claude/settings.json` in the current folder). Claude only.
        #[arg(long, conflicts_with = "global")]
        project: bool,
        /// User settings (`~/.claude/settings.json`, `~/.codex/hooks.json`, `~/.cursor/hooks.json`).
        #[arg(long)]
        global: bool,
    },
    /// Remove hivemind's hooks from an agent host, keeping every other entry.
    Uninstall {
        /// claude, codex or cursor.
        host: String,
        /// Project settings. Claude only.
        #[arg(long, conflicts_with = "global")]
        project: bool,
        /// User settings.
        #[arg(long)]
        global: bool,
    },
    /// Where the data lives, the workspace, wired agents, counts, last capture, recent errors.
    Status {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Share with the team: push this workspace's events, corrections and skills to the
    /// PostgreSQL store (HIVEMIND_PG_URL or "pg_url" in config.json), pull the team's
    /// corrections and skills, mine what arrived and push the skills it wrote.
    Sync {
        /// Print JSON.
        #[arg(long)]
        json: bool,
        /// Do not mine after pulling.
        #[arg(long)]
        no_mine: bool,
        /// Every workspace this machine has captured, not only this project's (push and
        /// pull; no mining).
        #[arg(long)]
        all: bool,
    },
    /// Preview the context a prompt would receive, and why.
    Context {
        /// The prompt.
        #[arg(long, default_value = "")]
        prompt: String,
        /// Token budget.
        #[arg(long)]
        budget: Option<usize>,
        /// Print JSON (text, skills, scores).
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
enum SkillifyAction {
    /// Mine now, blocking; idempotent.
    Run {
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
        /// Then synchronize with the team store when one is configured (what the hooks'
        /// background runs do); a sync failure is logged under HIVEMIND_HOME/logs and
        /// retried by the next run.
        #[arg(long)]
        sync: bool,
    },
    /// The last run, corrections no skill covers yet, patterns close to the threshold.
    Status {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
enum CorrectionsAction {
    /// List them (oldest first).
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
        /// Only this session.
        #[arg(long)]
        session: Option<String>,
        /// Only this kind: followup, user_edit, modified, rejection, explicit.
        #[arg(long)]
        kind: Option<String>,
    },
    /// One correction with its diff and source events.
    Show {
        /// Correction id.
        id: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
enum SkillsAction {
    /// List them (removed skills excluded).
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// One skill: its text, state, files and lineage (the corrections behind it).
    Show {
        /// Skill name.
        name: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Also write a skill to ~/.claude/skills, for every project (later versions follow).
    Promote {
        /// Skill name.
        name: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Stop injecting and mining a skill; delete its files where hivemind wrote them
    /// and nobody edited them.
    Remove {
        /// Skill name.
        name: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

fn config(workspace: &Option<String>) -> Result<Config> {
    let mut c = Config::from_env()?;
    if let Some(w) = workspace {
        c.workspace = Some(hivemind_core::WorkspaceId::new(w.clone())?);
    }
    Ok(c)
}

fn open(workspace: &Option<String>) -> Result<Hivemind> {
    let c = config(workspace)?;
    let home = c.home.display().to_string();
    Hivemind::open(c).with_context(|| format!("opening the store under {home}"))
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Command::Hook { agent } = &cli.command {
        return hook::run(agent, &cli.workspace);
    }
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("HIVEMIND_LOG")
                .unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("hivemind: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Hook { .. } => Ok(()),
        Command::Import { paths } => lists::import(&open(&cli.workspace)?, &paths),
        Command::Skillify {
            action: SkillifyAction::Run { json, sync },
        } => {
            let hm = open(&cli.workspace)?;
            lists::skillify(&hm, json)?;
            if sync && hm.config().pg_url.is_some() {
                if let Err(e) = hm.team_sync_blocking(true) {
                    hook::log(
                        Some(hm.config()),
                        "sync.log",
                        &format!("team sync failed: {e}"),
                    );
                    return Err(e.into());
                }
            }
            Ok(())
        }
        Command::Sync { json, no_mine, all } => {
            sync::run(&open(&cli.workspace)?, json, !no_mine && !all, all)
        }
        Command::Skillify {
            action: SkillifyAction::Status { json },
        } => skills::skillify_status(&open(&cli.workspace)?, json),
        Command::Corrections {
            action:
                CorrectionsAction::List {
                    json,
                    session,
                    kind,
                },
        } => lists::corrections(&open(&cli.workspace)?, json, session, kind),
        Command::Corrections {
            action: CorrectionsAction::Show { id, json },
        } => lists::show_correction(&open(&cli.workspace)?, &id, json),
        Command::Report { json } => lists::report(&open(&cli.workspace)?, json),
        Command::Skills { action } => {
            let hm = open(&cli.workspace)?;
            match action {
                SkillsAction::List { json } => lists::skills(&hm, json),
                SkillsAction::Show { name, json } => skills::show(&hm, &name, json),
                SkillsAction::Promote { name, json } => skills::promote(&hm, &name, json),
                SkillsAction::Remove { name, json } => skills::remove(&hm, &name, json),
            }
        }
        Command::Install {
            host,
            project,
            global,
        } => setup::install(&config(&cli.workspace)?, &host, project, global),
        Command::Uninstall {
            host,
            project,
            global,
        } => setup::uninstall(&config(&cli.workspace)?, &host, project, global),
        Command::Status { json } => setup::status(&open(&cli.workspace)?, json),
        Command::Context {
            prompt,
            budget,
            json,
        } => lists::context(&open(&cli.workspace)?, &prompt, budget, json),
    }
}
