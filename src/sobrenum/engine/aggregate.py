"""Ratios of a total to the size of the organisation, and how complete a total is."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sobrenum.domain import Phase
from sobrenum.referential import Referential


def per_capita(
    total_annual: float, staff_count: int | None, population: int | None
) -> dict[str, float | None]:
    """Annual impact per staff member and per inhabitant, when the sizes are known."""
    return {
        "per_staff": total_annual / staff_count if staff_count else None,
        "per_inhabitant": total_annual / population if population else None,
    }


@dataclass(frozen=True)
class PhaseCoverage:
    """For one criterion and phase: the devices (and their carbon) that have a factor."""

    devices: float
    devices_total: float
    carbon: float
    carbon_total: float

    @property
    def device_share(self) -> float:
        return self.devices / self.devices_total if self.devices_total else 1.0

    @property
    def carbon_share(self) -> float:
        return self.carbon / self.carbon_total if self.carbon_total else 1.0


@dataclass(frozen=True)
class Coverage:
    """How much of the fleet a criterion's total covers.

    ``complete_devices`` / ``complete_carbon`` are the devices (and their annual carbon) with
    a factor for every phase: a total is complete only when they are all of the fleet.
    """

    criterion: str
    by_phase: dict[str, PhaseCoverage]
    complete_devices: float
    complete_carbon: float
    devices_total: float
    carbon_total: float

    @property
    def complete(self) -> bool:
        return self.complete_devices >= self.devices_total

    @property
    def device_share(self) -> float:
        return self.complete_devices / self.devices_total if self.devices_total else 1.0

    @property
    def carbon_share(self) -> float:
        return self.complete_carbon / self.carbon_total if self.carbon_total else 1.0

    @property
    def missing_phases(self) -> list[str]:
        """Phases no device has a factor for."""
        return [p for p, c in self.by_phase.items() if c.devices == 0 and c.devices_total > 0]


def coverage(
    ref: Referential,
    groups: Iterable[Mapping[str, object]],
    criteria: Iterable[str],
) -> dict[str, Coverage]:
    """Coverage of each criterion over ``groups`` (rows: category, country, devices, carbon).

    A device has a factor for an embodied phase when its category has a row in ``factors``
    (or a model-level figure, which only replaces an existing carbon factor), and for the
    use phase when its country has a row in ``electricity``. ``carbon`` is the group's annual
    carbon footprint, all phases, so that a share of carbon says how much of the headline
    figure the criterion describes.
    """
    embodied = {(r["category"], r["criterion"], r["phase"]) for r in ref.factors.to_pylist()}
    electric = {(r["country"], r["criterion"]) for r in ref.electricity.to_pylist()}
    rows = [
        (
            str(g["category"]),
            str(g["country"] or ref.default_country),
            float(g["devices"] or 0),  # type: ignore[arg-type]
            float(g["carbon"] or 0),  # type: ignore[arg-type]
        )
        for g in groups
    ]
    devices_total = sum(r[2] for r in rows)
    carbon_total = sum(r[3] for r in rows)
    out: dict[str, Coverage] = {}
    for criterion in criteria:
        by_phase: dict[str, PhaseCoverage] = {}
        complete_devices = complete_carbon = 0.0
        has: dict[tuple[str, str], list[bool]] = {}
        for phase in Phase:
            devices = carbon = 0.0
            for category, country, n, kg in rows:
                if phase is Phase.USE:
                    ok = (country, criterion) in electric
                else:
                    ok = (category, criterion, phase.value) in embodied
                has.setdefault((category, country), []).append(ok)
                if ok:
                    devices += n
                    carbon += kg
            by_phase[phase.value] = PhaseCoverage(devices, devices_total, carbon, carbon_total)
        for category, country, n, kg in rows:
            if all(has[(category, country)]):
                complete_devices += n
                complete_carbon += kg
        out[criterion] = Coverage(
            criterion, by_phase, complete_devices, complete_carbon, devices_total, carbon_total
        )
    return out
