"""The HTML pages without a browser: wizard rules, settings, languages, a 100,000-device fleet.

The browser scenario is in test_e2e_pages.py; these check what a user would notice on each
page (French errors naming the field, numbers changing with the settings, speed).
"""

from __future__ import annotations

import datetime as dt
import re
import time
from pathlib import Path
from typing import Any

import pytest
from babel.messages.pofile import read_po

from sobrenum.store import Organisation, Store, open_store
from sobrenum.store.organisations import create_organisation
from sobrenum.web import i18n
from sobrenum.web.app import http_routes
from web_support import add_user, client_for, csrf_of, login, make_app, other_organisation

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "tests" / "data" / "inventaire-parc-ville-exemple.xlsx"  # scripts/make_inventory.py


def total_gwp(html: str) -> str:
    match = re.search(r'data-testid="total-gwp">([^<]+)<', html)
    assert match, "no total on the dashboard"
    return match.group(1)


def upload(client: Any, organisation_id: int, date: str = "2025-06-30") -> Any:
    return client.post(
        f"/collectivites/{organisation_id}/import",
        data={"csrf_token": csrf_of(client), "date_inventaire": date},
        files={"fichier": (SAMPLE.name, SAMPLE.read_bytes())},
    )


def mapping_form(html: str) -> dict[str, str]:
    form = {}
    for name, options in re.findall(
        r'<select id="(colonne-\d+)" name="\1">(.*?)</select>', html, re.S
    ):
        chosen = re.search(r'<option value="([^"]*)" selected>', options)
        form[name] = chosen.group(1) if chosen else ""
    return form


@pytest.fixture
def editor(store: Store, tmp_path: Path, organisation: Organisation) -> Any:
    client = client_for(make_app(store, tmp_path))
    add_user(store, "editeur@ville.fr", organisation=organisation, role="admin")
    login(client, "editeur@ville.fr")
    return client


def test_wizard_mapping_corrections_and_french_errors(
    editor: Any, organisation: Organisation
) -> None:
    base = f"/collectivites/{organisation.id}/import"
    refused = editor.post(base, data={"csrf_token": csrf_of(editor), "date_inventaire": "30/13"})
    assert refused.status_code == 422
    assert "Date de l&#39;inventaire invalide" in refused.text

    step = upload(editor, organisation.id)
    assert step.status_code == 303
    mapping_url = step.headers["location"]
    form = mapping_form(editor.get(mapping_url).text)
    assert form["colonne-1"] == "category"  # "Type de matériel"

    # The same field for two columns, or no category at all: refused, in French, nothing kept.
    twice = editor.post(
        mapping_url, data={**form, "colonne-2": "category", "csrf_token": csrf_of(editor)}
    )
    assert twice.status_code == 422
    assert "est choisi pour plusieurs colonnes" in twice.text
    none = editor.post(mapping_url, data={**form, "colonne-1": "", "csrf_token": csrf_of(editor)})
    assert none.status_code == 422
    assert "Champ obligatoire sans colonne : Catégorie" in none.text

    # Ignoring the site column is kept through the report and the import.
    saved = editor.post(mapping_url, data={**form, "colonne-6": "", "csrf_token": csrf_of(editor)})
    assert saved.status_code == 303
    assert "colonne-6" in editor.get(mapping_url).text
    assert 'value="site" selected' not in editor.get(mapping_url).text
    report = editor.get(mapping_url + "/rapport.csv")
    assert report.status_code == 200
    assert report.headers["content-disposition"].startswith("attachment;")
    done = editor.post(mapping_url + "/confirmer", data={"csrf_token": csrf_of(editor)})
    assert done.status_code == 303
    fleet = editor.get(f"/collectivites/{organisation.id}/parc").text
    assert "Gymnase Coubertin" not in fleet  # the site column was ignored
    summary = editor.get(done.headers["location"]).text
    assert "1200 ajouté(s)" in summary

    # The same file again: the check step says it was already imported.
    again = upload(editor, organisation.id)
    check = editor.get(again.headers["location"] + "/controle").text
    assert "Ce fichier a déjà été importé" in check
    older = upload(editor, organisation.id, date="2024-01-01")
    assert older.status_code == 409
    assert "antérieur au dernier inventaire" in older.text


def test_staged_import_of_another_organisation_is_not_found(
    store: Store, editor: Any, organisation: Organisation
) -> None:
    other = other_organisation(store)
    add_user(store, "double@ville.fr", organisation=other, role="admin")
    step = upload(editor, organisation.id)
    staged_id = step.headers["location"].rsplit("/", 1)[1]
    # An admin of both organisations still cannot reach A's upload through B's address.
    from sobrenum.store.users import set_membership

    user_id = add_user(store, "deux@ville.fr", organisation=organisation, role="admin").id
    set_membership(store, user_id=user_id, organisation_id=other.id, role="admin", actor="test")
    client = client_for(editor.app)
    login(client, "deux@ville.fr")
    assert client.get(f"/collectivites/{organisation.id}/import/{staged_id}").status_code == 200
    for suffix in ("", "/controle", "/rapport.csv", "/resume"):
        page = client.get(f"/collectivites/{other.id}/import/{staged_id}{suffix}")
        assert page.status_code == 404, suffix


