"""Loading the referential: the shipped data files, then the user's overrides merged by key.

The format of each file is described in docs/referentiel-format.md. A user override file has
the columns of one of the tables; the table is recognised by its headers and its rows replace
(or add to) the rows with the same key. Missing ``low``/``high`` mean no known range (the value
itself); a missing ``source_id`` makes a source named after the file.
"""

from __future__ import annotations

import hashlib
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from sobrenum.domain import ReferentialError

TABLE_COLUMNS: dict[str, dict[str, pa.DataType]] = {
    "sources": {
        "source_id": pa.string(),
        "title": pa.string(),
        "publisher": pa.string(),
        "year": pa.int64(),
        "licence": pa.string(),
        "url": pa.string(),
        "note": pa.string(),
    },
    "categories": {
        "category": pa.string(),
        "lifetime_years": pa.float64(),
        "lifetime_low": pa.float64(),
        "lifetime_high": pa.float64(),
        "power_w": pa.float64(),
        "power_low": pa.float64(),
        "power_high": pa.float64(),
        "hours_per_day": pa.float64(),
        "days_per_year": pa.float64(),
        "pue": pa.float64(),
        "source_id": pa.string(),
        "estimate": pa.bool_(),
        "note": pa.string(),
    },
    "factors": {
        "factor_id": pa.string(),
        "category": pa.string(),
        "criterion": pa.string(),
        "phase": pa.string(),
        "value": pa.float64(),
        "low": pa.float64(),
        "high": pa.float64(),
        "source_id": pa.string(),
        "estimate": pa.bool_(),
        "note": pa.string(),
    },
    "electricity": {
        "factor_id": pa.string(),
        "country": pa.string(),
        "criterion": pa.string(),
        "value": pa.float64(),
        "low": pa.float64(),
        "high": pa.float64(),
        "source_id": pa.string(),
        "estimate": pa.bool_(),
        "note": pa.string(),
    },
    # 90 % range of a category's *mean* (embodied impact, power), relative to its value:
    # the uncertainty of the mean, apart from the variation between devices (optional file).
    "mean_ranges": {
        "category": pa.string(),
        "input": pa.string(),
        "low": pa.float64(),
        "high": pa.float64(),
        "source_id": pa.string(),
        "note": pa.string(),
    },
}

#: Tables a referential folder may leave out (empty then).
OPTIONAL_TABLES = frozenset({"mean_ranges"})

TABLE_KEYS: dict[str, tuple[str, ...]] = {
    "sources": ("source_id",),
    "categories": ("category",),
    "factors": ("category", "criterion", "phase"),
    "electricity": ("country", "criterion"),
    "mean_ranges": ("category", "input"),
}

#: The columns an override file must have for its table to be recognised.
_RECOGNISED_BY: dict[str, set[str]] = {
    "factors": {"category", "criterion", "phase", "value"},
    "electricity": {"country", "criterion", "value"},
    "categories": {"category", "lifetime_years"},
    "sources": {"source_id", "title"},
    "mean_ranges": {"category", "input", "low", "high"},
}

TABLE_LABELS_FR = {
    "sources": "sources",
    "categories": "catégories",
    "factors": "facteurs d'impact",
    "electricity": "facteurs de l'électricité",
    "mean_ranges": "plages des moyennes de catégorie",
}


@dataclass(frozen=True)
class Referential:
    """A complete, checked set of factors with its version."""

    version: str
    title: str
    published: str
    default_country: str
    sources: pa.Table
    categories: pa.Table
    factors: pa.Table
    electricity: pa.Table
    mean_ranges: pa.Table
    """(category, ``embodied`` | ``power``) → range of the category's mean (ratios)."""
    overrides: tuple[str, ...] = field(default_factory=tuple)

    def table(self, name: str) -> pa.Table:
        tables: dict[str, pa.Table] = {
            "sources": self.sources,
            "categories": self.categories,
            "factors": self.factors,
            "electricity": self.electricity,
            "mean_ranges": self.mean_ranges,
        }
        return tables[name]

    def default_lifetimes(self) -> dict[str, float]:
        """Default lifetime in years per category code."""
        rows = self.categories.select(["category", "lifetime_years"]).to_pylist()
        return {r["category"]: r["lifetime_years"] for r in rows if r["lifetime_years"]}


