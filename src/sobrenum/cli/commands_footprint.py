"""``sobrenum demo``, ``sobrenum empreinte`` and ``sobrenum referentiel``."""

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from sobrenum.cli.commands_import import parse_date
from sobrenum.cli.main import app
from sobrenum.cli.naming import add_group, command, option
from sobrenum.cli.options import DatabaseOption, OrganisationOption

if TYPE_CHECKING:
    import pyarrow as pa

    from sobrenum.domain import SobrenumError
    from sobrenum.engine import Allocation
    from sobrenum.inventory import ImportResult
    from sobrenum.referential import Referential
    from sobrenum.reporting import Summary
    from sobrenum.reporting.summary import UncertaintySummary
    from sobrenum.store import Organisation

# Commands import what they use when they run: ``sobrenum --help`` starts fast (see
# benchmarks/cli_start.py and tests/test_cli_start.py).

console = Console()
err = Console(stderr=True)

referential_app = typer.Typer(
    help="Consulter et vérifier le référentiel de facteurs d'impact.", no_args_is_help=True
)
add_group(app, referential_app, "referentiel", "referential")

#: ``--amortissement`` → name of the engine's :class:`~sobrenum.engine.Allocation`.
ALLOCATIONS = {"lineaire": "LINEAR", "annee-acquisition": "ACQUISITION_YEAR"}
#: Default of ``--confiance``: ``sobrenum.inventory.models.DEFAULT_MIN_CONFIDENCE`` (tested).
DEFAULT_MIN_CONFIDENCE = 85.0

OverrideOption = Annotated[
    list[Path] | None,
    option(
        "--surcharge",
        english="--override",
        help="Fichier CSV de facteurs propres (même format qu'une table du référentiel).",
        exists=True,
        dir_okay=False,
    ),
]


def fail(error: "SobrenumError") -> typer.Exit:
    """Print a user error in French and return the exit to raise."""
    err.print(f"[bold red]Erreur :[/] {error}", highlight=False)
    return typer.Exit(code=2)


def _load_referential(overrides: list[Path]) -> "Referential":
    from sobrenum.domain import SobrenumError
    from sobrenum.referential import check, load

    ref = load(overrides=overrides)
    problems = check(ref)
    if problems:
        raise SobrenumError(
            "Le référentiel n'est pas cohérent :\n" + "\n".join(f"  - {p}" for p in problems[:20])
        )
    return ref


def _read_fleet(path: Path, year: int, ref: "Referential") -> "ImportResult":
    """Any inventory file (canonical CSV, spreadsheet, GLPI export…) through the import pipeline."""
    from sobrenum.inventory import load_inventory

    return load_inventory(path, reporting_year=year, default_lifetimes=ref.default_lifetimes())


def _with_lines(result: "ImportResult") -> "pa.Table":
    """The accepted fleet with each row's line in the user's file, for the engine's errors."""
    import pyarrow as pa

    lines = (
        pa.array(result.lines, pa.int64())
        if not isinstance(result.lines, pa.Array)
        else result.lines
    )
    return result.fleet.append_column("source_line", lines.cast(pa.int64()))


def print_uncertainty(u: "UncertaintySummary") -> None:
    """The 90 % interval of the carbon footprint and the data to improve first."""
    from rich.table import Table

    from sobrenum.reporting.formatting import number, percent, tonnes
    from sobrenum.reporting.uncertainty_text import interval_sentences

    console.print(
        f"Incertitude ({number(u.draws)} tirages Monte Carlo) : empreinte carbone annuelle "
        f"entre [bold]{tonnes(u.total.p5)}[/] et [bold]{tonnes(u.total.p95)}[/] "
        f"(intervalle à 90 %), médiane {tonnes(u.total.median)}."
    )
    t = u.total
    for sentence in interval_sentences(
        t.nominal, t.mean, t.median, t.p5, t.p95, u.draws, u.nominal_rank
    )[1:]:
        console.print(sentence)
    table = Table(title="Intervalle à 90 % par catégorie (kgCO2e/an)", title_justify="left")
    table.add_column("Catégorie", ratio=3)
    table.add_column("Valeur calculée", justify="right")
    table.add_column("5ᵉ centile", justify="right")
    table.add_column("95ᵉ centile", justify="right")
    for c in u.categories:
        table.add_row(c.label, number(c.nominal), number(c.p5), number(c.p95))
    console.print(table)
    if u.priorities:
        console.print(
            "Données à améliorer en priorité : "
            + ", ".join(f"{p.label} ({percent(p.share)})" for p in u.priorities)
            + "."
        )


