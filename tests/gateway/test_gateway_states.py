"""The conversation state machine: one table, one function, illegal moves raise."""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy.orm import Session

from gateway.conversation.lifecycle import StaleTransition, apply_event
from gateway.conversation.sessions import start_conversation
from gateway.conversation.states import TRANSITIONS, Event, IllegalTransition, Status, allowed_events, transition

LEGAL = {
    ("bot", "request_agent"): "waiting_agent",
    ("bot", "close"): "closed",
    ("waiting_agent", "agent_claims"): "with_agent",
    ("waiting_agent", "cancel"): "bot",
    ("waiting_agent", "close"): "closed",
    ("with_agent", "requeue"): "waiting_agent",
    ("with_agent", "hand_back"): "bot",
    ("with_agent", "close"): "closed",
    ("closed", "reopen"): "bot",
}


def test_the_table_is_exactly_the_documented_cycle() -> None:
    assert {(s.value, e.value): t.value for (s, e), t in TRANSITIONS.items()} == LEGAL


@pytest.mark.parametrize(("status", "event"), list(itertools.product(Status, Event)))
def test_every_pair_is_either_legal_or_raises(status: Status, event: Event) -> None:
    if (status.value, event.value) in LEGAL:
        assert transition(status, event).value == LEGAL[(status.value, event.value)]
    else:
        with pytest.raises(IllegalTransition):
            transition(status, event)


def test_typical_illegal_moves_raise() -> None:
    for status, event in [
        ("bot", "agent_claims"),
        ("closed", "request_agent"),
        ("waiting_agent", "request_agent"),
        ("bot", "reopen"),
    ]:
        with pytest.raises(IllegalTransition, match="illegal transition"):
            transition(status, event)
    with pytest.raises(IllegalTransition):
        transition("sleeping", "close")
    with pytest.raises(IllegalTransition):
        transition("bot", "explode")


def test_allowed_events() -> None:
    assert set(allowed_events("waiting_agent")) == {Event.AGENT_CLAIMS, Event.CANCEL, Event.CLOSE}
    assert allowed_events(Status.CLOSED) == [Event.REOPEN]


def test_apply_event_keeps_timestamps_and_owner_consistent(db: Session) -> None:
    conversation = start_conversation(db)
    apply_event(db, conversation, Event.REQUEST_AGENT)
    assert conversation.status == "waiting_agent" and conversation.waiting_since is not None
    with pytest.raises(ValueError):
        apply_event(db, conversation, Event.AGENT_CLAIMS)  # an agent must be named
    apply_event(db, conversation, Event.CLOSE)
    assert conversation.status == "closed" and conversation.closed_at is not None and conversation.waiting_since is None
    with pytest.raises(IllegalTransition):
        apply_event(db, conversation, Event.HAND_BACK)
    assert conversation.status == "closed"
    apply_event(db, conversation, Event.REOPEN)
    assert conversation.status == "bot" and conversation.closed_at is None
    db.commit()


def test_a_concurrent_change_makes_the_slower_transition_fail(db: Session, settings: object) -> None:
    """Compare-and-set: a stale in-memory status cannot overwrite a newer one."""
    from sqlalchemy import update

    from gateway.store.models import Conversation

    conversation = start_conversation(db)
    db.commit()
    db.execute(
        update(Conversation)
        .where(Conversation.id == conversation.id)
        .values(status="waiting_agent")
        .execution_options(synchronize_session=False)
    )
    db.commit()
    assert conversation.status == "bot"  # stale copy (expire_on_commit=False)
    with pytest.raises(StaleTransition):
        apply_event(db, conversation, Event.REQUEST_AGENT)
    assert conversation.status == "waiting_agent"
