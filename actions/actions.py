"""Rasa custom actions: thin adapters between the tracker and the search/reply functions.

Each action sends exactly one envelope (``json_message``) and returns slot events. Handoff is a
signal (``event: handoff``); the gateway owns the conversation state.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import texts
from actions.replies import Envelope, candidates, feedback_buttons, human_button, related_question_buttons, search_answer
from actions.search_client import policy_search
from actions.sensitive import is_sensitive
from knowledge_base.regions import normalize_region
from knowledge_base.topics import TOPIC_LABELS, TOPICS
from search.backends.base import SearchUnavailable

logger = logging.getLogger(__name__)
MAX_FAILURES = 2
CLARIFY_MARGIN = 0.12


def _intent(tracker: Tracker) -> tuple[str | None, float | None]:
    intent = tracker.latest_message.get("intent") or {}
    return intent.get("name"), intent.get("confidence")


def _question(tracker: Tracker) -> str:
    text = (tracker.latest_message.get("text") or "").strip()
    if text.startswith("/"):
        return str(tracker.get_slot("last_question") or "")
    return text


def _region(tracker: Tracker) -> str | None:
    for entity in tracker.latest_message.get("entities") or []:
        if entity.get("entity") == "region":
            region = normalize_region(str(entity.get("value")))
            if region:
                return region
    text = tracker.latest_message.get("text") or ""
    from knowledge_base.regions import KNOWN_REGIONS

    for name in sorted(KNOWN_REGIONS, key=len, reverse=True):
        short = name.rstrip("省市") if len(name) > 2 else name
        if name != "全国" and (name in text or (len(short) >= 2 and short in text)):
            return name
    slot = tracker.get_slot("region")
    return str(slot) if slot else None


def _send(dispatcher: CollectingDispatcher, envelope: Envelope) -> None:
    dispatcher.utter_message(json_message=envelope.as_json())


def _failures(tracker: Tracker) -> int:
    return int(tracker.get_slot("failed_count") or 0)


def _topic_choices(tracker: Tracker) -> list[str]:
    ranking = tracker.latest_message.get("intent_ranking") or []
    topics = [r for r in ranking if r.get("name") in TOPICS]
    if len(topics) >= 2 and (topics[0].get("confidence", 0) - topics[1].get("confidence", 0)) < CLARIFY_MARGIN:
        return [str(t["name"]) for t in topics[:3]]
    return []


def handoff_envelope(tracker: Tracker, *, reason: str, text: str, topic: str | None, hits: list[Any] | None = None) -> Envelope:
    """The handoff signal: reason, topic, the last question and the bot's candidate answers."""
    intent, confidence = _intent(tracker)
    return Envelope(
        text=text,
        event="handoff",
        topic=topic,
        intent=intent,
        confidence=confidence,
        handoff={
            "reason": reason,
            "topic": topic or tracker.get_slot("last_topic"),
            "last_question": tracker.get_slot("last_question") or _question(tracker),
            "candidates": candidates(hits or []),
        },
    )


class ActionAnswer(Action):
    """Answer a topic question from the index with sources; clarify, or admit there is no answer."""

    def name(self) -> str:
        return "action_answer"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        intent, confidence = _intent(tracker)
        raw_text = (tracker.latest_message.get("text") or "").strip()
        from_button = raw_text.startswith("/")
        question = _question(tracker)
        topic = intent if intent in TOPICS else None
        region = _region(tracker)
        events: list[EventType] = [SlotSet("region", region)] if region else []
        if not from_button:
            events.append(SlotSet("last_question", question))
        events.append(SlotSet("last_topic", topic))
        if is_sensitive(question):
            _send(dispatcher, handoff_envelope(tracker, reason="sensitive", text=texts.HANDOFF_SENSITIVE, topic=topic))
            return events
        choices = [] if from_button else _topic_choices(tracker)
        if choices:
            buttons = [{"title": TOPIC_LABELS[c], "payload": f"/{c}"} for c in choices]
            _send(dispatcher, Envelope(texts.CLARIFY_TOPIC, "clarify", topic, intent, confidence, buttons=buttons))
            return events
        try:
            found = search_answer(policy_search(), question, topic=topic, region=region)
        except SearchUnavailable:
            logger.exception("search unavailable")
            _send(dispatcher, handoff_envelope(tracker, reason="system", text=texts.HANDOFF_REPEATED, topic=topic))
            return events
        if found is None:
            return events + self._no_answer(dispatcher, tracker, question, topic, intent, confidence, reason="no_hit")
        text, sources, hits = found
        if any(s["region"] not in (None, "全国") for s in sources) and not region:
            text = f"{text}\n（提示：以上为{sources[-1]['region']}的规定；各地政策可能不同，告诉我您所在的地区可获得更准确的答复。）"
        event = "referral" if topic == "other_department" else "answer"
        buttons = feedback_buttons() + related_question_buttons(hits, sources)
        _send(dispatcher, Envelope(text, event, topic, intent, confidence, buttons=buttons, sources=sources))
        return events + [SlotSet("failed_count", 0.0), SlotSet("last_feedback", None)]

    @staticmethod
    def _no_answer(dispatcher: CollectingDispatcher, tracker: Tracker, question: str, topic: str | None, intent: str | None, confidence: float | None, *, reason: str) -> list[EventType]:
        failures = _failures(tracker) + 1
        unanswered = {"question": question, "topic": topic, "reason": reason}
        if failures >= MAX_FAILURES:
            envelope = handoff_envelope(tracker, reason="repeated_failure", text=texts.HANDOFF_REPEATED, topic=topic)
            envelope.unanswered = unanswered
            _send(dispatcher, envelope)
            return [SlotSet("failed_count", 0.0)]
        _send(
            dispatcher,
            Envelope(texts.NO_ANSWER, "fallback", topic, intent, confidence, buttons=[human_button()], unanswered=unanswered),
        )
        return [SlotSet("failed_count", float(failures))]


