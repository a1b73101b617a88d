"""Elasticsearch backend: the :class:`~search.backends.base.SearchBackend` protocol over the
Elasticsearch 7.x REST API with the official ``elasticsearch`` 7.17 client.

Layout. An alias ``<prefix>`` (default ``policy``) points at one concrete index
``<prefix>-v<mapping version>-<UTC timestamp>``. :meth:`ElasticsearchBackend.replace_all`
builds a new concrete index, bulk loads it, then swaps the alias in one ``update_aliases``
call (remove + add) and deletes the old index, so readers never see a half-built index.
``write``/``delete`` create the index (and alias) when it is missing.

Mapping (``es_mapping.json``, versioned in ``_meta.version``). The ``*_tokens`` fields were
tokenized once in Python (jieba, :class:`search.analyzer.Analyzer`) and are split on whitespace
only, so this engine scores exactly the tokens the embedded engine sees. ``title``/``text`` carry
a ``.cjk`` subfield (built-in ``cjk`` analyzer: bigrams) as a small-boost safety net for
segmentation mismatches. The whole :class:`IndexDoc` is the ``_source``; ``get`` and hits rebuild
it exactly.

Errors. Connection failures, timeouts, an unhealthy cluster (missing shards, no master,
overload) raise :class:`SearchUnavailable` with a short message for operators; a query the
engine rejects returns ``[]`` (logged). Query text is only ever passed to ``match``-family
queries, never parsed as query syntax.

No I/O happens at import or in ``__init__``: the client is created on first use.
"""

from __future__ import annotations

import copy
import hashlib
import json
import logging
import re
import threading
import uuid
from collections.abc import Iterable
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from elasticsearch import Elasticsearch, helpers
from elasticsearch.exceptions import (
    AuthenticationException,
    AuthorizationException,
    ConnectionTimeout,
    NotFoundError,
    TransportError,
    UnsupportedProductError,
)
from elasticsearch.exceptions import (
    ConnectionError as EsConnectionError,
)

from search.backends.base import SearchUnavailable
from search.backends.scoring import EXPANSION_WEIGHT, weighted_tokens
from search.backends.serialization import doc_from_dict, doc_to_dict
from search.backends.unit_cache import UnitCache, Version
from search.types import BackendHealth, BackendHit, BackendQuery, Filters, IndexDoc

log = logging.getLogger(__name__)

MAPPING_FILE = Path(__file__).with_name("es_mapping.json")

# Query shaping. A citizen may paste a whole document: keep the clause count far below
# Lucene's max_clause_count (1024) whatever comes in.
MAX_QUERY_TOKENS = 64
MAX_TOKEN_CHARS = 64
MAX_CJK_QUERY_CHARS = 128
# The one scored token field (search.backends.scoring: title, body and phrasing tokens repeated by
# their weights); synonyms count EXPANSION_WEIGHT; bigrams least.
TOKEN_FIELD = "weighted_tokens"
CJK_FIELDS = ("title.cjk^2", "text.cjk^1")
CJK_BOOST = 0.1
# Unit bodies kept in memory for search hits (about 2 KB each without the token fields); the
# project's own index (~4,700 units) fits whole, the national corpus's most searched part does.
DEFAULT_CACHE_UNITS = 20_000
# The largest page Elasticsearch serves without scrolling (index.max_result_window).
MAX_SIZE = 10_000
# Elasticsearch rejects _id values over 512 bytes; longer uids are hashed into the _id
# (the uid itself is always kept in _source and the ``uid`` field).
MAX_ID_BYTES = 512

_PREFIX_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,150}$")
_UNAVAILABLE_STATUSES = {429, 500, 502, 503, 504}


class ElasticsearchIndexError(RuntimeError):
    """Elasticsearch refused to store some units (e.g. a value the mapping cannot hold), or the
    index name is taken by something that is not our alias. The message is operator-safe."""


@lru_cache(maxsize=1)
def _mapping_file() -> dict[str, Any]:
    result: dict[str, Any] = json.loads(MAPPING_FILE.read_text(encoding="utf-8"))
    return result


def load_mapping() -> dict[str, Any]:
    """The index definition from ``es_mapping.json`` (``settings`` and ``mappings``); a fresh
    copy each call so callers may modify it. Read on first use, not at import."""
    return copy.deepcopy(_mapping_file())


