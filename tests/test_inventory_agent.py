"""Inventory agent files: FusionInventory / glpi-agent XML, glpi-agent JSON, the real agent."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
from pathlib import Path

import pytest

from sobrenum.domain.errors import InvalidDataError
from sobrenum.inventory.agent import category_for_chassis, read_agent_file, read_agent_files

LAPTOP_XML = """<?xml version="1.0" encoding="UTF-8" ?>
<REQUEST>
  <CONTENT>
    <BIOS>
      <ASSETTAG>No Asset Tag</ASSETTAG>
      <BDATE>03/15/2021</BDATE>
      <BMANUFACTURER>HP</BMANUFACTURER>
      <MMANUFACTURER>HP</MMANUFACTURER>
      <SMANUFACTURER>HP</SMANUFACTURER>
      <SMODEL>HP EliteBook 840 G8 Notebook PC</SMODEL>
      <SSN>5CG1234XYZ</SSN>
    </BIOS>
    <HARDWARE>
      <CHASSIS_TYPE>Notebook</CHASSIS_TYPE>
      <NAME>PC-MAIRIE-042</NAME>
      <VMSYSTEM>Physical</VMSYSTEM>
    </HARDWARE>
    <MONITORS>
      <CAPTION>AUO 0x403D</CAPTION>
      <MANUFACTURER>AU Optronics</MANUFACTURER>
      <SERIAL>0</SERIAL>
    </MONITORS>
    <MONITORS>
      <CAPTION>DELL P2422H</CAPTION>
      <MANUFACTURER>Dell Inc.</MANUFACTURER>
      <SERIAL>CN0ABC123</SERIAL>
    </MONITORS>
    <MONITORS>
      <CAPTION>HP E24 G4</CAPTION>
      <MANUFACTURER>HP Inc.</MANUFACTURER>
      <SERIAL>CNK1234</SERIAL>
      <PORT>DP-2</PORT>
    </MONITORS>
    <OPERATINGSYSTEM>
      <FULL_NAME>Microsoft Windows 11 Professionnel</FULL_NAME>
    </OPERATINGSYSTEM>
  </CONTENT>
  <DEVICEID>PC-MAIRIE-042-2024-05-02-10-12-00</DEVICEID>
  <QUERY>INVENTORY</QUERY>
</REQUEST>
"""


def test_fusioninventory_xml_laptop_with_two_screens(tmp_path: Path) -> None:
    path = tmp_path / "PC-MAIRIE-042.xml"
    path.write_text(LAPTOP_XML, encoding="utf-8")
    src = read_agent_file(path)
    assert src.source_format == "fusioninventory-xml"
    rows = src.table.to_pylist()
    assert [r["Catégorie"] for r in rows] == ["laptop", "monitor", "monitor"]
    pc = rows[0]
    assert pc["Nom"] == "PC-MAIRIE-042"
    assert pc["Fabricant"] == "HP"
    assert pc["Modèle"] == "HP EliteBook 840 G8 Notebook PC"
    # "No Asset Tag" is a placeholder: the serial number identifies the device.
    assert pc["Numéro d'inventaire"] == "5CG1234XYZ"
    assert pc["Type"] == "Notebook"
    assert rows[1]["Modèle"] == "DELL P2422H"
    assert rows[1]["Ordinateur"] == "PC-MAIRIE-042"
    assert rows[2]["Numéro de série"] == "CNK1234"
    # Lines point at <HARDWARE> and at each external <MONITORS>.
    lines = LAPTOP_XML.splitlines()
    assert "<HARDWARE>" in lines[src.line[0].as_py() - 1]
    assert "<MONITORS>" in lines[src.line[1].as_py() - 1]
    assert "DELL P2422H" in lines[src.line[1].as_py()]
    # The laptop's own panel is not a second device, and the user is told so.
    assert len(src.skipped_lines) == 1
    assert "intégré" in src.skipped_lines[0][1]


GLPI_AGENT_JSON = {
    "action": "inventory",
    "deviceid": "ACCUEIL-01-2024-06-01-08-00-00",
    "itemtype": "Computer",
    "content": {
        "bios": {
            "smanufacturer": "Dell Inc.",
            "smodel": "OptiPlex 7090",
            "ssn": "7HX2K53",
            "assettag": "INV-2021-0099",
        },
        "hardware": {"name": "ACCUEIL-01", "chassis_type": "Mini Tower", "vmsystem": "Physical"},
        "monitors": [
            {"caption": "DELL P2419H", "manufacturer": "Dell Inc.", "serial": "CN0XYZ"},
            {"caption": "DELL P2419H", "manufacturer": "Dell Inc.", "serial": "CN0XZZ"},
        ],
        "operatingsystem": {"full_name": "Microsoft Windows 10 Professionnel"},
        "versionclient": "GLPI-Agent_v1.7",
    },
}


def test_glpi_agent_json_desktop(tmp_path: Path) -> None:
    path = tmp_path / "accueil.json"
    path.write_text(json.dumps(GLPI_AGENT_JSON, indent=2), encoding="utf-8")
    src = read_agent_file(path)
    assert src.source_format == "glpi-agent-json"
    rows = src.table.to_pylist()
    assert [r["Catégorie"] for r in rows] == ["desktop", "monitor", "monitor"]
    assert rows[0]["Numéro d'inventaire"] == "INV-2021-0099"
    assert rows[0]["Fabricant"] == "Dell Inc."
    assert [r["Numéro de série"] for r in rows[1:]] == ["CN0XYZ", "CN0XZZ"]
    text_lines = path.read_text(encoding="utf-8").splitlines()
    assert '"hardware"' in text_lines[src.line[0].as_py() - 1]
    for i in (1, 2):
        assert text_lines[src.line[i].as_py() - 1].strip() == "{"


def test_several_files_in_one_table(tmp_path: Path) -> None:
    (tmp_path / "a.xml").write_text(LAPTOP_XML, encoding="utf-8")
    (tmp_path / "b.json").write_text(json.dumps(GLPI_AGENT_JSON), encoding="utf-8")
    src = read_agent_files(tmp_path.iterdir())
    assert src.table.num_rows == 6
    assert src.table.column("Fichier").to_pylist() == ["a.xml"] * 3 + ["b.json"] * 3
    assert src.skipped_lines[0][1].startswith("a.xml : ")


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<REQUEST><CONTENT><HARDWARE><NAME>&lol9;</NAME></HARDWARE></CONTENT></REQUEST>
"""

