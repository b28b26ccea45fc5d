"""The Python binding end to end: events, corrections, skills, context, errors,
threads, asyncio and fork."""

import asyncio
import gc
import os
import threading
import time
from datetime import datetime, timedelta, timezone

import pytest

import hivemind
from hivemind import (
    FileEdited,
    Interrupt,
    Prompt,
    Response,
    SessionEnd,
    SessionStart,
    Target,
    ToolCall,
    ToolResult,
)

from conftest import PNPM, record_pnpm

EVERY_KIND = [
    SessionStart(session="s1", source="startup", cwd="/repo"),
    Prompt(session="s1", text="add the zod package"),
    ToolCall(session="s1", tool="Bash", input={"command": "npm install zod", "n": [1, 2.5, None]},
             call_id="t1"),
    ToolResult(session="s1", tool="Bash", output={"stdout": "added 1 package"}, call_id="t1"),
    ToolResult(session="s1", tool="Edit", output="rejected", is_error=True),
    Response(session="s1", text="Done: zod is installed."),
    Interrupt(session="s1", reason="user pressed escape"),
    FileEdited(session="s1", path="src/app.ts", snippet="import { z } from 'zod'"),
    SessionEnd(session="s1", reason="exit", agent="claude-code"),
]


def test_every_event_kind_round_trips(hm):
    for e in EVERY_KIND:
        hm.capture(e)
    assert hm.flush() == len(EVERY_KIND)
    assert hm.flush() == 0
    stored = hm.session_events("s1")
    assert [s.event for s in stored] == EVERY_KIND
    assert [s.seq for s in stored] == sorted(s.seq for s in stored)
    assert all(s.workspace == "acme-shop" for s in stored)
    assert all(isinstance(s.at, datetime) and s.at.tzinfo is not None for s in stored)
    assert len({s.id for s in stored}) == len(EVERY_KIND)


def test_events_as_plain_dicts(hm):
    hm.capture({"kind": "prompt", "session": "d1", "text": "hello"})
    assert hm.capture_many([{"kind": "response", "session": "d1", "text": "hi"}]) == 1
    assert hm.flush() == 2
    assert [s.event for s in hm.session_events("d1")] == [
        Prompt(session="d1", text="hello"), Response(session="d1", text="hi")]


def test_capture_many_and_batches(hm):
    events = [Prompt(session="m1", text=f"prompt {i}") for i in range(1500)]
    assert hm.capture_many(events) == 1500
    hm.flush()
    stored = hm.session_events("m1")
    assert len(stored) == 1500
    assert stored[-1].event == Prompt(session="m1", text="prompt 1499")


def test_secrets_are_redacted_before_storage(hm):
    key = "sk-ant-api03-" + "A1b2C3d4E5" * 8
    hm.capture(Prompt(session="r1", text=f"use ANTHROPIC_API_KEY={key}"))
    [stored] = hm.session_events("r1")
    assert key not in stored.event.text


def test_record_three_corrections(hm):
    made = record_pnpm(hm)
    assert [c.kind for c in made] == ["explicit"] * 3
    first = made[0]
    assert first.produced == "npm install zod"
    assert first.accepted == "pnpm add zod"
    assert first.reason == "we use pnpm in this repo"
    assert first.target == Target.tool("Bash") and str(first.target) == "Bash"
    assert "-npm install zod" in first.diff and "+pnpm add zod" in first.diff
    assert first.session_id == "s1" and first.workspace == "acme-shop"
    assert 0.0 <= first.confidence <= 1.0
    assert abs(first.created_at - datetime.now(timezone.utc)) < timedelta(minutes=5)

    listed = hm.corrections()
    assert [c.id for c in listed] == [c.id for c in made]
    assert listed == made
    assert len(hm.corrections(session="s1")) == 3
    assert hm.corrections(session="other") == []
    assert len(hm.corrections(kind="explicit")) == 3
    assert hm.corrections(kind="followup") == []
    assert len(hm.corrections(limit=2)) == 2
    assert len(hm.corrections(since=datetime.now(timezone.utc) - timedelta(hours=1))) == 3
    assert hm.corrections(since=datetime.now(timezone.utc) + timedelta(hours=1)) == []
    # A plain rejection (nothing accepted) and the default target.
    c = hm.record_correction("rm -rf build", reason="never delete the build folder")
    assert c.accepted is None and c.diff == "" and c.target == Target.response()
    assert c.session_id  # the core's default session


