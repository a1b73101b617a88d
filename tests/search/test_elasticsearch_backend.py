"""Elasticsearch-only behaviour on a real node: the bigram safety net, the unit cache's
exactness across writes and index swaps, and the request body's shape."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from search.analyzer import Analyzer
from search.backends.elasticsearch import ElasticsearchBackend, build_search_body
from search.types import BackendQuery, Filters, IndexDoc
from tests.search.test_backend_contract import TEXTS, make_docs, q


@pytest.fixture
def engine(es_url: str, analyzer: Analyzer) -> Iterator[ElasticsearchBackend]:
    backend = ElasticsearchBackend(es_url, index_prefix=f"esonly-{uuid.uuid4().hex[:8]}")
    assert backend.replace_all(make_docs(analyzer)) == len(TEXTS)
    yield backend
    backend.close()


def test_bigrams_find_a_unit_the_tokens_miss(engine: ElasticsearchBackend, analyzer: Analyzer) -> None:
    # 「诊疗费」 is in a4's text, but the token fields are made not to contain it: only the CJK
    # bigram field can find the unit (a segmentation mismatch between question and text).
    a4 = next(d for d in make_docs(analyzer) if d.uid == "a4")
    hidden = IndexDoc(**{**a4.__dict__, "title_tokens": "劳动保险", "body_tokens": "工人 职员"})
    engine.write([hidden])
    query = BackendQuery(("诊疗费",), (), Filters(), 10)
    assert [h.doc.uid for h in engine.search(query)] == ["a4"]


def test_bigram_rescore_adds_to_the_token_score(engine: ElasticsearchBackend, analyzer: Analyzer) -> None:
    query = q(analyzer, "经济补偿 工作年限")
    body = build_search_body(query)
    assert body is not None and "rescore" in body
    token_only = dict(body)
    token_only.pop("rescore")
    plain = engine.client.search(index=engine.alias, **token_only)["hits"]["hits"]
    rescored = engine.search(query)
    assert rescored[0].doc.uid == plain[0]["fields"]["uid"][0] == "a2"
    assert rescored[0].score > plain[0]["_score"]  # the bigram part is added, not replaced


def test_cache_never_serves_a_stale_unit(engine: ElasticsearchBackend, analyzer: Analyzer) -> None:
    assert engine.warm() == len(TEXTS)
    a2 = next(d for d in make_docs(analyzer) if d.uid == "a2")
    engine.write([IndexDoc(**{**a2.__dict__, "text": "经济补偿 新文本"})])
    assert engine.search(q(analyzer, "经济补偿 工作年限"))[0].doc.text == "经济补偿 新文本"
    # A re-index goes into a new concrete index: nothing cached for the old one is used.
    engine.replace_all([IndexDoc(**{**a2.__dict__, "text": "经济补偿 重建后"})])
    hits = engine.search(q(analyzer, "经济补偿 工作年限"))
    assert [h.doc.text for h in hits] == ["经济补偿 重建后"]


def test_deleted_unit_disappears_even_when_cached(engine: ElasticsearchBackend, analyzer: Analyzer) -> None:
    engine.warm()
    assert engine.delete(["a2"]) == 1
    assert "a2" not in [h.doc.uid for h in engine.search(q(analyzer, "经济补偿 工作年限"))]


def test_warm_skips_an_index_larger_than_the_cache(es_url: str, analyzer: Analyzer) -> None:
    small = ElasticsearchBackend(es_url, index_prefix=f"esonly-{uuid.uuid4().hex[:8]}", cache_units=3)
    try:
        small.replace_all(make_docs(analyzer))
        assert small.warm() == 0
        assert [h.doc.uid for h in small.search(q(analyzer, "失业人员 领取 失业保险金"))][0] == "a1"
    finally:
        small.close()


def test_an_index_built_for_another_mapping_is_unhealthy(es_url: str) -> None:
    prefix = f"esonly-{uuid.uuid4().hex[:8]}"
    backend = ElasticsearchBackend(es_url, index_prefix=prefix)
    try:
        backend.client.indices.create(index=f"{prefix}-v1-old", body={"aliases": {prefix: {}}})
        health = backend.health()
        assert not health.ok and "需重建索引" in health.detail
    finally:
        backend.client.indices.delete(index=f"{prefix}-v1-old", ignore_unavailable=True)
        backend.close()


def test_units_are_scored_on_one_weighted_field(engine: ElasticsearchBackend, analyzer: Analyzer) -> None:
    body = build_search_body(q(analyzer, "工伤认定申请期限"))
    assert body is not None
    matched_fields = {field for clause in body["query"]["bool"]["should"] for field in clause.get("match", {})}
    assert matched_fields == {"weighted_tokens"}
    stored = engine.get("a5")
    assert stored is not None and stored.body_tokens  # the token fields still come back from get()
