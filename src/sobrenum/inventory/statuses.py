"""The status words of French inventories, read from ``data/statuts.csv``.

Each word (folded: lower case, no accents, punctuation as spaces) says whether a device is in
service, in stock (kept to serve again: amortised, no electricity) or retired (out of the
fleet: not one of the year's devices, in the reuse register's stock of retired devices).
The rule that dates a retired device without a retirement date is the engine's
(``sobrenum.engine.compute.retired_at``, docs/methodologie.md § 3 bis).
"""

from __future__ import annotations

import csv
from functools import cache
from importlib import resources

from sobrenum.domain.vocabulary import Status
from sobrenum.inventory.mapping import fold


@cache
def status_words() -> dict[str, Status]:
    """Folded word → status, in the file's order (the first line of a word wins)."""
    text = (resources.files("sobrenum.inventory") / "data" / "statuts.csv").read_text("utf-8")
    words: dict[str, Status] = {}
    for row in csv.DictReader(text.splitlines()):
        words.setdefault(fold(row["mot"]), Status(row["statut"]))
    return words


def status_of(label: str | None) -> Status | None:
    """The status a label names, None when it names none of the table's words."""
    if label is None or not label.strip():
        return None
    return status_words().get(fold(label))
