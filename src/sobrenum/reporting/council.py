"""The annual report to the council (rapport au conseil), in French, as HTML and PDF.

It works from a :class:`~sobrenum.reporting.summary.Summary` plus whatever the store knows
(declared indicators, objectives, actions, frozen years, comparison): the demo, which has no
store, builds it from the bundled inventory alone. The PDF is rendered by WeasyPrint from the
same HTML (print styles, A4), offline: no URL is ever fetched, charts are inline SVG drawn by
vl-convert and fonts come from the system (Debian's DejaVu).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import altair as alt
import ibis
import pyarrow as pa

from sobrenum import __version__
from sobrenum.engine import Parameters, as_fleet_table, prepare, uncertainty
from sobrenum.referential import Referential
from sobrenum.reporting import charts, formatting
from sobrenum.reporting.comparison import Comparison
from sobrenum.reporting.html import ALLOCATION_LABELS, environment
from sobrenum.reporting.indicators import (
    THEMES,
    IndicatorValue,
    Origin,
    category_label,
)
from sobrenum.reporting.snapshots import Decomposition
from sobrenum.reporting.summary import Summary, summarise_uncertainty
from sobrenum.reporting.uncertainty_text import interval_sentences
from sobrenum.reuse.avoided import AvoidedImpacts

#: Comparisons a person understands, from ADEME's Impact CO2 (Base Empreinte), file
#: src/data/categories/deplacement.json of github.com/incubateur-ademe/impactco2: one km in a
#: petrol or diesel car for one person, construction of the car included (0.192 + 0.0256), and
#: a return flight Paris – New York for one passenger (11,600 km, contrails included).
CAR_KGCO2E_PER_KM = 0.2176
PARIS_NEW_YORK_KGCO2E = 1770.0
IMPACT_CO2_SOURCE = (
    "ADEME, Impact CO2 (Base Empreinte) : 0,218 kgCO2e par km en voiture thermique pour une "
    "personne, construction comprise ; 1 770 kgCO2e par passager pour un aller-retour "
    "Paris – New York en avion"
)

#: The indicators of the EF 3.0 method in plain French (annex of the council report).
CRITERIA_EXPLAINED = {
    "gwp": "Gaz à effet de serre émis, tous ramenés à l'effet du CO2 : l'indicateur du réchauffement climatique.",
    "adpe": "Métaux et minéraux extraits du sous-sol (or, cuivre, terres rares…), ramenés à la rareté de l'antimoine : ce que la fabrication prive les générations futures.",
    "adpf": "Énergie des combustibles fossiles (pétrole, gaz, charbon, uranium) consommée sur tout le cycle de vie.",
    "pe": "Toute l'énergie prélevée dans la nature (fossile, nucléaire, renouvelable) pour fabriquer, transporter, alimenter et recycler les équipements.",
    "wu": "Eau prélevée et non rendue au milieu, pondérée par sa rareté là où elle est prélevée (méthode AWARE) : ce n'est pas un simple volume d'eau consommée.",
    "ap": "Émissions qui acidifient les pluies, les sols et les lacs (oxydes de soufre et d'azote, ammoniac).",
    "ctue": "Substances toxiques rejetées qui nuisent aux organismes des rivières et des lacs (unité toxique comparative).",
    "ctuh_c": "Substances rejetées susceptibles de provoquer des cancers, en nombre de cas de maladie attendus (très petit par nature).",
    "ctuh_nc": "Substances rejetées nocives pour la santé humaine hors cancers, en nombre de cas de maladie attendus.",
    "epf": "Phosphore rejeté qui fait proliférer les algues dans les eaux douces et les prive d'oxygène.",
    "epm": "Azote rejeté qui fait proliférer les algues en mer.",
    "ept": "Azote rejeté qui enrichit à l'excès les sols et appauvrit la flore.",
    "ir": "Rayonnements ionisants, surtout dus à la production d'électricité nucléaire, ramenés à l'uranium 235.",
    "lu": "Sols occupés ou transformés (mines, usines) et perte de leur qualité.",
    "pt": "Sols occupés ou transformés (mines, usines) et perte de leur qualité.",
    "odp": "Gaz qui détruisent la couche d'ozone protectrice, ramenés au CFC-11.",
    "pm": "Particules fines émises, en cas de maladies respiratoires attendus.",
    "pocp": "Gaz qui forment de l'ozone près du sol (pollution estivale), ramenés aux composés organiques volatils.",
}

HTML_NAME = "rapport-conseil-{year}.html"
PDF_NAME = "rapport-conseil-{year}.pdf"


@dataclass(frozen=True)
class ActionLine:
    theme: str
    title: str
    state: str  # French label
    description: str | None = None


@dataclass(frozen=True)
class Interval:
    """90 % interval of the annual carbon footprint (kgCO2e), Monte Carlo."""

    low: float
    median: float
    high: float
    draws: int
    mean: float | None = None
    nominal: float | None = None
    #: Share of the draws below the headline value.
    rank: float | None = None
    #: (label, share of the variance) of the data to improve first.
    priorities: list[tuple[str, float]] = field(default_factory=list)

    def sentences(self) -> list[str]:
        """Where the headline sits, in plain French (see reporting.uncertainty_text)."""
        if self.mean is None or self.nominal is None:
            return []
        return interval_sentences(
            self.nominal, self.mean, self.median, self.low, self.high, self.draws, self.rank
        )


@dataclass
class CouncilReport:
    summary: Summary
    indicators: list[IndicatorValue]
    referential_title: str
    referential_published: str
    siren: str | None = None
    actions: list[ActionLine] = field(default_factory=list)
    #: code → [(year, target)] for the years after the report's (the trajectory).
    later_objectives: dict[str, list[tuple[int, float]]] = field(default_factory=dict)
    decomposition: Decomposition | None = None
    #: (year, annual kgCO2e) of the frozen years, oldest first.
    history: list[tuple[int, float]] = field(default_factory=list)
    interval: Interval | None = None
    interval_note: str = ""
    comparison: Comparison | None = None
    comparison_note: str = ""
    #: Devices of the inventory carrying no embodied impact in the year (fully amortised).
    amortised_devices: int | None = None
    #: Impacts avoided by the actions recorded in the reuse register (None: no register).
    avoided: AvoidedImpacts | None = None
    #: Metals (kg Sb eq) of manufacturing one smartphone, for the comparison.
    smartphone_adpe: float | None = None
    frozen: bool = False
    frozen_at: dt.datetime | None = None
    demo: bool = False
    #: The strategy's chosen scenario against the baseline (section « Trajectoire »).
    trajectory: TrajectoryView | None = None
    trajectory_note: str = ""
    generated: dt.date = field(default_factory=dt.date.today)

    @property
    def year(self) -> int:
        return self.summary.reporting_year


if TYPE_CHECKING:
    from sobrenum.reporting.trajectory import TrajectoryView


# --- uncertainty ---------------------------------------------------------------------------


def footprint_interval(
    fleet: pa.Table, ref: Referential, params: Parameters, draws: int = 1000
) -> Interval | None:
    """The 90 % interval of the annual carbon footprint, from the engine's Monte Carlo."""
    result = uncertainty(fleet, ref, params, draws=draws, seed=0)
    row = result.intervals(criteria=["gwp"]).to_pylist()
    if not row:
        return None
    summary = summarise_uncertainty(result, top=3)
    return Interval(
        low=float(row[0]["p5"]),
        median=float(row[0]["median"]),
        high=float(row[0]["p95"]),
        draws=draws,
        mean=float(row[0]["mean"]),
        nominal=float(row[0]["nominal"]),
        rank=summary.nominal_rank,
        priorities=[(p.label, p.share) for p in summary.priorities],
    )


