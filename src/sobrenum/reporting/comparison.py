"""Comparison between territories: where an organisation stands among comparable ones.

Rules (docs/rapport.md, « Comparaison entre territoires »):

* only frozen years are compared (same year for everyone, figures that no longer move);
* only organisations that currently consent are counted, and only an organisation that
  consents may see the comparison (give to get);
* comparable = same type of organisation and same size band (population); when the band has
  too few organisations, the group widens to the same type, any size; otherwise nothing is
  shown;
* a group is shown only if it has at least :data:`MIN_OTHERS` organisations *other than the
  viewer* with a value: the statistics (median, quartiles) are computed on those others only,
  so the viewer cannot subtract its own value to learn about a smaller set;
* figures are rounded to two significant digits and the viewer's position is given as a
  quarter, never as a rank.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sobrenum.domain import SobrenumError
from sobrenum.store import ORGANISATION_TYPE_LABELS, Organisation, Store
from sobrenum.store import strategy as st

#: At least this many consenting organisations besides the viewer (k-anonymity, k = 5).
MIN_OTHERS = 5

#: Population bands (inhabitants), lower bounds included.
SIZE_BANDS: tuple[tuple[int, int | None, str], ...] = (
    (0, 10_000, "moins de 10 000 habitants"),
    (10_000, 50_000, "de 10 000 à 50 000 habitants"),
    (50_000, 100_000, "de 50 000 à 100 000 habitants"),
    (100_000, 300_000, "de 100 000 à 300 000 habitants"),
    (300_000, None, "300 000 habitants et plus"),
)


def _per_staff(staff: int | None, population: int | None, results: dict[str, Any]) -> float | None:
    gwp = results.get("summary", {}).get("annual_gwp")
    return gwp / staff if gwp is not None and staff else None


def _per_inhabitant(
    staff: int | None, population: int | None, results: dict[str, Any]
) -> float | None:
    gwp = results.get("summary", {}).get("annual_gwp")
    return gwp / population if gwp is not None and population else None


def _indicator(code: str) -> Callable[[int | None, int | None, dict[str, Any]], float | None]:
    def read(staff: int | None, population: int | None, results: dict[str, Any]) -> float | None:
        value = results.get("indicators", {}).get(code, {}).get("value")
        return float(value) if isinstance(value, int | float) else None

    return read


@dataclass(frozen=True)
class Metric:
    code: str
    label: str
    unit: str
    read: Callable[[int | None, int | None, dict[str, Any]], float | None]
    lower_is_better: bool = True


METRICS: tuple[Metric, ...] = (
    Metric("par_agent", "Empreinte carbone par agent", "kgCO2e/agent/an", _per_staff),
    Metric("par_habitant", "Empreinte carbone par habitant", "kgCO2e/hab./an", _per_inhabitant),
    Metric(
        "ecrans_par_agent",
        "Écrans par utilisateur",
        "écrans/agent",
        _indicator("ecrans_par_agent"),
    ),
    Metric(
        "age_moyen_parc",
        "Âge moyen du parc en service",
        "ans",
        _indicator("age_moyen_parc"),
        lower_is_better=False,
    ),
)


class ComparisonError(SobrenumError):
    """The comparison cannot be shown; the message says why, in French."""


def size_band(population: int | None) -> str | None:
    if population is None:
        return None
    for lo, hi, label in SIZE_BANDS:
        if population >= lo and (hi is None or population < hi):
            return label
    return None


def round_significant(value: float, digits: int = 2) -> float:
    if value == 0 or not math.isfinite(value):
        return value
    return round(value, digits - 1 - math.floor(math.log10(abs(value))))


def quartiles(values: Sequence[float]) -> tuple[float, float, float]:
    """(Q1, median, Q3), inclusive method (the values' own range)."""
    q1, q2, q3 = statistics.quantiles(sorted(values), n=4, method="inclusive")
    return q1, q2, q3


@dataclass
class MetricComparison:
    metric: Metric
    own: float | None
    count: int = 0  # organisations in the group, viewer excluded; 0 when hidden
    q1: float | None = None
    median: float | None = None
    q3: float | None = None
    position: str = ""
    hidden_reason: str = ""

    @property
    def shown(self) -> bool:
        return self.median is not None


@dataclass
class Comparison:
    year: int
    group_label: str
    metrics: list[MetricComparison] = field(default_factory=list)
    message: str = ""


def _position(value: float | None, q1: float, q3: float, median: float, lower_better: bool) -> str:
    if value is None:
        return "votre valeur n'est pas disponible"
    if value < q1:
        where = "dans le quart le plus bas"
    elif value > q3:
        where = "dans le quart le plus haut"
    elif value <= median:
        where = "entre le premier quartile et la médiane"
    else:
        where = "entre la médiane et le troisième quartile"
    return where


def compare(
    store: Store, viewer: Organisation, year: int, metrics: Sequence[Metric] = METRICS
) -> Comparison:
    """Where ``viewer`` stands in ``year`` among comparable consenting organisations."""
    if not st.has_consented(store, viewer):
        raise ComparisonError(
            "La comparaison entre territoires n'est visible que par les collectivités qui "
            "acceptent d'y figurer : donnez d'abord votre accord (elle reste anonyme)."
        )
    own_results = st.snapshot_results(store, [viewer.id], year).get(viewer.id)
    if own_results is None:
        raise ComparisonError(
            f"L'année {year} n'est pas figée pour {viewer.name} : seules les années figées "
            "sont comparées (sobrenum strategie figer)."
        )
    others = [o for o in st.consenting_organisations(store) if o.id != viewer.id]
    same_type = [o for o in others if o.type == viewer.type]
    band = size_band(viewer.population)
    same_band = [o for o in same_type if band is not None and size_band(o.population) == band]
    type_label = ORGANISATION_TYPE_LABELS.get(viewer.type, viewer.type)
    candidates = [
        (same_band, f"{type_label}, {band}" if band else type_label),
        (same_type, f"{type_label}, toutes tailles"),
    ]
    values_all = st.snapshot_results(store, [o.id for o in same_type], year)
    own_staff, own_population, own_data = own_results
    chosen: Comparison | None = None
    for group, label in candidates:
        data = {o.id: values_all[o.id] for o in group if o.id in values_all}
        result = Comparison(year=year, group_label=label)
        any_shown = False
        for metric in metrics:
            own = metric.read(own_staff, own_population, own_data)
            vals = [v for v in (metric.read(*data[i]) for i in data) if v is not None]
            line = MetricComparison(metric=metric, own=own)
            if len(vals) >= MIN_OTHERS:
                q1, med, q3 = quartiles(vals)
                line.count = len(vals)
                line.q1, line.median, line.q3 = (
                    round_significant(q1),
                    round_significant(med),
                    round_significant(q3),
                )
                line.position = _position(own, q1, q3, med, metric.lower_is_better)
                any_shown = True
            else:
                line.hidden_reason = (
                    f"moins de {MIN_OTHERS} autres collectivités comparables avec cette valeur"
                )
            result.metrics.append(line)
        if any_shown:
            chosen = result
            break
    if chosen is None:
        return Comparison(
            year=year,
            group_label=type_label,
            metrics=[
                MetricComparison(
                    metric=m,
                    own=m.read(own_staff, own_population, own_data),
                    hidden_reason=f"moins de {MIN_OTHERS} autres collectivités comparables",
                )
                for m in metrics
            ],
            message=(
                f"Pas encore assez de collectivités comparables ({type_label}) ayant figé "
                f"l'année {year} et accepté la comparaison : il en faut au moins {MIN_OTHERS} "
                "autres que la vôtre."
            ),
        )
    return chosen
