"""Levers of a scenario, as data: a kind, a value, a start year and a category filter.

A lever changes the projection from its start year on. Its categories are those it acts on
(empty: the kind's default categories). The kinds, their units and bounds are in
:data:`KINDS`; docs/scenarios.md explains each one.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from sobrenum.domain import CATEGORIES_BY_CODE, Group, SobrenumError


class ScenarioError(SobrenumError):
    """A scenario or a lever that cannot be projected, explained in French."""


class LeverKind(StrEnum):
    LIFETIME_EXTENSION = "lifetime_extension"
    REFURBISHED_SHARE = "refurbished_share"
    SCREENS_PER_WORKSTATION = "screens_per_workstation"
    AGENTS_PER_PRINTER = "agents_per_printer"
    THIN_CLIENT_SHARE = "thin_client_share"
    SMARTPHONE_REDUCTION = "smartphone_reduction"
    HOSTING_PUE = "hosting_pue"
    REUSE_SHARE = "reuse_share"


WORKSTATIONS = ("desktop", "laptop", "all_in_one", "thin_client")
PRINTERS = ("printer", "multifunction_printer")
PHONES = ("smartphone",)
_TERMINALS_AND_PERIPHERALS = tuple(
    c.code for c in CATEGORIES_BY_CODE.values() if c.group in (Group.TERMINAL, Group.PERIPHERAL)
)
_HOSTED = tuple(c.code for c in CATEGORIES_BY_CODE.values() if c.group == Group.HOSTED)
_ALL = tuple(CATEGORIES_BY_CODE)


@dataclass(frozen=True)
class KindInfo:
    label: str
    unit: str
    low: float
    high: float
    default_categories: tuple[str, ...]
    filterable: bool = True
    """False when the lever acts on fixed categories (its filter must stay empty)."""


KINDS: dict[LeverKind, KindInfo] = {
    LeverKind.LIFETIME_EXTENSION: KindInfo(
        "Allonger la durée de vie", "années de plus", 0.0, 15.0, _ALL
    ),
    LeverKind.REFURBISHED_SHARE: KindInfo(
        "Acheter du reconditionné", "part des achats (0 à 1)", 0.0, 1.0, _TERMINALS_AND_PERIPHERALS
    ),
    LeverKind.SCREENS_PER_WORKSTATION: KindInfo(
        "Écrans par poste de travail", "écrans par poste", 0.0, 4.0, ("monitor",), False
    ),
    LeverKind.AGENTS_PER_PRINTER: KindInfo(
        "Imprimantes partagées", "agents par multifonction", 1.0, 1000.0, PRINTERS, False
    ),
    LeverKind.THIN_CLIENT_SHARE: KindInfo(
        "Clients légers au lieu de fixes",
        "part des remplacements (0 à 1)",
        0.0,
        1.0,
        ("desktop",),
        False,
    ),
    LeverKind.SMARTPHONE_REDUCTION: KindInfo(
        "Moins de smartphones (partagés)", "part en moins (0 à 1)", 0.0, 1.0, PHONES, False
    ),
    LeverKind.HOSTING_PUE: KindInfo("PUE de l'hébergement", "PUE", 1.0, 3.0, _HOSTED),
    LeverKind.REUSE_SHARE: KindInfo(
        "Sorties vers le réemploi ou le don", "part des sorties (0 à 1)", 0.0, 1.0, _ALL
    ),
}


@dataclass(frozen=True)
class Lever:
    kind: LeverKind
    value: float
    start_year: int
    categories: tuple[str, ...] = ()

    @property
    def info(self) -> KindInfo:
        return KINDS[self.kind]

    @property
    def applies_to(self) -> tuple[str, ...]:
        """The categories acted on: the filter, or the kind's defaults."""
        return self.categories or self.info.default_categories

    def active(self, year: int) -> bool:
        return year >= self.start_year

    def describe(self) -> str:
        """« Allonger la durée de vie : 2 années de plus dès 2026 (Ordinateur portable) »,
        « Acheter du reconditionné : 30 % des achats dès 2026 »."""
        unit = self.info.unit
        if unit.startswith("part "):  # a share: « 30 % des achats »
            number = f"{self.value * 100:g}".replace(".", ",")
            value = f"{number} %"
            unit = unit.removeprefix("part ").removesuffix(" (0 à 1)")
        else:
            value = f"{self.value:g}".replace(".", ",")
        cats = ""
        if self.categories:
            cats = " (" + ", ".join(CATEGORIES_BY_CODE[c].label_fr for c in self.categories) + ")"
        return f"{self.info.label} : {value} {unit} dès {self.start_year}{cats}"


