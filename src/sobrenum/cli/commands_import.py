"""``sobrenum importer`` (an inventory file or GLPI's API into the store), ``sobrenum organisation``."""

import datetime as dt
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated
from urllib.parse import urlsplit

import typer

from sobrenum.cli.main import app
from sobrenum.cli.naming import add_group, command, option
from sobrenum.cli.options import (
    DatabaseOption,
    OrganisationOption,
    console,
    err,
    fail,
    organisation_store,
)
from sobrenum.store.light import ORGANISATION_TYPES

if TYPE_CHECKING:
    from sobrenum import intake
    from sobrenum.inventory import ColumnMapping, ImportResult
    from sobrenum.store import (
        ImportPreview,
        ImportSummary,
        Organisation,
        Scope,
        Store,
    )


organisation_app = typer.Typer(help="Créer et lister les collectivités.", no_args_is_help=True)
add_group(app, organisation_app, "organisation")

#: For the help texts, which are built before any command runs (the GLPI reader is not
#: imported then): tests/test_cli_start.py checks it matches
#: ``sobrenum.inventory.glpi.GLPI_ITEMTYPES``.
GLPI_DEFAULT_TYPES = ("Computer", "Monitor", "NetworkEquipment", "Phone", "Printer", "Peripheral")
#: ``sobrenum.store.imports.GONE_CONFIRMATION_THRESHOLD``, for the help (tested equal).
GONE_CONFIRMATION_THRESHOLD = 0.25

PROFILES_FOLDER = "profils"
"""Sub-folder of the data folder holding saved column-mapping profiles."""

SourceOption = Annotated[
    str | None,
    typer.Option(
        "--source",
        help="Source de l'inventaire (« GLPI », « Opérateur mobile », « École Jaurès »…), "
        "créée au premier import ; par défaut « principale ». Un import ne fait sortir du "
        "parc que des équipements de sa source.",
        show_default=False,
    ),
]


ENV_GLPI_USER_TOKEN = "SOBRENUM_GLPI_USER_TOKEN"
ENV_GLPI_APP_TOKEN = "SOBRENUM_GLPI_APP_TOKEN"


def parse_date(value: str | None) -> dt.date:
    if value is None:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        pass
    try:
        return dt.datetime.strptime(value, "%d/%m/%Y").date()
    except ValueError as exc:
        raise typer.BadParameter(
            f"date invalide « {value} » : attendu AAAA-MM-JJ (ou JJ/MM/AAAA)."
        ) from exc


def _profile_path(name: str) -> Path:
    """A profile given as a file path, or by name in the data folder's profiles."""
    from sobrenum.store import data_dir

    as_path = Path(name)
    if as_path.suffix == ".json" and as_path.is_file():
        return as_path
    return data_dir() / PROFILES_FOLDER


def _rejects_path(source_name: str, chosen: Path | None) -> Path:
    """``--rapport``, else NAME-rejets.csv in the current folder (never next to the file,
    which may be read-only or inside sobrenum's own package), else in the data folder."""
    from sobrenum.store import data_dir

    if chosen is not None:
        return chosen
    name = f"{Path(source_name).stem}-rejets.csv"
    here = Path.cwd()
    if os.access(here, os.W_OK):
        return here / name
    return data_dir() / name


def _glpi_host(url: str) -> str:
    from sobrenum.inventory.glpi_api import GlpiApiError

    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise GlpiApiError(
            f"Adresse de l'API GLPI invalide « {url} » : attendu une adresse web complète, "
            "par exemple https://glpi.ville.fr/apirest.php."
        )
    return parts.hostname


def _parse_itemtypes(value: str | None) -> list[str]:
    """``"Computer,moniteur"`` → GLPI item types (English names or GLPI's French names)."""
    from sobrenum.inventory.glpi import GLPI_ITEMTYPES
    from sobrenum.inventory.glpi_api import GlpiApiError

    if value is None or not value.strip():
        return list(GLPI_ITEMTYPES)
    known = {name.casefold(): name for name in GLPI_ITEMTYPES}
    known |= {label.casefold(): name for name, label in GLPI_ITEMTYPES.items()}
    chosen: list[str] = []
    for raw in value.split(","):
        word = raw.strip()
        if not word:
            continue
        itemtype = known.get(word.casefold())
        if itemtype is None:
            raise GlpiApiError(
                f"Type d'élément GLPI inconnu « {word} » (--types) : choisissez parmi "
                + ", ".join(f"{k} ({v})" for k, v in GLPI_ITEMTYPES.items())
                + "."
            )
        if itemtype not in chosen:
            chosen.append(itemtype)
    return chosen or list(GLPI_ITEMTYPES)


