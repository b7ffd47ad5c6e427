"""What the API and the pages both do: footprints (cached), device drill-down, imports in two
steps (upload → validation report → apply). Nothing here knows about HTTP.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from sobrenum import intake
from sobrenum.domain import SobrenumError
from sobrenum.engine import Parameters, compute, uncertainty
from sobrenum.engine.backends import BackendName, connect, run_on_backend
from sobrenum.inventory import ImportResult
from sobrenum.referential import Referential, load
from sobrenum.reporting import Summary, stored
from sobrenum.reporting.annual import report_from_store
from sobrenum.reporting.council import CouncilReport, html_to_pdf_bytes, render_council_html
from sobrenum.reporting.snapshots import YearResult, freeze
from sobrenum.reporting.summary import UncertaintySummary, summarise_uncertainty
from sobrenum.store import (
    GONE_CONFIRMATION_THRESHOLD,
    ImportPreview,
    ImportSummary,
    Organisation,
    Scope,
    Store,
    check_order,
    find_import,
)
from sobrenum.store.fleet import fleet_version
from sobrenum.store.imports import import_summary
from sobrenum.store.models import Device
from sobrenum.store.sources import clean_source_name
from sobrenum.store.staged import MarkApplied, StagedImportStateError, add_staged
from sobrenum.store.users import StagedImport
from sobrenum.web.footprints import Computations

MAX_ISSUES_IN_REPORT = 500

_referential_lock = threading.Lock()
_referential: Referential | None = None


def referential() -> Referential:
    """The referential shipped with sobrenum, loaded once per process."""
    global _referential
    with _referential_lock:
        if _referential is None:
            _referential = load()
        return _referential


def organisation_referential(store: Store, organisation: Organisation) -> Referential:
    """The referential with the organisation's own hypotheses (its version records them)."""
    return stored.organisation_referential(store, organisation, referential())


def reporting_year(organisation: Organisation) -> int:
    return stored.reporting_year(organisation)


def _footprint_key(
    kind: str, store: Store, organisation: Organisation, *extra: Hashable
) -> tuple[Hashable, ...] | None:
    """What a computed footprint depends on (None before any import): the fleet version, the
    referential version and the settings that enter the computation."""
    version = fleet_version(store, organisation.id)
    if version[0] == 0:
        return None
    return (
        kind,
        organisation.id,
        version,
        organisation_referential(store, organisation).version,
        reporting_year(organisation),
        organisation.staff_count,
        organisation.population,
        organisation.name,
        organisation.country,
        *extra,
    )


def organisation_summary(
    store: Store, cache: Computations, organisation: Organisation
) -> Summary | None:
    """The footprint summary of the organisation's current fleet (None before any import).

    Cached per organisation, fleet version, referential version and the settings that enter
    the computation (reporting year, staff count, population, name, country).
    """
    key = _footprint_key("summary", store, organisation)
    if key is None:
        return None

    def compute_summary() -> Summary:
        ref = organisation_referential(store, organisation)
        return stored.stored_footprint(store, organisation, ref).summary

    summary: Summary = cache.get_or_compute(key, compute_summary)
    return summary


#: Monte Carlo draws of the dashboard (and the API's default), and their seed: the same
#: inventory always gives the same interval.
UNCERTAINTY_DRAWS = 1000
UNCERTAINTY_SEED = 0
#: Inputs kept in the sensitivity list (all of them, in practice).
SENSITIVITY_INPUTS = 1000


def organisation_uncertainty(
    store: Store,
    cache: Computations,
    organisation: Organisation,
    draws: int = UNCERTAINTY_DRAWS,
    seed: int = UNCERTAINTY_SEED,
) -> UncertaintySummary | None:
    """The 90 % interval of the annual carbon footprint, per category, and every input's
    share of its variance (None before any import). Cached like the footprint, per number
    of draws and seed: computed once per key."""
    key = _footprint_key("uncertainty", store, organisation, draws, seed)
    if key is None:
        return None

    def compute_uncertainty() -> UncertaintySummary:
        fleet = stored.stored_fleet(store, organisation)
        params = Parameters(reporting_year=reporting_year(organisation))
        ref = organisation_referential(store, organisation)
        result = uncertainty(fleet, ref, params, draws=draws, seed=seed)
        return summarise_uncertainty(result, top=SENSITIVITY_INPUTS)

    summary: UncertaintySummary = cache.get_or_compute(key, compute_uncertainty)
    return summary


