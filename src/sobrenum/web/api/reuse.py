"""``/api/v1/collectivites/{id}/reemploi``: the reuse register (exits, wipes, donations,
ressourcerie, beneficiaries), its rates, the AGEC declaration and the PDF documents.

Readers see the register and its indicators; editors record; beneficiaries (even reduced to
initials) are shown to editors and above only. Every rule is the domain service's
(:mod:`sobrenum.reuse.register`): a device holding data is refused without a wipe (409).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, HTTPException, Query, status
from fastapi import Path as PathParam
from fastapi.responses import Response
from pydantic import BaseModel, Field

from sobrenum.reuse import NotFoundError, ReuseError, WipeRequiredError, agec, register
from sobrenum.reuse.avoided import avoided_impacts
from sobrenum.reuse.documents import donation_agreement_pdf, wipe_certificate_pdf
from sobrenum.reuse.inclusion import donations_export_csv, inclusion_indicators
from sobrenum.reuse.rates import reuse_rate
from sobrenum.store.reuse_tables import ReuseExit, ReuseItem, ReuseWipe
from sobrenum.web.api.common import ERRORS, FIRST_YEAR, LAST_YEAR, PREFIX, IdPath
from sobrenum.web.deps import EditorDep, ReaderDep, StoreDep
from sobrenum.web.downloads import attachment
from sobrenum.web.services import referential

router = APIRouter(prefix=f"{PREFIX}/collectivites", tags=["réemploi"], responses=ERRORS)

T = TypeVar("T")
Year = Annotated[
    int | None, Query(alias="annee", ge=FIRST_YEAR, le=LAST_YEAR, description="Année.")
]
Short = Annotated[str | None, Field(default=None, max_length=200)]


@contextmanager
def _domain() -> Iterator[None]:
    """Domain refusals as HTTP errors: 404 not found, 409 wipe missing, 400 other rules."""
    try:
        yield
    except NotFoundError as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from exc
    except WipeRequiredError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc
    except ReuseError as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(exc)) from exc


def _call(work: Callable[[], T]) -> T:
    with _domain():
        return work()


def _year(value: int | None) -> int:
    return value if value is not None else dt.date.today().year - 1


# --- Schemas -----------------------------------------------------------------------------


class ExitIn(BaseModel):
    asset_id: str = Field(min_length=1, max_length=200)
    destination: str = Field(
        max_length=40, description="internal_reuse, public_transfer, donation, sale, …"
    )
    date: dt.date
    receiver_kind: Short = None
    receiver_name: Short = None
    beneficiary_id: int | None = Field(default=None, ge=1)
    condition: str = Field(default="unknown", max_length=20)
    weight_kg: float | None = Field(default=None, ge=0)
    price_eur: float | None = Field(default=None, ge=0)
    classified: bool = False
    notes: str | None = Field(default=None, max_length=2000)


class ExitOut(BaseModel):
    id: int
    asset_id: str
    category: str
    quantity: int
    acquisition_date: dt.date | None
    exit_date: dt.date
    destination: str
    receiver_kind: str | None
    receiver_name: str | None
    beneficiary_id: int | None
    condition: str
    weight_kg: float | None
    price_eur: float | None
    classified: bool
    wipe_id: int | None
    created_by: str


class WipeIn(BaseModel):
    asset_id: str | None = Field(default=None, max_length=200)
    item_reference: str | None = Field(default=None, max_length=40)
    method: str = Field(max_length=20, description="clear, purge ou destroy (NIST SP 800-88).")
    tool: str = Field(min_length=1, max_length=200)
    operator: str = Field(min_length=1, max_length=200)
    date: dt.date
    certificate_ref: Short = None
    notes: str | None = Field(default=None, max_length=2000)


class WipeOut(BaseModel):
    id: int
    subject: str
    subject_ref: str
    category: str
    method: str
    tool: str
    operator: str
    wiped_on: dt.date
    certificate_ref: str | None
    created_by: str


class BeneficiaryIn(BaseModel):
    initials: str = Field(min_length=1, max_length=12)
    public_type: str = Field(max_length=30)
    postcode: str | None = Field(default=None, max_length=5)


class BeneficiaryOut(BaseModel):
    id: int
    initials: str
    public_type: str
    postcode: str | None


class IntakeIn(BaseModel):
    category: str = Field(max_length=40)
    origin: str = Field(max_length=20)
    date: dt.date
    origin_name: Short = None
    collection_point: Short = None
    description: str | None = Field(default=None, max_length=2000)
    weight_kg: float | None = Field(default=None, ge=0)


class StepIn(BaseModel):
    outcome: str | None = Field(default=None, max_length=20, description="Résultat du tri.")
    work: str | None = Field(default=None, max_length=2000)
    date: dt.date | None = None
    beneficiary_id: int | None = Field(default=None, ge=1)
    receiver_kind: Short = None
    receiver_name: Short = None


class ItemOut(BaseModel):
    id: int
    reference: str
    category: str
    origin: str
    collection_point: str | None
    intake_date: dt.date
    status: str
    weight_kg: float | None
    closed_on: dt.date | None


class RateOut(BaseModel):
    annee: int
    reemployes: int = Field(description="A : équipements envoyés au réemploi dans l'année.")
    reformes_en_stock: int = Field(description="B : équipements réformés en stock au 1er janvier.")
    taux: float | None = Field(description="A / B × 100 (null si B = 0).")
    objectif: float | None
    objectif_atteint: bool | None
    exclus_plus_de_10_ans: int
    exclus_classifies: int
    sorties_par_destination: dict[str, int]
    deee_kg: float
    explication: str
    impacts_evites_kgco2e: float
    impacts_evites_reemploi_kgco2e: float
    impacts_evites_allongement_kgco2e: float


class InclusionOut(BaseModel):
    annee: int
    equipements_donnes: int
    beneficiaires: int
    equipements_par_destinataire: dict[str, int]
    equipements_par_public: dict[str, int]
    beneficiaires_par_public: dict[str, int]


class EventOut(BaseModel):
    at: dt.datetime
    actor: str
    action: str
    subject: str
    subject_ref: str


def _exit_out(row: ReuseExit) -> ExitOut:
    return ExitOut.model_validate(row, from_attributes=True)


def _wipe_out(row: ReuseWipe) -> WipeOut:
    return WipeOut.model_validate(row, from_attributes=True)


def _item_out(row: ReuseItem) -> ItemOut:
    return ItemOut.model_validate(row, from_attributes=True)


BASE = "/{organisation_id}/reemploi"


# --- Routes ------------------------------------------------------------------------------


@router.get(BASE + "/taux", summary="Taux de réemploi (décret 2023-266) et impacts évités")
def rate(access: ReaderDep, store: StoreDep, annee: Year = None) -> RateOut:
    year = _year(annee)
    result = reuse_rate(store, access.organisation_id, year)
    avoided = avoided_impacts(store, access.organisation_id, year, referential())
    return RateOut(
        annee=year,
        reemployes=result.reused,
        reformes_en_stock=result.retired_stock,
        taux=result.rate,
        objectif=result.target,
        objectif_atteint=result.target_met,
        exclus_plus_de_10_ans=result.excluded_old,
        exclus_classifies=result.excluded_classified,
        sorties_par_destination=result.exits_by_destination,
        deee_kg=result.weee_kg,
        explication=result.explain(),
        impacts_evites_kgco2e=avoided.total("gwp"),
        impacts_evites_reemploi_kgco2e=avoided.reuse.get("gwp", 0.0),
        impacts_evites_allongement_kgco2e=avoided.longer_life.get("gwp", 0.0),
    )


@router.get(BASE + "/sorties", summary="Sorties du parc")
def exits(access: ReaderDep, store: StoreDep, annee: Year = None) -> list[ExitOut]:
    return [_exit_out(r) for r in register.list_exits(store, access.organisation_id, annee)]


@router.post(BASE + "/sorties", status_code=201, summary="Enregistrer une sortie du parc")
def add_exit(access: EditorDep, store: StoreDep, body: ExitIn) -> ExitOut:
    row = _call(
        lambda: register.record_exit(
            store,
            access.organisation_id,
            asset_id=body.asset_id,
            destination=body.destination,
            exit_date=body.date,
            receiver_kind=body.receiver_kind,
            receiver_name=body.receiver_name,
            beneficiary_id=body.beneficiary_id,
            condition=body.condition,
            weight_kg=body.weight_kg,
            price_eur=body.price_eur,
            classified=body.classified,
            notes=body.notes,
            actor=access.user.actor,
        )
    )
    return _exit_out(row)


@router.get(BASE + "/effacements", summary="Effacements de données")
def wipes(access: ReaderDep, store: StoreDep) -> list[WipeOut]:
    return [_wipe_out(r) for r in register.list_wipes(store, access.organisation_id)]


@router.post(BASE + "/effacements", status_code=201, summary="Enregistrer un effacement")
def add_wipe(access: EditorDep, store: StoreDep, body: WipeIn) -> WipeOut:
    row = _call(
        lambda: register.record_wipe(
            store,
            access.organisation_id,
            asset_id=body.asset_id,
            item_reference=body.item_reference,
            method=body.method,
            tool=body.tool,
            operator=body.operator,
            wiped_on=body.date,
            certificate_ref=body.certificate_ref,
            notes=body.notes,
            actor=access.user.actor,
        )
    )
    return _wipe_out(row)


@router.get(
    BASE + "/effacements/{wipe_id}/certificat.pdf",
    summary="Certificat d'effacement (PDF)",
    response_class=Response,
)
def wipe_certificate(access: ReaderDep, store: StoreDep, wipe_id: IdPath) -> Response:
    pdf = _call(lambda: wipe_certificate_pdf(store, access.organisation_id, wipe_id))
    return attachment(
        store, access, "wipe_certificate", pdf, file_name=f"certificat-effacement-{wipe_id}.pdf",
        media_type="application/pdf", details={"wipe_id": wipe_id},
    )  # fmt: skip


@router.get(
    BASE + "/sorties/{exit_id}/convention.pdf",
    summary="Convention de cession (PDF)",
    response_class=Response,
)
def agreement(access: EditorDep, store: StoreDep, exit_id: IdPath) -> Response:
    pdf = _call(lambda: donation_agreement_pdf(store, access.organisation_id, [exit_id]))
    return attachment(
        store, access, "donation_agreement", pdf, file_name=f"convention-cession-{exit_id}.pdf",
        media_type="application/pdf", details={"exit_id": exit_id},
    )  # fmt: skip


@router.get(BASE + "/beneficiaires", summary="Bénéficiaires (éditeurs seulement)")
def beneficiaries(access: EditorDep, store: StoreDep) -> list[BeneficiaryOut]:
    return [
        BeneficiaryOut(
            id=b.id, initials=b.pseudonym, public_type=b.public_type, postcode=b.postcode
        )
        for b in register.list_beneficiaries(store, access.organisation_id)
    ]


@router.post(BASE + "/beneficiaires", status_code=201, summary="Enregistrer un bénéficiaire")
def add_beneficiary(access: EditorDep, store: StoreDep, body: BeneficiaryIn) -> BeneficiaryOut:
    b = _call(
        lambda: register.add_beneficiary(
            store,
            access.organisation_id,
            pseudonym=body.initials,
            public_type=body.public_type,
            postcode=body.postcode,
            actor=access.user.actor,
        )
    )
    return BeneficiaryOut(
        id=b.id, initials=b.pseudonym, public_type=b.public_type, postcode=b.postcode
    )


@router.delete(
    BASE + "/beneficiaires/{beneficiary_id}",
    status_code=204,
    summary="Effacer les données d'un bénéficiaire (RGPD)",
)
def erase_beneficiary(access: EditorDep, store: StoreDep, beneficiary_id: IdPath) -> Response:
    """Efface les initiales et le code postal ; le registre garde ses comptes et ses taux."""
    _call(
        lambda: register.erase_beneficiary(
            store, access.organisation_id, beneficiary_id, actor=access.user.actor
        )
    )
    return Response(status_code=204)


@router.get(BASE + "/inclusion", summary="Indicateurs d'inclusion numérique")
def inclusion(access: ReaderDep, store: StoreDep, annee: Year = None) -> InclusionOut:
    year = _year(annee)
    found = inclusion_indicators(store, access.organisation_id, year)
    return InclusionOut(
        annee=year,
        equipements_donnes=found.devices_donated,
        beneficiaires=found.beneficiaries,
        equipements_par_destinataire=found.devices_by_receiver,
        equipements_par_public=found.devices_by_public,
        beneficiaires_par_public=found.beneficiaries_by_public,
    )


@router.get(
    BASE + "/dons.csv",
    summary="Dons de l'année (CSV, bénéficiaires pseudonymisés)",
    response_class=Response,
)
def donations_csv(access: EditorDep, store: StoreDep, annee: Year = None) -> Response:
    year = _year(annee)
    return attachment(
        store, access, "donations", donations_export_csv(store, access.organisation_id, year),
        file_name=f"dons-{year}.csv", media_type="text/csv; charset=utf-8",
        details={"year": year},
    )  # fmt: skip


@router.get(
    BASE + "/agec.csv",
    summary="Déclaration AGEC de l'année (CSV au schéma data.gouv.fr)",
    response_class=Response,
)
def agec_csv(
    access: ReaderDep,
    store: StoreDep,
    siret: Annotated[str, Query(min_length=14, max_length=20)],
    annee: Year = None,
) -> Response:
    year = _year(annee)
    lines = _call(
        lambda: agec.build_declaration(
            store, access.organisation_id, year=year, siret=siret, name=access.organisation.name
        )
    )
    return attachment(
        store, access, "agec", agec.write_declaration(lines),
        file_name=f"declaration-agec-{year}.csv", media_type="text/csv; charset=utf-8",
        details={"year": year},
    )  # fmt: skip


class PurchasesIn(BaseModel):
    annee: int = Field(ge=2000, le=2100)
    type_produit_acquis: str = Field(max_length=100)
    montant_total: Decimal = Field(ge=0)
    montant_reemploi_et_reutilisation: Decimal = Field(default=Decimal(0), ge=0)
    montant_produits_recycles: Decimal = Field(default=Decimal(0), ge=0)
    commentaires: str | None = Field(default=None, max_length=2000)


@router.put(BASE + "/achats", summary="Achats d'une année pour une catégorie AGEC")
def set_purchases(access: EditorDep, store: StoreDep, body: PurchasesIn) -> dict[str, Any]:
    row = _call(
        lambda: agec.set_purchases(
            store,
            access.organisation_id,
            year=body.annee,
            product_type=body.type_produit_acquis,
            amount_total=body.montant_total,
            amount_reuse=body.montant_reemploi_et_reutilisation,
            amount_recycled=body.montant_produits_recycles,
            comments=body.commentaires,
            actor=access.user.actor,
        )
    )
    return {"annee": row.year, "type_produit_acquis": row.product_type}


@router.get(BASE + "/ressourcerie", summary="Objets de la ressourcerie")
def items(access: ReaderDep, store: StoreDep) -> list[ItemOut]:
    return [_item_out(i) for i in register.list_items(store, access.organisation_id)]


@router.post(BASE + "/ressourcerie", status_code=201, summary="Réceptionner un objet")
def add_item(access: EditorDep, store: StoreDep, body: IntakeIn) -> ItemOut:
    item = _call(
        lambda: register.intake(
            store,
            access.organisation_id,
            category=body.category,
            origin=body.origin,
            intake_date=body.date,
            origin_name=body.origin_name,
            collection_point=body.collection_point,
            description=body.description,
            weight_kg=body.weight_kg,
            actor=access.user.actor,
        )
    )
    return _item_out(item)


@router.post(
    BASE + "/ressourcerie/{reference}/{step}",
    summary="Étape d'un objet : tri, reconditionnement, redistribution",
)
def item_step(
    access: EditorDep,
    store: StoreDep,
    reference: Annotated[str, PathParam(max_length=40)],
    step: Annotated[str, PathParam(max_length=30)],
    body: StepIn,
) -> ItemOut:
    org, actor = access.organisation_id, access.user.actor
    if step == "tri":
        if not body.outcome:
            raise HTTPException(400, "Tri : indiquez le résultat (outcome).")
        outcome = body.outcome
        item = _call(lambda: register.triage(store, org, reference, outcome, actor=actor))
    elif step == "reconditionnement":
        item = _call(lambda: register.refurbish(store, org, reference, work=body.work, actor=actor))
    elif step == "redistribution":
        on = body.date or dt.date.today()
        item = _call(
            lambda: register.redistribute(
                store,
                org,
                reference,
                on=on,
                beneficiary_id=body.beneficiary_id,
                receiver_kind=body.receiver_kind,
                receiver_name=body.receiver_name,
                actor=actor,
            )
        )
    else:
        raise HTTPException(404, "Étape inconnue : tri, reconditionnement ou redistribution.")
    return _item_out(item)


@router.get(BASE + "/historique", summary="Historique du registre (ajout seul)")
def events(access: ReaderDep, store: StoreDep) -> list[EventOut]:
    return [
        EventOut.model_validate(e, from_attributes=True)
        for e in register.history(store, access.organisation_id)
    ]
