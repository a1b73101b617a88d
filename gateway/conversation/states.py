"""The conversation state machine: ONE explicit transition table, ONE function that applies it.

Why: bot and human ownership must be mutually exclusive (the bot never answers a conversation a
human owns), and every place that changes ownership — the chat API, the WeChat callback, the agent
console, timeouts — must agree on what is allowed. So statuses change only through
:func:`transition`, which raises :class:`IllegalTransition` for any move not in :data:`TRANSITIONS`.

::

    bot ──request_agent──▶ waiting_agent ──agent_claims──▶ with_agent ──close──▶ closed
     ▲                      │    ▲                           │    │                  │
     ├──────cancel──────────┘    └─────────requeue───────────┘    │                  │
     ├──────────────────────────hand_back─────────────────────────┘                  │
     └──────────────────────────reopen───────────────────────────────────────────────┘
    (waiting_agent and bot may also be closed directly: abandoned or ended conversations)
"""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    """Who owns the conversation now (contract 3 ``status``)."""

    BOT = "bot"
    WAITING_AGENT = "waiting_agent"
    WITH_AGENT = "with_agent"
    CLOSED = "closed"


class Event(StrEnum):
    """What happened to the conversation."""

    REQUEST_AGENT = "request_agent"  # the bot hands off (转人工, repeated failure, system down)
    AGENT_CLAIMS = "agent_claims"  # an agent takes the waiting conversation
    REQUEUE = "requeue"  # the agent puts it back in the queue
    HAND_BACK = "hand_back"  # the agent returns the citizen to the bot
    CANCEL = "cancel"  # the citizen (or staff) withdraws the handoff before anyone claims it
    CLOSE = "close"  # the conversation ends
    REOPEN = "reopen"  # the citizen writes again after it was closed


TRANSITIONS: dict[tuple[Status, Event], Status] = {
    (Status.BOT, Event.REQUEST_AGENT): Status.WAITING_AGENT,
    (Status.BOT, Event.CLOSE): Status.CLOSED,
    (Status.WAITING_AGENT, Event.AGENT_CLAIMS): Status.WITH_AGENT,
    (Status.WAITING_AGENT, Event.CANCEL): Status.BOT,
    (Status.WAITING_AGENT, Event.CLOSE): Status.CLOSED,
    (Status.WITH_AGENT, Event.REQUEUE): Status.WAITING_AGENT,
    (Status.WITH_AGENT, Event.HAND_BACK): Status.BOT,
    (Status.WITH_AGENT, Event.CLOSE): Status.CLOSED,
    (Status.CLOSED, Event.REOPEN): Status.BOT,
}
"""The only legal moves: (current status, event) → next status."""

BOT_ANSWERS: frozenset[Status] = frozenset({Status.BOT})
"""Statuses in which citizen messages are sent to the bot (all others: stored for the agent)."""

HUMAN_QUEUE: frozenset[Status] = frozenset({Status.WAITING_AGENT, Status.WITH_AGENT})


class IllegalTransition(ValueError):
    """A status change that the transition table does not allow."""

    def __init__(self, current: str, event: str) -> None:
        super().__init__(f"illegal transition: {event!r} from status {current!r}")
        self.current, self.event = current, event


def transition(current: Status | str, event: Event | str) -> Status:
    """The status after ``event`` happens in ``current``; raises :class:`IllegalTransition`."""
    try:
        key = (Status(current), Event(event))
    except ValueError as exc:
        raise IllegalTransition(str(current), str(event)) from exc
    try:
        return TRANSITIONS[key]
    except KeyError:
        raise IllegalTransition(key[0].value, key[1].value) from None


def allowed_events(current: Status | str) -> list[Event]:
    """Events legal in ``current`` (for the agent console's buttons)."""
    status = Status(current)
    return [event for (state, event) in TRANSITIONS if state == status]
