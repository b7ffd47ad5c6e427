"""End-to-end: the pages in a real browser (Debian's chromium driven by Playwright).

The app runs with uvicorn on 127.0.0.1 (a free port, a thread) on a temporary SQLite store.
One browser for the whole module. Every page is checked with axe-core (no serious or
critical violation). With ``SOBRENUM_SCREENSHOTS=1`` each page is saved as a PNG into
docs/guide/images/ for the user guide.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import tempfile
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow.compute as pc
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from sobrenum.domain import CATEGORIES
from sobrenum.engine import Parameters, compute
from sobrenum.inventory import load_inventory
from sobrenum.reporting import formatting, summarise
from sobrenum.store import Organisation, apply_import, create_organisation, open_store
from sobrenum.web.app import create_app
from sobrenum.web.services import referential
from sobrenum.web.settings import Settings
from web_support import PASSWORD, add_user, served

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "tests" / "data" / "inventaire-parc-ville-exemple.xlsx"  # scripts/make_inventory.py
AXE = ROOT / "tests" / "a11y" / "axe.min.js"
IMAGES = ROOT / "docs" / "guide" / "images"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = os.environ.get("SOBRENUM_SCREENSHOTS") == "1"
YEAR = 2025
INVENTORY_DATE = "2025-06-30"


@dataclass
class LiveApp:
    url: str
    organisation: Organisation
    keyboard_organisation: Organisation
    editor: str
    keyboard_user: str
    sources_organisation: Organisation
    sources_user: str


@pytest.fixture(scope="module")
def live_app() -> Iterator[LiveApp]:
    folder = Path(tempfile.mkdtemp(prefix="sobrenum-e2e-"))
    store = open_store(f"sqlite:///{folder / 'sobrenum.db'}")
    organisation = create_organisation(
        store,
        name="Ville d'Exemple",
        siren=None,
        type="commune",
        population=31_500,
        staff_count=420,
        reporting_year=YEAR,
    )
    other = create_organisation(
        store,
        name="Commune du Clavier",
        siren=None,
        type="commune",
        population=8_000,
        staff_count=95,
        reporting_year=YEAR,
    )
    add_user(store, "agent@ville-exemple.fr", organisation=organisation, role="admin")
    add_user(store, "clavier@commune.fr", organisation=other, role="admin")
    result = load_inventory(SAMPLE, YEAR, referential().default_lifetimes())
    apply_import(
        store,
        other.id,
        result.fleet,
        file_sha256="0" * 64,
        file_name=SAMPLE.name,
        inventory_date=dt.date.fromisoformat(INVENTORY_DATE),
    )
    sources = create_organisation(
        store, name="Commune des Sources", siren=None, type="commune", reporting_year=YEAR
    )
    add_user(store, "sources@commune.fr", organisation=sources, role="admin")
    apply_import(
        store,
        sources.id,
        result.fleet,
        file_sha256="1" * 64,
        file_name=SAMPLE.name,
        inventory_date=dt.date.fromisoformat(INVENTORY_DATE),
    )
    app = create_app(Settings(store=store, data_folder=folder))
    try:
        with served(app) as url:
            yield LiveApp(
                url=url,
                organisation=organisation,
                keyboard_organisation=other,
                editor="agent@ville-exemple.fr",
                keyboard_user="clavier@commune.fr",
                sources_organisation=sources,
                sources_user="sources@commune.fr",
            )
    finally:
        store.close()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    # bypass_csp: axe-core is injected inline; the app itself keeps its strict CSP.
    context = browser.new_context(
        viewport={"width": 1280, "height": 800}, locale="fr-FR", bypass_csp=True
    )
    context.set_default_timeout(15_000)
    opened = context.new_page()
    try:
        yield opened
    finally:
        context.close()


def check_page(page: Page, name: str, *, full_page: bool = True) -> None:
    """No serious or critical axe-core violation; a screenshot for the guide when asked."""
    page.add_script_tag(path=str(AXE))
    violations: list[dict[str, Any]] = page.evaluate(
        """async () => {
            const result = await axe.run(document, {resultTypes: ['violations']});
            return result.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))
            }));
        }"""
    )
    serious = [v for v in violations if v["impact"] in ("serious", "critical")]
    assert not serious, f"{name} : violations d'accessibilité {serious}"
    if SCREENSHOTS:
        IMAGES.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(IMAGES / f"{name}.png"), full_page=full_page)


def log_in(page: Page, live: LiveApp, email: str) -> None:
    page.goto(live.url + "/")
    expect(page).to_have_url(re.compile(r"/connexion"))
    page.get_by_label("Adresse électronique").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()


def expected_totals() -> tuple[str, str, int]:
    """The engine's annual GWP of the sample and its devices of the year (retired ones left
    out), as the dashboard prints them (t and kg)."""
    result = load_inventory(SAMPLE, YEAR, referential().default_lifetimes())
    footprint = compute(result.fleet, referential(), Parameters(reporting_year=YEAR))
    totals = footprint.totals(["criterion"])
    gwp = pc.sum(totals.filter(pc.equal(totals["criterion"], "gwp"))["annual"]).as_py()
    return formatting.tonnes(gwp), formatting.number(gwp), summarise(footprint).devices


def test_import_wizard_dashboard_and_device_page(page: Page, live_app: LiveApp) -> None:
    org = live_app.organisation.id
    log_in(page, live_app, "nobody@example.fr")
    expect(page.get_by_role("alert")).to_contain_text("mot de passe incorrect")
    check_page(page, "01-connexion")

    log_in(page, live_app, live_app.editor)
    expect(page.get_by_role("heading", level=1)).to_have_text("Vos collectivités")
    check_page(page, "02-accueil")
    page.get_by_role("link", name="Ville d'Exemple").click()
    expect(page.get_by_role("heading", name="Aucun inventaire importé")).to_be_visible()

    # 1. Upload.
    page.get_by_role("link", name="Importer un inventaire").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Importer un inventaire")
    page.get_by_label("Fichier de l'inventaire").set_input_files(str(SAMPLE))
    page.get_by_label("Date de l'inventaire").fill(INVENTORY_DATE)
    check_page(page, "03-import-fichier")
    page.get_by_role("button", name="Envoyer et lire le fichier").click()

    # 2. Mapping: the sample's headers are recognised; the user may correct them.
    expect(page.get_by_role("heading", level=1)).to_have_text("Correspondance des colonnes")
    category = page.get_by_label("Champ pour la colonne « Type de matériel »")
    expect(category).to_have_value("category")
    check_page(page, "04-import-correspondance")
    page.get_by_role("button", name="Valider la correspondance et contrôler les lignes").click()

    # 3. Validation report, downloadable.
    expect(page.get_by_role("heading", level=1)).to_have_text("Contrôle de l'inventaire")
    expect(page.get_by_test_id("rows-accepted")).to_have_text(formatting.number(1200))
    with page.expect_download() as download:
        page.get_by_role("link", name="Télécharger le rapport (CSV)").click()
    assert download.value.suggested_filename.endswith(".csv")
    check_page(page, "05-import-controle")
    page.get_by_role("button", name="Confirmer l'import").click()

    # 4. Summary of what changed.
    expect(page.get_by_role("heading", level=1)).to_have_text("Import terminé")
    expect(page.get_by_test_id("added")).to_have_text(formatting.number(1200))
    expect(page.get_by_test_id("gone")).to_have_text("0")
    check_page(page, "06-import-resultat")

    # Dashboard totals are the engine's on the same fleet.
    tonnes, kilograms, devices = expected_totals()
    # The dashboard's first computation may take long on a loaded machine.
    page.get_by_role("link", name="Voir le tableau de bord").click(timeout=60_000)
    expect(page.get_by_test_id("total-gwp")).to_have_text(tonnes, timeout=60_000)
    expect(page.get_by_text(f"soit {kilograms} kgCO2e")).to_be_visible()
    expect(page.get_by_test_id("devices")).to_have_text(formatting.number(devices))
    expect(page.get_by_role("table", name=re.compile("par catégorie et par phase"))).to_be_visible()
    check_page(page, "07-tableau-de-bord")

    # Fleet: filter by category (htmx swaps the results), then open a device.
    page.get_by_role("link", name="Parc informatique").click()
    expect(page.get_by_test_id("fleet-count")).to_contain_text("1\u202f200 lignes")
    check_page(page, "08-parc", full_page=False)
    page.get_by_label("Catégorie").select_option("laptop")
    expect(page).to_have_url(re.compile(r"categorie=laptop"))
    expect(page.get_by_test_id("fleet-count")).not_to_contain_text("1\u202f200 lignes")
    page.get_by_role("link", name=re.compile(r"Suivante")).click()
    expect(page).to_have_url(re.compile(r"page=2"))
    # Sort by acquisition date, most recent first (a header click sorts, a second reverses).
    page.get_by_role("link", name=re.compile(r"^Acquisition")).click()
    expect(page).to_have_url(re.compile(r"tri=acquisition&ordre=asc"))
    page.get_by_role("link", name=re.compile(r"^Acquisition")).click()
    expect(page).to_have_url(re.compile(r"tri=acquisition&ordre=desc"))
    first = page.locator("table.fleet tbody th a").first
    asset_id = first.inner_text()
    first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Équipement {asset_id}")
    expect(page.get_by_role("heading", name="Comment son empreinte est calculée")).to_be_visible()
    # Factor ids are for IT agents: behind « Détails techniques », hidden until opened.
    expect(page.get_by_text("laptop.gwp.manufacture")).to_be_hidden()
    page.get_by_text("Détails techniques").click()
    expect(page.get_by_text("laptop.gwp.manufacture")).to_be_visible()
    expect(page.get_by_text("elec.FRA.gwp")).to_be_visible()
    check_page(page, "09-equipement")

    # Referential and settings.
    page.get_by_role("link", name="Référentiel").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Référentiel des facteurs d'impact")
    check_page(page, "10-referentiel", full_page=False)
    page.get_by_role("link", name="Ordinateur portable").click()
    page.get_by_text("Détails techniques").click()
    expect(page.get_by_text("laptop.gwp.manufacture")).to_be_visible()
    check_page(page, "11-referentiel-categorie", full_page=False)
    page.goto(f"{live_app.url}/referentiel/electricite?collectivite={org}")
    check_page(page, "12-referentiel-electricite", full_page=False)

    page.get_by_role("link", name="Paramètres").click()
    page.get_by_label("Nombre d'agents").fill("quatre cents")
    page.get_by_role("button", name="Enregistrer", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("Nombre d'agents : indiquez un nombre entier")
    page.get_by_label("Nombre d'agents").fill("400")
    page.get_by_role("button", name="Enregistrer", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("Paramètres enregistrés")
    check_page(page, "13-parametres")

    # The reuse register and the strategy, from the organisation menu.
    page.get_by_role("link", name="Réemploi", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("éemploi")
    check_page(page, "14-reemploi")
    page.get_by_role("link", name="Stratégie", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("tratégie")
    check_page(page, "15-strategie")
    page.get_by_role("link", name="Paramètres").click()

    # English pages through the switch in the header, then back to French.
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Organisation settings")
    page.get_by_role("button", name="Français").click()
    expect(page.locator("html")).to_have_attribute("lang", "fr")

    page.get_by_role("button", name="Se déconnecter").click()
    expect(page).to_have_url(re.compile(r"/connexion"))
    page.goto(f"{live_app.url}/collectivites/{org}")
    expect(page).to_have_url(re.compile(r"/connexion"))


def _upload_phones(page: Page, live: LiveApp, path: Path, source: str | None) -> None:
    page.goto(f"{live.url}/collectivites/{live.sources_organisation.id}/import")
    page.get_by_label("Fichier de l'inventaire").set_input_files(str(path))
    page.get_by_label("Date de l'inventaire").fill("2025-09-30")
    if source:
        page.get_by_label("ou nouvelle source").fill(source)
    page.get_by_role("button", name="Envoyer et lire le fichier").click()
    page.get_by_role("button", name="Valider la correspondance et contrôler les lignes").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Contrôle de l'inventaire")


def test_wizard_previews_a_partial_file_and_needs_a_confirmation(
    page: Page, live_app: LiveApp, tmp_path: Path
) -> None:
    phones = tmp_path / "telephones.csv"
    phones.write_text(
        "N° d'inventaire;Catégorie;Date d'acquisition\n"
        "TEL-001;Smartphone;2023-01-10\nTEL-002;Smartphone;2023-01-10\n",
        encoding="utf-8",
    )
    log_in(page, live_app, live_app.sources_user)
    expect(page.get_by_role("heading", level=1)).to_have_text("Vos collectivités")
    # Into the « principale » source, the 2 phones would mark the 1,200 devices gone.
    _upload_phones(page, live_app, phones, None)
    expect(page.get_by_test_id("preview-gone")).to_have_text(formatting.number(1200))
    expect(page.get_by_test_id("confirm-gone")).to_be_visible()
    check_page(page, "05b-import-apercu-sorties")
    page.get_by_role("button", name="Confirmer l'import").click()  # box not ticked: refused
    expect(page.get_by_role("alert").first).to_contain_text("rien n'a été importé")
    expect(page.get_by_test_id("preview-gone")).to_have_text(formatting.number(1200))
    page.get_by_role("button", name="Abandonner cet import").click()

    # In their own source, nothing goes; then the source's last import is undone.
    _upload_phones(page, live_app, phones, "Opérateur mobile")
    expect(page.get_by_test_id("preview-gone")).to_have_text("0")
    expect(page.get_by_test_id("preview-added")).to_have_text("2")
    expect(page.get_by_test_id("confirm-gone")).to_have_count(0)
    page.get_by_role("button", name="Confirmer l'import").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Import terminé")
    expect(page.get_by_test_id("gone")).to_have_text("0")
    page.goto(f"{live_app.url}/collectivites/{live_app.sources_organisation.id}/import")
    sources = page.get_by_role("table", name=re.compile("Chaque source"))
    expect(sources).to_contain_text("Opérateur mobile")
    expect(page.get_by_label("Source existante")).to_have_value("Opérateur mobile")  # remembered
    check_page(page, "03b-import-sources")
    sources.get_by_role("row", name=re.compile("Opérateur mobile")).get_by_role(
        "button", name="Annuler cet import"
    ).click()
    expect(page.get_by_test_id("undo-notice")).to_contain_text("annulé")


def _tab_to(page: Page, name: str, limit: int = 80) -> None:
    """Press Tab until the focused element's text (or label) is ``name``; its focus must be
    visible (an outline)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            """() => {
                const el = document.activeElement;
                const style = getComputedStyle(el);
                const label = el.labels && el.labels.length ? el.labels[0].innerText : '';
                const own = el.tagName === 'SELECT' ? '' : (el.innerText || el.value || '');
                return {text: (label || own).trim(),
                        outline: style.outlineStyle, width: style.outlineWidth};
            }"""
        )
        if focused["text"] == name:
            assert focused["outline"] != "none" and focused["width"] != "0px", (
                f"le focus sur « {name} » n'est pas visible"
            )
            return
    raise AssertionError(f"« {name} » n'est pas atteignable au clavier")


