"""Start-up of the command line: ``sobrenum --help`` and ``sobrenum organisation lister``
against the import of Typer and Rich, before and after (results in RESULTS.md).

    .venv/bin/python benchmarks/cli_start.py [--avant c0aa762] [--repetitions 7]

Each command runs in a fresh interpreter (wall time and processor time, user + system, medians
of the repetitions, and the process's peak memory, ``ru_maxrss``); the commands take turns, so
that a change of load weighs on all alike; on a loaded machine the processor time's ratio is
the steadier one. ``--avant`` names a commit whose ``src`` is extracted
(``git archive``) to measure the same commands as they were then, side by side. Python writes
and reuses its bytecode (``__pycache__``) as in an installed package, even when
``PYTHONDONTWRITEBYTECODE`` is set: each command runs once untimed first.
``python -X importtime -c "from sobrenum.cli.main import app"`` shows what is imported.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from io import BytesIO
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

#: Runs ``code`` (with ``sys.argv`` set to the command), then prints its peak memory (KiB).
WRAPPER = """
import resource, sys
def peak():
    sys.stderr.write(f"\\nPEAK {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}\\n")
import atexit; atexit.register(peak)
sys.argv = ["sobrenum", *sys.argv[1:]]
"""
BASELINE = WRAPPER + "import typer, rich\n"
CLI = WRAPPER + "from sobrenum.cli.main import app\napp()\n"


def _cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def run_once(
    code: str, args: list[str], src: Path, env: dict[str, str]
) -> tuple[float, float, int]:
    """Wall time, processor time and peak memory (KiB) of one run in a fresh interpreter."""
    cpu = _cpu()
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", code, *args],
        env=env | {"PYTHONPATH": str(src)},
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - started
    peak = [line for line in done.stderr.splitlines() if line.startswith("PEAK ")]
    if not peak:
        raise SystemExit(f"{args} a échoué :\n{done.stderr[-2000:]}")
    return seconds, _cpu() - cpu, int(peak[-1].split()[1])


def measure(
    cases: dict[str, tuple[str, list[str], Path]], repeat: int, env: dict[str, str]
) -> dict[str, tuple[float, float, int]]:
    """Medians of wall and processor time, and the largest peak, of each case: the cases take
    turns (one run of each, ``repeat`` times), so that a change of load weighs on all alike."""
    runs: dict[str, list[tuple[float, float, int]]] = {name: [] for name in cases}
    for _ in range(repeat):
        for name, (code, args, src) in cases.items():
            runs[name].append(run_once(code, args, src, env))
    return {
        name: (
            statistics.median(r[0] for r in found),
            statistics.median(r[1] for r in found),
            max(r[2] for r in found),
        )
        for name, found in runs.items()
    }


def extract_src(commit: str, folder: Path) -> Path:
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", "--format=tar", commit, "src"],
        capture_output=True,
        check=True,
    ).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(folder, filter="data")
    return folder / "src"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--avant", help="commit de comparaison (src d'alors)")
    parser.add_argument("--repetitions", type=int, default=7)
    options = parser.parse_args()
    data = Path(tempfile.mkdtemp(prefix="sobrenum-cli-start-"))
    env = dict(os.environ) | {"SOBRENUM_DATA": str(data), "COLUMNS": "100"}
    env.pop("SOBRENUM_DATABASE_URL", None)
    # An installed package has its bytecode; without it each run compiles sobrenum's modules.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    trees = {"après": REPO / "src"}
    if options.avant:
        trees = {"avant": extract_src(options.avant, data / "avant")} | trees
    commands = {
        "sobrenum --help": ["--help"],
        "sobrenum organisation lister": ["organisation", "lister"],
    }
    cases: dict[str, tuple[str, list[str], Path]] = {"référence": (BASELINE, [], REPO / "src")}
    cases |= {
        f"{label}|{version}": (CLI, args, src)
        for label, args in commands.items()
        for version, src in trees.items()
    }
    # The database exists and the bytecode is written before the runs are timed: lister
    # measures reading the database, not creating it.
    measure(cases, 1, env)
    found = measure(cases, options.repetitions, env)
    base_time, base_cpu, base_peak = found.pop("référence")
    print(
        f"import typer, rich : {base_time:.3f} s, processeur {base_cpu:.3f} s, "
        f"{base_peak / 1024:.0f} Mio (référence)"
    )
    print(
        f"{'commande':30} {'version':8} {'temps':>8} {'× réf.':>7} {'proc.':>8} {'× réf.':>7} "
        f"{'mémoire':>9} {'× réf.':>7}"
    )
    for name, (seconds, cpu, peak) in found.items():
        label, version = name.split("|")
        print(
            f"{label:30} {version:8} {seconds:7.3f}s {seconds / base_time:6.1f}× "
            f"{cpu:7.3f}s {cpu / base_cpu:6.1f}× "
            f"{peak / 1024:7.0f}Mo {peak / base_peak:6.1f}×"
        )
    print(f"charge moyenne : {os.getloadavg()[0]:.1f} ({os.cpu_count()} cœurs)")


if __name__ == "__main__":
    main()
