"""Documents a screen reader can read.

The PDFs (council report, wipe certificate, donation agreement) are tagged PDF/UA-1: their
structure tree is read back with pypdf (headings, tables, figures with their text
alternative), with the language, the title shown in the window and the PDF/UA identifier.
The HTML reports (footprint report, council report) pass axe-core in Debian's chromium.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from playwright.sync_api import Browser, sync_playwright
from pypdf import PdfReader
from pypdf.generic import ArrayObject, BooleanObject, DictionaryObject, IndirectObject

from conftest import fleet_table
from sobrenum.engine import Parameters, compute
from sobrenum.referential import load
from sobrenum.reporting import render_footprint_html, summarise
from sobrenum.reporting.annual import report_from_fleet
from sobrenum.reporting.council import (
    CouncilReport,
    council_pdf_bytes,
    evolution_chart,
    history_chart,
    render_council_html,
)
from sobrenum.reporting.snapshots import Decomposition
from sobrenum.reuse import donate, record_wipe
from sobrenum.reuse.documents import donation_agreement_pdf, wipe_certificate_pdf
from sobrenum.store import apply_import, create_organisation, open_store

ROOT = Path(__file__).resolve().parents[1]
AXE = ROOT / "tests" / "a11y" / "axe.min.js"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
YEAR = 2025


def fleet() -> pa.Table:
    rows: list[dict[str, Any]] = [
        {"asset_id": "P1", "category": "laptop", "acquisition_date": dt.date(2022, 3, 1)},
        {"asset_id": "P2", "category": "laptop", "acquisition_date": dt.date(2019, 9, 1)},
        {"asset_id": "E1", "category": "monitor", "acquisition_date": dt.date(2021, 1, 1)},
        {"asset_id": "S1", "category": "smartphone", "acquisition_date": dt.date(2024, 6, 1)},
    ]
    for row in rows:
        row.update(manufacturer="Dell", model="Modèle", quantity=1, status="in_use")
    return fleet_table(rows)


@pytest.fixture(scope="module")
def report() -> CouncilReport:
    ref = load()
    table = fleet()
    summary = summarise(compute(table, ref, Parameters(YEAR)), "Commune de Lisible", 40, 3_000)
    return report_from_fleet(table, summary, ref, with_interval=False)


# --- the PDF's structure, as assistive technology reads it ----------------------------------


def _kids(element: DictionaryObject) -> list[DictionaryObject]:
    kids = element.get("/K")
    if kids is None:
        return []
    items = kids if isinstance(kids, ArrayObject) else [kids]
    found = [k.get_object() for k in items if isinstance(k, IndirectObject | DictionaryObject)]
    return [k for k in found if isinstance(k, DictionaryObject) and "/S" in k]


def dictionary(value: Any) -> DictionaryObject:
    found = value.get_object()
    assert isinstance(found, DictionaryObject)
    return found


def structure(data: bytes, tmp_path: Path) -> tuple[PdfReader, list[DictionaryObject]]:
    """The PDF and its structure elements, depth first (reading order)."""
    path = tmp_path / "document.pdf"
    path.write_bytes(data)
    reader = PdfReader(path)
    root = reader.root_object
    assert "/StructTreeRoot" in root, "PDF non balisé"
    elements: list[DictionaryObject] = []
    stack = _kids(dictionary(root["/StructTreeRoot"]))[::-1]
    while stack:
        element = stack.pop()
        elements.append(element)
        stack.extend(_kids(element)[::-1])
    return reader, elements


def check_tagged(data: bytes, tmp_path: Path, title: str) -> Counter[str]:
    """PDF/UA-1 essentials; returns the count of each structure type."""
    reader, elements = structure(data, tmp_path)
    root = reader.root_object
    assert dictionary(root["/MarkInfo"])["/Marked"] == BooleanObject(True)
    assert str(root["/Lang"]) == "fr"
    assert dictionary(root["/ViewerPreferences"])["/DisplayDocTitle"] == BooleanObject(True)
    assert reader.metadata is not None and reader.metadata.title == title
    xmp = root["/Metadata"].get_object().get_data().decode("utf-8")  # type: ignore[union-attr]
    assert re.search(r"""pdfuaid:part(="1"|>1<)""", xmp), "identifiant PDF/UA absent"
    types = Counter(str(e["/S"]) for e in elements)
    assert types["/Document"] == 1
    assert types["/H1"] == 1
    for figure in (e for e in elements if str(e["/S"]) == "/Figure"):
        assert str(figure.get("/Alt", "")).strip(), "figure sans texte de remplacement"
    return types


def test_council_pdf_is_tagged_with_title_language_and_chart_alternatives(
    report: CouncilReport, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="weasyprint"):
        data = council_pdf_bytes(report)
    # WeasyPrint says so when an image has no alternative or the page no language.
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
    title = "Stratégie numérique responsable — rapport 2025 — Commune de Lisible"
    types = check_tagged(data, tmp_path, title)
    assert types["/H2"] >= 4 and types["/Table"] >= 3 and types["/TH"] >= 10
    _, elements = structure(data, tmp_path)
    alternatives = [str(e["/Alt"]) for e in elements if str(e["/S"]) == "/Figure"]
    assert len(alternatives) == 2  # by category, by phase
    by_category, by_phase = alternatives
    assert by_category.startswith("Graphique en barres empilées : empreinte carbone annuelle")
    # The figures a sighted reader sees on the bars, read out: one per category and phase.
    for label in ("Ordinateur portable", "Écran d'ordinateur", "Smartphone"):
        assert re.search(rf"{re.escape(label)} : [\d  ]+ kgCO2e", by_category), label
    for phase in ("Fabrication", "Distribution", "Usage", "Fin de vie"):
        assert re.search(rf"{phase} : [\d  ]+ kgCO2e", by_phase), phase


def test_every_chart_of_the_council_report_has_a_text_alternative(
    report: CouncilReport,
) -> None:
    d = Decomposition(
        year=2025,
        previous_total=12_000.0,
        previous_recomputed=11_500.0,
        total=10_000.0,
        version="2026.11",
        previous_version="2025.01",
    )
    charts = {
        "evolution": evolution_chart(d),
        "history": history_chart([(2023, 13_000.0), (2024, 12_000.0), (2025, 10_000.0)]),
    }
    expected = {
        "evolution": "2024 : 12,0 ; Effet référentiel : −0,5 ; Effet parc : −1,5 ; 2025 : 10,0.",
        "history": "2023 : 13,0 ; 2024 : 12,0 ; 2025 : 10,0.",
    }
    for name, svg in charts.items():
        head = svg[: svg.index(">") + 1]
        assert 'role="img"' in head and "aria-label=" in head, name
        title = re.search(r"<title>(.*?)</title>", svg)
        assert title and title.group(1).endswith(expected[name]), (name, title)


def test_reuse_documents_are_tagged(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'sobrenum.db'}")
    try:
        org = create_organisation(store, name="Commune de Lisible", siren=None, type="commune")
        laptop = {"asset_id": "R1", "category": "laptop", "status": "retired", "quantity": 1}
        apply_import(
            store,
            org,
            fleet_table([{**laptop, "acquisition_date": dt.date(2019, 3, 1)}]),
            file_sha256="a" * 64,
            file_name="parc.xlsx",
            inventory_date=dt.date(2024, 12, 15),
        )
        wiped = record_wipe(
            store,
            org.id,
            asset_id="R1",
            method="purge",
            tool="Secure Erase du fabricant",
            operator="Service informatique",
            wiped_on=dt.date(2025, 1, 5),
            certificate_ref="RAPPORT-R1",
        )
        done = donate(
            store,
            org.id,
            asset_id="R1",
            exit_date=dt.date(2025, 3, 2),
            receiver_kind="association",
            receiver_name="Emmaüs Connect",
        )
        certificate = wipe_certificate_pdf(store, org.id, int(wiped.id))
        agreement = donation_agreement_pdf(store, org.id, [done.id])
    finally:
        store.close()
    types = check_tagged(certificate, tmp_path, _title(certificate, tmp_path))
    assert _title(certificate, tmp_path).startswith("Certificat d'effacement des données n° ")
    assert types["/P"] >= 3
    types = check_tagged(agreement, tmp_path, _title(agreement, tmp_path))
    assert _title(agreement, tmp_path).startswith("Convention de cession n° ")
    assert types["/H2"] >= 1 and types["/P"] >= 3


def _title(data: bytes, tmp_path: Path) -> str:
    path = tmp_path / "titre.pdf"
    path.write_bytes(data)
    meta = PdfReader(path).metadata
    assert meta is not None and meta.title
    return str(meta.title)


# --- the HTML reports in a browser ----------------------------------------------------------


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        try:
            yield launched
        finally:
            launched.close()


def axe_violations(browser: Browser, html: str) -> list[dict[str, Any]]:
    context = browser.new_context(locale="fr-FR", bypass_csp=True)
    try:
        page = context.new_page()
        page.route("**/*", lambda route: route.abort())  # the reports fetch nothing
        page.set_content(html)
        page.add_script_tag(path=str(AXE))
        found: list[dict[str, Any]] = page.evaluate(
            """async () => {
                const result = await axe.run(document, {resultTypes: ['violations']});
                return result.violations.map(v => ({
                    id: v.id, impact: v.impact,
                    nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))
                }));
            }"""
        )
        return found
    finally:
        context.close()


def test_html_reports_pass_axe(browser: Browser, report: CouncilReport) -> None:
    footprint = render_footprint_html(report.summary)
    council = render_council_html(report)
    for name, html in (("rapport d'empreinte", footprint), ("rapport au conseil", council)):
        assert axe_violations(browser, html) == [], name
