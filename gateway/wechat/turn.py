"""One WeChat text message through the shared chat service (async, like the web chat's turn).

WeChat users are identified by OpenID: each OpenID has one conversation with channel ``wechat``
(``conversations.external_user``), found or started here and then handled by exactly the same
:func:`~gateway.conversation.service.handle_chat` as the web chat — same store, state machine,
handoff, PII masking and Rasa call. A reply that is only a number (``1``, ``２``) picks the
numbered option the previous answer showed and is sent as that button's payload.
"""

from __future__ import annotations

import logging
import unicodedata
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.conversation.inputs import InputRejected
from gateway.conversation.service import handle_chat
from gateway.conversation.sessions import start_conversation
from gateway.state import GatewayState
from gateway.store.models import Channel, Conversation
from gateway.wechat import inbound, texts
from gateway.wechat.render import Rendered, render_messages

log = logging.getLogger(__name__)


def conversation_for(db: Session, openid: str) -> Conversation:
    """The OpenID's conversation (the oldest, should two have been started at once), or a new
    one (committed, so concurrent messages find it)."""
    existing = db.scalars(
        select(Conversation)
        .where(Conversation.channel == Channel.WECHAT.value, Conversation.external_user == openid)
        .order_by(Conversation.id)
        .limit(1)
    ).first()
    if existing is not None:
        return existing
    conversation = start_conversation(db, channel=Channel.WECHAT, external_user=openid)
    db.commit()
    log.info("conversation %s: new WeChat user", conversation.id)
    return conversation


def chosen_payload(text: str, options: list[dict[str, str]]) -> str | None:
    """The payload of option ``text`` (``"1"``…, full-width digits too), or ``None``."""
    choice = unicodedata.normalize("NFKC", text).strip()
    if not choice.isdigit() or not options:
        return None
    index = int(choice)
    return options[index - 1]["payload"] if 1 <= index <= len(options) else None


def conversation_and_options(db: Session, *, openid: str, exclude_key: str) -> tuple[str, list[dict[str, Any]]]:
    """The OpenID's conversation's session id and the numbered options its last answer showed."""
    conversation = conversation_for(db, openid)
    return conversation.session_id, inbound.last_options(db, openid=openid, exclude_key=exclude_key)


async def answer_text(*, state: GatewayState, key: str, openid: str, text: str, base_url: str | None) -> Rendered:
    """The rendered answer to one text message; also recorded on the inbound row, so retries
    and the delivery step can read it. Never raises for the turn itself: an unexpected failure
    becomes an apology with the hotline (the chat service already turns bot outages into a
    handoff)."""
    settings = state.settings
    rendered: Rendered
    try:
        session_id, options = await state.store.run(conversation_and_options, openid=openid, exclude_key=key)
        payload = chosen_payload(text, options)
        try:
            outcome = await handle_chat(
                store=state.store,
                bot=state.bot,
                metrics=state.metrics,
                session_id=session_id,
                text=None if payload else text,
                payload=payload,
                max_chars=settings.max_message_chars,
                hotline=settings.hotline,
                channel=Channel.WECHAT.value,
            )
            rendered = render_messages(outcome.messages, base_url=base_url)
        except InputRejected as exc:  # empty or too long: tell the citizen, as the web API does
            rendered = Rendered(exc.detail)
    except Exception:
        log.exception("WeChat message %s could not be handled", key)
        rendered = Rendered(texts.failed(settings.hotline))
    await state.store.run(inbound.record_answer, key=key, reply=rendered.text or None, options=rendered.options)
    return rendered
