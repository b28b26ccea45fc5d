//! Follow-up corrections: a user prompt that corrects the agent's previous output.
//!
//! A scored classifier over features, not a list of sentences. Each feature is a small
//! function of the prompt (and of the agent's last output) and has a weight; the prompt
//! is a correction when the weighted sum reaches the threshold **and** at least one
//! correction cue fired (overlap alone never makes a correction). The cue words live in a
//! [`CueLexicon`] (English by default) so another language is a new lexicon, not new
//! logic.

use serde::{Deserialize, Serialize};

/// Cue words and phrases, lowercase. Phrases match on word boundaries.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CueLexicon {
    /// Openers that reject what came before ("no", "nope", "wrong").
    pub negation_openers: Vec<String>,
    /// Openers that say "this again" ("again", "still").
    pub repetition: Vec<String>,
    /// Contrast within the prompt ("instead", "rather than", "actually", "but").
    pub contrast: Vec<String>,
    /// Imperative revert verbs ("undo", "revert", "switch", "change it back").
    pub revert_verbs: Vec<String>,
    /// Words that report a problem ("doesn't work", "broken", "naive", "wrong").
    pub problem: Vec<String>,
    /// Norm statements ("always", "never", "we use", "in this project").
    pub normative: Vec<String>,
    /// Approval ("looks good", "thanks", "perfect", "that's all").
    pub approval: Vec<String>,
    /// Partial approval that introduces a correction ("almost right", "close, but").
    pub partial_approval: Vec<String>,
    /// Question openers ("why", "what", "how", "can you").
    pub question_openers: Vec<String>,
    /// Directive verbs that, after agent output, point at a replacement ("use", "call it").
    pub directives: Vec<String>,
    /// Words ignored when measuring overlap.
    pub stopwords: Vec<String>,
}

fn v(words: &[&str]) -> Vec<String> {
    words.iter().map(|w| w.to_string()).collect()
}

impl CueLexicon {
    /// The English lexicon.
    pub fn english() -> Self {
        CueLexicon {
            negation_openers: v(&[
                "no",
                "nope",
                "nah",
                "wrong",
                "incorrect",
                "not",
                "don't",
                "do not",
                "stop",
                "wait",
            ]),
            repetition: v(&[
                "again",
                "still",
                "once more",
                "as i said",
                "i told you",
                "i already said",
                "like i said",
            ]),
            contrast: v(&[
                "instead",
                "rather than",
                "rather",
                "actually",
                "not that",
                "but",
            ]),
            revert_verbs: v(&[
                "undo",
                "revert",
                "roll back",
                "rollback",
                "put back",
                "put it back",
                "change it back",
                "go back",
                "switch",
                "remove that",
                "take out",
                "get rid of",
            ]),
            problem: v(&[
                "doesn't work",
                "does not work",
                "didn't work",
                "not working",
                "isn't working",
                "broken",
                "breaks",
                "fails",
                "failing",
                "failed",
                "error",
                "bug",
                "wrong",
                "mistake",
                "incorrect",
                "naive",
                "missing",
                "forgot",
                "you forgot",
                "not what i",
                "shouldn't",
                "should not",
                "should be",
                "that's not",
                "that is not",
                "isn't right",
                "not right",
                "hardcoded",
                "table-scan",
                "too slow",
                "insecure",
            ]),
            normative: v(&[
                "always",
                "never",
                "whenever",
                "every time",
                "in this project",
                "in this repo",
                "in this codebase",
                "here we",
                "we use",
                "we don't",
                "we do not",
                "we never",
                "we always",
                "must",
                "make sure",
                "we should",
                "you should",
                "should use",
                "should have",
                "please use",
                "don't use",
                "do not use",
            ]),
            approval: v(&[
                "looks good",
                "look good",
                "lgtm",
                "perfect",
                "great",
                "thanks",
                "thank you",
                "nice",
                "awesome",
                "ship it",
                "that's all",
                "that is all",
                "no worries",
                "no problem",
                "well done",
                "good job",
                "works now",
                "excellent",
            ]),
            partial_approval: v(&[
                "almost right",
                "almost",
                "close, but",
                "nearly",
                "mostly right",
                "good, but",
                "ok but",
                "okay but",
            ]),
            question_openers: v(&[
                "why",
                "what",
                "how",
                "where",
                "when",
                "which",
                "who",
                "can you",
                "could you",
                "would you",
                "is it",
                "is there",
                "are there",
                "do you",
                "does",
                "should we",
            ]),
            directives: v(&[
                "use",
                "call it",
                "name it",
                "rename",
                "replace",
                "make it",
                "it should",
                "it must",
            ]),
            stopwords: v(&[
                "the", "a", "an", "and", "or", "to", "of", "in", "on", "for", "it", "is", "that",
                "this", "with", "be", "as", "at", "by", "we", "you", "i", "so", "do", "not", "no",
                "please", "use", "are", "was", "there", "here", "from", "into", "can", "will",
                "just", "also", "then", "now", "all", "our", "my", "your", "its", "if", "but",
                "add", "make", "again", "always", "never",
            ]),
        }
    }
}