def amortised_devices(fleet: pa.Table, ref: Referential, params: Parameters) -> int:
    """Devices (quantities counted) of the fleet with no embodied share in the year: kept past
    their lifetime, their manufacture was counted in earlier years."""
    dev = prepare(ibis.memtable(as_fleet_table(fleet)), ref, params)
    kept = dev.filter((dev.shared_weight == 0) & (dev.own_weight == 0))
    count = ibis.duckdb.connect().to_pyarrow(kept.quantity.sum())
    return int(count.as_py() or 0)


def smartphone_adpe(ref: Referential) -> float | None:
    """Metals of manufacturing one smartphone in the referential (kg Sb eq)."""
    for row in ref.factors.to_pylist():
        if (row["category"], row["criterion"], row["phase"]) == (
            "smartphone",
            "adpe",
            "manufacture",
        ):
            return float(row["value"]) if row["value"] else None
    return None


# --- charts --------------------------------------------------------------------------------


# Charts are drawn by sobrenum.reporting.charts, in the font the PDF is set in (DejaVu), so
# their labels fit once WeasyPrint draws them.


def evolution_chart(d: Decomposition) -> str:
    """Waterfall: last year, referential effect, fleet effect, this year (tCO2e)."""
    steps = [
        (f"{d.year - 1}", 0.0, d.previous_total, "année"),
        ("Effet référentiel", d.previous_total, d.previous_recomputed, "effet"),
        ("Effet parc", d.previous_recomputed, d.total, "effet"),
        (f"{d.year}", 0.0, d.total, "année"),
    ]
    rows: list[dict[str, object]] = [
        {
            "étape": name,
            "début": lo / 1000.0,
            "fin": hi / 1000.0,
            "haut": max(lo, hi) / 1000.0,
            "étiquette": formatting.number(hi / 1000.0, 1)
            if kind == "année"
            else ("+" if hi >= lo else "−") + formatting.number(abs(hi - lo) / 1000.0, 1),
            "type": kind if kind == "année" else ("hausse" if hi >= lo else "baisse"),
            "ordre": i,
        }
        for i, (name, lo, hi, kind) in enumerate(steps)
    ]
    order = [name for name, _lo, _hi, _kind in steps]
    base = alt.Chart(charts.inline_data(rows)).encode(
        x=alt.X("étape:N", sort=order, title=None, axis=alt.Axis(labelAngle=0, labelFontSize=12))
    )
    bars = base.mark_bar(size=60).encode(
        y=alt.Y("début:Q", title="tCO2e par an", axis=alt.Axis(format=",.1f")),
        y2="fin:Q",
        color=alt.Color(
            "type:N",
            scale=alt.Scale(
                domain=["année", "hausse", "baisse"], range=["#000091", "#CE614A", "#18753C"]
            ),
            legend=None,
        ),
    )
    text = base.mark_text(dy=-8).encode(y=alt.Y("haut:Q"), text=alt.Text("étiquette:N"))
    chart = (bars + text).properties(width=420, height=200).configure_axis(titleFontSize=12)
    alt_text = "Graphique en cascade, en tCO2e par an : " + " ; ".join(
        f"{row['étape']} : {row['étiquette']}" for row in rows
    )
    return charts.render_svg(chart, alt_text=alt_text + ".")


