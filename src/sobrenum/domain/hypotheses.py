"""An organisation's own hypothesis for a category: lifetime, hours a day, days a year."""

from __future__ import annotations

import math
from dataclasses import dataclass

from sobrenum.domain.errors import ReferentialError
from sobrenum.domain.vocabulary import CATEGORIES_BY_CODE

#: Each hypothesis field, its French name and its bounds (inclusive).
FIELDS: dict[str, tuple[str, float, float]] = {
    "lifetime_years": ("durée de vie (ans)", 0.5, 30.0),
    "hours_per_day": ("heures d'usage par jour", 0.0, 24.0),
    "days_per_year": ("jours d'usage par an", 0.0, 366.0),
}


@dataclass(frozen=True)
class Hypothesis:
    """One category's hypotheses; None keeps the referential's default."""

    category: str
    lifetime_years: float | None = None
    hours_per_day: float | None = None
    days_per_year: float | None = None

    def values(self) -> dict[str, float]:
        return {k: v for k in FIELDS if (v := getattr(self, k)) is not None}


def check(h: Hypothesis) -> Hypothesis:
    """``h`` if every value is known and within bounds, else a French ``ReferentialError``."""
    if h.category not in CATEGORIES_BY_CODE:
        raise ReferentialError(f"Hypothèse : catégorie « {h.category} » inconnue.")
    label = CATEGORIES_BY_CODE[h.category].label_fr
    for name, value in h.values().items():
        what, low, high = FIELDS[name]
        if not math.isfinite(value) or not low <= value <= high:
            raise ReferentialError(
                f"Hypothèse « {label} » : {what} {_fr(value)} hors de l'intervalle "
                f"[{_fr(low)} ; {_fr(high)}]."
            )
    return h


def _fr(value: float) -> str:
    return f"{value:g}".replace(".", ",")
