"""Import semantics and fleet history, on SQLite and on PostgreSQL."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import pyarrow as pa
import pytest
from sqlalchemy import func, select

from conftest import fleet_table
from sobrenum.domain import FLEET_SCHEMA, InvalidDataError
from sobrenum.store import (
    Device,
    DeviceVersion,
    ImportFailedError,
    ImportRefusedError,
    InventoryImport,
    Organisation,
    Store,
    apply_import,
    current_fleet,
    device_history,
    fleet_at,
    inventory_dates,
    list_events,
)

JAN = dt.date(2025, 1, 15)
JUN = dt.date(2025, 6, 15)
DEC = dt.date(2025, 12, 15)


def laptop(asset_id: str, **fields: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "asset_id": asset_id,
        "category": "laptop",
        "manufacturer": "Dell",
        "model": "Latitude 5420",
        "quantity": 1,
        "acquisition_date": dt.date(2021, 7, 1),
        "acquisition_date_estimated": False,
        "status": "in_use",
        "condition": "new",
        "lifetime_years": 5.0,
        "site": "Mairie",
        "department": "Finances",
        "country": "FRA",
        "hours_per_day": 7.5,
    }
    row.update(fields)
    return row


def first_fleet() -> pa.Table:
    return fleet_table(
        [
            laptop("PC-001"),
            laptop("PC-002", department="État civil"),
            laptop("PC-003"),
            {
                "asset_id": "ECR-001",
                "category": "monitor",
                "manufacturer": "Iiyama",
                "quantity": 12,
                "acquisition_date": dt.date(2019, 7, 1),
                "acquisition_date_estimated": True,
                "status": "in_stock",
                "condition": "refurbished",
                "power_w": 18.5,
                "pue": None,
            },
        ]
    )


def second_fleet() -> pa.Table:
    return fleet_table(
        [
            laptop("PC-001"),  # unchanged
            laptop("PC-002", department="Urbanisme", site="Annexe"),  # changed: 2 fields
            # PC-003 gone
            {
                "asset_id": "ECR-001",
                "category": "monitor",
                "manufacturer": "Iiyama",
                "quantity": 12,
                "acquisition_date": dt.date(2019, 7, 1),
                "acquisition_date_estimated": True,
                "status": "in_stock",
                "condition": "refurbished",
                "power_w": 18.5,
            },
            laptop("PC-004", manufacturer="Lenovo", model="ThinkPad T14"),  # added
        ]
    )


def do_import(
    store: Store, organisation: Organisation, fleet: pa.Table, sha: str, date: dt.date, **kw: Any
) -> Any:
    return apply_import(
        store,
        organisation,
        fleet,
        file_sha256=sha,
        file_name=f"inventaire-{date.isoformat()}.xlsx",
        inventory_date=date,
        **kw,
    )


def counts(store: Store) -> tuple[int, ...]:
    with store.transaction() as session:
        return tuple(
            session.scalar(select(func.count()).select_from(model)) or 0
            for model in (Device, DeviceVersion, InventoryImport)
        )


def test_first_import_stores_the_fleet_exactly(store: Store, organisation: Organisation) -> None:
    summary = do_import(store, organisation, first_fleet(), "a" * 64, JAN, rejected=2)
    assert (summary.added, summary.changed, summary.gone, summary.unchanged) == (4, 0, 0, 0)
    assert summary.rejected == 2
    assert summary.message().startswith("Inventaire du 15/01/2025 importé pour Commune de")
    assert "4 ajouté(s)" in summary.message() and "2 rejeté(s)" in summary.message()
    fleet = current_fleet(store, organisation)
    assert fleet.schema == FLEET_SCHEMA
    # Every value comes back as it went in: strings, dates, booleans, floats, nulls.
    assert fleet.to_pylist() == first_fleet().sort_by("asset_id").to_pylist()


def test_same_file_twice_changes_nothing(store: Store, organisation: Organisation) -> None:
    do_import(store, organisation, first_fleet(), "b" * 64, JAN)
    before = counts(store)
    again = do_import(store, organisation, first_fleet(), "B" * 64, JAN)
    assert again.already_imported
    assert "déjà été importé" in again.message() and "rien n'a changé" in again.message()
    assert counts(store) == before
    # Even with another date: the file is what counts.
    also = do_import(store, organisation, second_fleet(), "b" * 64, DEC)
    assert also.already_imported
    assert counts(store) == before
    assert inventory_dates(store, organisation) == [JAN]


def test_newer_inventory_is_a_diff(store: Store, organisation: Organisation) -> None:
    do_import(store, organisation, first_fleet(), "1" * 64, JAN)
    summary = do_import(store, organisation, second_fleet(), "2" * 64, JUN)
    assert (summary.added, summary.changed, summary.gone, summary.unchanged) == (1, 1, 1, 2)
    assert [(c.asset_id, set(c.fields)) for c in summary.changes] == [
        ("PC-002", {"department", "site"})
    ]
    assert "1 ajouté(s), 1 modifié(s), 1 sorti(s), 2 inchangé(s)" in summary.message()

    assert current_fleet(store, organisation).column("asset_id").to_pylist() == [
        "ECR-001",
        "PC-001",
        "PC-002",
        "PC-004",
    ]
    # The device that left is kept, marked gone at the inventory date.
    with store.transaction() as session:
        gone = session.scalar(select(Device).where(Device.asset_id == "PC-003"))
        assert gone is not None
        assert gone.gone_at == JUN and gone.first_seen == JAN and gone.last_seen == JAN
        kept = session.scalar(select(Device).where(Device.asset_id == "PC-001"))
        assert kept is not None and kept.last_seen == JUN and kept.gone_at is None


def test_fleet_as_it_stood_at_any_date(store: Store, organisation: Organisation) -> None:
    do_import(store, organisation, first_fleet(), "1" * 64, JAN)
    do_import(store, organisation, second_fleet(), "2" * 64, JUN)
    expected_jan = first_fleet().sort_by("asset_id").to_pylist()
    expected_jun = second_fleet().sort_by("asset_id").to_pylist()
    assert fleet_at(store, organisation, JAN).to_pylist() == expected_jan
    assert fleet_at(store, organisation, dt.date(2025, 3, 1)).to_pylist() == expected_jan
    assert fleet_at(store, organisation, JUN).to_pylist() == expected_jun
    assert fleet_at(store, organisation, DEC).to_pylist() == expected_jun
    before = fleet_at(store, organisation, dt.date(2024, 12, 31))
    assert before.num_rows == 0 and before.schema == FLEET_SCHEMA
    assert fleet_at(store, organisation, DEC).equals(current_fleet(store, organisation))

    history = device_history(store, organisation, "PC-002")
    assert [(v.valid_from, v.valid_to, v.change) for v in history] == [
        (JAN, JUN, "added"),
        (JUN, None, "changed"),
    ]
    assert history[0].department == "État civil" and history[1].department == "Urbanisme"


def test_device_that_comes_back_is_added_again(store: Store, organisation: Organisation) -> None:
    do_import(store, organisation, first_fleet(), "1" * 64, JAN)
    do_import(store, organisation, second_fleet(), "2" * 64, JUN)
    back = [*second_fleet().to_pylist(), laptop("PC-003", status="in_stock")]
    summary = do_import(store, organisation, fleet_table(back), "3" * 64, DEC)
    assert (summary.added, summary.returned, summary.gone) == (1, 1, 0)
    assert "PC-003" in fleet_at(store, organisation, DEC).column("asset_id").to_pylist()
    assert "PC-003" not in fleet_at(store, organisation, JUN).column("asset_id").to_pylist()
    assert [v.change for v in device_history(store, organisation, "PC-003")] == [
        "added",
        "returned",
    ]


def test_older_inventory_is_refused(store: Store, organisation: Organisation) -> None:
    do_import(store, organisation, second_fleet(), "2" * 64, JUN)
    before = counts(store)
    with pytest.raises(ImportRefusedError, match=r"15/01/2025 est antérieur .* 15/06/2025"):
        do_import(store, organisation, first_fleet(), "1" * 64, JAN)
    assert counts(store) == before


def test_same_date_corrects_the_latest_inventory(store: Store, organisation: Organisation) -> None:
    do_import(store, organisation, first_fleet(), "1" * 64, JAN)
    do_import(store, organisation, first_fleet(), "2" * 64, JUN)
    corrected = do_import(store, organisation, second_fleet(), "3" * 64, JUN)
    assert corrected.correction and corrected.message().startswith("Correction de l'inventaire")
    assert fleet_at(store, organisation, JUN).to_pylist() == (
        second_fleet().sort_by("asset_id").to_pylist()
    )
    assert fleet_at(store, organisation, JAN).to_pylist() == (
        first_fleet().sort_by("asset_id").to_pylist()
    )


def test_failure_midway_writes_nothing(store: Store, organisation: Organisation) -> None:
    do_import(store, organisation, first_fleet(), "1" * 64, JAN)
    before = counts(store)
    events_before = len(list_events(store, organisation_id=organisation.id))
    rows = second_fleet().to_pylist()
    # Row 3 of 4 breaks a database constraint (a negative quantity) after the diff started.
    rows[2]["quantity"] = -3
    with pytest.raises(ImportFailedError, match="rien n'a été enregistré"):
        do_import(store, organisation, fleet_table(rows), "2" * 64, JUN)
    assert counts(store) == before
    assert current_fleet(store, organisation).to_pylist() == (
        first_fleet().sort_by("asset_id").to_pylist()
    )
    assert len(list_events(store, organisation_id=organisation.id)) == events_before
    assert inventory_dates(store, organisation) == [JAN]
    # The same file, fixed, imports normally afterwards.
    rows[2]["quantity"] = 12
    assert do_import(store, organisation, fleet_table(rows), "2" * 64, JUN).changed == 1


def test_duplicate_or_missing_identifiers_are_refused(
    store: Store, organisation: Organisation
) -> None:
    rows = [laptop("PC-001"), laptop("PC-001"), laptop("")]
    with pytest.raises(InvalidDataError) as caught:
        do_import(store, organisation, fleet_table(rows), "1" * 64, JAN)
    message = str(caught.value)
    assert "identifiant en double" in message and "sans identifiant" in message
    assert counts(store) == (0, 0, 0)


def test_import_is_in_the_audit_log(store: Store, organisation: Organisation) -> None:
    do_import(store, organisation, first_fleet(), "1" * 64, JAN, actor="web:marie")
    event = list_events(store, organisation_id=organisation.id)[0]
    assert event.action == "inventory.import" and event.actor == "web:marie"
    assert event.details is not None
    assert event.details["added"] == 4 and event.details["inventory_date"] == "2025-01-15"


def test_organisations_do_not_see_each_other(store: Store, organisation: Organisation) -> None:
    from sobrenum.store import create_organisation

    other = create_organisation(store, name="Commune voisine", siren="217500016", type="commune")
    do_import(store, organisation, first_fleet(), "1" * 64, JAN)
    # Same file for another organisation is a separate import with the same asset ids.
    summary = do_import(store, other, first_fleet(), "1" * 64, JAN)
    assert not summary.already_imported and summary.added == 4
    do_import(store, other, fleet_table([laptop("PC-001")]), "2" * 64, JUN, confirm_gone=True)
    assert current_fleet(store, organisation).num_rows == 4
    assert current_fleet(store, other).num_rows == 1


def big_fleet(n: int, *, offset: int = 0, changed_every: int = 0) -> pa.Table:
    """``n`` devices numbered from ``offset``; each device's fields depend on its number only,
    except the site of one in ``changed_every`` devices (a change)."""
    numbers = range(offset, offset + n)
    return pa.table(
        {
            "asset_id": [f"A{i:07d}" for i in numbers],
            "category": ["laptop"] * n,
            "manufacturer": ["Dell"] * n,
            "model": ["Latitude"] * n,
            "quantity": [1] * n,
            "acquisition_date": [
                dt.date(2020, 1, 1) + dt.timedelta(days=i % 1500) for i in numbers
            ],
            "acquisition_date_estimated": [i % 7 == 0 for i in numbers],
            "retirement_date": pa.nulls(n, pa.date32()),
            "status": ["in_use"] * n,
            "condition": ["new"] * n,
            "lifetime_years": [5.0] * n,
            "upstream_lifetime_years": pa.nulls(n, pa.float64()),
            "downstream_lifetime_years": pa.nulls(n, pa.float64()),
            "site": [
                "Annexe" if changed_every and i % changed_every == 0 else "Mairie" for i in numbers
            ],
            "department": [f"Service {i % 40}" for i in numbers],
            "country": ["FRA"] * n,
            "annual_kwh": pa.nulls(n, pa.float64()),
            "power_w": [float(i % 90) for i in numbers],
            "hours_per_day": [8.0] * n,
            "pue": pa.nulls(n, pa.float64()),
        },
        schema=FLEET_SCHEMA,
    )


def test_bulk_import_is_fast(store: Store, organisation: Organisation) -> None:
    n = 20_000
    started = time.perf_counter()
    first = do_import(store, organisation, big_fleet(n), "1" * 64, JAN)
    first_seconds = time.perf_counter() - started
    assert first.added == n
    # Next inventory: 10 % gone, 10 % new, 10 % changed.
    fleet = big_fleet(n, offset=n // 10, changed_every=10)
    started = time.perf_counter()
    second = do_import(store, organisation, fleet, "2" * 64, JUN)
    second_seconds = time.perf_counter() - started
    assert (second.added, second.gone) == (n // 10, n // 10)
    assert second.changed == sum(1 for i in range(n // 10, n) if i % 10 == 0)
    assert second.changed_field_counts == {"site": second.changed}
    assert current_fleet(store, organisation).num_rows == n
    assert fleet_at(store, organisation, JAN).num_rows == n
    # Budget far above what a laptop needs (about 0.5 s each on SQLite), to catch a
    # row-by-row regression rather than measure the machine.
    assert first_seconds < 8 and second_seconds < 8
