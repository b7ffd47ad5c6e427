"""One import pipeline for the CLI and the web: read → map → validate → preview → apply.

``sobrenum.inventory`` reads and validates a file without knowing the store;
``sobrenum.store`` applies a canonical fleet without knowing files. Joining them is this
room's one job, so that the command line and the web wizard read with the same rules (the
reporting year of estimated dates, the organisation's electricity mix for devices without
a country, the mapping remembered by the source) and say the same things (a file whose
every row is refused is an error, not a fleet of nothing).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
from sqlalchemy.orm import Session

from sobrenum.domain import FLEET_SCHEMA, InvalidDataError
from sobrenum.inventory import (
    AGENT_SUFFIXES,
    ColumnMapping,
    ImportResult,
    MappingProposal,
    SourceTable,
    propose_mapping,
    read_source,
    to_fleet,
)
from sobrenum.inventory.agent import read_agent_file
from sobrenum.referential import Referential
from sobrenum.referential import load as load_referential
from sobrenum.store import (
    ImportPreview,
    ImportSummary,
    Organisation,
    Scope,
    Store,
    apply_import,
    find_source,
    preview_import,
    remember_mapping,
)

#: Refused rows named in the error of a file with no accepted row (the rest: the report).
ROWS_NAMED = 20


class NothingAcceptedError(InvalidDataError):
    """Every row of the file was refused: nothing to import, nothing to compute."""


_UNSAFE = re.compile(r"[^\w.() -]+")


def safe_file_name(name: str) -> str:
    """A received file's name reduced to a plain name (no folder, no odd character)."""
    base = _UNSAFE.sub("_", Path(name.replace("\\", "/")).name.strip())[:200]
    return base if base.strip(".") else "inventaire"


def reporting_year(organisation: Organisation, inventory_date: dt.date) -> int:
    """The year unknown acquisition dates are estimated against: the organisation's
    reporting year, else the inventory's year."""
    return organisation.reporting_year or inventory_date.year


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def fleet_sha256(fleet: pa.Table) -> str:
    """SHA-256 of a fleet's canonical content: FLEET_SCHEMA columns, rows sorted by asset_id.

    Two reads of the same inventory (e.g. GLPI's API, whose rows come in no fixed order) give
    the same digest, so re-importing an unchanged source is recognised as already imported.
    """
    table = fleet.select([n for n in FLEET_SCHEMA.names if n in fleet.column_names])
    if "asset_id" in table.column_names and table.num_rows:
        table = table.sort_by([("asset_id", "ascending")])
    buffer = io.BytesIO()
    pacsv.write_csv(table, buffer)
    digest = hashlib.sha256(b"sobrenum-fleet-v1\n")
    digest.update(buffer.getvalue())
    return digest.hexdigest()


def read_table(path: Path) -> SourceTable:
    """The rows of an inventory file (spreadsheet, CSV, GLPI export or agent file)."""
    if path.suffix.lower() in AGENT_SUFFIXES:
        return read_agent_file(path)
    return read_source(path)


def corrected(proposal: MappingProposal, corrections: Mapping[str, str] | None) -> MappingProposal:
    """The automatic proposal with the user's choices on top (``""``: column ignored)."""
    if not corrections:
        return proposal
    for match in proposal.matches:
        if match.source in corrections:
            proposal = proposal.assign(match.source, corrections[match.source] or None)
    return proposal


@dataclass(frozen=True)
class Intake:
    """An inventory read and validated, ready to be previewed or applied."""

    file_name: str
    file_sha256: str
    proposal: MappingProposal
    result: ImportResult

    @property
    def fleet(self) -> pa.Table:
        """The accepted devices; without a country column, their country is left empty so
        they draw the organisation's electricity mix (its settings) rather than a default
        written into every row."""
        fleet = self.result.fleet
        if "country" not in self.proposal.mapping.columns.values():
            index = fleet.schema.get_field_index("country")
            fleet = fleet.set_column(index, "country", pa.nulls(fleet.num_rows, pa.string()))
        return fleet

    def require_accepted(self) -> None:
        """Raise :class:`NothingAcceptedError` (naming the refused rows) when no row passed."""
        require_accepted(self.result, self.file_name)


def require_accepted(result: ImportResult, file_name: str) -> None:
    """Raise :class:`NothingAcceptedError`, naming the refused rows, when no row passed: a
    fleet of nothing is neither imported nor computed (it would read 0 tCO2e)."""
    if result.rows_accepted:
        return
    if result.rows_read == 0:
        summary = f"Le fichier {file_name} ne contient aucune ligne d'équipement"
    else:
        summary = f"Aucune des {result.rows_read} ligne(s) de {file_name} n'a été acceptée"
    errors = sorted(result.errors, key=lambda i: i.line or 0)
    raise NothingAcceptedError(
        summary + " : rien n'a été importé ni calculé. Corrigez les lignes refusées (ou la "
        "correspondance des colonnes) puis recommencez.",
        errors[:ROWS_NAMED],
    )


