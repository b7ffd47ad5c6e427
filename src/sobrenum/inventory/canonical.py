"""The canonical CSV: the equipment schema as a plain file (codes or French labels as headers).

This is sobrenum's own exchange format: what ``sobrenum empreinte`` reads without any mapping
and what a fleet is exported to. Messy real files go through the mapping pipeline instead.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from sobrenum.domain import FIELDS, FLEET_SCHEMA, InvalidDataError, RowIssue

_HEADER_TO_CODE: dict[str, str] = {
    name.casefold(): f.code for f in FIELDS for name in (f.code, f.label_fr, f.label_en)
}


def read_canonical_csv(path: Path) -> pa.Table:
    """Read a canonical CSV into the fleet schema, plus ``source_line`` (line in the file)."""
    data = path.read_bytes()
    if not data.strip():
        raise InvalidDataError(f"Le fichier {path.name} est vide.")
    first = data.decode("utf-8-sig", errors="replace").splitlines()[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    raw = pacsv.read_csv(
        pa.BufferReader(data.removeprefix(b"\xef\xbb\xbf")),
        parse_options=pacsv.ParseOptions(delimiter=delimiter),
        convert_options=pacsv.ConvertOptions(
            column_types={name: pa.string() for name in first.split(delimiter)},
            strings_can_be_null=True,
        ),
    )
    renamed = {}
    for header in raw.column_names:
        code = _HEADER_TO_CODE.get(header.strip().strip('"').casefold())
        if code:
            renamed[code] = raw[header]
    missing = [f for f in FIELDS if f.required and f.code not in renamed]
    if missing:
        names = ", ".join(f"« {f.label_fr} » ({f.code})" for f in missing)
        raise InvalidDataError(
            f"Le fichier {path.name} n'a pas les colonnes obligatoires {names}. "
            f"Colonnes lues : {', '.join(raw.column_names)}."
        )
    columns, issues = [], []
    for field in FLEET_SCHEMA:
        if field.name not in renamed:
            columns.append(pa.nulls(raw.num_rows, field.type))
            continue
        text = renamed[field.name]
        if pa.types.is_boolean(field.type):
            text = pc.utf8_lower(text)
            text = pc.if_else(pc.is_in(text, pa.array(["vrai", "oui", "1"])), "true", text)
            text = pc.if_else(pc.is_in(text, pa.array(["faux", "non", "0"])), "false", text)
        if pa.types.is_floating(field.type):
            text = pc.replace_substring(text, ",", ".")
        try:
            columns.append(text.cast(field.type))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            # Name the first rows whose value does not convert.
            for i, value in enumerate(text.to_pylist()):
                if value is None:
                    continue
                try:
                    pa.array([value]).cast(field.type)
                except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                    issues.append(
                        RowIssue(
                            f"valeur « {value} » illisible (type attendu : {field.type})",
                            line=i + 2,
                            column=field.name,
                        )
                    )
                    if len(issues) >= 50:
                        break
            columns.append(pa.nulls(raw.num_rows, field.type))
    if issues:
        raise InvalidDataError(f"Le fichier {path.name} contient des valeurs illisibles :", issues)
    lines = pa.array(range(2, raw.num_rows + 2), pa.int64())
    return pa.table([*columns, lines], names=[*FLEET_SCHEMA.names, "source_line"])


def write_canonical_csv(fleet: pa.Table, path: Path) -> None:
    """Write a fleet as canonical CSV (codes as headers)."""
    table = fleet.select([n for n in FLEET_SCHEMA.names if n in fleet.column_names])
    pacsv.write_csv(table, path)
