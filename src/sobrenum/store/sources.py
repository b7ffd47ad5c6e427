"""Named sources of an organisation's fleet (a GLPI instance, an operator's file, a site's
spreadsheet, the agent's files…): each import belongs to one and diffs only within it."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from sobrenum.domain import SobrenumError
from sobrenum.store.database import Store
from sobrenum.store.models import DEFAULT_SOURCE, InventoryImport, InventorySource

#: Longest source name (the column's width).
MAX_SOURCE_NAME = 200


class SourceError(SobrenumError):
    """A source name that cannot be used, or a source that does not exist."""


def clean_source_name(name: str | None) -> str:
    """The name as stored: trimmed, inner spaces collapsed; ``None`` or blank → « principale »."""
    if name is None:
        return DEFAULT_SOURCE
    cleaned = " ".join(name.split())
    if not cleaned:
        return DEFAULT_SOURCE
    if len(cleaned) > MAX_SOURCE_NAME:
        raise SourceError(
            f"Nom de source trop long ({len(cleaned)} caractères) : {MAX_SOURCE_NAME} au plus."
        )
    return cleaned


def source_in(session: Session, organisation_id: int, name: str | None) -> InventorySource:
    """The organisation's source of that name, created if it does not exist yet."""
    cleaned = clean_source_name(name)
    found = session.scalar(
        select(InventorySource).where(
            InventorySource.organisation_id == organisation_id,
            InventorySource.name == cleaned,
        )
    )
    if found is None:
        found = InventorySource(organisation_id=organisation_id, name=cleaned)
        session.add(found)
        session.flush()
    return found


def get_or_create_source(store: Store, organisation_id: int, name: str | None) -> InventorySource:
    """The source of that name (« principale » when none is given), created on first use."""
    with store.transaction() as session:
        return source_in(session, organisation_id, name)


def find_source(store: Store, organisation_id: int, name: str | None) -> InventorySource | None:
    """The source of that name, or ``None`` (no creation)."""
    with store.transaction() as session:
        return session.scalar(
            select(InventorySource).where(
                InventorySource.organisation_id == organisation_id,
                InventorySource.name == clean_source_name(name),
            )
        )


def list_sources(store: Store, organisation_id: int) -> list[InventorySource]:
    """The organisation's sources, by name."""
    with store.transaction() as session:
        return list(
            session.scalars(
                select(InventorySource)
                .where(InventorySource.organisation_id == organisation_id)
                .order_by(InventorySource.name)
            )
        )


def last_used_source(store: Store, organisation_id: int) -> InventorySource | None:
    """The source of the organisation's most recent import (the one to offer first)."""
    with store.transaction() as session:
        return session.scalar(
            select(InventorySource)
            .join(InventoryImport, InventoryImport.source_id == InventorySource.id)
            .where(InventorySource.organisation_id == organisation_id)
            .order_by(InventoryImport.imported_at.desc(), InventoryImport.id.desc())
            .limit(1)
        )


def remember_mapping(
    store: Store,
    source_id: int,
    *,
    profile: str | None = None,
    mapping: dict[str, str] | None = None,
) -> None:
    """Keep the column mapping used with a source, offered again for its next import."""
    with store.transaction() as session:
        source = session.get(InventorySource, source_id)
        if source is None:
            return
        if profile is not None:
            source.mapping_profile = profile
        if mapping is not None:
            source.mapping = dict(mapping)
