"""Yearly snapshots: a reporting year frozen, and the evolution from one year to the next.

Freezing year N stores the fleet as it stood on 31 December N (``fleet_at``), the version of
the referential, the staff and population used, and the results (the footprint summary and
the computed indicators). The report of a frozen year reads those results: they no longer
move when the inventory history or the referential changes.

The evolution from N−1 to N is split in two (the two add up exactly to the change):

* **effet référentiel** — last year's frozen fleet recomputed with year N's referential (and
  N−1's parameters), minus last year's frozen result: what changed only because the factors
  changed;
* **effet parc** — year N's result minus that recomputation: what changed because the fleet
  changed (devices bought, kept, retired, one more year of amortisation).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from sobrenum.domain import SobrenumError
from sobrenum.engine import Allocation, Parameters, compute
from sobrenum.engine.memo import Memo, fleet_digest, referential_digest
from sobrenum.referential import Referential
from sobrenum.reporting import indicators as ind
from sobrenum.reporting.stored import EmptyFleetError, stored_fleet, summarise_stored
from sobrenum.reporting.summary import (
    CategoryLine,
    IntervalLine,
    PriorityLine,
    Summary,
    UncertaintySummary,
    criterion_from_json,
    summarise,
)
from sobrenum.store import Organisation, Store
from sobrenum.store import strategy as st

#: Version of the layout of ``results`` (bumped if it changes).
RESULTS_FORMAT = 1


class SnapshotError(SobrenumError):
    """A year cannot be frozen or compared; the message says why, in French."""


def year_end(year: int) -> dt.date:
    return dt.date(year, 12, 31)


# --- Summary <-> JSON ----------------------------------------------------------------------


def summary_to_json(summary: Summary) -> dict[str, Any]:
    return dataclasses.asdict(summary)


def summary_from_json(data: dict[str, Any]) -> Summary:
    """A summary back from its JSON; fields unknown to this version are ignored, fields it
    lacks take their defaults."""
    known = {f.name for f in dataclasses.fields(Summary)}
    values = {k: v for k, v in data.items() if k in known}
    values["categories"] = [CategoryLine(**c) for c in data["categories"]]
    values["criteria"] = [criterion_from_json(c) for c in data["criteria"]]
    raw = data.get("uncertainty")
    if raw:
        values["uncertainty"] = UncertaintySummary(
            draws=raw["draws"],
            total=IntervalLine(**raw["total"]),
            categories=[IntervalLine(**c) for c in raw["categories"]],
            priorities=[PriorityLine(**p) for p in raw["priorities"]],
            interaction_share=raw["interaction_share"],
            nominal_rank=raw.get("nominal_rank"),
        )
    return Summary(**values)


# --- one year ------------------------------------------------------------------------------


@dataclass
class YearResult:
    """A year's footprint and computed indicators, frozen or provisional."""

    organisation: Organisation
    year: int
    summary: Summary
    fleet: pa.Table
    computed: dict[str, ind.Computed]
    frozen: bool
    frozen_at: dt.datetime | None = None
    frozen_by: str | None = None
    decomposition: Decomposition | None = None


#: Footprint summaries by the content of the fleet, the referential and the settings used.
_SUMMARIES = Memo(32)


def compute_year(
    store: Store, organisation: Organisation, year: int, ref: Referential
) -> YearResult:
    """The year computed now from the stored history (not frozen): the fleet on
    31 December, computed as everywhere else (:mod:`sobrenum.reporting.stored`)."""
    try:
        fleet = stored_fleet(store, organisation, year_end(year))
    except EmptyFleetError as exc:
        raise SnapshotError(f"{exc} (année {year})") from exc
    key = (
        fleet_digest(fleet),
        referential_digest(ref),
        year,
        organisation.name,
        organisation.staff_count,
        organisation.population,
    )
    summary = _SUMMARIES.get_or_compute(
        key,
        lambda: summarise_stored(
            compute(fleet, ref, Parameters(reporting_year=year)), organisation
        ),
    )
    gone = st.gone_during(store, organisation, year)
    retired = _retired(fleet, gone, year)
    computed = ind.fleet_indicators(fleet, year, summary, ref.default_lifetimes(), retired)
    return YearResult(organisation, year, summary, fleet, computed, frozen=False)


def _retired(fleet: pa.Table, gone: pa.Table, year: int) -> pa.Table:
    """Devices retired during the year: retirement date in the year in the fleet at
    31 December, plus devices gone from the inventories during the year (once each)."""
    in_fleet = ind.retired_in_year(fleet, year)
    if gone.num_rows == 0:
        return in_fleet
    seen = set(in_fleet.column("asset_id").to_pylist())
    keep = pa.array([a not in seen for a in gone.column("asset_id").to_pylist()], pa.bool_())
    return pa.concat_tables([in_fleet, gone.filter(keep).cast(in_fleet.schema)])


