"""From a mapped source table to the canonical fleet table, row by row accounted for.

``to_fleet`` is pure (no store, no file): every row of the source ends either in the fleet
or in ``issues`` as an error, with its line number in the user's file, the column and the
reason in French. Warnings keep the row. Columns are converted once per distinct value and
spread back with Arrow, so the cost grows with the number of distinct values, not rows.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from sobrenum.domain.equipment import DEFAULT_COUNTRY, FIELDS, FIELDS_BY_CODE, FLEET_SCHEMA
from sobrenum.domain.errors import RowIssue
from sobrenum.domain.numbers import leading_french_number
from sobrenum.domain.vocabulary import CATEGORIES_BY_CODE, Condition, Status
from sobrenum.inventory.categories import recognise_category, refine_with_model
from sobrenum.inventory.dates import DateKind, estimate_missing, parse_dates
from sobrenum.inventory.mapping import ColumnMapping, MappingProposal, fold
from sobrenum.inventory.source import SourceTable
from sobrenum.inventory.statuses import status_words

ERROR = "error"
WARNING = "warning"


@dataclass
class ImportResult:
    """What an import produced: the fleet, the accepted lines, and every issue."""

    fleet: pa.Table
    lines: pa.Array
    issues: list[RowIssue]
    rows_read: int
    mapping: ColumnMapping
    skipped_lines: list[tuple[int, str]] = field(default_factory=list)
    unrecognised_labels: dict[str, int] = field(default_factory=dict)
    source_format: str = ""
    sheet: str | None = None

    @property
    def errors(self) -> list[RowIssue]:
        return [i for i in self.issues if i.severity == ERROR]

    @property
    def warnings(self) -> list[RowIssue]:
        return [i for i in self.issues if i.severity == WARNING]

    @property
    def rows_accepted(self) -> int:
        return int(self.fleet.num_rows)

    @property
    def rows_rejected(self) -> int:
        return len({i.line for i in self.issues if i.severity == ERROR and i.line is not None})

    @property
    def devices(self) -> int:
        """Number of devices (sum of quantities) in the fleet."""
        total: int | None = pc.sum(self.fleet["quantity"]).as_py()
        return int(total or 0)

    def summary(self) -> str:
        return (
            f"{self.rows_read} ligne(s) lue(s) : {self.rows_accepted} acceptée(s), "
            f"{self.rows_rejected} refusée(s), {len(self.warnings)} avertissement(s), "
            f"{len(self.skipped_lines)} ligne(s) ignorée(s) (titres, vides, totaux)."
        )


# --- Value tables -----------------------------------------------------------------------

#: Status words: a data file, next to the header synonyms (sobrenum.inventory.statuses).
_STATUS_WORDS: Mapping[str, Status] = status_words()

_CONDITION_WORDS: dict[str, Condition] = {}
for _words, _condition in (
    (
        "oui|o|yes|y|vrai|true|1|x|reconditionne|reconditionnee|occasion|seconde main|"
        "seconde vie|refurbished|reemploi|remanufacture|reconditionnement",
        Condition.REFURBISHED,
    ),
    ("non|n|no|faux|false|0|neuf|neuve|new", Condition.NEW),
):
    for _w in _words.split("|"):
        _CONDITION_WORDS.setdefault(_w, _condition)

_MANUFACTURERS: dict[str, str] = {
    fold(alias): canonical
    for canonical, aliases in {
        "HP": ["hp", "hewlett packard", "hewlett-packard", "hp inc", "hp inc.", "h.p."],
        "HPE": ["hpe", "hewlett packard enterprise", "hp enterprise"],
        "Dell": ["dell", "dell inc", "dell technologies", "dell emc"],
        "Lenovo": ["lenovo", "ibm lenovo"],
        "Apple": ["apple", "apple inc"],
        "Samsung": ["samsung", "samsung electronics"],
        "Epson": ["epson", "seiko epson"],
        "Brother": ["brother"],
        "Canon": ["canon"],
        "Ricoh": ["ricoh"],
        "Kyocera": ["kyocera", "kyocera mita"],
        "Xerox": ["xerox"],
        "Konica Minolta": ["konica minolta", "konica", "minolta"],
        "Sharp": ["sharp"],
        "Toshiba": ["toshiba", "dynabook"],
        "Acer": ["acer"],
        "Asus": ["asus", "asustek"],
        "Microsoft": ["microsoft"],
        "Fujitsu": ["fujitsu", "fujitsu siemens"],
        "LG": ["lg", "lg electronics"],
        "Philips": ["philips"],
        "ViewSonic": ["viewsonic"],
        "Eizo": ["eizo"],
        "iiyama": ["iiyama"],
        "BenQ": ["benq"],
        "AOC": ["aoc"],
        "Cisco": ["cisco", "cisco systems"],
        "Aruba": ["aruba", "aruba networks"],
        "Ubiquiti": ["ubiquiti", "ubnt"],
        "Netgear": ["netgear"],
        "TP-Link": ["tp-link", "tplink"],
        "D-Link": ["d-link", "dlink"],
        "Fortinet": ["fortinet"],
        "Stormshield": ["stormshield"],
        "Synology": ["synology"],
        "QNAP": ["qnap"],
        "APC": ["apc", "apc by schneider electric"],
        "Eaton": ["eaton"],
        "Yealink": ["yealink"],
        "Alcatel-Lucent": ["alcatel-lucent"],
        "Alcatel": ["alcatel"],
        "Crosscall": ["crosscall"],
        "Fairphone": ["fairphone"],
        "Promethean": ["promethean"],
        "Speechi": ["speechi"],
        "Sony": ["sony"],
        "Panasonic": ["panasonic"],
        "Xiaomi": ["xiaomi"],
        "Huawei": ["huawei"],
        "Google": ["google"],
        "Motorola": ["motorola"],
        "Nokia": ["nokia"],
        "Logitech": ["logitech"],
        "Poly": ["poly", "polycom"],
        "Zebra": ["zebra"],
        "Getac": ["getac"],
        "MSI": ["msi"],
        "NEC": ["nec"],
        "Optoma": ["optoma"],
    }.items()
    for alias in aliases
}

_COUNTRIES: dict[str, str] = {
    "france": "FRA",
    "fr": "FRA",
    "fra": "FRA",
    "belgique": "BEL",
    "belgium": "BEL",
    "be": "BEL",
    "suisse": "CHE",
    "switzerland": "CHE",
    "ch": "CHE",
    "luxembourg": "LUX",
    "lu": "LUX",
    "allemagne": "DEU",
    "germany": "DEU",
    "de": "DEU",
    "espagne": "ESP",
    "spain": "ESP",
    "es": "ESP",
    "italie": "ITA",
    "italy": "ITA",
    "it": "ITA",
    "royaume uni": "GBR",
    "united kingdom": "GBR",
    "uk": "GBR",
    "monaco": "MCO",
    "mc": "MCO",
    "andorre": "AND",
}

_AGGREGATE = re.compile(r"^\s*(\d{1,3}(?:[ \u00a0\u202f]\d{3})+|\d+)\s*(?:x\s+|×\s*)?(\D.*)$")
_AGG_YEAR = re.compile(
    r"(?:achat|acquisition|acquis|achet\w*|ann[ée]e|moyen\w*|mise en service|de|en|du)"
    r"[^0-9]{0,25}((?:19|20)\d{2})",
    re.IGNORECASE,
)


def normalise_manufacturer(name: str) -> str:
    """Canonical spelling of a manufacturer: known names, else all-lower/all-upper title-cased."""
    text = " ".join(name.split())
    known = _MANUFACTURERS.get(fold(text))
    if known:
        return known
    if text.islower() or (text.isupper() and len(text) > 4):
        return text.title()
    return text


def parse_number(text: str) -> float | None:
    """A number as typed in France: "1 234,5", "1.234,5", "5 ans", "45 W" → float (None if none).

    The shared French reader (:mod:`sobrenum.domain.numbers`), units after the number allowed.
    """
    return leading_french_number(text)


def parse_aggregate(label: str) -> tuple[int | None, str, int | None]:
    """ "412 ordinateurs portables, achat moyen 2021" → (412, "ordinateurs portables", 2021)."""
    m = _AGGREGATE.match(label)
    if not m:
        return None, label, None
    quantity = int(re.sub(r"\D", "", m.group(1)))
    rest = m.group(2).strip()
    year_match = _AGG_YEAR.search(rest)
    year = int(year_match.group(1)) if year_match else None
    name = re.split(r"[,;(]|\s-\s|\bachat\b|\bacquis", rest, maxsplit=1)[0].strip()
    return quantity, name or rest, year


# --- Helpers ----------------------------------------------------------------------------


def _text(column: pa.ChunkedArray | pa.Array) -> pa.Array:
    array = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    if not pa.types.is_string(array.type):
        if pa.types.is_large_string(array.type) or pa.types.is_string_view(array.type):
            array = pc.cast(array, pa.string())
        else:
            array = pc.cast(array, pa.string())
    trimmed = pc.utf8_trim_whitespace(array)
    return pc.if_else(pc.equal(trimmed, ""), pa.scalar(None, pa.string()), trimmed)


def _per_distinct(text: pa.Array, func: Callable[[str], Any], type_: pa.DataType) -> pa.Array:
    """``func`` applied once per distinct non-null value, spread back (null stays null)."""
    distinct = pc.unique(text).drop_null()
    if len(distinct) == 0:
        return pa.nulls(len(text), type_)
    results = pa.array([func(v) for v in distinct.to_pylist()], type_)
    return pc.take(results, pc.index_in(text, value_set=distinct))


def _as_bool(mask: pa.Array | pa.ChunkedArray) -> pa.Array:
    array = mask.combine_chunks() if isinstance(mask, pa.ChunkedArray) else mask
    return pc.fill_null(array, False)


class _Issues:
    """Collects issues from boolean masks; messages are built only for flagged rows."""

    def __init__(self, lines: pa.Array) -> None:
        self.lines = lines
        self.n = len(lines)
        self.items: list[tuple[int, RowIssue]] = []
        self.error_mask: pa.Array | None = None
        self.asset_ids: pa.Array | None = None

    def flag(
        self,
        mask: pa.Array,
        severity: str,
        column: str | None,
        reason: str | Callable[[int, str | None], str],
        values: pa.Array | None = None,
    ) -> None:
        mask = _as_bool(mask)
        if not pc.any(mask).as_py():
            return
        if severity == ERROR:
            self.error_mask = mask if self.error_mask is None else pc.or_(self.error_mask, mask)
        where = pc.indices_nonzero(mask)
        indices = where.to_pylist()
        lines = pc.take(self.lines, where).to_pylist()
        picked = pc.take(values, where).to_pylist() if values is not None else None
        ids = pc.take(self.asset_ids, where).to_pylist() if self.asset_ids is not None else None
        for k, i in enumerate(indices):
            value = picked[k] if picked is not None else None
            text = None if value is None else str(value)
            message = reason(i, text) if callable(reason) else reason
            asset_id = ids[k] if ids is not None else None
            issue = RowIssue(message, lines[k], asset_id, column, severity, text)
            self.items.append((i, issue))


# --- The conversion -----------------------------------------------------------------------


def _column_label(mapping: ColumnMapping, code: str) -> str:
    source = mapping.source_for(code)
    if source:
        return source
    return FIELDS_BY_CODE[code].label_fr if code in FIELDS_BY_CODE else code


def _as_mapping(mapping: ColumnMapping | MappingProposal | Mapping[str, str]) -> ColumnMapping:
    if isinstance(mapping, ColumnMapping):
        return mapping
    if isinstance(mapping, MappingProposal):
        return mapping.mapping
    return ColumnMapping(columns=dict(mapping))


def generated_asset_id(source_name: str, line: int) -> str:
    """Deterministic id for a row without one: from the file's name and the line number."""
    digest = hashlib.sha1(source_name.encode("utf-8")).hexdigest()[:6].upper()
    return f"AUTO-{digest}-L{line}"


