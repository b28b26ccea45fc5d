//! Selecting the skills to inject, within a token budget, for one workspace only.
//!
//! - SessionStart: the most important skills in full (most corrections behind them,
//!   then most recent), then a one-line index of the rest, as the budget allows.
//! - UserPromptSubmit: the skills relevant to the prompt (BM25 over the skills' FTS
//!   index with the prompt's terms and the files the session touches), not repeating
//!   what this session already received.
//!
//! Text is cut on whole skills and always stays under the budget and under the hosts'
//! caps (Claude Code keeps 10,000 characters of hook output).

use crate::error::Result;
use crate::model::{Skill, WorkspaceId};
use crate::store::{SearchScope, Store};
use serde::Serialize;

/// Hard cap of injected characters whatever the budget (Claude Code keeps 10,000).
pub const MAX_CONTEXT_CHARS: usize = 9_000;
/// Skills considered for the SessionStart index.
const INDEX_LIMIT: usize = 200;
/// Minimum BM25 relevance for a prompt-time skill.
const MIN_PROMPT_SCORE: f64 = 0.5;

/// Estimated tokens of a text: one per 4 characters, rounded up (conservative for
/// English prose; code tokenizes denser, so budgets are kept with margin).
pub fn estimate_tokens(text: &str) -> usize {
    text.chars().count().div_ceil(4)
}

/// What was selected, and why.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Selection {
    /// The text to inject (empty: nothing to inject).
    pub text: String,
    /// Skills included in full.
    pub full: Vec<String>,
    /// Skills listed in the index only.
    pub indexed: Vec<String>,
    /// Candidate skills with their scores (support for SessionStart, BM25 for prompts).
    pub scores: Vec<(String, f64)>,
}

fn char_cap(budget_tokens: usize) -> usize {
    budget_tokens.saturating_mul(4).min(MAX_CONTEXT_CHARS)
}

/// The injected form of a skill: name, description, body without the evidence section.
pub fn render_for_context(skill: &Skill) -> String {
    let mut body = String::new();
    let mut skip = false;
    for line in skill.body.lines() {
        if line.starts_with("## ") {
            skip = line.to_lowercase().contains("evidence");
        }
        if !skip && !line.starts_with("# ") {
            body.push_str(line);
            body.push('\n');
        }
    }
    format!(
        "### {}\n{}\n\n{}\n",
        skill.name,
        skill.description,
        body.trim()
    )
}

const HEADER: &str = "# Lessons from this workspace's past corrections (hivemind)\nThe user corrected these mistakes before. Follow them before you act.\n\n";

/// Pushes `piece` when it fits under `cap` characters.
fn push_fitting(out: &mut String, piece: &str, cap: usize) -> bool {
    if out.chars().count() + piece.chars().count() <= cap {
        out.push_str(piece);
        true
    } else {
        false
    }
}

/// Context for SessionStart.
pub fn session_start(
    store: &dyn Store,
    ws: &WorkspaceId,
    budget_tokens: usize,
    already: &[String],
) -> Result<Selection> {
    let cap = char_cap(budget_tokens);
    let removed = super::lifecycle::removed(store, ws)?;
    let index: Vec<_> = store
        .skill_index(ws, INDEX_LIMIT)?
        .into_iter()
        .filter(|s| !removed.contains(s.name.as_str()))
        .collect();
    let mut sel = Selection {
        scores: index
            .iter()
            .map(|s| (s.name.to_string(), s.support as f64))
            .collect(),
        ..Default::default()
    };
    if index.is_empty() || cap <= HEADER.len() {
        return Ok(sel);
    }
    let mut out = String::from(HEADER);
    let mut rest = Vec::new();
    for s in &index {
        if already.iter().any(|a| a == s.name.as_str()) {
            continue;
        }
        let Some(skill) = store.skill(ws, &s.name)? else {
            continue;
        };
        let piece = render_for_context(&skill) + "\n";
        // Keep room for an index line of the others.
        if rest.is_empty() && push_fitting(&mut out, &piece, cap.saturating_sub(200)) {
            sel.full.push(s.name.to_string());
        } else {
            rest.push(s);
        }
        if sel.full.len() >= 8 {
            break;
        }
    }
    let remaining: Vec<_> = index
        .iter()
        .filter(|s| {
            !sel.full.iter().any(|f| f == s.name.as_str())
                && !already.iter().any(|a| a == s.name.as_str())
        })
        .collect();
    if !remaining.is_empty()
        && push_fitting(&mut out, "Other lessons (ask for details by name):\n", cap)
    {
        for s in remaining {
            let line = format!("- {}: {}\n", s.name, first_line(&s.description, 160));
            if !push_fitting(&mut out, &line, cap) {
                break;
            }
            sel.indexed.push(s.name.to_string());
        }
    }
    if sel.full.is_empty() && sel.indexed.is_empty() {
        return Ok(sel);
    }
    sel.text = out.trim_end().to_string();
    Ok(sel)
}

