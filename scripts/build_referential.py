"""Build the data files of sobrenum's default referential from public sources.

Reads the reference files kept beside the repository (``../shared``) and writes
``src/sobrenum/referential/data/{sources,categories,factors,electricity}.csv``.
Every figure is either copied from a source (units converted), derived from one by a
stated rule, or a documented proxy flagged ``estimate=true``. The rules are explained in
``docs/sources-referentiel.md``; keep both in step.

Run from the repository root: ``python scripts/build_referential.py``.
"""

from __future__ import annotations

import csv
import statistics
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
REFERENCE = SHARED / "reference"
PCF_FILE = SHARED / "data" / "boavizta-pcf" / "boavizta-data-us.csv"
OUT = REPO / "src" / "sobrenum" / "referential" / "data"

sys.path.insert(0, str(REPO / "src"))
from sobrenum.domain.vocabulary import CATEGORIES, CRITERIA_BY_CODE, Group  # noqa: E402

#: Share of renewables in world electricity (IRENA 2016), the share Boavizta's
#: electrical-mix file uses to turn ADPf into primary energy.
WORLD_RENEWABLE_SHARE = 0.352
#: NumEcoEval / G4IT default PUE (hypotheses.csv, PUEParDefaut).
DEFAULT_PUE = 1.75
#: Hosted categories whose consumption is itself a loss inside a room's PUE: no PUE.
OWN_LOSSES = ("ups",)
#: Desktop-pro usage profile of ADEME 2022, reused for office terminals without one.
OFFICE_HOURS = 6.0

SOURCES_HEADER = ["source_id", "title", "publisher", "year", "licence", "url", "note"]
CATEGORIES_HEADER = [
    "category", "lifetime_years", "lifetime_low", "lifetime_high", "power_w", "power_low",
    "power_high", "hours_per_day", "days_per_year", "pue", "source_id", "estimate", "note",
]  # fmt: skip
FACTORS_HEADER = [
    "factor_id", "category", "criterion", "phase", "value", "low", "high", "source_id",
    "estimate", "note",
]  # fmt: skip
ELECTRICITY_HEADER = [
    "factor_id", "country", "criterion", "value", "low", "high", "source_id", "estimate", "note",
]  # fmt: skip

Row = dict[str, str]

SOURCES: list[Row] = [
    {
        "source_id": "ademe-2022-terminaux",
        "title": "Modèle Impact CO2 « ACV numérique » : terminaux (étude NegaOctet 2022 avec "
        "l'ADEME, mise à jour partielle depuis la Base Empreinte)",
        "publisher": "ADEME",
        "year": "2022",
        "licence": "MIT",
        "url": "https://github.com/incubateur-ademe/publicodes-acv-numerique",
        "note": "Fichier src/acv-terminaux.publicodes : carbone en g (converti en kg), eau en L "
        "(convertie en m3), durée de vie, puissance active et heures d'usage par jour.",
    },
    {
        "source_id": "ademe-base-impacts-ef3",
        "title": "Base IMPACTS / NegaOctet : impacts de fabrication de 14 catégories "
        "d'équipements sur les critères EF 3.0",
        "publisher": "ADEME (données diffusées dans boaviztapi 2.5.0, data/crowdsourcing)",
        "year": "2022",
        "licence": "Licence Ouverte / Etalab 2.0 (origine ADEME ; paquet boaviztapi sous AGPL-3.0)",
        "url": "https://pypi.org/project/boaviztapi/2.5.0/",
        "note": "Virgule décimale et notation scientifique dans l'original. Valeurs négatives "
        "(crédits de recyclage) écartées.",
    },
    {
        "source_id": "boavizta-archetypes",
        "title": "Archétypes de terminaux Boavizta (user_terminal.csv) : puissance moyenne "
        "défaut;min;max",
        "publisher": "Boavizta",
        "year": "2024",
        "licence": "AGPL-3.0 (paquet boaviztapi 2.5.0)",
        "url": "https://github.com/Boavizta/boaviztapi",
        "note": "Utilisé pour élargir les intervalles de puissance et comparer les durées de "
        "vie ; hypothèses d'usage différentes de l'ADEME.",
    },
    {
        "source_id": "boavizta-pcf",
        "title": "Boavizta environmental-footprint-data : fiches d'empreinte carbone "
        "(PCF) des fabricants",
        "publisher": "Boavizta",
        "year": "2023",
        "licence": "ODbL 1.0",
        "url": "https://github.com/Boavizta/environmental-footprint-data",
        "note": "Seules des statistiques dérivées (médianes, min, max par catégorie) sont "
        "reprises, jamais les lignes. Les PCF des fabricants ont de fortes incertitudes.",
    },
    {
        "source_id": "ademe-base-empreinte-elec",
        "title": "Base Empreinte : électricité, mix moyen consommation, France continentale "
        "(valeur 2025, moyenne 2022–2025)",
        "publisher": "ADEME",
        "year": "2025",
        "licence": "Licence Ouverte / Etalab 2.0",
        "url": "https://base-empreinte.ademe.fr/",
        "note": "Base officielle des bilans GES réglementaires des personnes publiques. "
        "Intervalle : 0,0442 (Our World in Data 2024) à 0,098 (Boavizta 2019).",
    },
    {
        "source_id": "boavizta-elec-base-impacts",
        "title": "Mix électriques par pays, critères EF (ADEME Base IMPACTS 2011), "
        "fichier electrical_mix.csv",
        "publisher": "ADEME Base IMPACTS, via Boavizta",
        "year": "2011",
        "licence": "Licence Ouverte / Etalab 2.0 (origine ADEME ; paquet boaviztapi sous AGPL-3.0)",
        "url": "https://github.com/Boavizta/boaviztapi",
        "note": "Critères autres que le carbone, et carbone des pays absents des sources "
        "plus récentes.",
    },
    {
        "source_id": "boavizta-elec-2019",
        "title": "Intensité carbone de l'électricité consommée en Europe (Applied Energy, "
        "2022), reprise par Boavizta",
        "publisher": "Applied Energy (Elsevier), via Boavizta",
        "year": "2019",
        "licence": "Faits publiés (article scientifique) ; paquet boaviztapi sous AGPL-3.0",
        "url": "https://www.sciencedirect.com/science/article/pii/S0306261921012149",
        "note": "Priorité 1 du fichier electrical_mix.csv de Boavizta.",
    },
    {
        "source_id": "ember-2020",
        "title": "Ember, intensité carbone de la production électrique par pays",
        "publisher": "Ember, via Boavizta",
        "year": "2020",
        "licence": "CC BY 4.0",
        "url": "https://ember-climate.org/data/data-explorer",
        "note": "Priorité 2 du fichier electrical_mix.csv de Boavizta.",
    },
    {
        "source_id": "boavizta-elec-moyenne",
        "title": "Moyenne mondiale des pays du fichier electrical_mix.csv de Boavizta",
        "publisher": "Boavizta",
        "year": "2020",
        "licence": "AGPL-3.0 (paquet boaviztapi 2.5.0)",
        "url": "https://github.com/Boavizta/boaviztapi",
        "note": "Moyenne des valeurs 2019 et 2020 ; seule valeur récente pour le monde (WOR).",
    },
    {
        "source_id": "numecoeval-hypotheses",
        "title": "NumEcoEval / G4IT : hypothèses par défaut (PUEParDefaut, durée de vie serveur)",
        "publisher": "Ministère de la Transition écologique (G4IT)",
        "year": "2024",
        "licence": "Apache-2.0",
        "url": "https://github.com/G4ITTeam/g4it",
        "note": "services/backend/src/main/resources/referential/numecoeval/"
        "hypotheses.csv et itemTypes.csv.",
    },
    {
        "source_id": "nokia-2012",
        "title": "Empreinte d'un mobile Nokia typique (rapport développement durable 2011) "
        "et fiches Eco profile",
        "publisher": "Nokia",
        "year": "2012",
        "licence": "Faits publiés par le fabricant",
        "url": "http://www.nokia.com/global/about-nokia/people-and-planet/"
        "sustainable-devices/products/products/",
        "note": "Mobile typique : 12 kgCO2e sur le cycle de vie (production 54 % + "
        "opérations Nokia 4 %, transport 16 %, usage 25 %, fin de vie 1 %) ; 18 kgCO2e "
        "en moyenne selon la page Nokia de 2010.",
    },
    {
        "source_id": "sobrenum-estimations",
        "title": "Estimations documentées du référentiel sobrenum",
        "publisher": "sobrenum",
        "year": "2026",
        "licence": "EUPL-1.2",
        "url": "docs/sources-referentiel.md",
        "note": "Proxys et ordres de grandeur faute de source publique ; toujours "
        "estimate=true et intervalle d'au moins ±50 %.",
    },
]


