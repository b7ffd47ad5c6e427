"""Open data: the footprint by category and phase and the indicators, as CSV files described
by a Frictionless data package (``datapackage.json`` with a Table Schema per file).

CSV files are UTF-8, comma separated, one header line. Text cells starting with ``=`` ``+``
``-`` ``@``, a tab or a carriage return get a leading apostrophe (formula injection);
numbers are written as plain decimal numbers with a dot, as the Table Schema ``number`` type
requires.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sobrenum import __version__
from sobrenum.domain import CRITERIA_BY_CODE, PHASE_LABELS, Phase
from sobrenum.inventory.safety import neutralise_formula
from sobrenum.reporting.indicators import THEMES, IndicatorValue, category_label
from sobrenum.reporting.summary import Summary

FOOTPRINT_FILE = "empreinte-par-categorie.csv"
INDICATORS_FILE = "indicateurs.csv"
COVERAGE_FILE = "couverture.csv"
PACKAGE_FILE = "datapackage.json"


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # Table Schema type: string, integer, number
    title: str
    description: str
    required: bool = False


FOOTPRINT_COLUMNS: tuple[Column, ...] = (
    Column("annee", "integer", "Année", "Année de reporting.", True),
    Column("collectivite", "string", "Collectivité", "Nom de la collectivité.", True),
    Column("siren", "string", "SIREN", "SIREN de la collectivité (9 chiffres), si connu."),
    Column("categorie", "string", "Catégorie (code)", "Code de la catégorie d'équipement.", True),
    Column("categorie_libelle", "string", "Catégorie", "Libellé de la catégorie.", True),
    Column("equipements", "integer", "Équipements", "Nombre d'équipements de la catégorie."),
    Column("critere", "string", "Critère (code)", "Code du critère d'impact.", True),
    Column(
        "phase", "string", "Phase (code)", "manufacture, distribution, use ou end_of_life.", True
    ),
    Column("phase_libelle", "string", "Phase", "Libellé de la phase du cycle de vie.", True),
    Column(
        "impact_annuel", "number", "Impact annuel", "Impact de l'année, dans l'unité du critère."
    ),
    Column("unite", "string", "Unité", "Unité du critère.", True),
    Column(
        "version_referentiel", "string", "Version du référentiel", "Référentiel de facteurs.", True
    ),
)

COVERAGE_COLUMNS: tuple[Column, ...] = (
    Column("annee", "integer", "Année", "Année de reporting.", True),
    Column("collectivite", "string", "Collectivité", "Nom de la collectivité.", True),
    Column("siren", "string", "SIREN", "SIREN de la collectivité (9 chiffres), si connu."),
    Column("critere", "string", "Critère (code)", "Code du critère d'impact.", True),
    Column("critere_libelle", "string", "Critère", "Libellé du critère (méthode).", True),
    Column("unite", "string", "Unité", "Unité du critère.", True),
    Column(
        "phase", "string", "Phase (code)", "manufacture, distribution, use ou end_of_life.", True
    ),
    Column("phase_libelle", "string", "Phase", "Libellé de la phase du cycle de vie.", True),
    Column(
        "equipements_couverts",
        "number",
        "Équipements couverts",
        "Équipements de l'année qui ont un facteur pour ce critère et cette phase.",
        True,
    ),
    Column("equipements", "number", "Équipements", "Équipements de l'année.", True),
    Column(
        "part_carbone_couverte",
        "number",
        "Part du carbone couverte",
        "Part de l'empreinte carbone annuelle portée par les équipements couverts (0 à 1).",
        True,
    ),
    Column(
        "total_complet",
        "boolean",
        "Total complet",
        "false : le total du critère est partiel (des équipements ou des phases n'ont pas de "
        "facteur et ne sont pas comptés).",
        True,
    ),
    Column(
        "version_referentiel", "string", "Version du référentiel", "Référentiel de facteurs.", True
    ),
)

INDICATOR_COLUMNS: tuple[Column, ...] = (
    Column("annee", "integer", "Année", "Année de reporting.", True),
    Column("collectivite", "string", "Collectivité", "Nom de la collectivité.", True),
    Column("siren", "string", "SIREN", "SIREN de la collectivité (9 chiffres), si connu."),
    Column("theme", "integer", "Thème (numéro)", "0 = empreinte ; 1 à 6 = thèmes du décret.", True),
    Column(
        "theme_libelle", "string", "Thème", "Thème de la stratégie numérique responsable.", True
    ),
    Column("code", "string", "Indicateur (code)", "Code de l'indicateur.", True),
    Column("indicateur", "string", "Indicateur", "Libellé de l'indicateur.", True),
    Column("valeur", "number", "Valeur", "Valeur de l'année ; vide si non renseignée."),
    Column("unite", "string", "Unité", "Unité de la valeur.", True),
    Column(
        "origine",
        "string",
        "Origine",
        "calculé, déclaré, registre de réemploi ou non renseigné.",
        True,
    ),
    Column("objectif", "number", "Objectif", "Objectif fixé pour l'année ; vide sinon."),
    Column(
        "statut", "string", "Statut", "atteint, non atteint, sans objectif ou non renseigné.", True
    ),
    Column("formule", "string", "Formule", "Définition de l'indicateur.", True),
)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(round(value, 6)) if value == value else ""
    return neutralise_formula(str(value))


def _write(path: Path, columns: Sequence[Column], rows: Sequence[Sequence[Any]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow([c.name for c in columns])
        for row in rows:
            writer.writerow([_cell(v) for v in row])


def footprint_rows(
    summary: Summary, siren: str | None, by_criterion: Sequence[dict[str, Any]]
) -> list[list[Any]]:
    """Rows of the footprint file from the engine's totals by (category, phase, criterion)."""
    devices = {c.category: c.devices for c in summary.categories}
    labels = {p.value: PHASE_LABELS[p][0] for p in Phase}
    rows = []
    for r in by_criterion:
        crit = CRITERIA_BY_CODE.get(r["criterion"])
        rows.append(
            [
                summary.reporting_year,
                summary.organisation,
                siren,
                r["category"],
                category_label(r["category"]),
                devices.get(r["category"]),
                r["criterion"],
                r["phase"],
                labels.get(r["phase"], r["phase"]),
                r["annual"],
                crit.unit if crit else "",
                summary.referential_version,
            ]
        )
    return rows


