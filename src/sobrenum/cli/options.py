"""What the commands share: the ``--base`` and ``--organisation`` options, the consoles, the
French error of a refusal, and opening the store on the chosen organisation."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from sobrenum.cli.naming import option

if TYPE_CHECKING:
    from sobrenum.store import Organisation, Store

console = Console()
err = Console(stderr=True)

DatabaseOption = Annotated[
    str | None,
    option(
        "--base",
        english="--database",
        help="Adresse de la base (sqlite:///… ou postgresql://…) ; "
        "sinon SOBRENUM_DATABASE_URL, sinon un fichier SQLite dans le dossier de données.",
        show_default=False,
    ),
]
OrganisationOption = Annotated[
    str | None,
    typer.Option(
        "--organisation",
        "-o",
        help="SIREN, nom ou numéro de la collectivité (facultatif s'il n'y en a qu'une).",
    ),
]


def fail(error: object) -> typer.Exit:
    """Print ``error`` on the error stream, in French; return the exit (code 2) to raise."""
    err.print(f"[bold red]Erreur :[/] {error}", highlight=False)
    return typer.Exit(code=2)


@contextmanager
def organisation_store(
    database: str | None, organisation: str | None
) -> "Iterator[tuple[Store, Organisation]]":
    """The store at ``database`` and the organisation ``organisation`` names; a refusal
    (:class:`~sobrenum.domain.SobrenumError`) raised here or in the block is printed in
    French and ends the command with code 2."""
    from sobrenum.domain import SobrenumError
    from sobrenum.store import find_organisation, open_store

    try:
        with open_store(database) as store:
            yield store, find_organisation(store, organisation)
    except SobrenumError as exc:
        raise fail(exc) from exc
