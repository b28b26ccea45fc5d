#!/usr/bin/env python3
"""A minimal agent loop that learns from its user's corrections (no network, fake model).

Each turn the loop asks hivemind for the lessons relevant to the user's request, gives
them to the "model" with the request, runs the tool call the model proposes, and
captures the whole turn. The (scripted) user corrects the agent whenever it installs
packages with npm in this pnpm repository. After three corrections, hivemind mines a
skill; from then on the lesson is in the context before the model acts, and the model
gets it right.

    pip install hivemind   # or, in bindings-python/: maturin develop --release
    python examples/python/agent_loop.py

Everything is written under a temporary folder (pass --home DIR to keep the state).
"""

from __future__ import annotations

import argparse
import os
import re
import tempfile

import hivemind
from hivemind import Prompt, Response, SessionEnd, SessionStart, Target, ToolCall, ToolResult

TASKS = [
    "add the zod package for validation",
    "we need lodash for the table helpers",
    "install date-fns to format the dates",
    "add clsx for the class names",
    "install the uuid package too",
]


def fake_model(context: str, request: str) -> str:
    """Stands in for an LLM: proposes a shell command for the request, and follows a
    lesson when one is in its context (as a real model would)."""
    match = re.search(r"(?:add|need|install)(?: the)? ([\w-]+)", request)
    package = match.group(1) if match else "it"
    if "pnpm add" in context:
        return f"pnpm add {package}"
    return f"npm install {package}"


def user_review(command: str) -> tuple[str | None, str | None]:
    """The user's reaction: (corrected command, reason) or (None, None) if fine."""
    if command.startswith("npm install "):
        return command.replace("npm install ", "pnpm add ", 1), "we use pnpm in this repo, not npm"
    return None, None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", help="hivemind state folder (default: a temporary one)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        home = args.home or os.path.join(tmp, "hivemind-home")
        project = os.path.join(tmp, "shop")
        os.makedirs(project)
        os.chdir(project)  # skills are written to <project>/.claude/skills

        with hivemind.Hivemind(home=home, workspace="example/shop", no_llm=True) as hm:
            for turn, request in enumerate(TASKS, 1):
                session = f"session-{turn}"
                lessons = hm.context_for(session, request)      # before the agent acts
                hm.capture(SessionStart(session=session, source="startup", cwd=project))
                hm.capture(Prompt(session=session, text=request))

                command = fake_model(lessons.text, request)
                hm.capture(ToolCall(session=session, tool="Bash", input={"command": command},
                                    call_id=f"call-{turn}"))
                hm.capture(ToolResult(session=session, tool="Bash", call_id=f"call-{turn}",
                                      output=f"$ {command}\nadded 1 package"))
                hm.capture(Response(session=session, text=f"Done: `{command}`."))

                fixed, reason = user_review(command)
                if fixed:
                    hm.record_correction(command, fixed, reason, session=session,
                                         target=Target.tool("Bash"))
                hm.capture(SessionEnd(session=session, reason="exit"))

                print(f"turn {turn}: {request!r}")
                print(f"  lessons in context: {lessons.full or 'none'}")
                print(f"  agent ran: {command}" + (f"  -> corrected to {fixed!r}" if fixed else "  (accepted)"))

                report = hm.skillify()                          # mine after each session
                for skill in report.created + report.updated:
                    print(f"  new lesson: {skill.name} (from {len(skill.corrections)} corrections)")

            events = sum(len(hm.session_events(f"session-{t}")) for t in range(1, len(TASKS) + 1))
            print(f"\n{events} events captured, {len(hm.corrections())} corrections, "
                  f"{len(hm.skills())} skill(s)")
            for skill in hm.skills():
                path = os.path.join(project, ".claude", "skills", skill.name, "SKILL.md")
                print(f"{path}:\n{open(path).read()}")
        os.chdir(tmp)


if __name__ == "__main__":
    main()
