"""``sobrenum rapport`` (council report and open data) and ``sobrenum strategie`` (indicators,
objectives, actions, frozen years, comparison between territories)."""

import csv
import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from sobrenum.cli.main import app
from sobrenum.cli.naming import add_group, command, option
from sobrenum.cli.options import (
    DatabaseOption,
    OrganisationOption,
    console,
    organisation_store,
)

if TYPE_CHECKING:
    from sobrenum.referential import Referential
    from sobrenum.reporting.annual import (
        Outputs,
    )
    from sobrenum.store import Organisation, Store


strategy_app = typer.Typer(
    help="Stratégie numérique responsable : indicateurs, objectifs, actions, années figées, "
    "comparaison entre territoires.",
    no_args_is_help=True,
)
add_group(app, strategy_app, "strategie", "strategy")

LAST_YEAR = dt.date.today().year - 1

YearOption = Annotated[int, option("--annee", english="--year", help="Année de reporting.")]


def _referential() -> "Referential":
    from sobrenum.domain import SobrenumError
    from sobrenum.referential import check, load

    ref = load()
    problems = check(ref)
    if problems:
        raise SobrenumError("Le référentiel n'est pas cohérent : " + "; ".join(problems[:5]))
    return ref


def _print_outputs(outputs: "Outputs") -> None:
    console.print(f"Rapport au conseil (PDF) : [bold]{outputs.pdf}[/]")
    console.print(f"Rapport au conseil (HTML) : [bold]{outputs.html}[/]")
    console.print(f"Données ouvertes (paquet Frictionless) : [bold]{outputs.datapackage}[/]")


# --- the council report --------------------------------------------------------------------


def write_store_report(
    store: "Store",
    organisation: "Organisation",
    year: int,
    ref: "Referential",
    folder: Path,
    *,
    demo: bool = False,
) -> "Outputs":
    from sobrenum.reporting.annual import footprint_by_criterion, report_from_store, write_outputs
    from sobrenum.reporting.stored import organisation_referential

    ref = organisation_referential(store, organisation, ref)  # as the web's report
    report, current = report_from_store(store, organisation, year, ref)
    report.demo = demo
    same_ref = current.summary.referential_version == ref.version
    rows = footprint_by_criterion(current.fleet, ref, current.summary) if same_ref else None
    return write_outputs(report, folder, by_criterion=rows)


@command(app, "rapport", "report")
def report_command(
    year: YearOption = LAST_YEAR,
    organisation: OrganisationOption = None,
    output: Annotated[
        Path, option("--sortie", english="--output", help="Dossier où écrire le rapport.")
    ] = Path("."),
    database: DatabaseOption = None,
) -> None:
    """Rapport annuel au conseil (PDF et HTML) et données ouvertes d'une année."""
    from sobrenum.store import strategy as st
    from sobrenum.store.audit import record_download

    with organisation_store(database, organisation) as (store, org):
        ref = _referential()
        with console.status("Rapport au conseil…"):
            outputs = write_store_report(store, org, year, ref, output)
        record_download(
            store, "council_report_and_open_data", file_name=str(output),
            organisation_id=org.id, details={"year": year},
        )  # fmt: skip
        if not st.get_snapshot(store, org, year):
            console.print(
                f"[yellow]Attention :[/] l'année {year} n'est pas figée, les chiffres sont "
                f"provisoires (sobrenum strategie figer --annee {year})."
            )
    _print_outputs(outputs)


# --- the demo ------------------------------------------------------------------------------


def demo_council(store: "Store", organisation: "Organisation", folder: Path) -> "Outputs":
    """The demo commune's council report (marked as a demonstration), from its store."""
    from sobrenum.demo import DEMO_YEAR

    outputs = write_store_report(store, organisation, DEMO_YEAR, _referential(), folder, demo=True)
    _print_outputs(outputs)
    return outputs


# --- strategy: indicators ------------------------------------------------------------------


