"""Reading a user's inventory file into a :class:`SourceTable`, whatever its shape.

- ``.xlsx`` / ``.xlsm`` / ``.xlsb`` / ``.xls`` / ``.ods``: fastexcel (Rust calamine, straight
  to Arrow), every cell as text, empty leading rows kept so that line numbers are the
  spreadsheet's. Formulas are never evaluated: a formula cell gives its cached value.
- ``.csv`` / ``.txt``: the separator (``;`` ``,`` tab ``|``) and the encoding (UTF-8 with or
  without BOM, else Windows-1252) are detected, then pyarrow's multi-threaded CSV reader
  reads every column as text. Rows with a wrong number of cells fall back to Python's csv
  module, which pads them, so no row is lost and line numbers stay exact.

The format is judged from the content (``safety.sniff_format``), not the extension. Then the
table is found in the sheet: the header row below any title lines, the sheet that looks
most like an inventory among several; empty rows, totals rows and repeated headers are
skipped and listed in ``SourceTable.skipped_lines`` with the reason.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from sobrenum.domain.errors import InvalidDataError, RowIssue
from sobrenum.inventory.mapping import header_score
from sobrenum.inventory.safety import DEFAULT_LIMITS, Limits, sniff_format
from sobrenum.inventory.source import SourceTable

#: How many rows at the top of a sheet may hold titles before the header.
HEADER_SEARCH_ROWS = 40
_TOTAL = r"^\s*(sous[- ]?)?(total|totaux|somme)\b"
_DATE_OR_NUMBER = re.compile(r"^[\d\s.,/:\-]+$")


@dataclass(frozen=True)
class _Header:
    index: int
    score: float


def _cell_text(value: object) -> str:
    return "" if value is None else str(value).strip()


def _row_score(cells: list[str]) -> float:
    filled = [c for c in cells if c]
    if len(filled) < 2:
        return 0.0
    texty = sum(1 for c in filled if not _DATE_OR_NUMBER.match(c) and len(c) <= 80)
    known = sum(header_score(c) for c in filled if len(c) <= 80)
    return 3.0 * known + texty - 0.5 * (len(filled) - texty)


def find_header(rows: list[list[str]]) -> _Header | None:
    """The most header-like row among the first rows (None: no row has 2 filled cells)."""
    best: _Header | None = None
    for i, cells in enumerate(rows[:HEADER_SEARCH_ROWS]):
        score = _row_score(cells)
        if score > 0 and (best is None or score > best.score):
            best = _Header(i, score)
    return best


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _clean_headers(raw: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for i, header in enumerate(raw):
        name = " ".join(header.split()) or f"Colonne {_column_letter(i)}"
        count = seen.get(name.casefold(), 0) + 1
        seen[name.casefold()] = count
        out.append(name if count == 1 else f"{name} ({count})")
    return out


def _blank(column: pa.ChunkedArray | pa.Array) -> pa.Array:
    text = column if pa.types.is_string(column.type) else pc.cast(column, pa.string())
    return pc.fill_null(pc.equal(pc.utf8_trim_whitespace(text), ""), True)


def assemble(
    header_cells: list[str],
    data: pa.Table,
    first_data_line: int,
    *,
    source_format: str,
    sheet: str | None = None,
    header_line: int | None = None,
    skipped: list[tuple[int, str]] | None = None,
    limits: Limits = DEFAULT_LIMITS,
    name: str = "",
) -> SourceTable:
    """Build a SourceTable from the header cells and the text cells below them.

    Drops columns with neither header nor data, skips empty rows, totals rows and repeated
    header rows (listing them with their reason), and checks the size limits.
    """
    skipped = list(skipped or [])
    headers = [_cell_text(h) for h in header_cells]
    columns = list(data.columns)
    keep = [
        i for i, column in enumerate(columns) if headers[i] or not pc.all(_blank(column)).as_py()
    ]
    headers = _clean_headers([headers[i] for i in keep])
    columns = [columns[i] for i in keep]
    if len(headers) > limits.max_columns:
        raise InvalidDataError(
            f"Le tableau de « {name} » a {len(headers)} colonnes, au-delà de la limite de "
            f"{limits.max_columns}."
        )
    # Table.from_arrays, not pa.table(): the latter imports pandas to check its argument.
    table = pa.Table.from_arrays(columns, names=headers) if columns else _empty_table()
    n = table.num_rows
    lines = pa.array(range(first_data_line, first_data_line + n), pa.int64())
    if n and columns:
        blanks = [_blank(c) for c in table.columns]
        empty = blanks[0]
        for b in blanks[1:]:
            empty = pc.and_(empty, b)
        total = pa.array([False] * n)
        for column in table.columns[:3]:
            text = column if pa.types.is_string(column.type) else pc.cast(column, pa.string())
            hit = pc.match_substring_regex(text, _TOTAL, ignore_case=True)
            total = pc.or_(total, pc.fill_null(hit, False))
        total = pc.and_(total, pc.invert(empty))
        repeated = pa.array([True] * n)
        compared = 0
        for header, column in zip(headers, table.columns, strict=True):
            if header.startswith("Colonne ") or compared >= 3:
                continue
            text = column if pa.types.is_string(column.type) else pc.cast(column, pa.string())
            same = pc.equal(pc.utf8_trim_whitespace(text), header)
            repeated = pc.and_(repeated, pc.fill_null(same, False))
            compared += 1
        if compared < 2:
            repeated = pa.array([False] * n)
        drop = pc.or_(pc.or_(empty, total), repeated)
        if pc.any(drop).as_py():
            for mask, reason in (
                (empty, "ligne vide"),
                (total, "ligne de total"),
                (repeated, "en-tête répété"),
            ):
                hits = pc.filter(lines, mask).to_pylist()
                skipped.extend((line, reason) for line in hits)
            keep_mask = pc.invert(drop)
            table = table.filter(keep_mask)
            lines = pc.filter(lines, keep_mask)
    skipped.sort()
    if table.num_rows > limits.max_rows:
        raise InvalidDataError(
            f"Le tableau de « {name} » a {table.num_rows} lignes, au-delà de la limite de "
            f"{limits.max_rows}."
        )
    if table.num_rows == 0:
        where = f" (feuille « {sheet} »)" if sheet else ""
        raise InvalidDataError(
            f"Le fichier « {name} »{where} ne contient aucune ligne d'équipement : "
            "seulement des en-têtes, des titres ou des lignes vides. Rien n'a été importé."
        )
    if isinstance(lines, pa.ChunkedArray):
        lines = lines.combine_chunks()
    return SourceTable(
        table=table,
        line=lines,
        source_format=source_format,
        sheet=sheet,
        header_line=header_line,
        skipped_lines=skipped,
    )


def _title_lines(
    rows: list[list[str]], header_index: int, first_line: int
) -> list[tuple[int, str]]:
    out = []
    for i, cells in enumerate(rows[:header_index]):
        reason = "titre au-dessus du tableau" if any(cells) else "ligne vide"
        out.append((first_line + i, reason))
    return out


# --- Spreadsheets -----------------------------------------------------------------------


def _grid_rows(grid: pa.Table, limit: int) -> list[list[str]]:
    head = grid.slice(0, limit).to_pylist()
    return [[_cell_text(v) for v in row.values()] for row in head]


def read_spreadsheet(
    path: Path,
    source_format: str,
    sheet: str | int | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> SourceTable:
    """Read the inventory sheet of a workbook (``sheet`` given, or the most inventory-like)."""
    import fastexcel

    try:
        reader = fastexcel.read_excel(str(path))
        names = list(reader.sheet_names)
        if not names:
            raise InvalidDataError(f"Le classeur « {path.name} » ne contient aucune feuille.")
        if sheet is not None:
            if isinstance(sheet, str) and sheet not in names:
                listed = ", ".join(f"« {n} »" for n in names)
                raise InvalidDataError(
                    f"Le classeur « {path.name} » n'a pas de feuille « {sheet} » "
                    f"(feuilles : {listed})."
                )
            candidates = [sheet if isinstance(sheet, str) else names[sheet]]
        else:
            candidates = names
        best: tuple[float, str, pa.Table, _Header] | None = None
        for name in candidates:
            loaded = reader.load_sheet(name, header_row=None, skip_rows=0, dtypes="string")
            if not isinstance(loaded, pa.RecordBatch):
                if loaded.visible != "visible" and len(candidates) > 1:
                    continue
                grid = loaded.to_arrow()
            else:
                grid = pa.Table.from_batches([loaded])
            if isinstance(grid, pa.RecordBatch):
                grid = pa.Table.from_batches([grid])
            header = find_header(_grid_rows(grid, HEADER_SEARCH_ROWS))
            if header is None:
                continue
            # An inventory has a recognisable header and rows below it.
            score = header.score + min(grid.num_rows - header.index - 1, 1000) / 100
            if best is None or score > best[0]:
                best = (score, name, grid, header)
    except InvalidDataError:
        raise
    except Exception as exc:  # fastexcel raises its own error classes
        raise InvalidDataError(
            f"Le classeur « {path.name} » n'a pas pu être lu ({type(exc).__name__} : {exc}). "
            "Vérifiez qu'il s'ouvre dans votre tableur, puis réenregistrez-le."
        ) from exc
    if best is None:
        raise InvalidDataError(
            f"Le classeur « {path.name} » ne contient aucun tableau : aucune feuille n'a de "
            "ligne d'en-têtes suivie de lignes d'équipements."
        )
    _, sheet_name, grid, header = best
    head_rows = _grid_rows(grid, header.index + 1)
    data = grid.slice(header.index + 1)
    return assemble(
        head_rows[header.index],
        data,
        header.index + 2,
        source_format=source_format,
        sheet=sheet_name,
        header_line=header.index + 1,
        skipped=_title_lines(head_rows, header.index, 1),
        limits=limits,
        name=path.name,
    )


# --- CSV --------------------------------------------------------------------------------

_SEPARATORS = (";", ",", "\t", "|")


_CHUNK = 8 << 20


def _is_utf8(data: bytes) -> bool:
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        for start in range(0, len(data), _CHUNK):
            decoder.decode(data[start : start + _CHUNK], final=False)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _transcode(data: bytes, encoding: str) -> bytes:
    """Single-byte encoding to UTF-8, chunk by chunk (any byte is a character boundary)."""
    return b"".join(
        data[start : start + _CHUNK].decode(encoding).encode("utf-8")
        for start in range(0, len(data), _CHUNK)
    )


#: A UTF-8 multi-byte character (« é » is C3 A9): text in a single-byte encoding almost never
#: has one, so a file with some is UTF-8, and its other non-ASCII bytes are damage.
_UTF8_CHARACTER = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}")


class MixedEncodingError(ValueError):
    """A UTF-8 text file with invalid bytes on some lines (``lines``: their numbers)."""

    def __init__(self, lines: list[int]) -> None:
        super().__init__(lines)
        self.lines = lines


def _invalid_utf8_lines(data: bytes) -> list[int]:
    bad = []
    for number, line in enumerate(data.split(b"\n"), start=1):
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            bad.append(number)
    return bad


def decode_bytes(data: bytes) -> tuple[bytes, str]:
    """UTF-8 bytes (without BOM) of a text file, and the encoding it was in.

    Not UTF-8 and without any UTF-8 character: Windows-1252 (else Latin-1), the encoding of
    spreadsheets saved as CSV on Windows. UTF-8 characters *and* invalid bytes: raises
    :class:`MixedEncodingError` naming the damaged lines (decoding the whole file as
    Windows-1252 would garble every accent, headers included).
    """
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
        if _is_utf8(data):
            return data, "utf-8-sig"
        raise MixedEncodingError(_invalid_utf8_lines(data))
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16").encode("utf-8"), "utf-16"
    if _is_utf8(data):
        return data, "utf-8"
    if _UTF8_CHARACTER.search(data):
        raise MixedEncodingError(_invalid_utf8_lines(data))
    try:
        return _transcode(data, "cp1252"), "cp1252"
    except UnicodeDecodeError:
        return _transcode(data, "latin-1"), "latin-1"


def detect_separator(sample: str) -> str:
    """The separator that splits the sample's lines most consistently into most cells."""
    lines = [line for line in sample.splitlines()[:50] if line.strip()]
    if not lines:
        return ";"
    best, best_score = ";", -1.0
    for sep in _SEPARATORS:
        counts = [len(row) - 1 for row in csv.reader(lines, delimiter=sep)]
        positive = [c for c in counts if c > 0]
        if not positive:
            continue
        mode = max(set(positive), key=positive.count)
        consistency = positive.count(mode) / len(counts)
        score = consistency * mode
        if score > best_score:
            best, best_score = sep, score
    return best


