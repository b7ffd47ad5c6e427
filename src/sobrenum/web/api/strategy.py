"""``/api/v1/collectivites/{id}/strategie``: indicators with objectives, frozen years, the
council report (PDF), comparison between territories and consent to it.

Readers read; editors declare values, set objectives and freeze a year; consent to
comparison is the organisation administrator's decision.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request, status
from fastapi import Path as PathParam
from fastapi.responses import Response
from pydantic import BaseModel, Field

from sobrenum.domain import SobrenumError
from sobrenum.reporting import indicators as ind
from sobrenum.reporting.comparison import ComparisonError, compare
from sobrenum.store import strategy as st
from sobrenum.web.api.common import ERRORS, FIRST_YEAR, LAST_YEAR, PREFIX, YearPath
from sobrenum.web.deps import EditorDep, OrgAdminDep, ReaderDep, StoreDep
from sobrenum.web.downloads import attachment
from sobrenum.web.services import council_pdf, freeze_strategy_year, strategy_report

router = APIRouter(prefix=f"{PREFIX}/collectivites", tags=["stratégie"], responses=ERRORS)

YearQuery = Annotated[
    int | None,
    Query(alias="annee", ge=FIRST_YEAR, le=LAST_YEAR, description="Année (défaut : N−1)."),
]


def _year(value: int | None) -> int:
    return value if value is not None else dt.date.today().year - 1


def _refused(exc: SobrenumError) -> HTTPException:
    return HTTPException(status.HTTP_400_BAD_REQUEST, str(exc))


class IndicatorOut(BaseModel):
    code: str
    theme: str
    theme_libelle: str
    libelle: str
    unite: str
    mode: str
    valeur: float | None
    origine: str
    objectif: float | None
    statut: str
    note: str
    formule: str


class IndicatorsOut(BaseModel):
    annee: int
    figee: bool
    version_referentiel: str
    indicateurs: list[IndicatorOut]


class IndicatorIn(BaseModel):
    valeur: float | None = Field(default=None, description="Valeur déclarée de l'année.")
    objectif: float | None = Field(default=None, description="Objectif de l'année.")
    commentaire: str | None = Field(default=None, max_length=500)


class FreezeIn(BaseModel):
    remplacer: bool = False


class YearOut(BaseModel):
    annee: int
    version_referentiel: str
    equipements: int
    gwp_annuel: float
    effet_referentiel: float | None = None
    effet_parc: float | None = None


class ConsentIn(BaseModel):
    accepte: bool


class MetricOut(BaseModel):
    mesure: str
    unite: str
    vous: float | None
    collectivites: int
    premier_quartile: float | None
    mediane: float | None
    troisieme_quartile: float | None
    position: str
    masque: str


class ComparisonOut(BaseModel):
    annee: int
    groupe: str
    message: str
    mesures: list[MetricOut]


@router.get("/{organisation_id}/strategie/indicateurs", summary="Indicateurs de l'année")
def indicators(
    request: Request, access: ReaderDep, store: StoreDep, annee: YearQuery = None
) -> IndicatorsOut:
    """Chaque indicateur de la stratégie numérique responsable : valeur (calculée, déclarée ou
    tirée du registre de réemploi), objectif de l'année et statut."""
    year = _year(annee)
    try:
        report = strategy_report(
            store, request.app.state.footprints, access.organisation, year, with_interval=False
        )
    except SobrenumError as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from exc
    return IndicatorsOut(
        annee=year,
        figee=report.frozen,
        version_referentiel=report.summary.referential_version,
        indicateurs=[
            IndicatorOut(
                code=v.indicator.code,
                theme=v.indicator.theme,
                theme_libelle=v.indicator.theme_label,
                libelle=v.indicator.label,
                unite=v.indicator.unit,
                mode=v.indicator.mode.value,
                valeur=v.value,
                origine=v.origin.value,
                objectif=v.objective,
                statut=v.status,
                note=v.note,
                formule=v.indicator.formula,
            )
            for v in report.indicators
        ],
    )


