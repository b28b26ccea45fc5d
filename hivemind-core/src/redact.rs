//! Secret redaction for captured agent sessions.
//!
//! Everything hivemind captures (prompts, tool calls, tool output, diffs)
//! passes through this module before it is stored. A secret is replaced by
//! `[REDACTED:<kind>]` and the text around it is kept, so the captured event
//! still reads naturally:
//!
//! | input                                   | output                                         |
//! |-----------------------------------------|------------------------------------------------|
//! | `export ANTHROPIC_API_KEY=sk-ant-api03-…` | `export ANTHROPIC_API_KEY=[REDACTED:anthropic-key]` |
//! | `postgres://app:s3cret@db:5432/app`     | `postgres://app:[REDACTED:password]@db:5432/app` |
//! | `Authorization: Bearer 4f9c…`           | `Authorization: Bearer [REDACTED:bearer-token]` |
//! | `DB_PASSWORD=hunter2`                   | `DB_PASSWORD=[REDACTED:secret-assignment]`     |
//!
//! Kinds: `private-key`, `anthropic-key`, `openai-key`, `aws-access-key-id`,
//! `aws-secret-key`, `github-token`, `gitlab-token`, `slack-token`,
//! `slack-webhook`, `stripe-key`, `google-api-key`, `npm-token`, `jwt`,
//! `bearer-token`, `basic-auth`, `password` (the password of a URL or of
//! `curl -u user:password`) and
//! `secret-assignment` (the value of `NAME=value`, `NAME: value`,
//! `"name": "value"` or `--name value` where the name says secret, token,
//! password, passwd, passphrase, pwd, credential, api key, private key, …).
//!
//! # Cost
//!
//! Most text contains no secret. Every call makes an ASCII-lowercased copy of
//! the text (on the stack up to 2 KiB) and searches it once for the
//! alternation of all rule triggers, which are plain literals the regex
//! engine finds with SIMD (`sk-`, `ghp_`, `akia`, `eyj`, `://`, `bearer`, the
//! secret-ish words, …). When none occurs, the input is returned as
//! [`Cow::Borrowed`] without allocating. Otherwise only the rules whose
//! trigger occurs run. In a release build, 1 KiB of text costs under 1 µs
//! when it contains no trigger, and a few µs when it contains trigger words
//! (`passed`, `max_tokens`, a URL) but no secret.
//!
//! # What is deliberately left alone
//!
//! The format-specific rules (API keys, tokens, key blocks, JWTs) always
//! redact, even documentation examples such as AWS's `AKIAIOSFODNN7EXAMPLE`.
//! The heuristic rules (`NAME=value` assignments, URL passwords, bearer
//! tokens) leave a value alone when it is clearly not a secret:
//!
//! * empty values, `null`/`true`/`false`/`none`/…, short numbers (at most
//!   five digits: `max_tokens = 4096`, `token_count: 12`), decimals and
//!   version strings (`"js-tokens": "^4.0.0"`);
//! * placeholders: references such as `$TOKEN`, `${TOKEN}`, `$(cat f)`,
//!   `%s`, `{{ token }}`, `<your-token>`; masks made only of `x`, `*`, `.`,
//!   `-`, `_`, `#` (`xxx`, `****`); values ending in `...`; values starting
//!   with `your` (`YOUR_API_KEY`); values containing `example`,
//!   `placeholder`, `changeme`/`change_me`/`change-me` or `redacted`
//!   (`changeme` is a public default password, not a secret); values that
//!   are already `[REDACTED:…]` (a value only partly redacted by a more
//!   specific rule is redacted as a whole);
//! * file paths (`~/.ssh/id_rsa`, `./key.pem`, `/run/secrets/db`);
//! * code rather than data, for unquoted values only: calls and indexing
//!   (`get_token()`, `os.environ["KEY"]`), dotted paths (`self.api_key`),
//!   a value equal to its own name (`api_key=api_key`), type annotations after
//!   a colon (`token: String`, `password: str`);
//! * names that only mention a secret: the secret word must be the last part
//!   of the name, optionally followed by `key`, `value`, `base`, `b64`, …,
//!   so `password_reset_form`, `token_count`, `secret_name`, `TOKENIZER`,
//!   `private_key_path` and `max_tokens` are not secret names.
//!
//! Redact first, truncate second: a secret cut in half by [`truncate`] may
//! fall below a rule's minimum length and no longer be recognised.
//!
//! # Example
//!
//! ```
//! use hivemind_core::redact::{redact, redact_json, truncate};
//! use std::borrow::Cow;
//!
//! // Built from pieces so no real-looking token sits in the source.
//! let token = format!("ghp_{}", "a1B2c3D4e5".repeat(4));
//! let line = format!("git push https://{token}@github.com/acme/app.git");
//! assert_eq!(
//!     redact(&line),
//!     "git push https://[REDACTED:github-token]@github.com/acme/app.git"
//! );
//!
//! // Nothing to redact: the input comes back borrowed, without a copy.
//! assert!(matches!(redact("cargo test --workspace"), Cow::Borrowed(_)));
//!
//! let mut event = serde_json::json!({"env": {"DB_PASSWORD": "hunter2"}});
//! assert_eq!(redact_json(&mut event), 1);
//! assert_eq!(event["env"]["DB_PASSWORD"], "[REDACTED:secret-assignment]");
//!
//! assert_eq!(truncate("héllo", 2), "h\n[… truncated 5 bytes by hivemind …]");
//! ```

use std::borrow::Cow;
use std::fmt::Write as _;
use std::sync::{LazyLock, OnceLock};

use regex::bytes::Regex as BytesRegex;
use regex::{Captures, Regex};
use serde_json::Value;

/// Upper bound on the passes of [`Redactor::redact_counted`].
const MAX_PASSES: usize = 4;

/// Texts up to this many bytes are lowercased on the stack for the prefilter.
const STACK_LOWERCASE_LEN: usize = 2048;

/// Start of every replacement marker.
const MARKER_PREFIX: &str = "[REDACTED:";

/// Kind used for values of secret-named assignments and JSON fields.
const ASSIGNMENT_KIND: &str = "secret-assignment";

/// Words that make a name secret-ish, lowercase, as a regex alternation.
/// The assignment rules require one of them inside the name and use the same
/// words as their trigger, so the prefilter can never skip a candidate.
macro_rules! name_keywords {
    () => {
        r"secret|token|pass|pwd|credential|(?:api|private|signing|encryption|master|app|auth|license)[_.-]?key"
    };
}

/// The literals every match of [`name_keywords!`] starts with.
const NAME_KEYWORD_LITERALS: &[&str] = &[
    "secret",
    "token",
    "pass",
    "pwd",
    "credential",
    "apikey",
    "api_key",
    "api.key",
    "api-key",
    "privatekey",
    "private_key",
    "private.key",
    "private-key",
    "signingkey",
    "signing_key",
    "signing.key",
    "signing-key",
    "encryptionkey",
    "encryption_key",
    "encryption.key",
    "encryption-key",
    "masterkey",
    "master_key",
    "master.key",
    "master-key",
    "appkey",
    "app_key",
    "app.key",
    "app-key",
    "authkey",
    "auth_key",
    "auth.key",
    "auth-key",
    "licensekey",
    "license_key",
    "license.key",
    "license-key",
];

/// Redaction passes that find triggers with one literal search (an
/// Aho-Corasick automaton that builds in tens of microseconds) before the
/// trigger regexes are compiled (hundreds of microseconds, then searched at
/// several GB/s). A hook, which redacts a handful of texts and exits, never
/// compiles them; an import or a long-running agent does after this many.
const FAST_START_PASSES: usize = 256;

