"""Prints the defaults table of docs/methodologie.md from the shipped referential.

Run after changing the referential, paste the output in the doc; tests/test_methodology.py
checks that the page and the referential agree.
"""

from __future__ import annotations

from sobrenum.domain import CATEGORIES_BY_CODE
from sobrenum.referential import load


def fmt(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:g}".replace(".", ",")


def main() -> None:
    ref = load()
    print(
        "| Catégorie | Code | Durée de vie (ans) | Puissance (W) | Heures par jour | Jours par an | PUE |"
    )
    print("|---|---|---:|---:|---:|---:|---:|")
    for r in ref.categories.to_pylist():
        label = CATEGORIES_BY_CODE[r["category"]].label_fr
        print(
            f"| {label} | `{r['category']}` | {fmt(r['lifetime_years'])} | {fmt(r['power_w'])} | "
            f"{fmt(r['hours_per_day'])} | {fmt(r['days_per_year'])} | {fmt(r['pue'])} |"
        )


if __name__ == "__main__":
    main()
