"""Model matching against product carbon footprints in Boavizta's format.

tests/data/boavizta-pcf-fictif.csv has the columns of Boavizta's environmental-footprint-data
with a few real product names and invented figures (the dataset itself, ODbL, is not copied).
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from sobrenum.domain.errors import InvalidDataError
from sobrenum.inventory.models import (
    CAVEATS_FR,
    load_pcf_dataset,
    match_models,
    normalise_manufacturer,
)

BOAVIZTA = Path(__file__).resolve().parent / "data" / "boavizta-pcf-fictif.csv"


@pytest.fixture(scope="module")
def dataset():  # type: ignore[no-untyped-def]
    return load_pcf_dataset(BOAVIZTA)


def test_fleet_models_match_the_right_products(dataset) -> None:  # type: ignore[no-untyped-def]
    fleet = pa.table(
        {
            "manufacturer": ["HP", "Dell Inc.", "Dell Inc.", "Hewlett-Packard", "Acme", "DELL"],
            "model": [
                "HP EliteBook 840 G8 Notebook PC",
                "Latitude 5420",
                "Latitude 5420",  # same pair twice: matched once
                "EliteBook 840 G8",
                "Frobnicator 9000 XT",
                "Latitude",
            ],
        }
    )
    result = match_models(fleet, dataset)
    rows = {(r["manufacturer"], r["model"]): r for r in result.table.to_pylist()}
    assert len(rows) == result.table.num_rows == 5

    hp = rows[("HP", "HP EliteBook 840 G8 Notebook PC")]
    assert hp["matched_manufacturer"] == "HP"
    assert hp["matched_name"] == "EliteBook 840 Aero G8 Notebook PC"
    assert hp["confidence"] >= 90
    assert hp["gwp_total"] == 320.0
    assert hp["runner_up"] == "EliteBook 845 G8 Notebook PC"  # the neighbour is shown, lower
    assert hp["runner_up_confidence"] < hp["confidence"] - 10
    assert rows[("Hewlett-Packard", "EliteBook 840 G8")]["matched_name"] == hp["matched_name"]

    dell = rows[("Dell Inc.", "Latitude 5420")]
    assert dell["matched_name"] == "Latitude 5420"
    assert dell["confidence"] == 100.0
    assert dell["gwp_total"] == 480.0
    assert dell["lifetime"] == 4.0 and dell["use_location"] == "EU"
    assert dell["gwp_manufacturing_ratio"] == 0.85
    assert dell["gwp_manufacturing"] == pytest.approx(480.0 * 0.85)
    assert "durée de vie supposée 4 ans" in dell["note"]

    for nonsense in (("Acme", "Frobnicator 9000 XT"), ("DELL", "Latitude")):
        row = rows[nonsense]
        assert row["matched_name"] is None and row["gwp_total"] is None
        assert row["confidence"] < result.min_confidence
        assert "moyenne de la catégorie" in row["note"]
    assert result.matched.num_rows == 3


def test_a_close_model_number_is_not_taken(dataset) -> None:  # type: ignore[no-untyped-def]
    result = match_models([("Dell", "Latitude 5429")], dataset)
    assert result.table.column("matched_name").to_pylist() == [None]


def test_caveats_are_stated_in_french() -> None:
    text = " ".join(CAVEATS_FR)
    for words in ("incertitude", "gwp_error_ratio", "durée de vie", "lieu d'usage", "ODbL"):
        assert words in text


def test_manufacturer_names() -> None:
    assert normalise_manufacturer("Dell Inc.") == "dell"
    assert normalise_manufacturer("Hewlett-Packard") == "hp"
    assert normalise_manufacturer("LENOVO") == "lenovo"


def test_bad_dataset_rows_are_named(tmp_path: Path) -> None:
    path = tmp_path / "pcf.csv"
    path.write_text(
        "manufacturer,name,gwp_total,lifetime\nDell,Latitude 5420,364,4\nHP,Elite,beaucoup,4\n",
        encoding="utf-8",
    )
    with pytest.raises(InvalidDataError) as err:
        load_pcf_dataset(path)
    assert err.value.issues[0].line == 3
    assert err.value.issues[0].column == "gwp_total"
    other = tmp_path / "autre.csv"
    other.write_text("marque,modele\nDell,5420\n", encoding="utf-8")
    with pytest.raises(InvalidDataError, match="format des empreintes produit de Boavizta"):
        load_pcf_dataset(other)
