"""What the engine refuses to compute, named row by row: nothing is silently counted as zero."""

from __future__ import annotations

import datetime as dt

import ibis
import ibis.expr.types as ir

from sobrenum.domain import Condition, InvalidDataError, RowIssue, Status
from sobrenum.referential import Referential

#: Problems listed at most, per check (the total count is always given).
MAX_LISTED = 200


def _among(column: ir.Column, values: list[str]) -> ir.BooleanValue:
    """``column`` is one of a few known-bad values (always false for none)."""
    return column.isin(values) if values else column.isnull() & ibis.literal(False)


def _checks(
    f: ir.Table, ref: Referential, today: dt.date
) -> list[tuple[ir.BooleanValue, str, str]]:
    """Each check as (condition, column, French reason).

    Category and country are checked on their distinct values first (a handful), so the
    scan of the fleet only compares against the few values found wrong.
    """
    statuses = [s.value for s in Status]
    conditions = [c.value for c in Condition]
    categories = {r["category"]: r["lifetime_years"] for r in ref.categories.to_pylist()}
    countries = set(ref.electricity["country"].to_pylist())
    country = f.country.fill_null(ref.default_country)
    combos = (
        f.group_by(category=f.category, country=country, no_lifetime=f.lifetime_years.isnull())
        .aggregate(n=f.count())
        .to_pyarrow()
        .to_pylist()
    )
    bad_categories = sorted(
        {c["category"] for c in combos if c["category"] not in categories} - {None}
    )
    bad_countries = sorted({c["country"] for c in combos if c["country"] not in countries})
    no_default = sorted(
        {
            c["category"]
            for c in combos
            if c["no_lifetime"]
            and c["category"] in categories
            and categories[c["category"]] is None
        }
    )
    return [
        (
            f.category.isnull() | _among(f.category, bad_categories),
            "category",
            "catégorie inconnue du référentiel",
        ),
        (f.quantity < 1, "quantity", "quantité négative ou nulle"),
        (f.acquisition_date.isnull(), "acquisition_date", "date d'acquisition manquante"),
        (f.acquisition_date > today, "acquisition_date", "date d'acquisition dans le futur"),
        (
            f.retirement_date < f.acquisition_date,
            "retirement_date",
            "date de sortie antérieure à la date d'acquisition",
        ),
        (
            f.lifetime_years.isnull() & _among(f.category, no_default),
            "lifetime_years",
            "durée de vie manquante et aucune valeur par défaut pour cette catégorie",
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
        (
            _among(country, bad_countries),
            "country",
            "pays d'usage sans facteur électrique au référentiel",
        ),
        (f.status.notin(statuses), "status", f"statut invalide (attendu : {', '.join(statuses)})"),
        (
            f.condition.notin(conditions),
            "condition",
            f"état invalide (attendu : {', '.join(conditions)})",
        ),
    ]


def find_problems(
    fleet: ir.Table, ref: Referential, today: dt.date | None = None
) -> tuple[int, list[RowIssue]]:
    """Count the rows the engine cannot compute and describe the first ones."""
    today = today or dt.date.today()
    line = fleet.source_line if "source_line" in fleet.columns else ibis.null("int64")
    f = fleet.mutate(source_line=line.cast("int64"))
    checks = _checks(f, ref, today)
    # One scan counts every kind of problem; rows are fetched only for the kinds found.
    counted = f.aggregate(
        **{
            f"c{i}": cond.fill_null(False).cast("int64").sum()
            for i, (cond, _, _) in enumerate(checks)
        }
    )
    counts = counted.to_pyarrow().to_pylist()[0]
    found_checks = [c for i, c in enumerate(checks) if counts[f"c{i}"]]
    total = sum(int(v or 0) for v in counts.values())
    if not found_checks:
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
        for condition, column, reason in found_checks
    ]
    rows = ibis.union(*parts).to_pyarrow().to_pylist()
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
    return total, issues


def ensure_computable(fleet: ir.Table, ref: Referential, today: dt.date | None = None) -> None:
    """Raise a French :class:`InvalidDataError` naming the rows that cannot be computed."""
    total, issues = find_problems(fleet, ref, today)
    if total:
        raise InvalidDataError(
            f"Calcul impossible : {total} problème(s) dans le parc. Corrigez ces lignes "
            "(rien n'a été calculé) :",
            issues,
        )
