"""Ratios of a total to the size of the organisation."""

from __future__ import annotations


def per_capita(
    total_annual: float, staff_count: int | None, population: int | None
) -> dict[str, float | None]:
    """Annual impact per staff member and per inhabitant, when the sizes are known."""
    return {
        "per_staff": total_annual / staff_count if staff_count else None,
        "per_inhabitant": total_annual / population if population else None,
    }
