"""The strategy in the web app: indicators page, declaring and objectives (editors only),
freezing a year, the council report button (a real PDF), consent and comparison."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from conftest import fleet_table
from sobrenum.store import Organisation, Store, apply_import
from sobrenum.store import strategy as st
from test_web_api import API, bearer, token_for
from web_support import add_user, client_for, csrf_of, login, make_app


def _fleet(store: Store, organisation: Organisation) -> None:
    rows = [
        {"asset_id": "P1", "category": "laptop", "quantity": 40, "acquisition_date": dt.date(2023, 5, 1)},
        {"asset_id": "E1", "category": "monitor", "quantity": 60, "acquisition_date": dt.date(2022, 1, 1)},
    ]  # fmt: skip
    apply_import(
        store,
        organisation,
        fleet_table(rows),
        file_sha256="a" * 64,
        file_name="parc.csv",
        inventory_date=dt.date(2025, 6, 30),
    )


def test_editor_declares_freezes_and_downloads_the_report(
    store: Store, organisation: Organisation, tmp_path: Path
) -> None:
    _fleet(store, organisation)
    add_user(store, "dsi@commune.fr", organisation=organisation, role="editor")
    page_url = f"/collectivites/{organisation.id}/strategie"
    with client_for(make_app(store, tmp_path)) as client:
        assert login(client, "dsi@commune.fr").status_code == 303
        page = client.get(page_url, params={"annee": 2025})
        assert page.status_code == 200
        assert "Chiffres provisoires" in page.text and 'id="bouton-rapport"' in page.text
        form = {"csrf_token": csrf_of(client), "code": "ateliers_nombre", "annee": "2025"}
        done = client.post(f"{page_url}/indicateur", data=form | {"valeur": "5", "objectif": "4"})
        assert done.status_code == 303
        refused = client.post(f"{page_url}/indicateur", data=form | {"valeur": "-2"})
        assert refused.status_code == 422 and "négative" in refused.text
        computed = form | {"code": "ecrans_par_agent", "valeur": "3"}
        assert "calculé" in client.post(f"{page_url}/indicateur", data=computed).text
        frozen = client.post(
            f"{page_url}/figer", data={"csrf_token": csrf_of(client), "annee": "2025"}
        )
        assert frozen.status_code == 303
        page = client.get(page_url, params={"annee": 2025})
        assert "Année figée" in page.text
        row = page.text.split('id="ind-ateliers_nombre"')[1].split("</tr>")[0]
        assert "5" in row and "atteint" in row and "déclaré" in row
        pdf = client.get(f"{page_url}/rapport.pdf", params={"annee": 2025})
        assert pdf.status_code == 200
        assert pdf.headers["content-type"] == "application/pdf"
        assert pdf.content.startswith(b"%PDF")
    assert st.get_snapshot(store, organisation, 2025) is not None


def test_api_roles_indicators_and_consent(
    store: Store, organisation: Organisation, tmp_path: Path
) -> None:
    _fleet(store, organisation)
    with client_for(make_app(store, tmp_path)) as client:
        reader = token_for(
            client, store, "elu@commune.fr", organisation=organisation, role="reader"
        )
        admin = token_for(client, store, "dgs@commune.fr", organisation=organisation, role="admin")
        base = f"{API}/collectivites/{organisation.id}/strategie"
        body = {"valeur": 3, "objectif": 4}
        denied = client.put(
            f"{base}/indicateurs/ateliers_nombre/2025", json=body, headers=bearer(reader)
        )
        assert denied.status_code == 403
        ok = client.put(
            f"{base}/indicateurs/ateliers_nombre/2025", json=body, headers=bearer(admin)
        )
        assert ok.status_code == 204, ok.text
        bad = client.put(f"{base}/indicateurs/inconnu/2025", json=body, headers=bearer(admin))
        assert bad.status_code == 400 and "Indicateur inconnu" in bad.json()["detail"]
        listed = client.get(f"{base}/indicateurs", params={"annee": 2025}, headers=bearer(reader))
        assert listed.status_code == 200
        values = {i["code"]: i for i in listed.json()["indicateurs"]}
        assert values["ateliers_nombre"]["statut"] == "non atteint"
        assert values["ecrans_par_agent"]["origine"] == "calculé"
        frozen = client.post(f"{base}/annees/2025/figer", json={}, headers=bearer(admin))
        assert frozen.status_code == 201, frozen.text
        again = client.post(f"{base}/annees/2025/figer", json={}, headers=bearer(admin))
        assert again.status_code == 409 and "déjà figée" in again.json()["detail"]
        years = client.get(f"{base}/annees", headers=bearer(reader)).json()
        assert [y["annee"] for y in years] == [2025]
        # Comparison: only after consenting, and never with fewer than 5 others.
        assert (
            client.get(
                f"{base}/comparaison", params={"annee": 2025}, headers=bearer(admin)
            ).status_code
            == 409
        )
        consent = client.put(f"{base}/consentement", json={"accepte": True}, headers=bearer(reader))
        assert consent.status_code == 403
        consent = client.put(f"{base}/consentement", json={"accepte": True}, headers=bearer(admin))
        assert consent.status_code == 204
        shown = client.get(f"{base}/comparaison", params={"annee": 2025}, headers=bearer(admin))
        assert shown.status_code == 200
        assert all(m["mediane"] is None for m in shown.json()["mesures"])
        assert "au moins 5" in shown.json()["message"]
