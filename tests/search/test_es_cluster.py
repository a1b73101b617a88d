"""The Elasticsearch backend on a real three-node cluster: a replicated, sharded index keeps
answering -- with the same ranking -- after one node (the elected master) goes away; and an
unreachable engine is reported as :class:`SearchUnavailable`, never as an engine exception.

Starts Elasticsearch 7.10.2 from Maven Central via ``tests.support.es_node`` (Java 17 + Maven).
"""

from __future__ import annotations

import logging
import random
import time
import unicodedata
from collections.abc import Iterator

import jieba
import pytest

from search.backends.base import SearchBackend, SearchUnavailable
from search.backends.elasticsearch import ElasticsearchBackend
from search.types import BackendQuery, Filters, IndexDoc
from tests.support.es_node import EsCluster, http_json, pick_ports, start_es_cluster

pytestmark = pytest.mark.elasticsearch

jieba.setLogLevel(logging.WARNING)

# topic -> (name, phrases that only this topic uses)
TOPICS: dict[str, tuple[str, list[str]]] = {
    "consult_unemployment": (
        "失业保险",
        ["失业保险金", "领取条件", "失业登记", "缴费满一年", "非本人意愿中断就业", "领取期限", "失业补助金"],
    ),
    "consult_pension": ("养老保险", ["基本养老金", "退休年龄", "缴费年限", "个人账户", "养老金计发", "延迟退休", "视同缴费"]),
    "consult_injury": ("工伤保险", ["工伤认定", "劳动能力鉴定", "一次性伤残补助金", "停工留薪期", "职业病", "工伤医疗", "申请材料"]),
    "consult_labor_relations": ("劳动合同", ["试用期", "解除劳动合同", "经济补偿", "无固定期限", "书面劳动合同", "二倍工资", "拖欠工资"]),
    "consult_social_insurance": ("社保转移", ["关系转移", "跨省转移", "转移接续", "缴费凭证", "参保地", "统筹基金", "灵活就业人员"]),
    "consult_skills": ("职业培训", ["职业技能培训", "培训补贴", "技能等级证书", "以工代训", "技工院校", "培训机构", "补贴申领"]),
    "consult_talent": ("人事人才", ["职称评审", "事业单位公开招聘", "继续教育", "人事档案", "专业技术人员", "资格考试", "聘用合同"]),
    "other_department": ("医疗生育", ["医保报销", "异地就医", "门诊统筹", "住院费用", "生育津贴", "产前检查", "备案手续"]),
    "consult_employment": ("就业创业", ["创业担保贷款", "创业补贴", "就业见习", "高校毕业生", "公益性岗位", "就业困难人员", "招聘会"]),
    "consult_social_security_card": ("社保卡", ["社保卡申领", "挂失补换", "电子社保卡", "金融功能", "激活", "密码重置", "跨省使用"]),
}
FILLER = ["按照规定", "应当及时", "可以向", "经办机构", "申请办理", "有关部门", "依法享受", "相关待遇", "具体办法", "由省级人民政府制定"]
REGIONS = ["全国", "全国", "北京", "上海", "广东"]
KINDS = ["policy", "interpretation", "faq"]


def tokens_of(text: str) -> list[str]:
    """jieba tokens without whitespace and punctuation (a stand-in for search.analyzer)."""
    return [t for t in jieba.lcut(text) if t.strip() and not all(unicodedata.category(c)[0] in "PZ" for c in t)]


def make_docs() -> list[IndexDoc]:
    """200 deterministic Chinese units: 20 per topic, mixing kinds, regions and dates."""
    rng = random.Random(20240501)
    docs: list[IndexDoc] = []
    for topic, (name, phrases) in TOPICS.items():
        for i in range(20):
            picked = rng.sample(phrases, 3)
            title = f"{name}{picked[0]}规定第{i + 1}条" if i % 3 == 0 else f"关于{picked[0]}的问答"
            text = "，".join([f"{picked[0]}{rng.choice(FILLER)}{picked[1]}", *rng.sample(FILLER, 2), picked[2]]) + "。"
            kind = KINDS[i % 3]
            docs.append(
                IndexDoc(
                    uid=f"{topic}-{i:02d}",
                    source_kind=kind,
                    title=title,
                    text=text,
                    title_tokens=" ".join(tokens_of(title)),
                    body_tokens=" ".join(tokens_of(text)),
                    phrasing_tokens=" ".join(tokens_of(f"{picked[1]}怎么办")) if kind == "faq" else "",
                    article=f"第{i + 1}条" if kind == "policy" else None,
                    article_keys=(f"{name}规定第{i + 1}条",) if kind != "faq" else (),
                    date=f"{rng.randint(2000, 2023)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                    region=rng.choice(REGIONS),
                    doc_kind="规章" if kind == "policy" else "解读",
                    topic=topic,
                    extra={"seq": i},
                )
            )
    return docs


def query(text: str, **kwargs: object) -> BackendQuery:
    return BackendQuery(tokens=tuple(tokens_of(text)), size=10, **kwargs)  # type: ignore[arg-type]


