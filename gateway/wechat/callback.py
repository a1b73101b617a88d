"""``POST /wechat``: one callback from WeChat's server, answered within WeChat's 5 s limit.

Order of work, and why:
1. the ``signature`` (token, timestamp, nonce) is checked on every request, in constant time —
   403 otherwise; in safe/compatible mode (``encrypt_type=aes``) the body's ``msg_signature`` too;
2. the body is decrypted (safe/compatible) and parsed with wechatpy — 400 with a Chinese detail
   for anything unreadable; nothing raises further;
3. the callback is recorded under its de-duplication key (``MsgId``; events ``FromUserName`` +
   ``CreateTime``). A retry never calls the bot again: it waits (within its own budget) for the
   first delivery's answer and returns it passively, or ``success`` if the answer went out as a
   customer-service message;
4. ``subscribe`` → welcome; other events → ``success``; non-text messages → a request for text;
   text → the shared chat service (an async task, like the web chat's turn);
5. if the answer is ready within ``WECHAT_REPLY_BUDGET_SECONDS`` (4.5 s) it is the passive reply
   (encrypted in safe/compatible mode); otherwise the callback answers ``success`` at once and the
   answer follows through the customer-service API as soon as it is ready.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from fastapi import HTTPException
from fastapi.responses import PlainTextResponse, Response
from sqlalchemy.orm import Session
from wechatpy.messages import BaseMessage
from wechatpy.replies import TextReply

from gateway.conversation import notices
from gateway.state import GatewayState
from gateway.wechat import inbound, texts
from gateway.wechat.api import WeChatAPIError
from gateway.wechat.envelope import CryptoNotConfigured, EnvelopeError, parse
from gateway.wechat.models import Delivery
from gateway.wechat.render import Rendered, split_bytes
from gateway.wechat.runtime import WeChatRuntime
from gateway.wechat.signature import callback_signature_ok, timestamp_fresh
from gateway.wechat.turn import answer_text

log = logging.getLogger(__name__)

SUCCESS = "success"
RETRY_POLL_SECONDS = 0.1
WELCOME_EVENTS = frozenset({"subscribe", "subscribe_scan"})

T = TypeVar("T")


@dataclass(frozen=True)
class CallbackQuery:
    """The query parameters WeChat signs a callback with."""

    signature: str | None
    timestamp: str | None
    nonce: str | None
    encrypt_type: str | None = None
    msg_signature: str | None = None

    @property
    def encrypted(self) -> bool:
        return (self.encrypt_type or "").lower() == "aes"


def verify(runtime: WeChatRuntime, query: CallbackQuery) -> None:
    """403 unless the request carries WeChat's signature for our token, made recently (a
    signed ``timestamp`` further than ``WECHAT_MAX_CLOCK_SKEW_SECONDS`` from now is a replay)."""
    if not runtime.token:
        log.warning("WeChat callback refused: WECHAT_TOKEN is not configured")
        raise HTTPException(403, texts.NOT_CONFIGURED)
    if not callback_signature_ok(runtime.token, signature=query.signature, timestamp=query.timestamp, nonce=query.nonce):
        raise HTTPException(403, texts.BAD_SIGNATURE)
    if not timestamp_fresh(query.timestamp, max_skew_seconds=runtime.settings.wechat_max_clock_skew_seconds):
        log.warning("WeChat callback refused: signed timestamp too far from now (replay or clock skew)")
        raise HTTPException(403, texts.STALE_TIMESTAMP)


class Callback:
    """One ``POST /wechat`` request."""

    def __init__(self, *, runtime: WeChatRuntime, state: GatewayState, query: CallbackQuery, base_url: str | None) -> None:
        self.runtime, self.state, self.query = runtime, state, query
        self.base_url = state.settings.wechat_public_base_url or base_url
        self.deadline = time.monotonic() + state.settings.wechat_reply_budget_seconds

    async def handle(self, body: bytes) -> Response:
        verify(self.runtime, self.query)
        try:
            xml: bytes | str = self._open(body) if self.query.encrypted else body
            message = parse(xml)
        except EnvelopeError as exc:
            log.info("WeChat callback rejected (%s): %s", exc.status_code, exc.detail)
            raise HTTPException(exc.status_code, exc.detail) from exc
        reply = await self._reply(message)
        return self._response(message, reply)

    def _open(self, body: bytes) -> str:
        try:
            crypto = self.runtime.crypto()
        except CryptoNotConfigured as exc:
            log.error("WeChat safe-mode callback refused: %s", exc)
            raise HTTPException(503, texts.CRYPTO_NOT_CONFIGURED) from exc
        return crypto.open(body, msg_signature=self.query.msg_signature, timestamp=self.query.timestamp or "", nonce=self.query.nonce or "")

    def _response(self, message: BaseMessage, reply: str | None) -> Response:
        if not reply:
            return PlainTextResponse(SUCCESS)
        # A CDATA section cannot contain "]]>": split it, as XML allows.
        xml = TextReply(message=message, content=reply.replace("]]>", "]]]]><![CDATA[>")).render()
        if self.query.encrypted:
            xml = self.runtime.crypto().seal(xml, nonce=self.query.nonce or "", timestamp=self.query.timestamp or "")
        return Response(xml, media_type="application/xml")

    async def _db(self, fn: Callable[..., T], **kwargs: Any) -> T:
        """Run ``fn(session, **kwargs)`` on the store's worker threads with its own session."""
        return await self.state.store.run(fn, **kwargs)

    async def _reply(self, message: BaseMessage) -> str | None:
        openid = str(message.source)
        is_event = message.type == "event"
        key = inbound.dedup_key(msg_id=message.id, openid=openid, create_time=message.time, is_event=is_event)
        kind = f"event:{getattr(message, 'event', '')}" if is_event else str(message.type)
        if not await self._db(self._begin, key=key, openid=openid, msg_type=kind):
            return await self._retried(key)
        if is_event:
            event = str(getattr(message, "event", "")).lower()
            reply = texts.welcome(self.state.settings.hotline) if event in WELCOME_EVENTS else None
            return await self._answer_now(key, reply)
        if message.type != "text":
            return await self._answer_now(key, texts.text_only(self.state.settings.hotline))
        if not self.state.session_limiter.allow(f"wechat:{openid}"):
            self.state.metrics.rate_limited.labels("session").inc()
            return await self._answer_now(key, notices.RATE_LIMITED)
        return await self._answer_text(key, openid, str(message.content or ""))

    def _begin(self, db: Session, *, key: str, openid: str, msg_type: str) -> bool:
        first = inbound.begin(db, key=key, openid=openid, msg_type=msg_type)
        if first and self.runtime.prune_due():
            pruned = inbound.prune(db)
            if pruned:
                log.info("pruned %d old WeChat inbound rows", pruned)
        return first

    async def _answer_now(self, key: str, reply: str | None) -> str | None:
        """An answer that needs no bot: record it and reply passively."""

        def record(db: Session) -> None:
            inbound.record_answer(db, key=key, reply=reply, options=[])
            if reply:
                inbound.claim_delivery(db, key=key, via=Delivery.PASSIVE)

        await self._db(record)
        return reply

    async def _answer_text(self, key: str, openid: str, text: str) -> str | None:
        """Ask the chat service; passive reply within the budget, else ``success`` and a
        customer-service message when the answer is ready."""
        turn = answer_text(state=self.state, key=key, openid=openid, text=text, base_url=self.base_url)
        task = self.runtime.spawn(turn)  # runs to the end even when this request gives up waiting
        try:
            rendered = await asyncio.wait_for(asyncio.shield(task), timeout=max(self.deadline - time.monotonic(), 0))
        except asyncio.TimeoutError:
            log.info("WeChat message %s: answer not ready within the budget, will send it as a CS message", key)
            self.runtime.spawn(self._deliver_later(task, key, openid))
            return None
        if not rendered.text:
            return None
        if await self._db(inbound.claim_delivery, key=key, via=Delivery.PASSIVE):
            return rendered.text
        return None

    async def _deliver_later(self, task: asyncio.Future[Rendered], key: str, openid: str) -> None:
        """Send the answer through the customer-service API once it is ready (at most once)."""
        try:
            rendered = await task
            if not rendered.text or not await self._db(inbound.claim_delivery, key=key, via=Delivery.CUSTOM):
                return
            for piece in split_bytes(rendered.text):
                await asyncio.to_thread(self.runtime.api.send_text, openid, piece)
            log.info("WeChat message %s: answer delivered as a CS message", key)
        except WeChatAPIError as exc:
            log.warning("WeChat message %s: CS delivery failed (errcode %s)", key, exc.errcode)
        except Exception:
            log.exception("WeChat message %s: CS delivery failed", key)

    async def _retried(self, key: str) -> str | None:
        """A retry: never ask the bot again. Return the answer passively once it is ready
        (unless it went out as a CS message), within this request's own budget."""
        while True:
            seen = await self._db(inbound.seen, key=key)
            if seen is None:  # pruned long ago: nothing sensible to repeat
                return None
            if seen.answered:
                if not seen.reply or seen.delivered_via == Delivery.CUSTOM:
                    return None
                ok = await self._db(inbound.claim_delivery, key=key, via=Delivery.PASSIVE)
                return seen.reply if ok else None
            if time.monotonic() + RETRY_POLL_SECONDS >= self.deadline:
                return None  # the first delivery will send it as a CS message
            await asyncio.sleep(RETRY_POLL_SECONDS)
