"""Indicators of the responsible-digital strategy (stratégie numérique responsable).

The catalogue is a data file (``data/indicators.csv``): each indicator has a code, a theme of
décret 2022-1084 (CGCT D. 2311-15-1; theme ``0`` gathers the footprint indicators of the
interministerial good-practice guide), a French label, a unit, a *mode* and the French text of
its formula:

* ``calcule`` — computed from the fleet at 31 December and from its footprint;
* ``registre`` — computed from the reuse register (:mod:`sobrenum.reuse`) when it has the
  figures; declared by the user otherwise;
* ``declare`` — declared by the user each year (trainings, workshops, clauses…).

:func:`fleet_indicators` computes the ``calcule`` ones with Arrow compute kernels (no Python
loop over devices); :func:`assemble` puts computed, register and declared values together with
the year's objectives. Nothing is ever invented: an indicator without data is « non
renseigné » and says why.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache
from importlib import resources

import pyarrow as pa
import pyarrow.compute as pc

from sobrenum.domain import CATEGORIES_BY_CODE, Condition, SobrenumError, Status
from sobrenum.reporting.summary import Summary

#: Days in a mean Gregorian year (the engine's convention).
DAYS_PER_YEAR = 365.2425

THEMES: dict[str, str] = {
    "0": "Empreinte environnementale du numérique",
    "1": "Achats et commande publique durable",
    "2": "Gestion durable du cycle de vie du matériel",
    "3": "Écoconception des services numériques",
    "4": "Sensibilisation des élus et des agents",
    "5": "Citoyens et inclusion numérique",
    "6": "Territoire connecté et durable",
}


class Mode(StrEnum):
    COMPUTED = "calcule"
    REGISTER = "registre"
    DECLARED = "declare"


class Direction(StrEnum):
    UP = "hausse"  # higher is better
    DOWN = "baisse"  # lower is better
    NONE = "aucune"


class Origin(StrEnum):
    """Where a value comes from, as the report says it."""

    COMPUTED = "calculé"
    REGISTER = "registre de réemploi"
    DECLARED = "déclaré"
    MISSING = "non renseigné"


class IndicatorError(SobrenumError):
    """An indicator value or objective is refused; the message says why, in French."""


@dataclass(frozen=True)
class Indicator:
    code: str
    theme: str
    label: str
    unit: str
    mode: Mode
    direction: Direction
    formula: str

    @property
    def theme_label(self) -> str:
        return THEMES[self.theme]

    @property
    def declarable(self) -> bool:
        """Whether a user may enter a value (declared, or register fallback)."""
        return self.mode != Mode.COMPUTED


@cache
def catalogue() -> tuple[Indicator, ...]:
    """Every indicator, in the order of the data file (theme by theme)."""
    text = (resources.files("sobrenum.reporting") / "data" / "indicators.csv").read_text("utf-8")
    out = []
    for row in csv.DictReader(io.StringIO(text)):
        out.append(
            Indicator(
                code=row["code"],
                theme=row["theme"],
                label=row["label"],
                unit=row["unit"],
                mode=Mode(row["mode"]),
                direction=Direction(row["direction"]),
                formula=row["formula"],
            )
        )
    return tuple(out)


def by_code() -> dict[str, Indicator]:
    return {i.code: i for i in catalogue()}


def get(code: str) -> Indicator:
    """The indicator of this code, or a French error listing close codes."""
    found = by_code().get(code.strip())
    if found is None:
        known = ", ".join(i.code for i in catalogue())
        raise IndicatorError(f"Indicateur inconnu « {code} ». Codes possibles : {known}.")
    return found


def check_value(indicator: Indicator, value: float) -> float:
    """A declared value or objective, checked against the indicator's unit."""
    if value != value or value in (float("inf"), float("-inf")):  # NaN, infinities
        raise IndicatorError(f"Valeur invalide pour « {indicator.label} » : nombre attendu.")
    if value < 0:
        raise IndicatorError(
            f"Valeur négative refusée pour « {indicator.label} » ({indicator.unit})."
        )
    if indicator.unit in ("%", "points/100") and value > 100:
        raise IndicatorError(f"« {indicator.label} » est un pourcentage : {value:g} dépasse 100.")
    if indicator.unit == "oui/non" and value not in (0, 1):
        raise IndicatorError(f"« {indicator.label} » vaut 1 (oui) ou 0 (non), pas {value:g}.")
    return float(value)


