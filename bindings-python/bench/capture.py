#!/usr/bin/env python3
"""Capture cost from Python, beside the same loop in Rust and beside plain sqlite3.

    cd bindings-python && ../.venv/bin/maturin develop --release
    ../.venv/bin/python bench/capture.py [--n 100000] [--repeat 3]

Rows measured (each on a fresh database under a temporary folder, median of --repeat runs;
every figure includes the final flush / commit, i.e. the events are in SQLite):

- capture, Python: ``for i in range(n): hm.capture(Prompt(session=..., text=f"prompt number {i}"))``
- capture, Python, dict: the same with a plain dict (no dataclass) into the native module
- capture, Rust: ``_bench_rust_capture(home, n)``, the same loop in Rust (``Hivemind::capture``)
- capture_many, Python: one ``hm.capture_many(events)`` of n prebuilt ``Prompt`` objects
  (and, in brackets, with building the n objects counted too)
- capture_many, Rust: ``Hivemind::capture_many`` of n events
- sqlite3 executemany: what a Python user would otherwise write: a WAL database with an
  ``events`` table (id, workspace, session, agent, seq, at, kind, data JSON) and an index,
  rows with a uuid4, an RFC 3339 time and the JSON payload, one ``executemany`` and a
  commit (and, in brackets, with building the rows counted too). No redaction and no
  full-text index, which hivemind does on every prompt.

Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timezone
from typing import Dict, List, Tuple

import hivemind
from hivemind import Prompt, _hivemind


def fresh(tmp: str, name: str) -> str:
    path = os.path.join(tmp, f"{name}-{uuid.uuid4().hex[:8]}")
    os.makedirs(path)
    return path


def bench_capture_py(tmp: str, n: int) -> float:
    with hivemind.Hivemind(home=fresh(tmp, "py"), workspace="bench", no_llm=True) as hm:
        capture = hm.capture
        start = time.perf_counter()
        for i in range(n):
            capture(Prompt(session="bench-py", text=f"prompt number {i}"))
        hm.flush()
        return time.perf_counter() - start


def bench_capture_dict(tmp: str, n: int) -> float:
    with hivemind.Hivemind(home=fresh(tmp, "dict"), workspace="bench", no_llm=True) as hm:
        capture = hm._native.capture
        start = time.perf_counter()
        for i in range(n):
            capture({"kind": "prompt", "session": "bench-py", "agent": "python",
                     "text": f"prompt number {i}"})
        hm.flush()
        return time.perf_counter() - start


def bench_capture_rust(tmp: str, n: int) -> float:
    return _hivemind._bench_rust_capture(fresh(tmp, "rust"), n)


def bench_capture_many_py(tmp: str, n: int) -> tuple[float, float]:
    with hivemind.Hivemind(home=fresh(tmp, "many"), workspace="bench", no_llm=True) as hm:
        t0 = time.perf_counter()
        events = [Prompt(session="bench-many", text=f"prompt number {i}") for i in range(n)]
        t1 = time.perf_counter()
        hm.capture_many(events)
        hm.flush()
        t2 = time.perf_counter()
        return t2 - t1, t2 - t0


def bench_capture_many_rust(tmp: str, n: int) -> float:
    return _hivemind._bench_rust_capture(fresh(tmp, "rust-many"), n, many=True)


def bench_sqlite3(tmp: str, n: int) -> tuple[float, float]:
    db = sqlite3.connect(os.path.join(fresh(tmp, "sqlite3"), "events.db"))
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.executescript(
        "CREATE TABLE events (id TEXT PRIMARY KEY, workspace TEXT NOT NULL,"
        " session TEXT NOT NULL, agent TEXT NOT NULL, seq INTEGER NOT NULL,"
        " at TEXT NOT NULL, kind TEXT NOT NULL, data TEXT NOT NULL);"
        "CREATE INDEX events_by_session ON events(workspace, session, seq);")
    t0 = time.perf_counter()
    rows = [
        (str(uuid.uuid4()), "bench", "bench-sqlite", "python", i,
         datetime.now(timezone.utc).isoformat(), "prompt",
         json.dumps({"text": f"prompt number {i}"}))
        for i in range(n)
    ]
    t1 = time.perf_counter()
    with db:
        db.executemany("INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
    t2 = time.perf_counter()
    db.close()
    return t2 - t1, t2 - t0


def machine() -> str:
    try:
        nproc = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()
    except OSError:
        nproc = str(os.cpu_count())
    return (f"nproc {nproc}, kernel {platform.release()}, Python {platform.python_version()}"
            f" ({platform.machine()}), hivemind {hivemind.__version__} (release build, abi3)")


def main() -> None:
    ap = argparse.ArgumentParser(description="capture benchmark of the Python binding")
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    n = args.n

    benches = [
        ("`capture`, Python (`Prompt` dataclass)", bench_capture_py),
        ("`capture`, Python (plain dict, native module)", bench_capture_dict),
        ("`capture`, Rust API (same loop)", bench_capture_rust),
        ("`capture_many`, Python (one call)", bench_capture_many_py),
        ("`capture_many`, Rust API (one call)", bench_capture_many_rust),
        ("plain `sqlite3` `executemany` + commit", bench_sqlite3),
    ]
    runs: Dict[str, List[Tuple[float, ...]]] = {name: [] for name, _ in benches}
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        # Interleaved, so that a change of machine load hits every row alike.
        for _ in range(args.repeat):
            for name, f in benches:
                r = f(tmp, n)
                runs[name].append(r if isinstance(r, tuple) else (r,))
    load_after = os.getloadavg()[0]

    rows = []
    for name, _ in benches:
        secs = statistics.median(r[0] for r in runs[name])
        extra = ""
        if len(runs[name][0]) > 1:
            total = statistics.median(r[1] for r in runs[name])
            extra = f" ({total / n * 1e6:.2f} µs, {n / total:,.0f}/s with building them)"
        rows.append(f"| {name} | {secs * 1e3:,.0f} ms | {secs / n * 1e6:.2f} µs"
                    f" | {n / secs:,.0f}{extra} |")

    print(f"{n:,} prompt events, median of {args.repeat} interleaved runs; {machine()};"
          f" 1-minute load average {load_before:.1f} before, {load_after:.1f} after.")
    print(f"Command: `{os.path.basename(sys.executable)} bench/capture.py --n {n} --repeat {args.repeat}`\n")
    print("| what | total | per event | events/s |")
    print("|---|---:|---:|---:|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
