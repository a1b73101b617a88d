"""The action server's handle on the search library (one per process, built on first use)."""

from __future__ import annotations

import logging
import threading
from functools import lru_cache

from search.analyzer import build_analyzer
from search.factory import create_backend
from search.service import PolicySearch
from search.settings import SearchSettings

log = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def policy_search() -> PolicySearch:
    """The configured search service (embedded index by default; ``SEARCH_BACKEND`` switches)."""
    settings = SearchSettings.from_env()
    service = PolicySearch(create_backend(settings, corpus="kb"), build_analyzer(settings.kb))
    threading.Thread(target=_warm, args=(service,), name="search-warm", daemon=True).start()
    return service


def _warm(service: PolicySearch) -> None:
    """Read the index ahead in the background; a failure only costs speed (searches report it)."""
    try:
        log.info("search index warmed: %d units", service.warm())
    except Exception as exc:  # noqa: BLE001 - warming is an optimisation, never fatal
        log.warning("could not warm the search index: %s", exc)
