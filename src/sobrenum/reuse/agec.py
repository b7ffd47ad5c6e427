"""AGEC purchases (loi n° 2020-105 art. 58, décret n° 2024-134) and their yearly declaration.

The declaration is a CSV file following the data.gouv.fr Table Schema
``schema-declaration-biens-reemploi-reutilisation-recycle`` v0.1.0 (Licence Ouverte Etalab
2.0, shipped in ``sobrenum/reuse/data`` with its notice; columns and product types are read
from it): one line per year and product type, with the total spending HT, the part from reuse
or re-utilisation, the donations received valued with the official flat-value grid (arrêté du
29 février 2024) and the part with recycled content.

Amounts are :class:`~decimal.Decimal` so that a file read and written again keeps its figures
exactly. The flat-value grid is a CSV the user fills from the arrêté (see
docs/reemploi.md): ``article;type_produit_acquis;valeur_unitaire_eur``.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from importlib import resources
from pathlib import Path
from typing import Any

from sqlalchemy import select
from stdnum.fr import siret as stdnum_siret

from sobrenum.reuse.errors import ReuseError
from sobrenum.reuse.vocabulary import AGEC_IT_PRODUCT_TYPE, agec_it_target
from sobrenum.store import Store, default_actor, record_event
from sobrenum.store.reuse_tables import AgecDonation, AgecPurchase

SCHEMA_FILE = "agec-declaration.schema.json"
"""The schema as published (package data ``sobrenum/reuse/data``, notice beside it)."""


def table_schema() -> dict[str, Any]:
    """The Table Schema descriptor shipped with sobrenum: the declaration follows it."""
    text = (resources.files("sobrenum.reuse") / "data" / SCHEMA_FILE).read_text("utf-8")
    descriptor: dict[str, Any] = json.loads(text)
    return descriptor


_SCHEMA = table_schema()
_FIELDS: list[dict[str, Any]] = _SCHEMA["fields"]

SCHEMA_NAME: str = _SCHEMA["name"]
"""``schema-declaration-biens-reemploi-reutilisation-recycle``."""
SCHEMA_VERSION: str = _SCHEMA["version"]

COLUMNS: tuple[str, ...] = tuple(f["name"] for f in _FIELDS)
"""The schema's columns, in its order."""

PRODUCT_TYPES: tuple[str, ...] = tuple(
    next(f for f in _FIELDS if f["name"] == "type_produit_acquis")["constraints"]["enum"]
)
"""The product types of the schema's ``type_produit_acquis`` (arrêté du 29 février 2024)."""

GRID_FILE_NAME = "grille-dons-agec.csv"
"""Name of the flat-value grid in the data folder (used when no file is given)."""


@dataclass(frozen=True)
class AgecLine:
    """One line of the declaration (field names are the schema's)."""

    annee: int
    siret: str
    raison_sociale: str
    type_produit_acquis: str
    montant_total: Decimal
    montant_reemploi_et_reutilisation: Decimal
    montant_produits_issus_don: Decimal
    montant_produits_recycles: Decimal
    commentaires: str | None = None

    @property
    def share(self) -> float | None:
        """Share of the spending from reuse, donations or recycled content, in %."""
        if self.montant_total <= 0:
            return None
        counted = (
            self.montant_reemploi_et_reutilisation
            + self.montant_produits_issus_don
            + self.montant_produits_recycles
        )
        return float(counted / self.montant_total * 100)

    @property
    def target(self) -> float | None:
        """The legal floor for IT (20 % 2024, 25 % 2027, 30 % 2030); None otherwise."""
        if self.type_produit_acquis != AGEC_IT_PRODUCT_TYPE:
            return None
        return agec_it_target(self.annee)