# --- strategy: indicators, council report, freezing a year ----------------------------------

#: Council report PDFs kept, by the SHA-256 of their HTML (the same page gives the same PDF,
#: so an entry is never stale): drawing a PDF is most of a report's cost.
_pdf_cache: OrderedDict[str, bytes] = OrderedDict()
_pdf_lock = threading.Lock()
PDF_CACHE_SIZE = 16


def strategy_report(
    store: Store,
    computations: Computations,
    organisation: Organisation,
    year: int,
    *,
    with_interval: bool = True,
) -> CouncilReport:
    """The year's indicators and council report (``report_from_store``), computed on the
    bounded workers, once for requests asking for it at the same time."""

    def build() -> CouncilReport:
        report, _ = report_from_store(
            store,
            organisation,
            year,
            organisation_referential(store, organisation),
            with_interval=with_interval,
        )
        return report

    key = ("strategy", organisation.id, year, with_interval)
    report: CouncilReport = computations.run(key, build)
    return report


def council_pdf(
    store: Store, computations: Computations, organisation: Organisation, year: int
) -> bytes:
    """The council report of ``year`` as a PDF, computed on the bounded workers."""

    def build() -> bytes:
        ref = organisation_referential(store, organisation)
        report, _ = report_from_store(store, organisation, year, ref)
        # The page is cheap to draw, its PDF is not: the PDF is kept by the page's digest.
        html = render_council_html(report)
        digest = hashlib.sha256(html.encode("utf-8")).hexdigest()
        with _pdf_lock:
            if digest in _pdf_cache:
                _pdf_cache.move_to_end(digest)
                return _pdf_cache[digest]
        pdf = html_to_pdf_bytes(html)
        with _pdf_lock:
            _pdf_cache[digest] = pdf
            while len(_pdf_cache) > PDF_CACHE_SIZE:
                _pdf_cache.popitem(last=False)
        return pdf

    data: bytes = computations.run(("council-pdf", organisation.id, year), build)
    return data


def freeze_strategy_year(
    store: Store,
    computations: Computations,
    organisation: Organisation,
    year: int,
    *,
    replace: bool,
    actor: str,
) -> YearResult:
    """Freeze ``year`` (``reporting.snapshots.freeze``) on the bounded workers; a double
    click freezes once and both requests get the result."""

    def build() -> YearResult:
        ref = organisation_referential(store, organisation)
        return freeze(store, organisation, year, ref, replace=replace, actor=actor)

    result: YearResult = computations.run(("freeze", organisation.id, year, replace), build)
    return result


class BackendUnavailable(SobrenumError):
    """The computing backend asked for cannot run with this instance's store."""


def summary_on_backend(
    store: Store, computations: Computations, organisation: Organisation, backend: BackendName
) -> Summary | None:
    """The footprint summary computed on a chosen backend (None before any import).

    PostgreSQL runs on the store's own database (the fleet goes to a temporary table), so it
    needs a PostgreSQL store; Spark starts a local session. Not cached: whoever picks a backend
    wants it to run. The backend is disconnected afterwards.
    """
    if fleet_version(store, organisation.id)[0] == 0:
        return None
    url: str | None = None
    if backend == "postgres":
        if store.dialect != "postgresql":
            raise BackendUnavailable(
                "Le moteur PostgreSQL demande une base PostgreSQL : cette instance enregistre "
                f"ses données dans une base {store.dialect}."
            )
        url = store.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)

    def build() -> Summary:
        fleet = stored.stored_fleet(store, organisation)
        params = Parameters(reporting_year=reporting_year(organisation))
        ref = organisation_referential(store, organisation)
        con = connect(backend, url)
        try:
            return stored.summarise_stored(
                run_on_backend(fleet, ref, params, backend=con), organisation
            )
        finally:
            con.disconnect()

    summary: Summary = computations.run(("backend", organisation.id, backend), build)
    return summary


