"""The REST API on the real app and store: organisations, members, fleet, imports, footprint,
API tokens, CSRF, roles and the audit log."""

from __future__ import annotations

from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient

from sobrenum.store import Organisation, Store, list_events
from sobrenum.web.security import hash_password
from web_support import add_user, client_for, csrf_of, login, make_app

API = "/api/v1"
DEMO = Path(str(resources.files("sobrenum") / "data" / "demo" / "inventaire-demo.xlsx"))


@pytest.fixture
def app_client(store: Store, tmp_path: Path) -> Iterator[TestClient]:
    with client_for(make_app(store, tmp_path)) as client:
        yield client


def token_for(client: TestClient, store: Store, email: str, **user: Any) -> str:
    """Create the user, log in, make an API token, log out: the token."""
    add_user(store, email, **user)
    assert login(client, email).status_code == 303
    made = client.post(
        f"{API}/moi/jetons", json={"nom": "script"}, headers={"x-csrf-token": csrf_of(client)}
    )
    assert made.status_code == 201, made.text
    client.post("/deconnexion", data={"csrf_token": csrf_of(client)})
    client.cookies.clear()
    token: str = made.json()["jeton"]
    return token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def upload_demo(client: TestClient, org_id: int, token: str) -> Any:
    with DEMO.open("rb") as handle:
        return client.post(
            f"{API}/collectivites/{org_id}/imports/depots",
            files={"fichier": (DEMO.name, handle, "application/octet-stream")},
            data={"date_inventaire": "2025-06-30"},
            headers=bearer(token),
        )


def test_token_works_then_revoked(
    app_client: TestClient, store: Store, organisation: Organisation
) -> None:
    token = token_for(app_client, store, "dsi@mairie.fr", organisation=organisation, role="reader")
    mine = app_client.get(f"{API}/collectivites", headers=bearer(token))
    assert mine.status_code == 200
    assert [o["nom"] for o in mine.json()] == [organisation.name]
    assert mine.json()[0]["role"] == "reader"

    tokens = app_client.get(f"{API}/moi/jetons", headers=bearer(token)).json()
    assert len(tokens) == 1 and "jeton" not in tokens[0]
    # A script revokes its own token without any CSRF token: bearer requests are exempt.
    gone = app_client.delete(f"{API}/moi/jetons/{tokens[0]['id']}", headers=bearer(token))
    assert gone.status_code == 204
    refused = app_client.get(f"{API}/collectivites", headers=bearer(token))
    assert refused.status_code == 401
    assert "révoqué" in refused.json()["detail"]
    assert "api_token.revoke" in [e.action for e in list_events(store)]


def test_unknown_token_and_anonymous_get_401_in_french(app_client: TestClient) -> None:
    assert app_client.get(f"{API}/moi", headers=bearer("sbn_faux")).status_code == 401
    anonymous = app_client.get(f"{API}/moi")
    assert anonymous.status_code == 401
    assert anonymous.json()["detail"] == "Authentification requise : connectez-vous."


def test_csrf_required_for_cookie_sessions(
    app_client: TestClient, store: Store, organisation: Organisation
) -> None:
    add_user(store, "chef@mairie.fr", organisation=organisation, role="admin")
    login(app_client, "chef@mairie.fr")
    url = f"{API}/collectivites/{organisation.id}"
    without = app_client.patch(url, json={"agents": 250})
    assert without.status_code == 403
    assert "CSRF" in without.json()["detail"]
    wrong = app_client.patch(url, json={"agents": 250}, headers={"x-csrf-token": "x" * 43})
    assert wrong.status_code == 403
    done = app_client.patch(
        url, json={"agents": 250}, headers={"x-csrf-token": csrf_of(app_client)}
    )
    assert done.status_code == 200 and done.json()["agents"] == 250
    # Forms too: a login form posted without its token is refused.
    app_client.cookies.clear()
    form = app_client.post("/connexion", data={"email": "chef@mairie.fr", "mot_de_passe": "x"})
    assert form.status_code == 403


