"""What the pages share: the referential, an organisation's fleet and its footprint, labels.

Not a router: ``create_app`` only includes modules that define ``router``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import HTTPException, Query, Request, status
from fastapi.responses import RedirectResponse

from sobrenum.domain.numbers import parse_french_number
from sobrenum.referential import Referential
from sobrenum.reporting import Summary
from sobrenum.reporting.charts import gwp_by_category, gwp_by_phase
from sobrenum.reporting.stored import stored_footprint
from sobrenum.store import Organisation, Store
from sobrenum.store.fleet import FleetFilter, count_devices, latest_import
from sobrenum.web.api.common import FIRST_YEAR, LAST_YEAR, MAX_ID, IdPath
from sobrenum.web.deps import OrganisationAccess
from sobrenum.web.labels import (
    category_label,
    country_label,
    criterion_label,
    date_fr,
    phase_label,
    status_label,
)
from sobrenum.web.notices import checked
from sobrenum.web.services import organisation_referential, referential, reporting_year

# Re-exported: the pages read ids and years with the same bounds as the API; the labels
# (sobrenum.web.labels) of the codes they show.
__all__ = [
    "FIRST_YEAR",
    "LAST_YEAR",
    "MAX_ID",
    "IdPath",
    "MessageQuery",
    "YearQuery",
    "category_label",
    "country_label",
    "criterion_label",
    "date_fr",
    "phase_label",
    "status_label",
]


def device_total(store: Store, organisation_id: int) -> int:
    return count_devices(store, organisation_id, FleetFilter())[0]


@dataclass(frozen=True)
class DashboardData:
    """A summarised footprint and its charts (plain data: safe to share between threads)."""

    summary: Summary
    chart_categories: str
    chart_phases: str
    inventory_date: dt.date
    import_id: int


def footprint_key(
    organisation: Organisation, import_id: int, kind: str, ref: Referential | None = None
) -> Hashable:
    return (
        "pages",
        kind,
        organisation.id,
        import_id,
        reporting_year(organisation),
        organisation.staff_count,
        organisation.population,
        organisation.country,
        (ref or referential()).version,
    )


def dashboard_data(request: Request, access: OrganisationAccess) -> DashboardData | None:
    """The organisation's footprint summary and charts, None before its first import."""
    store: Store = request.app.state.store
    organisation = access.organisation
    latest = latest_import(store, organisation.id)
    if latest is None:
        return None

    ref = organisation_referential(store, organisation)

    def build() -> DashboardData:
        summary = stored_footprint(store, organisation, ref).summary
        return DashboardData(
            summary=summary,
            chart_categories=gwp_by_category(summary) if summary.categories else "",
            chart_phases=gwp_by_phase(summary) if summary.gwp_by_phase else "",
            inventory_date=latest.inventory_date,
            import_id=latest.id,
        )

    cache = request.app.state.footprints
    data: DashboardData = cache.get_or_compute(
        footprint_key(organisation, latest.id, "dashboard", ref), build
    )
    return data


def organisation_context(access: OrganisationAccess, section: str) -> dict[str, Any]:
    """What the organisation layout (its navigation) needs."""
    return {
        "access": access,
        "organisation": access.organisation,
        "section": section,
        "can_edit": access.can("editor"),
        "can_admin": access.can("admin"),
    }


# --- Strict input: the bounds and readers every page and form uses ----------------------

YearQuery = Annotated[int | None, Query(ge=FIRST_YEAR, le=LAST_YEAR)]
"""``?annee=`` of a page: a year between 2000 and 2100 (a French 422 otherwise)."""
MessageQuery = Annotated[str | None, Query(max_length=200)]

_DIGITS = re.compile(r"\d+", re.ASCII)


def _squeezed(text: str) -> str:
    """The text without any space (thousands separators: space, no-break, narrow no-break)."""
    return "".join(text.split())


def french_number(text: str) -> float | None:
    """A number as a French user types or copies it (``1 234,5``, ``1.234,5``, ``12 %``);
    None when empty. The shared reader (:func:`sobrenum.domain.numbers.parse_french_number`,
    Babel's): ``²``, ``1e309``, ``NaN``, ``inf`` or ``1_000`` raise ``ValueError``, and so
    does a number too large to be finite.
    """
    return parse_french_number(text.strip().removesuffix("%"))


def french_count(text: str, *, maximum: int = MAX_ID) -> int | None:
    """A whole number from 0 to ``maximum`` (``12 500`` too); None when empty.

    Raises ``ValueError`` for anything else: decimals, a sign, non-ASCII digits (``²``),
    more than ``maximum`` (by default the database's largest INTEGER).
    """
    cleaned = _squeezed(text)
    if not cleaned:
        return None
    if not _DIGITS.fullmatch(cleaned) or len(cleaned) > len(str(maximum)):
        raise ValueError(f"not a count: {text!r}")
    value = int(cleaned)
    if value > maximum:
        raise ValueError(f"too large: {text!r}")
    return value


def form_year(text: str, default: int) -> int:
    """The year of a form (``default`` when empty); a French 422 when it is not a year."""
    try:
        year = french_count(text, maximum=LAST_YEAR)
    except ValueError:
        year = 0
    if year is None:
        return default
    if year < FIRST_YEAR:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            f"Année « {text[:20]} » invalide : indiquez une année entre {FIRST_YEAR} et "
            f"{LAST_YEAR}.",
        )
    return year


def redirect_done(
    request: Request, route: str, organisation_id: int, year: int, notice: str
) -> RedirectResponse:
    """After a form: back to the organisation's page ``route`` for ``year``, with the key of
    a success message of :data:`sobrenum.web.notices.NOTICES`."""
    path = request.url_for(route, organisation_id=organisation_id).path
    query = urlencode({"annee": year, "ok": checked(notice)})
    return RedirectResponse(f"{path}?{query}", status_code=303)
