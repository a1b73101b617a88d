"""Shared fixtures: the real knowledge base, the real analyzer, and a real Elasticsearch node."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from knowledge_base.settings import KnowledgeBaseSettings
from search.analyzer import Analyzer, build_analyzer

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def kb_settings() -> KnowledgeBaseSettings:
    settings = KnowledgeBaseSettings.from_env()
    assert (settings.policies_dir / "MANIFEST.tsv").exists(), f"SHARED_DATA_DIR not found: {settings.shared_data_dir}"
    return settings


@pytest.fixture(scope="session")
def analyzer(kb_settings: KnowledgeBaseSettings) -> Analyzer:
    return build_analyzer(kb_settings)


@pytest.fixture(scope="session")
def es_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real single-node Elasticsearch 7.10.2 started from Maven Central for this test session."""
    from tests.support.es_node import start_es_cluster

    cluster = start_es_cluster(1, workdir=tmp_path_factory.mktemp("es-single"))
    try:
        yield cluster.url
    finally:
        cluster.close()