def mapping_version() -> int:
    """``mappings._meta.version`` of ``es_mapping.json``; part of every concrete index name so
    a changed mapping always goes into a fresh index."""
    return int(_mapping_file()["mappings"]["_meta"]["version"])


def doc_id(uid: str) -> str:
    """The Elasticsearch ``_id`` for a unit: the uid itself, or a hash when it is too long."""
    if len(uid.encode("utf-8")) <= MAX_ID_BYTES:
        return uid
    return "sha256-" + hashlib.sha256(uid.encode("utf-8")).hexdigest()


def _safe_url(url: str) -> str:
    """``url`` without credentials (messages are shown to operators and logged)."""
    try:
        parts = urlsplit(url if "://" in url else f"http://{url}")
    except ValueError:
        return "<invalid url>"
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path.rstrip("/"), "", ""))


def _is_cjk(char: str) -> bool:
    code = ord(char)
    return (
        0x3400 <= code <= 0x9FFF
        or 0xF900 <= code <= 0xFAFF
        or 0x20000 <= code <= 0x2FA1F
        or 0x3040 <= code <= 0x30FF  # kana
        or 0xAC00 <= code <= 0xD7AF  # hangul
    )


def clean_tokens(tokens: Iterable[str], *, limit: int = MAX_QUERY_TOKENS, exclude: Iterable[str] = ()) -> list[str]:
    """Tokens as they will be sent: whitespace-split (the index splits on whitespace too),
    each at most ``MAX_TOKEN_CHARS`` characters, de-duplicated case-insensitively (also against
    ``exclude``), at most ``limit`` of them, original order kept."""
    seen = {t.casefold() for t in exclude}
    result: list[str] = []
    for token in tokens:
        if not isinstance(token, str):
            continue
        for part in token.split():
            part = part[:MAX_TOKEN_CHARS]
            key = part.casefold()
            if key in seen:
                continue
            seen.add(key)
            result.append(part)
            if len(result) >= limit:
                return result
    return result


def _rejoin(tokens: list[str]) -> str:
    """Approximate the original text for the bigram field: adjacent CJK tokens are glued (so
    bigrams across a segmentation boundary exist), anything else is space-separated."""
    text = ""
    for token in tokens:
        if text and not (_is_cjk(text[-1]) and _is_cjk(token[0])):
            text += " "
        text += token
    return text[:MAX_CJK_QUERY_CHARS]


def filter_clauses(filters: Filters) -> list[dict[str, Any]]:
    """``bool.filter`` clauses for every non-empty field of ``filters`` (dates compare as ISO
    strings, both ends inclusive)."""
    clauses: list[dict[str, Any]] = []
    for field, values in (
        ("source_kind", filters.source_kinds),
        ("topic", filters.topics),
        ("region", filters.regions),
        ("validity", filters.validities),
        ("doc_kind", filters.doc_kinds),
    ):
        if values:
            clauses.append({"terms": {field: list(values)}})
    date_range: dict[str, str] = {}
    if filters.date_from:
        date_range["gte"] = filters.date_from
    if filters.date_to:
        date_range["lte"] = filters.date_to
    if date_range:
        clauses.append({"range": {"date": date_range}})
    return clauses


HEAVY_SOURCE_FIELDS = ("title_tokens", "body_tokens")


def _index_action(doc: IndexDoc) -> dict[str, Any]:
    """A bulk ``index`` action: the unit as ``_source`` plus its weighted token field (indexed,
    left out of the stored ``_source`` by the mapping)."""
    source = doc_to_dict(doc)
    source[TOKEN_FIELD] = weighted_tokens(doc)
    return {"_op_type": "index", "_id": doc_id(doc.uid), "_source": source}


def _token_clause(words: list[str], boost: float = 1.0) -> dict[str, Any]:
    clause: dict[str, Any] = {"query": " ".join(words), "operator": "or"}
    if boost != 1.0:
        clause["boost"] = boost
    return {"match": {TOKEN_FIELD: clause}}


def _bigram_clause(tokens: list[str]) -> dict[str, Any]:
    return {"multi_match": {"query": _rejoin(tokens), "type": "most_fields", "fields": list(CJK_FIELDS), "operator": "or"}}