def make_lever(kind: str, value: float, start_year: int, categories: Iterable[str] = ()) -> Lever:
    """A checked lever; a :class:`ScenarioError` in French names what is wrong."""
    try:
        lever_kind = LeverKind(kind)
    except ValueError:
        known = ", ".join(k.value for k in LeverKind)
        raise ScenarioError(f"Levier inconnu « {kind} » (leviers possibles : {known}).") from None
    info = KINDS[lever_kind]
    number = float(value)
    if not info.low <= number <= info.high:
        raise ScenarioError(
            f"{info.label} : la valeur {number:g} sort des bornes "
            f"({info.low:g} à {info.high:g} {info.unit})."
        )
    if not 2000 <= int(start_year) <= 2100:
        raise ScenarioError(f"{info.label} : année de début {start_year} invalide.")
    cats = tuple(dict.fromkeys(categories))
    unknown = [c for c in cats if c not in CATEGORIES_BY_CODE]
    if unknown:
        raise ScenarioError(f"{info.label} : catégorie inconnue : {', '.join(unknown)}.")
    if cats and not info.filterable:
        raise ScenarioError(f"{info.label} : ce levier s'applique à des catégories fixes.")
    return Lever(lever_kind, number, int(start_year), cats)


@dataclass(frozen=True)
class Scenario:
    """Baseline + levers over a horizon; the baseline's own hypotheses are explicit."""

    name: str
    start_year: int
    end_year: int
    levers: tuple[Lever, ...] = ()
    staff_growth: float = 0.0
    """Yearly change of the headcount (0.01 = +1 % a year)."""
    equipment_growth: float = 0.0
    """Yearly change of the equipment per agent (the trend of the ADEME–Arcep study)."""
    prices: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    """Unit price in euros per category: (new, refurbished)."""
    description: str = ""

    def __post_init__(self) -> None:
        if not 2000 <= self.start_year <= self.end_year <= self.start_year + 40:
            raise ScenarioError(
                f"Horizon invalide : de {self.start_year} à {self.end_year} "
                "(au plus 40 ans, fin après le début)."
            )
        for name, rate in (("effectif", self.staff_growth), ("équipement", self.equipment_growth)):
            if not -0.5 <= rate <= 0.5:
                raise ScenarioError(f"Évolution annuelle de l'{name} hors bornes : {rate:g}.")

    def with_levers(self, levers: Sequence[Lever]) -> Scenario:
        return Scenario(
            self.name,
            self.start_year,
            self.end_year,
            tuple(levers),
            self.staff_growth,
            self.equipment_growth,
            self.prices,
            self.description,
        )

    def levers_of(self, kind: LeverKind) -> list[Lever]:
        return [lever for lever in self.levers if lever.kind == kind]

    def to_json(self) -> str:
        data = asdict(self)
        data["levers"] = [
            {**asdict(lever), "kind": lever.kind.value, "categories": list(lever.categories)}
            for lever in self.levers
        ]
        data["prices"] = {k: list(v) for k, v in self.prices.items()}
        return json.dumps(data, ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Scenario:
        data: dict[str, Any] = json.loads(text)
        levers = tuple(
            make_lever(x["kind"], x["value"], x["start_year"], x.get("categories", ()))
            for x in data.get("levers", [])
        )
        prices = {k: (float(v[0]), float(v[1])) for k, v in data.get("prices", {}).items()}
        return cls(
            data["name"],
            int(data["start_year"]),
            int(data["end_year"]),
            levers,
            float(data.get("staff_growth", 0.0)),
            float(data.get("equipment_growth", 0.0)),
            prices,
            data.get("description", ""),
        )