impl Default for CueLexicon {
    fn default() -> Self {
        Self::english()
    }
}

/// Feature weights and threshold.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FollowupWeights {
    /// The prompt opens with a negation.
    pub negation_opener: f32,
    /// Repetition cue anywhere.
    pub repetition: f32,
    /// Contrast cue anywhere.
    pub contrast: f32,
    /// The prompt opens with a contrast ("Actually, ...", "Instead, ...").
    pub contrast_opener: f32,
    /// Revert verb opening a sentence.
    pub revert_opener: f32,
    /// Revert verb elsewhere.
    pub revert: f32,
    /// Problem report.
    pub problem: f32,
    /// Norm statement.
    pub normative: f32,
    /// Partial approval introducing a correction.
    pub partial_approval: f32,
    /// Directive verb opening a sentence.
    pub directive: f32,
    /// Per content term shared with the agent's last output.
    pub overlap_per_term: f32,
    /// Cap of the overlap contribution.
    pub overlap_cap: f32,
    /// Approval (negative).
    pub approval: f32,
    /// Question (negative).
    pub question: f32,
    /// Minimum score.
    pub threshold: f32,
}

impl Default for FollowupWeights {
    fn default() -> Self {
        FollowupWeights {
            negation_opener: 2.0,
            repetition: 1.5,
            contrast: 1.0,
            contrast_opener: 1.5,
            revert_opener: 2.0,
            revert: 1.2,
            problem: 1.0,
            normative: 0.8,
            partial_approval: 1.5,
            directive: 0.5,
            overlap_per_term: 0.5,
            overlap_cap: 1.5,
            approval: -2.0,
            question: -1.5,
            threshold: 2.0,
        }
    }
}

/// The features that fired and the resulting score.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct FollowupScore {
    /// Weighted sum.
    pub score: f32,
    /// Names of the features that fired, with their contribution.
    pub features: Vec<(&'static str, f32)>,
    /// At least one correction cue fired (not only overlap).
    pub has_cue: bool,
    /// The verdict.
    pub is_correction: bool,
}

/// Lowercases and normalizes apostrophes so cue phrases match.
pub fn normalize(text: &str) -> String {
    text.to_lowercase().replace(['\u{2019}', '`'], "'")
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '\'' || c == '_'
}

/// Does `phrase` occur in `text` on word boundaries?
pub fn contains_phrase(text: &str, phrase: &str) -> bool {
    let mut start = 0;
    while let Some(i) = text[start..].find(phrase) {
        let at = start + i;
        let end = at + phrase.len();
        let before_ok = text[..at]
            .chars()
            .next_back()
            .is_none_or(|c| !is_word_char(c));
        let after_ok = text[end..].chars().next().is_none_or(|c| !is_word_char(c));
        if before_ok && after_ok {
            return true;
        }
        start = at + phrase.len().max(1);
        while start < text.len() && !text.is_char_boundary(start) {
            start += 1;
        }
        if start >= text.len() {
            break;
        }
    }
    false
}

/// Does a sentence of `text` open with `phrase`?
pub fn sentence_opens_with(text: &str, phrase: &str) -> bool {
    text.split(['.', '!', '?', ';', '\n', '-', '—', ':'])
        .map(|s| s.trim_start_matches(|c: char| !c.is_alphanumeric()))
        .any(|s| {
            s.starts_with(phrase)
                && s[phrase.len()..]
                    .chars()
                    .next()
                    .is_none_or(|c| !is_word_char(c))
        })
}

