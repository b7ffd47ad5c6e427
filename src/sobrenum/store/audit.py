"""The audit log: who did what, when, on which organisation."""

from __future__ import annotations

import getpass
import os
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sobrenum.store.database import Store
from sobrenum.store.models import AuditEvent


def default_actor() -> str:
    """Who acts when nobody is logged in: the operating-system user, as ``system:NAME``."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = str(os.getuid()) if hasattr(os, "getuid") else "inconnu"
    return f"system:{user}"


def record_event(
    session: Session,
    action: str,
    *,
    actor: str | None = None,
    organisation_id: int | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add an event to the log, within the caller's transaction (so it commits with the work)."""
    event = AuditEvent(
        actor=actor or default_actor(),
        action=action,
        organisation_id=organisation_id,
        details=details,
    )
    session.add(event)
    session.flush()
    return event


def list_events(
    store: Store, *, organisation_id: int | None = None, limit: int = 100
) -> list[AuditEvent]:
    """The latest events, newest first (optionally for one organisation)."""
    query = select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(limit)
    if organisation_id is not None:
        query = query.where(AuditEvent.organisation_id == organisation_id)
    with store.transaction() as session:
        return list(session.scalars(query))


def record_download(
    store: Store,
    document: str,
    *,
    file_name: str,
    actor: str | None = None,
    organisation_id: int | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Note in the log that a document or an export left the application (RGPD: who took
    which data, when). ``document`` names its kind: ``agec``, ``council_report``…"""
    with store.transaction() as session:
        record_event(
            session,
            f"export.{document}",
            actor=actor,
            organisation_id=organisation_id,
            details={"file": file_name, **(details or {})},
        )


def events_page(
    store: Store,
    organisation_id: int,
    *,
    kind: str | None = None,
    offset: int = 0,
    limit: int = 50,
) -> tuple[list[AuditEvent], int]:
    """One organisation's events, newest first, one page of them, and how many there are.

    ``kind`` keeps the actions of one family (``export`` for ``export.agec``…)."""
    where = [AuditEvent.organisation_id == organisation_id]
    if kind:
        where.append(AuditEvent.action.startswith(f"{kind}.", autoescape=True))
    query = (
        select(AuditEvent)
        .where(*where)
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .offset(offset)
        .limit(limit)
    )
    with store.transaction() as session:
        total = session.scalar(select(func.count()).select_from(AuditEvent).where(*where))
        return list(session.scalars(query)), int(total or 0)


def event_kinds(store: Store, organisation_id: int) -> list[str]:
    """The families of actions in one organisation's log (``auth``, ``export``, ``reuse``…)."""
    with store.transaction() as session:
        actions = session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.organisation_id == organisation_id)
            .distinct()
        )
        return sorted({action.split(".", 1)[0] for action in actions})
