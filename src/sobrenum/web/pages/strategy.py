"""The strategy page: the year's indicators against their objectives, the forms to declare a
value or set an objective, freezing the year, the council report button, and the comparison
with comparable territories (with the administrator's consent switch)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from sobrenum.domain import SobrenumError
from sobrenum.reporting import indicators as ind
from sobrenum.reporting.comparison import MIN_OTHERS, ComparisonError, compare
from sobrenum.store import strategy as st
from sobrenum.web.deps import EditorDep, OrgAdminDep, OrganisationAccess, ReaderDep, StoreDep
from sobrenum.web.downloads import attachment
from sobrenum.web.notices import notice
from sobrenum.web.pages.common import (
    MessageQuery,
    YearQuery,
    form_year,
    french_number,
    organisation_context,
    redirect_done,
)
from sobrenum.web.services import (
    council_pdf,
    freeze_strategy_year,
    reporting_year,
    strategy_report,
)
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
    status_code: int = 200,
) -> Response:
    context = organisation_context(access, "strategy")
    report = None
    problem = None
    try:
        report = strategy_report(
            store, request.app.state.footprints, access.organisation, year, with_interval=False
        )
    except SobrenumError as exc:
        problem = str(exc)
    comparison = None
    comparison_note = ""
    try:
        comparison = compare(store, access.organisation, year)
    except ComparisonError as exc:
        comparison_note = str(exc)
    themes = []
    if report is not None:
        for code, label in ind.THEMES.items():
            values = [v for v in report.indicators if v.indicator.theme == code]
            themes.append((code, label, values))
    context.update(
        year=year,
        years=list(range(dt.date.today().year, 2019, -1)),
        report=report,
        problem=problem,
        themes=themes,
        declarable=[i for i in ind.catalogue() if i.declarable],
        catalogue=ind.catalogue(),
        comparison=comparison,
        comparison_note=comparison_note,
        consented=st.has_consented(store, access.organisation),
        min_others=MIN_OTHERS,
        error=error,
        message=message,
    )
    return render(request, "pages/strategy.html", context, status_code=status_code)


def _done(request: Request, access: OrganisationAccess, year: int, message: str) -> Response:
    return redirect_done(request, "strategy_page", access.organisation_id, year, message)


@router.get("/collectivites/{organisation_id}/strategie", name="strategy_page")
def strategy_page(
    request: Request,
    access: ReaderDep,
    store: StoreDep,
    annee: YearQuery = None,
    ok: MessageQuery = None,
) -> Response:
    year = annee or reporting_year(access.organisation)
    return _page(request, access, store, year, message=notice(ok, year=year))


def _number(text: str) -> float | None:
    """A declared value: a number, or oui / non for yes-no indicators."""
    if text.strip().lower() in ("oui", "non"):
        return 1.0 if text.strip().lower() == "oui" else 0.0
    try:
        return french_number(text)
    except ValueError as exc:
        raise ind.IndicatorError(f"« {text[:20]} » n'est pas un nombre.") from exc


@router.post("/collectivites/{organisation_id}/strategie/indicateur", name="strategy_declare")
def declare_form(
    request: Request,
    access: EditorDep,
    store: StoreDep,
    code: Text = "",
    annee: Text = "",
    valeur: Text = "",
    objectif: Text = "",
) -> Response:
    year = form_year(annee, reporting_year(access.organisation))
    try:
        indicator = ind.get(code)
        value, target = _number(valeur), _number(objectif)
        if value is None and target is None:
            raise ind.IndicatorError("Donnez une valeur, un objectif, ou les deux.")
        if value is not None:
            if not indicator.declarable:
                raise ind.IndicatorError(
                    f"« {indicator.label} » est calculé à partir de l'inventaire."
                )
            st.declare_value(
                store, access.organisation, indicator.code, year,
                ind.check_value(indicator, value), actor=access.user.actor,
            )  # fmt: skip
        if target is not None:
            st.set_objective(
                store, access.organisation, indicator.code, year,
                ind.check_value(indicator, target), actor=access.user.actor,
            )  # fmt: skip
    except SobrenumError as exc:
        return _page(request, access, store, year, error=str(exc), status_code=422)
    return _done(request, access, year, "indicateur")


@router.post("/collectivites/{organisation_id}/strategie/figer", name="strategy_freeze")
def freeze_form(
    request: Request,
    access: EditorDep,
    store: StoreDep,
    annee: Text = "",
    remplacer: Text = "",
) -> Response:
    year = form_year(annee, reporting_year(access.organisation))
    try:
        freeze_strategy_year(
            store,
            request.app.state.footprints,
            access.organisation,
            year,
            replace=remplacer == "oui",
            actor=access.user.actor,
        )
    except SobrenumError as exc:
        return _page(request, access, store, year, error=str(exc), status_code=422)
    return _done(request, access, year, "annee-figee")


@router.post("/collectivites/{organisation_id}/strategie/consentement", name="strategy_consent")
def consent_form(
    request: Request,
    access: OrgAdminDep,
    store: StoreDep,
    accepte: Text = "",
    annee: Text = "",
) -> Response:
    year = form_year(annee, reporting_year(access.organisation))
    agreed = accepte == "oui"
    st.set_consent(store, access.organisation, agreed, actor=access.user.actor)
    return _done(
        request,
        access,
        year,
        "comparaisons-oui" if agreed else "comparaisons-non",
    )


@router.get("/collectivites/{organisation_id}/strategie/rapport.pdf", name="strategy_report")
def report_pdf(
    request: Request, access: ReaderDep, store: StoreDep, annee: YearQuery = None
) -> Response:
    year = annee or reporting_year(access.organisation)
    try:
        pdf = council_pdf(store, request.app.state.footprints, access.organisation, year)
    except SobrenumError as exc:
        return _page(request, access, store, year, error=str(exc), status_code=422)
    return attachment(
        store, access, "council_report", pdf, file_name=f"rapport-conseil-{year}.pdf",
        media_type="application/pdf", details={"year": year},
    )  # fmt: skip
