"""``sobrenum scenario``: scenarios and trajectories of an organisation's stored fleet."""

import datetime as dt
from typing import TYPE_CHECKING, Annotated

import typer

from sobrenum.cli.main import app
from sobrenum.cli.naming import add_group, command, option
from sobrenum.cli.options import DatabaseOption, OrganisationOption, console, organisation_store

if TYPE_CHECKING:
    from sobrenum.scenarios import Lever

scenario_app = typer.Typer(
    help="Scénarios et trajectoires : où en sera le parc année après année selon les leviers "
    "choisis (durée de vie, reconditionné, partage…), et les objectifs seront-ils atteints ?",
    no_args_is_help=True,
)
add_group(app, scenario_app, "scenario")

LeverOption = Annotated[
    list[str] | None,
    option(
        "--levier",
        "-l",
        english="--lever",
        help="Un levier : TYPE=VALEUR@ANNÉE[:catégorie,catégorie], par ex. "
        "« lifetime_extension=2@2026:laptop » (voir « sobrenum scenario leviers »).",
    ),
]


def parse_lever(text: str) -> "Lever":
    """« lifetime_extension=2@2026:laptop,desktop » → a checked lever (French errors)."""
    from sobrenum.scenarios import ScenarioError, make_lever

    kind, _, rest = text.partition("=")
    value, _, rest = rest.partition("@")
    year, _, cats = rest.partition(":")
    if not kind or not value or not year:
        raise ScenarioError(
            f"Levier « {text} » illisible : écrivez TYPE=VALEUR@ANNÉE[:catégories], "
            "par ex. lifetime_extension=2@2026:laptop."
        )
    try:
        number = float(value.replace(",", "."))
        start = int(year)
    except ValueError:
        raise ScenarioError(
            f"Levier « {text} » : la valeur et l'année doivent être des nombres."
        ) from None
    categories = [c.strip() for c in cats.split(",") if c.strip()]
    return make_lever(kind.strip(), number, start, categories)


@command(scenario_app, "leviers", "levers")
def levers_list() -> None:
    """Lister les types de leviers, leur unité et leurs bornes."""
    from rich.table import Table

    from sobrenum.scenarios import KINDS

    table = Table("Type", "Levier", "Unité", "Bornes")
    for kind, info in KINDS.items():
        table.add_row(kind.value, info.label, info.unit, f"{info.low:g} à {info.high:g}")
    console.print(table)


@command(scenario_app, "creer", "create")
def create(
    name: Annotated[str, typer.Argument(help="Nom du scénario (par ex. « Sobriété »).")],
    levers: LeverOption = None,
    start: Annotated[
        int | None,
        option(
            "--debut", english="--first-year", help="Première année (par défaut l'année du bilan)."
        ),
    ] = None,
    end: Annotated[
        int | None,
        option("--fin", english="--last-year", help="Dernière année (par défaut début + 10)."),
    ] = None,
    staff_growth: Annotated[
        float,
        option(
            "--croissance-effectif",
            english="--staff-growth",
            help="Évolution annuelle de l'effectif, en %.",
        ),
    ] = 0.0,
    equipment_growth: Annotated[
        float,
        option(
            "--croissance-equipement",
            english="--equipment-growth",
            help="Évolution annuelle du parc par agent, en %.",
        ),
    ] = 0.0,
    description: Annotated[
        str, option("--description", english="--description", help="Texte libre.")
    ] = "",
    organisation: OrganisationOption = None,
    database: DatabaseOption = None,
) -> None:
    """Créer (ou remplacer) un scénario de la collectivité."""
    from sobrenum.scenarios import Scenario
    from sobrenum.store import scenarios as saved

    with organisation_store(database, organisation) as (store, org):
        first = start or org.reporting_year or dt.date.today().year - 1
        scenario = Scenario(
            name,
            first,
            end or first + 10,
            tuple(parse_lever(x) for x in levers or []),
            staff_growth / 100.0,
            equipment_growth / 100.0,
            description=description,
        )
        record = saved.save_scenario(store, org, scenario.name, scenario.to_json())
    console.print(
        f"Scénario « {record.name} » enregistré ({scenario.start_year}–{scenario.end_year}, "
        f"{len(scenario.levers)} levier(s))."
    )


