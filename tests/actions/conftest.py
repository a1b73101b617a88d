"""Action tests run in the bot environment (``.venv-bot``, rasa_sdk) against a real embedded index
built from the official texts plus a small fixture knowledge base."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parent / "fixtures"

pytest.importorskip("rasa_sdk", reason="action tests run in .venv-bot (make test runs them there)")


@pytest.fixture(scope="session")
def fixture_index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    from actions.search_client import policy_search
    from knowledge_base.settings import KB_DIR
    from search.analyzer import default_analyzer
    from search.build import build
    from search.settings import SearchSettings

    index_dir = tmp_path_factory.mktemp("actions-index")
    kb_dir = tmp_path_factory.mktemp("actions-kb") / "kb"
    shutil.copytree(FIXTURES / "kb", kb_dir)
    # the official texts' metadata of record (replacements of expired texts) is the real one
    shutil.copy(KB_DIR / "metadata_overrides.yml", kb_dir / "metadata_overrides.yml")
    saved = {k: os.environ.get(k) for k in ("KB_DIR", "SEARCH_INDEX_DIR", "SEARCH_BACKEND")}
    os.environ.update({"KB_DIR": str(kb_dir), "SEARCH_INDEX_DIR": str(index_dir), "SEARCH_BACKEND": "embedded"})
    policy_search.cache_clear()
    default_analyzer.cache_clear()
    result = build("kb", if_changed=False, settings=SearchSettings.from_env())
    assert result["count"] > 4000
    yield index_dir
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    policy_search.cache_clear()


def load_tracker(name: str):  # type: ignore[no-untyped-def]
    from rasa_sdk import Tracker

    return Tracker.from_dict(json.loads((FIXTURES / "trackers" / f"{name}.json").read_text(encoding="utf-8")))