def device_fleet(organisation: Organisation, device: Device) -> pa.Table:
    """One stored device as a one-row fleet, computed as in the organisation's fleet (its
    country, else the organisation's)."""
    row = {name: getattr(device, name, None) for name in _fleet_names()}
    if row.get("country") is None:
        row["country"] = organisation.country
    return pa.Table.from_pylist([row], schema=_fleet_schema())


def device_impacts(
    store: Store, organisation: Organisation, device: Device
) -> list[dict[str, Any]]:
    """Impact rows of one device (criterion × phase), with the factor and source used: the
    device's share of the dashboard's footprint (same referential, hypotheses and year)."""
    ref = organisation_referential(store, organisation)
    fleet = device_fleet(organisation, device)
    footprint = compute(fleet, ref, Parameters(reporting_year=reporting_year(organisation)))
    rows: list[dict[str, Any]] = footprint.devices([device.asset_id]).to_pylist()
    return rows


def _fleet_schema() -> pa.Schema:
    from sobrenum.domain import FLEET_SCHEMA

    return FLEET_SCHEMA


def _fleet_names() -> list[str]:
    return list(_fleet_schema().names)


# --- imports in two steps ------------------------------------------------------------------


@dataclass(frozen=True)
class StagedReport:
    """What the upload step tells the user before anything is applied."""

    staged: StagedImport
    report: dict[str, Any]


safe_file_name = intake.safe_file_name


def read_staged(
    staged: StagedImport,
    organisation: Organisation,
    corrections: dict[str, str] | None = None,
) -> intake.Intake:
    """The staged file read through the import pipeline, with the user's column choices."""
    return intake.read_upload(
        staged.content,
        file_name=staged.file_name,
        organisation=organisation,
        inventory_date=staged.inventory_date,
        corrections=corrections if corrections is not None else staged_corrections(staged),
        referential=referential(),
    )


def staged_corrections(staged: StagedImport) -> dict[str, str] | None:
    """The column choices kept with a staged import (the wizard's mapping step)."""
    saved = (staged.report or {}).get("correspondance")
    return dict(saved) if isinstance(saved, dict) else None


def staged_source(staged: StagedImport) -> str | None:
    """The source chosen when the file was deposited (None: « principale »)."""
    name = (staged.report or {}).get("source")
    return name if isinstance(name, str) else None


def staged_scope(staged: StagedImport) -> Scope:
    scope = (staged.report or {}).get("perimetre")
    return Scope.from_json(scope if isinstance(scope, dict) else None)


def preview_out(preview: ImportPreview) -> dict[str, Any]:
    """An import preview as the API and the wizard show it."""
    return {
        "source": preview.source_name,
        "perimetre": preview.scope.describe(),
        "ajoutes": preview.added,
        "modifies": preview.changed,
        "sortis": preview.gone,
        "inchanges": preview.unchanged,
        "revenus": preview.returned,
        "repris_autre_source": preview.moved,
        "equipements_de_la_source": preview.scope_size,
        "part_sortie": round(preview.gone_share, 4),
        "seuil": GONE_CONFIRMATION_THRESHOLD,
        "confirmation_requise": preview.needs_confirmation,
        "message": preview.message(),
    }


def preview_staged(
    store: Store, organisation: Organisation, staged: StagedImport, read: intake.Intake
) -> ImportPreview:
    return intake.preview(
        store,
        organisation,
        read,
        inventory_date=staged.inventory_date,
        source=staged_source(staged),
        scope=staged_scope(staged),
    )


def outcome_of(summary: ImportSummary) -> dict[str, Any]:
    """What an applied import did, as kept with its staged import (the summary page)."""
    return {
        "message": summary.message(),
        "source": summary.source_name,
        "ajoutes": summary.added,
        "modifies": summary.changed,
        "sortis": summary.gone,
        "inchanges": summary.unchanged,
        "revenus": summary.returned,
        "refuses": summary.rejected,
        "total": summary.total,
        "deja_importe": summary.already_imported,
        "champs_modifies": summary.changed_field_counts,
        "import_id": summary.import_id,
    }