def _print_summary(summary: "ImportSummary") -> None:
    from rich.table import Table

    console.print(f"Source : « {summary.source_name} »", highlight=False)
    table = Table(title=f"Import de {summary.file_name}", title_justify="left")
    table.add_column("Équipements", style="bold")
    table.add_column("Nombre", justify="right")
    for label, value in (
        ("ajoutés", summary.added),
        ("modifiés", summary.changed),
        ("sortis", summary.gone),
        ("inchangés", summary.unchanged),
        ("rejetés (lignes refusées)", summary.rejected),
    ):
        table.add_row(label, f"{value:n}".replace(",", "\u202f"))
    console.print(table)
    if summary.returned:
        console.print(f"dont {summary.returned} équipement(s) revenu(s) dans le parc.")
    if summary.moved:
        console.print(f"dont {summary.moved} équipement(s) repris d'une autre source.")
    fields = summary.changed_field_counts
    if fields:
        shown = ", ".join(f"{name} ({count})" for name, count in list(fields.items())[:8])
        console.print(f"Champs modifiés : {shown}", highlight=False)
    console.print(summary.message(), highlight=False)


@command(app, "importer", "import")
def import_command(
    file: Annotated[
        Path | None,
        typer.Argument(
            metavar="FICHIER",
            help="Inventaire à importer (.xlsx, .ods, .csv, export GLPI, fichier d'agent "
            "d'inventaire .xml ou .json…) ; ou bien --glpi.",
            exists=True,
            dir_okay=False,
            readable=True,
            show_default=False,
        ),
    ] = None,
    glpi: Annotated[
        str | None,
        typer.Option(
            "--glpi",
            help="Lire le parc directement dans GLPI : adresse de son API REST "
            "(…/apirest.php), à la place d'un fichier.",
            show_default=False,
            rich_help_panel="GLPI",
        ),
    ] = None,
    user_token: Annotated[
        str | None,
        option(
            "--jeton-utilisateur",
            english="--user-token",
            envvar=ENV_GLPI_USER_TOKEN,
            help="Jeton utilisateur de l'API GLPI (Préférences > Clés d'accès distant). "
            f"Préférez la variable d'environnement {ENV_GLPI_USER_TOKEN} : un jeton donné "
            "en option reste dans l'historique du terminal.",
            show_default=False,
            show_envvar=False,
            rich_help_panel="GLPI",
        ),
    ] = None,
    app_token: Annotated[
        str | None,
        option(
            "--jeton-application",
            english="--app-token",
            envvar=ENV_GLPI_APP_TOKEN,
            help="Jeton d'application (App-Token) du client d'API, si GLPI l'exige ; "
            f"ou la variable d'environnement {ENV_GLPI_APP_TOKEN}.",
            show_default=False,
            show_envvar=False,
            rich_help_panel="GLPI",
        ),
    ] = None,
    itemtypes: Annotated[
        str | None,
        typer.Option(
            "--types",
            help="Types d'éléments GLPI à lire, séparés par des virgules (par défaut : "
            + ",".join(GLPI_DEFAULT_TYPES)
            + ").",
            show_default=False,
            rich_help_panel="GLPI",
        ),
    ] = None,
    organisation: OrganisationOption = None,
    date: Annotated[
        str | None,
        typer.Option(
            "--date",
            help="Date de l'inventaire, AAAA-MM-JJ (par défaut : aujourd'hui).",
            show_default=False,
        ),
    ] = None,
    profile: Annotated[
        str | None,
        option(
            "--profil",
            english="--profile",
            help="Profil de correspondance des colonnes (nom enregistré ou fichier .json).",
        ),
    ] = None,
    rejects: Annotated[
        Path | None,
        option(
            "--rapport",
            english="--report",
            help="Où écrire le rapport des lignes refusées (CSV) ; par défaut "
            "NOM-rejets.csv dans le dossier courant (avec --glpi : glpi-SERVEUR-rejets.csv), "
            "ou dans le dossier de données si le dossier courant n'est pas modifiable.",
            dir_okay=False,
        ),
    ] = None,
    source: SourceOption = None,
    categories: Annotated[
        str | None,
        typer.Option(
            "--categories",
            help="Ce fichier ne couvre que ces catégories de la source (codes séparés par "
            "des virgules, ex. laptop,desktop) : les autres ne sortent pas du parc.",
            show_default=False,
        ),
    ] = None,
    sites: Annotated[
        str | None,
        typer.Option(
            "--sites",
            help="Ce fichier ne couvre que ces sites de la source (séparés par des "
            "virgules) : les équipements des autres sites ne sortent pas du parc.",
            show_default=False,
        ),
    ] = None,
    confirm_gone: Annotated[
        bool,
        option(
            "--confirmer-sorties",
            english="--confirm-gone",
            help="Appliquer même si plus de "
            f"{GONE_CONFIRMATION_THRESHOLD:.0%} des équipements de la source sortiraient du parc.",
        ),
    ] = False,
    database: DatabaseOption = None,
) -> None:
    """Importer un inventaire (fichier ou API de GLPI) dans le parc d'une collectivité.

    Tout ou rien, rejouable : un inventaire déjà importé ne change rien.
    """
    from sobrenum.domain import SobrenumError
    from sobrenum.store import Scope, open_store

    if file is not None and glpi is not None:
        err.print(
            "[bold red]Erreur :[/] donnez soit un fichier d'inventaire, soit l'adresse de "
            "l'API GLPI (--glpi), pas les deux.",
            highlight=False,
        )
        raise typer.Exit(code=2)
    if file is None and glpi is None:
        err.print(
            "[bold red]Erreur :[/] indiquez l'inventaire à importer : un fichier "
            "(sobrenum importer parc.xlsx) ou l'adresse de l'API GLPI "
            "(sobrenum importer --glpi https://glpi.exemple.fr/apirest.php).",
            highlight=False,
        )
        raise typer.Exit(code=2)
    inventory_date = parse_date(date)
    options = _ImportOptions(
        organisation_key=organisation,
        inventory_date=inventory_date,
        profile=profile,
        rejects=rejects,
        source=source,
        scope=Scope.of(_split(categories), _split(sites)),
        confirm_gone=confirm_gone,
    )
    try:
        with open_store(database) as store:
            if glpi is not None:
                summary = _run_glpi_import(
                    store,
                    glpi,
                    user_token=user_token,
                    app_token=app_token,
                    itemtypes=_parse_itemtypes(itemtypes),
                    options=options,
                )
            else:
                assert file is not None
                summary = _run_import(store, file, options)
    except SobrenumError as exc:
        raise fail(exc) from exc
    if summary is not None and summary.already_imported:
        raise typer.Exit(code=0)


