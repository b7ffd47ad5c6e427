"""What the API and the pages both do: footprints (cached), device drill-down, imports in two
steps (upload → validation report → apply). Nothing here knows about HTTP.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from sobrenum.domain import SobrenumError
from sobrenum.engine import Parameters, compute, uncertainty
from sobrenum.engine.backends import BackendName, connect, run_on_backend
from sobrenum.inventory import ImportResult, load_inventory
from sobrenum.referential import Referential, load
from sobrenum.referential.hypotheses import apply_hypotheses
from sobrenum.reporting import Summary, summarise
from sobrenum.reporting.annual import report_from_store
from sobrenum.reporting.council import CouncilReport, council_pdf_bytes, render_council_html
from sobrenum.reporting.snapshots import YearResult, freeze
from sobrenum.reporting.summary import UncertaintySummary, summarise_uncertainty
from sobrenum.store import (
    ImportSummary,
    Organisation,
    Store,
    apply_import,
    current_fleet,
    find_import,
)
from sobrenum.store.fleet import fleet_version
from sobrenum.store.hypotheses import get_hypotheses
from sobrenum.store.imports import import_summary
from sobrenum.store.models import Device
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
    return apply_hypotheses(referential(), get_hypotheses(store, organisation.id))


def reporting_year(organisation: Organisation) -> int:
    return organisation.reporting_year or dt.date.today().year - 1


def organisation_fleet(store: Store, organisation: Organisation) -> pa.Table:
    """The organisation's current fleet; devices without a country take the organisation's."""
    fleet = current_fleet(store, organisation.id)
    if organisation.country and "country" in fleet.column_names:
        index = fleet.column_names.index("country")
        filled = pc.fill_null(fleet.column("country"), pa.scalar(organisation.country, pa.string()))
        fleet = fleet.set_column(index, "country", filled)
    return fleet


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
        fleet = organisation_fleet(store, organisation)
        params = Parameters(reporting_year=reporting_year(organisation))
        footprint = compute(fleet, organisation_referential(store, organisation), params)
        return summarise(
            footprint, organisation.name, organisation.staff_count, organisation.population
        )

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
        fleet = organisation_fleet(store, organisation)
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
        digest = hashlib.sha256(render_council_html(report).encode("utf-8")).hexdigest()
        with _pdf_lock:
            if digest in _pdf_cache:
                _pdf_cache.move_to_end(digest)
                return _pdf_cache[digest]
        pdf = council_pdf_bytes(report)
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
        fleet = organisation_fleet(store, organisation)
        params = Parameters(reporting_year=reporting_year(organisation))
        con = connect(backend, url)
        try:
            footprint = run_on_backend(fleet, referential(), params, backend=con)
            return summarise(
                footprint, organisation.name, organisation.staff_count, organisation.population
            )
        finally:
            con.disconnect()

    summary: Summary = computations.run(("backend", organisation.id, backend), build)
    return summary


def device_impacts(organisation: Organisation, device: Device) -> list[dict[str, Any]]:
    """Impact rows of one device (criterion × phase), with the factor and source used."""
    ref = referential()
    row = {name: getattr(device, name, None) for name in _fleet_names()}
    fleet = pa.Table.from_pylist([row], schema=_fleet_schema())
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


_SAFE_NAME = re.compile(r"[^A-Za-z0-9._ -]+")


def safe_file_name(name: str) -> str:
    base = Path(name.replace("\\", "/")).name.strip() or "inventaire"
    return _SAFE_NAME.sub("_", base)[:200]


def _read(content: bytes, file_name: str, organisation: Organisation) -> ImportResult:
    suffix = Path(safe_file_name(file_name)).suffix.lower()
    with tempfile.TemporaryDirectory(prefix="sobrenum-upload-") as folder:
        path = Path(folder) / f"inventaire{suffix}"
        path.write_bytes(content)
        return load_inventory(path, reporting_year(organisation), referential().default_lifetimes())


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
) -> StagedReport:
    """Read and validate an uploaded file; keep it, unapplied, with its report."""
    name = safe_file_name(file_name)
    if not content:
        raise SobrenumError(f"Le fichier {name} est vide.")
    sha = hashlib.sha256(content).hexdigest()
    previous = find_import(store, organisation.id, sha)
    result = _read(content, name, organisation)
    report = _report(result, name)
    if previous is not None:
        report["deja_importe"] = {
            "import_id": previous.id,
            "date_inventaire": previous.inventory_date.isoformat(),
        }
    staged = add_staged(
        store,
        organisation_id=organisation.id,
        user_id=user_id,
        file_name=name,
        file_sha256=sha,
        inventory_date=inventory_date,
        content=content,
        report=report,
        actor=actor,
        accepted=result.rows_accepted,
        rejected=result.rows_rejected,
    )
    return StagedReport(staged, report)


def apply_staged(
    store: Store,
    organisation: Organisation,
    staged: StagedImport,
    *,
    actor: str,
    read: Callable[[StagedImport], tuple[pa.Table, int]] | None = None,
    outcome: Callable[[ImportSummary], dict[str, Any]] | None = None,
) -> ImportSummary:
    """Apply a staged import to the fleet, all or nothing; idempotent.

    The file is read again (``read`` gives the fleet and the number of refused rows; by
    default the file as uploaded, without column corrections). The staged import's status,
    import and ``outcome`` are written in the import's own transaction. Applied twice (a
    double click, two requests at once), it answers both times what the one import did.
    """
    if staged.status == "abandoned":
        raise StagedImportStateError(f"Cet import ({staged.file_name}) est abandonné.")
    if staged.status == "applied" and staged.import_id is not None:
        done = import_summary(store, organisation.id, staged.import_id)
        if done is not None:
            return done
    if read is None:
        result = _read(staged.content, staged.file_name, organisation)
        fleet, rejected = result.fleet, result.rows_rejected
    else:
        fleet, rejected = read(staged)
    mark = MarkApplied(staged.id, outcome)
    summary = apply_import(
        store,
        organisation.id,
        fleet,
        file_sha256=staged.file_sha256,
        file_name=staged.file_name,
        inventory_date=staged.inventory_date,
        rejected=rejected,
        actor=actor,
        on_applied=mark,
    )
    if not mark.first:  # applied meanwhile by another request: answer what that one did
        return import_summary(store, organisation.id, summary.import_id) or summary
    return summary