# --- values --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Declared:
    """A value entered by the user for a year."""

    value: float
    comment: str | None = None


@dataclass
class IndicatorValue:
    """An indicator for a year: its value, where it comes from, its objective."""

    indicator: Indicator
    year: int
    value: float | None
    origin: Origin
    #: Breakdowns (``categorie`` or ``phase`` → code → value), in the indicator's unit.
    details: dict[str, dict[str, float]] = field(default_factory=dict)
    note: str = ""
    objective: float | None = None
    comment: str | None = None

    @property
    def status(self) -> str:
        """« atteint », « non atteint », « sans objectif » or « non renseigné »."""
        if self.value is None:
            return "non renseigné"
        if self.objective is None or self.indicator.direction == Direction.NONE:
            return "sans objectif"
        if self.indicator.direction == Direction.UP:
            return "atteint" if self.value >= self.objective - 1e-9 else "non atteint"
        return "atteint" if self.value <= self.objective + 1e-9 else "non atteint"


@dataclass(frozen=True)
class Computed:
    value: float | None
    details: dict[str, dict[str, float]] = field(default_factory=dict)
    note: str = ""


def _day_number(day: dt.date) -> int:
    return (day - dt.date(1970, 1, 1)).days


def _days(column: pa.ChunkedArray | pa.Array) -> pa.ChunkedArray | pa.Array:
    """A date32 column as days since 1970-01-01 (int64)."""
    return pc.cast(pc.cast(column, pa.int32()), pa.int64())


def _weighted_mean(
    table: pa.Table, values: pa.ChunkedArray | pa.Array, weights: pa.ChunkedArray | pa.Array
) -> tuple[float | None, dict[str, float]]:
    """Quantity-weighted mean of ``values`` (nulls ignored), overall and per category."""
    valid = pc.is_valid(values)
    t = pa.table(
        {
            "category": table.column("category"),
            "wx": pc.multiply(pc.cast(values, pa.float64()), pc.cast(weights, pa.float64())),
            "w": pc.cast(weights, pa.float64()),
        }
    ).filter(valid)
    if t.num_rows == 0:
        return None, {}
    grouped = t.group_by("category").aggregate([("wx", "sum"), ("w", "sum")]).to_pylist()
    per_category = {
        r["category"]: r["wx_sum"] / r["w_sum"] for r in grouped if r["w_sum"] and r["w_sum"] > 0
    }
    total_w = sum(r["w_sum"] for r in grouped)
    total = sum(r["wx_sum"] for r in grouped) / total_w if total_w > 0 else None
    return total, dict(sorted(per_category.items()))


def _quantity(table: pa.Table) -> pa.ChunkedArray:
    return pc.fill_null(pc.cast(table.column("quantity"), pa.int64()), 1)


def in_service(fleet: pa.Table, year: int) -> pa.Table:
    """Devices in service on 31 December of ``year``: status in use (or unknown), acquired by
    then, not retired by then."""
    end = dt.date(year, 12, 31)
    status = pc.fill_null(fleet.column("status"), Status.IN_USE.value)
    acquired = pc.fill_null(
        pc.less_equal(fleet.column("acquisition_date"), pa.scalar(end, pa.date32())), True
    )
    not_retired = pc.fill_null(
        pc.greater(fleet.column("retirement_date"), pa.scalar(end, pa.date32())), True
    )
    mask = pc.and_(pc.and_(pc.equal(status, Status.IN_USE.value), acquired), not_retired)
    return fleet.filter(mask)


def retired_in_year(fleet: pa.Table, year: int) -> pa.Table:
    """Rows of ``fleet`` whose retirement date falls in ``year``."""
    lo = pa.scalar(dt.date(year, 1, 1), pa.date32())
    hi = pa.scalar(dt.date(year, 12, 31), pa.date32())
    r = fleet.column("retirement_date")
    mask = pc.fill_null(pc.and_(pc.greater_equal(r, lo), pc.less_equal(r, hi)), False)
    return fleet.filter(mask)


