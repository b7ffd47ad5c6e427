"""Scenarios in the web app: the API (readers read, editors write), the trajectories page and
its forms; the first year equals the dashboard's footprint."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from conftest import fleet_table
from sobrenum.store import Organisation, Store, apply_import
from sobrenum.store import scenarios as saved
from test_web_api import API, bearer, token_for
from web_support import add_user, client_for, csrf_of, login, make_app

ROWS = [
    {"asset_id": "P1", "category": "laptop", "quantity": 40, "acquisition_date": dt.date(2019, 5, 1)},
    {"asset_id": "D1", "category": "desktop", "quantity": 30, "acquisition_date": dt.date(2017, 3, 1)},
    {"asset_id": "E1", "category": "monitor", "quantity": 90, "acquisition_date": dt.date(2018, 1, 1)},
    {"asset_id": "I1", "category": "printer", "quantity": 12, "acquisition_date": dt.date(2016, 1, 1)},
]  # fmt: skip


def _fleet(store: Store, organisation: Organisation) -> None:
    apply_import(
        store,
        organisation,
        fleet_table(ROWS),
        file_sha256="c" * 64,
        file_name="parc.csv",
        inventory_date=dt.date(2025, 1, 5),
    )


def test_api_scenarios_and_trajectories(
    store: Store, organisation: Organisation, tmp_path: Path
) -> None:
    _fleet(store, organisation)
    base = f"{API}/collectivites/{organisation.id}"
    with client_for(make_app(store, tmp_path)) as client:
        editor = bearer(
            token_for(client, store, "dsi@commune.fr", organisation=organisation, role="editor")
        )
        reader = bearer(
            token_for(client, store, "elu@commune.fr", organisation=organisation, role="reader")
        )
        body = {
            "nom": "Sobriété",
            "debut": 2025,
            "fin": 2030,
            "leviers": [
                {"type": "lifetime_extension", "valeur": 2, "debut": 2026},
                {
                    "type": "refurbished_share",
                    "valeur": 0.4,
                    "debut": 2026,
                    "categories": ["laptop"],
                },
            ],
        }
        assert client.post(f"{base}/scenarios", json=body, headers=reader).status_code == 403
        made = client.post(f"{base}/scenarios", json=body, headers=editor)
        assert made.status_code == 201, made.text
        sid = made.json()["id"]
        assert made.json()["leviers"][1]["categories"] == ["laptop"]
        bad = client.post(
            f"{base}/scenarios",
            json=body | {"leviers": [{"type": "refurbished_share", "valeur": 3, "debut": 2026}]},
            headers=editor,
        )
        assert bad.status_code == 422 and "sort des bornes" in bad.json()["detail"]
        target = client.put(
            f"{base}/objectifs-trajectoire",
            json={
                "indicateur": "gwp_per_agent",
                "reference": 2025,
                "annee": 2030,
                "evolution": -20,
            },
            headers=editor,
        )
        assert target.status_code == 200, target.text
        assert target.json()["libelle"].endswith("−20 % en 2030 par rapport à 2025")
        shown = client.get(f"{base}/trajectoires", headers=reader)
        assert shown.status_code == 200, shown.text
        data = shown.json()
        dashboard = client.get(f"{base}/empreinte", headers=reader).json()
        first = data["scenarios"][0]["annees"][0]["gwp"]
        assert abs(first - data["reference"]["annees"][0]["gwp"]) < 1e-9
        assert abs(first - dashboard["gwp_annuel"]) <= 1e-9 * first, dashboard
        assert [y["annee"] for y in data["reference"]["annees"]] == list(range(2025, 2031))
        run = data["scenarios"][0]
        assert run["evite_cumule_kgco2e"] > 0
        assert len(run["contributions"]) == 2
        assert (
            abs(
                sum(c["cumul_kgco2e"] for c in run["contributions"])
                - run["evite_cumule_kgco2e"] * -1
            )
            < 1e-6
        )
        assert run["objectifs"][0]["objectif"].startswith("Empreinte carbone par agent")
        too_many = client.get(f"{base}/trajectoires", params=[("scenarios", 1)] * 5, headers=reader)
        assert too_many.status_code == 422
        assert client.post(f"{base}/scenarios/{sid}/retenir", headers=editor).json()["retenu"]
        assert client.delete(f"{base}/scenarios/999999", headers=editor).status_code == 404
        assert client.delete(f"{base}/scenarios/{sid}", headers=editor).status_code == 204
        assert client.get(f"{base}/scenarios", headers=reader).json() == []


def test_page_compares_and_forms_write(
    store: Store, organisation: Organisation, tmp_path: Path
) -> None:
    _fleet(store, organisation)
    add_user(store, "dsi@commune.fr", organisation=organisation, role="editor")
    page = f"/collectivites/{organisation.id}/trajectoires"
    with client_for(make_app(store, tmp_path)) as client:
        assert login(client, "dsi@commune.fr").status_code == 303
        empty = client.get(page)
        assert empty.status_code == 200 and "Créer un scénario" in empty.text
        form = {
            "csrf_token": csrf_of(client),
            "nom": "Sobriété",
            "debut": "2025",
            "fin": "2030",
            "croissance_effectif": "0",
            "croissance_equipement": "1,5",
            "valeur_lifetime_extension": "2",
            "debut_lifetime_extension": "2026",
            "categories_lifetime_extension": ["laptop", "desktop"],
            "valeur_agents_per_printer": "20",
        }
        done = client.post(f"{page}/scenario", data=form)
        assert done.status_code == 303, done.text
        record = saved.find_scenario(store, organisation, "Sobriété")
        assert '"categories": ["laptop", "desktop"]' in record.definition
        refused = client.post(f"{page}/scenario", data=form | {"valeur_refurbished_share": "²"})
        assert refused.status_code == 422 and "pas un nombre" in refused.text
        out_of_bounds = client.post(
            f"{page}/scenario", data=form | {"valeur_refurbished_share": "150"}
        )
        assert out_of_bounds.status_code == 422 and "sort des bornes" in out_of_bounds.text
        shown = client.get(page)
        assert shown.status_code == 200
        assert 'id="table-trajectoires"' in shown.text and "<svg" in shown.text
        assert "Référence (sans levier)" in shown.text
        assert "Allonger la durée de vie" in shown.text
        chosen = client.post(
            f"{page}/retenir", data={"csrf_token": csrf_of(client), "scenario": str(record.id)}
        )
        assert chosen.status_code == 303
        assert saved.chosen_scenario(store, organisation) is not None
        odd = client.post(
            f"{page}/retenir", data={"csrf_token": csrf_of(client), "scenario": "9" * 30}
        )
        assert odd.status_code == 422
        goal = client.post(
            f"{page}/objectif",
            data={
                "csrf_token": csrf_of(client),
                "indicateur": "gwp",
                "reference": "2025",
                "annee": "2030",
                "evolution": "-30",
            },
        )
        assert goal.status_code == 303
        after = client.get(goal.headers["location"])
        assert "Objectif de trajectoire enregistré." in after.text
        assert "−30 % en 2030 par rapport à 2025" in after.text
        forged = client.get(page, params={"ok": "Vous avez gagné"})
        assert "Vous avez gagné" not in forged.text
        deleted = client.post(
            f"{page}/supprimer", data={"csrf_token": csrf_of(client), "scenario": str(record.id)}
        )
        assert deleted.status_code == 303
        assert saved.list_scenarios(store, organisation) == []
        again = client.post(
            f"{page}/supprimer", data={"csrf_token": csrf_of(client), "scenario": str(record.id)}
        )
        assert again.status_code == 422
        unknown = client.post(
            f"{page}/supprimer", data={"csrf_token": csrf_of(client), "scenario": "pas un nombre"}
        )
        assert unknown.status_code == 422 and "Scénario inconnu." in unknown.text