/// Decides whether one regex match really is a secret. Gets the captures and
/// the original text (for the matched strings and the characters around
/// them; the captures may come from a lowercased copy with the same offsets).
type Check = fn(&Captures<'_>, &str) -> bool;

/// Decides from the start of a match and the original text alone whether the
/// match may be a secret (see [`Spec::precheck`]).
type Precheck = fn(usize, &str) -> bool;

/// Which text a rule's regex runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Haystack {
    /// The text itself.
    Original,
    /// Its ASCII-lowercased copy (same byte offsets). Case-insensitive
    /// keywords are plain literals there, which the regex engine finds much
    /// faster than a case-insensitive alternation.
    Lowercase,
}

/// The definition of one rule.
struct Spec {
    /// The `<kind>` in `[REDACTED:<kind>]`.
    kind: &'static str,
    /// A cheap regex (literals, mostly), searched in the ASCII-lowercased
    /// text. Every match of `pattern` must contain a match of `trigger` once
    /// lowercased, so that a text without the trigger can skip the rule.
    trigger: &'static str,
    /// Lowercase literals such that every match of `trigger` starts with one of
    /// them (a test checks this against the trigger's regex). A short-lived
    /// process finds all triggers with one literal search over these instead of
    /// compiling the trigger regexes (see [`FAST_START_PASSES`]).
    literals: &'static [&'static str],
    /// The rule itself. The replaced span is the first participating group
    /// named `s`, `dq`, `eq`, `sq` or `uq`, else the whole match.
    pattern: &'static str,
    /// Extra validation of a match.
    check: Option<Check>,
    /// A cheaper validation that needs only the match's start; when given,
    /// the rule finds matches first and resolves capture groups only for the
    /// candidates that pass it (capture groups cost several times more than
    /// finding a match).
    precheck: Option<Precheck>,
    /// Which text `pattern` runs on.
    haystack: Haystack,
    /// Whether the trigger is a rare literal (`ghp_`, `AKIA`, …). The rare
    /// triggers are first searched for together, so a text with none of them
    /// costs one search instead of one per rule.
    rare: bool,
}

/// A rule as compiled. Its regex is compiled on first use: most texts trigger
/// few rules, and a short-lived process (a hook) should not pay for
/// compiling all of them.
#[derive(Debug)]
struct Rule {
    kind: &'static str,
    pattern: &'static str,
    regex: OnceLock<Regex>,
    check: Option<Check>,
    precheck: Option<Precheck>,
    haystack: Haystack,
    /// Index of the rule's trigger in [`RuleSet::triggers`].
    trigger: usize,
    rare: bool,
}

/// The compiled default rule set, shared by every [`Redactor`].
#[derive(Debug)]
struct RuleSet {
    /// The alternation of every trigger, searched in the ASCII-lowercased
    /// text: when it does not match, no rule can.
    any_trigger: LazyRegex,
    /// The distinct triggers (rules may share one), compiled on first use.
    triggers: Vec<LazyRegex>,
    /// The literals of each distinct trigger (same order as `triggers`).
    trigger_literals: Vec<&'static [&'static str]>,
    /// The alternation of the triggers of the rare rules.
    rare_gate: LazyRegex,
    rules: Vec<Rule>,
    /// The literal search of the first [`FAST_START_PASSES`] passes.
    fast: OnceLock<Option<FastGate>>,
    /// Passes so far (counts up to [`FAST_START_PASSES`]).
    passes: std::sync::atomic::AtomicUsize,
}

/// One Aho-Corasick search for the literals of every trigger: which triggers
/// may occur in a text.
#[derive(Debug)]
struct FastGate {
    automaton: aho_corasick::AhoCorasick,
    /// The trigger of each literal (by pattern id).
    trigger_of: Vec<usize>,
}

impl FastGate {
    fn new(trigger_literals: &[&'static [&'static str]]) -> Option<FastGate> {
        let mut literals = Vec::new();
        let mut trigger_of = Vec::new();
        for (t, lits) in trigger_literals.iter().enumerate() {
            if lits.is_empty() || t >= MAX_TRIGGERS {
                return None;
            }
            for l in lits.iter() {
                literals.push(*l);
                trigger_of.push(t);
            }
        }
        let automaton = aho_corasick::AhoCorasick::builder()
            .kind(Some(aho_corasick::AhoCorasickKind::ContiguousNFA))
            .build(&literals)
            .map_err(|e| tracing::warn!("redaction literal gate unavailable: {e}"))
            .ok()?;
        Some(FastGate {
            automaton,
            trigger_of,
        })
    }

    /// A bit per trigger whose literals occur in `lower`.
    fn present(&self, lower: &[u8]) -> u64 {
        let mut bits = 0u64;
        for m in self.automaton.find_overlapping_iter(lower) {
            if let Some(&t) = self.trigger_of.get(m.pattern().as_usize()) {
                bits |= 1 << t;
            }
        }
        bits
    }
}

impl RuleSet {
    /// The literal gate while this process is young (see [`FAST_START_PASSES`]).
    fn fast_gate(&self) -> Option<&FastGate> {
        use std::sync::atomic::Ordering;
        if self.passes.load(Ordering::Relaxed) >= FAST_START_PASSES {
            return None;
        }
        self.passes.fetch_add(1, Ordering::Relaxed);
        self.fast
            .get_or_init(|| FastGate::new(&self.trigger_literals))
            .as_ref()
    }
}

