"""Custom actions from JSON tracker fixtures with CollectingDispatcher, on the real embedded search."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("rasa_sdk")

from rasa_sdk.executor import CollectingDispatcher  # noqa: E402

from actions import actions as bot_actions  # noqa: E402
from tests.actions.conftest import load_tracker  # noqa: E402

CONTRACT_SOURCE_KEYS = {"kind", "title", "article", "doc_number", "issuer", "date", "validity", "region", "url"}


def run(action: Any, name: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    dispatcher = CollectingDispatcher()
    events = action.run(dispatcher, load_tracker(name), {})
    assert len(dispatcher.messages) == 1, dispatcher.messages
    envelope = dispatcher.messages[0]["custom"]
    return envelope, events


def slot(events: list[dict[str, Any]], name: str) -> Any:
    values = [e["value"] for e in events if e.get("event") == "slot" and e.get("name") == name]
    return values[-1] if values else None


def test_answer_cites_interpretation_and_real_articles(fixture_index: Path) -> None:
    envelope, events = run(bot_actions.ActionAnswer(), "unemployment")
    assert envelope["event"] == "answer"
    assert envelope["topic"] == "consult_unemployment"
    kinds = [s["kind"] for s in envelope["sources"]]
    assert kinds[0] == "interpretation"
    policy = [s for s in envelope["sources"] if s["kind"] == "policy"]
    assert [(s["title"], s["article"]) for s in policy] == [("失业保险条例", "第十四条"), ("中华人民共和国社会保险法", "第四十五条")]
    assert policy[0]["doc_number"] == "国务院令第258号" and policy[0]["validity"] == "现行有效" and policy[0]["date"] == "1999-01-22"
    assert all(set(s) == CONTRACT_SOURCE_KEYS for s in envelope["sources"])
    assert "非官方" in envelope["text"] and "失业保险条例" in envelope["text"]
    assert [b["payload"] for b in envelope["buttons"]][:2] == ["/feedback_helpful", "/feedback_unhelpful"]
    related = envelope["buttons"][2:]
    assert all(b["title"].startswith("相关问题：") and not b["payload"].startswith("/") for b in related)
    assert "主动辞职能领失业保险金吗？" not in [b["payload"] for b in related]
    assert slot(events, "last_question") == "辞职了可以领失业金吗"


def test_entry_without_original_says_so(fixture_index: Path) -> None:
    envelope, _ = run(bot_actions.ActionAnswer(), "card_lost")
    assert envelope["sources"][0]["kind"] == "faq"
    assert "暂未收录" in envelope["text"] and "12333" in envelope["text"]


def test_no_hit_is_honest_and_records_unanswered(fixture_index: Path) -> None:
    envelope, events = run(bot_actions.ActionAnswer(), "no_hit")
    assert envelope["event"] == "fallback"
    assert envelope["sources"] == []
    assert envelope["unanswered"]["question"] == "火星移民签证怎么办理呢"
    assert {"title": "转人工", "payload": "/request_human"} in envelope["buttons"]
    assert slot(events, "failed_count") == 1.0


def test_second_failure_hands_off(fixture_index: Path) -> None:
    envelope, _ = run(bot_actions.ActionAnswer(), "no_hit_second")
    assert envelope["event"] == "handoff"
    assert envelope["handoff"]["reason"] == "repeated_failure"


def test_ambiguous_question_offers_topics(fixture_index: Path) -> None:
    envelope, _ = run(bot_actions.ActionAnswer(), "ambiguous")
    assert envelope["event"] == "clarify"
    assert [b["payload"] for b in envelope["buttons"]][:2] == ["/consult_pension", "/consult_social_insurance"]


def test_request_human_signals_handoff_with_context(fixture_index: Path) -> None:
    envelope, _ = run(bot_actions.ActionHandoff(), "request_human")
    assert envelope["event"] == "handoff" and envelope["topic"] == "request_human"
    assert envelope["handoff"]["reason"] == "request_human"
    assert envelope["handoff"]["last_question"] == "辞职了可以领失业金吗"


def test_unhelpful_then_request_is_recorded_as_unhelpful(fixture_index: Path) -> None:
    envelope, _ = run(bot_actions.ActionHandoff(), "unhelpful_then_human")
    assert envelope["handoff"]["reason"] == "unhelpful"


def test_sensitive_case_goes_to_a_person(fixture_index: Path) -> None:
    envelope, _ = run(bot_actions.ActionAnswer(), "sensitive")
    assert envelope["event"] == "handoff" and envelope["handoff"]["reason"] == "sensitive"
    assert "110" in envelope["text"]


def test_feedback_unhelpful_offers_human(fixture_index: Path) -> None:
    envelope, events = run(bot_actions.ActionFeedback(), "feedback_unhelpful")
    assert envelope["event"] == "feedback"
    assert envelope["buttons"] == [{"title": "转人工", "payload": "/request_human"}]
    assert envelope["unanswered"]["reason"] == "unhelpful"
    assert slot(events, "last_feedback") == "unhelpful"


def test_out_of_scope_points_to_12348(fixture_index: Path) -> None:
    envelope, _ = run(bot_actions.ActionOutOfScope(), "out_of_scope")
    assert envelope["topic"] == "out_of_scope" and "12348" in envelope["text"]


def test_region_is_remembered_and_question_answered_again(fixture_index: Path) -> None:
    envelope, events = run(bot_actions.ActionSetRegion(), "region")
    assert slot(events, "region") == "青岛市"
    assert envelope["event"] == "answer" and "青岛市" in envelope["text"]


def test_draft_entries_are_not_published(fixture_index: Path) -> None:
    from actions.search_client import policy_search
    from search.service import SearchRequest

    hits = policy_search().search(SearchRequest(text="草稿条目不会发布 未审核条目")).hits
    assert all(h.doc.uid != "interp:fx-draft-never-shown" for h in hits)


def test_expired_text_is_never_presented_as_current(fixture_index: Path) -> None:
    from actions.replies import answer_from_hits
    from actions.search_client import policy_search
    from search.service import RankedHit, SearchRequest
    from search.types import BackendQuery, Filters

    search = policy_search()
    analyzed = search.analyzer.analyze_query("劳动争议案件 适用法律 解释")
    expired = search.backend.search(BackendQuery(analyzed.tokens, (), Filters(validities=("已失效",)), 5))
    assert expired, "the index keeps expired texts"
    assert all(h.doc.uid not in {x.doc.uid for x in expired} for h in search.search(SearchRequest(text="劳动争议案件 适用法律 解释")).hits)
    doc = expired[0].doc
    text, sources = answer_from_hits(search, [RankedHit(doc, 1.0, 1.0)], search.analyzer.analyze_query(doc.title))  # type: ignore[misc]
    assert "已失效" in text and "最高人民法院关于审理劳动争议案件适用法律问题的解释（一）" in text
    assert sources[0]["validity"] == "已失效"
