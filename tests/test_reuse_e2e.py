"""End-to-end in a real browser (Debian's chromium driven by Playwright): an editor records a
donation, is refused for want of a wipe, records the wipe, donates, and sees the rate move.

The app runs with uvicorn on 127.0.0.1 (a free port, a thread) on a temporary SQLite store.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect, sync_playwright

from sobrenum.store import create_organisation, open_store
from sobrenum.web.app import create_app
from sobrenum.web.settings import Settings
from test_reuse import seed_fleet
from web_support import PASSWORD, add_user, served

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


@pytest.fixture
def live() -> Iterator[tuple[str, int]]:
    folder = Path(tempfile.mkdtemp(prefix="sobrenum-reuse-e2e-"))
    store = open_store(f"sqlite:///{folder / 'sobrenum.sqlite3'}")
    organisation = create_organisation(
        store,
        name="Commune de Saint-Exemple",
        siren="200054781",
        type="commune",
        reporting_year=2025,
    )
    seed_fleet(store, organisation)
    add_user(store, "dsi@saint-exemple.fr", organisation=organisation, role="editor")
    app = create_app(Settings(store=store, data_folder=folder))
    try:
        with served(app) as url:
            yield url, organisation.id
    finally:
        store.close()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def page() -> Iterator[Page]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR")
        context.set_default_timeout(15_000)
        try:
            yield context.new_page()
        finally:
            context.close()
            browser.close()


def test_exit_wipe_donate_and_the_rate_moves(live: tuple[str, int], page: Page) -> None:
    url, organisation_id = live
    page.goto(url + "/")
    page.get_by_label("Adresse électronique").fill("dsi@saint-exemple.fr")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    # The dashboard shows the legal rate, and the register is one link away.
    page.goto(f"{url}/collectivites/{organisation_id}")
    expect(page.get_by_test_id("reuse-rate")).to_have_text("0,0 %")
    page.get_by_role("link", name="registre du réemploi").click()
    page.goto(f"{url}/collectivites/{organisation_id}/reemploi?annee=2025")
    expect(page.locator("#taux-a")).to_have_text("0")
    expect(page.locator("#taux-b")).to_have_text("7")

    # A WEEE exit of the desktop: no data rule, weight given.
    exit_form = page.locator("#form-sortie")
    exit_form.get_by_label("N° d'inventaire").fill("R2")
    exit_form.get_by_label("Destination").select_option("weee")
    exit_form.get_by_label("Date de sortie").fill("2025-02-01")
    exit_form.get_by_label("Destinataire (structure)").fill("ecosystem")
    exit_form.get_by_label("Poids en kg").fill("7,5")
    exit_form.get_by_role("button", name="Enregistrer la sortie").click()
    expect(page.get_by_role("status")).to_contain_text("Sortie enregistrée")

    # The donation of a laptop is refused until its wipe is recorded.
    def donate() -> None:
        form = page.locator("#form-sortie")
        form.get_by_label("N° d'inventaire").fill("R1")
        form.get_by_label("Destination").select_option("donation")
        form.get_by_label("Date de sortie").fill("2025-03-10")
        form.get_by_label("Type de destinataire").select_option("association")
        form.get_by_label("Destinataire (structure)").fill("Emmaüs Connect")
        form.get_by_role("button", name="Enregistrer la sortie").click()

    donate()
    expect(page.locator("#erreur-reemploi")).to_contain_text("aucun effacement")
    expect(page.locator("#taux-a")).to_have_text("0")

    wipe_form = page.locator("#form-effacement")
    wipe_form.get_by_label("N° d'inventaire").fill("R1")
    wipe_form.get_by_label("Méthode (NIST SP 800-88)").select_option("purge")
    wipe_form.get_by_label("Outil ou procédure").fill("Secure Erase")
    wipe_form.get_by_label("Opérateur").fill("Atelier DSI")
    wipe_form.get_by_label("Date", exact=True).fill("2025-03-01")
    wipe_form.get_by_role("button", name="Enregistrer l'effacement").click()
    expect(page.get_by_role("status")).to_contain_text("Effacement enregistré")

    page.goto(f"{url}/collectivites/{organisation_id}/reemploi?annee=2025")
    donate()
    expect(page.get_by_role("status")).to_contain_text("Sortie enregistrée")
    expect(page.locator("#taux-a")).to_have_text("1")
    expect(page.locator("#taux-reemploi")).to_contain_text("14,3")
    expect(page.locator("#table-sorties")).to_contain_text("Emmaüs Connect")
    page.goto(f"{url}/collectivites/{organisation_id}")
    expect(page.get_by_test_id("reuse-rate")).to_have_text("14,3 %")
    page.go_back()
    # The agreement is one click away and is a PDF.
    with page.expect_download() as download:
        page.get_by_role("link", name="Convention (PDF)").click()
    assert download.value.suggested_filename.startswith("convention-cession-")
