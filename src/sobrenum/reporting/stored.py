"""The footprint of an organisation's stored fleet: one rule for every screen that shows it.

``sobrenum empreinte`` without a file, the dashboard (page and API) and the council report
all compute the stored fleet the same way, here:

* the fleet: the current one (the latest inventory of each source) or the one that stood on a
  date, devices without a country taking the organisation's (``store.fleet.organisation_fleet``);
* the referential with the organisation's own hypotheses (lifetimes, hours of use);
* the reporting year: the organisation's, else the year before the fleet's date;
* the sizes (staff, population) and the name stored with the organisation.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pyarrow as pa

from sobrenum.domain import SobrenumError
from sobrenum.engine import Allocation, Footprint, Parameters, compute
from sobrenum.referential import Referential
from sobrenum.referential.hypotheses import apply_hypotheses
from sobrenum.reporting.summary import Summary, summarise
from sobrenum.store import Organisation, Store
from sobrenum.store.fleet import organisation_fleet
from sobrenum.store.hypotheses import get_hypotheses


class EmptyFleetError(SobrenumError):
    """The organisation has no stored device at the date asked (message in French)."""


def organisation_referential(
    store: Store, organisation: Organisation, ref: Referential
) -> Referential:
    """``ref`` with the organisation's own hypotheses (its version records them)."""
    return apply_hypotheses(ref, get_hypotheses(store, organisation.id))


def reporting_year(organisation: Organisation, on: dt.date | None = None) -> int:
    """The organisation's reporting year, else the year before ``on`` (today by default)."""
    return organisation.reporting_year or (on or dt.date.today()).year - 1


def stored_fleet(store: Store, organisation: Organisation, on: dt.date | None = None) -> pa.Table:
    """The organisation's fleet now (``on=None``) or on ``on``; an error when it is empty."""
    fleet = organisation_fleet(store, organisation, on)
    if fleet.num_rows:
        return fleet
    if on is None:
        raise EmptyFleetError(
            f"Le parc enregistré de {organisation.name} est vide : importez d'abord un "
            "inventaire (sobrenum importer FICHIER) ou donnez un fichier à sobrenum empreinte."
        )
    raise EmptyFleetError(
        f"Aucun inventaire de {organisation.name} n'est daté du {on:%d/%m/%Y} ou avant : "
        "importez d'abord un inventaire (sobrenum importer FICHIER) ou choisissez une date "
        "plus récente."
    )


def summarise_stored(
    footprint: Footprint,
    organisation: Organisation,
    *,
    warnings: list[str] | None = None,
    uncertainty_draws: int | None = None,
) -> Summary:
    """The summary of a stored fleet's footprint, with the organisation's stored sizes."""
    return summarise(
        footprint,
        organisation.name,
        organisation.staff_count,
        organisation.population,
        warnings,
        uncertainty_draws=uncertainty_draws,
    )


@dataclass(frozen=True)
class StoredFootprint:
    """A stored fleet, the parameters it was computed with and its summary."""

    fleet: pa.Table
    params: Parameters
    summary: Summary


def stored_footprint(
    store: Store,
    organisation: Organisation,
    ref: Referential,
    *,
    on: dt.date | None = None,
    year: int | None = None,
) -> StoredFootprint:
    """The footprint of the organisation's stored fleet (now, or on ``on``) for ``year``
    (default :func:`reporting_year`). ``ref`` already carries the organisation's hypotheses
    (:func:`organisation_referential`)."""
    fleet = stored_fleet(store, organisation, on)
    params = Parameters(
        reporting_year=year or reporting_year(organisation, on), allocation=Allocation.LINEAR
    )
    summary = summarise_stored(compute(fleet, ref, params), organisation)
    return StoredFootprint(fleet, params, summary)