/// Every rule, in the order they run. Format-specific rules run first so
/// that, e.g., an OpenAI key assigned to `OPENAI_API_KEY` is reported as
/// `openai-key`; the generic rules then see an already-redacted value and
/// leave it alone.
const RULES: &[Spec] = &[
    Spec {
        kind: "private-key",
        trigger: r"-----begin",
        literals: &["-----begin"],
        // A whole block. The body cannot contain `--`, so a BEGIN without an
        // END costs a scan up to the next `--` rather than to the end of the
        // text (which would make many such lines quadratic). Without an END
        // line (truncated text): the BEGIN line and the header, base64 and
        // checksum lines that follow it.
        pattern: concat!(
            r"-----BEGIN[ A-Z0-9]*PRIVATE KEY(?: BLOCK)?-----",
            r"(?:(?:[^-]|-[^-])*?-----END[ A-Z0-9]*PRIVATE KEY(?: BLOCK)?-----",
            r"|(?:(?:\s|\\[nr])*(?:[A-Za-z0-9+/=]{16,}|=[A-Za-z0-9+/]{4}|[A-Za-z-]+: [^\r\n\\]*))*)",
        ),
        check: None,
        precheck: None,
        haystack: Haystack::Original,
        rare: true,
    },
    Spec {
        kind: "anthropic-key",
        trigger: r"sk-ant-",
        literals: &["sk-ant-"],
        pattern: r"(?-u:\b)sk-ant-[a-z]{2,10}[0-9]{2}-[A-Za-z0-9_-]{20,}",
        check: None,
        precheck: None,
        haystack: Haystack::Original,
        rare: false,
    },
    Spec {
        kind: "openai-key",
        trigger: r"sk-",
        literals: &["sk-"],
        // sk-…, sk-proj-…, sk-svcacct-…, sk-admin-…
        pattern: r"(?-u:\b)sk-[A-Za-z0-9_-]{20,}",
        check: Some(check_mixed_token),
        precheck: None,
        haystack: Haystack::Original,
        rare: false,
    },
    Spec {
        kind: "aws-access-key-id",
        trigger: r"akia|asia|abia|acca|a3t",
        literals: &["akia", "asia", "abia", "acca", "a3t"],
        pattern: r"(?-u:\b)(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z0-9]{16}(?-u:\b)",
        check: None,
        precheck: None,
        haystack: Haystack::Original,
        rare: true,
    },
    Spec {
        kind: "aws-secret-key",
        trigger: r"secret[_.-]?access[_.-]?key",
        literals: &["secret"],
        pattern: r#"(?i-u:secret[_.-]?access[_.-]?key)(?:\\?["'])?[ \t]*(?::=|=>|=|:)[ \t]*(?:\\?["'])?(?P<s>[A-Za-z0-9/+]{40})"#,
        check: Some(check_aws_secret),
        precheck: None,
        haystack: Haystack::Original,
        rare: true,
    },
    Spec {
        kind: "github-token",
        trigger: r"gh[pousr]_|github_pat_",
        literals: &["ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"],
        pattern: r"(?-u:\b)(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})",
        check: None,
        precheck: None,
        haystack: Haystack::Original,
        rare: true,
    },
    Spec {
        kind: "gitlab-token",
        trigger: r"gl(?:pat|dt|rt|ptt|soat|cbt|ft|imt|oas)-",
        literals: &[
            "glpat-", "gldt-", "glrt-", "glptt-", "glsoat-", "glcbt-", "glft-", "glimt-", "gloas-",
        ],
        pattern: r"(?-u:\b)gl(?:pat|dt|rt|ptt|soat|cbt|ft|imt|oas)-[A-Za-z0-9_-]{20,}",
        check: None,
        precheck: None,
        haystack: Haystack::Original,
        rare: true,
    },
    Spec {
        kind: "slack-token",
        trigger: r"xox[abposr]-|xapp-",
        literals: &[
            "xoxa-", "xoxb-", "xoxp-", "xoxo-", "xoxs-", "xoxr-", "xapp-",
        ],
        pattern: r"(?-u:\b)(?:xox[abposr]-[A-Za-z0-9-]{10,}|xapp-[0-9]-[A-Za-z0-9-]{10,})",
        check: None,
        precheck: None,
        haystack: Haystack::Original,
        rare: true,
    },
    Spec {
        kind: "slack-webhook",
        trigger: r"hooks\.slack\.com/",
        literals: &["hooks.slack.com/"],
        pattern: r"hooks\.slack\.com/(?:services|workflows|triggers)/(?P<s>[A-Za-z0-9_/-]{20,})",
        check: None,
        precheck: None,
        haystack: Haystack::Original,
        rare: true,
    },
    Spec {
        kind: "stripe-key",
        trigger: r"(?:sk|rk)_(?:live|test)_|whsec_",
        literals: &["sk_live_", "sk_test_", "rk_live_", "rk_test_", "whsec_"],
        pattern: r"(?-u:\b)(?:(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{10,}|whsec_[A-Za-z0-9]{20,})",
        check: None,
        precheck: None,
        haystack: Haystack::Original,
        rare: true,
    },
    Spec {
        kind: "google-api-key",
        trigger: r"aiza",
        literals: &["aiza"],
        pattern: r"(?-u:\b)AIza[0-9A-Za-z_-]{35}",
        check: Some(check_google_key),
        precheck: None,
        haystack: Haystack::Original,
        rare: true,
    },
    Spec {
        kind: "npm-token",
        trigger: r"npm_",
        literals: &["npm_"],
        pattern: r"(?-u:\b)npm_[A-Za-z0-9]{36}(?-u:\b)",
        check: Some(check_mixed_token),
        precheck: None,
        haystack: Haystack::Original,
        rare: true,
    },
    Spec {
        kind: "jwt",
        trigger: r"eyj",
        literals: &["eyj"],
        pattern: r"(?-u:\b)eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]*",
        check: None,
        precheck: None,
        haystack: Haystack::Original,
        rare: true,
    },
    Spec {
        kind: "bearer-token",
        trigger: r"bearer",
        literals: &["bearer"],
        pattern: r"(?-u:\b)(?i-u:bearer)[ \t]+(?P<s>[A-Za-z0-9._~+/=_-]{16,})",
        check: Some(check_bearer),
        precheck: None,
        haystack: Haystack::Original,
        rare: false,
    },
    Spec {
        kind: "basic-auth",
        trigger: r"basic",
        literals: &["basic"],
        pattern: r#"(?i-u:authorization)(?:\\?["'])?[ \t]*[:=][ \t]*(?:\\?["'])?(?i-u:basic)[ \t]+(?P<s>[A-Za-z0-9+/]{8,}={0,2})"#,
        check: Some(check_generic_secret),
        precheck: None,
        haystack: Haystack::Original,
        rare: false,
    },
    Spec {
        kind: "password",
        trigger: r"://",
        literals: &["://"],
        // scheme://user:PASSWORD@host; the password runs to the last `@`
        // before the host, so a raw `@` inside it is covered too.
        pattern: r#"(?-u:\b)[A-Za-z][A-Za-z0-9+.-]*://[^\s:/@\[\]"'<>]*:(?P<s>[^\s/"'<>]+)@"#,
        check: Some(check_generic_secret),
        precheck: None,
        haystack: Haystack::Original,
        rare: false,
    },
    Spec {
        kind: "password",
        trigger: r"(?:-u|--user)[ \t]",
        literals: &["-u ", "-u\t", "--user ", "--user\t"],
        // curl -u user:PASSWORD, curl --user 'user:PASSWORD'
        pattern: r#"(?:^|[\s"'])(?:-u|--user)[ \t]+["']?[^\s:"'$\[\](){}<>=]*:(?P<s>[^\s"']+)"#,
        check: Some(check_user_password),
        precheck: None,
        haystack: Haystack::Original,
        rare: false,
    },
    Spec {
        kind: ASSIGNMENT_KIND,
        trigger: name_keywords!(),
        literals: NAME_KEYWORD_LITERALS,
        // --password VALUE, --api-key 'VALUE' (`--name=value` is handled by
        // the next rule).
        pattern: concat!(
            r#"(?:^|[\s"'=])--(?P<name>[a-z0-9_.-]*(?:"#,
            name_keywords!(),
            r#")[a-z0-9_.-]*)[ \t]+(?:"(?P<dq>(?:[^"\\\r\n]|\\.)*)"|'(?P<sq>[^'\r\n]*)'|(?P<uq>[^\s"'`,;&|<>(){}\[\]\\]+))"#,
        ),
        check: Some(check_flag),
        precheck: None,
        haystack: Haystack::Lowercase,
        rare: false,
    },
    Spec {
        kind: ASSIGNMENT_KIND,
        trigger: name_keywords!(),
        literals: NAME_KEYWORD_LITERALS,
        // NAME=value, NAME: value, "name": "value", name := value,
        // 'name' => 'value', and the same with JSON-escaped quotes. The
        // `name` group starts at the secret word; `check_assignment` extends
        // it back to the start of the name (a leading `[a-z0-9_.-]*` here
        // would make the search several times slower).
        pattern: concat!(
            r"(?P<name>(?:",
            name_keywords!(),
            r#")[a-z0-9_.-]*)(?:\\?["'])?[ \t]*(?P<sep>:=|=>|=|:)[ \t]*(?:"(?P<dq>(?:[^"\\\r\n]|\\.)*)"|\\"(?P<eq>(?:[^"\\\r\n]|\\[^"\r\n])*)\\"|'(?P<sq>[^'\r\n]*)'|(?P<uq>(?:[^\s"'`,;&<>{}()\[\]\\]|\[redacted:[a-z0-9-]+\])+))"#,
        ),
        check: Some(check_assignment),
        precheck: Some(precheck_assignment),
        haystack: Haystack::Lowercase,
        rare: false,
    },
];

/// Groups that hold the secret part of a match, in priority order.
const SECRET_GROUPS: [&str; 5] = ["s", "dq", "eq", "sq", "uq"];

/// Number of distinct triggers whose result `redact_counted` remembers; a rule
/// whose trigger index is beyond it simply always runs.
const MAX_TRIGGERS: usize = 32;

/// A trigger regex compiled on first use.
#[derive(Debug)]
struct LazyRegex {
    pattern: Cow<'static, str>,
    regex: OnceLock<BytesRegex>,
}

impl LazyRegex {
    fn get(&self) -> &BytesRegex {
        self.regex.get_or_init(|| {
            BytesRegex::new(&self.pattern).expect("redaction triggers are valid regexes")
        })
    }
}

impl Rule {
    fn regex(&self) -> &Regex {
        self.regex.get_or_init(|| {
            Regex::new(self.pattern).expect("redaction rule patterns are valid regexes")
        })
    }
}

