"""Trajectories of an organisation: its saved scenarios run on its stored fleet, side by side.

Written once for the CLI, the web pages, the API and the council report: the fleet of the
first year is the one the dashboard and the report use for that year (frozen if frozen), so
the first year of every scenario is the footprint they show.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import altair as alt
import pyarrow as pa

from sobrenum.domain import CATEGORIES_BY_CODE
from sobrenum.referential import Referential
from sobrenum.reporting import snapshots
from sobrenum.reporting.charts import FONT, PHASE_COLOURS, inline_data, render_svg
from sobrenum.reporting.formatting import number as fmt_number
from sobrenum.scenarios import (
    Contribution,
    Indicator,
    Scenario,
    ScenarioError,
    Target,
    TargetOutcome,
    Trajectory,
    YearEngine,
    contributions,
    evaluate,
    make_lever,
    project,
    series,
)
from sobrenum.store import Organisation, Store
from sobrenum.store import scenarios as saved

#: Scenarios compared at once on the page and in the report.
MAX_COMPARED = 4
#: Default horizon after the first year.
DEFAULT_YEARS = 10
BASELINE_NAME = "Référence (sans levier)"


@dataclass(frozen=True)
class ScenarioRun:
    name: str
    scenario_id: int | None
    trajectory: Trajectory
    contributions: list[Contribution] = field(default_factory=list)
    outcomes: list[TargetOutcome] = field(default_factory=list)
    chosen: bool = False


@dataclass(frozen=True)
class TrajectoryView:
    organisation: str
    baseline: ScenarioRun
    runs: list[ScenarioRun]
    targets: list[Target]
    referential_version: str

    def avoided(self, run: ScenarioRun) -> dict[int, float]:
        base = {y.year: y.gwp for y in self.baseline.trajectory.years}
        return {y.year: base[y.year] - y.gwp for y in run.trajectory.years}

    def cumulative_avoided(self, run: ScenarioRun) -> float:
        return sum(self.avoided(run).values())


def stored_targets(store: Store, organisation: Organisation) -> list[Target]:
    return [
        Target(Indicator(t.indicator), t.base_year, t.year, t.change)
        for t in saved.targets(store, organisation)
    ]


def _outcomes(trajectory: Trajectory, targets: Sequence[Target]) -> list[TargetOutcome]:
    return [evaluate(t, series(trajectory, t.indicator)) for t in targets]


@dataclass(frozen=True)
class Candidate:
    """A scenario to run, with where it is saved (None for one built in code, e.g. the demo)."""

    scenario: Scenario
    scenario_id: int | None = None
    chosen: bool = False


def compare_scenarios(
    organisation_name: str,
    fleet: pa.Table,
    staff: float | None,
    ref: Referential,
    candidates: Sequence[Candidate],
    goals: Sequence[Target] = (),
    *,
    with_contributions: bool = True,
) -> TrajectoryView:
    """Run the scenarios on ``fleet`` (the fleet of their first year) and their common
    baseline (same horizon and hypotheses as the first one, no lever)."""
    if not candidates:
        raise ScenarioError(
            "Aucun scénario enregistré : créez-en un (page Trajectoires ou "
            "« sobrenum scenario creer »)."
        )
    first = candidates[0].scenario
    for other in (c.scenario for c in candidates[1:]):
        if (other.start_year, other.end_year) != (first.start_year, first.end_year):
            raise ScenarioError(
                "Les scénarios comparés doivent avoir le même horizon "
                f"({first.start_year}–{first.end_year} pour « {first.name} », "
                f"{other.start_year}–{other.end_year} pour « {other.name} »)."
            )
    baseline_scenario = Scenario(
        BASELINE_NAME,
        first.start_year,
        first.end_year,
        (),
        first.staff_growth,
        first.equipment_growth,
        first.prices,
    )
    engine = YearEngine(ref)
    baseline = project(fleet, ref, baseline_scenario, staff, engine=engine)
    runs = []
    for candidate in candidates[:MAX_COMPARED]:
        scenario = candidate.scenario
        parts: list[Contribution] = []
        if with_contributions and scenario.levers:
            _, trajectory, parts = contributions(fleet, ref, scenario, staff, engine=engine)
        else:
            trajectory = project(fleet, ref, scenario, staff, engine=engine)
        runs.append(
            ScenarioRun(
                scenario.name,
                candidate.scenario_id,
                trajectory,
                parts,
                _outcomes(trajectory, goals),
                candidate.chosen,
            )
        )
    return TrajectoryView(
        organisation_name,
        ScenarioRun(BASELINE_NAME, None, baseline, [], _outcomes(baseline, goals)),
        runs,
        list(goals),
        ref.version,
    )


def trajectories(
    store: Store,
    organisation: Organisation,
    ref: Referential,
    scenario_ids: Sequence[int] | None = None,
    *,
    with_contributions: bool = True,
) -> TrajectoryView:
    """Up to :data:`MAX_COMPARED` saved scenarios (the chosen one first by default) on the
    organisation's fleet of their first year (the dashboard's and the report's)."""
    records = saved.list_scenarios(store, organisation)
    if scenario_ids is not None:
        by_id = {r.id: r for r in records}
        missing = [i for i in scenario_ids if i not in by_id]
        if missing:
            raise ScenarioError(f"Scénario {missing[0]} introuvable.")
        records = [by_id[i] for i in scenario_ids]
    else:
        records = sorted(records, key=lambda r: (not r.chosen, r.name))
    candidates = [
        Candidate(Scenario.from_json(r.definition), r.id, r.chosen) for r in records[:MAX_COMPARED]
    ]
    if not candidates:
        return compare_scenarios(organisation.name, pa.table({}), None, ref, [])
    year = snapshots.year_result(store, organisation, candidates[0].scenario.start_year, ref)
    staff = float(organisation.staff_count) if organisation.staff_count else None
    return compare_scenarios(
        organisation.name,
        year.fleet,
        staff,
        ref,
        candidates,
        stored_targets(store, organisation),
        with_contributions=with_contributions,
    )