def print_summary(summary: "Summary") -> None:
    from rich.table import Table

    from sobrenum.reporting.formatting import number, percent, significant, tonnes
    from sobrenum.reporting.html import ALLOCATION_LABELS

    console.rule(f"[bold]Empreinte du parc numérique — {summary.reporting_year}")
    if summary.organisation:
        console.print(summary.organisation, style="bold")
    console.print(
        f"{number(summary.devices)} équipements · empreinte carbone annuelle "
        f"[bold]{tonnes(summary.annual_gwp)}[/] · sur la durée de vie {tonnes(summary.whole_life_gwp)}"
    )
    gwp = next((c for c in summary.criteria if c.code == "gwp"), None)
    if gwp is not None and gwp.partial:
        console.print(f"[yellow]Carbone : total {gwp.coverage_note}.[/]")
    if summary.per_staff is not None:
        console.print(f"Par agent : {number(summary.per_staff, 1)} kgCO2e par an")
    if summary.per_inhabitant is not None:
        console.print(f"Par habitant : {number(summary.per_inhabitant, 2)} kgCO2e par an")
    table = Table(title="Changement climatique par catégorie", title_justify="left")
    table.add_column("Catégorie", ratio=3)
    table.add_column("Équipements", justify="right")
    table.add_column("kgCO2e/an", justify="right", style="bold")
    table.add_column("Part", justify="right")
    table.add_column("dont fabrication", justify="right")
    for c in summary.categories:
        table.add_row(
            c.label,
            number(c.devices),
            number(c.annual_gwp),
            percent(c.annual_gwp / summary.annual_gwp if summary.annual_gwp else None),
            percent(c.by_phase.get("manufacture", 0.0) / c.annual_gwp if c.annual_gwp else None),
        )
    console.print(table)
    crit = Table(title="Tous les critères (annuel)", title_justify="left")
    crit.add_column("Critère")
    crit.add_column("Valeur", justify="right")
    crit.add_column("Unité")
    crit.add_column("Couverture")
    for line in summary.criteria:
        cov = line.coverage
        crit.add_row(
            line.label,
            significant(line.annual),
            line.unit,
            "complet" if cov is None or cov.complete else line.coverage_note,
        )
    console.print(crit)
    partial = [line for line in summary.criteria if line.partial]
    if partial:
        console.print(
            "« partiel » : la somme ne couvre que les équipements et les phases qui ont un "
            "facteur dans le référentiel (les autres ne sont pas comptés, pas comptés zéro). "
            "Détail par phase dans le rapport HTML et les données ouvertes.",
            style="dim",
        )
    if summary.uncertainty is not None:
        print_uncertainty(summary.uncertainty)
    for w in summary.warnings:
        console.print(f"[yellow]Attention :[/] {w}")
    console.print(
        f"Référentiel {summary.referential_version}, amortissement "
        f"{ALLOCATION_LABELS[summary.allocation][0]}.",
        style="dim",
    )


def _warnings_from(result: "ImportResult") -> list[str]:
    out = []
    if result.rows_rejected:
        out.append(
            f"{result.rows_rejected} ligne(s) de l'inventaire refusée(s) et non comptée(s) : "
            "voir le rapport d'import."
        )
    if result.warnings:
        out.append(
            f"{len(result.warnings)} avertissement(s) à l'import (dates estimées, valeurs "
            "corrigées…) : voir le rapport d'import."
        )
    return out


