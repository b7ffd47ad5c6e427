"""The `sobrenum` command as a user runs it: demo, footprint, referential."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pyarrow as pa
import pytest
from typer.testing import CliRunner

from sobrenum.cli.main import app
from sobrenum.engine import Parameters, compute
from sobrenum.referential import load

runner = CliRunner()

CANONICAL = """asset_id;category;quantity;acquisition_date;status;site
P-1;laptop;10;2023-03-01;in_use;Mairie
P-2;monitor;12;2022-09-15;in_use;Mairie
P-3;smartphone;5;2024-01-10;in_stock;École
"""


def tonnes_in(text: str) -> float:
    match = re.search(r"([\d  ]+,\d) tCO2e", text)
    assert match, text
    return float(
        match.group(1).replace(" ", "").replace("\u202f", "").replace("\xa0", "").replace(",", ".")
    )


def test_demo_prints_a_summary_and_writes_the_report(tmp_path: Path) -> None:
    result = runner.invoke(app, ["demo", "--sortie", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "Empreinte du parc numérique — 2025" in result.output
    assert "Ordinateur portable" in result.output
    html = (tmp_path / "rapport-empreinte.html").read_text(encoding="utf-8")
    assert html.count("<svg") >= 2  # charts are inline: the file works offline
    assert 'src="http' not in html and "<link" not in html  # nothing fetched from the network
    assert tonnes_in(html) == pytest.approx(tonnes_in(result.output))
    assert (tmp_path / "rapport-empreinte-import.csv").exists()


def test_footprint_of_a_canonical_csv_equals_the_engine(tmp_path: Path) -> None:
    path = tmp_path / "parc.csv"
    path.write_text(CANONICAL, encoding="utf-8")
    report = tmp_path / "rapport.html"
    result = runner.invoke(
        app, ["empreinte", str(path), "--annee", "2025", "--agents", "50", "--rapport", str(report)]
    )
    assert result.exit_code == 0, result.output
    fleet = pa.table(
        {
            "asset_id": ["P-1", "P-2", "P-3"],
            "category": ["laptop", "monitor", "smartphone"],
            "quantity": [10, 12, 5],
            "acquisition_date": [dt.date(2023, 3, 1), dt.date(2022, 9, 15), dt.date(2024, 1, 10)],
            "status": ["in_use", "in_use", "in_stock"],
        }
    )
    expected = compute(fleet, load(), Parameters(2025)).totals().to_pylist()
    gwp = next(r["annual"] for r in expected if r["criterion"] == "gwp")
    assert tonnes_in(result.output) == pytest.approx(gwp / 1000, abs=0.05)
    assert "27 équipements" in result.output
    assert report.exists()


def test_footprint_refuses_bad_rows_in_french_without_traceback(tmp_path: Path) -> None:
    path = tmp_path / "parc.csv"
    path.write_text(CANONICAL + "P-4;laptop;-3;2023-01-01;in_use;Mairie\n", encoding="utf-8")
    result = runner.invoke(app, ["empreinte", str(path), "--annee", "2025"])
    assert "Traceback" not in result.output
    assert "ligne 5" in result.output
    assert "1 refusée" in result.output or result.exit_code == 2


def test_unknown_allocation_rule_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "parc.csv"
    path.write_text(CANONICAL, encoding="utf-8")
    result = runner.invoke(app, ["empreinte", str(path), "--amortissement", "degressif"])
    assert result.exit_code == 2
    assert "Règle d'amortissement inconnue" in result.output


def test_referential_check_and_show() -> None:
    result = runner.invoke(app, ["referentiel", "verifier"])
    assert result.exit_code == 0, result.output
    assert "cohérent" in result.output and "28 catégories" in result.output
    shown = runner.invoke(app, ["referentiel", "afficher", "--categorie", "laptop"])
    assert shown.exit_code == 0
    assert "Changement climatique" in shown.output and "ademe-2022-terminaux" in shown.output


def test_override_file_changes_the_result_and_the_version(tmp_path: Path) -> None:
    override = tmp_path / "mes-facteurs.csv"
    override.write_text(
        "category,criterion,phase,value,source_id\nlaptop,gwp,manufacture,400,\n", encoding="utf-8"
    )
    shown = runner.invoke(
        app, ["referentiel", "afficher", "--categorie", "laptop", "--surcharge", str(override)]
    )
    assert shown.exit_code == 0, shown.output
    assert re.search(r"version 2026\.12\+[0-9a-f]{8}", shown.output)
    assert "surcharge:mes-facteurs.csv" in shown.output
    checked = runner.invoke(app, ["referentiel", "verifier", "--surcharge", str(override)])
    assert checked.exit_code == 0, checked.output


def test_malformed_override_is_refused_in_french(tmp_path: Path) -> None:
    override = tmp_path / "faux.csv"
    override.write_text("nom,valeur\nportable,3\n", encoding="utf-8")
    result = runner.invoke(app, ["referentiel", "verifier", "--surcharge", str(override)])
    assert result.exit_code == 2
    assert "n'a les colonnes d'aucune table du référentiel" in result.output


PCF = Path(__file__).resolve().parent / "data" / "boavizta-pcf-fictif.csv"  # invented figures


def test_model_level_figures_are_opt_in_and_shown(tmp_path: Path) -> None:
    path = tmp_path / "parc.csv"
    path.write_text(
        "asset_id;category;manufacturer;model;acquisition_date\n"
        "A-1;laptop;Dell;Latitude 5420;2024-01-01\n"
        "A-2;laptop;Dell;Latitude 5420;2024-01-01\n"
        "A-3;laptop;Inconnu;Prototype 1;2024-01-01\n",
        encoding="utf-8",
    )
    plain = runner.invoke(app, ["empreinte", str(path), "--annee", "2024"])
    with_models = runner.invoke(
        app, ["empreinte", str(path), "--annee", "2024", "--modeles", str(PCF)]
    )
    assert plain.exit_code == 0 and with_models.exit_code == 0, with_models.output
    assert "Modèles : 1 modèle(s) rapproché(s)" in with_models.output
    assert "utilisé pour 2 équipement(s)" in with_models.output
    assert "Latitude 5420 → Latitude 5420" in with_models.output
    assert "ODbL" in with_models.output  # the dataset's caveats and licence are stated
    assert tonnes_in(with_models.output) != tonnes_in(plain.output)
