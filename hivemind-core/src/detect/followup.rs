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
    /// Interjections and politeness skipped before looking at how a prompt opens
    /// ("hmm,", "please", "ok so").
    #[serde(default)]
    pub fillers: Vec<String>,
    /// Openers that look like a negation but are not one ("no rush", "don't forget",
    /// "not bad").
    #[serde(default)]
    pub benign_openers: Vec<String>,
    /// Openers that answer a question ("no", "yes", "not yet"): after an agent question
    /// they are a reply, not a rejection.
    #[serde(default)]
    pub answer_openers: Vec<String>,
    /// Prohibitions of a practice ("we don't", "never use", "avoid").
    #[serde(default)]
    pub prohibitions: Vec<String>,
    /// Sentence openers that forbid something ("don't …", "never …"), unless the
    /// sentence opens with a benign opener ("don't forget").
    #[serde(default)]
    pub prohibition_openers: Vec<String>,
    /// Sentence openers that state the team's norm ("We pass it down to EF Core",
    /// "Everything goes through uv").
    #[serde(default)]
    pub norm_openers: Vec<String>,
    /// Contrast words that only count when they open the prompt ("Actually, …"; "what
    /// does it actually output?" is no contrast).
    #[serde(default)]
    pub opener_only_contrast: Vec<String>,
    /// Verbs of a polite request that asks for information, not a change ("could you
    /// explain that?").
    #[serde(default)]
    pub informational_verbs: Vec<String>,
    /// Questions that suggest the fix ("Shouldn't this be pinned?", "Isn't there a
    /// helper for that already?"): a correction, not a question.
    #[serde(default)]
    pub suggestive_openers: Vec<String>,
    /// One-word replies that acknowledge or steer rather than correct ("ok", "continue").
    #[serde(default)]
    pub acknowledgements: Vec<String>,
    /// Question openers that challenge a choice when a statement follows ("Why npm?
    /// We're on yarn.").
    #[serde(default)]
    pub challenge_openers: Vec<String>,
    /// Words after "we" that announce a plan, not a norm ("we are going to", "we need").
    #[serde(default)]
    pub plans: Vec<String>,
    /// Words that make a request an addition rather than a revision ("also", "next").
    #[serde(default)]
    pub additions: Vec<String>,
    /// Repetition cues that only count when they open a sentence or a problem is
    /// reported ("again", "still": "it still fails" but not "still green").
    #[serde(default)]
    pub weak_repetition: Vec<String>,
    /// Question openers that are polite requests ("can you", "could you"): a prompt
    /// made of them asks for work, it does not ask a question.
    #[serde(default)]
    pub polite_requests: Vec<String>,
    /// Imperatives that change what the agent just made ("make it", "change that"):
    /// a sentence opening with one asks for a revision.
    #[serde(default)]
    pub revision_imperatives: Vec<String>,
    /// Words that put something off or say it is not needed ("yet", "needed"): "no tests
    /// yet" and "no tests needed here" say what is not wanted now, they do not refuse
    /// what the agent did.
    #[serde(default)]
    pub deferrals: Vec<String>,
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
                "hold on",
                "hang on",
                "whoa",
            ]),
            repetition: v(&[
                "once more",
                "how many times",
                "you keep",
                "yet again",
                "every single time",
                "you always",
                "as i said",
                "i told you",
                "i already said",
                "like i said",
            ]),
            contrast: v(&[
                "i'd prefer",
                "i would prefer",
                "i'd rather",
                "i would rather",
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
                "switch to",
                "switch it",
                "switch that",
                "switch the",
                "switch back",
                "switch over",
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
                "get an error",
                "getting an error",
                "matches nothing",
                "doesn't match",
                "won't match",
                "does nothing",
                "has no effect",
                "throws an error",
                "errors out",
                "raises an error",
                "bug",
                "wrong",
                "mistake",
                "incorrect",
                "naive",
                "missing",
                "you forgot",
                "forgot to tell you",
                "forgot to mention",
                "should have mentioned",
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
                "isn't great",
                "not great",
                "not ideal",
                "isn't ideal",
                "bad idea",
                "not a good idea",
                "doesn't make sense",
                "overkill",
                "unnecessary",
                "crept in",
                "crept back",
                "slipped in",
                "snuck in",
                "need to be",
                "needs to be",
                "has to be",
                "have to be",
                "supposed to",
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
                "we always",
                "we prefer",
                "i prefer",
                "i'd prefer",
                "i'd rather",
                "i would rather",
                "must",
                "make sure",
                "we should",
                "you should",
                "should use",
                "should have",
                "please use",
                "like the existing",
                "like the other",
                "like the rest",
                "consistent with",
                "the way we",
                "as we do",
                "our convention",
                "the convention",
                "house style",
                "standardised on",
                "standardized on",
                "in this",
                "we're on",
                "we are on",
                "we already have",
                "there's already",
                "there is already",
                "belongs in",
                "belong in",
                "goes in",
                "go in",
                "lives in",
                "live in",
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
                "not bad",
                "cheers",
                "nothing else",
                "that's it",
                "all good",
                "sounds good",
                "works for me",
                "works great",
                "that's everything",
                "all set",
                "we're done",
                "done for today",
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
                "rewrite",
                "wrap",
                "give",
                "drop",
                "move",
                "keep",
                "prefer",
                "stick to",
                "stick with",
                "go with",
            ]),
            stopwords: v(&[
                "the", "a", "an", "and", "or", "to", "of", "in", "on", "for", "it", "is", "that",
                "this", "with", "be", "as", "at", "by", "we", "you", "i", "so", "do", "not", "no",
                "please", "use", "are", "was", "there", "here", "from", "into", "can", "will",
                "just", "also", "then", "now", "all", "our", "my", "your", "its", "if", "but",
                "add", "make", "again", "always", "never", "don", "doesn", "didn", "isn", "aren",
                "wasn", "weren", "won", "shouldn", "wouldn", "couldn", "hasn", "haven", "ll", "ve",
                "re",
            ]),
            fillers: v(&[
                "hmm", "hm", "um", "uh", "erm", "well", "ok", "okay", "so", "oh", "ah", "ugh",
                "hey", "please", "sorry", "honestly", "hmm ok", "also", "and", "btw",
            ]),
            benign_openers: v(&[
                "no rush",
                "no hurry",
                "no worries",
                "no problem",
                "no pressure",
                "no need to rush",
                "not bad",
                "not a problem",
                "don't forget",
                "do not forget",
                "don't worry",
                "do not worry",
                "don't hesitate",
                "not yet",
                "no thanks",
                "nothing else",
                "never mind",
                "don't bother",
                "do not bother",
                "no need",
                "not sure",
                "not certain",
                "no idea",
                "not now",
                "not right now",
                "don't rush",
                "do not rush",
                "not a blocker",
                "not urgent",
                "not a big deal",
                "not important",
            ]),
            answer_openers: v(&[
                "no", "nope", "nah", "not", "yes", "yeah", "yep", "sure", "correct",
            ]),
            prohibitions: v(&[
                "we don't",
                "we do not",
                "we never",
                "we avoid",
                "we no longer",
                "we stopped",
                "don't use",
                "do not use",
                "never use",
                "stop using",
                "no more",
                "don't add",
                "don't bring",
                "don't touch",
                "don't edit",
                "don't change",
                "don't ever",
                "we switched",
                "we've switched",
                "we moved to",
                "we've moved",
                "we migrated",
                "we've migrated",
            ]),
            prohibition_openers: v(&["don't", "do not", "never", "stop"]),
            norm_openers: v(&[
                "we",
                "we're",
                "we've",
                "our",
                "everything",
                "every",
                "here",
                "this repo",
                "this project",
                "this codebase",
            ]),
            suggestive_openers: v(&[
                "shouldn't",
                "should not",
                "isn't there",
                "is there not",
                "don't we",
                "aren't we",
                "wouldn't it be better",
                "why not",
                "can't we just",
                "couldn't you",
                "doesn't this need",
                "doesn't it need",
            ]),
            acknowledgements: v(&[
                "ok", "okay", "yes", "yep", "yeah", "sure", "continue", "proceed", "go", "next",
                "done", "thanks", "thx", "great", "perfect", "nice", "cool", "good", "lgtm",
                "retry", "again", "commit", "push", "deploy", "stop", "wait", "no", "nope", "test",
                "tests", "run", "build", "fine", "right", "correct", "agreed",
            ]),
            opener_only_contrast: v(&["actually", "rather", "but"]),
            informational_verbs: v(&[
                "explain",
                "tell",
                "show",
                "describe",
                "walk",
                "summarize",
                "summarise",
                "check",
                "run",
                "look",
                "confirm",
                "remind",
                "test",
                "try",
                "read",
                "create",
                "add",
                "write",
                "build",
                "open",
                "commit",
                "push",
                "checkout",
                "merge",
                "deploy",
                "start",
                "generate",
                "install",
                "publish",
                "release",
            ]),
            additions: v(&[
                "also",
                "too",
                "as well",
                "next",
                "another",
                "additionally",
                "then",
            ]),
            challenge_openers: v(&["why", "how come", "what's with", "since when"]),
            plans: v(&[
                "going",
                "gonna",
                "will",
                "can",
                "could",
                "might",
                "may",
                "need",
                "want",
                "just",
                "are going",
                "have to",
            ]),
            weak_repetition: v(&["again", "still"]),
            polite_requests: v(&[
                "can you",
                "could you",
                "would you",
                "will you",
                "can we",
                "could we",
                "would you mind",
            ]),
            revision_imperatives: v(&[
                "make it",
                "make that",
                "make this",
                "make them",
                "change it",
                "change that",
                "change this",
                "turn it",
                "turn that",
                "rename it",
                "rename that",
                "switch it",
                "switch that",
                "call it",
                "name it",
            ]),
            deferrals: v(&["yet", "needed", "necessary"]),
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
    /// Prohibition of a practice ("we don't", "never use").
    #[serde(default = "default_prohibition")]
    pub prohibition: f32,
    /// A terse request ending in "please" ("fqcn please", "Constructor injection,
    /// please").
    #[serde(default = "default_request")]
    pub terse_request: f32,
    /// A polite request to change what the agent just made ("Could you thread a token
    /// through that?").
    #[serde(default = "default_revise_request")]
    pub revise_request: f32,
    /// A question challenging the agent's choice, followed by a statement ("Why is
    /// there a test/ folder? We're an RSpec shop.").
    #[serde(default = "default_request")]
    pub challenge: f32,
    /// A question that suggests the fix ("Shouldn't this use X?").
    #[serde(default = "default_revise_request")]
    pub suggestion: f32,
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

