"""The reuse register page: the year's rate against its target, exits, inclusion, avoided
impacts, and (for editors) the forms to record a wipe, an exit or a donation, a beneficiary.

The forms post to this module; every rule is checked by :mod:`sobrenum.reuse.register`, whose
French message is shown above the form when it refuses (nothing is written then).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from sobrenum.reuse import ReuseError, register
from sobrenum.reuse.avoided import avoided_impacts
from sobrenum.reuse.inclusion import inclusion_indicators
from sobrenum.reuse.rates import reuse_rate
from sobrenum.reuse.vocabulary import (
    CONDITIONS,
    DESTINATIONS,
    PUBLIC_TYPES,
    RECEIVER_KINDS,
    WIPE_METHODS,
    category_label,
)
from sobrenum.web.deps import EditorDep, OrganisationAccess, ReaderDep, StoreDep
from sobrenum.web.notices import notice
from sobrenum.web.pages.common import (
    MessageQuery,
    YearQuery,
    french_count,
    french_number,
    organisation_context,
    redirect_done,
)
from sobrenum.web.services import referential, reporting_year
from sobrenum.web.templating import render

router = APIRouter(include_in_schema=False)

Text = Annotated[str, Form(max_length=200)]


def _page(
    request: Request,
    access: OrganisationAccess,
    store: Any,
    year: int,
    *,
    error: str | None = None,
    message: str | None = None,
    form: str | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    org = access.organisation_id
    context = organisation_context(access, "reuse")
    avoided = avoided_impacts(store, org, year, referential())
    context.update(
        year=year,
        years=list(range(dt.date.today().year, 2022, -1)),
        rate=reuse_rate(store, org, year),
        inclusion=inclusion_indicators(store, org, year),
        avoided=avoided,
        exits=register.list_exits(store, org, year),
        wipes=register.list_wipes(store, org)[:20],
        beneficiaries=register.list_beneficiaries(store, org) if access.can("editor") else [],
        destinations=DESTINATIONS,
        receiver_kinds=RECEIVER_KINDS,
        conditions=CONDITIONS,
        wipe_methods=WIPE_METHODS,
        public_types=PUBLIC_TYPES,
        category_label=category_label,
        error=error,
        message=message,
        form=form,
        values=values or {},
        today=dt.date.today().isoformat(),
    )
    return render(request, "pages/reuse.html", context, status_code=status_code)


@router.get("/collectivites/{organisation_id}/reemploi", name="reuse_page")
def reuse_page(
    request: Request,
    access: ReaderDep,
    store: StoreDep,
    annee: YearQuery = None,
    ok: MessageQuery = None,
) -> Response:
    year = annee or reporting_year(access.organisation)
    return _page(request, access, store, year, message=notice(ok, year=year))


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError as exc:
        raise ReuseError(f"Date invalide « {value[:20]} » : attendu AAAA-MM-JJ.") from exc


def _number(value: str, label: str) -> float | None:
    try:
        return french_number(value)
    except ValueError as exc:
        raise ReuseError(f"{label} : nombre attendu (reçu « {value[:20]} »).") from exc


def _id(value: str, label: str) -> int | None:
    try:
        found = french_count(value)
    except ValueError:
        found = 0
    if found == 0:
        raise ReuseError(f"{label} : numéro invalide (reçu « {value[:20]} »).")
    return found


def _done(request: Request, access: OrganisationAccess, year: int, message: str) -> Response:
    return redirect_done(request, "reuse_page", access.organisation_id, year, message)


@router.post("/collectivites/{organisation_id}/reemploi/effacement", name="reuse_wipe")
def wipe_form(
    request: Request,
    access: EditorDep,
    store: StoreDep,
    equipement: Text = "",
    methode: Text = "",
    outil: Text = "",
    operateur: Text = "",
    date: Text = "",
    certificat: Text = "",
) -> Response:
    values = {
        "equipement": equipement,
        "methode": methode,
        "outil": outil,
        "operateur": operateur,
        "date": date,
        "certificat": certificat,
    }
    try:
        day = _date(date)
        register.record_wipe(
            store,
            access.organisation_id,
            asset_id=equipement,
            method=methode,
            tool=outil,
            operator=operateur,
            wiped_on=day,
            certificate_ref=certificat or None,
            actor=access.user.actor,
        )
    except ReuseError as exc:
        return _page(
            request,
            access,
            store,
            reporting_year(access.organisation),
            error=str(exc),
            form="wipe",
            values=values,
            status_code=422,
        )
    return _done(request, access, day.year, "effacement")


@router.post("/collectivites/{organisation_id}/reemploi/sortie", name="reuse_exit")
def exit_form(
    request: Request,
    access: EditorDep,
    store: StoreDep,
    equipement: Text = "",
    destination: Text = "",
    date: Text = "",
    type_destinataire: Text = "",
    destinataire: Text = "",
    beneficiaire: Text = "",
    etat: Text = "unknown",
    poids: Text = "",
    prix: Text = "",
) -> Response:
    values = {
        "equipement": equipement,
        "destination": destination,
        "date": date,
        "type_destinataire": type_destinataire,
        "destinataire": destinataire,
        "beneficiaire": beneficiaire,
        "etat": etat,
        "poids": poids,
        "prix": prix,
    }
    try:
        day = _date(date)
        beneficiary = _id(beneficiaire, "Bénéficiaire")
        register.record_exit(
            store,
            access.organisation_id,
            asset_id=equipement,
            destination=destination,
            exit_date=day,
            receiver_kind=type_destinataire or None,
            receiver_name=destinataire or None,
            beneficiary_id=beneficiary,
            condition=etat or "unknown",
            weight_kg=_number(poids, "Poids"),
            price_eur=_number(prix, "Prix"),
            actor=access.user.actor,
        )
    except ReuseError as exc:
        return _page(
            request,
            access,
            store,
            reporting_year(access.organisation),
            error=str(exc),
            form="exit",
            values=values,
            status_code=422,
        )
    return _done(
        request,
        access,
        day.year,
        "sortie",
    )


@router.post("/collectivites/{organisation_id}/reemploi/beneficiaire", name="reuse_beneficiary")
def beneficiary_form(
    request: Request,
    access: EditorDep,
    store: StoreDep,
    initiales: Text = "",
    public: Text = "",
    code_postal: Text = "",
) -> Response:
    try:
        register.add_beneficiary(
            store,
            access.organisation_id,
            pseudonym=initiales,
            public_type=public,
            postcode=code_postal or None,
            actor=access.user.actor,
        )
    except ReuseError as exc:
        return _page(
            request,
            access,
            store,
            reporting_year(access.organisation),
            error=str(exc),
            form="beneficiary",
            values={"initiales": initiales, "public": public, "code_postal": code_postal},
            status_code=422,
        )
    return _done(
        request,
        access,
        reporting_year(access.organisation),
        "beneficiaire",
    )


@router.post(
    "/collectivites/{organisation_id}/reemploi/beneficiaire/effacer",
    name="reuse_beneficiary_erase",
)
def beneficiary_erase_form(
    request: Request, access: EditorDep, store: StoreDep, beneficiaire: Text = ""
) -> Response:
    year = reporting_year(access.organisation)
    try:
        number = _id(beneficiaire, "Bénéficiaire")
        if number is None:
            raise ReuseError("Choisissez le bénéficiaire dont effacer les données.")
        register.erase_beneficiary(store, access.organisation_id, number, actor=access.user.actor)
    except ReuseError as exc:
        return _page(request, access, store, year, error=str(exc), status_code=422)
    return _done(request, access, year, "beneficiaire-efface")