@command(strategy_app, "indicateurs", "indicators")
def indicators_command(
    year: YearOption = LAST_YEAR,
    organisation: OrganisationOption = None,
    catalogue: Annotated[
        bool, typer.Option("--catalogue", help="Lister seulement les indicateurs et formules.")
    ] = False,
    database: DatabaseOption = None,
) -> None:
    """Indicateurs de l'année : valeur, origine, objectif, statut."""
    from rich.table import Table

    from sobrenum.reporting import indicators as ind
    from sobrenum.reporting.annual import report_from_store
    from sobrenum.reporting.formatting import significant
    from sobrenum.reporting.stored import organisation_referential

    if catalogue:
        table = Table(title="Indicateurs de la stratégie numérique responsable")
        for col in ("Code", "Thème", "Indicateur", "Unité", "Origine"):
            table.add_column(col)
        for i in ind.catalogue():
            table.add_row(i.code, i.theme, i.label, i.unit, i.mode.value)
        console.print(table)
        return
    with organisation_store(database, organisation) as (store, org):
        ref = _referential()
        ref = organisation_referential(store, org, ref)
        report, _ = report_from_store(store, org, year, ref, with_interval=False)
    state = "figée" if report.frozen else "provisoire (non figée)"
    table = Table(title=f"Indicateurs {year} — {org.name} — année {state}", title_justify="left")
    for col in ("Code", "Indicateur", "Valeur", "Unité", "Objectif", "Statut", "Origine"):
        table.add_column(col, justify="right" if col in ("Valeur", "Objectif") else "left")
    for v in report.indicators:
        table.add_row(
            v.indicator.code,
            v.indicator.label,
            significant(v.value),
            v.indicator.unit,
            significant(v.objective),
            v.status,
            v.origin.value if v.value is not None else (v.note or v.origin.value),
        )
    console.print(table)


def _parse_value(text: str) -> float:
    from sobrenum.domain.numbers import parse_french_number
    from sobrenum.reporting import indicators as ind

    cleaned = text.strip().replace("\u202f", "").replace("\xa0", "").replace(" ", "")
    lowered = cleaned.lower()
    if lowered in ("oui", "yes", "vrai"):
        return 1.0
    if lowered in ("non", "no", "faux"):
        return 0.0
    try:
        value = parse_french_number(cleaned.rstrip("%"))
        if value is None:
            raise ValueError(text)
        return value
    except ValueError as exc:
        raise ind.IndicatorError(f"Valeur « {text} » illisible : un nombre est attendu.") from exc


@command(strategy_app, "declarer", "declare")
def declare_command(
    code: Annotated[
        str, typer.Argument(metavar="CODE", help="Code de l'indicateur (voir --catalogue).")
    ],
    value: Annotated[
        str, typer.Argument(metavar="VALEUR", help="Valeur (nombre ; oui/non pour un contrat).")
    ],
    year: YearOption = LAST_YEAR,
    organisation: OrganisationOption = None,
    comment: Annotated[
        str | None, option("--commentaire", english="--comment", help="Précision.")
    ] = None,
    database: DatabaseOption = None,
) -> None:
    """Déclarer la valeur d'un indicateur pour une année."""
    from sobrenum.reporting import indicators as ind
    from sobrenum.reporting.formatting import significant
    from sobrenum.store import strategy as st

    with organisation_store(database, organisation) as (store, org):
        indicator = ind.get(code)
        if not indicator.declarable:
            raise ind.IndicatorError(
                f"« {indicator.label} » est calculé à partir de l'inventaire : il ne se déclare pas."
            )
        number_value = ind.check_value(indicator, _parse_value(value))
        st.declare_value(store, org, indicator.code, year, number_value, comment=comment)
    console.print(
        f"{indicator.label} {year} : {significant(number_value)} {indicator.unit} (déclaré)."
    )


