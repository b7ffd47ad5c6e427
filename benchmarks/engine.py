"""Speed of sobrenum's footprint engine on a synthetic fleet of 1,000,000 devices.

    python benchmarks/engine.py [--devices 1000000] [--repeat 3] [--boavizta-sample 200]

Measures, each part in its own process (so that peak memory is its own):

* the engine: ``compute(fleet, referential, Parameters(2025))`` then
  ``fp.totals(["category", "phase"])`` (all criteria × phases, by category), with a
  breakdown of its stages (Arrow → DuckDB, validation, impacts query);
* a hand-written NumPy kernel doing the same arithmetic on the same Arrow table (per-device
  weights, summed by category with ``np.bincount``, then multiplied by the factors); its totals
  must equal the engine's (relative difference < 1e-9);
* boaviztapi 2.5.0 in-process on a sample of the terminals (``benchmarks/boavizta_bench.py``
  in ``.venv-boavizta``), extrapolated to the whole fleet.

The default referential is used; if it is missing or incomplete, the test referential
``tests/data/referential-mini`` is used instead and the output says so.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sobrenum.domain import CATEGORIES, FLEET_SCHEMA, ReferentialError
from sobrenum.domain.vocabulary import Group
from sobrenum.referential import Referential, check, load

ROOT = Path(__file__).resolve().parents[1]
MINI = ROOT / "tests" / "data" / "referential-mini"
BOAVIZTA_PYTHON = ROOT / ".venv-boavizta" / "bin" / "python"
BOAVIZTA_BENCH = Path(__file__).with_name("boavizta_bench.py")

REPORTING_YEAR = 2025
DAYS_PER_YEAR = 365.2425  # as in sobrenum.engine.compute
RELATIVE_TOLERANCE = 1e-9
TARGET_VS_BOAVIZTA = 200.0
TARGET_VS_NUMPY = 3.0
TARGET_SECONDS_1M = 5.0

#: Share of each category in a local authority's fleet (staff computers and screens first).
CATEGORY_MIX: dict[str, float] = {
    "laptop": 0.28,
    "desktop": 0.14,
    "monitor": 0.24,
    "smartphone": 0.09,
    "tablet": 0.03,
    "thin_client": 0.02,
    "all_in_one": 0.01,
    "ip_phone": 0.05,
    "docking_station": 0.03,
    "printer": 0.015,
    "multifunction_printer": 0.015,
    "video_projector": 0.01,
    "interactive_display": 0.01,
    "tv_display": 0.005,
    "external_hdd": 0.01,
    "usb_key": 0.01,
    "wifi_access_point": 0.01,
    "switch": 0.008,
    "internet_box": 0.004,
    "rack_server": 0.003,
    "tower_server": 0.002,
    "storage_array": 0.001,
    "ups": 0.002,
}
#: Categories boaviztapi computes as user terminals (see boavizta_bench.TERMINALS).
BOAVIZTA_TERMINALS = (
    "laptop",
    "desktop",
    "monitor",
    "smartphone",
    "tablet",
    "tv_display",
    "internet_box",
    "external_hdd",
    "external_ssd",
    "usb_key",
)
OTHER_COUNTRIES = ("BEL", "DEU", "ESP")


# --- the referential -----------------------------------------------------------------------


def referential() -> tuple[Referential, str]:
    """The default referential, or the mini test one (with the reason) if it cannot be used."""
    try:
        ref = load()
    except ReferentialError as exc:
        return load(MINI), f"référentiel par défaut inutilisable ({exc}) : référentiel de test"
    problems = check(ref)
    if problems:
        return load(MINI), (
            f"référentiel par défaut incomplet ({len(problems)} problème(s), dont « "
            f"{problems[0]} ») : référentiel de test tests/data/referential-mini"
        )
    return ref, f"référentiel par défaut {ref.version}"


# --- the synthetic fleet -------------------------------------------------------------------


def synthetic_fleet(n: int, ref: Referential, seed: int = 20251) -> pa.Table:
    """``n`` devices: realistic category mix, ages up to 10 years, a few sites and services.

    Most optional columns are empty (the referential's defaults apply), as in real inventories;
    a few devices carry their own lifetime, power, country, a retirement or a second life.
    """
    rng = np.random.default_rng(seed)
    known = set(ref.categories["category"].to_pylist())
    mix = {c: w for c, w in CATEGORY_MIX.items() if c in known}
    names = np.array(list(mix), dtype=object)
    weights = np.array(list(mix.values()))
    category = names[rng.choice(len(names), size=n, p=weights / weights.sum())]

    end = (dt.date(REPORTING_YEAR, 12, 31) - dt.date(1970, 1, 1)).days
    age = np.minimum(rng.exponential(3.0 * 365, size=n), 10 * 365).astype(np.int32)
    acquired = end - age
    u = rng.random(n)
    status = np.full(n, None, dtype=object)
    status[u < 0.03] = "in_stock"
    retired = (u >= 0.03) & (u < 0.05)
    status[retired] = "retired"
    retired_at = acquired + (rng.random(n) * age).astype(np.int32)
    condition = np.full(n, None, dtype=object)
    condition[rng.random(n) < 0.05] = "refurbished"

    def sometimes(share: float, values: np.ndarray) -> pa.Array:
        return pa.array(values, mask=rng.random(n) >= share, type=pa.float64())

    country = np.full(n, "FRA", dtype=object)
    elsewhere = rng.random(n) < 0.02
    country[elsewhere] = rng.choice(np.array(OTHER_COUNTRIES, dtype=object), size=elsewhere.sum())
    country[rng.random(n) < 0.3] = None  # the referential's default country
    columns: dict[str, pa.Array] = {
        "asset_id": pc.binary_join_element_wise(
            "INV-", pc.cast(pa.array(np.arange(n)), pa.string()), ""
        ),
        "category": pa.array(category, type=pa.string()),
        "quantity": pa.array(np.ones(n, dtype=np.int64)),
        "acquisition_date": pa.array(acquired, type=pa.int32()).cast(pa.date32()),
        "retirement_date": pa.array(retired_at, type=pa.int32(), mask=~retired).cast(pa.date32()),
        "status": pa.array(status, type=pa.string()),
        "condition": pa.array(condition, type=pa.string()),
        "lifetime_years": sometimes(0.1, rng.uniform(3, 9, n).round(1)),
        "downstream_lifetime_years": sometimes(0.03, rng.uniform(1, 3, n).round(1)),
        "site": pa.array(rng.choice([f"Site {i:02d}" for i in range(1, 13)], n)),
        "department": pa.array(rng.choice([f"Service {i:02d}" for i in range(1, 21)], n)),
        "country": pa.array(country, type=pa.string()),
        "power_w": sometimes(0.05, rng.uniform(5, 120, n).round(1)),
        "hours_per_day": sometimes(0.05, rng.uniform(1, 10, n).round(1)),
    }
    return pa.table(
        [columns[f.name] if f.name in columns else pa.nulls(n, f.type) for f in FLEET_SCHEMA],
        schema=FLEET_SCHEMA,
    )


# --- the engine ----------------------------------------------------------------------------


def rows_of(totals: pa.Table) -> list[list[Any]]:
    return [
        [r["category"], r["criterion"], r["phase"], r["annual"], r["whole_life"]]
        for r in totals.to_pylist()
    ]


def run_engine(fleet: pa.Table, ref: Referential, repeat: int) -> dict[str, Any]:
    import ibis

    from sobrenum.engine import Parameters, as_fleet_table, compute

    params = Parameters(reporting_year=REPORTING_YEAR)
    by = ["category", "phase"]
    # The public call, timed whole.
    runs, cpu = [], []
    result = None
    for _ in range(repeat):
        t, c = time.perf_counter(), cpu_seconds()
        fp = compute(fleet, ref, params)
        result = fp.totals(by)
        runs.append(time.perf_counter() - t)
        cpu.append(cpu_seconds() - c)
        fp.backend.disconnect()
    assert result is not None
    # Stage by stage: compute() also accepts a table expression (here the same Arrow view).
    con = ibis.duckdb.connect()
    stages: dict[str, float] = {}
    t = time.perf_counter()
    table = ibis.memtable(as_fleet_table(fleet))
    stages["arrow_view"] = time.perf_counter() - t
    t = time.perf_counter()
    fp = compute(table, ref, params, backend=con)
    stages["validation"] = time.perf_counter() - t
    t = time.perf_counter()
    fp.totals(by)
    stages["totals_query"] = time.perf_counter() - t
    # The same sums through the per-device table (one row per device × criterion × phase).
    imp = fp.impacts
    keys = [*by, "criterion"]
    detailed = imp.group_by(keys).aggregate(
        annual=imp.annual.sum(), whole_life=imp.whole_life.sum()
    )
    t = time.perf_counter()
    detailed_rows = rows_of(con.to_pyarrow(detailed))
    stages["per_device_table_query"] = time.perf_counter() - t
    impact_rows = int(con.execute(imp.count()))
    con.disconnect()
    return {
        "runs": runs,
        "cpu": cpu,
        "stages": stages,
        "totals": rows_of(result),
        "detailed_totals": detailed_rows,
        "impact_rows": impact_rows,
    }


# --- the NumPy kernel ----------------------------------------------------------------------


def _floats(column: pa.ChunkedArray) -> np.ndarray:
    """Float64 values with NaN for nulls."""
    return np.asarray(pc.fill_null(column.cast(pa.float64()), np.nan).to_numpy())


def _days(column: pa.ChunkedArray) -> np.ndarray:
    """Days since 1970-01-01 as floats, NaN for nulls."""
    return _floats(column.cast(pa.int32()))


def _codes(column: pa.ChunkedArray, values: list[str]) -> np.ndarray:
    return np.asarray(
        pc.index_in(column, value_set=pa.array(values)).to_numpy(zero_copy_only=False)
    )


def _overlap(start: np.ndarray, end: np.ndarray, lo: float, hi: float) -> np.ndarray:
    overlap: np.ndarray = np.maximum(np.minimum(end, hi) - np.maximum(start, lo), 0.0)
    return overlap


def numpy_kernel(fleet: pa.Table, ref: Referential) -> list[list[Any]]:
    """The engine's arithmetic (linear allocation), written by hand with NumPy.

    Per device: lifetime, weights of the embodied phases, energy of the year. The weights are
    summed by category (and by category × country for the energy) before being multiplied by
    the factors: the same sums, in a different order.
    """
    cats = ref.categories.to_pydict()
    cat_names: list[str] = cats["category"]
    hosted_codes = {c.code for c in CATEGORIES if c.group == Group.HOSTED}
    n_cat = len(cat_names)

    def per_category(name: str) -> np.ndarray:
        return np.array([np.nan if v is None else v for v in cats[name]], dtype=np.float64)

    default_life, default_power = per_category("lifetime_years"), per_category("power_w")
    default_hours, days_per_year = per_category("hours_per_day"), per_category("days_per_year")
    default_pue = per_category("pue")
    hosted = np.array([c in hosted_codes for c in cat_names])

    cat = _codes(fleet["category"], cat_names)
    q = np.nan_to_num(_floats(fleet["quantity"]), nan=1.0)
    start = _days(fleet["acquisition_date"])
    retired_at = _days(fleet["retirement_date"])
    has_retired = ~np.isnan(retired_at)

    def coalesce(*arrays: np.ndarray | float) -> np.ndarray:
        out = np.array(arrays[0], dtype=np.float64)
        for other in arrays[1:]:
            gap = np.isnan(out)
            out[gap] = other[gap] if isinstance(other, np.ndarray) else other
        return out

    measured = np.where(has_retired, np.maximum((retired_at - start) / DAYS_PER_YEAR, 1.0), np.nan)
    lifetime = coalesce(_floats(fleet["lifetime_years"]), measured, default_life[cat])
    refurbished = np.asarray(
        pc.fill_null(pc.equal(fleet["condition"], "refurbished"), False).to_numpy()
    )
    upstream = coalesce(
        _floats(fleet["upstream_lifetime_years"]),
        np.where(refurbished, default_life[cat], 0.0),
    )
    downstream = np.nan_to_num(_floats(fleet["downstream_lifetime_years"]), nan=0.0)
    total_life = upstream + lifetime + downstream

    epoch = dt.date(1970, 1, 1)
    lo = float((dt.date(REPORTING_YEAR, 1, 1) - epoch).days)
    hi = float((dt.date(REPORTING_YEAR + 1, 1, 1) - epoch).days)
    window = _overlap(start, start + lifetime * DAYS_PER_YEAR, lo, hi) / (hi - lo)
    shared_weight = window / total_life
    own_weight = window / lifetime

    status = pc.fill_null(fleet["status"], "in_use")
    in_stock = np.asarray(pc.equal(status, "in_stock").to_numpy())
    is_retired = np.asarray(pc.equal(status, "retired").to_numpy())
    powered_until = np.where(is_retired, np.where(has_retired, retired_at, lo), retired_at)
    powered_until = np.nan_to_num(powered_until, nan=hi)
    use_fraction = np.where(in_stock, 0.0, _overlap(start, powered_until, lo, hi) / (hi - lo))

    power = coalesce(_floats(fleet["power_w"]), default_power[cat])
    hours = coalesce(_floats(fleet["hours_per_day"]), default_hours[cat])
    kwh = coalesce(_floats(fleet["annual_kwh"]), power * hours * days_per_year[cat] / 1000.0)
    pue_in = _floats(fleet["pue"])
    pue = np.where(hosted[cat], coalesce(pue_in, default_pue[cat], 1.0), coalesce(pue_in, 1.0))
    kwh = kwh * pue

    # Embodied phases: sums of weights by category, then × factor.
    count = np.bincount(cat, weights=q, minlength=n_cat)
    shared = np.bincount(cat, weights=q * shared_weight, minlength=n_cat)
    own = np.bincount(cat, weights=q * own_weight, minlength=n_cat)
    life_share = np.bincount(cat, weights=q * lifetime / total_life, minlength=n_cat)
    fac = ref.factors.to_pydict()
    f_cat = np.array([cat_names.index(c) for c in fac["category"]], dtype=np.int64)
    f_value = np.array(fac["value"], dtype=np.float64)
    f_own = np.array([p == "distribution" for p in fac["phase"]])
    f_annual = f_value * np.where(f_own, own[f_cat], shared[f_cat])
    f_whole = f_value * np.where(f_own, count[f_cat], life_share[f_cat])
    rows: list[list[Any]] = [
        [cat_names[c], crit, phase, float(a), float(w)]
        for c, crit, phase, a, w in zip(
            f_cat, fac["criterion"], fac["phase"], f_annual, f_whole, strict=True
        )
        if count[c] > 0
    ]

    # Use: energy by category × country, then × the countries' factors (matrix product).
    elec = ref.electricity.to_pydict()
    countries = sorted(set(elec["country"]))
    criteria = sorted(set(elec["criterion"]))
    factor = np.zeros((len(countries), len(criteria)))
    known = np.zeros((len(countries), len(criteria)), dtype=bool)
    for country_code, crit, value in zip(
        elec["country"], elec["criterion"], elec["value"], strict=True
    ):
        i, j = countries.index(country_code), criteria.index(crit)
        factor[i, j], known[i, j] = value, True
    country = _codes(pc.fill_null(fleet["country"], ref.default_country), countries)
    cell = cat * len(countries) + country
    size = n_cat * len(countries)
    energy = np.bincount(cell, weights=q * kwh * use_fraction, minlength=size)
    energy_life = np.bincount(cell, weights=q * kwh * lifetime, minlength=size)
    present = np.bincount(cell, minlength=size).reshape(n_cat, len(countries)) > 0
    annual = energy.reshape(n_cat, -1) @ factor
    whole = energy_life.reshape(n_cat, -1) @ factor
    exists = (present.astype(np.int64) @ known.astype(np.int64)) > 0
    for c, j in zip(*np.nonzero(exists), strict=True):
        rows.append([cat_names[c], criteria[j], "use", float(annual[c, j]), float(whole[c, j])])
    return rows


def run_numpy(fleet: pa.Table, ref: Referential, repeat: int) -> dict[str, Any]:
    runs, cpu, rows = [], [], []
    for _ in range(repeat):
        t, c = time.perf_counter(), cpu_seconds()
        rows = numpy_kernel(fleet, ref)
        runs.append(time.perf_counter() - t)
        cpu.append(cpu_seconds() - c)
    return {"runs": runs, "cpu": cpu, "totals": rows}


# --- comparing, boaviztapi, report ---------------------------------------------------------


def largest_gap(ours: list[list[Any]], theirs: list[list[Any]]) -> tuple[float, list[str]]:
    """Largest relative difference between two totals tables, and the keys in only one."""
    a = {tuple(r[:3]): r[3:] for r in ours}
    b = {tuple(r[:3]): r[3:] for r in theirs}
    lonely = sorted(" / ".join(k) for k in set(a) ^ set(b))
    gap = 0.0
    for key in set(a) & set(b):
        for x, y in zip(a[key], b[key], strict=True):
            x, y = x or 0.0, y or 0.0
            scale = max(abs(x), abs(y))
            if scale > 0:
                gap = max(gap, abs(x - y) / scale)
    return gap, lonely


def boavizta_sample(fleet: pa.Table, ref: Referential, size: int, seed: int) -> dict[str, Any]:
    """``size`` terminals of the fleet, with their parameters as boaviztapi takes them."""
    terminals = fleet.filter(pc.is_in(fleet["category"], pa.array(BOAVIZTA_TERMINALS)))
    rng = np.random.default_rng(seed)
    picked = terminals.take(rng.choice(terminals.num_rows, size=size, replace=False))
    defaults = {r["category"]: r for r in ref.categories.to_pylist()}
    devices = []
    for row in picked.to_pylist():
        d = defaults[row["category"]]
        devices.append(
            {
                "category": row["category"],
                "avg_power_w": row["power_w"] or d["power_w"],
                "use_time_ratio": (row["hours_per_day"] or d["hours_per_day"]) / 24,
                "hours_life_time": (row["lifetime_years"] or d["lifetime_years"]) * 8760,
                "usage_location": row["country"] or ref.default_country,
            }
        )
    criteria = sorted(set(ref.factors["criterion"].to_pylist()))
    return {"criteria": criteria, "duration_hours": 8760, "devices": devices}


def run_boavizta(sample: dict[str, Any]) -> dict[str, Any] | None:
    if not BOAVIZTA_PYTHON.exists():
        return None
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(sample, handle)
    try:
        done = subprocess.run(
            [str(BOAVIZTA_PYTHON), str(BOAVIZTA_BENCH), handle.name],
            capture_output=True,
            text=True,
            check=True,
            timeout=1800,
        )
    finally:
        os.unlink(handle.name)
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def cpu_seconds() -> float:
    """User + system time of this process, all its threads (DuckDB's included)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def max_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@dataclass
class Part:
    runs: list[float]
    cpu: list[float]
    totals: list[list[Any]]
    base_mib: float
    peak_mib: float
    stages: dict[str, float] | None = None
    detailed_totals: list[list[Any]] | None = None
    impact_rows: int | None = None


def run_part(part: str, devices: int, repeat: int) -> Part:
    """Run one part in a fresh process, so its peak memory is its own."""
    done = subprocess.run(
        [
            sys.executable,
            __file__,
            "--part",
            part,
            "--devices",
            str(devices),
            "--repeat",
            str(repeat),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"la partie {part} a échoué :\n{done.stderr}")
    out = json.loads(done.stdout)
    return Part(
        out["runs"],
        out["cpu"],
        out["totals"],
        out["base_mib"],
        out["peak_mib"],
        out.get("stages"),
        out.get("detailed_totals"),
        out.get("impact_rows"),
    )


def part_main(part: str, devices: int, repeat: int) -> None:
    ref, _ = referential()
    fleet = synthetic_fleet(devices, ref)
    base = max_rss_mib()
    out = run_engine(fleet, ref, repeat) if part == "engine" else run_numpy(fleet, ref, repeat)
    out.update(base_mib=base, peak_mib=max_rss_mib())
    json.dump(out, sys.stdout)


def grouped(x: float) -> str:
    """A whole number with thin spaces between thousands, French style."""
    return f"{x:,.0f}".replace(",", "\u202f")


def fmt_s(seconds: float) -> str:
    return f"{seconds:.3f} s" if seconds < 100 else f"{grouped(seconds)} s"


def runs_text(part: Part) -> str:
    return ", ".join(
        f"{fmt_s(w)} (CPU {c:.2f} s)" for w, c in zip(part.runs, part.cpu, strict=True)
    )


def load_text() -> str:
    one, five, _ = os.getloadavg()
    return f"charge moyenne {one:.2f} (1 min), {five:.2f} (5 min)"


def main() -> None:
    parser = argparse.ArgumentParser(description="Banc d'essai du moteur d'empreinte")
    parser.add_argument("--devices", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--boavizta-sample", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--part", choices=["engine", "numpy"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.part:
        part_main(args.part, args.devices, args.repeat)
        return

    n = args.devices
    ref, ref_note = referential()
    print(f"Banc d'essai du moteur — {dt.date.today().isoformat()}")
    print(
        f"Machine : {os.cpu_count()} cœur(s), {platform.machine()}, Python "
        f"{platform.python_version()}"
    )
    print(f"Référentiel : {ref_note}")
    print(f"Au début : {load_text()} — au-delà du nombre de cœurs, les temps sont gonflés")
    t = time.perf_counter()
    fleet = synthetic_fleet(n, ref)
    print(f"Parc synthétique : {grouped(n)} équipements générés en {time.perf_counter() - t:.2f} s")

    engine = run_part("engine", n, args.repeat)
    kernel = run_part("numpy", n, args.repeat)
    best_engine, best_kernel = min(engine.runs), min(kernel.runs)
    print("\nMoteur sobrenum (compute + totals par catégorie × critère × phase) :")
    print("  exécutions : " + runs_text(engine))
    print(
        f"  meilleure  : {fmt_s(best_engine)}, soit {grouped(n / best_engine)} équipements/s "
        f"(médiane {fmt_s(statistics.median(engine.runs))})"
    )
    print(
        f"  mémoire    : pic {engine.peak_mib:.0f} Mio (dont {engine.base_mib:.0f} Mio pour le parc généré)"
    )
    assert engine.stages is not None
    print("  étapes     : " + ", ".join(f"{k} {v:.3f} s" for k, v in engine.stages.items()))
    if engine.detailed_totals is not None:
        gap_detail, _ = largest_gap(engine.totals, engine.detailed_totals)
        print(
            f"  table détaillée fp.impacts : {grouped(engine.impact_rows or 0)} lignes, "
            f"sommées en {engine.stages['per_device_table_query']:.3f} s (écart avec totals "
            f"{gap_detail:.1e})"
        )
    print("\nNoyau NumPy écrit à la main (même arithmétique) :")
    print("  exécutions : " + runs_text(kernel))
    print(
        f"  meilleure  : {fmt_s(best_kernel)}, soit {grouped(n / best_kernel)} équipements/s "
        f"(médiane {fmt_s(statistics.median(kernel.runs))})"
    )
    print(
        f"  mémoire    : pic {kernel.peak_mib:.0f} Mio (dont {kernel.base_mib:.0f} Mio pour le parc généré)"
    )
    gap, lonely = largest_gap(engine.totals, kernel.totals)
    same = gap < RELATIVE_TOLERANCE and not lonely
    print(
        f"  totaux     : {len(engine.totals)} lignes, écart relatif max {gap:.1e} "
        f"({'identiques' if same else 'DIFFÉRENTS'} au seuil {RELATIVE_TOLERANCE:g})"
    )
    if lonely:
        print(f"  lignes présentes d'un seul côté : {lonely[:10]}")

    boavizta = None
    if args.boavizta_sample:
        boavizta = run_boavizta(boavizta_sample(fleet, ref, args.boavizta_sample, args.seed))
    print("\nboaviztapi 2.5.0 en processus (terminaux seulement, un équipement après l'autre) :")
    if boavizta is None:
        print("  non mesuré : .venv-boavizta absent (make boavizta)")
    else:
        per_device = boavizta["ms_per_device"] / 1000
        print(
            f"  échantillon : {boavizta['devices']} équipements, {len(boavizta['criteria'])} "
            f"critères, {boavizta['ms_per_device']:.2f} ms par équipement"
        )
        print(
            f"  extrapolé à {grouped(n)} équipements : {fmt_s(per_device * n)} sur 1 cœur, "
            f"{fmt_s(per_device * n / 2)} au mieux sur 2 (extrapolation, non mesuré)"
        )

    print(f"\nÀ la fin : {load_text()}")
    print("\nObjectifs (meilleure exécution) :")
    verdicts = []

    def verdict(label: str, ok: bool, detail: str) -> None:
        verdicts.append(ok)
        print(f"  [{'OK' if ok else 'MANQUÉ'}] {label} : {detail}")

    if boavizta is not None:
        ratio = (boavizta["ms_per_device"] / 1000) / (best_engine / n)
        verdict(
            f"débit ≥ {TARGET_VS_BOAVIZTA:.0f}× boaviztapi",
            ratio >= TARGET_VS_BOAVIZTA,
            f"{grouped(ratio)}× (1 processus boaviztapi ; {grouped(ratio / 2)}× contre 2 processus)",
        )
    verdict(
        f"moteur ≤ {TARGET_VS_NUMPY:.0f}× le noyau NumPy",
        best_engine <= TARGET_VS_NUMPY * best_kernel,
        f"{best_engine / best_kernel:.1f}×",
    )
    if n >= 1_000_000:
        verdict(
            f"{grouped(n)} équipements en moins de {TARGET_SECONDS_1M:.0f} s",
            best_engine < TARGET_SECONDS_1M,
            fmt_s(best_engine),
        )
    verdict("totaux du moteur = totaux NumPy", same, f"écart {gap:.1e}")


if __name__ == "__main__":
    main()