fn default_prohibition() -> f32 {
    1.2
}

fn default_request() -> f32 {
    1.0
}

fn default_revise_request() -> f32 {
    1.2
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
            prohibition: default_prohibition(),
            terse_request: default_request(),
            revise_request: default_revise_request(),
            challenge: default_request(),
            suggestion: default_revise_request(),
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

/// Splits `text` into sentences: at `;`, line breaks and `—` always; at `.`, `!` and
/// `?` when a space or the end follows (so `datetime.now()` and `.unwrap()` stay whole);
/// and, with `clauses`, also at `,`, `:` and a spaced ` - `.
pub fn split_sentences(text: &str, clauses: bool) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let next = chars.peek().map(|&(_, n)| n);
        let end = match c {
            ';' | '\n' | '—' => true,
            '.' | '!' | '?' => next.is_none_or(char::is_whitespace),
            ',' | ':' => clauses,
            '-' => clauses && next == Some(' ') && text[..i].ends_with(' '),
            _ => false,
        };
        if end {
            out.push(&text[start..i]);
            start = i + c.len_utf8();
        }
    }
    out.push(&text[start..]);
    out
}

/// Does a sentence of `text` open with `phrase`?
pub fn sentence_opens_with(text: &str, phrase: &str) -> bool {
    split_sentences(text, true)
        .into_iter()
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

/// Is `token` a code identifier (`gettext_lazy`, `release-please`, `utf8`) rather than
/// a word of prose? Identifiers name one thing; two corrections that share one are
/// about the same thing, whether it is in a diff or in the user's words.
pub fn is_identifier(token: &str) -> bool {
    let inner = token.trim_matches(|c: char| c == '_' || c == '-');
    inner.contains(['_', '-'])
        || (inner.chars().any(|c| c.is_ascii_digit()) && inner.chars().any(|c| c.is_alphabetic()))
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
    classify_reply(prompt, agent_output, "", lex, w)
}

/// [`classify`], knowing the agent's last response (`last_response`, empty when
/// unknown): a prompt that opens with "no" or "yes" right after the agent asked a
/// question is an answer, not a rejection.
pub fn classify_reply(
    prompt: &str,
    agent_output: &str,
    last_response: &str,
    lex: &CueLexicon,
    w: &FollowupWeights,
) -> FollowupScore {
    let mut s = FollowupScore::default();
    if agent_output.trim().is_empty() || prompt.trim().is_empty() {
        return s;
    }
    let p = normalize(prompt);
    let lead = skip_fillers(&p, lex);
    let add = |s: &mut FollowupScore, name: &'static str, value: f32, cue: bool| {
        s.score += value;
        s.features.push((name, value));
        if cue {
            s.has_cue = true;
        }
    };
    let partial = lex.partial_approval.iter().any(|c| contains_phrase(&p, c));
    let benign = lex.benign_openers.iter().any(|c| opens_with(lead, c));
    let answers = (asks_a_question(last_response)
        && lex.answer_openers.iter().any(|c| opens_with(lead, c)))
        || speaks_of_oneself(lead, lex);
    // "don't apply anything yet": not now, which refuses nothing the agent did.
    let first_sentence = split_sentences(lead, false)
        .into_iter()
        .next()
        .unwrap_or(lead);
    let deferred = lex
        .deferrals
        .iter()
        .any(|d| contains_phrase(first_sentence, d));
    if !benign && !answers && !deferred && lex.negation_openers.iter().any(|c| opens_with(lead, c))
    {
        add(&mut s, "negation_opener", w.negation_opener, true);
    }
    let problem = lex.problem.iter().any(|c| contains_phrase(&p, c)) || says_too_much(&p);
    if lex.repetition.iter().any(|c| contains_phrase(&p, c))
        || lex
            .weak_repetition
            .iter()
            .any(|c| (problem && contains_phrase(&p, c)) || complains_of_repetition(&p, c, lex))
    {
        add(&mut s, "repetition", w.repetition, true);
    }
    if partial {
        add(&mut s, "partial_approval", w.partial_approval, true);
    } else {
        let opener = lex
            .contrast
            .iter()
            .find(|c| c.as_str() != "but" && opens_with(lead, c));
        if opener.is_some() {
            add(&mut s, "contrast_opener", w.contrast_opener, true);
        }
        // A replacement named in the prompt ("X rather than Y", "X, not Y"), besides
        // the opener.
        let refused = not_x_words(&p);
        if lex.contrast.iter().any(|c| {
            !lex.opener_only_contrast.contains(c) && Some(c) != opener && contains_phrase(&p, c)
        }) || !refused.is_empty()
        {
            add(&mut s, "contrast", w.contrast, true);
        }
        // "leading commas, not trailing": the whole reply is the fix and what it replaces.
        if !refused.is_empty() && p.split_whitespace().count() <= 6 {
            add(&mut s, "terse_contrast", w.terse_request, true);
        }
        // "Logger, not IO.puts": what the user refuses is what the agent just wrote.
        let output = normalize(agent_output);
        if refused.iter().any(|t| {
            t.chars().count() >= 2
                && !lex.stopwords.iter().any(|s| s == t)
                && contains_phrase(&output, t)
        }) {
            add(&mut s, "refuses_output", w.contrast, true);
        }
    }
    if lex
        .revert_verbs
        .iter()
        .any(|c| sentence_opens_with(lead, c))
    {
        add(&mut s, "revert_opener", w.revert_opener, true);
    } else if lex.revert_verbs.iter().any(|c| contains_phrase(&p, c)) {
        add(&mut s, "revert", w.revert, true);
    }
    if problem {
        add(&mut s, "problem", w.problem, true);
    }
    if lex.normative.iter().any(|c| contains_phrase(&p, c)) || states_a_norm(&p, lex) {
        add(&mut s, "normative", w.normative, true);
    }
    if !s.features.iter().any(|(n, _)| *n == "negation_opener") && says_no_to_something(&p, lex) {
        add(&mut s, "no_x", w.negation_opener, true);
    }
    if terse_name(&p, lex) {
        add(&mut s, "terse_name", 2.0 * w.terse_request, true);
    } else if terse_please(&p, lex) {
        add(&mut s, "terse_request", w.terse_request, true);
    }
    let suggests = lex.suggestive_openers.iter().any(|o| opens_with(lead, o));
    if suggests {
        // "Isn't there a helper for that already?": the fix exists, the agent missed it.
        let existing = contains_phrase(&p, "already");
        add(
            &mut s,
            "suggestion",
            if existing {
                2.0 * w.suggestion
            } else {
                w.suggestion
            },
            true,
        );
    }
    if challenges(lead, lex) {
        add(&mut s, "challenge", w.challenge, true);
    }
    if asks_for_a_revision(&p, lex) {
        add(&mut s, "revise_request", w.revise_request, true);
    } else if sentences(&p, lex).any(|sentence| {
        lex.revision_imperatives
            .iter()
            .any(|r| opens_with(sentence, r))
            && !lex.additions.iter().any(|a| contains_phrase(sentence, a))
    }) {
        // "Change it to a dataclass": an order to redo what the agent just made (said
        // without "could you", it needs no other cue).
        add(&mut s, "revise_imperative", 2.0 * w.revise_request, true);
    }
    let undeferred: Vec<&str> = split_sentences(&p, false)
        .into_iter()
        .filter(|sentence| !lex.deferrals.iter().any(|d| contains_phrase(sentence, d)))
        .collect();
    if !benign
        && undeferred.iter().any(|sentence| {
            lex.prohibitions
                .iter()
                .any(|c| contains_phrase(sentence, c))
        })
        || undeferred
            .iter()
            .any(|sentence| forbids_in_a_sentence(sentence, lex))
    {
        add(&mut s, "prohibition", w.prohibition, true);
    }
    let after_contrast = lex
        .contrast
        .iter()
        .find(|c| opens_with(lead, c))
        .map_or(lead, |c| skip_fillers(&lead[c.len()..], lex));
    if lex
        .directives
        .iter()
        .any(|c| sentence_opens_with(lead, c) || opens_with(after_contrast, c))
    {
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
    // "thanks! small thing, we use …": a courtesy opening, then the correction; the
    // approval counts only where it is more than a word or two before the rest.
    let sentences_of_p = split_sentences(&p, false);
    let courtesy = sentences_of_p.len() >= 2
        && sentences_of_p[0].split_whitespace().count() <= 2
        && sentences_of_p[1..]
            .iter()
            .map(|x| x.split_whitespace().count())
            .sum::<usize>()
            >= 4;
    let approving = if courtesy {
        sentences_of_p[1..]
            .iter()
            .any(|x| lex.approval.iter().any(|c| contains_phrase(x, c)))
    } else {
        lex.approval.iter().any(|c| contains_phrase(&p, c))
    };
    if !partial && approving {
        add(&mut s, "approval", w.approval, false);
    }
    if answers {
        // "No, I haven't — go ahead": a reply to the agent's question, not a rejection
        // (the opener did not count; the rest of the prompt still can).
        add(&mut s, "answer", 0.0, false);
    }
    if asks(lead, lex)
        && !suggests
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

/// Does a sentence of `p` (after its fillers) open with a prohibition ("Ugh, no —
/// don't pip install anything")? Sentences opening with a benign opener ("don't
/// forget …") do not count.
fn forbids_in_a_sentence(p: &str, lex: &CueLexicon) -> bool {
    split_sentences(p, true)
        .into_iter()
        .map(|sentence| skip_fillers(sentence, lex))
        .any(|sentence| {
            lex.prohibition_openers
                .iter()
                .any(|o| opens_with(sentence, o))
                && !lex.benign_openers.iter().any(|b| opens_with(sentence, b))
        })
}

/// "No, I don't have the logs": a reply about the user, not a rejection of the agent's
/// work ("No, I said pnpm" and "No, I meant the other file" still are).
fn speaks_of_oneself(lead: &str, lex: &CueLexicon) -> bool {
    let Some(opener) = lex
        .answer_openers
        .iter()
        .find(|o| matches!(o.as_str(), "no" | "nope" | "nah") && opens_with(lead, o))
    else {
        return false;
    };
    let words: Vec<&str> = lead[opener.len()..]
        .split(|c: char| !is_word_char(c))
        .filter(|w| !w.is_empty())
        .take(2)
        .collect();
    match words.as_slice() {
        ["i", verb] | ["i'm", verb] | ["i've", verb] => !matches!(
            *verb,
            "said" | "meant" | "asked" | "told" | "wanted" | "wrote" | "need" | "needed" | "want"
        ),
        _ => false,
    }
}

/// "10s is too tight", "that's way too long": an excess the user objects to.
fn says_too_much(p: &str) -> bool {
    let words: Vec<&str> = p
        .split(|c: char| !is_word_char(c))
        .filter(|w| !w.is_empty())
        .collect();
    words.windows(3).any(|w| {
        matches!(
            w[0],
            "is" | "it's" | "that's" | "are" | "way" | "much" | "far"
        ) && w[1] == "too"
            && !matches!(w[2], "bad" | "late" | "early")
    })
}

/// Does a sentence refuse a named thing: "no select star", "No doubles for currency"
/// (not "No, that's all", not "No need to")?
fn says_no_to_something(p: &str, lex: &CueLexicon) -> bool {
    sentences(p, lex).any(|sentence| {
        opens_with(sentence, "no")
            && names_something(&sentence[2..], lex)
            && !lex.benign_openers.iter().any(|b| opens_with(sentence, b))
            && !lex.deferrals.iter().any(|d| contains_phrase(sentence, d))
    })
}

/// Does `rest` open with a content word ("no *select* star", not "no, that's all")?
fn names_something(rest: &str, lex: &CueLexicon) -> bool {
    rest.starts_with(' ')
        && rest
            .split(|c: char| !is_word_char(c))
            .find(|w| !w.is_empty())
            .is_some_and(|w| !lex.stopwords.iter().any(|s| s == w))
}

/// The sentences of `p`, each without its leading fillers.
fn sentences<'a>(p: &'a str, lex: &'a CueLexicon) -> impl Iterator<Item = &'a str> + 'a {
    split_sentences(p, false)
        .into_iter()
        .flat_map(|sentence| sentence.split(": "))
        .map(move |sentence| skip_fillers(sentence, lex).trim_end())
        .filter(|sentence| !sentence.is_empty())
}

/// Does a sentence state the team's norm: open with "we" / "our" / "everything", or
/// end with "here" ("It's yarn here")?
fn states_a_norm(p: &str, lex: &CueLexicon) -> bool {
    sentences(p, lex).any(|sentence| {
        lex.norm_openers.iter().any(|o| {
            opens_with(sentence, o) && {
                let rest = skip_fillers(&sentence[o.len()..], lex);
                let rest = ["are ", "re "]
                    .iter()
                    .fold(rest, |r, a| r.strip_prefix(a).unwrap_or(r));
                !lex.plans.iter().any(|p| opens_with(rest, p))
            }
        }) || sentence
            .trim_end_matches(|c: char| !c.is_alphanumeric())
            .rsplit(|c: char| !is_word_char(c))
            .next()
            == Some("here")
    })
}

/// A question challenging a choice, then a statement: "Why npm? We're on yarn."
fn challenges(lead: &str, lex: &CueLexicon) -> bool {
    let Some(q) = lead.find('?') else {
        return false;
    };
    let rest = lead[q + 1..].trim();
    lex.challenge_openers.iter().any(|c| opens_with(lead, c))
        && !lead[..q].contains(['.', '!', ';'])
        && !rest.is_empty()
        && !rest.ends_with('?')
}

/// A whole prompt that only names what to use ("kebab-case.", "tabs.", "snake_case
/// please"): said right after the agent's work, it is the fix. One-word replies that
/// acknowledge or steer ("ok", "continue", "tests") are not.
fn terse_name(p: &str, lex: &CueLexicon) -> bool {
    let words: Vec<&str> = p
        .split(|c: char| !is_word_char(c) && c != '-')
        .map(|w| w.trim_matches('-'))
        .filter(|w| !w.is_empty() && !matches!(*w, "please" | "pls" | "plz"))
        .collect();
    // One code token with its punctuation ("context.push", "Switch.adaptive()").
    let bare = p
        .trim()
        .trim_end_matches(['.', '!', ',', ';'])
        .trim_end_matches(" please")
        .trim_end_matches(" pls");
    if !bare.is_empty()
        && !bare.contains(char::is_whitespace)
        && bare.chars().any(char::is_alphabetic)
        && [".", "::", "(", "->", "/"]
            .iter()
            .any(|sep| bare.split(sep).filter(|part| !part.is_empty()).count() >= 2)
    {
        return true;
    }
    match words.as_slice() {
        [w] => {
            is_identifier(w)
                || (w.chars().count() >= 3
                    && w.chars().all(char::is_alphabetic)
                    && !lex.acknowledgements.iter().any(|a| a == w)
                    && !lex.stopwords.iter().any(|s| s == w)
                    && !lex.approval.iter().any(|a| a == w))
        }
        [a, b] => is_identifier(a) && is_identifier(b),
        _ => false,
    }
}

/// A terse sentence ending in "please" ("fqcn please", "Constructor injection,
/// please").
fn terse_please(p: &str, lex: &CueLexicon) -> bool {
    // "ok. flutter test please": an acknowledged turn, then the next thing to do.
    let first = p
        .split(|c: char| !is_word_char(c))
        .find(|w| !w.is_empty())
        .unwrap_or("");
    if lex.acknowledgements.iter().any(|a| a == first) || lex.approval.iter().any(|a| a == first) {
        return false;
    }
    // The sentence, or its first clause ("Switch.adaptive pls, the material one …").
    sentences(p, lex)
        .flat_map(|sentence| [sentence, sentence.split(", ").next().unwrap_or(sentence)])
        .any(|sentence| {
            let words: Vec<&str> = sentence
                .split(|c: char| !is_word_char(c))
                .filter(|w| !w.is_empty())
                .collect();
            words.len() >= 2
                && words.len() <= 5
                && words
                    .last()
                    .is_some_and(|w| matches!(*w, "please" | "pls" | "plz"))
                && !lex.polite_requests.iter().any(|r| opens_with(sentence, r))
                && !lex.question_openers.iter().any(|q| opens_with(sentence, q))
        })
}

/// A polite request to change what the agent made ("could you thread a token through
/// that?"): it opens with a polite request, refers to the agent's work ("that", "it"),
/// does not ask for information ("could you explain that?") and is not an addition
/// ("could you also …").
fn asks_for_a_revision(p: &str, lex: &CueLexicon) -> bool {
    if lex.additions.iter().any(|a| contains_phrase(p, a)) {
        return false;
    }
    sentences(p, lex).any(|sentence| {
        let Some(r) = lex.polite_requests.iter().find(|r| opens_with(sentence, r)) else {
            return false;
        };
        let rest = skip_fillers(&sentence[r.len()..], lex);
        !lex.informational_verbs.iter().any(|v| opens_with(rest, v))
            && (lex.revision_imperatives.iter().any(|i| opens_with(rest, i))
                || refers_to_the_work(rest))
    })
}

/// Does a request point at what the agent made ("thread a token through that", "fix
/// it")? "that" opening a relative clause ("a comment that explains …") does not.
fn refers_to_the_work(rest: &str) -> bool {
    let words: Vec<&str> = rest
        .split(|c: char| !is_word_char(c))
        .filter(|w| !w.is_empty())
        .collect();
    words.iter().enumerate().any(|(i, w)| match *w {
        "it" | "this" | "those" | "these" | "them" => true,
        "that" => !words.get(i + 1).is_some_and(|next| {
            matches!(
                *next,
                "is" | "was" | "has" | "does" | "can" | "will" | "would" | "should" | "shows"
            ) || (next.len() > 3 && next.ends_with('s') && !next.ends_with("ss"))
        }),
        _ => false,
    })
}

/// Does a sentence of `p` use `word` ("again") as a complaint rather than a request?
/// It does when the word comes within the sentence's first three words ("CSV again.",
/// "Log.d again?", "Again a naive datetime") or after a "you" ("you ran go test
/// again"), unless the sentence is a polite request ("could you run it again?").
fn complains_of_repetition(p: &str, word: &str, lex: &CueLexicon) -> bool {
    // "Raw <img> tags again?": a question that ends with the word.
    let asked = format!("{word}?");
    let mut from = 0;
    while let Some(i) = p[from..].find(&asked) {
        let end = from + i;
        let start = p[..end]
            .rfind(['.', '!', '?', ';', '\n'])
            .map_or(0, |j| j + 1);
        let question = skip_fillers(&p[start..end], lex);
        if !lex.polite_requests.iter().any(|r| opens_with(question, r)) {
            return true;
        }
        from = end + asked.len();
    }
    split_sentences(p, false)
        .into_iter()
        .flat_map(|sentence| sentence.split(':'))
        .map(|sentence| skip_fillers(sentence, lex))
        .any(|sentence| {
            let words: Vec<&str> = sentence
                .split(|c: char| !is_word_char(c) && c != '.')
                .filter(|w| !w.is_empty())
                .collect();
            let Some(at) = words.iter().position(|w| *w == word) else {
                return false;
            };
            at <= 2
                || (words[..at].contains(&"you")
                    && !lex.polite_requests.iter().any(|r| opens_with(sentence, r)))
        })
}

/// `text` without its leading interjections and politeness ("hmm, ok so please ...").
fn skip_fillers<'a>(text: &'a str, lex: &CueLexicon) -> &'a str {
    let mut t = text.trim_start_matches(|c: char| !c.is_alphanumeric());
    loop {
        let Some(f) = lex.fillers.iter().find(|f| opens_with(t, f)) else {
            return t;
        };
        let rest = t[f.len()..].trim_start_matches(|c: char| !c.is_alphanumeric());
        if rest.is_empty() {
            return t;
        }
        t = rest;
    }
}

