"""What every reader hands to the mapper: the user's table as found, with its line numbers."""

from __future__ import annotations

from dataclasses import dataclass, field

import pyarrow as pa


@dataclass
class SourceTable:
    """A table read from a user's file (or from GLPI), before any mapping.

    ``table`` keeps the user's own column headers (deduplicated if repeated) and the cell
    values as read (strings, numbers, dates: whatever the format gave). ``line`` holds, for
    each row, its line number in the user's file (1-based, as a spreadsheet shows it), so
    every error can point the user to the right place. ``source_format`` names the reader
    (``xlsx``, ``csv``, ``glpi-csv``, ``glpi-api``, ``fusioninventory-xml``…); ``hints``
    carries what a reader already knows for sure (e.g. ``{"category": "laptop"}`` for a GLPI
    item type), applied before header mapping.
    """

    table: pa.Table
    line: pa.Array
    source_format: str
    sheet: str | None = None
    header_line: int | None = None
    skipped_lines: list[tuple[int, str]] = field(default_factory=list)
    hints: dict[str, str] = field(default_factory=dict)

    @property
    def headers(self) -> list[str]:
        return list(self.table.column_names)
