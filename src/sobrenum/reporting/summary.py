"""A footprint summed up for people: totals, breakdowns, shares, per staff member."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sobrenum.domain import CATEGORIES_BY_CODE, CRITERIA, PHASE_LABELS, Phase
from sobrenum.engine import Footprint, UncertaintyResult, per_capita, uncertainty
from sobrenum.engine.aggregate import Coverage, PhaseCoverage, coverage


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
    #: Which devices (and how much of the carbon) the total covers; None: not computed.
    coverage: Coverage | None = None

    @property
    def partial(self) -> bool:
        """True when some devices or phases have no factor: the total is a partial sum."""
        return self.coverage is not None and not self.coverage.complete

    @property
    def coverage_note(self) -> str:
        """« partiel : … » in French, empty for a complete total."""
        return coverage_note(self.coverage) if self.coverage is not None else ""


def criterion_from_json(data: Mapping[str, Any]) -> CriterionLine:
    """A criterion line back from ``dataclasses.asdict`` (a frozen year's JSON)."""
    values = dict(data)
    raw = values.pop("coverage", None)
    if raw:
        raw = dict(raw)
        raw["by_phase"] = {p: PhaseCoverage(**c) for p, c in raw["by_phase"].items()}
        values["coverage"] = Coverage(**raw)
    return CriterionLine(**values)


def coverage_note(cov: Coverage) -> str:
    """A partial total in words, phase by phase; empty for a complete total.

    « partiel — fabrication : 68 % des équipements (75 % du carbone) ; usage : tous ;
    distribution, fin de vie : aucun facteur »
    """
    if cov.complete:
        return ""
    full: list[str] = []
    none: list[str] = []
    some: list[str] = []
    for phase, c in cov.by_phase.items():
        name = PHASE_LABELS[Phase(phase)][0].lower()
        if c.devices >= c.devices_total:
            full.append(name)
        elif c.devices == 0:
            none.append(name)
        else:
            some.append(
                f"{name} : {_pct(c.device_share)} des équipements ({_pct(c.carbon_share)} du "
                "carbone)"
            )
    parts = [*some]
    if full:
        parts.append(f"{', '.join(full)} : tous")
    if none:
        parts.append(f"{', '.join(none)} : aucun facteur")
    return "partiel — " + " ; ".join(parts)


def _pct(share: float) -> str:
    return f"{share * 100:.0f} %"


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
    #: The 90 % interval and the data to improve first (``footprint --incertitude``).
    uncertainty: UncertaintySummary | None = None

    @property
    def phase_labels(self) -> dict[str, str]:
        return {p.value: PHASE_LABELS[p][0] for p in Phase}


def summarise(
    footprint: Footprint,
    organisation: str = "",
    staff_count: int | None = None,
    population: int | None = None,
    warnings: list[str] | None = None,
    uncertainty_draws: int | None = None,
) -> Summary:
    """Everything the terminal summary and the HTML report show, computed once.

    With ``uncertainty_draws``, also the 90 % interval of the carbon footprint and the data to
    improve first (Monte Carlo on the footprint's backend, seed 0: the same inventory gives
    the same interval).
    """
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
    covered = fleet_coverage(footprint)

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
                coverage=covered.get(c.code),
            )
        )
    gwp = next((c for c in criteria if c.code == "gwp"), None)
    annual_gwp = gwp.annual if gwp else 0.0
    ratios = per_capita(annual_gwp, staff_count, population)
    used_sources = (
        set(footprint.referential.factors["source_id"].to_pylist())
        | set(footprint.referential.electricity["source_id"].to_pylist())
        | set(footprint.referential.categories["source_id"].to_pylist())
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
        uncertainty=(
            summarise_uncertainty(
                uncertainty(
                    footprint.fleet,
                    footprint.referential,
                    footprint.parameters,
                    draws=uncertainty_draws,
                    backend=footprint.backend,
                    validate=False,  # compute() validated the fleet
                )
            )
            if uncertainty_draws
            else None
        ),
    )


def fleet_coverage(footprint: Footprint) -> dict[str, Coverage]:
    """Coverage of every criterion over the year's devices (see ``engine.aggregate``)."""
    default = footprint.referential.default_country
    carbon: dict[tuple[str, str], float] = {}
    for r in footprint.totals(["category", "country"]).to_pylist():
        if r["criterion"] == "gwp":
            carbon[(r["category"], r["country"])] = r["annual"] or 0.0
    devices: dict[tuple[str, str], float] = {}
    for r in footprint.device_counts(["category", "country"]).to_pylist():
        key = (r["category"], r["country"] or default)
        devices[key] = devices.get(key, 0.0) + float(r["devices"] or 0)
    groups = [
        {"category": k[0], "country": k[1], "devices": n, "carbon": carbon.get(k, 0.0)}
        for k, n in devices.items()
    ]
    return coverage(footprint.referential, groups, [c.code for c in CRITERIA])


