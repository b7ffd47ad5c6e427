"""The register's operations: every path (CLI, API, pages) goes through these functions.

Each operation checks the rules, writes its rows and appends one event to the history
(``reuse_event``) in the same transaction, so that nothing is half-done. The rule that
matters most is enforced here and nowhere else: a device that holds data does not leave the
organisation (donation, sale, transfer, refurbisher) nor the ressourcerie without a recorded
wipe.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sobrenum.domain import CATEGORIES_BY_CODE
from sobrenum.reuse.errors import NotFoundError, ReuseError, WipeRequiredError
from sobrenum.reuse.vocabulary import (
    CONDITIONS,
    DESTINATION_ALIASES,
    DESTINATIONS,
    ITEM_STATUSES,
    ORIGINS,
    PUBLIC_TYPES,
    RECEIVER_KINDS,
    TRIAGE_OUTCOMES,
    WIPE_METHOD_ALIASES,
    WIPE_METHODS,
    WIPE_REQUIRED_DESTINATIONS,
    category_label,
    has_storage,
    normalise_code,
)
from sobrenum.store import Device, Store, default_actor, record_event
from sobrenum.store.reuse_tables import (
    ReuseBeneficiary,
    ReuseClassified,
    ReuseEvent,
    ReuseExit,
    ReuseItem,
    ReuseWipe,
)

_PSEUDONYM = re.compile(r"^[\w.\-]{1,12}$")
_POSTCODE = re.compile(r"^(\d{5}|2[AB]\d{3})$")

_DESTINATION_VERBS: dict[str, str] = {
    "public_transfer": "le céder à un autre organisme public",
    "donation": "le donner",
    "sale": "le vendre",
    "refurbisher": "le remettre à un reconditionneur",
}

# Ressourcerie: which status may follow which.
_NEXT_STATUSES: dict[str, frozenset[str]] = {
    "received": frozenset(TRIAGE_OUTCOMES),
    "reusable": frozenset({"refurbished", "redistributed", "parts", "weee"}),
    "repairable": frozenset({"refurbished", "parts", "weee"}),
    "refurbished": frozenset({"redistributed", "parts", "weee"}),
    "parts": frozenset({"recycled"}),
    "weee": frozenset({"recycled"}),
    "redistributed": frozenset(),
    "recycled": frozenset(),
}


def _today() -> dt.date:
    return dt.date.today()


def _text(value: str | None) -> str | None:
    if value is None:
        return None
    cleaned = " ".join(value.split())
    return cleaned or None


def _check_date(value: dt.date, what: str) -> None:
    if value > _today():
        raise ReuseError(f"{what} ({value:%d/%m/%Y}) est dans le futur : refusé.")


def _append(
    session: Session,
    organisation_id: int,
    actor: str,
    action: str,
    subject: str,
    subject_ref: str,
    details: dict[str, Any],
) -> ReuseEvent:
    event = ReuseEvent(
        organisation_id=organisation_id,
        actor=actor,
        action=action,
        subject=subject,
        subject_ref=subject_ref,
        details=details,
    )
    session.add(event)
    record_event(
        session,
        f"reuse.{action}",
        actor=actor,
        organisation_id=organisation_id,
        details={"subject": subject, "ref": subject_ref, **details},
    )
    session.flush()
    return event


def _device(session: Session, organisation_id: int, asset_id: str) -> Device:
    device = session.scalar(
        select(Device).where(Device.organisation_id == organisation_id, Device.asset_id == asset_id)
    )
    if device is None:
        raise NotFoundError(
            f"Équipement « {asset_id} » introuvable dans le parc de la collectivité : "
            "importez d'abord l'inventaire qui le contient."
        )
    return device


def _item(session: Session, organisation_id: int, reference: str) -> ReuseItem:
    item = session.scalar(
        select(ReuseItem).where(
            ReuseItem.organisation_id == organisation_id, ReuseItem.reference == reference
        )
    )
    if item is None:
        raise NotFoundError(f"Objet « {reference} » introuvable dans la ressourcerie.")
    return item


def _beneficiary(session: Session, organisation_id: int, beneficiary_id: int) -> ReuseBeneficiary:
    found = session.get(ReuseBeneficiary, beneficiary_id)
    if found is None or found.organisation_id != organisation_id:
        raise NotFoundError(f"Bénéficiaire n° {beneficiary_id} introuvable.")
    return found


def latest_wipe(
    session: Session, organisation_id: int, subject: str, ref: str, on_or_before: dt.date
) -> ReuseWipe | None:
    """The latest wipe of a device or item done on or before a date."""
    return session.scalar(
        select(ReuseWipe)
        .where(
            ReuseWipe.organisation_id == organisation_id,
            ReuseWipe.subject == subject,
            ReuseWipe.subject_ref == ref,
            ReuseWipe.wiped_on <= on_or_before,
        )
        .order_by(ReuseWipe.wiped_on.desc(), ReuseWipe.id.desc())
        .limit(1)
    )


def _require_wipe(
    session: Session,
    organisation_id: int,
    subject: str,
    ref: str,
    category: str,
    when: dt.date,
    verb: str,
) -> ReuseWipe | None:
    if not has_storage(category):
        return None
    wipe = latest_wipe(session, organisation_id, subject, ref, when)
    if wipe is None:
        what = "L'équipement" if subject == "device" else "L'objet"
        raise WipeRequiredError(
            f"Refusé : {what} « {ref} » ({category_label(category).lower()}) contient des "
            f"données et aucun effacement n'est enregistré à la date du {when:%d/%m/%Y}. "
            f"Enregistrez d'abord son effacement (méthode, outil, opérateur, date) avant de "
            f"{verb}."
        )
    return wipe


# --- Beneficiaries -----------------------------------------------------------------------


def add_beneficiary(
    store: Store,
    organisation_id: int,
    *,
    pseudonym: str,
    public_type: str,
    postcode: str | None = None,
    actor: str | None = None,
) -> ReuseBeneficiary:
    """Register a person of the inclusion programme: initials or short pseudonym only."""
    code = normalise_code(public_type, PUBLIC_TYPES, {}, "Type de public")
    pseudo = pseudonym.strip()
    if not _PSEUDONYM.match(pseudo):
        raise ReuseError(
            f"Pseudonyme « {pseudonym} » refusé : indiquez des initiales ou un pseudonyme court "
            "(12 caractères au plus, sans espace), jamais le nom de la personne."
        )
    post = (postcode or "").strip().upper() or None
    if post is not None and not _POSTCODE.match(post):
        raise ReuseError(f"Code postal « {postcode} » invalide : 5 chiffres attendus.")
    with store.transaction() as session:
        beneficiary = ReuseBeneficiary(
            organisation_id=organisation_id,
            pseudonym=pseudo,
            public_type=code,
            postcode=post,
            created_by=actor or default_actor(),
        )
        session.add(beneficiary)
        session.flush()
        # The audit log names the record, never the person.
        record_event(
            session,
            "reuse.beneficiary.create",
            actor=actor,
            organisation_id=organisation_id,
            details={"beneficiary_id": beneficiary.id, "public_type": code},
        )
        return beneficiary


ERASED_PSEUDONYM = "—"
"""What an erased beneficiary's initials become (no pseudonym can be typed so: see _PSEUDONYM)."""


