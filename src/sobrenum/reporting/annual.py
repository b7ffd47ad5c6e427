"""Putting a reporting year together: indicators with objectives, the council report, open data.

Two entry points build a :class:`~sobrenum.reporting.council.CouncilReport`:

* :func:`report_from_fleet` — from a fleet and its summary alone (the demo, no store);
* :func:`report_from_store` — from what the store knows about an organisation: the frozen year
  (or the year computed now, marked provisional), declared values, objectives, actions, the
  reuse register, the evolution since last year, the comparison with other territories.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
from sqlalchemy import func, select

from sobrenum.domain import SobrenumError
from sobrenum.engine import Allocation, Parameters, compute
from sobrenum.engine.memo import Memo, fleet_digest, referential_digest
from sobrenum.referential import Referential
from sobrenum.reporting import indicators as ind
from sobrenum.reporting import opendata, snapshots
from sobrenum.reporting.comparison import ComparisonError, compare
from sobrenum.reporting.council import (
    ActionLine,
    CouncilReport,
    amortised_devices,
    footprint_interval,
    smartphone_adpe,
    write_council_report,
)
from sobrenum.reporting.summary import Summary
from sobrenum.reporting.trajectory import TrajectoryView, chosen_trajectory
from sobrenum.reuse.avoided import avoided_impacts
from sobrenum.reuse.inclusion import inclusion_indicators
from sobrenum.reuse.rates import reuse_rate
from sobrenum.reuse.vocabulary import AGEC_IT_PRODUCT_TYPE
from sobrenum.store import Organisation, Store
from sobrenum.store import strategy as st
from sobrenum.store.reuse_tables import AgecDonation, AgecPurchase

#: Draws of the Monte Carlo shown in the report (about 0.2 s for a commune's fleet).
REPORT_DRAWS = 1000


@dataclass(frozen=True)
class Outputs:
    html: Path
    pdf: Path
    datapackage: Path


def register_figures(
    store: Store, organisation: Organisation, year: int, ref: Referential
) -> dict[str, float | None]:
    """The figures of the reuse register (:mod:`sobrenum.reuse`) for the register indicators.

    A figure the register cannot give is ``None`` (the user's declaration, if any, is used):
    when nothing at all was recorded for the year (no exit, no donation), the register is
    taken as unused rather than as a year of zeros. The AGEC share is computed from the
    recorded IT purchases only when no donation received that year needs the flat-value grid.
    """
    rate = reuse_rate(store, organisation.id, year)
    inclusion = inclusion_indicators(store, organisation.id, year)
    used = bool(sum(rate.exits_by_destination.values())) or inclusion.devices_donated > 0
    out: dict[str, float | None] = {"taux_reemploi": rate.rate}
    if used:
        staff = organisation.staff_count
        out.update(
            equipements_donnes=float(inclusion.devices_donated),
            equipements_reemployes=float(rate.exits_by_destination.get("internal_reuse", 0)),
            deee_tonnes=rate.weee_kg / 1000.0,
            deee_kg_par_agent=rate.weee_kg / staff if staff else None,
            impacts_evites=avoided_impacts(store, organisation.id, year, ref).total("gwp"),
        )
    out["achats_agec_part"] = _agec_share(store, organisation.id, year)
    return out


def _agec_share(store: Store, organisation_id: int, year: int) -> float | None:
    with store.transaction() as session:
        purchases = session.scalars(
            select(AgecPurchase).where(
                AgecPurchase.organisation_id == organisation_id,
                AgecPurchase.year == year,
                AgecPurchase.product_type == AGEC_IT_PRODUCT_TYPE,
            )
        ).all()
        donations = session.scalar(
            select(func.count(AgecDonation.id)).where(
                AgecDonation.organisation_id == organisation_id, AgecDonation.year == year
            )
        )
    total = sum(p.amount_total for p in purchases)
    if not purchases or total <= 0 or donations:
        return None
    return 100.0 * sum(p.amount_reuse + p.amount_recycled for p in purchases) / total


#: Monte Carlo intervals by the content of the fleet, the referential and the parameters.
_INTERVALS = Memo(32)


def _interval(fleet: pa.Table, ref: Referential, summary: Summary) -> tuple[object, str]:
    params = Parameters(summary.reporting_year, Allocation(summary.allocation))
    key = (fleet_digest(fleet), referential_digest(ref), params, REPORT_DRAWS)
    try:
        interval = _INTERVALS.get_or_compute(
            key, lambda: footprint_interval(fleet, ref, params, draws=REPORT_DRAWS)
        )
        return interval, ""
    except SobrenumError as exc:
        return None, f"Intervalle d'incertitude non calculé : {exc}"


def _amortised(fleet: pa.Table, ref: Referential, summary: Summary) -> int | None:
    params = Parameters(summary.reporting_year, Allocation(summary.allocation))
    try:
        return amortised_devices(fleet, ref, params)
    except SobrenumError:
        return None


def report_from_fleet(
    fleet: pa.Table,
    summary: Summary,
    ref: Referential,
    *,
    declared: Mapping[str, ind.Declared] | None = None,
    objectives: Mapping[str, float] | None = None,
    later_objectives: Mapping[str, list[tuple[int, float]]] | None = None,
    actions: Sequence[ActionLine] = (),
    demo: bool = False,
    with_interval: bool = True,
    trajectory: TrajectoryView | None = None,
) -> CouncilReport:
    """The council report of a fleet computed without a store (not frozen)."""
    year = summary.reporting_year
    computed = ind.fleet_indicators(fleet, year, summary, ref.default_lifetimes())
    values = ind.assemble(year, computed, declared, objectives)
    interval, note = _interval(fleet, ref, summary) if with_interval else (None, "")
    return CouncilReport(
        summary=summary,
        indicators=values,
        referential_title=ref.title,
        referential_published=ref.published,
        actions=list(actions),
        later_objectives=dict(later_objectives or {}),
        interval=interval,  # type: ignore[arg-type]
        interval_note=note,
        demo=demo,
        amortised_devices=_amortised(fleet, ref, summary),
        smartphone_adpe=smartphone_adpe(ref),
        trajectory=trajectory,
    )


def _declared(store: Store, organisation: Organisation, year: int) -> dict[str, ind.Declared]:
    return {
        d.code: ind.Declared(d.value, d.comment) for d in st.declarations(store, organisation, year)
    }


def report_from_store(
    store: Store,
    organisation: Organisation,
    year: int,
    ref: Referential,
    *,
    with_interval: bool = True,
) -> tuple[CouncilReport, snapshots.YearResult]:
    """The council report of ``year`` for ``organisation`` (frozen figures when frozen)."""
    current = snapshots.year_result(store, organisation, year, ref)
    all_objectives = st.objectives(store, organisation)
    this_year = {o.code: o.target for o in all_objectives if o.year == year}
    later: dict[str, list[tuple[int, float]]] = {}
    for o in all_objectives:
        if o.year > year:
            later.setdefault(o.code, []).append((o.year, o.target))
    values = ind.assemble(
        year,
        current.computed,
        _declared(store, organisation, year),
        this_year,
        register_figures(store, organisation, year, ref),
    )
    actions = [
        ActionLine(
            theme=ind.THEMES.get(a.theme, a.theme),
            title=a.title,
            state=st.ACTION_STATE_LABELS.get(a.state, a.state),
            description=a.description,
        )
        for a in st.list_actions(store, organisation, year)
    ]
    try:
        decomposition = snapshots.evolution(store, organisation, current, ref)
    except SobrenumError:
        decomposition = None
    history = [(y, s.annual_gwp) for y, s in snapshots.history(store, organisation) if y <= year]
    interval, note = (None, "")
    if with_interval:
        if current.frozen and current.summary.referential_version != ref.version:
            note = (
                f"Intervalle non calculé : l'année a été figée avec le référentiel "
                f"{current.summary.referential_version}, le référentiel chargé est {ref.version}."
            )
        else:
            interval, note = _interval(current.fleet, ref, current.summary)
    comparison = None
    comparison_note = ""
    try:
        comparison = compare(store, organisation, year)
    except ComparisonError as exc:
        comparison_note = str(exc)
    trajectory, trajectory_note = None, ""
    try:
        trajectory = chosen_trajectory(store, organisation, ref)
    except SobrenumError as exc:
        trajectory_note = f"Trajectoire non calculée : {exc}"
    report = CouncilReport(
        summary=current.summary,
        indicators=values,
        referential_title=ref.title,
        referential_published=ref.published,
        siren=organisation.siren,
        actions=actions,
        later_objectives=later,
        decomposition=decomposition,
        history=history,
        interval=interval,  # type: ignore[arg-type]
        interval_note=note,
        comparison=comparison,
        comparison_note=comparison_note,
        frozen=current.frozen,
        frozen_at=current.frozen_at,
        amortised_devices=_amortised(current.fleet, ref, current.summary),
        avoided=avoided_impacts(store, organisation.id, year, ref),
        smartphone_adpe=smartphone_adpe(ref),
        trajectory=trajectory,
        trajectory_note=trajectory_note,
    )
    return report, current


def footprint_by_criterion(
    fleet: pa.Table, ref: Referential, summary: Summary
) -> list[dict[str, object]]:
    """Every criterion by (category, phase), for the open-data file."""
    params = Parameters(summary.reporting_year, Allocation(summary.allocation))
    rows: list[dict[str, object]] = (
        compute(fleet, ref, params).totals(["category", "phase"]).to_pylist()
    )
    return rows


def write_outputs(
    report: CouncilReport,
    folder: Path,
    *,
    by_criterion: Sequence[dict[str, object]] | None = None,
) -> Outputs:
    """The council report (HTML and PDF) and the open data (in ``donnees-ouvertes/``)."""
    html, pdf = write_council_report(report, folder)
    package = opendata.write_open_data(
        folder / "donnees-ouvertes",
        report.summary,
        report.indicators,
        siren=report.siren,
        by_criterion=by_criterion,  # type: ignore[arg-type]
    )
    return Outputs(html=html, pdf=pdf, datapackage=package)
