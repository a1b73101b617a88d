"""The gateway's store: SQLAlchemy 2 typed models, engine/session factory and Alembic migrations.

Portable SQL only (SQLite by default, PostgreSQL in production)."""
