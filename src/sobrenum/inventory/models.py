"""Model matching: a fleet's (manufacturer, model) pairs against manufacturers' carbon footprints.

The dataset is a CSV in the format of Boavizta's *environmental-footprint-data*
(``manufacturer,name,category,subcategory,gwp_total,gwp_use_ratio,…``) that the user
downloads and supplies; sobrenum does not ship it (ODbL). Matching is fuzzy (rapidfuzz) and
runs on the *distinct* pairs of the fleet only: a fleet of 10,000 devices has a few hundred
models. Each pair gets the closest product of the same manufacturer, a confidence score
(0–100) and the matched name, so the user sees what was chosen; below the threshold nothing
is proposed.

Using model-level figures is the user's choice (opt-in): they replace category averages with
manufacturers' declarations, whose caveats are listed in :data:`CAVEATS_FR` and repeated in
each result.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from rapidfuzz import fuzz, process

from sobrenum.domain.errors import InvalidDataError, RowIssue

__all__ = [
    "CAVEATS_FR",
    "DEFAULT_MIN_CONFIDENCE",
    "MATCH_SCHEMA",
    "ModelMatches",
    "PcfDataset",
    "load_pcf_dataset",
    "match_models",
    "normalise_manufacturer",
    "with_model_figures",
]

DEFAULT_MIN_CONFIDENCE = 85.0

CAVEATS_FR: tuple[str, ...] = (
    "Les empreintes carbone de produit (PCF) publiées par les fabricants sont des estimations "
    "à forte incertitude : l'erreur qu'ils déclarent (colonne gwp_error_ratio) dépasse souvent "
    "20 %, et elle n'est pas publiée pour une partie des produits.",
    "Chaque fiche repose sur ses propres hypothèses : durée de vie (colonne lifetime, de 3 à "
    "6 ans selon les fabricants) et lieu d'usage (use_location : Europe, États-Unis, monde…). "
    "La part « usage » (gwp_use_ratio) dépend de ces hypothèses et n'est pas transposable telle "
    "quelle à un usage en France : seule la part fabrication se compare d'un parc à l'autre.",
    "Les méthodes diffèrent d'un fabricant à l'autre (outil simplifié PAIA, analyse de cycle de "
    "vie complète…) : comparer deux marques sur ces chiffres est fragile.",
    "Le rapprochement se fait sur le nom du modèle, de façon approchée : vérifiez le nom retenu "
    "et l'indice de confiance ; sous le seuil, aucun chiffre n'est proposé et la moyenne de la "
    "catégorie s'applique.",
    "Données : Boavizta environmental-footprint-data, sous licence ODbL 1.0.",
)

MATCH_SCHEMA: pa.Schema = pa.schema(
    [
        pa.field(name, type_)
        for name, type_ in [
            ("manufacturer", pa.string()),
            ("model", pa.string()),
            ("matched_manufacturer", pa.string()),
            ("matched_name", pa.string()),
            ("confidence", pa.float64()),
            ("runner_up", pa.string()),
            ("runner_up_confidence", pa.float64()),
            ("subcategory", pa.string()),
            ("gwp_total", pa.float64()),
            ("gwp_error_ratio", pa.float64()),
            ("gwp_manufacturing_ratio", pa.float64()),
            ("gwp_use_ratio", pa.float64()),
            ("gwp_transport_ratio", pa.float64()),
            ("gwp_eol_ratio", pa.float64()),
            ("gwp_manufacturing", pa.float64()),
            ("lifetime", pa.float64()),
            ("use_location", pa.string()),
            ("yearly_tec", pa.float64()),
            ("report_date", pa.string()),
            ("sources", pa.string()),
            ("dataset_line", pa.int64()),
            ("note", pa.string()),
        ]
    ]
)

_REQUIRED = ("manufacturer", "name", "gwp_total")
_FLOATS = (
    "gwp_total",
    "gwp_error_ratio",
    "gwp_manufacturing_ratio",
    "gwp_use_ratio",
    "gwp_transport_ratio",
    "gwp_eol_ratio",
    "lifetime",
    "yearly_tec",
)
_TEXTS = ("category", "subcategory", "use_location", "report_date", "sources")

_MANUFACTURER_ALIASES: dict[str, str] = {
    "hewlett packard": "hp",
    "hewlett packard enterprise": "hp",
    "hpe": "hp",
    "hp inc": "hp",
    "dell technologies": "dell",
    "dell computer": "dell",
    "dell emc": "dell",
    "lenovo group": "lenovo",
    "asustek": "asus",
    "asustek computer": "asus",
    "fujitsu siemens": "fujitsu",
    "fujitsu technology solutions": "fujitsu",
    "samsung electronics": "samsung",
    "lg electronics": "lg",
}
_COMPANY_SUFFIXES = {
    "inc",
    "incorporated",
    "corp",
    "corporation",
    "co",
    "company",
    "ltd",
    "limited",
    "llc",
    "gmbh",
    "ag",
    "sa",
    "sas",
    "bv",
    "plc",
    "international",
}
# Words that say what the product is, not which one: dropped before comparing names.
_FILLER = {
    "notebook",
    "pc",
    "laptop",
    "desktop",
    "computer",
    "ordinateur",
    "portable",
    "monitor",
    "moniteur",
    "ecran",
    "display",
    "series",
    "serie",
    "the",
    "with",
    "de",
    "by",
}


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    plain = plain.replace("”", " inch ").replace('"', " inch ")
    return " ".join(re.sub(r"[^a-z0-9+]+", " ", plain).split())


def normalise_manufacturer(name: str | None) -> str:
    """A manufacturer's name reduced for comparison (``Dell Inc.`` → ``dell``)."""
    words = [w for w in _fold(name or "").split() if w not in _COMPANY_SUFFIXES]
    folded = " ".join(words)
    return _MANUFACTURER_ALIASES.get(folded, folded)


