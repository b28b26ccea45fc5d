//! Wiring hivemind into agent hosts (`install`, `uninstall`) and reporting what is wired
//! and captured (`status`).
//!
//! Hosts and the files their hooks live in:
//!
//! - Claude Code: `.claude/settings.json` of the project, or `~/.claude/settings.json`:
//!   `{"hooks": {"<Event>": [{"matcher": "*", "hooks": [{"type": "command", "command":
//!   "…", "timeout": 10}]}]}}` (`matcher` only on the tool events).
//! - Codex: `~/.codex/hooks.json`, the same shape (Codex also treats `"*"` as "every
//!   tool"). Codex runs hooks only with `[features] hooks = true` in
//!   `~/.codex/config.toml` (on by default in recent versions; `codex_hooks` is the
//!   older name) and only once the user trusted them (`/hooks`); we never edit
//!   `config.toml`.
//! - Cursor: `~/.cursor/hooks.json`: `{"version": 1, "hooks": {"<event>": [{"command":
//!   "…"}]}}`.
//!
//! A hook entry is *ours* when its command runs a program whose file name is
//! `hivemind` (or `hivemind.exe`) with `hook` as its first argument, wherever that
//! program lives: installing from another path replaces our entries instead of adding
//! a second copy. Everything else in the file (other hooks, their order, unknown keys)
//! is kept as it is. The editing functions work on a [`serde_json::Value`];
//! [`install`] and [`uninstall`] add reading, a backup of the file they change
//! (`<file>.hivemind-backup-<UTC timestamp>`, only when the content changes) and an
//! atomic write.

use crate::error::{Error, Result};
use crate::hivemind::Hivemind;
use crate::model::CorrectionFilter;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use std::fmt;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// Timeout, in seconds, written on the Claude Code and Codex hook entries.
pub const HOOK_TIMEOUT_SECS: u64 = 10;

/// An agent host whose hooks hivemind can wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Host {
    /// Claude Code (`settings.json`).
    Claude,
    /// OpenAI Codex CLI (`~/.codex/hooks.json`).
    Codex,
    /// Cursor (`~/.cursor/hooks.json`).
    Cursor,
}

impl Host {
    /// Every host, in display order.
    pub const ALL: [Host; 3] = [Host::Claude, Host::Codex, Host::Cursor];

    /// The host's short name: `claude`, `codex` or `cursor`.
    pub fn as_str(self) -> &'static str {
        match self {
            Host::Claude => "claude",
            Host::Codex => "codex",
            Host::Cursor => "cursor",
        }
    }

    /// The value of `hivemind hook --agent` for this host.
    pub fn agent(self) -> &'static str {
        match self {
            Host::Claude => "claude-code",
            Host::Codex => "codex",
            Host::Cursor => "cursor",
        }
    }

    /// The events we hook, each with whether its group carries a `"*"` matcher (tool
    /// events of Claude Code and Codex; Cursor entries have no matcher).
    pub fn events(self) -> &'static [(&'static str, bool)] {
        match self {
            Host::Claude => &[
                ("SessionStart", false),
                ("UserPromptSubmit", false),
                ("PreToolUse", true),
                ("PostToolUse", true),
                ("Stop", false),
                ("SubagentStop", false),
                ("SessionEnd", false),
            ],
            Host::Codex => &[
                ("SessionStart", false),
                ("UserPromptSubmit", false),
                ("PreToolUse", true),
                ("PostToolUse", true),
                ("Stop", false),
            ],
            Host::Cursor => &[
                ("sessionStart", false),
                ("beforeSubmitPrompt", false),
                ("postToolUse", false),
                ("afterFileEdit", false),
                ("afterAgentResponse", false),
                ("stop", false),
                ("sessionEnd", false),
            ],
        }
    }

    /// The scope used when neither `--project` nor `--global` is given: the project
    /// for Claude Code, the user's home for Codex and Cursor.
    pub fn default_scope(self) -> Scope {
        match self {
            Host::Claude => Scope::Project,
            Host::Codex | Host::Cursor => Scope::Global,
        }
    }

    /// Notes to show the user after installing for this host.
    pub fn install_notes(self) -> Vec<String> {
        match self {
            Host::Codex => vec![
                "Codex runs hooks only when `[features] hooks = true` is set in \
                 ~/.codex/config.toml (the default in recent Codex; older versions call it \
                 `codex_hooks`); hivemind does not edit config.toml."
                    .to_string(),
                "Codex asks you to review and trust new or changed hooks before they run: \
                 open `/hooks` in Codex."
                    .to_string(),
            ],
            Host::Claude | Host::Cursor => Vec::new(),
        }
    }

    fn nested(self) -> bool {
        matches!(self, Host::Claude | Host::Codex)
    }
}

impl fmt::Display for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Host {
    type Err = Error;

    /// Accepts `claude` (or `claude-code`), `codex` and `cursor`, in any case.
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "claude" | "claude-code" | "claudecode" => Ok(Host::Claude),
            "codex" => Ok(Host::Codex),
            "cursor" => Ok(Host::Cursor),
            other => Err(Error::invalid(format!(
                "unknown host {other:?}: expected claude, codex or cursor"
            ))),
        }
    }
}

/// Which settings file of a host: the project's or the user's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// The project (the current folder): `.claude/settings.json`.
    Project,
    /// The user's home: `~/.claude/settings.json`, `~/.codex/hooks.json`,
    /// `~/.cursor/hooks.json`.
    Global,
}

impl Scope {
    /// The scope asked for on the command line. `--project` is only for Claude Code;
    /// neither flag means [`Host::default_scope`].
    pub fn resolve(host: Host, project: bool, global: bool) -> Result<Scope> {
        match (project, global) {
            (true, true) => Err(Error::invalid("choose --project or --global, not both")),
            (true, false) if host != Host::Claude => Err(Error::invalid(format!(
                "--project applies to claude only; {host} hooks live in {}",
                settings_path(host, Scope::Global, Path::new("."), Path::new("~")).display()
            ))),
            (true, false) => Ok(Scope::Project),
            (false, true) => Ok(Scope::Global),
            (false, false) => Ok(host.default_scope()),
        }
    }