def _read_csv(source: Path | bytes, name: str, origin: str) -> pa.Table:
    columns = TABLE_COLUMNS[name]
    data = source if isinstance(source, bytes) else source.read_bytes()
    try:
        header = pacsv.read_csv(
            pa.BufferReader(data), read_options=pacsv.ReadOptions(skip_rows_after_names=10**9)
        ).column_names
        present = {c: t for c, t in columns.items() if c in header}
        table = pacsv.read_csv(
            pa.BufferReader(data),
            convert_options=pacsv.ConvertOptions(
                column_types=present,
                include_columns=list(present),
                true_values=["true", "True", "TRUE", "vrai", "oui", "1"],
                false_values=["false", "False", "FALSE", "faux", "non", "0"],
                strings_can_be_null=True,
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        raise ReferentialError(
            f"Le fichier {origin} ({TABLE_LABELS_FR[name]}) est illisible : {exc}"
        ) from exc
    # Complete the missing optional columns with nulls, in the canonical order.
    arrays = [
        table[c] if c in table.column_names else pa.nulls(table.num_rows, t)
        for c, t in columns.items()
    ]
    return pa.table(arrays, names=list(columns))


def recognise_table(headers: Iterable[str]) -> str | None:
    """Which referential table a file with these headers belongs to."""
    found = {h.strip() for h in headers}
    for name, needed in _RECOGNISED_BY.items():
        if needed <= found:
            return name
    return None


def _merge(base: pa.Table, override: pa.Table, keys: Sequence[str]) -> pa.Table:
    """Rows of ``override`` replace rows of ``base`` with the same key, others are added."""

    def key_of(t: pa.Table) -> pa.Array:
        parts = [pc.fill_null(t[k].cast(pa.string()), "") for k in keys]
        return pc.binary_join_element_wise(*parts, "\x1f") if len(parts) > 1 else parts[0]

    kept = base.filter(pc.invert(pc.is_in(key_of(base), value_set=key_of(override))))
    return pa.concat_tables([kept, override.cast(base.schema)])


def _fill_override_defaults(table: pa.Table, name: str, origin: str) -> tuple[pa.Table, str]:
    """Fill what a user's override may leave out: ranges, source, factor ids, flags."""
    source_id = f"surcharge:{Path(origin).name}"
    cols = {c: table[c] for c in table.column_names}
    if "value" in cols:
        for bound in ("low", "high"):
            cols[bound] = pc.coalesce(cols[bound], cols["value"])
    if "source_id" in cols:
        cols["source_id"] = pc.coalesce(cols["source_id"], pa.scalar(source_id))
    if "estimate" in cols:
        cols["estimate"] = pc.coalesce(cols["estimate"], pa.scalar(False))
    if name == "factors":
        made = pc.binary_join_element_wise(cols["category"], cols["criterion"], cols["phase"], ".")
        cols["factor_id"] = pc.coalesce(cols["factor_id"], made)
    if name == "electricity":
        made = pc.binary_join_element_wise(
            pa.scalar("elec"), cols["country"], cols["criterion"], "."
        )
        cols["factor_id"] = pc.coalesce(cols["factor_id"], made)
    return pa.table(cols), source_id


def _read_table(folder: Path, name: str) -> pa.Table:
    path = folder / f"{name}.csv"
    if name in OPTIONAL_TABLES and not path.exists():
        return pa.table({c: pa.array([], t) for c, t in TABLE_COLUMNS[name].items()})
    return _read_csv(path, name, path.name)


def _data_dir() -> Path:
    return Path(str(resources.files("sobrenum.referential") / "data"))


def load(data_dir: Path | None = None, overrides: Sequence[Path] = ()) -> Referential:
    """Load the referential from ``data_dir`` (default: the shipped one), apply overrides."""
    folder = data_dir or _data_dir()
    meta_path = folder / "referential.toml"
    if not meta_path.exists():
        raise ReferentialError(f"Référentiel introuvable : {meta_path} n'existe pas.")
    meta = tomllib.loads(meta_path.read_text(encoding="utf-8"))
    tables = {name: _read_table(folder, name) for name in TABLE_COLUMNS}
    ref = Referential(
        version=str(meta["version"]),
        title=str(meta.get("title", "")),
        published=str(meta.get("published", "")),
        default_country=str(meta.get("default_country", "FRA")),
        **tables,
    )
    return apply_overrides(ref, overrides)


def apply_overrides(ref: Referential, overrides: Sequence[Path]) -> Referential:
    """Merge user override files into ``ref``; the version records their content."""
    if not overrides:
        return ref
    digest = hashlib.sha256()
    tables = {name: ref.table(name) for name in TABLE_COLUMNS}
    names: list[str] = []
    for path in overrides:
        if not path.exists():
            raise ReferentialError(f"Fichier de surcharge introuvable : {path}")
        data = path.read_bytes()
        digest.update(data)
        try:
            header_line = data.decode("utf-8-sig").splitlines()[0]
        except (UnicodeDecodeError, IndexError) as exc:
            raise ReferentialError(
                f"Le fichier de surcharge {path.name} est vide ou n'est pas en UTF-8."
            ) from exc
        name = recognise_table(header_line.split(","))
        if name is None:
            raise ReferentialError(
                f"Le fichier de surcharge {path.name} n'a les colonnes d'aucune table du "
                "référentiel (voir docs/referentiel-format.md) : en-têtes lus « "
                f"{header_line} »."
            )
        table = _read_csv(data.removeprefix(b"\xef\xbb\xbf"), name, path.name)
        table, source_id = _fill_override_defaults(table, name, path.name)
        used_sources = (
            set(table["source_id"].to_pylist()) if "source_id" in table.column_names else set()
        )
        if source_id in used_sources:
            made = pa.table(
                {
                    "source_id": [source_id],
                    "title": [f"Valeurs fournies par l'utilisateur ({path.name})"],
                    "publisher": ["utilisateur"],
                    "year": pa.nulls(1, pa.int64()),
                    "licence": ["fournie par l'utilisateur"],
                    "url": pa.nulls(1, pa.string()),
                    "note": [f"Surcharge chargée depuis {path.name}"],
                },
                schema=tables["sources"].schema,
            )
            tables["sources"] = _merge(tables["sources"], made, TABLE_KEYS["sources"])
        tables[name] = _merge(tables[name], table, TABLE_KEYS[name])
        names.append(path.name)
    return replace(
        ref,
        version=f"{ref.version}+{digest.hexdigest()[:8]}",
        overrides=(*ref.overrides, *names),
        **tables,
    )
