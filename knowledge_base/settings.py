"""Typed settings of the knowledge base, read from environment variables."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
KB_DIR = Path(__file__).resolve().parent


@dataclass(frozen=True)
class KnowledgeBaseSettings:
    """Where the knowledge base reads from.

    ``shared_data_dir`` is contract 0: ``SHARED_DATA_DIR`` (default ``../shared/data`` from the
    project root) holds ``policies/``, ``corpus/``, ``eval/``, ``seed/`` and ``questions/``.
    """

    shared_data_dir: Path
    kb_dir: Path = KB_DIR

    @property
    def policies_dir(self) -> Path:
        return self.shared_data_dir / "policies"

    @property
    def seed_dir(self) -> Path:
        return self.shared_data_dir / "seed"

    @property
    def corpus_file(self) -> Path:
        return self.shared_data_dir / "corpus" / "national_articles.jsonl.gz"

    @property
    def interpretations_dir(self) -> Path:
        return self.kb_dir / "interpretations"

    @property
    def overrides_file(self) -> Path:
        return self.kb_dir / "metadata_overrides.yml"

    @property
    def dictionary_dir(self) -> Path:
        return self.kb_dir / "dictionary"

    @property
    def synonyms_file(self) -> Path:
        return self.kb_dir / "synonyms.txt"

    @property
    def stopwords_file(self) -> Path:
        return self.kb_dir / "stopwords.txt"

    @classmethod
    def from_env(cls) -> KnowledgeBaseSettings:
        raw = os.environ.get("SHARED_DATA_DIR") or str(PROJECT_ROOT.parent / "shared" / "data")
        path = Path(raw)
        if not path.is_absolute():
            path = (PROJECT_ROOT / path).resolve()
        kb_dir = Path(os.environ.get("KB_DIR", str(KB_DIR)))
        return cls(shared_data_dir=path, kb_dir=kb_dir)
