"""Everything one running gateway holds: settings, database, bot client, metrics, library.

Built by the application's startup (:func:`gateway.app.create_app`'s lifespan) and reached by
request handlers through the dependencies in :mod:`gateway.dependencies`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import httpx
from fastapi.templating import Jinja2Templates
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from gateway.content.library import ContentLibrary
from gateway.metrics import GatewayMetrics
from gateway.rasa.client import RasaClient
from gateway.ratelimit import RateLimiter
from gateway.settings import Settings
from gateway.store.runner import StoreRunner
from search.backends.base import SearchBackend

if TYPE_CHECKING:
    from search.analyzer import Analyzer
    from search.service import PolicySearch


@dataclass
class GatewayState:
    settings: Settings
    secret_key: str
    engine: Engine
    session_factory: sessionmaker[Session]
    bot: RasaClient
    store: StoreRunner
    """Runs the chat turn's store work (and WeChat's) in worker threads, within a limit."""
    http: httpx.AsyncClient
    metrics: GatewayMetrics
    templates: Jinja2Templates
    library: ContentLibrary | None
    library_error: str | None
    search_backend: SearchBackend | None
    session_limiter: RateLimiter
    ip_limiter: RateLimiter
    login_limiter: RateLimiter = field(default_factory=lambda: RateLimiter(0))
    analyzer_factory: Callable[[], Analyzer] | None = None
    """Builds the search analyzer for the agent console (default: the knowledge base's)."""
    _policy_search: PolicySearch | None = field(default=None, repr=False)
    _article_keys: dict[str, Any] | None = field(default=None, repr=False)
    _lazy_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def policy_search(self) -> PolicySearch | None:
        """The search service over :attr:`search_backend` (built on first use: the analyzer
        loads the jieba dictionary); ``None`` when no backend is configured."""
        if self.search_backend is None:
            return None
        with self._lazy_lock:
            if self._policy_search is None:
                from search.analyzer import default_analyzer
                from search.service import PolicySearch

                analyzer = self.analyzer_factory() if self.analyzer_factory else default_analyzer()
                self._policy_search = PolicySearch(self.search_backend, analyzer)
            return self._policy_search

    def article_keys(self) -> dict[str, Any] | None:
        """Article key → article of the loaded policy library (for the review validator), built
        once from :attr:`library`; ``None`` when the library is not loaded."""
        if self.library is None:
            return None
        with self._lazy_lock:
            if self._article_keys is None:
                self._article_keys = {key: link.article for key, link in self.library.keys.items()}
            return self._article_keys

    async def aclose(self) -> None:
        """Release connections (called at shutdown)."""
        await self.http.aclose()
        await self.bot.aclose()
        if self.search_backend is not None:
            self.search_backend.close()
        self.engine.dispose()