    /// `project` or `global`.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Project => "project",
            Scope::Global => "global",
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The file holding `host`'s hooks for `scope`: under `project_dir` for
/// [`Scope::Project`], under `home` for [`Scope::Global`].
pub fn settings_path(host: Host, scope: Scope, project_dir: &Path, home: &Path) -> PathBuf {
    let root = match scope {
        Scope::Project => project_dir,
        Scope::Global => home,
    };
    match host {
        Host::Claude => root.join(".claude").join("settings.json"),
        Host::Codex => root.join(".codex").join("hooks.json"),
        Host::Cursor => root.join(".cursor").join("hooks.json"),
    }
}

/// The user's home folder (`$HOME`, else `%USERPROFILE%`), if set.
pub fn home_dir() -> Option<PathBuf> {
    ["HOME", "USERPROFILE"]
        .iter()
        .filter_map(std::env::var_os)
        .find(|h| !h.is_empty())
        .map(PathBuf::from)
}

/// The hook command for `host`: `<exe> hook --agent <agent>`, the executable quoted
/// for the shell when it contains anything but plain path characters (single quotes;
/// double quotes on Windows, which bash and cmd both read, backslashes included).
pub fn hook_command(exe: &Path, host: Host) -> String {
    format!(
        "{} hook --agent {}",
        shell_quote(&exe.to_string_lossy()),
        host.agent()
    )
}

fn shell_quote(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars().all(|c| {
            c.is_ascii_alphanumeric() || matches!(c, '/' | '.' | '_' | '-' | '+' | ':' | '@' | ',')
        });
    if plain {
        s.to_string()
    } else if cfg!(windows) {
        format!("\"{}\"", s.replace('"', "\\\""))
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// Is `command` one of ours: a program named `hivemind` (any folder, optional `.exe`)
/// whose first argument is `hook`? Leading `NAME=value` environment assignments are
/// skipped; quoted programs (`'/opt/my tools/hivemind' hook …`) are understood.
pub fn is_hivemind_hook(command: &str) -> bool {
    let words = shell_words(command, 2);
    let [program, first] = words.as_slice() else {
        return false;
    };
    let base = program.rsplit(['/', '\\']).next().unwrap_or(program);
    let base = match base.len().checked_sub(4) {
        Some(cut) if base.is_char_boundary(cut) && base[cut..].eq_ignore_ascii_case(".exe") => {
            &base[..cut]
        }
        _ => base,
    };
    base == "hivemind" && first == "hook"
}

/// The first `max` words of a shell command line, after any leading `NAME=value`
/// assignments: whitespace-separated, with single quotes, double quotes and backslash
/// escapes removed the way a POSIX shell would (a backslash before an ordinary
/// character outside quotes is kept, so Windows paths survive).
fn shell_words(s: &str, max: usize) -> Vec<String> {
    let mut words = Vec::new();
    let mut chars = s.chars().peekable();
    let mut seen_program = false;
    while words.len() < max {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        if chars.peek().is_none() {
            break;
        }
        let mut word = String::new();
        let mut quoted = false;
        while let Some(&c) = chars.peek() {
            if c.is_whitespace() {
                break;
            }
            chars.next();
            match c {
                '\'' => {
                    quoted = true;
                    for d in chars.by_ref() {
                        if d == '\'' {
                            break;
                        }
                        word.push(d);
                    }
                }
                '"' => {
                    quoted = true;
                    while let Some(d) = chars.next() {
                        match d {
                            '"' => break,
                            '\\' => match chars.peek() {
                                Some(&e) if matches!(e, '"' | '\\' | '$' | '`') => {
                                    word.push(e);
                                    chars.next();
                                }
                                _ => word.push('\\'),
                            },
                            _ => word.push(d),
                        }
                    }
                }
                '\\' => match chars.peek() {
                    Some(&e) if e.is_whitespace() || matches!(e, '\'' | '"' | '\\') => {
                        word.push(e);
                        chars.next();
                    }
                    _ => word.push('\\'),
                },
                _ => word.push(c),
            }
        }
        if !seen_program && !quoted && is_assignment(&word) {
            continue;
        }
        seen_program = true;
        words.push(word);
    }
    words
}

fn is_assignment(word: &str) -> bool {
    match word.split_once('=') {
        Some((name, _)) => {
            let mut cs = name.chars();
            cs.next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && cs.all(|c| c.is_ascii_alphanumeric() || c == '_')
        }
        None => false,
    }
}

fn entry_is_ours(entry: &Value) -> bool {
    entry
        .get("command")
        .and_then(Value::as_str)
        .is_some_and(is_hivemind_hook)
}

/// What one edit did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Change {
    added: usize,
    removed: usize,
    other: bool,
}

impl Change {
    fn changed(&self) -> bool {
        self.added > 0 || self.removed > 0 || self.other
    }
}

fn root_object(doc: &mut Value) -> Result<&mut Map<String, Value>> {
    doc.as_object_mut()
        .ok_or_else(|| Error::invalid("the top level is not a JSON object"))
}

fn hooks_object(root: &mut Map<String, Value>) -> Result<Option<&mut Map<String, Value>>> {
    match root.get_mut("hooks") {
        None => Ok(None),
        Some(Value::Object(m)) => Ok(Some(m)),
        Some(_) => Err(Error::invalid("\"hooks\" is not a JSON object")),
    }
}

/// The entry we want in one event: a matcher group (Claude Code, Codex) or a flat
/// command entry (Cursor).
fn desired_item(host: Host, matcher: bool, command: &str) -> Value {
    if host.nested() {
        let hook = json!({"type": "command", "command": command, "timeout": HOOK_TIMEOUT_SECS});
        if matcher {
            json!({"matcher": "*", "hooks": [hook]})
        } else {
            json!({"hooks": [hook]})
        }
    } else {
        json!({"command": command})
    }
}

/// Where our entries sit in one event array: (item index, hook index inside a group).
fn ours_in(host: Host, items: &[Value]) -> Vec<(usize, Option<usize>)> {
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        if host.nested() {
            if let Some(hooks) = item.get("hooks").and_then(Value::as_array) {
                for (j, h) in hooks.iter().enumerate() {
                    if entry_is_ours(h) {
                        out.push((i, Some(j)));
                    }
                }
            }
        } else if entry_is_ours(item) {
            out.push((i, None));
        }
    }
    out
}

/// Removes our entries from one event array; a matcher group left without hooks by
/// the removal goes too. Returns how many entries were removed.
fn remove_ours(host: Host, items: &mut Vec<Value>) -> usize {
    let mut removed = 0;
    if host.nested() {
        let mut emptied = Vec::new();
        for (i, item) in items.iter_mut().enumerate() {
            if let Some(hooks) = item.get_mut("hooks").and_then(Value::as_array_mut) {
                let before = hooks.len();
                hooks.retain(|h| !entry_is_ours(h));
                if hooks.len() < before {
                    removed += before - hooks.len();
                    if hooks.is_empty() {
                        emptied.push(i);
                    }
                }
            }
        }
        for i in emptied.into_iter().rev() {
            items.remove(i);
        }
    } else {
        let before = items.len();
        items.retain(|item| !entry_is_ours(item));
        removed = before - items.len();
    }
    removed
}

/// Removes our entries from every event of `hooks` except those in `keep`; event
/// arrays left empty by the removal go too.
fn remove_ours_except(host: Host, hooks: &mut Map<String, Value>, keep: &[&str]) -> usize {
    let mut removed = 0;
    let mut emptied = Vec::new();
    for (event, items) in hooks.iter_mut() {
        if keep.contains(&event.as_str()) {
            continue;
        }
        if let Value::Array(items) = items {
            let n = remove_ours(host, items);
            if n > 0 {
                removed += n;
                if items.is_empty() {
                    emptied.push(event.clone());
                }
            }
        }
    }
    for e in emptied {
        hooks.remove(&e);
    }
    removed
}

fn install_change(doc: &mut Value, host: Host, command: &str) -> Result<Change> {
    let root = root_object(doc)?;
    let mut change = Change::default();
    hooks_object(root)?;
    if host == Host::Cursor && !root.contains_key("version") {
        root.insert("version".into(), json!(1));
        change.other = true;
    }
    let hooks = match root
        .entry("hooks")
        .or_insert_with(|| Value::Object(Map::new()))
    {
        Value::Object(m) => m,
        _ => return Err(Error::invalid("\"hooks\" is not a JSON object")),
    };
    let ours: Vec<&str> = host.events().iter().map(|(e, _)| *e).collect();
    change.removed += remove_ours_except(host, hooks, &ours);
    for &(event, matcher) in host.events() {
        let want = desired_item(host, matcher, command);
        let items = match hooks
            .entry(event.to_string())
            .or_insert_with(|| Value::Array(Vec::new()))
        {
            Value::Array(a) => a,
            _ => {
                return Err(Error::invalid(format!(
                    "\"hooks.{event}\" is not a JSON array"
                )))
            }
        };
        let found = ours_in(host, items);
        if let [(i, _)] = found.as_slice() {
            if items[*i] == want {
                continue;
            }
        }
        change.removed += remove_ours(host, items);
        items.push(want);
        change.added += 1;
    }
    Ok(change)
}

fn uninstall_change(doc: &mut Value, host: Host) -> Result<Change> {
    let root = root_object(doc)?;
    let mut change = Change::default();
    if let Some(hooks) = hooks_object(root)? {
        change.removed = remove_ours_except(host, hooks, &[]);
        if change.removed > 0 && hooks.is_empty() {
            root.remove("hooks");
        }
    }
    Ok(change)
}

/// Adds our hook entries for `host` (running `command`) to a settings document, once
/// per event, keeping every other entry. Our entries found elsewhere (another
/// executable path, other events, inside the user's own groups) are replaced.
/// Returns whether the document changed; a second call with the same command
/// returns false and leaves the document identical.
///
/// Errors ([`Error::InvalidInput`]) when the document is not an object, its `hooks`
/// is not an object, or one of our events is not an array; the document is then
/// unchanged.
pub fn install_hooks(doc: &mut Value, host: Host, command: &str) -> Result<bool> {
    let mut copy = doc.clone();
    let change = install_change(&mut copy, host, command)?;
    if change.changed() {
        *doc = copy;
    }
    Ok(change.changed())
}

/// Removes every one of our hook entries from a settings document, and the matcher
/// groups, event arrays and `hooks` object our removal leaves empty; nothing else
/// changes. Returns whether the document changed.
pub fn uninstall_hooks(doc: &mut Value, host: Host) -> Result<bool> {
    Ok(uninstall_change(doc, host)?.changed())
}

/// How many of our hook entries a settings document holds (0 when it is not shaped
/// like `host`'s settings).
pub fn count_hooks(doc: &Value, host: Host) -> usize {
    doc.get("hooks")
        .and_then(Value::as_object)
        .map(|hooks| {
            hooks
                .values()
                .filter_map(Value::as_array)
                .map(|items| ours_in(host, items).len())
                .sum()
        })
        .unwrap_or(0)
}

/// What [`install`] or [`uninstall`] did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SetupReport {
    /// The host.
    pub host: Host,
    /// Project or user settings.
    pub scope: Scope,
    /// The file.
    pub path: PathBuf,
    /// Our hook command.
    pub command: String,
    /// Whether the file was written.
    pub changed: bool,
    /// Hook entries added.
    pub added: usize,
    /// Hook entries removed (on install: old entries that were replaced).
    pub removed: usize,
    /// Our hook entries in the file afterwards.
    pub installed: usize,
    /// The copy of the previous file, when there was one and it changed.
    pub backup: Option<PathBuf>,
    /// Things the user should know (e.g. Codex's feature flag).
    pub notes: Vec<String>,
}

