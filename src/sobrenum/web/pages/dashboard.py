"""Dashboard of an organisation: its footprint by category, phase and criterion."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

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
from sobrenum.web.services import reporting_year
from sobrenum.web.templating import render

router = APIRouter(include_in_schema=False)

PHASES = ("manufacture", "distribution", "use", "end_of_life")


@router.get("/collectivites/{organisation_id}", name="dashboard")
def dashboard(request: Request, access: ReaderDep, store: StoreDep) -> Response:
    data = dashboard_data(request, access)
    context = organisation_context(access, "dashboard")
    context.update(
        data=data,
        summary=data.summary if data else None,
        devices=device_total(store, access.organisation_id),
        year=reporting_year(access.organisation),
        phases=PHASES,
        phase_label=phase_label,
        category_label=category_label,
        criterion_label=criterion_label,
        date_fr=date_fr,
    )
    return render(request, "pages/dashboard.html", context)