def test_settings_change_the_dashboard_and_need_an_admin(
    store: Store, editor: Any, organisation: Organisation
) -> None:
    step = upload(editor, organisation.id)
    url = step.headers["location"]
    editor.post(url, data={**mapping_form(editor.get(url).text), "csrf_token": csrf_of(editor)})
    editor.post(url + "/confirmer", data={"csrf_token": csrf_of(editor)})
    france = total_gwp(editor.get(f"/collectivites/{organisation.id}").text)

    settings = f"/collectivites/{organisation.id}/parametres"
    bad = editor.post(
        settings,
        data={"csrf_token": csrf_of(editor), "pays": "FRA", "annee": "1850", "population": "x"},
    )
    assert bad.status_code == 422
    assert "Année du bilan : indiquez une année entre 2000" in bad.text
    assert "Population : indiquez un nombre entier positif" in bad.text
    good = editor.post(
        settings,
        data={
            "csrf_token": csrf_of(editor),
            "pays": "POL",
            "annee": "2025",
            "population": "31 500",
            "agents": "420",
        },
    )
    assert good.status_code == 200 and "Paramètres enregistrés" in good.text
    poland = total_gwp(editor.get(f"/collectivites/{organisation.id}").text)
    assert poland != france  # a coal-heavy mix weighs more than the French one
    assert "Pologne" not in france

    reader = client_for(editor.app)
    add_user(store, "lecteur@ville.fr", organisation=organisation, role="reader")
    login(reader, "lecteur@ville.fr")
    page = reader.get(settings)
    assert page.status_code == 200 and "Seul un administrateur" in page.text
    denied = reader.post(
        settings, data={"csrf_token": csrf_of(reader), "pays": "FRA", "annee": "2025"}
    )
    assert denied.status_code == 403
    assert reader.get(f"/collectivites/{organisation.id}/import").status_code == 403


def test_every_page_message_has_an_english_translation() -> None:
    with i18n.po_path("en").open("rb") as handle:
        catalogue = read_po(handle, locale="en")
    missing = []
    for key in i18n.extract_messages():
        message = catalogue.get(key if isinstance(key, str) else key[0])
        strings = message.string if message else None
        if not strings or (isinstance(strings, tuple) and not all(strings)):
            missing.append(key)
    assert not missing, f"sans traduction anglaise (python -m sobrenum.web.i18n) : {missing}"


def test_language_switch_translates_the_page(editor: Any, organisation: Organisation) -> None:
    url = f"/collectivites/{organisation.id}"
    assert 'lang="fr"' in editor.get(url).text
    switched = editor.post(
        "/langue", data={"csrf_token": csrf_of(editor), "langue": "en", "retour": url}
    )
    assert switched.status_code == 303 and switched.headers["location"] == url
    page = editor.get(url).text
    assert 'lang="en"' in page and "Dashboard" in page and "No inventory imported" in page
    outside = editor.post(
        "/langue", data={"csrf_token": csrf_of(editor), "langue": "en", "retour": "//evil.example"}
    )
    assert outside.headers["location"] == "/"


def test_page_route_names_are_unique(store: Store, tmp_path: Path) -> None:
    """``url_for`` finds a route by name: two routes with one name send links astray."""
    names = [r.name for r in http_routes(make_app(store, tmp_path))]
    doubles = sorted({n for n in names if names.count(n) > 1})
    assert not doubles


def test_fleet_of_100000_devices_pages_fast(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'grand.db'}")
    organisation = create_organisation(
        store, name="Grande Métropole", siren=None, type="epci", reporting_year=2025
    )
    n = 100_000
    categories = ("laptop", "desktop", "monitor", "smartphone", "printer")
    day = dt.date(2025, 6, 30).isoformat()
    rows = [
        (
            organisation.id,
            f"A{i:07d}",
            categories[i % 5],
            f"Site {i % 40}",
            f"Service {i % 25}",
            "in_stock" if i % 7 == 0 else "in_use",
            dt.date(2018 + i % 7, 1 + i % 12, 1).isoformat(),
            1,
            day,
            day,
        )
        for i in range(n)
    ]
    with store.transaction() as session:
        session.connection().exec_driver_sql(
            "INSERT INTO device (organisation_id, asset_id, category, site, department, status, "
            "acquisition_date, quantity, first_seen, last_seen) VALUES (?,?,?,?,?,?,?,?,?,?)",
            rows,
        )
    client = client_for(make_app(store, tmp_path))
    add_user(store, "dsi@metropole.fr", organisation=organisation, role="reader")
    login(client, "dsi@metropole.fr")
    base = f"/collectivites/{organisation.id}/parc"
    first = client.get(base)
    assert "100\u202f000 lignes" in first.text and "page 1 sur 2\u202f000" in first.text
    htmx = {"hx-request": "true", "accept": "text/html"}
    timings = {}
    for query in (
        "?page=2",
        "?page=2000",
        "?tri=acquisition&ordre=desc&page=1000",
        "?categorie=laptop&site=Site+0&statut=in_stock",
    ):
        start = time.perf_counter()
        page = client.get(base + query, headers=htmx)
        timings[query] = time.perf_counter() - start
        assert page.status_code == 200 and "<table" in page.text
        assert "<html" not in page.text  # htmx swaps the results only
    last = client.get(base + "?page=2000", headers=htmx).text
    assert "A0099999" in last
    assert max(timings.values()) < 1.5, timings
    store.close()


def test_numbers_typed_or_copied_the_french_way_are_read() -> None:
    from sobrenum.web.pages.common import french_number

    assert french_number("1\u202f234,5") == 1234.5  # as sobrenum itself prints it
    assert french_number(" 12,5 % ") == 12.5
    assert french_number("") is None
    with pytest.raises(ValueError):
        french_number("douze")