/// A settings file as read: its exact bytes (None when missing) and its JSON.
struct Loaded {
    path: PathBuf,
    original: Option<Vec<u8>>,
    doc: Value,
}

fn load(path: &Path) -> Result<Loaded> {
    // Follow a symlinked settings file (dotfile managers) so we edit its target
    // instead of replacing the link.
    let path = match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => {
            std::fs::canonicalize(path).map_err(|e| Error::io(path, e))?
        }
        _ => path.to_path_buf(),
    };
    let original = match std::fs::read(&path) {
        Ok(b) => Some(b),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(Error::io(&path, e)),
    };
    let doc = match &original {
        None => Value::Object(Map::new()),
        Some(bytes) => {
            let text = std::str::from_utf8(bytes).map_err(|_| {
                Error::invalid(format!(
                    "{} is not UTF-8 text; not touching it",
                    path.display()
                ))
            })?;
            if text.trim().is_empty() {
                Value::Object(Map::new())
            } else {
                serde_json::from_str(text).map_err(|e| {
                    Error::invalid(format!(
                        "{} is not valid JSON ({e}); fix it and retry, hivemind did not touch it",
                        path.display()
                    ))
                })?
            }
        }
    };
    if !doc.is_object() {
        return Err(Error::invalid(format!(
            "{}: the top level is not a JSON object; hivemind did not touch it",
            path.display()
        )));
    }
    Ok(Loaded {
        path,
        original,
        doc,
    })
}

