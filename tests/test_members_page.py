"""The members page of an organisation's admins: list, invite (the link shown once), change a
role, remove someone, cancel an invitation; refused to other roles, to other organisations'
admins (whatever the address says) and without the CSRF token. Then in a real browser
(Debian's chromium through Playwright) with axe-core."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Page, expect, sync_playwright

from sobrenum.store import Organisation, Store, create_organisation, list_events, open_store
from sobrenum.store.users import (
    find_user_by_email,
    memberships_of,
    pending_invitations,
)
from sobrenum.web.app import create_app
from sobrenum.web.settings import Settings
from test_e2e_pages import CHROMIUM, CHROMIUM_ARGS, check_page
from web_support import (
    PASSWORD,
    add_user,
    client_for,
    csrf_of,
    login,
    make_app,
    other_organisation,
    served,
)


@pytest.fixture
def client(store: Store, tmp_path: Path) -> Iterator[TestClient]:
    with client_for(make_app(store, tmp_path)) as test_client:
        yield test_client


def _post(client: TestClient, path: str, **form: str) -> Any:
    return client.post(path, data={"csrf_token": csrf_of(client), **form})


def test_admin_invites_changes_a_role_removes_and_cancels(
    client: TestClient, store: Store, organisation: Organisation
) -> None:
    admin = add_user(store, "chef@mairie.fr", organisation=organisation, role="admin")
    agent = add_user(store, "agent@mairie.fr", organisation=organisation, role="reader")
    base = f"/collectivites/{organisation.id}/membres"
    assert login(client, "chef@mairie.fr").status_code == 303

    page = client.get(base)
    assert page.status_code == 200
    assert "agent@mairie.fr" in page.text and "chef@mairie.fr" in page.text
    assert f'{base}/{agent.id}/role"' in page.text
    assert f'{base}/{admin.id}/role"' not in page.text  # not one's own role
    assert f'{base}" aria-current="page"' in page.text  # in the organisation menu

    invited = _post(client, f"{base}/inviter", email="Nouvel@Mairie.fr", role="editor")
    assert invited.status_code == 200
    text = invited.text
    link = re.search(r'value="(http://testserver/invitation\?jeton=[^"]+)"', text)
    assert link and "Invitation créée pour nouvel@mairie.fr" in text
    assert "jeton" not in str(invited.url)  # never in an address
    [pending] = pending_invitations(store, organisation.id)
    assert (pending.email, pending.role) == ("nouvel@mairie.fr", "editor")
    assert find_user_by_email(store, "nouvel@mairie.fr") is None  # no account made here
    assert "jeton" not in client.get(base).text  # shown once only

    again = _post(client, f"{base}/inviter", email="agent@mairie.fr", role="reader")
    assert again.status_code == 409 and "déjà membre" in again.text
    bad = _post(client, f"{base}/inviter", email="pas une adresse", role="reader")
    assert bad.status_code == 422 and "Adresse électronique invalide" in bad.text
    odd = _post(client, f"{base}/inviter", email="x@mairie.fr", role="instance")
    assert odd.status_code == 422 and "Rôle inconnu" in odd.text

    changed = _post(client, f"{base}/{agent.id}/role", role="editor")
    assert changed.status_code == 303
    assert changed.headers["location"] == f"{base}?ok=role-membre"
    assert "Rôle du membre changé." in client.get(changed.headers["location"]).text
    assert memberships_of(store, agent.id) == {organisation.id: "editor"}

    for path, form in (
        (f"{base}/{admin.id}/role", {"role": "reader"}),
        (f"{base}/{admin.id}/retirer", {}),
    ):
        refused = _post(client, path, **form)
        assert refused.status_code == 403 and "Vous ne pouvez pas" in refused.text
    assert memberships_of(store, admin.id) == {organisation.id: "admin"}

    removed = _post(client, f"{base}/{agent.id}/retirer")
    assert removed.status_code == 303
    assert memberships_of(store, agent.id) == {}
    assert find_user_by_email(store, "agent@mairie.fr") is not None  # the account stays
    assert _post(client, f"{base}/{agent.id}/retirer").status_code == 404

    cancelled = _post(client, f"/collectivites/{organisation.id}/invitations/{pending.id}/annuler")
    assert cancelled.status_code == 303
    assert pending_invitations(store, organisation.id) == []
    actions = [e.action for e in list_events(store)]
    for action in ("invitation.create", "membership.set", "membership.remove", "invitation.cancel"):
        assert action in actions


def test_other_roles_other_organisations_and_forged_requests_get_nothing(
    client: TestClient, store: Store, organisation: Organisation
) -> None:
    voisin = other_organisation(store)
    add_user(store, "chef@voisin.fr", organisation=voisin, role="admin")
    add_user(store, "editeur@mairie.fr", organisation=organisation, role="editor")
    agent = add_user(store, "agent@mairie.fr", organisation=organisation, role="reader")
    add_user(store, "chef@mairie.fr", organisation=organisation, role="admin")
    here = f"/collectivites/{organisation.id}"
    there = f"/collectivites/{voisin.id}"

    # An editor of the organisation: no members page, no change.
    assert login(client, "editeur@mairie.fr").status_code == 303
    assert client.get(f"{here}/membres").status_code == 403
    assert _post(client, f"{here}/membres/{agent.id}/role", role="admin").status_code == 403
    assert _post(client, f"{here}/membres/inviter", email="x@y.fr").status_code == 403
    assert memberships_of(store, agent.id) == {organisation.id: "reader"}
    client.post("/deconnexion", data={"csrf_token": csrf_of(client)})

    # The admin of another organisation: nothing here, by this address or through their own.
    client.cookies.clear()
    assert login(client, "chef@voisin.fr").status_code == 303
    assert client.get(f"{here}/membres").status_code in (403, 404)
    for path, form in (
        (f"{here}/membres/{agent.id}/role", {"role": "admin"}),
        (f"{here}/membres/{agent.id}/retirer", {}),
        (f"{here}/membres/inviter", {"email": "complice@voisin.fr", "role": "admin"}),
    ):
        assert _post(client, path, **form).status_code in (403, 404), path
    # Their own organisation's address with this organisation's member or invitation: 404.
    assert _post(client, f"{there}/membres/{agent.id}/role", role="admin").status_code == 404
    assert _post(client, f"{there}/membres/{agent.id}/retirer").status_code == 404
    assert memberships_of(store, agent.id) == {organisation.id: "reader"}
    assert "agent@mairie.fr" not in client.get(f"{there}/membres").text
    client.cookies.clear()

    assert login(client, "chef@mairie.fr").status_code == 303
    _post(client, f"{here}/membres/inviter", email="nouvel@mairie.fr", role="reader")
    [pending] = pending_invitations(store, organisation.id)
    client.cookies.clear()
    assert login(client, "chef@voisin.fr").status_code == 303
    assert _post(client, f"{there}/invitations/{pending.id}/annuler").status_code == 404
    assert _post(client, f"{here}/invitations/{pending.id}/annuler").status_code in (403, 404)
    assert [i.id for i in pending_invitations(store, organisation.id)] == [pending.id]
    client.cookies.clear()

    # The organisation's own admin, without the CSRF token: refused, nothing changed.
    assert login(client, "chef@mairie.fr").status_code == 303
    forged = client.post(f"{here}/membres/{agent.id}/role", data={"role": "admin"})
    assert forged.status_code == 403 and "CSRF" in forged.text
    assert memberships_of(store, agent.id) == {organisation.id: "reader"}


# --- in a real browser ---------------------------------------------------------------------


@pytest.fixture
def live(tmp_path: Path) -> Iterator[tuple[str, int]]:
    """The app with uvicorn on 127.0.0.1 (a free port, a thread) on a SQLite file: an
    organisation with its admin and a reader."""
    store = open_store(f"sqlite:///{tmp_path / 'sobrenum.sqlite3'}")
    organisation = create_organisation(store, name="Commune de Saint-Exemple", type="commune")
    add_user(store, "chef@mairie.fr", organisation=organisation, role="admin")
    add_user(store, "agent@mairie.fr", organisation=organisation, role="reader")
    app = create_app(Settings(store=store, data_folder=tmp_path))
    try:
        with served(app) as url:
            yield url, organisation.id
    finally:
        store.close()


@pytest.fixture
def browser_page() -> Iterator[Page]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        # bypass_csp: axe-core is injected inline; the app itself keeps its strict CSP.
        context = browser.new_context(locale="fr-FR", bypass_csp=True)
        context.set_default_timeout(15_000)
        try:
            yield context.new_page()
        finally:
            context.close()
            browser.close()


def test_members_page_in_a_browser(live: tuple[str, int], browser_page: Page) -> None:
    url, organisation_id = live
    page = browser_page
    page.goto(url + "/")
    page.get_by_label("Adresse électronique").fill("chef@mairie.fr")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.goto(f"{url}/collectivites/{organisation_id}/parametres")
    page.get_by_role("navigation", name="Menu de la collectivité").get_by_role(
        "link", name="Membres"
    ).click()
    expect(page).to_have_url(f"{url}/collectivites/{organisation_id}/membres")
    expect(page.get_by_role("heading", name="Membres de la collectivité")).to_be_visible()
    check_page(page, "membres")

    page.get_by_label("Adresse électronique").fill("nouvel@mairie.fr")
    page.get_by_label("Rôle", exact=True).select_option(label="Éditeur")
    page.get_by_role("button", name="Inviter", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("Invitation créée pour nouvel@mairie.fr")
    link = page.get_by_label("Lien à transmettre").input_value()
    assert link.startswith(f"{url}/invitation?jeton=")
    check_page(page, "membres-invitation")

    page.get_by_label("Rôle de agent@mairie.fr").select_option(label="Éditeur")
    page.get_by_role("button", name="Changer le rôle de agent@mairie.fr").click()
    expect(page.get_by_role("status")).to_have_text("Rôle du membre changé.")
    expect(page.get_by_label("Rôle de agent@mairie.fr")).to_have_value("editor")

    page.get_by_role("button", name="Annuler l'invitation de nouvel@mairie.fr").click()
    expect(page.get_by_role("status")).to_contain_text("Invitation annulée")
    expect(page.get_by_text("Aucune invitation en attente.")).to_be_visible()

    page.get_by_role("button", name="Retirer agent@mairie.fr de la collectivité").click()
    expect(page.get_by_role("status")).to_contain_text("Membre retiré")
    expect(page.get_by_role("row", name=re.compile("agent@mairie.fr"))).to_have_count(0)
    check_page(page, "membres-apres")