static DEFAULT_RULES: LazyLock<RuleSet> = LazyLock::new(|| {
    let alternation = |specs: &mut dyn Iterator<Item = &Spec>| -> LazyRegex {
        let parts: Vec<String> = specs.map(|spec| format!("(?:{})", spec.trigger)).collect();
        LazyRegex {
            pattern: Cow::Owned(parts.join("|")),
            regex: OnceLock::new(),
        }
    };
    let any_trigger = alternation(&mut RULES.iter());
    let rare_gate = alternation(&mut RULES.iter().filter(|spec| spec.rare));
    let mut distinct: Vec<&str> = Vec::new();
    let mut trigger_literals: Vec<&'static [&'static str]> = Vec::new();
    let mut rules = Vec::with_capacity(RULES.len());
    for spec in RULES {
        let trigger = match distinct.iter().position(|t| *t == spec.trigger) {
            Some(index) => index,
            None => {
                distinct.push(spec.trigger);
                trigger_literals.push(spec.literals);
                distinct.len() - 1
            }
        };
        rules.push(Rule {
            kind: spec.kind,
            pattern: spec.pattern,
            regex: OnceLock::new(),
            check: spec.check,
            precheck: spec.precheck,
            haystack: spec.haystack,
            trigger,
            rare: spec.rare,
        });
    }
    let triggers = distinct
        .iter()
        .map(|t| LazyRegex {
            pattern: Cow::Borrowed(*t),
            regex: OnceLock::new(),
        })
        .collect();
    RuleSet {
        any_trigger,
        triggers,
        trigger_literals,
        rare_gate,
        rules,
        fast: OnceLock::new(),
        passes: std::sync::atomic::AtomicUsize::new(0),
    }
});

static DEFAULT_REDACTOR: LazyLock<Redactor> = LazyLock::new(Redactor::new);

/// Replaces secrets in text and JSON with `[REDACTED:<kind>]` markers.
///
/// The compiled rules are shared by all redactors, so [`Redactor::new`] is
/// cheap after the first call. The free functions [`redact`] and
/// [`redact_json`] use a global default redactor.
#[derive(Debug, Clone, Copy)]
pub struct Redactor {
    rules: &'static RuleSet,
}

impl Redactor {
    /// A redactor with the default rule set (see the module docs for the list
    /// of kinds and for what is deliberately not redacted).
    pub fn new() -> Self {
        Redactor {
            rules: &DEFAULT_RULES,
        }
    }

    /// Returns `text` with every secret replaced by `[REDACTED:<kind>]`.
    ///
    /// Returns [`Cow::Borrowed`] (no allocation) when nothing was replaced.
    /// Redacting an already-redacted text changes nothing.
    pub fn redact<'a>(&self, text: &'a str) -> Cow<'a, str> {
        self.redact_counted(text).0
    }

    /// Redacts, in place, every string inside `value`: strings in arrays and
    /// objects at any depth, and object keys. In addition, the value of an
    /// object field whose key is a secret name (`"password"`,
    /// `"client_secret"`, `"OPENAI_API_KEY"`, …) is replaced as a whole by
    /// `[REDACTED:secret-assignment]` unless it is empty or a placeholder; a
    /// number of six digits or more under such a key becomes that string too.
    ///
    /// Returns the number of replacements made.
    pub fn redact_json(&self, value: &mut Value) -> usize {
        let mut count = 0;
        // Explicit stack: a `Value` built in code can be nested deeper than
        // the call stack would allow.
        let mut stack: Vec<&mut Value> = vec![value];
        while let Some(node) = stack.pop() {
            match node {
                Value::String(s) => count += self.redact_string_in_place(s),
                Value::Array(items) => stack.extend(items.iter_mut()),
                Value::Object(map) => {
                    count += self.redact_object_keys(map);
                    for (key, child) in map.iter_mut() {
                        if !is_secret_name(key) {
                            stack.push(child);
                            continue;
                        }
                        match child {
                            Value::String(s) => {
                                count += self.redact_string_in_place(s);
                                if value_is_secret(s, ValueCtx::quoted()) {
                                    *s = marker(ASSIGNMENT_KIND);
                                    count += 1;
                                }
                            }
                            Value::Number(n) => {
                                let digits = n.to_string();
                                if digits.bytes().filter(u8::is_ascii_digit).count() >= 6 {
                                    *child = Value::String(marker(ASSIGNMENT_KIND));
                                    count += 1;
                                }
                            }
                            _ => stack.push(child),
                        }
                    }
                }
                Value::Null | Value::Bool(_) | Value::Number(_) => {}
            }
        }
        count
    }

    /// Redacts `s` in place; returns the number of replacements.
    fn redact_string_in_place(&self, s: &mut String) -> usize {
        match self.redact_counted(s) {
            (Cow::Owned(new), n) => {
                *s = new;
                n
            }
            (Cow::Borrowed(_), _) => 0,
        }
    }

    /// Redacts the keys of `map` (a key is rarely a secret, but it is a string
    /// like any other); returns the number of replacements.
    fn redact_object_keys(&self, map: &mut serde_json::Map<String, Value>) -> usize {
        let mut renames = Vec::new();
        for key in map.keys() {
            if let (Cow::Owned(new), n) = self.redact_counted(key) {
                renames.push((key.clone(), new, n));
            }
        }
        let mut count = 0;
        for (old, new, n) in renames {
            if let Some(v) = map.remove(&old) {
                map.insert(new, v);
                count += n;
            }
        }
        count
    }

    /// [`Redactor::redact`] plus the number of replacements.
    ///
    /// Runs passes until one changes nothing (at most [`MAX_PASSES`]). The
    /// second pass is almost always a no-op; it exists because a later rule
    /// can, rarely, reshape the text so that an earlier one matches (e.g. a
    /// redacted assignment removes the `/` that stopped a URL-password
    /// match), and redacting redacted text must change nothing.
    fn redact_counted<'a>(&self, text: &'a str) -> (Cow<'a, str>, usize) {
        let (mut current, mut count) = self.redact_pass(text);
        if count == 0 {
            return (current, 0);
        }
        for _ in 1..MAX_PASSES {
            match self.redact_pass(&current) {
                (Cow::Owned(next), n) => {
                    current = Cow::Owned(next);
                    count += n;
                }
                (Cow::Borrowed(_), _) => break,
            }
        }
        (current, count)
    }

    /// One pass of every rule over `text`.
    fn redact_pass<'a>(&self, text: &'a str) -> (Cow<'a, str>, usize) {
        // Triggers are lowercase, so search an ASCII-lowercased copy: a
        // case-insensitive search over the original would be several times
        // slower. Short texts (the usual case) are copied to the stack.
        let mut stack_buf = [0u8; STACK_LOWERCASE_LEN];
        let heap_buf: Vec<u8>;
        let lower: &[u8] = match stack_buf.get_mut(..text.len()) {
            Some(buf) => {
                buf.copy_from_slice(text.as_bytes());
                buf.make_ascii_lowercase();
                buf
            }
            None => {
                heap_buf = text.as_bytes().to_ascii_lowercase();
                &heap_buf
            }
        };
        let mut seen = [None::<bool>; MAX_TRIGGERS];
        let mut rare_present = None::<bool>;
        if let Some(gate) = self.rules.fast_gate() {
            let present = gate.present(lower);
            if present == 0 {
                return (Cow::Borrowed(text), 0);
            }
            for (t, slot) in seen.iter_mut().enumerate().take(self.rules.triggers.len()) {
                *slot = Some(present & (1 << t) != 0);
            }
            // Every trigger's presence is known: the rare gate adds nothing.
            rare_present = Some(true);
        } else if !self.rules.any_trigger.get().is_match(lower) {
            return (Cow::Borrowed(text), 0);
        }
        let lower_str = std::str::from_utf8(lower).ok();
        // Each trigger and the rare gate are searched at most once per call.
        // Replacements only ever put `[REDACTED:…]` markers into the text,
        // and a marker cannot complete a match of another rule, so a trigger
        // absent from the input cannot be needed later.
        let mut current: Cow<'a, str> = Cow::Borrowed(text);
        let mut count = 0;
        for rule in &self.rules.rules {
            if rule.rare
                && !*rare_present.get_or_insert_with(|| self.rules.rare_gate.get().is_match(lower))
            {
                continue;
            }
            let present = match seen.get_mut(rule.trigger) {
                Some(slot) => *slot.get_or_insert_with(|| {
                    self.rules
                        .triggers
                        .get(rule.trigger)
                        .is_none_or(|t| t.get().is_match(lower))
                }),
                None => true,
            };
            if !present {
                continue;
            }
            let lowercase = match current {
                Cow::Borrowed(_) => lower_str,
                Cow::Owned(_) => None,
            };
            if let Some((replaced, n)) = apply_rule(rule, &current, lowercase) {
                current = Cow::Owned(replaced);
                count += n;
            }
        }
        (current, count)
    }
}

