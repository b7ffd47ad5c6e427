"""A footprint summed up for people: totals, breakdowns, shares, per staff member."""

from __future__ import annotations

from dataclasses import dataclass, field

from sobrenum.domain import CATEGORIES_BY_CODE, CRITERIA, PHASE_LABELS, Phase
from sobrenum.engine import Footprint, per_capita


@dataclass(frozen=True)
class CategoryLine:
    category: str
    label: str
    devices: int
    annual_gwp: float
    by_phase: dict[str, float]


@dataclass(frozen=True)
class CriterionLine:
    code: str
    label: str
    unit: str
    annual: float
    whole_life: float
    by_phase: dict[str, float | None]


@dataclass
class Summary:
    organisation: str
    reporting_year: int
    referential_version: str
    allocation: str
    devices: int
    annual_gwp: float
    whole_life_gwp: float
    per_staff: float | None
    per_inhabitant: float | None
    staff_count: int | None
    population: int | None
    categories: list[CategoryLine]
    criteria: list[CriterionLine]
    gwp_by_phase: dict[str, float]
    sources: list[dict[str, object]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def phase_labels(self) -> dict[str, str]:
        return {p.value: PHASE_LABELS[p][0] for p in Phase}


def summarise(
    footprint: Footprint,
    organisation: str = "",
    staff_count: int | None = None,
    population: int | None = None,
    warnings: list[str] | None = None,
) -> Summary:
    """Everything the terminal summary and the HTML report show, computed once."""
    by_cat = footprint.totals(["category", "phase"]).to_pylist()
    counts = {r["category"]: r["devices"] for r in footprint.device_counts().to_pylist()}
    by_crit = footprint.totals(["phase"]).to_pylist()

    cat_phase: dict[str, dict[str, float]] = {}
    for r in by_cat:
        if r["criterion"] == "gwp":
            cat_phase.setdefault(r["category"], {})[r["phase"]] = r["annual"] or 0.0
    categories = [
        CategoryLine(
            category=code,
            label=CATEGORIES_BY_CODE[code].label_fr if code in CATEGORIES_BY_CODE else code,
            devices=int(counts.get(code, 0)),
            annual_gwp=sum(phases.values()),
            by_phase=phases,
        )
        for code, phases in cat_phase.items()
    ]
    categories.sort(key=lambda c: c.annual_gwp, reverse=True)

    crit_phase: dict[str, dict[str, tuple[float, float]]] = {}
    for r in by_crit:
        crit_phase.setdefault(r["criterion"], {})[r["phase"]] = (
            r["annual"] or 0.0,
            r["whole_life"] or 0.0,
        )
    criteria = []
    for c in CRITERIA:
        phases = crit_phase.get(c.code)
        if not phases:
            continue
        criteria.append(
            CriterionLine(
                code=c.code,
                label=c.label_fr,
                unit=c.unit,
                annual=sum(a for a, _ in phases.values()),
                whole_life=sum(w for _, w in phases.values()),
                by_phase={
                    p.value: phases[p.value][0] if p.value in phases else None for p in Phase
                },
            )
        )
    gwp = next((c for c in criteria if c.code == "gwp"), None)
    annual_gwp = gwp.annual if gwp else 0.0
    ratios = per_capita(annual_gwp, staff_count, population)
    used_sources = set(footprint.referential.factors["source_id"].to_pylist()) | set(
        footprint.referential.electricity["source_id"].to_pylist()
    )
    sources = [
        s for s in footprint.referential.sources.to_pylist() if s["source_id"] in used_sources
    ]
    return Summary(
        organisation=organisation,
        reporting_year=footprint.parameters.reporting_year,
        referential_version=footprint.referential.version,
        allocation=footprint.parameters.allocation.value,
        devices=int(sum(counts.values())),
        annual_gwp=annual_gwp,
        whole_life_gwp=gwp.whole_life if gwp else 0.0,
        per_staff=ratios["per_staff"],
        per_inhabitant=ratios["per_inhabitant"],
        staff_count=staff_count,
        population=population,
        categories=categories,
        criteria=criteria,
        gwp_by_phase={k: v for k, v in (gwp.by_phase.items() if gwp else []) if v is not None},
        sources=sources,
        warnings=warnings or [],
    )