def coverage_rows(summary: Summary, siren: str | None) -> list[list[Any]]:
    """One row per criterion × phase: how many devices the criterion's total covers."""
    labels = {p.value: PHASE_LABELS[p][0] for p in Phase}
    rows = []
    for line in summary.criteria:
        if line.coverage is None:
            continue
        for phase, c in line.coverage.by_phase.items():
            rows.append(
                [
                    summary.reporting_year,
                    summary.organisation,
                    siren,
                    line.code,
                    line.label,
                    line.unit,
                    phase,
                    labels.get(phase, phase),
                    c.devices,
                    c.devices_total,
                    c.carbon_share,
                    line.coverage.complete,
                    summary.referential_version,
                ]
            )
    return rows


def gwp_rows(summary: Summary) -> list[dict[str, Any]]:
    """The carbon footprint by (category, phase) from a summary alone."""
    return [
        {"category": c.category, "phase": p, "criterion": "gwp", "annual": v}
        for c in summary.categories
        for p, v in c.by_phase.items()
    ]


def indicator_rows(
    values: Sequence[IndicatorValue], organisation: str, siren: str | None
) -> list[list[Any]]:
    return [
        [
            v.year,
            organisation,
            siren,
            int(v.indicator.theme),
            THEMES[v.indicator.theme],
            v.indicator.code,
            v.indicator.label,
            v.value,
            v.indicator.unit,
            v.origin.value,
            v.objective,
            v.status,
            v.indicator.formula,
        ]
        for v in values
    ]


