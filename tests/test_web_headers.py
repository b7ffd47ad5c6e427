"""Response headers: the security headers on every response (errors included),
``Cache-Control: no-store`` on whatever may hold an organisation's data, HSTS and ``Secure``
cookies over https — directly or behind a trusted proxy, never on an untrusted one's word."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from sobrenum.domain import SobrenumError
from sobrenum.store import Organisation, Store
from sobrenum.web.settings import ENV_HSTS, ENV_TRUSTED_PROXIES, Settings
from web_support import add_user, csrf_of, login, make_app

SECURITY = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
}
ONE_YEAR = 31_536_000


def _client(app: FastAPI, base_url: str = "http://testserver") -> TestClient:
    return TestClient(
        app,
        base_url=base_url,
        follow_redirects=False,
        headers={"accept": "text/html"},
        raise_server_exceptions=False,
    )


def _app(store: Store, folder: Path, **settings: Any) -> FastAPI:
    app = make_app(store, folder, **settings)

    def boom() -> None:
        raise RuntimeError("panne simulée")

    app.add_api_route("/essai-panne", boom)
    return app


def _assert_security(response: Any) -> None:
    for name, value in SECURITY.items():
        assert response.headers.get(name) == value, (response.status_code, name)
    assert "default-src 'self'" in response.headers["content-security-policy"]


def test_every_response_has_the_security_headers_errors_included(
    store: Store, tmp_path: Path, organisation: Organisation
) -> None:
    client = _client(_app(store, tmp_path))
    add_user(store, "admin@ville.fr", organisation=organisation, role="admin")
    login(client, "admin@ville.fr")
    responses = {
        "page": client.get(f"/collectivites/{organisation.id}"),
        "404 page": client.get("/nulle-part"),
        "404 json": client.get("/api/v1/nulle-part"),
        "422": client.get(f"/collectivites/{organisation.id}/strategie?annee=²"),
        "500 page": client.get("/essai-panne"),
        "500 json": client.get("/essai-panne", headers={"accept": "application/json"}),
        "static": client.get("/static/css/sobrenum.css"),
    }
    assert responses["500 page"].status_code == 500
    assert "Erreur interne du serveur" in responses["500 page"].text
    assert responses["404 page"].status_code == 404
    assert responses["422"].status_code == 422
    for what, response in responses.items():
        _assert_security(response)
        if what != "static":
            assert response.headers["cache-control"] == "no-store", what
    # Static assets stay cacheable (no no-store).
    assert "no-store" not in responses["static"].headers.get("cache-control", "")


def test_signed_in_pages_api_answers_and_downloads_are_not_stored(
    store: Store, tmp_path: Path, organisation: Organisation
) -> None:
    client = _client(_app(store, tmp_path))
    add_user(store, "admin@ville.fr", organisation=organisation, role="admin")
    login(client, "admin@ville.fr")
    token = client.post(
        "/api/v1/moi/jetons", json={"nom": "script"}, headers={"x-csrf-token": csrf_of(client)}
    ).json()["jeton"]
    api = {"Authorization": f"Bearer {token}"}
    base = f"/api/v1/collectivites/{organisation.id}"
    bought = client.put(
        f"{base}/reemploi/achats",
        json={"annee": 2025, "type_produit_acquis": "papier", "montant_total": 100},
        headers=api,
    )
    assert bought.status_code == 200, bought.text
    for response in (
        client.get("/"),
        client.get(f"/collectivites/{organisation.id}/reemploi"),
        client.get(f"/collectivites/{organisation.id}/parametres"),
        client.get(base, headers=api),
        client.get(f"{base}/reemploi/dons.csv", headers=api),
        client.get(f"{base}/reemploi/agec.csv?siret=21750001600019&annee=2025", headers=api),
    ):
        assert response.status_code == 200, (response.request.url, response.text[:200])
        assert response.headers["cache-control"] == "no-store", response.request.url
        _assert_security(response)


def test_hsts_and_secure_cookies_over_https(store: Store, tmp_path: Path) -> None:
    app = _app(store, tmp_path)
    https = _client(app, "https://testserver")
    page = https.get("/connexion")
    assert page.headers["strict-transport-security"] == f"max-age={ONE_YEAR}"
    assert "Secure" in page.headers["set-cookie"]
    language = https.post("/langue", data={"langue": "en", "csrf_token": csrf_of(https)})
    cookies = language.headers.get_list("set-cookie")
    assert any(c.startswith("sobrenum_langue=en") and "; Secure" in c for c in cookies)

    plain = _client(app)
    page = plain.get("/connexion")
    assert "strict-transport-security" not in page.headers
    assert "Secure" not in page.headers["set-cookie"]
    language = plain.post("/langue", data={"langue": "en", "csrf_token": csrf_of(plain)})
    assert all("Secure" not in c for c in language.headers.get_list("set-cookie"))


def test_https_behind_a_trusted_proxy_only(store: Store, tmp_path: Path) -> None:
    forwarded = {"x-forwarded-proto": "https", "x-forwarded-for": "203.0.113.7"}
    # The test client connects from the address "testclient".
    trusted = _client(_app(store, tmp_path, trusted_proxies="10.0.0.1, testclient"))
    page = trusted.get("/connexion", headers=forwarded)
    assert page.headers["strict-transport-security"] == f"max-age={ONE_YEAR}"
    assert "Secure" in page.headers["set-cookie"]

    untrusted = _client(_app(store, tmp_path, trusted_proxies="10.0.0.1"))
    page = untrusted.get("/connexion", headers=forwarded)
    assert "strict-transport-security" not in page.headers
    assert "Secure" not in page.headers["set-cookie"]

    no_hsts = _client(_app(store, tmp_path, trusted_proxies="*", hsts_seconds=0))
    page = no_hsts.get("/connexion", headers=forwarded)
    assert "strict-transport-security" not in page.headers
    assert "Secure" in page.headers["set-cookie"]


def test_forced_secure_cookies_over_plain_http(store: Store, tmp_path: Path) -> None:
    client = _client(_app(store, tmp_path, secure_cookies=True))
    response = client.post("/langue", data={"langue": "en", "csrf_token": csrf_of(client)})
    assert all("; Secure" in c for c in response.headers.get_list("set-cookie"))
    assert "strict-transport-security" not in response.headers  # never over plain http


def test_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    defaults = Settings.from_env()
    assert defaults.hsts_seconds == ONE_YEAR
    assert defaults.trusted_proxies == "127.0.0.1"
    monkeypatch.setenv(ENV_HSTS, "600")
    monkeypatch.setenv(ENV_TRUSTED_PROXIES, "10.0.0.0/8")
    settings = Settings.from_env()
    assert (settings.hsts_seconds, settings.trusted_proxies) == (600, "10.0.0.0/8")
    monkeypatch.setenv(ENV_HSTS, "un an")
    with pytest.raises(SobrenumError, match="SOBRENUM_HSTS : durée en secondes attendue"):
        Settings.from_env()