def test_keyboard_only(page: Page, live_app: LiveApp) -> None:
    page.goto(live_app.url + "/connexion")
    page.keyboard.type(live_app.keyboard_user)  # the e-mail field has the focus
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Vos collectivités")

    # The skip link comes first and sends the focus to the content.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Aller au contenu"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "contenu"

    _tab_to(page, "Commune du Clavier")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Tableau de bord", timeout=60_000)
    _tab_to(page, "Parc informatique")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Parc informatique")

    # Filter with the keyboard: choose a status with the arrows, then the Filter button.
    _tab_to(page, "Statut")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    assert page.get_by_label("Statut").input_value() == "in_stock"
    _tab_to(page, "Filtrer")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"statut=in_stock"))
    expect(page.get_by_test_id("fleet-count")).to_be_visible()

    # Open the first device of the list, then log out, all with Tab and Enter.
    first = page.locator("table.fleet tbody th a").first.inner_text()
    _tab_to(page, first)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Équipement {first}")
    _tab_to(page, "Se déconnecter")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/connexion"))


#: What a town agent must never read on a page: internal codes of the software.
INTERNAL_CODES = [
    re.compile(r"\b[a-z]+(?:_[a-z0-9]+)+\b(?!\.csv)"),  # snake_case: tower_server, in_use, asset_id
    re.compile(r"\b[a-z][a-z_]*\.[A-Za-z_]+\.[a-z_]+\b"),  # factor ids: laptop.gwp.manufacture
    re.compile(r"\b(?:inventory|user|snapshot|reuse|scenario|indicator|export)\.[a-z_]+"),
    re.compile(r"\bsystem:"),  # the command line's actor
    # A country code beside its name: « France (FRA) ».
    re.compile(
        r"\((?:" + "|".join(sorted(set(referential().electricity["country"].to_pylist()))) + r")\)"
    ),
    re.compile(r"\b\d{2}/\d{2}/\d{4}\b|\b\d{4}-\d{2}-\d{2}\b"),  # dates as numbers
]
#: English category codes that are no French word of a label (« smartphone » is both).
CATEGORY_CODES = re.compile(
    r"\b(?:"
    + "|".join(
        c.code
        for c in CATEGORIES
        if "_" not in c.code
        and not any(c.code in label.casefold() for label in (x.label_fr for x in CATEGORIES))
    )
    + r")\b"
)


