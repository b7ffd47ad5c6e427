"""Helpers for the web tests: an app on the test store, accounts, logging in."""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import uvicorn
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient
from itsdangerous import URLSafeTimedSerializer

from sobrenum.store import Organisation, Store, create_organisation
from sobrenum.store.users import User, create_user
from sobrenum.web.app import create_app
from sobrenum.web.security import SESSION_COOKIE
from sobrenum.web.settings import Settings

PASSWORD = "correct cheval batterie agrafe"
# A real argon2id hash with light parameters: verifying it is fast, so tests that log in
# often stay quick (the parameters travel in the hash; production uses the defaults).
_HASH = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1).hash(PASSWORD)
_CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)">')


def make_app(store: Store, folder: Path, **settings: Any) -> FastAPI:
    app: FastAPI = create_app(Settings(store=store, data_folder=folder, **settings))
    return app


@contextmanager
def served(app: FastAPI) -> Iterator[str]:
    """``app`` served by uvicorn on a free loopback port, in a thread; yields its address."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("uvicorn n'a pas démarré")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def client_for(app: FastAPI) -> TestClient:
    return TestClient(app, follow_redirects=False, headers={"accept": "text/html"})


def add_user(
    store: Store,
    email: str,
    *,
    organisation: Organisation | None = None,
    role: str | None = None,
    instance_admin: bool = False,
    password_hash: str | None = _HASH,
) -> User:
    return create_user(
        store,
        email=email,
        password_hash=password_hash,
        display_name=email.split("@")[0].title(),
        is_instance_admin=instance_admin,
        organisation_id=organisation.id if organisation else None,
        role=role,
        actor="test",
    )


def other_organisation(store: Store) -> Organisation:
    return create_organisation(
        store,
        name="Communauté de communes du Voisin",
        siren="200068989",
        type="epci",
        population=45_000,
        staff_count=380,
        reporting_year=2025,
    )


def csrf_of(client: TestClient) -> str:
    """The session's CSRF token, read from the signed cookie (after a first page if none)."""
    if SESSION_COOKIE not in client.cookies:
        client.get("/connexion")
    app: Any = client.app
    serializer = URLSafeTimedSerializer(
        app.state.settings.resolved_secret(), salt="sobrenum.session"
    )
    data = serializer.loads(client.cookies[SESSION_COOKIE])
    if "csrf" not in data:
        page = client.get("/connexion")
        match = _CSRF_META.search(page.text)
        assert match, "no CSRF token in the page"
        return match.group(1)
    token: str = data["csrf"]
    return token


def login(client: TestClient, email: str, password: str = PASSWORD, next_path: str = "/") -> Any:
    token = csrf_of(client)
    return client.post(
        "/connexion",
        data={"email": email, "mot_de_passe": password, "csrf_token": token, "suivant": next_path},
    )
