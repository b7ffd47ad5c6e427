"""``/api/v1/collectivites/{id}/empreinte``: footprint totals of the current fleet, on a
computing backend of the instance admin's choice, and their Monte Carlo uncertainty."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request, status
from pydantic import BaseModel, Field

from sobrenum.engine.backends import BackendError, BackendName
from sobrenum.reporting import Summary
from sobrenum.reporting.summary import IntervalLine, UncertaintySummary
from sobrenum.web.api.common import ERRORS, PREFIX
from sobrenum.web.api.schemas import CategoryTotal, CriterionTotal, FootprintOut
from sobrenum.web.deps import ReaderDep, StoreDep, forbidden, not_found
from sobrenum.web.services import (
    UNCERTAINTY_DRAWS,
    UNCERTAINTY_SEED,
    BackendUnavailable,
    organisation_summary,
    organisation_uncertainty,
    summary_on_backend,
)

MIN_DRAWS = 100
MAX_DRAWS = 10_000
NO_INVENTORY = "Aucun inventaire n'a encore été importé pour cette collectivité."


class FootprintOnBackendOut(FootprintOut):
    moteur: BackendName = Field(description="Moteur de calcul utilisé (duckdb, spark, postgres).")


class IntervalOut(BaseModel):
    """Intervalle à 90 % de l'empreinte carbone annuelle (kgCO2e par an)."""

    categorie: str | None = Field(description="Catégorie (absente pour le total).")
    libelle: str
    valeur_calculee: float = Field(description="Valeur calculée (chaque donnée à sa valeur).")
    moyenne: float
    mediane: float
    p5: float = Field(description="5ᵉ centile : borne basse de l'intervalle à 90 %.")
    p95: float = Field(description="95ᵉ centile : borne haute de l'intervalle à 90 %.")


class SensitivityOut(BaseModel):
    donnee: str = Field(description="Identifiant de la donnée du référentiel.")
    libelle: str
    part: float = Field(description="Part de la variance du total annuel (0 à 1).")


class UncertaintyOut(BaseModel):
    tirages: int
    graine: int
    critere: str = "gwp"
    unite: str = "kgCO2e/an"
    total: IntervalOut
    categories: list[IntervalOut]
    sensibilite: list[SensitivityOut] = Field(
        description="Données du référentiel par part de la variance, la plus forte d'abord."
    )
    part_interactions: float = Field(
        description="Part de la variance due aux produits de données incertaines."
    )


router = APIRouter(prefix=f"{PREFIX}/collectivites", tags=["empreinte"], responses=ERRORS)


def footprint_out(summary: Summary) -> FootprintOut:
    return FootprintOut(
        collectivite=summary.organisation,
        annee=summary.reporting_year,
        version_referentiel=summary.referential_version,
        amortissement=summary.allocation,
        equipements=summary.devices,
        gwp_annuel=summary.annual_gwp,
        gwp_duree_de_vie=summary.whole_life_gwp,
        par_agent=summary.per_staff,
        par_habitant=summary.per_inhabitant,
        agents=summary.staff_count,
        population=summary.population,
        gwp_par_phase=summary.gwp_by_phase,
        categories=[
            CategoryTotal(
                categorie=c.category,
                libelle=c.label,
                equipements=c.devices,
                gwp_annuel=c.annual_gwp,
                par_phase=c.by_phase,
            )
            for c in summary.categories
        ],
        criteres=[
            CriterionTotal(
                critere=c.code,
                libelle=c.label,
                unite=c.unit,
                annuel=c.annual,
                duree_de_vie=c.whole_life,
                par_phase=c.by_phase,
            )
            for c in summary.criteria
        ],
        sources=summary.sources,
    )


@router.get("/{organisation_id}/empreinte", summary="Empreinte du parc")
def footprint(
    request: Request,
    access: ReaderDep,
    store: StoreDep,
    moteur: Annotated[
        BackendName,
        Query(
            description="Moteur de calcul : duckdb (par défaut) ; spark et postgres sont "
            "réservés aux administrateurs de l'instance."
        ),
    ] = "duckdb",
) -> FootprintOnBackendOut:
    """Empreinte annuelle du parc actuel : totaux par catégorie, phase et critère, par agent
    et par habitant, avec la version du référentiel et les sources."""
    if moteur == "duckdb":
        summary = organisation_summary(store, request.app.state.footprints, access.organisation)
    else:
        if not access.user.is_instance_admin:
            raise forbidden(
                "Le choix du moteur de calcul est réservé aux administrateurs de l'instance : "
                "retirez le paramètre moteur pour un calcul avec DuckDB."
            )
        try:
            summary = summary_on_backend(
                store, request.app.state.footprints, access.organisation, moteur
            )
        except BackendUnavailable as exc:
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from exc
        except BackendError as exc:
            raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, str(exc)) from exc
    if summary is None:
        raise not_found(NO_INVENTORY)
    return FootprintOnBackendOut(**footprint_out(summary).model_dump(), moteur=moteur)


def interval_out(line: IntervalLine, label: str | None = None) -> IntervalOut:
    return IntervalOut(
        categorie=line.category or None,
        libelle=label or line.label,
        valeur_calculee=line.nominal,
        moyenne=line.mean,
        mediane=line.median,
        p5=line.p5,
        p95=line.p95,
    )


def uncertainty_out(u: UncertaintySummary, seed: int) -> UncertaintyOut:
    return UncertaintyOut(
        tirages=u.draws,
        graine=seed,
        total=interval_out(u.total, "Total"),
        categories=[interval_out(c) for c in u.categories],
        sensibilite=[
            SensitivityOut(donnee=p.input_id, libelle=p.label, part=p.share) for p in u.priorities
        ],
        part_interactions=u.interaction_share,
    )


@router.get(
    "/{organisation_id}/empreinte/incertitude", summary="Incertitude de l'empreinte carbone"
)
def footprint_uncertainty(
    request: Request,
    access: ReaderDep,
    store: StoreDep,
    tirages: Annotated[
        int, Query(ge=MIN_DRAWS, le=MAX_DRAWS, description="Nombre de tirages Monte Carlo.")
    ] = UNCERTAINTY_DRAWS,
) -> UncertaintyOut:
    """Intervalle à 90 % (5ᵉ et 95ᵉ centiles) de l'empreinte carbone annuelle, au total et par
    catégorie, par tirages Monte Carlo sur les fourchettes du référentiel (graine 0 : le même
    inventaire donne le même intervalle), et la part de chaque donnée dans la variance du
    total (les données à améliorer en priorité d'abord)."""
    u = organisation_uncertainty(store, request.app.state.footprints, access.organisation, tirages)
    if u is None:
        raise not_found(NO_INVENTORY)
    return uncertainty_out(u, seed=UNCERTAINTY_SEED)
