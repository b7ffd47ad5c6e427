"""``/api/v1/collectivites/{id}/scenarios`` and ``…/trajectoires``: saved scenarios, their
year-by-year trajectories against the baseline, targets.

Readers read; editors create, replace, delete and choose scenarios and set targets.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request, status
from pydantic import BaseModel, Field

from sobrenum.domain import SobrenumError
from sobrenum.reporting.trajectory import ScenarioRun, TrajectoryView
from sobrenum.scenarios import Indicator, Scenario, Target, make_lever
from sobrenum.store import scenarios as saved
from sobrenum.web.api.common import ERRORS, FIRST_YEAR, LAST_YEAR, PREFIX, IdPath
from sobrenum.web.deps import EditorDep, ReaderDep, StoreDep
from sobrenum.web.scenarios import trajectory_view

router = APIRouter(prefix=f"{PREFIX}/collectivites", tags=["scénarios"], responses=ERRORS)

Year = Annotated[int, Field(ge=FIRST_YEAR, le=LAST_YEAR)]


class LeverIn(BaseModel):
    type: str = Field(description="Type de levier (voir « sobrenum scenario leviers »).")
    valeur: float = Field(ge=-1e6, le=1e6)
    debut: Year
    categories: list[Annotated[str, Field(max_length=40)]] = Field(default=[], max_length=30)


class ScenarioIn(BaseModel):
    nom: str = Field(min_length=1, max_length=120)
    debut: Year
    fin: Year
    leviers: list[LeverIn] = Field(default=[], max_length=20)
    croissance_effectif: float = Field(default=0.0, ge=-50, le=50, description="% par an.")
    croissance_equipement: float = Field(default=0.0, ge=-50, le=50, description="% par an.")
    description: str = Field(default="", max_length=1000)


class LeverOut(BaseModel):
    type: str
    libelle: str
    valeur: float
    debut: int
    categories: list[str]


class ScenarioOut(BaseModel):
    id: int
    nom: str
    debut: int
    fin: int
    leviers: list[LeverOut]
    retenu: bool
    description: str


class YearOut(BaseModel):
    annee: int
    equipements: float
    achats_neufs: float
    achats_reconditionnes: float
    sorties: float
    sorties_reemploi: float
    gwp: float = Field(description="Empreinte carbone annuelle, kgCO2e.")
    gwp_par_agent: float | None
    part_achats_reconditionnes: float | None = Field(description="% des achats (AGEC).")
    taux_reemploi: float | None = Field(description="% des sorties (décret 2023-266).")
    cout_eur: float | None


class ContributionOut(BaseModel):
    levier: str
    cumul_kgco2e: float
    derniere_annee_kgco2e: float


class OutcomeOut(BaseModel):
    objectif: str
    seuil: float | None
    atteint: bool
    premiere_annee: int | None


class RunOut(BaseModel):
    id: int | None
    nom: str
    retenu: bool
    annees: list[YearOut]
    evite_cumule_kgco2e: float
    contributions: list[ContributionOut]
    objectifs: list[OutcomeOut]


class TrajectoriesOut(BaseModel):
    version_referentiel: str
    reference: RunOut
    scenarios: list[RunOut]


class TargetIn(BaseModel):
    indicateur: Indicator
    reference: Year
    annee: Year
    evolution: float = Field(ge=-100, le=100, description="Évolution visée en %, ex. −30.")


class TargetOut(BaseModel):
    indicateur: str
    reference: int
    annee: int
    evolution: float
    libelle: str


def _refused(exc: SobrenumError) -> HTTPException:
    return HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc))


def _scenario_out(record: saved.ScenarioRecord) -> ScenarioOut:
    s = Scenario.from_json(record.definition)
    return ScenarioOut(
        id=record.id,
        nom=record.name,
        debut=s.start_year,
        fin=s.end_year,
        leviers=[
            LeverOut(
                type=lv.kind.value,
                libelle=lv.info.label,
                valeur=lv.value,
                debut=lv.start_year,
                categories=list(lv.categories),
            )
            for lv in s.levers
        ],
        retenu=record.chosen,
        description=s.description,
    )


def _run_out(view: TrajectoryView, run: ScenarioRun) -> RunOut:
    return RunOut(
        id=run.scenario_id,
        nom=run.name,
        retenu=run.chosen,
        annees=[
            YearOut(
                annee=y.year,
                equipements=y.devices,
                achats_neufs=y.purchases_new,
                achats_reconditionnes=y.purchases_refurbished,
                sorties=y.retirements,
                sorties_reemploi=y.retired_to_reuse,
                gwp=y.gwp,
                gwp_par_agent=y.gwp_per_agent,
                part_achats_reconditionnes=y.agec_share,
                taux_reemploi=y.reuse_rate,
                cout_eur=y.cost_eur,
            )
            for y in run.trajectory.years
        ],
        evite_cumule_kgco2e=view.cumulative_avoided(run),
        contributions=[
            ContributionOut(
                levier=p.lever.describe() if p.lever else "interactions",
                cumul_kgco2e=p.cumulative,
                derniere_annee_kgco2e=p.annual,
            )
            for p in run.contributions
        ],
        objectifs=[
            OutcomeOut(
                objectif=o.target.describe(),
                seuil=o.threshold,
                atteint=o.met,
                premiere_annee=o.first_year_met,
            )
            for o in run.outcomes
        ],
    )


@router.get("/{organisation_id}/scenarios", summary="Scénarios enregistrés")
def scenario_list(access: ReaderDep, store: StoreDep) -> list[ScenarioOut]:
    return [_scenario_out(r) for r in saved.list_scenarios(store, access.organisation)]


@router.post(
    "/{organisation_id}/scenarios",
    status_code=status.HTTP_201_CREATED,
    summary="Créer ou remplacer un scénario (par son nom)",
)
def scenario_save(body: ScenarioIn, access: EditorDep, store: StoreDep) -> ScenarioOut:
    try:
        scenario = Scenario(
            body.nom,
            body.debut,
            body.fin,
            tuple(make_lever(x.type, x.valeur, x.debut, x.categories) for x in body.leviers),
            body.croissance_effectif / 100.0,
            body.croissance_equipement / 100.0,
            description=body.description,
        )
        record = saved.save_scenario(
            store, access.organisation, scenario.name, scenario.to_json(), actor=access.user.actor
        )
    except SobrenumError as exc:
        raise _refused(exc) from exc
    return _scenario_out(record)


@router.get("/{organisation_id}/scenarios/{scenario_id}", summary="Un scénario")
def scenario_get(scenario_id: IdPath, access: ReaderDep, store: StoreDep) -> ScenarioOut:
    try:
        return _scenario_out(saved.get_scenario(store, access.organisation, scenario_id))
    except saved.ScenarioStoreError as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from exc


@router.delete(
    "/{organisation_id}/scenarios/{scenario_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Supprimer un scénario",
)
def scenario_delete(scenario_id: IdPath, access: EditorDep, store: StoreDep) -> None:
    try:
        saved.delete_scenario(store, access.organisation, scenario_id, actor=access.user.actor)
    except saved.ScenarioStoreError as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from exc


@router.post(
    "/{organisation_id}/scenarios/{scenario_id}/retenir",
    summary="Retenir le scénario comme trajectoire de la stratégie",
)
def scenario_choose(scenario_id: IdPath, access: EditorDep, store: StoreDep) -> ScenarioOut:
    try:
        saved.choose_scenario(store, access.organisation, scenario_id, actor=access.user.actor)
        return _scenario_out(saved.get_scenario(store, access.organisation, scenario_id))
    except saved.ScenarioStoreError as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from exc


@router.get(
    "/{organisation_id}/trajectoires",
    summary="Trajectoires année par année des scénarios (4 au plus) et de la référence",
)
def trajectories_compare(
    request: Request,
    access: ReaderDep,
    store: StoreDep,
    scenarios: Annotated[
        list[int] | None,
        Query(description="Identifiants des scénarios (4 au plus ; le retenu d'abord sinon)."),
    ] = None,
) -> TrajectoriesOut:
    ids = scenarios or None
    if ids is not None and (len(ids) > 4 or any(not 1 <= i <= 2**31 for i in ids)):
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "Quatre scénarios au plus.")
    try:
        view = trajectory_view(store, request.app.state.footprints, access.organisation, ids)
    except SobrenumError as exc:
        raise _refused(exc) from exc
    return TrajectoriesOut(
        version_referentiel=view.referential_version,
        reference=_run_out(view, view.baseline),
        scenarios=[_run_out(view, r) for r in view.runs],
    )


@router.get("/{organisation_id}/objectifs-trajectoire", summary="Objectifs de trajectoire")
def trajectory_targets(access: ReaderDep, store: StoreDep) -> list[TargetOut]:
    out = []
    for t in saved.targets(store, access.organisation):
        goal = Target(Indicator(t.indicator), t.base_year, t.year, t.change)
        out.append(
            TargetOut(
                indicateur=t.indicator,
                reference=t.base_year,
                annee=t.year,
                evolution=t.change * 100,
                libelle=goal.describe(),
            )
        )
    return out


@router.put("/{organisation_id}/objectifs-trajectoire", summary="Fixer un objectif de trajectoire")
def trajectory_target_set(body: TargetIn, access: EditorDep, store: StoreDep) -> TargetOut:
    try:
        goal = Target(body.indicateur, body.reference, body.annee, body.evolution / 100.0)
        saved.set_target(
            store,
            access.organisation,
            goal.indicator.value,
            goal.base_year,
            goal.year,
            goal.change,
            actor=access.user.actor,
        )
    except SobrenumError as exc:
        raise _refused(exc) from exc
    return TargetOut(
        indicateur=goal.indicator.value,
        reference=goal.base_year,
        annee=goal.year,
        evolution=body.evolution,
        libelle=goal.describe(),
    )
