"""JSON shapes of the REST API (pydantic), with French descriptions for the OpenAPI page."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from sobrenum.store.models import ORGANISATION_TYPES

OrganisationType = Literal["commune", "epci", "departement", "region", "syndicat", "autre"]
assert set(ORGANISATION_TYPES) == set(OrganisationType.__args__)  # type: ignore[attr-defined]
Role = Literal["reader", "editor", "admin"]


class ErrorOut(BaseModel):
    detail: str = Field(description="Message d'erreur en français.")


class MeOut(BaseModel):
    id: int
    email: str
    nom: str = Field(description="Nom affiché.")
    admin_instance: bool = Field(description="Administrateur de toute l'instance.")
    collectivites: dict[int, Role] = Field(description="Numéro de collectivité → rôle.")


class TokenIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    nom: str = Field(min_length=1, max_length=200, description="À quoi sert ce jeton.")
    expire_le: dt.date | None = Field(
        default=None, description="Date d'expiration (incluse) ; aucune par défaut."
    )


class TokenOut(BaseModel):
    id: int
    nom: str
    debut: str = Field(description="Premiers caractères du jeton, pour le reconnaître.")
    cree_le: dt.datetime
    utilise_le: dt.datetime | None
    expire_le: dt.datetime | None
    revoque_le: dt.datetime | None


class NewTokenOut(TokenOut):
    jeton: str = Field(description="Le jeton, affiché une seule fois : conservez-le.")


class OrganisationOut(BaseModel):
    id: int
    nom: str
    siren: str | None
    type: OrganisationType
    population: int | None
    agents: int | None = Field(description="Nombre d'agents.")
    annee_reporting: int | None
    pays: str
    role: Role = Field(description="Votre rôle dans cette collectivité.")


class OrganisationPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    nom: str | None = Field(default=None, min_length=1, max_length=200)
    type: OrganisationType | None = None
    population: int | None = Field(default=None, ge=0, le=100_000_000)
    agents: int | None = Field(default=None, ge=0, le=10_000_000)
    annee_reporting: int | None = Field(default=None, ge=2000, le=2100)


class MemberOut(BaseModel):
    id: int = Field(description="Numéro du compte.")
    email: str
    nom: str
    role: Role
    actif: bool


class MemberIn(BaseModel):
    """An invitation: the person sets their own password (nobody sets it for them)."""

    model_config = ConfigDict(extra="forbid")
    email: str = Field(min_length=3, max_length=320)
    role: Role


class InvitationOut(BaseModel):
    id: int = Field(description="Numéro de l'invitation.")
    email: str
    role: Role
    cree_le: dt.datetime
    expire_le: dt.datetime


class NewInvitationOut(InvitationOut):
    lien: str = Field(
        description="Lien à transmettre à la personne invitée (affiché une seule fois)."
    )


class InvitationAccept(BaseModel):
    model_config = ConfigDict(extra="forbid")
    jeton: str = Field(min_length=20, max_length=200, description="Jeton du lien d'invitation.")
    mot_de_passe: str | None = Field(
        default=None,
        max_length=1024,
        description="Pour un nouveau compte : le mot de passe que vous choisissez.",
    )
    nom: str = Field(default="", max_length=200, description="Pour un nouveau compte.")


class InvitationAccepted(BaseModel):
    email: str
    collectivite: int
    role: Role


class PasswordChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    actuel: str = Field(max_length=1024, description="Votre mot de passe actuel.")
    nouveau: str = Field(max_length=1024, description="Le nouveau mot de passe.")


class PasswordSet(BaseModel):
    model_config = ConfigDict(extra="forbid")
    mot_de_passe: str = Field(max_length=1024)


class AccountOut(BaseModel):
    id: int
    email: str
    nom: str
    actif: bool
    admin_instance: bool


class AccountPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    actif: bool = Field(description="Faux : le compte ne peut plus se connecter.")


class MemberPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: Role


class DeviceOut(BaseModel):
    asset_id: str = Field(description="Identifiant de l'équipement dans l'inventaire.")
    category: str
    manufacturer: str | None
    model: str | None
    quantity: int | None
    acquisition_date: dt.date | None
    acquisition_date_estimated: bool | None
    retirement_date: dt.date | None
    status: str | None
    condition: str | None
    lifetime_years: float | None
    site: str | None
    department: str | None
    country: str | None
    annual_kwh: float | None
    first_seen: dt.date
    last_seen: dt.date


class FleetPage(BaseModel):
    total: int = Field(description="Nombre d'équipements correspondant aux filtres.")
    limite: int
    decalage: int
    equipements: list[DeviceOut]


class ImpactOut(BaseModel):
    criterion: str
    phase: str
    annual: float | None = Field(description="Impact annuel (unité du critère).")
    whole_life: float | None = Field(description="Impact sur la durée de vie.")
    unit: str | None = None
    factor_id: str | None = Field(description="Facteur d'impact utilisé.")
    source_id: str | None = Field(description="Source du facteur.")
    referential_version: str | None = None
    extra: dict[str, Any] = Field(default_factory=dict, description="Autres grandeurs du calcul.")


class DeviceDetail(BaseModel):
    equipement: DeviceOut
    impacts: list[ImpactOut]
    sources: list[dict[str, Any]] = Field(description="Sources des facteurs utilisés.")


class IssueOut(BaseModel):
    ligne: int | None
    equipement: str | None
    colonne: str | None
    gravite: Literal["erreur", "avertissement"]
    valeur: str | None
    message: str


class StagedImportOut(BaseModel):
    id: int
    fichier: str
    sha256: str
    date_inventaire: dt.date
    statut: Literal["pending", "applied", "abandoned"]
    cree_le: dt.datetime
    import_id: int | None = Field(description="Import appliqué, une fois appliqué.")
    rapport: dict[str, Any] = Field(description="Rapport de validation (lignes refusées…).")


class AppliedImportOut(BaseModel):
    import_id: int
    source: str
    fichier: str
    date_inventaire: dt.date
    ajoutes: int
    modifies: int
    sortis: int
    inchanges: int
    rejetes: int
    revenus: int
    deja_importe: bool
    message: str


class UndoneImportOut(BaseModel):
    import_id: int
    source: str
    fichier: str
    date_inventaire: dt.date
    retires: int
    restaures: int
    message: str


class ImportOut(BaseModel):
    id: int
    source: str
    fichier: str
    date_inventaire: dt.date
    importe_le: dt.datetime
    importe_par: str | None
    ajoutes: int
    modifies: int
    sortis: int
    inchanges: int
    rejetes: int


class CategoryTotal(BaseModel):
    categorie: str
    libelle: str
    equipements: int
    gwp_annuel: float = Field(description="kgCO2e par an.")
    par_phase: dict[str, float]


class CriterionTotal(BaseModel):
    critere: str
    libelle: str
    unite: str
    annuel: float
    duree_de_vie: float
    par_phase: dict[str, float | None]


class FootprintOut(BaseModel):
    collectivite: str
    annee: int
    version_referentiel: str
    amortissement: str
    equipements: int
    gwp_annuel: float = Field(description="Changement climatique, kgCO2e par an.")
    gwp_duree_de_vie: float
    par_agent: float | None = Field(description="kgCO2e par agent et par an.")
    par_habitant: float | None = Field(description="kgCO2e par habitant et par an.")
    agents: int | None
    population: int | None
    gwp_par_phase: dict[str, float]
    categories: list[CategoryTotal]
    criteres: list[CriterionTotal]
    sources: list[dict[str, Any]]
