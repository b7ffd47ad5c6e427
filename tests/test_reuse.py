"""The reuse register's rules, rates, history and exports, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import datetime as dt
import io
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from conftest import fleet_table
from sobrenum.referential import load as load_referential
from sobrenum.reuse import (
    ReuseError,
    WipeRequiredError,
    add_beneficiary,
    donate,
    history,
    intake,
    mark_classified,
    record_exit,
    record_wipe,
    recycle,
    redistribute,
    refurbish,
    reuse_rate,
    triage,
)
from sobrenum.reuse.avoided import avoided_impacts
from sobrenum.reuse.documents import donation_agreement_pdf, wipe_certificate_pdf
from sobrenum.reuse.inclusion import donations_export_csv, inclusion_indicators
from sobrenum.reuse.rates import register_version
from sobrenum.reuse.vocabulary import STORAGE_CATEGORIES, reuse_rate_target
from sobrenum.store import Organisation, Store, apply_import, create_organisation

INVENTORY_DATE = dt.date(2024, 12, 15)
END_2025 = dt.date(2025, 12, 31)


def device(asset_id: str, category: str, acquired: dt.date, status: str, **extra: Any) -> Any:
    row: dict[str, Any] = {
        "asset_id": asset_id,
        "category": category,
        "manufacturer": "Dell",
        "model": "Latitude 5490",
        "quantity": 1,
        "acquisition_date": acquired,
        "status": status,
        "country": "FRA",
    }
    row.update(extra)
    return row


FLEET = [
    device("R1", "laptop", dt.date(2019, 3, 1), "retired"),
    device("R2", "desktop", dt.date(2018, 5, 1), "retired"),
    device("R3", "laptop", dt.date(2014, 6, 1), "retired"),  # over 10 years on 1/1/2025
    device("R4", "laptop", dt.date(2020, 1, 1), "retired"),  # classified
    device("R5", "monitor", dt.date(2019, 9, 1), "retired", quantity=3),
    device("R6", "laptop", dt.date(2017, 1, 1), "retired"),  # left before 1/1/2025
    device("U1", "laptop", dt.date(2021, 1, 1), "in_use"),
    device("U2", "laptop", dt.date(2024, 1, 1), "in_stock"),
    device("OLD", "desktop", dt.date(2012, 1, 1), "in_use"),  # kept past its lifetime
]


def seed_fleet(store: Store, organisation: Organisation) -> None:
    apply_import(
        store,
        organisation,
        fleet_table(FLEET),
        file_sha256="a" * 64,
        file_name="inventaire-2024.xlsx",
        inventory_date=INVENTORY_DATE,
    )


def wipe(store: Store, org: int, asset_id: str, on: dt.date) -> int:
    made = record_wipe(
        store,
        org,
        asset_id=asset_id,
        method="purge",
        tool="Secure Erase du fabricant",
        operator="Service informatique",
        wiped_on=on,
        certificate_ref=f"RAPPORT-{asset_id}",
    )
    return int(made.id)


def test_donation_without_wipe_is_refused_then_allowed(
    store: Store, organisation: Organisation
) -> None:
    seed_fleet(store, organisation)
    org = organisation.id
    with pytest.raises(WipeRequiredError, match=r"«\s?R1\s?».*contient des données.*effacement"):
        donate(
            store,
            org,
            asset_id="R1",
            exit_date=dt.date(2025, 3, 1),
            receiver_kind="association",
            receiver_name="Emmaüs Connect",
        )
    # Nothing was written by the refused attempt.
    assert history(store, org, subject="device", ref="R1") == []
    # A wipe dated after the donation does not count either.
    wipe(store, org, "R1", dt.date(2025, 3, 5))
    with pytest.raises(WipeRequiredError):
        donate(
            store,
            org,
            asset_id="R1",
            exit_date=dt.date(2025, 3, 1),
            receiver_kind="association",
            receiver_name="Emmaüs Connect",
        )
    done = donate(
        store,
        org,
        asset_id="R1",
        exit_date=dt.date(2025, 3, 10),
        receiver_kind="association",
        receiver_name="Emmaüs Connect",
    )
    assert done.wipe_id is not None
    # Sale and transfer are refused the same way; a monitor holds no data.
    for destination in ("sale", "public_transfer", "refurbisher"):
        with pytest.raises(WipeRequiredError):
            record_exit(
                store,
                org,
                asset_id="R2",
                destination=destination,
                exit_date=dt.date(2025, 4, 1),
                receiver_name="Acheteur",
            )
    record_exit(
        store,
        org,
        asset_id="R5",
        destination="sale",
        exit_date=dt.date(2025, 4, 1),
        receiver_name="Ressourcerie du Val",
        price_eur=30,
    )
    with pytest.raises(ReuseError, match="déjà sorti du parc le 10/03/2025"):
        record_exit(
            store,
            org,
            asset_id="R1",
            destination="weee",
            weight_kg=2,
            exit_date=dt.date(2025, 5, 1),
        )


def test_exit_rules_give_french_errors(store: Store, organisation: Organisation) -> None:
    seed_fleet(store, organisation)
    org = organisation.id
    with pytest.raises(ReuseError, match="introuvable dans le parc"):
        record_exit(store, org, asset_id="X9", destination="sale", exit_date=dt.date(2025, 1, 2))
    with pytest.raises(ReuseError, match="poids"):
        record_exit(store, org, asset_id="R2", destination="weee", exit_date=dt.date(2025, 1, 2))
    with pytest.raises(ReuseError, match="Destination : valeur inconnue « poubelle »"):
        record_exit(
            store, org, asset_id="R2", destination="poubelle", exit_date=dt.date(2025, 1, 2)
        )
    with pytest.raises(ReuseError, match="dans le futur"):
        record_exit(
            store,
            org,
            asset_id="R2",
            destination="weee",
            weight_kg=8,
            exit_date=dt.date.today() + dt.timedelta(days=3),
        )
    with pytest.raises(ReuseError, match="jamais le nom"):
        add_beneficiary(store, org, pseudonym="Jean Dupont", public_type="senior")


def test_reuse_rate_hand_computed_with_exclusions(store: Store, organisation: Organisation) -> None:
    seed_fleet(store, organisation)
    org = organisation.id
    record_exit(
        store,
        org,
        asset_id="R6",
        destination="weee",
        exit_date=dt.date(2024, 11, 1),
        weight_kg=2.1,
        receiver_name="ecosystem",
    )
    mark_classified(store, org, "R4", reason="Poste de la réserve communale de sécurité")
    for asset in ("R1", "R3", "R4"):
        wipe(store, org, asset, dt.date(2025, 2, 1))
    donate(
        store,
        org,
        asset_id="R1",
        exit_date=dt.date(2025, 3, 1),
        receiver_kind="school",
        receiver_name="École Jules-Ferry",
    )
    record_exit(
        store,
        org,
        asset_id="R5",
        destination="sale",
        exit_date=dt.date(2025, 4, 1),
        receiver_name="Ressourcerie",
    )
    donate(
        store,
        org,
        asset_id="R3",
        exit_date=dt.date(2025, 3, 1),
        receiver_kind="association",
        receiver_name="Asso",
    )
    record_exit(
        store,
        org,
        asset_id="R4",
        destination="public_transfer",
        exit_date=dt.date(2025, 5, 1),
        receiver_name="SDIS",
    )
    record_exit(
        store,
        org,
        asset_id="R2",
        destination="weee",
        exit_date=dt.date(2025, 6, 1),
        weight_kg=7.5,
        receiver_name="ecosystem",
    )
    rate = reuse_rate(store, org, 2025)
    # B = R1 + R2 + R5 (×3) = 5; R3 too old, R4 classified, R6 left in 2024.
    assert rate.retired_stock == 5
    # A = R1 (donation) + R5 (×3, sale) = 4; R3 too old, R4 classified, R2 is WEEE.
    assert rate.reused == 4
    assert rate.rate == pytest.approx(80.0)
    assert rate.excluded_old == 2
    assert rate.excluded_classified == 2
    assert rate.target == 50.0 and rate.target_met is True
    assert rate.reused_by_destination == {"donation": 1, "sale": 3}
    assert rate.weee_kg == pytest.approx(7.5)
    assert rate.explain() == "Taux de réemploi 2025 : 4 / 5 = 80,0 % (objectif 50 %)"
    # No inventory on 1 January 2024: B is unknown, the rate is not computed.
    earlier = reuse_rate(store, org, 2024)
    assert earlier.inventory_found is False and earlier.rate is None
    assert "aucun inventaire" in earlier.explain()
    assert [reuse_rate_target(y) for y in (2022, 2023, 2024, 2025, 2030)] == [
        None,
        25.0,
        35.0,
        50.0,
        50.0,
    ]


def test_history_is_append_only(store: Store, organisation: Organisation) -> None:
    seed_fleet(store, organisation)
    wipe(store, organisation.id, "R1", dt.date(2025, 1, 5))
    events = history(store, organisation.id, subject="device", ref="R1")
    assert [e.action for e in events] == ["wipe.record"]
    assert events[0].actor.startswith("system:")
    for statement in (
        "UPDATE reuse_event SET actor = 'quelqu''un' WHERE id = :id",
        "DELETE FROM reuse_event WHERE id = :id",
    ):
        with pytest.raises(DBAPIError, match="append-only"), store.engine.begin() as conn:
            conn.execute(text(statement), {"id": events[0].id})
    assert history(store, organisation.id)[0].actor == events[0].actor


def test_ressourcerie_flow_and_inclusion_export(store: Store, organisation: Organisation) -> None:
    seed_fleet(store, organisation)
    org = organisation.id
    person = add_beneficiary(store, org, pseudonym="M.D.", public_type="senior", postcode="69100")
    other = add_beneficiary(
        store, org, pseudonym="K.L.", public_type="job_seeker", postcode="69003"
    )
    item = intake(
        store,
        org,
        category="laptop",
        origin="citizen",
        collection_point="Déchetterie de la Feyssine",
        intake_date=dt.date(2025, 2, 1),
        weight_kg=2.2,
    )
    assert item.reference == "RES-2025-00001"
    triage(store, org, item.reference, "repairable")
    with pytest.raises(ReuseError, match="déjà été trié"):
        triage(store, org, item.reference, "weee")
    refurbish(store, org, item.reference, work="Batterie changée, Debian installée")
    with pytest.raises(WipeRequiredError, match="RES-2025-00001"):
        redistribute(store, org, item.reference, on=dt.date(2025, 3, 1), beneficiary_id=person.id)
    record_wipe(
        store,
        org,
        item_reference=item.reference,
        method="clear",
        tool="nwipe",
        operator="Atelier",
        wiped_on=dt.date(2025, 2, 20),
    )
    redistribute(store, org, item.reference, on=dt.date(2025, 3, 1), beneficiary_id=person.id)
    steps = [e.action for e in history(store, org, subject="item", ref=item.reference)]
    assert steps == [
        "item.intake",
        "item.triage",
        "item.refurbish",
        "wipe.record",
        "item.redistribute",
    ]
    wipe(store, org, "R1", dt.date(2025, 1, 5))
    donate(
        store,
        org,
        asset_id="R1",
        exit_date=dt.date(2025, 3, 2),
        receiver_kind="person",
        beneficiary_id=other.id,
    )
    indicators = inclusion_indicators(store, org, 2025)
    assert indicators.devices_donated == 2
    assert indicators.beneficiaries == 2
    assert indicators.beneficiaries_by_public == {"senior": 1, "job_seeker": 1}

    exported = donations_export_csv(store, org, 2025)
    rows = list(csv.DictReader(io.StringIO(exported)))
    assert len(rows) == 2
    for personal in ("M.D.", "K.L.", "69100", "69003"):
        assert personal not in exported
    codes = {row["beneficiaire"] for row in rows}
    assert all(code.startswith("B-") and len(code) == 18 for code in codes)
    assert len(codes) == 2
    # The same person keeps the same code from one export to the next.
    assert donations_export_csv(store, org, 2025) == exported


def test_avoided_impacts_follow_the_documented_formula(
    store: Store, organisation: Organisation
) -> None:
    seed_fleet(store, organisation)
    org = organisation.id
    wipe(store, org, "R1", dt.date(2025, 1, 5))
    donate(
        store,
        org,
        asset_id="R1",
        exit_date=dt.date(2025, 3, 2),
        receiver_kind="association",
        receiver_name="Asso",
    )
    ref = load_referential()
    result = avoided_impacts(store, org, 2025, ref)
    factors = {
        (r["category"], r["phase"]): r["value"]
        for r in ref.factors.to_pylist()
        if r["criterion"] == "gwp"
    }
    lifetimes = ref.default_lifetimes()
    laptop = factors[("laptop", "manufacture")] + factors[("laptop", "distribution")]
    # One laptop reused for half a reference life spares half a new laptop.
    assert result.reuse["gwp"] == pytest.approx(laptop * 0.5)
    desktop = factors[("desktop", "manufacture")] + factors[("desktop", "distribution")]
    # OLD (desktop of 2012, in use) is past its lifetime: one annual share is spared.
    assert result.longer_life["gwp"] == pytest.approx(desktop / lifetimes["desktop"])
    assert result.reused_devices == 1 and result.long_lived_devices == 1
    fixed = avoided_impacts(store, org, 2025, ref, second_life_years=2, substitution_rate=0.5)
    assert fixed.reuse["gwp"] == pytest.approx(laptop * 2 / lifetimes["laptop"] * 0.5)


def test_longer_life_counts_only_the_part_of_the_year_kept_past_the_lifetime(
    store: Store, organisation: Organisation
) -> None:
    """Year 2025, referential lifetimes laptop 5 and desktop 6 years (hand-computed shares).

    MID, laptop of 1 July 2020, reaches 5 years on 1 July 2025: 184 / 365 of the year;
    GONE, desktop of 2015 retired on 1 April 2025: 90 / 365; OLDQ, 2 laptops of 2010: the whole
    year each; EST (estimated date), STOCK (in stock) and a retired device without a date:
    not counted.
    """
    rows = [
        device("MID", "laptop", dt.date(2020, 7, 1), "in_use"),
        device(
            "GONE", "desktop", dt.date(2015, 1, 1), "retired", retirement_date=dt.date(2025, 4, 1)
        ),
        device("OLDQ", "laptop", dt.date(2010, 1, 1), "in_use", quantity=2),
        device("EST", "desktop", dt.date(2010, 1, 1), "in_use", acquisition_date_estimated=True),
        device("STOCK", "desktop", dt.date(2010, 1, 1), "in_stock"),
        device("NODATE", "desktop", dt.date(2010, 1, 1), "retired"),
    ]
    apply_import(
        store,
        organisation,
        fleet_table(rows),
        file_sha256="b" * 64,
        file_name="inventaire-2025.xlsx",
        inventory_date=dt.date(2025, 12, 31),
    )
    ref = load_referential()
    factors = {
        (r["category"], r["phase"]): r["value"]
        for r in ref.factors.to_pylist()
        if r["criterion"] == "gwp"
    }
    laptop = factors[("laptop", "manufacture")] + factors[("laptop", "distribution")]
    desktop = factors[("desktop", "manufacture")] + factors[("desktop", "distribution")]
    assert ref.default_lifetimes()["laptop"] == 5 and ref.default_lifetimes()["desktop"] == 6
    result = avoided_impacts(store, organisation.id, 2025, ref)
    expected = laptop / 5 * 184 / 365 + desktop / 6 * 90 / 365 + 2 * laptop / 5
    assert result.longer_life["gwp"] == pytest.approx(expected, rel=1e-12)
    assert result.total("gwp") == pytest.approx(expected, rel=1e-12)
    assert result.long_lived_devices == 4
    assert result.undated_devices == 1
    assert result.reuse == {} and result.reused_devices == 0
    # Before its first inventory (31 December 2025) nothing is known of the fleet.
    before = avoided_impacts(store, organisation.id, 2024, ref)
    assert before.longer_life.get("gwp", 0.0) == 0.0


def pdf_text(pdf: bytes, tmp_path: Path) -> str:
    assert pdf.startswith(b"%PDF")
    path = tmp_path / "document.pdf"
    path.write_bytes(pdf)
    tool = shutil.which("pdftotext")
    assert tool, "pdftotext (poppler-utils) est nécessaire"
    return subprocess.run(
        [tool, "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def test_documents_are_french_pdfs(
    store: Store, organisation: Organisation, tmp_path: Path
) -> None:
    seed_fleet(store, organisation)
    org = organisation.id
    wipe_id = wipe(store, org, "R1", dt.date(2025, 1, 5))
    done = donate(
        store,
        org,
        asset_id="R1",
        exit_date=dt.date(2025, 3, 2),
        receiver_kind="association",
        receiver_name="Emmaüs Connect",
    )
    certificate = pdf_text(wipe_certificate_pdf(store, org, wipe_id), tmp_path)
    assert "Certificat d'effacement des données" in certificate
    assert "Secure Erase du fabricant" in certificate and "05/01/2025" in certificate
    assert "Commune de Saint-Exemple" in certificate
    agreement = pdf_text(donation_agreement_pdf(store, org, [done.id]), tmp_path)
    assert "Convention de cession" in agreement
    assert "Emmaüs Connect" in agreement and "R1" in agreement
    assert "Purge, 05/01/2025" in agreement


def test_storage_categories_are_known_categories() -> None:
    from sobrenum.domain import CATEGORIES_BY_CODE

    assert set(CATEGORIES_BY_CODE) >= STORAGE_CATEGORIES
    assert "monitor" not in STORAGE_CATEGORIES and "multifunction_printer" in STORAGE_CATEGORIES


def test_reuse_rate_target_is_met_from_equality_on() -> None:
    from sobrenum.reuse.rates import ReuseRate

    below = ReuseRate(year=2025, reused=1, retired_stock=4, target=50.0)  # 25 %
    equal = ReuseRate(year=2025, reused=2, retired_stock=4, target=50.0)  # 50 %
    above = ReuseRate(year=2025, reused=3, retired_stock=4, target=50.0)  # 75 %
    assert (below.target_met, equal.target_met, above.target_met) == (False, True, True)
    assert ReuseRate(year=2025, reused=0, retired_stock=0, target=50.0).target_met is None
    assert ReuseRate(year=2025, reused=1, retired_stock=2, target=None).target_met is None
    # Nothing excluded, no WEEE and an inventory found unless said otherwise.
    assert (equal.excluded_old, equal.excluded_classified, equal.inventory_found) == (0, 0, True)
    assert equal.weee_kg == 0.0
    assert equal.explain() == "Taux de réemploi 2025 : 2 / 4 = 50,0 % (objectif 50 %)"


def test_reuse_exits_on_the_first_and_last_day_of_the_year_count_once(
    store: Store, organisation: Organisation
) -> None:
    seed_fleet(store, organisation)
    org = organisation.id
    for asset, wiped, left in (
        ("R1", dt.date(2024, 12, 20), dt.date(2025, 1, 1)),
        ("R2", dt.date(2025, 12, 1), dt.date(2025, 12, 31)),
    ):
        wipe(store, org, asset, wiped)
        donate(
            store,
            org,
            asset_id=asset,
            exit_date=left,
            receiver_kind="association",
            receiver_name="Asso",
        )
    ref = load_referential()
    factors = {
        (r["category"], r["phase"]): r["value"]
        for r in ref.factors.to_pylist()
        if r["criterion"] == "gwp"
    }
    laptop = factors[("laptop", "manufacture")] + factors[("laptop", "distribution")]
    desktop = factors[("desktop", "manufacture")] + factors[("desktop", "distribution")]
    result = avoided_impacts(store, org, 2025, ref)
    # Half a life each (D = L / 2), counted in the year of the exit only.
    assert result.reuse["gwp"] == pytest.approx((laptop + desktop) * 0.5, rel=1e-12)
    assert result.reused_devices == 2
    assert avoided_impacts(store, org, 2024, ref).reused_devices == 0
    assert avoided_impacts(store, org, 2026, ref).reused_devices == 0
    with pytest.raises(ValueError):
        avoided_impacts(store, org, 2025, ref, second_life_years=0)
    with pytest.raises(ValueError):
        avoided_impacts(store, org, 2025, ref, substitution_rate=1.5)


def test_ressourcerie_redistributions_count_in_the_year_of_their_organisation_only(
    store: Store, organisation: Organisation
) -> None:
    """Items redistributed by the ressourcerie stand in for new devices, as register exits do.

    Organisation A, year 2025: a monitor redistributed on 1 January and another on
    31 December (both counted), one redistributed on 31 December 2024 (counted in 2024 only),
    one sorted as WEEE and recycled in 2025 (never counted). Organisation B redistributes a
    laptop in 2025: not A's. Hand-computed: 2 monitors × (manufacture + distribution) × D / L, D = L / 2 → 0.5;
    with D = 3 years and the monitor's L = 6: 3 / 6; with D = 9 > L: capped at one life.
    """
    other = create_organisation(store, name="Commune voisine", siren="217500016", type="commune")
    org = organisation.id

    def redistributed(organisation_id: int, category: str, received: dt.date, on: dt.date) -> None:
        item = intake(
            store, organisation_id, category=category, origin="citizen", intake_date=received
        )
        triage(store, organisation_id, item.reference, "reusable")
        if category in STORAGE_CATEGORIES:
            record_wipe(
                store,
                organisation_id,
                item_reference=item.reference,
                method="clear",
                tool="nwipe",
                operator="Atelier",
                wiped_on=received,
            )
        redistribute(
            store,
            organisation_id,
            item.reference,
            on=on,
            receiver_kind="association",
            receiver_name="Asso",
        )

    redistributed(org, "monitor", dt.date(2024, 12, 1), dt.date(2025, 1, 1))
    redistributed(org, "monitor", dt.date(2025, 6, 1), dt.date(2025, 12, 31))
    redistributed(org, "monitor", dt.date(2024, 12, 1), dt.date(2024, 12, 31))
    scrapped = intake(store, org, category="monitor", origin="citizen", intake_date=END_2025)
    triage(store, org, scrapped.reference, "weee")
    # Handed over to the WEEE channel in 2025: closed in the year, but not reused.
    recycle(store, org, scrapped.reference, on=END_2025, weight_kg=4.0, receiver_name="Ecologic")
    redistributed(other.id, "laptop", dt.date(2025, 2, 1), dt.date(2025, 3, 1))

    ref = load_referential()
    factors = {
        (r["category"], r["phase"]): r["value"]
        for r in ref.factors.to_pylist()
        if r["criterion"] == "gwp"
    }
    monitor = factors[("monitor", "manufacture")] + factors[("monitor", "distribution")]
    laptop = factors[("laptop", "manufacture")] + factors[("laptop", "distribution")]
    assert ref.default_lifetimes()["monitor"] == 6
    result = avoided_impacts(store, org, 2025, ref)
    assert result.reused_devices == 2
    assert result.reuse["gwp"] == pytest.approx(2 * monitor * 0.5, rel=1e-12)
    assert result.longer_life == {}
    assert result.total("gwp") == pytest.approx(2 * monitor * 0.5, rel=1e-12)
    assert result.unit("gwp") == "kgCO2e"
    # No substitution at all (0, allowed) avoids nothing; a negative rate is refused.
    assert avoided_impacts(store, org, 2025, ref, substitution_rate=0).total("gwp") == 0.0
    with pytest.raises(ValueError):
        avoided_impacts(store, org, 2025, ref, substitution_rate=-0.1)
    earlier = avoided_impacts(store, org, 2024, ref)
    assert earlier.reused_devices == 1
    assert earlier.reuse["gwp"] == pytest.approx(monitor * 0.5, rel=1e-12)
    assert avoided_impacts(store, org, 2026, ref).reused_devices == 0
    three = avoided_impacts(store, org, 2025, ref, second_life_years=3)
    assert three.reuse["gwp"] == pytest.approx(2 * monitor * 3 / 6, rel=1e-12)
    capped = avoided_impacts(store, org, 2025, ref, second_life_years=9)
    assert capped.reuse["gwp"] == pytest.approx(2 * monitor, rel=1e-12)
    # The neighbour's laptop is its own, and only its own.
    theirs = avoided_impacts(store, other.id, 2025, ref)
    assert theirs.reused_devices == 1
    assert theirs.reuse["gwp"] == pytest.approx(laptop * 0.5, rel=1e-12)


def test_reuse_rate_on_the_first_of_january_and_at_exactly_ten_years(
    store: Store, organisation: Organisation
) -> None:
    """Year 2025. T0, bought on 1 January 2015, is exactly ten years old on 1 January 2025:
    counted; T1, bought the day before, is over ten: left out. J1, sold on 1 January 2025,
    was in stock that morning: in B and in A; DEC, sold on 31 December 2025, too. D31, sold on
    31 December 2024, had left: neither. LOST, stolen on 1 January 2025 (recorded first), is
    in B, not in A. B = T0 + J1 + DEC + LOST = 4, A = J1 + DEC = 2."""
    rows = [
        device("T0", "monitor", dt.date(2015, 1, 1), "retired"),
        device("T1", "monitor", dt.date(2014, 12, 31), "retired"),
        device("J1", "monitor", dt.date(2019, 1, 1), "retired"),
        device("D31", "monitor", dt.date(2019, 1, 1), "retired"),
        device("DEC", "monitor", dt.date(2019, 1, 1), "retired"),
        device("LOST", "monitor", dt.date(2019, 1, 1), "retired"),
    ]
    apply_import(
        store,
        organisation,
        fleet_table(rows),
        file_sha256="c" * 64,
        file_name="inventaire.xlsx",
        inventory_date=INVENTORY_DATE,
    )
    org = organisation.id
    record_exit(
        store, org, asset_id="LOST", destination="loss_theft", exit_date=dt.date(2025, 1, 1)
    )
    sales = (("J1", dt.date(2025, 1, 1)), ("D31", dt.date(2024, 12, 31)), ("DEC", END_2025))
    for asset, on in sales:  # weighed, but sold: not WEEE
        record_exit(
            store,
            org,
            asset_id=asset,
            destination="sale",
            exit_date=on,
            receiver_name="R",
            weight_kg=3.0,
        )
    rate = reuse_rate(store, org, 2025)
    assert (rate.retired_stock, rate.reused, rate.excluded_old) == (4, 2, 1)
    assert rate.rate == pytest.approx(50.0)
    assert rate.reused_by_destination == {"sale": 2}
    assert rate.exits_by_destination == {"sale": 2, "loss_theft": 1}
    assert rate.weee_kg == 0.0


def test_register_version_changes_with_each_organisations_own_entries(
    store: Store, organisation: Organisation
) -> None:
    """The dashboard's cache key: (exits, latest exit id, classified devices) of one
    organisation, whatever the neighbour records."""
    other = create_organisation(store, name="Commune voisine", siren="217500016", type="commune")
    seed_fleet(store, organisation)
    apply_import(
        store,
        other,
        fleet_table(FLEET),
        file_sha256="d" * 64,
        file_name="inventaire-voisin.xlsx",
        inventory_date=INVENTORY_DATE,
    )
    org, them = organisation.id, other.id
    assert register_version(store, org) == (0, 0, 0)
    mine = record_exit(
        store,
        org,
        asset_id="R5",
        destination="sale",
        exit_date=dt.date(2025, 2, 1),
        receiver_name="R",
    )
    assert register_version(store, org) == (1, mine.id, 0)
    theirs = record_exit(
        store,
        them,
        asset_id="R5",
        destination="sale",
        exit_date=dt.date(2025, 2, 1),
        receiver_name="R",
    )
    mark_classified(store, them, "R2", reason="Réserve")
    mark_classified(store, them, "R4", reason="Réserve")
    mark_classified(store, org, "R4", reason="Réserve")
    assert register_version(store, org) == (1, mine.id, 1)
    assert register_version(store, them) == (1, theirs.id, 2)


def test_an_inventory_of_one_device_is_an_inventory(
    store: Store, organisation: Organisation
) -> None:
    apply_import(
        store,
        organisation,
        fleet_table([device("ONE", "monitor", dt.date(2020, 1, 1), "retired")]),
        file_sha256="e" * 64,
        file_name="inventaire.xlsx",
        inventory_date=INVENTORY_DATE,
    )
    rate = reuse_rate(store, organisation.id, 2025)
    assert rate.inventory_found is True
    assert (rate.retired_stock, rate.reused, rate.rate) == (1, 0, 0.0)
