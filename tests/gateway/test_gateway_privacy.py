"""Personal data: masking rules, masked copies for review, nothing raw in logs or sent to Rasa."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.privacy import contains_pii, mask_pii
from gateway.store.models import HandoffTicket, Message
from tests.gateway.gateway_fakes import FakeRasa, envelope

ID = "11010519491231002X"
MOBILE = "13812345678"
CARD = "6222021234567890123"
RAW = (ID, MOBILE, CARD, "11010519491231002x", "6222 0212 3456 7890", "138 1234 5678")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"身份证{ID}", "身份证1****************X"),
        ("身份证号：110105194912310021。", "身份证号：1****************1。"),
        ("id 11010519491231002x ok", "id 1****************x ok"),
        (f"电话{MOBILE}", "电话138****5678"),
        ("电话 138 1234 5678", "电话 138****5678"),
        ("+86 138-1234-5678", "138****5678"),
        ("１３８１２３４５６７８", "１３８****５６７８"),
        (f"卡号{CARD}", "卡号6222***********0123"),
        ("卡号6222021234567890", "卡号6222********7890"),
        ("卡号 6222 0212 3456 7890 123", "卡号 6222***********0123"),
        (f"{ID}，{MOBILE}，{CARD}", "1****************X，138****5678，6222***********0123"),
    ],
)
def test_mask_pii_masks_real_formats(text: str, expected: str) -> None:
    assert mask_pii(text) == expected
    assert not contains_pii(mask_pii(text))


@pytest.mark.parametrize(
    "text",
    [
        "我交了15年社保，每月3000元",
        "2024年1月1日起施行",
        "12333",
        "国发〔2005〕38号",
        "12345678901",  # 11 digits but not a mobile prefix
        "订单号123456789012345678901234",  # 24 digits: neither card nor ID
        "",
    ],
)
def test_mask_pii_leaves_other_numbers_alone(text: str) -> None:
    assert mask_pii(text) == text


def test_mask_pii_handles_none() -> None:
    assert mask_pii(None) == ""


def test_stored_original_for_the_live_view_masked_copy_for_review(
    client: TestClient, fake_rasa: FakeRasa, db: Session
) -> None:
    fake_rasa.reply = [
        envelope(
            "正在为您转人工",
            event="handoff",
            topic="request_human",
            handoff={
                "reason": "request_human",
                "topic": None,
                "last_question": mask_pii(f"我的身份证{ID}，手机{MOBILE}，查一下社保"),
                "candidates": [],
            },
        )
    ]
    text = f"我的身份证{ID}，手机{MOBILE}，查一下社保"
    body = client.post("/api/chat", json={"text": text}).json()
    citizen = db.scalars(select(Message).where(Message.sender == "citizen")).one()
    assert citizen.text == text
    assert citizen.text_masked == "我的身份证1****************X，手机138****5678，查一下社保"
    ticket = db.scalars(select(HandoffTicket)).one()
    assert ticket.last_question == text  # the assigned agent sees the citizen's own words
    assert not contains_pii(ticket.last_question_masked)
    # the holder of the session id sees their own message
    transcript = client.get(f"/api/chat/{body['session_id']}").json()
    assert transcript["messages"][0]["text"] == text


def test_text_sent_to_rasa_is_masked(client: TestClient, fake_rasa: FakeRasa) -> None:
    client.post("/api/chat", json={"text": f"卡号{CARD}丢了，社保卡怎么挂失"})
    sent = fake_rasa.received[-1]["message"]
    assert CARD not in sent and "6222***********0123" in sent


def test_log_lines_never_contain_raw_pii(
    make_client: Callable[..., TestClient], dead_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    client = make_client(rasa_url=dead_url)
    client.post("/api/chat", json={"text": f"身份证{ID} 手机{MOBILE} 卡{CARD} 为什么系统坏了"})
    logging.getLogger("gateway.test").warning("citizen wrote %s and %s", ID, f"卡{CARD}")
    try:
        raise ValueError(f"bad input {MOBILE}")
    except ValueError:
        logging.getLogger("gateway.test").exception("failure with %s", MOBILE)
    messages = [record.getMessage() for record in caplog.records] + [caplog.text]
    assert "bad input 138****5678" in caplog.text
    assert any("citizen wrote" in m for m in messages)
    for message in messages:
        for raw in RAW:
            assert raw not in message, message
    assert "citizen wrote 1****************X and 卡6222***********0123" in messages
