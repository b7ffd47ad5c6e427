"""Sources, scopes, preview, the gone-share threshold and undo, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import func, select

from conftest import fleet_table
from sobrenum.store import (
    GONE_CONFIRMATION_THRESHOLD,
    Device,
    DeviceVersion,
    GoneConfirmationRequired,
    ImportRefusedError,
    InventoryImport,
    Organisation,
    Scope,
    Store,
    UndoRefusedError,
    apply_import,
    current_fleet,
    device_history,
    fleet_at,
    last_import_of_source,
    list_events,
    list_sources,
    preview_import,
    undo_import,
)

JAN = dt.date(2025, 1, 15)
FEB = dt.date(2025, 2, 15)
MAR = dt.date(2025, 3, 15)
JUN = dt.date(2025, 6, 15)


def device(asset_id: str, category: str = "laptop", **fields: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "asset_id": asset_id,
        "category": category,
        "quantity": 1,
        "acquisition_date": dt.date(2022, 3, 1),
        "acquisition_date_estimated": False,
        "status": "in_use",
        "site": "Mairie",
    }
    row.update(fields)
    return row


def pcs(*numbers: int, **fields: Any) -> list[dict[str, Any]]:
    return [device(f"PC-{n:03d}", **fields) for n in numbers]


def phones(*numbers: int) -> list[dict[str, Any]]:
    return [device(f"TEL-{n:03d}", "smartphone", site=None) for n in numbers]


def run(
    store: Store, org: Organisation, rows: list[dict[str, Any]], sha: str, day: dt.date, **kw: Any
) -> Any:
    return apply_import(
        store,
        org,
        fleet_table(rows),
        file_sha256=sha * 64 if len(sha) == 1 else sha,
        file_name=f"{sha}.xlsx",
        inventory_date=day,
        **kw,
    )


def ids(store: Store, org: Organisation, day: dt.date | None = None) -> list[str]:
    table = current_fleet(store, org) if day is None else fleet_at(store, org, day)
    return list(table.column("asset_id").to_pylist())


def counts(store: Store) -> tuple[int, ...]:
    with store.transaction() as session:
        return tuple(
            session.scalar(select(func.count()).select_from(model)) or 0
            for model in (Device, DeviceVersion, InventoryImport)
        )


def test_a_source_never_marks_another_sources_devices_gone(
    store: Store, organisation: Organisation
) -> None:
    # 40 computers from GLPI, then the operator's 2-row phone file: nothing of GLPI goes.
    run(store, organisation, pcs(*range(1, 41)), "a", JAN, source="GLPI")
    summary = run(store, organisation, phones(1, 2), "b", FEB, source="Opérateur")
    assert (summary.added, summary.gone, summary.source_name) == (2, 0, "Opérateur")
    assert len(ids(store, organisation)) == 42
    assert [s.name for s in list_sources(store, organisation.id)] == ["GLPI", "Opérateur"]


def test_two_sources_with_overlapping_dates(store: Store, organisation: Organisation) -> None:
    run(store, organisation, pcs(1, 2, 3), "a", JAN, source="GLPI")
    run(store, organisation, pcs(1, 2), "c", MAR, source="GLPI", confirm_gone=True)  # PC-003 gone
    # The phones' February inventory is older than GLPI's March one: accepted, its own dates.
    run(store, organisation, phones(1, 2), "b", FEB, source="Opérateur")
    assert ids(store, organisation, JAN) == ["PC-001", "PC-002", "PC-003"]
    assert ids(store, organisation, FEB) == ["PC-001", "PC-002", "PC-003", "TEL-001", "TEL-002"]
    assert ids(store, organisation, MAR) == ["PC-001", "PC-002", "TEL-001", "TEL-002"]
    # Within one source the order still holds.
    with pytest.raises(
        ImportRefusedError, match=r"antérieur au dernier inventaire de la source « GLPI »"
    ):
        run(store, organisation, pcs(1), "d", FEB, source="GLPI")


def test_without_a_source_name_the_principale_source_keeps_todays_behaviour(
    store: Store, organisation: Organisation
) -> None:
    run(store, organisation, pcs(1, 2, 3, 4), "a", JAN)
    summary = run(store, organisation, pcs(1, 2, 3), "b", FEB)
    assert (summary.gone, summary.source_name) == (1, "principale")
    assert [s.name for s in list_sources(store, organisation.id)] == ["principale"]


def test_the_threshold_needs_a_confirmation_and_nothing_is_written(
    store: Store, organisation: Organisation
) -> None:
    assert GONE_CONFIRMATION_THRESHOLD == 0.25
    run(store, organisation, pcs(*range(1, 9)), "a", JAN)  # 8 devices
    before = counts(store)
    # 3 of 8 would go (37.5 %): refused, with the numbers, nothing written.
    with pytest.raises(GoneConfirmationRequired) as refused:
        run(store, organisation, pcs(1, 2, 3, 4, 5), "b", FEB)
    message = str(refused.value)
    assert "3 des 8 équipements" in message and "38 %" in message
    assert "--confirmer-sorties" in message and "rien n'a été importé" in message
    assert counts(store) == before
    # Confirmed, it applies.
    summary = run(store, organisation, pcs(1, 2, 3, 4, 5), "b", FEB, confirm_gone=True)
    assert summary.gone == 3
    assert ids(store, organisation) == [f"PC-{n:03d}" for n in range(1, 6)]


def test_exactly_the_threshold_needs_no_confirmation(
    store: Store, organisation: Organisation
) -> None:
    run(store, organisation, pcs(*range(1, 9)), "a", JAN)
    summary = run(store, organisation, pcs(*range(1, 7)), "b", FEB)  # 2 of 8: 25 %
    assert summary.gone == 2


def test_preview_counts_and_writes_nothing(store: Store, organisation: Organisation) -> None:
    run(store, organisation, pcs(1, 2, 3, 4), "a", JAN)
    before = counts(store)
    rows = [*pcs(1), device("PC-002", site="Annexe"), *pcs(5)]  # 1 unchanged, 1 changed, 2 gone
    preview = preview_import(
        store,
        organisation,
        fleet_table(rows),
        file_name="b.xlsx",
        file_sha256="b" * 64,
        inventory_date=FEB,
    )
    assert (preview.added, preview.changed, preview.gone, preview.unchanged) == (1, 1, 2, 1)
    assert (preview.scope_size, preview.gone_share, preview.needs_confirmation) == (4, 0.5, True)
    assert "50 % des 4 équipements de la source sortiraient" in preview.message()
    assert counts(store) == before
    # A new source named in a preview is not created by it.
    preview_import(
        store, organisation, fleet_table(phones(1)), file_name="t", inventory_date=FEB, source="Tél"
    )
    assert [s.name for s in list_sources(store, organisation.id)] == ["principale"]


def test_a_per_site_file_covers_only_its_site(store: Store, organisation: Organisation) -> None:
    school = {"site": "École Jaurès"}
    run(store, organisation, [*pcs(1, 2, 3), *pcs(10, 11, **school)], "a", JAN)
    # The school's spreadsheet: PC-011 is gone; the town hall's devices are out of scope.
    summary = run(
        store,
        organisation,
        pcs(10, **school),
        "b",
        FEB,
        scope=Scope.of(sites=["École Jaurès"]),
        confirm_gone=True,  # 1 of the school's 2
    )
    assert (summary.gone, summary.unchanged) == (1, 1)
    assert ids(store, organisation) == ["PC-001", "PC-002", "PC-003", "PC-010"]
    with store.transaction() as session:
        record = session.get(InventoryImport, summary.import_id)
        assert record is not None and record.scope == {"sites": ["École Jaurès"]}


def test_a_category_scope_keeps_the_other_categories(
    store: Store, organisation: Organisation
) -> None:
    run(store, organisation, [*pcs(1, 2), device("ECR-001", "monitor")], "a", JAN, source="GLPI")
    summary = run(
        store,
        organisation,
        pcs(1),
        "b",
        FEB,
        source="GLPI",
        scope=Scope.of(categories=["laptop"]),
        confirm_gone=True,
    )
    assert summary.gone == 1  # PC-002 only: the monitor is outside the scope
    assert ids(store, organisation) == ["ECR-001", "PC-001"]


def test_a_device_that_leaves_and_comes_back_unchanged(
    store: Store, organisation: Organisation
) -> None:
    run(store, organisation, pcs(1, 2, 3, 4), "a", JAN)
    run(store, organisation, pcs(1, 2, 3), "b", FEB)
    back = run(store, organisation, pcs(1, 2, 3, 4), "c", MAR)
    assert (back.added, back.returned, back.changed, back.unchanged) == (1, 1, 0, 3)
    assert ids(store, organisation, FEB) == ["PC-001", "PC-002", "PC-003"]
    assert ids(store, organisation, MAR) == ["PC-001", "PC-002", "PC-003", "PC-004"]
    history = device_history(store, organisation, "PC-004")
    assert [(v.change, v.valid_from, v.valid_to) for v in history] == [
        ("added", JAN, FEB),
        ("returned", MAR, None),
    ]


def test_undo_then_import_the_same_file_again(store: Store, organisation: Organisation) -> None:
    run(store, organisation, pcs(1, 2, 3, 4), "a", JAN)
    fleet_before = current_fleet(store, organisation)
    history_before = [
        (v.change, v.valid_from, v.valid_to) for v in device_history(store, organisation, "PC-002")
    ]
    counts_before = counts(store)
    rows = [*pcs(1), device("PC-002", site="Annexe"), *pcs(3, 5)]  # changed, gone, added
    first = run(store, organisation, rows, "b", FEB)
    assert (first.added, first.changed, first.gone) == (1, 1, 1)

    undone = undo_import(store, organisation, actor="test")
    assert (undone.removed, undone.restored) == (1, 2)
    assert "annulé" in undone.message() and "importé de nouveau" in undone.message()
    assert current_fleet(store, organisation).equals(fleet_before)
    assert [
        (v.change, v.valid_from, v.valid_to) for v in device_history(store, organisation, "PC-002")
    ] == history_before
    assert counts(store) == counts_before
    assert ids(store, organisation, FEB) == ["PC-001", "PC-002", "PC-003", "PC-004"]
    assert "inventory.undo" in [e.action for e in list_events(store)]

    again = run(store, organisation, rows, "b", FEB)  # not « already imported »
    assert not again.already_imported
    assert (again.added, again.changed, again.gone) == (1, 1, 1)
    assert ids(store, organisation) == ["PC-001", "PC-002", "PC-003", "PC-005"]


def test_undo_a_correction_restores_the_days_first_inventory(
    store: Store, organisation: Organisation
) -> None:
    run(store, organisation, pcs(1, 2, 3), "a", JAN)
    first = current_fleet(store, organisation)
    run(store, organisation, [*pcs(1, 2), device("PC-003", site="Annexe")], "b", JAN)
    assert current_fleet(store, organisation).column("site").to_pylist()[2] == "Annexe"
    undo_import(store, organisation)
    assert current_fleet(store, organisation).equals(first)
    assert ids(store, organisation, JAN) == ["PC-001", "PC-002", "PC-003"]


def test_undo_of_the_first_import_empties_the_source(
    store: Store, organisation: Organisation
) -> None:
    run(store, organisation, pcs(1, 2), "a", JAN)
    assert undo_import(store, organisation).removed == 2
    assert counts(store) == (0, 0, 0)
    with pytest.raises(UndoRefusedError, match="Aucun import à annuler"):
        undo_import(store, organisation)


def test_a_device_moving_between_sources_and_undo_order(
    store: Store, organisation: Organisation
) -> None:
    run(store, organisation, pcs(1, 2), "a", JAN, source="Agent")
    moved = run(store, organisation, pcs(2, 3), "b", FEB, source="GLPI")
    # PC-002 is taken over by GLPI, unchanged otherwise; the agent's PC-001 stays.
    assert (moved.added, moved.changed, moved.moved, moved.gone) == (1, 1, 1, 0)
    assert ids(store, organisation) == ["PC-001", "PC-002", "PC-003"]
    # The agent's import cannot be undone while GLPI's later import holds PC-002…
    with pytest.raises(UndoRefusedError, match="autre source"):
        undo_import(store, organisation, source="Agent")
    # … the GLPI one can, and gives PC-002 back to the agent.
    undo_import(store, organisation, source="GLPI")
    again = run(store, organisation, pcs(1), "c", MAR, source="Agent", confirm_gone=True)
    assert again.gone == 1  # PC-002 is the agent's again
    # An inventory of another source dated before the device's last sighting is refused.
    with pytest.raises(ImportRefusedError, match="autre source postérieur"):
        run(store, organisation, pcs(1), "d", FEB, source="GLPI")


def test_only_the_last_import_of_a_source_can_be_undone(
    store: Store, organisation: Organisation
) -> None:
    first = run(store, organisation, pcs(1, 2), "a", JAN)
    run(store, organisation, pcs(1, 2, 3), "b", FEB)
    with pytest.raises(UndoRefusedError, match="Seul le dernier import"):
        undo_import(store, organisation, import_id=first.import_id)


def test_each_source_has_its_own_order_and_last_import(
    store: Store, organisation: Organisation
) -> None:
    # Mutation testing: the order check and the last import must look at their source only.
    run(store, organisation, pcs(1), "a", JAN, source="A")
    run(store, organisation, phones(1), "b", MAR, source="B")  # a later source, a later date
    summary = run(
        store, organisation, [*pcs(1), device("PC-002", site="Annexe")], "c", FEB, source="A"
    )
    assert (summary.added, summary.changed_field_counts) == (1, {})
    assert summary.correction is False
    changed = run(store, organisation, [*pcs(1), device("PC-002")], "d", JUN, source="A")
    assert changed.changed_field_counts == {"site": 1}
    assert last_import_of_source(store, organisation, "A").file_name == "d.xlsx"  # type: ignore[union-attr]
    assert last_import_of_source(store, organisation, "B").file_name == "b.xlsx"  # type: ignore[union-attr]
    assert last_import_of_source(store, organisation, "C") is None


def test_undo_restores_a_device_changed_twice(store: Store, organisation: Organisation) -> None:
    run(store, organisation, pcs(1), "a", JAN)
    run(store, organisation, [device("PC-001", site="Annexe")], "b", FEB)
    before = current_fleet(store, organisation)
    run(store, organisation, [device("PC-001", site="École")], "c", MAR)
    undone = undo_import(store, organisation)
    assert (undone.removed, undone.restored) == (0, 1)
    assert current_fleet(store, organisation).equals(before)
    history = device_history(store, organisation, "PC-001")
    assert [(v.valid_from, v.valid_to, v.site) for v in history] == [
        (JAN, FEB, "Mairie"),
        (FEB, None, "Annexe"),
    ]


def test_a_new_source_s_first_inventory_sends_nothing_away(
    store: Store, organisation: Organisation
) -> None:
    run(store, organisation, pcs(1, 2), "a", JAN)
    preview = preview_import(
        store, organisation, fleet_table(phones(1)), file_name="tel.xlsx", inventory_date=FEB,
        source="Opérateur mobile",
    )  # fmt: skip
    # An empty scope: nothing can go, the share shown is 0 (not negative), no confirmation.
    assert (preview.scope_size, preview.gone, preview.added) == (0, 0, 1)
    assert preview.gone_share == 0.0 and not preview.needs_confirmation


def test_another_organisation_s_import_of_the_same_file_is_not_ours(
    store: Store, organisation: Organisation
) -> None:
    from web_support import other_organisation

    neighbour = other_organisation(store)  # created after: a higher id
    run(store, organisation, pcs(1, 2), "a", JAN)
    theirs = run(store, neighbour, pcs(1, 2), "a", JAN)  # the same file (same SHA-256)
    assert not theirs.already_imported and theirs.added == 2
    assert ids(store, neighbour) == ["PC-001", "PC-002"]
    again = run(store, organisation, pcs(1, 2), "a", JAN)
    assert again.already_imported and again.import_id != theirs.import_id


@pytest.mark.parametrize(("count", "ellipsis"), [(10, False), (11, True)])
def test_devices_of_a_later_inventory_of_another_source_are_listed_up_to_ten(
    store: Store, organisation: Organisation, count: int, ellipsis: bool
) -> None:
    numbers = range(1, count + 1)
    run(store, organisation, pcs(*numbers), "a", MAR, source="GLPI")
    with pytest.raises(ImportRefusedError) as refused:
        run(store, organisation, pcs(*numbers), "b", FEB, source="Tableur")
    message = str(refused.value)
    assert message.startswith(f"{count} équipement(s) de ce fichier figurent")
    assert "PC-010" in message and "PC-011" not in message
    assert ("PC-010 …)" in message) is ellipsis


def test_the_summary_total_is_the_fleet_after_the_import(
    store: Store, organisation: Organisation
) -> None:
    run(store, organisation, pcs(1, 2, 3, 4), "a", JAN)
    # 1 unchanged, 1 changed, 2 gone, 2 added: 4 devices after the import.
    summary = run(
        store, organisation, [*pcs(1), device("PC-002", site="Annexe"), *pcs(5, 6)], "b", FEB,
        confirm_gone=True,
    )  # fmt: skip
    assert (summary.added, summary.changed, summary.unchanged, summary.gone) == (2, 1, 1, 2)
    assert summary.total == 4 == len(ids(store, organisation))


def test_undo_by_id_only_of_the_source_s_last_import(
    store: Store, organisation: Organisation
) -> None:
    first = run(store, organisation, pcs(1), "a", JAN)
    last = run(store, organisation, pcs(1, 2), "b", FEB)
    with pytest.raises(UndoRefusedError):
        undo_import(store, organisation, import_id=first.import_id)
    assert undo_import(store, organisation, import_id=last.import_id).removed == 1
    assert ids(store, organisation) == ["PC-001"]
