"""Fast bulk reads and writes, one path per database: the import's hot loop.

SQLAlchemy's per-row parameter and result processing costs more than the database itself
at 100,000 rows, so these helpers hand plain tuples to the driver: ``executemany`` on
SQLite and ``COPY`` on PostgreSQL (psycopg 3). Values must already be in the driver's form:
on SQLite dates are ISO text (as SQLAlchemy stores them there) and JSON is text; see
:func:`date_value` and :func:`json_value`.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Table, update

#: Ids per ``IN (...)`` list (SQLite accepts 32,766 parameters per statement).
ID_CHUNK = 5_000


class BulkWriteError(Exception):
    """The driver refused a bulk write (constraint violated…); ``detail`` is its message."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


def dates_as_text(conn: Connection) -> bool:
    """Whether the database stores dates as ISO text (SQLite) rather than natively."""
    return conn.dialect.name == "sqlite"


def date_value(conn: Connection, value: dt.date | None) -> Any:
    """A date as the driver expects it in :func:`insert_rows` and :func:`update_rows`."""
    if value is not None and dates_as_text(conn):
        return value.isoformat()
    return value


def json_value(conn: Connection, value: Any) -> Any:
    """A JSON value as the driver expects it (``None`` stays SQL NULL)."""
    if value is None:
        return None
    if conn.dialect.name == "postgresql":
        from psycopg.types.json import Jsonb

        return Jsonb(value)
    return json.dumps(value, ensure_ascii=False)


def _mark(conn: Connection) -> str:
    return "?" if conn.dialect.paramstyle in ("qmark", "numeric") else "%s"


def _names(conn: Connection, columns: Sequence[str]) -> str:
    quote = conn.dialect.identifier_preparer.quote
    return ", ".join(quote(c) for c in columns)


def select_rows(
    conn: Connection, table: Table, columns: Sequence[str], where: str, params: Sequence[Any]
) -> list[tuple[Any, ...]]:
    """Raw driver rows (dates as text on SQLite). ``where`` uses ``?`` for parameters."""
    quote = conn.dialect.identifier_preparer.quote
    condition = where.replace("?", _mark(conn))
    statement = f"SELECT {_names(conn, columns)} FROM {quote(table.name)} WHERE {condition}"
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(statement, tuple(params))
        return [tuple(row) for row in cursor.fetchall()]
    finally:
        cursor.close()


def insert_rows(
    conn: Connection, table: Table, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """Insert ``rows`` (tuples in ``columns`` order, driver values) into ``table``."""
    if not rows:
        return
    quote = conn.dialect.identifier_preparer.quote
    if conn.dialect.name == "postgresql":
        _copy_rows(conn, f"COPY {quote(table.name)} ({_names(conn, columns)}) FROM STDIN", rows)
        return
    placeholders = ", ".join(_mark(conn) for _ in columns)
    statement = f"INSERT INTO {quote(table.name)} ({_names(conn, columns)}) VALUES ({placeholders})"
    conn.exec_driver_sql(statement, list(rows))


def _copy_rows(conn: Connection, statement: str, rows: Sequence[Sequence[Any]]) -> None:
    import psycopg

    driver = conn.connection.driver_connection
    assert isinstance(driver, psycopg.Connection)
    try:
        with driver.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)
    except psycopg.Error as exc:
        raise BulkWriteError(str(exc).splitlines()[0]) from exc


def update_rows(
    conn: Connection,
    table: Table,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    extra_sql: str = "",
) -> None:
    """``UPDATE table SET columns…[extra_sql] WHERE id = <last value>`` for each row."""
    if not rows:
        return
    quote = conn.dialect.identifier_preparer.quote
    mark = _mark(conn)
    assignments = ", ".join(f"{quote(c)} = {mark}" for c in columns)
    statement = f"UPDATE {quote(table.name)} SET {assignments}{extra_sql} WHERE id = {mark}"
    conn.exec_driver_sql(statement, list(rows))


def update_by_ids(
    conn: Connection, table: Table, ids: Sequence[int], values: dict[str, Any], *where: Any
) -> None:
    """Set ``values`` on the rows whose ``id`` (``device_id`` for versions) is in ``ids``."""
    key = table.c.device_id if "device_id" in table.c else table.c.id
    for start in range(0, len(ids), ID_CHUNK):
        chunk = list(ids[start : start + ID_CHUNK])
        conn.execute(update(table).where(key.in_(chunk), *where).values(**values))