def _split(value: str | None) -> list[str] | None:
    return [v for v in (part.strip() for part in value.split(",")) if v] if value else None


@dataclass(frozen=True)
class _ImportOptions:
    organisation_key: str | None
    inventory_date: dt.date
    profile: str | None
    rejects: Path | None
    source: str | None
    scope: "Scope"
    confirm_gone: bool


def _already(what: str, organisation: "Organisation", sha: str, store: "Store") -> bool:
    from sobrenum.store import find_import
    from sobrenum.store.imports import local_time

    previous = find_import(store, organisation, sha)
    if previous is None:
        return False
    console.print(
        f"{what} a déjà été importé le {local_time(previous.imported_at):%d/%m/%Y à %H:%M} "
        f"pour {organisation.name} (inventaire du {previous.inventory_date:%d/%m/%Y}) : "
        "rien n'a changé.",
        highlight=False,
    )
    return True


def _run_import(store: "Store", file: Path, options: _ImportOptions) -> "ImportSummary | None":
    from sobrenum import intake
    from sobrenum.store import find_organisation

    organisation = find_organisation(store, options.organisation_key)
    with console.status("Empreinte du fichier…", spinner="dots"):
        sha = intake.file_sha256(file)
    if _already(f"Ce fichier ({file.name})", organisation, sha, store):
        return None
    profile = options.profile or intake.remembered_profile(store, organisation, options.source)
    with console.status("Lecture et contrôle de l'inventaire…", spinner="dots"):
        read = intake.read_inventory(
            file,
            organisation=organisation,
            inventory_date=options.inventory_date,
            profile=_mapping(profile),
        )
    return _apply(store, organisation, read, options, profile, file.name)


