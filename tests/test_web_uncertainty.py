"""Uncertainty of the footprint on the web (API and dashboard), and the computing backend
instance admins may choose (issue 5). Each test runs on SQLite and on PostgreSQL stores."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from sobrenum.engine import Parameters, uncertainty
from sobrenum.reporting.formatting import tonnes
from sobrenum.store import Organisation, Store, current_fleet
from sobrenum.web.services import referential
from test_web_api import API, bearer, token_for, upload_demo
from web_support import add_user, client_for, login, make_app

REL = 1e-9


@pytest.fixture
def app_client(store: Store, tmp_path: Path) -> Iterator[TestClient]:
    with client_for(make_app(store, tmp_path)) as client:
        yield client


def imported(client: TestClient, store: Store, organisation: Organisation) -> str:
    """Import the demo inventory as an organisation admin; that admin's API token."""
    token = token_for(client, store, "admin@mairie.fr", organisation=organisation, role="admin")
    staged = upload_demo(client, organisation.id, token).json()
    applied = client.post(
        f"{API}/collectivites/{organisation.id}/imports/depots/{staged['id']}/appliquer",
        headers=bearer(token),
    )
    assert applied.status_code == 200, applied.text
    return token


def test_api_interval_contains_the_total_and_matches_the_engine(
    app_client: TestClient, store: Store, organisation: Organisation
) -> None:
    token = imported(app_client, store, organisation)
    url = f"{API}/collectivites/{organisation.id}/empreinte"
    total = app_client.get(url, headers=bearer(token)).json()["gwp_annuel"]
    got = app_client.get(f"{url}/incertitude", params={"tirages": 1000}, headers=bearer(token))
    assert got.status_code == 200, got.text
    body: dict[str, Any] = got.json()
    t = body["total"]
    assert body["tirages"] == 1000 and body["graine"] == 0
    assert t["valeur_calculee"] == pytest.approx(total, rel=REL)
    assert t["p5"] < total < t["p95"]
    assert t["p5"] <= t["mediane"] <= t["p95"]

    # The same Monte Carlo, run directly on the stored fleet with the same seed.
    result = uncertainty(
        current_fleet(store, organisation.id),
        referential(),
        Parameters(reporting_year=2025),
        draws=1000,
        seed=0,
    )
    direct = result.intervals(criteria=["gwp"]).to_pylist()[0]
    for api_name, name in (
        ("p5", "p5"),
        ("mediane", "median"),
        ("p95", "p95"),
        ("moyenne", "mean"),
    ):
        assert t[api_name] == pytest.approx(direct[name], rel=REL)
    by_category = {r["category"]: r for r in result.intervals(["category"], ["gwp"]).to_pylist()}
    assert {c["categorie"] for c in body["categories"]} == set(by_category)
    for c in body["categories"]:
        assert c["p5"] == pytest.approx(by_category[c["categorie"]]["p5"], rel=REL)
        assert c["p95"] == pytest.approx(by_category[c["categorie"]]["p95"], rel=REL)
    assert sum(c["valeur_calculee"] for c in body["categories"]) == pytest.approx(total, rel=REL)

    # Sensitivity: every input with its French label, largest share first.
    shares = result.sensitivity("gwp").to_pylist()
    assert [s["donnee"] for s in body["sensibilite"]] == [s["input_id"] for s in shares]
    assert [s["part"] for s in body["sensibilite"]] == pytest.approx([s["share"] for s in shares])
    assert body["sensibilite"][0]["part"] >= body["sensibilite"][-1]["part"]
    assert all(
        re.match(r"^(durée de vie|puissance|impact|écarts entre) ", s["libelle"])
        for s in body["sensibilite"]
    )

    for bad in (99, 10_001):
        refused = app_client.get(
            f"{url}/incertitude", params={"tirages": bad}, headers=bearer(token)
        )
        assert refused.status_code == 422
        assert "tirages" in refused.json()["detail"]


