"""HTML pages: the web chat (``/``), a policy's full text (``/policy/{doc_id}``) and an
interpretation (``/interpretation/{entry_id}``)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from gateway.content.views import interpretation_page, policy_page
from gateway.dependencies import LibraryDep, StateDep

router = APIRouter(tags=["pages"], default_response_class=HTMLResponse)


def _not_found(state: StateDep, request: Request, message: str) -> HTMLResponse:
    return state.templates.TemplateResponse(
        request, "error.html", {"title": "未找到", "message": message}, status_code=404
    )


@router.get("/", include_in_schema=False)
def chat_page(request: Request, state: StateDep) -> HTMLResponse:
    return state.templates.TemplateResponse(
        request, "chat.html", {"max_chars": state.settings.max_message_chars, "hotline": state.settings.hotline}
    )


@router.get("/policy/{doc_id}")
def policy(doc_id: str, request: Request, state: StateDep, library: LibraryDep) -> HTMLResponse:
    context = policy_page(library=library, doc_id=doc_id)
    if context is None:
        return _not_found(state, request, "没有找到这份政策文件，链接可能有误或文件已下架。")
    return state.templates.TemplateResponse(request, "policy.html", context)


@router.get("/interpretation/{entry_id}")
def interpretation(entry_id: str, request: Request, state: StateDep, library: LibraryDep) -> HTMLResponse:
    context = interpretation_page(library=library, entry_id=entry_id)
    if context is None:
        return _not_found(state, request, "没有找到这条政策解读，链接可能有误或解读已下架。")
    return state.templates.TemplateResponse(request, "interpretation.html", context)