@command(strategy_app, "objectif", "objective")
def objective_command(
    code: Annotated[str, typer.Argument(metavar="CODE", help="Code de l'indicateur.")],
    target: Annotated[str, typer.Argument(metavar="CIBLE", help="Valeur cible.")],
    year: YearOption = LAST_YEAR,
    organisation: OrganisationOption = None,
    database: DatabaseOption = None,
) -> None:
    """Fixer l'objectif d'un indicateur pour une année."""
    from sobrenum.reporting import indicators as ind
    from sobrenum.reporting.formatting import significant
    from sobrenum.store import strategy as st

    with organisation_store(database, organisation) as (store, org):
        indicator = ind.get(code)
        number_value = ind.check_value(indicator, _parse_value(target))
        st.set_objective(store, org, indicator.code, year, number_value)
    console.print(
        f"Objectif {year} — {indicator.label} : {significant(number_value)} {indicator.unit}."
    )


@command(strategy_app, "importer", "import")
def import_declarations_command(
    file: Annotated[
        Path,
        typer.Argument(
            metavar="FICHIER",
            help="CSV : annee;code;valeur;objectif (valeur ou objectif peut être vide).",
            exists=True,
            dir_okay=False,
        ),
    ],
    organisation: OrganisationOption = None,
    database: DatabaseOption = None,
) -> None:
    """Importer des valeurs déclarées et des objectifs (CSV ; tout ou rien)."""
    from sobrenum.store import strategy as st

    with organisation_store(database, organisation) as (store, org):
        rows = _read_declarations(file)
        st.apply_declarations(store, org, rows)
    console.print(f"{len(rows)} ligne(s) importée(s) depuis {file.name}.")


def _read_declarations(path: Path) -> list[tuple[int, str, float | None, float | None]]:
    """Every row checked before anything is written; errors name the line and field."""
    from sobrenum.reporting import indicators as ind

    text = path.read_text(encoding="utf-8-sig")
    dialect = ";" if text.count(";") >= text.count(",") else ","
    reader = csv.DictReader(text.splitlines(), delimiter=dialect)
    needed = {"annee", "code"}
    if not reader.fieldnames or not needed <= {f.strip().lower() for f in reader.fieldnames}:
        raise ind.IndicatorError(
            f"{path.name} : colonnes attendues annee, code, valeur, objectif "
            f"(trouvées : {', '.join(reader.fieldnames or [])})."
        )
    out = []
    problems = []
    for line, raw in enumerate(reader, start=2):
        row = {k.strip().lower(): (v or "").strip() for k, v in raw.items() if k}
        try:
            try:
                year = int(row["annee"])
            except ValueError as exc:
                raise ind.IndicatorError(f"année « {row['annee']} » invalide") from exc
            indicator = ind.get(row["code"])
            value = target = None
            if row.get("valeur"):
                if not indicator.declarable:
                    raise ind.IndicatorError(
                        f"« {indicator.code} » est calculé, il ne se déclare pas"
                    )
                value = ind.check_value(indicator, _parse_value(row["valeur"]))
            if row.get("objectif"):
                target = ind.check_value(indicator, _parse_value(row["objectif"]))
            out.append((year, indicator.code, value, target))
        except ind.IndicatorError as exc:
            problems.append(f"ligne {line} : {exc}")
    if problems:
        raise ind.IndicatorError(
            f"{path.name} refusé, rien n'a été enregistré :\n  " + "\n  ".join(problems[:20])
        )
    return out


# --- strategy: actions, freezing, consent, comparison --------------------------------------


