"""Readiness of every dependency, for ``GET /healthz`` (contract 7).

Checked concurrently, each within ``HEALTH_TIMEOUT`` seconds: Rasa (``/status``, or ``/`` when its
HTTP API is disabled), the action server (``/health``), the search index (the configured
backend's ``health()``), the database (a query and the schema revision) and the policy library
the pages are rendered from. Ready only when all are.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import Engine, text

from gateway.content.library import ContentLibrary
from gateway.store.migrate import head_revision
from search.backends.base import SearchBackend


@dataclass(frozen=True)
class DependencyState:
    """One dependency: ready or not, and a short detail an operator can act on."""

    ok: bool
    detail: str
    latency_ms: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"status": "ok" if self.ok else "down", "detail": self.detail, "latency_ms": self.latency_ms}


@dataclass(frozen=True)
class HealthReport:
    dependencies: dict[str, DependencyState]

    @property
    def ok(self) -> bool:
        return all(state.ok for state in self.dependencies.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "status": "ok" if self.ok else "unavailable",
            "dependencies": {name: state.as_dict() for name, state in self.dependencies.items()},
        }


async def check_rasa(http: httpx.AsyncClient, base_url: str) -> DependencyState:
    """Rasa is ready when ``/status`` reports a loaded model; if the API is not enabled
    (401/403/404), when ``/`` answers."""
    response = await http.get(f"{base_url}/status")
    if response.status_code == 200:
        data = response.json() if "json" in response.headers.get("content-type", "") else {}
        model = data.get("model_file") if isinstance(data, dict) else None
        if isinstance(data, dict) and "model_file" in data and not model:
            return DependencyState(False, "Rasa is up but has no model loaded")
        return DependencyState(True, f"model {str(model).rsplit('/', 1)[-1]}" if model else "status 200")
    if response.status_code in (401, 403, 404):
        root = await http.get(f"{base_url}/")
        if root.status_code == 200:
            return DependencyState(True, root.text.strip()[:80] or "root 200")
        return DependencyState(False, f"HTTP {root.status_code} from /")
    return DependencyState(False, f"HTTP {response.status_code} from /status")


async def check_actions(http: httpx.AsyncClient, base_url: str) -> DependencyState:
    response = await http.get(f"{base_url}/health")
    if response.status_code == 200:
        return DependencyState(True, "health 200")
    return DependencyState(False, f"HTTP {response.status_code} from /health")


def check_search(backend: SearchBackend | None) -> DependencyState:
    if backend is None:
        return DependencyState(False, "search backend not configured")
    health = backend.health()
    return DependencyState(health.ok, health.detail)


def check_database(engine: Engine) -> DependencyState:
    with engine.connect() as conn:
        revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    head = head_revision()
    if revision != head:
        return DependencyState(False, f"schema at {revision}, expected {head}")
    return DependencyState(True, f"{engine.dialect.name}, schema {revision}")


def check_library(library: ContentLibrary | None, error: str | None) -> DependencyState:
    if library is None:
        return DependencyState(False, error or "policy library not loaded")
    return DependencyState(True, f"{len(library.documents)} documents, {len(library.interpretations)} interpretations")


async def _timed(check: Callable[[], Awaitable[DependencyState]], timeout: float) -> DependencyState:
    started = time.perf_counter()
    try:
        state = await asyncio.wait_for(check(), timeout)
    except asyncio.TimeoutError:
        state = DependencyState(False, f"no answer within {timeout:g}s")
    except httpx.HTTPError as exc:
        state = DependencyState(False, f"unreachable ({exc.__class__.__name__})")
    except Exception as exc:  # a health check must report, never raise
        state = DependencyState(False, f"{exc.__class__.__name__}: {str(exc)[:160]}")
    return DependencyState(state.ok, state.detail, int((time.perf_counter() - started) * 1000))


async def check_all(
    *,
    http: httpx.AsyncClient,
    rasa_url: str,
    actions_url: str,
    search_backend: SearchBackend | None,
    engine: Engine,
    library: ContentLibrary | None,
    library_error: str | None,
    timeout: float,
) -> HealthReport:
    """Every dependency's state, checked concurrently."""
    checks: dict[str, Callable[[], Awaitable[DependencyState]]] = {
        "rasa": lambda: check_rasa(http, rasa_url),
        "actions": lambda: check_actions(http, actions_url),
        "search": lambda: asyncio.to_thread(check_search, search_backend),
        "database": lambda: asyncio.to_thread(check_database, engine),
        "library": lambda: asyncio.to_thread(check_library, library, library_error),
    }
    states = await asyncio.gather(*(_timed(check, timeout) for check in checks.values()))
    return HealthReport(dict(zip(checks, states, strict=True)))