fn in_file(path: &Path, e: Error) -> Error {
    match e {
        Error::InvalidInput(m) => Error::InvalidInput(format!(
            "{}: {m}; hivemind did not touch it",
            path.display()
        )),
        other => other,
    }
}

/// Copies `original` next to `path` as `<name>.hivemind-backup-<UTC timestamp>`
/// (with `-2`, `-3`, … when that name is taken; never overwrites).
fn backup(path: &Path, original: &[u8]) -> Result<PathBuf> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "settings".into());
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
    let dir = path.parent().unwrap_or_else(|| Path::new("."));
    for n in 1..1000 {
        let candidate = if n == 1 {
            dir.join(format!("{name}.hivemind-backup-{stamp}"))
        } else {
            dir.join(format!("{name}.hivemind-backup-{stamp}-{n}"))
        };
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&candidate)
        {
            Ok(mut f) => {
                f.write_all(original)
                    .and_then(|_| f.sync_all())
                    .map_err(|e| Error::io(&candidate, e))?;
                return Ok(candidate);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(Error::io(&candidate, e)),
        }
    }
    Err(Error::invalid(format!(
        "too many backups of {} this second",
        path.display()
    )))
}

/// Writes `doc` to `loaded.path` (after backing up the previous content), keeping the
/// previous file's permissions.
fn save(loaded: &Loaded, doc: &Value) -> Result<Option<PathBuf>> {
    let mut text = serde_json::to_string_pretty(doc)?;
    text.push('\n');
    if loaded.original.as_deref() == Some(text.as_bytes()) {
        return Ok(None);
    }
    let backup = match &loaded.original {
        Some(bytes) => Some(backup(&loaded.path, bytes)?),
        None => None,
    };
    let perms = std::fs::metadata(&loaded.path)
        .ok()
        .map(|m| m.permissions());
    crate::skills::install::write_atomic(&loaded.path, text.as_bytes())?;
    if let Some(p) = perms {
        let _ = std::fs::set_permissions(&loaded.path, p);
    }
    Ok(backup)
}

/// Installs our hooks for `host` in the `scope` settings file (see [`settings_path`]),
/// with `exe` as the hivemind executable. A missing file is created; a file that is
/// not a JSON object is an [`Error::InvalidInput`] naming it, and is left untouched.
/// When the content changes, the previous file is first copied to
/// `<file>.hivemind-backup-<timestamp>`; the new content is written atomically.
pub fn install(
    host: Host,
    scope: Scope,
    project_dir: &Path,
    home: &Path,
    exe: &Path,
) -> Result<SetupReport> {
    let command = hook_command(exe, host);
    let mut loaded = load(&settings_path(host, scope, project_dir, home))?;
    let mut doc = loaded.doc.clone();
    let change = install_change(&mut doc, host, &command).map_err(|e| in_file(&loaded.path, e))?;
    let backup = if change.changed() {
        save(&loaded, &doc)?
    } else {
        None
    };
    loaded.doc = doc;
    Ok(SetupReport {
        host,
        scope,
        installed: count_hooks(&loaded.doc, host),
        path: loaded.path,
        command,
        changed: change.changed(),
        added: change.added,
        removed: change.removed,
        backup,
        notes: host.install_notes(),
    })
}

/// Removes our hooks for `host` from the `scope` settings file, keeping everything
/// else. A missing file is not an error (nothing to do); an invalid one is, and is
/// left untouched. Backs up and writes like [`install`], only when something changes.
pub fn uninstall(
    host: Host,
    scope: Scope,
    project_dir: &Path,
    home: &Path,
    exe: &Path,
) -> Result<SetupReport> {
    let command = hook_command(exe, host);
    let path = settings_path(host, scope, project_dir, home);
    if std::fs::symlink_metadata(&path).is_err() {
        return Ok(SetupReport {
            host,
            scope,
            path,
            command,
            changed: false,
            added: 0,
            removed: 0,
            installed: 0,
            backup: None,
            notes: Vec::new(),
        });
    }
    let loaded = load(&path)?;
    let mut doc = loaded.doc.clone();
    let change = uninstall_change(&mut doc, host).map_err(|e| in_file(&loaded.path, e))?;
    let backup = if change.changed() {
        save(&loaded, &doc)?
    } else {
        None
    };
    Ok(SetupReport {
        host,
        scope,
        installed: count_hooks(&doc, host),
        path: loaded.path,
        command,
        changed: change.changed(),
        added: 0,
        removed: change.removed,
        backup,
        notes: Vec::new(),
    })
}

