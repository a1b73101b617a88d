"""Interpretation drafts written in the review page: validated like the knowledge base's own
entries (:func:`knowledge_base.validator.check_entry` — cited article keys exist, current, of an
applicable region; every number in the answer appears in a cited article), saved as ``draft``,
approved by another reviewer or admin than its author (validated again), and exported as YAML in the format of
``knowledge_base/interpretations/*.yml`` so they can be committed after review.

Texts are masked when saved and again when exported: a reviewer who pastes a citizen's question
cannot leak an ID, phone or card number into the published knowledge base.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import yaml  # type: ignore[import-untyped]
from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.audit import record_audit
from gateway.content.library import ContentLibrary
from gateway.privacy import mask_pii
from gateway.review.questions import mark_handled
from gateway.service_errors import ServiceError
from gateway.store.base import utcnow
from gateway.store.models import DraftStatus, InterpretationDraft, User
from knowledge_base.keys import normalize_key
from knowledge_base.models import Interpretation
from knowledge_base.validator import KINDS, check_entry

MAX_TEXT = 4000
MAX_ITEMS = 30


@dataclass(frozen=True)
class DraftInput:
    """The review form: question, other phrasings, answer, cited article keys, topic, region."""

    question: str
    phrasings: tuple[str, ...]
    answer: str
    cites: tuple[str, ...]
    topic: str
    region: str = "全国"
    kind: str = "interpretation"


def clean_input(data: DraftInput) -> DraftInput:
    """Trim, mask personal data, normalise article keys (no 《》, no leading 中华人民共和国)."""
    phrasings = tuple(dict.fromkeys(mask_pii(p.strip()) for p in data.phrasings if p.strip()))
    cites = tuple(normalize_key(re.sub(r"[《》〈〉\s]", "", c)) for c in data.cites if c.strip())
    for text in (data.question, data.answer, *data.phrasings):
        if len(text) > MAX_TEXT:
            raise ServiceError(413, f"内容过长：每项请控制在{MAX_TEXT}个字以内。")
    if len(phrasings) > MAX_ITEMS or len(cites) > MAX_ITEMS:
        raise ServiceError(422, f"问法和引用条文各不超过{MAX_ITEMS}条。")
    return DraftInput(
        question=mask_pii(data.question.strip()),
        phrasings=phrasings,
        answer=mask_pii(data.answer.strip()),
        cites=cites,
        topic=data.topic.strip(),
        region=data.region.strip() or "全国",
        kind=data.kind.strip() or "interpretation",
    )


def _as_entry(data: DraftInput, *, entry_id: str, created: str, updated: str, status: str) -> Interpretation:
    return Interpretation(
        entry_id=entry_id,
        topic=data.topic,
        kind=data.kind,
        question=data.question,
        phrasings=data.phrasings,
        answer=data.answer,
        cites=data.cites,
        external_refs=(),
        region=data.region,
        status=status,
        source_type="curated",
        created=created,
        updated=updated,
        file="review",
    )


_MESSAGES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"unknown article key '([^']*)'"), "引用的条文不存在：{0}"),
    (re.compile(r"number\(s\) (.+) not found in the cited article text"), "答案中的数字 {0} 在所引条文中找不到"),
    (re.compile(r"states numbers (.+) but cites no article"), "答案中有数字 {0}，但没有引用能支持它们的条文"),
    (re.compile(r"cites '([^']*)' of an expired text \((.+)\)"), "引用的条文所在文件{1}，不能作为现行依据：{0}"),
    (re.compile(r"cites '([^']*)' of (.+) but the entry's region is (.+)"), "引用了{1}的条文 {0}，但解读的适用地区是{2}"),
    (re.compile(r"unknown topic '([^']*)'"), "未知的主题：{0}"),
    (re.compile(r"unknown region '([^']*)'"), "未知的地区：{0}"),
    (re.compile(r"kind must be one of"), "类型只能是政策解读（interpretation）或常见问答（faq）"),
    (re.compile(r"needs at least 2 alternate phrasings"), "至少需要填写2种其他问法"),
    (re.compile(r"question is empty"), "问题不能为空"),
    (re.compile(r"answer is empty"), "答案不能为空"),
    (re.compile(r"an interpretation must cite article keys"), "政策解读必须引用至少一条条文"),
    (re.compile(r"cites the same article twice"), "同一条文被引用了两次"),
]


def chinese_problem(message: str) -> str:
    """The validator's message for a reviewer, in Chinese (unknown ones as they are)."""
    message = re.sub(r"^entry [^:]+: ", "", message)
    for pattern, template in _MESSAGES:
        match = pattern.search(message)
        if match:
            return template.format(*match.groups())
    return message


def validate(
    data: DraftInput, *, entry_id: str, library: ContentLibrary, keys: Mapping[str, Any], created: str | None = None
) -> list[str]:
    """Chinese problems of the draft against the official texts (empty when it is valid)."""
    today = dt.date.today().isoformat()
    entry = _as_entry(data, entry_id=entry_id, created=created or today, updated=today, status="draft")
    return [chinese_problem(p.message) for p in check_entry(entry, library, dict(keys))]  # type: ignore[arg-type]


def _new_entry_id(topic: str) -> str:
    prefix = re.sub(r"[^a-z0-9]+", "-", topic.lower()).strip("-")[:40] or "review"
    return f"review-{prefix}-{dt.date.today():%Y%m%d}-{secrets.token_hex(3)}"