def erase_beneficiary(
    store: Store, organisation_id: int, beneficiary_id: int, *, actor: str | None = None
) -> ReuseBeneficiary:
    """Erase a beneficiary's personal data (RGPD, article 17): the initials and the postcode
    are overwritten in the row itself; the type of public stays, so the register keeps its
    counts and rates (donations, people reached by type of public). The register's history
    and the audit log name the beneficiary by number only: nothing else to erase there."""
    with store.transaction() as session:
        beneficiary = _beneficiary(session, organisation_id, beneficiary_id)
        if beneficiary.pseudonym != ERASED_PSEUDONYM or beneficiary.postcode is not None:
            beneficiary.pseudonym = ERASED_PSEUDONYM
            beneficiary.postcode = None
            record_event(
                session,
                "reuse.beneficiary.erase",
                actor=actor,
                organisation_id=organisation_id,
                details={"beneficiary_id": beneficiary.id},
            )
        session.flush()
        return beneficiary


def list_beneficiaries(store: Store, organisation_id: int) -> list[ReuseBeneficiary]:
    with store.transaction() as session:
        return list(
            session.scalars(
                select(ReuseBeneficiary)
                .where(ReuseBeneficiary.organisation_id == organisation_id)
                .order_by(ReuseBeneficiary.id)
            )
        )


