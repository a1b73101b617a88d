"""The application factory. Importing this module does no I/O; the database (migrations), the
policy library and the clients are set up by the lifespan when the server starts."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from gateway.auth.guards import install_login_redirect
from gateway.content.library import ContentLibrary
from gateway.content.views import validity_class
from gateway.errors import install_error_handlers
from gateway.logging_config import install_pii_masking
from gateway.metrics import GatewayMetrics
from gateway.middleware import BodySizeLimitMiddleware, ObservabilityMiddleware, SecurityHeadersMiddleware
from gateway.rasa.client import RasaClient
from gateway.ratelimit import RateLimiter
from gateway.routers import chat, console, health, pages, review, staff, wechat
from gateway.service_errors import install_service_error_handler
from gateway.settings import Settings
from gateway.state import GatewayState
from gateway.store.database import create_db_engine, create_session_factory
from gateway.store.migrate import upgrade_to_head
from gateway.store.runner import StoreRunner, default_concurrency
from knowledge_base.settings import KnowledgeBaseSettings
from search.backends.base import SearchBackend

HERE = Path(__file__).resolve().parent
log = logging.getLogger(__name__)

SearchBackendFactory = Callable[[], SearchBackend]
LibraryLoader = Callable[[], ContentLibrary]
AnalyzerFactory = Callable[[], Any]


def default_search_backend() -> SearchBackend:
    """The configured search backend (``SEARCH_BACKEND``...), created lazily (no I/O)."""
    from search.factory import create_backend
    from search.settings import SearchSettings

    return create_backend(SearchSettings.from_env())


def default_library() -> ContentLibrary:
    return ContentLibrary.load(KnowledgeBaseSettings.from_env())


def _templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    templates.env.globals["validity_class"] = validity_class
    return templates


def _start(
    settings: Settings,
    metrics: GatewayMetrics,
    templates: Jinja2Templates,
    search_backend_factory: SearchBackendFactory,
    library_loader: LibraryLoader,
    analyzer_factory: AnalyzerFactory | None = None,
) -> GatewayState:
    """Blocking startup work (run in a thread): var dir, secret key, migrations, library."""
    settings.ensure_var_dir()
    secret_key = settings.resolved_secret_key()
    engine = create_db_engine(settings.database_url)
    if settings.run_migrations_on_startup:
        upgrade_to_head(settings.database_url, engine=engine)
    library: ContentLibrary | None = None
    library_error: str | None = None
    try:
        library = library_loader()
    except Exception as exc:  # pages answer 503 and /healthz reports it; chat keeps working
        library_error = f"{exc.__class__.__name__}: {str(exc)[:200]}"
        log.error("policy library not loaded: %s", library_error)
    try:
        search_backend: SearchBackend | None = search_backend_factory()
    except Exception as exc:
        search_backend = None
        log.error("search backend not configured: %s", exc)
    session_factory = create_session_factory(engine)
    return GatewayState(
        settings=settings,
        secret_key=secret_key,
        engine=engine,
        session_factory=session_factory,
        bot=RasaClient(settings.rasa_url, timeout=settings.rasa_timeout, max_connections=settings.rasa_max_connections),
        store=StoreRunner(
            session_factory, limit=settings.store_concurrency or default_concurrency(engine.dialect.name)
        ),
        http=httpx.AsyncClient(timeout=settings.health_timeout),
        metrics=metrics,
        templates=templates,
        library=library,
        library_error=library_error,
        search_backend=search_backend,
        session_limiter=RateLimiter(settings.rate_limit_session_per_minute),
        ip_limiter=RateLimiter(settings.rate_limit_ip_per_minute),
        login_limiter=RateLimiter(settings.login_rate_per_minute),
        analyzer_factory=analyzer_factory,
    )


def create_app(
    settings: Settings | None = None,
    *,
    search_backend_factory: SearchBackendFactory | None = None,
    library_loader: LibraryLoader | None = None,
    analyzer_factory: AnalyzerFactory | None = None,
) -> FastAPI:
    """Build the gateway application. ``settings`` default to the environment; the factories
    let an embedding program choose the search backend, the library source and the search
    analyzer of the agent console (default: built from the knowledge base on first search)."""
    settings = settings or Settings()
    install_pii_masking()
    metrics = GatewayMetrics()
    templates = _templates()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        state = await asyncio.to_thread(
            _start,
            settings,
            metrics,
            templates,
            search_backend_factory or default_search_backend,
            library_loader or default_library,
            analyzer_factory,
        )
        app.state.gateway = state
        log.info("gateway ready (database %s)", state.engine.dialect.name)
        try:
            yield
        finally:
            await state.aclose()

    app = FastAPI(title="人社政策咨询 gateway", version="0.1.0", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(ObservabilityMiddleware, metrics=metrics)
    install_error_handlers(app)
    install_service_error_handler(app)
    install_login_redirect(app)
    app.include_router(chat.router)
    app.include_router(staff.router)
    app.include_router(console.router)
    app.include_router(console.api)
    app.include_router(review.router)
    app.include_router(review.api)
    app.include_router(health.router)
    app.include_router(pages.router)
    app.include_router(wechat.router)  # contract 6: GET/POST /wechat
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    return app