def test_reader_cannot_change_editor_imports_admin_manages_members(
    app_client: TestClient, store: Store, organisation: Organisation
) -> None:
    reader = token_for(
        app_client, store, "lect@mairie.fr", organisation=organisation, role="reader"
    )
    editor = token_for(
        app_client, store, "edit@mairie.fr", organisation=organisation, role="editor"
    )
    admin = token_for(app_client, store, "adm@mairie.fr", organisation=organisation, role="admin")
    org_url = f"{API}/collectivites/{organisation.id}"

    patch = app_client.patch(org_url, json={"population": 1}, headers=bearer(reader))
    assert patch.status_code == 403 and "lecteur" in patch.json()["detail"]
    assert upload_demo(app_client, organisation.id, reader).status_code == 403
    assert app_client.get(f"{org_url}/membres", headers=bearer(editor)).status_code == 403

    staged = upload_demo(app_client, organisation.id, editor)
    assert staged.status_code == 201, staged.text
    report = staged.json()
    assert report["statut"] == "pending"
    assert report["rapport"]["lignes_acceptees"] > 0
    # Nothing applied yet: the footprint is not there.
    assert app_client.get(f"{org_url}/empreinte", headers=bearer(reader)).status_code == 404
    applied = app_client.post(
        f"{org_url}/imports/depots/{report['id']}/appliquer", headers=bearer(editor)
    )
    assert applied.status_code == 200, applied.text
    assert applied.json()["ajoutes"] == report["rapport"]["lignes_acceptees"]
    again = app_client.post(
        f"{org_url}/imports/depots/{report['id']}/appliquer", headers=bearer(editor)
    )
    # Applying twice (a double click) answers the same success: one import, same figures.
    assert again.status_code == 200, again.text
    assert again.json() == applied.json()

    # The org admin invites a new reader, who chooses a password; the admin changes their
    # role, removes them.
    made = app_client.post(
        f"{org_url}/membres",
        json={"email": "nouveau@mairie.fr", "role": "reader"},
        headers=bearer(admin),
    )
    assert made.status_code == 201, made.text
    token = parse_qs(urlsplit(made.json()["lien"]).query)["jeton"][0]
    accepted = app_client.post(
        f"{API}/invitations/acceptation",
        json={"jeton": token, "mot_de_passe": "un long mot de passe"},
        headers={"x-csrf-token": csrf_of(app_client)},
    )
    assert accepted.status_code == 200, accepted.text
    new_id = next(
        m["id"]
        for m in app_client.get(f"{org_url}/membres", headers=bearer(admin)).json()
        if m["email"] == "nouveau@mairie.fr"
    )
    changed = app_client.patch(
        f"{org_url}/membres/{new_id}", json={"role": "editor"}, headers=bearer(admin)
    )
    assert changed.json()["role"] == "editor"
    assert login(app_client, "nouveau@mairie.fr", "un long mot de passe").status_code == 303
    app_client.cookies.clear()
    removed = app_client.delete(f"{org_url}/membres/{new_id}", headers=bearer(admin))
    assert removed.status_code == 204
    emails = [
        m["email"] for m in app_client.get(f"{org_url}/membres", headers=bearer(admin)).json()
    ]
    assert "nouveau@mairie.fr" not in emails and "adm@mairie.fr" in emails

    actions = [e.action for e in list_events(store, organisation_id=organisation.id, limit=500)]
    for expected in ("import.upload", "import.apply", "membership.set", "membership.remove"):
        assert any(a.startswith(expected.split(".")[0]) for a in actions), expected
    assert "membership.remove" in actions and "import.upload" in actions


