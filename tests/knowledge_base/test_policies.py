"""Import of the official texts: article keys, metadata of record, validity, regions."""

from __future__ import annotations

from pathlib import Path

import yaml

from knowledge_base.keys import key_title, make_key, normalize_key, split_key
from knowledge_base.policies import import_policies
from knowledge_base.regions import applies_to, normalize_region
from knowledge_base.settings import KnowledgeBaseSettings
from knowledge_base.topics import META_INTENTS, TOPICS


def test_topic_names_are_the_contract(kb_settings: KnowledgeBaseSettings) -> None:
    contract = yaml.safe_load((kb_settings.shared_data_dir.parent / "contracts" / "topics.yml").read_text(encoding="utf-8"))
    assert list(TOPICS) == list(contract["topics"])
    assert list(META_INTENTS) == list(contract["meta_intents"])


def test_article_keys_follow_contract_2() -> None:
    assert key_title("中华人民共和国劳动合同法") == "劳动合同法"
    assert key_title("劳动合同法(2012-12-28)") == "劳动合同法"
    assert key_title("最高人民法院关于审理劳动争议案件适用法律问题的解释（一）") == "最高人民法院关于审理劳动争议案件适用法律问题的解释（一）"
    assert make_key("中华人民共和国社会保险法", "第十条之一") == "社会保险法第十条之一"
    assert normalize_key("中华人民共和国劳动法第三条") == "劳动法第三条"
    assert split_key("劳动合同法第三十九条") == ("劳动合同法", "第三十九条")
    assert split_key("劳动合同法") is None


def test_import_all_documents_with_articles(kb_settings: KnowledgeBaseSettings) -> None:
    library = import_policies(kb_settings)
    assert len(library.documents) == 111  # 110 manifest rows + the seed document
    keys = library.by_key()
    assert len(keys) > 4000
    article = keys["劳动合同法第三十九条"]
    assert article.text.startswith("第三十九条") and "试用期" in article.text
    assert article.chapter_path == ("第四章 劳动合同的解除和终止",)
    # articles of the 办法 attached to the 2024 decision use the 办法's own title
    assert "二十年" in keys["国务院关于渐进式延迟法定退休年龄的办法第二条"].text
    assert "工伤认定办法第五条" in keys


def test_metadata_overrides_are_the_record(kb_settings: KnowledgeBaseSettings) -> None:
    docs = {d.short_title: d for d in import_policies(kb_settings).documents.values()}
    assert docs["工伤保险条例"].doc_number == "国务院令第586号"
    assert docs["工伤保险条例"].kind == "行政法规"
    assert docs["工伤认定办法"].date == "2010-12-31"
    assert docs["工资支付暂行规定"].kind == "规范性文件"


def test_expired_texts_are_marked_with_replacement(kb_settings: KnowledgeBaseSettings) -> None:
    docs = {d.short_title: d for d in import_policies(kb_settings).documents.values()}
    old = docs["最高人民法院关于审理劳动争议案件适用法律若干问题的解释（二）"]
    assert old.validity == "已失效" and not old.is_current
    assert old.replaced_by == "最高人民法院关于审理劳动争议案件适用法律问题的解释（一）"
    assert docs["劳动合同法"].is_current


def test_sectioned_and_case_documents_have_units_without_keys(kb_settings: KnowledgeBaseSettings) -> None:
    library = import_policies(kb_settings)
    by_title = {d.short_title: d for d in library.documents.values()}
    sectioned = library.units_of(by_title["国务院关于完善企业职工基本养老保险制度的决定"].doc_id)
    assert len(sectioned) > 5 and all(u.key is None for u in sectioned)
    seed = [d for d in library.documents.values() if d.tier == "seed"][0]
    assert seed.region == "山东省" and seed.date == "2021-07-16"
    assert any("政务公开" in u.text for u in library.units_of(seed.doc_id))


def test_regions() -> None:
    assert normalize_region("济南") == "济南市" and normalize_region("山东") == "山东省"
    assert applies_to("全国", None)
    assert applies_to("山东省", "青岛市")
    assert applies_to("青岛市", "青岛市") and not applies_to("青岛市", "济南市")
    assert not applies_to("广东省", "济南市")
    assert not applies_to("山东省", None)


def test_loading_is_deterministic(kb_settings: KnowledgeBaseSettings, tmp_path: Path) -> None:
    first = import_policies(kb_settings)
    second = import_policies(kb_settings)
    assert [a.unit_id for a in first.articles] == [a.unit_id for a in second.articles]
