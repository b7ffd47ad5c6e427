"""End-to-end in a real browser (Debian's chromium driven by Playwright): the device page
shows the reuse register's history and the status it gives; another organisation's device
is a 404.

The app runs with uvicorn on 127.0.0.1 (a free port, a thread) on a temporary SQLite store.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect, sync_playwright

from sobrenum.reuse import donate
from sobrenum.store import create_organisation, open_store
from sobrenum.web.app import create_app
from sobrenum.web.settings import Settings
from test_reuse import seed_fleet, wipe
from web_support import PASSWORD, add_user, other_organisation, served

ROOT = Path(__file__).resolve().parents[1]
AXE = ROOT / "tests" / "a11y" / "axe.min.js"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]


@pytest.fixture
def live() -> Iterator[tuple[str, int, int]]:
    folder = Path(tempfile.mkdtemp(prefix="sobrenum-device-e2e-"))
    store = open_store(f"sqlite:///{folder / 'sobrenum.sqlite3'}")
    organisation = create_organisation(
        store, name="Commune de Saint-Exemple", siren="200054781", type="commune",
        reporting_year=2025,
    )  # fmt: skip
    seed_fleet(store, organisation)
    neighbour = other_organisation(store)
    seed_fleet(store, neighbour)
    wipe(store, organisation.id, "R1", dt.date(2025, 2, 20))
    donate(
        store, organisation.id, asset_id="R1", exit_date=dt.date(2025, 3, 1),
        receiver_kind="association", receiver_name="Emmaüs Connect",
    )  # fmt: skip
    wipe(store, organisation.id, "R2", dt.date(2025, 4, 2))
    add_user(store, "elu@saint-exemple.fr", organisation=organisation, role="reader")
    app = create_app(Settings(store=store, data_folder=folder))
    try:
        with served(app) as url:
            yield url, organisation.id, neighbour.id
    finally:
        store.close()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def page() -> Iterator[Page]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(locale="fr-FR", bypass_csp=True)
        context.set_default_timeout(15_000)
        try:
            yield context.new_page()
        finally:
            context.close()
            browser.close()


def _no_serious_violation(page: Page) -> None:
    page.add_script_tag(path=str(AXE))
    violations: list[dict[str, Any]] = page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ['violations']})).violations
            .map(v => ({id: v.id, impact: v.impact}))"""
    )
    assert not [v for v in violations if v["impact"] in ("serious", "critical")], violations


def test_device_page_shows_the_register_and_its_status(
    page: Page, live: tuple[str, int, int]
) -> None:
    url, org, neighbour = live
    page.goto(url + "/connexion")
    page.get_by_label("Adresse électronique").fill("elu@saint-exemple.fr")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()

    # Given away: the inventory still says « retired », the register says where it went.
    page.goto(f"{url}/collectivites/{org}/equipements/R1")
    status = page.get_by_test_id("device-status")
    expect(status).to_contain_text("Donné le 1 mars 2025 (Emmaüs Connect)")
    expect(status).to_contain_text("selon le registre de réemploi")
    register = page.get_by_role("table", name=re.compile("registre de réemploi"))
    rows = register.locator("tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("20 février 2025")
    expect(rows.nth(0)).to_contain_text("Données effacées")
    expect(rows.nth(0)).to_contain_text("certificat RAPPORT-R1")
    expect(rows.nth(1)).to_contain_text("1 mars 2025")
    expect(rows.nth(1)).to_contain_text("Sortie du parc : Don")
    _no_serious_violation(page)

    # Wiped, still here: its inventory status, and the wipe.
    page.goto(f"{url}/collectivites/{org}/equipements/R2")
    expect(page.get_by_test_id("device-status")).to_contain_text("données effacées le 2 avril 2025")
    # Nothing recorded.
    page.goto(f"{url}/collectivites/{org}/equipements/U1")
    expect(page.get_by_test_id("device-status")).to_have_text("En service")
    expect(page.get_by_text("Rien n'est enregistré pour cet équipement")).to_be_visible()

    # The neighbour's device of the same number, by its organisation or by ours: 404.
    other = page.goto(f"{url}/collectivites/{neighbour}/equipements/R1")
    assert other is not None and other.status == 404
    absent = page.goto(f"{url}/collectivites/{org}/equipements/INCONNU")
    assert absent is not None and absent.status == 404
    expect(page.get_by_role("main")).to_contain_text("introuvable")
