"""Staff review: ``GET /review`` (page), its JSON API under ``/api/review``, and the exports
``GET /review/export.yml`` (approved interpretations, knowledge-base YAML) and
``GET /review/unanswered.csv``. Roles reviewer and admin; everything shown or exported is masked."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, Field

from gateway.auth.guards import ReviewLogin, ReviewPage, ReviewWrite
from gateway.console.search import filter_options
from gateway.dependencies import DbDep, LibraryDep, StateDep
from gateway.review import drafts as draft_service
from gateway.review.questions import mark_handled, question_groups, unanswered_csv
from gateway.service_errors import ServiceError
from gateway.store.models import DraftStatus

router = APIRouter(tags=["review"])
api = APIRouter(prefix="/api/review", tags=["review"])

ROLE_LABELS = {"agent": "坐席", "reviewer": "审核员", "admin": "管理员"}


class HandledBody(BaseModel):
    unanswered_ids: list[int] = Field(default_factory=list, max_length=5000)
    feedback_ids: list[int] = Field(default_factory=list, max_length=5000)


class DraftBody(BaseModel):
    question: str = Field(max_length=4000)
    phrasings: list[str] = Field(default_factory=list, max_length=50)
    answer: str = Field(max_length=8000)
    cites: list[str] = Field(default_factory=list, max_length=50)
    topic: str = Field(max_length=64)
    region: str = Field(default="全国", max_length=32)
    kind: str = Field(default="interpretation", max_length=20)
    unanswered_ids: list[int] = Field(default_factory=list, max_length=5000)
    feedback_ids: list[int] = Field(default_factory=list, max_length=5000)


def _keys(state: StateDep) -> dict[str, Any]:
    keys = state.article_keys()
    if keys is None:
        raise ServiceError(503, "政策文件库暂时无法使用，请稍后再试。")
    return keys


@router.get("/review", response_class=HTMLResponse, include_in_schema=False)
def review_page(request: Request, state: StateDep, login: ReviewPage) -> HTMLResponse:
    return state.templates.TemplateResponse(
        request,
        "review.html",
        {
            "user": login.user,
            "role_label": ROLE_LABELS.get(login.user.role, login.user.role),
            "csrf_token": login.csrf_token,
            "options": filter_options(),
            "staff_page": True,
        },
    )


@router.get("/review/export.yml")
def export_yml(db: DbDep, login: ReviewLogin) -> Response:
    """Approved interpretations as ``knowledge_base/interpretations`` YAML (masked)."""
    text = draft_service.export_yaml(db, reviewer=login.user)
    return Response(
        text,
        media_type="application/yaml; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="review-interpretations.yml"'},
    )


@router.get("/review/unanswered.csv")
def export_csv(db: DbDep, login: ReviewLogin, status: Annotated[str, Query(max_length=16)] = "") -> Response:
    """Unanswered questions (masked) as CSV."""
    text = unanswered_csv(db, reviewer=login.user, status=status or None)
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="unanswered-questions.csv"'},
    )


@api.get("/questions")
def questions(
    db: DbDep,
    login: ReviewLogin,
    status: Annotated[str, Query(max_length=16)] = "open",
    topic: Annotated[str, Query(max_length=64)] = "",
) -> dict[str, Any]:
    """Unanswered questions and 没帮助 feedback grouped by similar wording, most frequent first."""
    return question_groups(db, status=status, topic=topic or None)


@api.post("/questions/handled")
def handled(body: HandledBody, db: DbDep, login: ReviewWrite) -> dict[str, Any]:
    """Mark a group's questions as handled."""
    counts = mark_handled(db, reviewer=login.user, unanswered_ids=body.unanswered_ids, feedback_ids=body.feedback_ids)
    db.commit()
    return {"handled": counts}


@api.get("/drafts")
def drafts(db: DbDep, login: ReviewLogin, status: Annotated[str, Query(max_length=16)] = "") -> dict[str, Any]:
    if status and status not in (s.value for s in DraftStatus):
        raise ServiceError(422, "状态只能是 draft 或 approved。")
    return {"drafts": draft_service.list_drafts(db, status=status or None)}


@api.post("/drafts", status_code=201)
def create_draft(body: DraftBody, db: DbDep, login: ReviewWrite, state: StateDep, library: LibraryDep) -> dict[str, Any]:
    """Validate and save an interpretation draft (422 with ``problems`` when it does not pass)."""
    data = draft_service.DraftInput(
        question=body.question,
        phrasings=tuple(body.phrasings),
        answer=body.answer,
        cites=tuple(body.cites),
        topic=body.topic,
        region=body.region,
        kind=body.kind,
    )
    draft = draft_service.create_draft(
        db,
        reviewer=login.user,
        data=data,
        library=library,
        keys=_keys(state),
        unanswered_ids=body.unanswered_ids,
        feedback_ids=body.feedback_ids,
    )
    return {"draft": draft_service.draft_view(draft)}


@api.post("/drafts/{draft_id}/approve")
def approve(draft_id: int, db: DbDep, login: ReviewWrite, state: StateDep, library: LibraryDep) -> dict[str, Any]:
    """Approve a draft (validated again); it then appears in ``/review/export.yml``."""
    draft = draft_service.approve_draft(db, reviewer=login.user, draft_id=draft_id, library=library, keys=_keys(state))
    return {"draft": draft_service.draft_view(draft)}


@api.get("/options")
def options(login: ReviewLogin) -> dict[str, Any]:
    return filter_options()
