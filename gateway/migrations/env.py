"""Alembic environment of the gateway store.

Run programmatically by :func:`gateway.store.migrate.upgrade_to_head` (which passes an open
connection in ``config.attributes["connection"]``) or from the command line with
``alembic -c gateway/alembic.ini ...`` (URL from ``sqlalchemy.url`` or the gateway settings).
``render_as_batch`` lets later migrations alter tables on SQLite too.
"""

from __future__ import annotations

from logging.config import fileConfig

from alembic import context
from sqlalchemy import Connection

from gateway.store import models  # noqa: F401  (registers the tables on Base.metadata)
from gateway.store.base import Base
from gateway.store.database import create_db_engine
from gateway.wechat import models as wechat_models  # noqa: F401  (the wechat_inbound table)

config = context.config
target_metadata = Base.metadata

if config.config_file_name is not None and not config.attributes.get("programmatic"):
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def _url() -> str:
    url = config.get_main_option("sqlalchemy.url")
    if url:
        return url
    from gateway.settings import Settings

    return Settings().database_url


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_offline() -> None:
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        return
    engine = create_db_engine(_url())
    try:
        with engine.connect() as conn:
            _configure(conn)
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
