"""The audit trail of staff actions (login, claim, reply, close, review, export).

Every agent, reviewer and admin action goes through :func:`record_audit`. ``detail`` must never
hold raw personal data: callers pass ids, counts and lengths, and any free text is masked here
once more as a safety net.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from gateway.privacy import mask_pii
from gateway.store.models import AuditEvent


def _masked(value: Any) -> Any:
    if isinstance(value, str):
        return mask_pii(value)
    if isinstance(value, list):
        return [_masked(v) for v in value]
    if isinstance(value, dict):
        return {k: _masked(v) for k, v in value.items()}
    return value


def record_audit(
    db: Session,
    *,
    actor_id: int | None,
    action: str,
    conversation_id: int | None = None,
    ticket_id: int | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add one audit event (flushed with the caller's transaction, not committed here)."""
    event = AuditEvent(
        actor_id=actor_id,
        action=action,
        conversation_id=conversation_id,
        ticket_id=ticket_id,
        detail=_masked(detail or {}),
    )
    db.add(event)
    return event