def read_csv(path: Path, limits: Limits = DEFAULT_LIMITS) -> SourceTable:
    """Read a delimited text file (separator and encoding detected)."""
    try:
        data, _encoding = decode_bytes(path.read_bytes())
    except MixedEncodingError as exc:
        shown = ", ".join(str(n) for n in exc.lines[:10]) + (" …" if len(exc.lines) > 10 else "")
        raise InvalidDataError(
            f"Le fichier « {path.name} » est en UTF-8 mais contient des octets invalides "
            f"(caractères abîmés), ligne(s) {shown} : rien n'a été lu. Corrigez ces lignes, "
            "ou enregistrez de nouveau le fichier en CSV UTF-8 depuis le tableur.",
            [RowIssue("octets invalides en UTF-8", line=n) for n in exc.lines[:50]],
        ) from exc
    sample = data[: 64 * 1024].decode("utf-8", errors="ignore")
    sep = detect_separator(sample)
    head_rows = [
        [c.strip() for c in row]
        for row, _ in zip(
            csv.reader(io.StringIO(sample), delimiter=sep), range(HEADER_SEARCH_ROWS), strict=False
        )
    ]
    header = find_header(head_rows)
    if header is None:
        if len(head_rows) <= 1:
            raise InvalidDataError(
                f"Le fichier « {path.name} » ne contient aucune ligne d'équipement "
                "(au plus une ligne). Rien n'a été importé."
            )
        raise InvalidDataError(
            f"Le fichier « {path.name} » n'a pas de ligne d'en-têtes reconnaissable "
            f"(séparateur détecté : « {sep} »). Vérifiez qu'il s'agit bien d'un tableau."
        )
    header_cells = head_rows[header.index]
    width = len(header_cells)
    names = [f"c{i}" for i in range(width)]
    bad_rows: list[int | None] = []

    def on_invalid(row: pacsv.InvalidRow) -> str:
        bad_rows.append(row.number)
        return "skip"

    try:
        table = pacsv.read_csv(
            pa.BufferReader(data),
            read_options=pacsv.ReadOptions(
                skip_rows=header.index + 1, column_names=names, block_size=8 << 20
            ),
            parse_options=pacsv.ParseOptions(
                delimiter=sep,
                newlines_in_values=True,
                ignore_empty_lines=False,
                invalid_row_handler=on_invalid,
            ),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()),
                strings_can_be_null=True,
                quoted_strings_can_be_null=True,
                null_values=[""],
            ),
        )
    except pa.ArrowInvalid:
        bad_rows.append(None)
        table = _empty_table()
    if bad_rows:
        table = _read_csv_padded(data, sep, header.index + 1, width)
    return assemble(
        header_cells,
        table,
        header.index + 2,
        source_format="csv",
        header_line=header.index + 1,
        skipped=_title_lines(head_rows, header.index, 1),
        limits=limits,
        name=path.name,
    )