impl Default for Redactor {
    fn default() -> Self {
        Self::new()
    }
}

/// Redacts `text` with the default [`Redactor`]. See [`Redactor::redact`].
pub fn redact(text: &str) -> Cow<'_, str> {
    DEFAULT_REDACTOR.redact(text)
}

/// Redacts every string in `value` with the default [`Redactor`] and returns
/// the number of replacements. See [`Redactor::redact_json`].
pub fn redact_json(value: &mut Value) -> usize {
    DEFAULT_REDACTOR.redact_json(value)
}

/// Caps `text` at about `cap_bytes` bytes.
///
/// Returns `text` unchanged (borrowed) when it is at most `cap_bytes` long.
/// Otherwise keeps the longest head of at most `cap_bytes` bytes that ends on
/// a character boundary and appends `\n[… truncated N bytes by hivemind …]`,
/// where `N` is exactly the number of bytes cut. The result exceeds
/// `cap_bytes` by at most the marker's length. Never panics.
pub fn truncate(text: &str, cap_bytes: usize) -> Cow<'_, str> {
    if text.len() <= cap_bytes {
        return Cow::Borrowed(text);
    }
    let mut cut = cap_bytes;
    while cut > 0 && !text.is_char_boundary(cut) {
        cut -= 1;
    }
    let head = text.get(..cut).unwrap_or_default();
    let removed = text.len() - head.len();
    let mut out = String::with_capacity(head.len() + 48);
    out.push_str(head);
    // Writing to a String cannot fail.
    let _ = write!(out, "\n[… truncated {removed} bytes by hivemind …]");
    Cow::Owned(out)
}

/// Redacts and truncates in one step, with work bounded by `cap_bytes`: text longer
/// than the cap is cut first (keeping a small margin so a secret across the cut is
/// still recognized), redacted, then cut to the cap with the same marker as
/// [`truncate`]. The marker's byte count is measured on the original text.
pub fn redact_bounded(text: &str, cap_bytes: usize) -> Cow<'_, str> {
    const MARGIN: usize = 4096;
    if text.len() <= cap_bytes {
        return redact(text);
    }
    let floor = |t: &str, mut i: usize| {
        i = i.min(t.len());
        while i > 0 && !t.is_char_boundary(i) {
            i -= 1;
        }
        i
    };
    let removed = text.len() - floor(text, cap_bytes);
    let window = text
        .get(..floor(text, cap_bytes.saturating_add(MARGIN)))
        .unwrap_or_default();
    let red = redact(window);
    let kept = red.get(..floor(&red, cap_bytes)).unwrap_or_default();
    let mut out = String::with_capacity(kept.len() + 48);
    out.push_str(kept);
    let _ = write!(out, "\n[… truncated {removed} bytes by hivemind …]");
    Cow::Owned(out)
}

/// `[REDACTED:<kind>]`.
fn marker(kind: &str) -> String {
    format!("{MARKER_PREFIX}{kind}]")
}

/// Runs one rule over `text`. Returns the new text and the number of
/// replacements, or `None` when the rule replaced nothing.
///
/// `lowercase`, when given, is `text` ASCII-lowercased (saves a copy for the
/// rules that run on the lowercased text).
fn apply_rule(rule: &Rule, text: &str, lowercase: Option<&str>) -> Option<(String, usize)> {
    let lowered: String;
    let scan = match (rule.haystack, lowercase) {
        (Haystack::Original, _) => text,
        (Haystack::Lowercase, Some(lower)) if lower.len() == text.len() => lower,
        (Haystack::Lowercase, _) => {
            lowered = text.to_ascii_lowercase();
            &lowered
        }
    };
    let mut out = String::new();
    let mut last = 0;
    let mut count = 0;
    for caps in candidates(rule, scan, text) {
        if let Some(check) = rule.check {
            if !check(&caps, text) {
                continue;
            }
        }
        let span = SECRET_GROUPS
            .iter()
            .find_map(|g| caps.name(g))
            .or_else(|| caps.get(0));
        let Some(span) = span else { continue };
        if span.start() < last {
            continue;
        }
        if count == 0 {
            out.reserve(text.len());
        }
        out.push_str(text.get(last..span.start())?);
        out.push_str(MARKER_PREFIX);
        out.push_str(rule.kind);
        out.push(']');
        last = span.end();
        count += 1;
    }
    if count == 0 {
        return None;
    }
    out.push_str(text.get(last..)?);
    Some((out, count))
}

/// The captures of every match of `rule` in `scan` that passes the rule's
/// precheck (which sees the original `text`).
fn candidates<'r, 'h>(
    rule: &'r Rule,
    scan: &'h str,
    text: &'r str,
) -> Box<dyn Iterator<Item = Captures<'h>> + 'r>
where
    'h: 'r,
{
    let Some(precheck) = rule.precheck else {
        return Box::new(rule.regex().captures_iter(scan));
    };
    let regex = rule.regex();
    Box::new(
        regex
            .find_iter(scan)
            .filter(move |m| precheck(m.start(), text))
            // The match found is the leftmost one at or after its start, so
            // searching again from there yields it, now with its groups.
            .filter_map(move |m| regex.captures_at(scan, m.start())),
    )
}

// ---------------------------------------------------------------------------
// Checks on format-specific matches.
// ---------------------------------------------------------------------------

/// The original text of a capture group.
fn text_of<'h>(m: Option<regex::Match<'_>>, hay: &'h str) -> Option<&'h str> {
    m.and_then(|m| hay.get(m.range()))
}

/// The character right after a capture group (or the whole match).
fn char_after(caps: &Captures<'_>, group: Option<&str>, hay: &str) -> Option<char> {
    let m = match group {
        Some(g) => caps.name(g)?,
        None => caps.get(0)?,
    };
    hay.get(m.end()..)?.chars().next()
}

/// Random tokens mix upper case, lower case and digits; package names and
/// identifiers such as `sk-learn-…` do not.
/// The prefix (`sk-`, `npm_`) is skipped: it would always supply the lower
/// case letters.
fn check_mixed_token(caps: &Captures<'_>, hay: &str) -> bool {
    text_of(caps.get(0), hay).is_some_and(|s| {
        let body = s.split_once(['-', '_']).map_or(s, |(_, body)| body);
        has_mixed_classes(body)
    })
}

fn has_mixed_classes(s: &str) -> bool {
    let b = s.as_bytes();
    b.iter().any(u8::is_ascii_digit)
        && b.iter().any(u8::is_ascii_uppercase)
        && b.iter().any(u8::is_ascii_lowercase)
}

/// An AWS secret access key is exactly 40 base64 characters.
fn check_aws_secret(caps: &Captures<'_>, hay: &str) -> bool {
    !char_after(caps, Some("s"), hay)
        .is_some_and(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '+' | '='))
}

