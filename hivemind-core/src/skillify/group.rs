//! Grouping corrections by what they change, not by their raw text.
//!
//! Each correction becomes a sparse feature vector: the tokens its diff removes (`-tok`)
//! and adds (`+tok`), the content terms of the user's reason, the target's file name,
//! extension and tool. Weights are scaled by inverse document frequency over the
//! workspace, and corrections join the most similar group (cosine of the group's
//! centroid) above a threshold, in time order, so the result is deterministic.

use crate::detect::followup::{content_terms, is_identifier, CueLexicon};
use crate::model::{Correction, Target};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

/// A sparse feature vector.
pub type Features = BTreeMap<String, f32>;

/// How many of a correction's strongest content features look up candidate groups.
const CANDIDATE_FEATURES: usize = 12;

/// How many of a group's latest members a correction is also compared with.
const MEMBERS_COMPARED: usize = 16;

/// The weight of the similarity to the nearest member against that to the centroid.
const MEMBER_DISCOUNT: f32 = 0.85;

/// A word of prose one member of a group uses is part of what the group is about if it
/// weighs at least this share of the group's strongest feature.
const WORD_SHARE: f32 = 0.25;

/// The prefix of a change of form (`form:+tabs`, `form:+leading-commas`,
/// `form:suffix+page`): specific enough that sharing one is evidence on its own.
const FORM: &str = "form:";

/// The prefix of a token a correction removed and its reason names (`named:-repo`).
const NAMED: &str = "named:";

/// Minimum cosine similarity to join a group.
pub const JOIN_THRESHOLD: f32 = 0.3;

/// Words too generic to characterize a correction's change.
const GENERIC: &[&str] = &[
    "function", "return", "const", "let", "var", "def", "import", "from", "export", "class",
    "true", "false", "null", "none", "self", "this", "new",
];

/// Identifier-like tokens of code or prose: `[A-Za-z0-9_-]` runs of 2+ characters,
/// lowercased, numbers alone dropped.
pub fn code_tokens(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for raw in text.split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '-')) {
        let t = raw.trim_matches('-').to_lowercase();
        if t.chars().count() < 2
            || t.chars()
                .all(|c| c.is_ascii_digit() || c == '-' || c == '.')
        {
            continue;
        }
        out.push(t);
    }
    out
}

/// Tokens only in removed lines, and tokens only in added lines.
pub fn changed_tokens(c: &Correction) -> (Vec<String>, Vec<String>) {
    if c.accepted.is_none() || c.diff.is_empty() {
        // Nothing accepted: the whole proposal was refused.
        let mut removed: Vec<String> = code_tokens(&c.produced);
        removed.sort();
        removed.dedup();
        return (removed, Vec::new());
    }
    let removed: HashSet<String> = c.diff.removed_lines().flat_map(code_tokens).collect();
    let added: HashSet<String> = c.diff.added_lines().flat_map(code_tokens).collect();
    let mut r: Vec<String> = removed.difference(&added).cloned().collect();
    let mut a: Vec<String> = added.difference(&removed).cloned().collect();
    r.sort();
    a.sort();
    (r, a)
}

/// The shapes of code a token list cannot see: a name and the punctuation right after
/// it, up to three characters, when there are at least two (`style={{`, `unwrap()`,
/// `user!.`). `style={{ … }}` and `style={styles.x}` have the same tokens and different
/// shapes, so an inline style object a user replaced is a feature, and a rejected
/// proposal that has one shares it. Quotes end a shape (string contents are not code).
pub fn code_shapes(text: &str) -> HashSet<String> {
    let mut out = HashSet::new();
    let mut chars = text.char_indices().peekable();
    while let Some((start, c)) = chars.next() {
        if !(c.is_alphanumeric() || c == '_') {
            continue;
        }
        let mut end = start + c.len_utf8();
        while let Some(&(i, c)) = chars.peek() {
            if !(c.is_alphanumeric() || c == '_') {
                break;
            }
            end = i + c.len_utf8();
            chars.next();
        }
        let name = &text[start..end];
        if name.chars().count() < 2 || name.chars().all(|c| c.is_ascii_digit()) {
            continue;
        }
        let punct: String = text[end..]
            .chars()
            .take_while(|c| c.is_ascii_punctuation() && !matches!(c, '\'' | '"' | '`'))
            .take(3)
            .collect();
        if punct.len() >= 2 {
            out.insert(format!("{}{punct}", name.to_lowercase()));
        }
    }
    out
}

/// Shapes only in removed lines, and shapes only in added lines (see [`code_shapes`]).
/// A proposal refused whole has all its shapes removed.
pub fn changed_shapes(c: &Correction) -> (Vec<String>, Vec<String>) {
    let collect = |lines: &mut dyn Iterator<Item = &str>| {
        let mut set = HashSet::new();
        for l in lines {
            set.extend(code_shapes(l));
        }
        set
    };
    if c.accepted.is_none() || c.diff.is_empty() {
        let mut removed: Vec<String> = code_shapes(&c.produced).into_iter().collect();
        removed.sort();
        return (removed, Vec::new());
    }
    let removed = collect(&mut c.diff.removed_lines());
    let added = collect(&mut c.diff.added_lines());
    let mut r: Vec<String> = removed.difference(&added).cloned().collect();
    let mut a: Vec<String> = added.difference(&removed).cloned().collect();
    r.sort();
    a.sort();
    (r, a)
}

