"""Opening the store: where the database is, and bringing its schema to the latest revision.

Alembic is imported only when the schema is not at the latest revision already (one cheap
query on ``alembic_version`` tells): opening an up-to-date database costs no migration run.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from sobrenum.domain import SobrenumError
from sobrenum.store.light import (
    ENV_DATA_DIR,
    ENV_DATABASE_URL,
    MIGRATIONS,
    SQLITE_FILE_NAME,
    data_dir,
    head_revision,
    owner_only_sqlite,
    resolve_url,
)

if TYPE_CHECKING:
    from alembic.config import Config

__all__ = [
    "ENV_DATABASE_URL",
    "ENV_DATA_DIR",
    "SQLITE_FILE_NAME",
    "Store",
    "StoreError",
    "data_dir",
    "head_revision",
    "open_store",
    "owner_only_sqlite",
    "resolve_url",
    "upgrade_schema",
]


class StoreError(SobrenumError):
    """The database cannot be opened or used; the message says why, in French."""


WRITE_OPTION = "sobrenum_write"
"""Execution option: on SQLite, open the transaction with ``BEGIN IMMEDIATE`` (write lock)."""


#: How long a transaction waits for a lock another one holds (SQLite's busy timeout,
#: PostgreSQL's lock_timeout) before giving up with « database is locked » / 55P03: the web
#: app then answers 503 « réessayez » (never a request that waits forever).
BUSY_TIMEOUT_MS = 10_000


def _sqlite_pragmas(busy_timeout_ms: int) -> Any:
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the sqlite3 module, emit BEGIN (SQLAlchemy's documented
        # recipe): transactional DDL for migrations, working SAVEPOINTs, and BEGIN
        # IMMEDIATE for writers.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.close()

    return on_connect


def _sqlite_begin(conn: Connection) -> None:
    immediate = conn.get_execution_options().get(WRITE_OPTION, False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


#: PostgreSQL states of a transaction that lost a race and may simply be retried:
#: serialization failure, deadlock detected, lock not available.
_RETRYABLE_SQLSTATES = frozenset({"40001", "40P01", "55P03"})


def is_busy(exc: BaseException) -> bool:
    """The database refused because another transaction holds what this one needs (SQLite
    « database is locked » after its busy timeout, a PostgreSQL deadlock or lock timeout):
    nothing is damaged and the same request may be retried in a moment."""
    orig = getattr(exc, "orig", None) or exc
    if getattr(orig, "sqlstate", None) in _RETRYABLE_SQLSTATES:
        return True
    text = str(orig).lower()
    return "database is locked" in text or "database is busy" in text


def _alembic_config() -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def current_revision(conn: Connection) -> str | None:
    """The schema revision recorded in the database (``None`` for an empty database)."""
    if not inspect(conn).has_table("alembic_version"):
        return None
    revision: str | None = conn.scalar(text("SELECT version_num FROM alembic_version"))
    return revision


@dataclass
class Store:
    """An open database: its engine, a session factory, and its URL (password hidden)."""

    engine: Engine
    sessions: sessionmaker[Session]

    @property
    def url(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session in one transaction: committed on success, rolled back on any error."""
        with self.sessions.begin() as session:
            yield session

    @contextmanager
    def write_transaction(self) -> Iterator[Session]:
        """Like :meth:`transaction`, holding the write lock from the start on SQLite.

        Use it for read-then-write work (an import reads the fleet, then writes the diff), so
        that two writers are serialised instead of failing on a stale snapshot.
        """
        engine = self.engine.execution_options(**{WRITE_OPTION: True})
        with Session(engine, expire_on_commit=False) as session, session.begin():
            yield session

    def schema_revision(self) -> str | None:
        with self.engine.connect() as conn:
            return current_revision(conn)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def open_store(
    url: str | None = None,
    *,
    upgrade: bool = True,
    echo: bool = False,
    busy_timeout_ms: int = BUSY_TIMEOUT_MS,
) -> Store:
    """Open the store at ``url`` (see :func:`resolve_url`) and upgrade its schema to head
    (unless it is there already).

    The SQLite file's folder is created when missing. Raises :class:`StoreError` with a
    French message when the database cannot be reached. A transaction waits at most
    ``busy_timeout_ms`` for a lock held by another (see :data:`BUSY_TIMEOUT_MS`).
    """
    resolved = resolve_url(url)
    try:
        parsed = make_url(resolved)
    except ArgumentError as exc:
        raise StoreError(f"Adresse de base de données invalide : {resolved!r}.") from exc
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        owner_only_sqlite(Path(parsed.database).expanduser())
    connect_args: dict[str, Any] = {}
    if parsed.get_backend_name() == "postgresql":
        connect_args["options"] = f"-c lock_timeout={int(busy_timeout_ms)}"
    engine = create_engine(parsed, echo=echo, pool_pre_ping=True, connect_args=connect_args)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas(busy_timeout_ms))
        event.listen(engine, "begin", _sqlite_begin)
    store = Store(engine=engine, sessions=sessionmaker(engine, expire_on_commit=False))
    if upgrade:
        try:
            upgrade_schema(store)
        except OperationalError as exc:
            engine.dispose()
            raise StoreError(
                f"Impossible d'ouvrir la base de données {store.url} : {exc.orig}"
            ) from exc
    return store


def upgrade_schema(store: Store) -> None:
    """Bring the schema to the latest revision (creates every table on an empty database).

    Alembic runs only when the database is not at :func:`head_revision` (it also runs when
    the revision files cannot be read without it, ``head_revision() is None``).
    """
    head = head_revision()
    if head is not None and store.schema_revision() == head:
        return
    from alembic import command

    config = _alembic_config()
    with store.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # Two processes starting at once must not both migrate (the second waits).
            conn.exec_driver_sql("SET LOCAL lock_timeout = 0")
            conn.exec_driver_sql("SELECT pg_advisory_xact_lock(784512361)")
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
