"""``/api/v1/collectivites/{id}/imports``: upload an inventory file, read its validation
report, then apply it (all or nothing) or abandon it."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, File, Form, HTTPException, Query, Request, UploadFile, status
from starlette.concurrency import run_in_threadpool

from sobrenum.domain import InvalidDataError, SobrenumError
from sobrenum.store import (
    ImportFailedError,
    ImportRefusedError,
    Scope,
    UndoRefusedError,
    list_imports,
    list_sources,
    undo_import,
)
from sobrenum.store.staged import (
    StagedImportStateError,
    abandon_staged,
    get_staged,
    list_staged,
)
from sobrenum.store.users import StagedImport
from sobrenum.web.api.common import ERRORS, PREFIX, IdPath
from sobrenum.web.api.schemas import (
    AppliedImportOut,
    ImportOut,
    StagedImportOut,
    UndoneImportOut,
)
from sobrenum.web.deps import EditorDep, ReaderDep, StoreDep, not_found
from sobrenum.web.services import (
    apply_staged,
    stage_import,
)
from sobrenum.web.settings import Settings

router = APIRouter(prefix=f"{PREFIX}/collectivites", tags=["imports"], responses=ERRORS)


def staged_out(staged: StagedImport) -> StagedImportOut:
    return StagedImportOut(
        id=staged.id,
        fichier=staged.file_name,
        sha256=staged.file_sha256,
        date_inventaire=staged.inventory_date,
        statut=staged.status,  # type: ignore[arg-type]
        cree_le=staged.created_at,
        import_id=staged.import_id,
        rapport=staged.report or {},
    )


@router.get("/{organisation_id}/imports", summary="Imports appliqués")
def applied(access: ReaderDep, store: StoreDep) -> list[ImportOut]:
    """Les inventaires appliqués au parc, du plus ancien au plus récent."""
    names = {s.id: s.name for s in list_sources(store, access.organisation_id)}
    return [
        ImportOut(
            id=i.id,
            source=names.get(i.source_id, ""),
            fichier=i.file_name,
            date_inventaire=i.inventory_date,
            importe_le=i.imported_at,
            importe_par=i.imported_by,
            ajoutes=i.added_count,
            modifies=i.changed_count,
            sortis=i.gone_count,
            inchanges=i.unchanged_count,
            rejetes=i.rejected_count,
        )
        for i in list_imports(store, access.organisation_id)
    ]


@router.get("/{organisation_id}/imports/depots", summary="Fichiers déposés")
def staged_list(access: EditorDep, store: StoreDep) -> list[StagedImportOut]:
    """Les derniers fichiers déposés (en attente, appliqués ou abandonnés)."""
    return [staged_out(s) for s in list_staged(store, access.organisation_id)]


@router.post(
    "/{organisation_id}/imports/depots",
    status_code=status.HTTP_201_CREATED,
    summary="Déposer un inventaire",
    responses={413: ERRORS[422] | {"description": "Fichier trop volumineux."}},
)
async def upload(
    request: Request,
    access: EditorDep,
    store: StoreDep,
    fichier: Annotated[
        UploadFile, File(description="Inventaire : CSV, XLSX, ODS, XLS, export GLPI…")
    ],
    date_inventaire: Annotated[
        dt.date | None, Form(description="Date de l'inventaire (aujourd'hui par défaut).")
    ] = None,
    source: Annotated[
        str | None,
        Form(
            max_length=200,
            description="Source de l'inventaire (créée au premier import ; « principale » "
            "par défaut). L'import ne fait sortir du parc que des équipements de sa source.",
        ),
    ] = None,
    sites: Annotated[
        list[str] | None,
        Form(description="Sites que couvre le fichier (les autres ne sortent pas du parc)."),
    ] = None,
    categories: Annotated[
        list[str] | None,
        Form(description="Catégories que couvre le fichier (codes, ex. laptop)."),
    ] = None,
) -> StagedImportOut:
    """Lit et contrôle le fichier sans rien modifier au parc ; renvoie le rapport de validation
    (lignes refusées avec leur raison). Appliquez-le ensuite avec `…/appliquer`."""
    settings: Settings = request.app.state.settings
    content = await fichier.read(settings.max_upload_bytes + 1)
    if len(content) > settings.max_upload_bytes:
        raise HTTPException(
            status.HTTP_413_CONTENT_TOO_LARGE,
            f"Fichier trop volumineux : {settings.max_upload_bytes // (1024 * 1024)} Mo au plus.",
        )
    day = date_inventaire or dt.date.today()
    if day > dt.date.today() + dt.timedelta(days=1):
        raise SobrenumError(f"La date d'inventaire {day:%d/%m/%Y} est dans le futur.")
    staged = await run_in_threadpool(
        stage_import,
        store,
        access.organisation,
        user_id=access.user.id,
        actor=access.user.actor,
        file_name=fichier.filename or "inventaire",
        content=content,
        inventory_date=day,
        source=source,
        scope=Scope.of(categories, sites),
    )
    return staged_out(staged.staged)


def _staged_or_404(store: StoreDep, organisation_id: int, staged_id: int) -> StagedImport:
    staged = get_staged(store, organisation_id, staged_id)
    if staged is None:
        raise not_found("Dépôt introuvable pour cette collectivité.")
    return staged


@router.get("/{organisation_id}/imports/depots/{depot_id}", summary="Rapport d'un dépôt")
def staged_one(depot_id: IdPath, access: EditorDep, store: StoreDep) -> StagedImportOut:
    """Le rapport de validation d'un fichier déposé."""
    return staged_out(_staged_or_404(store, access.organisation_id, depot_id))


