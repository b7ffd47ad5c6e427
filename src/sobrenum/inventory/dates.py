"""Dates as inventories hold them: Excel serials, 13/04/2024, 2022, 05/2023, ISO, datetime
cells, "mars 2021", "inconnue".

Rules (docs/import.md):

- a year alone means 1 July of that year; a month and year (05/2023, "mars 2021") the 15th;
- day-first is the French reading: 04/05/2023 is 4 May; two-digit years are 19xx when that
  is after the reporting year + 1, else 20xx;
- a number between 20000 and 80000 (or with decimals) is an Excel serial date;
- "inconnue", "?", "NC", "-", empty… are unknown; anything else unreadable is flagged;
- dates before 1970 or after the end of the year following the reporting year are refused
  as implausible and treated as unknown (with a warning).

Parsing runs once per distinct value and is spread back with Arrow (``index_in`` +
``take``), so a million rows with a few thousand distinct dates parse in milliseconds.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

import pyarrow as pa
import pyarrow.compute as pc

from sobrenum.inventory.mapping import fold

EXCEL_EPOCH = dt.date(1899, 12, 30)
MIN_YEAR = 1970
#: Lifetime used for an unknown date when the referential gives none for the category.
FALLBACK_LIFETIME_YEARS = 5.0


class DateKind(StrEnum):
    """How a cell was read."""

    DAY = "day"
    MONTH = "month"
    YEAR = "year"
    EMPTY = "empty"
    UNKNOWN = "unknown"
    INVALID = "invalid"
    IMPLAUSIBLE = "implausible"


@dataclass(frozen=True)
class ParsedDate:
    value: dt.date | None
    kind: DateKind


_UNKNOWN_WORDS = {
    "inconnue",
    "inconnu",
    "nc",
    "n c",
    "non connu",
    "non connue",
    "non renseigne",
    "non renseignee",
    "ne sait pas",
    "nsp",
    "na",
    "n a",
    "sans",
    "aucune",
    "unknown",
    "none",
    "null",
    "x",
    "xx",
    "xxxx",
    "a completer",
    "a definir",
    "?",
    "-",
    "",
}
_MONTHS = {
    "janvier": 1,
    "janv": 1,
    "jan": 1,
    "fevrier": 2,
    "fevr": 2,
    "fev": 2,
    "feb": 2,
    "mars": 3,
    "mar": 3,
    "avril": 4,
    "avr": 4,
    "apr": 4,
    "mai": 5,
    "may": 5,
    "juin": 6,
    "jun": 6,
    "juillet": 7,
    "juil": 7,
    "jul": 7,
    "aout": 8,
    "aug": 8,
    "septembre": 9,
    "sept": 9,
    "sep": 9,
    "octobre": 10,
    "oct": 10,
    "novembre": 11,
    "nov": 11,
    "decembre": 12,
    "dec": 12,
    "january": 1,
    "february": 2,
    "march": 3,
    "april": 4,
    "june": 6,
    "july": 7,
    "august": 8,
    "september": 9,
    "october": 10,
    "november": 11,
    "december": 12,
}

_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ t]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?z?$")
_DMY = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2}|\d{4})(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?$")
_YMD_SLASH = re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$")
_MY = re.compile(r"^(\d{1,2})[/.\-](\d{4})$")
_YM = re.compile(r"^(\d{4})[/.\-](\d{1,2})$")
_YEAR = re.compile(r"^(\d{4})(?:\.0+)?$")
_SERIAL = re.compile(r"^(\d{5})(?:[.,]\d+)?$")
_WORDS = re.compile(r"^(?:(\d{1,2})(?:er)?\s+)?([a-z]+)\.?\s+(\d{4})$")


def _two_digit_year(yy: int, reporting_year: int) -> int:
    year = 2000 + yy
    return year - 100 if year > reporting_year + 1 else year


def _safe_date(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def parse_date(text: str, reporting_year: int) -> ParsedDate:
    """Parse one cell's text (see the module docstring for the rules)."""
    raw = text.strip().lower()
    folded = fold(raw) if not raw[:1].isdigit() else raw
    if not raw:
        return ParsedDate(None, DateKind.EMPTY)
    if folded in _UNKNOWN_WORDS or raw in _UNKNOWN_WORDS:
        return ParsedDate(None, DateKind.UNKNOWN)
    value: dt.date | None = None
    kind = DateKind.INVALID
    if m := _ISO.match(raw):
        value, kind = _safe_date(int(m[1]), int(m[2]), int(m[3])), DateKind.DAY
    elif m := _DMY.match(raw):
        year = int(m[3])
        if len(m[3]) == 2:
            year = _two_digit_year(year, reporting_year)
        value, kind = _safe_date(year, int(m[2]), int(m[1])), DateKind.DAY
    elif m := _YMD_SLASH.match(raw):
        value, kind = _safe_date(int(m[1]), int(m[2]), int(m[3])), DateKind.DAY
    elif m := _MY.match(raw):
        value, kind = _safe_date(int(m[2]), int(m[1]), 15), DateKind.MONTH
    elif m := _YEAR.match(raw):
        value, kind = _safe_date(int(m[1]), 7, 1), DateKind.YEAR
    elif m := _YM.match(raw):
        value, kind = _safe_date(int(m[1]), int(m[2]), 15), DateKind.MONTH
    elif m := _SERIAL.match(raw.replace(" ", "")):
        serial = float(raw.replace(",", ".").replace(" ", ""))
        if 20000 <= serial <= 80000:
            value, kind = EXCEL_EPOCH + dt.timedelta(days=int(serial)), DateKind.DAY
    elif m := _WORDS.match(fold(raw)):
        month = _MONTHS.get(m[2])
        if month is not None:
            if m[1]:
                value, kind = _safe_date(int(m[3]), month, int(m[1])), DateKind.DAY
            else:
                value, kind = _safe_date(int(m[3]), month, 15), DateKind.MONTH
    if value is None:
        return ParsedDate(None, DateKind.INVALID)
    if value.year < MIN_YEAR or value > dt.date(reporting_year + 1, 12, 31):
        return ParsedDate(None, DateKind.IMPLAUSIBLE)
    return ParsedDate(value, kind)


