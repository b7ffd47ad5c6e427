"""The stored fleet as the one truth: ``sobrenum empreinte`` without a file, the dashboard
(page and API) and the council report give the same figures for the same organisation."""

from __future__ import annotations

import datetime as dt
import html
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import fleet_table
from sobrenum.cli.main import app
from sobrenum.domain.hypotheses import Hypothesis
from sobrenum.reporting.annual import report_from_store
from sobrenum.reporting.council import render_council_html
from sobrenum.store import Organisation, Store, apply_import, create_organisation
from sobrenum.store.hypotheses import set_hypotheses
from sobrenum.web.services import organisation_referential
from test_web_api import API, bearer, token_for
from web_support import client_for, make_app

runner = CliRunner()


def _import(store: Store, organisation: Organisation, day: dt.date, laptops: int) -> None:
    rows = [
        {"asset_id": "P1", "category": "laptop", "quantity": laptops, "acquisition_date": dt.date(2023, 5, 1)},
        {"asset_id": "E1", "category": "monitor", "quantity": 60, "acquisition_date": dt.date(2022, 1, 1)},
        # One device names its country; the others take the organisation's (Belgium).
        {"asset_id": "T1", "category": "smartphone", "quantity": 10, "acquisition_date": dt.date(2024, 3, 1), "country": "FRA"},
    ]  # fmt: skip
    apply_import(
        store,
        organisation,
        fleet_table(rows),
        file_sha256=f"{day:%Y%m%d}".ljust(64, "a"),
        file_name=f"parc-{day.year}.csv",
        inventory_date=day,
    )


@pytest.fixture
def commune(store: Store) -> Organisation:
    """An organisation whose stored settings all enter the footprint: its own laptop
    lifetime, an electricity country other than the default, staff and population."""
    organisation = create_organisation(
        store,
        name="Commune de Saint-Exemple",
        siren="200054781",
        type="commune",
        population=12_500,
        staff_count=240,
        reporting_year=2025,
        country="BEL",
    )
    set_hypotheses(store, organisation.id, [Hypothesis("laptop", 6.0, None, None)])
    _import(store, organisation, dt.date(2024, 6, 30), laptops=30)
    _import(store, organisation, dt.date(2025, 6, 30), laptops=40)
    return organisation


def _url(store: Store) -> str:
    return store.engine.url.render_as_string(hide_password=False)


def _kg(text: str) -> float:
    """A French number as printed (« 12 345 », narrow no-break spaces) back to a float."""
    return float(re.sub(r"[\s\u202f\xa0]", "", text).replace(",", "."))


def _cli_rows(output: str) -> dict[str, tuple[str, str]]:
    """Category → (devices, kgCO2e/an) in the terminal's category table."""
    rows = {}
    for line in output.splitlines():
        cells = [c.strip() for c in line.split("│")[1:-1]]
        if len(cells) == 5 and cells[1] and cells[1][0].isdigit():
            rows[cells[0]] = (cells[1], cells[2])
    return rows


def _council_rows(page: str) -> dict[str, tuple[str, str]]:
    table = page.split("Empreinte carbone par catégorie")[1].split("</tbody>")[0]
    found = re.findall(
        r'<tr><th scope="row">([^<]+)</th><td class="num">([^<]+)</td><td class="num">([^<]+)</td>',
        table,
    )
    return {html.unescape(label): (devices, kg) for label, devices, kg in found}


def _dashboard_rows(page: str) -> dict[str, tuple[str, str]]:
    table = page.split("<tbody>")[1].split("</tbody>")[0]
    found = re.findall(
        r'<th scope="row">([^<]+)</th>\s*<td class="num">([^<]+)</td>.*?'
        r'<td class="num"><strong>([^<]+)</strong></td>',
        table,
        flags=re.S,
    )
    return {html.unescape(label): (devices, kg) for label, devices, kg in found}


