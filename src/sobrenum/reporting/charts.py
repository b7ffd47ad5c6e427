"""Charts as inline SVG, rendered offline (Vega-Altair specifications, vl-convert renderer)."""

from __future__ import annotations

import altair as alt
import vl_convert as vlc

from sobrenum.reporting.summary import Summary

#: Phase colours (colour-blind safe, Okabe-Ito), in the order of the life cycle.
PHASE_COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7")


def _data(rows: list[dict[str, object]]) -> alt.Data:
    return alt.Data(values=rows)  # type: ignore[no-untyped-call]


def _svg(chart: alt.Chart | alt.LayerChart) -> str:
    spec = chart.to_dict()
    svg: str = vlc.vegalite_to_svg(spec, format_locale="fr-FR")
    return svg


def gwp_by_category(summary: Summary) -> str:
    """Stacked bars: annual kgCO2e per category, split by life-cycle phase."""
    labels = summary.phase_labels
    rank = {p: i for i, p in enumerate(labels)}
    rows = [
        {"catégorie": c.label, "phase": labels[p], "kgCO2e": v, "ordre": rank[p]}
        for c in summary.categories
        for p, v in c.by_phase.items()
        if v > 0
    ]
    order = [c.label for c in summary.categories]
    chart = (
        alt.Chart(_data(rows))
        .mark_bar()
        .encode(
            x=alt.X("kgCO2e:Q", title="kgCO2e par an", axis=alt.Axis(format=",.0f", tickCount=6)),
            y=alt.Y("catégorie:N", sort=order, title=None, axis=alt.Axis(labelLimit=320)),
            color=alt.Color(
                "phase:N",
                scale=alt.Scale(domain=list(labels.values()), range=list(PHASE_COLOURS)),
                legend=alt.Legend(title="Phase", orient="bottom"),
            ),
            order=alt.Order("ordre:Q"),
        )
        .properties(width=560, height=max(120, 24 * len(order)))
        .configure_axis(labelFontSize=12, titleFontSize=12)
        .configure_legend(labelFontSize=12, titleFontSize=12)
    )
    return _svg(chart)


def gwp_by_phase(summary: Summary) -> str:
    """Bars: annual kgCO2e per life-cycle phase."""
    labels = summary.phase_labels
    rows = [{"phase": labels[p], "kgCO2e": v} for p, v in summary.gwp_by_phase.items()]
    base = alt.Chart(_data(rows)).encode(
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
    text = base.mark_text(dy=-6).encode(text=alt.Text("kgCO2e:Q", format=",.0f"))
    chart = (bars + text).properties(width=420, height=240).configure_axis(labelFontSize=12)
    return _svg(chart)
