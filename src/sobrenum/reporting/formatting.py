"""Numbers, units, dates and country names as a French reader expects them (Babel's CLDR
data, offline); dates and countries also in English for the English pages."""

from __future__ import annotations

import datetime as dt
import functools
import unicodedata

from babel import Locale
from babel.core import get_global
from babel.dates import format_date, format_time
from babel.numbers import format_decimal, format_percent

LOCALE = "fr_FR"


def number(value: float | int | None, digits: int = 0) -> str:
    """``12 345,6`` style; an em dash for an unknown value."""
    if value is None:
        return "—"
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return format_decimal(value, format=pattern, locale=LOCALE)


def significant(value: float | None, figures: int = 3) -> str:
    """A value with a few significant figures, for quantities of very different scales."""
    if value is None:
        return "—"
    if value == 0:
        return "0"
    magnitude = abs(value)
    if magnitude >= 10 ** (figures - 1):
        return number(value)
    if magnitude >= 1e-3:
        digits = max(0, figures - 1 - int(f"{magnitude:e}".split("e")[1]))
        return number(value, digits)
    return f"{value:.{figures - 1}e}".replace(".", ",")


def percent(share: float | None) -> str:
    if share is None:
        return "—"
    return format_percent(share, format="#,##0 %", locale=LOCALE)


def tonnes(kg: float | None) -> str:
    """kgCO2e shown in tonnes with one decimal: ``12,3 tCO2e``."""
    return "—" if kg is None else f"{number(kg / 1000, 1)} tCO2e"


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
