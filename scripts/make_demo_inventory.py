"""Writes the bundled demo inventory: a fictional town's fleet, kept the way towns keep it.

Deterministic (fixed seed). Run: python scripts/make_demo_inventory.py
"""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

from openpyxl import Workbook

OUT = Path(__file__).resolve().parents[1] / "src/sobrenum/data/demo/inventaire-demo.xlsx"

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
SERVICES = [
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
SITES = [
    "Mairie",
    "Centre technique municipal",
    "École Jean-Moulin",
    "École des Peupliers",
    "Médiathèque Louise-Michel",
    "CCAS - place du Marché",
    "Maison des associations",
]


def date_cell(rng: random.Random, year: int) -> object:
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


def main() -> None:
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
                    date_cell(rng, year),
                    rng.choice(SERVICES),
                    rng.choice(SITES),
                    status,
                    refurb,
                ]
            )
    rng.shuffle(rows)
    wb = Workbook()
    ws = wb.active
    ws.title = "Inventaire"
    ws.append(["Commune de Val-Exemple — parc informatique au 31/12/2025"])
    ws.append(["Extraction DSI (fictive, démonstration sobrenum)"])
    ws.append([])
    ws.append(
        [
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
    )
    for i, (bought, *rest) in enumerate(rows, start=1):
        ws.append([f"VE-{bought}-{i:05d}", *rest])
    ws.append([])
    ws.append(["TOTAL", len(rows)])
    ws.merge_cells("A1:I1")
    notes = wb.create_sheet("Notes")
    notes.append(["Inventaire fictif, produit par scripts/make_demo_inventory.py."])
    OUT.parent.mkdir(parents=True, exist_ok=True)
    wb.save(OUT)
    print(f"{OUT}: {len(rows)} équipements")


if __name__ == "__main__":
    main()
