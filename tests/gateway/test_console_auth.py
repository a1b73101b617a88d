"""Staff login and the guards of every console and review endpoint: anonymous → 401 (pages:
redirect to the login), wrong role → 403, missing or wrong CSRF token → 403; cookie flags,
logout, security headers. Real SQLite file, real app, real login form."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.store.models import AuditEvent, StaffSession
from tests.gateway.console_support import PASSWORD, add_user, logged_in, login

AGENT_GET = ["/api/console/me", "/api/console/queue", "/api/console/conversations/1", "/api/console/search?q=失业", "/api/console/search/options"]
AGENT_POST = [
    "/api/console/conversations/1/claim",
    "/api/console/conversations/1/reply",
    "/api/console/conversations/1/close",
    "/api/console/conversations/1/hand-back",
    "/api/console/conversations/1/requeue",
]
REVIEW_GET = ["/api/review/questions", "/api/review/drafts", "/api/review/options", "/review/export.yml", "/review/unanswered.csv"]
REVIEW_POST = ["/api/review/questions/handled", "/api/review/drafts", "/api/review/drafts/1/approve"]
PAGES = {"/console": ("agent", "reviewer"), "/review": ("reviewer", "agent")}
STAFF_POST = ["/console/logout"]
PUBLIC = {"/console/login"}
BODIES = {
    "/api/console/conversations/1/reply": {"text": "您好"},
    "/api/console/conversations/1/close": {"note": "已解答"},
    "/api/review/questions/handled": {"unanswered_ids": [1]},
    "/api/review/drafts": {"question": "q", "answer": "a", "topic": "consult_pension"},
}


def _path_template(url: str) -> str:
    path = url.split("?")[0]
    return path.replace("/conversations/1", "/conversations/{conversation_id}").replace("/drafts/1/", "/drafts/{draft_id}/")


def test_every_staff_route_is_covered_by_these_tests(client: TestClient) -> None:
    tested = {
        ("GET", _path_template(u)) for u in AGENT_GET + REVIEW_GET + list(PAGES)
    } | {("POST", _path_template(u)) for u in AGENT_POST + REVIEW_POST + STAFF_POST}
    routes = {
        (method, route.path)
        for route in client.app.routes  # type: ignore[attr-defined]
        if isinstance(route, APIRoute) and route.path.startswith(("/console", "/review", "/api/console", "/api/review"))
        for method in route.methods
        if route.path not in PUBLIC
    }
    assert routes == tested


def test_login_ok_sets_a_strict_httponly_cookie_and_audits(client: TestClient, db: Session) -> None:
    user = add_user(db, "alice", "agent")
    response = login(client, "alice")
    assert response.status_code == 303 and response.headers["location"] == "/console"
    cookie = response.headers["set-cookie"]
    assert "rs_staff=" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie  # plain http in tests; see the https test below
    assert client.get("/api/console/me").json()["username"] == "alice"
    stored = db.scalars(select(StaffSession).where(StaffSession.user_id == user.id)).one()
    assert stored.token_hash not in cookie and len(stored.token_hash) == 64  # only the hash is stored
    assert db.scalars(select(AuditEvent).where(AuditEvent.action == "staff.login")).one().actor_id == user.id


def test_login_over_https_sets_a_secure_cookie(make_client: Callable[..., TestClient], db_factory: Callable[[], Session]) -> None:
    client = make_client()
    with db_factory() as db:
        add_user(db, "alice", "agent")
    https = TestClient(client.app, base_url="https://testserver")  # type: ignore[arg-type]
    response = login(https, "alice")
    assert response.status_code == 303
    assert "Secure" in response.headers["set-cookie"]


def test_bad_password_unknown_user_and_inactive_user_are_refused(client: TestClient, db: Session) -> None:
    add_user(db, "alice", "agent")
    add_user(db, "olduser", "agent", active=False)
    for username, password in (("alice", "wrong password!"), ("nobody", PASSWORD), ("olduser", PASSWORD)):
        response = login(client, username) if password == PASSWORD else _login_with(client, username, password)
        assert response.status_code == 401
        assert "用户名或密码错误" in response.text
        assert "rs_staff=" not in response.headers.get("set-cookie", "")
    assert client.get("/api/console/me").status_code == 401
    failed = db.scalars(select(AuditEvent).where(AuditEvent.action == "staff.login_failed")).all()
    assert len(failed) == 3 and all(e.actor_id is None for e in failed)


def _login_with(client: TestClient, username: str, password: str) -> object:
    import re

    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/console/login").text)
    assert token
    return client.post(
        "/console/login",
        data={"username": username, "password": password, "csrf_token": token.group(1)},
        follow_redirects=False,
    )


def test_login_form_needs_its_csrf_token(client: TestClient, db: Session) -> None:
    add_user(db, "alice", "agent")
    client.get("/console/login")
    response = client.post(
        "/console/login", data={"username": "alice", "password": PASSWORD, "csrf_token": "forged"}, follow_redirects=False
    )
    assert response.status_code == 403 and "rs_staff=" not in response.headers.get("set-cookie", "")


def test_login_is_rate_limited(make_client: Callable[..., TestClient], db_factory: Callable[[], Session]) -> None:
    client = make_client(login_rate_per_minute=3)
    with db_factory() as db:
        add_user(db, "alice", "agent")
    codes = [_login_with(client, "alice", "wrong password!").status_code for _ in range(4)]  # type: ignore[attr-defined]
    assert codes == [401, 401, 401, 429]


def test_next_parameter_cannot_redirect_elsewhere(client: TestClient, db: Session) -> None:
    add_user(db, "rita", "reviewer")
    import re

    page = client.get("/console/login?next=https://evil.example/")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token
    response = client.post(
        "/console/login",
        data={"username": "rita", "password": PASSWORD, "csrf_token": token.group(1), "next": "//evil.example/"},
        follow_redirects=False,
    )
    assert response.headers["location"] == "/review"


@pytest.mark.parametrize("url", AGENT_GET + REVIEW_GET)
def test_anonymous_get_is_401(client: TestClient, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 401
    assert response.json()["detail"] == "请先登录。"


@pytest.mark.parametrize("url", AGENT_POST + REVIEW_POST + STAFF_POST)
def test_anonymous_post_is_401(client: TestClient, url: str) -> None:
    assert client.post(url, json=BODIES.get(url, {})).status_code == 401


@pytest.mark.parametrize("page", list(PAGES))
def test_anonymous_page_redirects_to_login(client: TestClient, page: str) -> None:
    response = client.get(page, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"/console/login?next={page}"


def test_wrong_role_is_403_on_every_endpoint(client: TestClient, db: Session) -> None:
    add_user(db, "rita", "reviewer")
    add_user(db, "alice", "agent")
    agent = TestClient(client.app)  # type: ignore[arg-type]  # a second browser, same app
    reviewer_csrf = logged_in(client, "rita", page="/review")
    agent_csrf = logged_in(agent, "alice")
    for url in AGENT_GET:
        assert client.get(url).status_code == 403, url
    for url in AGENT_POST:
        response = client.post(url, json=BODIES.get(url, {}), headers={"X-CSRF-Token": reviewer_csrf})
        assert response.status_code == 403 and "没有权限" in response.json()["detail"], url
    for url in REVIEW_GET:
        assert agent.get(url).status_code == 403, url
    for url in REVIEW_POST:
        response = agent.post(url, json=BODIES.get(url, {}), headers={"X-CSRF-Token": agent_csrf})
        assert response.status_code == 403 and "没有权限" in response.json()["detail"], url
    assert client.get("/console").status_code == 403
    assert agent.get("/review").status_code == 403
    assert "没有权限" in agent.get("/review", headers={"Accept": "text/html"}).text


def test_admin_reaches_both(client: TestClient, db: Session) -> None:
    add_user(db, "root", "admin")
    logged_in(client, "root")
    assert client.get("/api/console/queue").status_code == 200
    assert client.get("/api/review/questions").status_code == 200
    assert client.get("/review").status_code == 200


@pytest.mark.parametrize("url", AGENT_POST + REVIEW_POST)
def test_state_changing_requests_need_the_csrf_token(client: TestClient, db: Session, url: str) -> None:
    add_user(db, "root", "admin")
    csrf = logged_in(client, "root")
    for headers in ({}, {"X-CSRF-Token": "not-the-token"}, {"X-CSRF-Token": csrf, "Origin": "https://evil.example"}):
        response = client.post(url, json=BODIES.get(url, {}), headers=headers)
        assert response.status_code == 403, (url, headers)
        assert "CSRF" in response.json()["detail"]


def test_logout_needs_csrf_and_revokes_the_session(client: TestClient, db: Session) -> None:
    add_user(db, "alice", "agent")
    csrf = logged_in(client, "alice")
    assert client.post("/console/logout", data={"csrf_token": "wrong"}).status_code == 403
    response = client.post("/console/logout", data={"csrf_token": csrf}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/console/login"
    assert client.get("/api/console/me").status_code == 401
    db.expire_all()
    assert db.scalars(select(StaffSession)).one().revoked_at is not None
    assert db.scalars(select(AuditEvent).where(AuditEvent.action == "staff.logout")).one()


def test_staff_pages_send_security_headers(client: TestClient, db: Session) -> None:
    add_user(db, "root", "admin")
    logged_in(client, "root")
    for url in ("/console", "/review", "/console/login", "/api/console/queue", "/api/review/questions"):
        headers = client.get(url).headers
        assert headers["x-frame-options"] == "DENY", url
        assert headers["cache-control"] == "no-store", url
        csp = headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
        assert headers["x-content-type-options"] == "nosniff"
    html = client.get("/console").text
    assert "<script>" not in html and "onclick" not in html and 'style="' not in html
    assert '<html lang="zh-CN">' in html
