"""Staff review: unanswered questions and 没帮助 feedback grouped by similar wording (masked),
marking them handled, the CSV export, interpretation drafts validated against the real policy
library (unknown article keys, numbers not in the cited article), approval, and the YAML export
in the knowledge base's own format. Real SQLite file, fake Rasa, real policy library."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.store.models import AuditEvent, Feedback, UnansweredQuestion
from knowledge_base.interpretations import load_file
from knowledge_base.policies import import_policies
from knowledge_base.settings import KnowledgeBaseSettings
from knowledge_base.validator import check_entry
from tests.gateway.console_support import BANK_CARD, ID_NUMBER, MOBILE, add_user, logged_in
from tests.gateway.gateway_fakes import FakeRasa, envelope

UNEMPLOYMENT = "consult_unemployment"
VALID_DRAFT = {
    "question": "经济补偿怎么计算？",
    "phrasings": ["辞退补偿怎么算", "N是怎么算的", f"我手机{MOBILE}，能帮我算补偿吗"],
    "answer": "经济补偿按您在本单位的工作年限计算，每满一年支付一个月工资；六个月以上不满一年的按一年计算，不满六个月的支付半个月工资。",
    "cites": ["《劳动合同法》第四十七条"],
    "topic": "consult_labor_relations",
    "region": "全国",
}


def _unanswered(client: TestClient, fake_rasa: FakeRasa, question: str, topic: str | None = UNEMPLOYMENT) -> None:
    fake_rasa.reply = [
        envelope(
            "抱歉，这个问题我暂时无法回答，已记录并转给工作人员。",
            event="fallback",
            topic=topic,
            unanswered={"question": question, "topic": topic, "reason": "no_hit"},
        )
    ]
    client.post("/api/chat", json={"text": question})


def _unhelpful(client: TestClient, fake_rasa: FakeRasa, question: str) -> None:
    fake_rasa.reply = [envelope("失业保险金的领取条件如下。", topic=UNEMPLOYMENT)]
    sid = client.post("/api/chat", json={"text": question}).json()["session_id"]
    fake_rasa.reply = [envelope("感谢您的反馈。", event="feedback", intent="feedback")]
    client.post("/api/chat", json={"session_id": sid, "payload": '/feedback{"helpful": false}'})


@pytest.fixture
def reviewer(client: TestClient, db: Session) -> tuple[TestClient, str]:
    add_user(db, "rita", "reviewer")
    return client, logged_in(client, "rita", page="/review")


def _second_reviewer(client: TestClient, db: Session) -> tuple[TestClient, str]:
    """Another reviewer, logged in on their own client (own cookies) of the same application."""
    add_user(db, "sam", "reviewer")
    other = TestClient(client.app)
    return other, logged_in(other, "sam", page="/review")


@pytest.fixture
def questions(client: TestClient, fake_rasa: FakeRasa) -> None:
    """Three phrasings of one need (one with personal data), one unhelpful answer to the same
    need, and one other question."""
    _unanswered(client, fake_rasa, "辞职了能领失业金吗")
    _unanswered(client, fake_rasa, "辞职了 还能领失业金吗？")
    _unanswered(client, fake_rasa, f"我身份证{ID_NUMBER}，辞职了能领失业金吗")
    _unhelpful(client, fake_rasa, f"辞职了能领失业金吗？卡号{BANK_CARD}")
    _unanswered(client, fake_rasa, "社保卡丢了怎么补办", topic="consult_social_security_card")


def _no_raw_pii(text: str) -> None:
    for raw in (ID_NUMBER, MOBILE, BANK_CARD):
        assert raw not in text


def test_questions_are_grouped_most_frequent_first_and_masked(reviewer: tuple[TestClient, str], questions: None) -> None:
    client, _ = reviewer
    response = client.get("/api/review/questions")
    _no_raw_pii(response.text)
    body = response.json()
    assert (body["total"], body["unanswered_total"], body["unhelpful_total"]) == (5, 4, 1)
    first, second = body["groups"]
    assert first["count"] == 4 and (first["unanswered_count"], first["unhelpful_count"]) == (3, 1)
    assert first["topic"] == UNEMPLOYMENT and first["topic_label"] == "失业保险"
    assert first["question"] == "辞职了能领失业金吗"
    assert any("1****************X" in v for v in first["variants"])
    assert any("6222***********0123" in v for v in first["variants"])
    assert len(first["unanswered_ids"]) == 3 and len(first["feedback_ids"]) == 1
    assert second["count"] == 1 and second["topic"] == "consult_social_security_card"
    only = client.get("/api/review/questions", params={"topic": "consult_social_security_card"}).json()
    assert [g["question"] for g in only["groups"]] == ["社保卡丢了怎么补办"]
    page = client.get("/review").text
    assert "问题审核" in page and "/static/js/review.js" in page
    _no_raw_pii(page)


def test_marking_a_group_handled(reviewer: tuple[TestClient, str], questions: None, db: Session) -> None:
    client, csrf = reviewer
    group = client.get("/api/review/questions").json()["groups"][0]
    response = client.post(
        "/api/review/questions/handled",
        json={"unanswered_ids": group["unanswered_ids"], "feedback_ids": group["feedback_ids"]},
        headers={"X-CSRF-Token": csrf},
    )
    assert response.json() == {"handled": {"unanswered": 3, "feedback": 1}}
    assert [g["question"] for g in client.get("/api/review/questions").json()["groups"]] == ["社保卡丢了怎么补办"]
    handled = client.get("/api/review/questions", params={"status": "handled"}).json()["groups"]
    assert handled[0]["count"] == 4
    assert {f.status for f in db.scalars(select(Feedback))} == {"handled"}
    event = db.scalars(select(AuditEvent).where(AuditEvent.action == "review.mark_handled")).one()
    assert event.detail["unanswered"] == 3 and event.actor_id is not None
    empty = client.post("/api/review/questions/handled", json={}, headers={"X-CSRF-Token": csrf})
    assert empty.status_code == 422


def test_unanswered_csv_is_masked(reviewer: tuple[TestClient, str], questions: None, fake_rasa: FakeRasa, db: Session) -> None:
    client, _ = reviewer
    _unanswered(client, fake_rasa, "=HYPERLINK(\"http://evil\")怎么领")
    response = client.get("/review/unanswered.csv")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert response.headers["cache-control"] == "no-store"
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff编号,时间,状态,主题,主题名称,原因,问题（已脱敏）,对应解读")
    _no_raw_pii(text)
    assert "1****************X" in text and "社保卡丢了怎么补办" in text
    assert "'=HYPERLINK" in text  # spreadsheets will not run it as a formula
    assert len(text.strip().splitlines()) == 1 + 5
    assert db.scalars(select(AuditEvent).where(AuditEvent.action == "review.export_csv")).one()


def _draft(client: TestClient, csrf: str, **changes: object) -> object:
    return client.post("/api/review/drafts", json={**VALID_DRAFT, **changes}, headers={"X-CSRF-Token": csrf})


def test_draft_with_an_unknown_article_key_is_rejected(reviewer: tuple[TestClient, str]) -> None:
    client, csrf = reviewer
    response = _draft(client, csrf, cites=["劳动合同法第九百条"])
    assert response.status_code == 422  # type: ignore[attr-defined]
    body = response.json()  # type: ignore[attr-defined]
    assert body["detail"] == "解读草稿未通过校验。"
    assert "引用的条文不存在：劳动合同法第九百条" in body["problems"]
    assert client.get("/api/review/drafts").json()["drafts"] == []


def test_draft_with_a_number_not_in_the_cited_article_is_rejected(reviewer: tuple[TestClient, str]) -> None:
    client, csrf = reviewer
    answer = "经济补偿按工作年限计算，每满一年支付两个月工资。"
    response = _draft(client, csrf, answer=answer)
    assert response.status_code == 422  # type: ignore[attr-defined]
    assert "答案中的数字 2 在所引条文中找不到" in response.json()["problems"]  # type: ignore[attr-defined]
    few = _draft(client, csrf, phrasings=["只有一种问法"], topic="nope")
    problems = few.json()["problems"]  # type: ignore[attr-defined]
    assert "至少需要填写2种其他问法" in problems and "未知的主题：nope" in problems


def test_approved_draft_is_exported_as_knowledge_base_yaml(
    reviewer: tuple[TestClient, str], questions: None, db: Session, tmp_path: Path, kb_settings: KnowledgeBaseSettings
) -> None:
    client, csrf = reviewer
    group = client.get("/api/review/questions").json()["groups"][0]
    created = _draft(client, csrf, unanswered_ids=group["unanswered_ids"], feedback_ids=group["feedback_ids"])
    assert created.status_code == 201, created.text  # type: ignore[attr-defined]
    draft = created.json()["draft"]  # type: ignore[attr-defined]
    assert draft["status"] == "draft" and draft["cites"] == ["劳动合同法第四十七条"]
    assert "138****5678" in draft["phrasings"][2]
    linked = db.scalars(select(UnansweredQuestion).where(UnansweredQuestion.id.in_(group["unanswered_ids"]))).all()
    assert {(q.status, q.interpretation_id) for q in linked} == {("answered", draft["entry_id"])}

    assert "[]" in client.get("/review/export.yml").text  # nothing approved yet
    own = client.post(f"/api/review/drafts/{draft['id']}/approve", headers={"X-CSRF-Token": csrf})
    assert own.status_code == 403, own.text  # four eyes: the author cannot approve
    assert own.json()["detail"] == "不能审核通过自己撰写的解读，请由另一位审核人员审核。"
    assert "[]" in client.get("/review/export.yml").text  # still nothing approved
    second, second_csrf = _second_reviewer(client, db)
    approved = second.post(f"/api/review/drafts/{draft['id']}/approve", headers={"X-CSRF-Token": second_csrf})
    assert approved.status_code == 200 and approved.json()["draft"]["status"] == "approved"
    assert approved.json()["draft"]["approved_by_id"] != approved.json()["draft"]["created_by_id"]
    again = second.post(f"/api/review/drafts/{draft['id']}/approve", headers={"X-CSRF-Token": second_csrf})
    assert again.status_code == 409

    export = client.get("/review/export.yml")
    assert export.status_code == 200 and export.headers["content-type"].startswith("application/yaml")
    _no_raw_pii(export.text)
    path = tmp_path / "review.yml"
    path.write_text(export.text, encoding="utf-8")
    loaded = load_file(path)
    assert loaded.problems == []
    (entry,) = loaded.entries
    assert (entry.entry_id, entry.status, entry.source_type, entry.topic) == (draft["entry_id"], "approved", "curated", "consult_labor_relations")
    assert entry.cites == ("劳动合同法第四十七条",) and entry.question == VALID_DRAFT["question"]
    library = import_policies(kb_settings)
    assert check_entry(entry, library, dict(library.by_key())) == []  # make kb-check would accept it

    actions = [e.action for e in db.scalars(select(AuditEvent).where(AuditEvent.action.like("review.%")).order_by(AuditEvent.id))]
    assert actions == [
        "review.draft_create",
        "review.mark_handled",
        "review.export_yaml",
        "review.export_yaml",
        "review.draft_approve",
        "review.export_yaml",
    ]


def test_grouping_merges_rephrasings_but_not_different_needs() -> None:
    import datetime as dt

    from gateway.review.grouping import ReviewItem, group_items

    now = dt.datetime.now(dt.timezone.utc)
    texts = [
        "辞职了能领失业金吗",
        "辞职了 还能领失业金吗？",
        "我身份证1****************X，辞职了能领失业金吗",
        "辞职了能领养老金吗",
        "社保卡丢了怎么补办",
        "社保卡丢了怎么办",
        "辞职了能领失业金吗",
    ]
    items = [ReviewItem("unanswered", n, text, None, now + dt.timedelta(seconds=n)) for n, text in enumerate(texts)]
    groups = group_items(items)
    assert [(g["question"], g["count"]) for g in groups] == [
        ("辞职了能领失业金吗", 4),
        ("社保卡丢了怎么办", 2),
        ("辞职了能领养老金吗", 1),
    ]
    assert groups[0]["unanswered_ids"] == [0, 1, 2, 6]