class Columns:
    """The mapped columns of a source table, as the converters read them, and its issues.

    ``text(code)``: the field's column as trimmed text (empty cells null), the reader's hint
    filling the gaps; ``raw(code)``: the column as read (dates stay dates); ``label(code)``:
    the user's header, to name the column in a message.
    """

    def __init__(self, source: SourceTable, mapping: ColumnMapping) -> None:
        self.source = source
        self.mapping = mapping
        self.table = source.table
        self.n = source.table.num_rows
        line_array = source.line
        if isinstance(line_array, pa.ChunkedArray):
            line_array = line_array.combine_chunks()
        self.lines: pa.Array = pc.cast(line_array, pa.int64())
        if len(self.lines) != self.n:
            raise ValueError("SourceTable.line must have one entry per row")
        self.issues = _Issues(self.lines)

    def text(self, code: str) -> pa.Array | None:
        src = self.mapping.source_for(code)
        hint = self.source.hints.get(code)
        if src is None or src not in self.table.column_names:
            return pa.array([hint] * self.n, pa.string()) if hint is not None else None
        text = _text(self.table[src])
        if hint is not None:
            text = pc.fill_null(text, hint)
        return text

    def raw(self, code: str) -> pa.Array | None:
        src = self.mapping.source_for(code)
        if src is None or src not in self.table.column_names:
            return None
        column = self.table[src]
        return column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column

    def label(self, code: str) -> str:
        return _column_label(self.mapping, code)

    def all_rows(self, value: bool = True) -> pa.Array:
        return pa.array([value] * self.n, pa.bool_())