def test_dashboard_shows_the_interval_and_the_data_to_improve(
    app_client: TestClient, store: Store, organisation: Organisation, tmp_path: Path
) -> None:
    token = imported(app_client, store, organisation)
    api = app_client.get(
        f"{API}/collectivites/{organisation.id}/empreinte/incertitude", headers=bearer(token)
    ).json()
    add_user(store, "lecteur@mairie.fr", organisation=organisation, role="reader")
    browser = client_for(app_client.app)  # type: ignore[arg-type]
    assert login(browser, "lecteur@mairie.fr").status_code == 303
    page = browser.get(f"/collectivites/{organisation.id}")
    assert page.status_code == 200
    text = html.unescape(page.text)
    assert re.search(r'<h2 id="incertitude">Incertitude\s*<a [^>]*href="[^"]*glossaire', text)
    interval = f"entre {tonnes(api['total']['p5'])} et {tonnes(api['total']['p95'])}"
    assert interval in text
    assert "Données à améliorer en priorité" in text
    section = text[text.index('data-testid="uncertainty-priorities"') :]
    section = section[: section.index("</ol>")]
    labels = re.findall(r"<li>(.*?) <span class=\"detail\">", section)
    assert labels == [s["libelle"] for s in api["sensibilite"][:5]]


def test_backend_choice_is_for_instance_admins(
    app_client: TestClient, store: Store, organisation: Organisation
) -> None:
    imported(app_client, store, organisation)
    url = f"{API}/collectivites/{organisation.id}/empreinte"
    reader = token_for(
        app_client, store, "lecteur@mairie.fr", organisation=organisation, role="reader"
    )
    denied = app_client.get(url, params={"moteur": "postgres"}, headers=bearer(reader))
    assert denied.status_code == 403
    assert "administrateurs de l'instance" in denied.json()["detail"]
    default = app_client.get(url, headers=bearer(reader)).json()
    assert default["moteur"] == "duckdb"
    assert (
        app_client.get(url, params={"moteur": "oracle"}, headers=bearer(reader)).status_code == 422
    )

    admin = token_for(app_client, store, "admin@instance.fr", instance_admin=True)
    got = app_client.get(url, params={"moteur": "postgres"}, headers=bearer(admin))
    if store.dialect != "postgresql":
        assert got.status_code == 422
        assert got.json()["detail"].startswith("Le moteur PostgreSQL demande une base PostgreSQL")
        return
    assert got.status_code == 200, got.text
    on_postgres = got.json()
    assert on_postgres["moteur"] == "postgres"
    assert on_postgres["equipements"] == default["equipements"]
    assert on_postgres["gwp_annuel"] == pytest.approx(default["gwp_annuel"], rel=REL)
    assert on_postgres["gwp_duree_de_vie"] == pytest.approx(default["gwp_duree_de_vie"], rel=REL)
    for name in ("gwp_par_phase",):
        assert on_postgres[name] == pytest.approx(default[name], rel=REL)
    duck = {c["categorie"]: c["gwp_annuel"] for c in default["categories"]}
    pg = {c["categorie"]: c["gwp_annuel"] for c in on_postgres["categories"]}
    assert pg.keys() == duck.keys()
    assert all(pg[k] == pytest.approx(duck[k], rel=REL) for k in duck)
    duck_c = {c["critere"]: c["annuel"] for c in default["criteres"]}
    pg_c = {c["critere"]: c["annuel"] for c in on_postgres["criteres"]}
    assert pg_c.keys() == duck_c.keys()
    assert all(pg_c[k] == pytest.approx(duck_c[k], rel=REL) for k in duck_c)


def test_device_page_gives_each_indicator_its_unit(
    app_client: TestClient, store: Store, organisation: Organisation
) -> None:
    """The device page's « Autres indicateurs » table names each indicator's unit (EF 3.0:
    kgCO2e, kg Sb eq, mol H+ eq…), so « 340 » is never a bare number."""
    imported(app_client, store, organisation)
    add_user(store, "lecteur@mairie.fr", organisation=organisation, role="reader")
    browser = client_for(app_client.app)  # type: ignore[arg-type]
    assert login(browser, "lecteur@mairie.fr").status_code == 303
    laptop = next(
        r["asset_id"]
        for r in current_fleet(store, organisation).to_pylist()
        if r["category"] == "laptop"
    )
    page = browser.get(f"/collectivites/{organisation.id}/equipements/{laptop}")
    assert page.status_code == 200
    text = html.unescape(page.text)
    section = text[text.index('id="criteres"') :]
    assert '<th scope="col">Unité</th>' in section
    assert re.search(r"Changement climatique</th><td>kgCO2e</td>", section)
    assert re.search(r"\(minéraux et métaux\)</th><td>kgSbeq</td>", section)
