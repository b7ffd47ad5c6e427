"""Which column of the user's table holds which field of the canonical equipment schema.

Headers are matched against a synonym table (``data/header_synonyms.json``, French and
English, GLPI's French column names included) after folding case, accents, punctuation and
any text in parentheses; what no synonym names exactly is matched approximately with
rapidfuzz. The result is a :class:`MappingProposal` a user can review and correct (each
column with its confidence and first values), then freeze as a :class:`ColumnMapping` and
save as a named profile to reuse next year.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from importlib import resources
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
from rapidfuzz import fuzz, process

from sobrenum.domain.equipment import FIELDS, FIELDS_BY_CODE, REQUIRED_FIELDS
from sobrenum.domain.errors import InvalidDataError
from sobrenum.inventory.source import SourceTable

#: Fields that are not in the fleet schema but help to build it: a device name or serial
#: number stands in for a missing asset id, an entity for a missing department, a free
#: designation ("412 ordinateurs portables, achat moyen 2021") for a missing category.
AUXILIARY_FIELDS: dict[str, str] = {
    "name": "Nom de l'équipement",
    "serial": "Numéro de série",
    "entity": "Entité",
    "designation": "Désignation",
}

#: Confidence below which a proposal is shown as uncertain to the user.
CONFIDENT = 0.85
_FUZZY_CUTOFF = 84.0
_PROFILE_VERSION = 1

_PARENS = re.compile(r"\([^)]*\)|\[[^\]]*\]")
_NUMERO = re.compile(r"\b(n|no|num|nr)\s*[°º]\s*|\bn°|\bnº")
_NON_WORD = re.compile(r"[^0-9a-z]+")


def fold(text: str) -> str:
    """Lower case, no accents, punctuation as single spaces: ``"N° d'Inventaire"`` → ``"n d inventaire"``."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    bare = bare.replace("œ", "oe").replace("æ", "ae")
    return _NON_WORD.sub(" ", bare).strip()


def normalise_header(header: str) -> str:
    """The form headers are compared in: folded, "N°" spelled "numero", parentheses dropped."""
    text = _PARENS.sub(" ", header.casefold())
    text = _NUMERO.sub(" numero ", text)
    return fold(text)


def _field_label(code: str) -> str:
    if code in FIELDS_BY_CODE:
        return FIELDS_BY_CODE[code].label_fr
    return AUXILIARY_FIELDS.get(code, code)


@lru_cache(maxsize=1)
def _builtin_synonyms() -> dict[str, tuple[str, ...]]:
    raw = (
        resources.files("sobrenum.inventory")
        .joinpath("data/header_synonyms.json")
        .read_text(encoding="utf-8")
    )
    data: dict[str, object] = json.loads(raw)
    table: dict[str, tuple[str, ...]] = {}
    for code, labels in data.items():
        if code.startswith("_"):
            continue
        if code not in FIELDS_BY_CODE and code not in AUXILIARY_FIELDS:
            raise ValueError(f"header_synonyms.json: unknown field {code!r}")
        assert isinstance(labels, list)
        table[code] = tuple(str(label) for label in labels)
    return table


_EXTRA_SYNONYMS: dict[str, list[str]] = {}


def register_header_synonyms(code: str, labels: Iterable[str]) -> None:
    """Add header synonyms for a field at run time (e.g. from another reader's module)."""
    if code not in FIELDS_BY_CODE and code not in AUXILIARY_FIELDS:
        raise ValueError(f"unknown field {code!r}")
    _EXTRA_SYNONYMS.setdefault(code, []).extend(labels)
    _synonym_index.cache_clear()


def header_synonyms() -> dict[str, tuple[str, ...]]:
    """Every known header per field: the data file, run-time additions, the schema's labels."""
    table = {code: list(labels) for code, labels in _builtin_synonyms().items()}
    for code, labels in _EXTRA_SYNONYMS.items():
        table.setdefault(code, []).extend(labels)
    for f in FIELDS:
        table.setdefault(f.code, []).extend([f.code, f.label_fr, f.label_en])
    return {code: tuple(labels) for code, labels in table.items()}


@lru_cache(maxsize=1)
def _synonym_index() -> dict[str, str]:
    """Normalised synonym → field code (the first field listing a synonym keeps it)."""
    index: dict[str, str] = {}
    for code, labels in header_synonyms().items():
        for label in labels:
            index.setdefault(normalise_header(label), code)
    index.pop("", None)
    return index


def match_header(header: str) -> tuple[str | None, float, str]:
    """The field a header names, with a confidence in [0, 1] and how it was found."""
    norm = normalise_header(header)
    if not norm:
        return None, 0.0, "aucun"
    index = _synonym_index()
    if norm in index:
        return index[norm], 1.0, "synonyme"
    best = process.extractOne(
        norm, list(index), scorer=fuzz.token_sort_ratio, score_cutoff=_FUZZY_CUTOFF
    )
    if best is None:
        return None, 0.0, "aucun"
    return index[best[0]], round(float(best[1]) / 100 * 0.95, 2), "approché"


