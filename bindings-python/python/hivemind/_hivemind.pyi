"""Native module of ``hivemind`` (Rust, pyo3). Use the ``hivemind`` package instead:
it wraps these dicts in typed events and results."""

import os
from typing import Any, Dict, Iterable, List, Mapping, Optional, Union, final

from typing_extensions import Self

__all__ = [
    "Hivemind",
    "_bench_rust_capture",
    "_after_fork_in_child",
    "HivemindError",
    "InvalidInputError",
    "StorageError",
    "IoError",
    "ModelError",
    "ClosedError",
    "__version__",
]

__version__: str

class HivemindError(Exception):
    """Base class of every hivemind error; ``code`` is the core's stable code."""

    code: str

class InvalidInputError(HivemindError):
    """code ``HIVEMIND_INVALID_INPUT``"""

class StorageError(HivemindError):
    """code ``HIVEMIND_STORAGE``"""

class IoError(HivemindError):
    """code ``HIVEMIND_IO``"""

class ModelError(HivemindError):
    """code ``HIVEMIND_MODEL``"""

class ClosedError(HivemindError):
    """code ``HIVEMIND_CLOSED``"""

_Dict = Dict[str, Any]

@final
class Hivemind:
    def __new__(
        cls,
        home: Optional[Union[str, os.PathLike[str]]] = None,
        workspace: Optional[str] = None,
        no_llm: bool = False,
    ) -> Self: ...
    @property
    def workspace(self) -> str: ...
    @property
    def home(self) -> str: ...
    def capture(self, event: Mapping[str, Any]) -> None: ...
    def capture_many(self, events: Iterable[Mapping[str, Any]]) -> int: ...
    def flush(self) -> int: ...
    def close(self) -> None: ...
    def record_correction(
        self,
        produced: str,
        accepted: Optional[str] = None,
        reason: Optional[str] = None,
        session: Optional[str] = None,
        target: Optional[Mapping[str, Any]] = None,
    ) -> _Dict: ...
    def corrections(
        self,
        session: Optional[str] = None,
        kind: Optional[str] = None,
        since: Optional[str] = None,
        limit: Optional[int] = None,
    ) -> List[_Dict]: ...
    def session_events(self, session: str) -> List[_Dict]: ...
    def skills(self) -> List[_Dict]: ...
    def skillify(self) -> _Dict: ...
    def context_for(self, session: str, prompt: str, budget_tokens: int = 2000) -> _Dict: ...

def _bench_rust_capture(
    home: Union[str, os.PathLike[str]], n: int, many: bool = False
) -> float: ...
def _after_fork_in_child() -> None: ...