def convert_asset_ids(cols: Columns, source_name: str) -> pa.Array:
    """The inventory number, else the serial, else the name, else a generated id (warned);
    repeated ids renamed ``X~L12`` (warned). Sets ``cols.issues.asset_ids``."""
    asset = cols.text("asset_id")
    for fallback in ("serial", "name"):
        other = cols.text(fallback)
        if other is not None:
            asset = other if asset is None else pc.coalesce(asset, other)
    generated = pc.binary_join_element_wise(
        generated_asset_id(source_name, 0).removesuffix("0"), pc.cast(cols.lines, pa.string()), ""
    )
    missing_id = pc.is_null(asset) if asset is not None else cols.all_rows()
    asset_ids = generated if asset is None else pc.coalesce(asset, generated)
    asset_ids, dup_reasons = _deduplicate(asset_ids, cols.lines)
    cols.issues.asset_ids = asset_ids
    column = cols.label("asset_id")
    if dup_reasons:
        dup_mask = _mask_of(cols.n, dup_reasons)
        cols.issues.flag(dup_mask, WARNING, column, lambda i, _v: dup_reasons[i])
    cols.issues.flag(
        missing_id,
        WARNING,
        column,
        lambda _i, v: f"N° d'inventaire absent : identifiant « {v} » généré",
        asset_ids,
    )
    return asset_ids


