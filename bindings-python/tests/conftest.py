import os

import pytest

import hivemind


@pytest.fixture
def env(tmp_path, monkeypatch):
    """An isolated environment: HOME, HIVEMIND_HOME and the current directory (where
    skills are written) all under tmp_path; no HIVEMIND_* variable leaks in."""
    for k in list(os.environ):
        if k.startswith("HIVEMIND_"):
            monkeypatch.delenv(k)
    home = tmp_path / "hivemind-home"
    project = tmp_path / "project"
    project.mkdir()
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("HIVEMIND_HOME", str(home))
    monkeypatch.chdir(project)
    return {"home": home, "project": project}


@pytest.fixture
def hm(env):
    with hivemind.Hivemind(home=env["home"], workspace="acme-shop", no_llm=True) as h:
        yield h


PNPM = [
    ("npm install zod", "pnpm add zod"),
    ("npm i lodash", "pnpm add lodash"),
    ("npm install date-fns", "pnpm add date-fns"),
]


def record_pnpm(h, session="s1"):
    return [
        h.record_correction(p, a, "we use pnpm in this repo", session=session,
                            target=hivemind.Target.tool("Bash"))
        for p, a in PNPM
    ]
