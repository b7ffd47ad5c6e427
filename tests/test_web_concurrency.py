"""Concurrency on a real server (uvicorn on 127.0.0.1) and in the app's threads: heavy
computations never freeze the server, the same computation asked twice at once is done once,
and writers racing each other never get a server error.

The freeze this guards against: four simultaneous requests for the strategy indicators and
the council report (two years each) used to deadlock the process inside ibis/DuckDB (every
worker thread registering an in-memory table on the one default connection another thread
was querying), after which the server answered nothing, not even its OpenAPI description.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pyarrow.compute as pc
import pytest
from sqlalchemy import text

from conftest import fleet_table
from sobrenum.engine import Parameters, compute, uncertainty
from sobrenum.inventory import load_inventory
from sobrenum.referential import load
from sobrenum.store import (
    Organisation,
    Store,
    apply_import,
    create_organisation,
    get_organisation,
    list_events,
    list_imports,
    open_store,
)
from sobrenum.store.users import add_api_token, create_user
from sobrenum.web.footprints import Computations, ServerBusy
from sobrenum.web.security import new_api_token
from test_web_api import bearer, token_for, upload_demo
from web_support import _HASH, client_for, login, make_app

T = TypeVar("T")

DEMO = Path(str(resources.files("sobrenum") / "data" / "demo" / "inventaire-demo.xlsx"))
#: A request to a frozen server never ends: each one is bounded by this.
REQUEST_SECONDS = 45.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Server:
    base: str
    organisation_id: int
    token: str
    log: Path

    def log_tail(self) -> str:
        """The end of the server's log, to explain a failure."""
        return self.log.read_text(encoding="utf-8", errors="replace")[-3000:]

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def prepare_folder(folder: Path) -> tuple[int, str]:
    """A SQLite store with an organisation, the demo fleet (inventory of 1 March 2024, so
    2024 and 2025 both have a fleet at 31 December) and an admin's API token."""
    with open_store(f"sqlite:///{folder / 'sobrenum.sqlite3'}") as store:
        organisation = create_organisation(
            store,
            name="Commune de Saint-Exemple",
            siren="200054781",
            type="commune",
            population=12_500,
            staff_count=240,
            reporting_year=2025,
        )
        result = load_inventory(DEMO, 2025, load().default_lifetimes())
        apply_import(
            store,
            organisation.id,
            result.fleet,
            file_sha256=hashlib.sha256(DEMO.read_bytes()).hexdigest(),
            file_name=DEMO.name,
            inventory_date=dt.date(2024, 3, 1),
        )
        user = create_user(
            store,
            email="adm@mairie.fr",
            password_hash=_HASH,
            organisation_id=organisation.id,
            role="admin",
        )
        token = new_api_token()
        add_api_token(store, user_id=user.id, name="test", token=token, actor="test")
    return organisation.id, token


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    """``uvicorn`` serving the app on 127.0.0.1 in its own process (killed at the end, so a
    frozen server cannot outlive the test)."""
    organisation_id, token = prepare_folder(tmp_path)
    env = {**os.environ, "SOBRENUM_DATA": str(tmp_path)}
    env.pop("SOBRENUM_DATABASE_URL", None)
    port = _free_port()
    log = tmp_path / "server.log"
    command = [sys.executable, "-m", "uvicorn", "sobrenum.web.app:create_app", "--factory"]
    process = subprocess.Popen(
        [*command, "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log.open("w"),
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                httpx.get(f"{base}/api/v1/openapi.json", timeout=5)
                break
            except httpx.TransportError:
                assert process.poll() is None, log.read_text()
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.2)
        yield Server(base, organisation_id, token, log)
    finally:
        process.kill()
        process.wait(timeout=20)


@dataclass
class Answer:
    status: int  # 0: no answer in time
    seconds: float
    retry_after: str | None = None
    detail: str = ""


def _get(server: Server, path: str) -> Answer:
    started = time.monotonic()
    try:
        response = httpx.get(server.base + path, headers=server.headers, timeout=REQUEST_SECONDS)
    except httpx.TimeoutException:
        return Answer(0, time.monotonic() - started)
    detail = ""
    if response.headers.get("content-type", "").startswith("application/json"):
        body = response.json()
        detail = body.get("detail", "") if isinstance(body, dict) else ""
    return Answer(
        response.status_code,
        time.monotonic() - started,
        response.headers.get("retry-after"),
        detail,
    )


def test_simultaneous_indicators_and_council_reports_never_freeze(server: Server) -> None:
    """Each request is answered in bounded time: its result, or (on a machine too loaded to
    compute it within the wait) a French 503 with Retry-After, after which asking again
    gets the result; the server answers other requests throughout."""
    org = f"/api/v1/collectivites/{server.organisation_id}/strategie"
    paths = [
        f"{org}/indicateurs?annee=2024",
        f"{org}/indicateurs?annee=2025",
        f"{org}/rapport/2024",
        f"{org}/rapport/2025",
    ]
    assert _get(server, "/api/v1/collectivites").status == 200  # the token is in use
    for _ in range(2):  # the second round is when the old code froze for sure
        with ThreadPoolExecutor(len(paths)) as pool:
            answers = list(pool.map(lambda path: _get(server, path), paths))
        for path, answer in zip(paths, answers, strict=True):
            assert answer.status in (200, 503), (
                f"{path}: {answer.status or 'no answer'} after {answer.seconds:.1f} s\n"
                f"{server.log_tail()}"
            )
            if answer.status == 503:
                assert answer.retry_after and int(answer.retry_after) > 0
                assert "réessayez" in answer.detail
        openapi = _get(server, "/api/v1/openapi.json")
        assert openapi.status == 200 and openapi.seconds < 10, openapi
    for path in paths:  # every computation went on: asking again gets its result
        for _ in range(6):
            answer = _get(server, path)
            if answer.status != 503:
                break
            time.sleep(int(answer.retry_after or 1))
        assert answer.status == 200, f"{path}: {answer}\n{server.log_tail()}"


# --- fast checks in the app's threads ------------------------------------------------------


class _Forbidden:
    """Stands for Ibis's default backend: any use of it fails the test."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"the engine used Ibis's shared default backend ({name})")


def _in_threads(work: Callable[[int], T], count: int, seconds: float = 120) -> list[T]:
    """``work(i)`` for i in range(count) in as many threads at once, bounded in time."""
    with ThreadPoolExecutor(count) as pool:
        futures = [pool.submit(work, i) for i in range(count)]
        return [f.result(timeout=seconds) for f in futures]


def test_engine_runs_on_connections_of_its_own_in_threads(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import ibis

    monkeypatch.setattr(ibis.options, "default_backend", _Forbidden())
    fleet = load_inventory(DEMO, 2025, load().default_lifetimes()).fleet
    ref = load()

    def work(i: int) -> float:
        params = Parameters(reporting_year=2024 + i % 2)
        total = compute(fleet, ref, params).totals(["category"])
        gwp = total.filter(pc.equal(total.column("criterion"), "gwp"))
        spread = uncertainty(fleet, ref, params, draws=20, seed=i)
        assert spread.intervals(criteria=["gwp"]).num_rows == 1
        return float(pc.sum(gwp.column("annual")).as_py())

    totals = _in_threads(work, 6)
    assert totals[0] == totals[2] == totals[4] and totals[1] == totals[3] == totals[5]


def test_same_computation_at_once_runs_once() -> None:
    computations = Computations(4, workers=2, wait_seconds=30)
    release = threading.Event()

    def slow() -> str:
        release.wait(10)
        return "résultat"

    def ask(_: int) -> str:
        return computations.get_or_compute("clé", slow)

    with ThreadPoolExecutor(4) as pool:
        futures = [pool.submit(ask, i) for i in range(4)]
        time.sleep(0.2)
        release.set()
        assert [f.result(timeout=30) for f in futures] == ["résultat"] * 4
    assert computations.runs == 1
    assert computations.get_or_compute("clé", slow) == "résultat" and computations.runs == 1
    computations.shutdown()


def test_waiting_too_long_gets_busy_then_the_result() -> None:
    computations = Computations(4, workers=1, wait_seconds=0.3, queue=0, retry_after=7)
    release = threading.Event()

    def slow() -> int:
        release.wait(10)
        return 42

    started = time.monotonic()
    with pytest.raises(ServerBusy) as busy:
        computations.get_or_compute("long", slow)
    assert 0.3 <= time.monotonic() - started < 5
    assert busy.value.retry_after == 7 and "réessayez dans 7 secondes" in str(busy.value)
    # The one worker is taken and nothing may queue: another computation is refused at once.
    started = time.monotonic()
    with pytest.raises(ServerBusy):
        computations.get_or_compute("autre", lambda: 0)
    assert time.monotonic() - started < 0.25
    release.set()
    deadline = time.monotonic() + 10
    while True:  # the computation went on: asking again gets its result
        try:
            assert computations.get_or_compute("long", slow) == 42
            break
        except ServerBusy:
            assert time.monotonic() < deadline
    assert computations.runs == 1  # "long" once; "autre" was refused, never run
    computations.shutdown()


def test_a_failed_computation_is_not_kept() -> None:
    computations = Computations(4)
    calls: list[int] = []

    def failing() -> int:
        calls.append(1)
        raise ValueError("mauvaise donnée")

    for _ in range(2):
        with pytest.raises(ValueError, match="mauvaise donnée"):
            computations.get_or_compute("k", failing)
    assert len(calls) == 2


@pytest.fixture
def api(store: Store, tmp_path: Path, organisation: Organisation) -> Iterator[tuple[Any, str]]:
    """The app on the test store and an organisation admin's API token."""
    app = make_app(store, tmp_path)
    with client_for(app) as client:
        yield (
            app,
            token_for(client, store, "adm@mairie.fr", organisation=organisation, role="admin"),
        )


def test_eight_writers_at_once_never_get_a_server_error(
    store: Store, organisation: Organisation, api: tuple[Any, str]
) -> None:
    app, token = api
    url = f"/api/v1/collectivites/{organisation.id}"

    def work(i: int) -> list[int]:
        with client_for(app) as client:  # one client per thread, like 8 browsers
            codes = []
            for j in range(3):
                codes.append(
                    client.patch(
                        url, json={"population": 10_000 + 10 * i + j}, headers=bearer(token)
                    ).status_code
                )
            return codes

    codes = [c for codes in _in_threads(work, 8) for c in codes]
    assert codes == [200] * 24
    updates = [
        e
        for e in list_events(store, organisation_id=organisation.id)
        if e.action == "organisation.update"
    ]
    assert len(updates) == 24  # none lost: each read its row in the write transaction
    final = app.state.store
    assert get_organisation(final, organisation.id).population in {
        10_000 + 10 * i + 2 for i in range(8)
    }


def test_busy_database_answers_503_with_retry_after(
    database_url: str, store: Store, organisation: Organisation, tmp_path: Path
) -> None:
    quick = open_store(database_url, busy_timeout_ms=300)
    try:
        app = make_app(quick, tmp_path)
        with client_for(app) as client:
            token = token_for(
                client, quick, "adm@mairie.fr", organisation=organisation, role="admin"
            )
            url = f"/api/v1/collectivites/{organisation.id}"
            client.get(url, headers=bearer(token))  # the token's use is recorded now
            with _database_held(store, organisation.id):
                busy = client.patch(url, json={"population": 1}, headers=bearer(token))
            assert busy.status_code == 503, busy.text
            assert busy.headers["retry-after"] == "5"
            assert "réessayez dans quelques secondes" in busy.json()["detail"]
            again = client.patch(url, json={"population": 1}, headers=bearer(token))
            assert again.status_code == 200 and again.json()["population"] == 1
    finally:
        quick.close()


@contextmanager
def _database_held(store: Store, organisation_id: int) -> Iterator[None]:
    """Another connection holds the write lock (SQLite) or the organisation's row
    (PostgreSQL), as a long import would."""
    with store.engine.connect() as conn:
        conn.begin()  # a write takes SQLite's write lock and PostgreSQL's row lock
        conn.execute(
            text("UPDATE organisation SET population = population WHERE id = :id"),
            {"id": organisation_id},
        )
        try:
            yield
        finally:
            conn.rollback()


def test_double_confirm_imports_once_and_answers_the_same(
    store: Store, organisation: Organisation, api: tuple[Any, str]
) -> None:
    app, token = api
    with client_for(app) as client:
        staged = upload_demo(client, organisation.id, token).json()
    url = f"/api/v1/collectivites/{organisation.id}/imports/depots/{staged['id']}/appliquer"

    def confirm(_: int) -> tuple[int, Any]:
        with client_for(app) as client:
            response = client.post(url, headers=bearer(token))
            return response.status_code, response.json()

    answers = _in_threads(confirm, 2)
    assert [code for code, _ in answers] == [200, 200], answers
    assert answers[0][1] == answers[1][1]  # the second click answers what the one import did
    assert not answers[0][1]["deja_importe"]
    assert len(list_imports(store, organisation.id)) == 1
    with client_for(app) as client:  # and a third, later, too
        late = client.post(url, headers=bearer(token))
        assert late.status_code == 200 and late.json() == answers[0][1]
        assert (
            client.get(f"{url.rsplit('/', 1)[0]}", headers=bearer(token)).json()["statut"]
            == "applied"
        )


def test_web_confirm_while_a_cli_import_runs(
    database_url: str, store: Store, organisation: Organisation, api: tuple[Any, str]
) -> None:
    """A CLI import (another process: its own store) holds the write lock for seconds while
    the web confirms another file: both end well, one after the other, never a 500."""
    app, token = api
    with client_for(app) as client:
        staged = upload_demo(client, organisation.id, token).json()
    rows = [
        {"asset_id": f"CLI-{i:05d}", "category": "laptop", "quantity": 1,
         "acquisition_date": dt.date(2022, 1, 1)}
        for i in range(20_000)
    ]  # fmt: skip
    cli = open_store(database_url)

    def cli_import() -> None:
        apply_import(
            cli, organisation.id, fleet_table(rows), file_sha256="c" * 64,
            file_name="cli.csv", inventory_date=dt.date(2025, 6, 30), actor="cli",
        )  # fmt: skip

    url = f"/api/v1/collectivites/{organisation.id}/imports/depots/{staged['id']}/appliquer"
    try:
        with ThreadPoolExecutor(1) as pool:
            running = pool.submit(cli_import)
            time.sleep(0.2)
            with client_for(app) as client:
                answer = client.post(url, headers=bearer(token))
            running.result(timeout=120)
    finally:
        cli.close()
    # Serialised after the CLI import (or before it): applied, or refused as older (409).
    assert answer.status_code in (200, 409), answer.text
    assert answer.json()["detail" if answer.status_code == 409 else "fichier"]
    files = {i.file_name for i in list_imports(store, organisation.id)}
    assert "cli.csv" in files
    assert (DEMO.name in files) == (answer.status_code == 200)


def test_year_footprints_are_kept_by_content_never_stale() -> None:
    """The memo behind the reports keys on what the figures are made of: another fleet, or
    a referential with the same version but other factors, is computed anew."""
    import dataclasses

    from sobrenum.engine.memo import Memo, fleet_digest, referential_digest

    ref = load()
    doubled = dataclasses.replace(
        ref, factors=ref.factors.set_column(
            ref.factors.schema.get_field_index("value"), "value",
            pc.multiply(ref.factors.column("value"), 2),
        ),
    )  # fmt: skip
    assert doubled.version == ref.version
    assert referential_digest(doubled) != referential_digest(ref)
    assert referential_digest(ref) == referential_digest(load())  # same figures, same key
    one = fleet_table([{"asset_id": "A", "category": "laptop", "quantity": 1}])
    two = fleet_table([{"asset_id": "A", "category": "laptop", "quantity": 2}])
    assert fleet_digest(one) == fleet_digest(
        fleet_table([{"asset_id": "A", "category": "laptop", "quantity": 1}])
    )
    assert fleet_digest(one) != fleet_digest(two)
    memo = Memo(2)
    runs: list[str] = []
    for key in ("a", "a", "b", "a", "c", "b"):
        memo.get_or_compute(key, lambda k=key: runs.append(k))  # type: ignore[misc]
    assert runs == ["a", "b", "c", "b"]  # kept until pushed out by two newer keys


def test_a_report_too_slow_for_the_wait_offers_to_retry_then_arrives(
    store: Store, organisation: Organisation, tmp_path: Path
) -> None:
    """The council report's page on a busy server: after the bounded wait, a French 503 with
    Retry-After and a « Réessayer » link to the same address; the drawing went on, so
    following the link (with the usual wait) gets the PDF."""
    fleet = load_inventory(DEMO, 2025, load().default_lifetimes()).fleet
    apply_import(
        store, organisation, fleet, file_sha256="c" * 64, file_name="demo.xlsx",
        inventory_date=dt.date(2025, 3, 1),
    )  # fmt: skip
    create_user(
        store, email="elu@mairie.fr", password_hash=_HASH, organisation_id=organisation.id,
        role="reader",
    )  # fmt: skip
    app = make_app(store, tmp_path, compute_wait_seconds=0.01)
    path = f"/collectivites/{organisation.id}/strategie/rapport.pdf?annee=2025"
    with client_for(app) as client:
        assert login(client, "elu@mairie.fr").status_code == 303
        busy = client.get(path)
        assert busy.status_code == 503 and int(busy.headers["retry-after"]) > 0
        assert "réessayez" in busy.text and "Erreur du serveur" in busy.text
        assert f'<a href="{path.replace("&", "&amp;")}">Réessayer</a>' in busy.text
        app.state.footprints.wait_seconds = 60.0  # the server is no longer busy
        pdf = client.get(path)
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