@command(scenario_app, "lister", "list")
def list_all(organisation: OrganisationOption = None, database: DatabaseOption = None) -> None:
    """Lister les scénarios de la collectivité."""
    from rich.table import Table

    from sobrenum.scenarios import Scenario
    from sobrenum.store import scenarios as saved

    with organisation_store(database, organisation) as (store, org):
        records = saved.list_scenarios(store, org)
    if not records:
        console.print("Aucun scénario : « sobrenum scenario creer NOM --levier … ».")
        return
    table = Table("Scénario", "Horizon", "Leviers", "Trajectoire retenue")
    for r in records:
        s = Scenario.from_json(r.definition)
        table.add_row(
            r.name,
            f"{s.start_year}–{s.end_year}",
            "\n".join(lv.describe() for lv in s.levers) or "aucun",
            "oui" if r.chosen else "",
        )
    console.print(table)


@command(scenario_app, "comparer", "compare")
def compare(
    names: Annotated[
        list[str] | None, typer.Argument(help="Scénarios à comparer (4 au plus ; tous sinon).")
    ] = None,
    organisation: OrganisationOption = None,
    database: DatabaseOption = None,
) -> None:
    """Projeter les scénarios année par année et les comparer à la référence sans levier."""
    from rich.table import Table

    from sobrenum.referential import load
    from sobrenum.reporting.formatting import number
    from sobrenum.reporting.trajectory import plain_summary, trajectories
    from sobrenum.store import scenarios as saved

    with organisation_store(database, organisation) as (store, org):
        ids = [saved.find_scenario(store, org, n).id for n in names] if names else None
        view = trajectories(store, org, load(), ids)
    runs = [view.baseline, *view.runs]
    table = Table("Année", *(f"{r.name}\nt CO2e" for r in runs), title="Empreinte carbone annuelle")
    for i, year in enumerate(view.baseline.trajectory.years):
        table.add_row(str(year.year), *(number(r.trajectory.years[i].gwp / 1000, 1) for r in runs))
    console.print(table)
    for run in view.runs:
        console.print(f"\n[bold]{run.name}[/]")
        for sentence in plain_summary(view, run):
            console.print(f"  {sentence}", highlight=False)
        for part in run.contributions:
            label = part.lever.describe() if part.lever else "interactions"
            console.print(
                f"  • {label} : {number(part.cumulative / 1000, 1)} t CO2e sur l'horizon",
                highlight=False,
            )
    console.print(f"\nRéférentiel {view.referential_version}.", highlight=False)


@command(scenario_app, "choisir", "choose")
def choose(
    name: Annotated[str, typer.Argument(help="Scénario retenu comme trajectoire de la stratégie.")],
    organisation: OrganisationOption = None,
    database: DatabaseOption = None,
) -> None:
    """Retenir un scénario comme trajectoire de la stratégie (rapport au conseil)."""
    from sobrenum.store import scenarios as saved

    with organisation_store(database, organisation) as (store, org):
        record = saved.find_scenario(store, org, name)
        saved.choose_scenario(store, org, record.id)
    typer.echo(f"« {record.name} » est la trajectoire retenue.")


@command(scenario_app, "supprimer", "delete")
def delete(
    name: Annotated[str, typer.Argument(help="Scénario à supprimer.")],
    organisation: OrganisationOption = None,
    database: DatabaseOption = None,
) -> None:
    """Supprimer un scénario."""
    from sobrenum.store import scenarios as saved

    with organisation_store(database, organisation) as (store, org):
        saved.delete_scenario(store, org, saved.find_scenario(store, org, name).id)
    typer.echo(f"Scénario « {name} » supprimé.")


@command(scenario_app, "objectif", "target")
def target(
    indicator: Annotated[
        str,
        option(
            "--indicateur", english="--indicator", help="gwp, gwp_per_agent (par agent) ou devices."
        ),
    ],
    base_year: Annotated[
        int, option("--reference", english="--base-year", help="Année de référence.")
    ],
    year: Annotated[int, option("--annee", english="--year", help="Année de l'objectif.")],
    change: Annotated[
        float, option("--evolution", english="--change", help="Évolution visée en % (par ex. -30).")
    ],
    organisation: OrganisationOption = None,
    database: DatabaseOption = None,
) -> None:
    """Fixer un objectif de trajectoire (par ex. −30 % de CO2e par agent en 2030 / 2025)."""
    from sobrenum.scenarios import Indicator, ScenarioError, Target
    from sobrenum.store import scenarios as saved

    with organisation_store(database, organisation) as (store, org):
        try:
            code = Indicator(indicator)
        except ValueError:
            raise ScenarioError(
                f"Indicateur inconnu « {indicator} » (gwp, gwp_per_agent, devices)."
            ) from None
        goal = Target(code, base_year, year, change / 100.0)
        saved.set_target(store, org, code.value, base_year, year, goal.change)
    typer.echo(f"Objectif enregistré : {goal.describe()}.")
