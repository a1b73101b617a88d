"""A throwaway PostgreSQL server for the gateway's portability tests.

Uses ``GATEWAY_TEST_POSTGRES_URL`` when set; otherwise starts a private cluster with the local
``initdb``/``pg_ctl`` (as the ``postgres`` user when running as root) on a free port, and removes
it afterwards. ``None`` when PostgreSQL is not installed (the tests then skip).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.gateway.gateway_fakes import free_port


def _binary(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    for version in ("17", "16", "15", "14", "13"):
        path = Path(f"/usr/lib/postgresql/{version}/bin/{name}")
        if path.exists():
            return str(path)
    return None


@contextmanager
def postgres_url() -> Iterator[str | None]:
    given = os.environ.get("GATEWAY_TEST_POSTGRES_URL")
    if given:
        yield given
        return
    initdb, pg_ctl = _binary("initdb"), _binary("pg_ctl")
    if not initdb or not pg_ctl:
        yield None
        return
    prefix: list[str] = []
    root = Path(tempfile.mkdtemp(prefix="gateway-pg-"))
    if os.geteuid() == 0:
        prefix = ["runuser", "-u", "postgres", "--"]
        shutil.chown(root, "postgres")
    data, port = root / "data", free_port()
    run = lambda *args: subprocess.run([*prefix, *args], check=True, capture_output=True, timeout=120)  # noqa: E731
    try:
        run(initdb, "-D", str(data), "-U", "gateway", "--auth=trust", "-E", "UTF8", "--no-locale")
        run(
            pg_ctl,
            "-D",
            str(data),
            "-l",
            str(root / "log"),
            "-w",
            "-o",
            f"-p {port} -k {root} -c listen_addresses=127.0.0.1",
            "start",
        )
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, FileNotFoundError):
        shutil.rmtree(root, ignore_errors=True)
        yield None
        return
    try:
        yield f"postgresql+psycopg://gateway@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            [*prefix, pg_ctl, "-D", str(data), "-m", "immediate", "-w", "stop"], capture_output=True, timeout=60
        )
        shutil.rmtree(root, ignore_errors=True)


@contextmanager
def throwaway_database(prefix: str) -> Iterator[str]:
    """A fresh, empty database on the throwaway server, dropped afterwards (never an existing
    one). Fails -- never skips -- when PostgreSQL is missing."""
    import secrets

    import pytest
    from sqlalchemy import create_engine, make_url, text

    from gateway.store.database import normalize_url

    with postgres_url() as server_url:
        if server_url is None:
            pytest.fail("PostgreSQL is not installed (make system-deps installs it); these tests never skip silently")
        name = f"{prefix}_{secrets.token_hex(4)}"
        admin = create_engine(normalize_url(server_url), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield make_url(normalize_url(server_url)).set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
