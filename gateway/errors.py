"""Error responses in Chinese: JSON ``{"detail": …}`` for the API, an HTML page for browsers."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException

from gateway.conversation import notices
from gateway.conversation.inputs import InputRejected

GENERIC = {
    400: "请求有误。",
    401: "请先登录。",
    403: "没有权限访问。",
    404: "页面不存在。",
    405: "不支持该请求方法。",
    413: notices.BODY_TOO_LARGE,
    429: notices.RATE_LIMITED,
    500: "系统内部错误，请稍后再试。",
    503: "服务暂时不可用，请稍后再试。",
}


def _wants_html(request: Request) -> bool:
    return not request.url.path.startswith("/api/") and "text/html" in request.headers.get("accept", "")


def _chinese(detail: object, status_code: int) -> str:
    """Keep details we wrote (Chinese); replace framework defaults (``Not Found``)."""
    if isinstance(detail, str) and any("\u4e00" <= ch <= "\u9fff" for ch in detail):
        return detail
    return GENERIC.get(status_code, "请求无法处理。")


def install_error_handlers(app: FastAPI) -> None:
    async def input_rejected(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, InputRejected)
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code)

    async def validation_error(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        errors = [{"loc": list(e.get("loc", ())), "type": e.get("type")} for e in exc.errors()]
        return JSONResponse({"detail": notices.BAD_REQUEST, "errors": errors}, status_code=422)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        detail = _chinese(exc.detail, exc.status_code)
        if _wants_html(request):
            templates: Jinja2Templates = request.app.state.gateway.templates
            return templates.TemplateResponse(
                request,
                "error.html",
                {"title": GENERIC.get(exc.status_code, "出错了"), "message": detail},
                status_code=exc.status_code,
            )
        return JSONResponse({"detail": detail}, status_code=exc.status_code, headers=getattr(exc, "headers", None))

    async def unexpected(request: Request, exc: Exception) -> Response:
        return JSONResponse({"detail": GENERIC[500]}, status_code=500)

    app.add_exception_handler(InputRejected, input_rejected)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(Exception, unexpected)