fn opens_with(text: &str, phrase: &str) -> bool {
    let t = text.trim_start_matches(|c: char| !c.is_alphanumeric());
    t.starts_with(phrase)
        && t[phrase.len()..]
            .chars()
            .next()
            .is_none_or(|c| !is_word_char(c))
}

/// Content terms of a text: lowercase words of 3+ characters (with `_`, `.`, `-` inside)
/// that are not stopwords.
pub fn content_terms(text: &str, lex: &CueLexicon) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for raw in text.split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '-' || c == '.')) {
        let w = raw
            .trim_matches(|c: char| c == '.' || c == '-')
            .to_lowercase();
        if w.chars().count() < 3 || lex.stopwords.contains(&w) {
            continue;
        }
        if !out.contains(&w) {
            out.push(w);
        }
    }
    out
}

/// Scores `prompt` as a follow-up correction of `agent_output` (the agent's last tool
/// input or response; empty when the agent produced nothing since the last prompt, in
/// which case the prompt cannot be a follow-up correction).
pub fn classify(
    prompt: &str,
    agent_output: &str,
    lex: &CueLexicon,
    w: &FollowupWeights,
) -> FollowupScore {
    let mut s = FollowupScore::default();
    if agent_output.trim().is_empty() || prompt.trim().is_empty() {
        return s;
    }
    let p = normalize(prompt);
    let add = |s: &mut FollowupScore, name: &'static str, value: f32, cue: bool| {
        s.score += value;
        s.features.push((name, value));
        if cue {
            s.has_cue = true;
        }
    };
    let partial = lex.partial_approval.iter().any(|c| contains_phrase(&p, c));
    if lex.negation_openers.iter().any(|c| opens_with(&p, c)) {
        add(&mut s, "negation_opener", w.negation_opener, true);
    }
    if lex.repetition.iter().any(|c| contains_phrase(&p, c)) {
        add(&mut s, "repetition", w.repetition, true);
    }
    if partial {
        add(&mut s, "partial_approval", w.partial_approval, true);
    } else if lex
        .contrast
        .iter()
        .any(|c| *c != "but" && opens_with(&p, c))
    {
        add(&mut s, "contrast_opener", w.contrast_opener, true);
    } else if lex
        .contrast
        .iter()
        .any(|c| contains_phrase(&p, c) && *c != "but")
        || contains_not_x(&p)
    {
        add(&mut s, "contrast", w.contrast, true);
    }
    if lex.revert_verbs.iter().any(|c| sentence_opens_with(&p, c)) {
        add(&mut s, "revert_opener", w.revert_opener, true);
    } else if lex.revert_verbs.iter().any(|c| contains_phrase(&p, c)) {
        add(&mut s, "revert", w.revert, true);
    }
    if lex.problem.iter().any(|c| contains_phrase(&p, c)) {
        add(&mut s, "problem", w.problem, true);
    }
    if lex.normative.iter().any(|c| contains_phrase(&p, c)) {
        add(&mut s, "normative", w.normative, true);
    }
    if lex.directives.iter().any(|c| sentence_opens_with(&p, c)) {
        add(&mut s, "directive", w.directive, false);
    }
    let output_terms = content_terms(agent_output, lex);
    let shared = content_terms(prompt, lex)
        .iter()
        .filter(|t| output_terms.contains(t) || normalize(agent_output).contains(t.as_str()))
        .count();
    if shared > 0 {
        let v = (shared as f32 * w.overlap_per_term).min(w.overlap_cap);
        add(&mut s, "overlap", v, false);
    }
    if !partial && lex.approval.iter().any(|c| contains_phrase(&p, c)) {
        add(&mut s, "approval", w.approval, false);
    }
    let asks =
        p.trim_end().ends_with('?') || lex.question_openers.iter().any(|c| opens_with(&p, c));
    if asks
        && !s
            .features
            .iter()
            .any(|(n, _)| *n == "negation_opener" || *n == "repetition")
    {
        add(&mut s, "question", w.question, false);
    }
    s.is_correction = s.has_cue && s.score >= w.threshold;
    s
}

