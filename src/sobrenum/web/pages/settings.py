"""Organisation settings: electricity country, reporting year, population and staff count,
and the organisation's own hypotheses (per-category lifetime and usage)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from sobrenum.domain import CATEGORIES_BY_CODE, ReferentialError
from sobrenum.domain.hypotheses import Hypothesis
from sobrenum.reporting.formatting import sort_key
from sobrenum.store import update_organisation
from sobrenum.store.hypotheses import get_hypotheses, set_hypotheses
from sobrenum.web.deps import OrgAdminDep, ReaderDep, StoreDep
from sobrenum.web.pages.common import (
    FIRST_YEAR,
    MAX_ID,
    country_label,
    french_count,
    french_number,
    organisation_context,
)
from sobrenum.web.services import referential, reporting_year
from sobrenum.web.templating import render

router = APIRouter(include_in_schema=False)

_LARGEST = f"{MAX_ID:,}".replace(",", "\u202f")


def _countries() -> list[tuple[str, str]]:
    codes = set(referential().electricity["country"].to_pylist())
    return sorted(
        ((c, country_label(c)) for c in codes),
        key=lambda item: (item[0] != "FRA", item[0] not in ("EEE", "WOR"), sort_key(item[1])),
    )


def _page(
    request: Request,
    access: Any,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    saved: bool = False,
    status_code: int = 200,
    hypothesis_values: dict[str, str] | None = None,
    hypotheses_saved: bool = False,
) -> Response:
    organisation = access.organisation
    context = organisation_context(access, "settings")
    store = request.app.state.store
    own = get_hypotheses(store, organisation.id)
    rows = []
    for row in referential().categories.to_pylist():
        code = row["category"]
        h = own.get(code)
        given = {
            "duree": h.lifetime_years if h else None,
            "heures": h.hours_per_day if h else None,
            "jours": h.days_per_year if h else None,
        }
        rows.append(
            {
                "code": code,
                "label": CATEGORIES_BY_CODE[code].label_fr,
                "defaults": (row["lifetime_years"], row["hours_per_day"], row["days_per_year"]),
                "values": {
                    k: (hypothesis_values or {}).get(f"{k}_{code}", "" if v is None else f"{v:g}")
                    for k, v in given.items()
                },
            }
        )
    context.update(hypotheses=rows, hypotheses_saved=hypotheses_saved)
    context.update(
        values=values
        or {
            "pays": organisation.country,
            "annee": str(organisation.reporting_year or reporting_year(organisation)),
            "population": "" if organisation.population is None else str(organisation.population),
            "agents": "" if organisation.staff_count is None else str(organisation.staff_count),
        },
        errors=errors or {},
        saved=saved,
        countries=_countries(),
        last_year=dt.date.today().year + 1,
        first_year=FIRST_YEAR,
    )
    return render(request, "pages/settings.html", context, status_code=status_code)


@router.get("/collectivites/{organisation_id}/parametres", name="organisation_settings")
def settings_form(request: Request, access: ReaderDep) -> Response:
    return _page(request, access)


def _count(text: str, label: str, errors: dict[str, str], key: str) -> int | None:
    try:
        return french_count(text)
    except ValueError:
        errors[key] = (
            f"{label} : indiquez un nombre entier positif, sans décimales, d'au plus "
            f"{_LARGEST} (reçu « {text[:20]} »)."
        )
        return None


@router.post("/collectivites/{organisation_id}/parametres", name="organisation_settings_save")
def settings_save(
    request: Request,
    access: OrgAdminDep,
    store: StoreDep,
    pays: Annotated[str, Form(max_length=3)] = "FRA",
    annee: Annotated[str, Form(max_length=10)] = "",
    population: Annotated[str, Form(max_length=20)] = "",
    agents: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    values = {"pays": pays, "annee": annee, "population": population, "agents": agents}
    errors: dict[str, str] = {}
    if pays not in {code for code, _ in _countries()}:
        errors["pays"] = "Pays inconnu du référentiel : choisissez un pays de la liste."
    year: int | None = None
    last = dt.date.today().year + 1
    try:
        year = french_count(annee, maximum=last)
        if year is None or year < FIRST_YEAR:
            raise ValueError
    except ValueError:
        errors["annee"] = (
            f"Année du bilan : indiquez une année entre {FIRST_YEAR} et {last} "
            f"(reçu « {annee[:20]} »)."
        )
    inhabitants = _count(population, "Population", errors, "population")
    staff = _count(agents, "Nombre d'agents", errors, "agents")
    if errors:
        return _page(request, access, values=values, errors=errors, status_code=422)
    row = update_organisation(
        store,
        access.organisation_id,
        {
            "country": pays,
            "reporting_year": year,
            "population": inhabitants,
            "staff_count": staff,
        },
        actor=access.user.actor,
        event="organisation.settings",
    )
    access = type(access)(user=access.user, organisation=row, role=access.role)
    return _page(request, access, saved=True)


_HYPOTHESIS_FIELDS = {"duree": "durée de vie", "heures": "heures par jour", "jours": "jours par an"}


@router.post("/collectivites/{organisation_id}/hypotheses", name="organisation_hypotheses_save")
async def hypotheses_save(request: Request, access: OrgAdminDep, store: StoreDep) -> Response:
    """Replace the organisation's hypotheses: an empty field keeps the referential's value."""
    form = await request.form()
    values: dict[str, str] = {}
    errors: dict[str, str] = {}
    hypotheses = []
    for code in referential().categories["category"].to_pylist():
        numbers: dict[str, float | None] = {}
        for key, what in _HYPOTHESIS_FIELDS.items():
            text = str(form.get(f"{key}_{code}", ""))[:20].strip()
            values[f"{key}_{code}"] = text
            try:
                numbers[key] = french_number(text) if text else None
            except ValueError:
                label = CATEGORIES_BY_CODE[code].label_fr
                errors[f"{key}_{code}"] = f"{label}, {what} : « {text} » n'est pas un nombre."
        hypotheses.append(
            Hypothesis(code, numbers.get("duree"), numbers.get("heures"), numbers.get("jours"))
        )
    if not errors:
        try:
            set_hypotheses(store, access.organisation_id, hypotheses, actor=access.user.actor)
        except ReferentialError as exc:
            errors["hypotheses"] = str(exc)
    if errors:
        return _page(request, access, errors=errors, status_code=422, hypothesis_values=values)
    return _page(request, access, hypotheses_saved=True)
