"""De-duplication of WeChat's retries and exactly-once delivery of each answer (sync, one
session per call; the async callback runs these in a worker thread).

Keys: ``msg:<MsgId>`` for messages, ``evt:<FromUserName>:<CreateTime>`` for events (and for
messages without an id), as WeChat recommends.

Delivery is claimed with a compare-and-set ``UPDATE`` on ``delivered_via``: a passive reply may be
given again (a retry means WeChat lost the previous response), but once the customer-service API
has been chosen nobody answers passively, and the CS message is sent at most once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gateway.store.base import utcnow
from gateway.wechat.models import RETENTION_HOURS, Delivery, InboundStatus, WeChatInbound


def dedup_key(*, msg_id: int | None, openid: str, create_time: int | None, is_event: bool) -> str:
    """The key WeChat's retries of one callback share."""
    if msg_id and not is_event:
        return f"msg:{msg_id}"
    return f"evt:{openid}:{create_time or 0}"


@dataclass(frozen=True)
class Seen:
    """The state of an earlier delivery of the same callback."""

    status: str
    reply: str | None
    delivered_via: str | None

    @property
    def answered(self) -> bool:
        return self.status == InboundStatus.ANSWERED


def begin(db: Session, *, key: str, openid: str, msg_type: str) -> bool:
    """Record the callback; ``True`` the first time, ``False`` for a retry (the unique key)."""
    db.add(WeChatInbound(dedup_key=key, openid=openid[:64], msg_type=msg_type[:32]))
    try:
        db.commit()
    except IntegrityError:
        db.rollback()
        return False
    return True


def seen(db: Session, key: str) -> Seen | None:
    row = db.execute(
        select(WeChatInbound.status, WeChatInbound.reply, WeChatInbound.delivered_via).where(WeChatInbound.dedup_key == key)
    ).first()
    return None if row is None else Seen(status=row.status, reply=row.reply, delivered_via=row.delivered_via)


def record_answer(db: Session, *, key: str, reply: str | None, options: list[dict[str, Any]]) -> None:
    """The answer is ready (whoever delivers it); ``None`` means ``success`` (nothing shown)."""
    db.execute(
        update(WeChatInbound)
        .where(WeChatInbound.dedup_key == key)
        .values(status=InboundStatus.ANSWERED, reply=reply, options=options, answered_at=utcnow())
    )
    db.commit()


def claim_delivery(db: Session, *, key: str, via: str) -> bool:
    """Compare-and-set the delivery channel. ``passive`` succeeds unless the CS API was chosen
    (a repeated passive reply is harmless: WeChat shows the one it receives); ``custom``
    succeeds only if nothing was delivered yet."""
    condition: ColumnElement[bool] = WeChatInbound.delivered_via.is_(None)
    if via == Delivery.PASSIVE:
        condition = or_(condition, WeChatInbound.delivered_via == Delivery.PASSIVE)
    result = db.execute(update(WeChatInbound).where(WeChatInbound.dedup_key == key, condition).values(delivered_via=via))
    db.commit()
    return bool(result.rowcount)  # type: ignore[attr-defined]


def last_options(db: Session, *, openid: str, exclude_key: str) -> list[dict[str, Any]]:
    """The numbered options of the latest answer this user got (``[]`` if it showed none)."""
    options = db.scalars(
        select(WeChatInbound.options)
        .where(
            WeChatInbound.openid == openid,
            WeChatInbound.status == InboundStatus.ANSWERED,
            WeChatInbound.dedup_key != exclude_key,
            WeChatInbound.reply.is_not(None),  # events answered ``success`` showed nothing
        )
        .order_by(WeChatInbound.answered_at.desc(), WeChatInbound.id.desc())
        .limit(1)
    ).first()
    return list(options or [])


def prune(db: Session, *, now: dt.datetime | None = None) -> int:
    """Delete rows older than the retention window; returns how many."""
    cutoff = (now or utcnow()) - dt.timedelta(hours=RETENTION_HOURS)
    result = db.execute(delete(WeChatInbound).where(WeChatInbound.created_at < cutoff))
    db.commit()
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
