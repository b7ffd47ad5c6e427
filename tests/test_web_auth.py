"""Logging in and out, wrong passwords, login delays, CSRF, API tokens, audit events."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from sobrenum.store import Organisation, Store, list_events
from sobrenum.store.users import LoginAttempt
from sobrenum.web.auth import safe_next, too_many_failures
from sobrenum.web.security import login_delay, login_wait
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
    longest = "a" * 310 + "@mairie.fr"  # 320 characters: the longest address accepted
    for malformed in ("pas une adresse", "agent@mairie", "@mairie.fr", "", longest):
        page = login(client, malformed, PASSWORD)  # refused like a wrong password, never a 500
        assert page.status_code == 401 and "mot de passe incorrect" in page.text, malformed
    assert login(client, "a" + longest, PASSWORD).status_code == 422  # 321
    assert login(client, "agent@mairie.fr", next_path="/" + "a" * 1999).status_code == 303
    assert login(client, "agent@mairie.fr", next_path="/" + "a" * 2000).status_code == 422
    assert "auth.login_failed" in [e.action for e in list_events(store)]


DELAYS = {
    "free_failures_per_account": 3,
    "login_delay_seconds": 30.0,
    "login_max_delay_seconds": 100.0,
}


def earlier(store: Store, seconds: float) -> None:
    """Move every recorded login attempt ``seconds`` into the past (time passing)."""
    with store.transaction() as session:
        for attempt in session.scalars(select(LoginAttempt)):
            attempt.at = attempt.at - dt.timedelta(seconds=seconds)


def refused_for(response: Any) -> int:
    assert response.status_code == 429, response.text
    seconds = int(response.headers["retry-after"])
    assert f"attendez {seconds} secondes avant de réessayer" in response.text  # all > 1 here
    return seconds


def test_login_delays_grow_per_account_and_the_right_password_works_after(
    store: Store, tmp_path: Path
) -> None:
    add_user(store, "agent@mairie.fr")
    add_user(store, "collegue@mairie.fr")
    with client_for(make_app(store, tmp_path, **DELAYS)) as client:
        for _ in range(3):  # the first three failures cost nothing
            assert login(client, "agent@mairie.fr", "essai au hasard").status_code == 401
        # Then 30 s after the third failure, even for the right password…
        assert refused_for(login(client, "agent@mairie.fr", PASSWORD)) in (29, 30)
        # …but not for another account from the same address.
        assert login(client, "collegue@mairie.fr").status_code == 303
        client.cookies.clear()
        earlier(store, 31)
        assert login(client, "agent@mairie.fr", "encore raté").status_code == 401
        # The fourth failure doubles the delay: 60 s (the refused try did not count).
        assert refused_for(login(client, "agent@mairie.fr", PASSWORD)) in (59, 60)
        earlier(store, 61)
        assert login(client, "agent@mairie.fr", PASSWORD).status_code == 303
        # A success starts the account afresh.
        client.cookies.clear()
        assert login(client, "agent@mairie.fr", "raté après succès").status_code == 401
        assert login(client, "agent@mairie.fr", PASSWORD).status_code == 303


def test_login_delays_per_address(store: Store, tmp_path: Path) -> None:
    settings = {**DELAYS, "free_failures_per_ip": 3}
    with client_for(make_app(store, tmp_path, **settings)) as client:
        add_user(store, "agent@mairie.fr")
        for n in range(3):
            assert login(client, f"inconnu{n}@mairie.fr", "x").status_code == 401
        assert refused_for(login(client, "agent@mairie.fr", PASSWORD)) in (29, 30)
        earlier(store, 30)
        assert login(client, "agent@mairie.fr", PASSWORD).status_code == 303


def test_login_delays_are_shared_between_workers(store: Store, tmp_path: Path) -> None:
    """Two app instances (two workers) on one database count the same failures."""
    add_user(store, "agent@mairie.fr")
    with (
        client_for(make_app(store, tmp_path, **DELAYS)) as first,
        client_for(make_app(store, tmp_path, **DELAYS)) as second,
    ):
        for n in range(3):
            worker = first if n % 2 else second
            assert login(worker, "agent@mairie.fr", "mauvais").status_code == 401
        assert refused_for(login(first, "agent@mairie.fr", PASSWORD)) in (29, 30)
        assert refused_for(login(second, "agent@mairie.fr", PASSWORD)) in (29, 30)


@pytest.mark.parametrize(
    ("failures", "expected"),
    [(0, 0.0), (2, 0.0), (3, 1.0), (4, 2.0), (5, 4.0), (8, 32.0), (9, 60.0), (10**18, 60.0)],
)
def test_login_delay_doubles_up_to_the_cap(failures: int, expected: float) -> None:
    """Computed by hand: free=3, base=1 s, cap=60 s; 2^(9-3)=64 > 60 is capped."""
    assert login_delay(failures, free=3, base=1.0, cap=60.0) == expected


def test_delay_message_in_french_singular_and_plural() -> None:
    assert too_many_failures(1).endswith("attendez 1 seconde avant de réessayer.")
    assert too_many_failures(2).endswith("attendez 2 secondes avant de réessayer.")
    assert too_many_failures(60).startswith("Trop de tentatives de connexion échouées")


def test_login_wait_counts_from_the_last_failure() -> None:
    now = dt.datetime(2026, 1, 1, 12, 0, tzinfo=dt.UTC)

    def wait(seconds_ago: float | None) -> float:
        last = None if seconds_ago is None else now - dt.timedelta(seconds=seconds_ago)
        return login_wait(5, last, now, free=3, base=1.0, cap=60.0)

    assert wait(None) == 0.0
    assert wait(1) == 3.0  # 5 failures: 4 s after the last one
    assert wait(4) == 0.0  # exactly over
    assert wait(10) == 0.0


def test_secure_cookie_over_https(store: Store, tmp_path: Path) -> None:
    app = make_app(store, tmp_path)
    with TestClient(app, base_url="https://sobrenum.exemple.fr", follow_redirects=False) as client:
        page = client.get("/connexion")
        assert "; Secure" in page.headers["set-cookie"]
        assert page.headers["x-frame-options"] == "DENY"
        assert "frame-ancestors 'none'" in page.headers["content-security-policy"]


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/collectivites/1/parc?page=2", "/collectivites/1/parc?page=2"),
        ("/recherche?q=deux mots", "/recherche?q=deux mots"),  # a space is no control char
        ("/~agent", "/~agent"),
        ("//evil.example/", "/"),
        ("/\\evil.example/", "/"),
        ("https://evil.example/", "/"),
        ("evil", "/"),
        ("/a\x1fb", "/"),
        ("/a\nLocation: x", "/"),
        ("", "/"),
        (None, "/"),
    ],
)
def test_safe_next(target: str | None, expected: str) -> None:
    assert safe_next(target) == expected


def test_open_redirect_refused(client: TestClient, store: Store) -> None:
    add_user(store, "agent@mairie.fr")
    done = login(client, "agent@mairie.fr", next_path="//evil.example/")
    assert done.headers["location"] == "/"


def test_account_without_password_cannot_log_in_with_one(client: TestClient, store: Store) -> None:
    """A ProConnect-only account has no password hash: the login form checks a dummy hash
    for timing, and even that dummy's secret must not open the account."""
    add_user(store, "agent@mairie.fr", password_hash=None)
    for password in ("sobrenum: compte inexistant", PASSWORD, ""):
        assert login(client, "agent@mairie.fr", password).status_code == 401
    assert client.get("/api/v1/moi").status_code == 401
