"""The words of the domain: life-cycle phases, impact criteria, equipment categories.

The referential attaches numbers to these codes; the inventory recognises them in free
labels; the engine and reporting name them. Codes are English identifiers, labels are
French first with an English translation.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Phase(StrEnum):
    MANUFACTURE = "manufacture"
    DISTRIBUTION = "distribution"
    USE = "use"
    END_OF_LIFE = "end_of_life"


PHASE_LABELS: dict[Phase, tuple[str, str]] = {
    Phase.MANUFACTURE: ("Fabrication", "Manufacture"),
    Phase.DISTRIBUTION: ("Distribution", "Distribution"),
    Phase.USE: ("Usage", "Use"),
    Phase.END_OF_LIFE: ("Fin de vie", "End of life"),
}

#: Phases whose impact is embodied in the device and amortised over its lifetime.
EMBODIED_PHASES: tuple[Phase, ...] = (Phase.MANUFACTURE, Phase.DISTRIBUTION, Phase.END_OF_LIFE)


@dataclass(frozen=True)
class Criterion:
    code: str
    unit: str
    label_fr: str
    label_en: str


#: Environmental Footprint 3.0 criteria (plus primary energy), with the codes of the
#: ADEME / Boavizta data files. ``gwp`` is the headline criterion.
CRITERIA: tuple[Criterion, ...] = (
    Criterion("gwp", "kgCO2e", "Changement climatique", "Climate change"),
    Criterion(
        "adpe",
        "kgSbeq",
        "Épuisement des ressources abiotiques (minéraux et métaux)",
        "Abiotic depletion (minerals and metals)",
    ),
    Criterion(
        "adpf",
        "MJ",
        "Épuisement des ressources abiotiques (fossiles)",
        "Abiotic depletion (fossil)",
    ),
    Criterion("pe", "MJ", "Énergie primaire", "Primary energy"),
    # EF 3.0 water use is a scarcity-weighted deprivation (AWARE), not a volume consumed.
    Criterion(
        "wu",
        "m³ monde-éq. privés",
        "Utilisation des ressources en eau (EF 3.0, méthode AWARE)",
        "Water use (EF 3.0, AWARE method)",
    ),
    Criterion("ap", "mol H+ eq", "Acidification", "Acidification"),
    Criterion("ctue", "CTUe", "Écotoxicité de l'eau douce", "Freshwater ecotoxicity"),
    Criterion(
        "ctuh_c", "CTUh", "Toxicité humaine, effets cancérigènes", "Human toxicity, cancer effects"
    ),
    Criterion(
        "ctuh_nc",
        "CTUh",
        "Toxicité humaine, effets non cancérigènes",
        "Human toxicity, non-cancer effects",
    ),
    Criterion("epf", "kg P eq", "Eutrophisation des eaux douces", "Freshwater eutrophication"),
    Criterion("epm", "kg N eq", "Eutrophisation marine", "Marine eutrophication"),
    Criterion("ept", "mol N eq", "Eutrophisation terrestre", "Terrestrial eutrophication"),
    Criterion("ir", "kBq U235 eq", "Radiations ionisantes", "Ionising radiation"),
    Criterion("lu", "pt", "Utilisation des sols", "Land use"),
    Criterion("odp", "kg CFC-11 eq", "Appauvrissement de la couche d'ozone", "Ozone depletion"),
    Criterion("pm", "incidence de maladie", "Particules fines", "Particulate matter"),
    Criterion(
        "pocp", "kg NMVOC eq", "Formation d'ozone photochimique", "Photochemical ozone formation"
    ),
)
CRITERIA_BY_CODE: dict[str, Criterion] = {c.code: c for c in CRITERIA}


class Group(StrEnum):
    """Where a category lives; hosted equipment gets the PUE of its room."""

    TERMINAL = "terminal"
    PERIPHERAL = "peripheral"
    NETWORK = "network"
    HOSTED = "hosted"


@dataclass(frozen=True)
class Category:
    code: str
    group: Group
    label_fr: str
    label_en: str


CATEGORIES: tuple[Category, ...] = (
    Category("laptop", Group.TERMINAL, "Ordinateur portable", "Laptop"),
    Category("desktop", Group.TERMINAL, "Ordinateur fixe (unité centrale)", "Desktop"),
    Category("thin_client", Group.TERMINAL, "Client léger", "Thin client"),
    Category("all_in_one", Group.TERMINAL, "Ordinateur tout-en-un", "All-in-one computer"),
    Category("monitor", Group.PERIPHERAL, "Écran d'ordinateur", "Monitor"),
    Category("smartphone", Group.TERMINAL, "Smartphone", "Smartphone"),
    Category("mobile_phone", Group.TERMINAL, "Téléphone mobile simple", "Basic mobile phone"),
    Category("tablet", Group.TERMINAL, "Tablette", "Tablet"),
    Category("ip_phone", Group.TERMINAL, "Téléphone IP (fixe)", "IP desk phone"),
    Category("printer", Group.PERIPHERAL, "Imprimante", "Printer"),
    Category(
        "multifunction_printer",
        Group.PERIPHERAL,
        "Imprimante multifonction / copieur",
        "Multifunction printer / copier",
    ),
    Category("scanner", Group.PERIPHERAL, "Scanner", "Scanner"),
    Category("video_projector", Group.PERIPHERAL, "Vidéoprojecteur", "Video projector"),
    Category(
        "interactive_display",
        Group.PERIPHERAL,
        "Écran numérique interactif (ENI / TBI)",
        "Interactive display",
    ),
    Category(
        "tv_display", Group.PERIPHERAL, "Téléviseur / écran d'affichage", "TV / display screen"
    ),
    Category("docking_station", Group.PERIPHERAL, "Station d'accueil", "Docking station"),
    Category("external_hdd", Group.PERIPHERAL, "Disque dur externe", "External hard drive"),
    Category("external_ssd", Group.PERIPHERAL, "SSD externe", "External SSD"),
    Category("usb_key", Group.PERIPHERAL, "Clé USB", "USB key"),
    Category("internet_box", Group.NETWORK, "Box internet", "Internet box"),
    Category("wifi_access_point", Group.NETWORK, "Borne Wi-Fi", "Wi-Fi access point"),
    Category("switch", Group.NETWORK, "Commutateur réseau (switch)", "Network switch"),
    Category("router", Group.NETWORK, "Routeur", "Router"),
    Category("firewall", Group.NETWORK, "Pare-feu", "Firewall"),
    Category("rack_server", Group.HOSTED, "Serveur rack", "Rack server"),
    Category("tower_server", Group.HOSTED, "Serveur tour", "Tower server"),
    Category(
        "storage_array", Group.HOSTED, "Baie de stockage (NAS / SAN)", "Storage array (NAS / SAN)"
    ),
    Category("ups", Group.HOSTED, "Onduleur", "UPS"),
)
CATEGORIES_BY_CODE: dict[str, Category] = {c.code: c for c in CATEGORIES}


class Condition(StrEnum):
    NEW = "new"
    REFURBISHED = "refurbished"


class Status(StrEnum):
    """Where a device stands; only ``in_use`` devices draw electricity."""

    IN_USE = "in_use"
    IN_STOCK = "in_stock"
    RETIRED = "retired"


STATUS_LABELS: dict[Status, tuple[str, str]] = {
    Status.IN_USE: ("En service", "In use"),
    Status.IN_STOCK: ("En stock", "In stock"),
    Status.RETIRED: ("Sorti du parc", "Retired"),
}