def freeze(
    store: Store,
    organisation: Organisation,
    year: int,
    ref: Referential,
    *,
    replace: bool = False,
    actor: str | None = None,
) -> YearResult:
    """Freeze ``year``: store its fleet at 31 December, referential version and results.

    When N−1 is frozen, the referential-vs-fleet decomposition of the change is computed now
    (with this referential) and stored with the results.
    """
    result = compute_year(store, organisation, year, ref)
    previous = st.get_snapshot(store, organisation, year - 1)
    decomposition = None
    if previous is not None:
        decomposition = decompose(load_year(organisation, previous), result, ref)
    results = {
        "format": RESULTS_FORMAT,
        "devices": result.summary.devices,
        "summary": summary_to_json(result.summary),
        "indicators": {
            code: {"value": c.value, "details": c.details, "note": c.note}
            for code, c in result.computed.items()
        },
        "decomposition": dataclasses.asdict(decomposition) if decomposition else None,
    }
    record = st.save_snapshot(
        store,
        organisation,
        year=year,
        fleet_date=year_end(year),
        referential_version=ref.version,
        staff_count=organisation.staff_count,
        population=organisation.population,
        fleet=result.fleet,
        results=results,
        replace=replace,
        actor=actor,
    )
    result.frozen = True
    result.frozen_at = record.frozen_at
    result.frozen_by = record.frozen_by
    result.decomposition = decomposition
    return result


def load_year(organisation: Organisation, record: st.SnapshotRecord) -> YearResult:
    """A frozen year as stored."""
    results = record.results
    computed = {
        code: ind.Computed(
            item.get("value"), dict(item.get("details") or {}), str(item.get("note") or "")
        )
        for code, item in results.get("indicators", {}).items()
    }
    raw = results.get("decomposition")
    return YearResult(
        organisation=organisation,
        year=record.year,
        summary=summary_from_json(results["summary"]),
        fleet=record.fleet,
        computed=computed,
        frozen=True,
        frozen_at=record.frozen_at,
        frozen_by=record.frozen_by,
        decomposition=Decomposition(**raw) if raw else None,
    )


def year_result(
    store: Store, organisation: Organisation, year: int, ref: Referential
) -> YearResult:
    """The frozen year if it is, else the year computed now (provisional)."""
    record = st.get_snapshot(store, organisation, year)
    if record is not None:
        return load_year(organisation, record)
    return compute_year(store, organisation, year, ref)


# --- evolution -----------------------------------------------------------------------------


@dataclass
class Decomposition:
    """The change of the annual carbon footprint (kgCO2e) from ``year - 1`` to ``year``."""

    year: int
    previous_total: float
    total: float
    #: Last year's fleet computed with this year's referential.
    previous_recomputed: float
    previous_version: str
    version: str
    #: Per category: (previous, previous recomputed, current).
    by_category: dict[str, list[float]] = field(default_factory=dict)

    @property
    def change(self) -> float:
        return self.total - self.previous_total

    @property
    def referential_effect(self) -> float:
        return self.previous_recomputed - self.previous_total

    @property
    def fleet_effect(self) -> float:
        return self.total - self.previous_recomputed


def decompose(previous: YearResult, current: YearResult, ref: Referential) -> Decomposition:
    """Split the change between two years into referential and fleet effects.

    ``ref`` must be the referential ``current`` was computed with (same version).
    """
    if ref.version != current.summary.referential_version:
        raise SnapshotError(
            f"Le référentiel chargé ({ref.version}) n'est pas celui de l'année {current.year} "
            f"({current.summary.referential_version}) : la part « effet référentiel » ne peut "
            "pas être calculée. Chargez la même version du référentiel."
        )
    if previous.year != current.year - 1:
        raise SnapshotError("La décomposition compare deux années consécutives.")
    params = Parameters(
        reporting_year=previous.year, allocation=Allocation(previous.summary.allocation)
    )
    recomputed = summarise(
        compute(previous.fleet, ref, params),
        previous.summary.organisation,
        previous.summary.staff_count,
        previous.summary.population,
    )
    before = {c.category: c.annual_gwp for c in previous.summary.categories}
    again = {c.category: c.annual_gwp for c in recomputed.categories}
    now = {c.category: c.annual_gwp for c in current.summary.categories}
    categories = sorted(set(before) | set(again) | set(now))
    return Decomposition(
        year=current.year,
        previous_total=previous.summary.annual_gwp,
        total=current.summary.annual_gwp,
        previous_recomputed=recomputed.annual_gwp,
        previous_version=previous.summary.referential_version,
        version=current.summary.referential_version,
        by_category={
            c: [before.get(c, 0.0), again.get(c, 0.0), now.get(c, 0.0)] for c in categories
        },
    )


def evolution(
    store: Store, organisation: Organisation, current: YearResult, ref: Referential
) -> Decomposition | None:
    """The change from N−1 (frozen) to ``current``: stored at freeze time, else computed now
    when the loaded referential is the one of year N; ``None`` when N−1 is not frozen."""
    if current.decomposition is not None:
        return current.decomposition
    record = st.get_snapshot(store, organisation, current.year - 1)
    if record is None:
        return None
    if ref.version != current.summary.referential_version:
        return None
    return decompose(load_year(organisation, record), current, ref)


def history(store: Store, organisation: Organisation) -> list[tuple[int, Summary]]:
    """Every frozen year's summary, oldest first (for the evolution chart)."""
    out = []
    for year in st.snapshot_years(store, organisation):
        record = st.get_snapshot(store, organisation, year)
        if record is not None:
            out.append((year, summary_from_json(record.results["summary"])))
    return out
