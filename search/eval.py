"""``python -m search.eval --queries FILE [--corpus kb|national] [--backend embedded|elasticsearch] [--k 100]``

Contract 4: reads JSONL ``{"id", "question", "gold": [article keys]}`` and prints, as its last line,
``{"n", "recall@1", "recall@3", "recall@5", "recall@10", "recall@30", "recall@100", "mrr@10",
"p50_ms", "p95_ms"}``. ``--baseline`` scores a plain BM25 over jieba tokens (no synonyms, no
query normalisation, no interpretations, no re-ranking) on the same index for comparison.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from knowledge_base.keys import normalize_key
from search.analyzer import Analyzer, build_analyzer
from search.backends.base import SearchBackend
from search.factory import create_backend
from search.service import PolicySearch, SearchRequest
from search.settings import SearchSettings
from search.types import BackendQuery, Filters

CUTOFFS = (1, 3, 5, 10, 30, 100)


def nearest_rank(values: list[float], pct: float) -> float:
    """Nearest-rank percentile (the value at rank ceil(p/100 · n))."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def score(rankings: list[tuple[list[str], list[str]]], latencies_ms: list[float]) -> dict[str, float | int]:
    """Recall@k and MRR@10 as defined in STARD, over (ranked keys, gold keys) pairs."""
    result: dict[str, float | int] = {"n": len(rankings)}
    for k in CUTOFFS:
        total = 0.0
        for ranked, gold in rankings:
            gold_set = {normalize_key(g) for g in gold}
            total += len(gold_set & set(ranked[:k])) / len(gold_set) if gold_set else 0.0
        result[f"recall@{k}"] = round(total / len(rankings), 4) if rankings else 0.0
    mrr = 0.0
    for ranked, gold in rankings:
        gold_set = {normalize_key(g) for g in gold}
        for rank, key in enumerate(ranked[:10], start=1):
            if key in gold_set:
                mrr += 1 / rank
                break
    result["mrr@10"] = round(mrr / len(rankings), 4) if rankings else 0.0
    result["p50_ms"] = round(nearest_rank(latencies_ms, 50), 2)
    result["p95_ms"] = round(nearest_rank(latencies_ms, 95), 2)
    return result


def read_queries(path: Path) -> list[dict[str, object]]:
    rows = []
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}:{number}: not JSON ({exc.msg})") from exc
            if "question" not in row or "gold" not in row:
                raise ValueError(f"{path}:{number}: needs 'question' and 'gold'")
            rows.append(row)
    return rows


def split_of(row: dict[str, object]) -> str:
    """``tune`` or ``check``: the fixed half a question belongs to (SHA-1 of its id, even → tune).

    Rules and weights are tuned on the TUNE half only; CHECK shows whether they generalise."""
    digest = hashlib.sha1(str(row.get("id", row.get("question", ""))).encode("utf-8")).hexdigest()
    return "tune" if int(digest, 16) % 2 == 0 else "check"


def evaluate(rows: list[dict[str, object]], ranker: Callable[[str], list[str]], k: int) -> dict[str, float | int]:
    rankings: list[tuple[list[str], list[str]]] = []
    latencies: list[float] = []
    for row in rows:
        started = time.perf_counter()
        ranked = ranker(str(row["question"]))[:k]
        latencies.append((time.perf_counter() - started) * 1000)
        rankings.append((ranked, [str(g) for g in row["gold"]]))  # type: ignore[attr-defined]
    return score(rankings, latencies)


def system_ranker(service: PolicySearch, pool: int) -> Callable[[str], list[str]]:
    """Contract 4 for the whole system: the article keys of ``service``'s ranking."""

    def ranked(question: str) -> list[str]:
        return service.ranked_article_keys(SearchRequest(text=question, size=pool))

    return ranked


def baseline_ranker(backend: SearchBackend, analyzer: Analyzer, pool: int) -> Callable[[str], list[str]]:
    """The plain baseline on the same index: BM25 over the question's jieba tokens, policy
    articles and cases only -- no synonyms, no normalisation, no interpretations, no re-ranking."""

    def baseline(question: str) -> list[str]:
        tokens = tuple(dict.fromkeys(analyzer.tokens(question)))
        hits = backend.search(BackendQuery(tokens, (), Filters(source_kinds=("policy", "case")), pool))
        keys: list[str] = []
        for hit in hits:
            for key in hit.doc.article_keys:
                if normalize_key(key) not in keys:
                    keys.append(normalize_key(key))
        return keys

    return baseline


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--queries", required=True, type=Path)
    parser.add_argument("--corpus", choices=("kb", "national"), default="kb")
    parser.add_argument("--backend", choices=("embedded", "elasticsearch"), default=None)
    parser.add_argument("--k", type=int, default=100)
    parser.add_argument("--baseline", action="store_true", help="plain jieba BM25 for comparison")
    parser.add_argument(
        "--split",
        choices=("tune", "check"),
        default=None,
        help="only the TUNE or the CHECK half of the file (by a hash of each question's id; bench/RETRIEVAL.md)",
    )
    args = parser.parse_args(argv)
    try:
        settings = SearchSettings.from_env()
        if args.backend:
            settings = replace(settings, backend=args.backend)
        from search.build import build

        build(args.corpus, if_changed=True, settings=settings)
        rows = read_queries(args.queries)
        if args.split:
            rows = [row for row in rows if split_of(row) == args.split]
        analyzer = build_analyzer(settings.kb)
        backend = create_backend(settings, corpus=args.corpus)
        pool = max(args.k, 100)
        ranker = baseline_ranker(backend, analyzer, pool) if args.baseline else system_ranker(PolicySearch(backend, analyzer), pool)
        result = evaluate(rows, ranker, args.k)
        labelled: dict[str, object] = {"corpus": args.corpus, "backend": settings.backend, "system": "baseline" if args.baseline else "policy-search"}
        labelled.update(result)
    except Exception as exc:  # the last line is JSON, also on failure
        print(json.dumps({"error": f"{exc.__class__.__name__}: {exc}"}, ensure_ascii=False))
        return 1
    print(json.dumps(labelled, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    sys.exit(main())
