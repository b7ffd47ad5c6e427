"""``sobrenum importer`` (an inventory file or GLPI's API into the store), ``sobrenum organisation``."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

import pyarrow as pa
import pyarrow.csv as pacsv
import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from sobrenum.cli.main import app
from sobrenum.cli.naming import add_group, command, option
from sobrenum.domain import FLEET_SCHEMA, SobrenumError
from sobrenum.inventory import (
    ColumnMapping,
    ImportResult,
    load_inventory,
    load_profile,
    propose_mapping,
    to_fleet,
    write_report_csv,
)
from sobrenum.inventory.glpi import GLPI_ITEMTYPES
from sobrenum.inventory.glpi_api import GlpiApiError, read_glpi_api
from sobrenum.referential import load as load_referential
from sobrenum.store import (
    ORGANISATION_TYPES,
    ImportRefusedError,
    ImportSummary,
    Organisation,
    Store,
    apply_import,
    create_organisation,
    data_dir,
    default_actor,
    find_import,
    find_organisation,
    inventory_dates,
    list_organisations,
    open_store,
)
from sobrenum.store.imports import local_time
from sobrenum.store.organisations import type_label

console = Console()
err = Console(stderr=True)

organisation_app = typer.Typer(help="Créer et lister les collectivités.", no_args_is_help=True)
add_group(app, organisation_app, "organisation")

PROFILES_FOLDER = "profils"
"""Sub-folder of the data folder holding saved column-mapping profiles."""

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


def _fail(error: SobrenumError) -> typer.Exit:
    err.print(f"[bold red]Erreur :[/] {error}", highlight=False)
    return typer.Exit(code=2)


ENV_GLPI_USER_TOKEN = "SOBRENUM_GLPI_USER_TOKEN"
ENV_GLPI_APP_TOKEN = "SOBRENUM_GLPI_APP_TOKEN"


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def fleet_sha256(fleet: pa.Table) -> str:
    """SHA-256 of a fleet's canonical content: FLEET_SCHEMA columns, rows sorted by asset_id.

    Two reads of the same inventory (e.g. GLPI's API, whose rows come in no fixed order) give
    the same digest, so re-importing an unchanged source is recognised as already imported.
    """
    table = fleet.select([n for n in FLEET_SCHEMA.names if n in fleet.column_names])
    if "asset_id" in table.column_names and table.num_rows:
        table = table.sort_by([("asset_id", "ascending")])
    buffer = io.BytesIO()
    pacsv.write_csv(table, buffer)
    digest = hashlib.sha256(b"sobrenum-fleet-v1\n")
    digest.update(buffer.getvalue())
    return digest.hexdigest()


def _parse_date(value: str | None) -> dt.date:
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
    as_path = Path(name)
    if as_path.suffix == ".json" and as_path.is_file():
        return as_path
    return data_dir() / PROFILES_FOLDER


def _rejects_path(source: Path, chosen: Path | None) -> Path:
    if chosen is not None:
        return chosen
    return source.with_name(f"{source.stem}-rejets.csv")


def _glpi_host(url: str) -> str:
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise GlpiApiError(
            f"Adresse de l'API GLPI invalide « {url} » : attendu une adresse web complète, "
            "par exemple https://glpi.ville.fr/apirest.php."
        )
    return parts.hostname


def _parse_itemtypes(value: str | None) -> list[str]:
    """``"Computer,moniteur"`` → GLPI item types (English names or GLPI's French names)."""
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


def _print_summary(summary: ImportSummary) -> None:
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
            + ",".join(GLPI_ITEMTYPES)
            + ").",
            show_default=False,
            rich_help_panel="GLPI",
        ),
    ] = None,
    organisation: Annotated[
        str | None,
        typer.Option(
            "--organisation",
            "-o",
            help="SIREN ou nom de la collectivité (facultatif s'il n'y en a qu'une).",
        ),
    ] = None,
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
            help="Où écrire le rapport des lignes refusées (CSV) ; "
            "par défaut à côté du fichier : NOM-rejets.csv (avec --glpi : "
            "glpi-SERVEUR-rejets.csv dans le dossier courant).",
            dir_okay=False,
        ),
    ] = None,
    database: DatabaseOption = None,
) -> None:
    """Importer un inventaire (fichier ou API de GLPI) dans le parc d'une collectivité.

    Tout ou rien, rejouable : un inventaire déjà importé ne change rien.
    """
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
    inventory_date = _parse_date(date)
    try:
        with open_store(database) as store:
            if glpi is not None:
                summary = _run_glpi_import(
                    store,
                    glpi,
                    user_token=user_token,
                    app_token=app_token,
                    itemtypes=_parse_itemtypes(itemtypes),
                    organisation_key=organisation,
                    inventory_date=inventory_date,
                    profile=profile,
                    rejects=rejects,
                )
            else:
                assert file is not None
                summary = _run_import(store, file, organisation, inventory_date, profile, rejects)
    except SobrenumError as exc:
        raise _fail(exc) from exc
    if summary is not None and summary.already_imported:
        raise typer.Exit(code=0)


