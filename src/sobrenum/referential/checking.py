"""Checking a referential: every promise of docs/referentiel-format.md, in French."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pyarrow as pa

from sobrenum.domain import CATEGORIES, CRITERIA_BY_CODE, EMBODIED_PHASES
from sobrenum.referential.loading import TABLE_KEYS, Referential

#: What a range of a category's mean applies to: embodied impacts, power.
MEAN_RANGE_INPUTS = ("embodied", "power")


def _duplicates(table: pa.Table, keys: tuple[str, ...]) -> list[str]:
    counts = Counter(tuple(row[k] for k in keys) for row in table.select(list(keys)).to_pylist())
    return [" / ".join(str(v) for v in key) for key, n in counts.items() if n > 1]


def _check_ranges(name: str, rows: list[dict[str, Any]], id_col: str) -> list[str]:
    problems = []
    for row in rows:
        value, low, high = row["value"], row["low"], row["high"]
        if value is None:
            problems.append(f"{name} {row[id_col]} : valeur manquante.")
        elif not (isinstance(low, float) and isinstance(high, float) and low <= value <= high):
            problems.append(
                f"{name} {row[id_col]} : l'intervalle [{low} ; {high}] ne contient pas la "
                f"valeur {value}."
            )
    return problems


def check(ref: Referential) -> list[str]:
    """All the problems found, as French sentences; an empty list means the referential is sound."""
    problems: list[str] = []
    source_ids = set(ref.sources["source_id"].to_pylist())
    for name, keys in TABLE_KEYS.items():
        for dup in _duplicates(ref.table(name), keys):
            problems.append(f"Clé en double dans la table {name} : {dup}.")

    categories = {r["category"]: r for r in ref.categories.to_pylist()}
    for cat in CATEGORIES:
        row = categories.get(cat.code)
        if row is None:
            problems.append(f"Catégorie {cat.code} ({cat.label_fr}) : aucune ligne de catégorie.")
            continue
        lifetime = row["lifetime_years"]
        if lifetime is None or lifetime <= 0:
            problems.append(f"Catégorie {cat.code} : durée de vie par défaut manquante ou nulle.")
        elif not (row["lifetime_low"] or 0) <= lifetime <= (row["lifetime_high"] or 0):
            problems.append(
                f"Catégorie {cat.code} : l'intervalle de durée de vie ne contient pas {lifetime}."
            )
        if row["power_w"] is None or row["hours_per_day"] is None or row["days_per_year"] is None:
            problems.append(
                f"Catégorie {cat.code} : profil d'usage (puissance, heures, jours) incomplet."
            )
        elif not (row["power_low"] or 0) <= row["power_w"] <= (row["power_high"] or 0):
            problems.append(
                f"Catégorie {cat.code} : l'intervalle de puissance ne contient pas {row['power_w']}."
            )
    for code, row in categories.items():
        if row["source_id"] not in source_ids:
            problems.append(f"Catégorie {code} : source inconnue « {row['source_id']} ».")

    factors = ref.factors.to_pylist()
    problems += _check_ranges("Facteur", factors, "factor_id")
    embodied = {p.value for p in EMBODIED_PHASES}
    have_gwp = set()
    for f in factors:
        if f["criterion"] not in CRITERIA_BY_CODE:
            problems.append(f"Facteur {f['factor_id']} : critère inconnu « {f['criterion']} ».")
        if f["phase"] not in embodied:
            problems.append(
                f"Facteur {f['factor_id']} : phase « {f['phase']} » invalide (l'usage se calcule "
                "avec les facteurs de l'électricité)."
            )
        if f["category"] not in categories:
            problems.append(f"Facteur {f['factor_id']} : catégorie inconnue « {f['category']} ».")
        if f["source_id"] not in source_ids:
            problems.append(f"Facteur {f['factor_id']} : source inconnue « {f['source_id']} ».")
        if f["criterion"] == "gwp":
            have_gwp.add((f["category"], f["phase"]))
    for cat in CATEGORIES:
        for phase in EMBODIED_PHASES:
            if (cat.code, phase.value) not in have_gwp:
                problems.append(
                    f"Catégorie {cat.code} : pas de facteur de changement climatique pour la "
                    f"phase {phase.value}."
                )

    elec = ref.electricity.to_pylist()
    problems += _check_ranges("Facteur électrique", elec, "factor_id")
    for e in elec:
        if e["criterion"] not in CRITERIA_BY_CODE:
            problems.append(
                f"Facteur électrique {e['factor_id']} : critère inconnu « {e['criterion']} »."
            )
        if e["source_id"] not in source_ids:
            problems.append(
                f"Facteur électrique {e['factor_id']} : source inconnue « {e['source_id']} »."
            )
    if not any(e["country"] == ref.default_country and e["criterion"] == "gwp" for e in elec):
        problems.append(
            f"Pas de facteur de changement climatique pour l'électricité du pays par défaut "
            f"{ref.default_country}."
        )
    for r in ref.mean_ranges.to_pylist():
        name = f"Plage de la moyenne {r['category']} / {r['input']}"
        if r["category"] not in categories:
            problems.append(f"{name} : catégorie inconnue.")
        if r["input"] not in MEAN_RANGE_INPUTS:
            problems.append(f"{name} : donnée « {r['input']} » inconnue (embodied ou power).")
        low, high = r["low"], r["high"]
        if not (isinstance(low, float) and isinstance(high, float) and 0 < low <= 1 <= high):
            problems.append(
                f"{name} : les bornes [{low} ; {high}] doivent être des rapports à la valeur du "
                "référentiel, la basse entre 0 et 1, la haute au moins 1."
            )
        if r["source_id"] not in source_ids:
            problems.append(f"{name} : source inconnue « {r['source_id']} ».")
    for s in ref.sources.to_pylist():
        if not s["licence"]:
            problems.append(f"Source {s['source_id']} : licence non renseignée.")
    return problems