/// How much more a code identifier weighs than a word of prose.
const IDENTIFIER_BOOST: f32 = 1.5;

/// The naming style of an identifier, if it has a distinctive one.
pub fn naming_style(token: &str) -> Option<&'static str> {
    let t = token.trim_matches(|c: char| c == '-' || c == '_');
    if t.len() < 3
        || !t
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        return None;
    }
    let (lower, upper) = (
        t.chars().any(|c| c.is_ascii_lowercase()),
        t.chars().any(|c| c.is_ascii_uppercase()),
    );
    match (t.contains('_'), t.contains('-')) {
        (true, false) if !upper => Some("snake"),
        (true, false) if !lower => Some("screaming"),
        (false, true) if !upper => Some("kebab"),
        (false, false) if lower && upper => {
            if t.starts_with(|c: char| c.is_ascii_uppercase()) {
                Some("pascal")
            } else {
                Some("camel")
            }
        }
        _ => None,
    }
}

fn words<'a>(lines: impl Iterator<Item = &'a str>) -> HashSet<&'a str> {
    lines
        .flat_map(|l| l.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-')))
        .filter(|w| !w.is_empty())
        .collect()
}

fn styles<'a>(tokens: impl Iterator<Item = &'a str>) -> BTreeSet<&'static str> {
    tokens.filter_map(naming_style).collect()
}

/// A change of naming style in a diff (`"dryRun"` → `"dry-run"`): the styles of the
/// names only its removed lines have, and of the names only its added lines have,
/// each without the styles the other side also introduces.
pub fn style_change(c: &Correction) -> (Vec<&'static str>, Vec<&'static str>) {
    if c.accepted.is_none() || c.diff.is_empty() {
        return (Vec::new(), Vec::new());
    }
    let removed = words(c.diff.removed_lines());
    let added = words(c.diff.added_lines());
    let gone = styles(removed.difference(&added).copied());
    let new = styles(added.difference(&removed).copied());
    (
        gone.difference(&new).copied().collect(),
        new.difference(&gone).copied().collect(),
    )
}

