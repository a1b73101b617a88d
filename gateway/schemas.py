"""Request and response bodies of the chat API (contract 3), enforced by FastAPI on the way out."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

StatusName = Literal["bot", "waiting_agent", "with_agent", "closed"]


class ChatRequest(BaseModel):
    """``{"session_id"?, "text"?}`` or ``{"session_id"?, "payload"}`` (a button)."""

    model_config = ConfigDict(extra="ignore")

    session_id: str | None = None
    text: str | None = None
    payload: str | None = None


class Button(BaseModel):
    title: str
    payload: str


class Source(BaseModel):
    kind: Literal["policy", "interpretation", "faq", "case"]
    title: str
    article: str | None = None
    doc_number: str | None = None
    issuer: str | None = None
    date: str | None = None
    validity: Literal["现行有效", "已修订", "已失效"] | None = None
    region: str | None = None
    url: str | None = None


class ChatMessage(BaseModel):
    text: str
    buttons: list[Button] = Field(default_factory=list)
    sources: list[Source] = Field(default_factory=list)


class ChatResponse(BaseModel):
    session_id: str
    status: StatusName
    topic: str | None
    messages: list[ChatMessage]


class TranscriptMessage(ChatMessage):
    id: int
    role: Literal["citizen", "bot", "agent", "system"]
    created_at: str
    from_staff: bool = False


class TranscriptResponse(BaseModel):
    session_id: str
    status: StatusName
    topic: str | None
    messages: list[TranscriptMessage]
    queue_position: int | None = None
    """Extra field (not in contract 3): the citizen's place in the agents' queue while waiting."""
