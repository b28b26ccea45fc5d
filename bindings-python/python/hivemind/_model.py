"""Typed events (what you capture) and results (what hivemind returns).

Events are converted to plain dicts for the native module; results are built from the
dicts it returns (the core's serde form). No behaviour lives here: only shapes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta, timezone
from typing import Any, ClassVar, Dict, List, Mapping, Optional, Tuple, Type, Union

#: The agent name events carry when none is given (any 1–64 character name is valid;
#: the known hosts are ``claude-code``, ``codex``, ``cursor``, ``openclaw``, ``pi``,
#: ``hermes``).
DEFAULT_AGENT = "python"

# --------------------------------------------------------------------------- events


class Event:
    """Base class of the events you capture. ``kind`` is the core's name of the kind."""

    kind: ClassVar[str]
    session: str
    agent: str

    def _to_native(self) -> Dict[str, Any]:
        raise NotImplementedError


@dataclass
class SessionStart(Event):
    """A session started (``source``: startup, resume, clear, compact, ...)."""

    session: str
    source: Optional[str] = None
    cwd: Optional[str] = None
    agent: str = DEFAULT_AGENT
    kind: ClassVar[str] = "session_start"

    def _to_native(self) -> Dict[str, Any]:
        return {"kind": "session_start", "session": self.session, "agent": self.agent,
                "source": self.source, "cwd": self.cwd}


@dataclass
class SessionEnd(Event):
    """The session ended."""

    session: str
    reason: Optional[str] = None
    agent: str = DEFAULT_AGENT
    kind: ClassVar[str] = "session_end"

    def _to_native(self) -> Dict[str, Any]:
        return {"kind": "session_end", "session": self.session, "agent": self.agent,
                "reason": self.reason}


@dataclass
class Prompt(Event):
    """The user's prompt."""

    session: str
    text: str
    agent: str = DEFAULT_AGENT
    kind: ClassVar[str] = "prompt"

    def _to_native(self) -> Dict[str, Any]:
        return {"kind": "prompt", "session": self.session, "agent": self.agent,
                "text": self.text}


@dataclass
class ToolCall(Event):
    """The agent called a tool; ``input`` is any JSON-like value."""

    session: str
    tool: str
    input: Any
    call_id: Optional[str] = None
    agent: str = DEFAULT_AGENT
    kind: ClassVar[str] = "tool_call"

    def _to_native(self) -> Dict[str, Any]:
        return {"kind": "tool_call", "session": self.session, "agent": self.agent,
                "tool": self.tool, "input": self.input, "call_id": self.call_id}


@dataclass
class ToolResult(Event):
    """A tool returned (``is_error``: it failed or was rejected)."""

    session: str
    tool: str
    output: Any
    is_error: bool = False
    call_id: Optional[str] = None
    agent: str = DEFAULT_AGENT
    kind: ClassVar[str] = "tool_result"

    def _to_native(self) -> Dict[str, Any]:
        return {"kind": "tool_result", "session": self.session, "agent": self.agent,
                "tool": self.tool, "output": self.output, "is_error": self.is_error,
                "call_id": self.call_id}


@dataclass
class Response(Event):
    """The agent's text response."""

    session: str
    text: str
    agent: str = DEFAULT_AGENT
    kind: ClassVar[str] = "response"

    def _to_native(self) -> Dict[str, Any]:
        return {"kind": "response", "session": self.session, "agent": self.agent,
                "text": self.text}


@dataclass
class Interrupt(Event):
    """The user interrupted or aborted the agent's turn."""

    session: str
    reason: Optional[str] = None
    agent: str = DEFAULT_AGENT
    kind: ClassVar[str] = "interrupt"

    def _to_native(self) -> Dict[str, Any]:
        return {"kind": "interrupt", "session": self.session, "agent": self.agent,
                "reason": self.reason}


@dataclass
class FileEdited(Event):
    """The user edited a file outside the agent."""

    session: str
    path: str
    snippet: Optional[str] = None
    agent: str = DEFAULT_AGENT
    kind: ClassVar[str] = "file_edited"

    def _to_native(self) -> Dict[str, Any]:
        return {"kind": "file_edited", "session": self.session, "agent": self.agent,
                "path": self.path, "snippet": self.snippet}


EVENT_TYPES: Dict[str, Type[Event]] = {
    cls.kind: cls
    for cls in (SessionStart, SessionEnd, Prompt, ToolCall, ToolResult, Response,
                Interrupt, FileEdited)
}

EventLike = Union[Event, Mapping[str, Any]]


def event_to_native(event: EventLike) -> Dict[str, Any]:
    """An event as the native module takes it (a dict with ``kind`` and ``session``)."""
    if isinstance(event, Event):
        return event._to_native()
    if isinstance(event, Mapping):
        d = dict(event)
        d.setdefault("agent", DEFAULT_AGENT)
        return d
    raise TypeError(f"expected a hivemind event or a dict, got {type(event).__name__}")


def event_from_native(d: Mapping[str, Any]) -> Event:
    cls = EVENT_TYPES[d["kind"]]
    names = [f.name for f in fields(cls)  # type: ignore[arg-type]
             if f.name not in ("session", "agent")]
    event: Event = cls(session=d["session"], agent=d["agent"],  # type: ignore[call-arg]
                       **{n: d.get(n, False if n == "is_error" else None) for n in names})
    return event


# -------------------------------------------------------------------------- results

_RFC3339 = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$")


