"""Dashboard of an organisation: its footprint by category, phase and criterion."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from sobrenum.reuse import ReuseRate, reuse_rate
from sobrenum.reuse.rates import register_version
from sobrenum.store import Store
from sobrenum.store.fleet import fleet_version
from sobrenum.web.deps import ReaderDep, StoreDep
from sobrenum.web.pages.common import (
    category_label,
    criterion_label,
    dashboard_data,
    date_fr,
    device_total,
    organisation_context,
    phase_label,
)
from sobrenum.web.services import organisation_uncertainty, reporting_year
from sobrenum.web.templating import render

router = APIRouter(include_in_schema=False)

PHASES = ("manufacture", "distribution", "use", "end_of_life")
#: Inputs of the referential shown as the data to improve first.
PRIORITIES = 5


@router.get("/collectivites/{organisation_id}", name="dashboard")
def dashboard(request: Request, access: ReaderDep, store: StoreDep) -> Response:
    data = dashboard_data(request, access)
    context = organisation_context(access, "dashboard")
    year = reporting_year(access.organisation)
    context.update(
        data=data,
        reuse=_reuse_rate(request, store, access.organisation_id, year),
        uncertainty=(
            organisation_uncertainty(store, request.app.state.footprints, access.organisation)
            if data
            else None
        ),
        priorities=PRIORITIES,
        summary=data.summary if data else None,
        devices=_device_total(request, store, access.organisation_id),
        year=reporting_year(access.organisation),
        phases=PHASES,
        phase_label=phase_label,
        category_label=category_label,
        criterion_label=criterion_label,
        date_fr=date_fr,
    )
    return render(request, "pages/dashboard.html", context)


def _device_total(request: Request, store: Store, organisation_id: int) -> int:
    """The current fleet's device count, kept until the next import (counting 100 000 rows
    takes about 0.1 s, most of the page's time)."""
    key = ("pages", "device-total", organisation_id, fleet_version(store, organisation_id))
    total: int = request.app.state.footprints.get_or_compute(
        key, lambda: device_total(store, organisation_id)
    )
    return total


def _reuse_rate(request: Request, store: Store, organisation_id: int, year: int) -> ReuseRate:
    """The décret 2023-266 rate, kept until the next import or register entry."""
    key = (
        "pages",
        "reuse-rate",
        organisation_id,
        year,
        fleet_version(store, organisation_id),
        register_version(store, organisation_id),
    )
    rate: ReuseRate = request.app.state.footprints.get_or_compute(
        key, lambda: reuse_rate(store, organisation_id, year)
    )
    return rate
