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
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import httpx
import pytest

from sobrenum.inventory import load_inventory
from sobrenum.referential import load
from sobrenum.store import apply_import, create_organisation, open_store
from sobrenum.store.users import add_api_token, create_user
from sobrenum.web.security import new_api_token
from web_support import _HASH

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
