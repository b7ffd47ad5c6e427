"""Writes the two fictional inventories, kept the way towns keep them: titles above the table,
a total line below, label variants and upper-case labels, brands in lower case, dates written
several ways, unknown dates.

- ``demo``: src/sobrenum/data/demo/inventaire-demo.xlsx, the fleet of ``sobrenum demo``;
- ``test``: tests/data/inventaire-parc-ville-exemple.xlsx, 1,200 devices and a "Listes" sheet
  of the labels offered in the drop-down. Every count the tests check comes from the tables
  of this script (LABELS, DATE_FORMS, STATUSES, REFURBISHED), not from the importer.

Deterministic (fixed seeds). Run: python scripts/make_inventory.py demo|test
"""

from __future__ import annotations

import datetime as dt
import random
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from openpyxl import Workbook

ROOT = Path(__file__).resolve().parents[1]
DEMO_OUT = ROOT / "src/sobrenum/data/demo/inventaire-demo.xlsx"
TEST_OUT = ROOT / "tests/data/inventaire-parc-ville-exemple.xlsx"

#: The columns of both inventories, as the towns' spreadsheets name them.
COLUMNS = [
    "N° inventaire",
    "Type de matériel",
    "Marque",
    "Modèle",
    "Date d'achat",
    "Service",
    "Site",
    "Statut",
    "Reconditionné",
]

# --- the demo town ---------------------------------------------------------------------------

# (label variants, brands and models, count, lifetime-ish spread of purchase years)
KINDS: list[tuple[list[str], list[tuple[str, str]], int, tuple[int, int]]] = [
    (
        ["PC portable", "Portable", "ordinateur portable", "PC PORTABLE"],
        [("Dell", "Latitude 5430"), ("HP", "ProBook 450 G9"), ("Lenovo", "ThinkPad L14")],
        150,
        (2017, 2025),
    ),
    (
        ["UC", "Unité centrale", "PC fixe", "Poste fixe"],
        [("Dell", "OptiPlex 3000"), ("HP", "EliteDesk 800 G6"), ("lenovo", "ThinkCentre M70q")],
        120,
        (2015, 2025),
    ),
    (
        ["Ecran", 'Écran 24"', "Moniteur", 'ECRAN 27"'],
        [("Dell", "P2422H"), ("iiyama", "ProLite XUB2493HS"), ("Samsung", "S24R650")],
        210,
        (2014, 2025),
    ),
    (
        ["Smartphone", "Téléphone portable"],
        [("Samsung", "Galaxy A54"), ("Apple", "iPhone 13"), ("Crosscall", "Core-Z5")],
        70,
        (2019, 2025),
    ),
    (["Tablette"], [("Apple", "iPad 10.2"), ("Samsung", "Galaxy Tab A8")], 25, (2018, 2025)),
    (
        ["Imprimante", "IMPRIMANTE"],
        [("Brother", "HL-L5100DN"), ("HP", "LaserJet M404dn")],
        18,
        (2015, 2024),
    ),
    (
        ["Copieur", "Imprimante multifonction"],
        [("Kyocera", "TASKalfa 3554ci"), ("Canon", "imageRUNNER C3226i")],
        12,
        (2016, 2024),
    ),
    (["Vidéoprojecteur", "VPI"], [("Epson", "EB-W51"), ("epson", "EB-695Wi")], 14, (2013, 2024)),
    (
        ["ENI", "TBI"],
        [("Promethean", 'ActivPanel 75"'), ("Speechi", 'SpeechiTouch 65"')],
        10,
        (2018, 2025),
    ),
    (["Téléphone IP"], [("Yealink", "T54W"), ("Cisco", "CP-8845")], 60, (2016, 2023)),
    (["Switch"], [("Cisco", "Catalyst 1000-24T"), ("HPE", "Aruba 2930F")], 12, (2014, 2024)),
    (["Borne WiFi"], [("Ubiquiti", "U6-Pro"), ("Aruba", "AP-505")], 16, (2017, 2025)),
    (["Serveur"], [("Dell", "PowerEdge R650"), ("HPE", "ProLiant DL360 Gen10")], 5, (2016, 2023)),
    (["Client léger"], [("HP", "t640"), ("Dell", "Wyse 5070")], 20, (2018, 2022)),
    (["Station d'accueil"], [("Dell", "WD19S"), ("HP", "USB-C Dock G5")], 40, (2019, 2025)),
]
DEMO_SERVICES = [
    "Direction générale",
    "Finances",
    "Ressources humaines",
    "Services techniques",
    "Urbanisme",
    "État civil",
    "Police municipale",
    "Culture",
    "Éducation",
    "DSI",
    "CCAS",
]
DEMO_SITES = [
    "Mairie",
    "Centre technique municipal",
    "École Jean-Moulin",
    "École des Peupliers",
    "Médiathèque Louise-Michel",
    "CCAS - place du Marché",
    "Maison des associations",
]


