"""The reuse register through the web: REST API and page, roles, the wipe rule."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from sobrenum.store import Organisation, Store
from test_reuse import seed_fleet
from test_web_api import API, bearer, token_for
from web_support import add_user, client_for, csrf_of, login, make_app


@pytest.fixture
def web(store: Store, organisation: Organisation, tmp_path: Path) -> Iterator[TestClient]:
    seed_fleet(store, organisation)
    with client_for(make_app(store, tmp_path)) as client:
        yield client


def test_api_refuses_donation_without_wipe(
    web: TestClient, store: Store, organisation: Organisation
) -> None:
    base = f"{API}/collectivites/{organisation.id}/reemploi"
    editor = bearer(token_for(web, store, "dsi@a.fr", organisation=organisation, role="editor"))
    reader = bearer(token_for(web, store, "elu@a.fr", organisation=organisation, role="reader"))
    donation = {
        "asset_id": "R1",
        "destination": "donation",
        "date": "2025-03-10",
        "receiver_kind": "association",
        "receiver_name": "Emmaüs Connect",
    }
    refused = web.post(f"{base}/sorties", json=donation, headers=editor)
    assert refused.status_code == 409
    assert "aucun effacement" in refused.json()["detail"]
    wipe = {
        "asset_id": "R1",
        "method": "purge",
        "tool": "Secure Erase",
        "operator": "DSI",
        "date": "2025-03-01",
    }
    assert web.post(f"{base}/effacements", json=wipe, headers=reader).status_code == 403
    made = web.post(f"{base}/effacements", json=wipe, headers=editor)
    assert made.status_code == 201, made.text
    done = web.post(f"{base}/sorties", json=donation, headers=editor)
    assert done.status_code == 201, done.text
    assert done.json()["wipe_id"] == made.json()["id"]

    rate = web.get(f"{base}/taux", params={"annee": 2025}, headers=reader).json()
    assert (rate["reemployes"], rate["reformes_en_stock"]) == (1, 7)
    assert rate["objectif"] == 50.0 and rate["impacts_evites_kgco2e"] > 0
    pdf = web.get(f"{base}/sorties/{done.json()['id']}/convention.pdf", headers=editor)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    certificate = web.get(f"{base}/effacements/{made.json()['id']}/certificat.pdf", headers=reader)
    assert certificate.content.startswith(b"%PDF")

    # Beneficiaries are for editors only; readers see the indicators.
    person = web.post(
        f"{base}/beneficiaires",
        json={"initials": "M.D.", "public_type": "senior", "postcode": "69100"},
        headers=editor,
    )
    assert person.status_code == 201
    assert web.get(f"{base}/beneficiaires", headers=reader).status_code == 403
    assert web.get(f"{base}/dons.csv", headers=reader).status_code == 403
    assert "M.D." not in web.get(f"{base}/dons.csv", params={"annee": 2025}, headers=editor).text


def test_page_refuses_donation_without_wipe_and_shows_the_rate(
    web: TestClient, store: Store, organisation: Organisation
) -> None:
    add_user(store, "dsi@a.fr", organisation=organisation, role="editor")
    assert login(web, "dsi@a.fr").status_code == 303
    page = f"/collectivites/{organisation.id}/reemploi"
    shown = web.get(page, params={"annee": 2025})
    assert shown.status_code == 200
    assert "Taux de réemploi 2025 : 0 / 7 = 0,0 % (objectif 50 %)" in shown.text
    form = {
        "csrf_token": csrf_of(web),
        "equipement": "R1",
        "destination": "donation",
        "date": "2025-03-10",
        "type_destinataire": "association",
        "destinataire": "Emmaüs Connect",
    }
    refused = web.post(f"{page}/sortie", data=form)
    assert refused.status_code == 422
    assert "aucun effacement" in refused.text
    assert 'value="Emmaüs Connect"' in refused.text  # the form keeps what was typed
    wiped = web.post(
        f"{page}/effacement",
        data={
            "csrf_token": csrf_of(web),
            "equipement": "R1",
            "methode": "purge",
            "outil": "Secure Erase",
            "operateur": "DSI",
            "date": "2025-03-01",
        },
    )
    assert wiped.status_code == 303
    done = web.post(f"{page}/sortie", data=form)
    assert done.status_code == 303
    after = web.get(done.headers["location"])
    assert "Taux de réemploi 2025 : 1 / 7 = 14,3 % (objectif 50 %)" in after.text
    assert "Sortie enregistrée" in after.text
    # Avoided impacts say their counterfactual, as the council report does (the 2012 desktop
    # kept in service past its lifetime, the donated laptop).
    assert "Selon le registre de réemploi, les actions de 2025 évitent" in after.text
    assert "par 1 équipement(s) sortis vers le réemploi ou le don, ou redistribués" in after.text
    assert "par 1 équipement(s) gardés en service au-delà de la durée de vie" in after.text
    assert "une comparaison avec ce qui se serait passé sans l'action" in after.text
    assert "sans s'en déduire" in after.text
    # A year without any recorded action announces nothing.
    before = web.get(page, params={"annee": 2023}).text
    assert "aucun impact évité n'est annoncé" in before and "les actions de 2023" not in before
    # Without the CSRF token nothing is written.
    assert web.post(f"{page}/sortie", data={**form, "csrf_token": "x"}).status_code == 403