def build_search_body(query: BackendQuery, *, bigram_recall: bool = False) -> dict[str, Any] | None:
    """The ``_search`` body for an analyzed query, or None when there is nothing to match.

    Every candidate's score is the same sum: BM25 of the tokens over the weighted token field
    (title, body and phrasing tokens scored as one field, see :mod:`search.backends.scoring`) +
    ``EXPANSION_WEIGHT`` × the same for the synonym expansions + ``CJK_BOOST`` × BM25 of CJK bigrams of the rejoined tokens; ``filter`` = the
    :class:`Filters`. By default the bigram part is a ``rescore`` of the ``size`` candidates the
    token parts found: it adds exactly the same score to them, but the engine no longer scores
    every unit sharing a common bigram with a long question (that was a third of the query time
    on the project's own index; bench/README.md). ``bigram_recall=True`` puts it in the query
    itself, so units that only the bigrams match (a segmentation mismatch) are found too; the
    backend uses it when the token parts find fewer than ``size`` units.

    Hits carry doc values only (index, uid, version): reading stored fields was two thirds of a
    search; the bodies come from the backend's :class:`UnitCache` or one ``mget``.
    """
    tokens = clean_tokens(query.tokens)
    expansions = clean_tokens(query.expansions, exclude=tokens)
    size = min(int(query.size), MAX_SIZE)
    if (not tokens and not expansions) or size <= 0:
        return None
    should: list[dict[str, Any]] = []
    if tokens:
        should.append(_token_clause(tokens))
    if expansions:
        should.append(_token_clause(expansions, EXPANSION_WEIGHT))
    body: dict[str, Any] = {"size": size}
    if tokens and bigram_recall:
        bigrams = _bigram_clause(tokens)
        bigrams["multi_match"]["boost"] = CJK_BOOST
        should.append(bigrams)
    elif tokens:
        body["rescore"] = {
            "window_size": size,
            "query": {"rescore_query": _bigram_clause(tokens), "query_weight": 1.0, "rescore_query_weight": CJK_BOOST, "score_mode": "total"},
        }
    body.update(
        {
            "query": {"bool": {"should": should, "minimum_should_match": 1, "filter": filter_clauses(query.filters)}},
            "track_total_hits": False,
            "_source": False,
            "stored_fields": "_none_",
            "docvalue_fields": ["uid"],
            "seq_no_primary_term": True,
        }
    )
    return body