# --- Wipes -------------------------------------------------------------------------------


def record_wipe(
    store: Store,
    organisation_id: int,
    *,
    asset_id: str | None = None,
    item_reference: str | None = None,
    method: str,
    tool: str,
    operator: str,
    wiped_on: dt.date,
    certificate_ref: str | None = None,
    notes: str | None = None,
    actor: str | None = None,
) -> ReuseWipe:
    """Record the wipe of a fleet device (``asset_id``) or a ressourcerie item."""
    if (asset_id is None) == (item_reference is None):
        raise ReuseError("Indiquez soit l'équipement du parc, soit l'objet de la ressourcerie.")
    method_code = normalise_code(method, WIPE_METHODS, WIPE_METHOD_ALIASES, "Méthode d'effacement")
    tool_text, operator_text = _text(tool), _text(operator)
    if not tool_text:
        raise ReuseError("Outil d'effacement manquant (logiciel ou procédure utilisée).")
    if not operator_text:
        raise ReuseError("Opérateur manquant : qui a effectué l'effacement ?")
    _check_date(wiped_on, "La date d'effacement")
    actor = actor or default_actor()
    with store.write_transaction() as session:
        if asset_id is not None:
            subject, ref = "device", asset_id.strip()
            category = _device(session, organisation_id, ref).category
        else:
            subject, ref = "item", (item_reference or "").strip()
            category = _item(session, organisation_id, ref).category
        wipe = ReuseWipe(
            organisation_id=organisation_id,
            subject=subject,
            subject_ref=ref,
            category=category,
            method=method_code,
            tool=tool_text,
            operator=operator_text,
            wiped_on=wiped_on,
            certificate_ref=_text(certificate_ref),
            notes=_text(notes),
            created_by=actor,
        )
        session.add(wipe)
        session.flush()
        _append(
            session,
            organisation_id,
            actor,
            "wipe.record",
            subject,
            ref,
            {
                "wipe_id": wipe.id,
                "method": method_code,
                "tool": tool_text,
                "operator": operator_text,
                "wiped_on": wiped_on.isoformat(),
                "certificate_ref": wipe.certificate_ref,
            },
        )
        return wipe


def get_wipe(store: Store, organisation_id: int, wipe_id: int) -> ReuseWipe:
    with store.transaction() as session:
        wipe = session.get(ReuseWipe, wipe_id)
        if wipe is None or wipe.organisation_id != organisation_id:
            raise NotFoundError(f"Effacement n° {wipe_id} introuvable.")
        return wipe


def list_wipes(store: Store, organisation_id: int) -> list[ReuseWipe]:
    with store.transaction() as session:
        return list(
            session.scalars(
                select(ReuseWipe)
                .where(ReuseWipe.organisation_id == organisation_id)
                .order_by(ReuseWipe.wiped_on.desc(), ReuseWipe.id.desc())
            )
        )


# --- Exits -------------------------------------------------------------------------------


