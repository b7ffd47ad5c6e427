"""Mixed concurrent load on loopback: nothing freezes, nothing answers 5xx, nothing is slow.

1. A throwaway data folder (SQLite by default, ``--base postgresql://…``): an organisation,
   a synthetic fleet inventoried on 1 March 2024 and 1 March 2025 (so 2024 and 2025 both
   have a fleet), an admin's API token, a second member, and a browser session for the
   settings page.
2. ``sobrenum serve`` on 127.0.0.1 (one uvicorn process).
3. ``--clients`` clients (8) for ``--seconds`` (40), each in its own thread and in turn:
   reads (organisations, fleet page, footprint), the strategy indicators and the council
   report of 2024 and 2025, organisation updates, member role changes, the settings page,
   and one import each for two of them (upload, then apply). A monitor polls
   ``/api/v1/openapi.json`` every second throughout.
4. Passes when no answer is 5xx, none takes over 30 s, the monitor always got an answer
   within 10 s and the server still answers afterwards; writes the figures to
   benchmarks/RESULTS.md under « Charge concurrente » and exits 1 otherwise.

Bounded: every request has a 30 s timeout, the clients stop after ``--seconds`` and finish
their current request; the whole run stays under a minute after the set-up.

Run: ``python benchmarks/load.py`` (``--devices 2000`` by default).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import os
import platform
import random
import re
import statistics
import sys
import tempfile
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "RESULTS.md"
SECTION = "## Charge concurrente"
sys.path.insert(0, str(HERE))

REQUEST_TIMEOUT = 30.0
SLOW = 30.0
YEARS = (2024, 2025)
PASSWORD = "mot de passe du banc de charge"


@dataclass
class Setup:
    organisation_id: int
    token: str
    member_id: int
    admin_email: str
    csv_rows: list[dict[str, Any]]


@dataclass
class Record:
    """Every answer of the run, by kind of request."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    times: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    failures: list[str] = field(default_factory=list)

    def add(self, kind: str, status: int, seconds: float, detail: str = "") -> None:
        with self.lock:
            self.times[kind].append(seconds)
            self.statuses[kind].append(status)
            if status == 0 or status >= 500 or seconds > SLOW:
                self.failures.append(
                    f"{kind}: {status or 'pas de réponse'} en {seconds:.1f} s {detail}"
                )


def prepare(folder: Path, url: str | None, devices: int) -> Setup:
    from engine import synthetic_fleet  # benchmarks/engine.py
    from sobrenum.referential import load
    from sobrenum.store import apply_import, create_organisation, open_store
    from sobrenum.store.users import add_api_token, create_user
    from sobrenum.web.security import hash_password, new_api_token

    os.environ["SOBRENUM_DATA"] = str(folder)
    with open_store(url) as store:
        organisation = create_organisation(
            store,
            name="Commune du banc de charge",
            type="commune",
            population=25_000,
            staff_count=400,
            reporting_year=2025,
        )
        fleet = synthetic_fleet(devices, load())
        for day in (dt.date(2024, 3, 1), dt.date(2025, 3, 1)):
            apply_import(
                store,
                organisation.id,
                fleet,
                file_sha256=f"{day:%Y%m%d}".ljust(64, "0"),
                file_name=f"parc-{day:%Y}.csv",
                inventory_date=day,
            )
        password_hash = hash_password(PASSWORD)
        admin = create_user(
            store,
            email="admin@banc.fr",
            password_hash=password_hash,
            organisation_id=organisation.id,
            role="admin",
        )
        member = create_user(
            store,
            email="membre@banc.fr",
            password_hash=password_hash,
            organisation_id=organisation.id,
            role="reader",
        )
        token = new_api_token()
        add_api_token(store, user_id=admin.id, name="banc", token=token, actor="banc")
    rows = fleet.slice(0, min(devices, 300)).to_pylist()
    return Setup(organisation.id, token, member.id, admin.email, rows)


