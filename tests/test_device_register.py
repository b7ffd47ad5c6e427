"""A device's reuse-register history and the status it takes from it (both backends)."""

from __future__ import annotations

import datetime as dt

from sobrenum.reuse import donate, mark_classified, record_exit
from sobrenum.reuse.device import device_register
from sobrenum.store import Organisation, Store
from test_reuse import seed_fleet, wipe
from web_support import other_organisation


def test_wipe_then_donation_make_the_history_and_the_status(
    store: Store, organisation: Organisation
) -> None:
    seed_fleet(store, organisation)
    org = organisation.id
    # Nothing recorded: no history, the inventory's status stands.
    assert device_register(store, org, "R1") == device_register(store, org, "U1")
    nothing = device_register(store, org, "R1")
    assert nothing.entries == [] and nothing.status is None and nothing.wiped_on is None
    wipe(store, org, "R1", dt.date(2025, 3, 1))
    wiped = device_register(store, org, "R1")
    assert wiped.status is None and wiped.wiped_on == dt.date(2025, 3, 1)
    # Wiped and given the same day: the wipe comes first.
    donate(
        store,
        org,
        asset_id="R1",
        exit_date=dt.date(2025, 3, 1),
        receiver_kind="association",
        receiver_name="Emmaüs Connect",
    )
    given = device_register(store, org, "R1")
    assert given.status == "Donné le 1 mars 2025 (Emmaüs Connect)"
    assert [(e.date, e.kind) for e in given.entries] == [
        (dt.date(2025, 3, 1), "wipe"),
        (dt.date(2025, 3, 1), "exit"),
    ]
    assert given.entries[0].label.startswith("Données effacées : Purge")
    assert "Secure Erase du fabricant, par Service informatique" in given.entries[0].details
    assert "certificat RAPPORT-R1" in given.entries[0].details
    assert given.entries[1].label.startswith("Sortie du parc : Don")
    assert given.entries[1].details == "Emmaüs Connect"


def test_other_exits_classification_and_isolation(store: Store, organisation: Organisation) -> None:
    seed_fleet(store, organisation)
    neighbour = other_organisation(store)
    seed_fleet(store, neighbour)
    org = organisation.id
    mark_classified(store, org, asset_id="R4", reason="Poste de la police municipale")
    record_exit(
        store,
        org,
        asset_id="R4",
        destination="weee",
        exit_date=dt.date(2025, 1, 1),
        weight_kg=2.5,
        receiver_kind="eco_organism",
        receiver_name="Ecosystem",
    )
    record_exit(
        store, org, asset_id="U2", destination="internal_reuse", exit_date=dt.date(2024, 12, 31)
    )
    gone = device_register(store, org, "R4")
    assert gone.status == "Collecté comme déchet électronique (DEEE) le 1 janvier 2025 (Ecosystem)"
    # Classified today (the day it was recorded), after the exit dated 1 January.
    assert [e.kind for e in gone.entries] == ["exit", "classified"]
    assert gone.entries[1].details == "Poste de la police municipale"
    assert device_register(store, org, "U2").status == (
        "Réemployé dans la collectivité le 31 décembre 2024"
    )
    # The neighbour's devices of the same numbers have no history of ours.
    for asset in ("R4", "U2"):
        theirs = device_register(store, neighbour.id, asset)
        assert theirs.entries == [] and theirs.status is None
