"""The engine at national scale: 10,000,000 devices of 1,000 organisations, from Parquet.

    python benchmarks/national.py [--devices 10000000] [--parts duckdb,duckdb-1gb,spark,numpy]

Annual footprint, all criteria × phases, totalled by organisation × category × criterion ×
phase (``fp.totals(["organisation_id", "category", "phase"])``), the fleet read from the
Parquet file of ``benchmarks/national_data.py`` (made first if missing). Each part runs in
its own process, so that its peak memory (``ru_maxrss``) is its own:

* ``duckdb``: DuckDB with ``memory_limit`` 6 GB and a spill folder, 2 threads;
* ``duckdb-1gb``: the same with ``memory_limit`` 1 GB, to show the run stays in bounded
  memory (DuckDB spills to disk beyond its limit);
* ``spark``: Apache Spark local mode (``local[2]``), reading the Parquet file itself;
* ``numpy``: a hand-written NumPy kernel of the same arithmetic, streaming the Parquet file by
  batches (per-device weights summed per organisation × category with ``np.bincount``).

Every part's totals must equal DuckDB's (relative difference < 1e-9).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from engine import REPORTING_YEAR, _codes, _days, _floats, _overlap, referential
from national_data import DATA, ORGANISATION_ID, default_path, generate
from sobrenum.domain import CATEGORIES
from sobrenum.domain.vocabulary import Group
from sobrenum.referential import Referential

DAYS_PER_YEAR = 365.2425  # as in sobrenum.engine.compute
RELATIVE_TOLERANCE = 1e-9
TARGET_SECONDS = 20.0
TARGET_PEAK_GIB = 8.0
BY = [ORGANISATION_ID, "category", "phase"]
KEYS = [ORGANISATION_ID, "category", "phase", "criterion"]
PARTS = ("duckdb", "duckdb-1gb", "spark", "numpy")
BATCH_ROWS = 1_000_000


def grouped(x: float) -> str:
    """A whole number with thin spaces between thousands, French style."""
    return f"{x:,.0f}".replace(",", "\u202f")


def max_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_seconds() -> float:
    """User + system time of this process, all its threads (DuckDB's included)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def children_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


# --- the engine on a backend -----------------------------------------------------------------


def run_engine(part: str, path: Path, out: Path) -> dict[str, Any]:
    from sobrenum.engine import Parameters, compute
    from sobrenum.engine.backends import connect, load_fleet

    ref, _ = referential()
    params = Parameters(reporting_year=REPORTING_YEAR)
    steps: dict[str, float] = {}
    t0 = time.perf_counter()
    if part == "spark":
        con = connect("spark", memory_limit="6g", threads=2)
    else:
        limit = "1GB" if part == "duckdb-1gb" else "6GB"
        spill = Path(tempfile.mkdtemp(prefix="sobrenum-spill-", dir=DATA))
        con = connect("duckdb", memory_limit=limit, temp_directory=spill, threads=2)
    steps["démarrage"] = time.perf_counter() - t0
    t = time.perf_counter()
    table = load_fleet(con, path)
    steps["lecture Parquet (vue)"] = time.perf_counter() - t
    t = time.perf_counter()
    fp = compute(table, ref, params, backend=con)
    steps["validation"] = time.perf_counter() - t
    t = time.perf_counter()
    totals = fp.totals(BY)
    steps["totaux"] = time.perf_counter() - t
    wall = time.perf_counter() - t0 - steps["démarrage"]
    pq.write_table(totals, out)
    con.disconnect()
    return {"wall": wall, "steps": steps, "rows": totals.num_rows}


# --- the NumPy kernel ------------------------------------------------------------------------


class Kernel:
    """The engine's arithmetic (linear allocation) by hand, accumulated batch by batch."""

    def __init__(self, ref: Referential) -> None:
        self.ref = ref
        cats = ref.categories.to_pydict()
        self.cat_names: list[str] = cats["category"]
        hosted_codes = {c.code for c in CATEGORIES if c.group == Group.HOSTED}

        def per_category(name: str) -> np.ndarray:
            return np.array([np.nan if v is None else v for v in cats[name]], dtype=np.float64)

        self.default_life = per_category("lifetime_years")
        self.default_power = per_category("power_w")
        self.default_hours = per_category("hours_per_day")
        self.days_per_year = per_category("days_per_year")
        self.default_pue = per_category("pue")
        self.hosted = np.array([c in hosted_codes for c in self.cat_names])
        elec = ref.electricity.to_pydict()
        self.countries = sorted(set(elec["country"]))
        self.criteria = sorted(set(elec["criterion"]))
        self.factor = np.zeros((len(self.countries), len(self.criteria)))
        self.known = np.zeros((len(self.countries), len(self.criteria)), dtype=bool)
        for country, crit, value in zip(
            elec["country"], elec["criterion"], elec["value"], strict=True
        ):
            i, j = self.countries.index(country), self.criteria.index(crit)
            self.factor[i, j], self.known[i, j] = value, True
        self.organisations: list[str] = []
        self.sums: dict[str, np.ndarray] = {}

    def _organisation_codes(self, column: pa.ChunkedArray) -> np.ndarray:
        seen = set(self.organisations)
        self.organisations += [o for o in pc.unique(column).to_pylist() if o not in seen]
        return _codes(column, self.organisations)

    def add(self, batch: pa.Table) -> None:
        n_cat, n_country = len(self.cat_names), len(self.countries)
        org = self._organisation_codes(batch[ORGANISATION_ID])
        cat = _codes(batch["category"], self.cat_names)
        q = np.nan_to_num(_floats(batch["quantity"]), nan=1.0)
        start = _days(batch["acquisition_date"])
        retired_at = _days(batch["retirement_date"])
        has_retired = ~np.isnan(retired_at)

        def coalesce(*arrays: np.ndarray | float) -> np.ndarray:
            out = np.array(arrays[0], dtype=np.float64)
            for other in arrays[1:]:
                gap = np.isnan(out)
                out[gap] = other[gap] if isinstance(other, np.ndarray) else other
            return out

        measured = np.where(
            has_retired, np.maximum((retired_at - start) / DAYS_PER_YEAR, 1.0), np.nan
        )
        lifetime = coalesce(_floats(batch["lifetime_years"]), measured, self.default_life[cat])
        refurbished = np.asarray(
            pc.fill_null(pc.equal(batch["condition"], "refurbished"), False).to_numpy()
        )
        upstream = coalesce(
            _floats(batch["upstream_lifetime_years"]),
            np.where(refurbished, self.default_life[cat], 0.0),
        )
        downstream = np.nan_to_num(_floats(batch["downstream_lifetime_years"]), nan=0.0)
        total_life = upstream + lifetime + downstream
        epoch = dt.date(1970, 1, 1)
        lo = float((dt.date(REPORTING_YEAR, 1, 1) - epoch).days)
        hi = float((dt.date(REPORTING_YEAR + 1, 1, 1) - epoch).days)
        window = _overlap(start, start + lifetime * DAYS_PER_YEAR, lo, hi) / (hi - lo)
        status = pc.fill_null(batch["status"], "in_use")
        in_stock = np.asarray(pc.equal(status, "in_stock").to_numpy())
        is_retired = np.asarray(pc.equal(status, "retired").to_numpy())
        powered_until = np.where(is_retired, np.where(has_retired, retired_at, lo), retired_at)
        powered_until = np.nan_to_num(powered_until, nan=hi)
        use_fraction = np.where(in_stock, 0.0, _overlap(start, powered_until, lo, hi) / (hi - lo))
        power = coalesce(_floats(batch["power_w"]), self.default_power[cat])
        hours = coalesce(_floats(batch["hours_per_day"]), self.default_hours[cat])
        kwh = coalesce(
            _floats(batch["annual_kwh"]), power * hours * self.days_per_year[cat] / 1000.0
        )
        pue_in = _floats(batch["pue"])
        pue = np.where(
            self.hosted[cat],
            coalesce(pue_in, self.default_pue[cat], 1.0),
            coalesce(pue_in, 1.0),
        )
        kwh = kwh * pue
        country = _codes(pc.fill_null(batch["country"], self.ref.default_country), self.countries)
        # Cells sized for 1,000 organisations at most (the dataset's); grown if more appear.
        n_org = max(1_000, len(self.organisations))
        cell = org * n_cat + cat
        energy_cell = cell * n_country + country
        parts = {
            "count": (cell, q, n_org * n_cat),
            "shared": (cell, q * window / total_life, n_org * n_cat),
            "own": (cell, q * window / lifetime, n_org * n_cat),
            "life_share": (cell, q * lifetime / total_life, n_org * n_cat),
            "energy": (energy_cell, q * kwh * use_fraction, n_org * n_cat * n_country),
            "energy_life": (energy_cell, q * kwh * lifetime, n_org * n_cat * n_country),
            "present": (energy_cell, np.ones_like(q), n_org * n_cat * n_country),
        }
        for name, (index, weights, size) in parts.items():
            summed = np.bincount(index, weights=weights, minlength=size)
            old = self.sums.get(name)
            if old is not None and old.size < summed.size:
                old = np.pad(old, (0, summed.size - old.size))
            self.sums[name] = summed if old is None else old + summed

    def totals(self) -> pa.Table:
        n_cat, n_country = len(self.cat_names), len(self.countries)
        n_org = self.sums["count"].size // n_cat
        count = self.sums["count"].reshape(n_org, n_cat)
        shared = self.sums["shared"].reshape(n_org, n_cat)
        own = self.sums["own"].reshape(n_org, n_cat)
        life_share = self.sums["life_share"].reshape(n_org, n_cat)
        org_names = np.array(self.organisations + [""] * (n_org - len(self.organisations)))
        cat_names = np.array(self.cat_names, dtype=object)
        columns: dict[str, list[np.ndarray]] = {k: [] for k in [*KEYS, "annual", "whole_life"]}

        def emit(orgs: np.ndarray, cats: np.ndarray, crit: Any, phase: Any, a: Any, w: Any) -> None:
            size = len(orgs)
            columns[ORGANISATION_ID].append(org_names[orgs])
            columns["category"].append(cat_names[cats])
            columns["criterion"].append(np.broadcast_to(np.asarray(crit, dtype=object), size))
            columns["phase"].append(np.broadcast_to(np.asarray(phase, dtype=object), size))
            columns["annual"].append(np.broadcast_to(a, size).astype(np.float64))
            columns["whole_life"].append(np.broadcast_to(w, size).astype(np.float64))

        fac = self.ref.factors.to_pydict()
        for category, crit, phase, value in zip(
            fac["category"], fac["criterion"], fac["phase"], fac["value"], strict=True
        ):
            c = self.cat_names.index(category)
            orgs = np.nonzero(count[:, c] > 0)[0]
            if phase == "distribution":
                a, w = value * own[orgs, c], value * count[orgs, c]
            else:
                a, w = value * shared[orgs, c], value * life_share[orgs, c]
            emit(orgs, np.full(len(orgs), c), crit, phase, a, w)
        energy = self.sums["energy"].reshape(n_org * n_cat, n_country)
        energy_life = self.sums["energy_life"].reshape(n_org * n_cat, n_country)
        present = self.sums["present"].reshape(n_org * n_cat, n_country) > 0
        annual, whole = energy @ self.factor, energy_life @ self.factor
        exists = (present.astype(np.int64) @ self.known.astype(np.int64)) > 0
        rows, crits = np.nonzero(exists)
        emit(
            rows // n_cat,
            rows % n_cat,
            np.array(self.criteria, dtype=object)[crits],
            "use",
            annual[rows, crits],
            whole[rows, crits],
        )
        return pa.table({k: pa.array(np.concatenate(v)) for k, v in columns.items()})


def run_numpy(path: Path, out: Path) -> dict[str, Any]:
    ref, _ = referential()
    t0 = time.perf_counter()
    kernel = Kernel(ref)
    for batch in pq.ParquetFile(path).iter_batches(batch_size=BATCH_ROWS):
        kernel.add(pa.Table.from_batches([batch]))
    totals = kernel.totals()
    wall = time.perf_counter() - t0
    pq.write_table(totals, out)
    return {"wall": wall, "steps": {}, "rows": totals.num_rows}


# --- comparing and reporting -----------------------------------------------------------------


def keyed(path: Path) -> dict[tuple[str, ...], tuple[float, float]]:
    table = pq.read_table(path)
    cols = [table[k].to_pylist() for k in [*KEYS, "annual", "whole_life"]]
    return {tuple(row[:4]): (row[4] or 0.0, row[5] or 0.0) for row in zip(*cols, strict=True)}


def largest_gap(a: dict[Any, tuple[float, float]], b: dict[Any, tuple[float, float]]) -> float:
    """Largest relative difference; infinity if the key sets differ."""
    if a.keys() != b.keys():
        return float("inf")
    gap = 0.0
    for key, pair in a.items():
        for x, y in zip(pair, b[key], strict=True):
            scale = max(abs(x), abs(y))
            if scale > 0:
                gap = max(gap, abs(x - y) / scale)
    return gap


def part_main(part: str, path: Path, out: Path) -> None:
    cpu = cpu_seconds()
    result = run_numpy(path, out) if part == "numpy" else run_engine(part, path, out)
    result["cpu"] = cpu_seconds() - cpu
    result["peak_mib"] = max_rss_mib()
    result["children_peak_mib"] = children_rss_mib()
    json.dump(result, sys.stdout)


def run_part(part: str, path: Path, out: Path) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, __file__, "--part", part, "--fleet", str(path), "--out", str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"la partie {part} a échoué :\n{done.stderr[-4000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description="Banc d'essai national du moteur")
    parser.add_argument("--devices", type=int, default=10_000_000)
    parser.add_argument("--organisations", type=int, default=1_000)
    parser.add_argument("--parts", default=",".join(PARTS))
    parser.add_argument("--part", choices=PARTS, help=argparse.SUPPRESS)
    parser.add_argument("--fleet", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.part:
        part_main(args.part, args.fleet, args.out)
        return

    n = args.devices
    print(f"Banc d'essai national — {dt.date.today().isoformat()}")
    print(
        f"Machine : {os.cpu_count()} cœur(s), {platform.machine()}, Python "
        f"{platform.python_version()}, "
        f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} Gio de mémoire"
    )
    one, five, _ = os.getloadavg()
    print(f"Charge moyenne au début : {one:.2f} (1 min), {five:.2f} (5 min)")
    t = time.perf_counter()
    path = generate(n, args.organisations, default_path(n))
    print(
        f"Parc : {path.name}, {grouped(n)} équipements, {args.organisations} organisations, "
        f"{path.stat().st_size / 2**20:.0f} Mio ({time.perf_counter() - t:.1f} s)"
    )
    results: dict[str, dict[str, Any]] = {}
    outs: dict[str, Path] = {}
    for part in args.parts.split(","):
        outs[part] = DATA / f"national-totals-{part}-{n}.parquet"
        results[part] = r = run_part(part, path, outs[part])
        steps = ", ".join(f"{k} {v:.2f} s" for k, v in r["steps"].items())
        print(
            f"\n{part} : {r['wall']:.2f} s (CPU du processus {r['cpu']:.1f} s, "
            f"{grouped(n / r['wall'])} équipements/s), "
            f"pic mémoire {r['peak_mib'] / 1024:.2f} Gio (processus Python et moteur en "
            f"processus), {grouped(r['rows'])} lignes de totaux"
        )
        if steps:
            print(f"  étapes : {steps}")
    print()
    reference = "duckdb" if "duckdb" in outs else next(iter(outs))
    base = keyed(outs[reference])
    for part in outs:
        if part != reference:
            gap = largest_gap(keyed(outs[part]), base)
            verdict = "identiques" if gap < RELATIVE_TOLERANCE else "DIFFÉRENTS"
            print(f"Totaux {part} / {reference} : écart relatif max {gap:.1e} ({verdict})")
    if "numpy" in results:
        for part in results:
            if part != "numpy":
                ratio = results[part]["wall"] / results["numpy"]["wall"]
                print(f"Rapport {part} / noyau NumPy : {ratio:.2f}×")
    if "duckdb" in results:
        d = results["duckdb"]
        ok_time, ok_mem = d["wall"] < TARGET_SECONDS, d["peak_mib"] / 1024 < TARGET_PEAK_GIB
        print(
            f"Objectifs DuckDB : {'OK' if ok_time else 'MANQUÉ'} temps < {TARGET_SECONDS:.0f} s, "
            f"{'OK' if ok_mem else 'MANQUÉ'} pic < {TARGET_PEAK_GIB:.0f} Gio"
        )
    one, five, _ = os.getloadavg()
    print(f"Charge moyenne à la fin : {one:.2f} (1 min), {five:.2f} (5 min)")


if __name__ == "__main__":
    main()
