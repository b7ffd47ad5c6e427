"""The audit log: who did what, when, on which organisation."""

from __future__ import annotations

import getpass
import os
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sobrenum.store.database import Store
from sobrenum.store.models import AuditEvent

#: What each action of the log means, in French and in English (the audit page shows these,
#: the code stays in its « Détails techniques »).
ACTION_LABELS: dict[str, tuple[str, str]] = {
    "api_token.create": ("Jeton d'API créé", "API token created"),
    "api_token.revoke": ("Jeton d'API révoqué", "API token revoked"),
    "auth.login": ("Connexion", "Login"),
    "auth.login_failed": ("Connexion refusée", "Failed login"),
    "auth.logout": ("Déconnexion", "Logout"),
    "backup.organisation": ("Sauvegarde de la collectivité", "Organisation backup"),
    "backup.restore": ("Sauvegarde restaurée", "Backup restored"),
    "comparison.consent": ("Accord pour les comparaisons", "Consent to comparisons"),
    "comparison.withdraw": ("Retrait des comparaisons", "Withdrawal from comparisons"),
    "export.agec": ("Téléchargement : déclaration AGEC", "Download: AGEC declaration"),
    "export.council_report": ("Téléchargement : rapport au conseil", "Download: council report"),
    "export.council_report_and_open_data": (
        "Téléchargement : rapport au conseil et données ouvertes",
        "Download: council report and open data",
    ),
    "export.donation_agreement": ("Téléchargement : convention de don", "Download: agreement"),
    "export.donations": ("Téléchargement : liste des dons", "Download: donations"),
    "export.rejects_report": (
        "Téléchargement : rapport de contrôle d'un import",
        "Download: import check report",
    ),
    "export.wipe_certificate": (
        "Téléchargement : certificat d'effacement",
        "Download: wipe certificate",
    ),
    "import.abandon": ("Import abandonné", "Import abandoned"),
    "import.upload": ("Fichier d'inventaire déposé", "Inventory file uploaded"),
    "indicator.declare": ("Valeur d'indicateur déclarée", "Indicator value declared"),
    "indicator.objective": ("Objectif fixé", "Objective set"),
    "indicator.undeclare": ("Valeur d'indicateur retirée", "Indicator value removed"),
    "inventory.import": ("Inventaire importé", "Inventory imported"),
    "inventory.undo": ("Import annulé", "Import undone"),
    "invitation.accept": ("Invitation acceptée", "Invitation accepted"),
    "invitation.cancel": ("Invitation annulée", "Invitation cancelled"),
    "invitation.create": ("Invitation envoyée", "Invitation sent"),
    "membership.remove": ("Membre retiré", "Member removed"),
    "membership.set": ("Rôle d'un membre modifié", "Member role set"),
    "organisation.create": ("Collectivité créée", "Organisation created"),
    "organisation.hypotheses": ("Hypothèses modifiées", "Hypotheses changed"),
    "organisation.settings": ("Paramètres modifiés", "Settings changed"),
    "retention.purge": ("Données personnelles purgées", "Personal data purged"),
    "reuse.agec.donation": ("Déclaration AGEC : dons", "AGEC declaration: donations"),
    "reuse.agec.purchases": ("Déclaration AGEC : achats", "AGEC declaration: purchases"),
    "reuse.beneficiary.create": ("Bénéficiaire enregistré", "Beneficiary recorded"),
    "reuse.beneficiary.erase": ("Bénéficiaire effacé", "Beneficiary erased"),
    "reuse.device.classify": ("Équipement classé", "Device classified"),
    "reuse.exit.record": ("Sortie du parc enregistrée", "Exit recorded"),
    "reuse.item.intake": ("Entrée en ressourcerie", "Item received"),
    "reuse.wipe.record": ("Effacement des données enregistré", "Data wipe recorded"),
    "scenario.choose": ("Trajectoire retenue", "Trajectory chosen"),
    "scenario.delete": ("Scénario supprimé", "Scenario deleted"),
    "scenario.save": ("Scénario enregistré", "Scenario saved"),
    "scenario.target": ("Objectif de trajectoire fixé", "Trajectory target set"),
    "snapshot.freeze": ("Année figée", "Year frozen"),
    "snapshot.replace": ("Année figée remplacée", "Frozen year replaced"),
    "strategy.action": ("Action de la stratégie", "Strategy action"),
    "user.create": ("Compte créé", "Account created"),
    "user.deactivate": ("Compte désactivé", "Account deactivated"),
    "user.password_change": ("Mot de passe changé", "Password changed"),
    "user.password_set": ("Mot de passe défini", "Password set"),
    "user.reactivate": ("Compte réactivé", "Account reactivated"),
}