def _read_csv_padded(data: bytes, sep: str, skip: int, width: int) -> pa.Table:
    """Slow, exact path: Python's csv module, short rows padded, long rows' extras joined."""
    reader = csv.reader(io.StringIO(data.decode("utf-8")), delimiter=sep)
    columns: list[list[str | None]] = [[] for _ in range(width)]
    for i, row in enumerate(reader):
        if i < skip:
            continue
        if len(row) > width:
            extra = [c for c in row[width:] if c.strip()]
            row = row[:width]
            if extra and width:
                row[-1] = sep.join([row[-1], *extra])
        for j in range(width):
            value = row[j] if j < len(row) else ""
            columns[j].append(value if value != "" else None)
    return pa.Table.from_arrays(
        [pa.array(c, pa.string()) for c in columns], names=[f"c{i}" for i in range(width)]
    )


def _empty_table() -> pa.Table:
    return pa.Table.from_arrays([], names=[])


# --- Entry point ------------------------------------------------------------------------


def read_source(
    path: Path | str,
    *,
    sheet: str | int | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> SourceTable:
    """Read an inventory file (.xlsx, .xls, .ods, .csv, .txt) into a :class:`SourceTable`.

    The format is detected from the content; hostile or unusable files raise
    :class:`InvalidDataError` with a French message, before anything is imported.
    """
    path = Path(path)
    fmt = sniff_format(path, limits)
    if fmt == "csv":
        try:
            return read_csv(path, limits)
        except csv.Error as exc:
            raise InvalidDataError(
                f"Le fichier « {path.name} » n'est pas un fichier texte délimité lisible "
                f"(retour à la ligne isolé, guillemet non fermé…) : {exc}. Enregistrez-le à "
                "nouveau en CSV depuis le tableur, puis réessayez."
            ) from exc
    return read_spreadsheet(path, fmt, sheet, limits)
