"""Referential browser: categories, their factors with sources, electricity factors, version."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from sobrenum.domain import CRITERIA, CRITERIA_BY_CODE, Phase
from sobrenum.reporting.formatting import sort_key
from sobrenum.store import organisation_or_none
from sobrenum.web.deps import CurrentUser, CurrentUserDep, OrganisationAccess, StoreDep, not_found
from sobrenum.web.pages.common import (
    MAX_ID,
    category_label,
    country_label,
    criterion_label,
    organisation_context,
    phase_label,
)
from sobrenum.web.services import referential
from sobrenum.web.templating import render

router = APIRouter(include_in_schema=False)


def _context(user: CurrentUser, store: Any, organisation_id: int | None) -> dict[str, Any]:
    """The organisation menu when the user came from one of their organisations."""
    base: dict[str, Any] = {"section": "referential", "organisation": None, "suffix": ""}
    if organisation_id is None:
        return base
    role = user.role_in(organisation_id)
    if role is None:
        return base
    organisation = organisation_or_none(store, organisation_id)
    if organisation is None:
        return base
    access = OrganisationAccess(user=user, organisation=organisation, role=role)
    context = organisation_context(access, "referential")
    context["suffix"] = f"?collectivite={organisation.id}"
    return context


def _common(ref: Any) -> dict[str, Any]:
    return {
        "ref": ref,
        "sources": {r["source_id"]: r for r in ref.sources.to_pylist()},
        "category_label": category_label,
        "criterion_label": criterion_label,
        "phase_label": phase_label,
        "country_label": country_label,
    }


CollectiviteQuery = Annotated[int | None, Query(ge=1, le=MAX_ID)]


@router.get("/referentiel", name="referential_home")
def referential_home(
    request: Request, user: CurrentUserDep, store: StoreDep, collectivite: CollectiviteQuery = None
) -> Response:
    ref = referential()
    gwp = {
        (r["category"], r["phase"]): r["value"]
        for r in ref.factors.to_pylist()
        if r["criterion"] == "gwp"
    }
    context = _context(user, store, collectivite)
    context.update(_common(ref))
    context.update(
        categories=ref.categories.to_pylist(),
        gwp=gwp,
        collectivite=collectivite,
        factor_count=ref.factors.num_rows,
        electricity_count=ref.electricity.num_rows,
        published=dt.date.fromisoformat(ref.published),
    )
    return render(request, "pages/referential.html", context)


@router.get("/referentiel/categories/{code}", name="referential_category")
def referential_category(
    request: Request,
    user: CurrentUserDep,
    store: StoreDep,
    code: str,
    collectivite: CollectiviteQuery = None,
) -> Response:
    ref = referential()
    rows = [r for r in ref.categories.to_pylist() if r["category"] == code]
    if not rows:
        raise not_found(f"Catégorie « {code} » absente du référentiel.")
    order = {c.code: i for i, c in enumerate(CRITERIA)}
    phases = [p.value for p in Phase]
    factors = sorted(
        (r for r in ref.factors.to_pylist() if r["category"] == code),
        key=lambda r: (order.get(r["criterion"], 99), phases.index(r["phase"])),
    )
    context = _context(user, store, collectivite)
    context.update(_common(ref))
    context.update(
        category=rows[0], factors=factors, criteria=CRITERIA_BY_CODE, collectivite=collectivite
    )
    return render(request, "pages/referential_category.html", context)


@router.get("/referentiel/electricite", name="referential_electricity")
def referential_electricity(
    request: Request,
    user: CurrentUserDep,
    store: StoreDep,
    critere: Annotated[str, Query(max_length=20)] = "gwp",
    collectivite: CollectiviteQuery = None,
) -> Response:
    ref = referential()
    criterion = critere if critere in CRITERIA_BY_CODE else "gwp"
    rows = sorted(
        (r for r in ref.electricity.to_pylist() if r["criterion"] == criterion),
        key=lambda r: (r["country"] != "FRA", sort_key(country_label(r["country"]))),
    )
    available = sorted(
        {r["criterion"] for r in ref.electricity.to_pylist()},
        key=lambda c: [x.code for x in CRITERIA].index(c) if c in CRITERIA_BY_CODE else 99,
    )
    context = _context(user, store, collectivite)
    context.update(_common(ref))
    context.update(
        rows=rows,
        criterion=CRITERIA_BY_CODE[criterion],
        criteria=[CRITERIA_BY_CODE[c] for c in available if c in CRITERIA_BY_CODE],
        collectivite=collectivite,
    )
    return render(request, "pages/referential_electricity.html", context)