def _run_import(
    store: Store,
    file: Path,
    organisation_key: str | None,
    inventory_date: dt.date,
    profile: str | None,
    rejects: Path | None,
) -> ImportSummary | None:
    organisation = find_organisation(store, organisation_key)
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task("Empreinte du fichier…", total=4)
        sha = file_sha256(file)
        previous = find_import(store, organisation, sha)
        if previous is not None:
            progress.stop()
            console.print(
                f"Ce fichier ({file.name}) a déjà été importé le "
                f"{local_time(previous.imported_at):%d/%m/%Y à %H:%M} pour {organisation.name} "
                f"(inventaire du {previous.inventory_date:%d/%m/%Y}) : rien n'a changé.",
                highlight=False,
            )
            return None
        dates = inventory_dates(store, organisation)
        if dates and inventory_date < dates[-1]:
            raise ImportRefusedError(
                f"L'inventaire du {inventory_date:%d/%m/%Y} est antérieur au dernier inventaire "
                f"importé pour {organisation.name} (celui du {dates[-1]:%d/%m/%Y}) : "
                "importez les inventaires dans l'ordre chronologique, ou donnez une date "
                "postérieure (--date)."
            )
        progress.update(task, advance=1, description="Lecture et contrôle de l'inventaire…")
        result = _load(file, organisation, inventory_date, profile)
        progress.update(task, advance=1, description="Rapport des lignes refusées…")
        report = _write_rejects(file, result, rejects)
        progress.update(task, advance=1, description="Enregistrement dans la base…")
        summary = apply_import(
            store,
            organisation,
            result.fleet,
            file_sha256=sha,
            file_name=file.name,
            inventory_date=inventory_date,
            rejected=result.rows_rejected,
            mapping_profile=profile,
            actor=default_actor(),
        )
        progress.update(task, advance=1, description="Terminé")
    console.print(f"Lecture : {result.summary()}", highlight=False)
    _print_summary(summary)
    if report is not None:
        console.print(
            f"Rapport des lignes refusées et des avertissements : [bold]{report}[/]",
            highlight=False,
        )
    return summary


def _mapping(profile: str | None) -> ColumnMapping | None:
    if not profile:
        return None
    location = _profile_path(profile)
    return load_profile(location) if location.is_file() else load_profile(location, profile)


def _load(
    file: Path, organisation: Organisation, inventory_date: dt.date, profile: str | None
) -> ImportResult:
    referential = load_referential()
    year = organisation.reporting_year or inventory_date.year
    return load_inventory(file, year, referential.default_lifetimes(), _mapping(profile))