/// A settings file that runs our hooks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WiredHost {
    /// The host.
    pub host: Host,
    /// Project or user settings.
    pub scope: Scope,
    /// The file.
    pub path: PathBuf,
    /// How many of our hook entries it holds.
    pub hooks: usize,
}

/// The settings files that could hold our hooks: the project's Claude Code settings
/// (when a project is given), then the user's Claude Code, Codex and Cursor files.
fn candidates(home: &Path, project_dir: Option<&Path>) -> Vec<(Host, Scope, PathBuf)> {
    let mut out = Vec::new();
    if let Some(p) = project_dir {
        out.push((
            Host::Claude,
            Scope::Project,
            settings_path(Host::Claude, Scope::Project, p, home),
        ));
    }
    for host in Host::ALL {
        let path = settings_path(host, Scope::Global, Path::new("."), home);
        if !out.iter().any(|(_, _, q)| *q == path) {
            out.push((host, Scope::Global, path));
        }
    }
    out
}

/// The settings files (and hosts) that run our hooks, with how many entries each
/// holds. Unreadable or invalid files count as not wired.
pub fn wired(home: &Path, project_dir: Option<&Path>) -> Vec<WiredHost> {
    candidates(home, project_dir)
        .into_iter()
        .filter_map(|(host, scope, path)| {
            let text = std::fs::read_to_string(&path).ok()?;
            let doc: Value = serde_json::from_str(&text).ok()?;
            let hooks = count_hooks(&doc, host);
            (hooks > 0).then_some(WiredHost {
                host,
                scope,
                path,
                hooks,
            })
        })
        .collect()
}

/// The hosts whose settings (the project's Claude Code file, the user's Claude Code,
/// Codex and Cursor files) run our hooks, with the file that does.
pub fn wired_hosts(home: &Path, project_dir: &Path) -> Vec<(Host, PathBuf)> {
    wired(home, Some(project_dir))
        .into_iter()
        .map(|w| (w.host, w.path))
        .collect()
}

/// Lines of `hook.log` shown by [`status`].
pub const STATUS_LOG_LINES: usize = 10;

/// Where hivemind keeps its data, what is wired, what was captured, what went wrong.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Status {
    /// `HIVEMIND_HOME`.
    pub home: PathBuf,
    /// The SQLite database.
    pub db_path: PathBuf,
    /// Size of the database in bytes (with its write-ahead log); None when missing.
    pub db_bytes: Option<u64>,
    /// The workspace everything below is counted in.
    pub workspace: String,
    /// The project folder the workspace was derived from, if known.
    pub project: Option<PathBuf>,
    /// Settings files that run our hooks.
    pub wired: Vec<WiredHost>,
    /// Sessions with captured events.
    pub sessions: u64,
    /// Captured events.
    pub events: u64,
    /// Corrections.
    pub corrections: usize,
    /// Skills (latest versions).
    pub skills: usize,
    /// When the latest event was captured.
    pub last_capture: Option<chrono::DateTime<chrono::Utc>>,
    /// The hook error log.
    pub hook_log: PathBuf,
    /// Its last lines (the most recent hook errors), oldest first.
    pub recent_errors: Vec<String>,
    /// Where payloads that could not be processed wait to be replayed.
    pub spool_dir: PathBuf,
    /// How many are waiting.
    pub spooled: usize,
    /// The team store, when one is configured or this workspace synced with one.
    pub team: Option<TeamStatus>,
    /// Problems met while gathering this status (it is still reported).
    pub warnings: Vec<String>,
}

/// The team store as [`status`] sees it, without connecting to it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TeamStatus {
    /// The configured store (`host:port/database/schema`, no credentials); None when
    /// none is configured any more.
    pub remote: Option<String>,
    /// This workspace's latest syncs.
    pub history: crate::sync::SyncHistory,
}

/// The status of `hm`'s workspace, with the wired hosts looked up under `$HOME` (see
/// [`status_with_home`]).
pub fn status(hm: &Hivemind) -> Result<Status> {
    status_with_home(hm, home_dir().as_deref())
}

/// The status of `hm`'s workspace: folds pending hook journals into the store first so
/// the counts include every capture; then reads the store, the settings files under
/// `home` (and `hm`'s project), `logs/hook.log` and `spool/` under the hivemind home.
pub fn status_with_home(hm: &Hivemind, home: Option<&Path>) -> Result<Status> {
    let config = hm.config();
    let mut warnings = Vec::new();
    if let Err(e) = hm.fold_journals() {
        warnings.push(format!("could not fold pending hook journals: {e}"));
    }
    let ws = hm.workspace();
    let store = hm.store();
    let stats = store.stats(ws)?;
    let corrections = store.corrections(ws, &CorrectionFilter::default())?.len();
    let skills = store.skill_index(ws, 1_000_000)?.len();
    let db_path = config.db_path();
    let db_bytes = std::fs::metadata(&db_path).ok().map(|m| {
        let mut wal = db_path.clone().into_os_string();
        wal.push("-wal");
        m.len()
            + std::fs::metadata(PathBuf::from(wal))
                .map(|w| w.len())
                .unwrap_or(0)
    });
    let wired = match home {
        Some(h) => wired(h, hm.project()),
        None => {
            warnings.push("HOME is not set: cannot look for the agents' settings".into());
            Vec::new()
        }
    };
    let hook_log = config.log_dir().join("hook.log");
    let recent_errors = match tail_lines(&hook_log, STATUS_LOG_LINES) {
        Ok(lines) => lines,
        Err(e) => {
            warnings.push(format!("could not read {}: {e}", hook_log.display()));
            Vec::new()
        }
    };
    let spool_dir = config.home.join("spool");
    let spooled = std::fs::read_dir(&spool_dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
                .count()
        })
        .unwrap_or(0);
    let remote = configured_team_store(config);
    let team = match crate::sync::sync_history(store.as_ref(), ws) {
        Ok(history) if remote.is_some() || history != Default::default() => {
            Some(TeamStatus { remote, history })
        }
        Ok(_) => None,
        Err(e) => {
            warnings.push(format!("could not read the sync history: {e}"));
            remote.map(|remote| TeamStatus {
                remote: Some(remote),
                history: Default::default(),
            })
        }
    };
    Ok(Status {
        home: config.home.clone(),
        db_path,
        db_bytes,
        workspace: ws.to_string(),
        project: hm.project().map(Path::to_path_buf),
        wired,
        sessions: stats.sessions,
        events: stats.events,
        corrections,
        skills,
        last_capture: stats.last_event_at,
        hook_log,
        recent_errors,
        spool_dir,
        spooled,
        team,
        warnings,
    })
}

