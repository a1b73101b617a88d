"""Embedded backend: SQLite FTS5 with ``bm25()`` column weights, persistent on disk.

Tokens arrive pre-analyzed (space-separated jieba words) and FTS5's ``unicode61`` tokenizer only
splits them on whitespace/punctuation, so the engine scores exactly the analyzer's tokens.
"""

from __future__ import annotations

import heapq
import os
import re
import sqlite3
import threading
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from operator import itemgetter
from pathlib import Path

from search.backends.base import SearchUnavailable
from search.backends.scoring import EXPANSION_WEIGHT, FIELD_WEIGHTS
from search.backends.serialization import doc_from_json, doc_to_json
from search.types import BackendHealth, BackendHit, BackendQuery, Filters, IndexDoc

# bm25() weights for (title_tokens, body_tokens, phrasing_tokens).
COLUMN_WEIGHTS = tuple(float(w) for w in FIELD_WEIGHTS)
# Token fields live in the FTS table; the stored payload leaves out the two long ones.
TOKEN_FIELDS = ("title_tokens", "body_tokens")
# How deep each of the two bm25 queries (citizen's tokens, expansions) is read before they are
# combined: ``size × SUBQUERY_DEPTH``, at least MIN_SUBQUERY_DEPTH units.
SUBQUERY_DEPTH = 10
MIN_SUBQUERY_DEPTH = 1000
MAX_QUERY_TOKENS = 64
# Terms found in more than this share of units carry almost no bm25 weight (idf ≈ 0) but make
# every query scan most of the index; they are left out of the MATCH unless nothing else is left.
COMMON_TERM_SHARE = 0.12
MIN_UNITS_TO_PRUNE = 1000
# An expansion (a synonym's canonical term or a part of a compound word, weighted 0.4) found in
# more units than this adds almost nothing to the ranking but makes its query scan that many.
EXPANSION_COMMON_UNITS = 2000
_WORD = re.compile(r"\w", re.UNICODE)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS units (
    rowid INTEGER PRIMARY KEY,
    uid TEXT UNIQUE NOT NULL,
    source_kind TEXT, topic TEXT, region TEXT, validity TEXT, doc_kind TEXT, date TEXT,
    payload TEXT NOT NULL
);
CREATE VIRTUAL TABLE IF NOT EXISTS units_fts USING fts5(
    title_tokens, body_tokens, phrasing_tokens,
    tokenize="unicode61 remove_diacritics 0 tokenchars '+'"
);
CREATE VIRTUAL TABLE IF NOT EXISTS units_vocab USING fts5vocab(units_fts, 'row');
"""


def _match_expression(tokens: Iterable[str]) -> str | None:
    quoted = []
    for token in tokens:
        if not _WORD.search(token):
            continue
        quoted.append('"' + token.replace('"', '""') + '"')
        if len(quoted) >= MAX_QUERY_TOKENS:
            break
    return " OR ".join(quoted) if quoted else None


def _filter_sql(filters: Filters) -> tuple[str, list[str]]:
    clauses: list[str] = []
    params: list[str] = []
    for column, values in (
        ("source_kind", filters.source_kinds),
        ("topic", filters.topics),
        ("region", filters.regions),
        ("validity", filters.validities),
        ("doc_kind", filters.doc_kinds),
    ):
        if values:
            clauses.append(f"u.{column} IN ({','.join('?' * len(values))})")
            params.extend(values)
    if filters.date_from:
        clauses.append("u.date >= ?")
        params.append(filters.date_from)
    if filters.date_to:
        clauses.append("u.date <= ?")
        params.append(filters.date_to)
    return ("".join(f" AND {c}" for c in clauses), params)


class EmbeddedBackend:
    """SQLite FTS5 index in one file; ``replace_all`` builds a new file and renames it in place."""

    name = "embedded"

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._local = threading.local()
        self._executor: ThreadPoolExecutor | None = None
        self._helper_lock = threading.Lock()

    # -- connections -------------------------------------------------------------------------
    def _connect(self, path: Path) -> sqlite3.Connection:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(str(path), check_same_thread=False, timeout=30)
        conn.executescript(_SCHEMA)
        return conn

    def _conn(self) -> sqlite3.Connection:
        try:
            inode = self.path.stat().st_ino
        except FileNotFoundError:
            inode = None
        cached = getattr(self._local, "conn", None)
        if cached is not None and getattr(self._local, "inode", None) == inode and inode is not None:
            return cached
        if cached is not None:
            cached.close()
        try:
            conn = self._connect(self.path)
        except sqlite3.Error as exc:
            raise SearchUnavailable(f"嵌入式索引无法打开: {self.path} ({exc.__class__.__name__})") from exc
        self._local.conn = conn
        self._local.inode = self.path.stat().st_ino
        return conn

    # -- writes ------------------------------------------------------------------------------
    @staticmethod
    def _insert(conn: sqlite3.Connection, docs: Iterable[IndexDoc]) -> int:
        written = 0
        for doc in docs:
            row = conn.execute("SELECT rowid FROM units WHERE uid = ?", (doc.uid,)).fetchone()
            if row:
                conn.execute("DELETE FROM units_fts WHERE rowid = ?", (row[0],))
                conn.execute("DELETE FROM units WHERE rowid = ?", (row[0],))
            cur = conn.execute(
                "INSERT INTO units (uid, source_kind, topic, region, validity, doc_kind, date, payload) VALUES (?,?,?,?,?,?,?,?)",
                (doc.uid, doc.source_kind, doc.topic, doc.region, doc.validity, doc.doc_kind, doc.date, doc_to_json(doc, without=TOKEN_FIELDS)),
            )
            conn.execute(
                "INSERT INTO units_fts (rowid, title_tokens, body_tokens, phrasing_tokens) VALUES (?,?,?,?)",
                (cur.lastrowid, doc.title_tokens, doc.body_tokens, doc.phrasing_tokens),
            )
            written += 1
        return written

    def write(self, docs: Iterable[IndexDoc]) -> int:
        """Insert or replace units by uid, in one transaction."""
        conn = self._conn()
        with conn:
            return self._insert(conn, docs)

    def replace_all(self, docs: Iterable[IndexDoc]) -> int:
        """Build a fresh index file beside the live one and atomically rename it into place."""
        tmp = self.path.with_name(self.path.name + f".building-{os.getpid()}")
        tmp.unlink(missing_ok=True)
        conn = self._connect(tmp)
        try:
            conn.execute("PRAGMA journal_mode=OFF")
            conn.execute("PRAGMA synchronous=OFF")
            with conn:
                written = self._insert_fast(conn, docs)
            conn.execute("INSERT INTO units_fts(units_fts) VALUES('optimize')")
            conn.commit()
        finally:
            conn.close()
        os.replace(tmp, self.path)
        return written

    @staticmethod
    def _insert_fast(conn: sqlite3.Connection, docs: Iterable[IndexDoc]) -> int:
        """Bulk load into an empty index: no per-row existence checks (uids must be unique)."""

        written = 0
        batch: list[tuple[int, IndexDoc]] = []
        for item in enumerate(docs, start=1):
            batch.append(item)
            if len(batch) >= 2000:
                written += EmbeddedBackend._flush(conn, batch)
                batch = []
        written += EmbeddedBackend._flush(conn, batch)
        return written

    @staticmethod
    def _flush(conn: sqlite3.Connection, batch: list[tuple[int, IndexDoc]]) -> int:
        conn.executemany(
            "INSERT INTO units (rowid, uid, source_kind, topic, region, validity, doc_kind, date, payload) VALUES (?,?,?,?,?,?,?,?,?)",
            [(r, d.uid, d.source_kind, d.topic, d.region, d.validity, d.doc_kind, d.date, doc_to_json(d, without=TOKEN_FIELDS)) for r, d in batch],
        )
        conn.executemany(
            "INSERT INTO units_fts (rowid, title_tokens, body_tokens, phrasing_tokens) VALUES (?,?,?,?)",
            [(r, d.title_tokens, d.body_tokens, d.phrasing_tokens) for r, d in batch],
        )
        return len(batch)

    def delete(self, uids: Iterable[str]) -> int:
        conn = self._conn()
        deleted = 0
        with conn:
            for uid in uids:
                row = conn.execute("SELECT rowid FROM units WHERE uid = ?", (uid,)).fetchone()
                if row:
                    conn.execute("DELETE FROM units_fts WHERE rowid = ?", (row[0],))
                    conn.execute("DELETE FROM units WHERE rowid = ?", (row[0],))
                    deleted += 1
        return deleted

    # -- reads -------------------------------------------------------------------------------
    def count(self) -> int:
        return int(self._conn().execute("SELECT COUNT(*) FROM units").fetchone()[0])

    def warm(self) -> int:
        """Read every stored unit and the full-text index once, so a process that starts after a
        reboot finds the index file's pages in the operating system's cache."""
        conn = self._conn()
        conn.execute("SELECT SUM(LENGTH(block)) FROM units_fts_data").fetchone()
        return int(conn.execute("SELECT COUNT(LENGTH(payload)) FROM units").fetchone()[0])

    def get(self, uid: str) -> IndexDoc | None:
        row = self._conn().execute("SELECT payload FROM units WHERE uid = ?", (uid,)).fetchone()
        return doc_from_json(row[0]) if row else None

    def _common_terms(self, expansions: bool = False) -> frozenset[str]:
        """Terms in more than COMMON_TERM_SHARE of the units; for expansions also those in more
        than EXPANSION_COMMON_UNITS units (cached per index file)."""
        conn = self._conn()
        cache = getattr(self._local, "common", None)
        if cache is None or getattr(self._local, "common_for", None) is not conn:
            total = int(conn.execute("SELECT COUNT(*) FROM units").fetchone()[0])
            if total < MIN_UNITS_TO_PRUNE:
                cache = (frozenset(), frozenset())
            else:
                limit = total * COMMON_TERM_SHARE
                rows = conn.execute("SELECT term, doc FROM units_vocab WHERE doc > ?", (min(limit, EXPANSION_COMMON_UNITS),)).fetchall()
                cache = (frozenset(t for t, n in rows if n > limit), frozenset(t for t, _ in rows))
            self._local.common, self._local.common_for = cache, conn
        return cache[1] if expansions else cache[0]

    def _prune(self, tokens: tuple[str, ...], expansions: bool = False) -> tuple[str, ...]:
        """``tokens`` without the common terms, or all of them if none would be left."""
        common = self._common_terms(expansions)
        kept = tuple(t for t in tokens if t not in common)
        return kept or tokens

    def _scored(self, expression: str, filters: Filters, limit: int) -> dict[int, float]:
        where, params = _filter_sql(filters)
        join = " JOIN units u ON u.rowid = f.rowid" if where else ""
        sql = (
            f"SELECT f.rowid, -bm25(units_fts, {COLUMN_WEIGHTS[0]}, {COLUMN_WEIGHTS[1]}, {COLUMN_WEIGHTS[2]}) AS s "
            f"FROM units_fts f{join} WHERE units_fts MATCH ?{where} ORDER BY s DESC LIMIT ?"
        )
        try:
            rows = self._conn().execute(sql, [expression, *params, limit]).fetchall()
        except sqlite3.OperationalError as exc:
            if "fts5" in str(exc).lower() or "syntax" in str(exc).lower():
                return {}
            raise SearchUnavailable(f"嵌入式索引查询失败: {exc.__class__.__name__}") from exc
        return {rowid: score for rowid, score in rows}

    def search(self, query: BackendQuery) -> list[BackendHit]:
        """bm25 over the citizen's tokens plus a down-weighted bm25 over synonym expansions."""
        if query.size <= 0:
            return []
        main_expr = _match_expression(self._prune(query.tokens))
        exp_expr = _match_expression(self._prune(query.expansions, expansions=True))
        # Each part is cut at its own best ``depth`` units before the two are added up; a deep cut
        # keeps that sum (what Elasticsearch's bool query computes exactly) right for the units
        # that end up on top, even when the expansions match many texts.
        depth = max(query.size * SUBQUERY_DEPTH, MIN_SUBQUERY_DEPTH)
        pending = None
        if main_expr and exp_expr:
            # The two queries are independent: the expansions run on a second connection in a
            # helper thread (sqlite releases the GIL while it works) while the tokens run here.
            pending = self._helper().submit(self._scored, exp_expr, query.filters, depth)
        main = self._scored(main_expr, query.filters, depth) if main_expr else {}
        extra: dict[int, float] = {}
        if pending is not None:
            extra = pending.result()
        elif exp_expr:
            extra = self._scored(exp_expr, query.filters, depth)
        combined = dict(main)
        for rowid, score in extra.items():
            combined[rowid] = combined.get(rowid, 0.0) + EXPANSION_WEIGHT * score
        ranked = heapq.nlargest(query.size, combined.items(), key=itemgetter(1))
        ranked.sort(key=lambda kv: (-kv[1], kv[0]))
        if not ranked:
            return []
        marks = ",".join("?" * len(ranked))
        payloads = dict(self._conn().execute(f"SELECT rowid, payload FROM units WHERE rowid IN ({marks})", [r for r, _ in ranked]).fetchall())
        return [BackendHit(doc_from_json(payloads[rowid]), score) for rowid, score in ranked]

    def _helper(self) -> ThreadPoolExecutor:
        with self._helper_lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="fts-expansions")
            return self._executor

    def health(self) -> BackendHealth:
        try:
            if not self.path.exists():
                return BackendHealth(False, f"索引文件不存在: {self.path}")
            n = self.count()
        except (SearchUnavailable, sqlite3.Error) as exc:
            return BackendHealth(False, str(exc))
        return BackendHealth(n > 0, f"{n} units in {self.path.name}", n)

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None
        with self._helper_lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True)