class ElasticsearchBackend:
    """Search backend on an Elasticsearch 7.x cluster (also 8.x with
    ``ELASTIC_CLIENT_APIVERSIONING=true``).

    ``url`` may list several nodes separated by commas; the client fails over between them.
    ``replicas``/``shards`` apply to indices this backend creates. ``timeout`` (seconds) bounds
    each search/get/count request; bulk loads get a longer one. ``cache_units`` bounds the
    version-checked cache of unit bodies that search hits are filled from (0 disables it).
    """

    name = "elasticsearch"

    def __init__(
        self,
        url: str,
        *,
        index_prefix: str = "policy",
        timeout: float = 10.0,
        replicas: int = 0,
        shards: int = 1,
        cache_units: int = DEFAULT_CACHE_UNITS,
    ) -> None:
        if not _PREFIX_RE.match(index_prefix):
            raise ValueError(f"index_prefix must be lowercase letters, digits, '_', '-', '.': {index_prefix!r}")
        if shards < 1 or replicas < 0 or timeout <= 0:
            raise ValueError("need shards >= 1, replicas >= 0, timeout > 0")
        self.hosts = [u.strip() for u in url.split(",") if u.strip()]
        if not self.hosts:
            raise ValueError("ELASTICSEARCH_URL is empty")
        self.url = url
        self.alias = index_prefix
        self.timeout = float(timeout)
        self.replicas = int(replicas)
        self.shards = int(shards)
        self._where = ", ".join(_safe_url(h) for h in self.hosts)
        self._client: Elasticsearch | None = None
        self._lock = threading.Lock()
        self._units = UnitCache(cache_units)

    def __repr__(self) -> str:
        return f"ElasticsearchBackend({self._where!r}, index_prefix={self.alias!r})"

    # -- connection and errors ---------------------------------------------------------------

    @property
    def client(self) -> Elasticsearch:
        """The ``elasticsearch`` client, created on first use (no network I/O until a request)."""
        if self._client is None:
            with self._lock:
                if self._client is None:
                    self._client = Elasticsearch(
                        self.hosts,
                        timeout=self.timeout,
                        max_retries=2,
                        retry_on_timeout=False,
                    )
        return self._client

    def _unavailable(self, exc: Exception) -> SearchUnavailable | None:
        """The operator-facing :class:`SearchUnavailable` for an engine/transport error, or None
        when ``exc`` is not about availability (e.g. a rejected request)."""
        where = self._where
        if isinstance(exc, ConnectionTimeout):
            return SearchUnavailable(f"Elasticsearch 不可用: {where} 请求超时（>{self.timeout:g}s）")
        if isinstance(exc, EsConnectionError):
            return SearchUnavailable(f"Elasticsearch 不可用: {where} 无法连接")
        if isinstance(exc, UnsupportedProductError):
            return SearchUnavailable(f"Elasticsearch 不可用: {where} 不是受支持的 Elasticsearch")
        if isinstance(exc, AuthenticationException | AuthorizationException):
            return SearchUnavailable(f"Elasticsearch 不可用: {where} 认证失败（HTTP {exc.status_code}）")
        if isinstance(exc, TransportError):
            status = exc.status_code
            if not isinstance(status, int) or status in _UNAVAILABLE_STATUSES:
                kind = exc.error if isinstance(exc.error, str) else "error"
                detail = "集群繁忙" if status == 429 else "集群不健康"
                return SearchUnavailable(f"Elasticsearch 不可用: {where} {detail}（HTTP {status} {kind}）")
        return None

    def _raise_unavailable(self, exc: Exception, action: str) -> None:
        """Re-raise ``exc`` as :class:`SearchUnavailable` when it is about availability."""
        unavailable = self._unavailable(exc)
        if unavailable is not None:
            log.warning("Elasticsearch %s failed: %s", action, unavailable)
            raise unavailable from None

    def _write_error(self, exc: Exception, action: str) -> Exception:
        """What a failed write-side request raises: :class:`SearchUnavailable` when the engine
        is unavailable, else :class:`ElasticsearchIndexError` with a one-line reason."""
        unavailable = self._unavailable(exc)
        if unavailable is not None:
            log.warning("Elasticsearch %s failed: %s", action, unavailable)
            return unavailable
        status = getattr(exc, "status_code", "?")
        kind = getattr(exc, "error", type(exc).__name__)
        log.error("Elasticsearch %s rejected: %s", action, exc)
        return ElasticsearchIndexError(f"Elasticsearch 拒绝了 {action} 请求（HTTP {status} {kind}）")

    # -- index and alias management -----------------------------------------------------------

    def _alias_indices(self) -> list[str]:
        """Concrete indices the alias points at ([] when the alias does not exist)."""
        try:
            found = self.client.indices.get_alias(name=self.alias)
        except NotFoundError:
            return []
        return sorted(found)

    def _new_index_name(self) -> str:
        stamp = datetime.now(timezone.utc).strftime("%Y%m%d%H%M%S%f")
        return f"{self.alias}-v{mapping_version()}-{stamp}-{uuid.uuid4().hex[:6]}"

    def _index_body(self, *, building: bool, with_alias: bool) -> dict[str, Any]:
        definition = load_mapping()
        settings = dict(definition.get("settings", {}))
        settings["number_of_shards"] = self.shards
        settings["number_of_replicas"] = self.replicas
        if building:
            settings["refresh_interval"] = "-1"
        body: dict[str, Any] = {"settings": settings, "mappings": definition["mappings"]}
        if with_alias:
            body["aliases"] = {self.alias: {}}
        return body

    def _create_index(self, *, building: bool, with_alias: bool) -> str:
        name = self._new_index_name()
        self.client.indices.create(
            index=name,
            **self._index_body(building=building, with_alias=with_alias),
            request_timeout=max(self.timeout, 60.0),
        )
        return name

    def _ensure_alias(self) -> None:
        """Create the concrete index with the alias unless the alias exists already."""
        if self._alias_indices():
            return
        if self.client.indices.exists(index=self.alias):
            raise ElasticsearchIndexError(
                f"{self.alias!r} on {self._where} is a concrete index, not an alias; "
                "rebuild it with replace_all() (which migrates it to an alias)"
            )
        created = self._create_index(building=False, with_alias=True)
        log.info("created Elasticsearch index %s (alias %s)", created, self.alias)
        indices = self._alias_indices()
        if len(indices) > 1 and created in indices:
            # Another process created one at the same moment: keep theirs.
            self.client.indices.update_aliases(body={"actions": [{"remove_index": {"index": created}}]})

    def _bulk(self, index: str, actions: Iterable[dict[str, Any]], *, require_alias: bool) -> tuple[int, int, list[dict[str, Any]]]:
        """Run bulk ``actions`` against ``index``; returns (succeeded, not found, errors)."""
        ok = missing = 0
        errors: list[dict[str, Any]] = []
        params: dict[str, Any] = {"request_timeout": max(self.timeout, 120.0)}
        if require_alias:
            # Never let a write auto-create a dynamically mapped index named like our alias.
            params["require_alias"] = "true"
        for success, item in helpers.streaming_bulk(
            self.client,
            actions,
            index=index,
            chunk_size=500,
            max_chunk_bytes=20 * 1024 * 1024,
            raise_on_error=False,
            raise_on_exception=True,
            max_retries=3,
            initial_backoff=1,
            **params,
        ):
            result = next(iter(item.values()))
            if success:
                ok += 1
            elif result.get("status") == 404 and result.get("result") == "not_found":
                missing += 1
            else:
                errors.append(result)
        return ok, missing, errors

    def _rejected(self, errors: list[dict[str, Any]], total_ok: int) -> ElasticsearchIndexError:
        first = errors[0]
        error = first.get("error")
        reason = error.get("type", "error") if isinstance(error, dict) else str(error)
        for err in errors[:5]:
            log.error("Elasticsearch rejected %s: %s", err.get("_id"), err.get("error"))
        return ElasticsearchIndexError(
            f"Elasticsearch 拒绝了 {len(errors)} 条（成功 {total_ok} 条）；首条 _id={first.get('_id')}: {reason}"
        )

    # -- SearchBackend ------------------------------------------------------------------------

    def write(self, docs: Iterable[IndexDoc]) -> int:
        """Insert or replace units by ``uid`` (bulk, then one refresh so a search right after
        sees them); creates the index first when missing. Returns how many were written."""
        try:
            self._ensure_alias()
            actions = (_index_action(d) for d in docs)
            ok, _, errors = self._bulk(self.alias, actions, require_alias=True)
            self.client.indices.refresh(index=self.alias, request_timeout=max(self.timeout, 60))
        except (TransportError, UnsupportedProductError) as exc:
            raise self._write_error(exc, "write") from None
        if errors:
            raise self._rejected(errors, ok)
        return ok

    def replace_all(self, docs: Iterable[IndexDoc]) -> int:
        """Build a new concrete index from ``docs``, then atomically point the alias at it and
        delete the previous index. If anything fails before the swap, the new index is deleted
        and readers keep the old one."""
        try:
            old = self._alias_indices()
            concrete_named_alias = not old and self.client.indices.exists(index=self.alias)
            new = self._create_index(building=True, with_alias=False)
        except (TransportError, UnsupportedProductError) as exc:
            raise self._write_error(exc, "replace_all") from None
        try:
            actions = (_index_action(d) for d in docs)
            ok, _, errors = self._bulk(new, actions, require_alias=False)
            if errors:
                raise self._rejected(errors, ok)
            self.client.indices.put_settings(index=new, body={"index": {"refresh_interval": None}})
            self.client.indices.refresh(index=new, request_timeout=max(self.timeout, 60))
            swap: list[dict[str, Any]] = [{"remove": {"index": index, "alias": self.alias}} for index in old]
            if concrete_named_alias:
                swap.append({"remove_index": {"index": self.alias}})
            swap.append({"add": {"index": new, "alias": self.alias}})
            self.client.indices.update_aliases(body={"actions": swap})
        except BaseException as exc:
            try:
                self.client.indices.delete(index=new, ignore_unavailable=True)
            except Exception:  # noqa: BLE001 - the original error matters more
                log.warning("could not delete the half-built index %s", new)
            if isinstance(exc, TransportError | UnsupportedProductError):
                raise self._write_error(exc, "replace_all") from None
            raise
        for index in old:
            try:
                self.client.indices.delete(index=index, ignore_unavailable=True)
            except TransportError as exc:  # the swap succeeded; a leftover index is harmless
                log.warning("could not delete the previous index %s: %s", index, exc)
        log.info("alias %s now points at %s (%d units)", self.alias, new, ok)
        return ok

    def delete(self, uids: Iterable[str]) -> int:
        """Delete units by ``uid`` (bulk, then refresh); returns how many existed."""
        try:
            self._ensure_alias()
            actions = ({"_op_type": "delete", "_id": doc_id(uid)} for uid in uids)
            ok, _, errors = self._bulk(self.alias, actions, require_alias=True)
            self.client.indices.refresh(index=self.alias, request_timeout=max(self.timeout, 60))
        except (TransportError, UnsupportedProductError) as exc:
            raise self._write_error(exc, "delete") from None
        if errors:
            raise self._rejected(errors, ok)
        return ok

    def count(self) -> int:
        """Number of stored units (0 when the index does not exist yet)."""
        try:
            return int(self.client.count(index=self.alias)["count"])
        except NotFoundError:
            return 0
        except (TransportError, UnsupportedProductError) as exc:
            self._raise_unavailable(exc, "count")
            raise

    def get(self, uid: str) -> IndexDoc | None:
        """One stored unit by ``uid`` (None when absent or when there is no index)."""
        try:
            found = self.client.get(index=self.alias, id=doc_id(uid))
        except NotFoundError:
            return None
        except (TransportError, UnsupportedProductError) as exc:
            self._raise_unavailable(exc, "get")
            raise
        if not found.get("found"):
            return None
        return doc_from_dict(found["_source"])

    def search(self, query: BackendQuery) -> list[BackendHit]:
        """Best ``query.size`` units, best first (ties by uid). ``[]`` for an empty query, a
        missing index or a query the engine rejects; :class:`SearchUnavailable` when the cluster
        cannot answer completely (partial results are refused: a red cluster is unavailable).

        When the tokens find fewer than ``size`` units, the search is repeated with the CJK
        bigrams as a recall clause (see :func:`build_search_body`)."""
        body = build_search_body(query)
        if body is None:
            return []
        refs = self._search_refs(body)
        if len(refs) < body["size"] and "rescore" in body:
            wider = build_search_body(query, bigram_recall=True)
            if wider is not None:
                refs = self._search_refs(wider)
        refs.sort(key=lambda ref: (-ref[3], ref[1]))
        docs = self._unit_bodies(refs)
        return [BackendHit(doc=docs[(index, uid)], score=score) for index, uid, _, score in refs if (index, uid) in docs]

    def _search_refs(self, body: dict[str, Any]) -> list[tuple[str, str, Version, float]]:
        """(concrete index, uid, version, score) of each hit of one ``_search`` request."""
        params: dict[str, Any] = {
            "allow_partial_search_results": "false",
            # Global term statistics, so scores (and the ranking) do not depend on how the
            # documents happen to be spread over shards. Free on a one-shard index:
            # Elasticsearch then runs a plain query_then_fetch.
            "search_type": "dfs_query_then_fetch",
            "request_timeout": self.timeout,
        }
        try:
            response = self.client.search(index=self.alias, **body, **params)
        except NotFoundError:
            return []
        except (TransportError, UnsupportedProductError) as exc:
            self._raise_unavailable(exc, "search")
            status = getattr(exc, "status_code", None)
            if isinstance(status, int) and 400 <= status < 500:
                # A query the engine rejects (e.g. 400): the caller gets "nothing found".
                log.warning("Elasticsearch rejected a query (%s): %s", status, getattr(exc, "error", exc))
                return []
            raise
        refs: list[tuple[str, str, Version, float]] = []
        for hit in response.get("hits", {}).get("hits", []):
            try:
                uid = str(hit["fields"]["uid"][0])
                version = (int(hit["_seq_no"]), int(hit["_primary_term"]))
                refs.append((str(hit["_index"]), uid, version, float(hit.get("_score") or 0.0)))
            except (KeyError, IndexError, TypeError, ValueError) as exc:
                log.warning("skipping unreadable hit %s: %s", hit.get("_id"), exc)
        return refs

    def warm(self) -> int:
        """Load every unit into the :class:`UnitCache` when the whole index fits (the project's
        own index: ~4,700 units in about 0.3 s), so even a question never asked before is
        answered without reading stored fields; a larger index (the national corpus) fills the
        cache as it is searched. Returns how many units were loaded."""
        try:
            total = self.count()
            if total == 0 or total > self._units.capacity:
                return 0
            loaded = 0
            for hit in helpers.scan(
                self.client,
                index=self.alias,
                query={"query": {"match_all": {}}},
                size=1000,
                _source_excludes=list(HEAVY_SOURCE_FIELDS),
                seq_no_primary_term=True,
                request_timeout=max(self.timeout, 60),
            ):
                doc = doc_from_dict(hit["_source"])
                self._units.put(str(hit["_index"]), doc.uid, (int(hit["_seq_no"]), int(hit["_primary_term"])), doc)
                loaded += 1
        except (TransportError, UnsupportedProductError) as exc:
            self._raise_unavailable(exc, "warm")
            raise
        return loaded

    def _unit_bodies(self, refs: list[tuple[str, str, Version, float]]) -> dict[tuple[str, str], IndexDoc]:
        """The units behind search hits: from the cache when the cached version is the hit's,
        the rest with one ``mget`` (then cached). A unit deleted since the search is left out."""
        found: dict[tuple[str, str], IndexDoc] = {}
        missing: list[tuple[str, str]] = []
        for index, uid, version, _ in refs:
            doc = self._units.get(index, uid, version)
            if doc is None:
                missing.append((index, uid))
            else:
                found[(index, uid)] = doc
        if not missing:
            return found
        wanted = [{"_index": index, "_id": doc_id(uid)} for index, uid in missing]
        try:
            response = self.client.mget(body={"docs": wanted}, _source_excludes=list(HEAVY_SOURCE_FIELDS), request_timeout=self.timeout)
        except (TransportError, UnsupportedProductError) as exc:
            self._raise_unavailable(exc, "mget")
            raise
        for item in response.get("docs", []):
            if not item.get("found"):
                continue
            try:
                doc = doc_from_dict(item["_source"])
                version = (int(item["_seq_no"]), int(item["_primary_term"]))
            except (KeyError, TypeError, ValueError) as exc:
                log.warning("skipping unreadable unit %s: %s", item.get("_id"), exc)
                continue
            index = str(item["_index"])
            self._units.put(index, doc.uid, version, doc)
            found[(index, doc.uid)] = doc
        return found

    def health(self) -> BackendHealth:
        """Cluster status, alias and document count; never raises. ``ok`` when the cluster is
        yellow or green and the alias exists; ``detail`` e.g. ``"green, 4439 docs"``."""
        try:
            status = self.client.cluster.health(request_timeout=min(self.timeout, 5.0))["status"]
            indices = self._alias_indices()
            if not indices:
                return BackendHealth(ok=False, detail=f"{status}, 索引别名 {self.alias} 不存在")
            try:
                count = int(self.client.count(index=self.alias)["count"])
            except TransportError:
                return BackendHealth(ok=False, detail=f"{status}, 索引 {self.alias} 无法计数")
            detail = f"{status}, {count} docs"
            version = f"{self.alias}-v{mapping_version()}-"
            current = all(index.startswith(version) for index in indices)
            if not current:
                # An index built for another mapping cannot answer this code's queries.
                detail += f"（映射版本不是 v{mapping_version()}，需重建索引：python -m search.build）"
            return BackendHealth(ok=status in ("green", "yellow") and current, detail=detail, count=count)
        except Exception as exc:  # noqa: BLE001 - health() must never raise
            unavailable = self._unavailable(exc)
            detail = str(unavailable) if unavailable else f"Elasticsearch 出错: {type(exc).__name__}"
            return BackendHealth(ok=False, detail=detail)

    def close(self) -> None:
        """Close the client's connections (a later call reconnects lazily)."""
        with self._lock:
            client, self._client = self._client, None
        self._units.clear()
        if client is not None:
            try:
                client.close()
            except Exception:  # noqa: BLE001 - closing must not fail the caller
                log.debug("error while closing the Elasticsearch client", exc_info=True)