def history_chart(history: Sequence[tuple[int, float]]) -> str:
    rows = [{"année": str(y), "tCO2e": v / 1000.0} for y, v in history]
    chart = (
        alt.Chart(charts.inline_data(rows))
        .mark_bar(color="#000091", size=36)
        .encode(
            x=alt.X("année:N", title=None, axis=alt.Axis(labelAngle=0)),
            y=alt.Y("tCO2e:Q", title="tCO2e par an", axis=alt.Axis(format=",.0f")),
        )
        .properties(width=320, height=160)
    )
    alt_text = "Graphique en barres : empreinte carbone des années figées, en tCO2e par an. " + (
        " ; ".join(f"{y} : {formatting.number(v / 1000.0, 1)}" for y, v in history) + "."
    )
    return charts.render_svg(chart, alt_text=alt_text)


# --- rendering -----------------------------------------------------------------------------


def _key_sentences(r: CouncilReport) -> list[str]:
    """The sentences under the key figures (the figures themselves are on the cards)."""
    s = r.summary
    out: list[str] = []
    manufacture = s.gwp_by_phase.get("manufacture", 0.0)
    if s.annual_gwp > 0:
        out.append(
            f"La fabrication des équipements en pèse {formatting.percent(manufacture / s.annual_gwp)} : "
            "les garder plus longtemps, les réemployer et acheter reconditionné sont les "
            "premiers leviers ; l'électricité compte peu en France."
        )
    d = r.decomposition
    if d is not None:
        sign = "hausse" if d.change >= 0 else "baisse"
        out.append(
            f"Par rapport à {d.year - 1}, l'empreinte est en {sign} de "
            f"{formatting.tonnes(abs(d.change))} : l'évolution du parc y contribue pour "
            f"{_signed_tonnes(d.fleet_effect)} et le changement des facteurs de calcul "
            f"(référentiel) pour {_signed_tonnes(d.referential_effect)}."
        )
    followed = [v for v in r.indicators if v.objective is not None and v.value is not None]
    reached = [v for v in followed if v.status == "atteint"]
    if followed:
        out.append(
            f"Sur {len(followed)} indicateur(s) doté(s) d'un objectif pour {s.reporting_year}, "
            f"{len(reached)} l'atteignent."
        )
    if r.interval is not None:
        out.append(
            "Compte tenu des incertitudes sur les facteurs et les durées de vie, l'empreinte "
            f"se situe, avec 90 % de probabilité, entre {formatting.tonnes(r.interval.low)} et "
            f"{formatting.tonnes(r.interval.high)}."
        )
    return out


