"""The demonstration commune, prepared once for ``sobrenum demo`` and ``sobrenum demo-web``.

:func:`prepare_demo` writes into a store everything a visitor should see: the fictional
commune, its fleet (the bundled inventory), declared indicator values, objectives for the
year and later years, actions of the strategy, entries of the reuse register (a wiped and
donated laptop, a device sent to a refurbisher) and the frozen year. It can be run again on
the same store: what is there already is kept.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sobrenum.referential import Referential
    from sobrenum.store import Organisation, Store

DEMO_ORGANISATION = "Commune de Val-Exemple (démonstration)"
DEMO_STAFF = 420
DEMO_POPULATION = 31_500
DEMO_YEAR = 2025
DEMO_ACTOR = "demonstration"

#: Example declarations, objectives and actions of the fictional commune.
DEMO_DECLARED: dict[str, float] = {
    "clauses_nombre": 3,
    "contrat_reparation": 1,
    "equipements_repares": 42,
    "agents_formes_part": 35,
    "ateliers_nombre": 6,
    "ateliers_participants": 84,
    "campagnes_citoyens": 2,
    "personnes_touchees": 430,
}
DEMO_OBJECTIVES: dict[str, float] = {
    "empreinte_par_agent": 33.0,
    "ecrans_par_agent": 0.5,
    "achats_reconditionnes_part": 20.0,
    "age_moyen_parc": 5.0,
    "agents_formes_part": 50.0,
    "ateliers_nombre": 4.0,
}
DEMO_LATER: dict[str, list[tuple[int, float]]] = {
    "achats_reconditionnes_part": [(2027, 25.0), (2030, 30.0)],
    "empreinte_par_agent": [(2027, 30.0), (2030, 25.0)],
}
#: (theme, title, state) of the strategy's actions (themes and states of ``store.strategy``).
DEMO_ACTIONS: tuple[tuple[str, str, str], ...] = (
    ("2", "Porter la durée d'usage des ordinateurs portables à 6 ans", "en_cours"),
    ("1", "Lot reconditionné dans le marché de postes de travail", "prevue"),
    ("2", "Convention de don avec une association d'insertion", "realisee"),
    ("4", "Fresque du numérique pour les élus et les encadrants", "prevue"),
)


def demo_inventory() -> Path:
    return Path(str(resources.files("sobrenum") / "data" / "demo" / "inventaire-demo.xlsx"))


def prepare_demo(store: Store, ref: Referential) -> Organisation:
    """The demo commune in ``store``, with its fleet, strategy, register and frozen year."""
    from sobrenum.store import (
        OrganisationError,
        create_organisation,
        find_organisation,
    )
    from sobrenum.store import strategy as st

    try:
        organisation = find_organisation(store, DEMO_ORGANISATION)
    except OrganisationError:
        organisation = create_organisation(
            store,
            name=DEMO_ORGANISATION,
            type="commune",
            population=DEMO_POPULATION,
            staff_count=DEMO_STAFF,
            reporting_year=DEMO_YEAR,
            actor=DEMO_ACTOR,
        )
    _import_fleet(store, organisation, ref)
    for code, value in DEMO_DECLARED.items():
        st.declare_value(store, organisation, code, DEMO_YEAR, value, actor=DEMO_ACTOR)
    for code, target in DEMO_OBJECTIVES.items():
        st.set_objective(store, organisation, code, DEMO_YEAR, target, actor=DEMO_ACTOR)
    for code, later in DEMO_LATER.items():
        for year, target in later:
            st.set_objective(store, organisation, code, year, target, actor=DEMO_ACTOR)
    if not st.list_actions(store, organisation, DEMO_YEAR):
        for theme, title, state in DEMO_ACTIONS:
            st.add_action(
                store,
                organisation,
                year=DEMO_YEAR,
                theme=theme,
                title=title,
                state=state,
                actor=DEMO_ACTOR,
            )
    _register_entries(store, organisation)
    _scenarios(store, organisation)
    if st.get_snapshot(store, organisation, DEMO_YEAR) is None:
        from sobrenum.reporting.snapshots import freeze

        freeze(store, organisation, DEMO_YEAR, ref)
    return organisation


def _scenarios(store: Store, organisation: Organisation) -> None:
    """« Tendance » and « Sobriété » (the chosen trajectory), and a −30 % per agent target."""
    from sobrenum.reporting.trajectory import save_demo_scenarios
    from sobrenum.store import scenarios as saved

    if not saved.list_scenarios(store, organisation):
        save_demo_scenarios(store, organisation, DEMO_YEAR)


def _import_fleet(store: Store, organisation: Organisation, ref: Referential) -> None:
    from sobrenum.inventory import load_inventory
    from sobrenum.store import apply_import, find_import

    path = demo_inventory()
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    if find_import(store, organisation, sha) is not None:
        return
    result = load_inventory(path, DEMO_YEAR, ref.default_lifetimes())
    apply_import(
        store,
        organisation,
        result.fleet,
        file_sha256=sha,
        file_name=path.name,
        inventory_date=dt.date(DEMO_YEAR, 12, 31),
        rejected=result.rows_rejected,
        actor=DEMO_ACTOR,
    )


def _register_entries(store: Store, organisation: Organisation) -> None:
    """A laptop wiped then donated to an association, a desktop sent to a refurbisher."""
    from sobrenum.reuse import register
    from sobrenum.store import current_fleet

    if register.list_exits(store, organisation.id):
        return
    fleet = current_fleet(store, organisation).to_pylist()
    laptops = [d["asset_id"] for d in fleet if d["category"] == "laptop"]
    desktops = [d["asset_id"] for d in fleet if d["category"] == "desktop"]
    on = dt.date(DEMO_YEAR, 10, 15)
    if laptops:
        register.record_wipe(
            store,
            organisation.id,
            asset_id=laptops[0],
            method="purge",
            tool="Blancco Drive Eraser",
            operator="Service informatique",
            wiped_on=on,
            actor=DEMO_ACTOR,
        )
        register.donate(
            store,
            organisation.id,
            asset_id=laptops[0],
            exit_date=on,
            receiver_kind="association",
            receiver_name="Association Numérique Solidaire",
            actor=DEMO_ACTOR,
        )
    if desktops:
        register.record_wipe(
            store,
            organisation.id,
            asset_id=desktops[0],
            method="clear",
            tool="ShredOS",
            operator="Service informatique",
            wiped_on=on,
            actor=DEMO_ACTOR,
        )
        register.record_exit(
            store,
            organisation.id,
            asset_id=desktops[0],
            destination="refurbisher",
            exit_date=on,
            receiver_kind="company",
            receiver_name="Reconditionneur local",
            condition="working",
            actor=DEMO_ACTOR,
        )