/// A Google API key is exactly 39 characters.
fn check_google_key(caps: &Captures<'_>, hay: &str) -> bool {
    !char_after(caps, None, hay)
        .is_some_and(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'))
}

/// A bearer token must look random (digits, or both cases), which rules out
/// prose and placeholders such as `YOUR_ACCESS_TOKEN_HERE`.
fn check_bearer(caps: &Captures<'_>, hay: &str) -> bool {
    let Some(token) = text_of(caps.name("s"), hay) else {
        return false;
    };
    let b = token.as_bytes();
    let random_looking = b.iter().any(u8::is_ascii_digit)
        || (b.iter().any(u8::is_ascii_uppercase) && b.iter().any(u8::is_ascii_lowercase));
    random_looking && !is_placeholder(token)
}

/// The `s` group is a secret unless it is empty, already redacted or a
/// placeholder.
fn check_generic_secret(caps: &Captures<'_>, hay: &str) -> bool {
    text_of(caps.name("s"), hay).is_some_and(|v| {
        if v.contains(MARKER_PREFIX) {
            !is_only_markers(v)
        } else {
            !v.is_empty() && !is_placeholder(v)
        }
    })
}

/// `-u user:password`, but not `docker run -u 1000:1000` (uid:gid).
fn check_user_password(caps: &Captures<'_>, hay: &str) -> bool {
    check_generic_secret(caps, hay)
        && !text_of(caps.name("s"), hay).is_some_and(|v| v.bytes().all(|b| b.is_ascii_digit()))
}

// ---------------------------------------------------------------------------
// Secret-named assignments.
// ---------------------------------------------------------------------------

/// How a value was written, for [`value_is_secret`].
#[derive(Debug, Clone, Copy)]
struct ValueCtx {
    /// Inside quotes (or a JSON string): a literal, never code.
    quoted: bool,
    /// The separator was a colon (`name: value`), where an unquoted value may
    /// be a type annotation.
    colon: bool,
    /// The character right after an unquoted value.
    next: Option<char>,
}

impl ValueCtx {
    fn quoted() -> Self {
        ValueCtx {
            quoted: true,
            colon: false,
            next: None,
        }
    }
}

/// The participating value group of an assignment match and whether it was
/// quoted.
fn assignment_value<'h>(caps: &Captures<'h>) -> Option<(regex::Match<'h>, bool)> {
    for (group, quoted) in [("dq", true), ("eq", true), ("sq", true), ("uq", false)] {
        if let Some(m) = caps.name(group) {
            return Some((m, quoted));
        }
    }
    None
}

/// Longest name prefix that [`check_assignment`] looks back for.
const MAX_NAME_PREFIX: usize = 256;

fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-')
}

/// The name around a secret word found at `at`: the assignment regex's
/// `name` group starts at the secret word and runs forward over name
/// characters; this extends it back to the start of the name (`DB_` in
/// `DB_PASSWORD`). Returns the name when it is a secret name in an
/// assignment position.
fn assignment_name(at: usize, hay: &str) -> Option<&str> {
    let bytes = hay.as_bytes();
    let floor = at.saturating_sub(MAX_NAME_PREFIX);
    let mut start = at;
    while start > floor && bytes.get(start - 1).is_some_and(|b| is_name_byte(*b)) {
        start -= 1;
    }
    let mut end = at;
    while bytes.get(end).is_some_and(|b| is_name_byte(*b)) {
        end += 1;
    }
    let before = hay.get(..start)?;
    // `scheme://user:pass@` belongs to the URL rule; `Enum::Token => …` is a
    // path, not an assignment.
    if before.ends_with("//") || before.ends_with("::") {
        return None;
    }
    let name = hay.get(start..end)?;
    is_secret_name(name).then_some(name)
}

fn precheck_assignment(at: usize, hay: &str) -> bool {
    assignment_name(at, hay).is_some()
}

fn check_assignment(caps: &Captures<'_>, hay: &str) -> bool {
    let (Some(name_m), Some(sep_m)) = (caps.name("name"), caps.name("sep")) else {
        return false;
    };
    let (Some(name), Some(sep)) = (
        assignment_name(name_m.start(), hay),
        text_of(Some(sep_m), hay),
    ) else {
        return false;
    };
    let Some((value_m, quoted)) = assignment_value(caps) else {
        return false;
    };
    let Some(value) = text_of(Some(value_m), hay) else {
        return false;
    };
    // `password == x`, `token === y`: comparisons; `Token::Secret`: a path.
    if (sep == "=" || sep == ":") && hay.get(sep_m.end()..).is_some_and(|r| r.starts_with(sep)) {
        return false;
    }
    let ctx = ValueCtx {
        quoted,
        colon: sep == ":",
        next: hay.get(value_m.end()..).and_then(|r| r.chars().next()),
    };
    value_is_secret(value, ctx) && !value_names_itself(name, value, ctx)
}

fn check_flag(caps: &Captures<'_>, hay: &str) -> bool {
    let Some(name) = text_of(caps.name("name"), hay) else {
        return false;
    };
    let Some((value_m, quoted)) = assignment_value(caps) else {
        return false;
    };
    let Some(value) = text_of(Some(value_m), hay) else {
        return false;
    };
    if !quoted && value.starts_with('-') {
        // The next option, not a value: `--password-stdin --user x`.
        return false;
    }
    let ctx = ValueCtx {
        quoted,
        colon: false,
        next: hay.get(value_m.end()..).and_then(|r| r.chars().next()),
    };
    is_secret_name(name) && value_is_secret(value, ctx) && !value_names_itself(name, value, ctx)
}

/// `api_key=api_key`, `token: token`: passing a variable on, not a secret.
fn value_names_itself(name: &str, value: &str, ctx: ValueCtx) -> bool {
    if ctx.quoted {
        return false;
    }
    let value = value.trim_start_matches(['$', '@']);
    let name = name.trim_start_matches(['-', '.', '_']);
    value.eq_ignore_ascii_case(name)
        || name_segments(name)
            .last()
            .is_some_and(|s| value.eq_ignore_ascii_case(s))
}

/// Splits a name into its words: on every non-alphanumeric character and on
/// camelCase humps (`clientSecret` → `client`, `Secret`; `APIKey` → `API`,
/// `Key`).
fn name_segments(name: &str) -> Vec<&str> {
    let mut out = Vec::new();
    for part in name.split(|c: char| !c.is_ascii_alphanumeric()) {
        if part.is_empty() {
            continue;
        }
        let b = part.as_bytes();
        let mut start = 0;
        for i in 1..b.len() {
            let (prev, cur) = (b[i - 1], b[i]);
            let next_lower = b.get(i + 1).is_some_and(u8::is_ascii_lowercase);
            let hump =
                (prev.is_ascii_lowercase() || prev.is_ascii_digit()) && cur.is_ascii_uppercase();
            let acronym_end = prev.is_ascii_uppercase() && cur.is_ascii_uppercase() && next_lower;
            if hump || acronym_end {
                if let Some(seg) = part.get(start..i) {
                    out.push(seg);
                }
                start = i;
            }
        }
        if let Some(seg) = part.get(start..) {
            out.push(seg);
        }
    }
    out
}

/// Words that may follow the secret word in a secret name
/// (`SECRET_KEY_BASE`, `aws_secret_access_key`, `password_confirmation`).
const TRAILING_OK: &[&str] = &[
    "key",
    "keys",
    "value",
    "val",
    "base",
    "b64",
    "base64",
    "str",
    "string",
    "raw",
    "plain",
    "plaintext",
    "hex",
    "access",
    "data",
    "text",
    "enc",
    "encoded",
    "confirm",
    "confirmation",
    "again",
    "repeat",
    "old",
    "new",
    "current",
];

/// Words that, followed by `key`, make a secret name (`api_key`, `APP_KEY`).
const KEY_PREFIXES: &[&str] = &[
    "api",
    "private",
    "signing",
    "encryption",
    "master",
    "app",
    "auth",
    "license",
];

