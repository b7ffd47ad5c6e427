"""Strict input: every number and id of a page, a form, a query string or a path is read
strictly, with bounds. Odd values get a French 422 (or 404 for an id that names nothing),
never a server error.

The sweep walks every route of the app (so new routes are covered without being listed):
for each path parameter, query parameter and form field, it sends each odd value below, the
other parameters keeping working values, signed in as the organisation's administrator, on
SQLite and on PostgreSQL.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.dependencies.models import Dependant
from fastapi.dependencies.utils import get_flat_params
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sobrenum.store import Organisation, Store, get_organisation
from web_support import add_user, csrf_of, login, make_app

ODD_VALUES = (
    "²",  # a digit for str.isdigit(), not for int()
    "1e309",  # overflows a float to infinity
    "-0",
    "9" * 20,  # beyond a 64-bit integer
    "2147483648",  # one past the database's INTEGER
    "",
    "\x00",
    "x" * 5000,
)

# Routes that would end the sweep's own session or only redirect elsewhere, and the login form
# (text fields only, each failure costs a deliberate password-hash delay: test_web_auth.py).
SKIPPED = {
    ("POST", "/deconnexion"),
    ("GET", "/connexion/proconnect/retour"),
    ("POST", "/connexion"),
}

KNOWN_PATH_VALUES = {"code": "laptop", "annee": "2025", "asset_id": "PC-0001"}


def _flat_body(dependant: Dependant) -> list[Any]:
    fields = list(dependant.body_params)
    for sub in dependant.dependencies:
        fields += _flat_body(sub)
    return fields


def _parameters(route: APIRoute) -> dict[str, list[str]]:
    """Names of the route's path, query and form parameters (by where they travel)."""
    found: dict[str, list[str]] = {"path": [], "query": [], "form": []}
    for param in get_flat_params(route.dependant):
        where = type(param.field_info).__name__.lower()
        if where in found:
            found[where].append(param.alias)
    for body in _flat_body(route.dependant):
        if type(body.field_info).__name__ == "Form":
            found["form"].append(body.alias)
    return found


def _routes(app: Any) -> list[tuple[str, str, APIRoute]]:
    """(method, full path, route) of every route, included routers too."""
    out = []
    for context in iter_route_contexts(app.routes):
        route, path = context.route, str(context.path)
        if not isinstance(route, APIRoute):
            continue
        for method in sorted(set(context.methods or ()) - {"HEAD", "OPTIONS"}):
            if (method, path) in SKIPPED:
                continue
            if path.startswith("/api/") and method != "GET":
                continue  # API bodies are JSON: schemathesis covers them (test_web_schemathesis)
            out.append((method, path, route))
    return out


def _url(path: str, values: dict[str, str]) -> str:
    def fill(match: re.Match[str]) -> str:
        name = match.group(1).split(":")[0]
        return values.get(name, KNOWN_PATH_VALUES.get(name, "1"))

    return re.sub(r"\{([^}]+)\}", fill, path)


def _send(
    client: TestClient, method: str, url: str, query: dict[str, str], form: dict[str, str]
) -> Any:
    if method == "GET":
        return client.get(url, params=query)
    data = {"csrf_token": csrf_of(client), **form}
    return client.request(method, url, params=query, data=data)


@pytest.fixture
def admin(store: Store, tmp_path: Path, organisation: Organisation) -> TestClient:
    # Server errors come back as 500 responses (counted), not as exceptions in the test.
    client = TestClient(
        make_app(store, tmp_path),
        follow_redirects=False,
        headers={"accept": "text/html"},
        raise_server_exceptions=False,
    )
    add_user(store, "admin@ville.fr", organisation=organisation, role="admin")
    assert login(client, "admin@ville.fr").status_code == 303
    return client


