//! Mining speed: 10,000 corrections over 1,000 sessions into skills.
//!
//! `cargo bench --bench skillify`

use chrono::{Duration, TimeZone, Utc};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use hivemind_core::skillify::{mine, LocalSkillifier, SkillifyOptions};
use hivemind_core::{
    Correction, CorrectionKind, InMemoryStore, SessionId, Store, Target, WorkspaceId,
};

/// 10,000 corrections: 200 recurring patterns (8,000 corrections) and 2,000 one-offs.
fn corrections(ws: &WorkspaceId) -> Vec<Correction> {
    let t0 = Utc
        .with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or_else(Utc::now);
    (0..10_000usize)
        .map(|n| {
            let session =
                SessionId::new(format!("session-{}", n % 1000)).unwrap_or_else(|_| unreachable!());
            let (produced, accepted, reason, target) = if n % 5 == 4 {
                (
                    format!("let tmp_{n} = old_{n}();\n"),
                    format!("let value_{n} = fresh_{n}();\n"),
                    format!("rename it to value_{n}"),
                    Target::File(format!("src/f{n}.rs")),
                )
            } else {
                let p = (n - n / 5) % 200; // the n-th non-one-off, round robin over 200 patterns
                (
                    format!("call_{n}(legacy_api_{p}(x));\nkeep_{n}();\n"),
                    format!("call_{n}(modern_api_{p}(x));\nkeep_{n}();\n"),
                    format!(
                        "use modern_api_{p} instead of legacy_api_{p} in module{}",
                        p % 13
                    ),
                    Target::File(format!("src/mod{}/file{n}.rs", p % 17)),
                )
            };
            let mut c = Correction::new(
                ws.clone(),
                session,
                CorrectionKind::Followup,
                target,
                produced,
                Some(accepted),
                Some(reason),
                0.9,
            )
            .unwrap_or_else(|_| unreachable!());
            c.created_at = t0 + Duration::seconds(n as i64);
            c
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let ws = WorkspaceId::new("bench").unwrap_or_else(|_| unreachable!());
    let all = corrections(&ws);
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap_or_else(|_| unreachable!());
    let mut g = c.benchmark_group("skillify");
    g.sample_size(10);
    g.bench_function("mine 10k corrections / 1k sessions", |b| {
        b.iter_batched(
            || {
                let store = InMemoryStore::new();
                for c in &all {
                    let _ = store.insert_correction(c);
                }
                store
            },
            |store| {
                let report = rt
                    .block_on(mine(
                        &store,
                        &ws,
                        &LocalSkillifier,
                        &SkillifyOptions::default(),
                    ))
                    .unwrap_or_else(|e| panic!("{e}"));
                assert_eq!(report.created.len(), 200, "one skill per recurring pattern");
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
