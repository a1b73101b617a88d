"""``Annotated`` dependencies shared by the routers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from sqlalchemy.orm import Session

from gateway.content.library import ContentLibrary
from gateway.state import GatewayState


async def get_state(request: Request) -> GatewayState:
    """The application's state. ``async`` only so FastAPI calls it on the event loop instead of
    sending every request through a worker thread for an attribute lookup."""
    return request.app.state.gateway  # type: ignore[no-any-return]


StateDep = Annotated[GatewayState, Depends(get_state)]


def get_db(state: StateDep) -> Iterator[Session]:
    """One session per request, closed afterwards (services commit explicitly)."""
    with state.session_factory() as session:
        yield session


DbDep = Annotated[Session, Depends(get_db)]


async def get_library(state: StateDep) -> ContentLibrary:
    if state.library is None:
        raise HTTPException(503, "政策文件库暂时无法使用，请稍后再试。")
    return state.library


LibraryDep = Annotated[ContentLibrary, Depends(get_library)]


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"
