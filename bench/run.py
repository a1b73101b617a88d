"""``make bench``: search speed and quality numbers on this machine, printed as JSON lines.

- index throughput: national corpus (58,649 articles) into the embedded backend, median of runs;
- query latency (p50/p95) on the project's own index and on the national corpus;
- retrieval quality beside the plain baseline on both development sets (contract 4 metrics).
Set BENCH_BACKENDS=embedded,elasticsearch (with ELASTICSEARCH_URL) to include Elasticsearch.
The last line is one JSON object with everything.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from search.analyzer import build_analyzer  # noqa: E402
from search.eval import baseline_ranker, evaluate, nearest_rank, read_queries, system_ranker  # noqa: E402
from search.factory import create_backend  # noqa: E402
from search.ingest import national_units  # noqa: E402
from search.service import PolicySearch, SearchRequest  # noqa: E402
from search.settings import SearchSettings  # noqa: E402

RUNS = int(os.environ.get("BENCH_RUNS", "3"))


def machine() -> dict[str, object]:
    return {"cpu_count": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()}


def index_throughput(settings: SearchSettings) -> dict[str, object]:
    """Tokenize once, then time replace_all of the national corpus (median of RUNS)."""
    analyzer = build_analyzer(settings.kb)
    started = time.perf_counter()
    units = list(national_units(settings.kb, analyzer))
    analyze_s = time.perf_counter() - started
    backend = create_backend(settings, corpus="national")
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        backend.replace_all(units)
        times.append(time.perf_counter() - started)
    median = statistics.median(times)
    return {
        "articles": len(units),
        "analyze_seconds": round(analyze_s, 2),
        "index_seconds_median": round(median, 2),
        "articles_per_second_index": round(len(units) / median, 1),
        "articles_per_second_incl_analysis": round(len(units) / (median + analyze_s), 1),
    }


def latency(settings: SearchSettings, corpus: str, questions: list[str]) -> dict[str, float]:
    """p50/p95 of ``PolicySearch.search`` (size 10, as the bot asks) over RUNS passes of
    ``questions``, after ``warm()`` -- what the action server does when it starts; the first
    pass is also reported alone (a question seen for the first time)."""
    service = PolicySearch(create_backend(settings, corpus=corpus), build_analyzer(settings.kb))
    started = time.perf_counter()
    warmed = service.warm()
    warm_s = time.perf_counter() - started
    samples = []
    for _ in range(RUNS):
        for question in questions:
            started = time.perf_counter()
            service.search(SearchRequest(text=question, size=10))
            samples.append((time.perf_counter() - started) * 1000)
    first = samples[: len(questions)]
    return {
        "queries": len(samples),
        "p50_ms": round(nearest_rank(samples, 50), 2),
        "p95_ms": round(nearest_rank(samples, 95), 2),
        "first_pass_p50_ms": round(nearest_rank(first, 50), 2),
        "first_pass_p95_ms": round(nearest_rank(first, 95), 2),
        "warmed_units": warmed,
        "warm_seconds": round(warm_s, 2),
    }


def quality(settings: SearchSettings, corpus: str, queries: Path) -> dict[str, object]:
    """Contract 4, ours and the plain baseline on the same index (k = 100)."""
    rows = read_queries(queries)
    analyzer = build_analyzer(settings.kb)
    backend = create_backend(settings, corpus=corpus)
    ours = evaluate(rows, system_ranker(PolicySearch(backend, analyzer), 100), 100)
    base = evaluate(rows, baseline_ranker(backend, analyzer, 100), 100)
    return {"ours": ours, "baseline": base}


def main() -> int:
    from search.build import build

    results: dict[str, object] = {"machine": machine(), "runs": RUNS}
    base_settings = SearchSettings.from_env()
    data = base_settings.kb.shared_data_dir / "eval"
    for backend_name in os.environ.get("BENCH_BACKENDS", "embedded").split(","):
        settings = replace(base_settings, backend=backend_name)
        build("kb", if_changed=True, settings=settings)
        part: dict[str, object] = {"index_national": index_throughput(settings)}
        kb_questions = [str(r["question"]) for r in read_queries(data / "retrieval_dev_kb.jsonl")]
        nat_questions = [str(r["question"]) for r in read_queries(data / "retrieval_dev.jsonl")][:300]
        part["latency_kb"] = latency(settings, "kb", kb_questions)
        part["latency_national"] = latency(settings, "national", nat_questions)
        part["quality_kb"] = quality(settings, "kb", data / "retrieval_dev_kb.jsonl")
        part["quality_national"] = quality(settings, "national", data / "retrieval_dev.jsonl")
        print(json.dumps({backend_name: part}, ensure_ascii=False), flush=True)
        results[backend_name] = part
    print(json.dumps(results, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
