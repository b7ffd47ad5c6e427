"""Scenarios side by side: avoided impacts against the baseline, each lever's share, targets."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

import pyarrow as pa

from sobrenum.referential import Referential
from sobrenum.scenarios.levers import Lever, Scenario, ScenarioError
from sobrenum.scenarios.projection import GWP, Trajectory, YearEngine, YearResult, project
from sobrenum.scenarios.survival import Weibull


class Indicator(StrEnum):
    GWP = "gwp"
    GWP_PER_AGENT = "gwp_per_agent"
    DEVICES = "devices"


INDICATOR_LABELS = {
    Indicator.GWP: "Empreinte carbone annuelle (kgCO2e)",
    Indicator.GWP_PER_AGENT: "Empreinte carbone par agent (kgCO2e)",
    Indicator.DEVICES: "Nombre d'équipements",
}


def indicator_value(result: YearResult, indicator: Indicator) -> float | None:
    if indicator == Indicator.GWP:
        return result.gwp
    if indicator == Indicator.GWP_PER_AGENT:
        return result.gwp_per_agent
    return result.devices


@dataclass(frozen=True)
class Target:
    """« −30 % de kgCO2e par agent en 2030 par rapport à 2025 » is (GWP_PER_AGENT, 2025, 2030, −0.30)."""

    indicator: Indicator
    base_year: int
    year: int
    change: float

    def __post_init__(self) -> None:
        if self.year <= self.base_year:
            raise ScenarioError("L'année de l'objectif doit suivre son année de référence.")
        if not -1.0 <= self.change <= 1.0:
            raise ScenarioError("L'évolution visée doit être entre −100 % et +100 %.")

    def describe(self) -> str:
        sign = "−" if self.change < 0 else "+"
        pct = f"{abs(self.change) * 100:g}".replace(".", ",")
        label = INDICATOR_LABELS[self.indicator]
        return f"{label} : {sign}{pct} % en {self.year} par rapport à {self.base_year}"


@dataclass(frozen=True)
class TargetOutcome:
    target: Target
    base_value: float | None
    threshold: float | None
    value: float | None
    """The indicator in the target's year (None when outside the horizon)."""
    first_year_met: int | None
    """First year from the base year on where the indicator is at or past the threshold."""

    @property
    def met(self) -> bool:
        return self.first_year_met is not None and self.first_year_met <= self.target.year


def evaluate(target: Target, series: Mapping[int, float | None]) -> TargetOutcome:
    """Whether and when ``series`` (indicator per year) reaches the target.

    The threshold is base × (1 + change); a reduction target is met in a year whose value is
    at or below it, a growth target at or above it (at it: within 10⁻⁹ relative, so that
    100 × 1.1 is reached by 110).
    """
    base = series.get(target.base_year)
    if base is None:
        return TargetOutcome(target, None, None, series.get(target.year), None)
    threshold = base * (1.0 + target.change)

    def at(v: float) -> bool:  # the threshold itself, whatever the rounding of its product
        return math.isclose(v, threshold, rel_tol=1e-9)

    reached: Callable[[float], bool] = (
        (lambda v: v <= threshold or at(v))
        if target.change <= 0
        else (lambda v: v >= threshold or at(v))
    )
    first = next(
        (
            year
            for year in sorted(series)
            if year > target.base_year and series[year] is not None and reached(series[year])  # type: ignore[arg-type]
        ),
        None,
    )
    return TargetOutcome(target, base, threshold, series.get(target.year), first)


def series(trajectory: Trajectory, indicator: Indicator) -> dict[int, float | None]:
    return {y.year: indicator_value(y, indicator) for y in trajectory.years}


@dataclass(frozen=True)
class Contribution:
    lever: Lever | None
    """None for the row « interactions » (not used by the sequential method: kept for clarity)."""
    annual: float
    """Change of the last year's impact the lever brings (negative = a reduction)."""
    cumulative: float
    """Change of the impact summed over the horizon."""


def contributions(
    fleet: pa.Table,
    ref: Referential,
    scenario: Scenario,
    staff: float | None,
    *,
    survival: Mapping[str, Weibull] | None = None,
    lifetimes: Mapping[str, float] | None = None,
    criterion: str = GWP,
    engine: YearEngine | None = None,
) -> tuple[Trajectory, Trajectory, list[Contribution]]:
    """(baseline, scenario, each lever's contribution), levers added in the scenario's order:
    the k-th lever's is F(levers 1..k) − F(levers 1..k−1), so they add up exactly to
    scenario − baseline."""
    runner = engine or YearEngine(ref)
    runs: list[Trajectory] = []
    for k in range(len(scenario.levers) + 1):
        runs.append(
            project(
                fleet,
                ref,
                scenario.with_levers(scenario.levers[:k]),
                staff,
                survival=survival,
                lifetimes=lifetimes,
                engine=runner,
            )
        )
    out = [
        Contribution(
            lever,
            runs[k + 1].years[-1].total(criterion) - runs[k].years[-1].total(criterion),
            runs[k + 1].cumulative(criterion) - runs[k].cumulative(criterion),
        )
        for k, lever in enumerate(scenario.levers)
    ]
    return runs[0], runs[-1], out


@dataclass(frozen=True)
class Comparison:
    baseline: Trajectory
    scenarios: Sequence[Trajectory]

    def avoided(self, trajectory: Trajectory, criterion: str = GWP) -> dict[int, float]:
        """Baseline − scenario per year (positive = avoided)."""
        base = {y.year: y.total(criterion) for y in self.baseline.years}
        return {y.year: base[y.year] - y.total(criterion) for y in trajectory.years}