@dataclass(frozen=True)
class KeyFigure:
    """One figure of the first page: value, what it is, what it compares to."""

    value: str
    label: str
    explanation: str
    comparison: str = ""


def key_figures(r: CouncilReport) -> list[KeyFigure]:
    """Carbon and at most three other figures a non-specialist can read (first page)."""
    s = r.summary
    n = formatting.number
    lines = {c.code: c for c in s.criteria}

    def partial(code: str) -> tuple[str, str]:
        """(« partiel » suffix, coverage sentence) of a criterion's total."""
        line = lines.get(code)
        if line is None or not line.partial:
            return "", ""
        return " (partiel)", f" Total partiel : {line.coverage_note.removeprefix('partiel — ')}."

    km = s.annual_gwp / CAR_KGCO2E_PER_KM
    carbon_partial, carbon_note = partial("gwp")
    flights = s.annual_gwp / PARIS_NEW_YORK_KGCO2E
    out = [
        KeyFigure(
            formatting.tonnes(s.annual_gwp) + carbon_partial,
            f"empreinte carbone du parc numérique en {s.reporting_year}",
            "Gaz à effet de serre émis pour fabriquer, transporter, alimenter et recycler les "
            "équipements, pour la part qui revient à l'année." + carbon_note,
            f"Autant que {n(round(km, -3) if km >= 10_000 else round(km, -2))} km parcourus seul "
            f"en voiture thermique, ou {n(flights, 0 if flights >= 10 else 1)} allers-retours "
            "Paris – New York en avion pour une personne (ADEME, Impact CO2).",
        )
    ]
    metals = lines.get("adpe")
    if metals is not None and metals.annual and r.smartphone_adpe:
        phones = metals.annual / r.smartphone_adpe
        metals_partial, metals_note = partial("adpe")
        out.append(
            KeyFigure(
                f"{formatting.significant(metals.annual)} kg Sb éq.{metals_partial}",
                "de métaux et minéraux épuisés",
                "Métaux rares extraits pour fabriquer les équipements (or, cuivre, terres "
                "rares…), exprimés en équivalent antimoine." + metals_note,
                f"Autant que la fabrication de {n(phones, 0)} smartphones neufs "
                f"(référentiel : {formatting.significant(r.smartphone_adpe)} kg Sb éq. par "
                "smartphone).",
            )
        )
    amortised = r.amortised_devices
    out.append(
        KeyFigure(
            n(s.devices),
            "équipements numériques",
            "Ordinateurs, écrans, téléphones, imprimantes, réseau, serveurs… inscrits à "
            f"l'inventaire au 31 décembre {s.reporting_year}.",
            f"Dont {n(amortised)} ({formatting.percent(amortised / s.devices)}) gardés au-delà "
            "de leur durée de vie : leur fabrication a été comptée les années précédentes, elle "
            "ne pèse plus sur l'année."
            if amortised and s.devices
            else "",
        )
    )
    ages = next((v for v in r.indicators if v.indicator.code == "age_moyen_parc"), None)
    planned = next((v for v in r.indicators if v.indicator.code == "duree_vie_prevue_parc"), None)
    if ages is not None and ages.value is not None:
        out.append(
            KeyFigure(
                f"{n(ages.value, 1)} ans",
                "âge moyen des équipements en service",
                "Plus un équipement sert longtemps, moins sa fabrication pèse chaque année.",
                f"Pour une durée de vie prévue de {n(planned.value, 1)} ans en moyenne."
                if planned is not None and planned.value is not None
                else "",
            )
        )
    return out


