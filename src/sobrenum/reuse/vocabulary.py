"""The words of the reuse register: destinations, wiping methods, triage outcomes, publics.

Codes are English identifiers stored in the database; labels are what users read (French).
The legal figures (targets of décret 2023-266 and of the AGEC trajectory) live here too, each
with the text it comes from.
"""

from __future__ import annotations

from sobrenum.domain import CATEGORIES_BY_CODE

# --- Exits -------------------------------------------------------------------------------

DESTINATIONS: dict[str, str] = {
    "internal_reuse": "Réemploi interne (réaffectation dans la collectivité)",
    "public_transfer": "Cession à un autre organisme public",
    "donation": "Don (association, école, personne via un programme d'inclusion)",
    "sale": "Vente pour réemploi",
    "refurbisher": "Remise à un reconditionneur",
    "weee": "Collecte DEEE par un éco-organisme agréé",
    "loss_theft": "Perte ou vol",
}
"""Where a device goes when it leaves the fleet."""

DESTINATION_ALIASES: dict[str, str] = {
    "reemploi-interne": "internal_reuse",
    "réemploi-interne": "internal_reuse",
    "interne": "internal_reuse",
    "cession": "public_transfer",
    "cession-publique": "public_transfer",
    "don": "donation",
    "vente": "sale",
    "reconditionneur": "refurbisher",
    "deee": "weee",
    "perte": "loss_theft",
    "vol": "loss_theft",
    "perte-vol": "loss_theft",
}

REUSE_DESTINATIONS: frozenset[str] = frozenset(
    {"internal_reuse", "public_transfer", "donation", "sale", "refurbisher"}
)
"""Destinations counted as « réemploi » in the numerator of the décret 2023-266 rate."""

WIPE_REQUIRED_DESTINATIONS: frozenset[str] = frozenset(
    {"public_transfer", "donation", "sale", "refurbisher"}
)
"""Destinations where the device leaves the organisation's hands: a wipe must be recorded."""

RECEIVER_KINDS: dict[str, str] = {
    "association": "Association",
    "school": "École ou établissement d'enseignement",
    "public_body": "Organisme public",
    "person": "Personne (programme d'inclusion numérique)",
    "company": "Entreprise (reconditionneur, acheteur)",
    "eco_organism": "Éco-organisme agréé",
    "internal": "Service de la collectivité",
}

CONDITIONS: dict[str, str] = {
    "working": "En état de marche",
    "repairable": "Réparable",
    "broken": "Hors d'usage",
    "unknown": "Non évalué",
}

# --- Wiping ------------------------------------------------------------------------------

WIPE_METHODS: dict[str, str] = {
    "clear": "Effacement logique (Clear : réécriture, réinitialisation d'usine)",
    "purge": "Purge (Purge : effacement sécurisé du fabricant, effacement cryptographique)",
    "destroy": "Destruction physique du support (Destroy : broyage, perforation)",
}
"""NIST SP 800-88 levels, as ANSSI's 2023 refurbishing recommendations use them."""

WIPE_METHOD_ALIASES: dict[str, str] = {
    "effacement": "clear",
    "purge": "purge",
    "destruction": "destroy",
}

STORAGE_CATEGORIES: frozenset[str] = frozenset(
    {
        # Computers and servers: disks or flash memory holding users' files.
        "laptop",
        "desktop",
        "thin_client",
        "all_in_one",
        "rack_server",
        "tower_server",
        "storage_array",
        # Phones and tablets: contacts, messages, accounts.
        "smartphone",
        "mobile_phone",
        "tablet",
        "ip_phone",
        # Removable storage.
        "external_hdd",
        "external_ssd",
        "usb_key",
        # Copiers keep a disk of scanned and printed pages; interactive displays run an
        # embedded system with sessions and files.
        "multifunction_printer",
        "interactive_display",
        # Network equipment keeps its configuration: passwords, keys, VPN secrets.
        "internet_box",
        "wifi_access_point",
        "switch",
        "router",
        "firewall",
    }
)
"""Categories that hold data: a wipe must be recorded before they leave the organisation.

Not in the list (no user data storage): monitor, printer, scanner, video_projector,
tv_display, docking_station, ups.
"""