def mark_classified(
    store: Store,
    organisation_id: int,
    asset_id: str,
    *,
    reason: str | None = None,
    actor: str | None = None,
) -> None:
    """Mark a device as classified: it is left out of the décret 2023-266 rate."""
    actor = actor or default_actor()
    with store.write_transaction() as session:
        _device(session, organisation_id, asset_id)
        exists = session.scalar(
            select(ReuseClassified.id).where(
                ReuseClassified.organisation_id == organisation_id,
                ReuseClassified.asset_id == asset_id,
            )
        )
        if exists is not None:
            return
        session.add(
            ReuseClassified(
                organisation_id=organisation_id,
                asset_id=asset_id,
                reason=_text(reason),
                created_by=actor,
            )
        )
        _append(
            session,
            organisation_id,
            actor,
            "device.classify",
            "device",
            asset_id,
            {"reason": _text(reason)},
        )


def classified_assets(session: Session, organisation_id: int) -> set[str]:
    return set(
        session.scalars(
            select(ReuseClassified.asset_id).where(
                ReuseClassified.organisation_id == organisation_id
            )
        )
    )


def _receiver(
    session: Session,
    organisation_id: int,
    destination: str,
    receiver_kind: str | None,
    receiver_name: str | None,
    beneficiary_id: int | None,
) -> tuple[str | None, str | None, int | None]:
    kind = (
        normalise_code(receiver_kind, RECEIVER_KINDS, {}, "Type de destinataire")
        if receiver_kind
        else None
    )
    name = _text(receiver_name)
    defaults = {
        "public_transfer": "public_body",
        "refurbisher": "company",
        "sale": "company",
        "weee": "eco_organism",
        "internal_reuse": "internal",
    }
    if kind is None and beneficiary_id is not None:
        kind = "person"
    kind = kind or defaults.get(destination)
    if destination == "donation":
        if kind not in ("association", "school", "public_body", "person"):
            raise ReuseError(
                "Don : précisez le destinataire (association, école, organisme public, ou "
                "personne via un programme d'inclusion)."
            )
        if kind == "person":
            if beneficiary_id is None:
                raise ReuseError(
                    "Don à une personne : choisissez le bénéficiaire enregistré (initiales, "
                    "type de public) ; son nom n'est jamais saisi."
                )
            _beneficiary(session, organisation_id, beneficiary_id)
            return kind, None, beneficiary_id
    elif beneficiary_id is not None:
        raise ReuseError("Un bénéficiaire ne se renseigne que pour un don à une personne.")
    if name is None and destination not in ("internal_reuse", "loss_theft"):
        raise ReuseError(
            f"Destinataire manquant pour « {DESTINATIONS[destination]} » : "
            "indiquez son nom (organisme, entreprise, éco-organisme)."
        )
    return kind, name, None


