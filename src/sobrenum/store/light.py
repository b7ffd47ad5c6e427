"""What the store needs before SQLAlchemy: where the database is, which schema revision this
version of sobrenum expects, and a quick read of the organisations.

Nothing here imports SQLAlchemy or Alembic (about a second of start-up between them): a
command that only reads, such as ``sobrenum organisation lister``, reads a SQLite database
at the latest revision with the standard library's ``sqlite3``; anything else (PostgreSQL, a
database to create or migrate, an unreadable file) goes through :func:`open_store`.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import sqlite3

ENV_DATABASE_URL = "SOBRENUM_DATABASE_URL"
ENV_DATA_DIR = "SOBRENUM_DATA"
SQLITE_FILE_NAME = "sobrenum.sqlite3"

MIGRATIONS = Path(__file__).with_name("migrations")

ORGANISATION_TYPES: tuple[str, ...] = (
    "commune",
    "epci",
    "departement",
    "region",
    "syndicat",
    "autre",
)
"""Kinds of local authority (``organisation.type``)."""

ORGANISATION_TYPE_LABELS: dict[str, str] = {
    "commune": "Commune",
    "epci": "Intercommunalité (EPCI)",
    "departement": "Département",
    "region": "Région",
    "syndicat": "Syndicat",
    "autre": "Autre",
}


def type_label(code: str) -> str:
    return ORGANISATION_TYPE_LABELS.get(code, code)


def data_dir() -> Path:
    """The folder of sobrenum's own files: ``$SOBRENUM_DATA``, else the platform's data dir."""
    configured = os.environ.get(ENV_DATA_DIR)
    if configured:
        return Path(configured).expanduser()
    import platformdirs

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


_REVISION = re.compile(r"^revision(?:\s*:[^=]+)?\s*=\s*['\"]([^'\"]+)['\"]", re.M)
_DOWN_REVISION = re.compile(r"^down_revision(?:\s*:[^=]+)?\s*=\s*(.+)$", re.M)


@cache
def head_revision() -> str | None:
    """The latest migration shipped with this version of sobrenum, read from the revision
    files' ``revision`` and ``down_revision`` lines (tests/test_store.py checks it is
    Alembic's head); ``None`` when they do not form one chain (then Alembic decides)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for file in (MIGRATIONS / "versions").glob("[0-9]*.py"):
        text = file.read_text(encoding="utf-8")
        revision, down = _REVISION.search(text), _DOWN_REVISION.search(text)
        if revision is None or down is None:
            return None
        revisions.add(revision.group(1))
        parents.update(re.findall(r"['\"]([^'\"]+)['\"]", down.group(1)))
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


def sqlite_file(url: str) -> Path | None:
    """The file of a plain ``sqlite:///path`` URL (no driver, no options), else ``None``."""
    prefix = "sqlite:///"
    if not url.startswith(prefix) or "?" in url or url in (prefix, prefix + ":memory:"):
        return None
    return Path(url[len(prefix) :]).expanduser()


def _read_only(path: Path) -> sqlite3.Connection | None:
    """A read-only connection to the SQLite file at ``path`` when its schema is at the
    latest revision, else ``None``."""
    import sqlite3

    if not path.is_file():
        return None
    owner_only_sqlite(path)
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=10)
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.Error:
        return None
    if row is None or row[0] != head_revision():
        conn.close()
        return None
    return conn


@dataclass(frozen=True)
class OrganisationSummary:
    """What ``sobrenum organisation lister`` shows of an organisation."""

    name: str
    type: str
    siren: str | None
    population: int | None
    staff_count: int | None


def organisation_summaries(url: str | None = None) -> list[OrganisationSummary]:
    """The organisations of the store at ``url`` (see :func:`resolve_url`), by name: read
    with ``sqlite3`` from a SQLite file at the latest revision, else through the store."""
    import sqlite3

    path = sqlite_file(resolve_url(url))
    conn = _read_only(path) if path else None
    if conn is not None:
        try:
            with conn:
                rows = conn.execute(
                    "SELECT name, type, siren, population, staff_count FROM organisation "
                    "ORDER BY name"
                ).fetchall()
            return [OrganisationSummary(*row) for row in rows]
        except sqlite3.Error:
            pass  # locked or damaged: the store says why, in French
        finally:
            conn.close()
    from sobrenum.store.database import open_store
    from sobrenum.store.organisations import list_organisations

    with open_store(url) as store:
        return [
            OrganisationSummary(o.name, o.type, o.siren, o.population, o.staff_count)
            for o in list_organisations(store)
        ]
