"""The organisation's own hypotheses: referential, engine, store (both backends), API, page, CLI.

Expected values by hand from the shipped referential (ADEME 2022): smartphone 77 kgCO2e to
make, 2.5 years by default; laptop 26.5 W; French electricity 0.0461 kgCO2e/kWh.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from typer.testing import CliRunner

from sobrenum.cli.main import app as cli
from sobrenum.domain import ReferentialError
from sobrenum.domain.hypotheses import Hypothesis
from sobrenum.engine import Parameters, compute
from sobrenum.referential import load
from sobrenum.referential.hypotheses import SOURCE_ID, apply_hypotheses, read_hypotheses
from sobrenum.store import Organisation, Store
from sobrenum.store.hypotheses import get_hypotheses, set_hypotheses
from web_support import add_user, client_for, csrf_of, login, make_app

D = dt.date


def annual(ref: Any, category: str) -> dict[str, float]:
    fleet = pa.table(
        {"asset_id": ["A"], "category": [category], "acquisition_date": [D(2023, 1, 1)]}
    )
    rows = compute(fleet, ref, Parameters(2024)).impacts.to_pyarrow().to_pylist()
    return {r["phase"]: r["annual"] for r in rows if r["criterion"] == "gwp"}


def test_hypotheses_replace_the_defaults_and_name_their_source() -> None:
    ref = load()
    assert annual(ref, "smartphone")["manufacture"] == pytest.approx(77 / 2.5)
    mine = apply_hypotheses(
        ref,
        {
            "smartphone": Hypothesis("smartphone", lifetime_years=4),
            "laptop": Hypothesis("laptop", hours_per_day=8, days_per_year=220),
        },
    )
    assert annual(mine, "smartphone")["manufacture"] == pytest.approx(77 / 4)
    # 26.5 W × 8 h × 220 days = 46.64 kWh × 0.0461.
    assert annual(mine, "laptop")["use"] == pytest.approx(46.64 * 0.0461, rel=1e-12)
    rows = {r["category"]: r for r in mine.categories.to_pylist()}
    assert rows["smartphone"]["source_id"] == SOURCE_ID
    # The relative range of the default (1.8–3.5 around 2.5) is kept around 4.
    assert rows["smartphone"]["lifetime_low"] == pytest.approx(1.8 * 4 / 2.5)
    assert rows["smartphone"]["lifetime_high"] == pytest.approx(3.5 * 4 / 2.5)
    assert rows["tablet"]["source_id"] != SOURCE_ID
    assert mine.version.startswith(f"{ref.version}+hyp-") and mine.version != ref.version
    titles = {s["source_id"]: s["title"] for s in mine.sources.to_pylist()}
    assert titles[SOURCE_ID] == "hypothèse de la collectivité"
    assert apply_hypotheses(ref, {}) is ref


def test_out_of_range_hypotheses_are_refused_in_french(tmp_path: Path) -> None:
    with pytest.raises(
        ReferentialError, match=r"durée de vie \(ans\) 0 hors de l'intervalle \[0,5 ; 30\]"
    ):
        apply_hypotheses(load(), {"laptop": Hypothesis("laptop", lifetime_years=0)})
    with pytest.raises(ReferentialError, match="heures d'usage par jour 25"):
        apply_hypotheses(load(), {"laptop": Hypothesis("laptop", hours_per_day=25)})
    bad = tmp_path / "h.csv"
    bad.write_text("category,lifetime_years\nlaptop,abc\n", encoding="utf-8")
    with pytest.raises(ReferentialError, match=r"ligne 2 : durée de vie .* « abc »"):
        read_hypotheses(bad)
    unknown = tmp_path / "u.csv"
    unknown.write_text("category,lifetime_years\ngrille-pain,3\n", encoding="utf-8")
    with pytest.raises(ReferentialError, match="catégorie « grille-pain » inconnue"):
        read_hypotheses(unknown)


def test_hypotheses_are_stored_all_or_nothing(store: Store, organisation: Organisation) -> None:
    assert get_hypotheses(store, organisation.id) == {}
    set_hypotheses(
        store,
        organisation.id,
        [Hypothesis("smartphone", lifetime_years=4), Hypothesis("laptop", hours_per_day=0)],
    )
    got = get_hypotheses(store, organisation.id)
    assert got["smartphone"].lifetime_years == 4 and got["smartphone"].hours_per_day is None
    assert got["laptop"].hours_per_day == 0
    with pytest.raises(ReferentialError):
        set_hypotheses(
            store,
            organisation.id,
            [Hypothesis("tablet", lifetime_years=5), Hypothesis("laptop", lifetime_years=-1)],
        )
    with pytest.raises(ReferentialError, match="donnée deux fois"):
        set_hypotheses(
            store,
            organisation.id,
            [Hypothesis("tablet", lifetime_years=5), Hypothesis("tablet", lifetime_years=6)],
        )
    assert set(get_hypotheses(store, organisation.id)) == {"smartphone", "laptop"}


def test_api_and_settings_page(store: Store, tmp_path: Path, organisation: Organisation) -> None:
    add_user(store, "admin@ville.fr", organisation=organisation, role="admin")
    client = client_for(make_app(store, tmp_path))
    login(client, "admin@ville.fr")
    base = f"/api/v1/collectivites/{organisation.id}/hypotheses"
    headers = {"accept": "application/json", "X-CSRF-Token": csrf_of(client)}
    listed = {h["categorie"]: h for h in client.get(base, headers=headers).json()}
    assert listed["smartphone"]["duree_de_vie"] == 2.5 and not listed["smartphone"]["hypothese"]
    put = client.put(base, json=[{"categorie": "smartphone", "duree_de_vie": 4}], headers=headers)
    assert put.status_code == 200, put.text
    listed = {h["categorie"]: h for h in put.json()}
    assert listed["smartphone"]["duree_de_vie"] == 4
    assert listed["smartphone"]["source_duree_de_vie"] == "hypothèse de la collectivité"
    refused = client.put(
        base, json=[{"categorie": "smartphone", "duree_de_vie": 0}], headers=headers
    )
    assert refused.status_code == 422
    unknown = client.put(
        base, json=[{"categorie": "grille-pain", "duree_de_vie": 3}], headers=headers
    )
    assert unknown.status_code == 422 and "inconnue" in unknown.json()["detail"]

    page = client.get(f"/collectivites/{organisation.id}/parametres").text
    assert "Hypothèses de la collectivité" in page and 'name="duree_smartphone"' in page
    form = {"csrf_token": csrf_of(client), "duree_smartphone": "3,5", "heures_laptop": "7"}
    saved = client.post(f"/collectivites/{organisation.id}/hypotheses", data=form)
    assert saved.status_code == 200 and "Hypothèses enregistrées" in saved.text
    got = get_hypotheses(store, organisation.id)
    assert got["smartphone"].lifetime_years == 3.5 and got["laptop"].hours_per_day == 7
    bad = client.post(
        f"/collectivites/{organisation.id}/hypotheses",
        data={"csrf_token": csrf_of(client), "duree_laptop": "beaucoup"},
    )
    assert bad.status_code == 422 and "« beaucoup » n&#39;est pas un nombre" in bad.text
    assert get_hypotheses(store, organisation.id)["smartphone"].lifetime_years == 3.5


def test_cli_option_reads_the_hypotheses(tmp_path: Path) -> None:
    fleet = tmp_path / "parc.csv"
    fleet.write_text(
        "asset_id,category,acquisition_date\nS1,smartphone,2023-01-01\n", encoding="utf-8"
    )
    hyp = tmp_path / "hypotheses.csv"
    hyp.write_text("category,lifetime_years\nsmartphone,4\n", encoding="utf-8")
    runner = CliRunner()
    plain = runner.invoke(cli, ["empreinte", str(fleet), "--annee", "2024"])
    mine = runner.invoke(
        cli, ["empreinte", str(fleet), "--annee", "2024", "--hypotheses", str(hyp)]
    )
    assert plain.exit_code == 0 and mine.exit_code == 0, mine.output
    assert "+hyp-" in mine.output and "+hyp-" not in plain.output
