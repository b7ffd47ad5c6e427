"""Inclusion indicators and the export of donations, with beneficiaries pseudonymised.

What is kept about a person: initials or a short pseudonym, the type of public, the postcode
(``reuse_beneficiary``). Exports carry none of these except the type of public: the person
becomes ``B-`` and 16 hex digits of HMAC-SHA256(instance key, organisation id : beneficiary
id). The key is drawn at random on first use and kept in the database (``reuse_secret``), so
that the same person keeps the same code across exports of one instance, while nobody can
recompute it from outside.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import hmac
import io
import secrets
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from sobrenum.reuse.vocabulary import PUBLIC_TYPES, RECEIVER_KINDS, category_label
from sobrenum.store import Store
from sobrenum.store.reuse_tables import ReuseBeneficiary, ReuseExit, ReuseItem, ReuseSecret


def instance_key(store: Store) -> bytes:
    """The instance's pseudonymisation key (made and stored on first use)."""
    with store.write_transaction() as session:
        row = session.scalar(select(ReuseSecret).order_by(ReuseSecret.id).limit(1))
        if row is None:
            row = ReuseSecret(value=secrets.token_hex(32))
            session.add(row)
            session.flush()
        return bytes.fromhex(row.value)


def pseudonym_code(key: bytes, organisation_id: int, beneficiary_id: int) -> str:
    """The code that stands for a beneficiary in exports."""
    digest = hmac.new(key, f"{organisation_id}:{beneficiary_id}".encode(), hashlib.sha256)
    return "B-" + digest.hexdigest()[:16]


@dataclass(frozen=True)
class Donation:
    """A device given away in the year: from the fleet (exit) or from the ressourcerie."""

    on: dt.date
    source: str
    """``parc`` or ``ressourcerie``."""
    reference: str
    category: str
    receiver_kind: str | None
    beneficiary_id: int | None
    public_type: str | None


@dataclass(frozen=True)
class InclusionIndicators:
    year: int
    devices_donated: int
    beneficiaries: int
    """Distinct persons who received at least one device."""
    devices_by_receiver: dict[str, int] = field(default_factory=dict)
    devices_by_public: dict[str, int] = field(default_factory=dict)
    beneficiaries_by_public: dict[str, int] = field(default_factory=dict)
    devices_by_category: dict[str, int] = field(default_factory=dict)


def donations(store: Store, organisation_id: int, year: int) -> list[Donation]:
    """Every donation of the year, fleet exits and ressourcerie redistributions."""
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    with store.transaction() as session:
        publics = dict(
            session.execute(
                select(ReuseBeneficiary.id, ReuseBeneficiary.public_type).where(
                    ReuseBeneficiary.organisation_id == organisation_id
                )
            ).all()
        )
        exits = session.scalars(
            select(ReuseExit).where(
                ReuseExit.organisation_id == organisation_id,
                ReuseExit.destination == "donation",
                ReuseExit.exit_date >= start,
                ReuseExit.exit_date <= end,
            )
        ).all()
        items = session.scalars(
            select(ReuseItem).where(
                ReuseItem.organisation_id == organisation_id,
                ReuseItem.status == "redistributed",
                ReuseItem.closed_on >= start,
                ReuseItem.closed_on <= end,
            )
        ).all()
    found: list[Donation] = []
    for e in exits:
        for _ in range(e.quantity):
            found.append(
                Donation(
                    on=e.exit_date,
                    source="parc",
                    reference=e.asset_id,
                    category=e.category,
                    receiver_kind=e.receiver_kind,
                    beneficiary_id=e.beneficiary_id,
                    public_type=publics.get(e.beneficiary_id) if e.beneficiary_id else None,
                )
            )
    for i in items:
        assert i.closed_on is not None
        found.append(
            Donation(
                on=i.closed_on,
                source="ressourcerie",
                reference=i.reference,
                category=i.category,
                receiver_kind="person" if i.beneficiary_id else "association",
                beneficiary_id=i.beneficiary_id,
                public_type=publics.get(i.beneficiary_id) if i.beneficiary_id else None,
            )
        )
    found.sort(key=lambda d: (d.on, d.reference))
    return found


def inclusion_indicators(store: Store, organisation_id: int, year: int) -> InclusionIndicators:
    given = donations(store, organisation_id, year)
    persons: dict[int, str | None] = {
        d.beneficiary_id: d.public_type for d in given if d.beneficiary_id is not None
    }
    return InclusionIndicators(
        year=year,
        devices_donated=len(given),
        beneficiaries=len(persons),
        devices_by_receiver=dict(Counter(d.receiver_kind or "inconnu" for d in given)),
        devices_by_public=dict(Counter(d.public_type for d in given if d.public_type)),
        beneficiaries_by_public=dict(Counter(p for p in persons.values() if p)),
        devices_by_category=dict(Counter(d.category for d in given)),
    )


EXPORT_COLUMNS = (
    "date",
    "provenance",
    "reference",
    "categorie",
    "destinataire",
    "beneficiaire",
    "type_de_public",
)


def _safe(value: Any) -> str:
    """A cell a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    if text and text[0] in "=+-@\t\r":
        return "'" + text
    return text


def donations_export_csv(store: Store, organisation_id: int, year: int) -> str:
    """The year's donations as CSV, beneficiaries pseudonymised (no initials, no postcode)."""
    key = instance_key(store)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(EXPORT_COLUMNS)
    for d in donations(store, organisation_id, year):
        writer.writerow(
            [
                d.on.isoformat(),
                d.source,
                _safe(d.reference),
                category_label(d.category),
                RECEIVER_KINDS.get(d.receiver_kind or "", ""),
                pseudonym_code(key, organisation_id, d.beneficiary_id)
                if d.beneficiary_id is not None
                else "",
                PUBLIC_TYPES.get(d.public_type or "", ""),
            ]
        )
    return out.getvalue()
