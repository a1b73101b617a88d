"""What one running gateway holds for WeChat: the API client (token cache), the message crypto,
and the background deliveries in flight; plus :func:`deliver_to_wechat` for agents' replies.

Created by the WeChat router's lifespan (after the gateway's own startup) and kept on
``app.state.wechat``; :func:`get_runtime` also creates it on first use, so code running outside
a request (the agent console, a CLI) can deliver messages too.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Coroutine
from typing import Any, TypeVar

from starlette.applications import Starlette

from gateway.settings import Settings
from gateway.store.models import Channel, Conversation
from gateway.wechat.api import WeChatAPI, install_log_redaction
from gateway.wechat.envelope import CallbackCrypto
from gateway.wechat.render import TEXT_LIMIT_BYTES, split_bytes

log = logging.getLogger(__name__)
T = TypeVar("T")

PRUNE_EVERY_SECONDS = 3600.0
DRAIN_SECONDS = 10.0
_create_lock = threading.Lock()


class WeChatRuntime:
    """Per-application WeChat state. Building it does no I/O."""

    def __init__(self, settings: Settings, *, api: WeChatAPI | None = None) -> None:
        self.settings = settings
        install_log_redaction()
        self.api = api or WeChatAPI(
            base_url=settings.wechat_api_base,
            app_id=settings.wechat_app_id,
            app_secret=settings.wechat_app_secret.get_secret_value() if settings.wechat_app_secret else None,
        )
        self._crypto: CallbackCrypto | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._last_prune = 0.0

    @property
    def token(self) -> str:
        """``WECHAT_TOKEN`` (``""`` when not configured: every callback is then refused)."""
        return self.settings.wechat_token.get_secret_value() if self.settings.wechat_token else ""

    def crypto(self) -> CallbackCrypto:
        """The message crypto (built on first safe-mode request; raises ``CryptoNotConfigured``)."""
        if self._crypto is None:
            aes_key = self.settings.wechat_aes_key
            self._crypto = CallbackCrypto(
                token=self.token,
                aes_key=aes_key.get_secret_value() if aes_key else None,
                app_id=self.settings.wechat_app_id,
            )
        return self._crypto

    def spawn(self, coroutine: Coroutine[Any, Any, T]) -> asyncio.Task[T]:
        """Run a bot turn or a background delivery as a task, keeping a reference until it
        finishes (the loop itself keeps only weak ones); shutdown waits for these."""
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    @property
    def pending(self) -> int:
        return len(self._tasks)

    def prune_due(self) -> bool:
        """True about once an hour per process (old inbound rows are then deleted)."""
        now = time.monotonic()
        if now - self._last_prune < PRUNE_EVERY_SECONDS and self._last_prune:
            return False
        self._last_prune = now
        return True

    async def aclose(self, timeout: float = DRAIN_SECONDS) -> None:
        """At shutdown: let turns and deliveries in flight finish (bounded), then close the client."""
        if self._tasks:
            log.info("waiting for %d WeChat turns and deliveries", len(self._tasks))
            _done, late = await asyncio.wait(set(self._tasks), timeout=timeout)
            for task in late:
                task.cancel()
        await asyncio.to_thread(self.api.close)


def get_runtime(app: Starlette) -> WeChatRuntime:
    """The application's WeChat runtime (created from the gateway settings on first use)."""
    runtime: WeChatRuntime | None = getattr(app.state, "wechat", None)
    if runtime is None:
        with _create_lock:
            runtime = getattr(app.state, "wechat", None)
            if runtime is None:
                runtime = WeChatRuntime(app.state.gateway.settings)
                app.state.wechat = runtime
    return runtime


def deliver_to_wechat(app: Starlette, openid: str, text: str) -> int:
    """Send ``text`` to the WeChat user ``openid`` as customer-service message(s) — for agents'
    replies in a WeChat conversation (``conversation.external_user`` is the OpenID).

    Blocking (call it from a sync route or a thread; async code: :func:`adeliver_to_wechat`).
    Text over WeChat's 2048-byte limit is split at line ends into several messages, nothing is
    dropped. Returns the number of messages sent; raises
    :class:`gateway.wechat.api.WeChatAPIError` when WeChat refuses (e.g. errcode 45015: the user
    has not written for 48 hours) or cannot be reached.
    """
    runtime = get_runtime(app)
    pieces = split_bytes(text, TEXT_LIMIT_BYTES)
    for piece in pieces:
        runtime.api.send_text(openid, piece)
    return len(pieces)


async def adeliver_to_wechat(app: Starlette, openid: str, text: str) -> int:
    """:func:`deliver_to_wechat` for async code (runs it in a worker thread)."""
    return await asyncio.to_thread(deliver_to_wechat, app, openid, text)


def deliver_to_conversation(app: Starlette, conversation: Conversation, text: str) -> int:
    """Deliver an agent's reply if ``conversation`` is a WeChat one (returns 0 otherwise: web
    citizens read the transcript themselves)."""
    if conversation.channel != Channel.WECHAT.value or not conversation.external_user:
        return 0
    return deliver_to_wechat(app, conversation.external_user, text)