/// The words of an identifier (`StationMapScreen` → station, map, screen;
/// `week_tides_page` → week, tides, page), lowercase.
fn name_words(name: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut prev_lower = false;
    for c in name.chars() {
        if c == '_' || c == '-' {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            prev_lower = false;
            continue;
        }
        if c.is_uppercase() && prev_lower && !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
        prev_lower = c.is_lowercase() || c.is_ascii_digit();
        cur.extend(c.to_lowercase());
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Renames that keep a name and change its last word (`StationMapScreen` →
/// `StationMapPage`, `user_service` → `user_repository`): the words given up and the
/// words taken instead. A naming convention shows in them even when no name repeats.
/// A proposal refused whole is compared with the names its user's words give.
pub fn suffix_change(c: &Correction) -> (Vec<String>, Vec<String>) {
    let (before, after): (HashSet<&str>, HashSet<&str>) =
        if c.accepted.is_none() || c.diff.is_empty() {
            match &c.reason {
                Some(r) => (words(c.produced.lines()), words(r.lines())),
                None => return (Vec::new(), Vec::new()),
            }
        } else {
            (words(c.diff.removed_lines()), words(c.diff.added_lines()))
        };
    let split = |set: &HashSet<&str>| -> Vec<Vec<String>> {
        set.iter()
            .map(|w| name_words(w))
            .filter(|parts| parts.len() >= 2)
            .collect()
    };
    let (old, new) = (split(&before), split(&after));
    let (mut gone, mut taken) = (BTreeSet::new(), BTreeSet::new());
    for o in &old {
        for n in &new {
            let (Some((ol, ostem)), Some((nl, nstem))) = (o.split_last(), n.split_last()) else {
                continue;
            };
            if ostem == nstem && ol != nl && ol.len() > 2 && nl.len() > 2 {
                gone.insert(ol.clone());
                taken.insert(nl.clone());
            }
        }
    }
    let gone: Vec<String> = gone.difference(&taken).cloned().collect();
    let taken: Vec<String> = taken.into_iter().filter(|t| !gone.contains(t)).collect();
    (gone, taken)
}

/// Changes of form a token diff cannot see: indentation that turned from spaces to
/// tabs (or back), and relative import paths (`../../lib/x`) that became an alias
/// (`$lib/x`, `@/x`, `~/x`) or the reverse.
pub fn form_change(c: &Correction) -> Vec<&'static str> {
    let mut out = Vec::new();
    if c.accepted.is_none() || c.diff.is_empty() {
        return out;
    }
    let indent = |lines: &mut dyn Iterator<Item = &str>| {
        let (mut tabs, mut spaces) = (0, 0);
        for l in lines {
            if l.starts_with('\t') {
                tabs += 1;
            } else if l.starts_with("  ") {
                spaces += 1;
            }
        }
        (tabs, spaces)
    };
    let (rt, rs) = indent(&mut c.diff.removed_lines());
    let (at, as_) = indent(&mut c.diff.added_lines());
    if rs > 0 && at > 0 && at >= as_ && rt == 0 {
        out.push("+tabs");
    } else if rt > 0 && as_ > 0 && as_ >= at && at == 0 {
        out.push("+spaces");
    }
    let relative =
        |lines: &mut dyn Iterator<Item = &str>| lines.filter(|l| l.contains("../")).count();
    let aliased = |lines: &mut dyn Iterator<Item = &str>| {
        lines
            .filter(|l| {
                ["'$", "\"$", "'@/", "\"@/", "'~/", "\"~/"]
                    .iter()
                    .any(|a| l.contains(a))
            })
            .count()
    };
    let (rr, ar) = (
        relative(&mut c.diff.removed_lines()),
        relative(&mut c.diff.added_lines()),
    );
    let (ra, aa) = (
        aliased(&mut c.diff.removed_lines()),
        aliased(&mut c.diff.added_lines()),
    );
    if rr > ar && aa > ra {
        out.push("+alias-import");
    } else if ar > rr && ra > aa {
        out.push("+relative-import");
    }
    // Separators moved from the end of lines to their start (SQL's leading commas).
    let ends = |lines: &mut dyn Iterator<Item = &str>| {
        lines.filter(|l| l.trim_end().ends_with(',')).count()
    };
    let starts = |lines: &mut dyn Iterator<Item = &str>| {
        lines.filter(|l| l.trim_start().starts_with(',')).count()
    };
    let (re, ae) = (
        ends(&mut c.diff.removed_lines()),
        ends(&mut c.diff.added_lines()),
    );
    let (rs2, as2) = (
        starts(&mut c.diff.removed_lines()),
        starts(&mut c.diff.added_lines()),
    );
    if re > ae && as2 > rs2 {
        out.push("+leading-commas");
    } else if ae > re && rs2 > as2 {
        out.push("+trailing-commas");
    }
    out
}

/// The raw (un-weighted) features of a correction.
pub fn features(c: &Correction, lex: &CueLexicon) -> Features {
    let mut f = Features::new();
    let mut add = |k: String, w: f32| {
        let w = if !k.contains(':') && is_identifier(k.trim_start_matches(['+', '-'])) {
            w * IDENTIFIER_BOOST
        } else {
            w
        };
        let e = f.entry(k).or_insert(0.0);
        *e = e.max(w);
    };
    let (removed, added) = changed_tokens(c);
    let refused_whole = c.accepted.is_none() || c.diff.is_empty();
    // A proposal refused whole is mostly context (the file it would have written); when
    // the user said why, the words carry the lesson and its tokens weigh less still.
    let (refused_removed, refused_plain) = if c.reason.is_some() {
        (0.4, 0.3)
    } else {
        (0.7, 0.5)
    };
    for t in removed.iter().filter(|t| !GENERIC.contains(&t.as_str())) {
        add(
            format!("-{t}"),
            if refused_whole { refused_removed } else { 2.0 },
        );
        add(t.clone(), if refused_whole { refused_plain } else { 1.0 });
    }
    for t in added.iter().filter(|t| !GENERIC.contains(&t.as_str())) {
        add(format!("+{t}"), 2.0);
        add(t.clone(), 1.0);
    }
    let (shapes_removed, shapes_added) = changed_shapes(c);
    for sh in shapes_removed {
        add(
            format!("-shape:{sh}"),
            if refused_whole { 0.4 } else { 0.6 },
        );
    }
    for sh in shapes_added {
        add(format!("+shape:{sh}"), 0.6);
    }
    // A naming convention is a pattern even when no name repeats: `dryRun` → `dry-run`
    // and `outputFormat` → `output-format` are one lesson.
    let (from, to) = style_change(c);
    for st in from {
        add(format!("style:-{st}"), 1.0);
    }
    for st in to {
        add(format!("style:+{st}"), 1.5);
    }
    for form in form_change(c) {
        add(format!("{FORM}{form}"), 2.0);
    }
    let (gone, taken) = suffix_change(c);
    for w in gone {
        add(format!("style:suffix-{w}"), 1.0);
    }
    for w in taken {
        add(format!("{FORM}suffix+{w}"), 2.0);
    }
    if let Some(reason) = &c.reason {
        let named: HashSet<String> = content_terms(reason, lex)
            .iter()
            .flat_map(|t| code_tokens(t))
            .collect();
        // What the user's words name and the change removed is what the correction is
        // about ("we don't call Repo from controllers" and a diff without `Repo`).
        for t in removed
            .iter()
            .filter(|t| named.contains(*t) && !GENERIC.contains(&t.as_str()))
        {
            add(format!("{NAMED}-{t}"), 1.0);
        }
        for t in content_terms(reason, lex) {
            for part in code_tokens(&t) {
                if !lex.stopwords.contains(&part) {
                    // A refusal with nothing accepted says what to use only in words
                    // ("no joi - we validate with zod"): its words stand for the
                    // tokens a diff would have added.
                    if refused_whole && !GENERIC.contains(&part.as_str()) {
                        add(format!("+{part}"), 1.0);
                    }
                    add(part, 1.2);
                }
            }
        }
    }
    match &c.target {
        Target::File(p) => {
            let path = std::path::Path::new(p);
            if let Some(name) = path.file_name() {
                add(
                    format!("file:{}", name.to_string_lossy().to_lowercase()),
                    1.5,
                );
            }
            if let Some(ext) = path.extension() {
                add(format!("ext:{}", ext.to_string_lossy().to_lowercase()), 0.4);
            }
        }
        Target::Tool(t) => add(format!("tool:{}", t.to_lowercase()), 0.6),
        Target::Response => add("target:response".into(), 0.2),
    }
    f
}

fn norm(v: &Features) -> f32 {
    v.values().map(|x| x * x).sum::<f32>().sqrt()
}

/// Cosine similarity of two sparse vectors.
pub fn cosine(a: &Features, b: &Features) -> f32 {
    let (na, nb) = (norm(a), norm(b));
    if na == 0.0 || nb == 0.0 {
        return 0.0;
    }
    let (small, large) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    let dot: f32 = small
        .iter()
        .filter_map(|(k, x)| large.get(k).map(|y| x * y))
        .sum();
    dot / (na * nb)
}

/// A group of similar corrections (indexes into the input slice).
#[derive(Debug, Clone, Default)]
pub struct Group {
    /// Members, in time order.
    pub members: Vec<usize>,
    /// Sum of the members' weighted vectors.
    pub centroid: Features,
}

/// IDF-weighted vectors of `corrections`.
pub fn weighted(corrections: &[Correction], lex: &CueLexicon) -> Vec<Features> {
    let raw: Vec<Features> = corrections.iter().map(|c| features(c, lex)).collect();
    let mut df: HashMap<&str, usize> = HashMap::new();
    for f in &raw {
        for k in f.keys() {
            *df.entry(k.as_str()).or_default() += 1;
        }
    }
    let n = raw.len().max(1) as f32;
    raw.iter()
        .map(|f| {
            // A feature no other correction has can never make two corrections alike;
            // it would only dilute the similarity. Keep features shared by 2+.
            f.iter()
                .filter_map(|(k, w)| {
                    let d = *df.get(k.as_str()).unwrap_or(&1);
                    (d >= 2).then(|| (k.clone(), w * (1.0 + n / d as f32).ln()))
                })
                .collect()
        })
        .collect()
}

/// Context features (file type, tool) say where, not what: alone they never join.
fn is_context(k: &str) -> bool {
    k.starts_with("ext:") || k.starts_with("tool:") || k.starts_with("target:")
}

/// Two corrections are alike only on real evidence: a token their diffs both remove or
/// add, a code identifier they both name (in a diff or in the user's words), at least
/// two words of the users' reasons, or the same file and one such word.
/// One shared word of prose ("call it …") is not a pattern, and neither is the file
/// alone: two unrelated fixes of one file (a renamed error type, a changed constant)
/// are two lessons.
fn enough_evidence(v: &Features, centroid: &Features, members: &[&Features]) -> bool {
    let (mut words, mut file) = (0, false);
    // In a group of several, a word of prose counts only when it is part of what the
    // group is about (two of its members use it, or it weighs in the group), not a
    // word one member happened to use ("once we share the folder" vs "the share
    // button" in a group about force unwraps).
    let strongest = centroid.values().copied().fold(0.0_f32, f32::max);
    let shared_in_group = |k: &str| {
        members.len() < 2
            || members.iter().filter(|m| m.contains_key(k)).count() >= 2
            || centroid
                .get(k)
                .is_some_and(|w| *w >= WORD_SHARE * strongest)
    };
    for k in v.keys().filter(|k| {
        centroid.contains_key(k.as_str())
            && (k.contains(':')
                || k.starts_with(['+', '-'])
                || is_identifier(k)
                || shared_in_group(k))
    }) {
        // A shared naming style weighs like a shared word.
        if k.starts_with("style:") {
            words += 1;
        }
        if k.starts_with(['+', '-'])
            || k.starts_with(FORM)
            || (!k.contains(':') && is_identifier(k))
        {
            return true;
        }
        if k.starts_with("file:") {
            file = true;
        } else if !k.contains(':') {
            words += 1;
        }
        if words >= 2 || (file && words >= 1) {
            return true;
        }
    }
    false
}

/// A feature of what a correction added (a token, a shape, a naming style).
fn is_added(k: &str) -> bool {
    k.starts_with('+') || k.starts_with("style:+") || k.starts_with(FORM)
}

/// The cosine of `v` with the part of `c` that is not added features. A correction with
/// nothing added (a proposal refused without a word of what to use instead, a removal)
/// can only share what a group removed, used or named: the group's added tokens would
/// make every such correction look far from it.
fn removed_side_cosine(v: &Features, c: &Features) -> f32 {
    let (mut dot, mut nc) = (0.0_f32, 0.0_f32);
    for (k, y) in c.iter().filter(|(k, _)| !is_added(k)) {
        nc += y * y;
        if let Some(x) = v.get(k) {
            dot += x * y;
        }
    }
    let nv = norm(v);
    if nv == 0.0 || nc == 0.0 {
        0.0
    } else {
        dot / (nv * nc.sqrt())
    }
}

/// Groups corrections (already in canonical time order) greedily: each one joins the
/// group whose centroid is most similar (cosine ≥ `threshold`) among the groups that
/// share a content feature with it, else starts a new group. Candidate groups come from
/// an inverted index (feature → groups), so the cost grows with the number of shared
/// features, not with the number of groups.
pub fn group(vectors: &[Features], threshold: f32) -> Vec<Group> {
    let mut groups: Vec<Group> = Vec::new();
    let mut norms: Vec<f32> = Vec::new();
    let mut index: HashMap<String, Vec<usize>> = HashMap::new();
    // `stamp[g] == i + 1` marks group g as already scored for correction i.
    let mut stamp: Vec<usize> = Vec::new();
    for (i, v) in vectors.iter().enumerate() {
        let nv = norm(v);
        let removed_only = !v.keys().any(|k| is_added(k));
        let mut best: Option<(usize, f32)> = None;
        // Candidates come from the correction's most distinctive content features: a
        // group similar enough to join shares at least one of them.
        let mut keys: Vec<(&String, f32)> = v
            .iter()
            .filter(|(k, _)| !is_context(k))
            .map(|(k, w)| (k, *w))
            .collect();
        keys.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(b.0)));
        for (k, _) in keys.iter().take(CANDIDATE_FEATURES) {
            let Some(gs) = index.get(k.as_str()) else {
                continue;
            };
            for &g in gs {
                if stamp[g] == i + 1 {
                    continue;
                }
                stamp[g] = i + 1;
                let c = &groups[g].centroid;
                let members: Vec<&Features> = groups[g]
                    .members
                    .iter()
                    .rev()
                    .take(MEMBERS_COMPARED)
                    .map(|&m| &vectors[m])
                    .collect();
                if !enough_evidence(v, c, &members) {
                    continue;
                }
                let to_centroid = if removed_only {
                    removed_side_cosine(v, c)
                } else {
                    let dot: f32 = v.iter().filter_map(|(k, x)| c.get(k).map(|y| x * y)).sum();
                    if nv > 0.0 && norms[g] > 0.0 {
                        dot / (nv * norms[g])
                    } else {
                        0.0
                    }
                };
                // A short correction ("no joi - we validate with zod") can be close to
                // one member and far from a large group's centroid: its closeness to
                // the nearest of the latest members counts too, slightly discounted.
                let to_member = groups[g]
                    .members
                    .iter()
                    .rev()
                    .take(MEMBERS_COMPARED)
                    .map(|&m| {
                        if removed_only {
                            removed_side_cosine(v, &vectors[m])
                        } else {
                            cosine(v, &vectors[m])
                        }
                    })
                    .fold(0.0_f32, f32::max)
                    * MEMBER_DISCOUNT;
                let sim = to_centroid.max(to_member);
                if sim >= threshold && best.is_none_or(|(bg, bs)| sim > bs || (sim == bs && g < bg))
                {
                    best = Some((g, sim));
                }
            }
        }
        // Nothing close enough: a group two of whose members removed a token their
        // users named as the problem takes any correction that removes it too.
        if best.is_none() {
            best = named_key_match(v, &groups, vectors, &stamp, i);
        }
        let g = match best {
            Some((g, _)) => {
                let grp = &mut groups[g];
                grp.members.push(i);
                for (k, w) in v {
                    *grp.centroid.entry(k.clone()).or_default() += w;
                }
                norms[g] = norm(&grp.centroid);
                g
            }
            None => {
                groups.push(Group {
                    members: vec![i],
                    centroid: v.clone(),
                });
                norms.push(nv);
                stamp.push(0);
                groups.len() - 1
            }
        };
        for k in v.keys().filter(|k| !is_context(k)) {
            let list = index.entry(k.clone()).or_default();
            if !list.contains(&g) {
                list.push(g);
            }
        }
    }
    groups
}

