//! # hivemind-core
//!
//! Make coding agents learn from their users' corrections. hivemind captures every
//! prompt, tool call and response of an agent session, records each correction as
//! structured data (what the agent produced, what the user accepted, the diff, and why),
//! mines recurring corrections into `SKILL.md` files with lineage back to the
//! corrections, and puts the right lesson into the next session's context.
//!
//! ```
//! use hivemind_core::{Config, CorrectionInput, Hivemind, InMemoryStore, WorkspaceId, SessionId};
//! use std::sync::Arc;
//!
//! # fn main() -> hivemind_core::Result<()> {
//! let ws = WorkspaceId::new("acme")?;
//! let hm = Hivemind::with_store(Config::default(), Arc::new(InMemoryStore::new()), ws, None);
//! let session = SessionId::new("session-1")?;
//! for tool in ["npm install zod", "npm i lodash", "npm install date-fns"] {
//!     hm.record_correction(CorrectionInput {
//!         session: Some(session.clone()),
//!         produced: tool.into(),
//!         accepted: Some(tool.replace("npm install", "pnpm add").replace("npm i", "pnpm add")),
//!         reason: Some("we use pnpm in this repo".into()),
//!         ..Default::default()
//!     })?;
//! }
//! let report = hm.skillify_blocking()?;
//! assert_eq!(report.created.len(), 1);
//! let context = hm.context_for(&session, "install the clsx package", 2000)?;
//! assert!(context.text.contains("pnpm"));
//! # Ok(())
//! # }
//! ```
//!
//! Modules: [`model`] (plain data), [`store`] (the [`Store`] trait, SQLite, in-memory and,
//! with the `postgres` feature, PostgreSQL), [`sync`] (share corrections and skills with a
//! team store),
//! [`capture`], [`detect`] (one file per correction channel), [`skillify`], [`skills`]
//! (SKILL.md, disk, selection), [`ingest`] (hook payloads and transcripts), [`redact`].
#![warn(missing_docs)]

pub mod capture;
pub mod config;
pub mod detect;
pub mod error;
pub mod hivemind;
pub mod hook;
pub mod import;
pub mod ingest;
pub mod journal;
pub mod model;
pub mod redact;
pub mod report;
pub mod setup;
pub mod skillify;
pub mod skills;
pub mod store;
pub mod sync;

pub use capture::Capture;
pub use config::{Config, LlmConfig};
pub use error::{Error, Result};
pub use hivemind::{CorrectionInput, Hivemind};
pub use model::*;
pub use skillify::MiningScope;
pub use skillify::{Skillifier, SkillifyReport};
pub use skills::select::Selection;
pub use store::{
    InMemoryStore, Positioned, SearchHit, SearchScope, SkillSummary, SqliteStore, Store, StoreStats,
};
#[cfg(feature = "postgres")]
pub use store::{PgOptions, PostgresStore};
pub use sync::{sync, SyncOptions, SyncReport};
