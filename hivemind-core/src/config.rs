//! Configuration: environment variables, an optional `config.json` under the home, and
//! workspace resolution.

use crate::error::{Error, Result};
use crate::model::WorkspaceId;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Which model endpoint the LLM skillifier talks to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LlmConfig {
    /// `anthropic` or `openai` (any OpenAI-compatible chat endpoint: Ollama, vLLM, ...).
    pub provider: String,
    /// Base URL, e.g. `https://api.anthropic.com` or `http://127.0.0.1:11434/v1`.
    pub base_url: String,
    /// Model name.
    pub model: String,
    /// Name of the environment variable holding the API key (never the key itself).
    #[serde(default)]
    pub api_key_env: Option<String>,
    /// Request timeout in seconds.
    #[serde(default = "default_timeout")]
    pub timeout_secs: u64,
}

fn default_timeout() -> u64 {
    30
}

/// Everything hivemind needs to run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Config {
    /// All state: database, logs, manifests (`HIVEMIND_HOME`, default `~/.hivemind`).
    pub home: PathBuf,
    /// The workspace (`HIVEMIND_WORKSPACE_ID`); derived from the project when absent.
    pub workspace: Option<WorkspaceId>,
    /// Never call a model (`HIVEMIND_NO_LLM=1`).
    pub no_llm: bool,
    /// Start background mining every N Stop events (`HIVEMIND_SKILLIFY_EVERY_N_TURNS`).
    pub skillify_every_n_turns: u32,
    /// Corrections of one pattern before it becomes a skill (`HIVEMIND_MIN_SUPPORT`).
    pub min_support: usize,
    /// Token budget of injected context per hook (`HIVEMIND_BUDGET_TOKENS`).
    pub budget_tokens: usize,
    /// Tool output larger than this many bytes is truncated before storing.
    pub max_tool_output_bytes: usize,
    /// Events buffered by `capture` before a batch is written.
    pub batch_size: usize,
    /// Where skills are written: `project` (`<project>/.claude/skills`) or `global`
    /// (`~/.claude/skills`).
    pub skills_scope: String,
    /// Optional model for the LLM skillifier.
    pub llm: Option<LlmConfig>,
    /// The team's PostgreSQL store (`HIVEMIND_PG_URL`), e.g.
    /// `postgres://user:password@host:5432/db?sslmode=require`. Used by sync; never on
    /// the hook path. Holds a secret when the URL has a password: never log it (see
    /// `PgOptions`, which redacts it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pg_url: Option<String>,
    /// Which corrections mining learns from (`HIVEMIND_MINING_SCOPE`): `team` (all of
    /// the workspace's, including those pulled from the team store, the default) or
    /// `me` (only this machine's).
    pub mining_scope: crate::skillify::MiningScope,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            home: default_home(),
            workspace: None,
            no_llm: false,
            skillify_every_n_turns: 20,
            min_support: 3,
            budget_tokens: 2000,
            max_tool_output_bytes: 256 * 1024,
            batch_size: 512,
            skills_scope: "project".into(),
            llm: None,
            pg_url: None,
            mining_scope: crate::skillify::MiningScope::Team,
        }
    }
}

fn default_home() -> PathBuf {
    std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir)
        .join(".hivemind")
}

fn env_parse<T: std::str::FromStr>(name: &str) -> Result<Option<T>> {
    match std::env::var(name) {
        Ok(v) if !v.trim().is_empty() => v
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| Error::invalid(format!("{name}={v:?} is not a valid value"))),
        _ => Ok(None),
    }
}

impl Config {
    /// Defaults, then `$HIVEMIND_HOME/config.json` if present, then the environment.
    pub fn from_env() -> Result<Self> {
        let home = std::env::var_os("HIVEMIND_HOME")
            .filter(|h| !h.is_empty())
            .map(PathBuf::from)
            .unwrap_or_else(default_home);
        Self::load(home)
    }

    /// Defaults, then `home/config.json` if present, then the environment (except
    /// `HIVEMIND_HOME`: the home is `home`).
    pub fn load(home: impl Into<PathBuf>) -> Result<Self> {
        let home = home.into();
        let file = home.join("config.json");
        let mut c = match std::fs::read_to_string(&file) {
            Ok(text) => serde_json::from_str::<Config>(&text)
                .map_err(|e| Error::invalid(format!("{}: {e}", file.display())))?,
            Err(_) => Config::default(),
        };
        c.home = home;
        if let Some(w) = env_parse::<String>("HIVEMIND_WORKSPACE_ID")? {
            c.workspace = Some(WorkspaceId::new(w)?);
        }
        if let Ok(v) = std::env::var("HIVEMIND_NO_LLM") {
            c.no_llm = matches!(v.trim(), "1" | "true" | "yes" | "on");
        }
        if let Some(n) = env_parse("HIVEMIND_SKILLIFY_EVERY_N_TURNS")? {
            c.skillify_every_n_turns = n;
        }
        if let Some(n) = env_parse("HIVEMIND_MIN_SUPPORT")? {
            c.min_support = n;
        }
        if let Some(n) = env_parse("HIVEMIND_BUDGET_TOKENS")? {
            c.budget_tokens = n;
        }
        if let Some(url) = env_parse::<String>("HIVEMIND_PG_URL")? {
            c.pg_url = Some(url);
        }
        if let Some(scope) = env_parse("HIVEMIND_MINING_SCOPE")? {
            c.mining_scope = scope;
        }
        Ok(c)
    }

