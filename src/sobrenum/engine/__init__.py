"""The footprint engine: pure table expressions from (fleet, referential, parameters)."""

from sobrenum.engine.aggregate import per_capita
from sobrenum.engine.compute import DIMENSIONS, Allocation, Parameters, impacts, prepare, totals
from sobrenum.engine.connections import connection
from sobrenum.engine.run import Footprint, as_fleet_table, compute
from sobrenum.engine.uncertainty import UncertaintyResult, uncertainty
from sobrenum.engine.validate import ensure_computable, find_problems

__all__ = [
    "DIMENSIONS",
    "Allocation",
    "Footprint",
    "Parameters",
    "UncertaintyResult",
    "as_fleet_table",
    "compute",
    "connection",
    "ensure_computable",
    "find_problems",
    "impacts",
    "per_capita",
    "prepare",
    "totals",
    "uncertainty",
]