def _signed_tonnes(kg: float) -> str:
    """``+1,4 tCO2e`` / ``−3,0 tCO2e`` (a real minus sign)."""
    return ("+" if kg >= 0 else "−") + formatting.tonnes(abs(kg))


def _themes(r: CouncilReport) -> list[tuple[str, str, list[IndicatorValue]]]:
    out = []
    for code, label in THEMES.items():
        values = [v for v in r.indicators if v.indicator.theme == code]
        if values:
            out.append((code, label, values))
    return out


def _value_text(v: IndicatorValue) -> str:
    if v.value is None:
        return "—"
    unit = v.indicator.unit
    if unit == "oui/non":
        return "oui" if v.value >= 0.5 else "non"
    if unit == "%":
        return formatting.number(v.value, 0) + " %"
    if unit in ("ans", "écrans/agent", "t", "tCO2e/an", "kg/agent"):
        return formatting.number(v.value, 1)
    if unit in ("kgCO2e/agent/an", "kgCO2e/hab./an"):
        return formatting.number(v.value, 1 if v.value >= 10 else 2)
    return formatting.number(v.value, 0 if float(v.value).is_integer() else 1)


def _unit_suffix(v: IndicatorValue) -> str:
    """The unit after a value in a sentence (none where the value text carries it)."""
    unit = v.indicator.unit
    return "" if unit in ("%", "oui/non") else f" {unit}"


def _target_text(v: IndicatorValue, target: float | None) -> str:
    if target is None:
        return "—"
    clone = IndicatorValue(v.indicator, v.year, target, Origin.DECLARED)
    return _value_text(clone)


def _french_date(iso: str) -> str:
    try:
        return formatting.long_date(dt.date.fromisoformat(iso))
    except ValueError:
        return iso


def _trajectory(
    view: TrajectoryView | None,
) -> tuple[str, list[str], list[tuple[int, float, float]]]:
    """Chart, plain sentences and (year, baseline t, scenario t) rows of the chosen scenario."""
    if view is None or not view.runs:
        return "", [], []
    from sobrenum.reporting.trajectory import plain_summary, trajectory_chart

    run = view.runs[0]
    only_chosen = replace(view, runs=[run])
    rows = [
        (y.year, view.baseline.trajectory.year(y.year).gwp / 1000, y.gwp / 1000)
        for y in run.trajectory.years
    ]
    return trajectory_chart(only_chosen, width=380, height=170), plain_summary(view, run), rows