# --------------------------------------------------------------------------- helpers


def num(value: float) -> str:
    """Plain decimal text (no exponent) for a float, its shortest exact form."""
    text = format(Decimal(repr(float(value))), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


def fr(value: float) -> str:
    """A number written the French way, for notes."""
    return num(value).replace(".", ",")


def sig(value: float, digits: int = 4) -> float:
    """Round a derived figure to ``digits`` significant digits."""
    return float(f"{value:.{digits}g}")


Triple = tuple[float, float, float]


def triple(values: Iterable[float]) -> Triple:
    first, second, third = values
    return first, second, third


def flag(estimate: bool) -> str:
    return "true" if estimate else "false"


def parse_fr(text: str) -> float:
    """Parse a decimal-comma number such as ``8,00E-03``."""
    return float(text.replace(",", "."))


def widen(value: float, low: float, high: float, rel: float) -> tuple[float, float]:
    """Bounds that hold ``low``/``high`` and at least ``value × (1 ± rel)``."""
    return min(low, value * (1 - rel)), max(high, value * (1 + rel))


def bounds(value: float, low: float, high: float, rel: float) -> tuple[float, float]:
    """``widen`` rounded to significant digits."""
    lo, hi = widen(value, low, high, rel)
    return sig(lo), sig(hi)


# ---------------------------------------------------------------------- source files


@dataclass(frozen=True)
class AdemeDevice:
    label: str
    carbon: dict[str, float]  # phase -> kgCO2e
    water_l: dict[str, float]  # phase -> litres (absent when ADEME gives none)
    lifetime: float
    power_w: float
    hours: float


def load_ademe() -> dict[str, AdemeDevice]:
    devices: dict[str, AdemeDevice] = {}
    with (REFERENCE / "ademe-negaoctet-2022-terminals.csv").open(encoding="utf-8") as handle:
        for rec in csv.DictReader(handle):
            if not rec["lifetime_years"]:
                continue
            water = {
                phase: float(rec[f"water_{phase}_l"])
                for phase in ("manufacture", "distribution", "end_of_life")
                if rec[f"water_{phase}_l"]
            }
            devices[rec["device_fr"]] = AdemeDevice(
                label=rec["device_fr"],
                carbon={
                    phase: float(rec[f"carbon_{phase}_kgco2e"])
                    for phase in ("manufacture", "distribution", "end_of_life")
                },
                water_l=water,
                lifetime=float(rec["lifetime_years"]),
                power_w=float(rec["active_power_w"]),
                hours=float(rec["use_hours_per_day"]),
            )
    return devices


def load_ef3() -> dict[str, dict[str, float]]:
    table: dict[str, dict[str, float]] = {}
    with (REFERENCE / "ademe-base-impacts-negaoctet-manufacture-ef3.csv").open(
        encoding="utf-8"
    ) as handle:
        for rec in csv.DictReader(handle):
            key = rec["Category"] + (f" {rec['type']}" if rec["type"] else "")
            table[key] = {
                col: parse_fr(val) for col, val in rec.items() if col not in ("Category", "type")
            }
    return table


def load_archetypes() -> dict[str, tuple[float, float, float]]:
    out: dict[str, tuple[float, float, float]] = {}
    with (REFERENCE / "boavizta-user-terminal-archetypes.csv").open(encoding="utf-8") as handle:
        for rec in csv.DictReader(handle):
            parts = rec["USAGE.avg_power"].split(";")
            if len(parts) == 3:
                out[rec["id"]] = (float(parts[0]), float(parts[1]), float(parts[2]))
    return out


@dataclass(frozen=True)
class PcfStats:
    n: int
    median: float
    low: float
    high: float


def _num_or_none(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def pcf_stats(
    keep: Callable[[Row], bool], measure: Callable[[dict[str, float | None]], float | None]
) -> PcfStats:
    """Median, min and max of ``measure`` over the PCF rows selected by ``keep``."""
    values: list[float] = []
    with PCF_FILE.open(encoding="utf-8") as handle:
        for rec in csv.DictReader(handle):
            if not keep(rec):
                continue
            nums = {k: _num_or_none(v) for k, v in rec.items() if k}
            got = measure(nums)
            if got is not None:
                values.append(got)
    if not values:
        raise SystemExit("no PCF row matched")
    return PcfStats(len(values), statistics.median(values), min(values), max(values))


def phase_share(column: str) -> Callable[[dict[str, float | None]], float | None]:
    def measure(nums: dict[str, float | None]) -> float | None:
        total, ratio = nums.get("gwp_total"), nums.get(column)
        return total * ratio if total and ratio else None

    return measure


def non_use(nums: dict[str, float | None]) -> float | None:
    total, use = nums.get("gwp_total"), nums.get("gwp_use_ratio")
    return total * (1 - use) if total and use is not None else None


def tec(nums: dict[str, float | None]) -> float | None:
    return nums.get("yearly_tec") or None


def ratio_to_manufacture(column: str) -> Callable[[dict[str, float | None]], float | None]:
    def measure(nums: dict[str, float | None]) -> float | None:
        part, man = nums.get(column), nums.get("gwp_manufacturing_ratio")
        return part / man if part and man else None

    return measure


def subcat(*names: str) -> Callable[[Row], bool]:
    wanted = {n.lower() for n in names}
    return lambda rec: rec["subcategory"].lower() in wanted


# ------------------------------------------------------------------------ builders


class Builder:
    def __init__(self) -> None:
        self.categories: dict[str, Row] = {}
        self.factors: list[Row] = []

    def category(
        self,
        code: str,
        lifetime: tuple[float, float, float],
        power: tuple[float, float, float],
        hours: float,
        days: float,
        source_id: str,
        estimate: bool,
        note: str,
    ) -> None:
        group = next(c.group for c in CATEGORIES if c.code == code)
        self.categories[code] = {
            "category": code,
            "lifetime_years": num(lifetime[0]),
            "lifetime_low": num(lifetime[1]),
            "lifetime_high": num(lifetime[2]),
            "power_w": num(power[0]),
            "power_low": num(power[1]),
            "power_high": num(power[2]),
            "hours_per_day": num(hours),
            "days_per_year": num(days),
            "pue": num(DEFAULT_PUE) if group is Group.HOSTED and code not in OWN_LOSSES else "",
            "source_id": source_id,
            "estimate": flag(estimate),
            "note": note,
        }

    def factor(
        self,
        category: str,
        criterion: str,
        phase: str,
        value: float,
        low: float,
        high: float,
        source_id: str,
        estimate: bool,
        note: str,
    ) -> None:
        assert criterion in CRITERIA_BY_CODE, criterion
        assert low <= value <= high, (category, criterion, phase, low, value, high)
        self.factors.append(
            {
                "factor_id": f"{category}.{criterion}.{phase}",
                "category": category,
                "criterion": criterion,
                "phase": phase,
                "value": num(value),
                "low": num(low),
                "high": num(high),
                "source_id": source_id,
                "estimate": flag(estimate),
                "note": note,
            }
        )

    def embodied_gwp(
        self,
        category: str,
        values: Triple,
        rel: float,
        source_id: str,
        estimate: bool,
        note: str,
        manufacture_bounds: tuple[float, float] | None = None,
    ) -> None:
        """gwp rows for the three embodied phases, each ``value × (1 ± rel)`` at least."""
        for phase, value in zip(
            ("manufacture", "distribution", "end_of_life"), values, strict=True
        ):
            low, high = value * (1 - rel), value * (1 + rel)
            if phase == "manufacture" and manufacture_bounds is not None:
                low, high = widen(value, *manufacture_bounds, rel)
            self.factor(
                category, "gwp", phase, sig(value), sig(low), sig(high), source_id, estimate, note
            )


#: ADEME 2022 device label for each category it covers.
ADEME_MAP: dict[str, str] = {
    "laptop": "ordinateur portable",
    "desktop": "ordinateur fixe pro",
    "monitor": "écran",
    "smartphone": "smartphone",
    "tablet": "tablette",
    "tv_display": "TV",
    "internet_box": "box",
    "video_projector": "videoprojecteur",
    "printer": "imprimante",
    "external_hdd": "disque dur externe",
    "external_ssd": "SSD externe",
    "usb_key": "clé USB",
}

#: Boavizta archetype giving a power range for the ADEME categories.
ARCHETYPE_MAP: dict[str, str] = {
    "laptop": "laptop-pro",
    "desktop": "desktop-pro",
    "monitor": "monitor-default",
    "smartphone": "smartphone-default",
    "tablet": "tablet-default",
    "tv_display": "tv-pro",
    "internet_box": "box-default",
    "external_hdd": "hdd-default",
    "external_ssd": "external-ssd-default",
    "usb_key": "usb-stick-default",
}

#: Row of the Base IMPACTS EF 3.0 file for each category.
EF3_MAP: dict[str, str] = {
    "laptop": "Laptop pro",
    "desktop": "Desktop pro",
    "monitor": "Monitor",
    "tablet": "Tablet",
    "smartphone": "Smartphone",
    "tv_display": "Television pro",
    "external_hdd": "ExternalHHD",
    "external_ssd": "ExternalSSD",
    "usb_key": "USBStick",
    "internet_box": "Box",
    "rack_server": "Server",
    "tower_server": "Server",
}

#: EF 3.0 column -> our criterion code (GWP handled apart, WU/LU never used).
EF3_CRITERIA: dict[str, str] = {
    "ADPe": "adpe",
    "ADPf": "adpf",
    "AP": "ap",
    "CTUe": "ctue",
    "CTUh-c": "ctuh_c",
    "CTUh-nc": "ctuh_nc",
    "Epf": "epf",
    "Epm": "epm",
    "Ept": "ept",
    "IR": "ir",
    "ODP": "odp",
    "PM": "pm",
    "POCP": "pocp",
}

#: Phases whose ADEME 2022 water figure is not carried: the ADEME model itself notes that its
#: end-of-life water data are not reliable (2,070 m3 to treat a desktop against 66 m3 to make
#: it); see docs/sources-referentiel.md, « Eau ».
WATER_PHASES_LEFT_OUT = ("end_of_life",)

#: Lifetime range around a sourced default: −30 % / +40 %.
LIFETIME_LOW, LIFETIME_HIGH = 0.7, 1.4
#: Default relative range of a sourced manufacture figure without its own range.
SOURCED_REL = 0.3
#: Minimum relative range of an estimate.
ESTIMATE_REL = 0.5


def lifetime_range(value: float) -> tuple[float, float, float]:
    return value, sig(value * LIFETIME_LOW, 2), sig(value * LIFETIME_HIGH, 2)


def build_ademe_categories(b: Builder, ademe: dict[str, AdemeDevice]) -> None:
    archetypes = load_archetypes()
    pcf_printers = pcf_stats(
        lambda r: r["manufacturer"] == "Lexmark" and "Multi" not in r["server_type"], non_use
    )
    tr_ratio, eol_ratio = pcf_split()
    for code, label in ADEME_MAP.items():
        dev = ademe[label]
        p_low, p_high = dev.power_w * (1 - SOURCED_REL), dev.power_w * (1 + SOURCED_REL)
        power_note = "puissance ±30 %"
        if code in ARCHETYPE_MAP:
            _, a_min, a_max = archetypes[ARCHETYPE_MAP[code]]
            p_low, p_high = min(p_low, a_min), max(p_high, a_max)
            power_note = (
                f"puissance : enveloppe de ±30 % et de l'archétype Boavizta "
                f"{ARCHETYPE_MAP[code]} ({fr(a_min)}–{fr(a_max)} W)"
            )
        b.category(
            code,
            lifetime_range(dev.lifetime),
            (dev.power_w, sig(p_low), sig(p_high)),
            dev.hours,
            365,
            "ademe-2022-terminaux",
            False,
            f"ADEME 2022 « {label} » : durée de vie, puissance active et heures d'usage par "
            f"jour calendaire (d'où 365 jours par an) ; durée de vie −30 %/+40 % ; "
            f"{power_note}.",
        )
        for phase, value in dev.carbon.items():
            rel_low, rel_high = value * (1 - SOURCED_REL), value * (1 + SOURCED_REL)
            note = f"ADEME 2022 « {label} », valeur publiée ; intervalle ±30 % (règle par défaut)."
            if code == "printer" and phase == "manufacture":
                split_total = 1 + tr_ratio + eol_ratio
                rel_high = max(rel_high, sig(pcf_printers.median / split_total))
                note = (
                    "ADEME 2022 « imprimante », valeur publiée mais suspecte (très basse, "
                    "chiffres antérieurs à la Base Empreinte v2) ; borne haute portée à la "
                    f"médiane des PCF Lexmark d'imprimantes laser simples (n={pcf_printers.n}, "
                    "hors usage, part fabrication)."
                )
            b.factor(
                code, "gwp", phase, value, sig(rel_low), sig(rel_high), "ademe-2022-terminaux",
                False, note,
            )  # fmt: skip
        for phase, litres in dev.water_l.items():
            if phase in WATER_PHASES_LEFT_OUT:
                continue  # ADEME: end-of-life water data not reliable (docs/sources-referentiel.md)
            value = litres / 1000
            b.factor(
                code,
                "wu",
                phase,
                value,
                sig(value * (1 - SOURCED_REL)),
                sig(value * (1 + SOURCED_REL)),
                "ademe-2022-terminaux",
                False,
                f"ADEME 2022 « {label} » : {fr(litres)} L de l'indicateur EF 3.0 « Utilisation "
                "des ressources en eau » (méthode AWARE, eau privée équivalent monde), convertis "
                "en m3 monde-éq. ; ±30 %.",
            )


def tower_scale(ef3: dict[str, dict[str, float]]) -> float:
    """Tower-server PCF median over the generic NegaOctet server's carbon (≈ 0.32)."""
    man = pcf_stats(is_tower, phase_share("gwp_manufacturing_ratio"))
    return man.median / ef3["Server"]["GWP"]


def build_ef3_factors(b: Builder, ef3: dict[str, dict[str, float]]) -> None:
    for code, row_name in EF3_MAP.items():
        values = ef3[row_name]
        proxy = code == "tower_server"
        rel = ESTIMATE_REL if proxy else SOURCED_REL
        scale = tower_scale(ef3) if proxy else 1.0
        origin = f"Base IMPACTS / NegaOctet « {row_name} »"
        if proxy:
            origin += (
                f" × {fr(sig(scale, 3))} (médiane des PCF de serveurs tour / carbone du serveur "
                "générique : même composition, masse et électronique moindres ; proxy)"
            )
        for column, criterion in EF3_CRITERIA.items():
            value = values[column] * scale
            if value < 0:
                continue  # recycling credits: not a physical manufacture impact
            b.factor(
                code, criterion, "manufacture", sig(value), sig(value * (1 - rel)),
                sig(value * (1 + rel)), "ademe-base-impacts-ef3", proxy,
                f"{origin} ; intervalle ±{int(rel * 100)} %.",
            )  # fmt: skip
        adpf = values["ADPf"] * scale
        pe = adpf / (1 - WORLD_RENEWABLE_SHARE)
        b.factor(
            code, "pe", "manufacture", sig(pe), sig(pe * (1 - ESTIMATE_REL)),
            sig(pe * (1 + ESTIMATE_REL)), "ademe-base-impacts-ef3", True,
            f"Proxy : énergie primaire ≈ ADPf ({fr(sig(adpf))} MJ) / (1 − 35,2 % de "
            "renouvelables, IRENA 2016, part utilisée par Boavizta) ; ±50 %.",
        )  # fmt: skip


def pcf_split() -> tuple[float, float]:
    """Whole-file PCF medians of transport / manufacture and end of life / manufacture,
    used to split a "non-use" figure into the three embodied phases."""
    everything: Callable[[Row], bool] = lambda r: True  # noqa: E731
    return (
        pcf_stats(everything, ratio_to_manufacture("gwp_transport_ratio")).median,
        pcf_stats(everything, ratio_to_manufacture("gwp_eol_ratio")).median,
    )


def build_other_categories(
    b: Builder, ademe: dict[str, AdemeDevice], ef3: dict[str, dict[str, float]]
) -> None:
    tr_ratio, eol_ratio = pcf_split()
    split_total = 1 + tr_ratio + eol_ratio
    split_note = (
        f"répartition fabrication / transport / fin de vie selon les médianes de tout le "
        f"fichier PCF (transport = {tr_ratio:.1%} et fin de vie = {eol_ratio:.1%} de la "
        "fabrication)"
    ).replace(".", ",")

    def split(non_use_value: float) -> Triple:
        man = non_use_value / split_total
        return man, man * tr_ratio, man * eol_ratio

    desktop = ademe["ordinateur fixe pro"]
    box = ademe["box"]
    tv = ademe["TV"]
    charger = _ademe_charger()  # not a lifetime row of load_ademe()
    server_gwp = ef3["Server"]["GWP"]

    # --- thin client: PCF medians (Dell Wyse), office profile of the ADEME desktop.
    thin = lambda r: subcat("thin client")(r) and "all-in-one" not in r["name"].lower()  # noqa: E731
    man = pcf_stats(thin, phase_share("gwp_manufacturing_ratio"))
    trn = pcf_stats(thin, phase_share("gwp_transport_ratio"))
    eol = pcf_stats(thin, phase_share("gwp_eol_ratio"))
    t = pcf_stats(thin, tec)
    hours_year = OFFICE_HOURS * 365
    b.category(
        "thin_client",
        (6, 4, 8),
        triple(sig(x * 1000 / hours_year) for x in (t.median, t.low, t.high)),
        OFFICE_HOURS,
        365,
        "boavizta-pcf",
        True,
        f"Puissance équivalente = consommation annuelle typique (TEC) médiane des PCF de "
        f"clients légers (n={t.n}, {fr(sig(t.median))} kWh/an) répartie sur le profil "
        "« ordinateur fixe pro » de l'ADEME (6 h/jour, 365 j) ; durée de vie : proxy de "
        "l'ordinateur fixe pro ADEME (6 ans).",
    )
    note = (
        f"Médiane des PCF de clients légers (hors tout-en-un), fabrication n={man.n}, "
        f"transport n={trn.n}, fin de vie n={eol.n} ; intervalle min–max élargi à ±30 % "
        "(±50 % pour transport et fin de vie, peu de fiches)."
    )
    b.factor(
        "thin_client", "gwp", "manufacture", sig(man.median),
        *bounds(man.median, man.low, man.high, SOURCED_REL), "boavizta-pcf", False, note,
    )  # fmt: skip
    for phase, st in (("distribution", trn), ("end_of_life", eol)):
        b.factor(
            "thin_client", "gwp", phase, sig(st.median),
            *bounds(st.median, st.low, st.high, ESTIMATE_REL), "boavizta-pcf", True, note,
        )  # fmt: skip

    # --- all-in-one: PCF medians of all-in-one desktops.
    aio = lambda r: subcat("desktop")(r) and "all-in-one" in r["name"].lower()  # noqa: E731
    man = pcf_stats(aio, phase_share("gwp_manufacturing_ratio"))
    trn = pcf_stats(aio, phase_share("gwp_transport_ratio"))
    eol = pcf_stats(aio, phase_share("gwp_eol_ratio"))
    t = pcf_stats(aio, tec)
    b.category(
        "all_in_one",
        (6, 4, 8),
        triple(sig(x * 1000 / hours_year) for x in (t.median, t.low, t.high)),
        OFFICE_HOURS,
        365,
        "boavizta-pcf",
        True,
        f"Puissance équivalente = TEC médiane des PCF d'ordinateurs tout-en-un (n={t.n}, "
        f"{fr(sig(t.median))} kWh/an) sur le profil ADEME « ordinateur fixe pro » (6 h/jour, "
        "365 j) ; durée de vie : proxy de l'ordinateur fixe pro ADEME.",
    )
    note = (
        f"Médiane des PCF d'ordinateurs tout-en-un (fabrication n={man.n}, transport "
        f"n={trn.n}, fin de vie n={eol.n}) ; cohérent avec fixe pro + écran ADEME "
        f"({fr(desktop.carbon['manufacture'] + ademe['écran'].carbon['manufacture'])} kg) ; "
        "intervalle min–max élargi à ±30 %."
    )
    for phase, st in (("manufacture", man), ("distribution", trn), ("end_of_life", eol)):
        b.factor(
            "all_in_one", "gwp", phase, sig(st.median),
            *bounds(st.median, st.low, st.high, SOURCED_REL), "boavizta-pcf",
            phase != "manufacture", note,
        )  # fmt: skip

    # --- basic mobile phone: Nokia typical device.
    total = 12.0
    values = (total * 0.58, total * 0.16, total * 0.01)
    b.category(
        "mobile_phone",
        (3, 2, 5),
        (0.6, 0.3, 1.5),
        3,
        365,
        "sobrenum-estimations",
        True,
        "Estimation : recharge d'une batterie d'environ 4 Wh tous les 2 à 3 jours, pertes du "
        "chargeur comprises, exprimée sur 3 h/jour comme le smartphone ADEME ; durée de vie "
        "un peu plus longue que celle du smartphone (2,5 ans).",
    )
    b.embodied_gwp(
        "mobile_phone", values, ESTIMATE_REL, "nokia-2012", True,
        "Mobile Nokia typique : 12 kgCO2e dont 58 % production, 16 % transport, 1 % fin de "
        "vie (données anciennes, toutes gammes confondues) ; ±50 %.",
    )  # fmt: skip

    # --- IP desk phone: proxy internet box.
    b.category(
        "ip_phone", (7, 5, 10), (3, 1.5, 6), 24, 365, "sobrenum-estimations", True,
        "Estimation : téléphone alimenté en PoE (classes 1 à 2), toujours allumé ; durée de "
        "vie longue des postes fixes.",
    )  # fmt: skip
    b.embodied_gwp(
        "ip_phone", triple(box.carbon[p] for p in PHASES), ESTIMATE_REL,
        "ademe-2022-terminaux", True,
        "Proxy : box internet ADEME 2022 (appareil de masse et d'électronique comparables : "
        "boîtier plastique, une carte, une alimentation) ; ±50 %.",
    )  # fmt: skip

    # --- multifunction printer: Lexmark MFP PCFs (non-use share).
    mfp = lambda r: r["manufacturer"] == "Lexmark" and "Multi" in r["server_type"]  # noqa: E731
    nu = pcf_stats(mfp, non_use)
    t = pcf_stats(mfp, tec)
    b.category(
        "multifunction_printer",
        (5, 4, 8),
        (sig(t.median * 1000 / 365), sig(t.low * 1000 / 365), sig(t.high * 1000 / 365)),
        1,
        365,
        "boavizta-pcf",
        True,
        f"Puissance équivalente = TEC médiane des PCF Lexmark multifonctions (n={t.n}, "
        f"{fr(sig(t.median))} kWh/an) sur le profil ADEME de l'imprimante (1 h/jour, 365 j) ; "
        "borne haute : copieur A3 couleur ; durée de vie des fiches Lexmark (5 ans).",
    )
    m_man, m_trn, m_eol = split(nu.median)
    man_low, man_high = nu.low / split_total, nu.high / split_total
    note = (
        f"Médiane de la part hors usage des PCF Lexmark multifonctions (n={nu.n}, "
        f"{fr(sig(nu.median))} kgCO2e ; l'usage y inclut papier et consommables) ; "
        f"{split_note} ; borne haute : copieur A3 couleur."
    )
    b.factor(
        "multifunction_printer", "gwp", "manufacture", sig(m_man),
        *bounds(m_man, man_low, man_high, SOURCED_REL), "boavizta-pcf", True, note,
    )  # fmt: skip
    for phase, part in (("distribution", m_trn), ("end_of_life", m_eol)):
        b.factor(
            "multifunction_printer", "gwp", phase, sig(part), sig(part * 0.5),
            sig(part * 1.5), "boavizta-pcf", True, note,
        )  # fmt: skip

    # --- scanner: proxy internet box, bounded by single-function laser printers.
    printers = pcf_stats(
        lambda r: r["manufacturer"] == "Lexmark" and "Multi" not in r["server_type"], non_use
    )
    b.category(
        "scanner", (6, 4, 8), (20, 10, 40), 1, 365, "sobrenum-estimations", True,
        "Estimation : scanner de documents, profil d'usage de l'imprimante ADEME (1 h/jour) ; "
        "puissance d'ordre de grandeur des scanners de bureau.",
    )  # fmt: skip
    b.embodied_gwp(
        "scanner", triple(box.carbon[p] for p in PHASES), ESTIMATE_REL,
        "ademe-2022-terminaux", True,
        "Proxy : box internet ADEME 2022 (petit appareil à une carte électronique) ; borne "
        "haute de fabrication : part fabrication médiane des PCF Lexmark d'imprimantes "
        "laser simples ; ±50 %.",
        manufacture_bounds=(box.carbon["manufacture"] * 0.5, printers.median / split_total),
    )  # fmt: skip

    # --- interactive display: ADEME TV scaled to a 65-inch panel.
    scale = (65 / 48) ** 2
    b.category(
        "interactive_display", (8, 6, 10), (150, 65, 300), 3, 365, "sobrenum-estimations",
        True,
        "Estimation : écran interactif de 65 pouces (≈ 150 W allumé), profil d'usage du "
        "téléviseur ADEME (3 h par jour calendaire) ; durée de vie du téléviseur ADEME.",
    )  # fmt: skip
    b.embodied_gwp(
        "interactive_display", triple(tv.carbon[p] * scale for p in PHASES),
        ESTIMATE_REL, "ademe-2022-terminaux", True,
        "Proxy : téléviseur ADEME 2022 (48 pouces en moyenne) mis à l'échelle de la surface "
        "d'un écran de 65 pouces (× (65/48)² ≈ 1,83) ; dalle tactile et ordinateur intégré "
        "non comptés ; ±50 %, borne basse = le téléviseur.",
        manufacture_bounds=(tv.carbon["manufacture"], tv.carbon["manufacture"] * scale * 1.5),
    )  # fmt: skip

    # --- docking station: laptop charger + half an internet box.
    dock = triple(charger[p] + 0.5 * box.carbon[p] for p in PHASES)
    b.category(
        "docking_station", (6, 4, 8), (4, 1, 10), 24, 365, "sobrenum-estimations", True,
        "Estimation : consommation propre de la station (hors ordinateur), branchée en "
        "permanence.",
    )  # fmt: skip
    b.embodied_gwp(
        "docking_station", dock, ESTIMATE_REL, "ademe-2022-terminaux", True,
        "Proxy : chargeur d'ordinateur ADEME 2022 (alimentation) + moitié d'une box internet "
        "ADEME (carte de ports) ; ±50 %.",
        manufacture_bounds=(dock[0] * 0.5, charger["manufacture"] + box.carbon["manufacture"]),
    )  # fmt: skip

    # --- Wi-Fi access point: PCF of Wi-Fi routers / mesh points.
    net = subcat("network")
    man = pcf_stats(net, phase_share("gwp_manufacturing_ratio"))
    trn = pcf_stats(net, phase_share("gwp_transport_ratio"))
    eol = pcf_stats(net, phase_share("gwp_eol_ratio"))
    t = pcf_stats(net, tec)
    b.category(
        "wifi_access_point", (6, 4, 10), (10, sig(t.low * 1000 / 8760), 25.5), 24, 365,
        "sobrenum-estimations", True,
        f"Estimation : borne professionnelle ≈ 10 W ; borne basse = TEC minimale des PCF de "
        f"points d'accès domestiques (n={t.n}) ; borne haute = budget PoE+ (802.3at, 25,5 W) ; "
        "toujours allumée.",
    )  # fmt: skip
    note = (
        f"Médiane des PCF de points d'accès Wi-Fi domestiques (n={man.n}), proxy des bornes "
        "professionnelles (plus lourdes) : borne haute de fabrication ×3 ; ±50 %."
    )
    b.factor(
        "wifi_access_point", "gwp", "manufacture", sig(man.median), sig(man.median * 0.5),
        sig(man.median * 3), "boavizta-pcf", True, note,
    )  # fmt: skip
    for phase, st in (("distribution", trn), ("end_of_life", eol)):
        b.factor(
            "wifi_access_point", "gwp", phase, sig(st.median),
            *bounds(st.median, st.low, st.high, ESTIMATE_REL), "boavizta-pcf", True,
            note,
        )  # fmt: skip

    # --- switch, router, firewall: proxies from the ADEME desktop and box.
    d = triple(desktop.carbon[p] for p in PHASES)
    bx = triple(box.carbon[p] for p in PHASES)
    b.category(
        "switch", (8, 5, 12), (50, 20, 150), 24, 365, "sobrenum-estimations", True,
        "Estimation : commutateur d'accès 24–48 ports, consommation propre hors énergie PoE "
        "fournie aux postes (comptée sur ces postes) ; toujours allumé.",
    )  # fmt: skip
    b.embodied_gwp(
        "switch", d, ESTIMATE_REL, "ademe-2022-terminaux", True,
        "Proxy : unité centrale professionnelle ADEME 2022 (boîtier acier de quelques kg, "
        "une carte principale, alimentation, ventilateurs, sans écran) ; ±50 %, borne "
        "haute ×2.",
        manufacture_bounds=(d[0] * 0.5, d[0] * 2),
    )  # fmt: skip
    geo = triple((dv * bv) ** 0.5 for dv, bv in zip(d, bx, strict=True))
    b.category(
        "router", (8, 5, 12), (30, box.power_w, 80), 24, 365, "sobrenum-estimations", True,
        "Estimation : routeur d'agence ; borne basse = box internet ADEME (8 W) ; toujours "
        "allumé.",
    )  # fmt: skip
    b.embodied_gwp(
        "router", geo, ESTIMATE_REL, "ademe-2022-terminaux", True,
        "Proxy : moyenne géométrique de la box internet (petit routeur) et de l'unité "
        "centrale pro (routeur 1U) ADEME 2022 ; intervalle de la box à l'unité centrale "
        "élargi à ±50 %.",
        manufacture_bounds=(bx[0], d[0]),
    )  # fmt: skip
    b.category(
        "firewall", (6, 4, 8), (40, 15, 120), 24, 365, "sobrenum-estimations", True,
        "Estimation : pare-feu matériel 1U (plateforme x86) ; renouvelé avec la fin du "
        "support ; toujours allumé.",
    )  # fmt: skip
    b.embodied_gwp(
        "firewall", d, ESTIMATE_REL, "ademe-2022-terminaux", True,
        "Proxy : unité centrale professionnelle ADEME 2022 (même architecture x86) ; ±50 %, "
        "borne haute ×2.",
        manufacture_bounds=(d[0] * 0.5, d[0] * 2),
    )  # fmt: skip

    # --- servers: NegaOctet Server for manufacture, PCF for power and transport/EoL.
    srv = subcat("server")
    srv_trn = pcf_stats(srv, phase_share("gwp_transport_ratio"))
    srv_eol = pcf_stats(srv, phase_share("gwp_eol_ratio"))
    for code, keep, label in (
        ("rack_server", is_rack, "serveurs rack"),
        ("tower_server", is_tower, "serveurs tour"),
    ):
        t = pcf_stats(keep, tec)
        man = pcf_stats(keep, phase_share("gwp_manufacturing_ratio"))
        b.category(
            code,
            (5, 4, 7),
            triple(sig(x * 1000 / 8760) for x in (t.median, t.low, t.high)),
            24,
            365,
            "boavizta-pcf",
            True,
            f"Puissance moyenne = TEC médiane des PCF de {label} (n={t.n}, "
            f"{fr(sig(t.median))} kWh/an) / 8 760 h ; durée de vie 5 ans entre 4 ans "
            "(Boavizta, PCF Dell) et 7 ans (NumEcoEval/G4IT) ; PUE 1,75 (NumEcoEval).",
        )
        if code == "rack_server":
            low, high = widen(server_gwp, man.median, server_gwp, SOURCED_REL)
            b.factor(
                code, "gwp", "manufacture", server_gwp, sig(low), sig(high),
                "ademe-base-impacts-ef3", False,
                f"Base IMPACTS / NegaOctet « Server » ; borne basse = médiane des PCF de {label} "
                f"(n={man.n}, {fr(sig(man.median))} kgCO2e, méthode PAIA) ; ±30 %.",
            )  # fmt: skip
        else:
            # A tower server is a smaller machine than NegaOctet's generic server: the median
            # of its own PCFs, the generic server as the upper bound.
            low, high = widen(man.median, man.low, server_gwp, ESTIMATE_REL)
            b.factor(
                code, "gwp", "manufacture", sig(man.median), sig(low), sig(high),
                "boavizta-pcf", False,
                f"Médiane des PCF de {label} (n={man.n}, {fr(sig(man.low))}–{fr(sig(man.high))} "
                "kgCO2e, part fabrication, méthode PAIA) ; borne basse −50 % (erreurs déclarées "
                "des PCF), borne haute = serveur générique Base IMPACTS / NegaOctet « Server » "
                f"({fr(server_gwp)} kgCO2e).",
            )  # fmt: skip
        for phase, st in (("distribution", srv_trn), ("end_of_life", srv_eol)):
            b.factor(
                code, "gwp", phase, sig(st.median),
                *bounds(st.median, st.low, st.high, ESTIMATE_REL), "boavizta-pcf", True,
                f"Médiane des PCF de serveurs donnant cette phase (n={st.n}, HPE) ; ±50 %.",
            )  # fmt: skip

    # --- storage array: server + 12 enterprise drives.
    drives = pcf_stats(subcat("hard drive"), non_use)
    drive_tec = pcf_stats(subcat("hard drive"), tec)
    onestor = pcf_stats(subcat("san/nas"), non_use)
    onestor_tec = pcf_stats(subcat("san/nas"), tec)
    rack_tec = pcf_stats(is_rack, tec)
    rack_man = pcf_stats(is_rack, phase_share("gwp_manufacturing_ratio"))
    value = server_gwp + 12 * drives.median
    b.category(
        "storage_array",
        (5, 4, 7),
        (
            sig((rack_tec.median + 12 * drive_tec.median) * 1000 / 8760),
            sig(rack_tec.low * 1000 / 8760),
            sig(onestor_tec.median * 1000 / 8760),
        ),
        24,
        365,
        "boavizta-pcf",
        True,
        "Proxy : contrôleur ≈ serveur rack (TEC médiane des PCF) + 12 disques d'entreprise "
        f"(TEC médiane n={drive_tec.n}) ; borne haute : baie de 84 disques (PCF Seagate "
        "OneStor) ; PUE 1,75 (NumEcoEval).",
    )
    b.factor(
        "storage_array", "gwp", "manufacture", sig(value),
        sig(min(value * 0.5, rack_man.median + 12 * drives.median)),
        sig(max(value * 1.5, onestor.median)), "ademe-base-impacts-ef3", True,
        "Proxy : serveur Base IMPACTS / NegaOctet « Server » + 12 disques d'entreprise (part "
        f"hors usage médiane des PCF de disques, n={drives.n}, {fr(sig(drives.median))} kg "
        "chacun) ; borne haute : baie Seagate OneStor de 84 disques (PCF, hors usage) ; ±50 %.",
    )  # fmt: skip
    for phase, st in (("distribution", srv_trn), ("end_of_life", srv_eol)):
        b.factor(
            "storage_array", "gwp", phase, sig(st.median),
            *bounds(st.median, st.low, st.high, ESTIMATE_REL), "boavizta-pcf", True,
            f"Proxy : médiane des PCF de serveurs (n={st.n}, même classe de châssis) ; ±50 %.",
        )  # fmt: skip

    # --- UPS: proxy desktop for manufacture, losses as power.
    b.category(
        "ups", (8, 5, 12), (80, 30, 200), 24, 365, "sobrenum-estimations", True,
        "Estimation : pertes d'un onduleur de 1 à 3 kVA chargé à 30–50 % (rendement 92–95 %) ; "
        "la charge elle-même est comptée sur les équipements protégés ; batteries changées "
        "tous les 4–5 ans non comptées ; pas de PUE : les pertes d'un onduleur font déjà "
        "partie du PUE d'une salle.",
    )  # fmt: skip
    b.embodied_gwp(
        "ups", d, ESTIMATE_REL, "ademe-2022-terminaux", True,
        "Proxy faute de fiche PEP publique trouvée : unité centrale pro ADEME 2022 (onduleur "
        "de 20 à 40 kg, surtout batteries plomb et acier, électronique de puissance "
        "comparable à un PC) ; ±50 %, borne haute ×3.",
        manufacture_bounds=(d[0] * 0.5, d[0] * 3),
    )  # fmt: skip


PHASES = ("manufacture", "distribution", "end_of_life")


def is_rack(r: Row) -> bool:
    return subcat("server")(r) and r["server_type"] == "Rack"


def is_tower(r: Row) -> bool:
    return subcat("server")(r) and r["server_type"] == "Tower"


def _ademe_charger() -> dict[str, float]:
    with (REFERENCE / "ademe-negaoctet-2022-terminals.csv").open(encoding="utf-8") as handle:
        for rec in csv.DictReader(handle):
            if rec["device_fr"] == "chargeur ordinateur":
                return {p: float(rec[f"carbon_{p}_kgco2e"]) for p in PHASES}
    raise SystemExit("ADEME laptop charger row not found")


# -------------------------------------------------------------------- electricity

#: Criteria of Boavizta's electrical-mix file that are ours (gwp handled apart).
MIX_CRITERIA = ("adpe", "adpf", "ap", "epf", "epm", "ept", "ir", "odp", "pm", "pocp", "pe")
ELEC_REL = 0.2
#: For these criteria, a value more than this many times the median of the countries is
#: set aside as aberrant (acidification of Czechia, Europe and the World; primary energy
#: of Namibia, where the ADPf / (1 − renewables) proxy explodes). Not applied to ionising
#: radiation, legitimately hundreds of times the median where nuclear power dominates.
OUTLIER_FACTOR: dict[str, float] = {"ap": 20, "pe": 20}

FRA_GWP = (0.0461, 0.0442, 0.098)

GWP_SOURCES = {
    "1": "boavizta-elec-2019",
    "2e": "ember-2020",
    "3": "boavizta-elec-base-impacts",
    "2a": "boavizta-elec-moyenne",
}


def build_electricity() -> list[Row]:
    with (REFERENCE / "boavizta-electrical-mix.csv").open(encoding="utf-8") as handle:
        table = list(csv.reader(handle))
    header = table[0]
    countries = header[7:]
    by_code: dict[str, list[list[str]]] = {}
    for rec in table[2:]:
        by_code.setdefault(rec[6], []).append(rec)

    rows: list[Row] = []

    def add(
        country: str, criterion: str, value: float, low: float, high: float, source: str,
        estimate: bool, note: str,
    ) -> None:  # fmt: skip
        assert low <= value <= high
        rows.append(
            {
                "factor_id": f"elec.{country}.{criterion}",
                "country": country,
                "criterion": criterion,
                "value": num(value),
                "low": num(low),
                "high": num(high),
                "source_id": source,
                "estimate": flag(estimate),
                "note": note,
            }
        )

    # gwp: priority order of the file (1, then 2 = Ember or the average, then 3).
    gwp_rows = by_code["gwp"]

    def gwp_key(rec: list[str]) -> tuple[int, int]:
        kind = 0 if "ember" in rec[3] else 1
        return int(rec[4]), kind

    gwp_rows.sort(key=gwp_key)
    for i, country in enumerate(countries, start=7):
        if country == "FRA":
            value, low, high = FRA_GWP
            add(
                "FRA", "gwp", value, low, high, "ademe-base-empreinte-elec", False,
                "ADEME Base Empreinte, mix moyen consommation (valeur 2025, moyenne 2022–2025) ; "
                "intervalle des facteurs français publiés : 0,0442 (Our World in Data 2024) à "
                "0,098 (Boavizta 2019).",
            )  # fmt: skip
            continue
        for rec in gwp_rows:
            if rec[i].strip():
                value = float(rec[i])
                prio = rec[4] + ("e" if "ember" in rec[3] else "a" if rec[4] == "2" else "")
                source = GWP_SOURCES[prio]
                add(
                    country, "gwp", value, sig(value * (1 - ELEC_REL)),
                    sig(value * (1 + ELEC_REL)), source, False,
                    f"Boavizta electrical_mix.csv, ligne de priorité {rec[4]} ({rec[5]}) ; ±20 %.",
                )  # fmt: skip
                break

    for code in MIX_CRITERIA:
        rec = by_code[code][0]
        values = {c: rec[i].strip() for i, c in enumerate(countries, start=7)}
        numeric = {c: float(v) for c, v in values.items() if v}
        positive = [v for v in numeric.values() if v > 0]
        median = statistics.median(positive)
        for country, value in numeric.items():
            if value <= 0:
                continue  # zero means "not assessed" in this file (odp, pm)
            if value > OUTLIER_FACTOR.get(code, float("inf")) * median:
                continue  # aberrant value (see docs/sources-referentiel.md)
            estimate = code == "pe"
            note = f"Boavizta electrical_mix.csv, {rec[3]} ({rec[5]}) ; ±20 %."
            if estimate:
                note = "Proxy de Boavizta : ADPf / (1 − part renouvelable IRENA 2016) ; ±50 %."
            rel = ESTIMATE_REL if estimate else ELEC_REL
            add(
                country, code, value, sig(value * (1 - rel)), sig(value * (1 + rel)),
                "boavizta-elec-base-impacts", estimate, note,
            )  # fmt: skip
    return rows


# -------------------------------------------------------------------------- output


def write(path: Path, header: list[str], rows: Iterable[Row]) -> int:
    count = 0
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=header, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow(row)
            count += 1
    return count


def main() -> None:
    ademe = load_ademe()
    ef3 = load_ef3()
    b = Builder()
    build_ademe_categories(b, ademe)
    build_other_categories(b, ademe, ef3)
    build_ef3_factors(b, ef3)
    missing = [c.code for c in CATEGORIES if c.code not in b.categories]
    if missing:
        raise SystemExit(f"categories without a profile: {missing}")
    order = {c.code: i for i, c in enumerate(CATEGORIES)}
    crit_order = {code: i for i, code in enumerate(CRITERIA_BY_CODE)}
    phase_order = {p: i for i, p in enumerate(PHASES)}
    factors = sorted(
        b.factors,
        key=lambda r: (order[r["category"]], crit_order[r["criterion"]], phase_order[r["phase"]]),
    )
    ids = [r["factor_id"] for r in factors]
    if len(ids) != len(set(ids)):
        raise SystemExit("duplicate factor ids")
    elec = build_electricity()
    OUT.mkdir(parents=True, exist_ok=True)
    counts = {
        "sources.csv": write(OUT / "sources.csv", SOURCES_HEADER, SOURCES),
        "categories.csv": write(
            OUT / "categories.csv",
            CATEGORIES_HEADER,
            (b.categories[c.code] for c in CATEGORIES),
        ),
        "factors.csv": write(OUT / "factors.csv", FACTORS_HEADER, factors),
        "electricity.csv": write(OUT / "electricity.csv", ELECTRICITY_HEADER, elec),
    }
    for name, count in counts.items():
        print(f"{name}: {count} rows")


if __name__ == "__main__":
    main()
