"""The AGEC declaration: the schema's own example round-trips, our export validates with the
``frictionless`` package against data.gouv.fr's Table Schema (shipped in the package; its
example is in tests/data, see tests/data/NOTICE.md)."""

from __future__ import annotations

import hashlib
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from frictionless import Resource, Schema

from sobrenum.reuse import ReuseError
from sobrenum.reuse.agec import (
    PRODUCT_TYPES,
    SCHEMA_FILE,
    add_received_donation,
    build_declaration,
    load_grid,
    read_declaration,
    set_purchases,
    table_schema,
    warnings,
    write_declaration,
)
from sobrenum.store import Organisation, Store

EXAMPLE = Path(__file__).resolve().parent / "data" / "agec-exemple-valide.csv"
SHIPPED = Path(__file__).resolve().parents[1] / "src" / "sobrenum" / "reuse" / "data"
#: SHA-256 of schema.json v0.1.0 as published by data.gouv.fr (also in the shipped NOTICE.txt).
PUBLISHED_SHA256 = "33846cccd6c40e34cda12fe72cd38b3fd1bff50efc8adafcaec58615eb4315d2"
SIRET = "21690123100011"


def schema() -> Schema:
    # From the descriptor's content: frictionless refuses absolute paths it did not open itself.
    return Schema.from_descriptor(table_schema())


def validate(path: Path) -> tuple[bool, list[Any]]:
    report = Resource(path=path.name, basepath=str(path.parent), schema=schema()).validate()
    return report.valid, report.flatten(["rowNumber", "fieldName", "type"])


def rows(path: Path) -> list[dict[str, Any]]:
    resource: Any = Resource(path=path.name, basepath=str(path.parent), schema=schema())
    return [row.to_dict() for row in resource.read_rows()]


def test_the_shipped_schema_is_the_published_one_with_its_notice() -> None:
    data = (SHIPPED / SCHEMA_FILE).read_bytes()
    assert hashlib.sha256(data).hexdigest() == PUBLISHED_SHA256
    notice = (SHIPPED / "NOTICE.txt").read_text(encoding="utf-8")
    for words in ("Licence Ouverte", "2.0", "DINUM", "11 octobre 2024", PUBLISHED_SHA256):
        assert words in notice


def test_product_types_are_the_arretes() -> None:
    # The 17 categories of the arrêté du 29 février 2024, counted in the arrêté's list.
    assert len(PRODUCT_TYPES) == len(set(PRODUCT_TYPES)) == 17
    assert PRODUCT_TYPES[1] == "Matériel informatique et téléphonie"
    assert "Matériel de reprographie et d'impression" in PRODUCT_TYPES


def test_schema_example_round_trips(tmp_path: Path) -> None:
    example = EXAMPLE
    lines = read_declaration(example.read_text(encoding="utf-8"))
    assert len(lines) == 3
    assert lines[0].montant_total == Decimal("500.9")
    assert lines[1].commentaires == "dépense pour le chantier en cours"
    written = tmp_path / "declaration.csv"
    written.write_text(write_declaration(lines), encoding="utf-8")
    valid, errors = validate(written)
    assert valid, errors
    assert rows(written) == rows(example)
    # The example is valid for the schema yet inconsistent (parts above the total): we say so.
    assert any("dépassent le montant total" in w for w in warnings(lines))


def test_export_from_the_register_validates(
    store: Store, organisation: Organisation, tmp_path: Path
) -> None:
    org = organisation.id
    set_purchases(
        store,
        org,
        year=2025,
        product_type="Matériel informatique et téléphonie",
        amount_total=120_000,
        amount_reuse=18_000.5,
        amount_recycled=1_200,
        comments='=HYPERLINK("http://exemple")',
    )
    set_purchases(
        store, org, year=2025, product_type="papier", amount_total=9_000, amount_recycled=4_500
    )
    add_received_donation(store, org, year=2025, grid_item="Ordinateur portable", quantity=4)
    grid = tmp_path / "grille.csv"
    grid.write_text(
        "article;type_produit_acquis;valeur_unitaire_eur\n"
        "Ordinateur portable;Matériel informatique et téléphonie;150\n",
        encoding="utf-8",
    )
    with pytest.raises(ReuseError, match="grille de valeur forfaitaire"):
        build_declaration(store, org, year=2025, siret=SIRET, name=organisation.name)
    lines = build_declaration(
        store, org, year=2025, siret=SIRET, name=organisation.name, grid=load_grid(grid)
    )
    it = next(line for line in lines if line.type_produit_acquis.startswith("Matériel info"))
    assert it.montant_produits_issus_don == Decimal("600.00")
    # (18 000,50 + 600 + 1 200) / 120 000 = 16,5 %, below the 20 % floor of 2025.
    assert it.share == pytest.approx(16.50041666, rel=1e-6)
    assert it.target == 20.0
    path = tmp_path / "agec-2025.csv"
    path.write_text(write_declaration(lines), encoding="utf-8")
    valid, errors = validate(path)
    assert valid, errors
    exported = rows(path)
    assert [r["type_produit_acquis"] for r in exported] == [
        "Matériel informatique et téléphonie",
        "Papier",
    ]
    assert exported[0]["commentaires"].startswith("'=")  # formula neutralised
    assert exported[0]["siret"] == SIRET


def test_bad_input_gives_french_errors(store: Store, organisation: Organisation) -> None:
    with pytest.raises(ReuseError, match="SIRET invalide"):
        build_declaration(store, organisation.id, year=2025, siret="123", name="X")
    with pytest.raises(ReuseError, match="clé de contrôle"):
        build_declaration(store, organisation.id, year=2025, siret="21690123100012", name="X")
    with pytest.raises(ReuseError, match="dépassent le total"):
        set_purchases(
            store,
            organisation.id,
            year=2025,
            product_type="Papier",
            amount_total=10,
            amount_reuse=8,
            amount_recycled=5,
        )
    with pytest.raises(ReuseError, match="Ligne 2, colonne « type_produit_acquis »"):
        read_declaration(
            "annee,siret,raison_sociale,type_produit_acquis,montant_total,"
            "montant_reemploi_et_reutilisation,montant_produits_issus_don,"
            "montant_produits_recycles,commentaires\n"
            "2024,13002526500013,DINUM,Ordinateurs,1,0,0,0,\n"
        )
