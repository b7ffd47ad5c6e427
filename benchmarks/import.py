"""Import throughput: sobrenum's read + map + validate against pandas + openpyxl.

Writes benchmarks/_data/parc-200k.xlsx (200,000 rows, title rows, a totals row, messy
labels and dates) and benchmarks/_data/parc-1m.csv (1,000,000 rows, Windows-1252, ``;``,
decimal commas), then times, each in a fresh process so that its peak RSS is its own:

- sobrenum ``load_inventory`` on the xlsx and on the CSV (read, map, validate);
- pandas ``read_excel(engine="openpyxl")`` on the same xlsx (reading only: the baseline
  does less work than sobrenum).

Prints the figures and appends them to benchmarks/RESULTS.md under "Import".
Run: ``python benchmarks/import.py`` (``--rows-xlsx``/``--rows-csv`` to change sizes).
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing as mp
import os
import platform
import random
import resource
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DATA = HERE / "_data"
RESULTS = HERE / "RESULTS.md"

TYPES = [
    "PC portable",
    "UC",
    'Écran 24"',
    "Ecran",
    "Smartphone",
    "Téléphone IP",
    "Copieur",
    "Imprimante",
    "Tablette",
    "VPI",
    "ENI",
    "Borne WiFi",
    "Switch",
    "Serveur",
    "Client léger",
    "Station d'accueil",
    "PORTABLE",
    "unité centrale",
]
BRANDS = ["HP", "dell", "Lenovo", "HEWLETT-PACKARD", "apple", "Samsung", "epson", "Brother"]
MODELS = [
    "Latitude 5420",
    "OptiPlex 7090",
    "EliteBook 840 G8",
    "ThinkPad T14",
    "P2422H",
    "iPhone SE",
    "T54W",
    "IM C3000",
    "iPad 9",
    "EB-W06",
    "PowerEdge R740",
]
STATUSES = ["En service", "En service", "En service", "En stock", "Réformé", "HS"]
SITES = ["Hôtel de Ville", "Médiathèque", "Centre technique", "École Jules-Ferry", "CCAS"]
SERVICES = ["DSI", "Finances", "État civil", "Éducation", "Sports", "Culture"]
HEADER = [
    "N° inventaire",
    "Type de matériel",
    "Marque",
    "Modèle",
    "Date d'achat",
    "Service",
    "Site",
    "Statut",
    "Reconditionné",
    "Puissance (W)",
]


def _date_text(rng: random.Random) -> str:
    year = rng.randint(2012, 2025)
    form = rng.randrange(6)
    if form == 0:
        return str(year)
    if form == 1:
        return f"{rng.randint(1, 12):02d}/{year}"
    if form == 2:
        return "inconnue"
    return f"{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/{year}"


def _row(rng: random.Random, i: int) -> list[str]:
    return [
        f"INV-{i:07d}",
        rng.choice(TYPES),
        rng.choice(BRANDS),
        rng.choice(MODELS),
        _date_text(rng),
        rng.choice(SERVICES),
        rng.choice(SITES),
        rng.choice(STATUSES),
        rng.choice(["Oui", "Non", "Non", "Non"]),
        f"{rng.randint(5, 400)},{rng.randint(0, 9)}",
    ]


def write_xlsx(path: Path, rows: int) -> None:
    import xlsxwriter

    rng = random.Random(42)
    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = workbook.add_worksheet("Parc informatique")
    date_format = workbook.add_format({"num_format": "dd/mm/yyyy"})
    sheet.write(0, 0, "Ville de Benchmark — inventaire du parc informatique")
    sheet.write(1, 0, "Document de travail DSI")
    sheet.write_row(3, 0, HEADER)
    for i in range(rows):
        values = _row(rng, i)
        r = 4 + i
        for c, value in enumerate(values):
            if c == 4 and i % 3 == 0:
                sheet.write_datetime(r, c, dt.datetime(rng.randint(2012, 2025), 3, 4), date_format)
            else:
                sheet.write_string(r, c, value)
    sheet.write_row(4 + rows + 1, 0, ["TOTAL", str(rows)])
    workbook.close()


def write_csv(path: Path, rows: int) -> None:
    rng = random.Random(7)
    with path.open("w", encoding="cp1252", newline="") as fh:
        fh.write("Inventaire du parc — export du logiciel de gestion\r\n")
        fh.write(";".join(HEADER) + "\r\n")
        for i in range(rows):
            fh.write(";".join(_row(rng, i)).replace('"', "''") + "\r\n")


def _measure(kind: str, path: str, queue: Any) -> None:
    # Imports are a process start cost, not throughput: done before the clock starts. pyarrow
    # imports pandas on its first pa.array() when pandas is installed, so warm that too.
    import pandas as pd
    import pyarrow as pa

    from sobrenum.inventory import load_inventory

    pa.array([1])
    start = time.perf_counter()
    if kind == "pandas-openpyxl":
        frame = pd.read_excel(path, engine="openpyxl", header=3, dtype=str)
        rows = len(frame)
    else:
        result = load_inventory(path, 2025, {"laptop": 5.0, "desktop": 6.0})
        rows = result.rows_read
        assert result.rows_accepted + result.rows_rejected == result.rows_read
    elapsed = time.perf_counter() - start
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    queue.put((rows, elapsed, peak_kib / 1024))


def measure(kind: str, path: Path) -> tuple[int, float, float]:
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    process = ctx.Process(target=_measure, args=(kind, str(path), queue))
    process.start()
    rows, elapsed, peak = queue.get()
    process.join()
    return int(rows), float(elapsed), float(peak)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows-xlsx", type=int, default=200_000)
    parser.add_argument("--rows-csv", type=int, default=1_000_000)
    parser.add_argument("--no-pandas", action="store_true", help="skip the slow baseline")
    parser.add_argument("--no-write", action="store_true", help="do not append to RESULTS.md")
    args = parser.parse_args(argv)
    DATA.mkdir(parents=True, exist_ok=True)
    xlsx = DATA / f"parc-{args.rows_xlsx}.xlsx"
    csv = DATA / f"parc-{args.rows_csv}.csv"
    if not xlsx.exists():
        print(f"écriture de {xlsx.name}…", flush=True)
        write_xlsx(xlsx, args.rows_xlsx)
    if not csv.exists():
        print(f"écriture de {csv.name}…", flush=True)
        write_csv(csv, args.rows_csv)

    lines = []
    figures: dict[str, tuple[int, float, float]] = {}
    runs = [("sobrenum-xlsx", "sobrenum", xlsx), ("sobrenum-csv", "sobrenum", csv)]
    if not args.no_pandas:
        runs.append(("pandas-openpyxl-xlsx", "pandas-openpyxl", xlsx))
    for label, kind, path in runs:
        rows, elapsed, peak = measure(kind, path)
        figures[label] = (rows, elapsed, peak)
        line = (
            f"| {label} | {path.name} ({path.stat().st_size / 2**20:.0f} Mio) | {rows:,} | "
            f"{elapsed:.2f} s | {rows / elapsed:,.0f} | {peak:,.0f} Mio |"
        ).replace(",", " ")
        print(line, flush=True)
        lines.append(line)
    if "pandas-openpyxl-xlsx" in figures:
        ratio = figures["pandas-openpyxl-xlsx"][1] / figures["sobrenum-xlsx"][1]
        lines.append("")
        lines.append(
            f"sobrenum (lecture + correspondance + validation) est {ratio:.1f} fois plus "
            "rapide que pandas + openpyxl (lecture seule) sur le même xlsx."
        )
        print(lines[-1])
    if not args.no_write:
        header = [
            "",
            f"### Import — {dt.date.today():%Y-%m-%d}, {os.cpu_count()} cœurs, "
            f"Python {platform.python_version()}",
            "",
            "| mesure | fichier | lignes | durée | lignes/s | pic mémoire (RSS) |",
            "|---|---|---|---|---|---|",
        ]
        existing = (
            RESULTS.read_text(encoding="utf-8")
            if RESULTS.exists()
            else "# Résultats des bancs d'essai\n"
        )
        if "\n## Import\n" not in existing:
            existing = existing.rstrip("\n") + "\n\n## Import\n"
        RESULTS.write_text(
            existing.rstrip("\n") + "\n" + "\n".join(header + lines) + "\n", encoding="utf-8"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
