"""``POST /api/chat`` (contract 3), ``GET /api/chat/{session_id}`` (the holder's transcript) and
``GET /api/chat/{session_id}/events`` (live agent messages and status, Server-Sent Events)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, HTTPException, Query, Request
from fastapi.responses import StreamingResponse

from gateway.conversation import notices
from gateway.conversation.events import event_stream
from gateway.conversation.service import get_transcript, handle_chat
from gateway.conversation.sessions import find_conversation
from gateway.dependencies import DbDep, StateDep, client_ip
from gateway.schemas import ChatRequest, ChatResponse, TranscriptResponse

router = APIRouter(prefix="/api/chat", tags=["chat"])


@router.post("", response_model=ChatResponse)
async def post_chat(body: ChatRequest, request: Request, state: StateDep) -> dict[str, object]:
    """One citizen message (text or button payload) → the answer and the session id to reuse.

    Async: the turn awaits Rasa without holding one of the server's worker threads; its store
    work runs in short units on the store's worker threads (see :func:`gateway.conversation.service.handle_chat`)."""
    if not state.ip_limiter.allow(client_ip(request)):
        state.metrics.rate_limited.labels("ip").inc()
        raise HTTPException(429, notices.RATE_LIMITED)
    if body.session_id and not state.session_limiter.allow(body.session_id):
        state.metrics.rate_limited.labels("session").inc()
        raise HTTPException(429, notices.RATE_LIMITED)
    outcome = await handle_chat(
        store=state.store,
        bot=state.bot,
        metrics=state.metrics,
        session_id=body.session_id,
        text=body.text,
        payload=body.payload,
        max_chars=state.settings.max_message_chars,
        hotline=state.settings.hotline,
        channel="web",
    )
    return outcome.as_dict()


@router.get("/{session_id}", response_model=TranscriptResponse)
def get_chat(
    session_id: str,
    db: DbDep,
    after: Annotated[int | None, Query(ge=0, description="only messages with a larger id")] = None,
) -> dict[str, object]:
    """The conversation so far, for the holder of its session id (e.g. after a page reload)."""
    transcript = get_transcript(db=db, session_id=session_id, after_id=after)
    if transcript is None:
        raise HTTPException(404, notices.SESSION_NOT_FOUND)
    return transcript.as_dict()


@router.get("/{session_id}/events", response_class=StreamingResponse)
def chat_events(
    session_id: str,
    request: Request,
    state: StateDep,
    after: Annotated[int | None, Query(ge=0, description="only messages with a larger id")] = None,
    last_event_id: Annotated[str | None, Header()] = None,
) -> StreamingResponse:
    """Server-Sent Events for the holder of the session id: agent messages and status changes
    (see :mod:`gateway.conversation.events`). 404 for ids the server did not issue; opening a
    stream counts against the per-address rate limit (reconnects are rare: every few minutes)."""
    if not state.ip_limiter.allow(client_ip(request)):
        state.metrics.rate_limited.labels("ip").inc()
        raise HTTPException(429, notices.RATE_LIMITED)
    with state.session_factory() as db:  # not held open for the stream's lifetime
        conversation = find_conversation(db, session_id)
    if conversation is None:
        raise HTTPException(404, notices.SESSION_NOT_FOUND)
    resume = int(last_event_id) if last_event_id and last_event_id.isdigit() else 0
    stream = event_stream(
        factory=state.session_factory,
        conversation_id=conversation.id,
        after_id=max(after or 0, resume),
        poll_seconds=state.settings.sse_poll_seconds,
        max_seconds=state.settings.sse_max_seconds,
        is_disconnected=request.is_disconnected,
    )
    headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    return StreamingResponse(stream, media_type="text/event-stream", headers=headers)
