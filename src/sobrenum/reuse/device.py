"""One fleet device seen through the reuse register: its history and the status it gives.

The inventory says what a device was on the day of its last inventory (« En service »…);
the register says what happened to it since: its data wiped, its exit (a donation, a sale,
the WEEE collection…), its classification. A device that left through the register shows
that exit as its status, whatever the inventory said.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select

from sobrenum.domain.formats import long_date
from sobrenum.reuse.vocabulary import DESTINATIONS, RECEIVER_KINDS, WIPE_METHODS
from sobrenum.store import Store
from sobrenum.store.reuse_tables import ReuseClassified, ReuseExit, ReuseWipe

#: The status a device takes from its exit, by destination (« le » and the date follow).
EXIT_STATUSES: dict[str, str] = {
    "internal_reuse": "Réemployé dans la collectivité",
    "public_transfer": "Cédé à un autre organisme public",
    "donation": "Donné",
    "sale": "Vendu pour réemploi",
    "refurbisher": "Remis à un reconditionneur",
    "weee": "Collecté comme déchet électronique (DEEE)",
    "loss_theft": "Perdu ou volé",
}


@dataclass(frozen=True)
class RegisterEntry:
    """One line of a device's register history, in French."""

    date: dt.date
    kind: str  # "wipe", "exit" or "classified"
    label: str
    details: str = ""


@dataclass(frozen=True)
class DeviceRegister:
    """What the register knows of one device, oldest entry first."""

    entries: list[RegisterEntry]
    #: The status from the register (its exit), None when it has not left through it.
    status: str | None
    #: The date of its latest wipe, if any.
    wiped_on: dt.date | None


def _receiver(exit_row: ReuseExit) -> str:
    if exit_row.receiver_name:
        return exit_row.receiver_name
    if exit_row.receiver_kind:
        return RECEIVER_KINDS.get(exit_row.receiver_kind, exit_row.receiver_kind)
    return ""


def exit_status(exit_row: ReuseExit) -> str:
    """« Donné le 12/03/2025 à École Jaurès », « Collecté comme déchet… le … »."""
    label = EXIT_STATUSES.get(exit_row.destination, exit_row.destination)
    text = f"{label} le {long_date(exit_row.exit_date)}"
    receiver = _receiver(exit_row)
    if receiver and exit_row.destination not in ("internal_reuse", "loss_theft"):
        text += f" ({receiver})"
    return text


def _wipe_entry(wipe: ReuseWipe) -> RegisterEntry:
    details = f"{wipe.tool}, par {wipe.operator}"
    if wipe.certificate_ref:
        details += f", certificat {wipe.certificate_ref}"
    method = WIPE_METHODS.get(wipe.method, wipe.method)
    return RegisterEntry(wipe.wiped_on, "wipe", f"Données effacées : {method}", details)


def _exit_entry(exit_row: ReuseExit) -> RegisterEntry:
    label = DESTINATIONS.get(exit_row.destination, exit_row.destination)
    return RegisterEntry(
        exit_row.exit_date, "exit", f"Sortie du parc : {label}", _receiver(exit_row)
    )


def device_register(store: Store, organisation_id: int, asset_id: str) -> DeviceRegister:
    """The register's history of the organisation's device ``asset_id`` and its status."""
    with store.transaction() as session:
        wipes = list(
            session.scalars(
                select(ReuseWipe)
                .where(
                    ReuseWipe.organisation_id == organisation_id,
                    ReuseWipe.subject == "device",
                    ReuseWipe.subject_ref == asset_id,
                )
                .order_by(ReuseWipe.wiped_on, ReuseWipe.id)
            )
        )
        exit_row = session.scalar(
            select(ReuseExit).where(
                ReuseExit.organisation_id == organisation_id, ReuseExit.asset_id == asset_id
            )
        )
        classified = session.scalar(
            select(ReuseClassified).where(
                ReuseClassified.organisation_id == organisation_id,
                ReuseClassified.asset_id == asset_id,
            )
        )
    entries = [_wipe_entry(w) for w in wipes]
    if classified is not None:
        entries.append(
            RegisterEntry(
                classified.created_at.date(),
                "classified",
                "Classifié (exclu du taux de réemploi du décret 2023-266)",
                classified.reason or "",
            )
        )
    if exit_row is not None:
        entries.append(_exit_entry(exit_row))
    order = {"wipe": 0, "classified": 1, "exit": 2}  # the same day: wiped, then out
    entries.sort(key=lambda e: (e.date, order[e.kind]))
    return DeviceRegister(
        entries=entries,
        status=exit_status(exit_row) if exit_row is not None else None,
        wiped_on=wipes[-1].wiped_on if wipes else None,
    )
