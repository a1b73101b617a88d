"""Command line of the gateway::

    python -m gateway serve                      # uvicorn on 127.0.0.1:$GATEWAY_PORT
    python -m gateway migrate                    # alembic upgrade head
    python -m gateway create-user NAME --role agent [--password-env VAR]

Commands that report print one JSON object as their last line (also on failure).
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from typing import Any

from gateway.settings import Settings


def _report(data: dict[str, Any]) -> None:
    print(json.dumps(data, ensure_ascii=False))


def serve(settings: Settings, *, host: str | None, port: int | None, reload: bool) -> int:
    import uvicorn

    from gateway.logging_config import configure_logging

    configure_logging(settings.log_level)
    uvicorn.run(
        "gateway.app:create_app",
        factory=True,
        host=host or settings.gateway_host,
        port=port or settings.gateway_port,
        reload=reload,
        access_log=False,  # our access log names route templates; raw paths hold session ids
        log_config=None,
        proxy_headers=True,
    )
    return 0


def migrate(settings: Settings) -> int:
    from gateway.store.migrate import upgrade_to_head

    try:
        settings.ensure_var_dir()
        revision = upgrade_to_head(settings.database_url)
    except Exception as exc:
        _report({"ok": False, "error": f"{exc.__class__.__name__}: {exc}"})
        return 1
    _report({"ok": True, "revision": revision})
    return 0


def _read_password(password_env: str | None) -> str:
    if password_env:
        value = os.environ.get(password_env)
        if not value:
            raise ValueError(f"environment variable {password_env} is not set")
        return value
    first = getpass.getpass("密码 / password: ")
    second = getpass.getpass("再次输入 / again: ")
    if first != second:
        raise ValueError("passwords do not match")
    return first


def create_user_command(
    settings: Settings, *, username: str, role: str, password_env: str | None, display_name: str | None
) -> int:
    from gateway.auth.users import create_user
    from gateway.store.database import create_db_engine, create_session_factory, session_scope
    from gateway.store.migrate import upgrade_to_head

    try:
        password = _read_password(password_env)
        settings.ensure_var_dir()
        engine = create_db_engine(settings.database_url)
        try:
            upgrade_to_head(settings.database_url, engine=engine)
            with session_scope(create_session_factory(engine)) as db:
                user = create_user(db, username=username, password=password, role=role, display_name=display_name)
                user_id = user.id
        finally:
            engine.dispose()
    except Exception as exc:
        _report({"ok": False, "error": f"{exc.__class__.__name__}: {exc}"})
        return 1
    _report({"ok": True, "user_id": user_id, "username": username, "role": role})
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gateway", description="人社政策咨询 gateway")
    sub = parser.add_subparsers(dest="command", required=True)
    p_serve = sub.add_parser("serve", help="run the web server (uvicorn)")
    p_serve.add_argument("--host", default=None, help="default: GATEWAY_HOST (127.0.0.1)")
    p_serve.add_argument("--port", type=int, default=None, help="default: GATEWAY_PORT (8000)")
    p_serve.add_argument("--reload", action="store_true", help="restart on code changes (development)")
    sub.add_parser("migrate", help="upgrade the database schema to the latest revision")
    p_user = sub.add_parser("create-user", help="create a staff user (agent, reviewer or admin)")
    p_user.add_argument("username")
    p_user.add_argument("--role", choices=("agent", "reviewer", "admin"), default="agent")
    p_user.add_argument("--display-name", default=None)
    p_user.add_argument(
        "--password-env",
        default=None,
        metavar="VAR",
        help="read the password from this environment variable instead of a prompt",
    )
    args = parser.parse_args(argv)
    settings = Settings()
    if args.command == "serve":
        return serve(settings, host=args.host, port=args.port, reload=args.reload)
    if args.command == "migrate":
        return migrate(settings)
    return create_user_command(
        settings, username=args.username, role=args.role, password_env=args.password_env, display_name=args.display_name
    )


if __name__ == "__main__":
    sys.exit(main())
