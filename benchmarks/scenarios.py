"""Cost of a scenario projection against one engine run, on the same synthetic fleet.

    python benchmarks/scenarios.py [--devices 1000000] [--years 10]

One process, side by side:

* the engine once: ``compute(fleet, referential, Parameters(2025)).totals(["criterion",
  "phase"])`` (validation included), the reference the issue names;
* a scenario with five levers (longer lifetimes, refurbished purchases, shared printers,
  one screen per workstation, reuse of retired devices) over ``--years`` years after 2025,
  every year computed by the engine (``sobrenum.scenarios.project``);
* the same scenario again on the same compiled yearly queries (``YearEngine``), as the
  comparison page and the lever contributions run it.

Target (issue 13): 1M devices, 10-year horizon, 5 levers under 5 s on 2 cores.
"""

from __future__ import annotations

import argparse
import resource
import time

from engine import REPORTING_YEAR, referential, synthetic_fleet
from sobrenum.engine import Parameters, compute
from sobrenum.scenarios import Scenario, YearEngine, make_lever, project

TARGET_SECONDS = 5.0


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

    t0 = time.perf_counter()
    engine_rows = compute(fleet, ref, Parameters(start)).totals(["criterion", "phase"])
    engine_s = time.perf_counter() - t0
    runner = YearEngine(ref)
    t0 = time.perf_counter()
    first = project(fleet, ref, scenario, staff, engine=runner)
    projection_s = time.perf_counter() - t0
    cohorts = runner.base(fleet, start, start + args.years).cohorts.num_rows
    t0 = time.perf_counter()
    project(fleet, ref, scenario, staff, engine=runner)
    again_s = time.perf_counter() - t0

    engine_gwp = sum(r["annual"] for r in engine_rows.to_pylist() if r["criterion"] == "gwp")
    gap = abs(first.years[0].gwp - engine_gwp) / engine_gwp
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"Parc : {args.devices:,} équipements ({cohorts:,} cohortes), {note}".replace(",", " "))
    print(f"Horizon : {start}–{start + args.years}, {len(scenario.levers)} leviers")
    print(f"{'':38}{'secondes':>10}{'× moteur':>10}")
    print(f"{'moteur, une année (référence)':38}{engine_s:10.2f}{1.0:10.2f}")
    print(
        f"{'scénario, première projection':38}{projection_s:10.2f}{projection_s / engine_s:10.2f}"
    )
    print(f"{'scénario, requêtes déjà compilées':38}{again_s:10.2f}{again_s / engine_s:10.2f}")
    verdict = "atteint" if projection_s < TARGET_SECONDS else "NON atteint"
    print(f"Objectif : moins de {TARGET_SECONDS:g} s : {verdict}")
    print(
        f"Première année = moteur : écart relatif {gap:.1e} ; pic mémoire {peak:,.0f} Mio".replace(
            ",", " "
        )
    )


if __name__ == "__main__":
    main()