def _report(result: ImportResult, file_name: str) -> dict[str, Any]:
    issues = [
        {
            "ligne": issue.line,
            "equipement": issue.asset_id,
            "colonne": issue.column,
            "gravite": "erreur" if issue.severity == "error" else "avertissement",
            "valeur": issue.value,
            "message": issue.reason,
        }
        for issue in result.issues[:MAX_ISSUES_IN_REPORT]
    ]
    return {
        "fichier": file_name,
        "resume": result.summary(),
        "lignes_lues": result.rows_read,
        "lignes_acceptees": result.rows_accepted,
        "lignes_refusees": result.rows_rejected,
        "avertissements": len(result.warnings),
        "lignes_ignorees": len(result.skipped_lines),
        "equipements": result.devices,
        "problemes": issues,
        "problemes_tronques": len(result.issues) > MAX_ISSUES_IN_REPORT,
    }


def stage_import(
    store: Store,
    organisation: Organisation,
    *,
    user_id: int,
    actor: str,
    file_name: str,
    content: bytes,
    inventory_date: dt.date,
    source: str | None = None,
    scope: Scope | None = None,
) -> StagedReport:
    """Read and validate an uploaded file; keep it, unapplied, with its report and preview.

    An inventory older than its source's latest is refused at once; the source's remembered
    column choices (from its previous import) are applied.
    """
    name = safe_file_name(file_name)
    if not content:
        raise SobrenumError(f"Le fichier {name} est vide.")
    source_name = clean_source_name(source)
    check_order(store, organisation.id, source_name, inventory_date)
    corrections = intake.remembered_corrections(store, organisation, source_name)
    read = intake.read_upload(
        content,
        file_name=name,
        organisation=organisation,
        inventory_date=inventory_date,
        corrections=corrections,
        referential=referential(),
    )
    report = _report(read.result, name)
    report["source"] = source_name
    if scope is not None and scope.as_json():
        report["perimetre"] = scope.as_json()
    if corrections:
        report["correspondance"] = corrections
    previous = find_import(store, organisation.id, read.file_sha256)
    if previous is not None:
        report["deja_importe"] = {
            "import_id": previous.id,
            "date_inventaire": previous.inventory_date.isoformat(),
        }
    elif read.result.rows_accepted:
        preview = intake.preview(
            store,
            organisation,
            read,
            inventory_date=inventory_date,
            source=source_name,
            scope=scope,
        )
        report["apercu"] = preview_out(preview)
    staged = add_staged(
        store,
        organisation_id=organisation.id,
        user_id=user_id,
        file_name=name,
        file_sha256=read.file_sha256,
        inventory_date=inventory_date,
        content=content,
        report=report,
        actor=actor,
        accepted=read.result.rows_accepted,
        rejected=read.result.rows_rejected,
    )
    return StagedReport(staged, report)


def apply_staged(
    store: Store,
    organisation: Organisation,
    staged: StagedImport,
    *,
    actor: str,
    confirm_gone: bool = False,
) -> ImportSummary:
    """Apply a staged import to the fleet, all or nothing; idempotent.

    The file is read again through the import pipeline, with the column choices, source and
    scope kept with it. The staged import's status, import and outcome are written in the
    import's own transaction. Applied twice (a double click, two requests at once), it
    answers both times what the one import did.
    """
    if staged.status == "abandoned":
        raise StagedImportStateError(f"Cet import ({staged.file_name}) est abandonné.")
    if staged.status == "applied" and staged.import_id is not None:
        done = import_summary(store, organisation.id, staged.import_id)
        if done is not None:
            return done
    read = read_staged(staged, organisation)
    mark = MarkApplied(staged.id, outcome_of)
    summary = intake.apply(
        store,
        organisation,
        read,
        inventory_date=staged.inventory_date,
        actor=actor,
        source=staged_source(staged),
        scope=staged_scope(staged),
        confirm_gone=confirm_gone,
        corrections=staged_corrections(staged),
        on_applied=mark,
    )
    if not mark.first:  # applied meanwhile by another request: answer what that one did
        return import_summary(store, organisation.id, summary.import_id) or summary
    return summary
