"""The table of docs/validation.md: sobrenum's per-device figures beside public references.

Two steps, so that the check needs nothing outside the repository:

- ``python scripts/validation_table.py --refresh`` reads the public sources kept beside the
  repository (``../shared``: ADEME 2022 terminals, ADEME Base IMPACTS / NegaOctet EF 3.0 file
  shipped in boaviztapi, Boavizta's manufacturers' PCF file) and writes the reference figures
  (statistics only, never a PCF row) to ``scripts/validation_references.csv``;
- ``python scripts/validation_table.py`` computes sobrenum's figures with the shipped
  referential and the engine and prints the Markdown table, which docs/validation.md holds
  between its two markers (``tests/test_validation_doc.py`` checks they are equal).
"""

from __future__ import annotations

import csv
import datetime as dt
import statistics
import sys
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

import pyarrow as pa  # noqa: E402

from sobrenum.domain import CATEGORIES_BY_CODE  # noqa: E402
from sobrenum.engine import Parameters, compute  # noqa: E402
from sobrenum.referential import load  # noqa: E402

REFERENCES = REPO / "scripts" / "validation_references.csv"
SHARED = REPO.parent / "shared"
YEAR = 2025

#: category → (ADEME 2022 label, Base IMPACTS row, PCF filter description, PCF filter)
Row = dict[str, str]
ROWS: list[tuple[str, str | None, str | None, str, Callable[[Row], bool]]] = [
    ("laptop", "ordinateur portable", "Laptop pro", "Laptop", lambda r: r["subcategory"] == "Laptop"),
    ("desktop", "ordinateur fixe pro", "Desktop pro", "Desktop", lambda r: r["subcategory"] == "Desktop"),
    ("monitor", "écran", "Monitor", "Monitor", lambda r: r["subcategory"] == "Monitor"),
    ("smartphone", "smartphone", "Smartphone", "Smartphone", lambda r: r["subcategory"] == "Smartphone"),
    ("tablet", "tablette", "Tablet", "Tablet", lambda r: r["subcategory"] == "Tablet"),
    ("printer", "imprimante", None, "Printer (Lexmark, simples)", lambda r: r["subcategory"] == "Printer" and "Multi" not in r["server_type"]),
    ("multifunction_printer", None, None, "Printer (Lexmark, multifonctions)", lambda r: r["subcategory"] == "Printer" and "Multi" in r["server_type"]),
    ("rack_server", None, "Server", "Server, rack", lambda r: r["subcategory"] == "Server" and r["server_type"] == "Rack"),
    ("tower_server", None, "Server", "Server, tower", lambda r: r["subcategory"] == "Server" and r["server_type"] == "Tower"),
    ("switch", None, None, "—", lambda r: False),
]  # fmt: skip
FIELDS = ["category", "ademe_embodied", "base_impacts", "pcf_n", "pcf_embodied", "pcf_total"]


def refresh() -> None:
    """Write the reference figures from the public files beside the repository."""
    with (SHARED / "reference" / "ademe-negaoctet-2022-terminals.csv").open(encoding="utf-8") as f:
        ademe = {r["device_fr"]: r for r in csv.DictReader(f)}
    with (SHARED / "reference" / "ademe-base-impacts-negaoctet-manufacture-ef3.csv").open(
        encoding="utf-8"
    ) as f:
        ef3 = {
            r["Category"] + (f" {r['type']}" if r["type"] else ""): float(r["GWP"].replace(",", "."))
            for r in csv.DictReader(f)
        }
    with (SHARED / "data" / "boavizta-pcf" / "boavizta-data-us.csv").open(encoding="utf-8") as f:
        pcf = list(csv.DictReader(f))
    out = []
    for code, ademe_label, ef3_row, _, keep in ROWS:
        embodied: list[float] = []
        total: list[float] = []
        for r in pcf:
            if not keep(r) or not r["gwp_total"]:
                continue
            total.append(float(r["gwp_total"]))
            if r["gwp_use_ratio"]:
                embodied.append(float(r["gwp_total"]) * (1 - float(r["gwp_use_ratio"])))
        a = ademe.get(ademe_label or "")
        out.append(
            {
                "category": code,
                "ademe_embodied": ""
                if a is None
                else f"{sum(float(a[f'carbon_{p}_kgco2e']) for p in ('manufacture', 'distribution', 'end_of_life')):.4g}",
                "base_impacts": "" if ef3_row is None else f"{ef3[ef3_row]:.4g}",
                "pcf_n": str(len(embodied)),
                "pcf_embodied": f"{statistics.median(embodied):.4g}" if embodied else "",
                "pcf_total": f"{statistics.median(total):.4g}" if total else "",
            }
        )
    with REFERENCES.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=FIELDS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(out)


def fr(value: float | None, digits: int = 0) -> str:
    if value is None:
        return "—"
    text = f"{value:,.{digits}f}".replace(",", "\u202f").replace(".", ",")
    return text


def gap(ours: float, ref: float | None) -> str:
    if ref is None or ref == 0:
        return "—"
    change = round((ours / ref - 1) * 100)
    return "0 %" if change == 0 else f"{change:+d} %".replace("-", "−")


def sobrenum_figures() -> dict[str, tuple[float, float, float, float]]:
    """Per category: (annual, whole life, embodied, lifetime) of one new device in France,
    bought on 1 January of the year before, in its second full year."""
    ref = load()
    codes = [code for code, *_ in ROWS]
    fleet = pa.table(
        {
            "asset_id": codes,
            "category": codes,
            "acquisition_date": [dt.date(YEAR - 1, 1, 1)] * len(codes),
        }
    )
    rows = compute(fleet, ref, Parameters(YEAR)).impacts.to_pyarrow().to_pylist()
    out: dict[str, tuple[float, float, float, float]] = {}
    for code in codes:
        mine = [r for r in rows if r["asset_id"] == code and r["criterion"] == "gwp"]
        out[code] = (
            sum(r["annual"] for r in mine),
            sum(r["whole_life"] for r in mine),
            sum(r["whole_life"] for r in mine if r["phase"] != "use"),
            mine[0]["lifetime_years"],
        )
    return out


def table() -> str:
    with REFERENCES.open(encoding="utf-8") as f:
        refs = {r["category"]: r for r in csv.DictReader(f)}
    ours = sobrenum_figures()

    def num(text: str) -> float | None:
        return float(text) if text else None

    lines = [
        "| catégorie | sobrenum, par an (kgCO2e) | sobrenum, vie entière (kgCO2e) | dont hors usage | durée de vie (ans) | ADEME 2022, hors usage | Base IMPACTS / NegaOctet (Boavizta), fabrication | PCF fabricants : médiane hors usage (n) | PCF fabricants : médiane cycle de vie | écart hors usage / PCF |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for code, _, _, pcf_label, _ in ROWS:
        annual, life, embodied, lifetime = ours[code]
        r = refs[code]
        n = int(r["pcf_n"] or 0)
        pcf = num(r["pcf_embodied"])
        lines.append(
            f"| {CATEGORIES_BY_CODE[code].label_fr} | {fr(annual, 1)} | {fr(life)} | "
            f"{fr(embodied)} | {fr(lifetime, 1)} | {fr(num(r['ademe_embodied']))} | "
            f"{fr(num(r['base_impacts']))} | "
            f"{fr(pcf) + f' ({n})' if pcf is not None else '—'} | {fr(num(r['pcf_total']))} | "
            f"{gap(embodied, pcf)} |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    if "--refresh" in sys.argv:
        refresh()
    print(table(), end="")