/// The configured team store's label, read from the configuration alone.
#[cfg(feature = "postgres")]
fn configured_team_store(config: &crate::Config) -> Option<String> {
    let options = crate::store::PgOptions::from_config(config)?;
    Some(
        options
            .label()
            .unwrap_or_else(|_| crate::store::redact_url(&options.url)),
    )
}

/// The configured team store: this build cannot reach one.
#[cfg(not(feature = "postgres"))]
fn configured_team_store(config: &crate::Config) -> Option<String> {
    config
        .pg_url
        .as_deref()
        .filter(|u| !u.trim().is_empty())
        .map(|_| "configured, but this build has no PostgreSQL support".to_string())
}

/// The last `n` non-empty lines of a text file (reading at most its last 64 KiB); a
/// missing file has none.
fn tail_lines(path: &Path, n: usize) -> std::io::Result<Vec<String>> {
    const WINDOW: u64 = 64 * 1024;
    let mut f = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let len = f.metadata()?.len();
    let start = len.saturating_sub(WINDOW);
    f.seek(SeekFrom::Start(start))?;
    let mut buf = Vec::new();
    f.read_to_end(&mut buf)?;
    let text = String::from_utf8_lossy(&buf);
    let mut lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    if start > 0 && !lines.is_empty() {
        // The first line may be cut.
        lines.remove(0);
    }
    let skip = lines.len().saturating_sub(n);
    Ok(lines[skip..].iter().map(|l| l.to_string()).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    const CMD: &str = "/usr/local/bin/hivemind hook --agent claude-code";

    fn user_claude_settings() -> Value {
        json!({
            "$schema": "https://json.schemastore.org/claude-code-settings.json",
            "permissions": {"allow": ["Bash(npm test:*)"]},
            "model": "opus",
            "hooks": {
                "PreToolUse": [
                    {"matcher": "Bash", "hooks": [
                        {"type": "command", "command": "~/bin/check-bash.sh", "timeout": 5},
                        {"type": "command", "command": "echo pre"}
                    ]}
                ],
                "Notification": [
                    {"hooks": [{"type": "command", "command": "notify-send claude"}]}
                ],
                "Stop": [
                    {"hooks": [{"type": "command", "command": "afplay done.aiff", "x-extra": true}]}
                ]
            },
            "x-unknown": {"nested": [1, 2, 3]}
        })
    }

    fn commands(doc: &Value) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for (event, items) in doc["hooks"].as_object().into_iter().flatten() {
            for item in items.as_array().into_iter().flatten() {
                match item.get("hooks").and_then(Value::as_array) {
                    Some(hs) => {
                        for h in hs {
                            out.push((event.clone(), h["command"].as_str().unwrap_or("").into()));
                        }
                    }
                    None => {
                        out.push((event.clone(), item["command"].as_str().unwrap_or("").into()))
                    }
                }
            }
        }
        out
    }

    #[test]
    fn recognizes_our_commands() {
        assert!(is_hivemind_hook(CMD));
        assert!(is_hivemind_hook("hivemind hook --agent codex"));
        assert!(is_hivemind_hook(
            "'/opt/my tools/hivemind' hook --agent cursor"
        ));
        assert!(is_hivemind_hook("\"/opt/my tools/hivemind\" hook"));
        assert!(is_hivemind_hook(
            r#""C:\Program Files\hm\hivemind.exe" hook --agent codex"#
        ));
        assert!(is_hivemind_hook("/opt/my\\ tools/hivemind hook"));
        assert!(is_hivemind_hook("HIVEMIND_HOME=/tmp/x hivemind hook"));
        assert!(!is_hivemind_hook("hivemind skillify run"));
        assert!(!is_hivemind_hook("/usr/bin/hivemind-ng hook"));
        assert!(!is_hivemind_hook("echo hivemind hook"));
        assert!(!is_hivemind_hook("hivemind"));
        assert!(!is_hivemind_hook(""));
    }

    #[test]
    fn quotes_executables_with_spaces() {
        let c = hook_command(Path::new("/opt/my tools/hivemind"), Host::Codex);
        assert!(is_hivemind_hook(&c), "{c}");
        assert_ne!(c, "/opt/my tools/hivemind hook --agent codex");
        for exe in ["/opt/my tools/hivemind", "/opt/it's $HOME/hivemind"] {
            let c = hook_command(Path::new(exe), Host::Claude);
            assert_eq!(shell_words(&c, 4), [exe, "hook", "--agent", "claude-code"]);
        }
        assert_eq!(
            hook_command(Path::new("/usr/bin/hivemind"), Host::Cursor),
            "/usr/bin/hivemind hook --agent cursor"
        );
    }

    #[test]
    fn install_adds_ours_once_and_keeps_the_users_entries() {
        let original = user_claude_settings();
        let mut doc = original.clone();
        assert!(install_hooks(&mut doc, Host::Claude, CMD).unwrap());
        assert_eq!(count_hooks(&doc, Host::Claude), 7);
        for &(event, matcher) in Host::Claude.events() {
            let groups = doc["hooks"][event].as_array().unwrap();
            let ours: Vec<&Value> = groups
                .iter()
                .filter(|g| g["hooks"][0]["command"] == CMD)
                .collect();
            assert_eq!(ours.len(), 1, "{event}");
            assert_eq!(ours[0]["hooks"][0]["timeout"], 10);
            assert_eq!(ours[0].get("matcher").is_some(), matcher, "{event}");
            if matcher {
                assert_eq!(ours[0]["matcher"], "*");
            }
        }
        // The user's entries, in their order, untouched.
        assert_eq!(
            doc["hooks"]["PreToolUse"][0],
            original["hooks"]["PreToolUse"][0]
        );
        assert_eq!(doc["hooks"]["Stop"][0], original["hooks"]["Stop"][0]);
        assert_eq!(
            doc["hooks"]["Notification"],
            original["hooks"]["Notification"]
        );
        for key in ["$schema", "permissions", "model", "x-unknown"] {
            assert_eq!(doc[key], original[key], "{key}");
        }
        // Ours come after the user's.
        assert_eq!(doc["hooks"]["PreToolUse"][1]["hooks"][0]["command"], CMD);
    }

    #[test]
    fn install_twice_is_identical() {
        for host in Host::ALL {
            let mut doc = user_claude_settings();
            assert!(install_hooks(&mut doc, host, CMD).unwrap());
            let once = doc.clone();
            assert!(!install_hooks(&mut doc, host, CMD).unwrap(), "{host}");
            assert_eq!(doc, once, "{host}");
        }
    }

    #[test]
    fn uninstall_restores_the_original_exactly() {
        for host in Host::ALL {
            let original = user_claude_settings();
            let mut doc = original.clone();
            install_hooks(&mut doc, host, CMD).unwrap();
            assert!(uninstall_hooks(&mut doc, host).unwrap());
            if host == Host::Cursor {
                // Cursor's file format needs a version; it is not ours to remove.
                doc.as_object_mut().unwrap().remove("version");
            }
            assert_eq!(doc, original, "{host}");
            assert!(!uninstall_hooks(&mut doc, host).unwrap());
        }
        // A document that had no hooks at all gets back to exactly that.
        let mut doc = json!({"model": "sonnet"});
        install_hooks(&mut doc, Host::Claude, CMD).unwrap();
        uninstall_hooks(&mut doc, Host::Claude).unwrap();
        assert_eq!(doc, json!({"model": "sonnet"}));
    }

    #[test]
    fn uninstall_keeps_user_hooks_sharing_a_group_with_ours() {
        let mut doc = json!({"hooks": {"Stop": [
            {"hooks": [
                {"type": "command", "command": "echo a"},
                {"type": "command", "command": "/x/hivemind hook --agent claude-code"}
            ]},
            {"hooks": [{"type": "command", "command": "echo b"}]}
        ], "Other": {"not": "an array"}}});
        assert!(uninstall_hooks(&mut doc, Host::Claude).unwrap());
        assert_eq!(
            doc,
            json!({"hooks": {"Stop": [
                {"hooks": [{"type": "command", "command": "echo a"}]},
                {"hooks": [{"type": "command", "command": "echo b"}]}
            ], "Other": {"not": "an array"}}})
        );
    }

    #[test]
    fn an_old_path_is_replaced_not_duplicated() {
        let mut doc = user_claude_settings();
        install_hooks(
            &mut doc,
            Host::Claude,
            "/old/place/hivemind hook --agent claude-code",
        )
        .unwrap();
        // Plus a stray one of ours on an event we do not use, inside a user group.
        doc["hooks"]["Notification"][0]["hooks"]
            .as_array_mut()
            .unwrap()
            .push(json!({"type": "command", "command": "hivemind hook --agent claude-code"}));
        let mut edited = doc.clone();
        let change = install_change(&mut edited, Host::Claude, CMD).unwrap();
        assert_eq!((change.added, change.removed), (7, 8));
        let ours: Vec<(String, String)> = commands(&edited)
            .into_iter()
            .filter(|(_, c)| is_hivemind_hook(c))
            .collect();
        assert_eq!(ours.len(), 7);
        assert!(ours.iter().all(|(_, c)| c == CMD));
        assert_eq!(
            edited["hooks"]["Notification"],
            user_claude_settings()["hooks"]["Notification"]
        );
    }

    #[test]
    fn cursor_and_codex_shapes() {
        let mut cursor =
            json!({"version": 1, "hooks": {"afterFileEdit": [{"command": "./fmt.sh"}]}});
        let cmd = "/bin/hivemind hook --agent cursor";
        assert!(install_hooks(&mut cursor, Host::Cursor, cmd).unwrap());
        assert_eq!(cursor["version"], 1);
        assert_eq!(
            cursor["hooks"]["afterFileEdit"],
            json!([{"command": "./fmt.sh"}, {"command": cmd}])
        );
        for &(event, _) in Host::Cursor.events() {
            assert!(
                cursor["hooks"][event]
                    .as_array()
                    .unwrap()
                    .contains(&json!({"command": cmd})),
                "{event}"
            );
        }
        let mut fresh = json!({});
        install_hooks(&mut fresh, Host::Cursor, cmd).unwrap();
        assert_eq!(fresh["version"], 1);

        let mut codex = json!({});
        let cmd = "/bin/hivemind hook --agent codex";
        install_hooks(&mut codex, Host::Codex, cmd).unwrap();
        let events: Vec<&String> = codex["hooks"].as_object().unwrap().keys().collect();
        assert_eq!(events.len(), 5);
        assert_eq!(
            codex["hooks"]["PostToolUse"],
            json!([{"matcher": "*", "hooks": [{"type": "command", "command": cmd, "timeout": 10}]}])
        );
        assert_eq!(
            codex["hooks"]["Stop"],
            json!([{"hooks": [{"type": "command", "command": cmd, "timeout": 10}]}])
        );
        assert_eq!(
            codex.as_object().unwrap().len(),
            1,
            "Codex refuses unknown root keys"
        );
    }

    #[test]
    fn malformed_documents_are_refused_unchanged() {
        for bad in [
            json!([]),
            json!({"hooks": []}),
            json!({"hooks": {"Stop": {"x": 1}}}),
        ] {
            let mut doc = bad.clone();
            assert!(matches!(
                install_hooks(&mut doc, Host::Claude, CMD),
                Err(Error::InvalidInput(_))
            ));
            assert_eq!(doc, bad);
        }
    }

    #[test]
    fn files_invalid_json_is_an_error_and_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let (project, home) = (dir.path().join("p"), dir.path().join("h"));
        let path = settings_path(Host::Claude, Scope::Project, &project, &home);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let bad = "{\"hooks\": {,}\n";
        std::fs::write(&path, bad).unwrap();
        let exe = Path::new("/usr/bin/hivemind");
        let err = install(Host::Claude, Scope::Project, &project, &home, exe).unwrap_err();
        assert!(matches!(err, Error::InvalidInput(_)));
        assert!(
            err.to_string().contains(&path.display().to_string()),
            "{err}"
        );
        assert!(uninstall(Host::Claude, Scope::Project, &project, &home, exe).is_err());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), bad);
        assert_eq!(
            std::fs::read_dir(path.parent().unwrap()).unwrap().count(),
            1
        );
    }

    #[test]
    fn files_install_backs_up_only_on_change_and_uninstall_restores() {
        let dir = tempfile::tempdir().unwrap();
        let (project, home) = (dir.path().join("p"), dir.path().join("h"));
        let exe = Path::new("/usr/bin/hivemind");
        let path = settings_path(Host::Claude, Scope::Global, &project, &home);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let original = serde_json::to_string_pretty(&user_claude_settings()).unwrap();
        std::fs::write(&path, &original).unwrap();

        let r = install(Host::Claude, Scope::Global, &project, &home, exe).unwrap();
        assert!(r.changed);
        assert_eq!((r.added, r.removed, r.installed), (7, 0, 7));
        let b = r.backup.clone().unwrap();
        assert_eq!(std::fs::read_to_string(&b).unwrap(), original);
        assert!(b
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("settings.json.hivemind-backup-"));

        let r2 = install(Host::Claude, Scope::Global, &project, &home, exe).unwrap();
        assert!(!r2.changed);
        assert!(r2.backup.is_none());
        assert_eq!(r2.installed, 7);

        let u = uninstall(Host::Claude, Scope::Global, &project, &home, exe).unwrap();
        assert_eq!(u.removed, 7);
        let u_backup = u.backup.unwrap();
        assert_ne!(u_backup, b, "a second backup never overwrites the first");
        let after: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(after, user_claude_settings());
        assert_eq!(
            wired(&home, Some(&project)),
            Vec::<WiredHost>::new(),
            "nothing wired after uninstall"
        );

        // A missing file: created, no backup; uninstall of a missing file is a no-op.
        let r = install(Host::Cursor, Scope::Global, &project, &home, exe).unwrap();
        assert!(r.changed && r.backup.is_none());
        assert_eq!(wired_hosts(&home, &project), vec![(Host::Cursor, r.path)]);
        let u = uninstall(Host::Codex, Scope::Global, &project, &home, exe).unwrap();
        assert!(!u.changed);
        assert!(!settings_path(Host::Codex, Scope::Global, &project, &home).exists());
    }

    #[test]
    fn scopes() {
        assert_eq!(
            Scope::resolve(Host::Claude, false, false).unwrap(),
            Scope::Project
        );
        assert_eq!(
            Scope::resolve(Host::Claude, false, true).unwrap(),
            Scope::Global
        );
        assert_eq!(
            Scope::resolve(Host::Codex, false, false).unwrap(),
            Scope::Global
        );
        assert!(Scope::resolve(Host::Cursor, true, false).is_err());
        assert_eq!("claude-code".parse::<Host>().unwrap(), Host::Claude);
        assert!("vim".parse::<Host>().is_err());
    }

    #[test]
    fn status_counts_the_workspace() {
        use crate::model::{Agent, EventKind, SessionId, WorkspaceId};
        let dir = tempfile::tempdir().unwrap();
        let config = crate::Config::with_home(dir.path().join("hm"));
        let store = std::sync::Arc::new(crate::SqliteStore::open(config.db_path()).unwrap());
        let ws = WorkspaceId::new("acme").unwrap();
        let hm = Hivemind::with_store(config.clone(), store, ws.clone(), None);
        for s in ["s1", "s2"] {
            let e = hm.event(
                SessionId::new(s).unwrap(),
                Agent::ClaudeCode,
                EventKind::Prompt {
                    text: "hello".into(),
                },
            );
            hm.capture(e).unwrap();
        }
        hm.flush().unwrap();
        std::fs::create_dir_all(config.log_dir()).unwrap();
        let log: String = (0..15).map(|i| format!("{i} failure {i}\n")).collect();
        std::fs::write(config.log_dir().join("hook.log"), log).unwrap();
        std::fs::create_dir_all(config.home.join("spool")).unwrap();
        std::fs::write(config.home.join("spool/a-claude-code.json"), "{}").unwrap();
        let home = dir.path().join("home");
        install(
            Host::Codex,
            Scope::Global,
            dir.path(),
            &home,
            Path::new("/b/hivemind"),
        )
        .unwrap();

        let st = status_with_home(&hm, Some(&home)).unwrap();
        assert_eq!(
            (st.sessions, st.events, st.corrections, st.skills),
            (2, 2, 0, 0)
        );
        assert!(st.last_capture.is_some());
        assert!(st.db_bytes.unwrap() > 0);
        assert_eq!(st.recent_errors.len(), STATUS_LOG_LINES);
        assert_eq!(st.recent_errors.last().unwrap(), "14 failure 14");
        assert_eq!(st.spooled, 1);
        assert_eq!(st.wired.len(), 1);
        assert_eq!((st.wired[0].host, st.wired[0].hooks), (Host::Codex, 5));
        assert_eq!(st.workspace, "acme");
    }
}
