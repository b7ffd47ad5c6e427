"""``/api/v1/collectivites/{id}/parc``: the fleet, paged, filtered and sorted; one device with
its impacts and the factors and sources used."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request

from sobrenum.domain import CRITERIA_BY_CODE
from sobrenum.store.fleet import (
    FleetFilter,
    count_devices,
    current_device,
    fleet_version,
    list_devices,
)
from sobrenum.store.models import Device
from sobrenum.store.users import FLEET_SORT_COLUMNS
from sobrenum.web.api.common import ERRORS, PREFIX
from sobrenum.web.api.schemas import DeviceDetail, DeviceOut, FleetPage, ImpactOut
from sobrenum.web.deps import ReaderDep, StoreDep, not_found
from sobrenum.web.services import device_impacts, organisation_referential

router = APIRouter(prefix=f"{PREFIX}/collectivites", tags=["parc"], responses=ERRORS)

SortKey = Literal[
    "asset_id",
    "-asset_id",
    "category",
    "-category",
    "acquisition_date",
    "-acquisition_date",
    "site",
    "-site",
    "department",
    "-department",
]
"""Sortable columns: each has a partial index over current devices (store.users)."""
assert {k.lstrip("-") for k in SortKey.__args__} == set(FLEET_SORT_COLUMNS)  # type: ignore[attr-defined]
Text = Annotated[str | None, Query(max_length=200, pattern=r"^[^\x00]*$")]
DEVICE_FIELDS = tuple(DeviceOut.model_fields)


def device_out(device: Device) -> DeviceOut:
    return DeviceOut(**{name: getattr(device, name) for name in DEVICE_FIELDS})


@router.get("/{organisation_id}/parc", summary="Parc (paginé)")
def fleet(
    request: Request,
    access: ReaderDep,
    store: StoreDep,
    categorie: Text = None,
    statut: Text = None,
    site: Text = None,
    service: Text = None,
    recherche: Annotated[
        str | None,
        Query(
            max_length=200,
            pattern=r"^[^\x00]*$",
            description="Texte cherché dans l'identifiant, la marque et le modèle.",
        ),
    ] = None,
    tri: Annotated[
        SortKey, Query(description="Colonne de tri ; préfixe « - » pour l'ordre décroissant.")
    ] = "asset_id",
    limite: Annotated[int, Query(ge=1, le=1000)] = 50,
    decalage: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> FleetPage:
    """Les équipements actuels de la collectivité, filtrés et triés, par pages de `limite`
    (le total compte tous les équipements correspondant aux filtres)."""
    where = FleetFilter(
        category=categorie, status=statut, site=site, department=service, search=recherche
    )
    sort = tri.lstrip("-")
    # The total only changes with an import: cached per fleet version and filters.
    key = ("count", access.organisation_id, fleet_version(store, access.organisation_id), where)
    total = request.app.state.counts.get_or_compute(
        key, lambda: count_devices(store, access.organisation_id, where)[0]
    )
    rows = list_devices(
        store,
        access.organisation_id,
        where,
        sort=sort,
        descending=tri.startswith("-"),
        limit=limite,
        offset=decalage,
    )
    return FleetPage(
        total=int(total),
        limite=limite,
        decalage=decalage,
        equipements=[device_out(d) for d in rows],
    )


@router.get("/{organisation_id}/parc/{asset_id:path}", summary="Un équipement et ses impacts")
def device_detail(access: ReaderDep, store: StoreDep, asset_id: str) -> DeviceDetail:
    """Un équipement, ses impacts par critère et par phase, et les facteurs et sources
    utilisés pour les calculer."""
    if "\x00" in asset_id or len(asset_id) > 500:
        raise not_found("Équipement introuvable.")
    row = current_device(store, access.organisation_id, asset_id)
    if row is None:
        raise not_found("Équipement introuvable dans le parc de cette collectivité.")
    impacts = device_impacts(store, access.organisation, row) if row.gone_at is None else []
    known = {"criterion", "phase", "annual", "whole_life", "factor_id", "source_id"}
    out = [
        ImpactOut(
            criterion=r["criterion"],
            phase=r["phase"],
            annual=r.get("annual"),
            whole_life=r.get("whole_life"),
            unit=CRITERIA_BY_CODE[r["criterion"]].unit
            if r["criterion"] in CRITERIA_BY_CODE
            else None,
            factor_id=r.get("factor_id"),
            source_id=r.get("source_id"),
            referential_version=r.get("referential_version"),
            extra={
                k: v
                for k, v in r.items()
                if k not in known and k != "referential_version" and _jsonable(v)
            },
        )
        for r in impacts
    ]
    used = {i.source_id for i in out if i.source_id}
    sources = [
        s
        for s in organisation_referential(store, access.organisation).sources.to_pylist()
        if s["source_id"] in used
    ]
    return DeviceDetail(equipement=device_out(row), impacts=out, sources=sources)


def _jsonable(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)