@dataclass
class FootprintRun:
    """What ``sobrenum empreinte`` and ``sobrenum demo`` are asked to do.

    Without ``path``, the organisation's stored fleet (``database``, ``organisation_key``):
    now, or on ``on``, or on 31 December of ``year`` when only the year is given.
    """

    path: Path | None
    #: None: the year before this one for a file; the organisation's for the stored fleet.
    year: int | None = None
    #: None: linear (the engine's default rule).
    allocation: "Allocation | None" = None
    overrides: list[Path] = field(default_factory=list)
    #: The organisation's own per-category lifetime and usage (CSV), replacing the defaults.
    hypotheses: Path | None = None
    organisation: str = ""
    staff: int | None = None
    population: int | None = None
    report: Path | None = None
    #: Opt-in: a product-footprint file in Boavizta's format, matched on the models.
    models: Path | None = None
    min_confidence: float = DEFAULT_MIN_CONFIDENCE
    #: ``--incertitude``: Monte Carlo draws for the 90 % interval (None: no uncertainty).
    uncertainty_draws: int | None = None
    #: Where the engine runs (duckdb in-process by default, spark or postgres) and its URL.
    backend: str = "duckdb"
    base_url: str | None = None
    #: Large runs: the per-device impacts written to Parquet by the backend.
    parquet_out: Path | None = None
    #: The stored fleet: which store, which organisation (None: the only one), which date.
    database: str | None = None
    organisation_key: str | None = None
    on: dt.date | None = None


def _apply_models(run: FootprintRun, fleet: "pa.Table") -> "tuple[pa.Table, list[str]]":
    """Use model-level manufacture figures where a product matches (the user opted in)."""
    from sobrenum.inventory.models import load_pcf_dataset, match_models, with_model_figures
    from sobrenum.reporting.formatting import number

    if run.models is None:
        return fleet, []
    dataset = load_pcf_dataset(run.models)
    matches = match_models(fleet, dataset, min_confidence=run.min_confidence)
    fleet, devices = with_model_figures(fleet, matches)
    products = matches.matched.num_rows
    console.print(
        f"Modèles : {products} modèle(s) rapproché(s) de {run.models.name} "
        f"(confiance ≥ {number(run.min_confidence)}) ; chiffre de fabrication du modèle "
        f"utilisé pour {number(devices)} équipement(s)."
    )
    for row in matches.matched.to_pylist()[:10]:
        console.print(
            f"  {row['manufacturer'] or ''} {row['model']} → {row['matched_name']} "
            f"(confiance {number(row['confidence'])})",
            highlight=False,
        )
    note = (
        f"Chiffres de fabrication par modèle (fiches PCF des fabricants, {run.models.name}) "
        f"pour {devices} équipement(s) : " + " ".join(matches.caveats)
    )
    return fleet, [note]


def _compute_on_backend(
    run: FootprintRun,
    ref: "Referential",
    fleet: "pa.Table | Path",
    notes: list[str],
    year: int,
    stored: "Organisation | None" = None,
) -> "Summary":
    """Compute on the chosen backend, with a progress display (large fleets take a while).

    ``stored``: the fleet is that organisation's stored fleet, summarised with its stored
    name and sizes (``reporting.stored``, as the dashboard and the council report)."""
    import pyarrow as pa
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from sobrenum.engine import Allocation, Parameters, compute
    from sobrenum.engine.backends import BACKEND_LABELS, connect, load_fleet, write_impacts_parquet
    from sobrenum.reporting import summarise
    from sobrenum.reporting.stored import summarise_stored

    allocation = run.allocation or Allocation.LINEAR
    params = Parameters(reporting_year=year, allocation=allocation)
    label = BACKEND_LABELS.get(run.backend, run.backend)
    columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task(f"Démarrage de {label}…")
        con = (
            None
            if run.backend == "duckdb" and isinstance(fleet, pa.Table)
            else connect(run.backend, run.base_url)
        )
        try:
            progress.update(task, description=f"Chargement du parc dans {label}…")
            table = fleet if con is None else load_fleet(con, fleet)
            progress.update(task, description="Vérification du parc…")
            footprint = compute(table, ref, params, backend=con)
            progress.update(task, description=f"Calcul de l'empreinte ({label})…")
            if stored is not None:
                summary = summarise_stored(
                    footprint, stored, warnings=notes, uncertainty_draws=run.uncertainty_draws
                )
            else:
                summary = summarise(
                    footprint,
                    run.organisation,
                    run.staff,
                    run.population,
                    notes,
                    uncertainty_draws=run.uncertainty_draws,
                )
            if run.parquet_out:
                progress.update(task, description="Écriture des impacts par équipement (Parquet)…")
                write_impacts_parquet(footprint, run.parquet_out)
        finally:
            if con is not None:
                con.disconnect()
    console.print(f"Moteur de calcul : {label}", style="dim")
    if run.parquet_out:
        console.print(f"Impacts par équipement écrits (Parquet) : [bold]{run.parquet_out}[/]")
    return summary


