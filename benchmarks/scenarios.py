"""Cost of a scenario projection against one engine run, on the same synthetic fleet.

    python benchmarks/scenarios.py [--devices 1000000] [--years 10]

One process, side by side:

* the engine once: ``compute(fleet, referential, Parameters(2025)).totals(["criterion",
  "phase"])`` (validation included), the reference the issue names;
* a scenario with five levers (longer lifetimes, refurbished purchases, shared printers,
  one screen per workstation, reuse of retired devices) over ``--years`` years after 2025,
  every year computed by the engine (``sobrenum.scenarios.project``);
* the same scenario again on the same fleet, and the contributions of its five levers (six
  projections), as the comparison page runs them: the stored fleet's footprints and the
  compiled queries are shared (``YearEngine``).

Wall and CPU seconds (CPU of all threads: on a loaded machine the wall time waits for it).

Target (issue 13): 1M devices, 10-year horizon, 5 levers under 5 s on 2 cores.
"""

from __future__ import annotations

import argparse
import os
import resource
import time
from collections.abc import Callable
from typing import TypeVar

from engine import REPORTING_YEAR, referential, synthetic_fleet
from sobrenum.engine import Parameters, compute
from sobrenum.scenarios import Scenario, YearEngine, contributions, make_lever, project

TARGET_SECONDS = 5.0
T = TypeVar("T")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--devices", type=int, default=1_000_000)
    parser.add_argument("--years", type=int, default=10)
    args = parser.parse_args()
    ref, note = referential()
    fleet = synthetic_fleet(args.devices, ref)
    start = REPORTING_YEAR
    nxt = start + 1
    scenario = Scenario(
        "Sobriété",
        start,
        start + args.years,
        (
            make_lever("lifetime_extension", 2, nxt),
            make_lever("refurbished_share", 0.3, nxt),
            make_lever("agents_per_printer", 15, nxt),
            make_lever("screens_per_workstation", 1.0, nxt),
            make_lever("reuse_share", 0.5, nxt),
        ),
    )
    staff = args.devices / 2.0

    # Imports and the backend's first connection are paid before timing (by a tiny fleet).
    compute(fleet.slice(0, 10), ref, Parameters(start)).totals(["criterion", "phase"])
    timings: dict[str, tuple[float, float]] = {}

    def timed(name: str, run: Callable[[], T]) -> T:
        wall, cpu = time.perf_counter(), time.process_time()
        out = run()
        timings[name] = (time.perf_counter() - wall, time.process_time() - cpu)
        return out

    engine_rows = timed(
        "moteur, une année (référence)",
        lambda: compute(fleet, ref, Parameters(start)).totals(["criterion", "phase"]),
    )
    runner = YearEngine(ref)
    first = timed(
        "scénario, première projection",
        lambda: project(fleet, ref, scenario, staff, engine=runner),
    )
    timed(
        "projection suivante du même parc",
        lambda: project(fleet, ref, scenario, staff, engine=runner),
    )
    timed(
        "apports des 5 leviers (6 projections)",
        lambda: contributions(fleet, ref, scenario, staff, engine=runner),
    )
    cohorts = runner.base(fleet, start, start + args.years).cohorts.num_rows

    engine_gwp = sum(r["annual"] for r in engine_rows.to_pylist() if r["criterion"] == "gwp")
    gap = abs(first.years[0].gwp - engine_gwp) / engine_gwp
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"Parc : {args.devices:,} équipements ({cohorts:,} cohortes), {note}".replace(",", " "))
    print(f"Horizon : {start}–{start + args.years}, {len(scenario.levers)} leviers")
    print(f"Charge de la machine (1, 5, 15 min) : {load} ; {os.cpu_count()} cœurs")
    print(f"{'':40}{'secondes':>10}{'× moteur':>10}{'s CPU':>10}")
    engine_s = timings["moteur, une année (référence)"][0]
    for name, (wall, cpu) in timings.items():
        print(f"{name:40}{wall:10.2f}{wall / engine_s:10.2f}{cpu:10.2f}")
    projection_s = timings["scénario, première projection"][0]
    verdict = "atteint" if projection_s < TARGET_SECONDS else "NON atteint"
    print(f"Objectif (première projection) : moins de {TARGET_SECONDS:g} s : {verdict}")
    print(
        f"Première année = moteur : écart relatif {gap:.1e} ; pic mémoire {peak:,.0f} Mio".replace(
            ",", " "
        )
    )


if __name__ == "__main__":
    main()