def undated_retired(fleet: pa.Table) -> int:
    """Devices (quantities counted) whose status says retired but with no retirement date."""
    mask = pc.fill_null(
        pc.and_(
            pc.equal(fleet.column("status"), Status.RETIRED.value),
            pc.is_null(fleet.column("retirement_date")),
        ),
        False,
    )
    return int(pc.sum(_quantity(fleet.filter(mask))).as_py() or 0)


def fleet_indicators(
    fleet: pa.Table,
    year: int,
    summary: Summary,
    default_lifetimes: Mapping[str, float],
    retired: pa.Table | None = None,
) -> dict[str, Computed]:
    """The ``calcule`` indicators of ``year``.

    ``fleet`` is the fleet as it stood on 31 December (FLEET_SCHEMA), ``summary`` its
    footprint, ``default_lifetimes`` the referential's lifetime per category, ``retired`` the
    devices that left the fleet during the year (their ``retirement_date`` set; defaults to
    the rows of ``fleet`` retired during the year).
    """
    out: dict[str, Computed] = {}
    staff = summary.staff_count
    population = summary.population

    # Footprint (theme 0).
    gwp = summary.annual_gwp
    out["empreinte_carbone"] = Computed(
        gwp / 1000.0,
        {
            "categorie": {c.category: c.annual_gwp / 1000.0 for c in summary.categories},
            "phase": {p: v / 1000.0 for p, v in summary.gwp_by_phase.items()},
        },
    )
    out["empreinte_par_agent"] = (
        Computed(gwp / staff) if staff else Computed(None, note="nombre d'agents inconnu")
    )
    out["empreinte_par_habitant"] = (
        Computed(gwp / population) if population else Computed(None, note="population inconnue")
    )
    manufacture = summary.gwp_by_phase.get("manufacture", 0.0)
    out["part_fabrication"] = (
        Computed(100.0 * manufacture / gwp) if gwp > 0 else Computed(None, note="empreinte nulle")
    )

    active = in_service(fleet, year)
    q_active = _quantity(active)
    monitors = pc.sum(q_active.filter(pc.equal(active.column("category"), "monitor"))).as_py()
    out["ecrans_par_agent"] = (
        Computed((monitors or 0) / staff)
        if staff
        else Computed(None, note="nombre d'agents inconnu")
    )

    # Purchases of the year (theme 1): by number of devices, from the fleet at 31 December.
    lo = pa.scalar(dt.date(year, 1, 1), pa.date32())
    hi = pa.scalar(dt.date(year, 12, 31), pa.date32())
    acq = fleet.column("acquisition_date")
    bought = fleet.filter(
        pc.fill_null(pc.and_(pc.greater_equal(acq, lo), pc.less_equal(acq, hi)), False)
    )
    q_bought = _quantity(bought)
    n_bought = pc.sum(q_bought).as_py() or 0
    refurb_bought = (
        pc.sum(
            q_bought.filter(
                pc.fill_null(
                    pc.equal(bought.column("condition"), Condition.REFURBISHED.value), False
                )
            )
        ).as_py()
        or 0
    )
    out["achats_reconditionnes_part"] = (
        Computed(100.0 * refurb_bought / n_bought)
        if n_bought
        else Computed(None, note=f"aucun équipement acquis en {year} dans l'inventaire")
    )

    # Life cycle (theme 2).
    if retired is None:
        retired = retired_in_year(fleet, year)
    if retired.num_rows:
        life_days = pc.subtract(
            _days(retired.column("retirement_date")), _days(retired.column("acquisition_date"))
        )
        life = pc.divide(pc.cast(life_days, pa.float64()), DAYS_PER_YEAR)
        value, per_cat = _weighted_mean(retired, life, _quantity(retired))
        out["duree_vie_sortis"] = Computed(
            value,
            {"categorie": per_cat},
            "" if value is not None else "dates d'acquisition inconnues",
        )
    else:
        undated = undated_retired(fleet)
        out["duree_vie_sortis"] = Computed(
            None,
            note=(
                f"{undated} équipement(s) sorti(s) du parc (statut « réformé », « HS »…) sans "
                "date de sortie : durée de vie non calculable"
                if undated
                else f"aucun équipement sorti du parc en {year}"
            ),
        )

    if active.num_rows:
        end_day = _day_number(dt.date(year, 12, 31))
        age_days = pc.subtract(
            pa.scalar(end_day, pa.int64()), _days(active.column("acquisition_date"))
        )
        age = pc.divide(pc.cast(age_days, pa.float64()), DAYS_PER_YEAR)
        value, per_cat = _weighted_mean(active, age, q_active)
        out["age_moyen_parc"] = Computed(value, {"categorie": per_cat})
        defaults = pa.array(
            [default_lifetimes.get(c) for c in active.column("category").to_pylist()],
            pa.float64(),
        )
        planned = pc.coalesce(active.column("lifetime_years"), defaults)
        value, per_cat = _weighted_mean(active, planned, q_active)
        out["duree_vie_prevue_parc"] = Computed(value, {"categorie": per_cat})
        n_active = pc.sum(q_active).as_py() or 0
        refurb = (
            pc.sum(
                q_active.filter(
                    pc.fill_null(
                        pc.equal(active.column("condition"), Condition.REFURBISHED.value), False
                    )
                )
            ).as_py()
            or 0
        )
        out["reconditionnes_parc_part"] = Computed(100.0 * refurb / n_active if n_active else None)
    else:
        for code in ("age_moyen_parc", "duree_vie_prevue_parc", "reconditionnes_parc_part"):
            out[code] = Computed(None, note="aucun équipement en service au 31 décembre")
    return out


