"""FastAPI dependencies that guard the staff pages and APIs.

* anonymous → ``401`` (APIs) or a ``303`` redirect to the login page (pages);
* logged in with the wrong role → ``403``;
* every state-changing request also needs the session's CSRF token (``X-CSRF-Token`` header, or
  the ``csrf_token`` form field) and, when the browser sends an ``Origin``, the same host —
  on top of the ``SameSite=Strict`` cookie.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated
from urllib.parse import quote, urlsplit

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from gateway.auth.sessions import SESSION_COOKIE, StaffLogin, resolve_session, same_token
from gateway.dependencies import DbDep, StateDep
from gateway.store.models import UserRole

AGENT_ROLES: tuple[UserRole, ...] = (UserRole.AGENT, UserRole.ADMIN)
REVIEW_ROLES: tuple[UserRole, ...] = (UserRole.REVIEWER, UserRole.ADMIN)
LOGIN_PATH = "/console/login"

NOT_LOGGED_IN = "请先登录。"
WRONG_ROLE = "没有权限：您的账号角色不能使用此功能。"
CSRF_FAILED = "安全校验失败（CSRF），请刷新页面后重试。"


class LoginRequired(Exception):
    """A page needs a login: the handler redirects to the login page and back afterwards."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


def current_login(request: Request, state: StateDep, db: DbDep) -> StaffLogin | None:
    """The staff login of this request's cookie, if any (cached per request by FastAPI)."""
    return resolve_session(
        db, token=request.cookies.get(SESSION_COOKIE), idle_minutes=state.settings.staff_idle_minutes
    )


MaybeLogin = Annotated[StaffLogin | None, Depends(current_login)]


def require_roles(*roles: UserRole, page: bool = False) -> Callable[..., StaffLogin]:
    """A dependency that returns the login when its role is one of ``roles``."""
    allowed = {r.value for r in roles}

    def dependency(request: Request, login: MaybeLogin) -> StaffLogin:
        if login is None:
            if page:
                raise LoginRequired(request.url.path)
            raise HTTPException(401, NOT_LOGGED_IN)
        if login.user.role not in allowed:
            raise HTTPException(403, WRONG_ROLE)
        return login

    return dependency


def _same_origin(request: Request) -> bool:
    """No ``Origin`` (non-browser clients) passes; a browser's must name this host."""
    origin = request.headers.get("origin")
    if origin is None:
        return True
    return origin != "null" and urlsplit(origin).netloc == request.headers.get("host", "")


def require_csrf(*roles: UserRole) -> Callable[..., Awaitable[StaffLogin]]:
    """Like :func:`require_roles`, and the request must carry the session's CSRF token."""
    role_check = require_roles(*roles)

    # ``Depends`` as the default: the annotation is a string (PEP 563) and ``role_check`` is local.
    async def dependency(request: Request, login: StaffLogin = Depends(role_check)) -> StaffLogin:  # noqa: B008
        token = request.headers.get("x-csrf-token")
        if token is None and request.headers.get("content-type", "").startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")
        ):
            form = await request.form()
            value = form.get("csrf_token")
            token = value if isinstance(value, str) else None
        if not _same_origin(request) or not same_token(token, login.csrf_token):
            raise HTTPException(403, CSRF_FAILED)
        return login

    return dependency


AgentLogin = Annotated[StaffLogin, Depends(require_roles(*AGENT_ROLES))]
AgentPage = Annotated[StaffLogin, Depends(require_roles(*AGENT_ROLES, page=True))]
AgentWrite = Annotated[StaffLogin, Depends(require_csrf(*AGENT_ROLES))]
ReviewLogin = Annotated[StaffLogin, Depends(require_roles(*REVIEW_ROLES))]
ReviewPage = Annotated[StaffLogin, Depends(require_roles(*REVIEW_ROLES, page=True))]
ReviewWrite = Annotated[StaffLogin, Depends(require_csrf(*REVIEW_ROLES))]
StaffWrite = Annotated[StaffLogin, Depends(require_csrf(*UserRole))]


def login_redirect(next_path: str) -> RedirectResponse:
    return RedirectResponse(f"{LOGIN_PATH}?next={quote(next_path, safe='/')}", status_code=303)


def install_login_redirect(app: FastAPI) -> None:
    async def handler(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, LoginRequired)
        return login_redirect(exc.next_path)

    app.add_exception_handler(LoginRequired, handler)