@dataclass
class Categories:
    """The category of each row, and what a designation such as « 412 portables, achat
    2021 » gave besides (quantity, year of purchase), and the labels not recognised."""

    category: pa.Array
    quantity: pa.Array | None = None
    year: pa.Array | None = None
    unrecognised: dict[str, int] = field(default_factory=dict)


#: Below this confidence a recognised category is warned about (« à vérifier »).
DOUBTFUL_CATEGORY = 0.85


def convert_category(cols: Columns) -> Categories:
    """The category from the type column or a free designation; unknown or missing is an
    error, a doubtful match a warning."""
    label = cols.text("category")
    designation = cols.text("designation")
    if designation is not None:
        label = designation if label is None else pc.coalesce(label, designation)
    column = cols.label("category")
    if label is None:
        cols.issues.flag(
            cols.all_rows(),
            ERROR,
            column,
            "aucune colonne ne donne la catégorie (type de matériel) : indiquez laquelle",
        )
        return Categories(pa.nulls(cols.n, pa.string()))
    parsed = {v: parse_aggregate(v) for v in pc.unique(label).drop_null().to_pylist()}
    labels = cols.mapping.category_labels
    # « 412 portables, achat 2021 »: the category is recognised on « portables ».
    matches = {
        v: recognise_category(name if count is not None else v, labels)
        for v, (count, name, _year) in parsed.items()
    }
    category = _per_distinct(label, lambda v: matches[v].category, pa.string())
    confidence = _per_distinct(label, lambda v: matches[v].confidence, pa.float64())
    model_text = cols.text("model")
    if model_text is not None:
        category = _refine(category, model_text)
    cols.issues.flag(pc.is_null(label), ERROR, column, "type de matériel manquant")
    unknown = pc.and_(pc.invert(pc.is_null(label)), pc.is_null(category))
    cols.issues.flag(
        unknown,
        ERROR,
        column,
        lambda _i, v: (
            f"type de matériel « {v} » non reconnu : associez-le à une "
            "catégorie (il sera retenu pour les prochains imports)"
        ),
        label,
    )
    counts = pc.value_counts(pc.filter(label, _as_bool(unknown))).to_pylist()
    unrecognised = {c["values"]: int(c["counts"]) for c in counts}
    doubtful = pc.and_(pc.invert(pc.is_null(category)), pc.less(confidence, DOUBTFUL_CATEGORY))
    cat_list = category.to_pylist()
    cols.issues.flag(
        doubtful,
        WARNING,
        column,
        lambda i, v: (
            f"type « {v} » compris comme « "
            f"{CATEGORIES_BY_CODE[cat_list[i]].label_fr} » : à vérifier"
        ),
        label,
    )
    return Categories(
        category,
        quantity=_per_distinct(label, lambda v: parsed[v][0], pa.int64()),
        year=_per_distinct(label, lambda v: parsed[v][2], pa.int64()),
        unrecognised=unrecognised,
    )