@command(strategy_app, "action")
def action_command(
    title: Annotated[str, typer.Argument(metavar="INTITULE", help="Intitulé de l'action.")],
    theme: Annotated[str, typer.Option("--theme", help="Thème : 1 à 6 (0 : empreinte).")] = "2",
    state: Annotated[
        str, option("--etat", english="--state", help="prevue, en_cours, realisee ou abandonnee.")
    ] = "prevue",
    year: YearOption = LAST_YEAR,
    organisation: OrganisationOption = None,
    description: Annotated[str | None, typer.Option("--description")] = None,
    database: DatabaseOption = None,
) -> None:
    """Inscrire une action de la stratégie."""
    from sobrenum.reporting import indicators as ind
    from sobrenum.store import strategy as st

    with organisation_store(database, organisation) as (store, org):
        if theme not in ind.THEMES:
            raise ind.IndicatorError(f"Thème « {theme} » inconnu : 0 à 6.")
        st.add_action(
            store,
            org,
            year=year,
            theme=theme,
            title=title,
            state=state,
            description=description,
        )
    console.print(f"Action inscrite ({ind.THEMES[theme]}) : {title}")


@command(strategy_app, "figer", "freeze")
def freeze_command(
    year: YearOption = LAST_YEAR,
    organisation: OrganisationOption = None,
    replace: Annotated[
        bool, option("--remplacer", english="--replace", help="Refiger une année déjà figée.")
    ] = False,
    database: DatabaseOption = None,
) -> None:
    """Figer une année : parc au 31 décembre, version du référentiel, résultats."""
    from sobrenum.reporting.formatting import number, tonnes
    from sobrenum.reporting.snapshots import freeze
    from sobrenum.reporting.stored import organisation_referential

    with organisation_store(database, organisation) as (store, org):
        ref = _referential()
        ref = organisation_referential(store, org, ref)  # as the web's freeze
        with console.status(f"Calcul de l'année {year}…"):
            result = freeze(store, org, year, ref, replace=replace)
    s = result.summary
    console.print(
        f"Année {year} figée pour {org.name} : {number(s.devices)} équipements au 31/12/{year}, "
        f"{tonnes(s.annual_gwp)}, référentiel {s.referential_version}."
    )
    d = result.decomposition
    if d is not None:
        console.print(
            f"Depuis {year - 1} : {tonnes(d.change)} dont effet référentiel "
            f"{tonnes(d.referential_effect)} et effet parc {tonnes(d.fleet_effect)}."
        )


@command(strategy_app, "consentement", "consent")
def consent_command(
    accept: Annotated[
        bool,
        option(
            "--oui/--non",
            english="--yes/--no",
            help="Accepter (--oui) ou retirer (--non) l'accord.",
        ),
    ],
    organisation: OrganisationOption = None,
    database: DatabaseOption = None,
) -> None:
    """Accepter ou refuser de figurer (anonymement) dans les comparaisons entre territoires."""
    from sobrenum.store import strategy as st

    with organisation_store(database, organisation) as (store, org):
        st.set_consent(store, org, accept)
    console.print(
        f"{org.name} "
        + ("figure désormais" if accept else "ne figure plus")
        + " dans les comparaisons entre territoires."
    )


@command(strategy_app, "comparer", "compare")
def compare_command(
    year: YearOption = LAST_YEAR,
    organisation: OrganisationOption = None,
    database: DatabaseOption = None,
) -> None:
    """Situer la collectivité parmi des collectivités comparables (anonyme, au moins 5)."""
    from rich.table import Table

    from sobrenum.reporting.comparison import compare
    from sobrenum.reporting.formatting import significant

    with organisation_store(database, organisation) as (store, org):
        result = compare(store, org, year)
    if result.message:
        console.print(result.message)
        return
    table = Table(title=f"{result.group_label} — {year}", title_justify="left")
    for col in ("Mesure", "Vous", "1er quartile", "Médiane", "3e quartile", "Position"):
        table.add_column(col)
    for m in result.metrics:
        if m.shown:
            table.add_row(
                f"{m.metric.label} ({m.metric.unit})",
                significant(m.own),
                significant(m.q1),
                significant(m.median),
                significant(m.q3),
                f"{m.position} ({m.count} collectivités)",
            )
        else:
            table.add_row(m.metric.label, significant(m.own), "—", "—", "—", m.hidden_reason)
    console.print(table)
