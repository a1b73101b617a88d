"""Everything one running gateway holds: settings, database, bot client, metrics, library.

Built by the application's startup (:func:`gateway.app.create_app`'s lifespan) and reached by
request handlers through the dependencies in :mod:`gateway.dependencies`.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx
from fastapi.templating import Jinja2Templates
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from gateway.content.library import ContentLibrary
from gateway.metrics import GatewayMetrics
from gateway.rasa.client import RasaClient
from gateway.ratelimit import RateLimiter
from gateway.settings import Settings
from search.backends.base import SearchBackend


@dataclass
class GatewayState:
    settings: Settings
    secret_key: str
    engine: Engine
    session_factory: sessionmaker[Session]
    bot: RasaClient
    http: httpx.AsyncClient
    metrics: GatewayMetrics
    templates: Jinja2Templates
    library: ContentLibrary | None
    library_error: str | None
    search_backend: SearchBackend | None
    session_limiter: RateLimiter
    ip_limiter: RateLimiter

    async def aclose(self) -> None:
        """Release connections (called at shutdown)."""
        await self.http.aclose()
        self.bot.close()
        if self.search_backend is not None:
            self.search_backend.close()
        self.engine.dispose()
