"""``sobrenum --help`` starts fast: no heavy module is imported before a command runs (the
figures are in benchmarks/cli_start.py and benchmarks/RESULTS.md)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

HEAVY = (
    "pyarrow",
    "numpy",
    "ibis",
    "duckdb",
    "sqlalchemy",
    "alembic",
    "weasyprint",
    "fastapi",
    "uvicorn",
    "altair",
    "jinja2",
    "rapidfuzz",
    "httpx",
    "pandas",
)

PROBE = """
import json, sys
from sobrenum.cli.main import app
try:
    app(sys.argv[1:])
except SystemExit:
    pass
print(json.dumps(sorted(sys.modules)))
"""


def modules_after(*args: str) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args], capture_output=True, text=True, check=True
    )
    return {name.split(".")[0] for name in json.loads(done.stdout.splitlines()[-1])}


def test_help_imports_no_heavy_module() -> None:
    for args in (["--help"], ["reemploi", "--help"], ["empreinte", "--help"]):
        loaded = modules_after(*args)
        assert not loaded & set(HEAVY), (args, sorted(loaded & set(HEAVY)))


def test_help_constants_match_the_modules_they_stand_for() -> None:
    from sobrenum.cli import commands_footprint, commands_import, commands_reuse
    from sobrenum.inventory.glpi import GLPI_ITEMTYPES
    from sobrenum.inventory.models import DEFAULT_MIN_CONFIDENCE
    from sobrenum.reuse.agec import GRID_FILE_NAME
    from sobrenum.store.imports import GONE_CONFIRMATION_THRESHOLD

    assert commands_footprint.DEFAULT_MIN_CONFIDENCE == DEFAULT_MIN_CONFIDENCE
    assert tuple(GLPI_ITEMTYPES) == commands_import.GLPI_DEFAULT_TYPES
    assert commands_reuse.GRID_FILE_NAME == GRID_FILE_NAME
    assert commands_import.GONE_CONFIRMATION_THRESHOLD == GONE_CONFIRMATION_THRESHOLD


def test_organisation_list_at_head_imports_no_heavy_module(tmp_path: Path) -> None:
    # A SQLite database at the latest revision is read with sqlite3: neither SQLAlchemy nor
    # Alembic (no migration to run), nor the fleet schema (pyarrow).
    from sobrenum.store import create_organisation, open_store

    url = f"sqlite:///{tmp_path / 'sobrenum.sqlite3'}"
    with open_store(url) as store:
        create_organisation(store, name="Commune d'Exemple", type="commune", population=1200)
    done = subprocess.run(
        [sys.executable, "-c", PROBE, "organisation", "lister", "--base", url],
        capture_output=True,
        text=True,
        check=True,
        env=os.environ | {"COLUMNS": "120"},
    )
    assert "Commune d'Exemple" in done.stdout and "1200" in done.stdout
    loaded = {name.split(".")[0] for name in json.loads(done.stdout.splitlines()[-1])}
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))


def test_organisation_list_creates_a_missing_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'nouvelle' / 'sobrenum.sqlite3'}"
    done = subprocess.run(
        [sys.executable, "-c", PROBE, "organisation", "lister", "--base", url],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "Aucune collectivité pour l'instant." in done.stdout
    from sobrenum.store import head_revision, open_store

    with open_store(url, upgrade=False) as store:
        assert store.schema_revision() == head_revision()


def test_command_modules_keep_their_annotations_evaluated() -> None:
    # Typer reads every command's parameters at each start; string annotations (PEP 563)
    # would make it evaluate ~1,200 of them each time (about a fifth of a command's start-up).
    folder = Path(__file__).resolve().parents[1] / "src" / "sobrenum" / "cli"
    postponed = [
        f.name
        for f in sorted(folder.glob("*.py"))
        if "from __future__ import annotations" in f.read_text(encoding="utf-8")
        and (f.name.startswith("commands_") or f.name == "options.py")
    ]
    assert postponed == []
