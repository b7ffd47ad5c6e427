"""Web app latency: an organisation with 100,000 devices, bounded concurrent load on loopback.

1. Creates a throwaway data folder (SQLite; ``--base postgresql://…`` for PostgreSQL), an
   organisation and its synthetic fleet (``engine.synthetic_fleet``) bulk-imported through
   the store (``apply_import``), an account and an API token.
2. Starts ``sobrenum serve`` (uvicorn) on 127.0.0.1 and a free port, ``--workers`` processes.
3. Times the first footprint request (cold: reads 100,000 devices, runs the engine), then, for
   each endpoint, sends ``--requests`` requests with ``--concurrency`` at once (httpx async
   client), bounded by ``--max-seconds`` per endpoint: footprint API (the dashboard's data),
   a fleet page (50 devices, random offset, sorted by category), a filtered fleet page, and
   the HTML dashboard and fleet pages when the app has them.
4. Prints p50/p95/p99 and throughput, and writes them to benchmarks/RESULTS.md under
   "Application web".

Run: ``python benchmarks/web.py`` (``--devices 20000 --requests 100`` for a quick run).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import platform
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "RESULTS.md"
SECTION = "## Application web"
sys.path.insert(0, str(HERE))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def prepare(folder: Path, url: str | None, devices: int) -> tuple[int, str, float]:
    """Organisation + fleet + token in the store; returns (org id, token, import seconds)."""
    from engine import synthetic_fleet  # benchmarks/engine.py
    from sobrenum.referential import load
    from sobrenum.store import apply_import, create_organisation, open_store
    from sobrenum.store.users import add_api_token, create_user
    from sobrenum.web.security import hash_password, new_api_token

    os.environ["SOBRENUM_DATA"] = str(folder)
    with open_store(url) as store:
        organisation = create_organisation(
            store,
            name="Métropole du banc d'essai",
            type="epci",
            population=450_000,
            staff_count=9_000,
            reporting_year=2025,
        )
        fleet = synthetic_fleet(devices, load())
        started = time.perf_counter()
        apply_import(
            store,
            organisation,
            fleet,
            file_sha256="0" * 64,
            file_name="parc-synthetique.csv",
            inventory_date=dt.date(2025, 12, 31),
        )
        imported = time.perf_counter() - started
        user = create_user(
            store,
            email="banc@exemple.fr",
            password_hash=hash_password("mot de passe du banc"),
            organisation_id=organisation.id,
            role="reader",
        )
        token = new_api_token()
        add_api_token(store, user_id=user.id, name="banc", token=token, actor="banc")
    return organisation.id, token, imported


def start_server(
    folder: Path, url: str | None, port: int, workers: int, *, wait: float = 60.0
) -> subprocess.Popen[str]:
    env = {**os.environ, "SOBRENUM_DATA": str(folder)}
    command = [
        str(Path(sys.executable).with_name("sobrenum")),
        "serve",
        "--hote",
        "127.0.0.1",
        "--port",
        str(port),
        "--processus",
        str(workers),
    ]
    if url:
        command += ["--base", url]
    server = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True
    )
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/connexion", timeout=2)
            return server
        except httpx.TransportError:
            if server.poll() is not None:
                raise SystemExit(  # noqa: B904
                    f"le serveur s'est arrêté : code {server.returncode}"
                )
            time.sleep(0.2)
    server.terminate()
    raise SystemExit(f"le serveur n'a pas démarré en {wait:.0f} s")


async def load(
    base: str,
    token: str,
    paths: list[str],
    requests: int,
    concurrency: int,
    max_seconds: float,
) -> dict[str, Any]:
    """Send ``requests`` GETs (paths drawn in turn), ``concurrency`` at a time."""
    latencies: list[float] = []
    errors = 0
    queue: asyncio.Queue[str] = asyncio.Queue()
    for i in range(requests):
        queue.put_nowait(paths[i % len(paths)])
    deadline = time.monotonic() + max_seconds
    headers = {"Authorization": f"Bearer {token}", "accept": "text/html,application/json"}

    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=30) as client:

        async def worker() -> None:
            nonlocal errors
            while time.monotonic() < deadline:
                try:
                    path = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                started = time.perf_counter()
                response = await client.get(path)
                latencies.append(time.perf_counter() - started)
                if response.status_code != 200:
                    errors += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000

    return {
        "count": len(latencies),
        "errors": errors,
        "p50": pct(0.50),
        "p95": pct(0.95),
        "p99": pct(0.99),
        "mean": statistics.fmean(latencies) * 1000,
        "rps": len(latencies) / elapsed if elapsed else 0.0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=400, help="par point d'accès")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2, help="processus uvicorn")
    parser.add_argument("--max-seconds", type=float, default=60.0, help="par point d'accès")
    parser.add_argument("--base", default=None, help="postgresql://… (SQLite sinon)")
    parser.add_argument("--no-write", action="store_true", help="ne pas écrire RESULTS.md")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="sobrenum-banc-web-"))
    print(f"Préparation : {args.devices} équipements dans {args.base or 'SQLite'}…")
    org_id, token, imported = prepare(folder, args.base, args.devices)
    print(f"  import en base : {imported:.1f} s")
    port = free_port()
    server = start_server(folder, args.base, port, args.workers)
    base = f"http://127.0.0.1:{port}"
    rows: list[tuple[str, dict[str, Any]]] = []
    try:
        headers = {"Authorization": f"Bearer {token}"}
        started = time.perf_counter()
        first = httpx.get(
            f"{base}/api/v1/collectivites/{org_id}/empreinte", headers=headers, timeout=300
        )
        cold = time.perf_counter() - started
        assert first.status_code == 200, first.text
        print(f"  première empreinte (à froid, un processus) : {cold * 1000:.0f} ms")
        rng = random.Random(7)
        offsets = [rng.randrange(0, max(1, args.devices - 50)) for _ in range(50)]
        api = f"/api/v1/collectivites/{org_id}"
        endpoints: dict[str, list[str]] = {
            "API empreinte (données du tableau de bord)": [f"{api}/empreinte"],
            "API parc, page de 50 triée par catégorie": [
                f"{api}/parc?limite=50&tri=category&decalage={o}" for o in offsets
            ],
            "API parc filtré (catégorie + recherche)": [
                f"{api}/parc?limite=50&categorie=laptop&recherche=INV-1",
                f"{api}/parc?limite=50&categorie=monitor&decalage=100",
            ],
        }
        pages = {
            "Page tableau de bord": f"/collectivites/{org_id}",
            "Page parc": f"/collectivites/{org_id}/parc",
        }
        for label, path in pages.items():
            if httpx.get(base + path, headers=headers, timeout=60).status_code == 200:
                endpoints[label] = [path]
        for label, paths in endpoints.items():
            # Warm every worker (each has its own footprint cache).
            for _ in range(args.workers * 2):
                httpx.get(base + paths[0], headers=headers, timeout=300)
            result = asyncio.run(
                load(base, token, paths, args.requests, args.concurrency, args.max_seconds)
            )
            rows.append((label, result))
            print(
                f"  {label} : p50 {result['p50']:.0f} ms, p95 {result['p95']:.0f} ms, "
                f"p99 {result['p99']:.0f} ms, {result['rps']:.0f} req/s, "
                f"{result['count']} requêtes, {result['errors']} erreurs"
            )
    finally:
        server.terminate()
        server.wait(timeout=30)
    if not args.no_write:
        write_results(args, imported, cold, rows)


def write_results(
    args: argparse.Namespace, imported: float, cold: float, rows: list[tuple[str, dict[str, Any]]]
) -> None:
    cores = os.cpu_count()
    load1 = os.getloadavg()[0]
    lines = [
        f"### Application web — {dt.date.today().isoformat()}, {cores} cœurs, "
        f"Python {platform.python_version()}",
        "",
        f"{args.devices} équipements ({'PostgreSQL' if args.base else 'SQLite'}), "
        f"`sobrenum serve` avec {args.workers} processus uvicorn sur 127.0.0.1, client httpx "
        f"asynchrone, {args.concurrency} requêtes simultanées, {args.requests} requêtes par point "
        f"d'accès (authentifiées par jeton d'API). Import en base : {imported:.1f} s ; première "
        f"empreinte à froid : {cold * 1000:.0f} ms. Charge moyenne en fin de banc : {load1:.1f}.",
        "",
        "| point d'accès | requêtes | p50 | p95 | p99 | req/s | erreurs |",
        "|---|---|---|---|---|---|---|",
    ]
    for label, r in rows:
        lines.append(
            f"| {label} | {r['count']} | {r['p50']:.0f} ms | {r['p95']:.0f} ms | "
            f"{r['p99']:.0f} ms | {r['rps']:.0f} | {r['errors']} |"
        )
    block = "\n".join(lines) + "\n"
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# Résultats\n"
    if SECTION not in text:
        text = text.rstrip("\n") + f"\n\n{SECTION}\n\n"
    head, _, tail = text.partition(SECTION)
    following = re.search(r"\n## ", tail)
    section_rest = tail[following.start() :] if following else ""
    text = f"{head}{SECTION}\n\n{block}{section_rest}"
    RESULTS.write_text(text, encoding="utf-8")
    print(f"Résultats écrits dans {RESULTS}")


if __name__ == "__main__":
    main()
