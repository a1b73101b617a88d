"""A small, thread-safe client of WeChat's server API: the access token and customer-service
(客服) text messages.

- token: ``GET {WECHAT_API_BASE}/cgi-bin/token?grant_type=client_credential&appid=…&secret=…``,
  cached until shortly before ``expires_in`` runs out; one fetch at a time (a lock), because every
  fetch invalidates the previous token after a grace period.
- send: ``POST {WECHAT_API_BASE}/cgi-bin/message/custom/send?access_token=…`` with
  ``{"touser", "msgtype": "text", "text": {"content"}}``, JSON written as UTF-8 (WeChat shows
  ``\\uXXXX`` escapes literally). On errcode 40001/40014/42001 (token invalid or expired, e.g.
  refreshed elsewhere) the token is fetched again and the message sent once more.

Secrets stay out of logs: httpx logs request URLs (which carry ``secret`` and ``access_token``)
at INFO, so :func:`install_log_redaction` adds a filter to the ``httpx`` logger that redacts them.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from dataclasses import dataclass
from typing import Any

import httpx

log = logging.getLogger(__name__)

TOKEN_PATH = "/cgi-bin/token"
CUSTOM_SEND_PATH = "/cgi-bin/message/custom/send"
TOKEN_ERRCODES = frozenset({40001, 40014, 42001})
EXPIRY_MARGIN_SECONDS = 300
"""Refresh this long before WeChat's ``expires_in`` (normally 7200 s) runs out."""

_SECRET_QUERY = re.compile(r"((?:access_token|secret)=)[^&\s\"']+")


class WeChatAPIError(RuntimeError):
    """WeChat's API answered an error (``errcode``) or could not be reached (``errcode`` -1)."""

    def __init__(self, errcode: int, errmsg: str) -> None:
        super().__init__(f"WeChat API error {errcode}: {errmsg}")
        self.errcode, self.errmsg = errcode, errmsg


class _RedactSecrets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = _SECRET_QUERY.sub(r"\1***", message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


def install_log_redaction() -> None:
    """Redact ``secret=``/``access_token=`` in httpx's request log lines (idempotent)."""
    logger = logging.getLogger("httpx")
    if not any(isinstance(f, _RedactSecrets) for f in logger.filters):
        logger.addFilter(_RedactSecrets())


@dataclass
class _Token:
    value: str
    expires_at: float  # time.monotonic()


class WeChatAPI:
    """WeChat's API for one official account. Create once per application; :meth:`close` at
    shutdown. Nothing is fetched until the first message is sent."""

    def __init__(
        self,
        *,
        base_url: str,
        app_id: str | None,
        app_secret: str | None,
        timeout: float = 5.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._app_id, self._app_secret = app_id, app_secret
        self._client = httpx.Client(base_url=self.base_url, timeout=timeout, transport=transport)
        self._token: _Token | None = None
        self._lock = threading.Lock()

    @property
    def configured(self) -> bool:
        return bool(self._app_id and self._app_secret)

    def access_token(self, *, stale: str | None = None) -> str:
        """A valid token from the cache, or a fresh one. ``stale``: a token WeChat just rejected
        (fetched again unless another thread already replaced it)."""
        with self._lock:
            token = self._token
            if token is not None and token.value != stale and token.expires_at > time.monotonic():
                return token.value
            self._token = self._fetch_token()
            return self._token.value

    def _fetch_token(self) -> _Token:
        if not self.configured:
            raise WeChatAPIError(-1, "WECHAT_APP_ID / WECHAT_APP_SECRET not configured")
        params = {"grant_type": "client_credential", "appid": self._app_id, "secret": self._app_secret}
        data = self._call("GET", TOKEN_PATH, params=params)
        value = data.get("access_token")
        if not isinstance(value, str) or not value:
            raise WeChatAPIError(-1, "token response without access_token")
        try:
            expires_in = int(data.get("expires_in", 7200))
        except (TypeError, ValueError):
            expires_in = 7200
        lifetime = max(expires_in - EXPIRY_MARGIN_SECONDS, expires_in // 2, 1)
        log.info("WeChat access token fetched (valid %s s)", expires_in)
        return _Token(value=value, expires_at=time.monotonic() + lifetime)

    def send_text(self, openid: str, content: str) -> None:
        """Send one customer-service text message; raises :class:`WeChatAPIError`."""
        body = json.dumps({"touser": openid, "msgtype": "text", "text": {"content": content}}, ensure_ascii=False).encode("utf-8")
        token = self.access_token()
        for attempt in (1, 2):
            try:
                self._call("POST", CUSTOM_SEND_PATH, params={"access_token": token}, content=body)
                return
            except WeChatAPIError as exc:
                if exc.errcode not in TOKEN_ERRCODES or attempt == 2:
                    raise
                log.info("WeChat rejected the access token (errcode %s): fetching a new one", exc.errcode)
                token = self.access_token(stale=token)

    def _call(self, method: str, path: str, *, params: dict[str, Any], content: bytes | None = None) -> dict[str, Any]:
        headers = {"Content-Type": "application/json; charset=utf-8"} if content is not None else None
        try:
            response = self._client.request(method, path, params=params, content=content, headers=headers)
        except httpx.HTTPError as exc:
            raise WeChatAPIError(-1, f"unreachable: {exc.__class__.__name__}") from exc
        if response.status_code != 200:
            raise WeChatAPIError(-1, f"HTTP {response.status_code}")
        try:
            data = response.json()
        except ValueError as exc:
            raise WeChatAPIError(-1, "response is not JSON") from exc
        if not isinstance(data, dict):
            raise WeChatAPIError(-1, "response is not a JSON object")
        errcode = data.get("errcode", 0)
        if errcode not in (0, None):
            raise WeChatAPIError(int(errcode) if str(errcode).lstrip("-").isdigit() else -1, str(data.get("errmsg", "")))
        return data

    def close(self) -> None:
        self._client.close()
