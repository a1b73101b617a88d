"""The chat service: one citizen message in, the bot's (or the gateway's) answer out.

Order of work, and why:
1. validate the input (422/413 with a Chinese detail);
2. find the conversation by its issued session id, or start a new one; reopen a closed one;
3. store the citizen's message and COMMIT — before anything can fail, so nothing is ever lost;
4. if a human owns the conversation (waiting_agent/with_agent) the bot is not called: the message
   is already stored for the agent and the reply says so;
5. otherwise call Rasa; store every bot message, unanswered questions and feedback; a handoff
   envelope opens a ticket and moves the conversation to waiting_agent;
6. if Rasa or the action server is down or times out: tell the citizen plainly, give the hotline,
   open a ``system`` ticket (waiting_agent) with the question.

Steps 2–4 are one short store unit and the writes of step 5 or 6 another, each run in a worker
thread by the :class:`~gateway.store.runner.StoreRunner`; Rasa is awaited in between, so no
server worker thread and no database connection waits for the bot (the call itself uses the Rasa
client's own few threads, see :mod:`gateway.rasa.client`).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.console.queue import queue_position
from gateway.conversation import notices
from gateway.conversation.handoff import cancel_handoff, request_handoff
from gateway.conversation.inputs import CitizenInput, normalize_input
from gateway.conversation.lifecycle import apply_event
from gateway.conversation.messages import (
    chat_view,
    last_bot_answer,
    message_view,
    question_for_handoff,
    record_bot,
    record_citizen,
    record_system,
    transcript_view,
)
from gateway.conversation.sessions import find_conversation, start_conversation
from gateway.conversation.states import HUMAN_QUEUE, Event, Status
from gateway.metrics import GatewayMetrics
from gateway.privacy import mask_pii
from gateway.rasa.client import BotUnavailable, RasaClient
from gateway.rasa.envelope import BotMessage, parse_reply
from gateway.store.models import Conversation, Feedback, HandoffReason, Message, UnansweredQuestion
from gateway.store.runner import StoreRunner

log = logging.getLogger(__name__)


@dataclass
class ChatOutcome:
    """What the chat API returns (contract 3)."""

    session_id: str
    status: str
    topic: str | None
    messages: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"session_id": self.session_id, "status": self.status, "topic": self.topic, "messages": self.messages}


@dataclass(frozen=True)
class Received:
    """The citizen's message is stored: either the turn is already decided (``outcome``: a human
    owns the conversation, or the citizen withdrew 转人工) or the bot is to be asked."""

    conversation_id: int
    session_id: str
    outcome: ChatOutcome | None = None


async def handle_chat(
    *,
    store: StoreRunner,
    bot: RasaClient,
    metrics: GatewayMetrics,
    session_id: str | None,
    text: str | None,
    payload: str | None,
    max_chars: int,
    hotline: str,
    channel: str = "web",
) -> ChatOutcome:
    """Handle one citizen message end to end (see the module docstring for the order).

    The store work is two short units in worker threads (:class:`StoreRunner`), one before and
    one after Rasa; no database connection is held while Rasa thinks."""
    citizen = normalize_input(text=text, payload=payload, max_chars=max_chars)
    received = await store.run(
        receive_message, session_id=session_id, citizen=citizen, channel=channel, metrics=metrics, hotline=hotline
    )
    if received.outcome is not None:
        return received.outcome
    try:
        reply = await bot.send(sender=received.session_id, message=citizen.for_bot, channel=channel)
        bot_messages = parse_reply(reply.messages)
        if not bot_messages:
            raise BotUnavailable("empty reply")
    except BotUnavailable as exc:
        log.warning("bot unavailable for conversation %s (%s): queued for an agent", received.conversation_id, exc)
        metrics.bot_errors.labels(str(exc).split(":")[0][:32]).inc()
        return await store.run(_system_handoff, received.conversation_id, metrics=metrics, hotline=hotline)
    metrics.bot_latency.observe(reply.latency_ms / 1000)
    return await store.run(
        _bot_turn,
        received.conversation_id,
        citizen=citizen,
        bot_messages=bot_messages,
        latency_ms=reply.latency_ms,
        metrics=metrics,
        hotline=hotline,
    )


def receive_message(
    db: Session, *, session_id: str | None, citizen: CitizenInput, channel: str, metrics: GatewayMetrics, hotline: str
) -> Received:
    """Steps 2–4: find or start the conversation, store the citizen's message and COMMIT, then
    decide whether the bot is asked at all."""
    conversation = find_conversation(db, session_id) or start_conversation(db, channel=channel)
    if conversation.status == Status.CLOSED:
        apply_event(db, conversation, Event.REOPEN)
    record_citizen(
        db, conversation=conversation, citizen=citizen, extra_buttons=[notices.CANCEL_BUTTON, notices.HUMAN_BUTTON]
    )
    db.commit()  # the question is safe before the bot is asked
    metrics.messages.labels(channel, "citizen").inc()

    status = Status(conversation.status)
    outcome: ChatOutcome | None = None
    if citizen.payload == notices.CANCEL_HANDOFF_PAYLOAD and status is Status.WAITING_AGENT:
        outcome = _cancel(db, conversation=conversation)
    elif status in HUMAN_QUEUE:
        outcome = _queued(conversation=conversation, status=status, hotline=hotline)
    elif citizen.payload == notices.CANCEL_HANDOFF_PAYLOAD:  # a stale button: nothing to cancel
        outcome = ChatOutcome(conversation.session_id, conversation.status, None, [])
    return Received(conversation.id, conversation.session_id, outcome)


def _conversation(db: Session, conversation_id: int) -> Conversation:
    conversation = db.get(Conversation, conversation_id)
    if conversation is None:  # rows are never deleted while a turn runs
        raise LookupError(f"conversation {conversation_id} vanished")
    return conversation


def _cancel(db: Session, *, conversation: Conversation) -> ChatOutcome:
    """The citizen withdrew 转人工 before an agent took the conversation."""
    cancel_handoff(db, conversation=conversation)
    message = record_system(db, conversation=conversation, text=notices.HANDOFF_CANCELLED)
    db.commit()
    log.info("conversation %s: handoff cancelled by the citizen", conversation.id)
    return ChatOutcome(conversation.session_id, conversation.status, None, [message_view(message)])


def _queued(*, conversation: Conversation, status: Status, hotline: str) -> ChatOutcome:
    """A human owns the conversation: the stored message waits for (or goes to) the agent.

    The acknowledgement is a receipt, not part of the conversation, so it is not stored."""
    if status is Status.WAITING_AGENT:
        ack = chat_view(notices.waiting_for_agent(hotline), [notices.CANCEL_BUTTON])
    else:
        ack = chat_view(notices.WITH_AGENT_ACK)
    return ChatOutcome(conversation.session_id, conversation.status, None, [ack])


def _system_handoff(db: Session, conversation_id: int, *, metrics: GatewayMetrics, hotline: str) -> ChatOutcome:
    """The bot is unavailable: say so plainly, give the hotline, queue the question for an agent."""
    conversation = _conversation(db, conversation_id)
    question = question_for_handoff(db, conversation, None)
    message = record_system(db, conversation=conversation, text=notices.system_unavailable(hotline), event="handoff")
    request_handoff(
        db,
        conversation=conversation,
        reason=HandoffReason.SYSTEM.value,
        topic=conversation.topic,
        last_question=question,
    )
    db.commit()
    metrics.handoffs.labels(HandoffReason.SYSTEM.value).inc()
    return ChatOutcome(conversation.session_id, conversation.status, None, [message_view(message)])


def _bot_turn(
    db: Session,
    conversation_id: int,
    *,
    citizen: CitizenInput,
    bot_messages: list[BotMessage],
    latency_ms: int,
    metrics: GatewayMetrics,
    hotline: str,
) -> ChatOutcome:
    """Store the bot's messages and act on their envelopes (unanswered, feedback, handoff)."""
    conversation = _conversation(db, conversation_id)
    # The answer a feedback click is about: read before this turn's messages are added (and only
    # when there is feedback: one query less on every other turn).
    wants_feedback = any(m.event == "feedback" for m in bot_messages)
    previous_answer = last_bot_answer(db, conversation) if wants_feedback else None
    for bot_message in bot_messages:
        record_bot(db, conversation=conversation, bot_message=bot_message, latency_ms=latency_ms)
        metrics.bot_events.labels(bot_message.event or "none").inc()
        if bot_message.event == "fallback":
            metrics.fallbacks.inc()
        if bot_message.unanswered is not None:
            db.add(
                UnansweredQuestion(
                    conversation_id=conversation.id,
                    question_masked=mask_pii(bot_message.unanswered.question),
                    topic=bot_message.unanswered.topic or bot_message.topic,
                    reason=bot_message.unanswered.reason,
                )
            )
            metrics.unanswered.inc()
        if bot_message.event == "feedback":
            db.add(
                Feedback(
                    conversation_id=conversation.id,
                    message_id=previous_answer.id if previous_answer else None,
                    helpful=_helpful(citizen, bot_message),
                    topic=conversation.topic,
                )
            )
    metrics.messages.labels(conversation.channel, "bot").inc(len(bot_messages))
    topic = next((m.topic for m in bot_messages if m.topic), None)
    if topic is not None:
        conversation.topic = topic
    views = [chat_view(m.text, m.buttons, m.sources) for m in bot_messages if m.text or m.buttons]
    handoff = next((m.handoff for m in bot_messages if m.handoff is not None), None)
    if handoff is not None:
        request_handoff(
            db,
            conversation=conversation,
            reason=handoff.reason,
            topic=handoff.topic or topic,
            last_question=question_for_handoff(db, conversation, handoff.last_question),
            candidates=handoff.candidates,
        )
        metrics.handoffs.labels(handoff.reason).inc()
        if not any(m.text for m in bot_messages):
            views.append(
                message_view(record_system(db, conversation=conversation, text=notices.handoff_started(hotline)))
            )
        log.info("conversation %s: handed off to agents (%s)", conversation.id, handoff.reason)
    db.commit()
    return ChatOutcome(conversation.session_id, conversation.status, topic, views)