@router.put(
    "/{organisation_id}/strategie/indicateurs/{code}/{annee}",
    summary="Déclarer une valeur ou un objectif",
    status_code=status.HTTP_204_NO_CONTENT,
)
def declare(
    access: EditorDep,
    store: StoreDep,
    code: Annotated[str, PathParam(max_length=60)],
    annee: YearPath,
    body: IndicatorIn,
) -> Response:
    """Valeur déclarée (indicateurs déclarés ou du registre) et/ou objectif d'une année."""
    try:
        indicator = ind.get(code)
        if body.valeur is not None:
            if not indicator.declarable:
                raise ind.IndicatorError(
                    f"« {indicator.label} » est calculé à partir de l'inventaire : il ne se "
                    "déclare pas."
                )
            value = ind.check_value(indicator, body.valeur)
            st.declare_value(
                store, access.organisation, code, annee, value,
                comment=body.commentaire, actor=access.user.actor,
            )  # fmt: skip
        if body.objectif is not None:
            target = ind.check_value(indicator, body.objectif)
            st.set_objective(
                store, access.organisation, code, annee, target, actor=access.user.actor
            )
    except SobrenumError as exc:
        raise _refused(exc) from exc
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/{organisation_id}/strategie/annees", summary="Années figées")
def years(access: ReaderDep, store: StoreDep) -> list[YearOut]:
    out = []
    for year in st.snapshot_years(store, access.organisation):
        record = st.get_snapshot(store, access.organisation, year)
        if record is None:
            continue
        summary = record.results.get("summary", {})
        decomposition = record.results.get("decomposition") or {}
        ref_effect = fleet_effect = None
        if decomposition:
            ref_effect = decomposition["previous_recomputed"] - decomposition["previous_total"]
            fleet_effect = decomposition["total"] - decomposition["previous_recomputed"]
        out.append(
            YearOut(
                annee=year,
                version_referentiel=record.referential_version,
                equipements=record.device_count,
                gwp_annuel=float(summary.get("annual_gwp", 0.0)),
                effet_referentiel=ref_effect,
                effet_parc=fleet_effect,
            )
        )
    return out


@router.post(
    "/{organisation_id}/strategie/annees/{annee}/figer",
    summary="Figer une année",
    status_code=status.HTTP_201_CREATED,
)
def freeze_year(
    request: Request,
    access: EditorDep,
    store: StoreDep,
    annee: YearPath,
    body: FreezeIn | None = None,
) -> YearOut:
    """Fige le parc au 31 décembre, la version du référentiel et les résultats de l'année."""
    try:
        result = freeze_strategy_year(
            store,
            request.app.state.footprints,
            access.organisation,
            annee,
            replace=bool(body and body.remplacer),
            actor=access.user.actor,
        )
    except st.StrategyError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc
    except SobrenumError as exc:
        raise _refused(exc) from exc
    d = result.decomposition
    return YearOut(
        annee=annee,
        version_referentiel=result.summary.referential_version,
        equipements=result.summary.devices,
        gwp_annuel=result.summary.annual_gwp,
        effet_referentiel=d.referential_effect if d else None,
        effet_parc=d.fleet_effect if d else None,
    )


@router.get(
    "/{organisation_id}/strategie/rapport/{annee}",
    summary="Rapport au conseil (PDF)",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}},
)
def council_report(
    request: Request, access: ReaderDep, store: StoreDep, annee: YearPath
) -> Response:
    """Le rapport annuel au conseil, en PDF (chiffres figés si l'année l'est)."""
    try:
        pdf = council_pdf(store, request.app.state.footprints, access.organisation, annee)
    except SobrenumError as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from exc
    return attachment(
        store, access, "council_report", pdf, file_name=f"rapport-conseil-{annee}.pdf",
        media_type="application/pdf", details={"year": annee},
    )  # fmt: skip


@router.get("/{organisation_id}/strategie/comparaison", summary="Comparaison entre territoires")
def comparison(access: ReaderDep, store: StoreDep, annee: YearQuery = None) -> ComparisonOut:
    """Médiane et quartiles de collectivités comparables ayant consenti (au moins 5 autres)."""
    year = _year(annee)
    try:
        result = compare(store, access.organisation, year)
    except ComparisonError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc
    return ComparisonOut(
        annee=year,
        groupe=result.group_label,
        message=result.message,
        mesures=[
            MetricOut(
                mesure=m.metric.label,
                unite=m.metric.unit,
                vous=m.own,
                collectivites=m.count,
                premier_quartile=m.q1,
                mediane=m.median,
                troisieme_quartile=m.q3,
                position=m.position,
                masque=m.hidden_reason,
            )
            for m in result.metrics
        ],
    )


@router.put(
    "/{organisation_id}/strategie/consentement",
    summary="Consentement à la comparaison",
    status_code=status.HTTP_204_NO_CONTENT,
)
def consent(access: OrgAdminDep, store: StoreDep, body: ConsentIn) -> Response:
    """Figurer (anonymement) ou non dans les comparaisons entre territoires."""
    st.set_consent(store, access.organisation, body.accepte, actor=access.user.actor)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
