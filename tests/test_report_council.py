"""The council report as the council sees it: PDF pages rendered to PNG, text inside the page,
charts drawn; the open data package validated with frictionless; the CLI end to end."""

from __future__ import annotations

import csv
import subprocess
from pathlib import Path

import pdfplumber
import pyarrow as pa
import pytest
from frictionless import validate
from typer.testing import CliRunner

from sobrenum.cli.main import app
from sobrenum.demo import DEMO_ACTIONS as ACTIONS
from sobrenum.demo import DEMO_DECLARED as DECLARED
from sobrenum.demo import DEMO_OBJECTIVES, DEMO_ORGANISATION, demo_inventory
from sobrenum.engine import Parameters, compute
from sobrenum.inventory import load_inventory
from sobrenum.referential import load
from sobrenum.reporting import indicators as ind
from sobrenum.reporting import opendata, summarise
from sobrenum.reporting.annual import (
    Outputs,
    footprint_by_criterion,
    report_from_fleet,
    write_outputs,
)
from sobrenum.reporting.council import ActionLine, CouncilReport
from sobrenum.reporting.trajectory import demo_trajectory
from sobrenum.store.strategy import ACTION_STATE_LABELS

DEMO_DECLARED = {code: ind.Declared(value) for code, value in DECLARED.items()}
DEMO_ACTIONS = [
    ActionLine(ind.THEMES[theme], title, ACTION_STATE_LABELS[state])
    for theme, title, state in ACTIONS
]

#: The demo's report: key figures, scope, footprint (2 pages), indicators (3), actions,
#: uncertainty, the trajectory of the chosen scenario, appendices A (1), B (2) and C (2).
DEMO_PAGES = 14
MM = 72 / 25.4


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[CouncilReport, Outputs]:
    ref = load()
    fleet = load_inventory(
        demo_inventory(), reporting_year=2025, default_lifetimes=ref.default_lifetimes()
    ).fleet
    summary = summarise(compute(fleet, ref, Parameters(2025)), DEMO_ORGANISATION, 420, 31_500)
    report = report_from_fleet(
        fleet,
        summary,
        ref,
        declared=DEMO_DECLARED,
        objectives=DEMO_OBJECTIVES,
        actions=DEMO_ACTIONS,
        demo=True,
        trajectory=demo_trajectory(DEMO_ORGANISATION, fleet, 420, ref, 2025),
    )
    folder = tmp_path_factory.mktemp("conseil")
    outputs = write_outputs(
        report, folder, by_criterion=footprint_by_criterion(fleet, ref, summary)
    )
    return report, outputs


def test_pdf_pages_render_and_text_stays_inside_the_margins(
    demo: tuple[CouncilReport, Outputs], tmp_path: Path
) -> None:
    _, outputs = demo
    subprocess.run(
        ["pdftoppm", "-r", "40", "-png", str(outputs.pdf), str(tmp_path / "page")], check=True
    )
    pngs = sorted(tmp_path.glob("page-*.png"))
    assert len(pngs) == DEMO_PAGES
    assert all(p.stat().st_size > 5_000 for p in pngs)  # each page has visible content
    with pdfplumber.open(outputs.pdf) as pdf:
        assert len(pdf.pages) == DEMO_PAGES
        for number, page in enumerate(pdf.pages, start=1):
            assert page.chars, f"page {number} sans texte"
            for char in page.chars:
                inside = (
                    char["x0"] >= 15 * MM - 1
                    and char["x1"] <= page.width - 15 * MM + 1
                    and char["top"] >= 0
                    and char["bottom"] <= page.height
                )
                assert inside, (
                    f"page {number} : « {char['text']} » dépasse ({char['x0']:.0f}, {char['top']:.0f})"
                )


def test_first_page_speaks_to_elected_officials(demo: tuple[CouncilReport, Outputs]) -> None:
    report, outputs = demo
    with pdfplumber.open(outputs.pdf) as pdf:
        first = pdf.pages[0].extract_text()
    assert "L'essentiel pour les élus" in first
    tonnes = f"{report.summary.annual_gwp / 1000:.1f}".replace(".", ",") + " tCO2e"
    assert tonnes in first
    assert report.interval is not None
    assert "avec 90 %" in first  # the Monte Carlo interval is said in plain words
    assert "Lot reconditionné" in first  # planned actions
    assert f"page 1 / {DEMO_PAGES}" in first


def test_charts_are_drawn_on_the_footprint_pages(demo: tuple[CouncilReport, Outputs]) -> None:
    _, outputs = demo
    with pdfplumber.open(outputs.pdf) as pdf:
        chart_pages = [p for p in pdf.pages if "Figure 1" in (p.extract_text() or "")]
        chart_pages += [p for p in pdf.pages if "Figure 2" in (p.extract_text() or "")]
        assert len(chart_pages) == 2
        for page in chart_pages:
            shapes = len(page.rects) + len(page.curves) + len(page.lines)
            assert shapes >= 10, f"page {page.page_number} : {shapes} tracés"
            # Axis titles are drawn as text (SVG text keeps its glyphs, not its spaces).
            assert "kgCO2e" in page.extract_text().replace(" ", "")


