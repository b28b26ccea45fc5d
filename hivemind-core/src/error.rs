//! The one error type of the crate.

/// Everything that can go wrong in `hivemind-core`.
///
/// Marked `#[non_exhaustive]`: match with a wildcard arm. Each variant carries a
/// message that says what is wrong in words a user can act on.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Input from a caller, a file or a hook payload is not acceptable (bad id,
    /// bad skill name, malformed JSON where JSON is required, ...).
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// The store failed (SQLite, PostgreSQL): locked, corrupt, disk full, ...
    #[error("storage error: {0}")]
    Storage(String),
    /// A file-system operation failed.
    #[error("i/o error on {path}: {source}")]
    Io {
        /// The path that was being read or written.
        path: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A model call (LLM skillifier) failed; callers fall back to the local miner.
    #[error("model error: {0}")]
    Model(String),
    /// The handle was closed before this call.
    #[error("hivemind handle is closed")]
    Closed,
}

impl Error {
    /// A stable machine-readable code (used by the Node and Python bindings).
    pub fn code(&self) -> &'static str {
        match self {
            Error::InvalidInput(_) => "HIVEMIND_INVALID_INPUT",
            Error::Storage(_) => "HIVEMIND_STORAGE",
            Error::Io { .. } => "HIVEMIND_IO",
            Error::Model(_) => "HIVEMIND_MODEL",
            Error::Closed => "HIVEMIND_CLOSED",
        }
    }

    pub(crate) fn io(path: impl AsRef<std::path::Path>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.as_ref().display().to_string(),
            source,
        }
    }

    pub(crate) fn invalid(msg: impl Into<String>) -> Self {
        Error::InvalidInput(msg.into())
    }
}

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Self {
        Error::Storage(e.to_string())
    }
}

#[cfg(feature = "postgres")]
impl From<postgres::Error> for Error {
    fn from(e: postgres::Error) -> Self {
        match e.as_db_error() {
            Some(db) => Error::Storage(format!(
                "postgres: {} {}: {}{}",
                db.severity(),
                db.code().code(),
                db.message(),
                db.detail().map(|d| format!(" ({d})")).unwrap_or_default()
            )),
            None => {
                let mut msg = format!("postgres: {e}");
                let mut source = std::error::Error::source(&e);
                while let Some(s) = source {
                    let text = s.to_string();
                    if !msg.contains(&text) {
                        msg.push_str(": ");
                        msg.push_str(&text);
                    }
                    source = s.source();
                }
                Error::Storage(msg)
            }
        }
    }
}

impl From<serde_json::Error> for Error {
    fn from(e: serde_json::Error) -> Self {
        Error::InvalidInput(format!("JSON: {e}"))
    }
}

/// `Result` with the crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