def has_storage(category: str) -> bool:
    return category in STORAGE_CATEGORIES


def category_label(category: str) -> str:
    found = CATEGORIES_BY_CODE.get(category)
    return found.label_fr if found else category


# --- Ressourcerie ------------------------------------------------------------------------

ORIGINS: dict[str, str] = {
    "citizen": "Dépôt d'un particulier (point de collecte)",
    "public_body": "Autre organisme public",
    "company": "Entreprise",
    "internal": "Parc de la collectivité",
}

TRIAGE_OUTCOMES: dict[str, str] = {
    "reusable": "Réemployable en l'état",
    "repairable": "Réparable",
    "parts": "Pour pièces détachées",
    "weee": "DEEE (recyclage)",
}

ITEM_STATUSES: dict[str, str] = {
    "received": "Reçu, à trier",
    **TRIAGE_OUTCOMES,
    "refurbished": "Reconditionné, prêt à redistribuer",
    "redistributed": "Redistribué",
    "recycled": "Remis à la filière DEEE",
}

PUBLIC_TYPES: dict[str, str] = {
    "student": "Élève ou étudiant",
    "job_seeker": "Demandeur d'emploi",
    "low_income": "Foyer à faibles revenus (minima sociaux)",
    "senior": "Personne âgée",
    "disability": "Personne en situation de handicap",
    "refugee": "Personne réfugiée ou primo-arrivante",
    "other": "Autre public accompagné",
}
"""Kinds of public reached by the inclusion programme (the only thing kept about a person,
with initials and postcode)."""

# --- Legal figures -----------------------------------------------------------------------

REUSE_RATE_TARGETS: dict[int, float] = {2023: 25.0, 2024: 35.0, 2025: 50.0}
"""Décret n° 2023-266 du 12 avril 2023: share of retired IT equipment sent to reuse."""

MAX_AGE_YEARS = 10
"""Devices older than this on 1 January are excluded from the rate (décret 2023-266)."""


def reuse_rate_target(year: int) -> float | None:
    """The décret 2023-266 target for ``year`` (50 % from 2025 on), None before 2023."""
    if year < 2023:
        return None
    return REUSE_RATE_TARGETS[min(year, 2025)]


AGEC_IT_TRAJECTORY: dict[int, float] = {2024: 20.0, 2027: 25.0, 2030: 30.0}
"""Décret n° 2024-134, « Matériel informatique et téléphonie »: share of annual spending HT
from reuse / re-utilisation or with recycled content (20 % from 2024, 25 % from 2027, 30 %
from 2030)."""

AGEC_IT_PRODUCT_TYPE = "Matériel informatique et téléphonie"


def agec_it_target(year: int) -> float | None:
    """The AGEC IT floor in force in ``year`` (None before 2024)."""
    applicable = [value for start, value in sorted(AGEC_IT_TRAJECTORY.items()) if start <= year]
    return applicable[-1] if applicable else None


def normalise_code(value: str, codes: dict[str, str], aliases: dict[str, str], what: str) -> str:
    """The code for a user's word (code, alias or French label), else a French error."""
    from sobrenum.reuse.errors import ReuseError

    key = value.strip()
    if key in codes:
        return key
    lowered = key.lower().replace(" ", "-").replace("_", "-")
    if lowered in aliases:
        return aliases[lowered]
    for code, label in codes.items():
        if key.lower() == label.lower() or lowered == code.replace("_", "-"):
            return code
    choices = ", ".join(sorted({*codes, *aliases}))
    raise ReuseError(f"{what} : valeur inconnue « {value} » (valeurs possibles : {choices}).")