def convert_quantity(cols: Columns, from_designation: pa.Array | None = None) -> pa.Array:
    """The quantity column, else the designation's count, else 1; unreadable, not whole,
    zero or negative is an error."""
    quantity = pa.array([1] * cols.n, pa.int64())
    if from_designation is not None:
        quantity = pc.coalesce(from_designation, quantity)
    text = cols.text("quantity")
    if text is None:
        return quantity
    value = _per_distinct(text, parse_number, pa.float64())
    column = cols.label("quantity")
    bad = pc.and_(pc.invert(pc.is_null(text)), pc.is_null(value))
    cols.issues.flag(bad, ERROR, column, lambda _i, v: f"quantité « {v} » illisible", text)
    not_int = _as_bool(pc.not_equal(value, pc.floor(value)))
    cols.issues.flag(not_int, ERROR, column, lambda _i, v: f"quantité « {v} » non entière", text)
    not_positive = _as_bool(pc.less_equal(value, 0))
    cols.issues.flag(
        not_positive, ERROR, column, lambda _i, v: f"quantité « {v} » nulle ou négative", text
    )
    safe = pc.if_else(pc.or_(not_int, not_positive), pa.scalar(None, pa.float64()), value)
    return pc.coalesce(pc.cast(pc.floor(safe), pa.int64()), quantity)


def convert_manufacturer(cols: Columns) -> pa.Array:
    """The manufacturer's usual spelling (« hewlett-packard » → « HP »)."""
    text = cols.text("manufacturer")
    if text is None:
        return pa.nulls(cols.n, pa.string())
    return _per_distinct(text, normalise_manufacturer, pa.string())


def convert_text(cols: Columns, code: str) -> pa.Array:
    """A free-text field as typed (trimmed, empty cells null): model, site."""
    text = cols.text(code)
    return text if text is not None else pa.nulls(cols.n, pa.string())


def convert_department(cols: Columns) -> pa.Array:
    """The department, else the entity (GLPI's « Entité »)."""
    department, entity = cols.text("department"), cols.text("entity")
    if entity is not None:
        department = entity if department is None else pc.coalesce(department, entity)
    return department if department is not None else pa.nulls(cols.n, pa.string())