# (query, topic its best hit must have)
QUERIES: list[tuple[BackendQuery, str]] = [
    (query("辞职以后能不能领失业保险金"), "consult_unemployment"),
    (query("工伤认定需要准备哪些申请材料"), "consult_injury"),
    (query("退休年龄和养老金计发办法"), "consult_pension"),
    (query("公司不签书面劳动合同怎么办", filters=Filters(source_kinds=("faq", "interpretation"))), "consult_labor_relations"),
    (query("异地就医怎么备案", filters=Filters(regions=("全国", "北京"))), "other_department"),
    (query("生育津贴", filters=Filters(date_from="2005-01-01", date_to="2020-12-31")), "other_department"),
    (BackendQuery(tokens=("欠薪",), expansions=("拖欠工资", "工资"), size=10), "consult_labor_relations"),
    (query("电子社保卡密码忘了"), "consult_social_security_card"),
]


def ranked(backend: SearchBackend) -> list[list[str]]:
    return [[hit.doc.uid for hit in backend.search(q)] for q, _ in QUERIES]


def master_index(cluster: EsCluster) -> int:
    """Index of the node currently elected master."""
    status, body = http_json(f"{cluster.url}/_cat/master?format=json&h=node")
    assert status == 200, body
    return int(body[0]["node"].rsplit("-", 1)[1])


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EsCluster]:
    es = start_es_cluster(3, workdir=tmp_path_factory.mktemp("es3"), timeout=180)
    try:
        yield es
    finally:
        es.close()


def test_replicated_index_survives_losing_a_node(cluster: EsCluster) -> None:
    docs = make_docs()
    writer = ElasticsearchBackend(",".join(cluster.urls), index_prefix="policy", replicas=1, shards=3)
    assert isinstance(writer, SearchBackend)
    assert writer.write(docs) == 200
    assert writer.count() == 200
    assert writer.get(docs[17].uid) == docs[17]
    cluster.wait_for_status("green", timeout=60)
    health = writer.health()
    assert health.ok and health.detail == "green, 200 docs", health

    before = ranked(writer)
    for (q, topic), uids in zip(QUERIES, before, strict=True):
        assert uids, f"no hits for {q.tokens}"
        assert uids[0].startswith(topic), (q.tokens, uids)
    writer.close()

    # Stop the elected master: the survivors must elect a new one, promote replicas to
    # primaries and keep serving every shard.
    victim = master_index(cluster)
    started = time.monotonic()
    cluster.stop_node(victim)
    survivor_url = cluster.live_urls[-1]
    state = cluster.wait_for_status("yellow", nodes=2, url=survivor_url, timeout=60)
    # Yellow, not green: the lost node held shard copies; their replicas are unassigned
    # (re-allocation is delayed by index.unassigned.node_left.delayed_timeout, 1 min).
    assert state["status"] == "yellow" and state["unassigned_shards"] > 0, state
    assert state["number_of_nodes"] == 2
    failover_s = time.monotonic() - started

    reader = ElasticsearchBackend(survivor_url, index_prefix="policy", replicas=1, shards=3)
    health = reader.health()
    assert health.ok and health.count == 200, health
    assert health.detail.startswith(("yellow", "green")), health
    assert reader.count() == 200
    after = ranked(reader)
    assert after == before, f"ranking changed after losing node {victim} ({failover_s:.1f}s)"

    # The degraded cluster still takes writes and serves them.
    extra = IndexDoc(
        uid="late-1",
        source_kind="faq",
        title="停电补贴",
        text="停电补贴怎么申请",
        title_tokens="停电 补贴",
        body_tokens="停电 补贴 怎么 申请",
    )
    assert reader.write([extra]) == 1
    assert [h.doc.uid for h in reader.search(BackendQuery(tokens=("停电",)))] == ["late-1"]
    assert reader.delete(["late-1", "never-existed"]) == 1
    reader.close()

    # The node comes back on its old data and the cluster heals.
    cluster.start_node(victim)
    cluster.wait_for_status("green", nodes=3, timeout=90)
    assert ElasticsearchBackend(cluster.urls[victim]).count() == 200


def test_unreachable_engine_is_unavailable_not_an_error() -> None:
    port = pick_ports(1)[0]  # free now, nothing listens there
    backend = ElasticsearchBackend(f"http://user:secret@127.0.0.1:{port}", timeout=2)

    started = time.monotonic()
    with pytest.raises(SearchUnavailable) as excinfo:
        backend.search(BackendQuery(tokens=("失业", "保险金")))
    message = str(excinfo.value)
    assert f"127.0.0.1:{port}" in message
    assert "secret" not in message and "{" not in message and "Traceback" not in message
    assert time.monotonic() - started < 10

    health = backend.health()  # must not raise
    assert health.ok is False
    assert f"127.0.0.1:{port}" in health.detail and "secret" not in health.detail

    for call in (backend.count, lambda: backend.get("x"), lambda: backend.write([]), lambda: backend.delete(["x"])):
        with pytest.raises(SearchUnavailable):
            call()
    # An empty query never reaches the engine.
    assert backend.search(BackendQuery(tokens=())) == []
    backend.close()
