"""One import pipeline from the command line: sources, threshold, undo, refused files."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from sobrenum.cli.main import app
from sobrenum.store import current_fleet, find_organisation, list_sources, open_store

HEADER = "N° d'inventaire;Catégorie;Date d'acquisition;Site\n"
COMPUTERS = HEADER + "".join(
    f"PC-{n:03d};Ordinateur portable;2021-03-15;Mairie\n" for n in range(1, 41)
)
PHONES = HEADER + "TEL-001;Smartphone;2023-01-10;\nTEL-002;Smartphone;2023-01-10;\n"
REFUSED = (
    "N° d'inventaire;Catégorie;Date d'acquisition;Quantité\n"
    "XX-1;Grille-pain;2020;1\nXX-2;Ordinateur portable;2020;-3\n"
)


@pytest.fixture
def cli(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("SOBRENUM_DATABASE_URL", database_url)
    monkeypatch.setenv("SOBRENUM_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    created = runner.invoke(app, ["organisation", "create", "--nom", "Ville", "--type", "commune"])
    assert created.exit_code == 0, created.output
    return runner


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def asset_ids(database_url: str) -> list[str]:
    with open_store(database_url) as store:
        fleet = current_fleet(store, find_organisation(store, None))
    return list(fleet.column("asset_id").to_pylist())


def test_a_phone_file_after_the_whole_fleet_is_refused_then_goes_in_its_source(
    cli: CliRunner, database_url: str, tmp_path: Path
) -> None:
    computers = write(tmp_path / "glpi.csv", COMPUTERS)
    assert cli.invoke(app, ["importer", str(computers), "--date", "2025-01-10"]).exit_code == 0
    phones = write(tmp_path / "telephones.csv", PHONES)
    # Taken for the whole fleet, it would mark the 40 computers gone: refused, non-zero exit.
    refused = cli.invoke(app, ["importer", str(phones), "--date", "2025-02-10"])
    assert refused.exit_code == 2, refused.output
    assert "40 des 40 équipements" in refused.output and "100 %" in refused.output
    assert len(asset_ids(database_url)) == 40
    # In its own source, nothing of the computers goes.
    own = cli.invoke(
        app, ["importer", str(phones), "--date", "2025-02-10", "--source", "Opérateur mobile"]
    )
    assert own.exit_code == 0, own.output
    assert "source « Opérateur mobile »" in own.output and "0 sorti(s)" in own.output
    assert len(asset_ids(database_url)) == 42
    listed = cli.invoke(app, ["sources"])
    assert listed.exit_code == 0
    assert "Opérateur mobile" in listed.output and "principale" in listed.output


def test_undo_then_reimport_the_same_file(
    cli: CliRunner, database_url: str, tmp_path: Path
) -> None:
    computers = write(tmp_path / "glpi.csv", COMPUTERS)
    cli.invoke(app, ["importer", str(computers), "--date", "2025-01-10", "--source", "GLPI"])
    fewer = write(tmp_path / "glpi-fevrier.csv", COMPUTERS.rsplit("PC-040", 1)[0])
    assert cli.invoke(app, ["importer", str(fewer), "--source", "GLPI"]).exit_code == 0
    assert len(asset_ids(database_url)) == 39
    undone = cli.invoke(app, ["annuler-import", "--source", "GLPI"])
    assert undone.exit_code == 0, undone.output
    assert "annulé" in undone.output and "1 remis dans leur état précédent" in undone.output
    assert len(asset_ids(database_url)) == 40
    again = cli.invoke(app, ["importer", str(fewer), "--source", "GLPI"])
    assert again.exit_code == 0 and "déjà été importé" not in again.output
    assert len(asset_ids(database_url)) == 39
    nothing = cli.invoke(app, ["annuler-import", "--source", "Inconnue"])
    assert nothing.exit_code == 2 and "Aucun import à annuler" in nothing.output


def test_a_per_site_file_with_sites(cli: CliRunner, database_url: str, tmp_path: Path) -> None:
    both = (
        HEADER + "PC-001;Ordinateur portable;2021;Mairie\nPC-002;Ordinateur portable;2021;École\n"
    )
    cli.invoke(app, ["importer", str(write(tmp_path / "a.csv", both)), "--date", "2025-01-10"])
    school = HEADER + "PC-003;Ordinateur portable;2022;École\n"
    result = cli.invoke(
        app,
        [
            "importer",
            str(write(tmp_path / "b.csv", school)),
            "--sites",
            "École",
            "--confirmer-sorties",
        ],
    )
    assert result.exit_code == 0, result.output
    assert asset_ids(database_url) == ["PC-001", "PC-003"]


def test_a_file_of_only_refused_rows_is_an_error_everywhere(
    cli: CliRunner, database_url: str, tmp_path: Path
) -> None:
    bad = write(tmp_path / "refus.csv", REFUSED)
    imported = cli.invoke(app, ["importer", str(bad)])
    assert imported.exit_code == 2, imported.output
    text = " ".join(imported.output.split())
    assert "Aucune des 2 ligne(s) de refus.csv n'a été acceptée" in text
    assert "ligne 2" in text and "ligne 3" in text
    with open_store(database_url) as store:
        assert list_sources(store, find_organisation(store, None).id) == []
    footprint = cli.invoke(app, ["empreinte", str(bad)])
    assert footprint.exit_code == 2
    assert "0 tCO2e" not in footprint.output and "0,0 t" not in footprint.output
    assert "n'a été acceptée" in " ".join(footprint.output.split())
    assert (tmp_path / "refus-rejets.csv").is_file()  # in the current folder
