//! Skills on disk and in context: the SKILL.md format, writing skills where hosts find
//! them, what people decided about them (removed, promoted), and selecting which ones
//! to inject.

pub mod format;
pub mod install;
pub mod lifecycle;
pub mod select;
