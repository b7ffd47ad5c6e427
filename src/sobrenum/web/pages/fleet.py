"""Fleet list (filters, sort, pages; htmx swaps the results only) and the device page."""

from __future__ import annotations

import math
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from sobrenum.domain import CRITERIA, PHASE_LABELS, Phase
from sobrenum.domain.vocabulary import STATUS_LABELS, Status
from sobrenum.engine import Parameters, prepare
from sobrenum.engine.run import as_fleet_table
from sobrenum.referential import Referential
from sobrenum.reuse.device import device_register
from sobrenum.store import Device, Organisation, device_history
from sobrenum.store.fleet import (
    FleetFilter,
    count_devices,
    current_device,
    distinct_values,
    fleet_version,
    list_devices,
)
from sobrenum.web.deps import ReaderDep, StoreDep, not_found
from sobrenum.web.pages.common import (
    category_label,
    country_label,
    criterion_label,
    date_fr,
    organisation_context,
    phase_label,
    status_label,
)
from sobrenum.web.services import (
    device_fleet,
    device_impacts,
    organisation_referential,
    reporting_year,
)
from sobrenum.web.templating import render

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 50
#: The page's sort keys and the store's columns.
SORTS = {
    "numero": "asset_id",
    "categorie": "category",
    "modele": "model",
    "acquisition": "acquisition_date",
    "site": "site",
    "service": "department",
    "statut": "status",
}

_PLACEHOLDER = "__asset_id__"


@router.get("/collectivites/{organisation_id}/parc", name="fleet_page")
def fleet(
    request: Request,
    access: ReaderDep,
    store: StoreDep,
    categorie: Annotated[str, Query(max_length=100)] = "",
    site: Annotated[str, Query(max_length=500)] = "",
    service: Annotated[str, Query(max_length=500)] = "",
    statut: Annotated[str, Query(max_length=20)] = "",
    recherche: Annotated[str, Query(max_length=200)] = "",
    tri: Annotated[str, Query(max_length=20)] = "numero",
    ordre: Annotated[str, Query(max_length=4)] = "asc",
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
) -> Response:
    organisation_id = access.organisation_id
    filters = {
        "categorie": categorie,
        "site": site,
        "service": service,
        "statut": statut,
        "recherche": recherche.strip(),
    }
    sort = tri if tri in SORTS else "numero"
    descending = ordre == "desc"
    where = FleetFilter(
        category=categorie or None,
        status=statut or None,
        site=site or None,
        department=service or None,
        search=filters["recherche"] or None,
    )
    # Counts and filter lists change only with an import: cached per fleet version.
    cache = request.app.state.counts
    version = fleet_version(store, organisation_id)
    key = ("pages", "fleet-count", organisation_id, version, where)
    # Free-text searches are not kept: they would push the other counts out of the cache.
    total, quantity = (
        count_devices(store, organisation_id, where)
        if where.search
        else cache.get_or_compute(key, lambda: count_devices(store, organisation_id, where))
    )
    pages = max(1, math.ceil(int(total) / PAGE_SIZE))
    page = min(page, pages)
    rows = list_devices(
        store,
        organisation_id,
        where,
        sort=SORTS[sort],
        descending=descending,
        limit=PAGE_SIZE,
        offset=(page - 1) * PAGE_SIZE,
    )
    base = str(request.url_for("fleet_page", organisation_id=organisation_id))
    state = {k: v for k, v in filters.items() if v}
    # One route lookup for the 50 device links (Starlette's url_for walks every route).
    device_base = str(
        request.url_for("device_page", organisation_id=organisation_id, asset_id=_PLACEHOLDER)
    )

    def device_url(asset_id: str) -> str:
        return device_base.replace(_PLACEHOLDER, quote(asset_id, safe="/"))

    def link(**changes: Any) -> str:
        params = {**state, "tri": sort, "ordre": "desc" if descending else "asc", "page": page}
        params.update(changes)
        if params.get("tri") == "numero" and params.get("ordre") == "asc":
            params.pop("tri"), params.pop("ordre")
        if params.get("page") == 1:
            params.pop("page")
        query = urlencode(params)
        return base + (f"?{query}" if query else "")

    context = organisation_context(access, "fleet")
    context.update(
        rows=rows,
        total=int(total),
        quantity=int(quantity),
        page=page,
        pages=pages,
        page_size=PAGE_SIZE,
        filters=filters,
        sort=sort,
        descending=descending,
        link=link,
        device_url=device_url,
        statuses=[s.value for s in Status],
        category_label=category_label,
        status_label=status_label,
        date_fr=date_fr,
    )
    partial = bool(request.headers.get("hx-request"))
    if not partial:  # the filter lists: the results alone (htmx) do not need them
        context.update(
            cache.get_or_compute(
                ("pages", "fleet-lists", organisation_id, version),
                lambda: {
                    "categories": distinct_values(store, organisation_id, "category"),
                    "sites": distinct_values(store, organisation_id, "site"),
                    "services": distinct_values(store, organisation_id, "department"),
                },
            )
        )
    template = "pages/_fleet_results.html" if partial else "pages/fleet.html"
    return render(request, template, context)


