"""The organisation's own hypotheses: per-category lifetime and usage replacing the defaults.

The referential's defaults describe an average device (ADEME's are often consumers': 2.5
years for a smartphone); an organisation knows its own renewal policy and office hours.
A hypothesis replaces the category's default lifetime, hours a day or days a year; the row
then names the source « hypothèse de la collectivité » and the referential's version records
the hypotheses (``2026.12+hyp-…``), so a cached or frozen figure says what it used.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

import pyarrow as pa

from sobrenum.domain import ReferentialError
from sobrenum.domain.hypotheses import FIELDS, Hypothesis, check
from sobrenum.referential.loading import TABLE_KEYS, Referential, _merge

SOURCE_ID = "hypothese-collectivite"
SOURCE_TITLE = "hypothèse de la collectivité"


def apply_hypotheses(ref: Referential, hypotheses: Mapping[str, Hypothesis]) -> Referential:
    """``ref`` with the organisation's hypotheses in place of the categories' defaults.

    A replaced lifetime keeps the relative range of the default (the uncertainty of the
    organisation's own average stays that of the source's); hours and days have no range.
    """
    used = [check(h) for h in hypotheses.values() if h.values()]
    if not used:
        return ref
    rows = {r["category"]: r for r in ref.categories.to_pylist()}
    changed = []
    digest = hashlib.sha256()
    for h in sorted(used, key=lambda h: h.category):
        row = dict(rows[h.category]) if h.category in rows else None
        if row is None:
            continue
        values = h.values()
        digest.update(repr((h.category, sorted(values.items()))).encode())
        if "lifetime_years" in values:
            old, new = row["lifetime_years"], values["lifetime_years"]
            if old:
                row["lifetime_low"] = row["lifetime_low"] * new / old
                row["lifetime_high"] = row["lifetime_high"] * new / old
            row["lifetime_years"] = new
        for name in ("hours_per_day", "days_per_year"):
            if name in values:
                row[name] = values[name]
        said = ", ".join(f"{FIELDS[k][0]} {v:g}" for k, v in values.items())
        row["source_id"] = SOURCE_ID
        row["estimate"] = False
        row["note"] = f"Hypothèse de la collectivité : {said} (au lieu du référentiel)."
        changed.append(row)
    if not changed:
        return ref
    categories = _merge(
        ref.categories,
        pa.Table.from_pylist(changed, ref.categories.schema),
        TABLE_KEYS["categories"],
    )
    source = pa.Table.from_pylist(
        [
            {
                "source_id": SOURCE_ID,
                "title": SOURCE_TITLE,
                "publisher": "la collectivité",
                "year": None,
                "licence": "donnée de la collectivité",
                "url": None,
                "note": "Durées de vie et profils d'usage propres à la collectivité.",
            }
        ],
        ref.sources.schema,
    )
    sources = _merge(ref.sources, source, TABLE_KEYS["sources"])
    return replace(
        ref,
        version=f"{ref.version}+hyp-{digest.hexdigest()[:8]}",
        categories=categories,
        sources=sources,
    )


def read_hypotheses(path: Path) -> dict[str, Hypothesis]:
    """Hypotheses from a CSV file (columns ``category`` and any of the fields)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ReferentialError(f"Fichier d'hypothèses {path.name} illisible : {exc}") from exc
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames or "category" not in reader.fieldnames:
        raise ReferentialError(
            f"Fichier d'hypothèses {path.name} : colonne « category » attendue, avec "
            "lifetime_years, hours_per_day ou days_per_year."
        )
    out: dict[str, Hypothesis] = {}
    for line, rec in enumerate(reader, start=2):
        values: dict[str, float | None] = {}
        for name in FIELDS:
            raw = (rec.get(name) or "").strip().replace(",", ".")
            try:
                values[name] = float(raw) if raw else None
            except ValueError as exc:
                raise ReferentialError(
                    f"Fichier d'hypothèses {path.name}, ligne {line} : {FIELDS[name][0]} "
                    f"« {raw} » n'est pas un nombre."
                ) from exc
        h = Hypothesis((rec.get("category") or "").strip(), **values)
        try:
            out[h.category] = check(h)
        except ReferentialError as exc:
            raise ReferentialError(f"Fichier {path.name}, ligne {line} : {exc}") from exc
    return out