/// Context for one prompt: relevant skills not yet injected in this session.
pub fn for_prompt(
    store: &dyn Store,
    ws: &WorkspaceId,
    prompt: &str,
    touched: &[String],
    budget_tokens: usize,
    already: &[String],
) -> Result<Selection> {
    let cap = char_cap(budget_tokens);
    let mut query = content_terms(prompt);
    for t in touched {
        query.push(' ');
        query.push_str(t);
    }
    if query.trim().is_empty() {
        return Ok(Selection::default());
    }
    let removed = super::lifecycle::removed(store, ws)?;
    let hits: Vec<_> = store
        .search(ws, SearchScope::Skills, &query, 8)?
        .into_iter()
        .filter(|h| !removed.contains(&h.reference))
        .collect();
    let mut sel = Selection {
        scores: hits
            .iter()
            .map(|h| (h.reference.clone(), h.score))
            .collect(),
        ..Default::default()
    };
    let mut out = String::from("# Relevant lessons from past corrections (hivemind)\n\n");
    for h in hits.iter().filter(|h| h.score >= MIN_PROMPT_SCORE) {
        if already.contains(&h.reference) {
            continue;
        }
        let Ok(name) = crate::model::SkillName::new(h.reference.clone()) else {
            continue;
        };
        let Some(skill) = store.skill(ws, &name)? else {
            continue;
        };
        if push_fitting(&mut out, &(render_for_context(&skill) + "\n"), cap) {
            sel.full.push(h.reference.clone());
        }
        if sel.full.len() >= 3 {
            break;
        }
    }
    if !sel.full.is_empty() {
        sel.text = out.trim_end().to_string();
    }
    Ok(sel)
}

/// The prompt's words without the lexicon's stopwords (the search query of a prompt):
/// function words match nearly every skill, add nothing to the ranking and would make
/// the search score every skill of the workspace.
fn content_terms(prompt: &str) -> String {
    let stopwords = crate::detect::followup::CueLexicon::english().stopwords;
    prompt
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty() && !stopwords.contains(&w.to_lowercase()))
        .collect::<Vec<_>>()
        .join(" ")
}

fn first_line(text: &str, max_chars: usize) -> String {
    let line = text.lines().next().unwrap_or("");
    if line.chars().count() <= max_chars {
        line.to_string()
    } else {
        let cut: String = line.chars().take(max_chars.saturating_sub(1)).collect();
        format!("{cut}…")
    }
}

#[cfg(test)]
mod stopword_tests {
    use super::*;

    #[test]
    fn prompt_queries_drop_function_words_only() {
        assert_eq!(
            content_terms("Fix the pnpm handling in module m5, please!"),
            "Fix pnpm handling module m5"
        );
        assert_eq!(content_terms("and the of"), "");
        assert_eq!(
            content_terms("Call datetime.utcnow() in utils"),
            "Call datetime utcnow utils"
        );
    }
}
