"""ProConnect login against a local OpenID Connect provider on loopback."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import httpx2
import pytest
from fastapi.testclient import TestClient

from oidc_provider import CLIENT_ID, CLIENT_SECRET, RunningProvider
from sobrenum.store import Organisation, Store, list_events
from sobrenum.store.users import find_user_by_email
from web_support import add_user, client_for, make_app


@pytest.fixture(scope="module")
def provider() -> Iterator[RunningProvider]:
    running = RunningProvider()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def client(store: Store, tmp_path: Path, provider: RunningProvider) -> Iterator[TestClient]:
    provider.provider.tamper.clear()
    app = make_app(
        store,
        tmp_path,
        proconnect_issuer=provider.provider.issuer,
        proconnect_client_id=CLIENT_ID,
        proconnect_client_secret=CLIENT_SECRET,
    )
    with client_for(app) as test_client:
        yield test_client


def proconnect_round_trip(client: TestClient, state: str | None = None) -> httpx2.Response:
    """Click « S'identifier avec ProConnect », let the provider answer, come back."""
    start = client.get("/connexion/proconnect", params={"suivant": "/api/v1/moi"})
    assert start.status_code == 302, start.text
    authorize = start.headers["location"]
    answer = httpx.get(authorize, follow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.text
    back = urlsplit(answer.headers["location"])
    query = parse_qs(back.query)
    params = {"code": query["code"][0], "state": state or query["state"][0]}
    response = client.get(back.path, params=params)
    return response


def test_login_page_offers_proconnect(client: TestClient) -> None:
    assert "S'identifier avec ProConnect" in client.get("/connexion").text


def test_known_agent_logs_in_with_pkce_and_nonce(
    client: TestClient, store: Store, organisation: Organisation, provider: RunningProvider
) -> None:
    add_user(store, "agent@mairie.fr", organisation=organisation, role="editor", password_hash=None)
    done = proconnect_round_trip(client)
    assert done.status_code == 303, done.text
    assert done.headers["location"] == "/api/v1/moi"
    me = client.get("/api/v1/moi").json()
    assert me["email"] == "agent@mairie.fr" and me["collectivites"] == {
        str(organisation.id): "editor"
    }
    sent = provider.provider.seen[-1]
    assert sent["code_challenge_method"] == "S256" and sent["code_challenge"]
    assert sent["nonce"] and sent["state"]
    user = find_user_by_email(store, "agent@mairie.fr")
    assert user is not None and user.oidc_subject == "proconnect-sub-1"
    login = next(e for e in list_events(store) if e.action == "auth.login")
    assert login.details == {"method": "proconnect", "ip": "testclient"}


def test_unknown_agent_is_not_created(client: TestClient, store: Store) -> None:
    refused = proconnect_round_trip(client)
    assert refused.status_code == 403
    assert "Aucun compte sobrenum actif" in refused.text
    assert find_user_by_email(store, "agent@mairie.fr") is None
    assert client.get("/api/v1/moi").status_code == 401


def test_forged_state_is_refused(client: TestClient, store: Store) -> None:
    add_user(store, "agent@mairie.fr", password_hash=None)
    refused = proconnect_round_trip(client, state="etat-forge")
    assert refused.status_code == 400
    assert client.get("/api/v1/moi").status_code == 401


@pytest.mark.parametrize("tamper", ["nonce", "audience"])
def test_bad_id_token_is_refused(
    client: TestClient, store: Store, provider: RunningProvider, tamper: str
) -> None:
    add_user(store, "agent@mairie.fr", password_hash=None)
    provider.provider.tamper.add(tamper)
    refused = proconnect_round_trip(client)
    assert refused.status_code == 400, refused.text
    assert client.get("/api/v1/moi").status_code == 401


def test_invitation_creates_the_account_through_proconnect(
    client: TestClient, store: Store, organisation: Organisation
) -> None:
    """An invited agent without an account signs in with ProConnect from the invitation
    page: the account is created for ProConnect only (no password), with the role."""
    from sobrenum.store.users import invite_member

    invite_member(
        store,
        organisation_id=organisation.id,
        email="agent@mairie.fr",
        role="editor",
        token="jeton-invitation-proconnect-0001",
        lifetime=dt.timedelta(days=7),
        actor="test",
    )
    start = client.get(
        "/invitation/proconnect", params={"jeton": "jeton-invitation-proconnect-0001"}
    )
    assert start.status_code == 303
    assert start.headers["location"].startswith("http://testserver/connexion/proconnect")
    done = proconnect_round_trip(client)
    assert done.status_code == 303, done.text
    user = find_user_by_email(store, "agent@mairie.fr")
    assert user is not None and user.password_hash is None
    assert user.oidc_subject == "proconnect-sub-1"
    assert user.display_name == "Camille Martin"  # the names ProConnect gave
    me = client.get("/api/v1/moi").json()
    assert me["collectivites"] == {str(organisation.id): "editor"}
    # Used once: the link no longer works.
    assert (
        client.get("/invitation", params={"jeton": "jeton-invitation-proconnect-0001"}).status_code
        == 404
    )
