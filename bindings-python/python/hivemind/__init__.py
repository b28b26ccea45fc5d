"""hivemind: make coding agents learn from their users' corrections.

Capture every prompt, tool call and response of your agent loop, record the user's
corrections as structured data, mine recurring corrections into ``SKILL.md`` lessons,
and put the right lesson into the next prompt's context before the agent acts.
Offline on embedded SQLite; the work is done by the Rust core (``hivemind-core``).

>>> import hivemind
>>> with hivemind.Hivemind(home="/tmp/hm", workspace="acme", no_llm=True) as hm:  # doctest: +SKIP
...     hm.capture(hivemind.Prompt(session="s1", text="add zod"))
...     hm.record_correction("npm install zod", "pnpm add zod", "we use pnpm", session="s1")
...     print(hm.context_for("s1", "install clsx"))

Errors are :class:`HivemindError` subclasses mirroring the core's ``Error`` variants,
each with the core's stable ``.code``.
"""

from ._hivemind import (
    ClosedError,
    HivemindError,
    InvalidInputError,
    IoError,
    ModelError,
    StorageError,
    __version__,
)
from ._client import AsyncHivemind, Hivemind
from ._model import (
    DEFAULT_AGENT,
    Context,
    Correction,
    Event,
    FileEdited,
    Interrupt,
    Prompt,
    Provenance,
    Response,
    SessionEnd,
    SessionStart,
    Skill,
    SkillifyReport,
    StoredEvent,
    Target,
    ToolCall,
    ToolResult,
)

__all__ = [
    "AsyncHivemind",
    "ClosedError",
    "Context",
    "Correction",
    "DEFAULT_AGENT",
    "Event",
    "FileEdited",
    "Hivemind",
    "HivemindError",
    "Interrupt",
    "InvalidInputError",
    "IoError",
    "ModelError",
    "Prompt",
    "Provenance",
    "Response",
    "SessionEnd",
    "SessionStart",
    "Skill",
    "SkillifyReport",
    "StorageError",
    "StoredEvent",
    "Target",
    "ToolCall",
    "ToolResult",
    "__version__",
]