def _normalise_model(model: str, manufacturer_key: str) -> str:
    maker_words = set(manufacturer_key.split())
    if "hp" in maker_words:
        maker_words |= {"hewlett", "packard"}
    words = [w for w in _fold(model).split() if w not in _FILLER and w not in maker_words]
    return " ".join(words)


def _has_digit(word: str) -> bool:
    return any(c.isdigit() for c in word)


def _float(value: str | None) -> float | None:
    if value is None:
        return None
    text = value.strip().replace(",", ".")
    if not text:
        return None
    return float(text)


@dataclass(frozen=True)
class PcfDataset:
    """A product carbon footprint dataset, read and indexed for matching."""

    table: pa.Table
    source_name: str
    keys: tuple[str, ...] = field(repr=False)  # normalised manufacturer of each row
    names: tuple[str, ...] = field(repr=False)  # normalised product name of each row

    @property
    def num_rows(self) -> int:
        return int(self.table.num_rows)


def load_pcf_dataset(path: str | Path) -> PcfDataset:
    """Read a CSV in Boavizta's PCF format; bad rows are named with their line number."""
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidDataError(f"Le fichier « {path.name} » n'est pas en UTF-8.") from exc
    reader = csv.DictReader(io.StringIO(text, newline=""))
    headers = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in _REQUIRED if c not in headers]
    if missing:
        raise InvalidDataError(
            f"Le fichier « {path.name} » n'est pas au format des empreintes produit de Boavizta :"
            f" colonne(s) manquante(s) {', '.join(missing)}."
        )
    columns: dict[str, list[object]] = {c: [] for c in ("manufacturer", "name", *_TEXTS)}
    columns.update({c: [] for c in _FLOATS})
    lines: list[int] = []
    issues: list[RowIssue] = []
    previous_end = reader.line_num
    for record in reader:
        line = previous_end + 1
        previous_end = reader.line_num
        row = {(k or "").strip(): (v or "").strip() for k, v in record.items() if k is not None}
        if not row.get("manufacturer") or not row.get("name"):
            issues.append(RowIssue("fabricant ou nom du produit manquant", line=line))
            continue
        parsed: dict[str, float | None] = {}
        bad = False
        for col in _FLOATS:
            try:
                parsed[col] = _float(row.get(col))
            except ValueError:
                issues.append(
                    RowIssue(f"« {row.get(col)} » n'est pas un nombre", line=line, column=col)
                )
                bad = True
        if bad:
            continue
        if parsed["gwp_total"] is None:
            # A product without a total footprint cannot help; it is simply not a candidate.
            continue
        columns["manufacturer"].append(row["manufacturer"])
        columns["name"].append(row["name"])
        for col in _TEXTS:
            columns[col].append(row.get(col) or None)
        for col in _FLOATS:
            columns[col].append(parsed[col])
        lines.append(line)
    if issues:
        raise InvalidDataError(
            f"Le fichier d'empreintes « {path.name} » a {len(issues)} ligne(s) invalide(s).",
            issues,
        )
    if not lines:
        raise InvalidDataError(
            f"Le fichier d'empreintes « {path.name} » ne contient aucun produit."
        )
    arrays: dict[str, pa.Array] = {
        c: pa.array(v, type=pa.float64() if c in _FLOATS else pa.string())
        for c, v in columns.items()
    }
    arrays["line"] = pa.array(lines, type=pa.int64())
    table = pa.table(arrays)
    keys = tuple(normalise_manufacturer(str(m)) for m in columns["manufacturer"])
    names = tuple(_normalise_model(str(n), k) for n, k in zip(columns["name"], keys, strict=True))
    return PcfDataset(table=table, source_name=path.name, keys=keys, names=names)


