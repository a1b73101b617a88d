"""Typed settings of the gateway, read once from environment variables (pydantic-settings).

Names are the environment variables without a prefix (``GATEWAY_PORT``, ``DATABASE_URL``,
``RASA_URL``...), so the same ``.env``/compose file configures every component. Building a
:class:`Settings` does no I/O; :meth:`Settings.resolved_secret_key` and
:meth:`Settings.ensure_var_dir` are called by the application's startup.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_VAR_DIR = PROJECT_ROOT / "var"
SECRET_KEY_FILE = "gateway_secret_key"


class Settings(BaseSettings):
    """Everything the gateway can be configured with. Defaults serve ``make run`` on one machine."""

    model_config = SettingsConfigDict(env_prefix="", case_sensitive=False, extra="ignore", populate_by_name=True)

    gateway_host: str = "127.0.0.1"
    gateway_port: int = 8000
    var_dir: Path = Field(default=DEFAULT_VAR_DIR, validation_alias="GATEWAY_VAR_DIR")
    database_url: str = ""
    """Default ``sqlite:///<var_dir>/gateway.sqlite3`` (``<project>/var`` unless GATEWAY_VAR_DIR)."""

    rasa_url: str = "http://127.0.0.1:5005"
    actions_url: str = "http://127.0.0.1:5055"
    rasa_timeout: float = 10.0
    rasa_max_connections: int = Field(default=10, ge=1)
    """Chat turns talking to Rasa at once, each on a kept-alive connection; further turns wait
    (first come first served, at most ``rasa_timeout``). Rasa uses about one core: a few turns in
    flight keep it busy (see :mod:`gateway.rasa.client`)."""
    store_concurrency: int = Field(default=0, ge=0)
    """Chat turns' store units running at once; 0 = 1 on SQLite (one writer), 10 on PostgreSQL."""
    health_timeout: float = 2.0

    secret_key: SecretStr | None = None
    max_message_chars: int = 1000
    max_body_bytes: int = 32_768
    hotline: str = "12333"

    # Per-replica, in-memory sliding windows (one minute). 0 disables a limit.
    rate_limit_session_per_minute: int = 30
    rate_limit_ip_per_minute: int = 120

    # Staff console and review (gateway/auth): login sessions, cookies, live updates.
    staff_session_hours: float = 8.0
    """Absolute lifetime of a staff login."""
    staff_idle_minutes: int = 60
    """A staff login unused this long expires."""
    cookie_secure: bool | None = None
    """``Secure`` on staff cookies: ``None`` (default) = when the request came over HTTPS."""
    login_rate_per_minute: int = 10
    """Login attempts per client address and per user name; 0 disables."""
    sse_poll_seconds: float = 1.0
    """How often a citizen's event stream reads the database for agent messages."""
    sse_max_seconds: float = 300.0
    """An event stream ends after this long; the browser reconnects (Last-Event-ID)."""

    log_level: str = "INFO"
    run_migrations_on_startup: bool = True

    # Contract 6 (WeChat official account); used by the WeChat callback.
    wechat_token: SecretStr | None = None
    wechat_aes_key: SecretStr | None = None
    wechat_app_id: str | None = None
    wechat_app_secret: SecretStr | None = None
    wechat_api_base: str = "https://api.weixin.qq.com"
    wechat_reply_budget_seconds: float = 4.5
    """WeChat waits 5 s for a passive reply; after this budget the callback answers ``success`` and
    the bot's answer follows as a customer-service message."""
    wechat_max_clock_skew_seconds: float = 300.0
    """A callback whose signed ``timestamp`` is further than this from now is refused (403): a
    replay of a captured request. 0 disables the check."""
    wechat_public_base_url: str = ""
    """The gateway's public origin for links in WeChat replies (``https://…``); default: the
    origin WeChat called the callback on."""

    @field_validator("rasa_url", "actions_url", "wechat_api_base", "wechat_public_base_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @model_validator(mode="after")
    def _default_database(self) -> Settings:
        if not self.database_url:
            self.database_url = f"sqlite:///{self.var_dir / 'gateway.sqlite3'}"
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def ensure_var_dir(self) -> None:
        """Create ``var_dir`` and, for a SQLite file database, the database file's folder."""
        self.var_dir.mkdir(parents=True, exist_ok=True)
        if self.is_sqlite and ":///" in self.database_url:
            path = self.database_url.split(":///", 1)[1].split("?", 1)[0]
            if path and path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)

    def resolved_secret_key(self) -> str:
        """``SECRET_KEY`` if set, else a key generated once and kept in ``var_dir`` (mode 0600),
        so sessions and signed tokens survive restarts without anyone choosing a weak key."""
        if self.secret_key is not None and self.secret_key.get_secret_value():
            return self.secret_key.get_secret_value()
        path = self.var_dir / SECRET_KEY_FILE
        if path.exists():
            return path.read_text(encoding="utf-8").strip()
        self.var_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process created it first: use theirs
            return path.read_text(encoding="utf-8").strip()
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(key)
        return key
