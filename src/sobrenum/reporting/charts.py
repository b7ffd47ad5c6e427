"""Charts as inline SVG, rendered offline (Vega-Altair specifications, vl-convert renderer)."""

from __future__ import annotations

import html
from dataclasses import dataclass

import altair as alt
import vl_convert as vlc

from sobrenum.reporting import formatting
from sobrenum.reporting.summary import Summary

#: Phase colours (colour-blind safe, Okabe-Ito), in the order of the life cycle.
PHASE_COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7")
#: One font for the SVG and its page: vl-convert measures labels with it, and WeasyPrint and
#: browsers draw them with it (Debian's DejaVu), so nothing is cut off.
FONT = "DejaVu Sans"


@dataclass(frozen=True)
class ChartSize:
    """Dimensions of the footprint charts for one medium."""

    width: int
    bar_height: int
    phase_width: int
    phase_height: int
    font_size: int
    label_limit: int
    legend_title: str | None


#: On screen (HTML report, web app).
SCREEN = ChartSize(560, 24, 420, 240, 12, 320, "Phase")
#: On an A4 page (council report).
PRINT = ChartSize(380, 17, 360, 170, 10, 250, None)


def inline_data(rows: list[dict[str, object]]) -> alt.Data:
    return alt.Data(values=rows)  # type: ignore[no-untyped-call]


def render_svg(chart: alt.TopLevelMixin, *, alt_text: str) -> str:
    """The chart as SVG, French number format, offline, with its text alternative."""
    spec = chart.to_dict()
    spec.setdefault("config", {})["font"] = FONT
    svg: str = vlc.vegalite_to_svg(spec, format_locale="fr-FR")
    return with_text_alternative(svg, alt_text)


def with_text_alternative(svg: str, text: str) -> str:
    """An image with a name: ``role="img"`` and ``aria-label`` for browsers and screen readers,
    a ``<title>`` first child for the tagged PDF (WeasyPrint makes it the figure's /Alt)."""
    head, bracket, rest = svg.partition(">")
    if not head.startswith("<svg") or not bracket:
        raise ValueError("SVG attendu")
    label = html.escape(text, quote=True)
    return f'{head} role="img" aria-label="{label}"><title>{html.escape(text)}</title>{rest}'


def _values(pairs: list[tuple[str, float]], unit: str, digits: int = 0) -> str:
    return " ; ".join(f"{name} : {formatting.number(v, digits)} {unit}" for name, v in pairs) + "."


def gwp_by_category(summary: Summary, size: ChartSize = SCREEN) -> str:
    """Stacked bars: annual kgCO2e per category, split by life-cycle phase."""
    labels = summary.phase_labels
    rank = {p: i for i, p in enumerate(labels)}
    rows: list[dict[str, object]] = [
        {"catégorie": c.label, "phase": labels[p], "kgCO2e": v, "ordre": rank[p]}
        for c in summary.categories
        for p, v in c.by_phase.items()
        if v > 0
    ]
    order = [c.label for c in summary.categories]
    chart = (
        alt.Chart(inline_data(rows))
        .mark_bar()
        .encode(
            x=alt.X("kgCO2e:Q", title="kgCO2e par an", axis=alt.Axis(format=",.0f", tickCount=5)),
            y=alt.Y(
                "catégorie:N", sort=order, title=None, axis=alt.Axis(labelLimit=size.label_limit)
            ),
            color=alt.Color(
                "phase:N",
                scale=alt.Scale(domain=list(labels.values()), range=list(PHASE_COLOURS)),
                legend=alt.Legend(title=size.legend_title, orient="bottom", direction="horizontal"),
            ),
            order=alt.Order("ordre:Q"),
        )
        .properties(width=size.width, height=max(100, size.bar_height * len(order)))
        .configure_axis(labelFontSize=size.font_size, titleFontSize=size.font_size)
        .configure_legend(labelFontSize=size.font_size, titleFontSize=size.font_size)
    )
    alt_text = (
        "Graphique en barres empilées : empreinte carbone annuelle par catégorie d'équipement, "
        "répartie par phase du cycle de vie. "
        + _values([(c.label, c.annual_gwp) for c in summary.categories], "kgCO2e")
    )
    return render_svg(chart, alt_text=alt_text)


def gwp_by_phase(summary: Summary, size: ChartSize = SCREEN) -> str:
    """Bars: annual kgCO2e per life-cycle phase."""
    labels = summary.phase_labels
    rows: list[dict[str, object]] = [
        {"phase": labels[p], "kgCO2e": v} for p, v in summary.gwp_by_phase.items()
    ]
    base = alt.Chart(inline_data(rows)).encode(
        x=alt.X("phase:N", sort=list(labels.values()), title=None, axis=alt.Axis(labelAngle=0)),
        y=alt.Y("kgCO2e:Q", title="kgCO2e par an", axis=alt.Axis(format=",.0f")),
    )
    bars = base.mark_bar().encode(
        color=alt.Color(
            "phase:N",
            scale=alt.Scale(domain=list(labels.values()), range=list(PHASE_COLOURS)),
            legend=None,
        )
    )
    text = base.mark_text(dy=-6, fontSize=size.font_size).encode(
        text=alt.Text("kgCO2e:Q", format=",.0f")
    )
    chart = (
        (bars + text)
        .properties(width=size.phase_width, height=size.phase_height)
        .configure_axis(labelFontSize=size.font_size, titleFontSize=size.font_size)
    )
    alt_text = "Graphique en barres : empreinte carbone annuelle par phase du cycle de vie. " + (
        _values([(labels[p], v) for p, v in summary.gwp_by_phase.items()], "kgCO2e")
    )
    return render_svg(chart, alt_text=alt_text)
