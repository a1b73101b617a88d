"""``GET /wechat`` (URL verification) and ``POST /wechat`` (messages and events): contract 6.

Thin: the work is in :mod:`gateway.wechat.callback`. The router's lifespan creates the WeChat
runtime (API client, crypto) after the gateway's own startup and, at shutdown, lets answers still
being delivered as customer-service messages finish before the database closes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI, HTTPException, Request
from fastapi.responses import PlainTextResponse, Response

from gateway.dependencies import StateDep
from gateway.wechat.callback import Callback, CallbackQuery, verify
from gateway.wechat.runtime import get_runtime


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    runtime = get_runtime(app)
    try:
        yield
    finally:
        await runtime.aclose()


router = APIRouter(tags=["wechat"], lifespan=lifespan)


@router.get("/wechat", response_class=PlainTextResponse)
async def verify_url(
    request: Request,
    signature: str | None = None,
    timestamp: str | None = None,
    nonce: str | None = None,
    echostr: str | None = None,
) -> Response:
    """WeChat's server-address check: echo ``echostr`` when the signature is ours, else 403."""
    verify(get_runtime(request.app), CallbackQuery(signature, timestamp, nonce))
    if echostr is None:
        raise HTTPException(400, "缺少echostr参数。")
    return PlainTextResponse(echostr)


@router.post("/wechat")
async def receive(
    request: Request,
    state: StateDep,
    signature: str | None = None,
    timestamp: str | None = None,
    nonce: str | None = None,
    encrypt_type: str | None = None,
    msg_signature: str | None = None,
) -> Response:
    """A message or event from WeChat: passive XML reply, or ``success`` (see the callback)."""
    query = CallbackQuery(signature, timestamp, nonce, encrypt_type, msg_signature)
    callback = Callback(runtime=get_runtime(request.app), state=state, query=query, base_url=str(request.base_url))
    return await callback.handle(await request.body())