@dataclass(frozen=True)
class DateColumn:
    """A parsed column: the dates (date32, null when not known) and how each cell was read."""

    values: pa.Array
    kinds: pa.Array

    def mask(self, *kinds: DateKind) -> pa.Array:
        return pc.is_in(self.kinds, value_set=pa.array([str(k) for k in kinds]))


def _as_text(column: pa.Array | pa.ChunkedArray) -> pa.Array:
    array = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    return pc.cast(array, pa.string())


def parse_dates(column: pa.Array | pa.ChunkedArray, reporting_year: int) -> DateColumn:
    """Parse a whole column, vectorised over its distinct values."""
    array = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    n = len(array)
    if pa.types.is_timestamp(array.type) or pa.types.is_date(array.type):
        values = pc.cast(array, pa.date32())
        kinds = pc.if_else(pc.is_null(values), str(DateKind.EMPTY), str(DateKind.DAY))
        return _check_range(DateColumn(values, kinds), reporting_year)
    text = pc.utf8_trim_whitespace(_as_text(array))
    distinct = pc.unique(text).drop_null()
    parsed = [parse_date(v, reporting_year) for v in distinct.to_pylist()]
    if not parsed:
        return DateColumn(pa.nulls(n, pa.date32()), pa.array([str(DateKind.EMPTY)] * n))
    index = pc.index_in(text, value_set=distinct)
    values = pc.take(pa.array([p.value for p in parsed], pa.date32()), index)
    kinds = pc.take(pa.array([str(p.kind) for p in parsed], pa.string()), index)
    kinds = pc.fill_null(kinds, str(DateKind.EMPTY))
    return DateColumn(values, kinds)


def _check_range(column: DateColumn, reporting_year: int) -> DateColumn:
    low = pa.scalar(dt.date(MIN_YEAR, 1, 1), pa.date32())
    high = pa.scalar(dt.date(reporting_year + 1, 12, 31), pa.date32())
    bad = pc.fill_null(pc.or_(pc.less(column.values, low), pc.greater(column.values, high)), False)
    values = pc.if_else(bad, pa.scalar(None, pa.date32()), column.values)
    kinds = pc.if_else(bad, str(DateKind.IMPLAUSIBLE), column.kinds)
    return DateColumn(values, kinds)


def estimated_acquisition_date(reporting_year: int, lifetime_years: float) -> dt.date:
    """The documented rule for an unknown date: 1 July of the reporting year minus half the
    lifetime, rounded to the month (5 years, reporting 2025 → 1 January 2023)."""
    months = round(lifetime_years / 2 * 12)
    index = reporting_year * 12 + 6 - months  # 0-based month index of 1 July, minus the half
    return dt.date(index // 12, index % 12 + 1, 1)


def estimate_missing(
    dates: pa.Array,
    categories: pa.Array,
    reporting_year: int,
    default_lifetimes: Mapping[str, float] | None,
) -> tuple[pa.Array, pa.Array]:
    """Fill null dates by the unknown-date rule; the filled dates and the "estimated" flags."""
    missing = pc.is_null(dates)
    lifetimes = default_lifetimes or {}
    distinct = pc.unique(categories).to_pylist()
    estimates = pa.array(
        [
            estimated_acquisition_date(
                reporting_year,
                float(lifetimes.get(code, FALLBACK_LIFETIME_YEARS))
                if code is not None
                else FALLBACK_LIFETIME_YEARS,
            )
            for code in distinct
        ],
        pa.date32(),
    )
    per_row = pc.take(estimates, pc.index_in(categories, value_set=pa.array(distinct, pa.string())))
    filled = pc.if_else(missing, per_row, dates)
    return filled, missing