def _resource(
    name: str, path: str, title: str, description: str, columns: Sequence[Column]
) -> dict[str, Any]:
    return {
        "name": name,
        "path": path,
        "title": title,
        "description": description,
        "profile": "tabular-data-resource",
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        "dialect": {"delimiter": ",", "header": True},
        "schema": {
            "fields": [
                {
                    "name": c.name,
                    "type": c.type,
                    "title": c.title,
                    "description": c.description,
                    **({"constraints": {"required": True}} if c.required else {}),
                }
                for c in columns
            ],
            "missingValues": [""],
        },
    }


def write_open_data(
    folder: Path,
    summary: Summary,
    indicators: Sequence[IndicatorValue],
    *,
    siren: str | None = None,
    by_criterion: Sequence[dict[str, Any]] | None = None,
) -> Path:
    """Write the two CSV files and ``datapackage.json`` into ``folder``; returns the package.

    ``by_criterion`` is the engine's totals by (category, phase) for every criterion; without
    it (a frozen year keeps the carbon footprint only) the file has the carbon footprint.
    """
    folder.mkdir(parents=True, exist_ok=True)
    rows = by_criterion if by_criterion is not None else gwp_rows(summary)
    _write(folder / FOOTPRINT_FILE, FOOTPRINT_COLUMNS, footprint_rows(summary, siren, rows))
    _write(
        folder / INDICATORS_FILE,
        INDICATOR_COLUMNS,
        indicator_rows(indicators, summary.organisation, siren),
    )
    coverage = coverage_rows(summary, siren)
    if coverage:
        _write(folder / COVERAGE_FILE, COVERAGE_COLUMNS, coverage)
    year = summary.reporting_year
    package = {
        "profile": "tabular-data-package",
        "name": f"sobrenum-strategie-numerique-responsable-{year}",
        "title": f"Stratégie numérique responsable — {summary.organisation} — {year}",
        "description": (
            "Empreinte environnementale du parc numérique par catégorie et par phase, et "
            "indicateurs de la stratégie numérique responsable (loi REEN, décret 2022-1084). "
            f"Référentiel de facteurs {summary.referential_version}."
        ),
        "version": f"{year}.0",
        "licenses": [
            {
                "name": "etalab-2.0",
                "title": "Licence Ouverte / Open Licence version 2.0",
                "path": "https://www.etalab.gouv.fr/licence-ouverte-open-licence/",
            }
        ],
        "sources": [
            {"title": f"Référentiel sobrenum {summary.referential_version}"},
        ],
        "contributors": [{"title": summary.organisation or "Collectivité", "role": "publisher"}],
        "keywords": ["numérique responsable", "REEN", "empreinte carbone", "collectivité"],
        "sobrenum_version": __version__,
        "resources": [
            _resource(
                "empreinte-par-categorie",
                FOOTPRINT_FILE,
                "Empreinte annuelle par catégorie et par phase",
                "Impacts annuels du parc au 31 décembre par catégorie d'équipement, critère et phase.",
                FOOTPRINT_COLUMNS,
            ),
            _resource(
                "indicateurs",
                INDICATORS_FILE,
                "Indicateurs de la stratégie numérique responsable",
                "Valeur, origine et objectif de chaque indicateur pour l'année.",
                INDICATOR_COLUMNS,
            ),
            *(
                [
                    _resource(
                        "couverture",
                        COVERAGE_FILE,
                        "Couverture des totaux par critère et par phase",
                        "Part des équipements (et du carbone) qui ont un facteur : un total "
                        "dont total_complet vaut false est une somme partielle.",
                        COVERAGE_COLUMNS,
                    )
                ]
                if coverage
                else []
            ),
        ],
    }
    path = folder / PACKAGE_FILE
    path.write_text(json.dumps(package, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path
