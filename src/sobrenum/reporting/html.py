"""The footprint report as one self-contained HTML file (charts inline, no external asset)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape

from sobrenum import __version__
from sobrenum.engine import Allocation
from sobrenum.reporting import charts, formatting
from sobrenum.reporting.summary import Summary
from sobrenum.reporting.uncertainty_text import interval_sentences

ALLOCATION_LABELS = {
    Allocation.LINEAR.value: (
        "linéaire",
        "amorties linéairement sur la durée de vie de chaque équipement, au prorata des jours "
        "de l'année ; un équipement gardé au-delà de sa durée de vie n'en porte plus.",
    ),
    Allocation.ACQUISITION_YEAR.value: (
        "à l'année d'acquisition",
        "comptées en totalité l'année d'acquisition de l'équipement (règle des biens "
        "d'équipement du GHG Protocol).",
    ),
}


def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("sobrenum.reporting", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        number=formatting.number,
        significant=formatting.significant,
        percent=formatting.percent,
        tonnes=formatting.tonnes,
    )
    env.globals.update(interval_sentences=interval_sentences)
    return env


def render_footprint_html(summary: Summary) -> str:
    total = summary.annual_gwp
    top = summary.categories[:3]
    label, sentence = ALLOCATION_LABELS[summary.allocation]
    template = environment().get_template("footprint.html.j2")
    return template.render(
        s=summary,
        top=[c.label.lower() for c in top],
        top_share=sum(c.annual_gwp for c in top) / total if total else None,
        manufacture_share=summary.gwp_by_phase.get("manufacture", 0.0) / total if total else None,
        allocation_label=label,
        allocation_sentence=sentence,
        chart_categories=charts.gwp_by_category(summary),
        chart_phases=charts.gwp_by_phase(summary),
        version=__version__,
        generated=formatting.long_date(dt.date.today()),
    )


def write_footprint_html(summary: Summary, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_footprint_html(summary), encoding="utf-8")
    return path
