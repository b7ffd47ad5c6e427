"""Saved scenarios and targets on SQLite and PostgreSQL; the trajectory service; the CLI."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import fleet_table
from sobrenum.cli.main import app
from sobrenum.referential import load
from sobrenum.reporting import snapshots
from sobrenum.reporting.trajectory import (
    chosen_trajectory,
    plain_summary,
    save_demo_scenarios,
    trajectories,
    trajectory_chart,
    waterfall_chart,
)
from sobrenum.scenarios import Scenario, ScenarioError, make_lever
from sobrenum.store import Organisation, Store, apply_import, create_organisation
from sobrenum.store import scenarios as saved

FLEET = fleet_table(
    [
        {
            "asset_id": "PC-1",
            "category": "laptop",
            "quantity": 40,
            "acquisition_date": dt.date(2019, 3, 1),
        },
        {
            "asset_id": "PC-2",
            "category": "desktop",
            "quantity": 60,
            "acquisition_date": dt.date(2017, 9, 1),
        },
        {
            "asset_id": "EC-1",
            "category": "monitor",
            "quantity": 120,
            "acquisition_date": dt.date(2018, 1, 15),
        },
        {
            "asset_id": "IM-1",
            "category": "printer",
            "quantity": 25,
            "acquisition_date": dt.date(2016, 5, 1),
        },
        {
            "asset_id": "TEL",
            "category": "smartphone",
            "quantity": 80,
            "acquisition_date": dt.date(2022, 2, 1),
        },
    ]
)


@pytest.fixture
def stocked(store: Store, organisation: Organisation) -> Organisation:
    apply_import(
        store,
        organisation,
        FLEET,
        file_sha256="a" * 64,
        file_name="parc.csv",
        inventory_date=dt.date(2025, 1, 10),
    )
    return organisation


def test_saved_scenarios_belong_to_their_organisation(
    store: Store, organisation: Organisation
) -> None:
    other = create_organisation(store, name="Autre", siren="213105554", type="commune")
    s = Scenario("Sobriété", 2025, 2035, (make_lever("lifetime_extension", 2, 2026),))
    mine = saved.save_scenario(store, organisation, " Sobriété ", s.to_json())
    assert mine.name == "Sobriété"
    assert Scenario.from_json(saved.get_scenario(store, organisation, mine.id).definition) == s
    with pytest.raises(saved.ScenarioStoreError, match="introuvable"):
        saved.get_scenario(store, other, mine.id)
    with pytest.raises(saved.ScenarioStoreError, match="introuvable"):
        saved.delete_scenario(store, other, mine.id)
    with pytest.raises(saved.ScenarioStoreError, match="introuvable"):
        saved.choose_scenario(store, other, mine.id)
    assert saved.list_scenarios(store, other) == []
    # Saving under the same name replaces the definition, it does not add a scenario.
    saved.save_scenario(store, organisation, "Sobriété", Scenario("Sobriété", 2025, 2030).to_json())
    assert len(saved.list_scenarios(store, organisation)) == 1


def test_one_chosen_scenario_at_a_time(store: Store, organisation: Organisation) -> None:
    a = saved.save_scenario(store, organisation, "A", Scenario("A", 2025, 2030).to_json())
    b = saved.save_scenario(store, organisation, "B", Scenario("B", 2025, 2030).to_json())
    saved.choose_scenario(store, organisation, a.id)
    saved.choose_scenario(store, organisation, b.id)
    assert [r.name for r in saved.list_scenarios(store, organisation) if r.chosen] == ["B"]
    saved.choose_scenario(store, organisation, None)
    assert saved.chosen_scenario(store, organisation) is None


def test_targets_are_replaced_per_indicator_and_year(
    store: Store, organisation: Organisation
) -> None:
    saved.set_target(store, organisation, "gwp_per_agent", 2025, 2030, -0.3)
    saved.set_target(store, organisation, "gwp_per_agent", 2024, 2030, -0.4)
    saved.set_target(store, organisation, "gwp", 2025, 2035, -0.5)
    rows = saved.targets(store, organisation)
    assert [(r.indicator, r.base_year, r.year, r.change) for r in rows] == [
        ("gwp_per_agent", 2024, 2030, -0.4),
        ("gwp", 2025, 2035, -0.5),
    ]


def test_name_is_checked(store: Store, organisation: Organisation) -> None:
    with pytest.raises(saved.ScenarioStoreError, match="1 à 120"):
        saved.save_scenario(store, organisation, "   ", "{}")


def test_first_year_is_the_dashboards_footprint(store: Store, stocked: Organisation) -> None:
    ref = load()
    save_demo_scenarios(store, stocked, 2025)
    view = trajectories(store, stocked, ref)
    dashboard = snapshots.year_result(store, stocked, 2025, ref).summary.annual_gwp
    assert view.baseline.trajectory.years[0].gwp == pytest.approx(dashboard, rel=1e-12)
    for run in view.runs:
        assert run.trajectory.years[0].gwp == pytest.approx(dashboard, rel=1e-12)
    # The chosen scenario (Sobriété) comes first and meets the −30 % per agent target.
    assert [r.name for r in view.runs] == ["Sobriété", "Tendance"]
    sobriety = view.runs[0]
    assert sobriety.chosen
    assert len(sobriety.contributions) == 5
    assert sum(p.cumulative for p in sobriety.contributions) == pytest.approx(
        sobriety.trajectory.cumulative() - view.baseline.trajectory.cumulative()
    )
    assert view.cumulative_avoided(sobriety) > 0
    assert view.cumulative_avoided(view.runs[1]) < 0  # the trend grows
    text = " ".join(plain_summary(view, sobriety))
    assert "Sobriété" in text and "t CO2e" in text and "objectif" in text.lower()
    svg = trajectory_chart(view)
    assert svg.startswith("<svg") and "Sobriété" in svg
    assert "<svg" in waterfall_chart(sobriety, view.baseline.trajectory.cumulative())
    chosen = chosen_trajectory(store, stocked, ref)
    assert chosen is not None and [r.name for r in chosen.runs] == ["Sobriété"]


def test_scenarios_with_different_horizons_are_not_compared(
    store: Store, stocked: Organisation
) -> None:
    a = saved.save_scenario(store, stocked, "A", Scenario("A", 2025, 2030).to_json())
    b = saved.save_scenario(store, stocked, "B", Scenario("B", 2025, 2035).to_json())
    with pytest.raises(ScenarioError, match="même horizon"):
        trajectories(store, stocked, load(), [a.id, b.id])


def test_no_scenario_is_a_french_error(store: Store, stocked: Organisation) -> None:
    with pytest.raises(ScenarioError, match="Aucun scénario"):
        trajectories(store, stocked, load())


def test_cli_creates_compares_and_chooses(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOBRENUM_DATABASE_URL", database_url)
    monkeypatch.setenv("SOBRENUM_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("COLUMNS", "200")
    cli = CliRunner()
    from sobrenum.store import open_store

    with open_store(database_url) as store:
        org = create_organisation(
            store,
            name="Ville",
            siren="200054781",
            type="commune",
            staff_count=300,
            reporting_year=2025,
        )
        apply_import(
            store,
            org,
            FLEET,
            file_sha256="b" * 64,
            file_name="p.csv",
            inventory_date=dt.date(2025, 1, 2),
        )
    done = cli.invoke(
        app,
        [
            "scenario",
            "creer",
            "Sobriété",
            "--levier",
            "lifetime_extension=2@2026:laptop,desktop",
            "--levier",
            "refurbished_share=0,3@2026",
            "--fin",
            "2030",
        ],
    )
    assert done.exit_code == 0, done.output
    assert "2025–2030, 2 levier(s)" in done.output
    bad = cli.invoke(app, ["scenario", "creer", "X", "--levier", "refurbished_share=2@2026"])
    assert bad.exit_code == 2
    assert "sort des bornes" in bad.output
    unreadable = cli.invoke(app, ["scenario", "creer", "X", "--levier", "n'importe quoi"])
    assert unreadable.exit_code == 2 and "illisible" in unreadable.output
    target = cli.invoke(
        app,
        [
            "scenario",
            "objectif",
            "--indicateur",
            "gwp",
            "--reference",
            "2025",
            "--annee",
            "2030",
            "--evolution",
            "-10",
        ],
    )
    assert target.exit_code == 0, target.output
    assert "−10 % en 2030 par rapport à 2025" in target.output
    shown = cli.invoke(app, ["scenario", "comparer"])
    assert shown.exit_code == 0, shown.output
    assert "Référence (sans levier)" in shown.output and "2030" in shown.output
    assert "Allonger la durée de vie" in shown.output
    english = cli.invoke(app, ["scenario", "choose", "Sobriété"])
    assert english.exit_code == 0, english.output
    listed = cli.invoke(app, ["scenario", "lister"])
    assert "oui" in listed.output
    gone = cli.invoke(app, ["scenario", "supprimer", "Inconnu"])
    assert gone.exit_code == 2 and "Aucun scénario nommé « Inconnu »" in gone.output


def test_council_report_shows_the_chosen_trajectory(store: Store, stocked: Organisation) -> None:
    from sobrenum.reporting.annual import report_from_store
    from sobrenum.reporting.council import render_council_html

    ref = load()
    report, _ = report_from_store(store, stocked, 2025, ref, with_interval=False)
    assert report.trajectory is None
    assert "Trajectoire : scénario" not in render_council_html(report)
    save_demo_scenarios(store, stocked, 2025)
    report, _ = report_from_store(store, stocked, 2025, ref, with_interval=False)
    html = render_council_html(report)
    assert "Trajectoire : scénario « Sobriété »" in html
    section = html.split('id="trajectoire"')[1]
    assert "Sans levier" in section and "2035" in section and "<svg" in section
    # The report's footprint and the trajectory's first year are the same figure.
    assert report.trajectory is not None
    first = report.trajectory.runs[0].trajectory.years[0].gwp
    assert first == pytest.approx(report.summary.annual_gwp, rel=1e-12)
