"""GLPI search-list CSV exports, written as GLPI writes them."""

from __future__ import annotations

from pathlib import Path

import pytest

from sobrenum.domain.errors import InvalidDataError
from sobrenum.inventory.glpi import category_for, is_glpi_export, read_glpi_csv, status_for

BOM = "\ufeff"


def glpi10_csv(path: Path, headers: list[str], rows: list[list[str]]) -> Path:
    """GLPI 10 CSVSearchOutput: BOM, every cell quoted, trailing ';', LF line ends."""

    def line(cells: list[str]) -> str:
        return "".join('"' + c.replace('"', "''") + '";' for c in cells) + "\n"

    text = BOM + line(headers) + "".join(line(r) for r in rows)
    path.write_bytes(text.encode("utf-8"))
    return path


def glpi11_csv(path: Path, headers: list[str], rows: list[list[str]]) -> Path:
    """GLPI 11 (PhpSpreadsheet writer): ';', quotes only where needed, CRLF line ends."""

    def cell(c: str) -> str:
        return '"' + c.replace('"', '""') + '"' if any(x in c for x in ';"\n') else c

    text = "\r\n".join(";".join(cell(c) for c in r) for r in [headers, *rows]) + "\r\n"
    path.write_bytes(text.encode("utf-8"))
    return path


COMPUTER_HEADERS = [
    "Nom",
    "Entité",
    "Statut",
    "Fabricant",
    "Numéro de série",
    "Type",
    "Modèle",
    "Système d'exploitation - Nom",
    "Lieu",
    "Dernière modification",
    "Composants - Processeur",
    "Numéro d'inventaire",
    "Gestion financière et administrative - Date d'achat",
]


def test_computers_export_glpi10(tmp_path: Path) -> None:
    path = glpi10_csv(
        tmp_path / "glpi.csv",
        COMPUTER_HEADERS,
        [
            [
                "PC-MAIRIE-001",
                "Entité racine > Ville de Saint-Lô",
                "En service",
                "HP",
                "5CG1234XYZ",
                "Portable",
                "HP EliteBook 840 G8 Notebook PC",
                "Windows 11 Professionnel",
                "Hôtel de ville > 1er étage",
                "2024-05-02 10:12",
                "Intel Core i5-1145G7<br>Intel Core i5-1145G7",
                "INV-2021-0042",
                "2021-03-15",
            ],
            [
                "PC-MAIRIE-002",
                "Entité racine > Ville de Saint-Lô",
                "Rebut",
                "Dell Inc.",
                "7HX2K53",
                "Desktop",
                "OptiPlex 7090",
                "Windows 10 Professionnel",
                "Médiathèque",
                "2023-11-20 08:00",
                "Intel Core i5-10505",
                "INV-2019-0007",
                "2019-09-01",
            ],
            [
                "SRV-01",
                "Entité racine",
                "En stock",
                "Dell Inc.",
                "9ABCD12",
                "Serveur",
                "PowerEdge R740",
                "Debian GNU/Linux 12",
                "Salle serveur",
                "2024-01-02 09:00",
                "",
                "",
                "",
            ],
        ],
    )
    src = read_glpi_csv(path)
    assert src.source_format == "glpi-csv"
    assert src.hints["glpi_itemtype"] == "Computer"
    assert src.header_line == 1
    # The group prefix is gone, the trailing empty column too.
    assert "Date d'achat" in src.headers
    assert "" not in src.headers and "Colonne" not in src.headers
    assert src.line.to_pylist() == [2, 3, 4]
    t = src.table.to_pydict()
    assert t["Nom"] == ["PC-MAIRIE-001", "PC-MAIRIE-002", "SRV-01"]
    assert t["Catégorie"] == ["laptop", "desktop", "Serveur"]  # unsure: GLPI's label
    assert src.headers[0] == "Catégorie"
    assert t["Statut"] == ["En service", "Sorti du parc", "En stock"]
    assert t["Statut GLPI"] == ["En service", "Rebut", "En stock"]
    assert t["Composants - Processeur"][0] == "Intel Core i5-1145G7 | Intel Core i5-1145G7"
    assert t["Numéro d'inventaire"][2] is None
    assert "category" not in src.hints  # the rows differ


def test_monitors_export_glpi11_sets_category_hint(tmp_path: Path) -> None:
    path = glpi11_csv(
        tmp_path / "glpi.csv",
        [
            "Nom",
            "Entité",
            "Statut",
            "Fabricant",
            "Numéro de série",
            "Type",
            "Modèle",
            "Lieu",
            "Dernière modification",
            "Taille",
        ],
        [
            [
                "ECR-0101",
                "Ville",
                "En service",
                "Dell",
                "CN0ABC",
                "Écran plat",
                'P2422H 24"',
                "Accueil",
                "2024-02-02 10:00",
                "24",
            ],
            [
                "ECR-0102",
                "Ville",
                "En service",
                "Iiyama",
                "1170A",
                "",
                "ProLite XU2493HS",
                "Accueil",
                "2024-02-02 10:00",
                "24",
            ],
        ],
    )
    src = read_glpi_csv(path, itemtype="Monitor")
    assert src.hints == {"glpi_itemtype": "Monitor", "category": "monitor"}
    assert src.table.column("Modèle").to_pylist() == ['P2422H 24"', "ProLite XU2493HS"]
    assert src.line.to_pylist() == [2, 3]


