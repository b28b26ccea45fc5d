"""examples/python/agent_loop.py runs and shows the loop learning."""

import os
import subprocess
import sys
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "python" / "agent_loop.py"


def test_agent_loop_example_learns_from_corrections(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("HIVEMIND_")}
    env["HOME"] = str(tmp_path)
    out = subprocess.run([sys.executable, str(EXAMPLE)], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "turn 3: " in out.stdout and "new lesson: " in out.stdout
    assert "agent ran: pnpm add clsx  (accepted)" in out.stdout
    assert "3 corrections, 1 skill(s)" in out.stdout
    assert "SKILL.md:\n---\nname: " in out.stdout
