//! The LLM skillifier (opt-in): a model writes the skill's prose from the structured
//! group. Not wired to a network client yet: every call falls back to the local miner.

use super::{CorrectionGroup, LocalSkillifier, Skillifier, Verdict};
use crate::config::LlmConfig;
use crate::error::Result;

/// Asks a model for a verdict on a group; falls back to [`LocalSkillifier`].
#[derive(Debug, Clone)]
pub struct LlmSkillifier {
    config: LlmConfig,
    fallback: LocalSkillifier,
}

impl LlmSkillifier {
    /// A skillifier for `config`.
    pub fn new(config: LlmConfig) -> Self {
        LlmSkillifier {
            config,
            fallback: LocalSkillifier,
        }
    }
}

#[async_trait::async_trait]
impl Skillifier for LlmSkillifier {
    fn author(&self) -> String {
        format!("hivemind-llm:{}", self.config.model)
    }

    async fn judge(&self, group: &CorrectionGroup) -> Result<Verdict> {
        tracing::warn!("LLM skillifier has no client yet; using the local miner");
        self.fallback.judge(group).await
    }
}