def test_every_parameter_of_every_route_refuses_odd_values_without_a_server_error(
    admin: TestClient, organisation: Organisation
) -> None:
    app: Any = admin.app
    ids = {"organisation_id": str(organisation.id)}
    failures: list[str] = []
    requests = 0
    swept = {"api": 0, "page": 0}
    for method, path, route in _routes(app):
        params = _parameters(route)
        cases: list[tuple[str, str]] = [
            (where, name) for where, names in params.items() for name in names
        ]
        # ``organisation_id`` is read by one dependency (deps.organisation_access) for every
        # route: swept on the first page and the first API route, not on all fifty.
        if ("path", "organisation_id") in cases:
            kind = "api" if path.startswith("/api/") else "page"
            swept[kind] += 1
            if swept[kind] > 1:
                cases.remove(("path", "organisation_id"))
        for where, name in cases:
            for value in ODD_VALUES:
                path_values = dict(ids)
                query: dict[str, str] = {}
                form: dict[str, str] = {}
                if where == "path":
                    path_values[name] = quote(value, safe="")
                elif where == "query":
                    query[name] = value
                else:
                    form[name] = value
                url = _url(path, path_values)
                response = _send(admin, method, url, query, form)
                requests += 1
                if response.status_code >= 500:
                    failures.append(f"{method} {url} {where}:{name}={value[:20]!r} → 500")
    assert requests > 400, f"the sweep sent only {requests} requests"
    assert not failures, "\n".join(failures)


def test_odd_numbers_in_the_settings_form_get_a_french_422(
    admin: TestClient, store: Store, organisation: Organisation
) -> None:
    url = f"/collectivites/{organisation.id}/parametres"
    valid = {"pays": "FRA", "annee": "2025", "population": "12500", "agents": "240"}
    for field, value, message in [
        ("annee", "²", "Année du bilan : indiquez une année entre 2000 et"),
        ("population", "²", "Population : indiquez un nombre entier positif"),
        ("population", "9" * 20, "Population : indiquez un nombre entier positif"),
        ("agents", "2147483648", "Nombre d&#39;agents : indiquez un nombre entier positif"),
        ("agents", "-3", "Nombre d&#39;agents : indiquez un nombre entier positif"),
    ]:
        response = admin.post(url, data={**valid, field: value, "csrf_token": csrf_of(admin)})
        assert response.status_code == 422, (field, value)
        assert message in response.text, (field, value)
    # The largest value the database holds is accepted, one more is not (done above).
    response = admin.post(
        url, data={**valid, "population": "2 147 483 647", "csrf_token": csrf_of(admin)}
    )
    assert response.status_code == 200
    saved = get_organisation(store, organisation.id)
    assert saved.population == 2_147_483_647


def test_year_and_ids_in_query_strings_and_paths(
    admin: TestClient, organisation: Organisation
) -> None:
    base = f"/collectivites/{organisation.id}"
    for url in (
        f"{base}/strategie?annee=²",
        f"{base}/reemploi?annee=1e309",
        f"{base}/parc?page=99999999999999999999",
    ):
        response = admin.get(url)
        assert response.status_code == 422, url
        assert "Requête invalide" in response.text
    # An import id beyond any stored id names nothing: 404, in French.
    for staged in ("99999999999999999999", "2147483648", "0"):
        response = admin.get(f"{base}/import/{staged}")
        assert response.status_code in (404, 422), staged
        assert "introuvable" in response.text or "Requête invalide" in response.text
    unknown = admin.get(f"{base}/import/2147483647")
    assert unknown.status_code == 404
    assert "Import introuvable" in unknown.text


def test_declared_values_are_read_strictly(admin: TestClient, organisation: Organisation) -> None:
    url = f"/collectivites/{organisation.id}/strategie/indicateur"
    for value in ("1e309", "NaN", "inf", "²", "1_000"):
        response = admin.post(
            url,
            data={
                "code": "clauses_nombre",
                "annee": "2025",
                "valeur": value,
                "csrf_token": csrf_of(admin),
            },
        )
        assert response.status_code == 422, value
        assert "n&#39;est pas un nombre" in response.text, value


@given(text=st.text(max_size=40))
@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
def test_french_number_reader_returns_a_finite_number_or_refuses(text: str) -> None:
    from sobrenum.web.pages.common import french_number

    try:
        value = french_number(text)
    except ValueError:
        return
    assert value is None or (value == value and abs(value) != float("inf"))