#: The families of actions (the filter of the audit page).
KIND_LABELS: dict[str, tuple[str, str]] = {
    "api_token": ("Jetons d'API", "API tokens"),
    "auth": ("Connexions", "Logins"),
    "backup": ("Sauvegardes", "Backups"),
    "comparison": ("Comparaisons entre territoires", "Comparisons"),
    "export": ("Téléchargements", "Downloads"),
    "import": ("Dépôts de fichiers", "File uploads"),
    "indicator": ("Indicateurs et objectifs", "Indicators and objectives"),
    "inventory": ("Imports d'inventaire", "Inventory imports"),
    "invitation": ("Invitations", "Invitations"),
    "membership": ("Membres", "Members"),
    "organisation": ("Collectivité et paramètres", "Organisation and settings"),
    "retention": ("Purges", "Purges"),
    "reuse": ("Registre du réemploi", "Reuse register"),
    "scenario": ("Scénarios et trajectoires", "Scenarios"),
    "snapshot": ("Années figées", "Frozen years"),
    "strategy": ("Stratégie", "Strategy"),
    "user": ("Comptes", "Accounts"),
}

SYSTEM_ACTOR_PREFIX = "system:"


def default_actor() -> str:
    """Who acts when nobody is logged in: the operating-system user, as ``system:NAME``."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = str(os.getuid()) if hasattr(os, "getuid") else "inconnu"
    return f"{SYSTEM_ACTOR_PREFIX}{user}"


def record_event(
    session: Session,
    action: str,
    *,
    actor: str | None = None,
    organisation_id: int | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add an event to the log, within the caller's transaction (so it commits with the work)."""
    event = AuditEvent(
        actor=actor or default_actor(),
        action=action,
        organisation_id=organisation_id,
        details=details,
    )
    session.add(event)
    session.flush()
    return event


def list_events(
    store: Store, *, organisation_id: int | None = None, limit: int = 100
) -> list[AuditEvent]:
    """The latest events, newest first (optionally for one organisation)."""
    query = select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(limit)
    if organisation_id is not None:
        query = query.where(AuditEvent.organisation_id == organisation_id)
    with store.transaction() as session:
        return list(session.scalars(query))


def record_download(
    store: Store,
    document: str,
    *,
    file_name: str,
    actor: str | None = None,
    organisation_id: int | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Note in the log that a document or an export left the application (RGPD: who took
    which data, when). ``document`` names its kind: ``agec``, ``council_report``…"""
    with store.transaction() as session:
        record_event(
            session,
            f"export.{document}",
            actor=actor,
            organisation_id=organisation_id,
            details={"file": file_name, **(details or {})},
        )


def events_page(
    store: Store,
    organisation_id: int,
    *,
    kind: str | None = None,
    offset: int = 0,
    limit: int = 50,
) -> tuple[list[AuditEvent], int]:
    """One organisation's events, newest first, one page of them, and how many there are.

    ``kind`` keeps the actions of one family (``export`` for ``export.agec``…)."""
    where = [AuditEvent.organisation_id == organisation_id]
    if kind:
        where.append(AuditEvent.action.startswith(f"{kind}.", autoescape=True))
    query = (
        select(AuditEvent)
        .where(*where)
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .offset(offset)
        .limit(limit)
    )
    with store.transaction() as session:
        total = session.scalar(select(func.count()).select_from(AuditEvent).where(*where))
        return list(session.scalars(query)), int(total or 0)


def event_kinds(store: Store, organisation_id: int) -> list[str]:
    """The families of actions in one organisation's log (``auth``, ``export``, ``reuse``…)."""
    with store.transaction() as session:
        actions = session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.organisation_id == organisation_id)
            .distinct()
        )
        return sorted({action.split(".", 1)[0] for action in actions})
