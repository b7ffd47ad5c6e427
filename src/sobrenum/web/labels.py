"""What a page shows instead of a code: the label of a category, a status, a phase, a
criterion, a country, a date, in the page's language (French, or English).

One place per vocabulary: the labels come from the domain (``sobrenum.domain``), the reuse
register (``sobrenum.reuse.vocabulary``) and Babel's CLDR data (``reporting.formatting``);
this module only picks the page's language. Templates get every helper as a global.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable, Iterable
from typing import Any

from jinja2 import Environment

from sobrenum.domain import CATEGORIES_BY_CODE, CRITERIA_BY_CODE, PHASE_LABELS, Phase
from sobrenum.domain.equipment import FIELDS_BY_CODE
from sobrenum.domain.vocabulary import STATUS_LABELS, Status
from sobrenum.reporting import formatting, indicators
from sobrenum.reporting.indicators import Indicator
from sobrenum.reuse.vocabulary import DESTINATIONS, WIPE_METHODS
from sobrenum.store.audit import ACTION_LABELS, KIND_LABELS, SYSTEM_ACTOR_PREFIX
from sobrenum.web import i18n

#: Babel locale of each page language.
BABEL_LOCALES: dict[str, str] = {"fr": formatting.LOCALE, "en": "en"}


def _english() -> bool:
    return i18n.current_language() == "en"


def babel_locale() -> str:
    return BABEL_LOCALES.get(i18n.current_language(), formatting.LOCALE)


def date_fr(value: dt.date | dt.datetime | None) -> str:
    """``1 décembre 2026`` (``December 1, 2026`` on English pages)."""
    return formatting.long_date(value, babel_locale())


def datetime_fr(value: dt.datetime | None) -> str:
    """A stored moment (UTC, naive on SQLite) in the server's time zone: ``1 décembre 2026,
    10:55``."""
    if value is None:
        return "—"
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return formatting.date_time(value.astimezone(), babel_locale())


def country_label(code: str | None) -> str:
    """« France » for ``FRA``, « Chine » for ``CHN`` (Babel), the code if CLDR lacks it."""
    return formatting.country_name(code, babel_locale())


def category_label(code: str | None) -> str:
    if not code:
        return "—"
    category = CATEGORIES_BY_CODE.get(code)
    if category is None:
        return code
    return category.label_en if _english() else category.label_fr


def status_label(code: str | None) -> str:
    if not code:
        return STATUS_LABELS[Status.IN_USE][0]
    try:
        labels = STATUS_LABELS[Status(code)]
    except ValueError:
        return code
    return labels[1] if _english() else labels[0]


def phase_label(code: str) -> str:
    labels = PHASE_LABELS[Phase(code)]
    return labels[1] if _english() else labels[0]


def criterion_label(code: str) -> str:
    criterion = CRITERIA_BY_CODE.get(code)
    if criterion is None:
        return code
    return criterion.label_en if _english() else criterion.label_fr


def criterion_unit(code: str) -> str:
    """The unit a criterion's figures are in (« kgCO2e », « mol H+ eq »…), empty if unknown."""
    criterion = CRITERIA_BY_CODE.get(code)
    return criterion.unit if criterion is not None else ""


def field_label(code: str) -> str:
    """« Type de matériel »-style name of an inventory field (``category``, ``department``…)."""
    field = FIELDS_BY_CODE.get(code)
    if field is None:
        return code
    return field.label_en if _english() else field.label_fr


def wipe_method_label(code: str | None) -> str:
    """The NIST SP 800-88 level in words (« Purge (… effacement cryptographique) »)."""
    if not code:
        return "—"
    return WIPE_METHODS.get(code, code)


def _pick(labels: tuple[str, str] | None, code: str) -> str:
    if labels is None:
        return code
    return labels[1] if _english() else labels[0]


def action_label(code: str) -> str:
    """« Inventaire importé » for ``inventory.import``."""
    return _pick(ACTION_LABELS.get(code), code)


