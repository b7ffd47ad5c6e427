"""Frozen years (on SQLite and PostgreSQL): what is frozen stays, and the change from one year
to the next splits into a referential effect and a fleet effect that add up."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from conftest import fleet_table
from sobrenum.engine import Parameters, compute
from sobrenum.referential import Referential, load
from sobrenum.reporting import snapshots, summarise
from sobrenum.reporting.annual import report_from_store
from sobrenum.store import Organisation, Store, apply_import, list_events
from sobrenum.store import strategy as st

FLEET_2024 = [
    {
        "asset_id": "L1",
        "category": "laptop",
        "quantity": 10,
        "acquisition_date": dt.date(2023, 1, 1),
    },
    {
        "asset_id": "M1",
        "category": "monitor",
        "quantity": 5,
        "acquisition_date": dt.date(2023, 1, 1),
    },
]


def _import(store: Store, org: Organisation, rows: list[dict[str, Any]], day: dt.date) -> None:
    apply_import(
        store,
        org,
        fleet_table(rows),
        file_sha256=f"{day.isoformat():0>64}"[-64:],
        file_name=f"parc-{day}.csv",
        inventory_date=day,
        confirm_gone=True,  # the tests retire devices on purpose
    )


def _doubled_laptop_manufacture(tmp_path: Path, base: Referential) -> Referential:
    row = next(r for r in base.factors.to_pylist() if r["factor_id"] == "laptop.gwp.manufacture")
    path = tmp_path / "factors.csv"
    header = list(row)
    row["value"], row["low"], row["high"] = 2 * row["value"], 2 * row["low"], 2 * row["high"]
    row["note"] = "doublé pour le test"
    values = ["true" if v is True else "false" if v is False else str(v) for v in row.values()]
    path.write_text(",".join(header) + "\n" + ",".join(f'"{v}"' for v in values) + "\n")
    ref = load(overrides=[path])
    assert ref.version != base.version
    return ref


def test_only_the_referential_changed(
    store: Store, organisation: Organisation, tmp_path: Path
) -> None:
    base = load()
    _import(store, organisation, FLEET_2024, dt.date(2024, 3, 1))
    y2024 = snapshots.freeze(store, organisation, 2024, base)
    new_ref = _doubled_laptop_manufacture(tmp_path, base)
    y2025 = snapshots.freeze(store, organisation, 2025, new_ref)

    d = y2025.decomposition
    assert d is not None
    assert d.previous_total == pytest.approx(y2024.summary.annual_gwp)
    assert d.previous_version == base.version and d.version == new_ref.version
    # Same devices, amortised over both years alike: the whole change is the referential's.
    assert d.fleet_effect == pytest.approx(0.0, abs=1e-6)
    laptop_manufacture_2024 = y2024.summary.categories[0].by_phase["manufacture"]
    assert y2024.summary.categories[0].category == "laptop"
    assert d.referential_effect == pytest.approx(laptop_manufacture_2024)
    assert d.previous_total + d.referential_effect + d.fleet_effect == pytest.approx(d.total)
    for before, again, now in d.by_category.values():
        assert before + (again - before) + (now - again) == pytest.approx(now)


def test_only_the_fleet_changed_and_devices_gone_count_as_retired(
    store: Store, organisation: Organisation
) -> None:
    ref = load()
    _import(store, organisation, FLEET_2024, dt.date(2024, 3, 1))
    snapshots.freeze(store, organisation, 2024, ref)
    # 2025: four more laptops; the monitors left the inventory on 1 March.
    new = [
        FLEET_2024[0],
        {
            "asset_id": "L2",
            "category": "laptop",
            "quantity": 4,
            "acquisition_date": dt.date(2025, 2, 1),
        },
    ]
    _import(store, organisation, new, dt.date(2025, 3, 1))
    y2025 = snapshots.freeze(store, organisation, 2025, ref)
    d = y2025.decomposition
    assert d is not None
    assert d.referential_effect == pytest.approx(0.0, abs=1e-9)
    assert d.fleet_effect == pytest.approx(d.total - d.previous_total)
    fleet_2025 = fleet_table(new)
    expected = compute(fleet_2025, ref, Parameters(2025)).totals().to_pylist()
    assert d.total == pytest.approx(next(r["annual"] for r in expected if r["criterion"] == "gwp"))
    # The monitors, gone on 1 March 2025, are the year's retired devices.
    retired = y2025.computed["duree_vie_sortis"]
    assert retired.value == pytest.approx(
        (dt.date(2025, 3, 1) - dt.date(2023, 1, 1)).days / 365.2425
    )
    assert set(retired.details["categorie"]) == {"monitor"}


def test_a_frozen_year_does_not_move(store: Store, organisation: Organisation) -> None:
    ref = load()
    _import(store, organisation, FLEET_2024, dt.date(2025, 3, 1))
    frozen = snapshots.freeze(store, organisation, 2025, ref, actor="test:dsi")
    assert frozen.summary.devices == 15
    # A later inventory of the same year adds devices...
    tablets = {"asset_id": "T1", "category": "tablet", "quantity": 7}
    more = [*FLEET_2024, tablets | {"acquisition_date": dt.date(2025, 10, 1)}]
    _import(store, organisation, more, dt.date(2025, 11, 1))
    assert snapshots.compute_year(store, organisation, 2025, ref).summary.devices == 22
    # ...but the report of the frozen year keeps the frozen figures and fleet.
    report, current = report_from_store(store, organisation, 2025, ref, with_interval=False)
    assert report.frozen and current.frozen
    assert report.summary.devices == 15
    assert current.fleet.num_rows == 2
    assert report.summary.annual_gwp == pytest.approx(frozen.summary.annual_gwp)
    # Freezing again is refused unless asked, and both are logged.
    with pytest.raises(st.StrategyError, match="déjà figée"):
        snapshots.freeze(store, organisation, 2025, ref)
    again = snapshots.freeze(store, organisation, 2025, ref, replace=True)
    assert again.summary.devices == 22
    actions = [e.action for e in list_events(store, organisation_id=organisation.id)]
    assert "snapshot.freeze" in actions and "snapshot.replace" in actions


def test_a_year_without_inventory_is_a_clear_error(
    store: Store, organisation: Organisation
) -> None:
    with pytest.raises(snapshots.SnapshotError, match="importez d'abord un inventaire"):
        snapshots.freeze(store, organisation, 2025, load())


def test_declared_values_and_objectives_reach_the_report(
    store: Store, organisation: Organisation
) -> None:
    ref = load()
    _import(store, organisation, FLEET_2024, dt.date(2025, 3, 1))
    st.declare_value(store, organisation, "ateliers_nombre", 2025, 5, comment="2 pour les élus")
    st.declare_value(store, organisation, "ateliers_nombre", 2025, 6)  # replaces
    st.set_objective(store, organisation, "ateliers_nombre", 2025, 4)
    st.set_objective(store, organisation, "ateliers_nombre", 2027, 8)
    st.add_action(store, organisation, year=2025, theme="4", title="Fresque du numérique")
    report, _ = report_from_store(store, organisation, 2025, ref, with_interval=False)
    workshops = next(v for v in report.indicators if v.indicator.code == "ateliers_nombre")
    assert (workshops.value, workshops.objective, workshops.status) == (6, 4, "atteint")
    assert report.later_objectives["ateliers_nombre"] == [(2027, 8)]
    assert [a.title for a in report.actions] == ["Fresque du numérique"]
    assert not report.frozen
    with pytest.raises(st.StrategyError, match="État d'action inconnu"):
        st.add_action(store, organisation, year=2025, theme="4", title="x", state="fini")


def test_register_indicators_come_from_the_reuse_register(
    store: Store, organisation: Organisation
) -> None:
    from sobrenum.reuse import record_exit, reuse_rate

    ref = load()
    rows = [
        {"asset_id": f"D{i}", "category": "desktop", "quantity": 1, "status": "retired",
         "acquisition_date": dt.date(2020, 1, 1), "retirement_date": dt.date(2024, 10, 1)}
        for i in range(4)
    ] + [FLEET_2024[0]]  # fmt: skip
    _import(store, organisation, rows, dt.date(2024, 12, 1))
    st.declare_value(store, organisation, "equipements_reemployes", 2025, 99)
    st.declare_value(store, organisation, "clauses_nombre", 2025, 2)
    # Before anything is recorded the register is unused: declarations are reported.
    report, _ = report_from_store(store, organisation, 2025, ref, with_interval=False)
    values = {v.indicator.code: v for v in report.indicators}
    assert values["equipements_reemployes"].value == 99
    record_exit(store, organisation.id, asset_id="D0", destination="internal_reuse",
                exit_date=dt.date(2025, 2, 1))  # fmt: skip
    record_exit(store, organisation.id, asset_id="D1", destination="weee",
                exit_date=dt.date(2025, 3, 1), weight_kg=480.0,
                receiver_name="Ecosystem")  # fmt: skip
    report, _ = report_from_store(store, organisation, 2025, ref, with_interval=False)
    values = {v.indicator.code: v for v in report.indicators}
    expected_rate = reuse_rate(store, organisation.id, 2025).rate
    assert expected_rate is not None
    assert values["taux_reemploi"].value == pytest.approx(expected_rate)
    assert values["taux_reemploi"].origin.value == "registre de réemploi"
    # The register now speaks for its indicators: the declaration of 99 no longer counts.
    assert values["equipements_reemployes"].value == 1
    assert values["deee_tonnes"].value == pytest.approx(0.48)
    assert values["deee_kg_par_agent"].value == pytest.approx(480.0 / 240)
    assert values["clauses_nombre"].value == 2  # declared indicators are untouched


def test_a_summary_survives_its_json_round_trip() -> None:
    import json

    ref = load()
    fleet = fleet_table(FLEET_2024)
    summary = summarise(
        compute(fleet, ref, Parameters(2025)), "Test", 10, 100, uncertainty_draws=50
    )
    assert summary.uncertainty is not None
    stored = json.loads(json.dumps(snapshots.summary_to_json(summary)))
    assert snapshots.summary_from_json(stored) == summary
    # A summary stored by an older version (no uncertainty) still loads.
    del stored["uncertainty"]
    assert snapshots.summary_from_json(stored).uncertainty is None
