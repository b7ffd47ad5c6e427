"""Tenant isolation: every route of the app (found by walking ``app.routes``, so routes added
later are covered too) is tried, with the identifiers of organisation A's objects, by an
anonymous visitor and by the administrator of organisation B (with an API token and with a
browser session and its CSRF token). None of them gets A's data or changes it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from sobrenum.store import Organisation, Store, list_events
from sobrenum.store.users import (
    find_user_by_email,
    list_api_tokens,
    organisation_members,
    pending_invitations,
)
from sobrenum.web.app import RouteInfo, http_routes
from test_web_api import API, bearer, token_for, upload_demo
from web_support import add_user, client_for, csrf_of, login, make_app, other_organisation

#: Routes anybody may open without an account. Adding a public route means adding it here,
#: with the reason.
PUBLIC = {
    ("GET", "/connexion"),
    ("POST", "/connexion"),
    ("POST", "/deconnexion"),
    ("GET", "/connexion/proconnect"),
    ("GET", "/connexion/proconnect/retour"),
    ("GET", "/api/v1/openapi.json"),
    ("POST", "/langue"),
    # The invitation token (256 bits, single use, expiring) is the proof: the invited person
    # has no account yet. Tested in test_web_accounts.py (unknown, used, expired tokens).
    ("GET", "/invitation"),
    ("POST", "/invitation"),
    ("GET", "/invitation/proconnect"),
    ("POST", "/api/v1/invitations/acceptation"),
}
DENIED = {401, 403, 404}
PARAM = re.compile(r"{([^}:]+)(?::[^}]+)?}")


def fill(path: str, ids: dict[str, str]) -> str:
    return PARAM.sub(lambda m: ids.get(m.group(1), "1"), path)


def markers(store: Store, organisation: Organisation, asset_ids: list[str]) -> list[str]:
    emails = [u.email for u, _ in organisation_members(store, organisation.id)]
    return [organisation.name, *asset_ids[:20], *emails]


def leaked(text: str, secrets: list[str]) -> list[str]:
    return [s for s in secrets if s and s in text]


def call(client: TestClient, method: str, url: str, headers: dict[str, str]) -> Any:
    kwargs: dict[str, Any] = {"headers": headers}
    if method in ("POST", "PUT", "PATCH"):
        kwargs["json"] = {}
    return client.request(method, url, **kwargs)


@pytest.fixture
def world(store: Store, tmp_path: Path, organisation: Organisation) -> dict[str, Any]:
    """Organisation A with a fleet, a pending upload, members and a token; B with its admin."""
    app = make_app(store, tmp_path)
    client = client_for(app)
    a_token = token_for(client, store, "a-admin@a.fr", organisation=organisation, role="admin")
    applied = upload_demo(client, organisation.id, a_token).json()
    client.post(
        f"{API}/collectivites/{organisation.id}/imports/depots/{applied['id']}/appliquer",
        headers=bearer(a_token),
    )
    pending = upload_demo(client, organisation.id, a_token).json()  # same file, left pending
    invited = client.post(
        f"{API}/collectivites/{organisation.id}/membres",
        json={"email": "a-invite@a.fr", "role": "editor"},
        headers=bearer(a_token),
    ).json()
    add_user(store, "a-lecteur@a.fr", organisation=organisation, role="reader")
    fleet = client.get(
        f"{API}/collectivites/{organisation.id}/parc",
        params={"limite": 50},
        headers=bearer(a_token),
    ).json()
    asset_ids = [d["asset_id"] for d in fleet["equipements"]]
    other = other_organisation(store)
    b_token = token_for(client, store, "b-admin@b.fr", organisation=other, role="admin")
    a_user = next(
        u for u, _ in organisation_members(store, organisation.id) if u.email == "a-admin@a.fr"
    )
    ids = {
        "organisation_id": str(organisation.id),
        "user_id": str(a_user.id),
        "depot_id": str(pending["id"]),
        "import_id": str(applied["id"]),
        "token_id": str(list_api_tokens(store, a_user.id)[0].id),
        "invitation_id": str(invited["id"]),
        "asset_id": asset_ids[0],
    }
    return {
        "app": app,
        "client": client,
        "ids": ids,
        "b_token": b_token,
        "secrets": markers(store, organisation, asset_ids),
        "a_user_id": a_user.id,
        "pending_id": pending["id"],
    }


def routes_of(world: dict[str, Any]) -> list[tuple[str, RouteInfo]]:
    out = []
    for route in http_routes(world["app"]):
        for method in sorted(route.methods - {"HEAD", "OPTIONS"}):
            out.append((method, route))
    assert len(out) > 20, "the route walk found too few routes"
    return out


def test_anonymous_gets_nothing(world: dict[str, Any]) -> None:
    client: TestClient = world["client"]
    client.cookies.clear()
    failures = []
    for method, route in routes_of(world):
        if (method, route.path) in PUBLIC:
            continue
        url = fill(route.path, world["ids"])
        for accept in ("application/json", "text/html"):
            response = call(client, method, url, {"accept": accept})
            redirect_to_login = response.status_code == 303 and response.headers.get(
                "location", ""
            ).startswith("/connexion")
            if response.status_code not in DENIED and not redirect_to_login:
                failures.append(f"{method} {url} ({accept}) → {response.status_code}")
            if leaks := leaked(response.text, world["secrets"]):
                failures.append(f"{method} {url} leaks {leaks}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("via", ["token", "session"])
def test_other_organisation_gets_nothing(world: dict[str, Any], store: Store, via: str) -> None:
    client: TestClient = world["client"]
    client.cookies.clear()
    headers = {"accept": "application/json"}
    if via == "token":
        headers |= bearer(world["b_token"])
    else:
        assert login(client, "b-admin@b.fr").status_code == 303
        headers["x-csrf-token"] = csrf_of(client)
    before = len(list_events(store, limit=10_000))
    failures = []
    for method, route in routes_of(world):
        if (method, route.path) in PUBLIC:
            continue
        url = fill(route.path, world["ids"])
        response = call(client, method, url, headers)
        scoped = any(
            p in route.path
            for p in ("{organisation_id}", "{token_id}", "{user_id}", "{invitation_id}")
        )
        if scoped and response.status_code not in DENIED:
            failures.append(f"{method} {url} → {response.status_code}: {response.text[:200]}")
        if leaks := leaked(response.text, world["secrets"]):
            failures.append(f"{method} {url} leaks {leaks}")
        if response.status_code >= 500:
            failures.append(f"{method} {url} → {response.status_code}")
    assert not failures, "\n".join(failures)
    # Nothing of A changed: its members, its token, its pending upload.
    members = {
        u.email for u, _ in organisation_members(store, int(world["ids"]["organisation_id"]))
    }
    assert members == {"a-admin@a.fr", "a-lecteur@a.fr"}
    assert list_api_tokens(store, world["a_user_id"])[0].revoked_at is None
    organisation_id = int(world["ids"]["organisation_id"])
    assert [i.email for i in pending_invitations(store, organisation_id)] == ["a-invite@a.fr"]
    assert find_user_by_email(store, "a-admin@a.fr") is not None
    events = list_events(store, limit=10_000)[: len(list_events(store, limit=10_000)) - before]
    assert all(e.organisation_id != int(world["ids"]["organisation_id"]) for e in events)