def render_council_html(report: CouncilReport) -> str:
    s = report.summary
    env = environment()
    env.filters.update(
        value_text=_value_text,
        category_label=category_label,
        french_date=_french_date,
        signed_tonnes=_signed_tonnes,
        unit_suffix=_unit_suffix,
    )
    env.globals.update(target_text=_target_text)
    label, sentence = ALLOCATION_LABELS[s.allocation]
    total = s.annual_gwp
    lifetimes = next(
        (v for v in report.indicators if v.indicator.code == "duree_vie_prevue_parc"), None
    )
    ages = next((v for v in report.indicators if v.indicator.code == "age_moyen_parc"), None)
    planned = lifetimes.details.get("categorie", {}) if lifetimes else {}
    age_by_cat = ages.details.get("categorie", {}) if ages else {}
    lifetime_rows = sorted(
        (category_label(c), age_by_cat.get(c), life) for c, life in planned.items()
    )
    template = env.get_template("council.html.j2")
    trajectory_chart, trajectory_sentences, trajectory_rows = _trajectory(report.trajectory)
    return template.render(
        r=report,
        chart_trajectory=trajectory_chart,
        trajectory_sentences=trajectory_sentences,
        trajectory_rows=trajectory_rows,
        s=s,
        key_sentences=_key_sentences(report),
        key_figures=key_figures(report),
        criteria_explained=CRITERIA_EXPLAINED,
        impact_co2_source=IMPACT_CO2_SOURCE,
        themes=_themes(report),
        allocation_label=label,
        allocation_sentence=sentence,
        manufacture_share=s.gwp_by_phase.get("manufacture", 0.0) / total if total else None,
        chart_categories=charts.gwp_by_category(s, charts.PRINT) if s.categories else "",
        chart_phases=charts.gwp_by_phase(s, charts.PRINT) if s.gwp_by_phase else "",
        chart_evolution=evolution_chart(report.decomposition) if report.decomposition else "",
        chart_history=history_chart(report.history) if len(report.history) >= 3 else "",
        lifetime_rows=lifetime_rows,
        ages=ages,
        reached=[v for v in report.indicators if v.status == "atteint"],
        missed=[v for v in report.indicators if v.status == "non atteint"],
        version=__version__,
        generated=formatting.long_date(report.generated),
    )


def _offline_fetcher(url: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
    """WeasyPrint URL fetcher that refuses anything but inline data (the report is offline)."""
    if url.startswith("data:"):
        from weasyprint.urls import default_url_fetcher

        result: dict[str, Any] = default_url_fetcher(url)
        return result
    raise ValueError(f"ressource externe refusée dans le rapport : {url}")


#: Tagged PDF for screen readers (PDF/UA-1): structure tree, title shown, language, figure
#: alternatives (the charts' ``<title>``). Title and language come from the HTML's ``<title>``
#: and ``<html lang="fr">``.
PDF_OPTIONS: dict[str, Any] = {"pdf_variant": "pdf/ua-1"}


def html_to_pdf(html: str, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(html_to_pdf_bytes(html))
    return path


def html_to_pdf_bytes(html: str) -> bytes:
    """The PDF of a rendered council report, in memory."""
    from weasyprint import HTML

    data: bytes = HTML(string=html, url_fetcher=_offline_fetcher).write_pdf(**PDF_OPTIONS)
    return data


def write_council_report(report: CouncilReport, folder: Path) -> tuple[Path, Path]:
    """Write ``rapport-conseil-YEAR.html`` and ``.pdf`` in ``folder``; returns both paths."""
    folder.mkdir(parents=True, exist_ok=True)
    html = render_council_html(report)
    html_path = folder / HTML_NAME.format(year=report.year)
    html_path.write_text(html, encoding="utf-8")
    pdf_path = html_to_pdf(html, folder / PDF_NAME.format(year=report.year))
    return html_path, pdf_path


def council_pdf_bytes(report: CouncilReport) -> bytes:
    """The PDF in memory (for the web app's download)."""
    return html_to_pdf_bytes(render_council_html(report))