def demo_date_cell(rng: random.Random, year: int) -> object:
    """A purchase date written one of the ways people write it."""
    day = dt.date(year, rng.randint(1, 12), rng.randint(1, 28))
    style = rng.random()
    if style < 0.55:
        return dt.datetime(day.year, day.month, day.day)
    if style < 0.75:
        return day.strftime("%d/%m/%Y")
    if style < 0.85:
        return str(year)
    if style < 0.93:
        return day.strftime("%m/%Y")
    if style < 0.97:
        return None
    return "inconnue"


def demo_rows() -> list[list[object]]:
    rng = random.Random(20251231)
    rows: list[list[object]] = []
    for labels, models, count, (first, last) in KINDS:
        for _ in range(count):
            year = rng.randint(first, last)
            brand, model = rng.choice(models)
            status = "En stock" if rng.random() < 0.06 else "En service"
            refurb = "Oui" if rng.random() < 0.05 else "Non"
            rows.append(
                [
                    year,
                    rng.choice(labels),
                    brand,
                    model,
                    demo_date_cell(rng, year),
                    rng.choice(DEMO_SERVICES),
                    rng.choice(DEMO_SITES),
                    status,
                    refurb,
                ]
            )
    rng.shuffle(rows)
    return [[f"VE-{bought}-{i:05d}", *rest] for i, (bought, *rest) in enumerate(rows, start=1)]


def write_demo() -> None:
    wb, ws = workbook(
        "Inventaire",
        "Commune de Val-Exemple — parc informatique au 31/12/2025",
        "Extraction DSI (fictive, démonstration sobrenum)",
    )
    rows = demo_rows()
    for row in rows:
        ws.append(row)
    close_table(ws, len(rows))
    ws.merge_cells("A1:I1")
    notes = wb.create_sheet("Notes")
    notes.append(["Inventaire fictif, produit par scripts/make_inventory.py."])
    save(wb, DEMO_OUT, len(rows))


# --- the test town -----------------------------------------------------------------------------

ROWS = 1200

LAPTOPS = [
    ("Lenovo", "ThinkPad T14 Gen 2"),
    ("HP", "EliteBook 840 G8"),
    ("Dell", "Latitude 5420"),
    ("Dell", "Latitude 7420"),
    ("Apple", "MacBook Air M1"),
    ("HP", "ProBook 450 G7"),
    ("Lenovo", "ThinkPad L14"),
]
DESKTOPS = [
    ("HP", "ProDesk 400 G7"),
    ("HP", "EliteDesk 800 G6"),
    ("Dell", "OptiPlex 7090"),
    ("Dell", "OptiPlex 3080"),
    ("Lenovo", "ThinkCentre M70q"),
]
MONITORS = [
    ("Samsung", "S24R350"),
    ("HP", "E24 G4"),
    ("Lenovo", "ThinkVision T24i-20"),
    ("Iiyama", "ProLite XU2493HS"),
    ("Dell", "P2422H"),
]
PHONES = [
    ("Apple", "iPhone SE"),
    ("Fairphone", "Fairphone 4"),
    ("Samsung", "Galaxy A52"),
    ("Crosscall", "Core-X4"),
]
COPIERS = [
    ("Kyocera", "TASKalfa 3253ci"),
    ("Canon", "imageRUNNER ADVANCE C5535i"),
    ("Ricoh", "IM C3000"),
]
PROJECTORS = [("Epson", "EB-W06"), ("BenQ", "MW550")]
BOARDS = [("Promethean", 'ActivPanel 65"'), ("Speechi", 'SpeechiTouch 75"')]

