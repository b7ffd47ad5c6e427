"""Scenarios and trajectories: what the strategy's actions will do, year by year.

On top of the engine: a scenario is the stored fleet projected over a horizon (survival laws,
renewal of what is retired) with levers as data; every year's footprint is the engine's.
"""

from sobrenum.scenarios.compare import (
    INDICATOR_LABELS,
    Comparison,
    Contribution,
    Indicator,
    Target,
    TargetOutcome,
    contributions,
    evaluate,
    series,
)
from sobrenum.scenarios.levers import KINDS, Lever, LeverKind, Scenario, ScenarioError, make_lever
from sobrenum.scenarios.projection import (
    Trajectory,
    YearEngine,
    YearResult,
    project,
    survival_models,
)
from sobrenum.scenarios.survival import DEFAULT_SHAPE, MIN_RETIREMENTS_TO_FIT, Weibull, fit

__all__ = [
    "DEFAULT_SHAPE",
    "INDICATOR_LABELS",
    "KINDS",
    "MIN_RETIREMENTS_TO_FIT",
    "Comparison",
    "Contribution",
    "Indicator",
    "Lever",
    "LeverKind",
    "Scenario",
    "ScenarioError",
    "Target",
    "TargetOutcome",
    "Trajectory",
    "Weibull",
    "YearEngine",
    "YearResult",
    "contributions",
    "evaluate",
    "fit",
    "make_lever",
    "project",
    "series",
    "survival_models",
]