def internal_codes(text: str) -> list[str]:
    found = [m.group(0) for pattern in INTERNAL_CODES for m in pattern.finditer(text)]
    return found + [m.group(0) for m in CATEGORY_CODES.finditer(text)]


def test_pages_speak_to_town_agents(page: Page, live_app: LiveApp) -> None:
    """Walk the main pages as an agent: no internal code in the visible text, dates in words
    (Babel's « 30 juin 2025 »), countries by their name, the category filter in dictionary
    order, a favicon from the package, a glossary behind the « ? » links."""
    org = live_app.keyboard_organisation.id
    log_in(page, live_app, live_app.keyboard_user)
    expect(page.get_by_role("heading", level=1)).to_have_text("Vos collectivités")
    icon = page.locator("link[rel=icon]").get_attribute("href")
    assert icon and icon.startswith(live_app.url + "/static/")
    assert page.request.get(icon).headers["content-type"].startswith("image/svg+xml")

    base = f"{live_app.url}/collectivites/{org}"
    page.goto(f"{base}/parc?categorie=laptop&statut=in_use")
    device = page.locator("table.fleet tbody th a").first.get_attribute("href")
    paths = {
        "accueil": "/",
        "tableau-de-bord": f"/collectivites/{org}",
        "parc": f"/collectivites/{org}/parc",
        "equipement": str(device).removeprefix(live_app.url),
        "import": f"/collectivites/{org}/import",
        "journal": f"/collectivites/{org}/journal",
        "parametres": f"/collectivites/{org}/parametres",
        "reemploi": f"/collectivites/{org}/reemploi",
        "strategie": f"/collectivites/{org}/strategie",
        "referentiel": f"/referentiel?collectivite={org}",
        "referentiel-categorie": f"/referentiel/categories/tower_server?collectivite={org}",
        "referentiel-electricite": f"/referentiel/electricite?collectivite={org}",
        "glossaire": "/glossaire",
    }
    seen = {}
    for name, path in paths.items():
        page.goto(live_app.url + path, timeout=60_000)  # the dashboard's first computation
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        text = page.inner_text("body")
        assert not internal_codes(text), f"{name} : codes internes visibles {internal_codes(text)}"
        seen[name] = text

    # Dates in words, countries by name.
    assert "d'après l'inventaire du 30 juin 2025" in seen["tableau-de-bord"]
    assert "30 juin 2025" in seen["equipement"] and "Pays (mix électrique)" in seen["equipement"]
    assert "\nFrance\n" in seen["parametres"] and "\nChine\n" in seen["parametres"]
    assert "Chine" in seen["referentiel-electricite"]
    assert "publiée le 1 décembre 2026" in seen["referentiel"]
    assert "Ligne de commande" in seen["journal"] and "Inventaire importé" in seen["journal"]

    # The category filter in French dictionary order (« Écran » among the E).
    page.goto(f"{base}/parc")
    options = page.locator("#f-categorie option").all_inner_texts()[1:]
    plain = [
        unicodedata.normalize("NFKD", o).encode("ascii", "ignore").decode().casefold()
        for o in options
    ]
    assert plain == sorted(plain) and len(options) > 5, options

    # Technical ids for IT agents, behind a disclosure; « ? » explains the annual weight.
    page.goto(live_app.url + paths["equipement"])
    expect(page.locator("details.technical code").first).to_be_hidden()
    page.get_by_role("link", name="Définition : poids annuel").click()
    expect(page).to_have_url(re.compile(r"/glossaire#poids-annuel$"))
    expect(page.locator("#poids-annuel")).to_contain_text("1 ÷ durée de vie")
    check_page(page, "16-glossaire")
    page.goto(live_app.url + paths["journal"])
    check_page(page, "17-journal")

    # English pages: dates and countries in English (Babel's CLDR).
    page.context.add_cookies([{"name": "sobrenum_langue", "value": "en", "url": live_app.url}])
    page.goto(live_app.url + paths["equipement"])
    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert "June 30, 2025" in page.inner_text("body")
    page.goto(live_app.url + paths["referentiel-electricite"])
    assert "China" in page.inner_text("body")
