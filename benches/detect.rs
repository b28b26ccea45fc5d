//! Detection speed: all correction detectors over one imported session of 1,000 events.
//!
//! `cargo bench --bench detect`
//!
//! The session has 100 turns of 10 events (a prompt, four tool calls each with its
//! result of about 1 KB, a response of about 600 B). Every fifth prompt corrects the
//! agent's previous turn, every tenth turn has a rejected tool use with feedback, and
//! every tenth an edit the user modified before accepting it; the other prompts are new
//! requests, approvals and questions. Target: under 10 ms per session.
#![allow(clippy::unwrap_used, clippy::print_stdout)]

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use hivemind_core::detect::detect_session;
use hivemind_core::{Agent, CorrectionKind, Event, EventKind, SessionId, WorkspaceId};
use serde_json::json;

const CORRECTIONS: &[&str] = &[
    "No, use pnpm here, never npm.",
    "That's almost right, but the handler must stay async.",
    "Undo the last change to the config, it broke the build.",
    "It still doesn't work, the test fails with the same error.",
    "We never use default exports, switch it to a named export.",
];
const OTHERS: &[&str] = &[
    "Looks good, thanks. Now add a test for the empty input.",
    "Why did you group the results by name?",
    "Add pagination to the users endpoint.",
    "Perfect, ship it.",
];

fn output(turn: usize, i: usize) -> String {
    let line = format!("src/module_{turn}/file_{i}.ts:{i}: export function handler_{i}(input) {{ return render(state, props) }}\n");
    line.repeat(1024 / line.len() + 1)
}

/// One session of `turns * 10` events.
fn session(turns: usize) -> Vec<Event> {
    let ws = WorkspaceId::new("bench/detect").unwrap();
    let s = SessionId::new("detect-1000").unwrap();
    let ev = |kind| Event::new(ws.clone(), s.clone(), Agent::ClaudeCode, kind);
    let mut events = Vec::with_capacity(turns * 10);
    for turn in 0..turns {
        let prompt = if turn % 5 == 4 {
            CORRECTIONS[(turn / 5) % CORRECTIONS.len()].to_string()
        } else {
            format!("{} (turn {turn})", OTHERS[turn % OTHERS.len()])
        };
        events.push(ev(EventKind::Prompt { text: prompt }));
        for i in 0..4 {
            let call_id = Some(format!("call-{turn}-{i}"));
            let (tool, input, result, is_error) = match i {
                0 if turn % 10 == 3 => (
                    "Bash",
                    json!({"command": format!("npm install left-pad-{turn}")}),
                    json!("The user doesn't want to proceed with this tool use. The tool use was rejected. To tell you how to proceed, the user said:\nuse pnpm add, never npm"),
                    true,
                ),
                1 if turn % 10 == 7 => (
                    "Edit",
                    json!({"file_path": format!("src/f{turn}.ts"), "old_string": "a", "new_string": format!("export default function f{turn}() {{}}")}),
                    json!({"filePath": format!("src/f{turn}.ts"), "userModified": true, "newString": format!("export function f{turn}() {{}}"), "oldString": "a"}),
                    false,
                ),
                1 => (
                    "Edit",
                    json!({"file_path": format!("src/module_{turn}/file_{i}.ts"), "old_string": "const a = 1", "new_string": format!("const a = {turn}")}),
                    json!({"filePath": format!("src/module_{turn}/file_{i}.ts"), "userModified": false}),
                    false,
                ),
                _ => (
                    if i == 0 { "Bash" } else { "Read" },
                    json!({"command": format!("rg handler_{i} src/module_{turn}"), "file_path": format!("src/module_{turn}/file_{i}.ts")}),
                    json!(output(turn, i)),
                    false,
                ),
            };
            events.push(ev(EventKind::ToolCall {
                tool: tool.into(),
                call_id: call_id.clone(),
                input,
            }));
            events.push(ev(EventKind::ToolResult {
                tool: tool.into(),
                call_id,
                output: result,
                is_error,
            }));
        }
        events.push(ev(EventKind::Response {
            text: format!("I updated the handler in src/module_{turn} so that the render state follows the props; the tests pass. {}", "The change keeps the public API as it was. ".repeat(12)),
        }));
    }
    events
}

fn bench(c: &mut Criterion) {
    let events = session(100);
    assert_eq!(events.len(), 1000);
    let found = detect_session(&events);
    let count = |k: CorrectionKind| found.iter().filter(|c| c.kind == k).count();
    println!(
        "detect: {} corrections in a 1,000-event session ({} follow-ups, {} rejections, {} modified)",
        found.len(),
        count(CorrectionKind::Followup),
        count(CorrectionKind::Rejection),
        count(CorrectionKind::Modified)
    );
    assert_eq!(
        count(CorrectionKind::Rejection),
        10,
        "one rejection per tenth turn"
    );
    assert_eq!(
        count(CorrectionKind::Modified),
        10,
        "one modified edit per tenth turn"
    );
    assert!(
        count(CorrectionKind::Followup) >= 16,
        "most of the 20 corrective prompts are found"
    );
    let mut g = c.benchmark_group("detect");
    g.throughput(Throughput::Elements(events.len() as u64));
    g.bench_function("session of 1,000 events", |b| {
        b.iter(|| detect_session(std::hint::black_box(&events)))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