/// Does the prompt ask a question (rather than ask for work)? Its first sentence opens
/// with a question word, or its last sentence ends with `?` and is not a polite request
/// ("Can you switch that over?").
fn asks(lead: &str, lex: &CueLexicon) -> bool {
    let opens_question = |sentence: &str| {
        lex.question_openers.iter().any(|c| {
            opens_with(sentence, c) && !lex.polite_requests.iter().any(|r| opens_with(sentence, r))
        })
    };
    let trimmed = lead.trim_end();
    if !trimmed.ends_with('?') {
        // A question followed by a statement ("Why npm? We're on yarn.") states
        // something; a single sentence opening with a question word asks.
        return opens_question(lead) && !trimmed.contains(['.', '!', '?', ';']);
    }
    let last = last_sentence(&trimmed[..trimmed.len() - 1]);
    let last = skip_fillers(last, lex);
    !lex.polite_requests.iter().any(|r| opens_with(last, r))
}

/// The last sentence of `text` (after the last `.`, `!`, `?`, `;` or line break).
fn last_sentence(text: &str) -> &str {
    text.rfind(['.', '!', '?', ';', '\n'])
        .map_or(text, |i| &text[i + 1..])
        .trim()
}

/// Does the agent's response end by asking the user something (a question in its last
/// 80 characters: "Have you run init yet? I can do it.")?
fn asks_a_question(response: &str) -> bool {
    let t = response.trim_end();
    t.rfind('?').is_some_and(|i| t.len() - i <= 80)
}