def _apply(
    store: "Store",
    organisation: "Organisation",
    read: "intake.Intake",
    options: _ImportOptions,
    profile: str | None,
    report_name: str,
) -> "ImportSummary":
    """Rejects report, preview, then the import itself: the same steps for a file and GLPI."""
    from sobrenum import intake
    from sobrenum.store import default_actor

    console.print(f"Lecture : {read.result.summary()}", highlight=False)
    report = _write_rejects(report_name, read.result, options.rejects)
    if report is not None:
        console.print(
            f"Rapport des lignes refusées et des avertissements : [bold]{report}[/]",
            highlight=False,
        )
    preview = intake.preview(
        store,
        organisation,
        read,
        inventory_date=options.inventory_date,
        source=options.source,
        scope=options.scope,
    )
    if preview.already_imported is None:
        _print_preview(preview)
    with console.status("Enregistrement dans la base…", spinner="dots"):
        summary = intake.apply(
            store,
            organisation,
            read,
            inventory_date=options.inventory_date,
            actor=default_actor(),
            source=options.source,
            scope=options.scope,
            confirm_gone=options.confirm_gone,
            mapping_profile=profile,
        )
    _print_summary(summary)
    return summary


def _print_preview(preview: "ImportPreview") -> None:
    console.print(preview.message(), highlight=False)


def _mapping(profile: str | None) -> "ColumnMapping | None":
    from sobrenum.inventory import load_profile

    if not profile:
        return None
    location = _profile_path(profile)
    return load_profile(location) if location.is_file() else load_profile(location, profile)


def _run_glpi_import(
    store: "Store",
    url: str,
    *,
    user_token: str | None,
    app_token: str | None,
    itemtypes: Sequence[str],
    options: _ImportOptions,
) -> "ImportSummary | None":
    """Read the fleet from GLPI's REST API, then apply it like an inventory file."""
    from sobrenum import intake
    from sobrenum.inventory.glpi_api import GlpiApiError, read_glpi_api
    from sobrenum.store import find_organisation

    host = _glpi_host(url)
    source_name = f"glpi:{host}"
    if not user_token or not user_token.strip():
        raise GlpiApiError(
            "Jeton utilisateur GLPI manquant : donnez-le par la variable d'environnement "
            f"{ENV_GLPI_USER_TOKEN} (ou --jeton-utilisateur) ; il se trouve dans GLPI, "
            "Préférences > Clés d'accès distant > Jeton d'API."
        )
    organisation = find_organisation(store, options.organisation_key)
    profile = options.profile or intake.remembered_profile(store, organisation, options.source)
    with console.status(
        f"Lecture du parc dans GLPI ({host}) : {', '.join(itemtypes)}…", spinner="dots"
    ):
        table = read_glpi_api(url, user_token=user_token, app_token=app_token, itemtypes=itemtypes)
    with console.status("Contrôle de l'inventaire…", spinner="dots"):
        read = intake.intake_of(
            table,
            file_name=source_name,
            organisation=organisation,
            inventory_date=options.inventory_date,
            profile=_mapping(profile),
        )
    if _already(f"Le parc lu dans GLPI ({host})", organisation, read.file_sha256, store):
        return None
    return _apply(store, organisation, read, options, profile, f"glpi-{host}")


def _write_rejects(name: str, result: "ImportResult", chosen: Path | None) -> Path | None:
    """Write the rejects report (``name``: the file's, or glpi-HOST for GLPI)."""
    from sobrenum.inventory import write_report_csv

    if not result.issues and not result.skipped_lines:
        return None
    path = _rejects_path(name, chosen)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        return write_report_csv(result, path)
    except OSError as exc:
        err.print(f"[yellow]Rapport des rejets non écrit ({path}) : {exc}[/]", highlight=False)
        return None


