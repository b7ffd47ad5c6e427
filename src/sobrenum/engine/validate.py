"""What the engine refuses to compute, named row by row: nothing is silently counted as zero."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import ibis
import ibis.expr.types as ir

from sobrenum.domain import Condition, InvalidDataError, RowIssue, Status
from sobrenum.engine.connections import connection
from sobrenum.referential import Referential

#: Problems listed at most, per check (the total count is always given).
MAX_LISTED = 200


def _among(column: ir.Column, values: list[str]) -> ir.BooleanValue:
    """``column`` is one of a few known-bad values (always false for none)."""
    return column.isin(values) if values else column.isnull() & ibis.literal(False)


Check = tuple[ir.BooleanValue, str, str]


def _row_checks(f: ir.Table, today: dt.date) -> list[Check]:
    """Checks of a row's own values: (condition, column, French reason)."""
    statuses = [s.value for s in Status]
    conditions = [c.value for c in Condition]
    return [
        (f.quantity < 1, "quantity", "quantité négative ou nulle"),
        (f.acquisition_date.isnull(), "acquisition_date", "date d'acquisition manquante"),
        (f.acquisition_date > today, "acquisition_date", "date d'acquisition dans le futur"),
        (
            f.retirement_date < f.acquisition_date,
            "retirement_date",
            "date de sortie antérieure à la date d'acquisition",
        ),
        (f.lifetime_years <= 0, "lifetime_years", "durée de vie négative ou nulle"),
        (f.upstream_lifetime_years < 0, "upstream_lifetime_years", "durée de vie amont négative"),
        (
            f.downstream_lifetime_years < 0,
            "downstream_lifetime_years",
            "durée de vie aval négative",
        ),
        (f.annual_kwh < 0, "annual_kwh", "consommation annuelle négative"),
        (f.power_w < 0, "power_w", "puissance négative"),
        (
            (f.hours_per_day < 0) | (f.hours_per_day > 24),
            "hours_per_day",
            "heures d'usage par jour hors de 0 à 24",
        ),
        (f.pue < 1, "pue", "PUE inférieur à 1"),
        (f.status.notin(statuses), "status", f"statut invalide (attendu : {', '.join(statuses)})"),
        (
            f.condition.notin(conditions),
            "condition",
            f"état invalide (attendu : {', '.join(conditions)})",
        ),
    ]


def _reference_checks(
    f: ir.Table, ref: Referential, groups: list[dict[str, object]]
) -> list[tuple[Check, int]]:
    """Checks against the referential, decided on the distinct (category, country) values.

    Returns each check that fails somewhere with the number of rows concerned; the scan of the
    fleet then only compares against the few values found wrong.
    """
    categories = {r["category"]: r["lifetime_years"] for r in ref.categories.to_pylist()}
    countries = set(ref.electricity["country"].to_pylist())
    country = f.country.fill_null(ref.default_country)

    def rows(keep: Callable[[dict[str, object]], bool]) -> tuple[list[str], int]:
        chosen = [g for g in groups if keep(g)]
        values = sorted({str(g["category"]) for g in chosen if g["category"] is not None})
        return values, sum(int(str(g["n"])) for g in chosen)

    bad_categories, n_cat = rows(lambda g: g["category"] not in categories)
    bad_countries = sorted({str(g["country"]) for g in groups if g["country"] not in countries})
    n_country = sum(int(str(g["n"])) for g in groups if g["country"] not in countries)
    no_default, n_default = rows(
        lambda g: (
            bool(g["no_lifetime"])
            and g["category"] in categories
            and categories[str(g["category"])] is None
        )
    )
    found: list[tuple[Check, int]] = [
        (
            (
                f.category.isnull() | _among(f.category, bad_categories),
                "category",
                "catégorie inconnue du référentiel",
            ),
            n_cat,
        ),
        (
            (
                f.lifetime_years.isnull() & _among(f.category, no_default),
                "lifetime_years",
                "durée de vie manquante et aucune valeur par défaut pour cette catégorie",
            ),
            n_default,
        ),
        (
            (
                _among(country, bad_countries),
                "country",
                "pays d'usage sans facteur électrique au référentiel",
            ),
            n_country,
        ),
    ]
    return [(check, n) for check, n in found if n]


def find_problems(
    fleet: ir.Table,
    ref: Referential,
    today: dt.date | None = None,
    backend: ibis.BaseBackend | None = None,
) -> tuple[int, list[RowIssue]]:
    """Count the rows the engine cannot compute and describe the first ones.

    One scan of the fleet: a group-by on (category, country, lifetime given) that also counts
    every kind of row problem. Rows are fetched only for the kinds of problem found. Runs on
    ``backend`` (a DuckDB connection of its own by default, never a shared one).
    """
    con = backend or connection()
    today = today or dt.date.today()
    line = fleet.source_line if "source_line" in fleet.columns else ibis.null("int64")
    f = fleet.mutate(source_line=line.cast("int64"))
    row_checks = _row_checks(f, today)
    groups = con.to_pyarrow(
        f.group_by(
            category=f.category,
            country=f.country.fill_null(ref.default_country),
            no_lifetime=f.lifetime_years.isnull(),
        ).aggregate(
            n=f.count(),
            **{
                f"c{i}": ibis.ifelse(cond.fill_null(False), 1, 0).sum()
                for i, (cond, _, _) in enumerate(row_checks)
            },
        )
    ).to_pylist()
    counted = [
        (check, sum(int(g[f"c{i}"] or 0) for g in groups)) for i, check in enumerate(row_checks)
    ]
    found = _reference_checks(f, ref, groups) + [(c, n) for c, n in counted if n]
    if not found:
        return 0, []
    parts = [
        f.filter(condition.fill_null(False))
        .select(
            source_line=f.source_line,
            asset_id=f.asset_id.cast("string"),
            column=ibis.literal(column),
            reason=ibis.literal(reason),
            value=f[column].cast("string"),
        )
        .limit(MAX_LISTED)
        for (condition, column, reason), _ in found
    ]
    rows = con.to_pyarrow(ibis.union(*parts)).to_pylist()
    issues = [
        RowIssue(
            reason=f"{r['reason']} (valeur : « {r['value']} »)" if r["value"] else r["reason"],
            line=r["source_line"],
            asset_id=r["asset_id"],
            column=r["column"],
        )
        for r in rows
    ]
    issues.sort(key=lambda i: (i.line or 0, i.asset_id or ""))
    return sum(n for _, n in found), issues


def ensure_computable(
    fleet: ir.Table,
    ref: Referential,
    today: dt.date | None = None,
    backend: ibis.BaseBackend | None = None,
) -> None:
    """Raise a French :class:`InvalidDataError` naming the rows that cannot be computed."""
    total, issues = find_problems(fleet, ref, today, backend)
    if total:
        raise InvalidDataError(
            f"Calcul impossible : {total} problème(s) dans le parc. Corrigez ces lignes "
            "(rien n'a été calculé) :",
            issues,
        )
