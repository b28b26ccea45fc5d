#!/usr/bin/env python3
"""Side by side, in one run: the process floor (`/bin/true`), a Node hook's floor
(`node -e 0`) and `hivemind hook` for PreToolUse and UserPromptSubmit, each started the
way the replay and Claude Code start hooks (one subprocess per call, payload on stdin).

    python3 scripts/bench-hook-floor.py target/release/hivemind

Prints p50 / p95 in milliseconds (60 calls each, 20 for node). See BENCHMARKS.md.
"""
import json, os, statistics, subprocess, sys, tempfile, time

binp = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "target/release/hivemind")
home = tempfile.mkdtemp()
proj = tempfile.mkdtemp()
env = dict(os.environ, HIVEMIND_HOME=home, HIVEMIND_WORKSPACE_ID="lat/test", HIVEMIND_NO_LLM="1")
def t(cmd, stdin=None, n=60):
    xs=[]
    for i in range(n):
        s=time.perf_counter()
        subprocess.run(cmd, input=stdin, env=env, cwd=proj, capture_output=True, text=True)
        xs.append((time.perf_counter()-s)*1000)
    xs.sort()
    return f"p50 {statistics.median(xs):.2f} p95 {xs[int(len(xs)*0.95)-1]:.2f} ms"
pre = json.dumps({"session_id":"s1","transcript_path":"","cwd":proj,"hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":"ls"},"tool_use_id":"t1"})
ups = json.dumps({"session_id":"s1","transcript_path":"","cwd":proj,"hook_event_name":"UserPromptSubmit","prompt":"add a test for the parser"})
print("/bin/true      ", t(["/bin/true"]))
print("node -e 0      ", t(["node","-e","0"], n=20))
print("hook PreToolUse", t([binp,"hook","--agent","claude-code"], pre))
print("hook UserPrompt", t([binp,"hook","--agent","claude-code"], ups))
