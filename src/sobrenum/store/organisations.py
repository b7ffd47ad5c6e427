"""Creating and finding organisations (collectivités)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from stdnum.fr import siren as stdnum_siren

from sobrenum.domain import DEFAULT_COUNTRY, SobrenumError
from sobrenum.store.audit import record_event
from sobrenum.store.database import Store
from sobrenum.store.light import ORGANISATION_TYPES
from sobrenum.store.light import type_label as type_label  # where it used to be
from sobrenum.store.models import Organisation


class OrganisationError(SobrenumError):
    """An organisation cannot be created or found; the message says why, in French."""


def normalise_siren(value: str) -> str:
    """The SIREN as 9 digits (spaces and points removed), its key checked by python-stdnum
    (Luhn, with La Poste's exception)."""
    siren = "".join(value.split()).replace(".", "")
    if len(siren) != 9 or not siren.isdigit():
        raise OrganisationError(f"SIREN invalide « {value} » : il faut 9 chiffres.")
    if not stdnum_siren.is_valid(siren):
        raise OrganisationError(
            f"SIREN invalide « {value} » : la clé de contrôle ne correspond pas "
            "(vérifiez le numéro sur annuaire-entreprises.data.gouv.fr)."
        )
    return siren


def create_organisation(
    store: Store,
    *,
    name: str,
    type: str,
    siren: str | None = None,
    population: int | None = None,
    staff_count: int | None = None,
    reporting_year: int | None = None,
    country: str = DEFAULT_COUNTRY,
    actor: str | None = None,
) -> Organisation:
    """Create an organisation; French errors for a bad SIREN, type, or a duplicate."""
    clean_name = " ".join(name.split())
    if not clean_name:
        raise OrganisationError("Le nom de la collectivité est obligatoire.")
    if type not in ORGANISATION_TYPES:
        raise OrganisationError(
            f"Type de collectivité inconnu « {type} » : choisissez parmi "
            + ", ".join(ORGANISATION_TYPES)
            + "."
        )
    clean_siren = normalise_siren(siren) if siren else None
    for label, number in (("population", population), ("nombre d'agents", staff_count)):
        if number is not None and number < 0:
            raise OrganisationError(f"La valeur « {label} » ne peut pas être négative.")
    if reporting_year is None:
        reporting_year = dt.date.today().year
    organisation = Organisation(
        name=clean_name,
        siren=clean_siren,
        type=type,
        population=population,
        staff_count=staff_count,
        reporting_year=reporting_year,
        country=country.upper(),
    )
    try:
        with store.transaction() as session:
            session.add(organisation)
            session.flush()
            record_event(
                session,
                "organisation.create",
                actor=actor,
                organisation_id=organisation.id,
                details={"name": clean_name, "siren": clean_siren, "type": type},
            )
    except IntegrityError as exc:
        raise OrganisationError(
            f"Une collectivité avec le SIREN {clean_siren} existe déjà."
        ) from exc
    return organisation


def list_organisations(store: Store) -> list[Organisation]:
    with store.transaction() as session:
        return list(session.scalars(select(Organisation).order_by(Organisation.name)))


def organisations_among(store: Store, ids: Collection[int] | None) -> list[Organisation]:
    """The organisations of ``ids`` (all of them for ``None``), by name."""
    query = select(Organisation).order_by(Organisation.name)
    if ids is not None:
        query = query.where(Organisation.id.in_(list(ids)))
    with store.transaction() as session:
        return list(session.scalars(query))


def organisation_or_none(store: Store, organisation_id: int) -> Organisation | None:
    with store.transaction() as session:
        return session.get(Organisation, organisation_id)


def get_organisation(store: Store, organisation_id: int) -> Organisation:
    organisation = organisation_or_none(store, organisation_id)
    if organisation is None:
        raise OrganisationError(f"Aucune collectivité n°{organisation_id}.")
    return organisation


#: What :func:`update_organisation` may change.
SETTINGS = ("name", "type", "population", "staff_count", "reporting_year", "country")


def update_organisation(
    store: Store,
    organisation_id: int,
    changes: dict[str, Any],
    *,
    actor: str | None = None,
    event: str = "organisation.update",
) -> Organisation:
    """Change an organisation's name, type, population, staff count, reporting year or
    country, with the audit entry (``event``, values before and after), in one write
    transaction: two administrators saving at once are applied one after the other.

    ``None`` clears a population or a staff count; it leaves the name and the type as they
    are. French :class:`OrganisationError` for an unknown field, an empty name, a negative
    count or an unknown type.
    """
    unknown = sorted(set(changes) - set(SETTINGS))
    if unknown:
        raise OrganisationError(f"Paramètre(s) inconnu(s) : {', '.join(unknown)}.")
    clean = dict(changes)
    if "name" in clean:
        if clean["name"] is None or not " ".join(str(clean["name"]).split()):
            raise OrganisationError("Le nom de la collectivité ne peut pas être vide.")
        clean["name"] = " ".join(str(clean["name"]).split())
    if "type" in clean:
        if clean["type"] is None:
            del clean["type"]
        elif clean["type"] not in ORGANISATION_TYPES:
            raise OrganisationError(f"Type de collectivité inconnu « {clean['type']} ».")
    for key, label in (("population", "population"), ("staff_count", "nombre d'agents")):
        if clean.get(key) is not None and clean[key] < 0:
            raise OrganisationError(f"La valeur « {label} » ne peut pas être négative.")
    with store.write_transaction() as session:
        organisation = session.get(Organisation, organisation_id)
        if organisation is None:
            raise OrganisationError(f"Aucune collectivité n°{organisation_id}.")
        before = {key: getattr(organisation, key) for key in clean}
        for key, value in clean.items():
            setattr(organisation, key, value)
        if clean:
            record_event(
                session,
                event,
                actor=actor,
                organisation_id=organisation.id,
                details={"before": before, "after": clean},
            )
    return organisation


def find_organisation(store: Store, key: str | None = None) -> Organisation:
    """The organisation named by ``key``: its SIREN, its name (any case), or its number.

    Without ``key``, the only organisation of the store (an error names the choices when
    there are several or none).
    """
    with store.transaction() as session:
        if key is None or not key.strip():
            found = list(session.scalars(select(Organisation).order_by(Organisation.name)))
            if len(found) == 1:
                return found[0]
            if not found:
                raise OrganisationError(
                    "Aucune collectivité n'existe encore : créez-la avec "
                    "« sobrenum organisation creer --nom … --siren … --type commune »."
                )
            raise OrganisationError(
                "Plusieurs collectivités existent, précisez laquelle avec --organisation : "
                + _names(found)
            )
        wanted = key.strip()
        digits = "".join(wanted.split())
        if digits.isdigit() and len(digits) == 9:
            match = session.scalar(select(Organisation).where(Organisation.siren == digits))
            if match is not None:
                return match
        matches = list(
            session.scalars(
                select(Organisation).where(func.lower(Organisation.name) == wanted.lower())
            )
        )
        if len(matches) == 1:
            return matches[0]
        if digits.isdigit() and len(digits) < 9:
            match = session.get(Organisation, int(digits))
            if match is not None:
                return match
        everyone = list(session.scalars(select(Organisation).order_by(Organisation.name)))
    if len(matches) > 1:
        raise OrganisationError(
            f"Plusieurs collectivités s'appellent « {wanted} » : désignez-la par son SIREN."
        )
    hint = f" Collectivités connues : {_names(everyone)}" if everyone else ""
    raise OrganisationError(f"Collectivité introuvable : « {wanted} ».{hint}")


def _names(organisations: list[Organisation]) -> str:
    return "; ".join(
        f"{o.name} ({o.siren})" if o.siren else f"{o.name} (n°{o.id})" for o in organisations
    )