def convert_acquisition_date(
    cols: Columns,
    category: pa.Array,
    reporting_year: int,
    default_lifetimes: Mapping[str, float] | None,
    from_designation: pa.Array | None = None,
) -> tuple[pa.Array, pa.Array]:
    """(date of purchase, estimated): the date as read (unreadable or implausible warned and
    taken as unknown), else 1 July of the designation's year, else estimated from the
    category's lifetime (warned, once for the file when it has no date column)."""
    raw = cols.raw("acquisition_date")
    column = cols.label("acquisition_date")
    if raw is not None:
        parsed = parse_dates(_text(raw) if _is_textual(raw) else raw, reporting_year)
        values = parsed.values
        text = _text(raw)
        cols.issues.flag(
            parsed.mask(DateKind.INVALID),
            WARNING,
            column,
            lambda _i, v: f"date d'achat « {v} » illisible : traitée comme inconnue",
            text,
        )
        cols.issues.flag(
            parsed.mask(DateKind.IMPLAUSIBLE),
            WARNING,
            column,
            lambda _i, v: f"date d'achat « {v} » improbable : traitée comme inconnue",
            text,
        )
    else:
        values = pa.nulls(cols.n, pa.date32())
    if from_designation is not None:
        year_dates = pc.strptime(
            pc.binary_join_element_wise(pc.cast(from_designation, pa.string()), "07-01", "-"),
            format="%Y-%m-%d",
            unit="s",
            error_is_null=True,
        )
        values = pc.coalesce(values, pc.cast(year_dates, pa.date32()))
    filled, estimated = estimate_missing(
        values, pc.cast(category, pa.string()), reporting_year, default_lifetimes
    )
    rule = f"({reporting_year} moins la moitié de la durée de vie de la catégorie)"
    if raw is None:
        cols.issues.items.append(
            (
                -1,
                RowIssue(
                    f"aucune colonne de date d'achat : toutes les dates sont estimées {rule}",
                    None,
                    None,
                    None,
                    WARNING,
                ),
            )
        )
        return filled, _as_bool(estimated)
    where = pc.indices_nonzero(_as_bool(estimated))
    shown = pc.strftime(pc.cast(pc.take(filled, where), pa.timestamp("s")), format="%d/%m/%Y")
    estimate_text = dict(zip(where.to_pylist(), shown.to_pylist(), strict=True))
    cols.issues.flag(
        estimated,
        WARNING,
        column,
        lambda i, _v: f"date d'achat inconnue : estimée au {estimate_text[i]} {rule}",
        _text(raw),
    )
    return filled, _as_bool(estimated)


def convert_retirement_date(cols: Columns, reporting_year: int) -> pa.Array | None:
    """The date of retirement (None without such a column); unreadable or implausible is
    warned and ignored."""
    raw = cols.raw("retirement_date")
    if raw is None:
        return None
    parsed = parse_dates(_text(raw) if _is_textual(raw) else raw, reporting_year)
    cols.issues.flag(
        parsed.mask(DateKind.INVALID, DateKind.IMPLAUSIBLE),
        WARNING,
        cols.label("retirement_date"),
        lambda _i, v: f"date de sortie « {v} » illisible ou improbable : ignorée",
        _text(raw),
    )
    return parsed.values


def convert_status(cols: Columns, retirement: pa.Array | None) -> pa.Array:
    """The status word (unknown: warned, « en service »); a device with a retirement date
    and no status is retired."""
    given = cols.text("status")
    status = _enum_column(
        given,
        _STATUS_WORDS,
        Status.IN_USE,
        cols.issues,
        cols.label("status"),
        "statut « {v} » inconnu : compté « en service » (en service, en stock ou réformé attendu)",
    )
    if retirement is None:
        return status
    no_status = pc.is_null(given) if given is not None else cols.all_rows()
    retired = _as_bool(pc.and_(no_status, pc.invert(pc.is_null(retirement))))
    return pc.if_else(retired, str(Status.RETIRED), status)


def convert_condition(cols: Columns) -> pa.Array:
    """New or refurbished (Oui/Non, Neuf/Reconditionné…; unknown: warned, new)."""
    return _enum_column(
        cols.text("condition"),
        _CONDITION_WORDS,
        Condition.NEW,
        cols.issues,
        cols.label("condition"),
        "état « {v} » inconnu : compté « neuf » (Oui/Non, Neuf/Reconditionné attendu)",
    )


#: The numeric fields and their accepted range (bounds included); outside: warned, ignored.
NUMBER_RANGES: dict[str, tuple[float, float]] = {
    "lifetime_years": (0.0, 50.0),
    "upstream_lifetime_years": (0.0, 50.0),
    "downstream_lifetime_years": (0.0, 50.0),
    "annual_kwh": (0.0, 1e7),
    "power_w": (0.0, 1e6),
    "hours_per_day": (0.0, 24.0),
    "pue": (1.0, 5.0),
}