def test_html_report_is_self_contained(demo: tuple[CouncilReport, Outputs]) -> None:
    _, outputs = demo
    html = outputs.html.read_text(encoding="utf-8")
    assert html.count("<svg") >= 2
    assert 'src="http' not in html and "<link" not in html
    assert "Annexe A — Méthode, périmètre et sources" in html
    assert "2026.12" in html  # referential version in the methodology appendix


def test_open_data_package_validates_with_frictionless(
    demo: tuple[CouncilReport, Outputs],
) -> None:
    report, outputs = demo
    result = validate(str(outputs.datapackage))
    assert result.valid, result.flatten(["rowNumber", "fieldName", "type", "note"])
    folder = outputs.datapackage.parent
    with (folder / opendata.INDICATORS_FILE).open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == len(report.indicators)
    workshops = next(r for r in rows if r["code"] == "ateliers_nombre")
    assert (workshops["valeur"], workshops["origine"], workshops["objectif"]) == (
        "6",
        "déclaré",
        "4.0",
    )
    with (folder / opendata.FOOTPRINT_FILE).open(encoding="utf-8") as fh:
        footprint = list(csv.DictReader(fh))
    gwp = sum(float(r["impact_annuel"]) for r in footprint if r["critere"] == "gwp")
    assert gwp == pytest.approx(report.summary.annual_gwp)


