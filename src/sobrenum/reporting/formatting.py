"""Numbers, units, dates and country names as a French reader expects them (Babel's CLDR
data, offline); dates and countries also in English for the English pages."""

from __future__ import annotations

from babel.numbers import format_decimal, format_percent

# Dates, countries and dictionary order live in the domain (the reuse register needs them
# too); re-exported so that reports and pages take every format from here.
from sobrenum.domain.formats import (
    SPECIAL_COUNTRIES,
    country_name,
    date_time,
    long_date,
    sort_key,
)

__all__ = [
    "LOCALE",
    "SPECIAL_COUNTRIES",
    "country_name",
    "date_time",
    "long_date",
    "number",
    "percent",
    "significant",
    "sort_key",
    "tonnes",
]

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