def action_kind_label(kind: str) -> str:
    """« Registre du réemploi » for the family ``reuse``."""
    return _pick(KIND_LABELS.get(kind), kind)


def actor_label(actor: str) -> str:
    """Who acted: a person's address, or « Ligne de commande (root) » for ``system:root``."""
    if actor.startswith(SYSTEM_ACTOR_PREFIX):
        user = actor.removeprefix(SYSTEM_ACTOR_PREFIX)
        return f"Command line ({user})" if _english() else f"Ligne de commande ({user})"
    return actor


#: Details of a log event worth a plain word, in the order they are told.
_DETAIL_WORDS: dict[str, tuple[str, str]] = {
    "name": ("nom", "name"),
    "code": ("indicateur", "indicator"),
    "value": ("valeur", "value"),
    "target": ("objectif", "target"),
    "ref": ("équipement", "device"),
    "destination": ("destination", "destination"),
    "file_name": ("fichier", "file"),
    "file": ("fichier", "file"),
    "source": ("source", "source"),
    "scenario": ("scénario", "scenario"),
    "title": ("action", "action"),
    "email": ("compte", "account"),
    "year": ("année", "year"),
    "devices": ("équipements", "devices"),
    "added": ("ajoutés", "added"),
    "gone": ("sortis", "gone"),
}


@functools.cache
def _indicators() -> dict[str, Indicator]:
    return indicators.by_code()


def event_summary(details: dict[str, Any] | None) -> str:
    """The few details of a log event a reader cares about (« fichier : inventaire.xlsx ·
    ajoutés : 782 »); the rest stays in the technical details."""
    parts = []
    for key, words in _DETAIL_WORDS.items():
        value = (details or {}).get(key)
        if value is None or value == "" or isinstance(value, bool):
            continue
        if key == "code":
            indicator = _indicators().get(str(value))
            if indicator is None:
                continue
            value = indicator.label
        elif key == "destination":
            value = DESTINATIONS.get(str(value), value)
        elif isinstance(value, float):
            value = formatting.significant(value)
        elif isinstance(value, int) and key != "year":
            value = formatting.number(value)
        parts.append(f"{words[1] if _english() else words[0]} : {value}")
    return " · ".join(parts) or "—"


def by_label(codes: Iterable[str], label: Callable[[str], str]) -> list[tuple[str, str]]:
    """``(code, label)`` pairs in dictionary order of their labels, for a page's ``<select>``."""
    pairs = [(code, label(code)) for code in codes]
    return sorted(pairs, key=lambda pair: formatting.sort_key(pair[1]))


def alphabetical(values: Iterable[str]) -> list[str]:
    """Free values (sites, services) in dictionary order: « École » among the E."""
    return sorted(values, key=formatting.sort_key)


_CELL_DATE = re.compile(r"(\d{4}-\d{2}-\d{2})(?: 00:00:00)?")


def cell(text: str) -> str:
    """A value read from a spreadsheet, as the user knows it: a date cell that the reader
    gave as ``2019-02-18 00:00:00`` is « 18 février 2019 »; anything else unchanged."""
    match = _CELL_DATE.fullmatch(text)
    if match is None:
        return text
    try:
        return date_fr(dt.date.fromisoformat(match.group(1)))
    except ValueError:
        return text


def install(env: Environment) -> None:
    helpers: dict[str, Any] = {
        "date_fr": date_fr,
        "datetime_fr": datetime_fr,
        "country_label": country_label,
        "category_label": category_label,
        "status_label": status_label,
        "phase_label": phase_label,
        "criterion_label": criterion_label,
        "criterion_unit": criterion_unit,
        "wipe_method_label": wipe_method_label,
        "field_label": field_label,
        "by_label": by_label,
        "action_label": action_label,
        "action_kind_label": action_kind_label,
        "actor_label": actor_label,
        "event_summary": event_summary,
    }
    env.globals.update(helpers)
    env.filters["alphabetique"] = alphabetical
    env.filters["cellule"] = cell
