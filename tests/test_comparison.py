"""Comparison between territories: never a group of fewer than 5 other organisations, never an
organisation that did not consent, never for a viewer that did not consent."""

from __future__ import annotations

import datetime as dt
import statistics

import pytest

from conftest import fleet_table
from sobrenum.reporting import comparison as cmp
from sobrenum.store import Organisation, Store, create_organisation
from sobrenum.store import strategy as st

YEAR = 2025


def _commune(store: Store, index: int, laptops: int, population: int = 20_000) -> Organisation:
    """An organisation with a frozen year whose footprint is 100 kgCO2e per laptop."""
    org = create_organisation(
        store,
        name=f"Commune {index}",
        type="commune",
        population=population,
        staff_count=100,
        reporting_year=YEAR,
    )
    fleet = fleet_table([{"asset_id": "L", "category": "laptop", "quantity": laptops}])
    st.save_snapshot(
        store,
        org,
        year=YEAR,
        fleet_date=dt.date(YEAR, 12, 31),
        referential_version="test",
        staff_count=100,
        population=population,
        fleet=fleet,
        results={"devices": laptops, "summary": {"annual_gwp": 100.0 * laptops}},
    )
    return org


def _per_staff(result: cmp.Comparison) -> cmp.MetricComparison:
    return next(m for m in result.metrics if m.metric.code == "par_agent")


def test_k_anonymity_counts_others_only_and_respects_consent(store: Store) -> None:
    orgs = [_commune(store, i, laptops=10 * (i + 1)) for i in range(7)]
    viewer, others = orgs[0], orgs[1:]
    st.set_consent(store, viewer, True)
    # 4 others consent: with the viewer that is 5, but only 4 *others* → nothing shown.
    for org in others[:4]:
        st.set_consent(store, org, True)
    result = cmp.compare(store, viewer, YEAR)
    assert not any(m.shown for m in result.metrics)
    assert "au moins 5" in result.message
    # A 5th consents: the statistics are the 5 others', the viewer excluded.
    st.set_consent(store, others[4], True)
    result = cmp.compare(store, viewer, YEAR)
    line = _per_staff(result)
    assert line.shown and line.count == 5
    own = st.snapshot_results(store, [o.id for o in others[:5]], YEAR)
    values = sorted(r[2]["summary"]["annual_gwp"] / 100 for r in own.values())
    assert line.median == pytest.approx(cmp.round_significant(statistics.median(values)))
    assert line.position == "dans le quart le plus bas"  # the viewer has the fewest laptops
    # others[5] never consented: never counted. A withdrawal drops the group below 5 again.
    st.set_consent(store, others[0], False)
    assert not any(m.shown for m in cmp.compare(store, viewer, YEAR).metrics)


def test_a_viewer_that_does_not_consent_sees_nothing(store: Store) -> None:
    orgs = [_commune(store, i, laptops=5 + i) for i in range(6)]
    for org in orgs[1:]:
        st.set_consent(store, org, True)
    with pytest.raises(cmp.ComparisonError, match="acceptent d'y figurer"):
        cmp.compare(store, orgs[0], YEAR)


def test_groups_by_type_and_size_band_then_widen_to_the_type(store: Store) -> None:
    small = [_commune(store, i, laptops=5 + i, population=5_000) for i in range(3)]
    big = [_commune(store, 10 + i, laptops=50 + i, population=80_000) for i in range(3)]
    syndicate = create_organisation(store, name="Syndicat", type="syndicat", staff_count=100)
    for org in (*small, *big, syndicate):
        st.set_consent(store, org, True)
    viewer = small[0]
    # Same band: 2 others only → the group widens to every commune (5 others), not beyond.
    result = cmp.compare(store, viewer, YEAR)
    line = _per_staff(result)
    assert line.count == 5
    assert result.group_label == "Commune, toutes tailles"
    assert cmp.size_band(5_000) == "moins de 10 000 habitants"
    assert cmp.size_band(80_000) == "de 50 000 à 100 000 habitants"


def test_only_frozen_years_are_compared(store: Store, organisation: Organisation) -> None:
    st.set_consent(store, organisation, True)
    with pytest.raises(cmp.ComparisonError, match="n'est pas figée"):
        cmp.compare(store, organisation, YEAR)