# --- uncertainty ---------------------------------------------------------------------------

#: Category names in the plural, for sentences ("durée de vie des ordinateurs portables").
PLURALS_FR = {
    "laptop": "ordinateurs portables",
    "desktop": "ordinateurs fixes",
    "thin_client": "clients légers",
    "all_in_one": "ordinateurs tout-en-un",
    "monitor": "écrans d'ordinateur",
    "smartphone": "smartphones",
    "mobile_phone": "téléphones mobiles simples",
    "tablet": "tablettes",
    "ip_phone": "téléphones IP",
    "printer": "imprimantes",
    "multifunction_printer": "imprimantes multifonctions",
    "scanner": "scanners",
    "video_projector": "vidéoprojecteurs",
    "interactive_display": "écrans numériques interactifs",
    "tv_display": "téléviseurs et écrans d'affichage",
    "docking_station": "stations d'accueil",
    "external_hdd": "disques durs externes",
    "external_ssd": "SSD externes",
    "usb_key": "clés USB",
    "internet_box": "box internet",
    "wifi_access_point": "bornes Wi-Fi",
    "switch": "commutateurs réseau",
    "router": "routeurs",
    "firewall": "pare-feu",
    "rack_server": "serveurs rack",
    "tower_server": "serveurs tour",
    "storage_array": "baies de stockage",
    "ups": "onduleurs",
}
COUNTRIES_FR = {"FRA": "France", "WOR": "moyenne mondiale", "EEE": "moyenne européenne"}
_PHASE_WORDS_FR = {
    Phase.MANUFACTURE.value: "fabrication",
    Phase.DISTRIBUTION.value: "distribution",
    Phase.END_OF_LIFE.value: "fin de vie",
}


@dataclass(frozen=True)
class IntervalLine:
    """A 90 % interval of the annual carbon footprint (kgCO2e)."""

    category: str
    label: str
    nominal: float
    mean: float
    median: float
    p5: float
    p95: float


@dataclass(frozen=True)
class PriorityLine:
    """An input of the referential and its share of the variance of the annual total."""

    input_id: str
    label: str
    share: float


@dataclass(frozen=True)
class UncertaintySummary:
    draws: int
    total: IntervalLine
    categories: list[IntervalLine]
    priorities: list[PriorityLine]
    interaction_share: float
    #: Share of the draws below the headline value (None: not known, older snapshots).
    nominal_rank: float | None = None


def input_label(kind: str, category: str | None, country: str | None, phase: str | None) -> str:
    """An uncertain input in words: « durée de vie des ordinateurs portables »."""
    things = PLURALS_FR.get(category or "", f"équipements « {category} »")
    if kind == "lifetime":
        return f"durée de vie des {things}"
    if kind == "power":
        return f"puissance des {things}"
    if kind == "devices":
        what = "de la consommation" if phase == Phase.USE.value else "de la fabrication"
        return f"écarts entre {things} ({what})"
    if kind == "electricity":
        return f"impact de l'électricité ({COUNTRIES_FR.get(country or '', country)})"
    return f"impact de {_PHASE_WORDS_FR.get(phase or '', phase)} des {things}"


def summarise_uncertainty(result: UncertaintyResult, top: int = 5) -> UncertaintySummary:
    """The carbon footprint's 90 % interval, per category, and the ``top`` inputs to improve."""

    def line(row: Mapping[str, Any], code: str) -> IntervalLine:
        return IntervalLine(
            category=code,
            label=CATEGORIES_BY_CODE[code].label_fr if code in CATEGORIES_BY_CODE else code,
            nominal=float(row["nominal"]),
            mean=float(row["mean"]),
            median=float(row["median"]),
            p5=float(row["p5"]),
            p95=float(row["p95"]),
        )

    totals = result.intervals(criteria=["gwp"]).to_pylist()
    empty = {"nominal": 0.0, "mean": 0.0, "median": 0.0, "p5": 0.0, "p95": 0.0}
    categories = [
        line(r, str(r["category"])) for r in result.intervals(["category"], ["gwp"]).to_pylist()
    ]
    categories.sort(key=lambda c: c.nominal, reverse=True)
    priorities = [
        PriorityLine(
            input_id=r["input_id"],
            label=input_label(r["kind"], r["category"], r["country"], r["phase"]),
            share=r["share"],
        )
        for r in result.sensitivity("gwp").slice(0, top).to_pylist()
    ]
    return UncertaintySummary(
        draws=result.draws,
        total=line(totals[0] if totals else empty, ""),
        categories=categories,
        priorities=priorities,
        interaction_share=result.interaction_share("gwp"),
        nominal_rank=result.nominal_rank("gwp"),
    )
