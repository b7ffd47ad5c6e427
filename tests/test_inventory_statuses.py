"""French inventory statuses: the word table, the import, the footprint and the reuse stock."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import pytest

from sobrenum.domain import Status
from sobrenum.engine import Parameters, compute
from sobrenum.inventory import load_inventory
from sobrenum.inventory.statuses import status_of, status_words
from sobrenum.referential import load
from sobrenum.reporting.indicators import undated_retired
from sobrenum.reuse import reuse_rate
from sobrenum.store import Organisation, Store, apply_import

USUAL = {
    "Réformé": Status.RETIRED,
    "RÉFORMÉE": Status.RETIRED,
    "HS": Status.RETIRED,
    "Hors service": Status.RETIRED,
    "Rebut": Status.RETIRED,
    "Au rebut": Status.RETIRED,
    "À recycler": Status.RETIRED,
    "En attente de don": Status.RETIRED,
    "À donner": Status.RETIRED,
    "Donné": Status.RETIRED,
    "Vendu": Status.RETIRED,
    "En stock": Status.IN_STOCK,
    "Stock": Status.IN_STOCK,
    "En panne": Status.IN_STOCK,
    "En réparation": Status.IN_STOCK,
    "À réformer": Status.IN_STOCK,
    "En attente": Status.IN_STOCK,
    "En service": Status.IN_USE,
    "Affecté": Status.IN_USE,
    "En prêt": Status.IN_USE,
}


@pytest.mark.parametrize(("label", "expected"), USUAL.items())
def test_usual_french_statuses(label: str, expected: Status) -> None:
    assert status_of(label) is expected


def test_unknown_or_empty_status_names_nothing() -> None:
    assert status_of("Commandé chez le fournisseur") is None
    assert status_of("") is None and status_of(None) is None
    assert len(status_words()) > 60


INVENTORY = """N° inventaire;Type de matériel;Date d'achat;Statut
P1;PC portable;01/01/2023;En service
P2;PC portable;01/01/2023;Réformé
P3;PC portable;01/01/2023;HS
P4;PC portable;01/01/2023;À recycler
P5;PC portable;01/01/2023;En attente de don
P6;PC portable;01/01/2023;En stock
P7;PC portable;01/01/2023;Rebut
"""


def write_inventory(tmp_path: Path) -> Path:
    path = tmp_path / "inventaire.csv"
    path.write_text(INVENTORY, encoding="utf-8")
    return path


def test_imported_statuses_drive_the_footprint(tmp_path: Path) -> None:
    ref = load()
    result = load_inventory(write_inventory(tmp_path), 2025, ref.default_lifetimes())
    statuses = dict(
        zip(result.fleet["asset_id"].to_pylist(), result.fleet["status"].to_pylist(), strict=True)
    )
    assert statuses == {
        "P1": "in_use",
        "P2": "retired",
        "P3": "retired",
        "P4": "retired",
        "P5": "retired",
        "P6": "in_stock",
        "P7": "retired",
    }
    assert not [w for w in result.warnings if "statut" in w.describe()]
    fp = compute(result.fleet, ref, Parameters(2025))
    # Five retired without a date: not among 2025's devices; the one in stock is.
    assert fp.device_counts().to_pylist() == [{"category": "laptop", "devices": 2}]
    assert undated_retired(result.fleet) == 5
    # The laptop in stock: 170 kgCO2e / 5 years, no electricity.
    rows = fp.devices(["P6"]).to_pylist()
    gwp = {r["phase"]: r["annual"] for r in rows if r["criterion"] == "gwp"}
    assert gwp["manufacture"] == pytest.approx(34.0)
    assert gwp["use"] == 0.0


def test_imported_statuses_feed_the_reuse_stock(
    tmp_path: Path, store: Store, organisation: Organisation
) -> None:
    path = write_inventory(tmp_path)
    result = load_inventory(path, 2024)
    apply_import(
        store,
        organisation,
        result.fleet,
        file_sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
        file_name=path.name,
        inventory_date=dt.date(2024, 12, 15),
    )
    rate = reuse_rate(store, organisation.id, 2025)
    # B = the five retired statuses (Réformé, HS, À recycler, En attente de don, Rebut).
    assert rate.retired_stock == 5
    assert rate.reused == 0 and rate.rate == 0.0