def record_exit(
    store: Store,
    organisation_id: int,
    *,
    asset_id: str,
    destination: str,
    exit_date: dt.date,
    receiver_kind: str | None = None,
    receiver_name: str | None = None,
    beneficiary_id: int | None = None,
    condition: str = "unknown",
    weight_kg: float | None = None,
    price_eur: float | None = None,
    classified: bool = False,
    notes: str | None = None,
    actor: str | None = None,
) -> ReuseExit:
    """Record a device leaving the fleet. Refused (French message) when a rule is broken."""
    code = normalise_code(destination, DESTINATIONS, DESTINATION_ALIASES, "Destination")
    condition_code = normalise_code(condition, CONDITIONS, {}, "État")
    _check_date(exit_date, "La date de sortie")
    if weight_kg is not None and weight_kg < 0:
        raise ReuseError("Le poids ne peut pas être négatif.")
    if code == "weee" and not weight_kg:
        raise ReuseError(
            "Collecte DEEE : le poids (kg) est obligatoire (il alimente l'indicateur de "
            "tonnage DEEE)."
        )
    if price_eur is not None and price_eur < 0:
        raise ReuseError("Le prix de vente ne peut pas être négatif.")
    asset = asset_id.strip()
    actor = actor or default_actor()
    try:
        with store.write_transaction() as session:
            device = _device(session, organisation_id, asset)
            previous = session.scalar(
                select(ReuseExit).where(
                    ReuseExit.organisation_id == organisation_id, ReuseExit.asset_id == asset
                )
            )
            if previous is not None:
                raise ReuseError(
                    f"L'équipement « {asset} » est déjà sorti du parc le "
                    f"{previous.exit_date:%d/%m/%Y} ({DESTINATIONS[previous.destination]})."
                )
            if device.acquisition_date is not None and exit_date < device.acquisition_date:
                raise ReuseError(
                    f"La date de sortie ({exit_date:%d/%m/%Y}) précède la date d'acquisition "
                    f"de l'équipement ({device.acquisition_date:%d/%m/%Y})."
                )
            wipe = None
            if code in WIPE_REQUIRED_DESTINATIONS:
                wipe = _require_wipe(
                    session,
                    organisation_id,
                    "device",
                    asset,
                    device.category,
                    exit_date,
                    _DESTINATION_VERBS[code],
                )
            kind, name, beneficiary = _receiver(
                session, organisation_id, code, receiver_kind, receiver_name, beneficiary_id
            )
            is_classified = classified or asset in classified_assets(session, organisation_id)
            row = ReuseExit(
                organisation_id=organisation_id,
                asset_id=asset,
                category=device.category,
                quantity=max(int(device.quantity or 1), 1),
                acquisition_date=device.acquisition_date,
                exit_date=exit_date,
                destination=code,
                receiver_kind=kind,
                receiver_name=name,
                beneficiary_id=beneficiary,
                condition=condition_code,
                weight_kg=weight_kg,
                price_eur=price_eur,
                classified=is_classified,
                wipe_id=wipe.id if wipe else None,
                notes=_text(notes),
                created_by=actor,
            )
            session.add(row)
            session.flush()
            _append(
                session,
                organisation_id,
                actor,
                "exit.record",
                "device",
                asset,
                {
                    "exit_id": row.id,
                    "destination": code,
                    "exit_date": exit_date.isoformat(),
                    "receiver_kind": kind,
                    "receiver_name": name,
                    "beneficiary_id": beneficiary,
                    "condition": condition_code,
                    "weight_kg": weight_kg,
                    "wipe_id": row.wipe_id,
                },
            )
            return row
    except IntegrityError as exc:
        raise ReuseError(
            f"L'équipement « {asset} » vient d'être sorti du parc par quelqu'un d'autre."
        ) from exc


def donate(
    store: Store,
    organisation_id: int,
    *,
    asset_id: str,
    exit_date: dt.date,
    receiver_kind: str,
    receiver_name: str | None = None,
    beneficiary_id: int | None = None,
    condition: str = "working",
    notes: str | None = None,
    actor: str | None = None,
) -> ReuseExit:
    """A donation of a fleet device (see :func:`record_exit`; a wipe is required)."""
    return record_exit(
        store,
        organisation_id,
        asset_id=asset_id,
        destination="donation",
        exit_date=exit_date,
        receiver_kind=receiver_kind,
        receiver_name=receiver_name,
        beneficiary_id=beneficiary_id,
        condition=condition,
        notes=notes,
        actor=actor,
    )


def get_exit(store: Store, organisation_id: int, exit_id: int) -> ReuseExit:
    with store.transaction() as session:
        row = session.get(ReuseExit, exit_id)
        if row is None or row.organisation_id != organisation_id:
            raise NotFoundError(f"Sortie n° {exit_id} introuvable.")
        return row


def list_exits(store: Store, organisation_id: int, year: int | None = None) -> list[ReuseExit]:
    query = select(ReuseExit).where(ReuseExit.organisation_id == organisation_id)
    if year is not None:
        query = query.where(
            ReuseExit.exit_date >= dt.date(year, 1, 1), ReuseExit.exit_date <= dt.date(year, 12, 31)
        )
    with store.transaction() as session:
        return list(session.scalars(query.order_by(ReuseExit.exit_date.desc(), ReuseExit.id)))