def intake_of(
    source: SourceTable,
    *,
    file_name: str,
    organisation: Organisation,
    inventory_date: dt.date,
    file_sha256: str | None = None,
    profile: ColumnMapping | None = None,
    corrections: Mapping[str, str] | None = None,
    referential: Referential | None = None,
) -> Intake:
    """Map and validate rows already read (``file_sha256`` None: the fleet's own digest)."""
    referential = referential or load_referential()
    proposal = corrected(propose_mapping(source, profile), corrections)
    result = to_fleet(
        source,
        ColumnMapping(columns=proposal.mapping.columns),
        reporting_year=reporting_year(organisation, inventory_date),
        default_lifetimes=referential.default_lifetimes(),
        source_name=file_name,
    )
    sha = file_sha256 or fleet_sha256(result.fleet)
    return Intake(file_name=file_name, file_sha256=sha, proposal=proposal, result=result)


def read_inventory(
    path: Path,
    *,
    organisation: Organisation,
    inventory_date: dt.date,
    file_name: str | None = None,
    profile: ColumnMapping | None = None,
    corrections: Mapping[str, str] | None = None,
    referential: Referential | None = None,
) -> Intake:
    """Read, map and validate an inventory file (``file_name``: the user's name for it)."""
    name = file_name or path.name
    return intake_of(
        read_table(path),
        file_name=name,
        organisation=organisation,
        inventory_date=inventory_date,
        file_sha256=file_sha256(path),
        profile=profile,
        corrections=corrections,
        referential=referential,
    )


def read_upload(
    content: bytes,
    *,
    file_name: str,
    organisation: Organisation,
    inventory_date: dt.date,
    profile: ColumnMapping | None = None,
    corrections: Mapping[str, str] | None = None,
    referential: Referential | None = None,
) -> Intake:
    """Like :func:`read_inventory` for a file received as bytes (the web's upload).

    ``file_name`` must be a plain file name (see :func:`safe_file_name`): the readers'
    messages name it, so the user reads the name of their own file.
    """
    with tempfile.TemporaryDirectory(prefix="sobrenum-import-") as folder:
        path = Path(folder) / safe_file_name(file_name)
        path.write_bytes(content)
        return read_inventory(
            path,
            organisation=organisation,
            inventory_date=inventory_date,
            file_name=file_name,
            profile=profile,
            corrections=corrections,
            referential=referential,
        )


def remembered_corrections(
    store: Store, organisation: Organisation, source: str | None
) -> dict[str, str] | None:
    """The column choices last used with a source (the web wizard's), if any."""
    found = find_source(store, organisation.id, source)
    return dict(found.mapping) if found is not None and found.mapping else None


def remembered_profile(store: Store, organisation: Organisation, source: str | None) -> str | None:
    """The mapping profile last used with a source (the CLI's ``--profil``), if any."""
    found = find_source(store, organisation.id, source)
    return found.mapping_profile if found is not None else None


def preview(
    store: Store,
    organisation: Organisation,
    intake: Intake,
    *,
    inventory_date: dt.date,
    source: str | None = None,
    scope: Scope | None = None,
) -> ImportPreview:
    """What applying would do (added, changed, gone, unchanged, share of the scope gone)."""
    intake.require_accepted()
    return preview_import(
        store,
        organisation,
        intake.fleet,
        file_name=intake.file_name,
        file_sha256=intake.file_sha256,
        inventory_date=inventory_date,
        source=source,
        scope=scope,
    )


def apply(
    store: Store,
    organisation: Organisation,
    intake: Intake,
    *,
    inventory_date: dt.date,
    actor: str,
    source: str | None = None,
    scope: Scope | None = None,
    confirm_gone: bool = False,
    mapping_profile: str | None = None,
    corrections: Mapping[str, str] | None = None,
    on_applied: Callable[[Session, ImportSummary], None] | None = None,
) -> ImportSummary:
    """Apply the inventory, all or nothing, and remember its mapping with its source.

    ``on_applied`` runs in the import's transaction (see :func:`sobrenum.store.apply_import`).
    """
    intake.require_accepted()
    summary = apply_import(
        store,
        organisation,
        intake.fleet,
        file_sha256=intake.file_sha256,
        file_name=intake.file_name,
        inventory_date=inventory_date,
        rejected=intake.result.rows_rejected,
        mapping_profile=mapping_profile,
        actor=actor,
        source=source,
        scope=scope,
        confirm_gone=confirm_gone,
        on_applied=on_applied,
    )
    if not summary.already_imported:
        found = find_source(store, organisation.id, summary.source_name)
        if found is not None:
            remember_mapping(
                store,
                found.id,
                profile=mapping_profile,
                mapping=dict(corrections) if corrections is not None else None,
            )
    return summary
