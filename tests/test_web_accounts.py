"""Accounts belong to their owner: membership by invitation (API and page), no account
takeover across organisations, no enumeration of e-mails, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from sobrenum.store import Organisation, Store, list_events
from sobrenum.store.users import (
    ApiToken,
    Invitation,
    InvitationError,
    OwnAdminRole,
    accept_invitation,
    add_api_token,
    check_own_admin_role,
    find_user_by_email,
    invitation_for_token,
    invite_member,
    organisation_members,
    pending_invitations,
    remember_oidc_subject,
    user_for_token,
)
from test_web_api import API, bearer, token_for
from web_support import PASSWORD, add_user, client_for, csrf_of, login, make_app, other_organisation

A_PASSWORD = "le mot de passe choisi par A"
B_PASSWORD = "un autre mot de passe choisi par B"


@pytest.fixture
def client(store: Store, tmp_path: Path) -> Iterator[TestClient]:
    with client_for(make_app(store, tmp_path)) as test_client:
        yield test_client


def token_of(link: str) -> str:
    """The invitation token of an invitation link."""
    return parse_qs(urlsplit(link).query)["jeton"][0]


def accept_api(client: TestClient, body: dict[str, Any], **headers: str) -> Any:
    return client.post(
        f"{API}/invitations/acceptation",
        json=body,
        headers={"x-csrf-token": csrf_of(client), **headers},
    )


def member_id(store: Store, organisation_id: int, email: str) -> int:
    return next(u.id for u, _ in organisation_members(store, organisation_id) if u.email == email)


def test_no_account_takeover_across_organisations(
    client: TestClient, store: Store, organisation: Organisation
) -> None:
    """The scenario of issue 11, through the HTTP API: A's admin picks x@b.fr's password,
    removes x from A; B's admin adds x@b.fr as B's admin. A's password must not open B, and
    B's admin must learn nothing about x's account."""
    a_admin = token_for(client, store, "admin@a.fr", organisation=organisation, role="admin")
    other = other_organisation(store)
    b_admin = token_for(client, store, "admin@b.fr", organisation=other, role="admin")
    a_members = f"{API}/collectivites/{organisation.id}/membres"
    b_members = f"{API}/collectivites/{other.id}/membres"

    # A's admin can no longer set someone's password or name.
    chosen = {"email": "x@b.fr", "role": "reader", "mot_de_passe": A_PASSWORD, "nom": "Nom de A"}
    refused = client.post(a_members, json=chosen, headers=bearer(a_admin))
    assert refused.status_code == 422, refused.text
    assert find_user_by_email(store, "x@b.fr") is None
    # Worst case left: A's admin invites x@b.fr and uses the link himself (nobody can tell
    # without an e-mail server): that creates x's account with A's password…
    invited = client.post(
        a_members, json={"email": "x@b.fr", "role": "reader"}, headers=bearer(a_admin)
    )
    assert invited.status_code == 201, invited.text
    made = accept_api(
        client,
        {"jeton": token_of(invited.json()["lien"]), "mot_de_passe": A_PASSWORD, "nom": "Nom de A"},
    )
    assert made.status_code == 200, made.text
    x_id = member_id(store, organisation.id, "x@b.fr")
    assert client.delete(f"{a_members}/{x_id}", headers=bearer(a_admin)).status_code == 204

    # B's admin adds x@b.fr as B's admin, with another password: refused, then invited.
    with_password = client.post(
        b_members,
        json={"email": "x@b.fr", "role": "admin", "mot_de_passe": B_PASSWORD},
        headers=bearer(b_admin),
    )
    assert with_password.status_code == 422
    existing = client.post(
        b_members, json={"email": "x@b.fr", "role": "admin"}, headers=bearer(b_admin)
    )
    fresh = client.post(
        b_members, json={"email": "y@b.fr", "role": "admin"}, headers=bearer(b_admin)
    )
    # The same answer whether or not the e-mail has an account elsewhere.
    assert existing.status_code == fresh.status_code == 201
    varying = {"id", "email", "cree_le", "expire_le", "lien"}
    assert existing.json().keys() == fresh.json().keys()
    assert {k: v for k, v in existing.json().items() if k not in varying} == {
        k: v for k, v in fresh.json().items() if k not in varying
    }
    assert "Nom de A" not in existing.text and "nom" not in existing.json()
    # x is not a member of B until the owner accepts; B's list does not show x.
    listed = client.get(b_members, headers=bearer(b_admin)).json()
    assert "x@b.fr" not in [m["email"] for m in listed]

    # Whoever holds B's link cannot set a password over the existing account.
    b_link = token_of(existing.json()["lien"])
    client.cookies.clear()
    overwrite = accept_api(client, {"jeton": b_link, "mot_de_passe": B_PASSWORD, "nom": "Nom de B"})
    assert overwrite.status_code == 401
    assert "connectez-vous" in overwrite.json()["detail"]
    assert login(client, "x@b.fr", B_PASSWORD).status_code == 401

    # A's password opens x's own account, but not B: A never holds B's invitation.
    client.cookies.clear()
    assert login(client, "x@b.fr", A_PASSWORD).status_code == 303
    me = client.get(f"{API}/moi").json()
    assert me["collectivites"] == {} and me["nom"] == "Nom de A"
    assert client.get(f"{API}/collectivites/{other.id}").status_code == 404
    assert client.get(f"/collectivites/{other.id}").status_code == 404


def test_invitation_token_is_random_hashed_single_use(
    client: TestClient, store: Store, organisation: Organisation
) -> None:
    admin = token_for(client, store, "chef@mairie.fr", organisation=organisation, role="admin")
    members = f"{API}/collectivites/{organisation.id}/membres"
    first = client.post(
        members, json={"email": "Agent@Mairie.fr", "role": "editor"}, headers=bearer(admin)
    )
    assert first.status_code == 201
    body = first.json()
    token = token_of(body["lien"])
    assert len(token) >= 43 and body["email"] == "agent@mairie.fr"
    assert body["lien"].startswith("http://testserver/invitation?jeton=")
    with store.transaction() as session:
        row = session.scalars(select(Invitation)).one()
        assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
        assert token not in repr([getattr(row, c) for c in row.__table__.columns.keys()])  # noqa: SIM118
        # 7 days, computed by hand from the creation time.
        assert row.expires_at - row.created_at == dt.timedelta(days=7)
    # The pending list never shows the link again.
    pending = client.get(
        f"{API}/collectivites/{organisation.id}/invitations", headers=bearer(admin)
    )
    assert [i["email"] for i in pending.json()] == ["agent@mairie.fr"]
    assert "lien" not in pending.text and token not in pending.text

    done = accept_api(client, {"jeton": token, "mot_de_passe": PASSWORD, "nom": " Camille  Agent "})
    assert done.status_code == 200, done.text
    assert done.json() == {
        "email": "agent@mairie.fr",
        "collectivite": organisation.id,
        "role": "editor",
    }
    again = accept_api(client, {"jeton": token, "mot_de_passe": "encore un autre mot de passe"})
    assert again.status_code == 404 and "déjà servi" in again.json()["detail"]
    assert login(client, "agent@mairie.fr", PASSWORD).status_code == 303
    me = client.get(f"{API}/moi").json()
    assert me["nom"] == "Camille Agent" and me["collectivites"] == {str(organisation.id): "editor"}
    actions = [e.action for e in list_events(store, organisation_id=organisation.id)]
    assert "invitation.create" in actions and "invitation.accept" in actions
    assert (
        client.get(
            f"{API}/collectivites/{organisation.id}/invitations", headers=bearer(admin)
        ).json()
        == []
    )


def test_weak_password_and_unknown_token_refused_in_french(
    client: TestClient, store: Store, organisation: Organisation
) -> None:
    admin = token_for(client, store, "chef@mairie.fr", organisation=organisation, role="admin")
    link = client.post(
        f"{API}/collectivites/{organisation.id}/membres",
        json={"email": "agent@mairie.fr", "role": "reader"},
        headers=bearer(admin),
    ).json()["lien"]
    for weak, words in (
        ("            ", "espaces"),
        ("aaaaaaaaaaaa", "répété"),
        ("Marseille2025!", "courant"),
        ("court", "12 caractères"),
    ):
        answer = accept_api(client, {"jeton": token_of(link), "mot_de_passe": weak})
        assert answer.status_code == 422 and words in answer.json()["detail"], weak
    missing = accept_api(client, {"jeton": token_of(link)})
    assert missing.status_code == 422 and "mot de passe" in missing.json()["detail"]
    assert find_user_by_email(store, "agent@mairie.fr") is None
    unknown = accept_api(client, {"jeton": "x" * 43, "mot_de_passe": PASSWORD})
    assert unknown.status_code == 404 and "pas valable" in unknown.json()["detail"]


def test_new_invitation_replaces_the_pending_one_and_cancel_works(
    client: TestClient, store: Store, organisation: Organisation
) -> None:
    admin = token_for(client, store, "chef@mairie.fr", organisation=organisation, role="admin")
    members = f"{API}/collectivites/{organisation.id}/membres"
    old = client.post(
        members, json={"email": "agent@mairie.fr", "role": "reader"}, headers=bearer(admin)
    )
    new = client.post(
        members, json={"email": "agent@mairie.fr", "role": "editor"}, headers=bearer(admin)
    )
    assert (
        accept_api(
            client, {"jeton": token_of(old.json()["lien"]), "mot_de_passe": PASSWORD}
        ).status_code
        == 404
    )
    url = f"{API}/collectivites/{organisation.id}/invitations/{new.json()['id']}"
    assert client.delete(url, headers=bearer(admin)).status_code == 204
    assert client.delete(url, headers=bearer(admin)).status_code == 404
    assert (
        accept_api(
            client, {"jeton": token_of(new.json()["lien"]), "mot_de_passe": PASSWORD}
        ).status_code
        == 404
    )
    # A member cannot be invited again (409; the admin sees the members anyway).
    again = client.post(
        members, json={"email": "chef@mairie.fr", "role": "reader"}, headers=bearer(admin)
    )
    assert again.status_code == 409 and "déjà membre" in again.json()["detail"]
    # Only admins invite.
    editor = token_for(client, store, "edit@mairie.fr", organisation=organisation, role="editor")
    assert (
        client.post(
            members, json={"email": "z@mairie.fr", "role": "admin"}, headers=bearer(editor)
        ).status_code
        == 403
    )


def test_expiry_boundary(store: Store, organisation: Organisation) -> None:
    """Valid strictly before ``expires_at``; at that instant it is refused."""
    invite_member(
        store,
        organisation_id=organisation.id,
        email="agent@mairie.fr",
        role="reader",
        token="jeton-de-test-assez-long-0001",
        lifetime=dt.timedelta(hours=1),
        actor="test",
    )
    assert invitation_for_token(store, "jeton-de-test-assez-long-0001") is not None
    with store.transaction() as session:
        session.execute(update(Invitation).values(expires_at=dt.datetime.now(dt.UTC)))
    assert invitation_for_token(store, "jeton-de-test-assez-long-0001") is None
    with pytest.raises(InvitationError) as refused:
        accept_invitation(store, "jeton-de-test-assez-long-0001", password_hash="x")
    assert refused.value.reason == "invalid"
    assert find_user_by_email(store, "agent@mairie.fr") is None


def test_existing_account_accepts_on_the_page_without_any_change(
    client: TestClient, store: Store, organisation: Organisation
) -> None:
    """The owner of an existing account signs in, then accepts; nothing of the account
    changes but the new membership."""
    other = other_organisation(store)
    add_user(store, "agent@mairie.fr", organisation=other, role="reader")
    admin = token_for(client, store, "chef@mairie.fr", organisation=organisation, role="admin")
    link = client.post(
        f"{API}/collectivites/{organisation.id}/membres",
        json={"email": "agent@mairie.fr", "role": "editor"},
        headers=bearer(admin),
    ).json()["lien"]
    path = urlsplit(link).path + "?" + urlsplit(link).query
    page = client.get(path)
    assert page.status_code == 200 and "Un compte existe déjà" in page.text
    assert "Choisissez votre mot de passe" not in page.text
    # Posting a password while signed out creates nothing and changes nothing.
    forced = client.post(
        "/invitation",
        data={
            "csrf_token": csrf_of(client),
            "jeton": token_of(link),
            "mot_de_passe": B_PASSWORD,
            "confirmation": B_PASSWORD,
            "nom": "Autre nom",
        },
    )
    assert forced.status_code == 401 and "connectez-vous" in forced.text
    assert login(client, "agent@mairie.fr", B_PASSWORD).status_code == 401
    # Signed in to the account: the page offers to accept.
    assert login(client, "agent@mairie.fr", next_path=path).headers["location"] == path
    assert "Accepter l'invitation" in client.get(path).text
    done = client.post("/invitation", data={"csrf_token": csrf_of(client), "jeton": token_of(link)})
    assert (
        done.status_code == 303 and done.headers["location"] == f"/collectivites/{organisation.id}"
    )
    user = find_user_by_email(store, "agent@mairie.fr")
    assert user is not None and user.display_name == "Agent"
    me = client.get(f"{API}/moi").json()
    assert me["collectivites"] == {str(other.id): "reader", str(organisation.id): "editor"}


def test_new_account_on_the_page_then_signed_in(
    client: TestClient, store: Store, organisation: Organisation
) -> None:
    admin = token_for(client, store, "chef@mairie.fr", organisation=organisation, role="admin")
    link = client.post(
        f"{API}/collectivites/{organisation.id}/membres",
        json={"email": "agent@mairie.fr", "role": "reader"},
        headers=bearer(admin),
    ).json()["lien"]
    path = urlsplit(link).path + "?" + urlsplit(link).query
    page = client.get(path)
    assert page.status_code == 200 and "Choisissez votre mot de passe" in page.text
    assert organisation.name in page.text
    form = {"csrf_token": csrf_of(client), "jeton": token_of(link), "nom": "Camille"}
    mismatch = client.post(
        "/invitation", data={**form, "mot_de_passe": PASSWORD, "confirmation": PASSWORD + "x"}
    )
    assert mismatch.status_code == 422 and "pas identiques" in mismatch.text
    done = client.post(
        "/invitation", data={**form, "mot_de_passe": PASSWORD, "confirmation": PASSWORD}
    )
    assert (
        done.status_code == 303 and done.headers["location"] == f"/collectivites/{organisation.id}"
    )
    assert client.get(done.headers["location"]).status_code == 200  # signed in at once
    used = client.get(path)
    assert used.status_code == 404 and "pas valable" in used.text
    # Someone signed in with another account cannot use a link addressed to another e-mail.
    second = client.post(
        f"{API}/collectivites/{organisation.id}/membres",
        json={"email": "autre@mairie.fr", "role": "admin"},
        headers=bearer(admin),
    ).json()["lien"]
    wrong = client.post(
        "/invitation", data={"csrf_token": csrf_of(client), "jeton": token_of(second)}
    )
    assert wrong.status_code == 403 and "déconnectez-vous" in wrong.text
    assert find_user_by_email(store, "autre@mairie.fr") is None


def test_password_change_needs_the_current_one_and_revokes_the_rest(
    store: Store, tmp_path: Path, organisation: Organisation
) -> None:
    app = make_app(store, tmp_path)
    with client_for(app) as browser, client_for(app) as other_browser:
        token = token_for(
            browser, store, "agent@mairie.fr", organisation=organisation, role="reader"
        )
        assert login(browser, "agent@mairie.fr").status_code == 303
        assert login(other_browser, "agent@mairie.fr").status_code == 303
        url = f"{API}/moi/mot-de-passe"
        headers = {"x-csrf-token": csrf_of(browser)}
        wrong = browser.put(
            url, json={"actuel": "pas le bon", "nouveau": B_PASSWORD}, headers=headers
        )
        assert wrong.status_code == 403 and "actuel incorrect" in wrong.json()["detail"]
        weak = browser.put(
            url, json={"actuel": PASSWORD, "nouveau": "motdepasse123"}, headers=headers
        )
        assert weak.status_code == 422 and "courant" in weak.json()["detail"]
        done = browser.put(url, json={"actuel": PASSWORD, "nouveau": B_PASSWORD}, headers=headers)
        assert done.status_code == 204, done.text
        assert browser.get(f"{API}/moi").status_code == 200  # this session stays
        assert other_browser.get(f"{API}/moi").status_code == 401  # the other one is closed
        assert browser.get(f"{API}/moi", headers=bearer(token)).status_code == 401  # revoked
        browser.cookies.clear()
        assert login(browser, "agent@mairie.fr", PASSWORD).status_code == 401
        assert login(browser, "agent@mairie.fr", B_PASSWORD).status_code == 303
    assert "user.password_change" in [e.action for e in list_events(store)]


def test_password_change_page(client: TestClient, store: Store) -> None:
    add_user(store, "agent@mairie.fr")
    login(client, "agent@mairie.fr")
    page = client.get("/compte")
    assert page.status_code == 200 and "Changer mon mot de passe" in page.text
    form = {"csrf_token": csrf_of(client), "actuel": PASSWORD, "nouveau": B_PASSWORD}
    mismatch = client.post("/compte/mot-de-passe", data={**form, "confirmation": "autre chose"})
    assert mismatch.status_code == 422 and "pas identiques" in mismatch.text
    done = client.post("/compte/mot-de-passe", data={**form, "confirmation": B_PASSWORD})
    assert done.status_code == 303 and done.headers["location"] == "/compte?ok=mot-de-passe"
    assert "Mot de passe changé" in client.get(done.headers["location"]).text


def test_success_messages_come_from_a_fixed_list(
    client: TestClient, store: Store, organisation: Organisation
) -> None:
    add_user(store, "agent@mairie.fr", organisation=organisation, role="reader")
    login(client, "agent@mairie.fr")
    for page in ("reemploi", "strategie"):
        url = f"/collectivites/{organisation.id}/{page}"
        forged = client.get(url, params={"ok": "Votre compte est suspendu : appelez le 08 99…"})
        assert forged.status_code == 200 and "appelez le" not in forged.text
        assert 'role="status"' not in forged.text.split("<main", 1)[1].split("</h1>", 1)[1][:400]
    shown = client.get(
        f"/collectivites/{organisation.id}/strategie", params={"ok": "annee-figee", "annee": 2024}
    )
    assert "Année 2024 figée." in shown.text
    assert "Mot de passe changé" not in client.get("/compte", params={"ok": "<b>x</b>"}).text


def test_api_token_cannot_be_created_already_expired(client: TestClient, store: Store) -> None:
    add_user(store, "agent@mairie.fr")
    login(client, "agent@mairie.fr")
    headers = {"x-csrf-token": csrf_of(client)}
    today = dt.datetime.now(dt.UTC).date()
    yesterday = client.post(
        f"{API}/moi/jetons",
        json={"nom": "hier", "expire_le": str(today - dt.timedelta(days=1))},
        headers=headers,
    )
    assert yesterday.status_code == 422 and "déjà passée" in yesterday.json()["detail"]
    far = client.post(
        f"{API}/moi/jetons", json={"nom": "loin", "expire_le": "9999-12-31"}, headers=headers
    )
    assert far.status_code == 422 and "trop lointaine" in far.json()["detail"]
    made = client.post(
        f"{API}/moi/jetons", json={"nom": "aujourd'hui", "expire_le": str(today)}, headers=headers
    )
    assert made.status_code == 201, made.text
    # Valid through the whole of its last day (UTC): it works now.
    assert client.get(f"{API}/moi", headers=bearer(made.json()["jeton"])).status_code == 200
    assert made.json()["expire_le"].startswith(str(today + dt.timedelta(days=1)))


def test_only_an_instance_admin_sets_a_password_or_deactivates(
    client: TestClient, store: Store, organisation: Organisation
) -> None:
    org_admin = token_for(client, store, "chef@mairie.fr", organisation=organisation, role="admin")
    instance = token_for(client, store, "dsi@instance.fr", instance_admin=True)
    agent_token = token_for(
        client, store, "agent@mairie.fr", organisation=organisation, role="reader"
    )
    agent = find_user_by_email(store, "agent@mairie.fr")
    assert agent is not None
    url = f"{API}/comptes/{agent.id}"
    assert (
        client.put(
            f"{url}/mot-de-passe", json={"mot_de_passe": B_PASSWORD}, headers=bearer(org_admin)
        ).status_code
        == 403
    )
    assert client.patch(url, json={"actif": False}, headers=bearer(org_admin)).status_code == 403
    assert client.get(f"{API}/comptes", headers=bearer(org_admin)).status_code == 403

    reset = client.put(
        f"{url}/mot-de-passe", json={"mot_de_passe": B_PASSWORD}, headers=bearer(instance)
    )
    assert reset.status_code == 204
    assert client.get(f"{API}/moi", headers=bearer(agent_token)).status_code == 401  # revoked
    assert login(client, "agent@mairie.fr", B_PASSWORD).status_code == 303
    event = next(e for e in list_events(store) if e.action == "user.password_set")
    assert event.actor.startswith("dsi@instance.fr") and event.details == {
        "email": "agent@mairie.fr"
    }

    off = client.patch(url, json={"actif": False}, headers=bearer(instance))
    assert off.status_code == 200 and off.json()["actif"] is False
    assert client.get(f"{API}/moi").status_code == 401  # the open session is closed
    client.cookies.clear()
    assert login(client, "agent@mairie.fr", B_PASSWORD).status_code == 401
    # The organisation admin still sees the member, deactivated, and may remove it.
    listed = client.get(
        f"{API}/collectivites/{organisation.id}/membres", headers=bearer(org_admin)
    ).json()
    assert {"email": "agent@mairie.fr", "actif": False}.items() <= next(
        m for m in listed if m["email"] == "agent@mairie.fr"
    ).items()
    on = client.patch(url, json={"actif": True}, headers=bearer(instance))
    assert on.status_code == 200
    assert login(client, "agent@mairie.fr", B_PASSWORD).status_code == 303
    me = find_user_by_email(store, "dsi@instance.fr")
    assert me is not None
    yourself = client.patch(
        f"{API}/comptes/{me.id}", json={"actif": False}, headers=bearer(instance)
    )
    assert yourself.status_code == 403


def test_pending_invitations_stay_in_their_organisation(
    store: Store, organisation: Organisation
) -> None:
    """Each organisation lists its own invitations only, whichever has the smaller id."""
    voisin = other_organisation(store)
    week = dt.timedelta(days=7)
    for org, email in ((organisation, "a@mairie.fr"), (voisin, "b@voisin.fr")):
        invite_member(
            store, organisation_id=org.id, email=email, role="reader",
            token=f"jeton-{email}", lifetime=week, actor="test",
        )  # fmt: skip
    assert [i.email for i in pending_invitations(store, organisation.id)] == ["a@mairie.fr"]
    assert [i.email for i in pending_invitations(store, voisin.id)] == ["b@voisin.fr"]
    # Inviting here an address invited there replaces nothing there.
    invite_member(
        store, organisation_id=organisation.id, email="b@voisin.fr", role="editor",
        token="jeton-b-ici", lifetime=week, actor="test",
    )  # fmt: skip
    assert [i.email for i in pending_invitations(store, voisin.id)] == ["b@voisin.fr"]
    assert len(pending_invitations(store, organisation.id)) == 2


def test_a_proconnect_subject_once_linked_is_kept(store: Store) -> None:
    user = add_user(store, "agent@mairie.fr")
    remember_oidc_subject(store, user.id, "sujet-1")
    remember_oidc_subject(store, user.id, "sujet-2")  # another identity: not taken over
    found = find_user_by_email(store, "agent@mairie.fr")
    assert found is not None and found.oidc_subject == "sujet-1"
    remember_oidc_subject(store, 10**9, "sujet-3")  # no such account: nothing happens


def test_an_admin_keeps_their_own_admin_role() -> None:
    def check(user_id: int, role: str | None, *, instance: bool = False) -> None:
        check_own_admin_role(actor_id=1, actor_is_instance_admin=instance, user_id=user_id,
                             role=role)  # fmt: skip

    check(1, "admin")  # staying admin
    check(2, "reader")  # another member
    check(2, None)
    check(1, "reader", instance=True)  # an instance admin may
    check(1, None, instance=True)
    with pytest.raises(OwnAdminRole, match="propre rôle d'administrateur"):
        check(1, "editor")
    with pytest.raises(OwnAdminRole, match="vous retirer vous-même"):
        check(1, None)


def test_token_use_is_dated_at_most_every_five_minutes(store: Store) -> None:
    """``last_used_at`` is written on the first use and when the last one is over five
    minutes old (not on every request); an expired or revoked token finds nobody."""
    user = add_user(store, "script@mairie.fr")
    now = dt.datetime.now(dt.UTC)
    row = add_api_token(store, user_id=user.id, name="script", token="sbn_" + "a" * 43,
                        actor="test")  # fmt: skip
    found = user_for_token(store, "sbn_" + "a" * 43)
    assert found is not None and found[1].last_used_at is not None

    def used(minutes_ago: float) -> dt.datetime:
        with store.transaction() as session:
            token = session.get(ApiToken, row.id)
            assert token is not None
            token.last_used_at = now - dt.timedelta(minutes=minutes_ago)
        found = user_for_token(store, "sbn_" + "a" * 43)
        assert found is not None
        stamp = found[1].last_used_at
        assert stamp is not None
        return stamp if stamp.tzinfo else stamp.replace(tzinfo=dt.UTC)

    assert used(4) <= now - dt.timedelta(minutes=3)  # recent: left as it was
    assert used(6) >= now  # over five minutes: dated again
    expired = add_api_token(store, user_id=user.id, name="vieux", token="sbn_" + "b" * 43,
                            expires_at=now - dt.timedelta(seconds=1), actor="test")  # fmt: skip
    assert expired.id and user_for_token(store, "sbn_" + "b" * 43) is None
