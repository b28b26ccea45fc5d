//! `report`: did a lesson stop the mistake? Corrections of a skill's pattern before it
//! existed against those in the sessions it was injected into, through the library API
//! (`context_for` records the injection, as the hooks do); `preview_context` records
//! nothing.
#![allow(clippy::unwrap_used)]

use hivemind_core::{Config, CorrectionInput, Hivemind, SessionId, Target, WorkspaceId};

fn open(home: &std::path::Path) -> Hivemind {
    let mut config = Config::with_home(home);
    config.workspace = Some(WorkspaceId::new("acme").unwrap());
    config.no_llm = true;
    // The temp dir is the project too: skills are written under it, not the cwd.
    Hivemind::open_in(config, Some(home.to_path_buf())).unwrap()
}

fn npm_correction(hm: &Hivemind, session: &str, package: &str) {
    hm.record_correction(CorrectionInput {
        session: Some(SessionId::new(session).unwrap()),
        produced: format!("npm install {package}"),
        accepted: Some(format!("pnpm add {package}")),
        reason: Some("use pnpm, never npm in this repo".into()),
        target: Some(Target::Tool("Bash".into())),
    })
    .unwrap();
}

#[test]
fn report_counts_corrections_before_the_skill_and_after_its_injection() {
    let dir = tempfile::tempdir().unwrap();
    let hm = open(dir.path());
    assert!(hm.report().unwrap().is_empty(), "no skill, no figures");

    for (i, pkg) in ["lodash", "zod", "dayjs"].iter().enumerate() {
        npm_correction(&hm, &format!("before-{i}"), pkg);
    }
    hm.skillify_blocking().unwrap();
    let skills = hm.skills().unwrap();
    assert_eq!(skills.len(), 1, "{skills:#?}");
    let name = skills[0].name.as_str().to_string();

    // A preview injects nothing.
    let preview = hm.preview_context("install axios", 2000).unwrap();
    assert!(preview.full.contains(&name), "{preview:#?}");
    let r = hm.report().unwrap();
    assert_eq!(r[0].sessions_injected, 0, "{r:#?}");

    // Two sessions receive the lesson; one of them repeats the mistake once.
    for s in ["after-1", "after-2"] {
        let sel = hm
            .context_for(&SessionId::new(s).unwrap(), "install axios", 2000)
            .unwrap();
        assert!(sel.full.contains(&name), "{sel:#?}");
    }
    // Asking again in the same session neither repeats the lesson nor counts twice.
    let again = hm
        .context_for(&SessionId::new("after-1").unwrap(), "add a date lib", 2000)
        .unwrap();
    assert!(!again.full.contains(&name));
    npm_correction(&hm, "after-2", "axios");
    // A correction in a session that never received the lesson is not "after".
    npm_correction(&hm, "elsewhere", "chalk");

    let r = hm.report().unwrap();
    assert_eq!(r.len(), 1, "{r:#?}");
    let e = &r[0];
    assert_eq!(e.skill, name);
    assert_eq!(e.corrections_before, 3, "{e:#?}");
    assert!(e.sessions_before >= 3, "{e:#?}");
    assert_eq!(e.sessions_injected, 2, "{e:#?}");
    assert_eq!(e.corrections_after, 1, "{e:#?}");
    assert_eq!(e.rate_after, Some(0.5), "{e:#?}");
    assert!(e.rate_before > e.rate_after.unwrap(), "{e:#?}");
    assert!(e.first_injected_at.is_some());
    hm.close().unwrap();
}
