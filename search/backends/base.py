"""The one interface every search backend implements."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol, runtime_checkable

from search.types import BackendHealth, BackendHit, BackendQuery, IndexDoc


class SearchUnavailable(RuntimeError):
    """The engine cannot be reached or is not healthy. The message is safe to show to operators
    (no engine internals); callers tell the citizen plainly and queue the question for an agent."""


@runtime_checkable
class SearchBackend(Protocol):
    """Write, delete, count, search and health over pre-analyzed :class:`IndexDoc` units.

    Implementations connect lazily (no I/O in ``__init__``), never raise engine-specific
    exceptions for bad queries (an unmatchable query returns ``[]``), and raise
    :class:`SearchUnavailable` when the engine is down.
    """

    name: str

    def write(self, docs: Iterable[IndexDoc]) -> int:
        """Insert or replace units by ``uid``; returns how many were written."""

    def replace_all(self, docs: Iterable[IndexDoc]) -> int:
        """Atomically swap the whole index for ``docs`` (readers never see a half-built index)."""

    def delete(self, uids: Iterable[str]) -> int:
        """Delete units by ``uid``; returns how many existed."""

    def count(self) -> int:
        """Number of stored units."""

    def get(self, uid: str) -> IndexDoc | None:
        """One stored unit by ``uid``."""

    def search(self, query: BackendQuery) -> list[BackendHit]:
        """Best ``query.size`` units for the analyzed query, best first."""

    def warm(self) -> int:
        """Read ahead what the first searches would otherwise wait for; returns how many units
        were read. A speed-up only: searching never depends on it."""

    def health(self) -> BackendHealth:
        """Whether the engine answers; never raises."""

    def close(self) -> None:
        """Release connections."""
