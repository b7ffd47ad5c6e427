"""What the scenario API and page share: trajectories computed on the bounded workers,
kept until a scenario, a target, the fleet or the settings change."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from sobrenum.reporting.trajectory import TrajectoryView, trajectories
from sobrenum.store import Organisation, Store
from sobrenum.store import scenarios as saved
from sobrenum.store.fleet import fleet_version
from sobrenum.web.footprints import Computations
from sobrenum.web.services import referential


def _digest(store: Store, organisation: Organisation) -> str:
    """Changes whenever a saved scenario (or which one is chosen) or a target changes."""
    parts = [f"{r.id}:{r.chosen}:{r.definition}" for r in saved.list_scenarios(store, organisation)]
    parts += [repr(t) for t in saved.targets(store, organisation)]
    return hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()


def trajectory_view(
    store: Store,
    computations: Computations,
    organisation: Organisation,
    scenario_ids: Sequence[int] | None = None,
) -> TrajectoryView:
    """The compared scenarios (at most four; the chosen one first by default)."""
    key = (
        "trajectories",
        organisation.id,
        tuple(scenario_ids) if scenario_ids is not None else None,
        _digest(store, organisation),
        fleet_version(store, organisation.id),
        referential().version,
        organisation.staff_count,
        organisation.reporting_year,
    )
    view: TrajectoryView = computations.get_or_compute(
        key, lambda: trajectories(store, organisation, referential(), scenario_ids)
    )
    return view
