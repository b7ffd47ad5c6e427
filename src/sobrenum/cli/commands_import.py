"""``sobrenum import`` (an inventory file into the store) and ``sobrenum organisation``."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from sobrenum.cli.main import app
from sobrenum.domain import SobrenumError
from sobrenum.inventory import ImportResult, load_inventory, load_profile, write_report_csv
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
app.add_typer(organisation_app, name="organisation")

PROFILES_FOLDER = "profils"
"""Sub-folder of the data folder holding saved column-mapping profiles."""

DatabaseOption = Annotated[
    str | None,
    typer.Option(
        "--base",
        help="Adresse de la base (sqlite:///… ou postgresql://…) ; "
        "sinon SOBRENUM_DATABASE_URL, sinon un fichier SQLite dans le dossier de données.",
        show_default=False,
    ),
]


def _fail(error: SobrenumError) -> typer.Exit:
    err.print(f"[bold red]Erreur :[/] {error}", highlight=False)
    return typer.Exit(code=2)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
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


@app.command("import")
def import_command(
    file: Annotated[
        Path,
        typer.Argument(
            help="Inventaire à importer (.xlsx, .ods, .csv, export GLPI…).",
            exists=True,
            dir_okay=False,
            readable=True,
        ),
    ],
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
        typer.Option(
            "--profil",
            "--profile",
            help="Profil de correspondance des colonnes (nom enregistré ou fichier .json).",
        ),
    ] = None,
    rejects: Annotated[
        Path | None,
        typer.Option(
            "--rapport",
            help="Où écrire le rapport des lignes refusées (CSV) ; "
            "par défaut à côté du fichier : NOM-rejets.csv.",
            dir_okay=False,
        ),
    ] = None,
    database: DatabaseOption = None,
) -> None:
    """Importer un inventaire dans le parc d'une collectivité (tout ou rien, rejouable)."""
    inventory_date = _parse_date(date)
    try:
        with open_store(database) as store:
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


def _load(
    file: Path, organisation: Organisation, inventory_date: dt.date, profile: str | None
) -> ImportResult:
    referential = load_referential()
    year = organisation.reporting_year or inventory_date.year
    mapping = None
    if profile:
        location = _profile_path(profile)
        mapping = load_profile(location) if location.is_file() else load_profile(location, profile)
    return load_inventory(file, year, referential.default_lifetimes(), mapping)


def _write_rejects(file: Path, result: ImportResult, chosen: Path | None) -> Path | None:
    if not result.issues and not result.skipped_lines:
        return None
    path = _rejects_path(file, chosen)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        return write_report_csv(result, path)
    except OSError as exc:
        err.print(f"[yellow]Rapport des rejets non écrit ({path}) : {exc}[/]", highlight=False)
        return None


@organisation_app.command("create")
def organisation_create(
    name: Annotated[str, typer.Option("--nom", "--name", help="Nom de la collectivité.")],
    type: Annotated[
        str,
        typer.Option("--type", help="Type : " + ", ".join(ORGANISATION_TYPES) + "."),
    ] = "commune",
    siren: Annotated[str | None, typer.Option("--siren", help="SIREN (9 chiffres).")] = None,
    population: Annotated[
        int | None, typer.Option("--population", help="Nombre d'habitants.", min=0)
    ] = None,
    staff: Annotated[
        int | None, typer.Option("--agents", "--staff", help="Nombre d'agents.", min=0)
    ] = None,
    year: Annotated[
        int | None,
        typer.Option(
            "--annee", "--year", help="Année de référence du bilan (par défaut : l'année)."
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


@organisation_app.command("list")
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