def _stored_footprint(run: FootprintRun, ref: "Referential") -> "Summary":
    """The footprint of the organisation's stored fleet, as the dashboard and the council
    report compute it (``sobrenum.reporting.stored``)."""
    from sobrenum.reporting.formatting import number
    from sobrenum.reporting.snapshots import year_end
    from sobrenum.reporting.stored import organisation_referential, reporting_year, stored_fleet
    from sobrenum.store import open_store
    from sobrenum.store.organisations import find_organisation

    on = run.on if run.on is not None or run.year is None else year_end(run.year)
    with open_store(run.database) as store:
        organisation = find_organisation(store, run.organisation_key)
        ref = organisation_referential(store, organisation, ref)
        with console.status("Lecture du parc enregistré…"):
            fleet = stored_fleet(store, organisation, on)
    year = run.year or reporting_year(organisation, on)
    when = f"au {on:%d/%m/%Y}" if on is not None else "actuel (dernier inventaire de chaque source)"
    sizes = [
        f"{number(value)} {label}"
        for value, label in (
            (organisation.staff_count, "agents"),
            (organisation.population, "habitants"),
        )
        if value is not None
    ]
    console.print(
        f"Parc enregistré {when} de {organisation.name} : {number(fleet.num_rows)} ligne(s)"
        + (f" ; {', '.join(sizes)} (enregistrés pour la collectivité)" if sizes else "")
        + "."
    )
    fleet, notes = _apply_models(run, fleet)
    return _compute_on_backend(run, ref, fleet, notes, year, stored=organisation)


def _check_options(run: FootprintRun) -> None:
    """Options of a file's footprint and of the stored fleet's are not mixed."""
    from sobrenum.domain import SobrenumError

    if run.path is not None:
        stored_only = [
            name
            for name, value in (
                ("--date", run.on),
                ("--organisation", run.organisation_key),
                ("--base", run.database),
            )
            if value is not None
        ]
        if stored_only:
            raise SobrenumError(
                f"{', '.join(stored_only)} : pour le parc enregistré seulement, sans fichier "
                "(sobrenum empreinte --organisation … --date …)."
            )
        return
    file_only = [
        name
        for name, value in (
            ("--agents", run.staff),
            ("--habitants", run.population),
            ("--collectivite", run.organisation or None),
            ("--hypotheses", run.hypotheses),
        )
        if value is not None
    ]
    if file_only:
        raise SobrenumError(
            f"{', '.join(file_only)} : pour un fichier seulement. Sans fichier, l'empreinte est "
            "celle du parc enregistré, avec le nom, les effectifs et les hypothèses enregistrés "
            "de la collectivité (ceux du tableau de bord et du rapport au conseil)."
        )


def _finish(run: FootprintRun, summary: "Summary") -> "Summary":
    from sobrenum.reporting import write_footprint_html

    print_summary(summary)
    if run.report:
        write_footprint_html(summary, run.report)
        console.print(f"Rapport HTML écrit : [bold]{run.report}[/]")
    return summary