    /// A configuration rooted at `home` (tests, embedding).
    pub fn with_home(home: impl Into<PathBuf>) -> Self {
        Config {
            home: home.into(),
            ..Config::default()
        }
    }

    /// The SQLite database.
    pub fn db_path(&self) -> PathBuf {
        self.home.join("hivemind.db")
    }

    /// The log folder.
    pub fn log_dir(&self) -> PathBuf {
        self.home.join("logs")
    }

    /// The workspace: configured, else derived from `project`.
    pub fn workspace_for(&self, project: &Path) -> WorkspaceId {
        self.workspace
            .clone()
            .unwrap_or_else(|| derive_workspace(project))
    }
}

/// Derives a workspace id from a project folder: the `origin` remote of its git
/// repository (`github.com/acme/shop`), else `local:` + the folder path.
pub fn derive_workspace(project: &Path) -> WorkspaceId {
    let mut dir = Some(project);
    while let Some(d) = dir {
        let git = d.join(".git").join("config");
        if let Ok(text) = std::fs::read_to_string(&git) {
            if let Some(url) = origin_url(&text) {
                if let Ok(w) = WorkspaceId::new(sanitize(&normalize_remote(&url))) {
                    return w;
                }
            }
            break;
        }
        dir = d.parent();
    }
    let path = project.to_string_lossy();
    WorkspaceId::new(sanitize(&format!("local:{}", path.trim_start_matches('/'))))
        .unwrap_or_else(|_| fallback_workspace())
}

fn fallback_workspace() -> WorkspaceId {
    WorkspaceId::trusted("default")
}

fn origin_url(git_config: &str) -> Option<String> {
    let mut in_origin = false;
    for line in git_config.lines() {
        let l = line.trim();
        if l.starts_with('[') {
            in_origin = l == "[remote \"origin\"]";
        } else if in_origin {
            if let Some(rest) = l.strip_prefix("url") {
                return Some(rest.trim_start().trim_start_matches('=').trim().to_string());
            }
        }
    }
    None
}

fn normalize_remote(url: &str) -> String {
    let u = url.trim().trim_end_matches(".git");
    let u = u.split("://").nth(1).unwrap_or(u);
    let u = u.rsplit('@').next().unwrap_or(u);
    u.replacen(':', "/", 1)
}

fn sanitize(s: &str) -> String {
    let mut out: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':' | '@' | '/') {
                c
            } else {
                '-'
            }
        })
        .collect();
    while out.contains("..") {
        out = out.replace("..", ".");
    }
    let out = out.trim_start_matches(['.', '/']).to_string();
    let mut out = if out.is_empty() {
        "default".to_string()
    } else {
        out
    };
    if out.len() > 128 {
        let mut cut = out.len() - 128;
        while !out.is_char_boundary(cut) {
            cut += 1;
        }
        out = out[cut..].trim_start_matches(['.', '/']).to_string();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn team_settings_from_the_config_file() {
        let dir = tempfile::tempdir().unwrap();
        let c = Config::load(dir.path()).unwrap();
        assert_eq!(c.mining_scope, crate::skillify::MiningScope::Team);
        // Absent from a default file: an old hivemind reads it back unchanged.
        assert!(!serde_json::to_string(&Config::default())
            .unwrap()
            .contains("pg_url"));
        std::fs::write(
            dir.path().join("config.json"),
            r#"{"pg_url": "postgres://team@db:5432/hivemind", "mining_scope": "me"}"#,
        )
        .unwrap();
        let c = Config::load(dir.path()).unwrap();
        if std::env::var_os("HIVEMIND_PG_URL").is_none() {
            assert_eq!(
                c.pg_url.as_deref(),
                Some("postgres://team@db:5432/hivemind")
            );
        }
        if std::env::var_os("HIVEMIND_MINING_SCOPE").is_none() {
            assert_eq!(c.mining_scope, crate::skillify::MiningScope::Me);
        }
        assert_eq!(
            "team".parse::<crate::skillify::MiningScope>().unwrap(),
            crate::skillify::MiningScope::Team
        );
        assert!("everyone".parse::<crate::skillify::MiningScope>().is_err());
    }

    #[test]
    fn workspace_from_git_remote_or_folder() {
        let dir = tempfile::tempdir().unwrap();
        let proj = dir.path().join("shop");
        std::fs::create_dir_all(proj.join(".git")).unwrap();
        std::fs::write(
            proj.join(".git/config"),
            "[core]\n\tbare = false\n[remote \"origin\"]\n\turl = git@github.com:acme/shop.git\n",
        )
        .unwrap();
        assert_eq!(derive_workspace(&proj).as_str(), "github.com/acme/shop");
        std::fs::create_dir_all(proj.join("src")).unwrap();
        assert_eq!(
            derive_workspace(&proj.join("src")).as_str(),
            "github.com/acme/shop"
        );
        let other = dir.path().join("my proj");
        std::fs::create_dir_all(&other).unwrap();
        let w = derive_workspace(&other);
        assert!(w.as_str().starts_with("local:"), "{w}");
        assert!(w.as_str().ends_with("my-proj"));
    }
}
