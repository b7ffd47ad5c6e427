"""Opening the store: where the database is, and bringing its schema to the latest revision."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import platformdirs
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from sobrenum.domain import SobrenumError

ENV_DATABASE_URL = "SOBRENUM_DATABASE_URL"
ENV_DATA_DIR = "SOBRENUM_DATA"
SQLITE_FILE_NAME = "sobrenum.sqlite3"

_MIGRATIONS = Path(__file__).with_name("migrations")


class StoreError(SobrenumError):
    """The database cannot be opened or used; the message says why, in French."""


def data_dir() -> Path:
    """The folder of sobrenum's own files: ``$SOBRENUM_DATA``, else the platform's data dir."""
    configured = os.environ.get(ENV_DATA_DIR)
    if configured:
        return Path(configured).expanduser()
    return Path(platformdirs.user_data_dir("sobrenum", appauthor=False))


def resolve_url(url: str | None) -> str:
    """The database URL to use: the one given, ``$SOBRENUM_DATABASE_URL``, else SQLite.

    ``postgresql://`` URLs are routed to psycopg 3 (``postgresql+psycopg://``).
    """
    chosen = url or os.environ.get(ENV_DATABASE_URL)
    if not chosen:
        return f"sqlite:///{data_dir() / SQLITE_FILE_NAME}"
    for prefix in ("postgresql://", "postgres://"):
        if chosen.startswith(prefix):
            return "postgresql+psycopg://" + chosen[len(prefix) :]
    return chosen


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
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    return config


def head_revision() -> str | None:
    """The latest migration shipped with this version of sobrenum."""
    return ScriptDirectory.from_config(_alembic_config()).get_current_head()


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
            return MigrationContext.configure(conn).get_current_revision()

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def owner_only_sqlite(path: Path) -> None:
    """The SQLite file readable by its owner only (0600; SQLite gives its WAL and shared-memory
    files the same mode): created so when missing, tightened when it exists. Its folder is
    created when missing, for the owner only (0700)."""
    if not path.parent.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        for found in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            try:
                if found.exists() and found.stat().st_mode & 0o077:
                    found.chmod(0o600)
            except OSError:  # another user's file: left as it is
                pass


def open_store(
    url: str | None = None,
    *,
    upgrade: bool = True,
    echo: bool = False,
    busy_timeout_ms: int = BUSY_TIMEOUT_MS,
) -> Store:
    """Open the store at ``url`` (see :func:`resolve_url`) and upgrade its schema to head.

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
    """Bring the schema to the latest revision (creates every table on an empty database)."""
    config = _alembic_config()
    with store.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # Two processes starting at once must not both migrate (the second waits).
            conn.exec_driver_sql("SET LOCAL lock_timeout = 0")
            conn.exec_driver_sql("SELECT pg_advisory_xact_lock(784512361)")
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
