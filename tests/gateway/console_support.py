"""Helpers of the console and review tests: staff users, logging in through the real login form,
citizens queued for an agent through the real chat API (fake Rasa), and the real search index
built once per test process from the real knowledge base."""

from __future__ import annotations

import atexit
import functools
import re
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import bcrypt
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from gateway.store.models import User
from tests.gateway.gateway_fakes import FakeRasa, envelope

PASSWORD = "correct horse battery"
ID_NUMBER = "11010519491231002X"
MOBILE = "13812345678"
BANK_CARD = "6222021234567890123"
PII_TEXT = f"我的身份证号{ID_NUMBER}，手机{MOBILE}，银行卡{BANK_CARD}，失业金怎么还没到账？"

SOURCE = {
    "kind": "policy",
    "title": "中华人民共和国社会保险法",
    "article": "第四十五条",
    "doc_number": "主席令第三十五号",
    "issuer": "全国人民代表大会常务委员会",
    "date": "2018-12-29",
    "validity": "现行有效",
    "region": "全国",
    "url": "/policy/d63807b4b602",
}


def handoff_envelope(question: str) -> dict[str, Any]:
    """What our bot sends when the citizen asks for a person (转人工)."""
    return envelope(
        "好的，正在为您转接人工客服。",
        event="handoff",
        topic="request_human",
        handoff={
            "reason": "request_human",
            "topic": "consult_unemployment",
            "last_question": question,
            "candidates": [
                {
                    "title": "中华人民共和国社会保险法",
                    "article": "第四十五条",
                    "text": "失业人员符合下列条件的，从失业保险基金中领取失业保险金……",
                    "url": "/policy/d63807b4b602#第四十五条",
                }
            ],
        },
    )


@functools.cache
def _hash(password: str) -> str:
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=4)).decode()


def add_user(db: Session, username: str, role: str, *, password: str = PASSWORD, active: bool = True) -> User:
    """A staff user (bcrypt hash with few rounds: the tests log in many times)."""
    user = User(username=username, password_hash=_hash(password), role=role, is_active=active)
    db.add(user)
    db.commit()
    return user


_CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')
_CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


def login(client: TestClient, username: str, password: str = PASSWORD) -> Any:
    """Log in through the real form (login-CSRF cookie and field); returns the response."""
    page = client.get("/console/login")
    token = _CSRF_INPUT.search(page.text)
    assert token, page.text
    return client.post(
        "/console/login",
        data={"username": username, "password": password, "csrf_token": token.group(1)},
        follow_redirects=False,
    )


def staff_csrf(client: TestClient, page: str = "/console") -> str:
    """The session's CSRF token, as the staff page's ``<meta name="csrf-token">`` carries it."""
    html = client.get(page).text
    match = _CSRF_META.search(html)
    assert match, html[:500]
    return match.group(1)


def logged_in(client: TestClient, username: str, *, page: str = "/console") -> str:
    """Log in and return the CSRF token for API calls."""
    response = login(client, username)
    assert response.status_code == 303, response.text
    return staff_csrf(client, page)


def queue_citizen(client: TestClient, fake_rasa: FakeRasa, question: str = "失业金领取条件") -> str:
    """A citizen asks, then asks for a person: returns their session id (now waiting_agent)."""
    fake_rasa.reply = [envelope("失业保险金的领取条件如下。", topic="consult_unemployment", sources=[SOURCE])]
    sid = client.post("/api/chat", json={"text": question}).json()["session_id"]
    fake_rasa.reply = [handoff_envelope(question)]
    body = client.post("/api/chat", json={"session_id": sid, "text": "转人工"}).json()
    assert body["status"] == "waiting_agent", body
    return str(sid)


@functools.cache
def built_kb_index() -> Path:
    """The real embedded index built from the real knowledge base, once per test process."""
    from search.build import build
    from search.settings import SearchSettings

    directory = Path(tempfile.mkdtemp(prefix="console-kb-index-"))
    atexit.register(shutil.rmtree, directory, True)
    settings = replace(SearchSettings.from_env(), backend="embedded", index_dir=directory)
    result = build("kb", if_changed=False, settings=settings)
    assert result["count"], result
    return directory / "kb.sqlite"



class SseReader:
    """Reads a Server-Sent Events stream (plain ``http.client``, so :meth:`close` can shut the
    socket down under a blocked read) in a background thread; ``wait_for`` returns the first
    event (``{"event", "id", "data"}``) that matches, within a timeout."""

    def __init__(self, url: str, *, headers: dict[str, str] | None = None) -> None:
        import http.client
        import json
        import queue
        import threading
        from urllib.parse import urlsplit

        self.events: queue.Queue[dict[str, Any]] = queue.Queue()
        self.received: list[dict[str, Any]] = []
        self.status_code: int | None = None
        self.headers: dict[str, str] = {}
        self._ready = threading.Event()
        parts = urlsplit(url)
        self._conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=30)

        def run() -> None:
            try:
                self._conn.request("GET", parts.path + (f"?{parts.query}" if parts.query else ""), headers=headers or {})
                response = self._conn.getresponse()
                self.status_code = response.status
                self.headers = {k.lower(): v for k, v in response.getheaders()}
                self._ready.set()
                event: dict[str, Any] = {}
                while response.status == 200:
                    raw = response.readline()
                    if not raw:
                        return
                    line = raw.decode("utf-8").rstrip("\r\n")
                    if not line:
                        if "data" in event:
                            self.events.put(event)
                        event = {}
                    elif line.startswith("event: "):
                        event["event"] = line[7:]
                    elif line.startswith("id: "):
                        event["id"] = int(line[4:])
                    elif line.startswith("data: "):
                        event["data"] = json.loads(line[6:])
            except Exception:  # noqa: BLE001
                return  # closed by close(), or the server went away
            finally:
                self._ready.set()

        self._thread = threading.Thread(target=run, daemon=True)
        self._thread.start()
        assert self._ready.wait(10), "event stream did not answer"

    def wait_for(self, predicate: Callable[[dict[str, Any]], bool], timeout: float = 10.0) -> dict[str, Any]:
        """The first event received so far (or within ``timeout``) that matches ``predicate``."""
        import queue
        import time

        deadline = time.monotonic() + timeout
        while True:
            for event in self.received:
                if predicate(event):
                    return event
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"expected event did not arrive; received {self.received}")
            try:
                self.received.append(self.events.get(timeout=remaining))
            except queue.Empty:
                continue

    def close(self) -> None:
        """Drop the connection (the server notices the disconnect and ends the stream)."""
        import contextlib
        import socket

        if self._conn.sock is not None:
            with contextlib.suppress(OSError):
                self._conn.sock.shutdown(socket.SHUT_RDWR)
        self._conn.close()
        self._thread.join(timeout=5)
