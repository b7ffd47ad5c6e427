"""``sobrenum sauvegarder`` and ``sobrenum restaurer``: the instance or one organisation,
before every upgrade (docs/sauvegarde.md); ``sobrenum purger``: personal data past its
retention period (docs/donnees-personnelles.md)."""

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from sobrenum.cli.main import app
from sobrenum.cli.naming import command, option
from sobrenum.cli.options import DatabaseOption, console, fail

if TYPE_CHECKING:
    pass


@command(app, "sauvegarder", "backup")
def backup_command(
    output: Annotated[
        Path,
        option(
            "--sortie", english="--output", help="Fichier de sauvegarde à écrire.", dir_okay=False
        ),
    ],
    organisation_key: Annotated[
        str | None,
        typer.Option(
            "--organisation",
            "-o",
            help="SIREN, nom ou numéro d'une collectivité : ne sauvegarder qu'elle (format "
            "portable). Sans elle : toute l'instance.",
        ),
    ] = None,
    database: DatabaseOption = None,
) -> None:
    """Sauvegarder toute l'instance, ou une collectivité (à faire avant chaque mise à jour)."""
    from sobrenum.domain import SobrenumError
    from sobrenum.store import find_organisation, open_store
    from sobrenum.store.backup import backup_instance, backup_organisation

    try:
        with open_store(database) as store:
            if organisation_key is None:
                result = backup_instance(store, output)
                what = "l'instance"
            else:
                organisation = find_organisation(store, organisation_key)
                result = backup_organisation(store, organisation.id, output)
                what = f"« {organisation.name} » ({result.rows} lignes)"
    except SobrenumError as exc:
        raise fail(exc) from exc
    console.print(f"Sauvegarde de {what} écrite dans {result.path}.", highlight=False)


@command(app, "restaurer", "restore")
def restore_command(
    source: Annotated[
        Path, typer.Argument(help="Fichier écrit par `sobrenum sauvegarder`.", dir_okay=False)
    ],
    replace: Annotated[
        bool,
        option(
            "--remplacer",
            english="--replace",
            help="Sauvegarde de l'instance : écraser une base qui contient déjà des données.",
        ),
    ] = False,
    database: DatabaseOption = None,
) -> None:
    """Restaurer une sauvegarde de l'instance ou d'une collectivité."""
    from sobrenum.domain import SobrenumError
    from sobrenum.store import open_store
    from sobrenum.store.backup import backup_kind, restore_instance, restore_organisation

    try:
        if backup_kind(source) == "collectivite":
            with open_store(database) as store:
                result = restore_organisation(store, source)
            done = f"Collectivité restaurée ({result.rows} lignes)"
        else:
            restore_instance(database, source, replace=replace)
            done = "Instance restaurée"
    except SobrenumError as exc:
        raise fail(exc) from exc
    console.print(f"{done} depuis {source}.", highlight=False)


@command(app, "purger", "purge")
def purge_command(database: DatabaseOption = None) -> None:
    """Supprimer les données personnelles dont la durée de conservation est passée."""
    from sobrenum.domain import SobrenumError
    from sobrenum.store import open_store
    from sobrenum.store.retention import AUDIT_DAYS, LOGIN_ATTEMPT_DAYS, purge_expired

    try:
        with open_store(database) as store:
            result = purge_expired(store)
    except SobrenumError as exc:
        raise fail(exc) from exc
    console.print(
        f"Supprimés : {result.login_attempts} tentative(s) de connexion de plus de "
        f"{LOGIN_ATTEMPT_DAYS} jours, {result.audit_events} événement(s) du journal de plus "
        f"de {AUDIT_DAYS} jours, {result.web_sessions} session(s) expirée(s).",
        highlight=False,
    )
