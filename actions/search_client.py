"""The action server's handle on the search library (one per process, built on first use)."""

from __future__ import annotations

from functools import lru_cache

from search.analyzer import build_analyzer
from search.factory import create_backend
from search.service import PolicySearch
from search.settings import SearchSettings


@lru_cache(maxsize=1)
def policy_search() -> PolicySearch:
    """The configured search service (embedded index by default; ``SEARCH_BACKEND`` switches)."""
    settings = SearchSettings.from_env()
    return PolicySearch(create_backend(settings, corpus="kb"), build_analyzer(settings.kb))