class ActionFallback(Action):
    """NLU was not confident: still try the index honestly, else say so and offer a person."""

    def name(self) -> str:
        return "action_fallback"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        question = _question(tracker)
        events: list[EventType] = [SlotSet("last_question", question)]
        if is_sensitive(question):
            _send(dispatcher, handoff_envelope(tracker, reason="sensitive", text=texts.HANDOFF_SENSITIVE, topic=None))
            return events
        try:
            found = search_answer(policy_search(), question, topic=None, region=_region(tracker))
        except SearchUnavailable:
            _send(dispatcher, handoff_envelope(tracker, reason="system", text=texts.HANDOFF_REPEATED, topic=None))
            return events
        if found is not None and found[1] and found[1][0]["kind"] in ("interpretation", "faq"):
            text, sources, _ = found
            _send(dispatcher, Envelope(text, "answer", None, "nlu_fallback", None, buttons=feedback_buttons(), sources=sources))
            return events + [SlotSet("failed_count", 0.0)]
        return events + ActionAnswer._no_answer(dispatcher, tracker, question, None, "nlu_fallback", None, reason="low_confidence")


class ActionHandoff(Action):
    """The citizen asked for a person (转人工)."""

    def name(self) -> str:
        return "action_handoff"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        reason = "unhelpful" if tracker.get_slot("last_feedback") == "unhelpful" else "request_human"
        envelope = handoff_envelope(tracker, reason=reason, text=texts.HANDOFF, topic="request_human")
        envelope.topic = "request_human"
        _send(dispatcher, envelope)
        return [SlotSet("failed_count", 0.0), SlotSet("last_feedback", None)]


class ActionFeedback(Action):
    """有帮助 / 没帮助 after an answer; 没帮助 offers a person."""

    def name(self) -> str:
        return "action_feedback"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        intent, confidence = _intent(tracker)
        helpful = intent == "feedback_helpful"
        text = texts.FEEDBACK_THANKS if helpful else texts.FEEDBACK_SORRY
        buttons = [] if helpful else [human_button()]
        envelope = Envelope(text, "feedback", None, intent, confidence, buttons=buttons)
        if not helpful:
            envelope.unanswered = {"question": tracker.get_slot("last_question"), "topic": tracker.get_slot("last_topic"), "reason": "unhelpful"}
        _send(dispatcher, envelope)
        return [SlotSet("last_feedback", "helpful" if helpful else "unhelpful")]


class ActionSmalltalk(Action):
    """Greetings, thanks, goodbye, yes/no: short replies that keep the topic field honest."""

    REPLIES = {"greet": texts.GREET, "goodbye": texts.GOODBYE, "thank": texts.THANK, "affirm": texts.AFFIRM, "deny": texts.DENY}

    def name(self) -> str:
        return "action_smalltalk"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        intent, confidence = _intent(tracker)
        _send(dispatcher, Envelope(self.REPLIES.get(intent or "", texts.GREET), "smalltalk", intent, intent, confidence))
        return []


class ActionOutOfScope(Action):
    """A private legal dispute or unrelated request: a polite boundary and the right hotline."""

    def name(self) -> str:
        return "action_out_of_scope"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        intent, confidence = _intent(tracker)
        _send(dispatcher, Envelope(texts.OUT_OF_SCOPE, "out_of_scope", "out_of_scope", intent, confidence))
        return []


class ActionSetRegion(Action):
    """The citizen told us where they are: remember it and answer the last question again."""

    def name(self) -> str:
        return "action_set_region"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        region = _region(tracker)
        question = str(tracker.get_slot("last_question") or "")
        topic = tracker.get_slot("last_topic")
        events: list[EventType] = [SlotSet("region", region)] if region else []
        if not question:
            _send(dispatcher, Envelope(texts.REGION_SET.format(region=region or "未知"), "smalltalk", None, "inform_region", None))
            return events
        found = search_answer(policy_search(), question, topic=topic, region=region)
        if found is None:
            _send(dispatcher, Envelope(texts.NO_ANSWER, "fallback", topic, "inform_region", None, buttons=[human_button()]))
            return events
        text, sources, _ = found
        _send(dispatcher, Envelope(texts.REGION_SET.format(region=region or "未知") + "\n" + text, "answer", topic, "inform_region", None, buttons=feedback_buttons(), sources=sources))
        return events
