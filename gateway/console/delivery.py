"""Deliver what an agent sends to the citizen's channel.

* web: nothing to push — the message is in the database and the citizen's event stream
  (``GET /api/chat/{session_id}/events``) reads it within a second, on any replica;
* WeChat: WeChat's passive reply window is long gone when an agent answers, so the message goes
  out as a customer-service message through the WeChat module's delivery function.

:func:`deliver_to_wechat_hook` is the one place that connects the console to the WeChat module:
it calls :func:`gateway.wechat.runtime.deliver_to_wechat` (blocking; our routes are sync). If the
WeChat module is absent or WeChat refuses (e.g. the citizen has not written for 48 hours), the
message stays stored and the result tells the agent it was not pushed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.types import ASGIApp

from gateway.store.models import Channel, Conversation, Message

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Delivery:
    """How a message reached (or did not reach) the citizen."""

    channel: str
    pushed: bool
    detail: str

    def as_dict(self) -> dict[str, Any]:
        return {"channel": self.channel, "pushed": self.pushed, "detail": self.detail}


def _wechat_function() -> Callable[..., Any] | None:
    """The WeChat module's delivery function, if the module is installed."""
    try:
        from gateway.wechat.runtime import deliver_to_wechat
    except ImportError:
        return None
    return deliver_to_wechat


def deliver_to_wechat_hook(*, app: ASGIApp, conversation: Conversation, message: Message) -> Delivery:
    """Send ``message`` to the WeChat user of ``conversation`` (see the module docstring)."""
    function = _wechat_function()
    if function is None or not conversation.external_user:
        log.warning("conversation %s: WeChat delivery is not available; message %s stays stored", conversation.id, message.id)
        return Delivery(Channel.WECHAT.value, False, "微信发送模块未启用，消息已保存。")
    try:
        function(app, conversation.external_user, message.text)
    except Exception as exc:  # the reply is stored; the agent is told it did not go out
        log.error("conversation %s: WeChat delivery failed: %s", conversation.id, exc.__class__.__name__)
        return Delivery(Channel.WECHAT.value, False, "微信消息发送失败（市民超过48小时未留言时微信不允许推送），请电话联系市民。")
    return Delivery(Channel.WECHAT.value, True, "已通过微信客服消息发送。")


def deliver(*, app: ASGIApp, conversation: Conversation, message: Message) -> Delivery:
    """Push ``message`` to the citizen's channel (after it was committed)."""
    if conversation.channel == Channel.WECHAT.value:
        return deliver_to_wechat_hook(app=app, conversation=conversation, message=message)
    return Delivery(conversation.channel, True, "已实时推送到网页。")