def inventory_csv(rows: list[dict[str, Any]], variant: int) -> bytes:
    """A small inventory file (a distinct content per variant, hence a distinct import)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow(["Numéro d'inventaire", "Catégorie", "Date d'achat", "Site"])
    for row in rows:
        bought = row.get("acquisition_date")
        writer.writerow(
            [
                row["asset_id"],
                row["category"],
                bought.isoformat() if bought else "",
                f"{row.get('site') or 'Mairie'} {variant}",
            ]
        )
    return buffer.getvalue().encode("utf-8")


class Client:
    """One user: an API token, and a browser session for the settings page."""

    def __init__(self, index: int, base: str, setup: Setup, record: Record) -> None:
        self.index = index
        self.setup = setup
        self.record = record
        self.random = random.Random(index)
        self.api = httpx.Client(
            base_url=base,
            timeout=REQUEST_TIMEOUT,
            headers={"Authorization": f"Bearer {setup.token}"},
        )
        self.browser = httpx.Client(base_url=base, timeout=REQUEST_TIMEOUT)
        self.csrf = ""
        self.imports_left = 1 if index in (2, 5) else 0

    @property
    def org(self) -> str:
        return f"/api/v1/collectivites/{self.setup.organisation_id}"

    def call(self, kind: str, method: str, path: str, **options: Any) -> httpx.Response | None:
        client: httpx.Client = options.pop("client", self.api)
        started = time.monotonic()
        try:
            response: httpx.Response = client.request(method, path, **options)
        except httpx.HTTPError as exc:
            self.record.add(kind, 0, time.monotonic() - started, repr(exc))
            return None
        detail = response.text[:200] if response.status_code >= 500 else ""
        self.record.add(kind, response.status_code, time.monotonic() - started, detail)
        return response

    def log_in(self) -> None:
        page = self.call("connexion", "GET", "/connexion", client=self.browser)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text if page else "")
        if token is None:
            return
        form = {
            "email": self.setup.admin_email,
            "mot_de_passe": PASSWORD,
            "csrf_token": token.group(1),
            "suivant": "/",
        }
        self.call("connexion", "POST", "/connexion", client=self.browser, data=form)
        settings = self.call("paramètres (page)", "GET", self._settings, client=self.browser)
        found = re.search(
            r'<meta name="csrf-token" content="([^"]+)">', settings.text if settings else ""
        )
        self.csrf = found.group(1) if found else ""

    @property
    def _settings(self) -> str:
        return f"/collectivites/{self.setup.organisation_id}/parametres"

    def step(self) -> None:
        # As people use it: mostly reading, sometimes a change, a report now and then.
        actions = [
            *[self.read] * 4,
            *[self.indicators] * 2,
            self.report,
            self.update_organisation,
            self.update_member,
            self.save_settings,
        ]
        if self.imports_left:
            actions.append(self.import_file)
        self.random.choice(actions)()

    def read(self) -> None:
        path = self.random.choice(
            ["/api/v1/collectivites", f"{self.org}/parc?limite=50", f"{self.org}/empreinte"]
        )
        self.call("lecture", "GET", path)

    def indicators(self) -> None:
        year = self.random.choice(YEARS)
        self.call("indicateurs", "GET", f"{self.org}/strategie/indicateurs?annee={year}")

    def report(self) -> None:
        year = self.random.choice(YEARS)
        self.call("rapport au conseil (PDF)", "GET", f"{self.org}/strategie/rapport/{year}")

    def update_organisation(self) -> None:
        # The default year of the pages, in turn (the reports of a given year stay the same).
        body = {"annee_reporting": self.random.choice(YEARS)}
        self.call("collectivité (modification)", "PATCH", self.org, json=body)

    def update_member(self) -> None:
        body = {"role": self.random.choice(("reader", "editor"))}
        self.call("membre (rôle)", "PATCH", f"{self.org}/membres/{self.setup.member_id}", json=body)

    def save_settings(self) -> None:
        if not self.csrf:
            self.log_in()
        form = {
            "csrf_token": self.csrf,
            "pays": "FRA",
            "annee": "2025",
            "population": "25000",  # saved again as it is
            "agents": "400",
        }
        self.call(
            "paramètres (enregistrement)", "POST", self._settings, client=self.browser, data=form
        )

    def import_file(self) -> None:
        self.imports_left -= 1
        content = inventory_csv(self.setup.csv_rows, self.index)
        staged = self.call(
            "import (dépôt)",
            "POST",
            f"{self.org}/imports/depots",
            files={"fichier": (f"inventaire-{self.index}.csv", content, "text/csv")},
            data={"date_inventaire": "2025-03-01"},
        )
        if staged is not None and staged.status_code == 201:
            depot = staged.json()["id"]
            # A 300-row file replacing a 2 000-device inventory: the agent confirms the exits
            # (above the preview's 25 % threshold the import is otherwise refused, 409).
            self.call(
                "import (application)",
                "POST",
                f"{self.org}/imports/depots/{depot}/appliquer",
                params={"confirmer_sorties": "true"},
            )

    def close(self) -> None:
        self.api.close()
        self.browser.close()


def monitor(base: str, stop: threading.Event, record: Record) -> None:
    with httpx.Client(base_url=base, timeout=10) as client:
        while not stop.is_set():
            started = time.monotonic()
            try:
                status = client.get("/api/v1/openapi.json").status_code
            except httpx.HTTPError:
                status = 0
            seconds = time.monotonic() - started
            record.add("openapi.json (sonde)", status, seconds)
            if status != 200 or seconds > 10:
                with record.lock:
                    record.failures.append(
                        f"sonde : {status or 'pas de réponse'} en {seconds:.1f} s"
                    )
            stop.wait(max(0.0, 1.0 - seconds))


def run(base: str, setup: Setup, clients: int, seconds: float) -> tuple[Record, float]:
    record = Record()
    stop = threading.Event()
    probe = threading.Thread(target=monitor, args=(base, stop, record), daemon=True)
    probe.start()
    users = [Client(i, base, setup, record) for i in range(clients)]
    deadline = time.monotonic() + seconds

    def user(client: Client) -> None:
        while time.monotonic() < deadline:
            client.step()
            time.sleep(client.random.uniform(0.05, 0.3))  # a person's pause between clicks

    started = time.monotonic()
    threads = [threading.Thread(target=user, args=(u,), daemon=True) for u in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + REQUEST_TIMEOUT * 2)
    elapsed = time.monotonic() - started
    stop.set()
    probe.join(15)
    for u in users:
        u.close()
    return record, elapsed


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def report(record: Record, elapsed: float, after: int, args: argparse.Namespace) -> list[str]:
    lines = [
        f"### Charge concurrente — {dt.date.today().isoformat()}, {os.cpu_count()} cœurs, "
        f"Python {platform.python_version()}",
        "",
        f"{args.devices} équipements inventoriés en 2024 et 2025 "
        f"({'PostgreSQL' if args.base else 'SQLite'}), `sobrenum servir` (un processus uvicorn) "
        f"sur 127.0.0.1, {args.clients} clients simultanés pendant {elapsed:.0f} s (une pause de "
        "50 à 300 ms entre deux actions), une sonde sur /api/v1/openapi.json chaque seconde. "
        f"Charge moyenne de la machine en fin de banc : {os.getloadavg()[0]:.1f}.",
        "",
        "| requête | nombre | p50 | p95 | max | codes |",
        "|---|---|---|---|---|---|",
    ]
    for kind in sorted(record.times):
        times = record.times[kind]
        codes = ", ".join(
            f"{code or 'aucune réponse'} × {n}"
            for code, n in sorted(
                {c: record.statuses[kind].count(c) for c in set(record.statuses[kind])}.items()
            )
        )
        lines.append(
            f"| {kind} | {len(times)} | {statistics.median(times):.2f} s | "
            f"{percentile(times, 95):.2f} s | {max(times):.2f} s | {codes} |"
        )
    total = sum(len(t) for t in record.times.values())
    errors = sum(1 for s in record.statuses.values() for c in s if c == 0 or c >= 500)
    slowest = max((max(t) for t in record.times.values()), default=0.0)
    lines += [
        "",
        f"{total} requêtes : {errors} réponse(s) 5xx ou absente(s), la plus lente en "
        f"{slowest:.1f} s ; après le banc, /api/v1/openapi.json répond {after}. "
        + ("Réussi." if not record.failures and after == 200 else "Échec."),
    ]
    return lines


def write_results(lines: list[str]) -> None:
    block = "\n".join(lines) + "\n"
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# Résultats\n"
    if SECTION not in text:
        text = text.rstrip("\n") + f"\n\n{SECTION}\n\n"
    head, _, tail = text.partition(SECTION)
    following = re.search(r"\n## ", tail)
    rest = tail[following.start() :] if following else ""
    RESULTS.write_text(f"{head}{SECTION}\n\n{block}{rest}", encoding="utf-8")
    print(f"Résultats écrits dans {RESULTS}")


def main() -> None:
    from web import free_port, start_server  # benchmarks/web.py

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=40.0)
    parser.add_argument("--base", help="PostgreSQL URL (SQLite in a temporary folder otherwise)")
    parser.add_argument("--no-write", action="store_true", help="ne pas écrire RESULTS.md")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="sobrenum-charge-") as folder:
        setup = prepare(Path(folder), args.base, args.devices)
        port = free_port()
        server = start_server(Path(folder), args.base, port, 1, wait=180)  # a loaded machine
        base = f"http://127.0.0.1:{port}"
        try:
            record, elapsed = run(base, setup, args.clients, args.seconds)
            try:
                after = httpx.get(f"{base}/api/v1/openapi.json", timeout=10).status_code
            except httpx.HTTPError:
                after = 0
        finally:
            server.terminate()
            try:
                server.wait(timeout=20)
            except Exception:
                server.kill()
    lines = report(record, elapsed, after, args)
    print("\n".join(lines))
    for failure in record.failures[:20]:
        print("  " + failure)
    if not args.no_write:
        write_results(lines)
    if record.failures or after != 200:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
