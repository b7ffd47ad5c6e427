"""The trajectories page: up to four scenarios side by side against the baseline (charts,
year-by-year table, each lever's contribution, targets), and the forms to create a scenario,
choose the strategy's trajectory and set a target."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response
from pydantic import Field
from starlette.datastructures import FormData

from sobrenum.domain import CATEGORIES, SobrenumError
from sobrenum.reporting.trajectory import (
    MAX_COMPARED,
    plain_summary,
    trajectory_chart,
    waterfall_chart,
)
from sobrenum.scenarios import (
    INDICATOR_LABELS,
    KINDS,
    Indicator,
    Lever,
    Scenario,
    Target,
    make_lever,
)
from sobrenum.store import scenarios as saved
from sobrenum.web.api.common import MAX_ID
from sobrenum.web.deps import EditorDep, OrganisationAccess, ReaderDep, StoreDep
from sobrenum.web.notices import notice
from sobrenum.web.pages.common import (
    MessageQuery,
    form_year,
    french_number,
    organisation_context,
    redirect_done,
)
from sobrenum.web.scenarios import trajectory_view
from sobrenum.web.services import reporting_year
from sobrenum.web.templating import render

router = APIRouter(include_in_schema=False)

Text = Annotated[str, Form(max_length=200)]
Choice = Annotated[list[str], Form(max_length=40)]
# The bounds apply to each id (on the list itself, pydantic would compare a list with 1: 500).
ScenarioIds = Annotated[
    list[Annotated[int, Field(ge=1, le=MAX_ID)]] | None, Query(alias="scenarios", max_length=100)
]


def _page(
    request: Request,
    access: OrganisationAccess,
    store: Any,
    ids: list[int] | None = None,
    *,
    error: str | None = None,
    message: str | None = None,
    status_code: int = 200,
) -> Response:
    context = organisation_context(access, "scenarios")
    records = saved.list_scenarios(store, access.organisation)
    view = None
    problem = None
    if records:
        try:
            view = trajectory_view(
                store,
                request.app.state.footprints,
                access.organisation,
                ids[:MAX_COMPARED] if ids else None,
            )
        except SobrenumError as exc:
            problem = str(exc)
    runs = []
    if view is not None:
        base_total = view.baseline.trajectory.cumulative()
        for run in view.runs:
            runs.append(
                {
                    "run": run,
                    "summary": plain_summary(view, run),
                    "waterfall": waterfall_chart(run, base_total) if run.contributions else None,
                    "avoided": view.cumulative_avoided(run),
                }
            )
    year = reporting_year(access.organisation)
    context.update(
        records=[(r, Scenario.from_json(r.definition)) for r in records],
        selected=set(ids) if ids else {r.scenario_id for r in view.runs} if view else set(),
        view=view,
        runs=runs,
        chart=trajectory_chart(view) if view is not None else None,
        problem=problem,
        kinds=list(KINDS.items()),
        categories=sorted(CATEGORIES, key=lambda c: c.label_fr),
        indicators=list(INDICATOR_LABELS.items()),
        targets=[
            Target(Indicator(t.indicator), t.base_year, t.year, t.change)
            for t in saved.targets(store, access.organisation)
        ],
        first_year=year,
        max_compared=MAX_COMPARED,
        error=error,
        message=message,
    )
    return render(request, "pages/scenarios.html", context, status_code=status_code)


def _done(request: Request, access: OrganisationAccess, message: str) -> Response:
    return redirect_done(
        request,
        "scenarios_page",
        access.organisation_id,
        reporting_year(access.organisation),
        message,
    )


@router.get("/collectivites/{organisation_id}/trajectoires", name="scenarios_page")
def scenarios_page(
    request: Request,
    access: ReaderDep,
    store: StoreDep,
    scenarios: ScenarioIds = None,
    ok: MessageQuery = None,
) -> Response:
    return _page(request, access, store, scenarios, message=notice(ok))


def _levers(form: FormData, year: int) -> list[Lever]:
    """The form's levers: a kind is used when its value is given."""
    out = []
    for kind, info in KINDS.items():
        value = french_number(str(form.get(f"valeur_{kind.value}", "")))
        if value is None:
            continue
        start = form_year(str(form.get(f"debut_{kind.value}", "")), year + 1)
        cats = [str(c) for c in form.getlist(f"categories_{kind.value}")] if info.filterable else []
        out.append(make_lever(kind.value, value, start, cats))
    return out