def check_siret(value: str) -> str:
    siret = "".join(value.split())
    if len(siret) != 14 or not siret.isdigit():
        raise ReuseError(f"SIRET invalide « {value} » : il faut 14 chiffres.")
    if not stdnum_siret.is_valid(siret):  # Luhn key, La Poste's establishments apart
        raise ReuseError(
            f"SIRET invalide « {value} » : la clé de contrôle ne correspond pas "
            "(vérifiez-le sur annuaire-entreprises.data.gouv.fr)."
        )
    return siret


def _amount(value: str, line: int, column: str) -> Decimal:
    text = value.strip().replace("\u202f", "").replace(" ", "")
    if text.count(",") == 1 and "." not in text:
        text = text.replace(",", ".")
    try:
        amount = Decimal(text)
    except InvalidOperation as exc:
        raise ReuseError(
            f"Ligne {line}, colonne « {column} » : montant invalide « {value} »."
        ) from exc
    if not amount.is_finite() or amount < 0:
        raise ReuseError(f"Ligne {line}, colonne « {column} » : montant négatif ou invalide.")
    return amount


def read_declaration(text: str) -> list[AgecLine]:
    """Read a declaration CSV (the schema's columns). French errors name the line and field."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = tuple(reader.fieldnames or ())
    missing = [c for c in COLUMNS if c != "commentaires" and c not in header]
    if missing:
        raise ReuseError(f"Colonnes manquantes dans la déclaration AGEC : {', '.join(missing)}.")
    lines: list[AgecLine] = []
    for number, row in enumerate(reader, start=2):
        year_text = (row.get("annee") or "").strip()
        if not (len(year_text) == 4 and year_text.isdigit()):
            raise ReuseError(f"Ligne {number}, colonne « annee » : année invalide « {year_text} ».")
        siret = (row.get("siret") or "").strip()
        if len(siret) != 14 or not siret.isdigit():
            raise ReuseError(f"Ligne {number}, colonne « siret » : 14 chiffres attendus.")
        name = (row.get("raison_sociale") or "").strip()
        if not name:
            raise ReuseError(f"Ligne {number}, colonne « raison_sociale » : valeur obligatoire.")
        product = (row.get("type_produit_acquis") or "").strip()
        if product not in PRODUCT_TYPES:
            raise ReuseError(
                f"Ligne {number}, colonne « type_produit_acquis » : « {product} » n'est pas "
                "une catégorie de produits du schéma."
            )
        lines.append(
            AgecLine(
                annee=int(year_text),
                siret=siret,
                raison_sociale=name,
                type_produit_acquis=product,
                montant_total=_amount(row.get("montant_total") or "", number, "montant_total"),
                montant_reemploi_et_reutilisation=_amount(
                    row.get("montant_reemploi_et_reutilisation") or "",
                    number,
                    "montant_reemploi_et_reutilisation",
                ),
                montant_produits_issus_don=_amount(
                    row.get("montant_produits_issus_don") or "",
                    number,
                    "montant_produits_issus_don",
                ),
                montant_produits_recycles=_amount(
                    row.get("montant_produits_recycles") or "", number, "montant_produits_recycles"
                ),
                commentaires=(row.get("commentaires") or "").strip() or None,
            )
        )
    return lines


def _text_cell(value: str) -> str:
    # Formula injection: the schema's fields are free text; a leading sign would run in a
    # spreadsheet. Names starting so are extremely rare; an apostrophe neutralises them.
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value


def write_declaration(lines: Iterable[AgecLine]) -> str:
    """The declaration as CSV text (UTF-8, comma-separated, the schema's column order)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for line in lines:
        writer.writerow(
            [
                str(line.annee),
                line.siret,
                _text_cell(line.raison_sociale),
                line.type_produit_acquis,
                str(line.montant_total),
                str(line.montant_reemploi_et_reutilisation),
                str(line.montant_produits_issus_don),
                str(line.montant_produits_recycles),
                _text_cell(line.commentaires or ""),
            ]
        )
    return out.getvalue()


def warnings(lines: Sequence[AgecLine]) -> list[str]:
    """Inconsistencies worth a look before publishing (the schema itself allows them)."""
    found: list[str] = []
    for line in lines:
        parts = line.montant_reemploi_et_reutilisation + line.montant_produits_recycles
        if parts > line.montant_total:
            found.append(
                f"{line.annee}, {line.type_produit_acquis} : réemploi + recyclé ({parts} €) "
                f"dépassent le montant total ({line.montant_total} €)."
            )
    return found


# --- Flat-value grid ---------------------------------------------------------------------


@dataclass(frozen=True)
class GridEntry:
    article: str
    product_type: str
    unit_value: Decimal


def load_grid(path: Path) -> dict[str, GridEntry]:
    """The flat-value grid (arrêté du 29 février 2024) as filled by the user."""
    if not path.is_file():
        raise ReuseError(
            f"Grille de valeur forfaitaire introuvable : {path}. Remplissez le modèle "
            "(voir docs/reemploi.md, « Grille des dons ») avec les valeurs de l'arrêté du "
            "29 février 2024."
        )
    text = path.read_text(encoding="utf-8-sig")
    dialect = csv.Sniffer().sniff(text.splitlines()[0], delimiters=";,")
    grid: dict[str, GridEntry] = {}
    for number, row in enumerate(csv.DictReader(io.StringIO(text), dialect=dialect), start=2):
        article = (row.get("article") or "").strip()
        product = (row.get("type_produit_acquis") or "").strip()
        value = (row.get("valeur_unitaire_eur") or "").strip()
        if not article:
            continue
        if product not in PRODUCT_TYPES:
            raise ReuseError(
                f"{path.name}, ligne {number} : type de produit « {product} » inconnu du schéma."
            )
        if not value:
            raise ReuseError(
                f"{path.name}, ligne {number} : valeur unitaire manquante pour « {article} » "
                "(à reporter depuis l'arrêté du 29 février 2024)."
            )
        grid[article.lower()] = GridEntry(article, product, _amount(value, number, "valeur"))
    return grid


# --- Purchases and received donations in the store ---------------------------------------


def _product_type(value: str) -> str:
    cleaned = value.strip()
    for known in PRODUCT_TYPES:
        if cleaned.lower() == known.lower():
            return known
    if cleaned.lower() in ("informatique", "it", "matériel informatique"):
        return AGEC_IT_PRODUCT_TYPE
    raise ReuseError(
        f"Type de produit « {value} » inconnu : choisissez une catégorie du schéma AGEC, "
        f"par exemple « {AGEC_IT_PRODUCT_TYPE} »."
    )


def set_purchases(
    store: Store,
    organisation_id: int,
    *,
    year: int,
    product_type: str,
    amount_total: Decimal | float,
    amount_reuse: Decimal | float = 0,
    amount_recycled: Decimal | float = 0,
    comments: str | None = None,
    actor: str | None = None,
) -> AgecPurchase:
    """Record (or replace) one year's spending HT on one product type."""
    product = _product_type(product_type)
    total, reuse, recycled = (
        Decimal(str(v)) for v in (amount_total, amount_reuse, amount_recycled)
    )
    if min(total, reuse, recycled) < 0:
        raise ReuseError("Les montants ne peuvent pas être négatifs.")
    if reuse + recycled > total:
        raise ReuseError(
            f"Réemploi ({reuse} €) + recyclé ({recycled} €) dépassent le total des dépenses "
            f"({total} €) : vérifiez les montants."
        )
    actor = actor or default_actor()
    with store.write_transaction() as session:
        row = session.scalar(
            select(AgecPurchase).where(
                AgecPurchase.organisation_id == organisation_id,
                AgecPurchase.year == year,
                AgecPurchase.product_type == product,
            )
        )
        if row is None:
            row = AgecPurchase(organisation_id=organisation_id, year=year, product_type=product)
            session.add(row)
        row.amount_total = float(total)
        row.amount_reuse = float(reuse)
        row.amount_recycled = float(recycled)
        row.comments = (comments or "").strip() or None
        row.updated_by = actor
        session.flush()
        record_event(
            session,
            "reuse.agec.purchases",
            actor=actor,
            organisation_id=organisation_id,
            details={
                "year": year,
                "product_type": product,
                "total": str(total),
                "reuse": str(reuse),
                "recycled": str(recycled),
            },
        )
        return row


def add_received_donation(
    store: Store,
    organisation_id: int,
    *,
    year: int,
    grid_item: str,
    quantity: int,
    description: str | None = None,
    actor: str | None = None,
) -> AgecDonation:
    """Record goods received as a donation (valued at export with the grid)."""
    if quantity < 1:
        raise ReuseError("La quantité reçue doit être au moins 1.")
    if not grid_item.strip():
        raise ReuseError("Article de la grille manquant.")
    actor = actor or default_actor()
    with store.transaction() as session:
        row = AgecDonation(
            organisation_id=organisation_id,
            year=year,
            grid_item=grid_item.strip(),
            quantity=quantity,
            description=(description or "").strip() or None,
            created_by=actor,
        )
        session.add(row)
        session.flush()
        record_event(
            session,
            "reuse.agec.donation",
            actor=actor,
            organisation_id=organisation_id,
            details={"year": year, "grid_item": row.grid_item, "quantity": quantity},
        )
        return row


def _money(value: float | Decimal) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


def build_declaration(
    store: Store,
    organisation_id: int,
    *,
    year: int,
    siret: str,
    name: str,
    grid: dict[str, GridEntry] | None = None,
) -> list[AgecLine]:
    """The declaration lines of one year, from the recorded purchases and donations."""
    siret = check_siret(siret)
    with store.transaction() as session:
        purchases = session.scalars(
            select(AgecPurchase).where(
                AgecPurchase.organisation_id == organisation_id, AgecPurchase.year == year
            )
        ).all()
        received = session.scalars(
            select(AgecDonation).where(
                AgecDonation.organisation_id == organisation_id, AgecDonation.year == year
            )
        ).all()
    donated: dict[str, Decimal] = {}
    if received:
        if grid is None:
            raise ReuseError(
                f"{len(received)} don(s) reçu(s) en {year} : il faut la grille de valeur "
                "forfaitaire (arrêté du 29 février 2024) pour les comptabiliser "
                f"(option --grille, ou fichier {GRID_FILE_NAME} dans le dossier de données)."
            )
        unknown = sorted({d.grid_item for d in received if d.grid_item.lower() not in grid})
        if unknown:
            raise ReuseError(
                "Articles absents de la grille de valeur forfaitaire : " + ", ".join(unknown) + "."
            )
        for d in received:
            entry = grid[d.grid_item.lower()]
            donated[entry.product_type] = (
                donated.get(entry.product_type, Decimal(0)) + entry.unit_value * d.quantity
            )
    by_type = {p.product_type: p for p in purchases}
    lines: list[AgecLine] = []
    for product in PRODUCT_TYPES:
        purchase = by_type.get(product)
        if purchase is None and product not in donated:
            continue
        lines.append(
            AgecLine(
                annee=year,
                siret=siret,
                raison_sociale=name,
                type_produit_acquis=product,
                montant_total=_money(purchase.amount_total if purchase else 0),
                montant_reemploi_et_reutilisation=_money(purchase.amount_reuse if purchase else 0),
                montant_produits_issus_don=_money(donated.get(product, 0)),
                montant_produits_recycles=_money(purchase.amount_recycled if purchase else 0),
                commentaires=purchase.comments if purchase else None,
            )
        )
    if not lines:
        raise ReuseError(
            f"Aucun achat ni don enregistré pour {year} : rien à déclarer "
            "(commande `sobrenum reemploi achats`)."
        )
    return lines