def chosen_trajectory(
    store: Store, organisation: Organisation, ref: Referential
) -> TrajectoryView | None:
    """The strategy's chosen scenario against the baseline, None when none is chosen."""
    record = saved.chosen_scenario(store, organisation)
    if record is None:
        return None
    return trajectories(store, organisation, ref, [record.id])


def record_results(
    store: Store, organisation: Organisation, run: ScenarioRun, version: str
) -> None:
    """Keep the last run's yearly carbon with the referential version it ran with."""
    record = saved.get_scenario(store, organisation, run.scenario_id or 0)
    saved.save_scenario(
        store,
        organisation,
        record.name,
        record.definition,
        referential_version=version,
        results={str(y.year): y.gwp for y in run.trajectory.years},
    )


# --- demo ------------------------------------------------------------------------------------


def demo_scenarios(start_year: int) -> list[Scenario]:
    """« Tendance » and « Sobriété », after the two ends of the ADEME–Arcep prospective study
    (2023): equipment per agent growing, against longer lifetimes with no growth."""
    end = start_year + DEFAULT_YEARS
    nxt = start_year + 1
    trend = Scenario(
        "Tendance",
        start_year,
        end,
        (),
        equipment_growth=0.02,
        description=(
            "Le parc par agent croît de 2 % par an, les pratiques ne changent pas "
            "(hypothèse proche du scénario tendanciel de l'étude ADEME–Arcep 2023)."
        ),
    )
    sobriety = Scenario(
        "Sobriété",
        start_year,
        end,
        (
            make_lever("lifetime_extension", 2, nxt),
            make_lever("refurbished_share", 0.3, nxt),
            make_lever("agents_per_printer", 15, nxt),
            make_lever("smartphone_reduction", 0.2, nxt),
            make_lever("reuse_share", 0.5, nxt),
        ),
        description=(
            "Deux ans de plus pour chaque équipement, 30 % d'achats reconditionnés, un "
            "multifonction pour 15 agents, un smartphone sur cinq partagé, la moitié des sorties "
            "vers le réemploi."
        ),
    )
    return [trend, sobriety]


#: The demo's trajectory target: −30 % of kgCO2e per agent in 2030 against the first year.
DEMO_TARGET_CHANGE = -0.30
DEMO_TARGET_YEAR = 2030