def convert_number(cols: Columns, code: str) -> pa.Array:
    """A number typed the French way, within its range; otherwise warned and ignored."""
    text = cols.text(code)
    if text is None:
        return pa.nulls(cols.n, pa.float64())
    low, high = NUMBER_RANGES[code]
    value = _per_distinct(text, parse_number, pa.float64())
    label_fr = FIELDS_BY_CODE[code].label_fr
    column = cols.label(code)
    unreadable = pc.and_(pc.invert(pc.is_null(text)), pc.is_null(value))
    unreadable_text = partial(_templated, label_fr + " « {v} » illisible : ignorée")
    cols.issues.flag(unreadable, WARNING, column, unreadable_text, text)
    out_of_range = _as_bool(pc.or_(pc.less(value, low), pc.greater(value, high)))
    range_text = f"[{low:g} ; {high:g}]"
    cols.issues.flag(
        out_of_range,
        WARNING,
        column,
        partial(
            _templated, label_fr + f" « {{v}} » hors de l'intervalle attendu {range_text} : ignorée"
        ),
        text,
    )
    return pc.if_else(out_of_range, pa.scalar(None, pa.float64()), value)


def convert_country(cols: Columns) -> pa.Array:
    """The ISO 3166 alpha-3 code of the country (« France », « BE », « DEU »); unknown:
    warned, France; no column: France (the import pipeline leaves it empty instead)."""
    text = cols.text("country")
    if text is None:
        return pa.array([DEFAULT_COUNTRY] * cols.n, pa.string())
    country = _per_distinct(text, _country_code, pa.string())
    unknown = pc.and_(pc.invert(pc.is_null(text)), pc.is_null(country))
    cols.issues.flag(
        unknown,
        WARNING,
        cols.label("country"),
        lambda _i, v: f"pays « {v} » inconnu : France retenue",
        text,
    )
    return pc.fill_null(country, DEFAULT_COUNTRY)


def to_fleet(
    source: SourceTable,
    mapping: ColumnMapping | MappingProposal | Mapping[str, str],
    *,
    reporting_year: int,
    default_lifetimes: Mapping[str, float] | None = None,
    source_name: str = "import",
) -> ImportResult:
    """Convert a source table to the fleet schema with every row accounted for.

    One converter per field (``convert_*``), each flagging its own rows. ``default_lifetimes``
    (category → years, from the referential) drives the unknown-date rule: a device of
    unknown acquisition date is dated 1 July of ``reporting_year`` minus half its category's
    lifetime, flagged ``acquisition_date_estimated`` and warned about.
    """
    cols = Columns(source, _as_mapping(mapping))
    asset_ids = convert_asset_ids(cols, source_name)  # first: every issue names its device
    categories = convert_category(cols)
    quantity = convert_quantity(cols, categories.quantity)  # issues in the file's column order
    acquisition, estimated = convert_acquisition_date(
        cols, categories.category, reporting_year, default_lifetimes, categories.year
    )
    retirement = convert_retirement_date(cols, reporting_year)
    columns: dict[str, pa.Array] = {
        "asset_id": asset_ids,
        "category": categories.category,
        "manufacturer": convert_manufacturer(cols),
        "model": convert_text(cols, "model"),
        "quantity": quantity,
        "acquisition_date": acquisition,
        "acquisition_date_estimated": estimated,
        "retirement_date": retirement if retirement is not None else pa.nulls(cols.n, pa.date32()),
        "status": convert_status(cols, retirement),
        "condition": convert_condition(cols),
        **{code: convert_number(cols, code) for code in NUMBER_RANGES},
        "site": convert_text(cols, "site"),
        "department": convert_department(cols),
        "country": convert_country(cols),
    }
    full = pa.Table.from_arrays(
        [pc.cast(columns[f.code], f.type) for f in FIELDS], schema=FLEET_SCHEMA
    )
    issues = cols.issues
    keep = pc.invert(issues.error_mask) if issues.error_mask is not None else None
    issues.items.sort(key=lambda item: (item[1].line or 0, item[0]))
    return ImportResult(
        fleet=full.filter(keep) if keep is not None else full,
        lines=pc.filter(cols.lines, keep) if keep is not None else cols.lines,
        issues=[issue for _, issue in issues.items],
        rows_read=cols.n,
        mapping=cols.mapping,
        skipped_lines=list(source.skipped_lines),
        unrecognised_labels=categories.unrecognised,
        source_format=source.source_format,
        sheet=source.sheet,
    )


