"""``/api/v1/collectivites/{id}/empreinte``: footprint totals of the current fleet."""

from __future__ import annotations

from fastapi import APIRouter, Request

from sobrenum.reporting import Summary
from sobrenum.web.api.common import ERRORS, PREFIX
from sobrenum.web.api.schemas import CategoryTotal, CriterionTotal, FootprintOut
from sobrenum.web.deps import ReaderDep, StoreDep, not_found
from sobrenum.web.services import organisation_summary

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
def footprint(request: Request, access: ReaderDep, store: StoreDep) -> FootprintOut:
    """Empreinte annuelle du parc actuel : totaux par catégorie, phase et critère, par agent
    et par habitant, avec la version du référentiel et les sources."""
    summary = organisation_summary(store, request.app.state.footprints, access.organisation)
    if summary is None:
        raise not_found("Aucun inventaire n'a encore été importé pour cette collectivité.")
    return footprint_out(summary)
