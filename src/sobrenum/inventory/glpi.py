"""GLPI search-list exports (CSV) read as a :class:`SourceTable`.

GLPI writes the list it shows (Parc > Ordinateurs, Moniteurs, Matériels réseau, Téléphones,
Imprimantes, Périphériques) as CSV: UTF-8 with a byte-order mark, the user's delimiter
(``;`` by default), every cell quoted, the displayed column names as headers (French for a
French user) and, up to GLPI 10, a trailing delimiter at the end of each line. Columns that
come from a linked item are named ``"<item> - <column>"`` (``Système d'exploitation - Nom``).

The reader keeps GLPI's column names (the mapper knows them) and adds a first column
``Catégorie``: the category code where GLPI's item type and its *Type* field make it certain,
else GLPI's *Type* label for category recognition. ``Statut`` is translated to sobrenum's
words (GLPI's own wording is kept in ``Statut GLPI``).
The same helpers serve the GLPI API reader (:mod:`sobrenum.inventory.glpi_api`).
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import pyarrow as pa

from sobrenum.domain.errors import InvalidDataError, RowIssue
from sobrenum.inventory.source import SourceTable

__all__ = [
    "CATEGORY_COLUMN",
    "GLPI_ITEMTYPES",
    "GLPI_STATUS_COLUMN",
    "category_for",
    "detect_itemtype",
    "is_glpi_export",
    "read_glpi_csv",
    "rows_to_source_table",
    "status_for",
]

#: GLPI item types sobrenum reads, with their French name (as in GLPI's menus and in the
#: "Type d'élément" column of an "all assets" export).
GLPI_ITEMTYPES: dict[str, str] = {
    "Computer": "Ordinateur",
    "Monitor": "Moniteur",
    "NetworkEquipment": "Matériel réseau",
    "Phone": "Téléphone",
    "Printer": "Imprimante",
    "Peripheral": "Périphérique",
}

CATEGORY_COLUMN = "Catégorie"
STATUS_COLUMN = "Statut"
GLPI_STATUS_COLUMN = "Statut GLPI"
ITEMTYPE_COLUMN = "Type d'élément"

# English GLPI column names → French ones, so that one set of headers reaches the mapper.
_ENGLISH_HEADERS: dict[str, str] = {
    "name": "Nom",
    "id": "ID",
    "entity": "Entité",
    "status": "Statut",
    "manufacturer": "Fabricant",
    "serial number": "Numéro de série",
    "inventory number": "Numéro d'inventaire",
    "type": "Type",
    "model": "Modèle",
    "location": "Lieu",
    "last update": "Dernière modification",
    "date of purchase": "Date d'achat",
    "startup date": "Date de mise en service",
    "user": "Utilisateur",
    "group": "Groupe",
    "item type": ITEMTYPE_COLUMN,
    "size": "Taille",
}

# Names found in GLPI exports (French), used to recognise one.
_GLPI_HEADERS = frozenset(
    {
        "Nom",
        "ID",
        "Entité",
        "Statut",
        "Fabricant",
        "Numéro de série",
        "Numéro d'inventaire",
        "Type",
        "Modèle",
        "Lieu",
        "Dernière modification",
        "Date d'achat",
        "Date de mise en service",
        "Utilisateur",
        "Groupe",
        "Date de création",
        "Taille",
        ITEMTYPE_COLUMN,
    }
)
_GLPI_MARKERS = frozenset({"Entité", "Dernière modification", "Numéro d'inventaire"})

# Group prefixes GLPI puts in front of some column names (infocom fields and the like).
_GROUP_PREFIXES = (
    "Gestion financière et administrative - ",
    "Informations financières et administratives - ",
    "Financial and administrative information - ",
    "Management - ",
    "Gestion - ",
    "Caractéristiques - ",
    "Characteristics - ",
)


def _fold(text: str) -> str:
    """Lower-case, accents removed, separators as single spaces: for comparing labels."""
    decomposed = unicodedata.normalize("NFKD", text.replace("œ", "oe"))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    return " ".join(re.sub(r"[^a-z0-9+]+", " ", plain).split())


def _has_word(folded: str, *words: str) -> bool:
    padded = f" {folded} "
    return any(f" {w} " in padded for w in words)


def _clean_header(header: str) -> str:
    header = header.strip().lstrip("\ufeff").strip()
    for prefix in _GROUP_PREFIXES:
        if header.startswith(prefix):
            header = header[len(prefix) :]
            break
    return _ENGLISH_HEADERS.get(header.lower(), header)


# --- categories ---------------------------------------------------------------------------

_COMPUTER_TYPES: tuple[tuple[tuple[str, ...], str], ...] = (
    (("client leger", "thin client", "terminal leger"), "thin_client"),
    (("tout en un", "all in one", "aio"), "all_in_one"),
    (("tablette", "tablet", "detachable"), "tablet"),
    (
        (
            "portable",
            "ordinateur portable",
            "laptop",
            "notebook",
            "sub notebook",
            "convertible",
            "2 en 1",
            "2 in 1",
            "netbook",
            "ultraportable",
            "hand held",
        ),
        "laptop",
    ),
    (
        ("rack mount chassis", "serveur rack", "rack", "blade", "lame", "multi system chassis"),
        "rack_server",
    ),
    (("serveur tour", "tower server", "main server chassis"), "tower_server"),
    (
        (
            "desktop",
            "unite centrale",
            "poste fixe",
            "ordinateur fixe",
            "fixe",
            "tour",
            "tower",
            "mini tower",
            "mini tour",
            "low profile desktop",
            "space saving",
            "mini pc",
            "micro pc",
            "lunch box",
            "pizza box",
            "station de travail",
            "workstation",
            "sff",
            "usff",
        ),
        "desktop",
    ),
)

_NETWORK_TYPES: tuple[tuple[tuple[str, ...], str], ...] = (
    (("pare feu", "firewall", "utm"), "firewall"),
    (("routeur", "router"), "router"),
    (
        (
            "borne wifi",
            "borne wi fi",
            "point d acces",
            "access point",
            "wifi",
            "wi fi",
            "ap",
            "borne",
        ),
        "wifi_access_point",
    ),
    (("switch", "commutateur"), "switch"),
    (("box", "box internet", "modem"), "internet_box"),
)

_PHONE_TYPES: tuple[tuple[tuple[str, ...], str], ...] = (
    (
        (
            "smartphone",
            "mobile",
            "telephone mobile",
            "portable",
            "cellulaire",
            "gsm",
            "iphone",
            "android",
        ),
        "smartphone",
    ),
    (
        (
            "ip",
            "telephone ip",
            "voip",
            "fixe",
            "poste fixe",
            "poste",
            "sip",
            "dect",
            "bureau",
            "desk phone",
            "desk",
        ),
        "ip_phone",
    ),
)

_PRINTER_TYPES: tuple[tuple[tuple[str, ...], str], ...] = (
    (
        (
            "multifonction",
            "mfp",
            "mfc",
            "copieur",
            "photocopieur",
            "multifunction",
            "copier",
            "imprimante multifonction",
        ),
        "multifunction_printer",
    ),
)

_PERIPHERAL_TYPES: tuple[tuple[tuple[str, ...], str], ...] = (
    (("station d accueil", "dock", "docking station", "replicateur de ports"), "docking_station"),
    (("videoprojecteur", "video projecteur", "projecteur", "projector"), "video_projector"),
    (
        ("ecran interactif", "tbi", "eni", "tableau blanc interactif", "interactive display"),
        "interactive_display",
    ),
    (("scanner", "numeriseur"), "scanner"),
    (("disque dur externe", "external hdd", "external hard drive"), "external_hdd"),
    (("ssd externe", "external ssd"), "external_ssd"),
    (("cle usb", "usb key"), "usb_key"),
    (("onduleur", "ups"), "ups"),
    (("ecran", "moniteur", "monitor"), "monitor"),
    (("televiseur", "tv", "ecran d affichage"), "tv_display"),
)


def _match_type(folded: str, table: Sequence[tuple[tuple[str, ...], str]]) -> str | None:
    if not folded:
        return None
    for words, category in table:
        if folded in words:
            return category
    for words, category in table:
        if _has_word(folded, *words):
            return category
    return None


def category_for(itemtype: str | None, type_label: str | None) -> str | None:
    """The category code a GLPI item of this type surely is, or ``None`` when unsure.

    ``itemtype`` is GLPI's class (``Computer``, ``Monitor``…), ``type_label`` the item's
    *Type* field (``Portable``, ``Switch``, ``Smartphone``…).
    """
    folded = _fold(type_label or "")
    if itemtype == "Monitor":
        return "monitor"
    if itemtype == "Computer":
        return _match_type(folded, _COMPUTER_TYPES)
    if itemtype == "NetworkEquipment":
        return _match_type(folded, _NETWORK_TYPES)
    if itemtype == "Phone":
        return _match_type(folded, _PHONE_TYPES)
    if itemtype == "Printer":
        # A GLPI printer is a printer at least; "multifunction" is told by its type.
        return _match_type(folded, _PRINTER_TYPES) or "printer"
    if itemtype == "Peripheral":
        return _match_type(folded, _PERIPHERAL_TYPES)
    return None


# --- statuses -----------------------------------------------------------------------------

_STATUS_WORDS: tuple[tuple[tuple[str, ...], str], ...] = (
    (
        (
            "rebut",
            "au rebut",
            "reforme",
            "hors service",
            "hs",
            "sorti",
            "sorti du parc",
            "sorti d inventaire",
            "detruit",
            "recycle",
            "donne",
            "don",
            "vendu",
            "cede",
            "vole",
            "perdu",
            "retired",
            "scrapped",
            "disposed",
            "deee",
            "archive",
            "decommissionne",
        ),
        "Sorti du parc",
    ),
    (
        (
            "en stock",
            "stock",
            "en reserve",
            "disponible",
            "a affecter",
            "en attente",
            "in stock",
            "spare",
            "neuf en stock",
            "magasin",
        ),
        "En stock",
    ),
    (
        (
            "en service",
            "en production",
            "production",
            "actif",
            "affecte",
            "en pret",
            "pret",
            "en utilisation",
            "utilise",
            "en reparation",
            "reparation",
            "en maintenance",
            "in use",
            "active",
            "deployed",
            "deploye",
        ),
        "En service",
    ),
)


def status_for(glpi_status: str | None) -> str | None:
    """sobrenum's French status label for a GLPI status (``Rebut`` → ``Sorti du parc``).

    GLPI statuses are defined by each organisation; unknown ones are returned unchanged, so
    the validation step can name them.
    """
    if glpi_status is None or not glpi_status.strip():
        return None
    # Hierarchical statuses read "Parent > Child": the most precise one decides.
    last = glpi_status.split(">")[-1]
    folded = _fold(last)
    for words, label in _STATUS_WORDS:
        if folded in words:
            return label
    for words, label in _STATUS_WORDS:
        if _has_word(folded, *words):
            return label
    return glpi_status.strip()


# --- detection ----------------------------------------------------------------------------


def is_glpi_export(headers: Iterable[str]) -> bool:
    """Whether these column headers are those of a GLPI search-list export."""
    cleaned = {_clean_header(h) for h in headers if h and h.strip()}
    if "Nom" not in cleaned:
        return False
    known = cleaned & _GLPI_HEADERS
    linked = [h for h in cleaned if " - " in h and h not in _GLPI_HEADERS]
    return bool(cleaned & _GLPI_MARKERS) and len(known) + min(len(linked), 2) >= 4


_ITEMTYPE_BY_LABEL: dict[str, str] = {
    **{_fold(fr): it for it, fr in GLPI_ITEMTYPES.items()},
    **{it.lower(): it for it in GLPI_ITEMTYPES},
    "ecran": "Monitor",
    "monitor": "Monitor",
    "computer": "Computer",
    "network device": "NetworkEquipment",
    "network equipment": "NetworkEquipment",
    "materiels reseau": "NetworkEquipment",
    "ordinateurs": "Computer",
    "moniteurs": "Monitor",
    "telephones": "Phone",
    "imprimantes": "Printer",
    "peripheriques": "Peripheral",
    "phone": "Phone",
    "printer": "Printer",
    "device": "Peripheral",
}


def _itemtype_from_label(label: str | None) -> str | None:
    if not label:
        return None
    return _ITEMTYPE_BY_LABEL.get(_fold(label))


def detect_itemtype(headers: Sequence[str], rows: Sequence[Mapping[str, str | None]]) -> str | None:
    """Guess GLPI's item type of an export from its columns and *Type* values.

    Returns ``None`` when the export mixes item types (then each row carries its own in the
    ``Type d'élément`` column) or when nothing tells.
    """
    folded_headers = {_fold(h) for h in headers}
    joined = " | ".join(sorted(folded_headers))
    if ITEMTYPE_COLUMN in headers:
        kinds = {_itemtype_from_label(r.get(ITEMTYPE_COLUMN)) for r in rows}
        kinds.discard(None)
        return kinds.pop() if len(kinds) == 1 else None
    if "systeme d exploitation" in joined or "composants" in joined or "antivirus" in joined:
        return "Computer"
    if "compteur de pages" in joined or "compteur de page" in joined or "page counter" in joined:
        return "Printer"
    if "micrologiciel" in joined or "firmware" in joined or "ports reseau" in joined:
        return "NetworkEquipment"
    if "taille" in folded_headers and ("haut parleurs" in joined or "entree" in joined):
        return "Monitor"
    types = {_fold(r.get("Type") or "") for r in rows} - {""}
    if not types:
        return None
    for itemtype, table in (
        ("Computer", _COMPUTER_TYPES),
        ("NetworkEquipment", _NETWORK_TYPES),
    ):
        if all(_match_type(t, table) for t in types):
            return itemtype
    return None


# --- building the table -------------------------------------------------------------------


def _dedupe(headers: Sequence[str]) -> list[str]:
    seen: dict[str, int] = {}
    out: list[str] = []
    for h in headers:
        name = h or "Colonne"
        if name in seen:
            seen[name] += 1
            name = f"{name} ({seen[name]})"
        else:
            seen[name] = 1
        out.append(name)
    return out


def rows_to_source_table(
    headers: Sequence[str],
    rows: Sequence[Mapping[str, str | None]],
    lines: Sequence[int],
    *,
    source_format: str,
    itemtype: str | None,
    header_line: int | None = None,
    skipped_lines: list[tuple[int, str]] | None = None,
) -> SourceTable:
    """Build the SourceTable of GLPI rows, adding the category and status columns.

    ``itemtype`` applies to every row unless a row names its own in ``Type d'élément``.
    """
    sure: list[str | None] = []
    labels: list[str | None] = []
    for row in rows:
        row_type = _itemtype_from_label(row.get(ITEMTYPE_COLUMN)) or itemtype
        code = category_for(row_type, row.get("Type"))
        sure.append(code)
        # Unsure: GLPI's own type label goes to category recognition (and is named if unknown).
        labels.append(code or row.get("Type"))
    columns: dict[str, list[str | None]] = {h: [r.get(h) for r in rows] for h in headers}
    out_headers = list(headers)
    if CATEGORY_COLUMN not in columns:
        # First column: when the mapper sees "Catégorie" and "Type", the first one wins.
        columns[CATEGORY_COLUMN] = labels
        out_headers.insert(0, CATEGORY_COLUMN)
    if STATUS_COLUMN in columns:
        columns[GLPI_STATUS_COLUMN] = list(columns[STATUS_COLUMN])
        columns[STATUS_COLUMN] = [status_for(v) for v in columns[STATUS_COLUMN]]
        out_headers.append(GLPI_STATUS_COLUMN)
    table = pa.table({h: pa.array(columns[h], type=pa.string()) for h in out_headers})
    hints: dict[str, str] = {}
    if itemtype:
        hints["glpi_itemtype"] = itemtype
    distinct = set(sure)
    if len(distinct) == 1 and None not in distinct and rows:
        hints["category"] = sure[0] or ""
    return SourceTable(
        table=table,
        line=pa.array(list(lines), type=pa.int64()),
        source_format=source_format,
        header_line=header_line,
        skipped_lines=skipped_lines or [],
        hints=hints,
    )


def _decode(data: bytes, name: str) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        # Re-saved by a spreadsheet on Windows.
        return data.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise InvalidDataError(
            f"Le fichier « {name} » n'est ni en UTF-8 ni en Windows-1252 : "
            "réexportez-le depuis GLPI sans le modifier."
        ) from exc


def _sniff_delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in (";", ",", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > 0 else ";"


def _clean_value(value: str) -> str | None:
    value = value.strip()
    if not value:
        return None
    # GLPI joins multiple values of one cell with <br> (and <hr> between groups).
    value = re.sub(r"\s*<(?:br|hr)\s*/?>\s*", " | ", value, flags=re.IGNORECASE)
    return value.strip(" |") or None


def read_glpi_csv(
    path: str | Path,
    *,
    itemtype: str | None = None,
    data: bytes | None = None,
) -> SourceTable:
    """Read a CSV export of a GLPI search list.

    ``itemtype`` (``Computer``, ``Monitor``, ``NetworkEquipment``, ``Phone``, ``Printer``,
    ``Peripheral``) says what the list holds; without it the reader guesses from the columns
    and the *Type* values, or reads each row's ``Type d'élément``. Raises
    :class:`InvalidDataError` (French message) when the file is not a GLPI export.
    """
    path = Path(path)
    if itemtype is not None and itemtype not in GLPI_ITEMTYPES:
        known = ", ".join(GLPI_ITEMTYPES)
        raise InvalidDataError(f"Type d'élément GLPI inconnu : « {itemtype} » (connus : {known}).")
    raw = path.read_bytes() if data is None else data
    text = _decode(raw, path.name)
    if not text.strip():
        raise InvalidDataError(f"Le fichier « {path.name} » est vide.")
    delimiter = _sniff_delimiter(text.splitlines()[0])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar='"')
    try:
        raw_headers = next(reader)
    except csv.Error as exc:
        raise InvalidDataError(
            f"Le fichier « {path.name} » n'est pas un CSV lisible : {exc}."
        ) from exc
    header_line = 1
    headers = [_clean_header(h) for h in raw_headers]
    # GLPI up to 10 ends every line with the delimiter: an empty last column.
    trailing_empty = bool(headers) and headers[-1] == ""
    if trailing_empty:
        headers = headers[:-1]
    if not is_glpi_export(headers):
        raise InvalidDataError(
            f"Le fichier « {path.name} » ne ressemble pas à un export GLPI : colonnes "
            f"trouvées {', '.join(h for h in headers if h) or '(aucune)'}. Attendu au moins "
            "« Nom », « Entité » ou « Dernière modification », et d'autres colonnes de GLPI."
        )
    headers = _dedupe(headers)
    rows: list[dict[str, str | None]] = []
    lines: list[int] = []
    skipped: list[tuple[int, str]] = []
    issues: list[RowIssue] = []
    previous_end = reader.line_num
    try:
        for record in reader:
            start = previous_end + 1
            previous_end = reader.line_num
            if trailing_empty and record and record[-1].strip() == "":
                record = record[:-1]
            if not any(cell.strip() for cell in record):
                skipped.append((start, "ligne vide"))
                continue
            if len(record) > len(headers):
                extra = [c for c in record[len(headers) :] if c.strip()]
                if extra:
                    issues.append(
                        RowIssue(
                            f"{len(record)} valeurs pour {len(headers)} colonnes : un "
                            "séparateur ou un guillemet en trop dans une cellule ?",
                            line=start,
                        )
                    )
                    continue
            values = [_clean_value(c) for c in record] + [None] * (len(headers) - len(record))
            rows.append(dict(zip(headers, values, strict=False)))
            lines.append(start)
    except csv.Error as exc:
        raise InvalidDataError(
            f"Le fichier « {path.name} » est mal formé ligne {reader.line_num} : {exc}."
        ) from exc
    if issues:
        raise InvalidDataError(
            f"Le fichier GLPI « {path.name} » a {len(issues)} ligne(s) illisible(s) ; "
            "rien n'a été importé.",
            issues,
        )
    kind = itemtype or detect_itemtype(headers, rows)
    return rows_to_source_table(
        headers,
        rows,
        lines,
        source_format="glpi-csv",
        itemtype=kind,
        header_line=header_line,
        skipped_lines=skipped,
    )
