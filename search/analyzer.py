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
_NUMBER_OR_PUNCT = re.compile(r"^[\W\d_]+$", re.UNICODE)
# Fluff citizens put around a question (请问…怎么办); removed before tokenizing.
_FLUFF = re.compile(
    r"(请问一下|请问|我想问一下|我想问问|我想咨询一下|想咨询一下|咨询一下|问一下|你好|您好|谢谢你|谢谢|麻烦问下|麻烦您|"
    r"该怎么办呢|怎么办呢|怎么办啊|怎么办|该怎么处理|怎么处理|怎么弄|咋办|咋整|求解答|急急急|在线等|"
    r"我想知道|想知道|有没有人知道|谁知道|请教一下|请教|求助|帮我看看|帮忙看看|谢谢大家|各位好|大家好)"
)
# Words that shape a question but never name what it is about (能否…的情况下…合法吗). They are
# dropped from the citizen's query only; the index keeps them, so the baseline is unchanged.
QUERY_SCAFFOLDING = frozenset(
    "能否 可否 需要 应当 应该 情况下 情况 情形 什么样 什么时候 时候 怎样 哪种 是否是 要不要 法律 法律规定 规定 合法".split()
)
# A question's own list number (``52、旅游者…``) and money amounts (``借了3万块``: statutes speak of
# 数额, never of the citizen's figure) carry no retrievable meaning.
_LIST_NUMBER = re.compile(r"^\s*\d{1,3}\s*[、.．]\s*")
_AMOUNT = re.compile(r"\d+(?:\.\d+)?\s*(?:多)?\s*(?:万|千|百)?\s*(?:多)?\s*(?:元|块钱|块|rmb)")
# Durations, ages and multiples are written the statutes' way: 16岁 → 十六周岁, 15天 → 十五日.
_QUANTITY = re.compile(r"(\d{1,4})\s*(周岁|岁|个月|年|日|天|倍|小时)")
_TWO = re.compile(r"两(?=年|个月|倍|周岁)")
_DIGITS_ZH = "零一二三四五六七八九"


def chinese_number(value: int) -> str:
    """``16`` → ``十六``, ``105`` → ``一百零五`` (0–9999), as statutes write quantities."""
    if value < 10:
        return _DIGITS_ZH[value]
    if value < 20:
        return "十" + (_DIGITS_ZH[value % 10] if value % 10 else "")
    out, zero = "", False
    for unit_value, unit in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        digit = value // unit_value % 10
        if digit:
            if zero and out:
                out += "零"
            out += _DIGITS_ZH[digit] + unit
            zero = False
        elif out:
            zero = True
    return out


def _quantity(match: re.Match[str]) -> str:
    value, unit = int(match.group(1)), match.group(2)
    unit = {"岁": "周岁", "天": "日"}.get(unit, unit)
    return chinese_number(value) + unit if value < 10000 else match.group(0)


def arabic_quantities(text: str) -> list[str]:
    """The question's quantities in Arabic digits with the statutes' units (``16周岁``, ``15日``):
    newer texts write them so, older ones in Chinese numerals (``normalize_question``)."""
    return [m.group(1) + {"岁": "周岁", "天": "日"}.get(m.group(2), m.group(2)) for m in _QUANTITY.finditer(normalize_text(text))]


def normalize_question(text: str) -> str:
    """A citizen's question as the statutes would phrase its numbers, without fluff or figures."""
    text = normalize_text(text)[:MAX_QUERY_CHARS]
    text = _LIST_NUMBER.sub(" ", text)
    text = _FLUFF.sub(" ", text)
    text = _AMOUNT.sub(" ", text)
    text = _QUANTITY.sub(_quantity, text)
    return _TWO.sub("二", text)


@dataclass(frozen=True)
class AnalyzedQuery:
    """Tokens of the citizen's own words and the canonical policy terms their synonyms add."""

    tokens: tuple[str, ...]
    expansions: tuple[str, ...]
    matched_synonyms: tuple[tuple[str, str], ...] = ()
    # Adjacent content words of the question, joined (保管合同, 楼上扔): a text that contains them
    # as written is closer to the question than one that has the words scattered.
    phrases: tuple[str, ...] = ()


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

    def query_words(self, text: str, segmented: list[str] | None = None) -> list[str]:
        """The citizen's own words, precise-mode, without stopwords and question scaffolding.

        A long word jieba only guessed (not in its dictionary: 领失业金) stands for its known parts
        (失业, 失业金), which the texts do contain. ``segmented``: ``segment(text)`` if known."""
        out: list[str] = []
        for word in self.segment(text) if segmented is None else segmented:
            if len(word) >= 3 and not self._tokenizer.FREQ.get(word):
                candidates = [part for part in self.tokens(word) if part != word] or [word]
            else:
                candidates = [word]
            for token in candidates:
                if token not in self._stopwords and token not in QUERY_SCAFFOLDING and token not in out:
                    out.append(token)
        return out

    def analyze_query(self, text: str) -> AnalyzedQuery:
        """Normalise a citizen's question, tokenize it, and add canonical terms for synonyms.

        ``tokens`` are the question's own words (precise mode: 未成年人, not also 未成/成年/…, which
        would count one idea five times); ``expansions`` (matched at a lower weight) are the parts
        of those words (成年人, so texts that use the shorter word still match) and the canonical
        terms of the synonyms found: ``公司把我开了给不给钱`` gains ``解除劳动合同``/``经济补偿``.
        """
        stripped = normalize_question(text)
        search_tokens = list(dict.fromkeys(self.tokens(stripped)))
        token_set = set(search_tokens)
        segmented = self.segment(stripped)
        words = self.query_words(stripped, segmented)
        canonical_tokens: list[str] = []
        matched: list[tuple[str, str]] = []
        remaining = stripped
        for variant in self._variants_by_length:
            if variant in remaining or variant in token_set:
                canonical = self._variant_to_canonical[variant]
                matched.append((variant, canonical))
                remaining = remaining.replace(variant, " ")
                canonical_tokens.extend(self.tokens(canonical))
        phrases = self.query_phrases(stripped, segmented)
        tokens = words or [t for t in search_tokens if t not in QUERY_SCAFFOLDING] or search_tokens
        own = set(tokens)
        parts = [t for t in search_tokens if t not in own and t not in QUERY_SCAFFOLDING]
        digits = [t for quantity in arabic_quantities(text) for t in self.tokens(quantity)]
        expansions = [t for t in dict.fromkeys(canonical_tokens + parts + digits) if t not in own]
        return AnalyzedQuery(tuple(tokens), tuple(expansions), tuple(matched), tuple(phrases))

    def query_phrases(self, text: str, segmented: list[str] | None = None) -> list[str]:
        """Pairs of adjacent content words of ``text`` (precise mode), each joined into one string.
        ``segmented``: ``segment(text)`` if known."""
        words = self.segment(text) if segmented is None else segmented

        def content(word: str) -> bool:
            return word not in self._stopwords and word not in QUERY_SCAFFOLDING and not _NUMBER_OR_PUNCT.match(word)

        pairs = [a + b for a, b in zip(words, words[1:], strict=False) if content(a) and content(b)]
        return list(dict.fromkeys(pairs))


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
