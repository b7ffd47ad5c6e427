"""Uploaded inventory files waiting to be applied (the web's import in two steps).

A staged import is ``pending`` until it is applied (its status, import and outcome written in
the import's own transaction, see :func:`applied_in`) or abandoned. Applying is idempotent:
a staged import already applied gives back what its import did.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sobrenum.domain import SobrenumError
from sobrenum.store.audit import record_event
from sobrenum.store.database import Store
from sobrenum.store.imports import ImportSummary
from sobrenum.store.users import StagedImport


class StagedImportStateError(SobrenumError):
    """The staged import was already applied or abandoned."""


def add_staged(
    store: Store,
    *,
    organisation_id: int,
    user_id: int,
    file_name: str,
    file_sha256: str,
    inventory_date: dt.date,
    content: bytes,
    report: dict[str, Any],
    actor: str,
    accepted: int,
    rejected: int,
) -> StagedImport:
    """Keep an uploaded file, unapplied, with its validation report (and the audit entry)."""
    staged = StagedImport(
        organisation_id=organisation_id,
        user_id=user_id,
        file_name=file_name,
        file_sha256=file_sha256,
        inventory_date=inventory_date,
        content=content,
        report=report,
        status="pending",
    )
    with store.transaction() as session:
        session.add(staged)
        session.flush()
        record_event(
            session,
            "import.upload",
            actor=actor,
            organisation_id=organisation_id,
            details={
                "staged_import_id": staged.id,
                "file": file_name,
                "sha256": file_sha256,
                "accepted": accepted,
                "rejected": rejected,
            },
        )
    return staged


def get_staged(store: Store, organisation_id: int, staged_id: int) -> StagedImport | None:
    """The organisation's staged import ``staged_id`` (None if it is another's or none)."""
    with store.transaction() as session:
        staged = session.get(StagedImport, staged_id)
    if staged is None or staged.organisation_id != organisation_id:
        return None
    return staged


def list_staged(store: Store, organisation_id: int, limit: int = 50) -> list[StagedImport]:
    with store.transaction() as session:
        return list(
            session.scalars(
                select(StagedImport)
                .where(StagedImport.organisation_id == organisation_id)
                .order_by(StagedImport.id.desc())
                .limit(limit)
            )
        )


def update_report(store: Store, staged_id: int, **entries: Any) -> None:
    """Add entries to a staged import's report (the column mapping chosen, for instance)."""
    with store.write_transaction() as session:
        row = session.get(StagedImport, staged_id)
        if row is not None:
            row.report = {**(row.report or {}), **entries}


def applied_in(
    session: Session, staged_id: int, import_id: int, outcome: dict[str, Any] | None = None
) -> bool:
    """Mark the staged import applied by ``import_id``, in the import's transaction.

    Returns False when it was applied already (a double click: the first outcome is kept).
    Raises :class:`StagedImportStateError` when it was abandoned meanwhile (the import is
    rolled back with it).
    """
    row = session.get(StagedImport, staged_id, with_for_update=True)
    if row is None or row.status == "abandoned":
        raise StagedImportStateError("Ce dépôt a été abandonné : rien n'a été importé.")
    if row.status == "applied":
        return False
    row.status = "applied"
    row.import_id = import_id
    row.content = b""  # the file is no longer needed once applied
    if outcome is not None:
        row.report = {**(row.report or {}), "resultat": outcome}
    return True


class MarkApplied:
    """The ``on_applied`` hook of :func:`~sobrenum.store.imports.apply_import` for a staged
    import: its status, import and outcome (``outcome(summary)``) in the import's transaction.
    ``first`` tells whether this application was the first (not a double click's second)."""

    def __init__(
        self, staged_id: int, outcome: Callable[[ImportSummary], dict[str, Any]] | None = None
    ) -> None:
        self.staged_id = staged_id
        self.outcome = outcome
        self.first = True

    def __call__(self, session: Session, summary: ImportSummary) -> None:
        details = self.outcome(summary) if self.outcome else None
        self.first = applied_in(session, self.staged_id, summary.import_id, details)


def abandon_staged(store: Store, staged: StagedImport, *, actor: str) -> None:
    if staged.status != "pending":
        raise StagedImportStateError(f"Cet import ({staged.file_name}) n'est plus en attente.")
    with store.write_transaction() as session:
        row = session.get(StagedImport, staged.id)
        if row is None or row.status != "pending":
            raise StagedImportStateError(f"Cet import ({staged.file_name}) n'est plus en attente.")
        row.status = "abandoned"
        row.content = b""
        record_event(
            session,
            "import.abandon",
            actor=actor,
            organisation_id=row.organisation_id,
            details={"staged_import_id": row.id, "file": row.file_name},
        )