def _run_glpi_import(
    store: Store,
    url: str,
    *,
    user_token: str | None,
    app_token: str | None,
    itemtypes: Sequence[str],
    organisation_key: str | None,
    inventory_date: dt.date,
    profile: str | None,
    rejects: Path | None,
) -> ImportSummary | None:
    """Read the fleet from GLPI's REST API, then apply it like an inventory file."""
    host = _glpi_host(url)
    source_name = f"glpi:{host}"
    if not user_token or not user_token.strip():
        raise GlpiApiError(
            "Jeton utilisateur GLPI manquant : donnez-le par la variable d'environnement "
            f"{ENV_GLPI_USER_TOKEN} (ou --jeton-utilisateur) ; il se trouve dans GLPI, "
            "Préférences > Clés d'accès distant > Jeton d'API."
        )
    organisation = find_organisation(store, organisation_key)
    mapping = _mapping(profile)
    with console.status(
        f"Lecture du parc dans GLPI ({host}) : {', '.join(itemtypes)}…", spinner="dots"
    ):
        source = read_glpi_api(url, user_token=user_token, app_token=app_token, itemtypes=itemtypes)
    with console.status("Contrôle de l'inventaire…", spinner="dots"):
        referential = load_referential()
        result = to_fleet(
            source,
            propose_mapping(source, mapping),
            reporting_year=organisation.reporting_year or inventory_date.year,
            default_lifetimes=referential.default_lifetimes(),
            source_name=source_name,
        )
    sha = fleet_sha256(result.fleet)
    previous = find_import(store, organisation, sha)
    if previous is not None:
        console.print(
            f"Le parc lu dans GLPI ({host}) est identique à celui importé le "
            f"{local_time(previous.imported_at):%d/%m/%Y à %H:%M} pour {organisation.name} "
            f"(inventaire du {previous.inventory_date:%d/%m/%Y}) : rien n'a changé.",
            highlight=False,
        )
        return None
    dates = inventory_dates(store, organisation)
    if dates and inventory_date < dates[-1]:
        raise ImportRefusedError(
            f"L'inventaire du {inventory_date:%d/%m/%Y} est antérieur au dernier inventaire "
            f"importé pour {organisation.name} (celui du {dates[-1]:%d/%m/%Y}) : donnez une "
            "date postérieure (--date)."
        )
    default_report = Path.cwd() / f"glpi-{host}"  # → glpi-HOST-rejets.csv
    report = _write_rejects(default_report, result, rejects)
    with console.status("Enregistrement dans la base…", spinner="dots"):
        summary = apply_import(
            store,
            organisation,
            result.fleet,
            file_sha256=sha,
            file_name=source_name,
            inventory_date=inventory_date,
            rejected=result.rows_rejected,
            mapping_profile=profile,
            actor=default_actor(),
        )
    console.print(f"Lecture : {result.summary()}", highlight=False)
    _print_summary(summary)
    if report is not None:
        console.print(
            f"Rapport des lignes refusées et des avertissements : [bold]{report}[/]",
            highlight=False,
        )
    return summary


def _write_rejects(file: Path, result: ImportResult, chosen: Path | None) -> Path | None:
    """Write the rejects report (``file``: the source, or the default report path for GLPI)."""
    if not result.issues and not result.skipped_lines:
        return None
    path = _rejects_path(file, chosen)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        return write_report_csv(result, path)
    except OSError as exc:
        err.print(f"[yellow]Rapport des rejets non écrit ({path}) : {exc}[/]", highlight=False)
        return None


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
        raise _fail(exc) from exc
    siren_text = f", SIREN {created.siren}" if created.siren else ""
    console.print(
        f"Collectivité créée : [bold]{created.name}[/] ({type_label(created.type)}{siren_text}).",
        highlight=False,
    )


@command(organisation_app, "lister", "list")
def organisation_list(database: DatabaseOption = None) -> None:
    """Lister les collectivités."""
    try:
        with open_store(database) as store:
            organisations = list_organisations(store)
    except SobrenumError as exc:
        raise _fail(exc) from exc
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
