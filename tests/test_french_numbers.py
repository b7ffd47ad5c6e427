"""One French number reader (Babel's) for the import, the web forms and the command line."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sobrenum.cli.main import app
from sobrenum.domain.numbers import leading_french_number, parse_french_number
from sobrenum.inventory import load_inventory
from sobrenum.inventory.validation import parse_number
from sobrenum.store import Organisation, Store
from sobrenum.store import strategy as st
from sobrenum.web.pages.common import french_number
from web_support import add_user, client_for, csrf_of, login, make_app

WRITTEN = {
    "1 234,5": 1234.5,
    "1\u00a0234,5": 1234.5,  # no-break space
    "1\u202f234,5": 1234.5,  # narrow no-break space (Babel's own fr_FR grouping)
    "1.234,5": 1234.5,
    "1.234.567,25": 1234567.25,
    "1234,5": 1234.5,
    "1234.5": 1234.5,
    "-3": -3.0,
    "0": 0.0,
    ",5": 0.5,
    "12 345 678 901 234": 12345678901234.0,
}
REFUSED = ["1e5", "NaN", "inf", "1_000", "²", "1.23,4", "1,2,3", "douze", "1 234,5 W"]


@pytest.mark.parametrize(("text", "expected"), WRITTEN.items())
def test_the_shared_reader(text: str, expected: float) -> None:
    assert parse_french_number(text) == expected
    assert french_number(text) == expected  # the web forms' reader calls it
    assert parse_number(text) == expected  # the import's reader too


@pytest.mark.parametrize("text", REFUSED)
def test_what_is_not_a_number_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_french_number(text)
    assert parse_french_number("") is None and parse_french_number(" \u00a0") is None


def test_units_after_the_number_on_import() -> None:
    assert leading_french_number("1 234,5 W") == 1234.5
    assert leading_french_number("1.234,5 kWh") == 1234.5
    assert leading_french_number("5 ans") == 5.0
    assert leading_french_number("12a3") == 12.0
    assert leading_french_number("environ 5") is None
    assert leading_french_number("12 3") == 123.0  # spaces group digits


def test_import_reads_both_spellings(tmp_path: Path) -> None:
    path = tmp_path / "parc.csv"
    path.write_text(
        "N° d'inventaire;Catégorie;Date d'acquisition;Consommation annuelle (kWh)\n"
        "S-1;Serveur;2022;1 234,5\nS-2;Serveur;2022;1.234,5\nS-3;Serveur;2022;1\u202f234,5\n",
        encoding="utf-8",
    )
    result = load_inventory(path, 2025)
    assert result.fleet.column("annual_kwh").to_pylist() == [1234.5, 1234.5, 1234.5]


def test_web_form_reads_both_spellings(
    store: Store, organisation: Organisation, tmp_path: Path
) -> None:
    add_user(store, "dsi@commune.fr", organisation=organisation, role="editor")
    page_url = f"/collectivites/{organisation.id}/strategie"
    with client_for(make_app(store, tmp_path)) as client:
        login(client, "dsi@commune.fr")
        for year, text in ((2024, "1 234,5"), (2025, "1.234,5")):
            form = {"csrf_token": csrf_of(client), "code": "ateliers_nombre", "annee": str(year)}
            done = client.post(f"{page_url}/indicateur", data=form | {"valeur": text})
            assert done.status_code == 303, done.text
    values = {d.year: d.value for d in st.declarations(store, organisation)}
    assert values == {2024: 1234.5, 2025: 1234.5}


def test_command_line_reads_both_spellings(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOBRENUM_DATABASE_URL", database_url)
    monkeypatch.setenv("SOBRENUM_DATA", str(tmp_path / "data"))
    runner = CliRunner()
    assert runner.invoke(app, ["organisation", "creer", "--nom", "Ville"]).exit_code == 0
    for year, text in (("2024", "1 234,5"), ("2025", "1.234,5")):
        done = runner.invoke(
            app, ["strategie", "declarer", "ateliers_nombre", text, "--annee", year]
        )
        assert done.exit_code == 0, done.output
    from sobrenum.store import find_organisation, open_store

    with open_store(database_url) as store:
        declared = st.declarations(store, find_organisation(store, None))
    assert {d.year: d.value for d in declared} == {2024: 1234.5, 2025: 1234.5}
    refused = runner.invoke(app, ["strategie", "declarer", "ateliers_nombre", "1e5"])
    assert refused.exit_code != 0 and "illisible" in refused.output
    assert dt.date.today()  # the reuse options use the same type:
    from sobrenum.cli.params import FRENCH_NUMBER

    assert FRENCH_NUMBER.convert("1.234,5", None, None) == 1234.5
    assert FRENCH_NUMBER.convert("1 234,5", None, None) == 1234.5