@command(app, "annuler-import", "undo-import")
def undo_command(
    source: SourceOption = None,
    organisation: OrganisationOption = None,
    database: DatabaseOption = None,
) -> None:
    """Annuler le dernier import d'une source : parc et historique remis comme avant.

    Le même fichier peut ensuite être importé de nouveau.
    """
    from sobrenum.store import default_actor, undo_import

    with organisation_store(database, organisation) as (store, chosen):
        summary = undo_import(store, chosen, source=source, actor=default_actor())
    console.print(summary.message(), highlight=False)


@command(app, "sources")
def sources_command(
    organisation: OrganisationOption = None,
    database: DatabaseOption = None,
) -> None:
    """Lister les sources du parc (GLPI, fichiers…) et leur dernier inventaire."""
    from rich.table import Table

    from sobrenum.store import (
        last_import_of_source,
        list_imports,
        list_sources,
    )

    with organisation_store(database, organisation) as (store, chosen):
        sources = list_sources(store, chosen.id)
        latest = {s.id: last_import_of_source(store, chosen, s.name) for s in sources}
        imports = list_imports(store, chosen)
    if not sources:
        console.print(f"Aucune source pour {chosen.name} : aucun inventaire importé.")
        return
    table = Table(title=f"Sources du parc de {chosen.name}", title_justify="left")
    for header in ("Source", "Imports", "Dernier inventaire", "Fichier", "Profil"):
        table.add_column(header)
    for s in sources:
        last = latest[s.id]
        table.add_row(
            s.name,
            str(sum(1 for i in imports if i.source_id == s.id)),
            f"{last.inventory_date:%d/%m/%Y}" if last else "",
            last.file_name if last else "",
            s.mapping_profile or "",
        )
    console.print(table)


@command(organisation_app, "creer", "create")
def organisation_create(
    name: Annotated[str, option("--nom", english="--name", help="Nom de la collectivité.")],
    type: Annotated[
        str,
        typer.Option("--type", help="Type : " + ", ".join(ORGANISATION_TYPES) + "."),
    ] = "commune",
    siren: Annotated[str | None, typer.Option("--siren", help="SIREN (9 chiffres).")] = None,
    population: Annotated[
        int | None, typer.Option("--population", help="Nombre d'habitants.", min=0)
    ] = None,
    staff: Annotated[
        int | None, option("--agents", english="--staff", help="Nombre d'agents.", min=0)
    ] = None,
    year: Annotated[
        int | None,
        option(
            "--annee", english="--year", help="Année de référence du bilan (par défaut : l'année)."
        ),
    ] = None,
    database: DatabaseOption = None,
) -> None:
    """Créer une collectivité."""
    from sobrenum.domain import SobrenumError
    from sobrenum.store import create_organisation, open_store
    from sobrenum.store.light import type_label

    try:
        with open_store(database) as store:
            created = create_organisation(
                store,
                name=name,
                type=type,
                siren=siren,
                population=population,
                staff_count=staff,
                reporting_year=year,
            )
    except SobrenumError as exc:
        raise fail(exc) from exc
    siren_text = f", SIREN {created.siren}" if created.siren else ""
    console.print(
        f"Collectivité créée : [bold]{created.name}[/] ({type_label(created.type)}{siren_text}).",
        highlight=False,
    )


@command(organisation_app, "lister", "list")
def organisation_list(database: DatabaseOption = None) -> None:
    """Lister les collectivités."""
    from rich.table import Table

    from sobrenum.domain import SobrenumError
    from sobrenum.store.light import organisation_summaries, type_label

    try:
        organisations = organisation_summaries(database)
    except SobrenumError as exc:
        raise fail(exc) from exc
    if not organisations:
        console.print("Aucune collectivité pour l'instant.")
        return
    table = Table()
    for header in ("Nom", "Type", "SIREN", "Habitants", "Agents"):
        table.add_column(header)
    for o in organisations:
        table.add_row(
            o.name,
            type_label(o.type),
            o.siren or "",
            "" if o.population is None else str(o.population),
            "" if o.staff_count is None else str(o.staff_count),
        )
    console.print(table)