@router.post(
    "/{organisation_id}/imports/depots/{depot_id}/appliquer",
    summary="Appliquer un dépôt",
    responses={409: ERRORS[422] | {"description": "Import refusé (déjà appliqué, plus ancien…)."}},
)
def apply(
    depot_id: IdPath,
    access: EditorDep,
    store: StoreDep,
    confirmer_sorties: Annotated[
        bool,
        Query(
            description="Appliquer même si plus du seuil de l'aperçu (25 %) des équipements "
            "de la source sortiraient du parc ; sinon l'import est refusé (409)."
        ),
    ] = False,
) -> AppliedImportOut:
    """Applique le fichier déposé au parc, en entier ou pas du tout."""
    staged = _staged_or_404(store, access.organisation_id, depot_id)
    try:
        summary = apply_staged(
            store,
            access.organisation,
            staged,
            actor=access.user.actor,
            confirm_gone=confirmer_sorties,
        )
    except (StagedImportStateError, ImportRefusedError) as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc
    except (InvalidDataError, ImportFailedError) as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from exc
    return AppliedImportOut(
        import_id=summary.import_id,
        source=summary.source_name,
        fichier=summary.file_name,
        date_inventaire=summary.inventory_date,
        ajoutes=summary.added,
        modifies=summary.changed,
        sortis=summary.gone,
        inchanges=summary.unchanged,
        rejetes=summary.rejected,
        revenus=summary.returned,
        deja_importe=summary.already_imported,
        message=summary.message(),
    )


@router.post(
    "/{organisation_id}/imports/depots/{depot_id}/abandonner",
    summary="Abandonner un dépôt",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={409: ERRORS[422] | {"description": "Dépôt déjà appliqué ou abandonné."}},
)
def abandon(depot_id: IdPath, access: EditorDep, store: StoreDep) -> None:
    """Abandonne un fichier déposé sans l'appliquer."""
    staged = _staged_or_404(store, access.organisation_id, depot_id)
    try:
        abandon_staged(store, staged, actor=access.user.actor)
    except StagedImportStateError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc


@router.post(
    "/{organisation_id}/imports/annuler",
    summary="Annuler le dernier import d'une source",
    responses={409: ERRORS[422] | {"description": "Rien à annuler, ou import repris depuis."}},
)
def undo(
    access: EditorDep,
    store: StoreDep,
    source: Annotated[
        str | None,
        Query(max_length=200, description="Source (« principale » par défaut)."),
    ] = None,
) -> UndoneImportOut:
    """Annule le dernier import de la source : le parc et son historique redeviennent ce
    qu'ils étaient ; le même fichier peut ensuite être importé de nouveau."""
    try:
        done = undo_import(store, access.organisation_id, source=source, actor=access.user.actor)
    except UndoRefusedError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc
    return UndoneImportOut(
        import_id=done.import_id,
        source=done.source_name,
        fichier=done.file_name,
        date_inventaire=done.inventory_date,
        retires=done.removed,
        restaures=done.restored,
        message=done.message(),
    )