@pytest.mark.parametrize("lead", ["=", "+", "-", "@", "\t", "\r"])
def test_open_data_neutralises_formulas(
    demo: tuple[CouncilReport, Outputs], tmp_path: Path, lead: str
) -> None:
    report, _ = demo
    report.summary.organisation = lead + 'HYPERLINK("http://x";"clic")'
    try:
        package = opendata.write_open_data(tmp_path, report.summary, report.indicators)
    finally:
        report.summary.organisation = DEMO_ORGANISATION
    for name in (opendata.FOOTPRINT_FILE, opendata.INDICATORS_FILE):
        with (tmp_path / name).open(encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                assert row["collectivite"].startswith("'" + lead)
                for key, cell in row.items():
                    if cell and cell[0] in "=+@\t\r":
                        pytest.fail(f"{name} {key} : cellule non neutralisée {cell!r}")
    assert validate(str(package)).valid


def test_cli_report_from_the_store(tmp_path: Path) -> None:
    runner = CliRunner()
    base = f"sqlite:///{tmp_path / 'base.sqlite3'}"
    inventory = tmp_path / "parc.csv"
    inventory.write_text(
        "asset_id;category;quantity;acquisition_date;status\n"
        "P-1;laptop;30;2023-03-01;in_use\nP-2;monitor;40;2022-09-15;in_use\n",
        encoding="utf-8",
    )
    declarations = tmp_path / "declarations.csv"
    declarations.write_text(
        "annee;code;valeur;objectif\n2025;ateliers_nombre;3;4\n2025;taux_reemploi;55;50\n",
        encoding="utf-8",
    )
    steps = [
        ["organisation", "creer", "--nom", "Commune de Test", "--type", "commune",
         "--siren", "200054781", "--agents", "60", "--population", "9000"],
        ["importer", str(inventory), "--date", "2025-06-30"],
        ["strategie", "importer", str(declarations)],
        ["strategie", "declarer", "contrat_reparation", "oui", "--annee", "2025"],
        ["strategie", "action", "Allonger la durée de vie des postes", "--theme", "2", "--annee", "2025"],
        ["strategie", "figer", "--annee", "2025"],
        ["rapport", "--annee", "2025", "--organisation", "200054781", "--sortie", str(tmp_path / "out")],
    ]  # fmt: skip
    for args in steps:
        result = runner.invoke(app, [*args, "--base", base])
        assert result.exit_code == 0, (args, result.output)
    again = runner.invoke(app, ["strategie", "figer", "--annee", "2025", "--base", base])
    assert again.exit_code == 2 and "déjà figée" in again.output
    pdf = tmp_path / "out" / "rapport-conseil-2025.pdf"
    with pdfplumber.open(pdf) as doc:
        text = "\n".join(p.extract_text() or "" for p in doc.pages)
    assert "Commune de Test — bilan 2025" in text
    assert "Chiffres provisoires" not in text  # the year is frozen
    assert "Allonger la durée de vie des postes" in text
    assert validate(str(tmp_path / "out" / "donnees-ouvertes" / "datapackage.json")).valid
    # A bad declaration file is refused whole, naming the line.
    bad = tmp_path / "bad.csv"
    bad.write_text("annee;code;valeur\n2025;ateliers_nombre;2\n2025;agents_formes_part;140\n")
    result = runner.invoke(app, ["strategie", "importer", str(bad), "--base", base])
    assert result.exit_code == 2
    assert "ligne 3" in result.output and "dépasse 100" in result.output
    table = runner.invoke(
        app, ["strategie", "indicateurs", "--annee", "2025", "--base", base], env={"COLUMNS": "250"}
    )
    assert "ateliers_nombre" in table.output and "figée" in table.output


def test_the_demo_ends_with_the_council_report(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["demo", "--sortie", str(tmp_path)])
    assert result.exit_code == 0, result.output
    pdf = tmp_path / "rapport-conseil-2025.pdf"
    assert "Rapport au conseil (PDF)" in result.output
    assert pdf.read_bytes().startswith(b"%PDF")
    assert (tmp_path / "rapport-conseil-2025.html").exists()
    assert validate(str(tmp_path / "donnees-ouvertes" / "datapackage.json")).valid
    with pdfplumber.open(pdf) as doc:
        # The demo commune is prepared in a store: its year is frozen, its register filled.
        assert len(doc.pages) == DEMO_PAGES
        text = "\n".join(page.extract_text() or "" for page in doc.pages)
        assert "Collectivité fictive" in (doc.pages[0].extract_text() or "")
        assert "Fresque du numérique" in text and "figée" in text


def test_key_figures_compare_with_sourced_equivalents() -> None:
    """Hand-computed: 2,176 kgCO2e = 10,000 km by car at 0.2176 kg/km (ADEME Impact CO2) and
    1.2 return flights Paris – New York at 1,770 kg; 0.041 kg Sb eq = 20 smartphones at
    0.00205 each; 25 amortised devices out of 100 = 25 %."""
    from sobrenum.reporting.council import key_figures
    from sobrenum.reporting.summary import CriterionLine, Summary

    summary = Summary(
        organisation="Commune",
        reporting_year=2025,
        referential_version="test",
        allocation="linear",
        devices=100,
        annual_gwp=2176.0,
        whole_life_gwp=10_000.0,
        per_staff=None,
        per_inhabitant=None,
        staff_count=None,
        population=None,
        categories=[],
        criteria=[CriterionLine("adpe", "Métaux", "kgSbeq", 0.041, 0.2, {})],
        gwp_by_phase={},
    )
    report = CouncilReport(
        summary=summary,
        indicators=[],
        referential_title="t",
        referential_published="2026-01-01",
        amortised_devices=25,
        smartphone_adpe=0.00205,
    )
    carbon, metals, devices = key_figures(report)
    assert carbon.value == "2,2 tCO2e"
    assert "10 000 km" in carbon.comparison.replace("\u202f", " ")
    assert "1,2 allers-retours Paris – New York" in carbon.comparison
    assert "20 smartphones" in metals.comparison
    assert "Dont 25 (25 %)" in devices.comparison


def test_first_pages_say_what_is_outside_and_the_annex_explains_every_criterion(
    demo: tuple[CouncilReport, Outputs],
) -> None:
    report, outputs = demo
    # 271 of the 782 demo devices are past their lifetime in 2025 (counted in issue 10).
    assert report.amortised_devices == 271
    with pdfplumber.open(outputs.pdf) as pdf:
        pages = [" ".join((p.extract_text() or "").split()) for p in pdf.pages]
    first, second = pages[0], pages[1]
    assert "Autant que" in first and "km parcourus seul en voiture thermique" in first
    assert "de métaux et minéraux épuisés" in first
    assert "Dont 271 (35 %) gardés au-delà de leur durée de vie" in first
    assert "Non compté" in second and "cloud" in second and "papier" in second
    assert "271 équipements sur 782" in second
    assert "ne se compare pas à l'empreinte numérique nationale par habitant" in second
    assert "ADEME, Impact CO2" in second
    annex = next(p for p in pages if "Annexe C" in p)
    assert "méthode AWARE" in annex and "antimoine" in annex
    # The EF table is in the annex, not in the body any more.
    body = " ".join(pages[2:4])
    assert "kBq U235" not in body


def test_amortised_devices_are_those_past_their_lifetime() -> None:
    """Mini referential, laptop lifetime 5 years: bought in 2018, 2 laptops are past their
    life in 2024; bought in 2022, 3 are not; a 2015 laptop with its own 12-year life is not."""
    import datetime as dt

    from sobrenum.engine import Parameters
    from sobrenum.reporting.council import amortised_devices

    mini = load(Path(__file__).parent / "data" / "referential-mini")
    fleet = pa.table(
        {
            "asset_id": ["OLD", "NEW", "LONG"],
            "category": ["laptop"] * 3,
            "quantity": [2, 3, 1],
            "acquisition_date": [dt.date(2018, 3, 1), dt.date(2022, 1, 1), dt.date(2015, 1, 1)],
            "lifetime_years": [None, None, 12.0],
        }
    )
    assert amortised_devices(fleet, mini, Parameters(2024)) == 2


def test_a_partial_total_says_partiel_on_the_first_page_and_in_the_annex(
    demo: tuple[CouncilReport, Outputs],
) -> None:
    report, outputs = demo
    metals = next(c for c in report.summary.criteria if c.code == "adpe")
    assert metals.partial  # the demo's metals lack end-of-life factors
    with pdfplumber.open(outputs.pdf) as pdf:
        pages = [" ".join((p.extract_text() or "").split()) for p in pdf.pages]
    assert "kg Sb éq. (partiel)" in pages[0] and "Total partiel" in pages[0]
    annex = " ".join(p for p in pages if "Annexe C" in p or "Ce qu'il mesure" in p)
    assert "Couverture : partiel" in annex
