"""Dates, country names and the dictionary order of labels as a French reader expects them
(Babel's CLDR data, offline), in English too for the English pages."""

from __future__ import annotations

import datetime as dt
import functools
import unicodedata

from babel import Locale
from babel.core import get_global
from babel.dates import format_date, format_time

LOCALE = "fr_FR"


def long_date(value: dt.date | dt.datetime | None, locale: str = LOCALE) -> str:
    """``1 décembre 2026`` (``December 1, 2026`` in English); an em dash for no date."""
    if value is None:
        return "—"
    day = value.date() if isinstance(value, dt.datetime) else value
    return format_date(day, "long", locale=locale)


def date_time(value: dt.datetime | None, locale: str = LOCALE) -> str:
    """``1 décembre 2026, 10:55`` (CLDR's date-and-time pattern); an em dash for none."""
    if value is None:
        return "—"
    return f"{long_date(value, locale)}, {format_time(value, 'HH:mm', locale=locale)}"


#: Electricity "countries" of the referential that are not, or no longer, ISO 3166 countries.
SPECIAL_COUNTRIES: dict[str, tuple[str, str]] = {
    "WOR": ("Monde (moyenne)", "World (average)"),
    "EEE": ("Europe (moyenne)", "Europe (average)"),
    "ANT": ("Antilles néerlandaises", "Netherlands Antilles"),
    "SCG": ("Serbie-et-Monténégro", "Serbia and Montenegro"),
}


@functools.cache
def _territories(locale: str) -> dict[str, str]:
    return dict(Locale.parse(locale).territories)


def country_name(code: str | None, locale: str = LOCALE) -> str:
    """The name of an ISO 3166 alpha-3 (or alpha-2) country code in ``locale``: ``FRA`` is
    « France », ``CHN`` « Chine »; the code itself when CLDR does not know it."""
    if not code:
        return "—"
    code = code.upper()
    special = SPECIAL_COUNTRIES.get(code)
    if special is not None:
        return special[1] if locale.startswith("en") else special[0]
    alias: list[str] | None = get_global("territory_aliases").get(code)
    two = alias[0] if alias and len(alias) == 1 else code
    return _territories(locale).get(two, code)


def sort_key(text: str) -> tuple[str, str]:
    """Dictionary order of labels: accents and case ignored first (« École » with « Ecole »,
    before « Imprimante »), the text itself breaking ties."""
    plain = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return plain.casefold(), text
