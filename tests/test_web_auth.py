"""Logging in and out, wrong passwords, rate limiting, CSRF, API tokens, audit events."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from sobrenum.store import Organisation, Store, list_events
from web_support import PASSWORD, add_user, client_for, csrf_of, login, make_app


@pytest.fixture
def client(store: Store, tmp_path: Path) -> Iterator[TestClient]:
    with client_for(make_app(store, tmp_path)) as test_client:
        yield test_client


def test_login_then_logout(client: TestClient, store: Store, organisation: Organisation) -> None:
    add_user(store, "agent@mairie.fr", organisation=organisation, role="reader")
    assert client.get("/").headers["location"] == "/connexion?suivant=/"

    done = login(client, "Agent@Mairie.fr", next_path="/")
    assert done.status_code == 303 and done.headers["location"] == "/"
    cookie = done.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    me = client.get("/api/v1/moi")
    assert me.status_code == 200
    assert me.json()["email"] == "agent@mairie.fr"
    assert me.json()["collectivites"] == {str(organisation.id): "reader"}

    token = csrf_of(client)
    out = client.post("/deconnexion", data={"csrf_token": token})
    assert out.status_code == 303
    assert client.get("/api/v1/moi").status_code == 401
    assert client.get("/").status_code == 303  # pages send to the login page
    actions = [e.action for e in list_events(store)]
    assert "auth.login" in actions and "auth.logout" in actions


def test_old_cookie_is_useless_after_logout(client: TestClient, store: Store) -> None:
    add_user(store, "agent@mairie.fr")
    login(client, "agent@mairie.fr")
    stolen = client.cookies.get("sobrenum_session")
    client.post("/deconnexion", data={"csrf_token": csrf_of(client)})
    client.cookies.set("sobrenum_session", stolen or "")
    assert client.get("/api/v1/moi").status_code == 401


def test_wrong_password_is_refused_in_french(client: TestClient, store: Store) -> None:
    add_user(store, "agent@mairie.fr")
    page = login(client, "agent@mairie.fr", "mauvais mot de passe")
    assert page.status_code == 401
    assert "Adresse électronique ou mot de passe incorrect" in page.text
    unknown = login(client, "personne@mairie.fr", PASSWORD)
    assert unknown.status_code == 401
    assert "auth.login_failed" in [e.action for e in list_events(store)]


def test_rate_limit_per_account_even_with_the_right_password(
    client: TestClient, store: Store
) -> None:
    add_user(store, "agent@mairie.fr")
    for _ in range(5):
        assert login(client, "agent@mairie.fr", "essai au hasard").status_code == 401
    blocked = login(client, "agent@mairie.fr", PASSWORD)
    assert blocked.status_code == 429
    assert "Trop de tentatives" in blocked.text
    # Another account from the same address is not blocked by this one.
    add_user(store, "collegue@mairie.fr")
    assert login(client, "collegue@mairie.fr").status_code == 303


def test_rate_limit_per_address(store: Store, tmp_path: Path) -> None:
    with client_for(make_app(store, tmp_path, max_failures_per_ip=3)) as client:
        add_user(store, "agent@mairie.fr")
        for n in range(3):
            assert login(client, f"inconnu{n}@mairie.fr", "x").status_code == 401
        assert login(client, "agent@mairie.fr", PASSWORD).status_code == 429


def test_rate_limit_is_shared_between_workers(store: Store, tmp_path: Path) -> None:
    """Two app instances (two workers) on one database count the same failures."""
    add_user(store, "agent@mairie.fr")
    with (
        client_for(make_app(store, tmp_path)) as first,
        client_for(make_app(store, tmp_path)) as second,
    ):
        for n in range(5):
            worker = first if n % 2 else second
            assert login(worker, "agent@mairie.fr", "mauvais").status_code == 401
        assert login(first, "agent@mairie.fr", PASSWORD).status_code == 429
        assert login(second, "agent@mairie.fr", PASSWORD).status_code == 429


def test_secure_cookie_over_https(store: Store, tmp_path: Path) -> None:
    app = make_app(store, tmp_path)
    with TestClient(app, base_url="https://sobrenum.exemple.fr", follow_redirects=False) as client:
        page = client.get("/connexion")
        assert "; Secure" in page.headers["set-cookie"]
        assert page.headers["x-frame-options"] == "DENY"
        assert "frame-ancestors 'none'" in page.headers["content-security-policy"]


def test_open_redirect_refused(client: TestClient, store: Store) -> None:
    add_user(store, "agent@mairie.fr")
    done = login(client, "agent@mairie.fr", next_path="//evil.example/")
    assert done.headers["location"] == "/"