#: Label as typed in the "Type de matériel" column → (number of rows, brands and models).
#: Per category: laptop 152+88+56+7+4+1 = 308; monitor 139+71+31+3+2+2 = 248;
#: desktop 95+71+43+17+3+2 = 231; smartphone 78+25+2+1 = 106; ip_phone 48+2 = 50;
#: printer 42+4 = 46; multifunction_printer 22+19+1 = 42; tablet 42; interactive_display
#: 19+11 = 30; video_projector 15+7+1 = 23; wifi_access_point 19; switch 17+1 = 18;
#: docking_station 15; thin_client 14; rack_server 8.
LABELS: dict[str, tuple[int, list[tuple[str, str]]]] = {
    "PC portable": (152, LAPTOPS),
    "Ordinateur portable": (88, LAPTOPS),
    "Portable": (56, LAPTOPS),
    "PC PORTABLE": (7, LAPTOPS),
    "ORDINATEUR PORTABLE": (4, LAPTOPS),
    "PORTABLE": (1, LAPTOPS),
    "Ecran": (139, MONITORS),
    'Écran 24"': (71, MONITORS),
    "Moniteur": (31, MONITORS),
    'ÉCRAN 24"': (3, MONITORS),
    "ECRAN": (2, MONITORS),
    "MONITEUR": (2, MONITORS),
    "Unité centrale": (95, DESKTOPS),
    "PC fixe": (71, DESKTOPS),
    "UC": (43, DESKTOPS),
    "Ordi fixe": (17, DESKTOPS),
    "UNITÉ CENTRALE": (3, DESKTOPS),
    "PC FIXE": (2, DESKTOPS),
    "Smartphone": (78, PHONES),
    "Téléphone portable": (25, PHONES),
    "SMARTPHONE": (2, PHONES),
    "TÉLÉPHONE PORTABLE": (1, PHONES),
    "Téléphone IP": (48, [("Yealink", "T54W"), ("Alcatel", "8028s")]),
    "TÉLÉPHONE IP": (2, [("Yealink", "T54W"), ("Alcatel", "8028s")]),
    "Imprimante": (42, [("Brother", "HL-L2350DW"), ("HP", "LaserJet Pro M404")]),
    "IMPRIMANTE": (4, [("Brother", "HL-L2350DW"), ("HP", "LaserJet Pro M404")]),
    "Copieur": (22, COPIERS),
    "Imprimante multifonction": (19, COPIERS),
    "IMPRIMANTE MULTIFONCTION": (1, COPIERS),
    "Tablette": (42, [("Apple", "iPad 9"), ("Samsung", "Galaxy Tab A8")]),
    "ENI": (19, BOARDS),
    "TBI": (11, BOARDS),
    "Vidéoprojecteur": (15, PROJECTORS),
    "VPI": (7, PROJECTORS),
    "VIDÉOPROJECTEUR": (1, PROJECTORS),
    "Borne WiFi": (19, [("Aruba", "AP-505"), ("Ubiquiti", "UniFi U6 Pro")]),
    "Switch": (17, [("HPE", "Aruba 2930F"), ("Cisco", "Catalyst 2960-X 48")]),
    "SWITCH": (1, [("HPE", "Aruba 2930F"), ("Cisco", "Catalyst 2960-X 48")]),
    "Station d'accueil": (15, [("Dell", "WD19"), ("Lenovo", "ThinkPad USB-C Dock Gen 2")]),
    "Client léger": (14, [("Dell", "Wyse 5070"), ("HP", "t640")]),
    "Serveur": (8, [("Dell", "PowerEdge R740"), ("HPE", "ProLiant DL380 Gen10")]),
}
#: The labels of the drop-down list (sheet "Listes"), as the DSI offers them.
LIST_LABELS = [
    "PC portable", "Portable", "Ordinateur portable", "UC", "Unité centrale", "PC fixe",
    "Ordi fixe", "Ecran", 'Écran 24"', "Moniteur", "Smartphone", "Téléphone portable",
    "Tablette", "Imprimante", "Imprimante multifonction", "Copieur", "Vidéoprojecteur", "VPI",
    "ENI", "TBI", "Téléphone IP", "Switch", "Borne WiFi", "Serveur", "Client léger",
    "Station d'accueil",
]  # fmt: skip
#: How the purchase date is written: a date cell, "13/04/2024", "2022", "05/2023", nothing,
#: or "inconnue".
DATE_FORMS = {"cell": 688, "day": 219, "year": 129, "month": 69, "empty": 51, "unknown": 44}
STATUSES = {"En service": 1030, "En stock": 82, "Réformé": 52, "En panne": 36}
REFURBISHED = {"Non": 1126, "Oui": 74}
SERVICES = [
    "État civil", "Éducation", "Services techniques", "Finances", "Ressources humaines",
    "Petite enfance", "Médiathèque", "Direction générale", "Communication", "CCAS", "Culture",
    "Sports", "DSI", "Police municipale", "Urbanisme",
]  # fmt: skip
SITES = [
    "Centre technique municipal", "Gymnase Coubertin", "CCAS - rue des Lilas",
    "Maison France Services", "Médiathèque François-Mitterrand",
    "École maternelle Les Tilleuls", "Hôtel de Ville", "École élémentaire Jules-Ferry",
]  # fmt: skip
YEARS = list(range(2014, 2026))
YEAR_WEIGHTS = [1, 1, 1] + [10] * 9  # a few devices older than 2017