def run_footprint(run: FootprintRun) -> "Summary":
    from sobrenum.domain import SobrenumError
    from sobrenum.engine.backends import BACKEND_NAMES
    from sobrenum.inventory import write_report_csv

    _check_options(run)
    ref = _load_referential(run.overrides)
    if run.hypotheses is not None:
        from sobrenum.referential.hypotheses import apply_hypotheses, read_hypotheses

        ref = apply_hypotheses(ref, read_hypotheses(run.hypotheses))
    if run.backend not in BACKEND_NAMES:
        raise SobrenumError(
            f"Moteur de calcul inconnu « {run.backend} » (attendu : {', '.join(BACKEND_NAMES)})."
        )
    if run.path is None:
        return _finish(run, _stored_footprint(run, ref))
    year = run.year or dt.date.today().year - 1
    if run.path.suffix.lower() == ".parquet":
        # Large runs: a Parquet file in the canonical schema goes straight to the backend.
        return _finish(run, _compute_on_backend(run, ref, run.path, [], year))
    with console.status("Lecture de l'inventaire…"):
        result = _read_fleet(run.path, year, ref)
    console.print(f"Inventaire {run.path.name} : {result.summary()}")
    from sobrenum.intake import require_accepted  # no store to load for a file's footprint

    require_accepted(result, run.path.name)
    for issue in result.errors[:10]:
        err.print(f"  [red]refusée[/] {issue.describe()}", highlight=False)
    if len(result.errors) > 10:
        err.print(f"  … et {len(result.errors) - 10} autre(s) ligne(s) refusée(s).")
    if result.issues and run.report:
        rejects = run.report.with_name(run.report.stem + "-import.csv")
        run.report.parent.mkdir(parents=True, exist_ok=True)
        write_report_csv(result, rejects)
        console.print(
            f"Rapport d'import (refus et avertissements, ligne par ligne) : [bold]{rejects}[/]"
        )
    fleet, notes = _apply_models(run, _with_lines(result))
    return _finish(run, _compute_on_backend(run, ref, fleet, _warnings_from(result) + notes, year))


