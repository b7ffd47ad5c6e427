"""Success messages shown after a form (``?ok=cle``): taken from this fixed list by key, never
text read from the address, so a link cannot make the app display words of its choosing.

A message may name the year of the page (``{annee}``), an integer parsed by the page.
"""

from __future__ import annotations

NOTICES: dict[str, str] = {
    "indicateur": "Valeur ou objectif enregistré pour {annee}.",
    "annee-figee": "Année {annee} figée.",
    "comparaisons-oui": "Votre collectivité figure désormais dans les comparaisons.",
    "comparaisons-non": "Votre collectivité ne figure plus dans les comparaisons.",
    "effacement": "Effacement enregistré.",
    "sortie": "Sortie enregistrée.",
    "beneficiaire": "Bénéficiaire enregistré : il figure dans la liste des bénéficiaires.",
    "beneficiaire-efface": "Données du bénéficiaire effacées (les comptes du registre restent).",
    "scenario": "Scénario enregistré.",
    "scenario-retenu": "Scénario retenu comme trajectoire de la stratégie.",
    "scenario-supprime": "Scénario supprimé.",
    "objectif-trajectoire": "Objectif de trajectoire enregistré.",
    "role-membre": "Rôle du membre changé.",
    "membre-retire": "Membre retiré de la collectivité (son compte est conservé).",
    "invitation-annulee": "Invitation annulée : son lien ne fonctionne plus.",
    "mot-de-passe": (
        "Mot de passe changé : vos autres sessions sont fermées et vos jetons d'API révoqués."
    ),
}


def notice(key: str | None, *, year: int | None = None) -> str | None:
    """The message of ``key`` (None for no key or an unknown one)."""
    text = NOTICES.get(key or "")
    if text is None:
        return None
    return text.format(annee=year if year is not None else "")


def checked(key: str) -> str:
    """``key`` itself, after checking it names a message (a typo fails at once in tests)."""
    if key not in NOTICES:
        raise KeyError(f"unknown notice {key!r}")
    return key