def _weights(device: Device, organisation: Organisation, ref: Referential) -> dict[str, Any]:
    """What the engine retained for this device: lifetime, weights, energy (engine.prepare)."""
    import ibis

    from sobrenum.engine.connections import connection

    table = device_fleet(organisation, device)
    params = Parameters(reporting_year(organisation))
    expr = prepare(ibis.memtable(as_fleet_table(table)), ref, params)
    rows = connection().to_pyarrow(expr).to_pylist()
    return rows[0] if rows else {}


@router.get("/collectivites/{organisation_id}/equipements/{asset_id:path}", name="device_page")
def device_page(request: Request, access: ReaderDep, store: StoreDep, asset_id: str) -> Response:
    organisation = access.organisation
    device = current_device(store, organisation.id, asset_id)
    if device is None:
        raise not_found(f"Équipement « {asset_id} » introuvable dans le parc de la collectivité.")
    ref = organisation_referential(store, organisation)
    impacts = device_impacts(store, organisation, device) if device.gone_at is None else []
    weights = _weights(device, organisation, ref) if device.gone_at is None else {}
    factors = {r["factor_id"]: r for r in ref.factors.to_pylist()}
    factors.update({r["factor_id"]: r for r in ref.electricity.to_pylist()})
    sources = {r["source_id"]: r for r in ref.sources.to_pylist()}
    categories = {r["category"]: r for r in ref.categories.to_pylist()}
    gwp = [r for r in impacts if r["criterion"] == "gwp"]
    order = [p.value for p in Phase]
    gwp.sort(key=lambda r: order.index(r["phase"]))
    by_criterion: dict[str, dict[str, float]] = {c.code: {} for c in CRITERIA}
    for r in impacts:
        by_criterion.setdefault(r["criterion"], {})[r["phase"]] = r["annual"]
    by_criterion = {code: values for code, values in by_criterion.items() if values}
    if device.lifetime_years is not None:
        lifetime_origin = "inventaire"
    elif device.retirement_date is not None:
        lifetime_origin = "sortie"
    else:
        lifetime_origin = "referentiel"
    context = organisation_context(access, "fleet")
    context.update(
        device=device,
        gwp=gwp,
        gwp_total=sum(r["annual"] or 0 for r in gwp),
        by_criterion=by_criterion,
        weights=weights,
        lifetime_origin=lifetime_origin,
        factors=factors,
        sources=sources,
        category=categories.get(device.category, {}),
        history=device_history(store, organisation.id, asset_id),
        register=device_register(store, organisation.id, device.asset_id),
        year=reporting_year(organisation),
        version=ref.version,
        phases=order,
        phase_label=phase_label,
        phase_labels=PHASE_LABELS,
        category_label=category_label,
        criterion_label=criterion_label,
        status_label=status_label,
        country_label=country_label,
        status_labels=STATUS_LABELS,
        date_fr=date_fr,
    )
    return render(request, "pages/device.html", context)