def draft_view(draft: InterpretationDraft) -> dict[str, Any]:
    return {
        "id": draft.id,
        "entry_id": draft.entry_id,
        "topic": draft.topic,
        "kind": draft.kind,
        "question": mask_pii(draft.question),
        "phrasings": [mask_pii(p) for p in draft.phrasings],
        "answer": mask_pii(draft.answer),
        "cites": list(draft.cites),
        "region": draft.region,
        "status": draft.status,
        "created_by_id": draft.created_by_id,
        "approved_by_id": draft.approved_by_id,
        "created_at": draft.created_at.isoformat(),
        "approved_at": draft.approved_at.isoformat() if draft.approved_at else None,
    }


def create_draft(
    db: Session,
    *,
    reviewer: User,
    data: DraftInput,
    library: ContentLibrary,
    keys: Mapping[str, Any],
    unanswered_ids: list[int] | None = None,
    feedback_ids: list[int] | None = None,
) -> InterpretationDraft:
    """Validate and save a draft; ``422`` with ``problems`` when it does not pass. Questions it
    answers (``unanswered_ids``/``feedback_ids``) are marked handled and linked to it."""
    if data.kind not in KINDS:
        raise ServiceError(422, "解读草稿未通过校验。", problems=[chinese_problem("kind must be one of")])
    data = clean_input(data)
    entry_id = _new_entry_id(data.topic)
    problems = validate(data, entry_id=entry_id, library=library, keys=keys)
    if problems:
        raise ServiceError(422, "解读草稿未通过校验。", problems=problems)
    draft = InterpretationDraft(
        entry_id=entry_id,
        topic=data.topic,
        kind=data.kind,
        question=data.question,
        phrasings=list(data.phrasings),
        answer=data.answer,
        cites=list(data.cites),
        region=data.region,
        status=DraftStatus.DRAFT.value,
        created_by_id=reviewer.id,
    )
    db.add(draft)
    db.flush()
    record_audit(
        db,
        actor_id=reviewer.id,
        action="review.draft_create",
        detail={"draft_id": draft.id, "entry_id": entry_id, "topic": data.topic, "cites": list(data.cites)},
    )
    if unanswered_ids or feedback_ids:
        mark_handled(
            db,
            reviewer=reviewer,
            unanswered_ids=list(unanswered_ids or []),
            feedback_ids=list(feedback_ids or []),
            interpretation_id=entry_id,
        )
    db.commit()
    return draft


def _stored_input(draft: InterpretationDraft) -> DraftInput:
    return DraftInput(
        question=draft.question,
        phrasings=tuple(draft.phrasings),
        answer=draft.answer,
        cites=tuple(draft.cites),
        topic=draft.topic,
        region=draft.region,
        kind=draft.kind,
    )


def approve_draft(
    db: Session, *, reviewer: User, draft_id: int, library: ContentLibrary, keys: Mapping[str, Any]
) -> InterpretationDraft:
    """Approve a draft after validating it again (the official texts may have changed).

    Four eyes: the approver must be another user than the draft's author (admins included), so
    no single account can put an answer into the knowledge base on its own — 403 otherwise."""
    draft = db.get(InterpretationDraft, draft_id)
    if draft is None:
        raise ServiceError(404, "解读草稿不存在。")
    if draft.status != DraftStatus.DRAFT.value:
        raise ServiceError(409, "该解读已审核通过。")
    if draft.created_by_id == reviewer.id:
        raise ServiceError(403, "不能审核通过自己撰写的解读，请由另一位审核人员审核。")
    problems = validate(
        _stored_input(draft), entry_id=draft.entry_id, library=library, keys=keys, created=draft.created_at.date().isoformat()
    )
    if problems:
        raise ServiceError(422, "解读草稿未通过校验。", problems=problems)
    draft.status, draft.approved_by_id, draft.approved_at = DraftStatus.APPROVED.value, reviewer.id, utcnow()
    record_audit(db, actor_id=reviewer.id, action="review.draft_approve", detail={"draft_id": draft.id, "entry_id": draft.entry_id})
    db.commit()
    return draft


def list_drafts(db: Session, *, status: str | None = None) -> list[dict[str, Any]]:
    query = select(InterpretationDraft).order_by(InterpretationDraft.id.desc())
    if status:
        query = query.where(InterpretationDraft.status == status)
    return [draft_view(d) for d in db.scalars(query)]


def export_yaml(db: Session, *, reviewer: User) -> str:
    """Approved drafts as a ``knowledge_base/interpretations`` YAML file (masked)."""
    drafts = db.scalars(
        select(InterpretationDraft).where(InterpretationDraft.status == DraftStatus.APPROVED.value).order_by(InterpretationDraft.id)
    ).all()
    entries = [
        {
            "id": d.entry_id,
            "topic": d.topic,
            "kind": d.kind,
            "question": mask_pii(d.question),
            "phrasings": [mask_pii(p) for p in d.phrasings],
            "answer": mask_pii(d.answer),
            "cites": list(d.cites),
            "external_refs": [],
            "region": d.region,
            "status": "approved",
            "source_type": "curated",
            "created": d.created_at.date().isoformat(),
            "updated": (d.approved_at or d.updated_at).date().isoformat(),
        }
        for d in drafts
    ]
    record_audit(db, actor_id=reviewer.id, action="review.export_yaml", detail={"entries": len(entries)})
    db.commit()
    header = (
        "# Interpretations approved in the gateway's review page (personal data masked).\n"
        "# Check with `make kb-check`, then add them to knowledge_base/interpretations/<topic>.yml.\n"
    )
    body = yaml.safe_dump(entries, allow_unicode=True, sort_keys=False, width=1000) if entries else "[]\n"
    return header + body