@dataclass(frozen=True)
class ModelMatches:
    """One row per distinct (manufacturer, model) pair, with the product retained, if any."""

    table: pa.Table
    caveats: tuple[str, ...] = CAVEATS_FR
    min_confidence: float = DEFAULT_MIN_CONFIDENCE

    @property
    def matched(self) -> pa.Table:
        mask = self.table.column("matched_name").is_valid()
        return self.table.filter(mask)


def _score(query: str, candidates: list[str]) -> np.ndarray:
    """Confidence (0–100) of each candidate name for the query, both normalised."""
    if not candidates:
        return np.zeros(0)
    token_set = process.cdist([query], candidates, scorer=fuzz.token_set_ratio)[0]
    token_sort = process.cdist([query], candidates, scorer=fuzz.token_sort_ratio)[0]
    scores = 0.7 * token_set.astype(float) + 0.3 * token_sort.astype(float)
    query_numbers = {w for w in query.split() if _has_digit(w)}
    for i, cand in enumerate(candidates):
        words = set(cand.split())
        cand_numbers = {w for w in words if _has_digit(w)}
        # Model numbers decide: "Latitude 5420" is not "Latitude 5421".
        missing = len(query_numbers - words)
        scores[i] -= 20.0 * missing
        if not query_numbers and cand_numbers:
            scores[i] -= 15.0  # "Latitude" alone names no product
    clipped: np.ndarray = np.clip(scores, 0.0, 100.0)
    return clipped


def _note(lifetime: float | None, error: float | None, location: str | None) -> str:
    parts = []
    if error:
        parts.append(f"incertitude déclarée ±{error * 100:.0f} %")
    else:
        parts.append("incertitude non publiée par le fabricant")
    if lifetime:
        parts.append(f"durée de vie supposée {lifetime:g} ans")
    if location:
        parts.append(f"usage supposé : {location}")
    return " ; ".join(parts)


def _distinct_pairs(
    pairs: pa.Table | Iterable[tuple[str | None, str | None]],
) -> list[tuple[str | None, str | None]]:
    if isinstance(pairs, pa.Table):
        makers = pairs.column("manufacturer").to_pylist()
        models = pairs.column("model").to_pylist()
        items: Iterable[tuple[str | None, str | None]] = zip(makers, models, strict=True)
    else:
        items = pairs
    seen: dict[tuple[str | None, str | None], None] = {}
    for maker, model in items:
        key = (maker.strip() if maker else None, model.strip() if model else None)
        if key[1]:
            seen.setdefault(key, None)
    return list(seen)