#: Rows the tests look at (1-based row of the table, i.e. spreadsheet line − 4):
#: (label or None, date form, date). Placed by swapping, so the counts above stay exact.
FIXED: dict[int, tuple[str | None, str, dt.date | None]] = {
    1: ('Écran 24"', "month", dt.date(2023, 5, 1)),
    2: ("PC portable", "cell", dt.date(2020, 5, 26)),
    5: ("PC portable", "year", dt.date(2022, 1, 1)),
    7: ("UC", "day", dt.date(2024, 4, 13)),
    14: ("PC portable", "unknown", None),
}


def multiset(counts: dict[str, int], rng: random.Random) -> list[str]:
    values = [value for value, n in counts.items() for _ in range(n)]
    assert len(values) == ROWS, counts
    rng.shuffle(values)
    return values


def place(values: list[str], row: int, wanted: str) -> None:
    """Put ``wanted`` at ``row`` (1-based) by swapping with a later row holding it."""
    index = row - 1
    if values[index] == wanted:
        return
    other = next(i for i in range(len(values)) if i not in FIXED_INDEXES and values[i] == wanted)
    values[index], values[other] = values[other], values[index]


FIXED_INDEXES = {row - 1 for row in FIXED}


def date_cell(form: str, day: dt.date) -> object:
    if form == "cell":
        return dt.datetime(day.year, day.month, day.day)
    if form == "day":
        return day.strftime("%d/%m/%Y")
    if form == "year":
        return str(day.year)
    if form == "month":
        return day.strftime("%m/%Y")
    return None if form == "empty" else "inconnue"


def write_test() -> None:
    rng = random.Random(20251231)
    labels = multiset({label: n for label, (n, _) in LABELS.items()}, rng)
    forms = multiset(DATE_FORMS, rng)
    for row, (label, form, _) in FIXED.items():
        if label:
            place(labels, row, label)
        place(forms, row, form)
    statuses = multiset(STATUSES, rng)
    refurbished = multiset(REFURBISHED, rng)
    seen: Counter[str] = Counter()
    wb, ws = workbook(
        "Parc informatique",
        "Ville de Saint-Exemple — inventaire du parc informatique au 31/12/2025",
        "Document de travail DSI — ne pas diffuser (inventaire fictif)",
    )
    wb.properties.creator = "sobrenum scripts/make_inventory.py"
    wb.properties.created = wb.properties.modified = dt.datetime(2025, 12, 31)
    for i in range(ROWS):
        brand, model = rng.choice(LABELS[labels[i]][1])
        seen[brand] += 1
        if seen[brand] % 25 == 3:  # the third of each brand, then one in 25, typed in lower case
            brand = brand.lower()
        fixed = FIXED.get(i + 1)
        if fixed and fixed[2]:
            day = fixed[2]
        else:
            year = rng.choices(YEARS, YEAR_WEIGHTS)[0]
            day = dt.date(year, rng.randint(1, 12), rng.randint(1, 28))
        ws.append(
            [
                f"INV-{day.year}-{i + 1:05d}",
                labels[i],
                brand,
                model,
                date_cell(forms[i], day),
                rng.choice(SERVICES),
                rng.choice(SITES),
                statuses[i],
                refurbished[i],
            ]
        )
        if forms[i] == "cell":
            ws.cell(row=ws.max_row, column=5).number_format = "DD/MM/YYYY"
    close_table(ws, ROWS)
    lists = wb.create_sheet("Listes")
    lists.append(["Types"])
    for label in LIST_LABELS:
        lists.append([label])
    save(wb, TEST_OUT, ROWS)


# --- the layout both share ---------------------------------------------------------------------


def workbook(sheet: str, title: str, subtitle: str) -> tuple[Workbook, Any]:
    """A workbook whose first sheet has two title lines, a blank line, then the header."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = sheet
    ws.append([title])
    ws.append([subtitle])
    ws.append([])
    ws.append(COLUMNS)
    return wb, ws


def close_table(ws: Any, count: int) -> None:
    """The blank line and the total line below the table."""
    ws.append([])
    ws.append(["TOTAL", count])


def save(wb: Workbook, out: Path, count: int) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    wb.save(out)
    print(f"{out}: {count} équipements")


if __name__ == "__main__":
    writers = {"demo": write_demo, "test": write_test}
    if len(sys.argv) != 2 or sys.argv[1] not in writers:
        raise SystemExit("usage : python scripts/make_inventory.py demo|test")
    writers[sys.argv[1]]()
