"""The agents' console: ``GET /console`` (page) and its JSON API under ``/api/console``.

Roles agent and admin; anonymous → 401 (page: redirect to the login), other roles → 403; every
``POST`` needs the session's CSRF token. Conversations are addressed by their numeric id, never
by the citizen's session id (that is the citizen's credential).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field
from sqlalchemy import select

from gateway.audit import record_audit
from gateway.auth.guards import AgentLogin, AgentPage, AgentWrite
from gateway.console import actions
from gateway.console.delivery import deliver
from gateway.console.queue import list_queue
from gateway.console.search import ConsoleQuery, console_search, filter_options, validate_query
from gateway.console.transcript import agent_view
from gateway.conversation.messages import transcript_view
from gateway.dependencies import DbDep, StateDep
from gateway.rasa.envelope import safe_url
from gateway.schemas import Source
from gateway.service_errors import ServiceError
from gateway.store.models import Conversation, Message
from knowledge_base.topics import TOPIC_LABELS

router = APIRouter(tags=["console"])
api = APIRouter(prefix="/api/console", tags=["console"])

ROLE_LABELS = {"agent": "坐席", "reviewer": "审核员", "admin": "管理员"}


class ReplyBody(BaseModel):
    text: str = Field(max_length=actions.MAX_REPLY_CHARS * 2)
    sources: list[Source] = Field(default_factory=list, max_length=10)


class NoteBody(BaseModel):
    note: str = Field(default="", max_length=actions.MAX_NOTE_CHARS * 2)


@router.get("/console", response_class=HTMLResponse, include_in_schema=False)
def console_page(request: Request, state: StateDep, login: AgentPage) -> HTMLResponse:
    """The console (the page's script reads everything else from the API)."""
    return state.templates.TemplateResponse(
        request,
        "console.html",
        {
            "user": login.user,
            "role_label": ROLE_LABELS.get(login.user.role, login.user.role),
            "csrf_token": login.csrf_token,
            "topics": TOPIC_LABELS,
            "options": filter_options(),
            "staff_page": True,
        },
    )


@api.get("/me")
def me(login: AgentLogin) -> dict[str, Any]:
    user = login.user
    return {"id": user.id, "username": user.username, "display_name": user.display_name, "role": user.role}


@api.get("/queue")
def queue(db: DbDep, login: AgentLogin) -> dict[str, Any]:
    """Waiting conversations (longest first, masked) and the ones this agent holds."""
    return list_queue(db, agent_id=login.user.id)


@api.get("/conversations/{conversation_id}")
def conversation(
    conversation_id: int,
    db: DbDep,
    login: AgentLogin,
    after: Annotated[int | None, Query(ge=0)] = None,
) -> dict[str, Any]:
    """The transcript, ticket and candidate answers (original texts only for the assigned agent)."""
    view = agent_view(db, conversation_id=conversation_id, viewer=login.user, after_id=after)
    if after is None:
        record_audit(
            db,
            actor_id=login.user.id,
            action="conversation.view",
            conversation_id=conversation_id,
            detail={"unmasked": view["unmasked"]},
        )
        db.commit()
    return view


@api.post("/conversations/{conversation_id}/claim")
def claim(conversation_id: int, request: Request, db: DbDep, login: AgentWrite) -> dict[str, Any]:
    """Take a waiting conversation; 409 when another agent was first."""
    actions.claim(db, conversation_id=conversation_id, agent=login.user)
    _deliver_latest(db, request=request, conversation_id=conversation_id)
    return agent_view(db, conversation_id=conversation_id, viewer=login.user)


@api.post("/conversations/{conversation_id}/reply")
def reply(conversation_id: int, body: ReplyBody, request: Request, db: DbDep, login: AgentWrite) -> dict[str, Any]:
    """Send a reply (with optional citations as sources) to the citizen, live."""
    sources = [{**s.model_dump(), "url": safe_url(s.url)} for s in body.sources]
    message = actions.reply(db, conversation_id=conversation_id, agent=login.user, text=body.text, sources=sources)
    conversation = db.get(Conversation, conversation_id)
    assert conversation is not None
    delivery = deliver(app=request.app, conversation=conversation, message=message)
    return {"message": transcript_view(message), "delivery": delivery.as_dict()}


@api.post("/conversations/{conversation_id}/close")
def close(conversation_id: int, body: NoteBody, request: Request, db: DbDep, login: AgentWrite) -> dict[str, Any]:
    """End the conversation with a resolution note."""
    actions.close(db, conversation_id=conversation_id, agent=login.user, note=body.note)
    _deliver_latest(db, request=request, conversation_id=conversation_id)
    return agent_view(db, conversation_id=conversation_id, viewer=login.user)


@api.post("/conversations/{conversation_id}/hand-back")
def hand_back(conversation_id: int, body: NoteBody, request: Request, db: DbDep, login: AgentWrite) -> dict[str, Any]:
    """Return the citizen to the bot."""
    actions.hand_back(db, conversation_id=conversation_id, agent=login.user, note=body.note)
    _deliver_latest(db, request=request, conversation_id=conversation_id)
    return agent_view(db, conversation_id=conversation_id, viewer=login.user)


@api.post("/conversations/{conversation_id}/requeue")
def requeue(conversation_id: int, request: Request, db: DbDep, login: AgentWrite) -> dict[str, Any]:
    """Put the conversation back in the queue for another agent."""
    actions.requeue(db, conversation_id=conversation_id, agent=login.user)
    _deliver_latest(db, request=request, conversation_id=conversation_id)
    return agent_view(db, conversation_id=conversation_id, viewer=login.user)


@api.get("/search/options")
def search_options(login: AgentLogin) -> dict[str, Any]:
    return filter_options()


@api.get("/search")
def search(
    request: Request,
    state: StateDep,
    db: DbDep,
    login: AgentLogin,
    q: Annotated[str, Query(max_length=400)] = "",
    topic: Annotated[str, Query(max_length=64)] = "",
    region: Annotated[str, Query(max_length=32)] = "",
    include_expired: bool = False,
    source_kind: Annotated[str, Query(max_length=32)] = "",
    doc_kind: Annotated[str, Query(max_length=32)] = "",
    size: Annotated[int, Query(ge=1, le=30)] = 10,
) -> dict[str, Any]:
    """Search the policy index (same index as the bot) with filters; each hit has a citation."""
    try:
        query = validate_query(
            ConsoleQuery(q, topic or None, region or None, include_expired, source_kind or None, doc_kind or None, size)
        )
    except ValueError as exc:
        raise ServiceError(422, str(exc)) from None
    policy_search = state.policy_search()
    if policy_search is None:
        raise ServiceError(503, "检索服务暂时不可用。")
    results = console_search(policy_search, query=query, base_url=str(request.base_url))
    record_audit(
        db,
        actor_id=login.user.id,
        action="console.search",
        detail={"q": query.text[:100], "topic": query.topic, "region": query.region, "hits": len(results)},
    )
    db.commit()
    return {"query": query.text, "results": results}


def _deliver_latest(db: DbDep, *, request: Request, conversation_id: int) -> None:
    """Push the notice the last action added (WeChat); web citizens get it from their stream."""
    conversation = db.get(Conversation, conversation_id)
    if conversation is None or conversation.channel == "web":
        return
    latest = db.scalars(
        select(Message).where(Message.conversation_id == conversation_id).order_by(Message.id.desc()).limit(1)
    ).first()
    if latest is not None and latest.agent_id is not None:
        deliver(app=request.app, conversation=conversation, message=latest)
