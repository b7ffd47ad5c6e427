"""From the free labels of an inventory ("PC portable", "UC", "Écran 24\"", "VPI"…) to the
category codes of the domain.

Recognition works on distinct labels only, in this order: the user's own label map (saved
with the mapping profile), an exact table of usual labels, keyword rules, then approximate
matching (rapidfuzz) against the exact table. Labels are compared folded (no case, no
accents, no punctuation, plurals made singular). The rules are documented in docs/import.md;
the choices that need one:

- "Téléphone portable" / "mobile" → ``mobile_phone``, turned into ``smartphone`` when the
  model names a smartphone (iPhone, Galaxy, Pixel, Fairphone, Crosscall…);
- "Téléphone" alone → ``ip_phone`` (a desk phone in a town hall), low confidence, also
  turned into ``smartphone`` by a smartphone model;
- "Serveur" alone → ``rack_server``, ``tower_server`` when the label says "tour" or the model
  is a tower (ProLiant ML, PowerEdge T…);
- "VPI" (vidéoprojecteur interactif) → ``video_projector``: it is a projector; "ENI", "TBI",
  "TNI" → ``interactive_display``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz, process

from sobrenum.domain.vocabulary import CATEGORIES, CATEGORIES_BY_CODE
from sobrenum.inventory.mapping import fold

_SIZE = re.compile(r"\b\d+([.,]\d+)?\s*(pouces?|po|inch(es)?|\")?(?=\s|$)")


def fold_label(label: str) -> str:
    """A label folded for comparison: sizes ("24\"") dropped, plurals made singular."""
    text = _SIZE.sub(" ", label.casefold().replace("''", '"'))
    words = []
    for word in fold(text).split():
        if len(word) > 4 and word.endswith(("ches", "shes")):
            word = word[:-2]
        elif len(word) > 3 and word[-1] in "sx" and not word.endswith(("ss", "us", "is")):
            word = word[:-1]
        words.append(word)
    return " ".join(words)


_EXACT_LABELS: dict[str, str] = {
    # Laptops
    "pc portable": "laptop",
    "portable": "laptop",
    "ordinateur portable": "laptop",
    "ordi portable": "laptop",
    "laptop": "laptop",
    "notebook": "laptop",
    "ultraportable": "laptop",
    "ultra portable": "laptop",
    "macbook": "laptop",
    "pc hybride": "laptop",
    "chromebook": "laptop",
    # Desktops
    "uc": "desktop",
    "unite centrale": "desktop",
    "pc fixe": "desktop",
    "ordi fixe": "desktop",
    "ordinateur fixe": "desktop",
    "ordinateur de bureau": "desktop",
    "pc de bureau": "desktop",
    "poste fixe": "desktop",
    "poste de travail": "desktop",
    "desktop": "desktop",
    "tour": "desktop",
    "mini pc": "desktop",
    "station de travail": "desktop",
    "workstation": "desktop",
    "pc": "desktop",
    "ordinateur": "desktop",
    "micro ordinateur": "desktop",
    "client leger": "thin_client",
    "terminal leger": "thin_client",
    "thin client": "thin_client",
    "tout en un": "all_in_one",
    "pc tout en un": "all_in_one",
    "all in one": "all_in_one",
    "aio": "all_in_one",
    "imac": "all_in_one",
    # Screens
    "ecran": "monitor",
    "moniteur": "monitor",
    "monitor": "monitor",
    "ecran pc": "monitor",
    "ecran plat": "monitor",
    "ecran lcd": "monitor",
    "ecran d ordinateur": "monitor",
    "eni": "interactive_display",
    "tbi": "interactive_display",
    "tni": "interactive_display",
    "ecran numerique interactif": "interactive_display",
    "ecran interactif": "interactive_display",
    "tableau blanc interactif": "interactive_display",
    "tableau numerique interactif": "interactive_display",
    "tableau interactif": "interactive_display",
    "interactive display": "interactive_display",
    "televiseur": "tv_display",
    "tele": "tv_display",
    "tv": "tv_display",
    "ecran d affichage": "tv_display",
    "affichage dynamique": "tv_display",
    # Phones and tablets
    "smartphone": "smartphone",
    "telephone intelligent": "smartphone",
    "iphone": "smartphone",
    "telephone portable": "mobile_phone",
    "telephone mobile": "mobile_phone",
    "mobile": "mobile_phone",
    "portable telephone": "mobile_phone",
    "gsm": "mobile_phone",
    "telephone": "ip_phone",
    "telephone ip": "ip_phone",
    "poste ip": "ip_phone",
    "telephone fixe": "ip_phone",
    "poste telephonique": "ip_phone",
    "telephone de bureau": "ip_phone",
    "ip phone": "ip_phone",
    "telephone voip": "ip_phone",
    "tablette": "tablet",
    "tablet": "tablet",
    "ipad": "tablet",
    "tablette tactile": "tablet",
    # Printing and projection
    "imprimante": "printer",
    "printer": "printer",
    "traceur": "printer",
    "imprimante laser": "printer",
    "imprimante jet d encre": "printer",
    "imprimante multifonction": "multifunction_printer",
    "multifonction": "multifunction_printer",
    "mfp": "multifunction_printer",
    "copieur": "multifunction_printer",
    "photocopieur": "multifunction_printer",
    "photocopieuse": "multifunction_printer",
    "copieur multifonction": "multifunction_printer",
    "scanner": "scanner",
    "scanneur": "scanner",
    "numeriseur": "scanner",
    "videoprojecteur": "video_projector",
    "video projecteur": "video_projector",
    "projecteur": "video_projector",
    "vpi": "video_projector",
    "videoprojecteur interactif": "video_projector",
    "projector": "video_projector",
    # Accessories and storage
    "station d accueil": "docking_station",
    "dock": "docking_station",
    "docking station": "docking_station",
    "replicateur de port": "docking_station",
    "disque dur externe": "external_hdd",
    "disque externe": "external_hdd",
    "dd externe": "external_hdd",
    "hdd externe": "external_hdd",
    "ssd externe": "external_ssd",
    "disque ssd externe": "external_ssd",
    "cle usb": "usb_key",
    "usb key": "usb_key",
    # Network
    "box": "internet_box",
    "box internet": "internet_box",
    "livebox": "internet_box",
    "modem": "internet_box",
    "borne wifi": "wifi_access_point",
    "borne wi fi": "wifi_access_point",
    "point d acces wifi": "wifi_access_point",
    "point d acces": "wifi_access_point",
    "access point": "wifi_access_point",
    "borne": "wifi_access_point",
    "switch": "switch",
    "commutateur": "switch",
    "routeur": "router",
    "router": "router",
    "pare feu": "firewall",
    "firewall": "firewall",
    "parefeu": "firewall",
    # Hosted
    "serveur": "rack_server",
    "server": "rack_server",
    "serveur rack": "rack_server",
    "serveur lame": "rack_server",
    "serveur tour": "tower_server",
    "tower server": "tower_server",
    "nas": "storage_array",
    "san": "storage_array",
    "baie de stockage": "storage_array",
    "stockage reseau": "storage_array",
    "onduleur": "ups",
    "ups": "ups",
}

#: Keyword rules for labels not in the exact table, first match wins (folded labels).
_RULES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), code)
    for pattern, code in (
        (r"\b(multifonction|copieur|photocopie\w*|mfp)\b", "multifunction_printer"),
        (r"\b(imprimante|printer|traceur|plotter)\b", "printer"),
        (r"\b(scanner|scanneur|numeriseur)\b", "scanner"),
        (r"\b(vpi|video ?projecteur|projecteur|projector|beamer)\b", "video_projector"),
        (r"\b(eni|tbi|tni|interacti\w*)\b", "interactive_display"),
        (r"\b(televiseur|television|tv|affichage)\b", "tv_display"),
        (r"\b(station d accueil|dock\w*|replicateur)\b", "docking_station"),
        (r"\b(client leger|thin client|terminal leger)\b", "thin_client"),
        (r"\b(tout en un|all in one|aio|imac)\b", "all_in_one"),
        (r"\b(smartphone|iphone)\b", "smartphone"),
        (r"\b(telephone ip|poste ip|telephone fixe|voip|sip|dect)\b", "ip_phone"),
        (r"\b(telephone portable|telephone mobile|mobile|gsm|cellulaire)\b", "mobile_phone"),
        (r"\btelephone\b", "ip_phone"),
        (r"\b(tablette|tablet|ipad)\b", "tablet"),
        (r"\b(portable|laptop|notebook|ultraportable|macbook|chromebook|netbook)\b", "laptop"),
        (r"\b(ssd externe|external ssd)\b", "external_ssd"),
        (r"\b(disque|hdd|external drive)\b", "external_hdd"),
        (r"\b(cle usb|usb key)\b", "usb_key"),
        (r"\b(ecran|moniteur|monitor|display|screen)\b", "monitor"),
        (r"\b(serveur tour|tower server)\b", "tower_server"),
        (r"\b(serveur|server|blade|lame)\b", "rack_server"),
        (r"\b(nas|san|baie|stockage|storage)\b", "storage_array"),
        (r"\b(onduleur|ups)\b", "ups"),
        (r"\b(borne|wifi|wi fi|point d acces|access point)\b", "wifi_access_point"),
        (r"\b(switch|commutateur)\b", "switch"),
        (r"\b(routeur|router)\b", "router"),
        (r"\b(pare feu|firewall|parefeu|utm)\b", "firewall"),
        (r"\b(box|modem|livebox|freebox|bbox)\b", "internet_box"),
        (r"\b(unite centrale|uc|pc|ordinateur|ordi|desktop|poste|tour|workstation)\b", "desktop"),
    )
)

#: Confidence of each way of recognising a label.
_CONFIDENCE = {"utilisateur": 1.0, "exact": 1.0, "règle": 0.85}
_AMBIGUOUS = {"telephone": 0.6, "ordinateur": 0.7, "pc": 0.8, "poste": 0.6, "borne": 0.7}


@dataclass(frozen=True)
class CategoryMatch:
    """What a free label was recognised as (``category`` None: not recognised)."""

    label: str
    category: str | None
    confidence: float
    method: str

    @property
    def category_label(self) -> str | None:
        return CATEGORIES_BY_CODE[self.category].label_fr if self.category else None


@lru_cache(maxsize=1)
def _exact_index() -> dict[str, str]:
    index = {fold_label(k): v for k, v in _EXACT_LABELS.items()}
    for c in CATEGORIES:
        for name in (c.code.replace("_", " "), c.label_fr, c.label_en):
            index.setdefault(fold_label(name), c.code)
    return index


def recognise_category(label: str, user_labels: Mapping[str, str] | None = None) -> CategoryMatch:
    """Recognise one free label (see the module docstring for the order of the ways)."""
    if user_labels:
        if label in user_labels:
            return CategoryMatch(label, user_labels[label], 1.0, "utilisateur")
        folded_user = {fold_label(k): v for k, v in user_labels.items()}
        key = fold_label(label)
        if key in folded_user:
            return CategoryMatch(label, folded_user[key], 1.0, "utilisateur")
    key = fold_label(label)
    if not key:
        return CategoryMatch(label, None, 0.0, "aucun")
    index = _exact_index()
    if key in index:
        return CategoryMatch(label, index[key], _AMBIGUOUS.get(key, 1.0), "exact")
    for pattern, code in _RULES:
        if pattern.search(key):
            return CategoryMatch(label, code, _CONFIDENCE["règle"], "règle")
    best = process.extractOne(key, list(index), scorer=fuzz.ratio, score_cutoff=85)
    if best is not None:
        return CategoryMatch(
            label, index[best[0]], round(float(best[1]) / 100 * 0.85, 2), "approché"
        )
    return CategoryMatch(label, None, 0.0, "aucun")


def recognise_categories(
    labels: Iterable[str], user_labels: Mapping[str, str] | None = None
) -> dict[str, CategoryMatch]:
    """Recognise each distinct label once."""
    return {label: recognise_category(label, user_labels) for label in set(labels)}


_SMARTPHONE_MODEL = re.compile(
    r"\b(iphone|galaxy (?!tab)\w+|galaxy[ -]?[asmz]\d+|pixel|xperia|redmi|xiaomi|fairphone|"
    r"crosscall|core[ -]?[xm]\d|moto [egz]|oneplus|honor|huawei [pmy]\d*|oppo|nokia [gx]\d+|"
    r"android)",
    re.IGNORECASE,
)
_TOWER_MODEL = re.compile(
    r"(proliant\s*ml|poweredge\s*t\d|thinksystem\s*st|primergy\s*tx|\bml\d{2,3}\b|"
    r"microserver|\btour\b|\btower\b)",
    re.IGNORECASE,
)


def refine_with_model(category: str, model: str | None) -> str:
    """Adjust a category from the model name: phones that are smartphones, tower servers."""
    if not model:
        return category
    if category in ("mobile_phone", "ip_phone") and _SMARTPHONE_MODEL.search(model):
        return "smartphone"
    if category == "rack_server" and _TOWER_MODEL.search(model):
        return "tower_server"
    return category


def category_choices() -> list[tuple[str, str]]:
    """(code, French label) of every category, for a user picking one."""
    return [(c.code, c.label_fr) for c in CATEGORIES]
