"""The footprint engine: pure table expressions from (fleet, referential, parameters)."""

from sobrenum.engine.aggregate import DIMENSIONS, per_capita, totals
from sobrenum.engine.compute import Allocation, Parameters, impacts, prepare
from sobrenum.engine.run import Footprint, as_fleet_table, compute
from sobrenum.engine.validate import ensure_computable, find_problems

__all__ = [
    "DIMENSIONS",
    "Allocation",
    "Footprint",
    "Parameters",
    "as_fleet_table",
    "compute",
    "ensure_computable",
    "find_problems",
    "impacts",
    "per_capita",
    "prepare",
    "totals",
]
