"""The audit log: who did what, when, on which organisation."""

from __future__ import annotations

import getpass
import os
from typing import Any

from sqlalchemy import select
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
