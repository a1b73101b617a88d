"""One contract suite that every search backend passes: embedded (SQLite FTS5) and a real
Elasticsearch node. Same documents, same analyzer, same expectations."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from search.analyzer import Analyzer
from search.backends.base import SearchBackend
from search.backends.embedded import EmbeddedBackend
from search.service import PolicySearch, SearchRequest
from search.types import BackendQuery, Filters, IndexDoc

TEXTS = {
    "a1": ("失业保险条例", "第十四条", "具备下列条件的失业人员，可以领取失业保险金：按照规定参加失业保险，所在单位和本人已按照规定履行缴费义务满1年的；非因本人意愿中断就业的；已办理失业登记，并有求职要求的。", "全国", "现行有效", "行政法规", None, "1999-01-22"),
    "a2": ("劳动合同法", "第四十七条", "经济补偿按劳动者在本单位工作的年限，每满一年支付一个月工资的标准向劳动者支付。", "全国", "现行有效", "法律", None, "2012-12-28"),
    "a3": ("山东省劳动合同条例", "第二十条", "用人单位应当依法与劳动者订立书面劳动合同，劳动合同期满用人单位应当提前通知劳动者。", "山东省", "现行有效", "地方性法规", None, "2013-08-01"),
    "a4": ("劳动保险条例", "第十条", "工人与职员因工负伤，应由企业行政方面或资方负担全部诊疗费。", "全国", "已失效", "行政法规", None, "1953-01-02"),
    "i1": ("辞职了能领失业金吗", None, "主动辞职一般不属于非因本人意愿中断就业，不能领取失业保险金。", "全国", "现行有效", "政策解读", "consult_unemployment", "2026-11-27"),
    "a5": ("工伤保险条例", "第十七条", "职工发生事故伤害，所在单位应当自事故伤害发生之日起30日内提出工伤认定申请。", "全国", "现行有效", "行政法规", None, "2010-12-20"),
}


def make_docs(analyzer: Analyzer) -> list[IndexDoc]:
    docs = []
    for uid, (title, article, text, region, validity, doc_kind, topic, date) in TEXTS.items():
        interp = uid.startswith("i")
        docs.append(
            IndexDoc(
                uid=uid,
                source_kind="interpretation" if interp else "policy",
                title=title,
                text=text,
                title_tokens=analyzer.index_field(title),
                body_tokens=analyzer.index_field(text),
                phrasing_tokens=analyzer.index_field(title + " 辞职 领 失业金") if interp else "",
                article=article,
                article_keys=("失业保险条例第十五条",) if interp else (f"{title}{article}",),
                region=region,
                validity=validity,
                doc_kind=doc_kind,
                topic=topic,
                date=date,
                extra={"url": f"/x/{uid}"},
            )
        )
    return docs


@pytest.fixture(params=["embedded", "elasticsearch"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SearchBackend]:
    if request.param == "embedded":
        engine: SearchBackend = EmbeddedBackend(tmp_path / "contract.sqlite")
    else:
        from search.backends.elasticsearch import ElasticsearchBackend

        url = request.getfixturevalue("es_url")
        engine = ElasticsearchBackend(url, index_prefix=f"contract-{uuid.uuid4().hex[:8]}")
    yield engine
    engine.close()


@pytest.fixture
def loaded(backend: SearchBackend, analyzer: Analyzer) -> SearchBackend:
    assert backend.replace_all(make_docs(analyzer)) == len(TEXTS)
    return backend


def q(analyzer: Analyzer, text: str, **filters: object) -> BackendQuery:
    analyzed = analyzer.analyze_query(text)
    return BackendQuery(analyzed.tokens, analyzed.expansions, Filters(**filters), 10)  # type: ignore[arg-type]


def uids(backend: SearchBackend, query: BackendQuery) -> list[str]:
    return [hit.doc.uid for hit in backend.search(query)]


def test_write_count_get_roundtrip(loaded: SearchBackend, analyzer: Analyzer) -> None:
    assert loaded.count() == len(TEXTS)
    doc = loaded.get("a2")
    assert doc is not None and doc.title == "劳动合同法" and doc.article == "第四十七条"
    assert doc.article_keys == ("劳动合同法第四十七条",)
    assert doc.extra == {"url": "/x/a2"}
    assert loaded.get("missing") is None


def test_write_replaces_same_uid(loaded: SearchBackend, analyzer: Analyzer) -> None:
    original = make_docs(analyzer)[1]
    before = loaded.search(q(analyzer, "经济补偿 工作年限"))
    assert before[0].doc.uid == "a2" and before[0].doc.text == original.text  # now cached where a backend caches
    changed = IndexDoc(**{**original.__dict__, "text": "改写后的文本 加班费", "body_tokens": analyzer.index_field("改写后的文本 加班费")})
    assert loaded.write([changed]) == 1
    assert loaded.count() == len(TEXTS)
    assert loaded.get("a2").text.startswith("改写后")  # type: ignore[union-attr]
    hits = loaded.search(q(analyzer, "加班费"))
    assert [h.doc.uid for h in hits] == ["a2"] and hits[0].doc.text.startswith("改写后")


def test_warm_reads_every_unit_and_changes_no_result(loaded: SearchBackend, analyzer: Analyzer) -> None:
    before = [(h.doc.uid, round(h.score, 4)) for h in loaded.search(q(analyzer, "失业人员 领取 失业保险金"))]
    assert loaded.warm() == len(TEXTS)
    after = loaded.search(q(analyzer, "失业人员 领取 失业保险金"))
    assert [(h.doc.uid, round(h.score, 4)) for h in after] == before
    first = after[0].doc
    assert (first.uid, first.text, first.article_keys, first.extra) == ("a1", TEXTS["a1"][2], ("失业保险条例第十四条",), {"url": "/x/a1"})


def test_delete(loaded: SearchBackend, analyzer: Analyzer) -> None:
    assert loaded.delete(["a2", "nope"]) == 1
    assert loaded.count() == len(TEXTS) - 1
    assert "a2" not in uids(loaded, q(analyzer, "经济补偿 工作年限"))


def test_chinese_tokens_find_the_right_article(loaded: SearchBackend, analyzer: Analyzer) -> None:
    assert uids(loaded, q(analyzer, "经济补偿怎么算"))[0] == "a2"
    assert uids(loaded, q(analyzer, "工伤认定申请期限"))[0] == "a5"


def test_synonyms_bridge_citizen_words(loaded: SearchBackend, analyzer: Analyzer) -> None:
    analyzed = analyzer.analyze_query("失业金")
    assert "失业保险金" in analyzed.expansions or "失业保险金" in analyzed.tokens
    assert "a1" in uids(loaded, q(analyzer, "失业金", source_kinds=("policy",)))


def test_filters(loaded: SearchBackend, analyzer: Analyzer) -> None:
    text = "劳动合同 失业保险 工伤 经济补偿 诊疗费"
    assert set(uids(loaded, q(analyzer, text, regions=("山东省",)))) == {"a3"}
    assert set(uids(loaded, q(analyzer, text, validities=("已失效",)))) == {"a4"}
    assert "a4" not in uids(loaded, q(analyzer, text, validities=("现行有效",)))
    assert set(uids(loaded, q(analyzer, "失业金 辞职", topics=("consult_unemployment",)))) == {"i1"}
    assert set(uids(loaded, q(analyzer, text, doc_kinds=("法律",)))) == {"a2"}
    assert set(uids(loaded, q(analyzer, "失业金 辞职", source_kinds=("interpretation",)))) == {"i1"}
    dated = uids(loaded, q(analyzer, text, date_from="2010-01-01", date_to="2013-12-31"))
    assert set(dated) == {"a2", "a3", "a5"}


def test_ordering_more_matching_words_rank_higher(loaded: SearchBackend, analyzer: Analyzer) -> None:
    hits = loaded.search(q(analyzer, "失业人员 领取 失业保险金 失业登记"))
    assert hits[0].doc.uid == "a1"
    assert all(hits[i].score >= hits[i + 1].score for i in range(len(hits) - 1))


@pytest.mark.parametrize(
    "text",
    ["", "   ", "😀😀🙏", "的了吗", "经济补偿" * 2500, 'AND OR NOT + - = && || > < ! ( ) { } [ ] ^ " ~ * ? : \\ / 失业', "NEAR(失业 保险) \"unbalanced", "'; DROP TABLE units; --"],
)
def test_bad_queries_never_crash(loaded: SearchBackend, analyzer: Analyzer, text: str) -> None:
    hits = loaded.search(q(analyzer, text))
    assert isinstance(hits, list)
    assert loaded.count() == len(TEXTS)


def test_highlights_and_interpretations_first(loaded: SearchBackend, analyzer: Analyzer) -> None:
    service = PolicySearch(loaded, analyzer)
    result = service.search(SearchRequest(text="辞职了能领失业金吗", explain=True))
    assert result.hits[0].doc.uid == "i1"
    assert any("<mark>" in h for h in result.hits[0].highlights)
    assert any("interpretation" in f for f in result.hits[0].factors)
    keys = service.ranked_article_keys(SearchRequest(text="辞职了能领失业金吗"))
    assert keys[0] == "失业保险条例第十五条"


def test_expired_only_on_request_and_below_current(loaded: SearchBackend, analyzer: Analyzer) -> None:
    service = PolicySearch(loaded, analyzer)
    assert "a4" not in [h.doc.uid for h in service.search(SearchRequest(text="因工负伤 诊疗费")).hits]
    with_expired = service.search(SearchRequest(text="因工负伤 诊疗费", include_expired=True, explain=True)).hits
    expired = [h for h in with_expired if h.doc.uid == "a4"]
    assert expired and any("已失效" in f for f in expired[0].factors)


def test_expired_text_named_by_the_citizen_is_found_and_marked(loaded: SearchBackend, analyzer: Analyzer) -> None:
    service = PolicySearch(loaded, analyzer)
    hits = service.search(SearchRequest(text="劳动保险条例里因工负伤诊疗费谁出", explain=True)).hits
    named = [h for h in hits if h.doc.uid == "a4"]
    assert named and named[0].doc.validity == "已失效"
    assert any("named by the citizen" in f for f in named[0].factors)


def test_region_ranks_citizens_region_first(loaded: SearchBackend, analyzer: Analyzer) -> None:
    service = PolicySearch(loaded, analyzer)
    other = service.search(SearchRequest(text="书面劳动合同 期满 通知", region="广东省", explain=True)).hits
    local = service.search(SearchRequest(text="书面劳动合同 期满 通知", region="济南市", explain=True)).hits
    score_other = next(h.score for h in other if h.doc.uid == "a3")
    score_local = next(h.score for h in local if h.doc.uid == "a3")
    assert score_local > score_other


def test_replace_all_swaps_whole_index(loaded: SearchBackend, analyzer: Analyzer) -> None:
    new = [d for d in make_docs(analyzer) if d.uid in ("a1", "a2")]
    assert loaded.replace_all(new) == 2
    assert loaded.count() == 2
    assert loaded.get("a5") is None


def test_health(loaded: SearchBackend) -> None:
    health = loaded.health()
    assert health.ok and health.count == len(TEXTS)
