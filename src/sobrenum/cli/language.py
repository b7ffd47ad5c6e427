"""The language of the command line framework's own messages (Click and Typer).

Click and Typer write their help, usage errors and validation messages through the standard
``gettext`` module. The French catalogue ``locale/fr/LC_MESSAGES/sobrenum-cli.po`` (compiled
to the ``.mo`` beside it by ``scripts/cli_catalogue.py``; a test checks both are in step)
translates them. French is the default; the original English messages are kept under an
English locale: the first of ``LANGUAGE``, ``LC_ALL``, ``LC_MESSAGES``, ``LANG`` that is set
(gettext's own order) decides.
"""

from __future__ import annotations

import gettext
import os
from collections.abc import MutableMapping
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from babel.messages.catalog import Catalog

DOMAIN = "sobrenum-cli"
LOCALE_DIR = Path(__file__).with_name("locale")
PO_FILE = LOCALE_DIR / "fr" / "LC_MESSAGES" / f"{DOMAIN}.po"
MO_FILE = PO_FILE.with_suffix(".mo")
LOCALE_VARIABLES = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")


def cli_language(environ: MutableMapping[str, str] = os.environ) -> str:
    """``"en"`` under an English locale, ``"fr"`` otherwise (unset, ``C``, French, others)."""
    for name in LOCALE_VARIABLES:
        value = environ.get(name)
        if value:
            return "en" if value.lower().startswith("en") else "fr"
    return "fr"


def install_language(environ: MutableMapping[str, str] = os.environ) -> str:
    """Make Click's and Typer's messages French unless the locale is English."""
    language = cli_language(environ)
    gettext.bindtextdomain(DOMAIN, str(LOCALE_DIR))
    gettext.textdomain(DOMAIN)
    if language == "fr":
        # gettext reads the language from the environment at each message: LANGUAGE comes first.
        environ["LANGUAGE"] = "fr"
        _french_type_names()
    return language


def _french_type_names() -> None:
    """The value types the help shows (« --annee ENTIER »): Click names them with class
    attributes, outside gettext."""
    import click

    names: dict[type[click.ParamType], str] = {
        click.types.StringParamType: "texte",
        click.types.IntParamType: "entier",
        click.types.IntRange: "entier",
        click.types.FloatParamType: "nombre",
        click.types.FloatRange: "nombre",
        click.types.DateTime: "date",
    }
    for kind, name in names.items():
        kind.name = name


# --- maintenance (scripts/cli_catalogue.py and the tests; Babel is not needed at run time) ---


def framework_sources() -> list[Path]:
    """The modules of the installed Click and Typer whose messages users read."""
    import click
    import typer

    click_dir = Path(click.__file__).parent
    typer_dir = Path(typer.__file__).parent
    return [*sorted(click_dir.glob("*.py")), typer_dir / "core.py", typer_dir / "rich_utils.py"]


def framework_catalogue() -> Catalog:
    """Every message of the installed framework, with the translations of the ``.po`` file."""
    from babel.messages.catalog import Catalog
    from babel.messages.extract import extract_from_file
    from babel.messages.pofile import read_po

    with PO_FILE.open("rb") as handle:
        known = read_po(handle, locale="fr")
    catalogue = Catalog(
        locale="fr",
        domain=DOMAIN,
        header_comment="# Messages of Click and Typer in French, for sobrenum's command line.",
        project="sobrenum",
        version="",
        copyright_holder="sobrenum",
        creation_date=known.creation_date,
        revision_date=known.creation_date,
        fuzzy=False,
    )
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2)}
    for source in framework_sources():
        for _line, text, _comments, _context in extract_from_file(
            "python", str(source), keywords=keywords
        ):
            message_id = text if isinstance(text, str) else tuple(text)
            previous = known.get(message_id if isinstance(message_id, str) else message_id[0])
            string = previous.string if previous is not None else ""
            if isinstance(string, tuple):
                # French has a third plural form (« many », 1 000 000): the plural again.
                string = (*string[:2], string[1])
            catalogue.add(message_id, string)
    return catalogue


def compile_catalogue(catalogue: Catalog) -> None:
    """Write the ``.po`` file and its compiled ``.mo``."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import write_po

    with PO_FILE.open("wb") as handle:
        write_po(handle, catalogue, omit_header=False, no_location=True, sort_output=True)
    with MO_FILE.open("wb") as handle:
        write_mo(handle, catalogue)