/// "…, not X" / "not X but Y": a `not` followed by a content word, after the opener.
fn contains_not_x(p: &str) -> bool {
    let words: Vec<&str> = p
        .split(|c: char| !is_word_char(c))
        .filter(|w| !w.is_empty())
        .collect();
    words.iter().enumerate().skip(1).any(|(i, w)| {
        *w == "not"
            && words.get(i + 1).is_some_and(|n| {
                !matches!(
                    *n,
                    "a" | "an"
                        | "the"
                        | "sure"
                        | "yet"
                        | "only"
                        | "too"
                        | "very"
                        | "really"
                        | "be"
                        | "to"
                )
            })
            && !matches!(
                words[i - 1],
                "do" | "does"
                    | "did"
                    | "is"
                    | "are"
                    | "was"
                    | "were"
                    | "could"
                    | "would"
                    | "should"
                    | "will"
                    | "can"
                    | "have"
                    | "has"
                    | "it's"
                    | "that's"
                    | "i'm"
            )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn score(prompt: &str, out: &str) -> FollowupScore {
        classify(
            prompt,
            out,
            &CueLexicon::english(),
            &FollowupWeights::default(),
        )
    }

    fn fired(s: &FollowupScore, name: &str) -> bool {
        s.features.iter().any(|(n, _)| *n == name)
    }

    #[test]
    fn feature_negation_opener() {
        assert!(fired(
            &score("No, use pnpm", "npm install x"),
            "negation_opener"
        ));
        assert!(!fired(&score("Note the change", "x"), "negation_opener"));
    }

    #[test]
    fn feature_repetition() {
        assert!(fired(&score("It still doesn't work", "fix"), "repetition"));
        assert!(fired(&score("Again the wrong import", "x"), "repetition"));
    }

    #[test]
    fn feature_contrast_and_not_x() {
        assert!(fired(
            &score("Actually call it total, not tmp", "tmp"),
            "contrast_opener"
        ));
        assert!(fired(&score("call it total, not tmp", "tmp"), "contrast"));
        assert!(fired(&score("use x instead", "y"), "contrast"));
        assert!(!fired(&score("do not worry", "y"), "contrast"));
    }

    #[test]
    fn feature_revert() {
        assert!(fired(&score("undo the last change", "x"), "revert_opener"));
        assert!(fired(&score("please revert it", "x"), "revert"));
    }

    #[test]
    fn feature_problem_and_normative() {
        assert!(fired(&score("that is broken", "x"), "problem"));
        assert!(fired(&score("we never use that here", "x"), "normative"));
    }

    #[test]
    fn feature_overlap_counts_shared_terms() {
        let s = score("the datetime call is naive", "created_at = datetime.now()");
        assert!(fired(&s, "overlap"));
        assert!(!fired(
            &score("completely unrelated words", "x = 1"),
            "overlap"
        ));
    }

    #[test]
    fn feature_approval_and_question_are_negative() {
        assert!(fired(&score("Looks good, thanks", "x"), "approval"));
        assert!(fired(&score("Why did you do that?", "x"), "question"));
        assert!(!fired(
            &score("That's almost right, but use y", "x"),
            "approval"
        ));
    }

    #[test]
    fn verdicts() {
        let yes = [
            ("No, use pnpm", "npm install lodash"),
            ("That's almost right, but the header must be bold", "header"),
            ("undo the last change", "edited file"),
            ("it still doesn't work", "fixed the bug"),
            (
                "Actually call it grand_total, not tmp",
                "tmp is the running sum\nDocumented tmp.\n",
            ),
        ];
        for (p, o) in yes {
            assert!(score(p, o).is_correction, "{p}: {:?}", score(p, o));
        }
        let no = [
            ("Looks good, thanks. Now add a test.", "wrote x"),
            ("Perfect, ship it", "wrote x"),
            ("Nope, that's all for today", "wrote x"),
            ("Why did you group by name?", "GROUP BY name"),
            ("Add a README", "wrote x"),
        ];
        for (p, o) in no {
            assert!(!score(p, o).is_correction, "{p}: {:?}", score(p, o));
        }
        assert!(
            !score("No, use pnpm", "").is_correction,
            "no agent output, no follow-up"
        );
    }
}
