"""The one table of the WeChat channel: every callback WeChat delivered, by its de-duplication key.

Why a table and not an in-process cache: WeChat retries a callback it got no answer for within
5 s (three times), and a retry may reach another replica or a restarted process; a row keyed by
``MsgId`` (events: ``FromUserName`` + ``CreateTime``) with a unique constraint is the one place
all replicas agree on "seen". The row also keeps the rendered answer (so a retry after the
answer is ready can return it passively), how it was delivered (``passive``/``custom``, claimed
with a compare-and-set so an answer goes out once), and the numbered options that answer showed
(so a reply ``1`` maps back to the button's payload). No citizen text is stored here; rows are
pruned after :data:`RETENTION_HOURS`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from gateway.store.base import Base, UTCDateTime, utcnow

RETENTION_HOURS = 48
"""WeChat's customer-service window is 48 h; older rows (and their options) are not needed."""


class InboundStatus:
    PROCESSING = "processing"
    ANSWERED = "answered"


class Delivery:
    PASSIVE = "passive"
    CUSTOM = "custom"


class WeChatInbound(Base):
    """One callback from WeChat (message or event) and what we answered."""

    __tablename__ = "wechat_inbound"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dedup_key: Mapped[str] = mapped_column(String(160), unique=True)
    openid: Mapped[str] = mapped_column(String(64), index=True)
    msg_type: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default=InboundStatus.PROCESSING)
    reply: Mapped[str | None] = mapped_column(Text)
    options: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    delivered_via: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    answered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