/// Whether a name says its value is a secret. The secret word must be the
/// last word of the name, optionally followed by words of [`TRAILING_OK`]:
/// `DB_PASSWORD`, `clientSecret`, `x-api-key` and `SECRET_KEY_BASE` are
/// secret names; `password_reset_form`, `token_count`, `max_tokens`,
/// `TOKENIZER` and `private_key_path` are not.
fn is_secret_name(name: &str) -> bool {
    if name.contains(MARKER_PREFIX) {
        // A key that was itself redacted.
        return false;
    }
    let segments = name_segments(name);
    let n = segments.len();
    let mut last_keyword = None;
    for (i, seg) in segments.iter().enumerate() {
        let word = seg.trim_end_matches(|c: char| c.is_ascii_digit());
        let lower = word.to_ascii_lowercase();
        let is_keyword = match lower.as_str() {
            // `PWD` alone is the shell's working directory; `pass` alone is
            // too common a word.
            "pwd" | "pass" => n > 1 && i > 0,
            "passphrase" | "credential" | "credentials" => true,
            "key" => {
                i > 0
                    && segments
                        .get(i - 1)
                        .is_some_and(|p| KEY_PREFIXES.iter().any(|k| p.eq_ignore_ascii_case(k)))
            }
            w => [
                "token",
                "secret",
                "password",
                "passwd",
                "apikey",
                "privatekey",
                "secretkey",
            ]
            .iter()
            .any(|k| w.ends_with(k)),
        };
        if is_keyword {
            last_keyword = Some(i);
        }
    }
    let Some(k) = last_keyword else {
        return false;
    };
    segments
        .iter()
        .skip(k + 1)
        .all(|seg| TRAILING_OK.iter().any(|ok| seg.eq_ignore_ascii_case(ok)))
}

/// Whether a value written after a secret name is a real secret.
fn value_is_secret(value: &str, ctx: ValueCtx) -> bool {
    let v = value.trim();
    if v.contains(MARKER_PREFIX) {
        // Partly redacted by a more specific rule: what is left decides.
        return !is_only_markers(v);
    }
    if v.is_empty() || is_placeholder(v) {
        return false;
    }
    if is_short_number(v) || is_version(v) || is_path(v) || is_benign_word(v) {
        return false;
    }
    if !ctx.quoted && looks_like_code(v, ctx) {
        return false;
    }
    true
}

/// Nothing but `[REDACTED:…]` markers, apart from whitespace, escaped
/// whitespace (`\n`), punctuation and a scheme word such as `Bearer`.
fn is_only_markers(v: &str) -> bool {
    if !v.contains(MARKER_PREFIX) {
        return false;
    }
    let mut rest = String::with_capacity(v.len());
    let mut tail = v;
    while let Some(start) = tail.find(MARKER_PREFIX) {
        rest.push_str(tail.get(..start).unwrap_or_default());
        let after = tail.get(start..).unwrap_or_default();
        match after.find(']') {
            Some(end) => tail = after.get(end + 1..).unwrap_or_default(),
            None => {
                rest.push_str(after);
                tail = "";
            }
        }
    }
    rest.push_str(tail);
    let rest = rest
        .replace("\\n", " ")
        .replace("\\r", " ")
        .replace("\\t", " ");
    let rest = rest.trim();
    !rest.chars().any(char::is_alphanumeric)
        || ["bearer", "basic", "token"]
            .iter()
            .any(|w| rest.eq_ignore_ascii_case(w))
}

/// Placeholders, references and masks (see the module docs).
fn is_placeholder(v: &str) -> bool {
    let v = v.trim();
    if v.is_empty() {
        return true;
    }
    if v.starts_with(['$', '%', '<', '{']) || v.starts_with("#{") {
        return true;
    }
    if v.chars()
        .all(|c| matches!(c, 'x' | 'X' | '*' | '.' | '-' | '_' | '#' | '•' | '…'))
    {
        return true;
    }
    if v.ends_with("...") || v.ends_with('…') {
        return true;
    }
    let lower = v.to_ascii_lowercase();
    lower.starts_with("your")
        || [
            "example",
            "placeholder",
            "changeme",
            "change_me",
            "change-me",
            "redacted",
        ]
        .iter()
        .any(|w| lower.contains(w))
}

/// Integers of at most five digits (counts, limits, ports) and decimals.
fn is_short_number(v: &str) -> bool {
    let digits = v.strip_prefix(['+', '-']).unwrap_or(v);
    if digits.is_empty() {
        return false;
    }
    if digits.bytes().all(|b| b.is_ascii_digit()) {
        return digits.len() <= 5;
    }
    match digits.split_once('.') {
        Some((int, frac)) => {
            !int.is_empty()
                && !frac.is_empty()
                && int.bytes().all(|b| b.is_ascii_digit())
                && frac.bytes().all(|b| b.is_ascii_digit())
        }
        None => false,
    }
}

/// `1.2.3`, `^4.0.0`, `~1.2`, `>=2.0.0-beta.1`, `v1.2.3`.
fn is_version(v: &str) -> bool {
    let core = v.trim_start_matches(['^', '~', '>', '<', '=', 'v', 'V', ' ']);
    let core = core.split(['-', '+']).next().unwrap_or_default();
    let parts: Vec<&str> = core.split('.').collect();
    (2..=4).contains(&parts.len())
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

/// `~/.ssh/id_rsa`, `./key.pem`, `../x`, `/run/secrets/db`, `C:\keys\a.pem`.
fn is_path(v: &str) -> bool {
    if v.starts_with("~/") || v.starts_with("./") || v.starts_with("../") {
        return true;
    }
    let b = v.as_bytes();
    if b.len() > 3 && b[0].is_ascii_alphabetic() && b[1] == b':' && b[2] == b'\\' {
        return true;
    }
    match v.strip_prefix('/') {
        Some(rest) => {
            let segments: Vec<&str> = rest.trim_end_matches('/').split('/').collect();
            segments.len() >= 2
                && segments.iter().all(|s| {
                    !s.is_empty()
                        && s.bytes()
                            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'-'))
                })
        }
        None => false,
    }
}

/// Literals and keywords that are never secrets.
fn is_benign_word(v: &str) -> bool {
    const WORDS: &[&str] = &[
        "true",
        "false",
        "null",
        "none",
        "nil",
        "undefined",
        "yes",
        "no",
        "on",
        "off",
        "ok",
        "required",
        "optional",
        "inherit",
        "include",
        "omit",
        "same-origin",
        "latest",
        "return",
        "await",
        "self",
        "this",
        "new",
        "not",
    ];
    WORDS.iter().any(|w| v.eq_ignore_ascii_case(w))
}

/// Unquoted values that are code: calls, indexing, dotted paths and type
/// annotations.
fn looks_like_code(v: &str, ctx: ValueCtx) -> bool {
    if matches!(ctx.next, Some('(' | '[')) {
        return true;
    }
    if is_dotted_path(v) {
        return true;
    }
    if ctx.colon {
        if matches!(ctx.next, Some('<' | '|' | '?')) {
            return true;
        }
        const TYPES: &[&str] = &[
            "str", "string", "bool", "boolean", "int", "integer", "float", "number", "bytes",
            "any", "unknown", "object", "char", "i32", "i64", "u8", "u32", "u64", "usize", "isize",
            "f32", "f64",
        ];
        if TYPES.iter().any(|t| v.eq_ignore_ascii_case(t)) {
            return true;
        }
        // CamelCase, letters only: `String`, `SecretString`, `Option`.
        let b = v.as_bytes();
        if b.first().is_some_and(u8::is_ascii_uppercase)
            && b.iter().all(u8::is_ascii_alphabetic)
            && b.iter().any(u8::is_ascii_lowercase)
        {
            return true;
        }
    }
    false
}