/// The group (among those scored for correction `i`) with the most tokens that `v`
/// removes and that two or more of its members removed and named in their reasons.
fn named_key_match(
    v: &Features,
    groups: &[Group],
    vectors: &[Features],
    stamp: &[usize],
    i: usize,
) -> Option<(usize, f32)> {
    let removed: Vec<&str> = v.keys().filter_map(|k| k.strip_prefix('-')).collect();
    if removed.is_empty() {
        return None;
    }
    let mut best: Option<(usize, usize)> = None;
    for (g, grp) in groups.iter().enumerate() {
        if stamp[g] != i + 1 {
            continue; // shares no strong feature with `v`
        }
        let keys = removed
            .iter()
            .filter(|t| {
                let key = format!("{NAMED}-{t}");
                grp.members
                    .iter()
                    .filter(|&&m| vectors[m].contains_key(&key))
                    .count()
                    >= 2
            })
            .count();
        if keys > 0 && best.is_none_or(|(_, n)| keys > n) {
            best = Some((g, keys));
        }
    }
    best.map(|(g, _)| (g, 0.0))
}

/// The strongest features of a group, best first.
pub fn top_features(g: &Group, n: usize) -> Vec<(String, f32)> {
    let mut v: Vec<(String, f32)> = g.centroid.iter().map(|(k, w)| (k.clone(), *w)).collect();
    v.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    v.truncate(n);
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{CorrectionKind, SessionId, WorkspaceId};

    fn correction(
        kind: CorrectionKind,
        file: &str,
        produced: &str,
        accepted: Option<&str>,
        reason: Option<&str>,
    ) -> Correction {
        Correction::new(
            WorkspaceId::new("acme").unwrap(),
            SessionId::new("s").unwrap(),
            kind,
            Target::File(file.into()),
            produced.to_string(),
            accepted.map(str::to_string),
            reason.map(str::to_string),
            0.9,
        )
        .unwrap()
    }

    #[test]
    fn identifiers_are_told_from_words() {
        for t in [
            "gettext_lazy",
            "release-please",
            "utf8",
            "idx_orders_customer_id",
        ] {
            assert!(is_identifier(t), "{t}");
        }
        for t in ["names", "translatable", "_private", "-", "2024", "pnpm"] {
            assert!(!is_identifier(t), "{t}");
        }
    }

    #[test]
    fn an_identifier_named_in_words_and_added_in_a_diff_is_one_pattern() {
        let lex = CueLexicon::english();
        let cs = vec![
            correction(
                CorrectionKind::Followup,
                "app/models.py",
                "name = models.CharField(\"name\")\n",
                None,
                Some("Those verbose names must be translatable: wrap them in gettext_lazy"),
            ),
            correction(
                CorrectionKind::Rejection,
                "app/models.py",
                "notes = models.TextField(\"notes\")\n",
                None,
                Some("needs to be translatable, wrap it with gettext_lazy like the names"),
            ),
            // Names it only in the diff, in another file.
            correction(
                CorrectionKind::Modified,
                "app/forms.py",
                "from django import forms\n\nlabel = \"Date\"\n",
                Some("from django import forms\nfrom django.utils.translation import gettext_lazy as _\n\nlabel = _(\"Date\")\n"),
                None,
            ),
            // A one-off constant change in the first file: the file alone is no pattern.
            correction(
                CorrectionKind::Modified,
                "app/models.py",
                "LIMIT = 64\n",
                Some("LIMIT = 256\n"),
                None,
            ),
        ];
        let groups = group(&weighted(&cs, &lex), JOIN_THRESHOLD);
        let with = |i: usize| groups.iter().position(|g| g.members.contains(&i));
        assert_eq!(with(0), with(1), "{groups:?}");
        assert_eq!(
            with(0),
            with(2),
            "the diff's gettext_lazy joins: {groups:?}"
        );
        assert_ne!(with(0), with(3), "the constant stays apart: {groups:?}");
    }

    #[test]
    fn naming_styles() {
        assert_eq!(naming_style("dryRun"), Some("camel"));
        assert_eq!(naming_style("OutputFormat"), Some("pascal"));
        assert_eq!(naming_style("dry-run"), Some("kebab"));
        assert_eq!(naming_style("dry_run"), Some("snake"));
        assert_eq!(naming_style("MAX_RETRIES"), Some("screaming"));
        assert_eq!(naming_style("station"), None);
        assert_eq!(naming_style("x"), None);
    }

    #[test]
    fn renames_to_one_naming_style_are_one_pattern() {
        let lex = CueLexicon::english();
        let flag = |old: &str, new: &str, file: &str| {
            correction(
                CorrectionKind::Modified,
                file,
                &format!("cmd.Flags().StringVar(&v, \"{old}\", \"\", \"help\")\n"),
                Some(&format!(
                    "cmd.Flags().StringVar(&v, \"{new}\", \"\", \"help\")\n"
                )),
                None,
            )
        };
        let cs = vec![
            flag("dryRun", "dry-run", "cmd/fetch.go"),
            correction(
                CorrectionKind::Rejection,
                "cmd/root.go",
                "cmd.Flags().IntVar(&retries, \"maxRetries\", 3, \"retries\")\n",
                None,
                Some("wrong flag name, flags are kebab-case in this CLI: --max-retries"),
            ),
            flag("outputFormat", "output-format", "cmd/export.go"),
            // An unrelated fix in the same files.
            correction(
                CorrectionKind::Modified,
                "cmd/root.go",
                "timeout := 10\n",
                Some("timeout := 45\n"),
                None,
            ),
        ];
        let groups = group(&weighted(&cs, &lex), JOIN_THRESHOLD);
        let with = |i: usize| groups.iter().position(|g| g.members.contains(&i));
        assert_eq!(with(0), with(2), "{groups:?}");
        assert_ne!(with(0), with(3), "{groups:?}");
    }

    #[test]
    fn a_change_removing_what_two_users_named_joins_their_group() {
        let lex = CueLexicon::english();
        let cs = vec![
            correction(
                CorrectionKind::Followup,
                "web/invoice_controller.ex",
                "    invoice = Repo.get!(Invoice, id)\n    Repo.update!(change(invoice, paid: true))\n",
                Some("    {:ok, invoice} = Billing.mark_paid(id)\n"),
                Some("we don't call Repo from controllers, go through the Billing context"),
            ),
            correction(
                CorrectionKind::Rejection,
                "web/refund_controller.ex",
                "    refund = Repo.insert!(%Refund{amount: amount})\n",
                Some("    {:ok, refund} = Billing.create_refund(amount)\n"),
                Some("nope, Repo stays inside the contexts"),
            ),
            // No words: its diff removes `Repo` among many other tokens.
            correction(
                CorrectionKind::Modified,
                "web/payment_controller.ex",
                "    payments =\n      Repo.all(\n        from p in Payment,\n          where: p.invoice_id == ^id and p.state == :settled,\n          order_by: [desc: p.received_at],\n          preload: [:customer, :receipt]\n      )\n",
                Some("    payments = Billing.list_payments(id)\n"),
                None,
            ),
            // Removes other things: stays apart.
            correction(
                CorrectionKind::Modified,
                "web/payment_controller.ex",
                "    total = Enum.sum(amounts)\n",
                Some("    total = Money.sum(amounts)\n"),
                None,
            ),
            // Other work on payments: its words are the third one's incidental ones.
            correction(
                CorrectionKind::UserEdit,
                "priv/migrations/add_payment_index.exs",
                "    create index(:payments, [:invoice_id, :received_at, :state, :customer])\n",
                Some("    create index(:payments, [:invoice_id, :received_at], concurrently: true)\n"),
                None,
            ),
            correction(
                CorrectionKind::Modified,
                "lib/receipts.ex",
                "    preload: [:customer, :receipt], order_by: [desc: p.received_at], where: p.state == :settled\n",
                Some("    order_by: [asc: p.received_at]\n"),
                None,
            ),
        ];
        let groups = group(&weighted(&cs, &lex), JOIN_THRESHOLD);
        let with = |i: usize| groups.iter().position(|g| g.members.contains(&i));
        assert_eq!(with(0), with(1), "{groups:?}");
        assert_eq!(with(0), with(2), "{groups:?}");
        assert_ne!(with(0), with(3), "{groups:?}");
    }

    #[test]
    fn words_one_member_happened_to_use_are_no_evidence() {
        let lex = CueLexicon::english();
        let unwrap = |file: &str, before: &str, after: &str, reason: Option<&str>| {
            correction(CorrectionKind::Modified, file, before, Some(after), reason)
        };
        let cs = vec![
            unwrap(
                "Detail.swift",
                "let url = URL(string: s)!\n",
                "guard let url = URL(string: s) else { return }\n",
                Some("no force unwraps, guard let it"),
            ),
            unwrap(
                "List.swift",
                "let n = Int(text)!\n",
                "guard let n = Int(text) else { return }\n",
                None,
            ),
            unwrap(
                "Map.swift",
                "let pin = pins.first!\n",
                "guard let pin = pins.first else { return }\n",
                None,
            ),
            unwrap(
                "Photo.swift",
                "let img = UIImage(named: n)!\n",
                "guard let img = UIImage(named: n) else { return }\n",
                None,
            ),
            unwrap(
                "Share.swift",
                "let t = trail!\n",
                "guard let t = trail else { return }\n",
                Some("again a force unwrap: only show the share button when the trail has a url"),
            ),
            // A one-off whose reason shares two words with the last member only.
            correction(
                CorrectionKind::Rejection,
                "Row.swift",
                "struct TrailRow: View {\n  var body: some View { Text(name) }\n}\n",
                None,
                Some("call it TrailCell, the widget has a TrailRow and they clash once we share the trail views"),
            ),
        ];
        let groups = group(&weighted(&cs, &lex), JOIN_THRESHOLD);
        let with = |i: usize| groups.iter().position(|g| g.members.contains(&i));
        for i in 1..5 {
            assert_eq!(with(0), with(i), "{groups:?}");
        }
        assert_ne!(with(0), with(5), "{groups:?}");
    }

    #[test]
    fn code_shapes_tell_an_inline_object_from_a_reference() {
        let inline = code_shapes("<Text style={{ fontSize: 18 }}>Hi</Text>");
        assert!(inline.contains("style={{"), "{inline:?}");
        let reference = code_shapes("<Text style={styles.title}>Hi</Text>");
        assert!(reference.contains("style={"), "{reference:?}");
        assert!(!reference.contains("style={{"), "{reference:?}");
        // Calls keep their punctuation; quotes end a shape; one-letter names and
        // numbers make none.
        assert!(code_shapes("let v = cfg.unwrap();").contains("unwrap();"));
        let import = code_shapes("import x from 'react-native';");
        assert!(import.iter().all(|s| !s.contains('\'')), "{import:?}");
        assert!(code_shapes("x.y(); 42);").is_empty());
    }

    #[test]
    fn a_refused_proposal_joins_the_corrections_that_removed_its_shape() {
        let lex = CueLexicon::english();
        // The fixes keep the `style=` attribute and every token of the object (moved to
        // a stylesheet): only the shape `style={{` is gone.
        let cs = vec![
            correction(
                CorrectionKind::Modified,
                "src/Card.tsx",
                "    <View style={{ padding: 8 }}>{title}</View>\n",
                Some("    <View style={styles.card}>{title}</View>\n"),
                None,
            ),
            correction(
                CorrectionKind::UserEdit,
                "src/Badge.tsx",
                "  return <Text style={{ margin: 4 }}>{label}</Text>;\n",
                Some("  return <Text style={styles.badge}>{label}</Text>;\n"),
                None,
            ),
            // Refused whole, without a word: only its shape says what was wrong.
            correction(
                CorrectionKind::Rejection,
                "src/Footer.tsx",
                "export function Footer() {\n  return <View style={{ borderTopWidth: 1 }}><Text>(c)</Text></View>;\n}\n",
                None,
                None,
            ),
            // Refused whole too, for something else.
            correction(
                CorrectionKind::Rejection,
                "src/api.ts",
                "export async function load(): Promise<Item[]> {\n  return fetch(url).then((r) => r.json());\n}\n",
                None,
                None,
            ),
        ];
        let groups = group(&weighted(&cs, &lex), JOIN_THRESHOLD);
        let with = |i: usize| groups.iter().position(|g| g.members.contains(&i));
        assert_eq!(with(0), with(1), "{groups:?}");
        assert_eq!(
            with(0),
            with(2),
            "the inline style object joins: {groups:?}"
        );
        assert_ne!(with(0), with(3), "{groups:?}");
    }

    #[test]
    fn renames_to_one_suffix_and_moved_commas_are_features() {
        let rename = correction(
            CorrectionKind::UserEdit,
            "lib/map/station_map_screen.dart",
            "class StationMapScreen extends StatelessWidget {}\n",
            Some("class StationMapPage extends StatelessWidget {}\n"),
            None,
        );
        assert_eq!(
            suffix_change(&rename),
            (vec!["screen".to_string()], vec!["page".to_string()])
        );
        // Refused whole: the names of the user's words against the proposal's.
        let refused = correction(
            CorrectionKind::Rejection,
            "lib/week_tides_screen.dart",
            "class WeekTidesScreen extends StatelessWidget {}\n",
            None,
            Some("WeekTidesPage in week_tides_page.dart please"),
        );
        assert_eq!(suffix_change(&refused).1, vec!["page".to_string()]);
        assert!(name_words("user_service").len() == 2 && name_words("HTTPServer").len() == 1);
        let commas = correction(
            CorrectionKind::Modified,
            "views/revenue.sql",
            "select\n  month,\n  plan,\n  sum(total) as revenue\nfrom invoices\n",
            Some("select\n  month\n  , plan\n  , sum(total) as revenue\nfrom invoices\n"),
            None,
        );
        assert_eq!(form_change(&commas), vec!["+leading-commas"]);
        let lex = CueLexicon::english();
        let f = features(&commas, &lex);
        assert!(f.contains_key("form:+leading-commas"), "{f:?}");
    }

    #[test]
    fn indentation_and_import_style_changes_are_features() {
        let tabs = correction(
            CorrectionKind::UserEdit,
            "src/Money.java",
            "class Money {\n    long cents;\n    int scale;\n}\n",
            Some("class Money {\n\tlong cents;\n\tint scale;\n}\n"),
            None,
        );
        assert_eq!(form_change(&tabs), vec!["+tabs"]);
        let alias = correction(
            CorrectionKind::UserEdit,
            "src/routes/+page.svelte",
            "import { get } from '../../lib/api';\n",
            Some("import { get } from '$lib/api';\n"),
            None,
        );
        assert_eq!(form_change(&alias), vec!["+alias-import"]);
        let plain = correction(
            CorrectionKind::Modified,
            "a.py",
            "x = 1\n",
            Some("x = 2\n"),
            None,
        );
        assert!(form_change(&plain).is_empty());
    }
}
