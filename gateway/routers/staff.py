"""Staff login and logout: ``GET/POST /console/login``, ``POST /console/logout``.

The login form is protected against login CSRF by a double-submit token (a random value in an
``HttpOnly; SameSite=Strict`` cookie and in the form). The session cookie is ``HttpOnly``,
``SameSite=Strict``, and ``Secure`` when the request came over HTTPS (``COOKIE_SECURE`` forces
it either way). Attempts are rate-limited per client address and per user name.
"""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from gateway.audit import record_audit
from gateway.auth.guards import LOGIN_PATH, MaybeLogin, StaffWrite
from gateway.auth.sessions import (
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    authenticate,
    end_session,
    same_token,
    start_session,
)
from gateway.dependencies import DbDep, StateDep, client_ip
from gateway.store.models import UserRole

router = APIRouter(tags=["staff"], default_response_class=HTMLResponse)

HOMES = {UserRole.AGENT.value: "/console", UserRole.REVIEWER.value: "/review", UserRole.ADMIN.value: "/console"}
BAD_LOGIN = "用户名或密码错误。"
TOO_MANY = "登录尝试过于频繁，请稍后再试。"
FORM_EXPIRED = "页面已过期，请重新登录。"


def _secure(request: Request, state: StateDep) -> bool:
    configured = state.settings.cookie_secure
    return configured if configured is not None else request.url.scheme == "https"


def _safe_next(value: str | None, role: str) -> str:
    """Only our own staff pages are followed after login (no open redirect)."""
    if (
        value
        and value.startswith(("/console", "/review"))
        and "\\" not in value
        and value.rstrip("/") != LOGIN_PATH
    ):
        return value
    return HOMES.get(role, "/console")


def _login_page(request: Request, state: StateDep, *, next_path: str, error: str | None, status_code: int) -> Response:
    token = secrets.token_urlsafe(24)
    response = state.templates.TemplateResponse(
        request,
        "staff_login.html",
        {"csrf_token": token, "next": next_path, "error": error},
        status_code=status_code,
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        max_age=3600,
        path=LOGIN_PATH,
        httponly=True,
        samesite="strict",
        secure=_secure(request, state),
    )
    return response


@router.get(LOGIN_PATH)
def login_form(request: Request, state: StateDep, login: MaybeLogin, next: str | None = None) -> Response:  # noqa: A002
    """The login page (already logged-in staff go to their page)."""
    if login is not None:
        return RedirectResponse(_safe_next(next, login.user.role), status_code=303)
    return _login_page(request, state, next_path=next or "", error=None, status_code=200)


@router.post(LOGIN_PATH)
def login_submit(
    request: Request,
    state: StateDep,
    db: DbDep,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=200)],
    csrf_token: Annotated[str, Form(max_length=100)] = "",
    next: Annotated[str, Form(max_length=300)] = "",  # noqa: A002
) -> Response:
    """Check the password; on success set the session cookie and go to the staff page."""
    ip = client_ip(request)
    if not same_token(csrf_token, request.cookies.get(LOGIN_CSRF_COOKIE)):
        return _login_page(request, state, next_path=next, error=FORM_EXPIRED, status_code=403)
    if not state.login_limiter.allow(f"ip:{ip}") or not state.login_limiter.allow(f"user:{username.strip().lower()}"):
        return _login_page(request, state, next_path=next, error=TOO_MANY, status_code=429)
    user = authenticate(db, username=username, password=password)
    if user is None:
        record_audit(db, actor_id=None, action="staff.login_failed", detail={"username": username.strip()[:64], "ip": ip})
        db.commit()
        return _login_page(request, state, next_path=next, error=BAD_LOGIN, status_code=401)
    token, _session = start_session(db, user=user, hours=state.settings.staff_session_hours, ip=ip)
    db.commit()
    response = RedirectResponse(_safe_next(next, user.role), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(state.settings.staff_session_hours * 3600),
        path="/",
        httponly=True,
        samesite="strict",
        secure=_secure(request, state),
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE, path=LOGIN_PATH)
    return response


@router.post("/console/logout")
def logout(request: Request, state: StateDep, db: DbDep, login: StaffWrite) -> Response:
    """End the login everywhere (the session row is revoked) and clear the cookie."""
    end_session(db, login=login)
    db.commit()
    response = RedirectResponse(LOGIN_PATH, status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict", secure=_secure(request, state))
    return response
