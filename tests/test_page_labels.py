"""What pages show instead of codes: dates and countries in words (Babel's CLDR), labels in
dictionary order, the audit log's actions in French. Expected values written by hand."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from sobrenum.reporting.formatting import country_name, date_time, long_date, sort_key
from sobrenum.store.audit import ACTION_LABELS, KIND_LABELS
from sobrenum.web import i18n, labels

SRC = Path(__file__).resolve().parents[1] / "src" / "sobrenum"


@pytest.mark.parametrize(
    ("day", "french", "english"),
    [
        (dt.date(2026, 1, 1), "1 janvier 2026", "January 1, 2026"),
        (dt.date(2025, 12, 31), "31 décembre 2025", "December 31, 2025"),
        (dt.date(2024, 2, 29), "29 février 2024", "February 29, 2024"),
        (dt.datetime(2026, 12, 1, 23, 59), "1 décembre 2026", "December 1, 2026"),
    ],
)
def test_dates_in_words(day: dt.date, french: str, english: str) -> None:
    assert long_date(day) == french
    assert long_date(day, "en") == english


def test_no_date_and_date_time() -> None:
    assert long_date(None) == "—" and date_time(None) == "—"
    assert date_time(dt.datetime(2026, 12, 1, 9, 5)) == "1 décembre 2026, 09:05"


def test_stored_moments_shown_in_the_server_time_zone() -> None:
    moment = dt.datetime(2026, 6, 30, 22, 30)  # naive = UTC, as SQLite returns it
    local = moment.replace(tzinfo=dt.UTC).astimezone()
    i18n.set_language("fr")
    assert labels.datetime_fr(moment) == date_time(local)


@pytest.mark.parametrize(
    ("code", "french", "english"),
    [
        ("FRA", "France", "France"),
        ("CHN", "Chine", "China"),
        ("DEU", "Allemagne", "Germany"),
        ("fra", "France", "France"),
        ("FR", "France", "France"),
        ("WOR", "Monde (moyenne)", "World (average)"),
        ("EEE", "Europe (moyenne)", "Europe (average)"),
        ("ANT", "Antilles néerlandaises", "Netherlands Antilles"),  # split in 2010
        ("XYZ", "XYZ", "XYZ"),
    ],
)
def test_country_names(code: str, french: str, english: str) -> None:
    assert country_name(code) == french
    assert country_name(code, "en") == english


def test_every_referential_country_has_a_name() -> None:
    from sobrenum.web.services import referential

    codes = set(referential().electricity["country"].to_pylist())
    unnamed = sorted(c for c in codes if country_name(c) == c)
    assert not unnamed, unnamed
    assert country_name(None) == "—" and country_name("") == "—"


def test_dictionary_order_ignores_accents_and_case() -> None:
    words = ["Vidéoprojecteur", "écran d'ordinateur", "Borne Wi-Fi", "Écran", "Ecran", "imprimante"]
    assert sorted(words, key=sort_key) == [
        "Borne Wi-Fi",
        "Ecran",
        "Écran",
        "écran d'ordinateur",
        "imprimante",
        "Vidéoprojecteur",
    ]
    i18n.set_language("fr")
    pairs = labels.by_label(
        ["video_projector", "monitor", "laptop", "access_point"], labels.category_label
    )
    assert [code for code, _ in pairs] == ["access_point", "monitor", "laptop", "video_projector"]


def test_every_audited_action_has_a_french_label() -> None:
    """Each action the code writes to the log (a literal, or a reuse/export family) is named."""
    actions: set[str] = set()
    for path in SRC.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        actions |= set(re.findall(r'record_event\(\s*session,\s*"([a-z_.]+)"', text))
        actions |= set(re.findall(r'event="([a-z_]+\.[a-z_.]+)"', text))
        for action in re.findall(r'_append\(\s*session,[^"]*?"([a-z]+\.[a-z]+)"', text, re.S):
            actions.add(f"reuse.{action}")  # reuse.register writes reuse.<its action>
        for document in re.findall(
            r'(?:attachment|record_download)\([^"]*?"([a-z_]+)"', text, re.S
        ):
            actions.add(f"export.{document}")
    assert len(actions) > 40, sorted(actions)
    missing = sorted(actions - set(ACTION_LABELS))
    assert not missing, missing
    assert {a.split(".", 1)[0] for a in ACTION_LABELS} <= set(KIND_LABELS)


def test_event_summary_and_actor() -> None:
    i18n.set_language("fr")
    assert labels.actor_label("system:root") == "Ligne de commande (root)"
    assert labels.actor_label("agent@ville.fr") == "agent@ville.fr"
    assert labels.action_label("inventory.import") == "Inventaire importé"
    assert labels.action_label("nouveau.code") == "nouveau.code"
    summary = labels.event_summary(
        {"file_name": "parc.xlsx", "added": 1200, "year": 2025, "correction": False, "scope": None}
    )
    assert summary == "fichier : parc.xlsx · année : 2025 · ajoutés : 1\u202f200"
    assert labels.event_summary({"code": "ateliers_nombre", "target": 4.0}) == (
        "indicateur : Ateliers de sensibilisation des élus et agents · objectif : 4,00"
    )
    assert labels.event_summary(None) == "—"
    i18n.set_language("en")
    try:
        assert labels.actor_label("system:root") == "Command line (root)"
        assert labels.action_label("inventory.import") == "Inventory imported"
    finally:
        i18n.set_language("fr")


def test_inventory_fields_by_their_names() -> None:
    """The mapping choices and a device's history name fields, not their codes."""
    from sobrenum.web.pages.imports import field_choices

    i18n.set_language("fr")
    assert labels.field_label("department") == "Service"
    assert labels.field_label("inconnu") == "inconnu"
    shown = [label for _, label in field_choices()]
    assert "Catégorie" in shown and not [s for s in shown if "(" in s and "_" in s]


def test_spreadsheet_date_cells_in_words() -> None:
    i18n.set_language("fr")
    assert labels.cell("2019-02-18 00:00:00") == "18 février 2019"
    assert labels.cell("2024-02-29") == "29 février 2024"
    assert labels.cell("2023-02-29") == "2023-02-29"  # not a date: left as read
    assert labels.cell("2019-02-18 14:30:00") == "2019-02-18 14:30:00"
    assert labels.cell("PC portable") == "PC portable"