def parse_time(s: str) -> datetime:
    """A timestamp of the core (RFC 3339, up to nanoseconds) as an aware ``datetime``
    (``datetime.fromisoformat`` before Python 3.11 takes neither ``Z`` nor 9 digits)."""
    m = _RFC3339.match(s)
    if not m:
        return datetime.fromisoformat(s)
    base = datetime.fromisoformat(m.group(1))
    micros = int((m.group(2) or "0")[:6].ljust(6, "0"))
    tz = m.group(3)
    if tz == "Z":
        offset = timezone.utc
    else:
        sign = -1 if tz[0] == "-" else 1
        offset = timezone(sign * timedelta(hours=int(tz[1:3]), minutes=int(tz[4:6])))
    return base.replace(microsecond=micros, tzinfo=offset)


def format_time(t: datetime) -> str:
    """An RFC 3339 timestamp for the core (a naive ``datetime`` is taken as UTC)."""
    if t.tzinfo is None:
        t = t.replace(tzinfo=timezone.utc)
    return t.isoformat()


@dataclass(frozen=True)
class Target:
    """What a correction corrected: a ``file`` (path), a ``tool`` (name) or the
    ``response``."""

    type: str
    value: Optional[str] = None

    @classmethod
    def file(cls, path: str) -> "Target":
        return cls("file", path)

    @classmethod
    def tool(cls, name: str) -> "Target":
        return cls("tool", name)

    @classmethod
    def response(cls) -> "Target":
        return cls("response")

    def __str__(self) -> str:
        return self.value if self.value is not None else self.type

    def _to_native(self) -> Dict[str, Any]:
        if self.value is None:
            return {"type": self.type}
        return {"type": self.type, "value": self.value}

    @classmethod
    def _from_native(cls, d: Mapping[str, Any]) -> "Target":
        return cls(d["type"], d.get("value"))


@dataclass(frozen=True)
class Correction:
    """A user's correction of the agent: what it produced, what the user accepted
    instead, the unified diff between them, and why."""

    id: str
    workspace: str
    session_id: str
    kind: str
    target: Target
    produced: str
    accepted: Optional[str]
    diff: str
    reason: Optional[str]
    confidence: float
    source_events: List[str]
    created_at: datetime

    @classmethod
    def _from_native(cls, d: Mapping[str, Any]) -> "Correction":
        return cls(
            id=d["id"], workspace=d["workspace"], session_id=d["session_id"],
            kind=d["kind"], target=Target._from_native(d["target"]),
            produced=d["produced"], accepted=d.get("accepted"), diff=d["diff"],
            reason=d.get("reason"), confidence=float(d["confidence"]),
            source_events=list(d.get("source_events") or []),
            created_at=parse_time(d["created_at"]),
        )


@dataclass(frozen=True)
class Provenance:
    """Where a skill came from: the corrections (lineage) and sessions behind it."""

    corrections: List[str]
    sessions: List[str]
    author: str
    created_at: datetime
    updated_at: datetime

    @classmethod
    def _from_native(cls, d: Mapping[str, Any]) -> "Provenance":
        return cls(list(d["corrections"]), list(d["sessions"]), d["author"],
                   parse_time(d["created_at"]), parse_time(d["updated_at"]))


@dataclass(frozen=True)
class Skill:
    """A lesson mined from recurring corrections (``SKILL.md``), with its lineage."""

    name: str
    description: str
    body: str = field(repr=False)
    version: int
    workspace: str
    provenance: Provenance = field(repr=False)

    @property
    def corrections(self) -> List[str]:
        """Ids of the corrections behind the skill."""
        return self.provenance.corrections

    @classmethod
    def _from_native(cls, d: Mapping[str, Any]) -> "Skill":
        return cls(d["name"], d["description"], d["body"], int(d["version"]),
                   d["workspace"], Provenance._from_native(d["provenance"]))


@dataclass(frozen=True)
class Context:
    """What to put before the agent acts: ``text`` (empty: nothing to inject), the
    skills included in full, those only indexed, and the scores behind the choice.
    ``str(context)`` is the text."""

    text: str
    full: List[str]
    indexed: List[str]
    scores: List[Tuple[str, float]]

    def __str__(self) -> str:
        return self.text

    def __bool__(self) -> bool:
        return bool(self.text)

    @classmethod
    def _from_native(cls, d: Mapping[str, Any]) -> "Context":
        return cls(d["text"], list(d["full"]), list(d["indexed"]),
                   [(str(n), float(s)) for n, s in d["scores"]])


@dataclass(frozen=True)
class SkillifyReport:
    """What a mining run did."""

    corrections: int
    groups: int
    created: List[Skill]
    updated: List[Skill]
    unchanged: int
    skipped: int
    up_to_date: bool

    @classmethod
    def _from_native(cls, d: Mapping[str, Any]) -> "SkillifyReport":
        return cls(int(d["corrections"]), int(d["groups"]),
                   [Skill._from_native(s) for s in d["created"]],
                   [Skill._from_native(s) for s in d["updated"]],
                   int(d["unchanged"]), int(d["skipped"]), bool(d["up_to_date"]))


@dataclass(frozen=True)
class StoredEvent:
    """An event as stored: its id, position in the session, time and workspace."""

    id: str
    seq: int
    at: datetime
    workspace: str
    event: Event

    @classmethod
    def _from_native(cls, d: Mapping[str, Any]) -> "StoredEvent":
        return cls(d["id"], int(d["seq"]), parse_time(d["at"]), d["workspace"],
                   event_from_native(d))