def _templated(template: str, _index: int, value: str | None) -> str:
    return template.format(v=value)


def _is_textual(array: pa.Array) -> bool:
    return not (pa.types.is_timestamp(array.type) or pa.types.is_date(array.type))


def _deduplicate(asset_ids: pa.Array, lines: pa.Array) -> tuple[pa.Array, dict[int, str]]:
    """Rename repeated ids (``X~L12``) so no device is lost; row index → warning text."""
    counts = pc.value_counts(asset_ids)
    repeated = pc.filter(counts.field("values"), pc.greater(counts.field("counts"), 1))
    if len(repeated) == 0:
        return asset_ids, {}
    where = pc.indices_nonzero(pc.is_in(asset_ids, value_set=repeated))
    ids = pc.take(asset_ids, where).to_pylist()
    line_of = pc.take(lines, where).to_pylist()
    first_seen: dict[str, int] = {}
    reasons: dict[int, str] = {}
    renamed: dict[int, str] = {}
    for index, value, line in zip(where.to_pylist(), ids, line_of, strict=True):
        if value not in first_seen:
            first_seen[value] = line
            continue
        renamed[index] = f"{value}~L{line}"
        reasons[index] = (
            f"N° d'inventaire « {value} » déjà utilisé ligne {first_seen[value]} : "
            f"l'équipement est gardé sous l'identifiant « {renamed[index]} » (à corriger)"
        )
    positions = pa.array(list(renamed), pa.int64())
    replacement = pa.array(list(renamed.values()), pa.string())
    full = pc.take(
        replacement, pc.index_in(pa.array(range(len(asset_ids)), pa.int64()), value_set=positions)
    )
    return pc.coalesce(full, asset_ids), reasons


def _mask_of(n: int, indices: Mapping[int, object]) -> pa.Array:
    positions = pa.array(list(indices), pa.int64())
    return pc.is_in(pa.array(range(n), pa.int64()), value_set=positions)


def _refine(category: pa.Array, model: pa.Array) -> pa.Array:
    """Apply ``refine_with_model`` once per distinct (category, model) pair that may change."""
    refinable = pc.is_in(category, value_set=pa.array(["mobile_phone", "ip_phone", "rack_server"]))
    if not pc.any(_as_bool(refinable)).as_py():
        return category
    key = pc.binary_join_element_wise(category, pc.fill_null(model, ""), "\x1f")
    key = pc.if_else(_as_bool(refinable), key, pa.scalar(None, pa.string()))

    def refine(k: str) -> str:
        code, _, model_name = k.partition("\x1f")
        return refine_with_model(code, model_name or None)

    refined = _per_distinct(key, refine, pa.string())
    return pc.coalesce(refined, category)


def _enum_column(
    text: pa.Array | None,
    words: Mapping[str, str],
    default: str,
    issues: _Issues,
    column: str,
    template: str,
) -> pa.Array:
    n = len(issues.lines)
    if text is None:
        return pa.array([str(default)] * n, pa.string())
    value = _per_distinct(text, lambda v: _lookup_word(v, words), pa.string())
    unknown = pc.and_(pc.invert(pc.is_null(text)), pc.is_null(value))
    issues.flag(unknown, WARNING, column, lambda _i, v: template.format(v=v), text)
    return pc.fill_null(value, str(default))


def _lookup_word(value: str, words: Mapping[str, str]) -> str | None:
    key = fold(value)
    if key in words:
        return str(words[key])
    if value.strip() in ("?",):
        return None
    first = key.split(" ")[0] if key else ""
    for candidate in (key.removeprefix("en ").strip(), first):
        if candidate in words and len(candidate) > 2:
            return str(words[candidate])
    return None


def _country_code(value: str) -> str | None:
    key = fold(value)
    if key in _COUNTRIES:
        return _COUNTRIES[key]
    if len(value) == 3 and value.isalpha() and value.isupper():
        return value
    return None
