//! Redaction corpus: real-format (fake) secrets that must be redacted and
//! look-alikes that must be left untouched, plus `redact_json`, `truncate`
//! and property tests.
//!
//! No secret sits in this file verbatim: every value is generated from a fixed
//! seed with the charset and length of the real format.

use std::borrow::Cow;

use hivemind_core::redact::{redact, redact_json, truncate, Redactor};
use proptest::prelude::*;
use serde_json::json;

// ---------------------------------------------------------------------------
// Deterministic generators.
// ---------------------------------------------------------------------------

const UPPER: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const LOWER: &str = "abcdefghijklmnopqrstuvwxyz";
const DIGITS: &str = "0123456789";
const HEX: &str = "0123456789abcdef";

fn alnum() -> String {
    format!("{UPPER}{LOWER}{DIGITS}")
}
fn b64url() -> String {
    format!("{UPPER}{LOWER}{DIGITS}-_")
}
fn b64() -> String {
    format!("{UPPER}{LOWER}{DIGITS}+/")
}

/// `len` characters of `charset`, from a xorshift generator seeded by
/// `seed`. Starts with an upper case letter, a lower case letter and a digit
/// when the charset has them, like virtually every real random token.
fn gen(seed: u64, len: usize, charset: &str) -> String {
    let chars: Vec<char> = charset.chars().collect();
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut out = String::with_capacity(len);
    for i in 0..len {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let forced = match i {
            0 => UPPER.chars().nth((state % 26) as usize),
            1 => LOWER.chars().nth((state % 26) as usize),
            2 => DIGITS.chars().nth((state % 10) as usize),
            _ => None,
        };
        let c = match forced {
            Some(c) if chars.contains(&c) => c,
            _ => chars[(state % chars.len() as u64) as usize],
        };
        out.push(c);
    }
    out
}

fn b64url_encode(bytes: &[u8]) -> String {
    let table: Vec<char> = b64url().chars().collect();
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let sextets = [(n >> 18) & 63, (n >> 12) & 63, (n >> 6) & 63, n & 63];
        for s in sextets.iter().take(chunk.len() + 1) {
            out.push(table[*s as usize]);
        }
    }
    out
}

