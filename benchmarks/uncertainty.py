"""Speed and accuracy of sobrenum's uncertainty (Monte Carlo) on a synthetic organisation.

    python benchmarks/uncertainty.py [--devices 1000000] [--draws 1000] [--repeat 3]

Measures ``uncertainty(fleet, referential, Parameters(2025), draws=1000)`` on the synthetic
fleet of ``benchmarks/engine.py`` (same generator, same seed): the whole call (validation,
the fleet read once as sums per group, the draws), then its stages. Target: 1,000 draws on
1,000,000 devices in under 5 s on 2 cores.

Then checks what the numbers are worth:

* the deterministic values (every input at its referential value) against the engine's
  ``fp.totals(["category", "phase"])`` (relative difference < 1e-9);
* the lifetime interpolation between nodes (what large fleets use) against the exact
  evaluation of every compressed row at every drawn lifetime (``--no-exact`` skips it).
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import os
import platform
import resource
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import ibis
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from engine import REPORTING_YEAR, referential, synthetic_fleet
from sobrenum.engine import (
    Parameters,
    UncertaintyResult,
    as_fleet_table,
    compute,
    ensure_computable,
)

# The module (the package exports a function of the same name).
unc: Any = importlib.import_module("sobrenum.engine.uncertainty")
TARGET_SECONDS = 5.0


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def timed_runs(fleet: Any, ref: Any, params: Parameters, draws: int, repeat: int) -> dict:
    runs, cpu = [], []
    result = None
    for _ in range(repeat):
        t, c = time.perf_counter(), cpu_seconds()
        result = unc.uncertainty(fleet, ref, params, draws=draws, seed=0)
        runs.append(time.perf_counter() - t)
        cpu.append(cpu_seconds() - c)
    # Stage by stage, on one DuckDB connection.
    con = ibis.duckdb.connect()
    stages: dict[str, float] = {}
    t = time.perf_counter()
    table = ibis.memtable(as_fleet_table(fleet))
    ensure_computable(table, ref)
    stages["validation"] = time.perf_counter() - t
    t = time.perf_counter()
    sums = unc.fleet_sums(table, ref, params, con)
    stages["sums_query"] = time.perf_counter() - t
    t = time.perf_counter()
    unc.simulate(sums, ref, params, draws=draws, seed=0)
    stages["draws"] = time.perf_counter() - t
    con.disconnect()
    return {
        "runs": runs,
        "cpu": cpu,
        "stages": stages,
        "result": result,
        "groups": sums.groups.num_rows,
        "drawn_rows": sums.drawn.num_rows,
    }


def nominal_gap(result: UncertaintyResult, fleet: Any, ref: Any, params: Parameters) -> float:
    fp = compute(fleet, ref, params)
    engine = {
        (r["category"], r["criterion"], r["phase"]): r["annual"]
        for r in fp.totals(["category", "phase"]).to_pylist()
    }
    ours = result.intervals(["category", "phase"]).to_pylist()
    gap = 0.0
    for r in ours:
        theirs = engine[(r["category"], r["criterion"], r["phase"])]
        if theirs:
            gap = max(gap, abs(r["nominal"] - theirs) / abs(theirs))
    return gap


def exact_gap(result: UncertaintyResult, fleet: Any, ref: Any, params: Parameters) -> dict:
    """Nodes + interpolation (the result) against every row evaluated at every draw."""
    budget = unc.EXACT_BUDGET
    unc.EXACT_BUDGET = 10**15
    try:
        t = time.perf_counter()
        exact = unc.uncertainty(fleet, ref, params, draws=result.draws, seed=result.seed)
        seconds = time.perf_counter() - t
    finally:
        unc.EXACT_BUDGET = budget
    scale = np.maximum(np.abs(exact.values).max(axis=1, keepdims=True), 1e-300)
    cell = float((np.abs(result.values - exact.values) / scale).max())
    a = exact.intervals(criteria=["gwp"]).to_pylist()[0]
    b = result.intervals(criteria=["gwp"]).to_pylist()[0]
    return {
        "seconds": seconds,
        "cell": cell,
        "p5": abs(b["p5"] / a["p5"] - 1),
        "median": abs(b["median"] / a["median"] - 1),
        "p95": abs(b["p95"] / a["p95"] - 1),
    }


def fr(x: float, digits: int = 2) -> str:
    return f"{x:,.{digits}f}".replace(",", " ").replace(".", ",")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=1_000_000)
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-exact", action="store_true", help="skip the interpolation check")
    args = parser.parse_args()

    ref, ref_note = referential()
    params = Parameters(REPORTING_YEAR)
    print(f"{dt.date.today().isoformat()} · {platform.python_version()} · {os.cpu_count()} cœurs")
    print(f"Charge moyenne au début : {fr(os.getloadavg()[0])} · {ref_note}")
    t = time.perf_counter()
    fleet = synthetic_fleet(args.devices, ref)
    print(f"Parc synthétique : {args.devices:,} équipements ({fr(time.perf_counter() - t)} s)")

    out = timed_runs(fleet, ref, params, args.draws, args.repeat)
    result: UncertaintyResult = out["result"]
    best, median = min(out["runs"]), statistics.median(out["runs"])
    print(
        f"\nuncertainty(), {args.draws} tirages, {args.repeat} exécutions : meilleure "
        f"{fr(best)} s, médiane {fr(median)} s, CPU {fr(min(out['cpu']))} s"
    )
    print(
        "  étapes : "
        + ", ".join(f"{k} {fr(v)} s" for k, v in out["stages"].items())
        + f" ; {out['groups']} groupes (catégorie × pays), {out['drawn_rows']} lignes "
        "comprimées à durée de vie tirée"
    )
    print(f"  pic mémoire : {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024} Mio")
    total = result.intervals(criteria=["gwp"]).to_pylist()[0]
    print(
        f"  empreinte carbone annuelle : valeur {fr(total['nominal'] / 1000, 0)} t, médiane "
        f"{fr(total['median'] / 1000, 0)} t, intervalle à 90 % "
        f"{fr(total['p5'] / 1000, 0)} – {fr(total['p95'] / 1000, 0)} t"
    )
    top = result.sensitivity("gwp").slice(0, 5).to_pylist()
    print(
        "  premières parts de variance : "
        + ", ".join(f"{r['input_id']} {fr(100 * r['share'], 1)} %" for r in top)
        + f" ; interactions {fr(100 * result.interaction_share('gwp'), 1)} %"
    )
    print(
        f"\nValeurs déterministes contre le moteur : écart relatif max {nominal_gap(result, fleet, ref, params):.1e}"
    )
    if not args.no_exact:
        gap = exact_gap(result, fleet, ref, params)
        print(
            f"Interpolation entre nœuds contre calcul exact ({fr(gap['seconds'])} s) : "
            f"case × tirage {fr(100 * gap['cell'], 3)} % au plus ; total gwp p5 "
            f"{fr(100 * gap['p5'], 4)} %, médiane {fr(100 * gap['median'], 4)} %, p95 "
            f"{fr(100 * gap['p95'], 4)} %"
        )
    print(f"Charge moyenne à la fin : {fr(os.getloadavg()[0])}")
    verdict = "atteint" if best < TARGET_SECONDS else "manqué"
    print(
        f"\nObjectif {args.draws} tirages × {args.devices:,} équipements < {TARGET_SECONDS:g} s : {verdict} ({fr(best)} s)"
    )


if __name__ == "__main__":
    main()