@router.post("/collectivites/{organisation_id}/trajectoires/scenario", name="scenarios_create")
async def create_form(request: Request, access: EditorDep, store: StoreDep) -> Response:
    form = await request.form()
    year = reporting_year(access.organisation)
    try:
        name = str(form.get("nom", ""))[:200]
        start = form_year(str(form.get("debut", "")), year)
        end = form_year(str(form.get("fin", "")), start + 10)
        staff = french_number(str(form.get("croissance_effectif", ""))[:40]) or 0.0
        equipment = french_number(str(form.get("croissance_equipement", ""))[:40]) or 0.0
        scenario = Scenario(
            name,
            start,
            end,
            tuple(_levers(form, start)),
            staff / 100.0,
            equipment / 100.0,
            description=str(form.get("description", ""))[:1000],
        )
        saved.save_scenario(
            store, access.organisation, scenario.name, scenario.to_json(), actor=access.user.actor
        )
    except ValueError:
        return _page(
            request, access, store, error="Une valeur n'est pas un nombre.", status_code=422
        )
    except SobrenumError as exc:
        return _page(request, access, store, error=str(exc), status_code=422)
    return _done(request, access, "scenario")


def _on_scenario(
    request: Request,
    access: OrganisationAccess,
    store: Any,
    scenario: str,
    act: Callable[..., object],
    done: str,
) -> Response:
    """``act(store, organisation, scenario_id, actor=…)`` on the form's scenario, then the
    page with notice ``done``; the page again with a French error when it is refused."""
    try:
        record = saved.get_scenario(store, access.organisation, int(scenario))
        act(store, access.organisation, record.id, actor=access.user.actor)
    except (ValueError, OverflowError):
        return _page(request, access, store, error="Scénario inconnu.", status_code=422)
    except SobrenumError as exc:
        return _page(request, access, store, error=str(exc), status_code=422)
    return _done(request, access, done)


@router.post("/collectivites/{organisation_id}/trajectoires/retenir", name="scenarios_choose")
def choose_form(
    request: Request, access: EditorDep, store: StoreDep, scenario: Text = ""
) -> Response:
    return _on_scenario(request, access, store, scenario, saved.choose_scenario, "scenario-retenu")


@router.post("/collectivites/{organisation_id}/trajectoires/supprimer", name="scenarios_delete")
def delete_form(
    request: Request, access: EditorDep, store: StoreDep, scenario: Text = ""
) -> Response:
    return _on_scenario(
        request, access, store, scenario, saved.delete_scenario, "scenario-supprime"
    )


@router.post("/collectivites/{organisation_id}/trajectoires/objectif", name="scenarios_target")
def target_form(
    request: Request,
    access: EditorDep,
    store: StoreDep,
    indicateur: Text = "",
    reference: Text = "",
    annee: Text = "",
    evolution: Text = "",
) -> Response:
    year = reporting_year(access.organisation)
    try:
        change = french_number(evolution)
        if change is None:
            raise ValueError("empty")
        goal = Target(
            Indicator(indicateur),
            form_year(reference, year),
            form_year(annee, year + 5),
            change / 100.0,
        )
        saved.set_target(
            store,
            access.organisation,
            goal.indicator.value,
            goal.base_year,
            goal.year,
            goal.change,
            actor=access.user.actor,
        )
    except ValueError:
        return _page(
            request,
            access,
            store,
            error="Indiquez un indicateur et une évolution en % (par exemple −30).",
            status_code=422,
        )
    except SobrenumError as exc:
        return _page(request, access, store, error=str(exc), status_code=422)
    return _done(request, access, "objectif-trajectoire")