def demo_trajectory(
    organisation_name: str, fleet: pa.Table, staff: float | None, ref: Referential, start_year: int
) -> TrajectoryView:
    """« Sobriété » (the demo's chosen trajectory) and « Tendance » on the demo fleet."""
    trend, sobriety = demo_scenarios(start_year)
    goal = Target(Indicator.GWP_PER_AGENT, start_year, DEMO_TARGET_YEAR, DEMO_TARGET_CHANGE)
    return compare_scenarios(
        organisation_name,
        fleet,
        staff,
        ref,
        [Candidate(sobriety, chosen=True), Candidate(trend)],
        [goal] if staff and start_year < DEMO_TARGET_YEAR else [],
    )


def save_demo_scenarios(store: Store, organisation: Organisation, start_year: int) -> None:
    for i, scenario in enumerate(demo_scenarios(start_year)):
        record = saved.save_scenario(store, organisation, scenario.name, scenario.to_json())
        if i == 1:
            saved.choose_scenario(store, organisation, record.id)
    if start_year < DEMO_TARGET_YEAR:
        saved.set_target(
            store,
            organisation,
            Indicator.GWP_PER_AGENT.value,
            start_year,
            DEMO_TARGET_YEAR,
            DEMO_TARGET_CHANGE,
        )


# --- charts ----------------------------------------------------------------------------------

#: One colour per compared scenario (Okabe-Ito, after the baseline's grey).
SCENARIO_COLOURS = ("#555555", *PHASE_COLOURS)


def trajectory_chart(view: TrajectoryView, width: int = 560, height: int = 260) -> str:
    """Lines: annual kgCO2e per scenario and the baseline, with the carbon targets as points."""
    rows: list[dict[str, object]] = []
    names = [view.baseline.name, *(r.name for r in view.runs)]
    for run in [view.baseline, *view.runs]:
        rows += [
            {"année": y.year, "scénario": run.name, "kgCO2e": y.gwp} for y in run.trajectory.years
        ]
    lines = (
        alt.Chart(inline_data(rows))
        .mark_line(point=True)
        .encode(
            x=alt.X("année:O", title=None, axis=alt.Axis(labelAngle=0)),
            y=alt.Y("kgCO2e:Q", title="kgCO2e par an", axis=alt.Axis(format=",.0f")),
            color=alt.Color(
                "scénario:N",
                scale=alt.Scale(domain=names, range=list(SCENARIO_COLOURS[: len(names)])),
                legend=alt.Legend(title=None, orient="bottom", direction="horizontal"),
            ),
            strokeDash=alt.condition(
                alt.datum["scénario"] == view.baseline.name, alt.value([4, 3]), alt.value([1, 0])
            ),
        )
    )
    layers: list[alt.Chart] = [lines]
    goal_rows = [
        {"année": o.target.year, "objectif": o.threshold, "libellé": "objectif"}
        for o in view.baseline.outcomes
        if o.target.indicator == Indicator.GWP and o.threshold is not None
    ]
    if goal_rows:
        layers.append(
            alt.Chart(inline_data(goal_rows))
            .mark_point(shape="diamond", size=120, filled=True, color="#D55E00")
            .encode(x="année:O", y="objectif:Q")
        )
    chart = (
        alt.layer(*layers)
        .properties(width=width, height=height)
        .configure_axis(labelFontSize=11, titleFontSize=11)
        .configure_legend(labelFontSize=11)
    )
    ends = " ; ".join(
        f"{run.name} : {fmt_number(run.trajectory.years[0].gwp / 1000, 1)} t en "
        f"{run.trajectory.years[0].year}, {fmt_number(run.trajectory.years[-1].gwp / 1000, 1)} t "
        f"en {run.trajectory.years[-1].year}"
        for run in [view.baseline, *view.runs]
    )
    return render_svg(chart, alt_text=f"Empreinte carbone annuelle par scénario (t CO2e) : {ends}.")


