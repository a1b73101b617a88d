"""The one Chinese analyzer of the search library.

A private ``jieba.Tokenizer`` (never jieba's global one, which Rasa's JiebaTokenizer owns in the
bot process) loaded with the shared domain dictionary; the synonyms and stopwords of the
knowledge base. Index-time and query-time tokenization are defined here once and every backend
indexes and queries the same tokens (pre-tokenized text, as ragflow does).
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import jieba

from knowledge_base.settings import KnowledgeBaseSettings
from knowledge_base.synonyms import SynonymGroup, load_synonyms

MAX_QUERY_CHARS = 2000
_KEEP = re.compile(r"[\w\u4e00-\u9fff+]+", re.UNICODE)
_PUNCT_ONLY = re.compile(r"^[\W_]+$", re.UNICODE)
# Fluff citizens put around a question (请问…怎么办); removed before tokenizing.
_FLUFF = re.compile(
    r"(请问一下|请问|我想问一下|我想问问|我想咨询一下|想咨询一下|咨询一下|问一下|你好|您好|谢谢你|谢谢|麻烦问下|麻烦您|"
    r"该怎么办呢|怎么办呢|怎么办啊|怎么办|该怎么处理|怎么处理|怎么弄|咋办|咋整|求解答|急急急|在线等)"
)


@dataclass(frozen=True)
class AnalyzedQuery:
    """Tokens of the citizen's own words and the canonical policy terms their synonyms add."""

    tokens: tuple[str, ...]
    expansions: tuple[str, ...]
    matched_synonyms: tuple[tuple[str, str], ...] = ()


def normalize_text(text: str) -> str:
    """NFKC (full-width to half-width), lower case, collapse whitespace."""
    text = unicodedata.normalize("NFKC", text or "").lower()
    return re.sub(r"\s+", " ", text).strip()


class Analyzer:
    """Tokenize documents and queries identically for every backend."""

    def __init__(self, dictionary_files: list[Path], synonyms: list[SynonymGroup], stopwords: set[str]) -> None:
        jieba.setLogLevel(logging.WARNING)
        self._tokenizer = jieba.Tokenizer()
        self._lock = threading.Lock()
        for path in dictionary_files:
            self._tokenizer.load_userdict(str(path))
        self._stopwords = stopwords
        self._synonyms = synonyms
        self._variant_to_canonical: dict[str, str] = {}
        for group in synonyms:
            for variant in group.variants:
                self._variant_to_canonical[normalize_text(variant)] = group.canonical
        # Longest variants first, so 不发工资 is seen before 工资.
        self._variants_by_length = sorted(self._variant_to_canonical, key=len, reverse=True)

    @property
    def stopwords(self) -> set[str]:
        return self._stopwords

    def _cut(self, text: str) -> list[str]:
        with self._lock:  # jieba's lazy initialisation is not thread-safe
            return list(self._tokenizer.cut_for_search(text))

    def segment(self, text: str) -> list[str]:
        """Precise-mode words of ``text`` (for display and highlighting), punctuation dropped."""
        with self._lock:
            words = list(self._tokenizer.cut(normalize_text(text)))
        return [w for w in words if w.strip() and not _PUNCT_ONLY.match(w)]

    def tokens(self, text: str) -> list[str]:
        """Index-time tokens: search-mode jieba words (long words and their parts), no stopwords."""
        out: list[str] = []
        for word in self._cut(normalize_text(text)):
            word = word.strip()
            if not word or _PUNCT_ONLY.match(word) or word in self._stopwords:
                continue
            out.append(word)
        return out

    def index_field(self, text: str) -> str:
        """Space-joined tokens, the form stored in ``IndexDoc.*_tokens``."""
        return " ".join(self.tokens(text))

    def analyze_query(self, text: str) -> AnalyzedQuery:
        """Normalise a citizen's question, tokenize it, and add canonical terms for synonyms.

        ``公司把我开了给不给钱`` gains ``解除劳动合同``/``经济补偿`` expansions when the synonyms say so.
        """
        text = normalize_text(text)[:MAX_QUERY_CHARS]
        stripped = _FLUFF.sub(" ", text)
        tokens = list(dict.fromkeys(self.tokens(stripped)))
        token_set = set(tokens)
        expansions: list[str] = []
        matched: list[tuple[str, str]] = []
        remaining = stripped
        for variant in self._variants_by_length:
            if variant in remaining or variant in token_set:
                canonical = self._variant_to_canonical[variant]
                matched.append((variant, canonical))
                remaining = remaining.replace(variant, " ")
                for tok in self.tokens(canonical):
                    if tok not in token_set and tok not in expansions:
                        expansions.append(tok)
        return AnalyzedQuery(tuple(tokens), tuple(expansions), tuple(matched))


def _read_stopwords(path: Path) -> set[str]:
    if not path.exists():
        return set()
    words = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            words.add(normalize_text(line))
    return words


def build_analyzer(settings: KnowledgeBaseSettings) -> Analyzer:
    """Build the analyzer from the knowledge base's dictionary folder, synonyms and stopwords."""
    files = sorted(settings.dictionary_dir.glob("*.txt")) if settings.dictionary_dir.is_dir() else []
    synonyms = load_synonyms(settings.synonyms_file) if settings.synonyms_file.exists() else []
    return Analyzer(files, synonyms, _read_stopwords(settings.stopwords_file))


@lru_cache(maxsize=4)
def default_analyzer(kb_dir: str | None = None) -> Analyzer:
    """The process-wide analyzer for the configured knowledge base (built on first use)."""
    settings = KnowledgeBaseSettings.from_env()
    if kb_dir:
        settings = KnowledgeBaseSettings(shared_data_dir=settings.shared_data_dir, kb_dir=Path(kb_dir))
    return build_analyzer(settings)