def assemble(
    year: int,
    computed: Mapping[str, Computed],
    declared: Mapping[str, Declared] | None = None,
    objectives: Mapping[str, float] | None = None,
    register: Mapping[str, float | None] | None = None,
) -> list[IndicatorValue]:
    """Every indicator of the catalogue for ``year``, in catalogue order.

    ``register`` holds the figures of the reuse register (``None`` for a figure it cannot
    give); a register indicator falls back to the user's declaration, then to « non
    renseigné ». A declaration for a computed indicator is ignored (it cannot be declared).
    """
    declared = declared or {}
    objectives = objectives or {}
    register = register or {}
    out: list[IndicatorValue] = []
    for ind in catalogue():
        value: float | None = None
        origin = Origin.MISSING
        details: dict[str, dict[str, float]] = {}
        note = ""
        comment = None
        if ind.mode == Mode.COMPUTED:
            c = computed.get(ind.code)
            if c is not None and c.value is not None:
                value, origin, details = c.value, Origin.COMPUTED, c.details
            else:
                note = c.note if c is not None else "non calculé"
        else:
            from_register = register.get(ind.code) if ind.mode == Mode.REGISTER else None
            if from_register is not None:
                value, origin = from_register, Origin.REGISTER
            elif ind.code in declared:
                value, origin = declared[ind.code].value, Origin.DECLARED
                comment = declared[ind.code].comment
            else:
                note = "à déclarer" if ind.mode == Mode.DECLARED else "à déclarer (registre vide)"
        out.append(
            IndicatorValue(
                indicator=ind,
                year=year,
                value=value,
                origin=origin,
                details=details,
                note=note,
                objective=objectives.get(ind.code),
                comment=comment,
            )
        )
    return out


def to_json(values: list[IndicatorValue]) -> dict[str, dict[str, object]]:
    """The values as plain JSON (what a snapshot stores)."""
    return {
        v.indicator.code: {
            "value": v.value,
            "origin": v.origin.value,
            "details": v.details,
            "note": v.note,
        }
        for v in values
    }


def computed_from_json(data: Mapping[str, Mapping[str, object]]) -> dict[str, Computed]:
    """Computed and register values back from a snapshot's JSON."""
    out: dict[str, Computed] = {}
    for code, item in data.items():
        if item.get("origin") == Origin.COMPUTED.value:
            raw = item.get("value")
            details = item.get("details") or {}
            out[code] = Computed(
                float(raw) if isinstance(raw, int | float) else None,
                dict(details) if isinstance(details, dict) else {},
                str(item.get("note") or ""),
            )
        elif item.get("origin") in (Origin.MISSING.value,) and item.get("note"):
            out[code] = Computed(None, note=str(item["note"]))
    return out


def category_label(code: str) -> str:
    cat = CATEGORIES_BY_CODE.get(code)
    return cat.label_fr if cat else code