def test_skill_after_three_similar_corrections(hm, env):
    record_pnpm(hm, session="s1")
    report = hm.skillify()
    assert report.corrections == 3
    assert len(report.created) == 1 and report.updated == []
    [skill] = hm.skills()
    assert skill == report.created[0]
    assert sorted(skill.corrections) == sorted(c.id for c in hm.corrections())
    assert skill.provenance.sessions == ["s1"]
    assert skill.version == 1 and skill.workspace == "acme-shop"
    assert "pnpm" in skill.body
    skill_md = env["project"] / ".claude" / "skills" / skill.name / "SKILL.md"
    assert skill_md.is_file() and f"name: {skill.name}" in skill_md.read_text()
    # Idempotent.
    again = hm.skillify()
    assert again.created == [] and again.updated == []
    assert len(hm.skills()) == 1


def test_one_off_corrections_never_become_skills(hm):
    hm.record_correction("npm install zod", "pnpm add zod", "we use pnpm")
    hm.record_correction("print(x)", "logger.info(x)", "use the logger")
    assert hm.skillify().created == []
    assert hm.skills() == []


def test_context_for_a_prompt(hm, env):
    assert not hm.context_for("before", "install the clsx package")  # nothing learned yet
    record_pnpm(hm)
    hm.skillify()
    [skill] = hm.skills()
    ctx = hm.context_for("s2", "install the clsx package with npm", budget_tokens=2000)
    assert ctx and "pnpm" in ctx.text and str(ctx) == ctx.text
    assert skill.name in ctx.full
    assert len(ctx.text) <= 2000 * 4
    assert all(isinstance(n, str) and isinstance(s, float) for n, s in ctx.scores)
    # Not repeated within the session.
    assert skill.name not in hm.context_for("s2", "install clsx again with npm").full
    # Another workspace never sees it.
    with hivemind.Hivemind(home=env["home"], workspace="other-ws", no_llm=True) as other:
        assert other.skills() == []
        assert not other.context_for("s3", "install the clsx package with npm")


def test_typed_exceptions(hm, env):
    with pytest.raises(hivemind.InvalidInputError) as bad_ws:
        hivemind.Hivemind(home=env["home"], workspace="../escape")
    assert bad_ws.value.code == "HIVEMIND_INVALID_INPUT"
    assert isinstance(bad_ws.value, hivemind.HivemindError)
    assert "workspace" in str(bad_ws.value)

    for bad in [
        Prompt(session="bad session!", text="x"),       # bad session id
        {"kind": "nonsense", "session": "s1"},           # unknown kind
        {"kind": "prompt", "session": "s1"},             # missing field
        Prompt(session="s1", text="x", agent=""),       # empty agent name
    ]:
        with pytest.raises(hivemind.InvalidInputError) as e:
            hm.capture(bad)
        assert e.value.code == "HIVEMIND_INVALID_INPUT"
    with pytest.raises(TypeError):
        hm.capture("not an event")
    with pytest.raises(hivemind.InvalidInputError):
        hm.capture_many([Prompt(session="s1", text="ok"), Prompt(session="", text="x")])
    with pytest.raises(hivemind.InvalidInputError):
        hm.record_correction("", "", None)               # nothing to learn from
    with pytest.raises(hivemind.InvalidInputError):
        hm.corrections(kind="bogus")
    with pytest.raises(hivemind.InvalidInputError):
        hm.record_correction("a", "b", target={"type": "planet", "value": "mars"})
    with pytest.raises(hivemind.InvalidInputError):
        hm.context_for("../s", "prompt")


def test_storage_error_on_an_unusable_home(env, tmp_path):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the home folder should be")
    with pytest.raises(hivemind.HivemindError) as e:
        hivemind.Hivemind(home=blocker / "home", workspace="w")
    assert type(e.value) in (hivemind.IoError, hivemind.StorageError)
    assert e.value.code in ("HIVEMIND_IO", "HIVEMIND_STORAGE")


def test_closed_handle_raises_closed_error(env):
    with hivemind.Hivemind(home=env["home"], workspace="w", no_llm=True) as h:
        h.capture(Prompt(session="c1", text="kept"))
    with pytest.raises(hivemind.ClosedError) as e:
        h.capture(Prompt(session="c1", text="too late"))
    assert e.value.code == "HIVEMIND_CLOSED"
    with pytest.raises(hivemind.ClosedError):
        h.corrections()
    h.close()  # twice is fine
    # close() flushed what was buffered.
    with hivemind.Hivemind(home=env["home"], workspace="w") as h2:
        assert [s.event.text for s in h2.session_events("c1")] == ["kept"]


def test_dropping_a_handle_flushes_it(env):
    h = hivemind.Hivemind(home=env["home"], workspace="w", no_llm=True)
    h.capture(Prompt(session="d1", text="buffered, never flushed by hand"))
    del h
    gc.collect()
    with hivemind.Hivemind(home=env["home"], workspace="w") as h2:
        assert [s.event.text for s in h2.session_events("d1")] == [
            "buffered, never flushed by hand"]


