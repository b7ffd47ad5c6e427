"""Inventory agent files: FusionInventory / glpi-agent XML and glpi-agent JSON.

An agent file describes one computer (``REQUEST/CONTENT`` in XML, ``content`` in JSON) with
sections ``HARDWARE`` (name, chassis type), ``BIOS`` (system manufacturer, model, serial),
``MONITORS``… The reader makes one row for the computer and one per external monitor, with
the French headers the mapper knows (``Nom``, ``Fabricant``, ``Modèle``, ``Numéro de série``,
``Numéro d'inventaire``, ``Type``, ``Catégorie``) and each row's line in the file.

XML is parsed with defusedxml with DTDs forbidden: an entity attack (billion laughs, external
entities) is refused with a French error before anything is expanded.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as safe_et
import pyarrow as pa
from defusedxml import DefusedXmlException

from sobrenum.domain.errors import InvalidDataError
from sobrenum.inventory.source import SourceTable

__all__ = [
    "MAX_AGENT_FILE_BYTES",
    "category_for_chassis",
    "read_agent_file",
    "read_agent_files",
]

#: Larger files are refused: a real inventory is a few hundred kilobytes.
MAX_AGENT_FILE_BYTES = 64 * 1024 * 1024

HEADERS: tuple[str, ...] = (
    "Nom",
    "Catégorie",
    "Type",
    "Fabricant",
    "Modèle",
    "Numéro de série",
    "Numéro d'inventaire",
    "Ordinateur",
    "Système d'exploitation",
    "Virtualisation",
    "Date du BIOS",
    "Identifiant agent",
)

# SMBIOS chassis types (as the agents write them) → category.
_CHASSIS: dict[str, str] = {
    "desktop": "desktop",
    "low profile desktop": "desktop",
    "pizza box": "desktop",
    "mini tower": "desktop",
    "tower": "desktop",
    "space-saving": "desktop",
    "space saving": "desktop",
    "lunch box": "desktop",
    "mini pc": "desktop",
    "stick pc": "desktop",
    "sealed-case pc": "desktop",
    "portable": "laptop",
    "laptop": "laptop",
    "notebook": "laptop",
    "hand held": "laptop",
    "sub notebook": "laptop",
    "convertible": "laptop",
    "docking station": "laptop",
    "detachable": "tablet",
    "tablet": "tablet",
    "all in one": "all_in_one",
    "all-in-one": "all_in_one",
    "main server chassis": "tower_server",
    "rack mount chassis": "rack_server",
    "blade": "rack_server",
    "blade enclosure": "rack_server",
    "multi-system chassis": "rack_server",
}

# Values firmware writers leave in place of a real one.
_PLACEHOLDERS = {
    "",
    "to be filled by o.e.m.",
    "to be filled by oem",
    "default string",
    "system product name",
    "system manufacturer",
    "system serial number",
    "not specified",
    "not applicable",
    "none",
    "n/a",
    "no asset tag",
    "no asset information",
    "asset tag",
    "asset-1234567890",
    "0",
    "0123456789",
    "chassis serial number",
    "invalid",
    "unknown",
    "o.e.m.",
    "oem",
}

# Internal panels of laptops show up in MONITORS; they are part of the computer.
_INTERNAL_PORTS = ("edp", "lvds", "dsi", "internal")
_PANEL_MAKERS = (
    "sharp",
    "au optronics",
    "auo",
    "boe",
    "lg display",
    "chimei",
    "chi mei",
    "innolux",
    "cmn",
    "samsung display",
    "sdc",
    "infovision",
    "ivo",
    "panda",
    "csot",
    "tianma",
    "japan display",
    "lgd",
    "lenovo group limited",
)


def category_for_chassis(chassis: str | None) -> str | None:
    """Category of a computer from its SMBIOS chassis type (``Notebook`` → ``laptop``)."""
    if not chassis:
        return None
    return _CHASSIS.get(chassis.strip().lower())


def _real(value: Any) -> str | None:
    if value is None:
        return None
    text = " ".join(str(value).split())
    return None if text.lower() in _PLACEHOLDERS else text


def _first(*values: Any) -> str | None:
    for v in values:
        real = _real(v)
        if real:
            return real
    return None


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


# --- one inventory, format-neutral --------------------------------------------------------


def _rows_for(
    hardware: Mapping[str, Any],
    bios: Mapping[str, Any],
    os_name: str | None,
    monitors: Sequence[Mapping[str, Any]],
    device_id: str | None,
    computer_line: int,
    monitor_lines: Sequence[int],
) -> tuple[list[dict[str, str | None]], list[int], list[tuple[int, str]]]:
    chassis = _first(hardware.get("chassis_type"), bios.get("type"))
    category = category_for_chassis(chassis)
    vm = _real(hardware.get("vmsystem"))
    if vm and vm.lower() == "physical":
        vm = None
    serial = _first(bios.get("ssn"), bios.get("enclosureserial"), bios.get("msn"))
    name = _first(hardware.get("name"))
    asset_tag = _first(bios.get("assettag"))
    computer: dict[str, str | None] = {
        "Nom": name,
        # A virtual machine is no device: named so, its row is refused with that reason.
        "Catégorie": "Machine virtuelle" if vm else (category or chassis),
        "Type": chassis,
        "Fabricant": _first(bios.get("smanufacturer"), bios.get("mmanufacturer")),
        "Modèle": _first(bios.get("smodel"), bios.get("mmodel")),
        "Numéro de série": serial,
        # The asset tag when set, else the serial number, else the agent's device id.
        "Numéro d'inventaire": asset_tag or serial or _first(device_id, name),
        "Ordinateur": None,
        "Système d'exploitation": os_name,
        "Virtualisation": vm,
        "Date du BIOS": _first(bios.get("bdate")),
        "Identifiant agent": _first(device_id),
    }
    rows = [computer]
    lines = [computer_line]
    skipped: list[tuple[int, str]] = []
    owner = computer["Numéro d'inventaire"] or name or "ordinateur"
    built_in_screen = category in {"laptop", "tablet", "all_in_one"}
    for index, monitor in enumerate(monitors):
        line = monitor_lines[index] if index < len(monitor_lines) else computer_line
        maker = _first(monitor.get("manufacturer"))
        model = _first(monitor.get("caption"), monitor.get("name"))
        port = (_first(monitor.get("port")) or "").lower()
        internal = any(p in port for p in _INTERNAL_PORTS) or (
            built_in_screen and not port and any(m in (maker or "").lower() for m in _PANEL_MAKERS)
        )
        if internal:
            skipped.append((line, "écran intégré à l'ordinateur, compté avec lui"))
            continue
        if not (maker or model or _first(monitor.get("serial"))):
            skipped.append((line, "écran sans fabricant, modèle ni numéro de série"))
            continue
        monitor_serial = _first(monitor.get("serial"), monitor.get("altserial"))
        rows.append(
            {
                "Nom": model or f"Écran {index + 1} de {name or owner}",
                "Catégorie": "monitor",
                "Type": "Écran",
                "Fabricant": maker,
                "Modèle": model,
                "Numéro de série": monitor_serial,
                "Numéro d'inventaire": monitor_serial or f"{owner}-ecran-{index + 1}",
                "Ordinateur": name,
                "Système d'exploitation": None,
                "Virtualisation": None,
                "Date du BIOS": None,
                "Identifiant agent": _first(device_id),
            }
        )
        lines.append(line)
    return rows, lines, skipped


# --- XML ----------------------------------------------------------------------------------


def _children(element: Element | None) -> dict[str, str]:
    if element is None:
        return {}
    return {child.tag.lower(): (child.text or "").strip() for child in element}


def _parse_xml(text: str, name: str) -> Element:
    try:
        root = safe_et.fromstring(text, forbid_dtd=True)
    except DefusedXmlException as exc:
        raise InvalidDataError(
            f"Le fichier « {name} » contient une déclaration de type de document (DTD) ou des "
            "entités XML : refusé par sécurité (attaque par expansion d'entités possible). "
            "Un inventaire d'agent n'en contient jamais ; régénérez-le avec l'agent."
        ) from exc
    except ParseError as exc:
        raise InvalidDataError(f"Le fichier « {name} » n'est pas un XML valide : {exc}.") from exc
    if not isinstance(root, Element):
        raise InvalidDataError(f"Le fichier « {name} » n'est pas un XML valide.")
    return root


def _read_xml(
    text: str, name: str
) -> tuple[list[dict[str, str | None]], list[int], list[tuple[int, str]]]:
    root = _parse_xml(text, name)
    content = root.find("CONTENT") if root.tag == "REQUEST" else None
    if content is None:
        raise InvalidDataError(
            f"Le fichier « {name} » n'est pas un inventaire FusionInventory / glpi-agent : "
            "élément REQUEST/CONTENT absent."
        )
    query = (root.findtext("QUERY") or "INVENTORY").strip().upper()
    if query != "INVENTORY":
        raise InvalidDataError(
            f"Le fichier « {name} » est une requête « {query} » de l'agent, pas un inventaire "
            "d'ordinateur (attendu QUERY = INVENTORY)."
        )
    hardware = _children(content.find("HARDWARE"))
    bios = _children(content.find("BIOS"))
    os_section = _children(content.find("OPERATINGSYSTEM"))
    os_name = _first(os_section.get("full_name"), hardware.get("osname"))
    monitors = [_children(m) for m in content.findall("MONITORS")]
    hw_match = re.search(r"<HARDWARE[\s>]", text)
    computer_line = _line_of(text, hw_match.start()) if hw_match else 1
    monitor_lines = [_line_of(text, m.start()) for m in re.finditer(r"<MONITORS[\s>]", text)]
    return _rows_for(
        hardware,
        bios,
        os_name,
        monitors,
        root.findtext("DEVICEID"),
        computer_line,
        monitor_lines,
    )


# --- JSON ---------------------------------------------------------------------------------


def _lower_keys(value: Any) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        return {}
    return {str(k).lower(): v for k, v in value.items()}


def _json_positions(text: str, key: str) -> list[int]:
    """Line of each element of the array under ``"key"`` (first occurrence)."""
    match = re.search(r'"' + re.escape(key) + r'"\s*:\s*\[', text)
    if not match:
        return []
    decoder = json.JSONDecoder()
    lines: list[int] = []
    pos = match.end()
    while True:
        while pos < len(text) and text[pos] in " \t\r\n,":
            pos += 1
        if pos >= len(text) or text[pos] == "]":
            break
        try:
            _, end = decoder.raw_decode(text, pos)
        except json.JSONDecodeError:
            break
        lines.append(_line_of(text, pos))
        pos = end
    return lines


def _read_json(
    text: str, name: str
) -> tuple[list[dict[str, str | None]], list[int], list[tuple[int, str]]]:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidDataError(
            f"Le fichier « {name} » n'est pas un JSON valide (ligne {exc.lineno}) : {exc.msg}."
        ) from exc
    top = _lower_keys(document)
    content = _lower_keys(top.get("content"))
    if not content:
        raise InvalidDataError(
            f"Le fichier « {name} » n'est pas un inventaire glpi-agent : clé « content » absente."
        )
    itemtype = str(top.get("itemtype") or "Computer")
    if itemtype != "Computer":
        raise InvalidDataError(
            f"Le fichier « {name} » décrit un élément « {itemtype} » : seuls les inventaires "
            "d'ordinateurs (itemtype Computer) sont lus ici."
        )
    hardware = _lower_keys(content.get("hardware"))
    bios = _lower_keys(content.get("bios"))
    os_section = _lower_keys(content.get("operatingsystem"))
    os_name = _first(os_section.get("full_name"), hardware.get("osname"))
    raw_monitors = content.get("monitors") or []
    if isinstance(raw_monitors, Mapping):
        raw_monitors = [raw_monitors]
    monitors = [_lower_keys(m) for m in raw_monitors if isinstance(m, Mapping)]
    hw_match = re.search(r'"hardware"\s*:', text)
    computer_line = _line_of(text, hw_match.start()) if hw_match else 1
    return _rows_for(
        hardware,
        bios,
        os_name,
        monitors,
        _first(top.get("deviceid")),
        computer_line,
        _json_positions(text, "monitors"),
    )


# --- public API ---------------------------------------------------------------------------


def _load(path: Path, data: bytes | None) -> tuple[str, str]:
    if data is None:
        size = path.stat().st_size
        if size > MAX_AGENT_FILE_BYTES:
            raise InvalidDataError(
                f"Le fichier « {path.name} » fait {size // (1024 * 1024)} Mo : trop gros pour "
                "un inventaire d'agent (limite 64 Mo)."
            )
        data = path.read_bytes()
    elif len(data) > MAX_AGENT_FILE_BYTES:
        raise InvalidDataError(f"Le fichier « {path.name} » est trop gros (limite 64 Mo).")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidDataError(
            f"Le fichier « {path.name} » n'est pas en UTF-8 : un inventaire d'agent l'est toujours."
        ) from exc
    stripped = text.lstrip()
    if stripped.startswith("<"):
        return text, "xml"
    if stripped.startswith("{"):
        return text, "json"
    raise InvalidDataError(
        f"Le fichier « {path.name} » n'est ni un inventaire XML (FusionInventory, glpi-agent) "
        "ni un inventaire JSON (glpi-agent)."
    )


def _table(rows: Sequence[Mapping[str, str | None]], headers: Sequence[str]) -> pa.Table:
    return pa.table({h: pa.array([r.get(h) for r in rows], type=pa.string()) for h in headers})


def read_agent_file(path: str | Path, *, data: bytes | None = None) -> SourceTable:
    """Read one agent inventory (XML or JSON, told by its first character)."""
    path = Path(path)
    text, kind = _load(path, data)
    if kind == "xml":
        rows, lines, skipped = _read_xml(text, path.name)
        source_format = "fusioninventory-xml"
    else:
        rows, lines, skipped = _read_json(text, path.name)
        source_format = "glpi-agent-json"
    return SourceTable(
        table=_table(rows, HEADERS),
        line=pa.array(lines, type=pa.int64()),
        source_format=source_format,
        skipped_lines=skipped,
        hints={"source_file": path.name},
    )


def read_agent_files(paths: Iterable[str | Path]) -> SourceTable:
    """Read several agent inventories into one table, with a ``Fichier`` column.

    Each row's line is its line in its own file, named in ``Fichier``; skipped items are
    reported as ``(line, "fichier : reason")``.
    """
    rows: list[dict[str, str | None]] = []
    lines: list[int] = []
    skipped: list[tuple[int, str]] = []
    formats: set[str] = set()
    for p in sorted(Path(x) for x in paths):
        one = read_agent_file(p)
        formats.add(one.source_format)
        for row, line in zip(one.table.to_pylist(), one.line.to_pylist(), strict=True):
            rows.append({**row, "Fichier": p.name})
            lines.append(int(line or 0))
        skipped.extend((line, f"{p.name} : {reason}") for line, reason in one.skipped_lines)
    if not formats:
        raise InvalidDataError("Aucun fichier d'inventaire d'agent à lire.")
    source_format = formats.pop() if len(formats) == 1 else "agent-mixed"
    return SourceTable(
        table=_table(rows, (*HEADERS, "Fichier")),
        line=pa.array(lines, type=pa.int64()),
        source_format=source_format,
        skipped_lines=skipped,
    )