fn jwt(seed: u64) -> String {
    let header = b64url_encode(br#"{"alg":"HS256","typ":"JWT"}"#);
    let payload = b64url_encode(
        format!(r#"{{"sub":"user-{seed}","name":"Jane Doe","iat":1716239022,"exp":1716242622}}"#)
            .as_bytes(),
    );
    format!("{header}.{payload}.{}", gen(seed, 43, &b64url()))
}

fn pem(label: &str, seed: u64, lines: usize) -> (String, String) {
    let body: Vec<String> = (0..lines)
        .map(|i| gen(seed + i as u64, 64, &b64()))
        .collect();
    let block = format!(
        "-----BEGIN {label}-----\n{}\n-----END {label}-----",
        body.join("\n")
    );
    (block, body[0].clone())
}

// ---------------------------------------------------------------------------
// The secrets corpus.
// ---------------------------------------------------------------------------

struct Case {
    /// The text the secret is embedded in.
    text: String,
    /// The secret value that must disappear.
    secret: String,
    /// The expected `[REDACTED:<kind>]` kind.
    kind: &'static str,
}

fn case(text: String, secret: &str, kind: &'static str) -> Case {
    Case {
        text,
        secret: secret.to_string(),
        kind,
    }
}

fn secrets() -> Vec<Case> {
    let mut c = Vec::new();

    // Anthropic.
    let k = format!("sk-ant-api03-{}AA", gen(1, 93, &b64url()));
    c.push(case(
        format!("export ANTHROPIC_API_KEY={k}\n"),
        &k,
        "anthropic-key",
    ));
    let k = format!("sk-ant-api03-{}AA", gen(2, 93, &b64url()));
    c.push(case(
        format!("{{\n  \"apiKey\": \"{k}\",\n  \"model\": \"claude-sonnet-4-5\"\n}}"),
        &k,
        "anthropic-key",
    ));
    let k = format!("sk-ant-admin01-{}AA", gen(3, 93, &b64url()));
    c.push(case(
        format!("curl https://api.anthropic.com/v1/organizations/users -H \"x-api-key: {k}\""),
        &k,
        "anthropic-key",
    ));
    let k = format!("sk-ant-oat01-{}AA", gen(4, 93, &b64url()));
    c.push(case(
        format!("2024-05-01T10:00:00Z DEBUG auth: using oauth token {k} for session"),
        &k,
        "anthropic-key",
    ));

    // OpenAI.
    let k = format!(
        "sk-{}T3BlbkFJ{}",
        gen(5, 20, &alnum()),
        gen(6, 20, &alnum())
    );
    c.push(case(format!("OPENAI_API_KEY={k}"), &k, "openai-key"));
    let k = format!(
        "sk-proj-{}T3BlbkFJ{}",
        gen(7, 74, &b64url()),
        gen(8, 74, &b64url())
    );
    c.push(case(
        format!(
            "client = OpenAI(api_key=\"{k}\")\nresp = client.responses.create(model=\"gpt-4.1\")"
        ),
        &k,
        "openai-key",
    ));
    let k = format!(
        "sk-svcacct-{}T3BlbkFJ{}",
        gen(9, 60, &b64url()),
        gen(10, 60, &b64url())
    );
    c.push(case(
        format!("openai:\n  api_key: {k}\n  org: acme\n"),
        &k,
        "openai-key",
    ));
    let k = format!("sk-proj-{}", gen(11, 120, &b64url()));
    c.push(case(
        format!("curl https://api.openai.com/v1/models -H \"Authorization: Bearer {k}\""),
        &k,
        "openai-key",
    ));

    // AWS.
    let id = format!("AKIA{}", gen(12, 16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"));
    c.push(case(
        format!("[default]\naws_access_key_id = {id}\nregion = eu-west-1\n"),
        &id,
        "aws-access-key-id",
    ));
    let id = format!("ASIA{}", gen(13, 16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"));
    c.push(case(
        format!("{{\"Credentials\": {{\"AccessKeyId\": \"{id}\", \"Expiration\": \"2024-05-01T12:00:00Z\"}}}}"),
        &id,
        "aws-access-key-id",
    ));
    let sk = gen(14, 40, &b64());
    c.push(case(
        format!("[default]\naws_secret_access_key = {sk}\n"),
        &sk,
        "aws-secret-key",
    ));
    let sk = gen(15, 40, &b64());
    c.push(case(
        format!("{{\"Credentials\": {{\"SecretAccessKey\": \"{sk}\", \"Expiration\": \"2024-05-01T12:00:00Z\"}}}}"),
        &sk,
        "aws-secret-key",
    ));
    let sk = gen(16, 40, &b64());
    c.push(case(
        format!("export AWS_SECRET_ACCESS_KEY={sk}"),
        &sk,
        "aws-secret-key",
    ));

    // GitHub.
    let t = format!("ghp_{}", gen(17, 36, &alnum()));
    c.push(case(
        format!("git remote set-url origin https://{t}@github.com/acme/app.git"),
        &t,
        "github-token",
    ));
    let t = format!("gho_{}", gen(18, 36, &alnum()));
    c.push(case(
        format!("github.com:\n    oauth_token: {t}\n    user: jane\n"),
        &t,
        "github-token",
    ));
    let t = format!("ghu_{}", gen(19, 36, &alnum()));
    c.push(case(
        format!("[app] refreshed user token {t} (expires in 8h)"),
        &t,
        "github-token",
    ));
    let t = format!("ghs_{}", gen(20, 36, &alnum()));
    c.push(case(
        format!("curl -H \"Authorization: token {t}\" https://api.github.com/repos/acme/app"),
        &t,
        "github-token",
    ));
    let t = format!("ghr_{}", gen(21, 36, &alnum()));
    c.push(case(
        format!("echo {t} | gh auth login --with-token"),
        &t,
        "github-token",
    ));
    let t = format!(
        "github_pat_{}_{}",
        gen(22, 22, &alnum()),
        gen(23, 59, &alnum())
    );
    c.push(case(
        format!("GH_TOKEN={t}\nGH_HOST=github.com\n"),
        &t,
        "github-token",
    ));

    // GitLab.
    let t = format!("glpat-{}", gen(24, 20, &b64url()));
    c.push(case(
        format!("git clone https://oauth2:{t}@gitlab.com/acme/app.git"),
        &t,
        "gitlab-token",
    ));
    let t = format!("glpat-{}", gen(25, 20, &b64url()));
    c.push(case(
        format!("curl --header \"PRIVATE-TOKEN: {t}\" https://gitlab.com/api/v4/projects"),
        &t,
        "gitlab-token",
    ));

    // Slack.
    let t = format!(
        "xoxb-{}-{}-{}",
        gen(26, 12, DIGITS),
        gen(27, 13, DIGITS),
        gen(28, 24, &alnum())
    );
    c.push(case(format!("SLACK_BOT_TOKEN={t}"), &t, "slack-token"));
    let t = format!(
        "xoxp-{}-{}-{}-{}",
        gen(29, 12, DIGITS),
        gen(30, 12, DIGITS),
        gen(31, 13, DIGITS),
        gen(32, 32, HEX)
    );
    c.push(case(
        format!("curl -X POST https://slack.com/api/chat.postMessage -d token={t} -d channel=C123"),
        &t,
        "slack-token",
    ));
    let t = format!("xoxa-2-{}-{}", gen(33, 12, DIGITS), gen(34, 32, HEX));
    c.push(case(
        format!("slack workspace token: {t}"),
        &t,
        "slack-token",
    ));
    let t = format!(
        "xapp-1-A{}-{}-{}",
        gen(35, 10, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"),
        gen(36, 13, DIGITS),
        gen(37, 64, HEX)
    );
    c.push(case(
        format!("{{\"socket_mode\": true, \"app_level\": \"{t}\"}}"),
        &t,
        "slack-token",
    ));
    let path = format!(
        "T{}/B{}/{}",
        gen(38, 8, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"),
        gen(39, 10, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"),
        gen(40, 24, &alnum())
    );
    c.push(case(
        format!("curl -X POST -H 'Content-type: application/json' --data '{{\"text\":\"deployed\"}}' https://hooks.slack.com/services/{path}"),
        &path,
        "slack-webhook",
    ));
    let path = format!(
        "T{}/B{}/{}",
        gen(41, 8, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"),
        gen(42, 10, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"),
        gen(43, 24, &alnum())
    );
    c.push(case(
        format!("{{\"notify\": {{\"url\": \"https://hooks.slack.com/services/{path}\"}}}}"),
        &path,
        "slack-webhook",
    ));

    // Stripe.
    let k = format!("sk_live_{}", gen(44, 99, &alnum()));
    c.push(case(format!("STRIPE_API_KEY={k}"), &k, "stripe-key"));
    let k = format!("rk_live_{}", gen(45, 99, &alnum()));
    c.push(case(
        format!("2024-05-01 12:00:01 WARN stripe: restricted key {k} lacks charges:write"),
        &k,
        "stripe-key",
    ));
    let k = format!("sk_test_{}", gen(46, 99, &alnum()));
    c.push(case(
        format!("const stripe = require('stripe')('{k}');"),
        &k,
        "stripe-key",
    ));
    let k = format!("whsec_{}", gen(47, 32, &alnum()));
    c.push(case(
        format!("stripe listen --forward-to localhost:4242/webhook # {k}"),
        &k,
        "stripe-key",
    ));

    // Google.
    let k = format!("AIza{}", gen(48, 35, &b64url()));
    c.push(case(
        format!("const firebaseConfig = {{ apiKey: \"{k}\", projectId: \"acme-prod\" }};"),
        &k,
        "google-api-key",
    ));
    let k = format!("AIza{}", gen(49, 35, &b64url()));
    c.push(case(
        format!("curl \"https://maps.googleapis.com/maps/api/geocode/json?address=Paris&key={k}\""),
        &k,
        "google-api-key",
    ));

    // npm.
    let t = format!("npm_{}", gen(50, 36, &alnum()));
    c.push(case(
        format!("//registry.npmjs.org/:_authToken={t}\n"),
        &t,
        "npm-token",
    ));

    // Private keys (whole block, multi-line).
    let (block, line) = pem("RSA PRIVATE KEY", 51, 12);
    c.push(case(
        format!("$ cat ~/.ssh/id_rsa\n{block}\n$ "),
        &line,
        "private-key",
    ));
    let (block, line) = pem("OPENSSH PRIVATE KEY", 70, 6);
    c.push(case(
        format!("Here is the deploy key:\n\n{block}\n\nAdd it to the CI secrets."),
        &line,
        "private-key",
    ));
    let (block, line) = pem("PRIVATE KEY", 80, 8);
    let escaped = block.replace('\n', "\\n");
    c.push(case(
        format!("{{\"type\": \"service_account\", \"private_key_id\": \"4f3c2b1a\", \"private_key\": \"{escaped}\\n\", \"client_email\": \"ci@acme.iam.gserviceaccount.com\"}}"),
        &line,
        "private-key",
    ));
    let (block, line) = pem("EC PRIVATE KEY", 90, 3);
    c.push(case(
        format!("tls:\n  key: |\n{block}\n"),
        &line,
        "private-key",
    ));

    // JWTs.
    let t = jwt(100);
    c.push(case(
        format!("Set-Cookie: session={t}; Path=/; HttpOnly; Secure"),
        &t,
        "jwt",
    ));
    let t = jwt(101);
    c.push(case(
        format!("curl https://api.acme.dev/me -H \"Authorization: Bearer {t}\""),
        &t,
        "jwt",
    ));

    // Bearer tokens.
    let t = gen(102, 40, &alnum());
    c.push(case(
        format!("GET /v1/me HTTP/1.1\r\nHost: api.acme.dev\r\nAuthorization: Bearer {t}\r\n"),
        &t,
        "bearer-token",
    ));
    let t = format!("{}.{}", gen(103, 24, &b64url()), gen(104, 32, &b64url()));
    c.push(case(
        format!("http GET https://api.acme.dev/orders 'authorization:bearer {t}'"),
        &t,
        "bearer-token",
    ));
    let t = b64url_encode(b"deploy-bot:correct-horse-battery-staple")
        .replace('-', "+")
        .replace('_', "/");
    c.push(case(format!("Authorization: Basic {t}"), &t, "basic-auth"));

    // Connection strings: only the password goes.
    let p = gen(105, 18, &alnum());
    c.push(case(
        format!("DATABASE_URL=postgres://app:{p}@db.internal:5432/app?sslmode=require"),
        &p,
        "password",
    ));
    let p = gen(106, 16, &alnum());
    c.push(case(
        format!("mysql://root:{p}@127.0.0.1:3306/shop"),
        &p,
        "password",
    ));
    let p = gen(107, 20, &alnum());
    c.push(case(
        format!("const uri = \"mongodb+srv://admin:{p}@cluster0.ab1cd.mongodb.net/prod?retryWrites=true\";"),
        &p,
        "password",
    ));
    let p = gen(108, 24, &alnum());
    c.push(case(
        format!("REDIS_URL=redis://:{p}@cache:6379/0"),
        &p,
        "password",
    ));
    let p = format!("{}!", gen(131, 12, &alnum()));
    c.push(case(
        format!("curl -u deploy:{p} https://ci.acme.dev/api/json"),
        &p,
        "password",
    ));
    let p = gen(109, 16, &alnum());
    c.push(case(
        format!("celery worker --broker amqp://guest:{p}@rabbit:5672//"),
        &p,
        "password",
    ));

    // Secret-named assignments: only the value goes.
    let v = format!("hunter{}", gen(110, 4, DIGITS));
    c.push(case(
        format!("DB_PASSWORD={v}\nDB_HOST=localhost\n"),
        &v,
        "secret-assignment",
    ));
    let v = gen(111, 32, &alnum());
    c.push(case(
        format!("export OPENAI_API_KEY=\"{v}\""),
        &v,
        "secret-assignment",
    ));
    let v = gen(112, 40, &b64url());
    c.push(case(
        format!("{{\"client_id\": \"web-app\", \"client_secret\": \"{v}\", \"redirect_uri\": \"https://acme.dev/cb\"}}"),
        &v,
        "secret-assignment",
    ));
    let v = format!("S3cr3t!{}", gen(113, 8, &alnum()));
    c.push(case(
        format!("database:\n  user: app\n  password: {v}\n"),
        &v,
        "secret-assignment",
    ));
    let v = gen(114, 128, HEX);
    c.push(case(
        format!("SECRET_KEY_BASE={v}"),
        &v,
        "secret-assignment",
    ));
    let v = gen(115, 32, &alnum());
    c.push(case(format!("api_key = '{v}'"), &v, "secret-assignment"));
    let v = gen(116, 14, &alnum());
    c.push(case(
        format!("mysql -h db -u root --password {v} shop"),
        &v,
        "secret-assignment",
    ));
    let v = gen(117, 16, &alnum());
    c.push(case(
        format!("PGPASSWORD={v} psql -h db -U app"),
        &v,
        "secret-assignment",
    ));
    let v = gen(118, 50, &alnum());
    c.push(case(
        format!("DJANGO_SECRET_KEY='{v}'"),
        &v,
        "secret-assignment",
    ));
    let v = gen(119, 32, HEX);
    c.push(case(
        format!("curl -H \"X-Api-Key: {v}\" https://api.acme.dev/v2/reports"),
        &v,
        "secret-assignment",
    ));
    let v = gen(120, 30, &alnum());
    c.push(case(
        format!("GET https://graph.acme.dev/me?fields=id&access_token={v}&v=19"),
        &v,
        "secret-assignment",
    ));
    let v = format!("p@ss w0rd {}", gen(121, 6, &alnum()));
    c.push(case(
        format!("{{\"username\": \"jane\", \"password\": \"{v}\"}}"),
        &v,
        "secret-assignment",
    ));
    let v = gen(122, 24, &alnum());
    c.push(case(
        format!("{{\"content\": \"{{\\\"api_key\\\": \\\"{v}\\\"}}\"}}"),
        &v,
        "secret-assignment",
    ));
    let v = gen(123, 20, &alnum());
    c.push(case(
        format!("const config = {{ privateKey: \"{v}\" }};"),
        &v,
        "secret-assignment",
    ));
    let v = gen(124, 36, &alnum());
    c.push(case(
        format!("$credentials = \"{v}\";"),
        &v,
        "secret-assignment",
    ));
    let v = gen(125, 32, &alnum());
    c.push(case(
        format!("auth:\n  token: {v}\n"),
        &v,
        "secret-assignment",
    ));
    let v = gen(126, 12, &alnum());
    c.push(case(
        format!("docker login -u jane --password={v} registry.acme.dev"),
        &v,
        "secret-assignment",
    ));
    let v = gen(127, 24, &alnum());
    c.push(case(
        format!("'smtp_pass' => '{v}',"),
        &v,
        "secret-assignment",
    ));
    let v = gen(128, 44, &b64());
    c.push(case(format!("APP_KEY=base64:{v}"), &v, "secret-assignment"));
    let v = gen(129, 12, DIGITS);
    c.push(case(
        format!("WIFI_PASSPHRASE={v}"),
        &v,
        "secret-assignment",
    ));
    let v = format!("hvs.{}", gen(130, 90, &b64url()));
    c.push(case(
        format!("export VAULT_TOKEN={v}"),
        &v,
        "secret-assignment",
    ));

    c
}

// ---------------------------------------------------------------------------
// The look-alike corpus.
// ---------------------------------------------------------------------------

fn look_alikes() -> Vec<String> {
    let sha = gen(200, 40, HEX);
    let png = format!("iVBORw0KGgoAAAANSUhEUgAA{}", gen(201, 4000, &b64()));
    let blob = gen(202, 3000, &b64());
    let integrity = format!("sha512-{}==", gen(203, 86, &b64()));
    vec![
        format!("commit {sha}\nAuthor: Jane Doe <jane@acme.dev>\nDate:   Wed May 1 12:00:00 2024 +0200"),
        format!("{} fix: handle empty input (#1234)", &sha[..7]),
        format!("{{\"sha\": \"{sha}\", \"parents\": [{{\"sha\": \"{}\"}}]}}", gen(204, 40, HEX)),
        format!("https://github.com/acme/app/commit/{sha}"),
        "request_id=3f2b1c9e-8a7d-4e6f-9b0a-1c2d3e4f5a6b status=200".to_string(),
        "GET /api/v1/users/550e8400-e29b-41d4-a716-446655440000/settings".to_string(),
        format!("<img src=\"data:image/png;base64,{png}\" alt=\"logo\"/>"),
        format!("{{\"type\": \"image\", \"source\": {{\"type\": \"base64\", \"media_type\": \"image/png\", \"data\": \"{blob}\"}}}}"),
        format!("\"node_modules/left-pad\": {{\"version\": \"1.3.0\", \"integrity\": \"{integrity}\"}}"),
        format!("FROM rust@sha256:{}", gen(205, 64, HEX)),
        format!("[[package]]\nname = \"regex\"\nversion = \"1.10.4\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\nchecksum = \"{}\"", gen(206, 64, HEX)),
        "npm install sk-learn task-runner disk-usage --save-dev".to_string(),
        "import { tokenize } from 'sk-ant-design-system-tokens-v2';".to_string(),
        "path('reset/', views.password_reset_form, name='password_reset_form')".to_string(),
        "max_tokens = 4096".to_string(),
        "{\"model\": \"claude-sonnet-4-5\", \"max_tokens\": 4096, \"temperature\": 0.2}".to_string(),
        "token_count: 12".to_string(),
        "TOKENIZER=bert-base-uncased".to_string(),
        "{\"usage\": {\"input_tokens\": 1532, \"output_tokens\": 87}}".to_string(),
        "password_min_length = 12".to_string(),
        ".btn-primary { color: #ff00aa; background-color: #1a2b3c; }".to_string(),
        "{\"name\": \"hivemind\", \"version\": \"1.2.3-beta.1\"}".to_string(),
        "{\"dependencies\": {\"js-tokens\": \"^4.0.0\", \"jsonwebtoken\": \"^9.0.2\", \"csrf-token\": \"~1.0.3\"}}".to_string(),
        "psql postgres://localhost:5432/db".to_string(),
        "git clone https://jane@git.acme.dev/acme/app.git".to_string(),
        "mysql://root@localhost/shop".to_string(),
        "2024-05-01T12:34:56.789Z INFO server started in 0.42s".to_string(),
        "ls -la /home/jane/.ssh/id_ed25519 /etc/ssl/private/server.key".to_string(),
        "SSH_PRIVATE_KEY_PATH=/home/jane/.ssh/id_ed25519".to_string(),
        "api_key = os.environ[\"OPENAI_API_KEY\"]".to_string(),
        "token = get_token(session)".to_string(),
        "interface Login { username: string; password: string; }".to_string(),
        "pub struct Client { token: Option<String>, base_url: String }".to_string(),
        "env:\n  GITHUB_TOKEN: ${{ secrets.GITHUB_TOKEN }}\n  NPM_TOKEN: ${NPM_TOKEN}\n".to_string(),
        "export API_KEY=<your-api-key>".to_string(),
        "password: \"\"".to_string(),
        "{\"api_key\": \"xxxxxxxxxxxxxxxx\"}".to_string(),
        "DB_PASSWORD=changeme".to_string(),
        "secret_name: my-app-secret".to_string(),
        "{\"access_token\": \"[REDACTED:secret-assignment]\", \"token_type\": \"Bearer\", \"expires_in\": 3600}".to_string(),
        "curl -H \"Authorization: Bearer $TOKEN\" https://api.acme.dev".to_string(),
        "Use a bearer token for every request to the admin API.".to_string(),
        "PWD=/home/jane/src/app".to_string(),
        "git config --global credential.helper store".to_string(),
        "arn:aws:iam::123456789012:role/DeployRole".to_string(),
        "Personal access tokens start with ghp_ and are 40 characters long.".to_string(),
        "{\"payload\": \"eyJhbGciOiJIUzI1NiJ9\"}".to_string(),
        "{\"password\": null, \"remember_me\": true}".to_string(),
        "is_secret = true".to_string(),
        "client = Client(api_key=api_key, timeout=30)".to_string(),
        "self.password = password".to_string(),
        "headers = {\"Authorization\": f\"Bearer {token}\"}".to_string(),
        "fetch(url, { credentials: 'include' })".to_string(),
        "const apiKey = process.env.STRIPE_API_KEY;".to_string(),
        "private_key_path = \"/etc/acme/keys/signing.pem\"".to_string(),
        "AIzaSyShort is not a key, and neither is AKIA alone.".to_string(),
        "version: v1.2.3, released 2024-01-01, mac 00:1a:2b:3c:4d:5e, ip ::1".to_string(),
        "test result: ok. 42 passed; 0 failed; 0 ignored".to_string(),
        "docker run --rm -u 1000:1000 -v \"$PWD\":/src rust:1.85 cargo build".to_string(),
        "git push -u origin feature/redaction".to_string(),
        "match token { Token::Secret => \"hidden\", _ => \"shown\" }".to_string(),
    ]
}

// ---------------------------------------------------------------------------
// Corpus tests.
// ---------------------------------------------------------------------------

#[test]
fn corpus_sizes_do_not_shrink() {
    let s = secrets().len();
    let l = look_alikes().len();
    eprintln!("redaction corpus: {s} secrets, {l} look-alikes");
    assert!(s >= 45, "secret corpus shrank to {s}");
    assert!(l >= 45, "look-alike corpus shrank to {l}");
}

#[test]
fn every_secret_is_redacted() {
    let mut failures = Vec::new();
    for (i, c) in secrets().iter().enumerate() {
        let out = redact(&c.text);
        let marker = format!("[REDACTED:{}]", c.kind);
        if out.contains(c.secret.as_str()) || !out.contains(&marker) {
            failures.push(format!(
                "#{i} expected {marker}\n  in:  {}\n  out: {out}",
                c.text
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} secrets not redacted:\n{}",
        failures.len(),
        secrets().len(),
        failures.join("\n")
    );
}

#[test]
fn no_look_alike_is_touched() {
    let mut failures = Vec::new();
    for (i, text) in look_alikes().iter().enumerate() {
        match redact(text) {
            Cow::Borrowed(out) if out == text => {}
            out => failures.push(format!("#{i}\n  in:  {text}\n  out: {out}")),
        }
    }
    assert!(
        failures.is_empty(),
        "{} look-alikes touched:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn redacting_the_corpus_twice_changes_nothing() {
    for c in secrets() {
        let once = redact(&c.text).into_owned();
        let twice = redact(&once);
        assert_eq!(twice, once, "not idempotent on {}", c.text);
    }
}

#[test]
fn shape_is_kept() {
    let p = gen(300, 16, &alnum());
    assert_eq!(
        redact(&format!("postgres://user:{p}@host/db")),
        "postgres://user:[REDACTED:password]@host/db"
    );
    let t = gen(301, 32, &alnum());
    assert_eq!(
        redact(&format!("Authorization: Bearer {t}")),
        "Authorization: Bearer [REDACTED:bearer-token]"
    );
    assert_eq!(
        redact(&format!("curl -H 'authorization: bearer {t}' x")),
        "curl -H 'authorization: bearer [REDACTED:bearer-token]' x"
    );
    assert_eq!(
        redact("DB_PASSWORD=hunter2 ./run.sh"),
        "DB_PASSWORD=[REDACTED:secret-assignment] ./run.sh"
    );
    assert_eq!(
        redact("{\"client_secret\": \"abc123def456\"}"),
        "{\"client_secret\": \"[REDACTED:secret-assignment]\"}"
    );
    let k = format!("sk-ant-api03-{}AA", gen(302, 93, &b64url()));
    assert_eq!(
        redact(&format!("export ANTHROPIC_API_KEY=\"{k}\"")),
        "export ANTHROPIC_API_KEY=\"[REDACTED:anthropic-key]\""
    );
    let (block, _) = pem("RSA PRIVATE KEY", 303, 4);
    assert_eq!(
        redact(&format!("a\n{block}\nb")),
        "a\n[REDACTED:private-key]\nb"
    );
}

#[test]
fn truncated_private_key_is_still_redacted() {
    let (block, line) = pem("RSA PRIVATE KEY", 304, 10);
    let cut = &block[..block.len() / 2];
    let out = redact(cut);
    assert!(!out.contains(&line), "{out}");
    assert!(out.contains("[REDACTED:private-key]"));
}

#[test]
fn redactor_and_free_functions_agree() {
    let r = Redactor::default();
    for c in secrets() {
        assert_eq!(r.redact(&c.text), redact(&c.text));
    }
    assert!(matches!(
        Redactor::new().redact("plain text"),
        Cow::Borrowed(_)
    ));
}

// ---------------------------------------------------------------------------
// redact_json.
// ---------------------------------------------------------------------------

#[test]
fn redact_json_redacts_nested_strings_and_counts() {
    let gh = format!("ghp_{}", gen(400, 36, &alnum()));
    let pw = gen(401, 14, &alnum());
    let sk = format!("sk-proj-{}", gen(402, 100, &b64url()));
    let mut value = json!({
        "type": "tool_use",
        "input": {
            "command": format!("git push https://{gh}@github.com/acme/app.git"),
            "env": {"DB_PASSWORD": pw.clone(), "OPENAI_API_KEY": sk.clone(), "HOME": "/home/jane"},
            "args": ["--verbose", format!("--url=postgres://app:{pw}@db/app"), 42, null, true]
        },
        "usage": {"input_tokens": 1532, "max_tokens": 4096},
        "password": "",
        "api_key": "${API_KEY}"
    });
    let n = redact_json(&mut value);
    // ghp token, DB_PASSWORD by key, openai key by pattern, URL password.
    assert_eq!(n, 4, "{value:#}");
    let text = value.to_string();
    for secret in [&gh, &pw, &sk] {
        assert!(!text.contains(secret.as_str()), "{text}");
    }
    assert_eq!(
        value["input"]["command"],
        "git push https://[REDACTED:github-token]@github.com/acme/app.git"
    );
    assert_eq!(
        value["input"]["env"]["DB_PASSWORD"],
        "[REDACTED:secret-assignment]"
    );
    assert_eq!(
        value["input"]["env"]["OPENAI_API_KEY"],
        "[REDACTED:openai-key]"
    );
    assert_eq!(value["input"]["env"]["HOME"], "/home/jane");
    assert_eq!(
        value["input"]["args"][1],
        "--url=postgres://app:[REDACTED:password]@db/app"
    );
    assert_eq!(value["input"]["args"][2], 42);
    assert_eq!(value["usage"]["max_tokens"], 4096);
    assert_eq!(value["password"], "");
    assert_eq!(value["api_key"], "${API_KEY}");

    // A second pass finds nothing.
    assert_eq!(redact_json(&mut value), 0);
}

#[test]
fn redact_json_handles_keys_numbers_and_deep_nesting() {
    let gh = format!("ghp_{}", gen(403, 36, &alnum()));
    let mut value = json!({ gh.clone(): "value", "pin": {"password": 12345678}, "port": 5432 });
    assert_eq!(redact_json(&mut value), 2);
    assert!(value.get("[REDACTED:github-token]").is_some(), "{value}");
    assert_eq!(value["pin"]["password"], "[REDACTED:secret-assignment]");
    assert_eq!(value["port"], 5432);

    // Deeper than any recursive walk could go on a test thread's stack.
    let mut deep = json!(format!("token {gh}"));
    for _ in 0..100_000 {
        deep = serde_json::Value::Array(vec![deep]);
    }
    assert_eq!(redact_json(&mut deep), 1);
    let mut inner = &deep;
    while let Some(next) = inner.get(0) {
        inner = next;
    }
    assert_eq!(inner, &json!("token [REDACTED:github-token]"));
    // Dropping a 100 000-deep Value recursively would overflow the stack too.
    let mut items = vec![deep];
    while let Some(mut v) = items.pop() {
        if let Some(a) = v.as_array_mut() {
            items.append(a);
        }
    }
}

// ---------------------------------------------------------------------------
// truncate.
// ---------------------------------------------------------------------------

fn marker_count(out: &str) -> Option<usize> {
    let start = out.rfind("\n[… truncated ")? + "\n[… truncated ".len();
    let rest = &out[start..];
    let end = rest.find(" bytes by hivemind …]")?;
    rest[..end].parse().ok()
}

#[test]
fn truncate_reports_exact_bytes_cut() {
    let text = "a".repeat(1000);
    let out = truncate(&text, 100);
    assert!(out.starts_with(&"a".repeat(100)));
    assert_eq!(marker_count(&out), Some(900));
    assert_eq!(
        out,
        format!("{}\n[… truncated 900 bytes by hivemind …]", "a".repeat(100))
    );
}

#[test]
fn truncate_never_splits_a_character() {
    // "é" is 2 bytes, "€" is 3, "🦀" is 4.
    let text = "é€🦀".repeat(50);
    for cap in 0..text.len() + 2 {
        let out = truncate(&text, cap);
        if text.len() <= cap {
            assert!(matches!(out, Cow::Borrowed(_)));
            continue;
        }
        let n = marker_count(&out).expect("marker present");
        let head_len = text.len() - n;
        assert!(head_len <= cap, "cap {cap}: head {head_len}");
        assert!(cap - head_len < 4, "cap {cap}: cut too much ({head_len})");
        assert!(text.is_char_boundary(head_len));
        assert_eq!(&out[..head_len], &text[..head_len]);
    }
}

#[test]
fn truncate_cap_zero_and_small_inputs() {
    assert_eq!(truncate("", 0), "");
    assert!(matches!(truncate("", 0), Cow::Borrowed(_)));
    assert_eq!(truncate("abc", 0), "\n[… truncated 3 bytes by hivemind …]");
    assert_eq!(truncate("🦀", 3), "\n[… truncated 4 bytes by hivemind …]");
    assert!(matches!(truncate("short", 5), Cow::Borrowed("short")));
    assert!(matches!(
        truncate("short", usize::MAX),
        Cow::Borrowed("short")
    ));
}

#[test]
fn truncate_fifty_megabytes_to_one() {
    const MB: usize = 1024 * 1024;
    let line = "log line with ünïcödé and an emoji 🦀\n";
    let mut big = line.repeat(50 * MB / line.len());
    big.push_str(&"x".repeat(50 * MB - big.len()));
    assert_eq!(big.len(), 50 * MB);
    let start = std::time::Instant::now();
    let out = truncate(&big, MB);
    let elapsed = start.elapsed();
    let n = marker_count(&out).expect("marker present");
    let head_len = big.len() - n;
    assert!(head_len <= MB && MB - head_len < 4);
    assert!(big.is_char_boundary(head_len));
    assert_eq!(
        out.len(),
        head_len + format!("\n[… truncated {n} bytes by hivemind …]").len()
    );
    eprintln!("truncate 50 MB -> 1 MB took {elapsed:?}");
}

// ---------------------------------------------------------------------------
// Properties.
// ---------------------------------------------------------------------------

/// Fragments that combine into texts close to the rules' edges.
fn fragment() -> impl Strategy<Value = String> {
    let fixed: Vec<String> = vec![
        "password".into(),
        "DB_PASSWORD".into(),
        "api_key".into(),
        "apiKey".into(),
        "token".into(),
        "max_tokens".into(),
        "secret".into(),
        "client_secret".into(),
        "--password".into(),
        "--token".into(),
        "Bearer".into(),
        "bearer".into(),
        "Authorization".into(),
        "Basic".into(),
        "=".into(),
        ":".into(),
        ": ".into(),
        " = ".into(),
        "==".into(),
        "=>".into(),
        "\"".into(),
        "'".into(),
        "\\\"".into(),
        " ".into(),
        "\n".into(),
        "\t".into(),
        "@".into(),
        "/".into(),
        "//".into(),
        "://".into(),
        "postgres://".into(),
        "https://".into(),
        "user".into(),
        "host".into(),
        "[".into(),
        "]".into(),
        "[REDACTED:".into(),
        "[REDACTED:password]".into(),
        "[REDACTED:secret-assignment]".into(),
        "]".into(),
        "-".into(),
        "_".into(),
        ".".into(),
        "sk-".into(),
        "sk-ant-api03-".into(),
        "ghp_".into(),
        "AKIA".into(),
        "AIza".into(),
        "eyJ".into(),
        "xoxb-".into(),
        "glpat-".into(),
        "sk_live_".into(),
        "-----BEGIN RSA PRIVATE KEY-----".into(),
        "-----END RSA PRIVATE KEY-----".into(),
        "${TOKEN}".into(),
        "changeme".into(),
        "xxx".into(),
        "4096".into(),
        "12345678".into(),
        "hunter2".into(),
        "String".into(),
        "é".into(),
        "🦀".into(),
        "(".into(),
        ")".into(),
        "{".into(),
        "}".into(),
        ",".into(),
        ";".into(),
        "&".into(),
        "?".into(),
        format!("ghp_{}", gen(500, 36, &alnum())),
        format!("sk-proj-{}", gen(501, 40, &b64url())),
        format!("AKIA{}", gen(502, 16, UPPER)),
        format!("AIza{}", gen(503, 35, &b64url())),
        jwt(504),
        gen(505, 40, &b64()),
        gen(506, 24, &alnum()),
        gen(507, 40, HEX),
    ];
    prop_oneof![
        4 => proptest::sample::select(fixed),
        1 => "[a-zA-Z0-9_.-]{1,12}",
        1 => any::<String>(),
    ]
}

fn edgy_text() -> impl Strategy<Value = String> {
    proptest::collection::vec(fragment(), 0..24).prop_map(|parts| parts.concat())
}

/// `PROPTEST_CASES` when set (for long fuzzing runs), else `default`.
fn cases(default: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default);
    ProptestConfig::with_cases(cases)
}

proptest! {
    #![proptest_config(cases(1000))]

    #[test]
    fn redact_never_panics_and_is_idempotent(text in any::<String>()) {
        let once = redact(&text).into_owned();
        let twice = redact(&once);
        prop_assert_eq!(twice.as_ref(), once.as_str());
    }

    #[test]
    fn redact_is_idempotent_on_edgy_text(text in edgy_text()) {
        let once = redact(&text).into_owned();
        let twice = redact(&once);
        prop_assert_eq!(twice.as_ref(), once.as_str(), "input: {:?}", text);
    }

    #[test]
    fn borrowed_means_unchanged(text in edgy_text()) {
        if let Cow::Borrowed(out) = redact(&text) {
            prop_assert_eq!(out, text.as_str());
        }
    }

    #[test]
    fn truncate_never_panics_and_keeps_a_prefix(text in any::<String>(), cap in 0usize..64) {
        let out = truncate(&text, cap);
        if text.len() <= cap {
            prop_assert!(matches!(out, Cow::Borrowed(_)));
            prop_assert_eq!(out.as_ref(), text.as_str());
        } else {
            let n = marker_count(&out);
            prop_assert!(n.is_some());
            let n = n.unwrap_or_default();
            let head = text.len() - n;
            prop_assert!(head <= cap);
            prop_assert!(text.is_char_boundary(head));
            prop_assert_eq!(&out[..head], &text[..head]);
            prop_assert_eq!(out.len(), head + format!("\n[… truncated {n} bytes by hivemind …]").len());
        }
    }
}

proptest! {
    #![proptest_config(cases(256))]

    #[test]
    fn redact_json_never_panics(text in edgy_text(), key in edgy_text()) {
        let mut value = json!({ key.clone(): [text.clone(), {"password": text.clone()}] });
        let _ = redact_json(&mut value);
        prop_assert_eq!(redact_json(&mut value), 0);
    }
}