@command(app, "empreinte", "footprint")
def footprint_command(
    file: Annotated[
        Path | None,
        typer.Argument(
            metavar="FICHIER",
            help="Inventaire (CSV canonique, Excel, ODS…, ou Parquet au schéma canonique). "
            "Sans fichier : le parc enregistré de la collectivité (celui du tableau de bord).",
            exists=True,
            dir_okay=False,
            show_default=False,
        ),
    ] = None,
    year: Annotated[
        int | None,
        option(
            "--annee",
            english="--year",
            help="Année de reporting (par défaut l'année dernière ; sans fichier, celle de la "
            "collectivité, et seule elle prend le parc au 31 décembre de l'année).",
            show_default=False,
        ),
    ] = None,
    on: Annotated[
        str | None,
        option(
            "--date",
            help="Sans fichier : le parc enregistré tel qu'il était à cette date (AAAA-MM-JJ "
            "ou JJ/MM/AAAA) ; par défaut aujourd'hui (le dernier inventaire de chaque source).",
            show_default=False,
        ),
    ] = None,
    organisation_key: OrganisationOption = None,
    database: DatabaseOption = None,
    allocation: Annotated[
        str,
        option("--amortissement", english="--allocation", help="lineaire ou annee-acquisition."),
    ] = "lineaire",
    override: OverrideOption = None,
    hypotheses: Annotated[
        Path | None,
        option(
            "--hypotheses",
            english="--assumptions",
            help="Hypothèses de la collectivité (CSV : category, lifetime_years, hours_per_day, "
            "days_per_year) : remplacent les durées de vie et usages du référentiel.",
            exists=True,
            dir_okay=False,
        ),
    ] = None,
    organisation: Annotated[
        str, option("--collectivite", english="--organisation-name", help="Nom affiché.")
    ] = "",
    staff: Annotated[
        int | None, option("--agents", english="--staff", help="Nombre d'agents.", min=1)
    ] = None,
    population: Annotated[
        int | None, option("--habitants", english="--inhabitants", help="Population.", min=1)
    ] = None,
    report: Annotated[
        Path | None, option("--rapport", english="--report", help="Chemin du rapport HTML.")
    ] = None,
    models: Annotated[
        Path | None,
        option(
            "--modeles",
            english="--models",
            help="Fiches d'empreinte des fabricants (format Boavizta, CSV) : utiliser le "
            "chiffre de fabrication du modèle quand il est reconnu.",
            exists=True,
            dir_okay=False,
        ),
    ] = None,
    min_confidence: Annotated[
        float,
        option(
            "--confiance",
            english="--min-confidence",
            help="Confiance minimale du rapprochement des modèles (0 à 100).",
            min=0,
            max=100,
        ),
    ] = DEFAULT_MIN_CONFIDENCE,
    incertitude: Annotated[
        bool,
        option(
            "--incertitude",
            english="--uncertainty",
            help="Intervalle à 90 % (Monte Carlo sur les plages du référentiel) et données à "
            "améliorer en priorité.",
        ),
    ] = False,
    draws: Annotated[
        int, option("--tirages", english="--draws", help="Tirages Monte Carlo.", min=100)
    ] = 1000,
    backend: Annotated[
        str,
        option(
            "--moteur",
            english="--backend",
            help="Moteur de calcul : duckdb (par défaut, en local), spark ou postgres.",
        ),
    ] = "duckdb",
    base_url: Annotated[
        str | None,
        option(
            "--adresse-moteur",
            english="--base-url",
            help="Adresse PostgreSQL (postgresql://…) ou maître Spark (spark://…, local[*]).",
        ),
    ] = None,
    parquet_out: Annotated[
        Path | None,
        option(
            "--sortie-parquet",
            english="--parquet-output",
            help="Écrire les impacts par équipement en Parquet (grands parcs ; un dossier avec Spark).",
        ),
    ] = None,
) -> None:
    """Calculer l'empreinte environnementale d'un parc : un fichier, ou le parc enregistré.

    Sans fichier : le parc enregistré de la collectivité, avec les mêmes chiffres que le
    tableau de bord et le rapport au conseil.
    """
    from sobrenum.domain import SobrenumError
    from sobrenum.engine import Allocation

    if allocation not in ALLOCATIONS:
        raise fail(
            SobrenumError(
                f"Règle d'amortissement inconnue « {allocation} » (lineaire ou annee-acquisition)."
            )
        )
    try:
        run_footprint(
            FootprintRun(
                path=file,
                year=year,
                allocation=Allocation[ALLOCATIONS[allocation]],
                overrides=override or [],
                hypotheses=hypotheses,
                organisation=organisation,
                staff=staff,
                population=population,
                report=report,
                models=models,
                min_confidence=min_confidence,
                uncertainty_draws=draws if incertitude else None,
                backend=backend,
                base_url=base_url,
                parquet_out=parquet_out,
                database=database,
                organisation_key=organisation_key,
                on=parse_date(on) if on is not None else None,
            )
        )
    except SobrenumError as e:
        raise fail(e) from e


@command(app, "demo")
def demo_command(
    output: Annotated[
        Path, option("--sortie", english="--output", help="Dossier des résultats.")
    ] = Path("sobrenum-demo"),
) -> None:
    """Démonstration : une commune fictive, son empreinte et ses rapports (HTML, PDF au conseil).

    La commune a son parc, sa stratégie (indicateurs, objectifs, actions), son registre de
    réemploi et son année figée, dans une base SQLite du dossier de sortie.
    """
    from sobrenum.cli.commands_report import demo_council
    from sobrenum.demo import (
        DEMO_ORGANISATION,
        DEMO_POPULATION,
        DEMO_STAFF,
        DEMO_YEAR,
        demo_inventory,
        prepare_demo,
    )
    from sobrenum.domain import SobrenumError
    from sobrenum.store import open_store

    console.print(f"Inventaire de démonstration : {demo_inventory().name}")
    database = (output / "demonstration.sqlite").resolve()
    try:
        run_footprint(
            FootprintRun(
                path=demo_inventory(),
                year=DEMO_YEAR,
                organisation=DEMO_ORGANISATION,
                staff=DEMO_STAFF,
                population=DEMO_POPULATION,
                report=output / "rapport-empreinte.html",
            )
        )
        with (
            console.status("Commune de démonstration : stratégie, réemploi, année figée…"),
            open_store(f"sqlite:///{database}") as store,
        ):
            organisation = prepare_demo(store, _load_referential([]))
        with open_store(f"sqlite:///{database}") as store:
            demo_council(store, organisation, output)
    except SobrenumError as e:
        raise fail(e) from e
    console.print(
        f"Base de la démonstration : [bold]{database}[/] ; dans l'application web : "
        "[bold]sobrenum demo-web[/].",
        highlight=False,
    )


