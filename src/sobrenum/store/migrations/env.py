"""Alembic environment: runs on the connection ``sobrenum.store.open`` hands over.

Run by hand (to write a new revision) with::

    alembic -c src/sobrenum/store/alembic.ini revision --autogenerate -m "..."

which uses ``SOBRENUM_DATABASE_URL`` or the default SQLite file.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine

from sobrenum.store.models import load_all_tables

config = context.config
target_metadata = load_all_tables()


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # ALTER TABLE on SQLite
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    from sobrenum.store.database import resolve_url

    engine = create_engine(resolve_url(None))
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("sobrenum migrations run online only")
run_migrations_online()