def test_fleet_pages_filters_and_device_impacts(
    app_client: TestClient, store: Store, organisation: Organisation
) -> None:
    token = token_for(app_client, store, "edit@mairie.fr", organisation=organisation, role="editor")
    staged = upload_demo(app_client, organisation.id, token).json()
    app_client.post(
        f"{API}/collectivites/{organisation.id}/imports/depots/{staged['id']}/appliquer",
        headers=bearer(token),
    )
    url = f"{API}/collectivites/{organisation.id}/parc"
    first = app_client.get(url, params={"limite": 5}, headers=bearer(token)).json()
    total = first["total"]
    assert total == staged["rapport"]["lignes_acceptees"] and len(first["equipements"]) == 5
    ids = [d["asset_id"] for d in first["equipements"]]
    assert ids == sorted(ids)
    second = app_client.get(url, params={"limite": 5, "decalage": 5}, headers=bearer(token)).json()
    assert not set(ids) & {d["asset_id"] for d in second["equipements"]}

    category = first["equipements"][0]["category"]
    only = app_client.get(
        url, params={"categorie": category, "limite": 1000}, headers=bearer(token)
    ).json()
    assert only["total"] <= total and all(d["category"] == category for d in only["equipements"])
    newest = app_client.get(
        url, params={"tri": "-acquisition_date", "limite": 3}, headers=bearer(token)
    ).json()["equipements"]
    dates = [d["acquisition_date"] for d in newest if d["acquisition_date"]]
    assert dates == sorted(dates, reverse=True)
    bad_sort = app_client.get(url, params={"tri": "mot_de_passe"}, headers=bearer(token))
    assert bad_sort.status_code == 422 and "tri" in bad_sort.json()["detail"]

    detail = app_client.get(f"{url}/{ids[0]}", headers=bearer(token))
    assert detail.status_code == 200, detail.text
    body = detail.json()
    assert body["equipement"]["asset_id"] == ids[0]
    gwp = [i for i in body["impacts"] if i["criterion"] == "gwp"]
    assert gwp and all(i["factor_id"] and i["source_id"] for i in gwp)
    assert {s["source_id"] for s in body["sources"]} >= {i["source_id"] for i in gwp}
    assert app_client.get(f"{url}/inconnu-42", headers=bearer(token)).status_code == 404


def test_footprint_totals_per_staff_and_inhabitant(
    app_client: TestClient, store: Store, organisation: Organisation
) -> None:
    token = token_for(app_client, store, "edit@mairie.fr", organisation=organisation, role="admin")
    staged = upload_demo(app_client, organisation.id, token).json()
    org_url = f"{API}/collectivites/{organisation.id}"
    app_client.post(f"{org_url}/imports/depots/{staged['id']}/appliquer", headers=bearer(token))
    result = app_client.get(f"{org_url}/empreinte", headers=bearer(token)).json()
    assert result["gwp_annuel"] > 0
    assert result["par_agent"] == pytest.approx(result["gwp_annuel"] / 240)
    assert result["par_habitant"] == pytest.approx(result["gwp_annuel"] / 12_500)
    assert sum(c["gwp_annuel"] for c in result["categories"]) == pytest.approx(result["gwp_annuel"])
    assert {c["critere"] for c in result["criteres"]} >= {"gwp"}
    # Changing the staff count changes the ratio at once (the cache key holds it).
    app_client.patch(org_url, json={"agents": 480}, headers=bearer(token))
    again = app_client.get(f"{org_url}/empreinte", headers=bearer(token)).json()
    assert again["par_agent"] == pytest.approx(result["gwp_annuel"] / 480)


def test_bad_upload_changes_nothing(
    app_client: TestClient, store: Store, organisation: Organisation
) -> None:
    token = token_for(app_client, store, "edit@mairie.fr", organisation=organisation, role="editor")
    bad = app_client.post(
        f"{API}/collectivites/{organisation.id}/imports/depots",
        files={"fichier": ("parc.csv", b"nimporte;quoi\n1;2\n", "text/csv")},
        headers=bearer(token),
    )
    assert bad.status_code in (201, 400), bad.text
    if bad.status_code == 201:
        applied = app_client.post(
            f"{API}/collectivites/{organisation.id}/imports/depots/{bad.json()['id']}/appliquer",
            headers=bearer(token),
        )
        assert applied.status_code in (409, 422)
    else:
        assert bad.json()["detail"]
    fleet = app_client.get(f"{API}/collectivites/{organisation.id}/parc", headers=bearer(token))
    assert fleet.json()["total"] == 0


def test_password_hash_is_argon2(store: Store) -> None:
    assert hash_password("un mot de passe assez long").startswith("$argon2id$")
