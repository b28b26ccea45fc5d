//! Validated identifiers.

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::fmt;

fn check_id(kind: &str, s: &str, max: usize) -> Result<()> {
    if s.is_empty() {
        return Err(Error::invalid(format!("{kind} must not be empty")));
    }
    if s.len() > max {
        return Err(Error::invalid(format!(
            "{kind} is {} bytes long; the limit is {max}",
            s.len()
        )));
    }
    if let Some(c) = s
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':' | '@' | '/')))
    {
        return Err(Error::invalid(format!(
            "{kind} {s:?} contains {c:?}; use letters, digits and - _ . : @ /"
        )));
    }
    if s.starts_with(['.', '/']) || s.contains("..") {
        return Err(Error::invalid(format!(
            "{kind} {s:?} must not start with '.' or '/' or contain '..'"
        )));
    }
    Ok(())
}

macro_rules! id_type {
    ($(#[$m:meta])* $name:ident, $label:expr, $max:expr) => {
        $(#[$m])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// Validates and wraps `s`; an [`Error::InvalidInput`] says what is wrong.
            pub fn new(s: impl Into<String>) -> Result<Self> {
                let s = s.into();
                check_id($label, &s, $max)?;
                Ok(Self(s))
            }
            /// The identifier as a string slice.
            pub fn as_str(&self) -> &str {
                &self.0
            }
            /// Wraps a constant known to be valid (crate-internal).
            #[allow(dead_code)]
            pub(crate) fn trusted(s: &'static str) -> Self {
                Self(s.to_string())
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl TryFrom<String> for $name {
            type Error = Error;
            fn try_from(s: String) -> Result<Self> {
                Self::new(s)
            }
        }
        impl From<$name> for String {
            fn from(v: $name) -> String {
                v.0
            }
        }
        impl std::str::FromStr for $name {
            type Err = Error;
            fn from_str(s: &str) -> Result<Self> {
                Self::new(s)
            }
        }
    };
}

id_type!(
    /// A workspace: the scope of everything learned. Nothing learned in one workspace is
    /// ever returned in another. 1–128 characters of `[A-Za-z0-9-_.:@/]`, no `..`.
    WorkspaceId,
    "workspace id",
    128
);
id_type!(
    /// A session of an agent host (Claude Code's `session_id`, a Codex rollout id, ...).
    SessionId,
    "session id",
    200
);

/// A time-ordered event id (UUIDv7), or a deterministic one derived from a source
/// (a transcript line's uuid) so that importing twice adds nothing.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct EventId(String);

/// Namespace for deterministic ids derived from sources.
const ID_NAMESPACE: uuid::Uuid = uuid::Uuid::from_u128(0x6869_7665_6d69_6e64_0000_0000_0000_0001);

impl EventId {
    /// A fresh, time-ordered id (UUIDv7).
    pub fn generate() -> Self {
        Self(uuid::Uuid::now_v7().to_string())
    }
    /// A deterministic id for an event that comes from a stable source key
    /// (e.g. `"claude:<session>:<line uuid>"`): the same key always gives the same id.
    pub fn derived(source_key: &str) -> Self {
        Self(uuid::Uuid::new_v5(&ID_NAMESPACE, source_key.as_bytes()).to_string())
    }
    /// Parses an id given by a caller; it must be a UUID.
    pub fn new(s: impl Into<String>) -> Result<Self> {
        let s = s.into();
        uuid::Uuid::parse_str(&s)
            .map_err(|e| Error::invalid(format!("event id {s:?} is not a UUID: {e}")))?;
        Ok(Self(s))
    }
    /// The id as a string slice.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for EventId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
impl TryFrom<String> for EventId {
    type Error = Error;
    fn try_from(s: String) -> Result<Self> {
        Self::new(s)
    }
}
impl From<EventId> for String {
    fn from(v: EventId) -> String {
        v.0
    }
}

/// A correction id: same shape as [`EventId`] (UUIDv7 or derived).
pub type CorrectionId = EventId;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workspace_ids_are_validated() {
        assert!(WorkspaceId::new("acme").is_ok());
        assert!(WorkspaceId::new("github.com/acme/shop-web").is_ok());
        for bad in ["", "../etc", "/abs", "a b", "x\u{0}", "a..b"] {
            let err = WorkspaceId::new(bad).unwrap_err();
            assert!(matches!(err, Error::InvalidInput(_)), "{bad:?}");
        }
        assert!(WorkspaceId::new("x".repeat(129)).is_err());
    }

    #[test]
    fn event_ids_are_time_ordered_and_derivable() {
        let a = EventId::generate();
        let b = EventId::generate();
        assert!(a <= b || a.as_str()[..8] == b.as_str()[..8]);
        assert_eq!(EventId::derived("k"), EventId::derived("k"));
        assert_ne!(EventId::derived("k"), EventId::derived("j"));
        assert!(EventId::new("not-a-uuid").is_err());
    }

    #[test]
    fn serde_rejects_bad_ids() {
        let r: std::result::Result<WorkspaceId, _> = serde_json::from_str("\"../x\"");
        assert!(r.is_err());
    }
}
