"""Fixtures of the gateway tests: a real SQLite file per test, real HTTP servers standing in for
Rasa and the action server, the real policy library, and a real (tiny) embedded search index."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from gateway.app import create_app
from gateway.content.library import ContentLibrary
from gateway.settings import Settings
from gateway.store.database import create_db_engine, create_session_factory
from knowledge_base.settings import KnowledgeBaseSettings
from search.backends.embedded import EmbeddedBackend
from search.types import IndexDoc
from tests.gateway.gateway_fakes import FakeRasa, LocalServer, actions_app, free_port


@pytest.fixture(scope="session")
def _rasa_server() -> Iterator[tuple[FakeRasa, LocalServer]]:
    fake = FakeRasa()
    server = LocalServer(fake.app).start()
    yield fake, server
    server.stop()


@pytest.fixture
def fake_rasa(_rasa_server: tuple[FakeRasa, LocalServer]) -> FakeRasa:
    """A fresh, healthy fake Rasa (replies reset for every test); ``fake_rasa.url`` is its base."""
    fake, server = _rasa_server
    fake.reset()
    fake.url = server.url  # type: ignore[attr-defined]
    return fake


@pytest.fixture(scope="session")
def actions_url() -> Iterator[str]:
    server = LocalServer(actions_app()).start()
    yield server.url
    server.stop()


@pytest.fixture(scope="session")
def library(kb_settings: KnowledgeBaseSettings) -> ContentLibrary:
    """The real policy library (official texts from SHARED_DATA_DIR + curated interpretations)."""
    return ContentLibrary.load(kb_settings)


@pytest.fixture
def search_index(tmp_path: Path) -> Path:
    """A real embedded index file holding one unit."""
    path = tmp_path / "index" / "kb.sqlite"
    backend = EmbeddedBackend(path)
    backend.write(
        [
            IndexDoc(
                uid="t:1",
                source_kind="policy",
                title="失业保险条例",
                text="失业保险金",
                title_tokens="失业 保险 条例",
                body_tokens="失业 保险金",
            )
        ]
    )
    backend.close()
    return path


@pytest.fixture
def dead_url() -> str:
    """A 127.0.0.1 URL where nothing listens (connection refused)."""
    return f"http://127.0.0.1:{free_port()}"


@pytest.fixture
def settings(tmp_path: Path, fake_rasa: FakeRasa, actions_url: str) -> Settings:
    return Settings(
        database_url=f"sqlite:///{tmp_path / 'gateway.sqlite3'}",
        var_dir=tmp_path / "var",
        rasa_url=fake_rasa.url,  # type: ignore[attr-defined]
        actions_url=actions_url,
        rasa_timeout=2.0,
        health_timeout=2.0,
        rate_limit_session_per_minute=0,
        rate_limit_ip_per_minute=0,
    )


AppFactory = Callable[..., TestClient]


@pytest.fixture
def make_client(settings: Settings, library: ContentLibrary, search_index: Path) -> Iterator[AppFactory]:
    """``make_client(**setting_overrides, search_path=…)`` → a started TestClient of a real app."""
    stack = ExitStack()

    def factory(*, search_path: Path | None = None, library_loader: Any = None, **overrides: Any) -> TestClient:
        app_settings = settings.model_copy(update=overrides)
        path = search_path or search_index
        app = create_app(
            app_settings,
            search_backend_factory=lambda: EmbeddedBackend(path),
            library_loader=library_loader or (lambda: library),
        )
        return stack.enter_context(TestClient(app))

    yield factory
    stack.close()


@pytest.fixture
def client(make_client: AppFactory) -> TestClient:
    return make_client()


@pytest.fixture
def db(settings: Settings, client: TestClient) -> Iterator[Session]:
    """A session on the same SQLite file the app uses (after the app migrated it)."""
    engine = create_db_engine(settings.database_url)
    factory: sessionmaker[Session] = create_session_factory(engine)
    with factory() as session:
        yield session
    engine.dispose()


@pytest.fixture
def db_factory(settings: Settings) -> Iterator[Callable[[], Session]]:
    """Sessions on the test's SQLite file, for tests that start their own app (use after the app
    has migrated it)."""
    engine = create_db_engine(settings.database_url)
    yield create_session_factory(engine)
    engine.dispose()
