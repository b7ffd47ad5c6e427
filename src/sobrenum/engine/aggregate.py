"""Totals of the impacts table, by any of its dimensions, and per staff member / inhabitant."""

from __future__ import annotations

from collections.abc import Sequence

import ibis.expr.types as ir

#: Dimensions a total can be broken down by.
DIMENSIONS = ("category", "site", "department", "country", "phase", "criterion")


def totals(impacts: ir.Table, by: Sequence[str] = ("criterion",)) -> ir.Table:
    """Annual and whole-life sums grouped by ``by`` (always within a criterion)."""
    unknown = [d for d in by if d not in DIMENSIONS]
    if unknown:
        raise ValueError(f"unknown dimensions: {unknown}")
    keys = list(dict.fromkeys([*by, "criterion"]))
    return (
        impacts.group_by(keys)
        .aggregate(annual=impacts.annual.sum(), whole_life=impacts.whole_life.sum())
        .order_by(keys)
    )


def per_capita(
    total_annual: float, staff_count: int | None, population: int | None
) -> dict[str, float | None]:
    """Annual impact per staff member and per inhabitant, when the sizes are known."""
    return {
        "per_staff": total_annual / staff_count if staff_count else None,
        "per_inhabitant": total_annual / population if population else None,
    }
