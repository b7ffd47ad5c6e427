"""docs/validation.md holds exactly the table that scripts/validation_table.py prints."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
START = "<!-- début du tableau généré par scripts/validation_table.py -->\n"
END = "<!-- fin du tableau généré -->"


def test_the_validation_table_is_the_scripts_output() -> None:
    spec = importlib.util.spec_from_file_location(
        "validation_table", ROOT / "scripts" / "validation_table.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    doc = (ROOT / "docs" / "validation.md").read_text(encoding="utf-8")
    shown = doc.split(START, 1)[1].split(END, 1)[0]
    assert shown == module.table(), "rerun: python scripts/validation_table.py"


def test_every_category_has_references_or_says_why() -> None:
    doc = (ROOT / "docs" / "validation.md").read_text(encoding="utf-8")
    table = doc.split(START, 1)[1].split(END, 1)[0].splitlines()[2:]
    for line in table:
        cells = [c.strip() for c in line.strip("|").split("|")]
        references = [c for c in cells[5:9] if c != "—"]
        if cells[0].startswith("Commutateur"):
            assert "Aucune référence publique exploitable" in doc
        else:
            assert len(references) >= 2, cells[0]