# --- Ressourcerie ------------------------------------------------------------------------


def _next_reference(session: Session, organisation_id: int, year: int) -> str:
    prefix = f"RES-{year}-"
    count = session.scalar(
        select(func.count(ReuseItem.id)).where(
            ReuseItem.organisation_id == organisation_id, ReuseItem.reference.like(prefix + "%")
        )
    )
    return f"{prefix}{(count or 0) + 1:05d}"


def intake(
    store: Store,
    organisation_id: int,
    *,
    category: str,
    origin: str,
    intake_date: dt.date,
    origin_name: str | None = None,
    collection_point: str | None = None,
    description: str | None = None,
    weight_kg: float | None = None,
    actor: str | None = None,
) -> ReuseItem:
    """Take a device into the ressourcerie (from a collection point or another body)."""
    if category not in CATEGORIES_BY_CODE:
        raise ReuseError(
            f"Catégorie inconnue « {category} » : voir `sobrenum referentiel afficher` pour la liste."
        )
    origin_code = normalise_code(origin, ORIGINS, {"particulier": "citizen"}, "Provenance")
    _check_date(intake_date, "La date de réception")
    if weight_kg is not None and weight_kg < 0:
        raise ReuseError("Le poids ne peut pas être négatif.")
    actor = actor or default_actor()
    with store.write_transaction() as session:
        item = ReuseItem(
            organisation_id=organisation_id,
            reference=_next_reference(session, organisation_id, intake_date.year),
            category=category,
            description=_text(description),
            origin=origin_code,
            origin_name=_text(origin_name),
            collection_point=_text(collection_point),
            intake_date=intake_date,
            status="received",
            weight_kg=weight_kg,
            created_by=actor,
        )
        session.add(item)
        session.flush()
        _append(
            session,
            organisation_id,
            actor,
            "item.intake",
            "item",
            item.reference,
            {
                "category": category,
                "origin": origin_code,
                "collection_point": item.collection_point,
                "intake_date": intake_date.isoformat(),
            },
        )
        return item


def _move(
    session: Session,
    organisation_id: int,
    reference: str,
    new_status: str,
    actor: str,
    action: str,
    details: dict[str, Any],
) -> ReuseItem:
    item = _item(session, organisation_id, reference)
    allowed = _NEXT_STATUSES[item.status]
    if new_status not in allowed:
        possible = ", ".join(ITEM_STATUSES[s].lower() for s in sorted(allowed)) or "aucune"
        raise ReuseError(
            f"L'objet « {reference} » est « {ITEM_STATUSES[item.status].lower()} » : il ne "
            f"peut pas passer à « {ITEM_STATUSES[new_status].lower()} » (étapes possibles : "
            f"{possible})."
        )
    previous = item.status
    item.status = new_status
    _append(
        session,
        organisation_id,
        actor,
        action,
        "item",
        reference,
        {"from": previous, "to": new_status, **details},
    )
    return item


def triage(
    store: Store,
    organisation_id: int,
    reference: str,
    outcome: str,
    *,
    notes: str | None = None,
    actor: str | None = None,
) -> ReuseItem:
    """Sort a received item: reusable, repairable, parts or WEEE."""
    code = normalise_code(
        outcome,
        TRIAGE_OUTCOMES,
        {"reemployable": "reusable", "reparable": "repairable", "pieces": "parts", "deee": "weee"},
        "Résultat du tri",
    )
    with store.write_transaction() as session:
        item = _item(session, organisation_id, reference)
        if item.status != "received":
            raise ReuseError(
                f"L'objet « {reference} » a déjà été trié ({ITEM_STATUSES[item.status].lower()})."
            )
        return _move(
            session,
            organisation_id,
            reference,
            code,
            actor or default_actor(),
            "item.triage",
            {"notes": _text(notes)},
        )


