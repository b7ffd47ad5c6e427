"""``sobrenum organisation`` and ``sobrenum importer`` end to end, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from sobrenum.cli.main import app
from sobrenum.store import current_fleet, find_organisation, list_imports, open_store

HEADER = "N° d'inventaire;Catégorie;Fabricant;Modèle;Date d'acquisition;Service\n"
JANUARY = (
    HEADER + "PC-001;Ordinateur portable;Dell;Latitude 5420;2021-03-15;Finances\n"
    "PC-002;Ordinateur portable;HP;EliteBook 840;2020;Urbanisme\n"
    "ECR-001;Écran;Iiyama;ProLite;2019-06-01;Finances\n"
    "XX-1;Grille-pain;;;2020;\n"
)
JUNE = (
    HEADER + "PC-001;Ordinateur portable;Dell;Latitude 5420;2021-03-15;Finances\n"
    "PC-002;Ordinateur portable;HP;EliteBook 840;2020;État civil\n"
    "PC-003;Ordinateur fixe;Lenovo;ThinkCentre;2024-09-01;Finances\n"
)


@pytest.fixture
def cli(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("SOBRENUM_DATABASE_URL", database_url)
    monkeypatch.setenv("SOBRENUM_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.chdir(tmp_path)  # the rejects report goes in the current folder
    return CliRunner()


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_create_organisation_then_import_twice(
    cli: CliRunner, database_url: str, tmp_path: Path
) -> None:
    created = cli.invoke(
        app,
        [
            "organisation",
            "creer",
            "--nom",
            "Ville Exemple",
            "--siren",
            "200054781",
            "--type",
            "commune",
            "--population",
            "30000",
            "--agents",
            "400",
        ],
    )
    assert created.exit_code == 0, created.output
    assert "Collectivité créée : Ville Exemple (Commune, SIREN 200054781)" in created.output

    january = write(tmp_path / "parc-janvier.csv", JANUARY)
    first = cli.invoke(app, ["importer", str(january), "--date", "2025-01-10"])
    assert first.exit_code == 0, first.output
    assert "3 ajouté(s)" in first.output and "1 rejeté(s)" in first.output
    rejects = tmp_path / "parc-janvier-rejets.csv"
    assert rejects.is_file()
    assert "Grille-pain" in rejects.read_text(encoding="utf-8-sig")
    assert str(rejects.name) in first.output.replace("\n", "")

    again = cli.invoke(app, ["importer", str(january), "--organisation", "Ville exemple"])
    assert again.exit_code == 0, again.output
    assert "déjà été importé" in again.output and "rien n'a changé" in again.output

    june = write(tmp_path / "parc-juin.csv", JUNE)
    args = ["importer", str(june), "-o", "200054781", "--date", "2025-06-30"]
    refused = cli.invoke(app, args)  # ECR-001 gone: 1 of 3, more than a quarter
    assert refused.exit_code == 2, refused.output
    assert "1 ajouté(s), 1 modifié(s), 1 sorti(s), 1 inchangé(s)" in refused.output  # preview
    assert "33 % des 3 équipements de la source sortiraient" in refused.output
    assert "--confirmer-sorties" in refused.output and "rien n'a été importé" in refused.output
    second = cli.invoke(app, [*args, "--confirmer-sorties"])
    assert second.exit_code == 0, second.output
    assert "1 ajouté(s), 1 modifié(s), 1 sorti(s), 1 inchangé(s)" in second.output
    assert "department (1)" in second.output

    with open_store(database_url) as store:
        organisation = find_organisation(store, "200054781")
        assert current_fleet(store, organisation).column("asset_id").to_pylist() == [
            "PC-001",
            "PC-002",
            "PC-003",
        ]
        assert [i.file_name for i in list_imports(store, organisation)] == [
            "parc-janvier.csv",
            "parc-juin.csv",
        ]


def test_import_errors_are_french_and_change_nothing(
    cli: CliRunner, database_url: str, tmp_path: Path
) -> None:
    missing = cli.invoke(app, ["importer", str(write(tmp_path / "a.csv", JANUARY))])
    assert missing.exit_code == 2
    assert "Aucune collectivité n'existe encore" in missing.output

    cli.invoke(app, ["organisation", "creer", "--nom", "Ville Exemple", "--type", "commune"])
    june = write(tmp_path / "juin.csv", JUNE)
    assert cli.invoke(app, ["importer", str(june), "--date", "2025-06-30"]).exit_code == 0
    older = cli.invoke(app, ["importer", str(tmp_path / "a.csv"), "--date", "2025-01-10"])
    assert older.exit_code == 2
    assert "antérieur au dernier inventaire" in older.output
    bad_date = cli.invoke(app, ["importer", str(june), "--date", "30 juin"])
    assert bad_date.exit_code != 0 and "date invalide" in bad_date.output

    bad_siren = cli.invoke(
        app, ["organisation", "creer", "--nom", "X", "--siren", "123456789", "--type", "commune"]
    )
    assert bad_siren.exit_code == 2 and "clé de contrôle" in bad_siren.output
    with open_store(database_url) as store:
        assert len(list_imports(store, find_organisation(store, "Ville Exemple"))) == 1
