"""Typed settings of the search library, from environment variables."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from knowledge_base.settings import PROJECT_ROOT, KnowledgeBaseSettings

BACKENDS = ("embedded", "elasticsearch")


@dataclass(frozen=True)
class SearchSettings:
    """``SEARCH_BACKEND`` (embedded|elasticsearch), ``SEARCH_INDEX_DIR`` (embedded files),
    ``ELASTICSEARCH_URL``, ``ELASTICSEARCH_INDEX_PREFIX``, ``ELASTICSEARCH_TIMEOUT`` (seconds) and
    ``ELASTICSEARCH_CACHE_UNITS`` (unit bodies cached for search hits; 0 = off) (Elasticsearch),
    ``SHARED_DATA_DIR``."""

    backend: str
    index_dir: Path
    elasticsearch_url: str
    index_prefix: str
    elasticsearch_timeout: float
    kb: KnowledgeBaseSettings
    elasticsearch_cache_units: int = 20_000

    @classmethod
    def from_env(cls, **overrides: object) -> SearchSettings:
        backend = os.environ.get("SEARCH_BACKEND", "embedded")
        if backend not in BACKENDS:
            raise ValueError(f"SEARCH_BACKEND must be one of {BACKENDS}, not {backend!r}")
        index_dir = Path(os.environ.get("SEARCH_INDEX_DIR", str(PROJECT_ROOT / "var" / "index")))
        values: dict[str, object] = {
            "backend": backend,
            "index_dir": index_dir,
            "elasticsearch_url": os.environ.get("ELASTICSEARCH_URL", "http://127.0.0.1:9200"),
            "index_prefix": os.environ.get("ELASTICSEARCH_INDEX_PREFIX", "policy"),
            "elasticsearch_timeout": float(os.environ.get("ELASTICSEARCH_TIMEOUT", "10")),
            "kb": KnowledgeBaseSettings.from_env(),
            "elasticsearch_cache_units": int(os.environ.get("ELASTICSEARCH_CACHE_UNITS", "20000")),
        }
        values.update(overrides)
        return cls(**values)  # type: ignore[arg-type]
