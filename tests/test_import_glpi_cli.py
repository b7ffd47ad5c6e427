"""``sobrenum importer --glpi`` against a local GLPI replay, and agent files through ``import``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from glpi_replay.server import ReplayGlpi, ReplayState
from sobrenum.cli.main import app
from sobrenum.store import create_organisation, current_fleet, list_imports, open_store
from test_inventory_agent import LAPTOP_XML

Item = dict[str, object]


def glpi_items() -> dict[str, list[Item]]:
    return {
        "Computer": [
            {
                "1": "PC-ACCUEIL",
                "2": 1,
                "6": "INV-001",
                "80": "Ville",
                "4": "Portable",
                "23": "Dell Inc.",
                "40": "Latitude 5420",
                "5": "SN001",
                "31": "En service",
                "3": "Hôtel de ville",
                "37": "2021-03-15",
            },
            {
                "1": "PC-COMPTA",
                "2": 2,
                "6": "INV-002",
                "80": "Ville",
                "4": "Unité centrale",
                "23": "HP",
                "40": "EliteDesk 800 G6",
                "5": "SN002",
                "31": "En stock",
                "3": "Finances",
                "37": "2020-06-01",
            },
        ],
        "Monitor": [
            {
                "1": "ECR-1",
                "2": 11,
                "6": "E-1",
                "80": "Ville",
                "23": "Iiyama",
                "40": "XU2493HS",
                "31": "En service",
                "37": "2022-01-10",
            },
        ],
        "NetworkEquipment": [
            {
                "1": "SW-CORE",
                "2": 7,
                "6": "RES-7",
                "80": "Ville",
                "4": "Switch",
                "23": "Cisco",
                "40": "C9300-48P",
                "31": "En service",
                "37": "2019-09-01",
            },
        ],
        "Phone": [],
        "Printer": [],
        "Peripheral": [],
    }


@pytest.fixture
def glpi() -> Iterator[ReplayGlpi]:
    state = ReplayState()
    state.items = glpi_items()
    with ReplayGlpi(state) as server:
        yield server


@pytest.fixture
def cli(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, glpi: ReplayGlpi
) -> CliRunner:
    monkeypatch.setenv("SOBRENUM_DATABASE_URL", database_url)
    monkeypatch.setenv("SOBRENUM_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setenv("SOBRENUM_GLPI_USER_TOKEN", glpi.state.user_token)
    assert glpi.state.app_token is not None
    monkeypatch.setenv("SOBRENUM_GLPI_APP_TOKEN", glpi.state.app_token)
    monkeypatch.chdir(tmp_path)
    with open_store(database_url) as store:
        create_organisation(store, name="Ville Exemple", siren="200054781", type="commune")
    return CliRunner()


def fleet_by_id(database_url: str) -> dict[str, str]:
    with open_store(database_url) as store:
        fleet = current_fleet(store, 1).to_pydict()
    return dict(zip(fleet["asset_id"], fleet["category"], strict=True))


def test_glpi_import_lands_in_the_store_then_replays_as_unchanged(
    cli: CliRunner, glpi: ReplayGlpi, database_url: str
) -> None:
    first = cli.invoke(app, ["importer", "--glpi", glpi.url, "-o", "200054781"])
    assert first.exit_code == 0, first.output
    assert "4 ajouté(s)" in first.output
    assert fleet_by_id(database_url) == {
        "INV-001": "laptop",
        "INV-002": "desktop",
        "E-1": "monitor",
        "RES-7": "switch",
    }
    with open_store(database_url) as store:
        (done,) = list_imports(store, 1)
    assert done.file_name == "glpi:127.0.0.1"
    assert not glpi.state.sessions  # the GLPI session was closed

    # GLPI lists the same devices in another order: nothing changed.
    for rows in glpi.state.items.values():
        rows.reverse()
    again = cli.invoke(app, ["importer", "--glpi", glpi.url])
    assert again.exit_code == 0, again.output
    assert "rien n'a changé" in again.output
    with open_store(database_url) as store:
        assert len(list_imports(store, 1)) == 1

    # A printer more in GLPI, switches not read (--types): the printer comes, the switch goes.
    glpi.state.items["Printer"] = [
        {
            "1": "COPIEUR",
            "2": 3,
            "6": "IMP-3",
            "80": "Ville",
            "4": "Multifonction",
            "23": "Ricoh",
            "40": "IM C3000",
            "31": "En service",
            "37": "2023-02-01",
        }
    ]
    third = cli.invoke(
        app, ["importer", "--glpi", glpi.url, "--types", "Computer,Moniteur,Printer"]
    )
    assert third.exit_code == 0, third.output
    assert "1 ajouté(s)" in third.output and "1 sorti(s)" in third.output
    assert fleet_by_id(database_url) == {
        "INV-001": "laptop",
        "INV-002": "desktop",
        "E-1": "monitor",
        "IMP-3": "multifunction_printer",
    }


def test_bad_token_is_refused_in_french_and_store_untouched(
    cli: CliRunner, glpi: ReplayGlpi, database_url: str
) -> None:
    result = cli.invoke(
        app, ["importer", "--glpi", glpi.url, "--jeton-utilisateur", "jeton-faux-0000"]
    )
    assert result.exit_code == 2, result.output
    assert "GLPI refuse le jeton utilisateur" in result.output
    with open_store(database_url) as store:
        assert list_imports(store, 1) == []
        assert current_fleet(store, 1).num_rows == 0


def test_missing_token_says_which_variable(
    cli: CliRunner, glpi: ReplayGlpi, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SOBRENUM_GLPI_USER_TOKEN")
    result = cli.invoke(app, ["importer", "--glpi", glpi.url])
    assert result.exit_code == 2, result.output
    assert "Jeton utilisateur GLPI manquant" in result.output
    assert "SOBRENUM_GLPI_USER_TOKEN" in result.output


def test_file_and_glpi_together_or_neither_are_refused(
    cli: CliRunner, glpi: ReplayGlpi, tmp_path: Path, database_url: str
) -> None:
    inventory = tmp_path / "parc.csv"
    inventory.write_text("N° d'inventaire;Catégorie\nPC-1;Ordinateur portable\n", "utf-8")
    both = cli.invoke(app, ["importer", str(inventory), "--glpi", glpi.url])
    assert both.exit_code == 2
    assert "pas les deux" in both.output
    neither = cli.invoke(app, ["importer"])
    assert neither.exit_code == 2
    assert "indiquez l'inventaire à importer" in neither.output
    unknown = cli.invoke(app, ["importer", "--glpi", glpi.url, "--types", "Computer,Grille-pain"])
    assert unknown.exit_code == 2
    assert "Type d'élément GLPI inconnu « Grille-pain »" in unknown.output
    with open_store(database_url) as store:
        assert list_imports(store, 1) == []


def test_agent_xml_file_imports(cli: CliRunner, tmp_path: Path, database_url: str) -> None:
    path = tmp_path / "inventaire.xml"
    path.write_text(LAPTOP_XML, encoding="utf-8")
    result = cli.invoke(app, ["importer", str(path)])
    assert result.exit_code == 0, result.output
    fleet = fleet_by_id(database_url)
    assert fleet.get("5CG1234XYZ") == "laptop"
