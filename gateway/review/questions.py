"""The questions staff review — unanswered questions and 没帮助 feedback — grouped, marked as
handled, and exported as CSV. Only masked text is read: ``unanswered_questions.question_masked``
and, for feedback, the masked copy of the citizen's question before the unhelpful answer."""

from __future__ import annotations

import csv
import io
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.audit import record_audit
from gateway.privacy import mask_pii
from gateway.review.grouping import ReviewItem, group_items
from gateway.service_errors import ServiceError
from gateway.store.base import utcnow
from gateway.store.models import (
    Feedback,
    FeedbackStatus,
    Message,
    SenderRole,
    UnansweredQuestion,
    UnansweredStatus,
    User,
)
from knowledge_base.topics import TOPIC_LABELS

MAX_ITEMS = 5000
STATUSES = ("open", "handled")


def _feedback_question(db: Session, feedback: Feedback) -> str:
    """The citizen's (masked) question the unhelpful answer was about."""
    query = select(Message.text_masked).where(
        Message.conversation_id == feedback.conversation_id, Message.sender == SenderRole.CITIZEN.value
    )
    if feedback.message_id is not None:
        query = query.where(Message.id < feedback.message_id)
    else:
        query = query.where(Message.created_at <= feedback.created_at)
    free_text = db.scalars(query.where(Message.payload.is_(None)).order_by(Message.id.desc()).limit(1)).first()
    return free_text or ""


def collect_items(db: Session, *, status: str = "open", topic: str | None = None) -> list[ReviewItem]:
    """Unanswered questions and unhelpful feedback that are ``open`` or already ``handled``."""
    if status not in STATUSES:
        raise ServiceError(422, "状态只能是 open 或 handled。")
    unanswered = select(UnansweredQuestion).order_by(UnansweredQuestion.id.desc()).limit(MAX_ITEMS)
    feedback = select(Feedback).where(Feedback.helpful.is_(False)).order_by(Feedback.id.desc()).limit(MAX_ITEMS)
    if status == "open":
        unanswered = unanswered.where(UnansweredQuestion.status == UnansweredStatus.OPEN.value)
        feedback = feedback.where(Feedback.status == FeedbackStatus.OPEN.value)
    else:
        unanswered = unanswered.where(UnansweredQuestion.status != UnansweredStatus.OPEN.value)
        feedback = feedback.where(Feedback.status == FeedbackStatus.HANDLED.value)
    if topic:
        unanswered = unanswered.where(UnansweredQuestion.topic == topic)
        feedback = feedback.where(Feedback.topic == topic)
    items = [
        ReviewItem("unanswered", row.id, mask_pii(row.question_masked), row.topic, row.created_at)
        for row in db.scalars(unanswered)
    ]
    for row in db.scalars(feedback):
        question = _feedback_question(db, row)
        if question:
            items.append(ReviewItem("unhelpful", row.id, mask_pii(question), row.topic, row.created_at))
    return items


def question_groups(db: Session, *, status: str = "open", topic: str | None = None) -> dict[str, Any]:
    """Grouped questions, most frequent first, with totals."""
    items = collect_items(db, status=status, topic=topic)
    groups = group_items(items)
    return {
        "status": status,
        "total": len(items),
        "unanswered_total": sum(1 for i in items if i.kind == "unanswered"),
        "unhelpful_total": sum(1 for i in items if i.kind == "unhelpful"),
        "groups": groups,
    }


def mark_handled(
    db: Session,
    *,
    reviewer: User,
    unanswered_ids: list[int],
    feedback_ids: list[int],
    interpretation_id: str | None = None,
) -> dict[str, int]:
    """Mark questions as handled (answered by ``interpretation_id`` when given)."""
    if not unanswered_ids and not feedback_ids:
        raise ServiceError(422, "请选择要标记为已处理的问题。")
    now = utcnow()
    questions = db.scalars(select(UnansweredQuestion).where(UnansweredQuestion.id.in_(unanswered_ids))).all()
    for question in questions:
        question.status = UnansweredStatus.ANSWERED.value
        question.answered_at, question.answered_by_id = now, reviewer.id
        if interpretation_id:
            question.interpretation_id = interpretation_id
    feedback = db.scalars(select(Feedback).where(Feedback.id.in_(feedback_ids))).all()
    for row in feedback:
        row.status, row.handled_at, row.handled_by_id = FeedbackStatus.HANDLED.value, now, reviewer.id
    counts = {"unanswered": len(questions), "feedback": len(feedback)}
    record_audit(
        db,
        actor_id=reviewer.id,
        action="review.mark_handled",
        detail={
            **counts,
            "unanswered_ids": [q.id for q in questions],
            "feedback_ids": [f.id for f in feedback],
            "interpretation_id": interpretation_id,
        },
    )
    db.flush()
    return counts


def _cell(value: object) -> str:
    """A CSV cell that spreadsheets will not run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def unanswered_csv(db: Session, *, reviewer: User, status: str | None = None) -> str:
    """Every unanswered question (masked) as CSV with a BOM (spreadsheets read it as UTF-8)."""
    query = select(UnansweredQuestion).order_by(UnansweredQuestion.id)
    if status:
        query = query.where(UnansweredQuestion.status == status)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["编号", "时间", "状态", "主题", "主题名称", "原因", "问题（已脱敏）", "对应解读"])
    count = 0
    for row in db.scalars(query):
        writer.writerow(
            [
                _cell(row.id),
                _cell(row.created_at.isoformat()),
                _cell(row.status),
                _cell(row.topic),
                _cell(TOPIC_LABELS.get(row.topic or "", "")),
                _cell(row.reason),
                _cell(mask_pii(row.question_masked)),
                _cell(row.interpretation_id),
            ]
        )
        count += 1
    record_audit(db, actor_id=reviewer.id, action="review.export_csv", detail={"rows": count, "status": status})
    db.commit()
    return "\ufeff" + out.getvalue()