def waterfall_chart(run: ScenarioRun, base_total: float, width: int = 560) -> str:
    """From the baseline's cumulative kgCO2e to the scenario's, one bar per lever."""
    rows: list[dict[str, object]] = []
    level = base_total
    rows.append({"étape": BASELINE_NAME, "début": 0.0, "fin": level, "sens": "total"})
    for part in run.contributions:
        label = part.lever.info.label if part.lever else "interactions"
        rows.append(
            {
                "étape": label,
                "début": level,
                "fin": level + part.cumulative,
                "sens": "baisse" if part.cumulative < 0 else "hausse",
            }
        )
        level += part.cumulative
    rows.append({"étape": run.name, "début": 0.0, "fin": level, "sens": "total"})
    order = [str(r["étape"]) for r in rows]
    chart = (
        alt.Chart(inline_data(rows))
        .mark_bar()
        .encode(
            y=alt.Y("étape:N", sort=order, title=None, axis=alt.Axis(labelLimit=260)),
            x=alt.X("début:Q", title="kgCO2e cumulés sur l'horizon", axis=alt.Axis(format=",.0f")),
            x2="fin:Q",
            color=alt.Color(
                "sens:N",
                scale=alt.Scale(
                    domain=["total", "baisse", "hausse"], range=["#555555", "#009E73", "#D55E00"]
                ),
                legend=None,
            ),
        )
        .properties(width=width, height=28 * len(rows))
        .configure_axis(labelFontSize=11, titleFontSize=11)
    )
    steps = " ; ".join(
        f"{r['étape']} : {fmt_number((float(str(r['fin'])) - float(str(r['début']))) / 1000, 1)} t"
        for r in rows
    )
    return render_svg(
        chart, alt_text=f"De la référence au scénario, t CO2e cumulées sur l'horizon : {steps}."
    )


def plain_summary(view: TrajectoryView, run: ScenarioRun) -> list[str]:
    """Sentences for elected officials on one scenario against the baseline and targets."""
    first, last = run.trajectory.years[0], run.trajectory.years[-1]
    base_last = view.baseline.trajectory.year(last.year)
    change = (last.gwp / first.gwp - 1.0) * 100 if first.gwp else 0.0
    words = [
        f"Avec le scénario « {run.name} », l'empreinte carbone du parc passerait de "
        f"{fmt_number(first.gwp / 1000, 1)} t CO2e en {first.year} à "
        f"{fmt_number(last.gwp / 1000, 1)} t CO2e en {last.year} "
        f"({'+' if change >= 0 else '−'}{fmt_number(abs(change), 0)} %).",
        f"Sans levier, elle serait de {fmt_number(base_last.gwp / 1000, 1)} t CO2e en "
        f"{last.year} : le scénario éviterait {fmt_number(view.cumulative_avoided(run) / 1000, 1)} "
        f"t CO2e sur {len(run.trajectory.years)} ans.",
    ]
    base_first = view.baseline.trajectory.years[0]
    if base_last.gwp > base_first.gwp * 1.05:
        words.append(
            "Sans levier, l'empreinte augmente d'abord : les équipements déjà amortis ne "
            "comptent plus de fabrication dans l'empreinte annuelle ; quand ils sont remplacés, "
            "la fabrication des neufs est de nouveau amortie."
        )
    for outcome in run.outcomes:
        if outcome.base_value is None:
            words.append(
                f"Objectif « {outcome.target.describe()} » : année de référence hors horizon."
            )
        elif outcome.met:
            words.append(
                f"L'objectif « {outcome.target.describe()} » serait atteint dès "
                f"{outcome.first_year_met}."
            )
        else:
            words.append(f"L'objectif « {outcome.target.describe()} » ne serait pas atteint.")
    return words


def category_label(code: str) -> str:
    info = CATEGORIES_BY_CODE.get(code)
    return info.label_fr if info else code


__all__ = [
    "BASELINE_NAME",
    "FONT",
    "MAX_COMPARED",
    "Candidate",
    "ScenarioRun",
    "TrajectoryView",
    "chosen_trajectory",
    "compare_scenarios",
    "demo_scenarios",
    "demo_trajectory",
    "plain_summary",
    "save_demo_scenarios",
    "trajectories",
    "trajectory_chart",
    "waterfall_chart",
]
