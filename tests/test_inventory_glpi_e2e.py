"""GLPI exports, the GLPI API and agent files through the common mapping and validation."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from glpi_replay.server import ReplayGlpi, ReplayState
from sobrenum.inventory import propose_mapping, to_fleet
from sobrenum.inventory.agent import read_agent_file
from sobrenum.inventory.glpi import read_glpi_csv
from sobrenum.inventory.glpi_api import read_glpi_api
from test_inventory_agent import GLPI_AGENT_JSON
from test_inventory_glpi_csv import COMPUTER_HEADERS, glpi10_csv


def test_glpi_computer_export_to_fleet(tmp_path: Path) -> None:
    path = glpi10_csv(
        tmp_path / "glpi.csv",
        COMPUTER_HEADERS,
        [
            [
                "PC-1",
                "Ville",
                "En service",
                "HP",
                "5CG1",
                "Portable",
                "HP EliteBook 840 G8",
                "Windows 11",
                "Hôtel de ville",
                "2024-05-02 10:12",
                "i5",
                "INV-1",
                "2021-03-15",
            ],
            [
                "PC-2",
                "Ville",
                "Rebut",
                "Dell Inc.",
                "7HX",
                "Unité centrale",
                "OptiPlex 7090",
                "Windows 10",
                "Médiathèque",
                "2023-11-20 08:00",
                "i5",
                "",
                "2019-09-01",
            ],
            [
                "SRV-1",
                "Ville",
                "En stock",
                "Dell Inc.",
                "9AB",
                "Serveur",
                "PowerEdge R740",
                "Debian",
                "Salle serveur",
                "2024-01-02 09:00",
                "",
                "INV-3",
                "2020-06-30",
            ],
        ],
    )
    source = read_glpi_csv(path)
    proposal = propose_mapping(source)
    assert proposal.mapping.source_for("category") == "Catégorie"
    assert proposal.mapping.source_for("asset_id") == "Numéro d'inventaire"
    result = to_fleet(source, proposal, reporting_year=2025, source_name=path.name)
    assert result.errors == []
    fleet = result.fleet.to_pydict()
    # No inventory number on PC-2: its serial number identifies it.
    assert fleet["asset_id"] == ["INV-1", "7HX", "INV-3"]
    assert fleet["category"] == ["laptop", "desktop", "rack_server"]
    assert fleet["status"] == ["in_use", "retired", "in_stock"]
    assert fleet["acquisition_date"][0] == dt.date(2021, 3, 15)
    assert fleet["site"][1] == "Médiathèque"


def test_glpi_api_to_fleet() -> None:
    st = ReplayState()
    st.items = {
        "Monitor": [
            {
                "1": "ECR-1",
                "2": 11,
                "6": "E-1",
                "80": "Ville",
                "23": "Dell",
                "40": "P2422H",
                "31": "En service",
                "37": "2022-01-10",
                "3": "Accueil",
            },
            {
                "1": "ECR-2",
                "2": 12,
                "6": None,
                "5": "CN0XYZ",
                "80": "Ville",
                "23": "Iiyama",
                "40": "XU2493HS",
                "31": "En stock",
                "37": None,
                "3": "Accueil",
            },
        ],
    }
    with ReplayGlpi(st) as glpi:
        source = read_glpi_api(
            glpi.url, user_token=st.user_token, app_token=st.app_token, itemtypes=["Monitor"]
        )
    result = to_fleet(source, propose_mapping(source), reporting_year=2025, source_name="glpi")
    fleet = result.fleet.to_pydict()
    assert fleet["asset_id"] == ["E-1", "CN0XYZ"]
    assert fleet["category"] == ["monitor", "monitor"]
    assert fleet["status"] == ["in_use", "in_stock"]
    assert fleet["acquisition_date_estimated"] == [False, True]


def test_agent_file_to_fleet_and_virtual_machine_refused(tmp_path: Path) -> None:
    path = tmp_path / "accueil.json"
    path.write_text(json.dumps(GLPI_AGENT_JSON, indent=2), encoding="utf-8")
    source = read_agent_file(path)
    result = to_fleet(source, propose_mapping(source), reporting_year=2025, source_name=path.name)
    fleet = result.fleet.to_pydict()
    assert fleet["category"] == ["desktop", "monitor", "monitor"]
    assert fleet["asset_id"] == ["INV-2021-0099", "CN0XYZ", "CN0XZZ"]
    assert fleet["model"][0] == "OptiPlex 7090"

    vm = json.loads(json.dumps(GLPI_AGENT_JSON))
    vm["content"]["hardware"]["vmsystem"] = "VMware"
    vm["content"]["monitors"] = []
    vm_path = tmp_path / "vm.json"
    vm_path.write_text(json.dumps(vm, indent=2), encoding="utf-8")
    source = read_agent_file(vm_path)
    result = to_fleet(source, propose_mapping(source), reporting_year=2025, source_name="vm.json")
    assert result.rows_accepted == 0
    assert any("Machine virtuelle" in issue.describe() for issue in result.errors)
