"""Choose the backend once, from settings. Nothing else in the code base branches on it."""

from __future__ import annotations

from search.backends.base import SearchBackend
from search.settings import SearchSettings

CORPORA = ("kb", "national")


def create_backend(settings: SearchSettings, *, corpus: str = "kb") -> SearchBackend:
    """The configured backend for ``corpus`` (``kb``: our index; ``national``: 58,649 articles)."""
    if corpus not in CORPORA:
        raise ValueError(f"corpus must be one of {CORPORA}, not {corpus!r}")
    if settings.backend == "elasticsearch":
        from search.backends.elasticsearch import ElasticsearchBackend

        return ElasticsearchBackend(
            settings.elasticsearch_url,
            index_prefix=f"{settings.index_prefix}-{corpus}",
            timeout=settings.elasticsearch_timeout,
            cache_units=settings.elasticsearch_cache_units,
        )
    from search.backends.embedded import EmbeddedBackend

    return EmbeddedBackend(settings.index_dir / f"{corpus}.sqlite")