def test_network_phone_printer_types(tmp_path: Path) -> None:
    net = glpi10_csv(
        tmp_path / "net.csv",
        [
            "Nom",
            "Entité",
            "Statut",
            "Fabricant",
            "Type",
            "Modèle",
            "Lieu",
            "Micrologiciel",
            "Dernière modification",
        ],
        [
            ["SW-CORE", "Ville", "En service", "Cisco", "Switch", "C9300-48P", "Baie", "17.9", "x"],
            ["RT-01", "Ville", "En service", "Cisco", "Routeur", "ISR4331", "Baie", "", "x"],
            ["FW-01", "Ville", "En service", "Stormshield", "Pare-feu", "SN510", "Baie", "", "x"],
            [
                "AP-ECOLE",
                "Ville",
                "En service",
                "Ubiquiti",
                "Borne WiFi",
                "U6-Pro",
                "École",
                "",
                "x",
            ],
        ],
    )
    src = read_glpi_csv(net)
    assert src.hints["glpi_itemtype"] == "NetworkEquipment"
    assert src.table.column("Catégorie").to_pylist() == [
        "switch",
        "router",
        "firewall",
        "wifi_access_point",
    ]

    assert category_for("Phone", "Smartphone") == "smartphone"
    assert category_for("Phone", "Téléphone IP") == "ip_phone"
    assert category_for("Phone", "") is None
    assert category_for("Printer", "Multifonction laser") == "multifunction_printer"
    assert category_for("Printer", "Laser couleur") == "printer"
    assert category_for("Peripheral", "Vidéoprojecteur") == "video_projector"
    assert category_for("Peripheral", "Souris") is None

    phones = glpi10_csv(
        tmp_path / "phones.csv",
        ["Nom", "Entité", "Statut", "Fabricant", "Type", "Modèle", "Numéro d'inventaire"],
        [
            ["TEL-01", "Ville", "En service", "Samsung", "Smartphone", "Galaxy A54", "T1"],
            ["TEL-02", "Ville", "Prêt", "Yealink", "Téléphone IP", "T46U", "T2"],
        ],
    )
    src = read_glpi_csv(phones, itemtype="Phone")
    assert src.table.column("Catégorie").to_pylist() == ["smartphone", "ip_phone"]
    assert src.table.column("Statut").to_pylist() == ["En service", "En service"]


def test_all_assets_export_reads_item_type_per_row(tmp_path: Path) -> None:
    path = glpi10_csv(
        tmp_path / "all.csv",
        ["Nom", "Entité", "Fabricant", "Modèle", "Type", "Numéro d'inventaire", "Type d'élément"],
        [
            ["ECR-1", "Ville", "Dell", "P2422H", "", "E1", "Moniteur"],
            ["IMP-1", "Ville", "Brother", "MFC-L8900CDW", "Multifonction", "I1", "Imprimante"],
            ["PC-1", "Ville", "Lenovo", "ThinkPad T14", "Portable", "P1", "Ordinateur"],
        ],
    )
    src = read_glpi_csv(path)
    assert src.table.column("Catégorie").to_pylist() == [
        "monitor",
        "multifunction_printer",
        "laptop",
    ]


def test_windows_resaved_export_and_english_headers(tmp_path: Path) -> None:
    text = (
        "Name;Entity;Status;Manufacturer;Type;Model;Inventory number\r\n"
        "PC-É1;Root entity;In use;HP;Laptop;ProBook 450 G8;A1\r\n"
    )
    path = tmp_path / "export.csv"
    path.write_bytes(text.encode("cp1252"))
    src = read_glpi_csv(path, itemtype="Computer")
    assert src.headers[:5] == ["Catégorie", "Nom", "Entité", "Statut", "Fabricant"]
    assert src.table.column("Nom").to_pylist() == ["PC-É1"]
    assert src.table.column("Catégorie").to_pylist() == ["laptop"]


def test_not_a_glpi_export_is_refused_in_french(tmp_path: Path) -> None:
    path = tmp_path / "tableur.csv"
    path.write_text("Matériel;Marque;Quantité\nPortable;HP;3\n", encoding="utf-8")
    with pytest.raises(InvalidDataError, match="ne ressemble pas à un export GLPI"):
        read_glpi_csv(path)
    assert not is_glpi_export(["Matériel", "Marque", "Quantité"])
    assert is_glpi_export(COMPUTER_HEADERS)


def test_broken_row_is_named_by_line(tmp_path: Path) -> None:
    path = tmp_path / "glpi.csv"
    path.write_text(
        BOM + '"Nom";"Entité";"Statut";"Fabricant";"Modèle";\n'
        '"PC-1";"Ville";"En service";"HP";"840 G8";\n'
        '"PC-2";"Ville";"En service";"HP";"840";"G8";"en trop";\n',
        encoding="utf-8",
    )
    with pytest.raises(InvalidDataError) as err:
        read_glpi_csv(path)
    assert err.value.issues[0].line == 3
    assert "ligne 3" in str(err.value)


def test_statuses() -> None:
    assert status_for("Réformé") == "Sorti du parc"
    assert status_for("Parc > En stock") == "En stock"
    assert status_for("En réparation") == "En service"
    assert status_for("Statut maison") == "Statut maison"
    assert status_for("") is None