def match_models(
    pairs: pa.Table | Iterable[tuple[str | None, str | None]],
    dataset: PcfDataset,
    *,
    min_confidence: float = DEFAULT_MIN_CONFIDENCE,
) -> ModelMatches:
    """Match each distinct (manufacturer, model) pair to the dataset's closest product.

    ``pairs`` is a table with ``manufacturer`` and ``model`` columns (the canonical fleet) or
    an iterable of pairs. Pairs without a model are left out. The manufacturer restricts the
    candidates when the dataset knows it (``Dell Inc.`` is ``Dell``); otherwise every product
    is a candidate and the confidence is lowered by 10 points.
    """
    by_maker: dict[str, list[int]] = {}
    for i, key in enumerate(dataset.keys):
        by_maker.setdefault(key, []).append(i)
    known_makers = list(by_maker)
    t = dataset.table
    col = {name: t.column(name).to_pylist() for name in t.column_names}
    out: dict[str, list[object]] = {f.name: [] for f in MATCH_SCHEMA}
    for maker, model in _distinct_pairs(pairs):
        assert model is not None
        maker_key = normalise_manufacturer(maker)
        penalty = 0.0
        if maker_key in by_maker:
            rows = by_maker[maker_key]
        else:
            found = (
                process.extractOne(maker_key, known_makers, scorer=fuzz.ratio, score_cutoff=85)
                if maker_key
                else None
            )
            if found is not None:
                maker_key = str(found[0])
                rows = by_maker[maker_key]
            else:
                rows = list(range(dataset.num_rows))
                penalty = 10.0
        query = _normalise_model(model, maker_key)
        scores = _score(query, [dataset.names[i] for i in rows]) - penalty if query else None
        best = second = -1
        if scores is not None and len(scores):
            order = np.argsort(-scores, kind="stable")
            best = rows[int(order[0])]
            best_score = float(scores[order[0]])
            # The runner-up is the best *different* product (same name listed twice is one).
            for j in order[1:]:
                if dataset.names[rows[int(j)]] != dataset.names[best]:
                    second = rows[int(j)]
                    second_score = float(scores[j])
                    break
        out["manufacturer"].append(maker)
        out["model"].append(model)
        if best >= 0 and best_score >= min_confidence:
            out["matched_manufacturer"].append(col["manufacturer"][best])
            out["matched_name"].append(col["name"][best])
            out["confidence"].append(round(best_score, 1))
            for name in (
                "subcategory",
                "gwp_total",
                "gwp_error_ratio",
                "gwp_manufacturing_ratio",
                "gwp_use_ratio",
                "gwp_transport_ratio",
                "gwp_eol_ratio",
                "lifetime",
                "use_location",
                "yearly_tec",
                "report_date",
                "sources",
            ):
                out[name].append(col[name][best])
            total, ratio = col["gwp_total"][best], col["gwp_manufacturing_ratio"][best]
            out["gwp_manufacturing"].append(
                float(total) * float(ratio) if total is not None and ratio is not None else None
            )
            out["dataset_line"].append(col["line"][best])
            note = _note(
                col["lifetime"][best], col["gwp_error_ratio"][best], col["use_location"][best]
            )
            if second >= 0 and best_score - second_score < 2.0:
                note += f" ; autre produit aussi proche : « {col['name'][second]} », à vérifier"
            out["note"].append(note)
        else:
            for name in MATCH_SCHEMA.names[2:]:
                if name not in ("runner_up", "runner_up_confidence"):
                    out[name].append(None)
            out["note"][-1] = "aucun produit assez proche : la moyenne de la catégorie s'applique"
            out["confidence"][-1] = round(best_score, 1) if best >= 0 else 0.0
        if second >= 0:
            out["runner_up"].append(col["name"][second])
            out["runner_up_confidence"].append(round(second_score, 1))
        else:
            out["runner_up"].append(None)
            out["runner_up_confidence"].append(None)
    table = pa.table({f.name: pa.array(out[f.name], type=f.type) for f in MATCH_SCHEMA})
    return ModelMatches(table=table, min_confidence=min_confidence)


def with_model_figures(fleet: pa.Table, matches: ModelMatches) -> tuple[pa.Table, int]:
    """Add each device's matched manufacture footprint (opt-in), as the engine reads it.

    Returns the fleet with the columns ``model_gwp_manufacture`` (kgCO2e, the product's total
    × its manufacturing share) and ``model_factor_id`` (``pcf:<maker> <name>``), null where no
    product was retained, and the number of devices that got a figure. A join on the distinct
    (manufacturer, model) pairs, in Arrow: no loop over devices.
    """
    kept = matches.matched.filter(pc.is_valid(matches.matched.column("gwp_manufacturing")))
    figures = pa.table(
        {
            "_maker": pc.fill_null(kept.column("manufacturer"), ""),
            "_model": pc.fill_null(kept.column("model"), ""),
            "model_gwp_manufacture": kept.column("gwp_manufacturing"),
            "model_factor_id": pc.binary_join_element_wise(
                "pcf:", kept.column("matched_manufacturer"), " ", kept.column("matched_name"), ""
            ),
        }
    )
    base = fleet.drop_columns(
        [c for c in ("model_gwp_manufacture", "model_factor_id") if c in fleet.column_names]
    )
    keys = base.select(["manufacturer", "model"])
    keyed = pa.table(
        {
            "_row": pa.array(range(base.num_rows), pa.int64()),
            "_maker": pc.fill_null(pc.utf8_trim_whitespace(keys.column("manufacturer")), ""),
            "_model": pc.fill_null(pc.utf8_trim_whitespace(keys.column("model")), ""),
        }
    )
    joined = keyed.join(figures, ["_maker", "_model"], join_type="left outer").sort_by("_row")
    out = base.append_column("model_gwp_manufacture", joined.column("model_gwp_manufacture"))
    out = out.append_column("model_factor_id", joined.column("model_factor_id"))
    return out, int(pc.sum(pc.is_valid(out.column("model_gwp_manufacture"))).as_py() or 0)