/// "…, not X" / "not X but Y": a `not` followed by a content word, after the opener.
/// The words a "X, not Y" names as refused (`Y`'s first word, and its second when the
/// name goes on: "not IO.puts" gives `io` and `puts`).
fn not_x_words(p: &str) -> Vec<&str> {
    let words: Vec<&str> = p
        .split(|c: char| !is_word_char(c))
        .filter(|w| !w.is_empty())
        .collect();
    let mut out = Vec::new();
    for (i, w) in words.iter().enumerate().skip(1) {
        if not_x_at(&words, i, w) {
            out.extend(
                words
                    .get(i + 1..(i + 3).min(words.len()))
                    .unwrap_or_default(),
            );
        }
    }
    out
}

/// Is `words[i]` (`w`) the "not" of "X, not Y" (not "do not", "not a", "not yet")?
fn not_x_at(words: &[&str], i: usize, w: &str) -> bool {
    w == "not"
        && words.get(i + 1).is_some_and(|n| {
            !matches!(
                *n,
                "a" | "an" | "sure" | "yet" | "only" | "too" | "very" | "really" | "be" | "to"
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

    /// Asserts each (prompt, agent output) of `yes` is a correction and of `no` is not.
    fn assert_verdicts(yes: &[(&str, &str)], no: &[(&str, &str)]) {
        for (p, o) in yes {
            let s = score(p, o);
            assert!(s.is_correction, "{p}: {s:?}");
        }
        for (p, o) in no {
            let s = score(p, o);
            assert!(!s.is_correction, "{p}: {s:?}");
        }
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
        assert!(fired(&score("please revert it", "x"), "revert_opener"));
        assert!(fired(&score("we should revert it", "x"), "revert"));
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

    fn reply(prompt: &str, out: &str, response: &str) -> FollowupScore {
        classify_reply(
            prompt,
            out,
            response,
            &CueLexicon::english(),
            &FollowupWeights::default(),
        )
    }

    #[test]
    fn fillers_do_not_hide_the_opener() {
        let s = score("Hmm, no. Use pnpm", "npm install x");
        assert!(fired(&s, "negation_opener"), "{s:?}");
        let s = score("Please don't bring pandas in here", "import pandas as pd");
        assert!(fired(&s, "negation_opener"), "{s:?}");
        assert!(s.is_correction, "{s:?}");
    }

    #[test]
    fn benign_openers_are_not_negations() {
        for p in [
            "No rush — when you're done, add a doc comment to Entry.",
            "Don't forget to add tests for the parser.",
            "Don't worry about the IAM policy yet, just add an output.",
            "Not bad at all! Next, add a constant.",
        ] {
            let s = score(p, "wrote src/parser.rs with parse()");
            assert!(!fired(&s, "negation_opener"), "{p}: {s:?}");
            assert!(!s.is_correction, "{p}: {s:?}");
        }
        let s = score("Nope, nothing else. Cheers!", "wrote src/parser.rs");
        assert!(fired(&s, "approval") && !s.is_correction, "{s:?}");
    }

    #[test]
    fn a_no_after_an_agent_question_is_an_answer() {
        let out = "terraform plan\nError: Backend initialization required";
        let asked = "The plan failed. Have you run terraform init in this folder yet?";
        let s = reply(
            "No, I haven't — go ahead and run it, then plan again.",
            out,
            asked,
        );
        assert!(
            fired(&s, "answer") && !fired(&s, "negation_opener"),
            "{s:?}"
        );
        assert!(!s.is_correction, "{s:?}");
        // Without the question the same words reject what the agent did.
        let told = "The plan failed because the backend is not initialised.";
        let s = reply("No, run terraform init first, then plan.", out, told);
        assert!(s.is_correction, "{s:?}");
    }

    #[test]
    fn feature_prohibition() {
        let s = score(
            "Hmm, we don't use the standard log package in this service. Can you switch that over?",
            "import \"log\"\nlog.Printf(\"skipping\")",
        );
        assert!(fired(&s, "prohibition"), "{s:?}");
        assert!(
            !fired(&s, "question"),
            "a polite request is not a question: {s:?}"
        );
        assert!(s.is_correction, "{s:?}");
        assert!(!fired(
            &score("Don't forget to use the logger", "x"),
            "prohibition"
        ));
        let s = reply(
            "Ugh, no — don't pip install anything. Everything in this repo goes through uv.",
            "python manage.py makemigrations\nModuleNotFoundError: No module named 'django'",
            "Django isn't installed for this Python. Shall I pip install it first?",
        );
        assert!(
            fired(&s, "prohibition") && !fired(&s, "negation_opener"),
            "{s:?}"
        );
        assert!(s.is_correction, "{s:?}");
    }

    #[test]
    fn still_and_again_count_only_as_complaints() {
        assert!(!fired(
            &score("Make sure the suite is still green after that change.", "x"),
            "repetition"
        ));
        assert!(!fired(
            &score("Then run the plan again.", "x"),
            "repetition"
        ));
        assert!(fired(
            &score("It still fails on empty input", "x"),
            "repetition"
        ));
        assert!(fired(&score("Again a naive datetime", "x"), "repetition"));
        assert!(fired(
            &score("Hmm, CSV again. Outputs are parquet", "x"),
            "repetition"
        ));
        assert!(fired(
            &score(
                "FYI you ran plain go test again, that skips the tagged tests",
                "x"
            ),
            "repetition"
        ));
        assert!(!fired(
            &score("Could you run the suite again?", "x"),
            "repetition"
        ));
        assert!(!fired(
            &score("No, I haven't — go ahead and run it, then plan again.", "x"),
            "repetition"
        ));
    }

    #[test]
    fn a_contrast_opener_and_a_named_replacement_both_count() {
        let s = score(
            "Actually, call it ReconcileBatch rather than ProcessBatch.",
            "Switched to slog.Info",
        );
        assert!(
            fired(&s, "contrast_opener") && fired(&s, "contrast"),
            "{s:?}"
        );
        assert!(fired(&s, "directive"), "{s:?}");
        assert!(s.is_correction, "{s:?}");
    }

    #[test]
    fn requirements_and_conventions_are_cues() {
        let s = score(
            "Those verbose names need to be translatable. Wrap them in gettext_lazy like the existing fields.",
            "cancelled = models.BooleanField(\"cancelled\")\nAppointment now has new fields.",
        );
        assert!(fired(&s, "problem") && fired(&s, "normative"), "{s:?}");
        assert!(s.is_correction, "{s:?}");
    }

    #[test]
    fn questions_and_requests_are_told_apart() {
        let lex = CueLexicon::english();
        assert!(asks("why did you pick x?", &lex));
        assert!(asks("is there a reason you used x?", &lex));
        assert!(!asks("can you switch that over?", &lex));
        assert!(!asks("we use y. could you change it?", &lex));
        assert!(!asks("use y here", &lex));
        assert!(asks_a_question("Done. Should I also update the docs?"));
        assert!(asks_a_question("Have you run init yet? I can do it."));
        assert!(!asks_a_question("Added the index hint."));
    }

    #[test]
    fn held_out_phrasings() {
        let yes = [
            ("fqcn please. ansible.builtin.apt and ansible.builtin.systemd, not the bare module names.", "- name: x\n  apt:\n    name: exporter\n  systemd:\n    name: exporter"),
            ("You keep reaching for npm. It's yarn here, every single time.", "npm run build"),
            ("Field injection with @Autowired again? Constructor injection, please.", "@Autowired private InvoiceRepository repo;"),
            ("Hold on, raw <img> tags again? Every picture goes through next/image.", "<img src={src} />"),
            ("Could you thread a CancellationToken through that? We pass it all the way down to EF Core in this API.", "app.MapGet(\"/invoices\", async (LedgerDbContext db) => await db.Invoices.ToListAsync())"),
            ("Why is there a test/ folder now? We're an RSpec shop, specs live in spec/.", "test/models/invoice_test.rb\nclass InvoiceTest < ActiveSupport::TestCase"),
            ("explicit columns. no select star.", "select *\nfrom refunds"),
            ("Hmm, we switched to concurrent index builds last quarter. Same treatment here, please.", "add_index :invoices, :due_date"),
        ];
        let no = [
            ("Don't bother with a Storybook story, we're done here.", "import Image from \"next/image\""),
            ("Don't bother with schema tests for that one yet.", "select day, sum(revenue) from orders"),
            ("Not sure whether this should stay a table or become incremental — what do you suggest?", "dbt run --select fct_orders"),
            ("Let's just compile for now. What does dbt compile actually output?", "dbt run --full-refresh --target prod"),
            ("No need for tests on this one.", "def parse(): pass"),
            ("No, that's everything.", "wrote the file"),
            ("Could you explain that?", "used a CTE"),
            ("Can you also add a test for it?", "def parse(): pass"),
        ];
        assert_verdicts(&yes, &no);
    }

    #[test]
    fn refusing_a_term_of_the_output_revision_imperatives_and_deferrals() {
        assert_verdicts(
            &[
                // "X, not Y" where Y is what the agent wrote.
                ("structlog, not print", "print(\"saved\", order.id)"),
                ("Make that a constant please", "timeout = 30\nretries = 3"),
                (
                    "change it to a dataclass",
                    "class Point:\n    def __init__(self, x, y): ...",
                ),
            ],
            &[
                // Y is not in the agent's output: a plain instruction.
                (
                    "Next the export endpoint, not the import one.",
                    "def save(order): ...",
                ),
                // A deferral states what does not exist yet.
                (
                    "Great. No docs for it yet, I'll do them next week.",
                    "def export(rows): ...",
                ),
                ("Make a new endpoint for the export", "def save(order): ..."),
                ("Make it also log the order id", "def save(order): ..."),
            ],
        );
        assert_verdicts(
            &[
                (
                    "leading commas, not trailing",
                    "select\n  month,\n  plan\nfrom t",
                ),
                ("context.push", "Navigator.of(context).push(route);"),
            ],
            &[
                // A noun, not the verb "switch to".
                (
                    "Add a switch on each alert to turn it on/off.",
                    "class AlertsPage {}\nswitch (x) {}",
                ),
                // Acknowledged, then the next thing to do.
                (
                    "ok. flutter test please",
                    "import 'package:flutter/material.dart';",
                ),
                // "that" opens a relative clause: an addition, not a revision.
                (
                    "Can you put a comment on top that explains how an upgrade is decided?",
                    "create view plan_changes as select 1",
                ),
            ],
        );
        assert_verdicts(
            &[
                ("computeDist is vague. call it haversine_km", "double computeDist(LatLon a, LatLon b);"),
                (
                    "thanks! small thing, we use #pragma once in our headers instead of ifndef guards",
                    "#ifndef GEO_BBOX_HPP\n#define GEO_BBOX_HPP\n#endif",
                ),
                (
                    "the service selector still says app: web so it matches nothing now",
                    "kind: Service\nspec:\n  selector:\n    app: web",
                ),
            ],
            &[
                ("don't apply anything yet, just render the overlay", "kubectl apply -k overlays/staging"),
                ("Great, thanks. No tests needed here, this is a spike.", "def spike(): ..."),
            ],
        );
        // A terse "X pls" clause opening a longer sentence is a request for the fix.
        let s = score(
            "Switch.adaptive pls, the material one looks off on iPhone.",
            "Switch(value: alert.enabled, onChanged: toggle)",
        );
        assert!(fired(&s, "terse_request"), "{s:?}");
        let s = score("structlog, not print", "print(\"saved\", order.id)");
        assert!(fired(&s, "refuses_output"), "{s:?}");
        let s = score(
            "Thanks. No tests yet, I'll add them later",
            "def export(rows): ...",
        );
        assert!(!fired(&s, "no_x") && !s.is_correction, "{s:?}");
        let s = score("Thanks. No floats for money though.", "price: float");
        assert!(fired(&s, "no_x"), "{s:?}");
    }

    #[test]
    fn terse_names_and_not_now() {
        let s = score(
            "kebab-case.",
            "cmd.Flags().BoolVar(&dryRun, \"dryRun\", false, \"\")",
        );
        assert!(s.is_correction, "{s:?}");
        for p in [
            "Not now — first add the /stations/<id> endpoint with a 404 if it is missing.",
            "Now return a clear error when the station does not exist",
            "Continue.",
            "Install date-fns too",
        ] {
            let s = score(
                p,
                "func Fetch(station string) (*Table, error) { return nil, err }",
            );
            assert!(!s.is_correction, "{p}: {s:?}");
        }
    }

    #[test]
    fn preferences_and_excess() {
        let s = score(
            "I'd prefer 'Tide Tables' as the title — marketing asked for that wording.",
            "<title>Tides</title>",
        );
        assert!(fired(&s, "contrast_opener") && s.is_correction, "{s:?}");
        let s = score(
            "10s is too tight, the endpoint is slow in the mornings — use 45 seconds for this client.",
            "var client = &http.Client{Timeout: 10 * time.Second}",
        );
        assert!(fired(&s, "problem"), "{s:?}");
        assert!(s.is_correction, "{s:?}");
        assert!(!fired(&score("Me too, thanks", "x"), "problem"));
    }

    #[test]
    fn round_four_phrasings() {
        let yes = [
            ("async pls", "def list_accounts(db: Session):\n    return db.query(Account).all()"),
            ("tabs.", "public final class Money {\n    private final long cents;\n}"),
            ("Shouldn't setup-terraform be pinned to a full commit SHA like checkout is? Tags can be moved under us.", "uses: hashicorp/setup-terraform@v3\nuses: actions/checkout@8ade135"),
            ("isn't there default_tags on the provider for that already?", "tags = { team = \"platform\" }"),
            ("We had a panic in staging last week. So: no .unwrap() in handlers - return Result<_, AppError> and use ?.", "let user = repo.find(id).await.unwrap();"),
            ("spaces crept in again, this repo is tabs only", "    public Money add(Money other) {"),
        ];
        let no = [
            ("Don't rush, but can you also add a --memo option to transfer?", "def transfer(amount: int): ..."),
            ("No, I don't have the logs from the failed run. Just make reconcile print a summary line at the end.", "def reconcile(): ..."),
            ("Not a blocker, but add a TODO to turn on point-in-time recovery later", "resource \"aws_dynamodb_table\" \"keys\" {}"),
            ("continue", "wrote x"),
            ("ok", "wrote x"),
        ];
        assert_verdicts(&yes, &no);
        assert!(score("No, I said pnpm", "npm install zod").is_correction);
    }

    #[test]
    fn plans_and_new_work_are_not_corrections() {
        for p in [
            "can you create a pull request for this work and then checkout a new branch from main",
            "read plan.md and roadmap.md. We are going to plan the work for creating the plugin.",
            "can you test it by running `claude` yourself, with `-p /session-share:publish`?",
        ] {
            let s = score(
                p,
                "Wrote plugin/index.ts and the session-share command; plan.md updated.",
            );
            assert!(!s.is_correction, "{p}: {s:?}");
        }
        assert!(!states_a_norm(
            "we're going to add a cache",
            &CueLexicon::english()
        ));
        assert!(states_a_norm("we use pnpm here", &CueLexicon::english()));
    }

    #[test]
    fn a_second_correction_opened_with_also() {
        let s = score(
            "Also, don't hand-roll body checks with typeof. Define a zod schema for the body and use safeParse.",
            "if (typeof req.body.qty !== 'number') { return res.status(400).end(); }",
        );
        assert!(fired(&s, "negation_opener") && s.is_correction, "{s:?}");
        assert!(!score("Also add a test for the empty cart", "wrote cart.ts").is_correction);
    }
}