def test_results_print_usefully(hm):
    assert repr(Prompt(session="s1", text="hi")) == \
        "Prompt(session='s1', text='hi', agent='python')"
    [c, *_] = record_pnpm(hm)
    assert repr(c).startswith("Correction(id=") and "produced='npm install zod'" in repr(c)
    hm.skillify()
    [s] = hm.skills()
    assert repr(s).startswith(f"Skill(name='{s.name}'")
    assert repr(hm).startswith("Hivemind(") and "acme-shop" in repr(hm)
    assert hm.workspace == "acme-shop"


def test_four_threads_at_once(hm):
    n = 600
    errors = []
    barrier = threading.Barrier(4)

    def work(t):
        try:
            barrier.wait()
            session = f"thread-{t}"
            for i in range(n):
                hm.capture(Prompt(session=session, text=f"thread {t} prompt {i}"))
                if i % 200 == 0:
                    hm.record_correction(f"npm install pkg{t}{i}", f"pnpm add pkg{t}{i}",
                                         "we use pnpm", session=session)
                    hm.context_for(session, "install a package")
            hm.capture_many([Response(session=session, text=f"r{j}") for j in range(50)])
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads)
    assert errors == []
    hm.flush()
    for t in range(4):
        stored = hm.session_events(f"thread-{t}")
        assert len(stored) == n + 50
        assert [s.seq for s in stored] == sorted(s.seq for s in stored)
    assert len(hm.corrections()) == 4 * 3
    hm.skillify()  # mining from the main thread after all of it


def test_gil_is_released_while_rust_works(env):
    done = threading.Event()
    ticks = 0

    def rust():
        hivemind._hivemind._bench_rust_capture(str(env["home"] / "gil"), 100_000)
        done.set()

    t = threading.Thread(target=rust)
    t.start()
    while not done.is_set():
        ticks += 1
        time.sleep(0)
    t.join()
    # With the GIL held for the whole Rust loop, this thread could not have run.
    assert ticks > 100


@pytest.mark.asyncio
async def test_asyncio(env):
    async with await hivemind.AsyncHivemind.open(home=env["home"], workspace="acme-shop",
                                                 no_llm=True) as hm:
        assert hm.workspace == "acme-shop"
        await asyncio.gather(*[hm.capture(Prompt(session=f"a{i}", text=f"prompt {i}"))
                               for i in range(20)])
        assert await hm.capture_many([Response(session="a0", text="ok")]) == 1
        assert await hm.flush() == 21
        made = await asyncio.gather(*[
            hm.record_correction(p, a, "we use pnpm in this repo", session="a0")
            for p, a in PNPM])
        assert len(made) == 3
        assert len(await hm.corrections(session="a0")) == 3
        report = await hm.skillify()
        assert len(report.created) == 1
        assert len(await hm.skills()) == 1
        ctx = await hm.context_for("a1", "install the clsx package with npm")
        assert "pnpm" in ctx.text
        assert len(await hm.session_events("a0")) == 2
        # The loop stays responsive while a call runs in its thread.
        ticker_ran = []

        async def ticker():
            ticker_ran.append(True)

        await asyncio.gather(hm.skillify(), ticker())
        assert ticker_ran
    with pytest.raises(hivemind.ClosedError):
        await hm.capture(Prompt(session="a0", text="closed"))


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # 3.12+: fork with threads
def test_fork_after_use_does_not_hang(hm, env):
    hm.capture(Prompt(session="parent", text="before fork"))  # left buffered on purpose
    record_pnpm(hm, session="parent")
    hm.skillify()
    # A thread that was busy in the core when the fork happened.
    busy = threading.Thread(
        target=lambda: [hm.capture(Prompt(session="busy", text=f"{i}")) for i in range(3000)])
    busy.start()
    pid = os.fork()
    if pid == 0:  # child: only os._exit, never return into pytest
        code = 1
        try:
            try:
                hm.capture(Prompt(session="child", text="on the parent's handle"))
                code = 3  # the parent's handle must not be usable here
            except hivemind.ClosedError:
                with hivemind.Hivemind(home=env["home"], workspace="acme-shop",
                                       no_llm=True) as child:
                    child.capture(Prompt(session="child", text="from the child"))
                    assert len(child.skills()) == 1
                    assert child.context_for("child", "install the clsx package with npm")
                code = 0
        except BaseException:
            code = 2
        finally:
            os._exit(code)
    busy.join()
    deadline = time.monotonic() + 60
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() > deadline:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
            pytest.fail("the forked child hung")
        time.sleep(0.05)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, status
    # The parent's handle still works, its buffer was not flushed twice, and the child's
    # events are in the shared store.
    assert [s.event.text for s in hm.session_events("parent")] == ["before fork"]
    assert len(hm.session_events("busy")) == 3000
    assert [s.event.text for s in hm.session_events("child")] == ["from the child"]