def refurbish(
    store: Store,
    organisation_id: int,
    reference: str,
    *,
    work: str | None = None,
    actor: str | None = None,
) -> ReuseItem:
    """Record the refurbishment (repair, cleaning, reinstallation) of an item."""
    with store.write_transaction() as session:
        return _move(
            session,
            organisation_id,
            reference,
            "refurbished",
            actor or default_actor(),
            "item.refurbish",
            {"work": _text(work)},
        )


def redistribute(
    store: Store,
    organisation_id: int,
    reference: str,
    *,
    on: dt.date,
    beneficiary_id: int | None = None,
    receiver_kind: str | None = None,
    receiver_name: str | None = None,
    actor: str | None = None,
) -> ReuseItem:
    """Give an item to a beneficiary or a structure (a wipe is required for data holders)."""
    _check_date(on, "La date de redistribution")
    actor = actor or default_actor()
    with store.write_transaction() as session:
        item = _item(session, organisation_id, reference)
        if on < item.intake_date:
            raise ReuseError("La date de redistribution précède la date de réception.")
        wipe = None
        if item.status in ("reusable", "refurbished"):
            wipe = _require_wipe(
                session, organisation_id, "item", reference, item.category, on, "le redistribuer"
            )
        kind, name, beneficiary = _receiver(
            session, organisation_id, "donation", receiver_kind, receiver_name, beneficiary_id
        )
        item = _move(
            session,
            organisation_id,
            reference,
            "redistributed",
            actor,
            "item.redistribute",
            {
                "on": on.isoformat(),
                "receiver_kind": kind,
                "receiver_name": name,
                "beneficiary_id": beneficiary,
                "wipe_id": wipe.id if wipe else None,
            },
        )
        item.beneficiary_id = beneficiary
        item.receiver_name = name
        item.closed_on = on
        return item


def recycle(
    store: Store,
    organisation_id: int,
    reference: str,
    *,
    on: dt.date,
    weight_kg: float | None = None,
    receiver_name: str | None = None,
    actor: str | None = None,
) -> ReuseItem:
    """Hand an item sorted as parts or WEEE over to the WEEE channel."""
    _check_date(on, "La date de remise DEEE")
    with store.write_transaction() as session:
        item = _move(
            session,
            organisation_id,
            reference,
            "recycled",
            actor or default_actor(),
            "item.recycle",
            {"on": on.isoformat(), "weight_kg": weight_kg, "receiver_name": _text(receiver_name)},
        )
        if weight_kg is not None:
            item.weight_kg = weight_kg
        item.receiver_name = _text(receiver_name)
        item.closed_on = on
        return item


def get_item(store: Store, organisation_id: int, reference: str) -> ReuseItem:
    with store.transaction() as session:
        return _item(session, organisation_id, reference)


def list_items(
    store: Store, organisation_id: int, statuses: Sequence[str] | None = None
) -> list[ReuseItem]:
    query = select(ReuseItem).where(ReuseItem.organisation_id == organisation_id)
    if statuses:
        query = query.where(ReuseItem.status.in_(list(statuses)))
    with store.transaction() as session:
        return list(session.scalars(query.order_by(ReuseItem.intake_date.desc(), ReuseItem.id)))


# --- History -----------------------------------------------------------------------------


def history(
    store: Store,
    organisation_id: int,
    *,
    subject: str | None = None,
    ref: str | None = None,
    limit: int = 200,
) -> list[ReuseEvent]:
    """The register's events, oldest first (optionally of one device or item)."""
    query = select(ReuseEvent).where(ReuseEvent.organisation_id == organisation_id)
    if subject is not None:
        query = query.where(ReuseEvent.subject == subject)
    if ref is not None:
        query = query.where(ReuseEvent.subject_ref == ref)
    with store.transaction() as session:
        rows = list(
            session.scalars(query.order_by(ReuseEvent.at.desc(), ReuseEvent.id.desc()).limit(limit))
        )
    return list(reversed(rows))