_YES = ("helpful", "affirm", "yes", "useful", "good", "up")
_NO = ("unhelpful", "not_helpful", "deny", "no", "useless", "bad", "down")


def _helpful(citizen: CitizenInput, bot_message: BotMessage) -> bool | None:
    """Whether the feedback was positive, from the button payload (``/feedback{"helpful": true}``,
    ``/feedback{"value": "unhelpful"}``, ``/feedback_unhelpful``) or the recognised intent."""
    words: list[str] = []
    if citizen.payload:
        intent, _, entities = citizen.payload[1:].partition("{")
        words.append(intent)
        try:
            data = json.loads("{" + entities) if entities else {}
        except ValueError:
            data = {}
        if isinstance(data, dict):
            for value in data.values():
                if isinstance(value, bool):
                    return value
                words.append(str(value))
    if bot_message.intent:
        words.append(bot_message.intent)
    for word in (w.lower() for w in words):
        if any(word == n or word.endswith("_" + n) for n in _NO):
            return False
        if any(word == y or word.endswith("_" + y) for y in _YES):
            return True
    return None


@dataclass
class Transcript:
    """A conversation as its holder sees it."""

    session_id: str
    status: str
    topic: str | None
    messages: list[dict[str, Any]]
    queue_position: int | None = None
    """1 = next to be served, while waiting for an agent; otherwise ``None`` (extra field)."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "session_id": self.session_id,
            "status": self.status,
            "topic": self.topic,
            "messages": self.messages,
            "queue_position": self.queue_position,
        }


def get_transcript(*, db: Session, session_id: str, after_id: int | None = None) -> Transcript | None:
    """The conversation's messages (newer than ``after_id`` if given), or ``None`` for an id the
    server did not issue. Originals are shown: the holder of the id is the citizen."""
    conversation = find_conversation(db, session_id)
    if conversation is None:
        return None
    query = select(Message).where(Message.conversation_id == conversation.id)
    if after_id is not None:
        query = query.where(Message.id > after_id)
    messages = db.scalars(query.order_by(Message.id)).all()
    return Transcript(
        conversation.session_id,
        conversation.status,
        conversation.topic,
        [transcript_view(m) for m in messages],
        queue_position(db, conversation=conversation),
    )