def test_footprint_dashboard_and_council_report_agree(
    store: Store, commune: Organisation, tmp_path: Path
) -> None:
    cli = runner.invoke(app, ["empreinte", "--base", _url(store)])
    assert cli.exit_code == 0, cli.output
    assert "Parc enregistré actuel" in cli.output and "240 agents" in cli.output
    assert "Empreinte du parc numérique — 2025" in cli.output
    cli_total = re.search(
        r"([\d\s\u202f\xa0]+) équipements · empreinte carbone annuelle (\S+ tCO2e)", cli.output
    )
    assert cli_total, cli.output
    cli_per_staff = re.search(r"Par agent : (\S+) kgCO2e", cli.output)
    assert cli_per_staff, cli.output

    with client_for(make_app(store, tmp_path)) as client:
        token = token_for(client, store, "dsi@commune.fr", organisation=commune, role="reader")
        api = client.get(f"{API}/collectivites/{commune.id}/empreinte", headers=bearer(token))
        assert api.status_code == 200, api.text
        figures = api.json()
        client.cookies.clear()
        from web_support import login

        assert login(client, "dsi@commune.fr").status_code == 303
        dashboard = client.get(f"/collectivites/{commune.id}")
        assert dashboard.status_code == 200

    ref = organisation_referential(store, commune)
    report, _ = report_from_store(store, commune, 2025, ref, with_interval=False)
    council = render_council_html(report)

    # The same devices, total and categories, to the printed digit, on all three screens.
    cli_rows = _cli_rows(cli.output)
    assert cli_rows == _dashboard_rows(dashboard.text) == _council_rows(council)
    assert set(cli_rows) == {"Ordinateur portable", "Écran d'ordinateur", "Smartphone"}
    total = re.search(r'data-testid="total-gwp">([^<]+)<', dashboard.text)
    assert total and html.unescape(total.group(1)) == cli_total.group(2)
    assert f"valeur retenue {cli_total.group(2)}" in council or cli_total.group(2) in council
    assert _kg(cli_total.group(1)) == figures["equipements"] == report.summary.devices == 110
    # The API's raw figures are the printed ones, and the year's report's exactly.
    assert figures["gwp_annuel"] == report.summary.annual_gwp
    assert {c["libelle"]: round(c["gwp_annuel"]) for c in figures["categories"]} == {
        label: _kg(kg) for label, (_, kg) in cli_rows.items()
    }
    # Per agent: the stored staff (240), by hand from the total.
    assert figures["agents"] == 240 and figures["population"] == 12_500
    assert figures["par_agent"] == pytest.approx(figures["gwp_annuel"] / 240)
    assert _kg(cli_per_staff.group(1)) == pytest.approx(figures["gwp_annuel"] / 240, abs=0.05)
    # The stored settings entered the computation: the hypothesis and the country.
    assert "+hyp-" in figures["version_referentiel"] == report.summary.referential_version


def test_a_date_or_a_year_gives_the_fleet_of_that_day(store: Store, commune: Organisation) -> None:
    ref = organisation_referential(store, commune)
    report_2024, _ = report_from_store(store, commune, 2024, ref, with_interval=False)
    council = _council_rows(render_council_html(report_2024))
    assert council["Ordinateur portable"][0] == "30"
    for args in (["--annee", "2024"], ["--date", "31/12/2024", "--annee", "2024"]):
        cli = runner.invoke(app, ["empreinte", "--base", _url(store), *args])
        assert cli.exit_code == 0, cli.output
        assert "Parc enregistré au 31/12/2024" in cli.output
        assert _cli_rows(cli.output) == council
    # A date alone: the fleet of that day, the organisation's reporting year.
    cli = runner.invoke(app, ["empreinte", "--base", _url(store), "--date", "2025-01-01"])
    assert cli.exit_code == 0, cli.output
    assert "— 2025" in cli.output and _cli_rows(cli.output)["Ordinateur portable"][0] == "30"


def test_stored_footprint_errors_are_french(store: Store, tmp_path: Path) -> None:
    url = _url(store)
    none = runner.invoke(app, ["empreinte", "--base", url])
    assert none.exit_code == 2 and "Aucune collectivité n'existe encore" in none.output
    organisation = create_organisation(
        store, name="Commune Vide", siren="200054781", type="commune", reporting_year=2025
    )
    empty = runner.invoke(app, ["empreinte", "--base", url])
    assert empty.exit_code == 2
    assert "Le parc enregistré de Commune Vide est vide" in empty.output
    _import(store, organisation, dt.date(2025, 6, 30), laptops=5)
    before = runner.invoke(app, ["empreinte", "--base", url, "--date", "2025-06-29"])
    assert before.exit_code == 2
    assert "Aucun inventaire de Commune Vide n'est daté du 29/06/2025 ou avant" in before.output
    bad_date = runner.invoke(app, ["empreinte", "--base", url, "--date", "30/02/2025"])
    assert bad_date.exit_code == 2 and "date invalide" in bad_date.output
    mixed = runner.invoke(app, ["empreinte", "--base", url, "--agents", "12"])
    assert mixed.exit_code == 2 and "--agents : pour un fichier seulement" in mixed.output
    inventory = tmp_path / "parc.csv"
    inventory.write_text("asset_id;category;acquisition_date\nP1;laptop;2024-01-01\n")
    with_file = runner.invoke(app, ["empreinte", str(inventory), "--date", "2025-01-01"])
    assert with_file.exit_code == 2
    assert "--date : pour le parc enregistré seulement" in with_file.output
