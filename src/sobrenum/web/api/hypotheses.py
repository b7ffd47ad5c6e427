"""The organisation's own hypotheses (per-category lifetime and usage) over the REST API."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, Field

from sobrenum.domain import CATEGORIES_BY_CODE, ReferentialError
from sobrenum.domain.hypotheses import Hypothesis
from sobrenum.referential.hypotheses import SOURCE_TITLE
from sobrenum.store.hypotheses import get_hypotheses, set_hypotheses
from sobrenum.web.api.common import ERRORS, PREFIX
from sobrenum.web.deps import OrgAdminDep, ReaderDep, StoreDep
from sobrenum.web.services import referential

router = APIRouter(prefix=f"{PREFIX}/collectivites", responses=ERRORS)


class HypothesisIn(BaseModel):
    categorie: Annotated[str, Field(max_length=40, description="Code de la catégorie.")]
    duree_de_vie: Annotated[
        float | None, Field(gt=0, le=30, description="Durée de vie (ans) ; vide : référentiel.")
    ] = None
    heures_par_jour: Annotated[float | None, Field(ge=0, le=24)] = None
    jours_par_an: Annotated[float | None, Field(ge=0, le=366)] = None


class HypothesisOut(BaseModel):
    categorie: str
    libelle: str
    duree_de_vie: float
    heures_par_jour: float
    jours_par_an: float
    source_duree_de_vie: str = Field(description="« hypothèse de la collectivité » ou source.")
    hypothese: bool


def _or(own: float | None, default: float) -> float:
    return default if own is None else own


def hypotheses_out(store: StoreDep, organisation_id: int) -> list[HypothesisOut]:
    """Every category with the values the engine uses and where each comes from."""
    own = get_hypotheses(store, organisation_id)
    titles = {s["source_id"]: s["title"] for s in referential().sources.to_pylist()}
    out = []
    for row in referential().categories.to_pylist():
        h = own.get(row["category"])
        mine = h is not None and bool(h.values())
        out.append(
            HypothesisOut(
                categorie=row["category"],
                libelle=CATEGORIES_BY_CODE[row["category"]].label_fr,
                duree_de_vie=_or(h.lifetime_years if h else None, row["lifetime_years"]),
                heures_par_jour=_or(h.hours_per_day if h else None, row["hours_per_day"]),
                jours_par_an=_or(h.days_per_year if h else None, row["days_per_year"]),
                source_duree_de_vie=SOURCE_TITLE
                if h and h.lifetime_years is not None
                else titles.get(row["source_id"], row["source_id"]),
                hypothese=mine,
            )
        )
    return out


@router.get(
    "/{organisation_id}/hypotheses",
    tags=["empreinte"],
    summary="Hypothèses de la collectivité (durées de vie, usage)",
)
def hypotheses_list(access: ReaderDep, store: StoreDep) -> list[HypothesisOut]:
    return hypotheses_out(store, access.organisation_id)


@router.put(
    "/{organisation_id}/hypotheses",
    tags=["empreinte"],
    summary="Remplacer les hypothèses de la collectivité",
)
def hypotheses_replace(
    body: Annotated[list[HypothesisIn], Field(max_length=100)],
    access: OrgAdminDep,
    store: StoreDep,
) -> list[HypothesisOut]:
    try:
        set_hypotheses(
            store,
            access.organisation_id,
            [
                Hypothesis(h.categorie, h.duree_de_vie, h.heures_par_jour, h.jours_par_an)
                for h in body
            ],
            actor=access.user.actor,
        )
    except ReferentialError as exc:
        raise HTTPException(422, str(exc)) from exc
    return hypotheses_out(store, access.organisation_id)
