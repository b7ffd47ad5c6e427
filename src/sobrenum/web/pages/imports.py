"""The import wizard: upload → column mapping the user can correct → validation report
(downloadable CSV/XLSX) → confirm → summary of the devices added, changed and gone.

The uploaded file is kept as a staged import (``services.stage_import``) until it is applied
or abandoned; the user's corrections of the mapping are kept with it (``correspondance`` in
its report) and used both by the validation report and by the import itself.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile, status
from fastapi.responses import RedirectResponse, Response

from sobrenum import intake
from sobrenum.domain import FIELDS, SobrenumError
from sobrenum.domain.equipment import REQUIRED_FIELDS
from sobrenum.inventory import MappingProposal, write_report_csv, write_report_xlsx
from sobrenum.inventory.mapping import AUXILIARY_FIELDS, CONFIDENT
from sobrenum.store import (
    GONE_CONFIRMATION_THRESHOLD,
    GoneConfirmationRequired,
    ImportRefusedError,
    Scope,
    last_import_of_source,
    last_used_source,
    list_imports,
    list_sources,
    undo_import,
)
from sobrenum.store.staged import abandon_staged, get_staged, update_report
from sobrenum.store.users import StagedImport
from sobrenum.web.deps import EditorDep, StoreDep, not_found
from sobrenum.web.downloads import attachment
from sobrenum.web.labels import field_label
from sobrenum.web.pages.common import IdPath, date_fr, organisation_context
from sobrenum.web.services import (
    apply_staged,
    preview_out,
    preview_staged,
    read_staged,
    safe_file_name,
    stage_import,
    staged_source,
)
from sobrenum.web.templating import render

router = APIRouter(include_in_schema=False)

ISSUES_SHOWN = 200
IGNORE = ""


def field_choices() -> list[tuple[str, str]]:
    choices = [(f.code, field_label(f.code)) for f in FIELDS]
    choices += [(code, label) for code, label in AUXILIARY_FIELDS.items()]
    return choices


def _split(value: str) -> list[str]:
    return [v for v in (part.strip() for part in value.split(",")) if v]


def _staged_or_404(store: Any, organisation_id: int, staged_id: int) -> StagedImport:
    staged = get_staged(store, organisation_id, staged_id)
    if staged is None:
        raise not_found("Import introuvable pour cette collectivité.")
    return staged


def _step_url(request: Request, name: str, organisation_id: int, staged_id: int) -> str:
    return str(request.url_for(name, organisation_id=organisation_id, staged_id=staged_id))


def _start_page(
    request: Request,
    access: Any,
    store: Any,
    *,
    error: str | None = None,
    date: str | None = None,
    source: str | None = None,
    notice: str | None = None,
    status_code: int = 200,
) -> Response:
    context = organisation_context(access, "import")
    sources = list_sources(store, access.organisation_id)
    last = last_used_source(store, access.organisation_id)
    context.update(
        error=error,
        notice=notice,
        date=date or dt.date.today().isoformat(),
        imports=list(reversed(list_imports(store, access.organisation_id)))[:10],
        source_names={s.id: s.name for s in sources},
        sources=[
            (s, last_import_of_source(store, access.organisation_id, s.name)) for s in sources
        ],
        chosen_source=source or (last.name if last else ""),
        date_fr=date_fr,
        max_megabytes=request.app.state.settings.max_upload_bytes // (1024 * 1024),
    )
    return render(request, "pages/import_start.html", context, status_code=status_code)


@router.get("/collectivites/{organisation_id}/import", name="import_start")
def import_start(request: Request, access: EditorDep, store: StoreDep) -> Response:
    return _start_page(request, access, store)


@router.post("/collectivites/{organisation_id}/import", name="import_upload")
async def import_upload(
    request: Request,
    access: EditorDep,
    store: StoreDep,
    fichier: Annotated[UploadFile | None, File()] = None,
    date_inventaire: Annotated[str, Form(max_length=20)] = "",
    source: Annotated[str, Form(max_length=200)] = "",
    nouvelle_source: Annotated[str, Form(max_length=200)] = "",
    sites: Annotated[str, Form(max_length=2000)] = "",
    categories: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    from starlette.concurrency import run_in_threadpool

    chosen_source = nouvelle_source.strip() or source.strip() or None
    scope = Scope.of(_split(categories), _split(sites))

    try:
        inventory_date = dt.date.fromisoformat(date_inventaire.strip())
    except ValueError:
        return _start_page(
            request,
            access,
            store,
            error="Date de l'inventaire invalide : indiquez une date au format JJ/MM/AAAA.",
            date=date_inventaire,
            status_code=422,
        )
    if fichier is None or not fichier.filename:
        return _start_page(
            request,
            access,
            store,
            error="Aucun fichier choisi : sélectionnez le classeur ou le CSV de l'inventaire.",
            date=date_inventaire,
            status_code=422,
        )
    limit = request.app.state.settings.max_upload_bytes
    content = await fichier.read(limit + 1)
    if len(content) > limit:
        return _start_page(
            request,
            access,
            store,
            error=f"Le fichier {fichier.filename} dépasse la taille maximale "
            f"({limit // (1024 * 1024)} Mo).",
            date=date_inventaire,
            status_code=413,
        )
    try:
        staged = await run_in_threadpool(
            lambda: (
                stage_import(
                    store,
                    access.organisation,
                    user_id=access.user.id,
                    actor=access.user.actor,
                    file_name=fichier.filename or "inventaire",
                    content=content,
                    inventory_date=inventory_date,
                    source=chosen_source,
                    scope=scope,
                ).staged
            )
        )
    except SobrenumError as exc:
        return _start_page(
            request,
            access,
            store,
            error=str(exc),
            date=date_inventaire,
            source=chosen_source,
            status_code=409 if isinstance(exc, ImportRefusedError) else 422,
        )
    return RedirectResponse(
        _step_url(request, "import_mapping", access.organisation_id, staged.id),
        status.HTTP_303_SEE_OTHER,
    )


def _pending_or_redirect(request: Request, staged: StagedImport) -> Response | None:
    if staged.status == "applied":
        return RedirectResponse(
            _step_url(request, "import_summary", staged.organisation_id, staged.id),
            status.HTTP_303_SEE_OTHER,
        )
    if staged.status != "pending":
        return RedirectResponse(
            str(request.url_for("import_start", organisation_id=staged.organisation_id)),
            status.HTTP_303_SEE_OTHER,
        )
    return None


def _mapping_page(
    request: Request,
    access: Any,
    staged: StagedImport,
    proposal: MappingProposal,
    *,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    context = organisation_context(access, "import")
    context.update(
        staged=staged,
        matches=list(enumerate(proposal.matches)),
        choices=field_choices(),
        missing=[f.label_fr for f in FIELDS if f.code in proposal.missing_required],
        required=[c for c in REQUIRED_FIELDS if c != "asset_id"],
        confident=CONFIDENT,
        error=error,
        step=2,
    )
    return render(request, "pages/import_mapping.html", context, status_code=status_code)


@router.get("/collectivites/{organisation_id}/import/{staged_id}", name="import_mapping")
def import_mapping(
    request: Request, access: EditorDep, store: StoreDep, staged_id: IdPath
) -> Response:
    staged = _staged_or_404(store, access.organisation_id, staged_id)
    redirect = _pending_or_redirect(request, staged)
    if redirect is not None:
        return redirect
    proposal = read_staged(staged, access.organisation).proposal
    return _mapping_page(request, access, staged, proposal)


@router.post("/collectivites/{organisation_id}/import/{staged_id}", name="import_mapping_save")
async def import_mapping_save(
    request: Request, access: EditorDep, store: StoreDep, staged_id: IdPath
) -> Response:
    staged = _staged_or_404(store, access.organisation_id, staged_id)
    redirect = _pending_or_redirect(request, staged)
    if redirect is not None:
        return redirect
    form = await request.form()
    proposal = read_staged(staged, access.organisation, corrections={}).proposal
    valid = {code for code, _ in field_choices()}
    corrections: dict[str, str] = {}
    chosen_by: dict[str, list[str]] = {}
    for index, match in enumerate(proposal.matches):
        value = form.get(f"colonne-{index}")
        code = value if isinstance(value, str) else IGNORE
        if code and code not in valid:
            code = IGNORE
        corrections[match.source] = code
        if code:
            chosen_by.setdefault(code, []).append(match.source)
    labels = dict(field_choices())
    doubles = {code: sources for code, sources in chosen_by.items() if len(sources) > 1}
    corrected = intake.corrected(proposal, corrections)
    if doubles:
        code, sources = next(iter(doubles.items()))
        names = " et ".join(f"« {s} »" for s in sources)
        return _mapping_page(
            request,
            access,
            staged,
            corrected,
            error=f"Le champ {labels[code]} est choisi pour plusieurs colonnes ({names}) : "
            "gardez-le pour une seule colonne.",
            status_code=422,
        )
    missing = [c for c in REQUIRED_FIELDS if c != "asset_id" and c not in chosen_by]
    if missing:
        return _mapping_page(
            request,
            access,
            staged,
            corrected,
            error="Champ obligatoire sans colonne : "
            + ", ".join(labels[c] for c in missing)
            + ". Choisissez la colonne qui le contient.",
            status_code=422,
        )
    update_report(store, staged.id, correspondance=corrections)
    return RedirectResponse(
        _step_url(request, "import_check", access.organisation_id, staged.id),
        status.HTTP_303_SEE_OTHER,
    )


@router.get("/collectivites/{organisation_id}/import/{staged_id}/controle", name="import_check")
def import_check(
    request: Request,
    access: EditorDep,
    store: StoreDep,
    staged_id: IdPath,
) -> Response:
    staged = _staged_or_404(store, access.organisation_id, staged_id)
    redirect = _pending_or_redirect(request, staged)
    if redirect is not None:
        return redirect
    return _check_page(request, access, store, staged)


def _check_page(
    request: Request,
    access: Any,
    store: Any,
    staged: StagedImport,
    *,
    error: str | None = None,
    confirm_error: bool = False,
    status_code: int = 200,
) -> Response:
    read = read_staged(staged, access.organisation)
    result = read.result
    preview: dict[str, Any] | None = None
    already = (staged.report or {}).get("deja_importe")
    if result.rows_accepted and not already:
        try:
            preview = preview_out(preview_staged(store, access.organisation, staged, read))
        except SobrenumError as exc:
            error = error or str(exc)
    issues = sorted(result.issues, key=lambda i: i.line or 0)
    context = organisation_context(access, "import")
    context.update(
        staged=staged,
        result=result,
        preview=preview,
        source_name=staged_source(staged) or "principale",
        threshold=f"{GONE_CONFIRMATION_THRESHOLD:.0%}".replace("%", " %"),
        confirm_error=confirm_error,
        errors=[i for i in issues if i.severity == "error"][:ISSUES_SHOWN],
        warnings=[i for i in issues if i.severity != "error"][:ISSUES_SHOWN],
        issues_shown=ISSUES_SHOWN,
        already=already,
        date_fr=date_fr,
        error=error,
        step=3,
    )
    return render(request, "pages/import_check.html", context, status_code=status_code)


@router.get(
    "/collectivites/{organisation_id}/import/{staged_id}/rapport.{extension}",
    name="import_report",
)
def import_report(
    access: EditorDep, store: StoreDep, staged_id: IdPath, extension: str
) -> Response:
    if extension not in ("csv", "xlsx"):
        raise not_found("Format de rapport inconnu : choisissez csv ou xlsx.")
    staged = _staged_or_404(store, access.organisation_id, staged_id)
    if staged.status != "pending":
        raise not_found(
            "Le fichier de cet import n'est plus conservé : le rapport n'est plus disponible."
        )
    result = read_staged(staged, access.organisation).result
    stem = Path(safe_file_name(staged.file_name)).stem
    with tempfile.TemporaryDirectory(prefix="sobrenum-rapport-") as folder:
        path = Path(folder) / f"rapport.{extension}"
        if extension == "csv":
            write_report_csv(result, path)
            media = "text/csv; charset=utf-8"
        else:
            write_report_xlsx(result, path)
            media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        body = path.read_bytes()
    return attachment(
        store, access, "rejects_report", body, file_name=f"rapport-{stem}.{extension}",
        media_type=media, details={"staged_id": staged_id, "issues": len(result.issues)},
    )  # fmt: skip


@router.post("/collectivites/{organisation_id}/import/{staged_id}/confirmer", name="import_confirm")
def import_confirm(
    request: Request,
    access: EditorDep,
    store: StoreDep,
    staged_id: IdPath,
    confirmer_sorties: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    staged = _staged_or_404(store, access.organisation_id, staged_id)
    redirect = _pending_or_redirect(request, staged)
    if redirect is not None:
        return redirect
    try:
        apply_staged(
            store,
            access.organisation,
            staged,
            actor=access.user.actor,
            confirm_gone=bool(confirmer_sorties),
        )
    except GoneConfirmationRequired as exc:
        return _check_page(
            request, access, store, staged, error=str(exc), confirm_error=True, status_code=409
        )
    except SobrenumError as exc:
        return _check_page(request, access, store, staged, error=str(exc), status_code=409)
    return RedirectResponse(
        _step_url(request, "import_summary", access.organisation_id, staged.id),
        status.HTTP_303_SEE_OTHER,
    )


@router.post("/collectivites/{organisation_id}/annuler-import", name="import_undo")
def import_undo(
    request: Request,
    access: EditorDep,
    store: StoreDep,
    source: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    try:
        summary = undo_import(
            store, access.organisation_id, source=source or None, actor=access.user.actor
        )
    except SobrenumError as exc:
        return _start_page(request, access, store, error=str(exc), status_code=409)
    return _start_page(request, access, store, notice=summary.message(), source=summary.source_name)


@router.post(
    "/collectivites/{organisation_id}/import/{staged_id}/abandonner", name="import_abandon"
)
def import_abandon(
    request: Request, access: EditorDep, store: StoreDep, staged_id: IdPath
) -> Response:
    staged = _staged_or_404(store, access.organisation_id, staged_id)
    if staged.status == "pending":
        abandon_staged(store, staged, actor=access.user.actor)
    return RedirectResponse(
        str(request.url_for("import_start", organisation_id=access.organisation_id)),
        status.HTTP_303_SEE_OTHER,
    )


@router.get("/collectivites/{organisation_id}/import/{staged_id}/resume", name="import_summary")
def import_summary(
    request: Request, access: EditorDep, store: StoreDep, staged_id: IdPath
) -> Response:
    staged = _staged_or_404(store, access.organisation_id, staged_id)
    outcome = (staged.report or {}).get("resultat")
    if staged.status != "applied" or not isinstance(outcome, dict):
        return RedirectResponse(
            _step_url(request, "import_mapping", access.organisation_id, staged.id),
            status.HTTP_303_SEE_OTHER,
        )
    labels = {f.code: f.label_fr for f in FIELDS}
    context = organisation_context(access, "import")
    context.update(staged=staged, outcome=outcome, field_labels=labels, date_fr=date_fr, step=4)
    return render(request, "pages/import_summary.html", context)