/// `self.token`, `process.env.API_KEY`, `settings::SECRET`. Each part must
/// look like an identifier a person wrote: random tokens with dots
/// (`hvs.CAESIJ…`) have long parts with digits.
fn is_dotted_path(v: &str) -> bool {
    let mut parts = 0;
    for path_part in v.split("::") {
        for p in path_part.split('.') {
            let b = p.as_bytes();
            let Some(first) = b.first() else {
                return false;
            };
            let ident = (first.is_ascii_alphabetic() || *first == b'_')
                && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'_');
            let human = !b.iter().any(u8::is_ascii_digit) || b.len() <= 8;
            if !ident || !human || b.len() > 40 {
                return false;
            }
            parts += 1;
        }
    }
    parts >= 2
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_trigger_is_memoised() {
        assert!(DEFAULT_RULES.triggers.len() <= MAX_TRIGGERS);
        assert_eq!(DEFAULT_RULES.rules.len(), RULES.len());
    }

    #[test]
    fn every_lazily_compiled_pattern_is_valid() {
        for rule in &DEFAULT_RULES.rules {
            assert!(Regex::new(rule.pattern).is_ok(), "{}", rule.kind);
        }
        for t in &DEFAULT_RULES.triggers {
            assert!(BytesRegex::new(&t.pattern).is_ok(), "{}", t.pattern);
        }
    }

    /// The literal gate is sound: every match of a trigger starts with one of
    /// its literals. regex-syntax extracts the finite set of prefixes every
    /// match starts with; each must begin with one of the trigger's literals.
    #[test]
    fn every_trigger_match_starts_with_one_of_its_literals() {
        use regex_syntax::hir::literal::{ExtractKind, Extractor};
        for spec in RULES {
            let hir = regex_syntax::ParserBuilder::new()
                .build()
                .parse(spec.trigger)
                .unwrap();
            let seq = Extractor::new().kind(ExtractKind::Prefix).extract(&hir);
            let prefixes = seq
                .literals()
                .unwrap_or_else(|| panic!("{}: prefixes are not finite", spec.trigger));
            assert!(!prefixes.is_empty(), "{}", spec.trigger);
            for p in prefixes {
                assert!(
                    spec.literals
                        .iter()
                        .any(|l| p.as_bytes().starts_with(l.as_bytes())),
                    "{}: a match can start with {:?}, which no literal covers",
                    spec.trigger,
                    String::from_utf8_lossy(p.as_bytes())
                );
            }
            for l in spec.literals {
                assert_eq!(
                    *l,
                    l.to_lowercase(),
                    "literals are searched in lowercased text"
                );
            }
        }
    }

    /// Both gates give the same redactions: the literal gate of a young process
    /// and the trigger regexes it switches to.
    #[test]
    fn the_literal_gate_and_the_regex_gate_agree() {
        let rules = &*DEFAULT_RULES;
        let token = format!("ghp_{}", "a1B2c3D4e5".repeat(4));
        let texts = [
            "cargo test --workspace".to_string(),
            format!("git push https://{token}@github.com/acme/app.git"),
            "export DB_PASSWORD=hunter2 and Authorization: Bearer 4f9c2a7e1b3d5f60a8c9".into(),
            "curl -u admin:s3cretpass https://example.org".into(),
            "postgres://app:s3cret@db:5432/app".into(),
        ];
        let gate = FastGate::new(&rules.trigger_literals).unwrap();
        for text in &texts {
            let lower = text.to_ascii_lowercase();
            let bits = gate.present(lower.as_bytes());
            for (t, trigger) in rules.triggers.iter().enumerate() {
                if trigger.get().is_match(lower.as_bytes()) {
                    assert!(bits & (1 << t) != 0, "{text}: {} missed", trigger.pattern);
                }
            }
            assert_eq!(
                bits != 0,
                rules.any_trigger.get().is_match(lower.as_bytes()),
                "{text}"
            );
        }
    }

    #[test]
    fn triggers_are_lowercase() {
        // They are searched in the lowercased text; an upper case letter
        // would make a trigger unmatchable (escapes such as `\s` aside).
        for spec in RULES {
            let letters = spec.trigger.replace("\\s", "").replace("\\t", "");
            assert!(
                !letters.bytes().any(|b| b.is_ascii_uppercase()),
                "{}",
                spec.trigger
            );
        }
    }

    #[test]
    fn name_segments_split_words_and_humps() {
        assert_eq!(name_segments("clientSecret"), ["client", "Secret"]);
        assert_eq!(name_segments("APIKey"), ["API", "Key"]);
        assert_eq!(name_segments("x-api-key"), ["x", "api", "key"]);
        assert_eq!(name_segments("DB_PASSWORD2"), ["DB", "PASSWORD2"]);
        assert_eq!(name_segments("--token"), ["token"]);
        assert!(name_segments("_.-").is_empty());
    }

    #[test]
    fn secret_names() {
        for name in [
            "DB_PASSWORD",
            "clientSecret",
            "client_secret",
            "x-api-key",
            "X-Api-Key",
            "SECRET_KEY_BASE",
            "OPENAI_API_KEY",
            "aws_secret_access_key",
            "APIKey",
            "apikey",
            "privateKey",
            "smtp_pass",
            "db_pwd",
            "GITHUB_TOKEN",
            "_authToken",
            "password_confirmation",
            "credentials",
            "WIFI_PASSPHRASE",
            "APP_KEY",
            "spring.datasource.password",
        ] {
            assert!(is_secret_name(name), "{name} should be a secret name");
        }
        for name in [
            "password_reset_form",
            "token_count",
            "max_tokens",
            "input_tokens",
            "TOKENIZER",
            "secret_name",
            "private_key_path",
            "private_key_id",
            "PWD",
            "OLDPWD",
            "pass",
            "passport",
            "bypass",
            "token_type",
            "api_key_id",
            "credential_helper",
            "key",
            "[REDACTED:github-token]",
        ] {
            assert!(!is_secret_name(name), "{name} should not be a secret name");
        }
    }

    #[test]
    fn values() {
        let unquoted = ValueCtx {
            quoted: false,
            colon: false,
            next: None,
        };
        let colon = ValueCtx {
            colon: true,
            ..unquoted
        };
        let call = ValueCtx {
            next: Some('('),
            ..unquoted
        };
        let quoted = ValueCtx::quoted();
        for (value, ctx) in [
            ("hunter2", unquoted),
            ("hunter2", quoted),
            ("123456", unquoted),
            ("p@ss w0rd", quoted),
            ("hvs.CAESIJ4x9Qk2LmNpR7tW", unquoted),
            ("S3cret", colon),
            ("abc-[REDACTED:openai-key]", unquoted),
        ] {
            assert!(value_is_secret(value, ctx), "{value:?} should be a secret");
        }
        for (value, ctx) in [
            ("", quoted),
            ("4096", unquoted),
            ("0.5", unquoted),
            ("^4.0.0", quoted),
            ("true", unquoted),
            ("null", unquoted),
            ("${TOKEN}", unquoted),
            ("$TOKEN", unquoted),
            ("<your-token>", quoted),
            ("{{ token }}", quoted),
            ("xxxxxxxx", quoted),
            ("********", quoted),
            ("changeme", unquoted),
            ("YOUR_API_KEY", quoted),
            ("sk-...", quoted),
            ("~/.ssh/id_rsa", unquoted),
            ("/run/secrets/db", unquoted),
            ("self.api_key", unquoted),
            ("process.env.API_KEY", unquoted),
            ("get_token", call),
            ("String", colon),
            ("str", colon),
            ("[REDACTED:jwt]", quoted),
            ("Bearer [REDACTED:jwt]", quoted),
            ("[REDACTED:private-key]\\n", quoted),
        ] {
            assert!(
                !value_is_secret(value, ctx),
                "{value:?} should not be a secret"
            );
        }
    }

    #[test]
    fn self_named_values_are_code() {
        let ctx = ValueCtx {
            quoted: false,
            colon: false,
            next: None,
        };
        assert!(value_names_itself("api_key", "api_key", ctx));
        assert!(value_names_itself("self.password", "password", ctx));
        assert!(!value_names_itself("password", "hunter2", ctx));
        assert!(!value_names_itself("token", "token", ValueCtx::quoted()));
    }
}
