"""``sobrenum reemploi …`` end to end, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from sobrenum.cli.main import app
from sobrenum.store import create_organisation, open_store
from test_reuse import seed_fleet


@pytest.fixture
def cli(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("SOBRENUM_DATABASE_URL", database_url)
    monkeypatch.setenv("SOBRENUM_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("COLUMNS", "200")
    with open_store(database_url) as store:
        organisation = create_organisation(
            store, name="Commune de Saint-Exemple", siren="200054781", type="commune"
        )
        seed_fleet(store, organisation)
    return CliRunner()


def test_donation_refused_without_wipe_then_rates_and_documents(
    cli: CliRunner, tmp_path: Path
) -> None:
    donate = [
        "reemploi",
        "don",
        "R1",
        "--type-destinataire",
        "association",
        "--destinataire",
        "Emmaüs Connect",
        "--date",
        "2025-03-10",
    ]
    refused = cli.invoke(app, donate)
    assert refused.exit_code == 2
    assert "contient des données" in refused.output
    assert "aucun effacement" in refused.output

    wiped = cli.invoke(
        app,
        [
            "reemploi",
            "effacement",
            "R1",
            "--methode",
            "purge",
            "--outil",
            "Secure Erase",
            "--operateur",
            "DSI",
            "--date",
            "01/03/2025",
        ],
    )
    assert wiped.exit_code == 0, wiped.output
    assert "Effacement n° 1 enregistré" in wiped.output
    done = cli.invoke(app, donate)
    assert done.exit_code == 0, done.output
    assert "Don n° 1 enregistré" in done.output

    rates = cli.invoke(app, ["reemploi", "taux", "--annee", "2025"])
    assert rates.exit_code == 0, rates.output
    # B = R1 + R2 + R4 + R5 (×3) + R6 = 7 (R3 is over ten years old; nothing classified).
    assert "Taux de réemploi 2025 : 1 / 7 = 14,3 % (objectif 50 %)" in rates.output
    assert "Impacts évités 2025 :" in rates.output and "kgCO2e" in rates.output

    pdf = tmp_path / "convention.pdf"
    made = cli.invoke(app, ["reemploi", "document", "convention", "1", "--sortie", str(pdf)])
    assert made.exit_code == 0, made.output
    assert pdf.read_bytes().startswith(b"%PDF")

    history = cli.invoke(app, ["reemploi", "historique", "R1"])
    assert "wipe.record" in history.output and "exit.record" in history.output


def test_agec_export_and_french_errors(cli: CliRunner, tmp_path: Path) -> None:
    added = cli.invoke(
        app,
        [
            "reemploi",
            "achats",
            "--annee",
            "2025",
            "--type",
            "Matériel informatique et téléphonie",
            "--total",
            "50 000",
            "--reemploi",
            "12 500,50",
        ],
    )
    assert added.exit_code == 0, added.output
    out = tmp_path / "agec.csv"
    exported = cli.invoke(
        app,
        [
            "reemploi",
            "export-agec",
            "--annee",
            "2025",
            "--siret",
            "20005478100015",
            "--sortie",
            str(out),
        ],
    )
    assert exported.exit_code == 2
    assert "SIRET invalide" in exported.output
    exported = cli.invoke(
        app,
        [
            "reemploi",
            "export-agec",
            "--annee",
            "2025",
            "--siret",
            "20005478100022",
            "--sortie",
            str(out),
        ],
    )
    assert exported.exit_code == 0, exported.output
    assert "Matériel informatique et téléphonie : 25,0 % (plancher 20 %)" in exported.output
    assert (
        out.read_text(encoding="utf-8")
        .splitlines()[1]
        .startswith(
            "2025,20005478100022,Commune de Saint-Exemple,Matériel informatique et téléphonie,"
            "50000.00,12500.50,0.00,0.00"
        )
    )
    unknown = cli.invoke(
        app, ["reemploi", "sortie", "ZZZ", "--destination", "don", "--date", "2025-01-01"]
    )
    assert unknown.exit_code == 2
    assert "introuvable dans le parc" in unknown.output
