"""Reading the inventory as collectivités keep it: readers, mapping, validation, rejects.

The pipeline is pure and store-free::

    source = read_source(path)                       # any .xlsx/.xls/.ods/.csv
    proposal = propose_mapping(source, profile)      # preview a user can correct
    result = to_fleet(source, proposal, reporting_year=2025, default_lifetimes=...)
    write_report_xlsx(result, Path("rejets.xlsx"))

``load_inventory`` chains the three with the automatic mapping (inventory-agent files,
``.xml``/``.ocs``/``.json``, are read by :func:`~sobrenum.inventory.agent.read_agent_file`).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from sobrenum.inventory.agent import read_agent_file
from sobrenum.inventory.categories import CategoryMatch, recognise_categories, recognise_category
from sobrenum.inventory.dates import estimated_acquisition_date, parse_date, parse_dates
from sobrenum.inventory.mapping import (
    ColumnMapping,
    ColumnMatch,
    MappingProposal,
    detect_mapping,
    list_profiles,
    load_profile,
    propose_mapping,
    register_header_synonyms,
    save_profile,
)
from sobrenum.inventory.reading import read_source
from sobrenum.inventory.report import write_report_csv, write_report_xlsx
from sobrenum.inventory.safety import DEFAULT_LIMITS, Limits
from sobrenum.inventory.source import SourceTable
from sobrenum.inventory.validation import ImportResult, to_fleet

#: File extensions of inventory-agent files (FusionInventory / glpi-agent XML, glpi-agent JSON).
AGENT_SUFFIXES: frozenset[str] = frozenset({".xml", ".ocs", ".json"})


def load_inventory(
    path: Path | str,
    reporting_year: int,
    default_lifetimes: Mapping[str, float] | None = None,
    profile: ColumnMapping | Path | str | None = None,
    *,
    sheet: str | int | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> ImportResult:
    """Read, map automatically (or with ``profile``: a mapping or a profile file) and validate."""
    path = Path(path)
    if profile is not None and not isinstance(profile, ColumnMapping):
        profile = load_profile(Path(profile))
    if path.suffix.lower() in AGENT_SUFFIXES:
        source = read_agent_file(path)
    else:
        source = read_source(path, sheet=sheet, limits=limits)
    proposal = propose_mapping(source, profile)
    return to_fleet(
        source,
        proposal,
        reporting_year=reporting_year,
        default_lifetimes=default_lifetimes,
        source_name=path.name,
    )


__all__ = [
    "AGENT_SUFFIXES",
    "DEFAULT_LIMITS",
    "CategoryMatch",
    "ColumnMapping",
    "ColumnMatch",
    "ImportResult",
    "Limits",
    "MappingProposal",
    "SourceTable",
    "detect_mapping",
    "estimated_acquisition_date",
    "list_profiles",
    "load_inventory",
    "load_profile",
    "parse_date",
    "parse_dates",
    "propose_mapping",
    "read_source",
    "recognise_categories",
    "recognise_category",
    "register_header_synonyms",
    "save_profile",
    "to_fleet",
    "write_report_csv",
    "write_report_xlsx",
]
