"""Where the headline carbon figure sits in its uncertainty, in plain French (CLI, reports)."""

from __future__ import annotations

from sobrenum.reporting import formatting


def interval_sentences(
    nominal: float,
    mean: float,
    median: float,
    p5: float,
    p95: float,
    draws: int,
    rank: float | None,
) -> list[str]:
    """Two or three sentences: the interval, the median and mean, and why the headline value
    (the referential's central values) sits where it does (lognormal skew)."""
    t = formatting.tonnes
    out = [
        f"En faisant varier ensemble les données dans leurs marges ({formatting.number(draws)} "
        f"tirages, méthode de Monte-Carlo), l'empreinte carbone annuelle se situe avec 90 % de "
        f"probabilité entre {t(p5)} et {t(p95)} ; la moitié des tirages donne moins de "
        f"{t(median)} (médiane), leur moyenne est {t(mean)}."
    ]
    if rank is not None:
        where = (
            "sous la médiane"
            if rank < 0.45
            else "au-dessus de la médiane"
            if rank > 0.55
            else "près de la médiane"
        )
        percentile = round(rank * 100)
        out.append(
            f"La valeur retenue, {t(nominal)}, est calculée avec la valeur centrale de chaque "
            f"donnée du référentiel ; {percentile} % des tirages sont plus bas : elle est {where}."
        )
        if rank < 0.45:
            out.append(
                "C'est attendu : les marges sont asymétriques (une donnée peut dépasser "
                "nettement sa valeur centrale, jamais descendre sous zéro), si bien que la "
                "somme a une moyenne plus haute que sa médiane, elle-même plus haute que sa "
                "valeur la plus probable."
            )
    return out