@command(referential_app, "afficher", "show")
def referential_show(
    category: Annotated[
        str | None, option("--categorie", english="--category", help="Code de catégorie.")
    ] = None,
    override: OverrideOption = None,
) -> None:
    """Afficher la version, les catégories et les facteurs du référentiel."""
    from rich.table import Table

    from sobrenum.domain import CATEGORIES_BY_CODE, CRITERIA_BY_CODE, SobrenumError
    from sobrenum.referential import load
    from sobrenum.reporting.formatting import number

    try:
        ref = load(overrides=override or [])
    except SobrenumError as e:
        raise fail(e) from e
    console.print(f"[bold]{ref.title}[/] — version {ref.version} (publiée le {ref.published})")
    if ref.overrides:
        console.print(f"Surcharges appliquées : {', '.join(ref.overrides)}")
    if category is None:
        table = Table(title="Catégories", title_justify="left")
        for col in (
            "Code",
            "Catégorie",
            "Durée de vie (ans)",
            "Puissance (W)",
            "h/jour",
            "jours/an",
            "Source",
        ):
            table.add_column(col)
        for r in ref.categories.to_pylist():
            label = (
                CATEGORIES_BY_CODE[r["category"]].label_fr
                if r["category"] in CATEGORIES_BY_CODE
                else ""
            )
            table.add_row(
                r["category"],
                label,
                number(r["lifetime_years"], 1),
                number(r["power_w"], 1),
                number(r["hours_per_day"], 1),
                number(r["days_per_year"]),
                r["source_id"] + (" (estimation)" if r["estimate"] else ""),
            )
        console.print(table)
        return
    rows = [r for r in ref.factors.to_pylist() if r["category"] == category]
    if not rows:
        raise fail(SobrenumError(f"Catégorie inconnue ou sans facteur : « {category} »."))
    table = Table(title=f"Facteurs de la catégorie {category}", title_justify="left")
    for col in ("Critère", "Phase", "Valeur", "Intervalle", "Unité", "Source"):
        table.add_column(col)
    for r in rows:
        crit = CRITERIA_BY_CODE.get(r["criterion"])
        table.add_row(
            crit.label_fr if crit else r["criterion"],
            r["phase"],
            f"{r['value']:.4g}",
            f"{r['low']:.3g} – {r['high']:.3g}",
            crit.unit if crit else "",
            r["source_id"] + (" (estimation)" if r["estimate"] else ""),
        )
    console.print(table)


@command(referential_app, "verifier", "check")
def referential_check(override: OverrideOption = None) -> None:
    """Vérifier la cohérence du référentiel (et des surcharges)."""
    from sobrenum.domain import SobrenumError
    from sobrenum.referential import check, load

    try:
        ref = load(overrides=override or [])
    except SobrenumError as e:
        raise fail(e) from e
    problems = check(ref)
    if problems:
        for p in problems:
            err.print(f"  - {p}", highlight=False)
        err.print(f"[bold red]{len(problems)} problème(s)[/] dans le référentiel {ref.version}.")
        raise typer.Exit(code=1)
    console.print(
        f"[green]Référentiel {ref.version} cohérent[/] : {ref.categories.num_rows} catégories, "
        f"{ref.factors.num_rows} facteurs, {ref.electricity.num_rows} facteurs électriques, "
        f"{ref.sources.num_rows} sources."
    )
