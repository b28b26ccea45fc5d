"""The handles: :class:`Hivemind` (blocking, thread-safe) and :class:`AsyncHivemind`
(asyncio; each call runs the blocking one in a worker thread)."""

from __future__ import annotations

import asyncio
import os
from datetime import datetime
from typing import Any, Dict, Iterable, List, Optional, Union

from . import _hivemind
from ._model import (
    Context,
    Correction,
    EventLike,
    Skill,
    SkillifyReport,
    StoredEvent,
    Target,
    event_to_native,
    format_time,
)

PathLike = Union[str, "os.PathLike[str]"]
TargetLike = Union[Target, Dict[str, Any], None]


def _target(target: TargetLike) -> Optional[Dict[str, Any]]:
    if target is None or isinstance(target, dict):
        return target
    if isinstance(target, Target):
        return target._to_native()
    raise TypeError(f"target must be a hivemind.Target or a dict, got {type(target).__name__}")


class Hivemind:
    """A handle on hivemind's store (SQLite under ``home``), scoped to one workspace.

    ``home`` defaults to ``$HIVEMIND_HOME`` (else ``~/.hivemind``), ``workspace`` to
    ``$HIVEMIND_WORKSPACE_ID`` (else derived from the current directory: its git
    ``origin``, else the folder); ``no_llm=True`` forbids model calls (otherwise
    ``$HIVEMIND_NO_LLM`` and ``config.json`` decide). Skills are written as
    ``SKILL.md`` under ``<current directory>/.claude/skills``.

    Safe to share between threads; every call releases the GIL while the Rust core
    works. Use it as a context manager, or call :meth:`close` (which flushes).
    Captured events are buffered and written in batches: :meth:`flush` makes them
    durable now.

    After ``os.fork()`` a handle opened in the parent is unusable in the child (it
    raises :class:`ClosedError` and is never flushed there): open a new one.
    """

    def __init__(self, home: Optional[PathLike] = None, workspace: Optional[str] = None,
                 no_llm: bool = False) -> None:
        self._native = _hivemind.Hivemind(
            os.fspath(home) if home is not None else None, workspace, no_llm)

    @property
    def workspace(self) -> str:
        """The workspace everything is scoped to."""
        return self._native.workspace

    @property
    def home(self) -> str:
        """The state folder (database, logs, manifests)."""
        return os.fspath(self._native.home)

    def __enter__(self) -> "Hivemind":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        return repr(self._native)

    def capture(self, event: EventLike) -> None:
        """Buffers one event (:class:`Prompt`, :class:`ToolCall`, ... or a dict with
        ``kind`` and ``session``); secrets are redacted before anything is written."""
        self._native.capture(event_to_native(event))

    def capture_many(self, events: Iterable[EventLike]) -> int:
        """Buffers several events in one call; returns how many."""
        return self._native.capture_many([event_to_native(e) for e in events])

    def flush(self) -> int:
        """Writes the buffered events now; returns how many were written."""
        return self._native.flush()

    def close(self) -> None:
        """Flushes and closes; later calls raise :class:`ClosedError`. Idempotent."""
        self._native.close()

    def record_correction(self, produced: str, accepted: Optional[str] = None,
                          reason: Optional[str] = None, *, session: Optional[str] = None,
                          target: TargetLike = None) -> Correction:
        """Records an explicit correction: what the agent ``produced``, what the user
        ``accepted`` instead, and ``reason`` in the user's words. ``target`` defaults
        to the response (see :class:`Target`)."""
        d = self._native.record_correction(produced, accepted, reason, session,
                                           _target(target))
        return Correction._from_native(d)

    def corrections(self, *, session: Optional[str] = None, kind: Optional[str] = None,
                    since: Optional[datetime] = None,
                    limit: Optional[int] = None) -> List[Correction]:
        """The workspace's corrections, oldest first; ``kind`` is one of ``followup``,
        ``user_edit``, ``modified``, ``rejection``, ``explicit``."""
        ds = self._native.corrections(session, kind,
                                      format_time(since) if since is not None else None,
                                      limit)
        return [Correction._from_native(d) for d in ds]

    def skills(self) -> List[Skill]:
        """The workspace's skills (latest versions) with their lineage."""
        return [Skill._from_native(d) for d in self._native.skills()]

    def skillify(self) -> SkillifyReport:
        """Mines the workspace's corrections into skills now (a pattern seen
        ``min_support`` times, default 3) and writes their ``SKILL.md`` files.
        Idempotent."""
        return SkillifyReport._from_native(self._native.skillify())

    def context_for(self, session: str, prompt: str, budget_tokens: int = 2000) -> Context:
        """The lessons to put before the agent acts on ``prompt``: the relevant skills,
        and on the session's first call the most important ones, within
        ``budget_tokens``. Never repeats what the session already received."""
        return Context._from_native(self._native.context_for(session, prompt, budget_tokens))

    def session_events(self, session: str) -> List[StoredEvent]:
        """The stored events of ``session``, in order (flushes first)."""
        return [StoredEvent._from_native(d) for d in self._native.session_events(session)]


class AsyncHivemind:
    """:class:`Hivemind` for asyncio code: every method is a coroutine that runs the
    blocking call in a worker thread (``asyncio.to_thread``); the GIL is released
    while the core works, so the event loop keeps running. ``.sync`` is the blocking
    handle underneath."""

    def __init__(self, home: Optional[PathLike] = None, workspace: Optional[str] = None,
                 no_llm: bool = False) -> None:
        self.sync = Hivemind(home, workspace, no_llm)

    @classmethod
    async def open(cls, home: Optional[PathLike] = None, workspace: Optional[str] = None,
                   no_llm: bool = False) -> "AsyncHivemind":
        """Opens the store in a worker thread."""
        return await asyncio.to_thread(cls, home, workspace, no_llm)

    @property
    def workspace(self) -> str:
        return self.sync.workspace

    async def __aenter__(self) -> "AsyncHivemind":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.close()

    def __repr__(self) -> str:
        return f"Async{self.sync!r}"

    async def capture(self, event: EventLike) -> None:
        await asyncio.to_thread(self.sync.capture, event)

    async def capture_many(self, events: Iterable[EventLike]) -> int:
        return await asyncio.to_thread(self.sync.capture_many, list(events))

    async def flush(self) -> int:
        return await asyncio.to_thread(self.sync.flush)

    async def close(self) -> None:
        await asyncio.to_thread(self.sync.close)

    async def record_correction(self, produced: str, accepted: Optional[str] = None,
                                reason: Optional[str] = None, *,
                                session: Optional[str] = None,
                                target: TargetLike = None) -> Correction:
        return await asyncio.to_thread(self.sync.record_correction, produced, accepted,
                                       reason, session=session, target=target)

    async def corrections(self, *, session: Optional[str] = None,
                          kind: Optional[str] = None, since: Optional[datetime] = None,
                          limit: Optional[int] = None) -> List[Correction]:
        return await asyncio.to_thread(self.sync.corrections, session=session, kind=kind,
                                       since=since, limit=limit)

    async def skills(self) -> List[Skill]:
        return await asyncio.to_thread(self.sync.skills)

    async def skillify(self) -> SkillifyReport:
        return await asyncio.to_thread(self.sync.skillify)

    async def context_for(self, session: str, prompt: str,
                          budget_tokens: int = 2000) -> Context:
        return await asyncio.to_thread(self.sync.context_for, session, prompt, budget_tokens)

    async def session_events(self, session: str) -> List[StoredEvent]:
        return await asyncio.to_thread(self.sync.session_events, session)
