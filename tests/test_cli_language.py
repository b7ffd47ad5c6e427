"""The command line framework's own messages (Click, Typer) in French, English under an
English locale (sobrenum.cli.language and its catalogue)."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from typer.testing import CliRunner

from sobrenum.cli.language import MO_FILE, PO_FILE, cli_language, framework_catalogue
from sobrenum.cli.main import app

SOBRENUM = str(Path(sys.executable).with_name("sobrenum"))
WIDE = {"COLUMNS": "200"}


@pytest.mark.parametrize(
    ("environ", "language"),
    [
        ({}, "fr"),
        ({"LANG": "C.UTF-8"}, "fr"),
        ({"LANG": "fr_FR.UTF-8"}, "fr"),
        ({"LANG": "de_DE.UTF-8"}, "fr"),
        ({"LANG": "en_US.UTF-8"}, "en"),
        ({"LANG": "fr_FR.UTF-8", "LC_ALL": "en_GB.UTF-8"}, "en"),
        ({"LANG": "en_US.UTF-8", "LANGUAGE": "fr"}, "fr"),
        ({"LANGUAGE": "", "LC_MESSAGES": "en_IE"}, "en"),
    ],
)
def test_the_locale_chooses_french_unless_english(environ: dict[str, str], language: str) -> None:
    assert cli_language(environ) == language


def test_help_usage_errors_and_validation_in_french(tmp_path: Path) -> None:
    runner = CliRunner()
    top = runner.invoke(app, ["--help"], env=WIDE)
    assert top.exit_code == 0
    for french in (
        "Utilisation : sobrenum [OPTIONS] COMMANDE",
        "Commandes",
        "Afficher ce message et quitter.",
    ):
        assert french in top.output
    missing = runner.invoke(app, ["empreinte", str(tmp_path / "mon-parc2.xlsx")], env=WIDE)
    assert missing.exit_code == 2
    assert "Essayez 'sobrenum empreinte --help' pour obtenir de l'aide." in missing.output
    # FICHIER is optional (without it, the stored fleet).
    assert "Valeur invalide pour '[FICHIER]'" in missing.output
    assert "mon-parc2.xlsx' introuvable." in missing.output
    number = runner.invoke(
        app, ["organisation", "creer", "--nom", "X", "--agents", "abc"], env=WIDE
    )
    assert number.exit_code == 2
    assert "Valeur invalide pour '--agents' : 'abc' n'est pas un nombre valide." in number.output
    below = runner.invoke(app, ["empreinte", str(tmp_path), "--tirages", "99"], env=WIDE)
    assert "99 n'est pas dans l'intervalle x>=100." in below.output
    typo = runner.invoke(app, ["reemploi", "achat"], env=WIDE)
    assert "Pas de commande 'achat'. Vouliez-vous dire 'achats' ?" in typo.output
    assert "Did you mean" not in typo.output
    unknown = runner.invoke(app, ["strategie", "figer", "--anne", "2025"], env=WIDE)
    assert "Pas d'option '--anne'. (Vouliez-vous dire l'une de : '--annee'" in unknown.output
    lacking = runner.invoke(app, ["strategie", "figer", "--annee"], env=WIDE)
    assert "L'option '--annee' demande une valeur." in lacking.output


def test_english_under_an_english_locale(tmp_path: Path) -> None:
    environ = {
        k: v for k, v in os.environ.items() if k not in ("LANGUAGE", "LC_ALL", "LC_MESSAGES")
    }
    environ |= {"LANG": "en_GB.UTF-8", "COLUMNS": "200"}
    help_text = subprocess.run(
        [SOBRENUM, "empreinte", "--help"], env=environ, capture_output=True, text=True, check=True
    ).stdout
    assert "Show this message and exit." in help_text and "Usage: sobrenum empreinte" in help_text
    failed = subprocess.run(
        [SOBRENUM, "empreinte", str(tmp_path / "mon-parc2.xlsx")],
        env=environ,
        capture_output=True,
        text=True,
    )
    assert failed.returncode == 2
    assert "Try 'sobrenum empreinte --help' for help." in failed.stderr
    assert "does not exist" in failed.stderr
    french = subprocess.run(
        [SOBRENUM, "empreinte", "--help"],
        env=environ | {"LANG": "C.UTF-8"},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "Afficher ce message et quitter." in french


def test_catalogue_translates_every_framework_message_and_is_compiled() -> None:
    catalogue = framework_catalogue()
    assert len(catalogue) > 60
    untranslated = [
        m.id
        for m in catalogue
        if m.id and not all(m.string if isinstance(m.string, tuple) else [m.string])
    ]
    assert not untranslated, f"à traduire (scripts/cli_catalogue.py) : {untranslated}"
    placeholder = re.compile(r"\{[^}]*\}|%\([a-z]+\)s")
    for message in catalogue:
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        allowed = {p for text in ids for p in placeholder.findall(str(text))}
        for text in strings:
            # A placeholder Click does not fill would raise a KeyError at the user's feet.
            assert set(placeholder.findall(str(text))) <= allowed, (message.id, text)
    with PO_FILE.open("rb") as handle:
        written = read_po(handle, locale="fr")
    buffer = io.BytesIO()
    write_mo(buffer, written)
    assert MO_FILE.read_bytes() == buffer.getvalue(), "recompiler : scripts/cli_catalogue.py"