EXTERNAL_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<REQUEST><CONTENT><HARDWARE><NAME>&x;</NAME></HARDWARE></CONTENT></REQUEST>
"""


@pytest.mark.parametrize("payload", [BILLION_LAUGHS, EXTERNAL_ENTITY])
def test_entity_attacks_are_refused_in_french(tmp_path: Path, payload: str) -> None:
    path = tmp_path / "piege.xml"
    path.write_text(payload, encoding="utf-8")
    with pytest.raises(InvalidDataError, match="refusé par sécurité"):
        read_agent_file(path)


def test_bad_files_are_named(tmp_path: Path) -> None:
    bad = tmp_path / "casse.xml"
    bad.write_text("<REQUEST><CONTENT><HARDWARE>", encoding="utf-8")
    with pytest.raises(InvalidDataError, match=r"casse\.xml.*pas un XML valide"):
        read_agent_file(bad)
    other = tmp_path / "autre.xml"
    other.write_text("<inventory><pc/></inventory>", encoding="utf-8")
    with pytest.raises(InvalidDataError, match="REQUEST/CONTENT absent"):
        read_agent_file(other)
    printer = tmp_path / "printer.json"
    printer.write_text(json.dumps({"itemtype": "Printer", "content": {"x": 1}}), encoding="utf-8")
    with pytest.raises(InvalidDataError, match="Printer"):
        read_agent_file(printer)


def test_chassis_types() -> None:
    assert category_for_chassis("Notebook") == "laptop"
    assert category_for_chassis("Rack Mount Chassis") == "rack_server"
    assert category_for_chassis("All in One") == "all_in_one"
    assert category_for_chassis("Space-saving") == "desktop"
    assert category_for_chassis("Other") is None


AGENT = shutil.which("fusioninventory-inventory")


def test_real_fusioninventory_agent_output(tmp_path: Path) -> None:
    """Run the real agent on this machine, with one external screen added as extra content."""
    assert AGENT is not None, "fusioninventory-agent absent : lancez `make system-deps`"
    extra = tmp_path / "extra.xml"
    extra.write_text(
        '<?xml version="1.0" encoding="UTF-8" ?>\n<REQUEST><CONTENT><MONITORS>'
        "<CAPTION>DELL P2422H</CAPTION><MANUFACTURER>Dell Inc.</MANUFACTURER>"
        "<SERIAL>CN0ABC123</SERIAL></MONITORS></CONTENT></REQUEST>\n",
        encoding="utf-8",
    )
    out = tmp_path / "inventory.xml"
    with out.open("wb") as fh:
        subprocess.run(
            [
                str(AGENT),
                "--no-category=software",
                "--no-category=process",
                f"--additional-content={extra}",
            ],
            stdout=fh,
            stderr=subprocess.DEVNULL,
            check=True,
            timeout=120,
            cwd=tmp_path,
        )
    src = read_agent_file(out)
    assert src.source_format == "fusioninventory-xml"
    rows = src.table.to_pylist()
    computer = rows[0]
    assert computer["Nom"] == socket.gethostname().split(".")[0]
    assert computer["Numéro d'inventaire"]  # asset tag, serial or the agent's device id
    assert computer["Identifiant agent"]
    if computer["Virtualisation"]:  # a VM or container is not a device: no category
        assert computer["Catégorie"] == "Machine virtuelle"
    monitor = rows[-1]
    assert (monitor["Catégorie"], monitor["Modèle"]) == ("monitor", "DELL P2422H")
    text = out.read_text(encoding="utf-8").splitlines()
    assert "<HARDWARE>" in text[src.line[0].as_py() - 1]
    assert "<MONITORS>" in text[src.line[-1].as_py() - 1]