def header_score(header: str) -> float:
    """How much ``header`` looks like an inventory column header (used to find the table)."""
    return match_header(header)[1]


@dataclass(frozen=True)
class ColumnMapping:
    """A frozen mapping: source header → field code, plus the user's own category labels.

    ``category_labels`` maps labels the recognizer did not know (as the user typed them) to
    category codes; it is saved with the profile so that next year's file needs no question.
    """

    columns: dict[str, str]
    category_labels: dict[str, str] = field(default_factory=dict)
    name: str | None = None

    def source_for(self, code: str) -> str | None:
        for source, target in self.columns.items():
            if target == code:
                return source
        return None

    def to_json(self) -> dict[str, object]:
        return {
            "version": _PROFILE_VERSION,
            "name": self.name,
            "columns": dict(self.columns),
            "category_labels": dict(self.category_labels),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> ColumnMapping:
        columns = data.get("columns", {})
        labels = data.get("category_labels", {})
        name = data.get("name")
        if not isinstance(columns, dict) or not isinstance(labels, dict):
            raise InvalidDataError("Profil de correspondance illisible : format inattendu.")
        for target in columns.values():
            if target not in FIELDS_BY_CODE and target not in AUXILIARY_FIELDS:
                raise InvalidDataError(
                    f"Profil de correspondance illisible : champ inconnu « {target} »."
                )
        return cls(
            columns={str(k): str(v) for k, v in columns.items()},
            category_labels={str(k): str(v) for k, v in labels.items()},
            name=str(name) if name else None,
        )


@dataclass(frozen=True)
class ColumnMatch:
    """One column of the preview: where it goes, how sure we are, what it holds."""

    source: str
    field: str | None
    confidence: float
    method: str
    samples: tuple[str, ...] = ()

    @property
    def field_label(self) -> str | None:
        return _field_label(self.field) if self.field else None


@dataclass(frozen=True)
class MappingProposal:
    """The proposed mapping of a source table, for a user to review and correct."""

    matches: tuple[ColumnMatch, ...]
    category_labels: dict[str, str] = field(default_factory=dict)
    name: str | None = None

    @property
    def mapping(self) -> ColumnMapping:
        return ColumnMapping(
            columns={m.source: m.field for m in self.matches if m.field},
            category_labels=dict(self.category_labels),
            name=self.name,
        )

    @property
    def missing_required(self) -> list[str]:
        """Required fields no column provides (the asset id can be generated, so not it)."""
        mapped = {m.field for m in self.matches}
        return [code for code in REQUIRED_FIELDS if code not in mapped and code != "asset_id"]

    @property
    def uncertain(self) -> list[ColumnMatch]:
        return [m for m in self.matches if m.field and m.confidence < CONFIDENT]

    def assign(self, source: str, code: str | None) -> MappingProposal:
        """The proposal with ``source`` mapped to ``code`` (None: ignore the column).

        A field belongs to one column: the column that held it before loses it.
        """
        if code is not None and code not in FIELDS_BY_CODE and code not in AUXILIARY_FIELDS:
            raise InvalidDataError(f"Champ inconnu « {code} » : choisissez un champ du schéma.")
        if source not in {m.source for m in self.matches}:
            raise InvalidDataError(f"Colonne « {source} » absente du fichier.")
        matches = []
        for m in self.matches:
            if m.source == source:
                matches.append(replace(m, field=code, confidence=1.0, method="utilisateur"))
            elif code is not None and m.field == code:
                matches.append(replace(m, field=None, confidence=0.0, method="aucun"))
            else:
                matches.append(m)
        return replace(self, matches=tuple(matches))

    def with_category_labels(self, labels: Mapping[str, str]) -> MappingProposal:
        return replace(self, category_labels={**self.category_labels, **labels})

    def describe(self) -> list[str]:
        """One French line per column, for a terminal or a log."""
        lines = []
        for m in self.matches:
            samples = ", ".join(m.samples[:3])
            if m.field:
                lines.append(
                    f"« {m.source} » → {m.field_label} ({m.field}), "
                    f"confiance {m.confidence:.0%} [{m.method}] : {samples}"
                )
            else:
                lines.append(f"« {m.source} » → ignorée : {samples}")
        return lines


def _samples(source: SourceTable, header: str, n: int = 5) -> tuple[str, ...]:
    column = source.table[header]
    head = column.slice(0, 200)
    out: list[str] = []
    for value in head.to_pylist():
        if value is None:
            continue
        text = str(value).strip()
        if text and text not in out:
            out.append(text)
        if len(out) >= n:
            break
    return tuple(out)


def propose_mapping(source: SourceTable, profile: ColumnMapping | None = None) -> MappingProposal:
    """Propose where each column of ``source`` goes; a profile's choices come first.

    Each field goes to one column at most: when two headers name the same field, the more
    confident match keeps it (the earlier column on a tie) and the other is left unmapped.
    """
    candidates: list[ColumnMatch] = []
    profile_by_norm: dict[str, str] = {}
    if profile is not None:
        profile_by_norm = {normalise_header(k): v for k, v in profile.columns.items()}
    for header in source.headers:
        samples = _samples(source, header)
        if profile is not None and header in profile.columns:
            candidates.append(ColumnMatch(header, profile.columns[header], 1.0, "profil", samples))
            continue
        if profile is not None and normalise_header(header) in profile_by_norm:
            code = profile_by_norm[normalise_header(header)]
            candidates.append(ColumnMatch(header, code, 0.98, "profil", samples))
            continue
        found, confidence, method = match_header(header)
        candidates.append(ColumnMatch(header, found, confidence, method, samples))

    if not any(c.field == "category" for c in candidates):
        candidates = _guess_category_from_values(source, candidates)

    owner: dict[str, int] = {}
    for i, c in enumerate(candidates):
        if c.field is None:
            continue
        j = owner.get(c.field)
        if j is None or c.confidence > candidates[j].confidence:
            owner[c.field] = i
    matches = tuple(
        c
        if c.field is None or owner.get(c.field) == i
        else replace(c, field=None, method="doublon")
        for i, c in enumerate(candidates)
    )
    return MappingProposal(
        matches=matches,
        category_labels=dict(profile.category_labels) if profile else {},
        name=profile.name if profile else None,
    )


def _guess_category_from_values(
    source: SourceTable, candidates: list[ColumnMatch]
) -> list[ColumnMatch]:
    """No header names the category: take the unmapped text column whose values are types."""
    from sobrenum.inventory.categories import recognise_category

    best: tuple[float, int] | None = None
    for i, c in enumerate(candidates):
        if c.field is not None:
            continue
        column = source.table[c.source]
        if not pa.types.is_string(column.type) and not pa.types.is_large_string(column.type):
            continue
        distinct = pc.unique(column.slice(0, 2000)).drop_null().to_pylist()[:200]
        if not distinct:
            continue
        recognised = sum(1 for v in distinct if recognise_category(str(v)).category)
        share = recognised / len(distinct)
        if share >= 0.6 and (best is None or share > best[0]):
            best = (share, i)
    if best is None:
        return candidates
    share, i = best
    out = list(candidates)
    out[i] = replace(out[i], field="category", confidence=round(0.7 * share, 2), method="valeurs")
    return out


detect_mapping = propose_mapping


# --- Profiles ---------------------------------------------------------------------------

_SLUG = re.compile(r"[^a-z0-9]+")


def _profile_path(folder: Path, name: str) -> Path:
    slug = _SLUG.sub("-", fold(name)).strip("-")
    if not slug:
        raise InvalidDataError(f"Nom de profil invalide : « {name} ».")
    return folder / f"{slug}.json"


def save_profile(folder: Path, name: str, mapping: ColumnMapping | MappingProposal) -> Path:
    """Save ``mapping`` as the profile ``name`` in ``folder`` (created if needed); its path."""
    frozen = mapping.mapping if isinstance(mapping, MappingProposal) else mapping
    frozen = replace(frozen, name=name)
    folder.mkdir(parents=True, exist_ok=True)
    path = _profile_path(folder, name)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(frozen.to_json(), ensure_ascii=False, indent=2), encoding="utf-8")
    tmp.replace(path)
    return path


def load_profile(folder_or_file: Path, name: str | None = None) -> ColumnMapping:
    """Load a profile by name from a folder, or from a profile file's path."""
    path = folder_or_file if name is None else _profile_path(folder_or_file, name)
    if not path.is_file():
        raise InvalidDataError(
            f"Profil de correspondance « {name or path.stem} » introuvable ({path})."
        )
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidDataError(
            f"Profil de correspondance illisible ({path.name}) : {exc}."
        ) from exc
    if not isinstance(data, dict):
        raise InvalidDataError(f"Profil de correspondance illisible ({path.name}).")
    return ColumnMapping.from_json(data)


def list_profiles(folder: Path) -> list[str]:
    """Names of the profiles saved in ``folder``."""
    if not folder.is_dir():
        return []
    names = []
    for path in sorted(folder.glob("*.json")):
        try:
            names.append(load_profile(path).name or path.stem)
        except InvalidDataError:
            continue
    return names
