"""PDF documents of the register: donation agreement and wipe certificate (French).

HTML from Jinja2 templates, printed to PDF by WeasyPrint (offline; DejaVu fonts from Debian's
``fonts-dejavu-core``). Nothing is fetched: the style sheet is read from the package.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import jinja2
from sqlalchemy import select

from sobrenum.reuse.errors import NotFoundError, ReuseError
from sobrenum.reuse.vocabulary import (
    CONDITIONS,
    PUBLIC_TYPES,
    RECEIVER_KINDS,
    WIPE_METHODS,
    category_label,
)
from sobrenum.store import Device, Organisation, Store
from sobrenum.store.reuse_tables import ReuseBeneficiary, ReuseExit, ReuseItem, ReuseWipe

TEMPLATES = Path(__file__).with_name("templates")

_env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(str(TEMPLATES)),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)

_NATURE = {
    "donation": "don",
    "public_transfer": "cession à un organisme public",
    "sale": "vente pour réemploi",
    "refurbisher": "remise à un reconditionneur",
}
_LEGAL_BASIS = {
    "donation": "l'article L. 3212-2 du code général de la propriété des personnes publiques",
}


def _french_date(day: dt.date) -> str:
    return day.strftime("%d/%m/%Y")


def _pdf(template: str, context: dict[str, Any]) -> bytes:
    from weasyprint import CSS, HTML

    from sobrenum.reporting.council import PDF_OPTIONS

    html = _env.get_template(template).render(**context)
    css = CSS(filename=str(TEMPLATES / "document.css"))
    result: bytes = HTML(string=html, base_url=str(TEMPLATES)).write_pdf(
        stylesheets=[css], **PDF_OPTIONS
    )
    return result


def _organisation(store: Store, organisation_id: int) -> Organisation:
    with store.transaction() as session:
        found = session.get(Organisation, organisation_id)
    if found is None:
        raise NotFoundError(f"Collectivité n° {organisation_id} introuvable.")
    return found


def wipe_certificate_pdf(
    store: Store, organisation_id: int, wipe_id: int, *, today: dt.date | None = None
) -> bytes:
    """The certificate of one recorded wipe."""
    organisation = _organisation(store, organisation_id)
    with store.transaction() as session:
        wipe = session.get(ReuseWipe, wipe_id)
        if wipe is None or wipe.organisation_id != organisation_id:
            raise NotFoundError(f"Effacement n° {wipe_id} introuvable.")
        manufacturer = model = None
        if wipe.subject == "device":
            device = session.scalar(
                select(Device).where(
                    Device.organisation_id == organisation_id, Device.asset_id == wipe.subject_ref
                )
            )
            if device is not None:
                manufacturer, model = device.manufacturer, device.model
            provenance = "Parc informatique de la collectivité"
        else:
            item = session.scalar(
                select(ReuseItem).where(
                    ReuseItem.organisation_id == organisation_id,
                    ReuseItem.reference == wipe.subject_ref,
                )
            )
            provenance = "Ressourcerie" + (
                f" (reçu le {_french_date(item.intake_date)})" if item else ""
            )
    return _pdf(
        "certificat-effacement.html.j2",
        {
            "organisation": organisation,
            "number": f"EFF-{wipe.wiped_on.year}-{wipe.id:05d}",
            "issued_on": _french_date(today or dt.date.today()),
            "wipe": wipe,
            "wiped_on": _french_date(wipe.wiped_on),
            "method_label": WIPE_METHODS[wipe.method],
            "subject_ref": wipe.subject_ref,
            "category": category_label(wipe.category),
            "manufacturer": manufacturer,
            "model": model,
            "provenance": provenance,
        },
    )


def donation_agreement_pdf(
    store: Store,
    organisation_id: int,
    exit_ids: Sequence[int],
    *,
    today: dt.date | None = None,
) -> bytes:
    """The agreement (convention de cession) of one or several exits to the same receiver."""
    if not exit_ids:
        raise ReuseError("Aucune sortie choisie pour la convention de cession.")
    organisation = _organisation(store, organisation_id)
    with store.transaction() as session:
        exits: list[ReuseExit] = []
        for exit_id in exit_ids:
            row = session.get(ReuseExit, exit_id)
            if row is None or row.organisation_id != organisation_id:
                raise NotFoundError(f"Sortie n° {exit_id} introuvable.")
            exits.append(row)
        first = exits[0]
        if first.destination not in _NATURE:
            raise ReuseError(
                "Une convention de cession ne concerne qu'un don, une cession, une vente ou une "
                "remise à un reconditionneur."
            )
        for other in exits[1:]:
            if (other.destination, other.receiver_name, other.beneficiary_id) != (
                first.destination,
                first.receiver_name,
                first.beneficiary_id,
            ):
                raise ReuseError(
                    "Les sorties d'une même convention doivent avoir la même nature et le même "
                    "destinataire."
                )
        beneficiary = (
            session.get(ReuseBeneficiary, first.beneficiary_id) if first.beneficiary_id else None
        )
        lines = []
        for row in exits:
            device = session.scalar(
                select(Device).where(
                    Device.organisation_id == organisation_id, Device.asset_id == row.asset_id
                )
            )
            wipe = session.get(ReuseWipe, row.wipe_id) if row.wipe_id else None
            model = " ".join(x for x in (device.manufacturer, device.model) if x) if device else ""
            lines.append(
                {
                    "ref": row.asset_id + (f" (× {row.quantity})" if row.quantity > 1 else ""),
                    "category": category_label(row.category),
                    "model": model or "—",
                    "condition": CONDITIONS[row.condition],
                    "wipe": (
                        f"{wipe.method.capitalize()}, {_french_date(wipe.wiped_on)}"
                        if wipe
                        else "Sans support de données"
                    ),
                }
            )
    handed = max(e.exit_date for e in exits)
    return _pdf(
        "convention-cession.html.j2",
        {
            "organisation": organisation,
            "number": f"CES-{handed.year}-{first.id:05d}",
            "nature": _NATURE[first.destination],
            "issued_on": _french_date(today or dt.date.today()),
            "handed_on": _french_date(handed),
            "beneficiary": beneficiary,
            "beneficiary_public": PUBLIC_TYPES.get(beneficiary.public_type, "")
            if beneficiary
            else "",
            "receiver_name": first.receiver_name or "",
            "receiver_kind": RECEIVER_KINDS.get(first.receiver_kind or "", "").lower(),
            "gratuit": first.destination in ("donation", "public_transfer"),
            "legal_basis": _LEGAL_BASIS.get(first.destination),
            "lines": lines,
        },
    )
