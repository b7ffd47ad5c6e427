"""``sobrenum reemploi …``: the reuse register from the terminal (exits, wipes, donations,
ressourcerie, rates, AGEC declaration, documents). Every rule is the domain service's: the
terminal only reads options and prints results."""

import datetime as dt
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from sobrenum.cli.main import app
from sobrenum.cli.naming import add_group, command, option
from sobrenum.cli.options import (
    DatabaseOption,
    OrganisationOption,
    console,
    err,
    organisation_store,
)
from sobrenum.cli.params import FRENCH_NUMBER
from sobrenum.reuse.vocabulary import (  # light: the help texts list the codes
    DESTINATIONS,
    PUBLIC_TYPES,
    RECEIVER_KINDS,
    TRIAGE_OUTCOMES,
    WIPE_METHODS,
)

if TYPE_CHECKING:
    from sobrenum.store import Store


reuse_app = typer.Typer(
    help="Registre de réemploi : sorties, effacements, dons, ressourcerie, taux légaux, "
    "déclaration AGEC, documents.",
    no_args_is_help=True,
)
add_group(app, reuse_app, "reemploi", "reuse")

T = TypeVar("T")

#: ``sobrenum.reuse.agec.GRID_FILE_NAME`` (the AGEC module needs the store; tested equal).
GRID_FILE_NAME = "grille-dons-agec.csv"

DateOption = Annotated[
    str | None,
    typer.Option("--date", help="Date, AAAA-MM-JJ ou JJ/MM/AAAA (par défaut : aujourd'hui)."),
]
YearOption = Annotated[
    int | None,
    option("--annee", english="--year", help="Année (par défaut : l'année dernière)."),
]


def _date(value: str | None) -> dt.date:
    if value is None:
        return dt.date.today()
    for parse in (dt.date.fromisoformat, lambda v: dt.datetime.strptime(v, "%d/%m/%Y").date()):
        try:
            return parse(value)
        except ValueError:
            continue
    raise typer.BadParameter(f"date invalide « {value} » : attendu AAAA-MM-JJ ou JJ/MM/AAAA.")


def _year(value: int | None) -> int:
    return value if value is not None else dt.date.today().year - 1


def _run(database: str | None, organisation: str | None, work: "Callable[[Store, int], T]") -> T:
    with organisation_store(database, organisation) as (store, org):
        return work(store, org.id)


def _exported(store: "Store", organisation_id: int, document: str, file_name: str, content: T) -> T:
    """``content``, once its export is written in the audit log."""
    from sobrenum.store.audit import record_download

    record_download(store, document, file_name=file_name, organisation_id=organisation_id)
    return content


def _choices(codes: dict[str, str]) -> str:
    return ", ".join(codes)


# --- Exits, wipes, donations -------------------------------------------------------------


@command(reuse_app, "sortie", "exit")
def exit_command(
    asset_id: Annotated[
        str, typer.Argument(metavar="NUMERO", help="N° d'inventaire de l'équipement.")
    ],
    destination: Annotated[
        str,
        typer.Option("--destination", "-d", help=f"Destination : {_choices(DESTINATIONS)}."),
    ],
    date: DateOption = None,
    receiver: Annotated[
        str | None, option("--destinataire", english="--receiver", help="Nom du destinataire.")
    ] = None,
    receiver_kind: Annotated[
        str | None,
        option(
            "--type-destinataire",
            english="--receiver-kind",
            help=f"Type : {_choices(RECEIVER_KINDS)}.",
        ),
    ] = None,
    beneficiary: Annotated[
        int | None,
        option(
            "--beneficiaire",
            english="--beneficiary",
            help="N° du bénéficiaire (don à une personne).",
        ),
    ] = None,
    condition: Annotated[
        str, option("--etat", english="--state", help="working, repairable, broken, unknown.")
    ] = "unknown",
    weight: Annotated[
        float | None,
        option(
            "--poids",
            english="--weight",
            help="Poids en kg (obligatoire pour un DEEE).",
            click_type=FRENCH_NUMBER,
        ),
    ] = None,
    price: Annotated[
        float | None,
        option("--prix", english="--price", help="Prix de vente (€).", click_type=FRENCH_NUMBER),
    ] = None,
    classified: Annotated[
        bool,
        option(
            "--classifie",
            english="--classified",
            help="Équipement classifié (exclu du taux légal).",
        ),
    ] = False,
    notes: Annotated[str | None, option("--note", english="--notes", help="Observations.")] = None,
    organisation: OrganisationOption = None,
    database: DatabaseOption = None,
) -> None:
    """Enregistrer la sortie d'un équipement du parc (destination, date, destinataire)."""
    from sobrenum.reuse import register
    from sobrenum.store import default_actor

    row = _run(
        database,
        organisation,
        lambda store, org: register.record_exit(
            store,
            org,
            asset_id=asset_id,
            destination=destination,
            exit_date=_date(date),
            receiver_kind=receiver_kind,
            receiver_name=receiver,
            beneficiary_id=beneficiary,
            condition=condition,
            weight_kg=weight,
            price_eur=price,
            classified=classified,
            notes=notes,
            actor=default_actor(),
        ),
    )
    console.print(
        f"Sortie n° {row.id} enregistrée : {row.asset_id} — {DESTINATIONS[row.destination]} "
        f"le {row.exit_date:%d/%m/%Y}.",
        highlight=False,
    )


@command(reuse_app, "don", "donate")
def donate_command(
    asset_id: Annotated[
        str, typer.Argument(metavar="NUMERO", help="N° d'inventaire de l'équipement donné.")
    ],
    receiver_kind: Annotated[
        str,
        option(
            "--type-destinataire",
            english="--receiver-kind",
            help="association, school, public_body ou person.",
        ),
    ],
    receiver: Annotated[
        str | None,
        option("--destinataire", english="--receiver", help="Nom de la structure bénéficiaire."),
    ] = None,
    beneficiary: Annotated[
        int | None,
        option(
            "--beneficiaire",
            english="--beneficiary",
            help="N° du bénéficiaire (don à une personne).",
        ),
    ] = None,
    date: DateOption = None,
    condition: Annotated[
        str, option("--etat", english="--state", help="État du matériel.")
    ] = "working",
    organisation: OrganisationOption = None,
    database: DatabaseOption = None,
) -> None:
    """Donner un équipement du parc (refusé sans effacement enregistré s'il contient des données)."""
    from sobrenum.reuse import register
    from sobrenum.store import default_actor

    row = _run(
        database,
        organisation,
        lambda store, org: register.donate(
            store,
            org,
            asset_id=asset_id,
            exit_date=_date(date),
            receiver_kind=receiver_kind,
            receiver_name=receiver,
            beneficiary_id=beneficiary,
            condition=condition,
            actor=default_actor(),
        ),
    )
    console.print(
        f"Don n° {row.id} enregistré : {row.asset_id} le {row.exit_date:%d/%m/%Y}. "
        f"Convention : sobrenum reemploi document convention {row.id}",
        highlight=False,
    )


@command(reuse_app, "effacement", "wipe")
def wipe_command(
    reference: Annotated[
        str,
        typer.Argument(
            metavar="REFERENCE", help="N° d'inventaire (ou référence ressourcerie avec --objet)."
        ),
    ],
    method: Annotated[
        str,
        option(
            "--methode",
            english="--method",
            help=f"Niveau NIST SP 800-88 : {_choices(WIPE_METHODS)}.",
        ),
    ],
    tool: Annotated[
        str, option("--outil", english="--tool", help="Logiciel ou procédure utilisée.")
    ],
    operator: Annotated[str, option("--operateur", english="--operator", help="Qui a effacé.")],
    date: DateOption = None,
    certificate: Annotated[
        str | None,
        option("--certificat", english="--certificate", help="Référence du rapport de l'outil."),
    ] = None,
    item: Annotated[
        bool,
        option("--objet", english="--item", help="La référence est un objet de la ressourcerie."),
    ] = False,
    organisation: OrganisationOption = None,
    database: DatabaseOption = None,
) -> None:
    """Enregistrer l'effacement des données d'un équipement (méthode, outil, opérateur, date)."""
    from sobrenum.reuse import register
    from sobrenum.store import default_actor

    row = _run(
        database,
        organisation,
        lambda store, org: register.record_wipe(
            store,
            org,
            asset_id=None if item else reference,
            item_reference=reference if item else None,
            method=method,
            tool=tool,
            operator=operator,
            wiped_on=_date(date),
            certificate_ref=certificate,
            actor=default_actor(),
        ),
    )
    console.print(
        f"Effacement n° {row.id} enregistré : {row.subject_ref} ({row.method}) le "
        f"{row.wiped_on:%d/%m/%Y}. Certificat : sobrenum reemploi document certificat {row.id}",
        highlight=False,
    )


@command(reuse_app, "classifier", "classify")
def classify_command(
    asset_id: Annotated[
        str, typer.Argument(metavar="NUMERO", help="N° d'inventaire de l'équipement classifié.")
    ],
    reason: Annotated[str | None, option("--motif", english="--reason", help="Motif.")] = None,
    organisation: OrganisationOption = None,
    database: DatabaseOption = None,
) -> None:
    """Marquer un équipement comme classifié (exclu du taux du décret 2023-266)."""
    from sobrenum.reuse import register
    from sobrenum.store import default_actor

    _run(
        database,
        organisation,
        lambda store, org: register.mark_classified(
            store, org, asset_id, reason=reason, actor=default_actor()
        ),
    )
    console.print(f"{asset_id} est marqué classifié.", highlight=False)


@command(reuse_app, "beneficiaire", "beneficiary")
def beneficiary_command(
    initials: Annotated[
        str,
        option(
            "--initiales",
            english="--initials",
            help="Initiales ou pseudonyme court (jamais le nom).",
        ),
    ],
    public: Annotated[str, typer.Option("--public", help=f"Type : {_choices(PUBLIC_TYPES)}.")],
    postcode: Annotated[
        str | None, option("--code-postal", english="--postcode", help="Code postal.")
    ] = None,
    organisation: OrganisationOption = None,
    database: DatabaseOption = None,
) -> None:
    """Enregistrer un bénéficiaire du programme d'inclusion (données minimales)."""
    from sobrenum.reuse import register
    from sobrenum.store import default_actor

    row = _run(
        database,
        organisation,
        lambda store, org: register.add_beneficiary(
            store,
            org,
            pseudonym=initials,
            public_type=public,
            postcode=postcode,
            actor=default_actor(),
        ),
    )
    console.print(f"Bénéficiaire n° {row.id} enregistré ({PUBLIC_TYPES[row.public_type]}).")


# --- Ressourcerie ------------------------------------------------------------------------


@command(reuse_app, "reception", "intake")
def intake_command(
    category: Annotated[
        str, option("--categorie", english="--category", help="Catégorie (laptop, desktop…).")
    ],
    origin: Annotated[
        str,
        option(
            "--provenance", english="--origin", help="citizen, public_body, company ou internal."
        ),
    ],
    point: Annotated[
        str | None,
        option("--point-collecte", english="--collection-point", help="Point de collecte."),
    ] = None,
    origin_name: Annotated[
        str | None,
        option("--donateur", english="--donor", help="Organisme donateur (jamais un particulier)."),
    ] = None,
    description: Annotated[str | None, typer.Option("--description")] = None,
    weight: Annotated[
        float | None,
        option("--poids", english="--weight", help="Poids en kg.", click_type=FRENCH_NUMBER),
    ] = None,
    date: DateOption = None,
    organisation: OrganisationOption = None,
    database: DatabaseOption = None,
) -> None:
    """Réceptionner un objet à la ressourcerie (point de collecte, autre organisme)."""
    from sobrenum.reuse import register
    from sobrenum.reuse.vocabulary import category_label
    from sobrenum.store import default_actor

    row = _run(
        database,
        organisation,
        lambda store, org: register.intake(
            store,
            org,
            category=category,
            origin=origin,
            intake_date=_date(date),
            origin_name=origin_name,
            collection_point=point,
            description=description,
            weight_kg=weight,
            actor=default_actor(),
        ),
    )
    console.print(f"Objet {row.reference} réceptionné ({category_label(row.category)}).")


@command(reuse_app, "tri", "triage")
def triage_command(
    reference: Annotated[
        str, typer.Argument(metavar="REFERENCE", help="Référence de l'objet (RES-AAAA-NNNNN).")
    ],
    outcome: Annotated[
        str, typer.Argument(metavar="RESULTAT", help=f"Résultat : {_choices(TRIAGE_OUTCOMES)}.")
    ],
    notes: Annotated[str | None, typer.Option("--note")] = None,
    organisation: OrganisationOption = None,
    database: DatabaseOption = None,
) -> None:
    """Trier un objet reçu : réemployable, réparable, pièces ou DEEE."""
    from sobrenum.reuse import register
    from sobrenum.reuse.vocabulary import ITEM_STATUSES
    from sobrenum.store import default_actor

    row = _run(
        database,
        organisation,
        lambda store, org: register.triage(
            store, org, reference, outcome, notes=notes, actor=default_actor()
        ),
    )
    console.print(f"{row.reference} : {ITEM_STATUSES[row.status]}.")


@command(reuse_app, "reconditionner", "refurbish")
def refurbish_command(
    reference: Annotated[str, typer.Argument(metavar="REFERENCE", help="Référence de l'objet.")],
    work: Annotated[
        str | None, option("--travaux", english="--work", help="Travaux réalisés.")
    ] = None,
    organisation: OrganisationOption = None,
    database: DatabaseOption = None,
) -> None:
    """Enregistrer le reconditionnement d'un objet (réparation, nettoyage, réinstallation)."""
    from sobrenum.reuse import register
    from sobrenum.reuse.vocabulary import ITEM_STATUSES
    from sobrenum.store import default_actor

    row = _run(
        database,
        organisation,
        lambda store, org: register.refurbish(
            store, org, reference, work=work, actor=default_actor()
        ),
    )
    console.print(f"{row.reference} : {ITEM_STATUSES[row.status]}.")


@command(reuse_app, "redistribuer", "redistribute")
def redistribute_command(
    reference: Annotated[str, typer.Argument(metavar="REFERENCE", help="Référence de l'objet.")],
    beneficiary: Annotated[
        int | None, option("--beneficiaire", english="--beneficiary", help="N° du bénéficiaire.")
    ] = None,
    receiver: Annotated[
        str | None, option("--destinataire", english="--receiver", help="Structure.")
    ] = None,
    receiver_kind: Annotated[
        str | None,
        option(
            "--type-destinataire",
            english="--receiver-kind",
            help="association, school, public_body.",
        ),
    ] = None,
    date: DateOption = None,
    organisation: OrganisationOption = None,
    database: DatabaseOption = None,
) -> None:
    """Redistribuer un objet à un bénéficiaire (effacement exigé s'il contient des données)."""
    from sobrenum.reuse import register
    from sobrenum.reuse.vocabulary import ITEM_STATUSES
    from sobrenum.store import default_actor

    row = _run(
        database,
        organisation,
        lambda store, org: register.redistribute(
            store,
            org,
            reference,
            on=_date(date),
            beneficiary_id=beneficiary,
            receiver_kind=receiver_kind,
            receiver_name=receiver,
            actor=default_actor(),
        ),
    )
    console.print(f"{row.reference} : {ITEM_STATUSES[row.status]}.")


@command(reuse_app, "historique", "history")
def history_command(
    reference: Annotated[
        str | None,
        typer.Argument(
            metavar="REFERENCE", help="N° d'inventaire ou référence d'objet (facultatif)."
        ),
    ] = None,
    organisation: OrganisationOption = None,
    database: DatabaseOption = None,
) -> None:
    """Historique du registre (qui a fait quoi, quand) ; il ne peut être ni modifié ni effacé."""
    from rich.table import Table

    from sobrenum.reuse import register

    events = _run(
        database, organisation, lambda store, org: register.history(store, org, ref=reference)
    )
    table = Table(title="Historique du registre de réemploi", title_justify="left")
    for column in ("Date", "Qui", "Action", "Référence"):
        table.add_column(column)
    for event in events:
        table.add_row(f"{event.at:%d/%m/%Y %H:%M}", event.actor, event.action, event.subject_ref)
    console.print(table)


# --- Rates, exports, documents -----------------------------------------------------------


def _fmt(value: float, digits: int = 1) -> str:
    return f"{value:,.{digits}f}".replace(",", "\u202f").replace(".", ",")


@command(reuse_app, "taux", "rates")
def rates_command(
    year: YearOption = None,
    second_life: Annotated[
        float | None,
        option(
            "--seconde-vie",
            english="--second-life",
            help="Durée de seconde vie en années pour les impacts évités (défaut : moitié de "
            "la durée de vie de référence).",
        ),
    ] = None,
    organisation: OrganisationOption = None,
    database: DatabaseOption = None,
) -> None:
    """Taux de réemploi (décret 2023-266), sorties de l'année, inclusion, impacts évités."""
    from rich.table import Table

    from sobrenum.domain import CRITERIA_BY_CODE
    from sobrenum.referential import load as load_referential
    from sobrenum.reuse.avoided import avoided_impacts
    from sobrenum.reuse.inclusion import inclusion_indicators
    from sobrenum.reuse.rates import reuse_rate

    chosen = _year(year)
    with organisation_store(database, organisation) as (store, org):
        rate = reuse_rate(store, org.id, chosen)
        inclusion = inclusion_indicators(store, org.id, chosen)
        avoided = avoided_impacts(
            store, org.id, chosen, load_referential(), second_life_years=second_life
        )
    console.print(f"[bold]{org.name} — registre de réemploi {chosen}[/]", highlight=False)
    console.print(rate.explain(), highlight=False)
    table = Table(title="Taux de réemploi (décret n° 2023-266)", title_justify="left")
    table.add_column("Indicateur")
    table.add_column("Valeur", justify="right")
    table.add_row("A — équipements réemployés dans l'année", str(rate.reused))
    table.add_row(
        f"B — équipements réformés en stock au 1er janvier {chosen}", str(rate.retired_stock)
    )
    table.add_row("Taux A / B", "—" if rate.rate is None else f"{_fmt(rate.rate)} %")
    table.add_row("Objectif de l'année", "—" if rate.target is None else f"{rate.target:.0f} %")
    table.add_row("Exclus : plus de 10 ans", str(rate.excluded_old))
    table.add_row("Exclus : classifiés", str(rate.excluded_classified))
    console.print(table)
    exits = Table(title=f"Sorties {chosen} par destination", title_justify="left")
    exits.add_column("Destination")
    exits.add_column("Équipements", justify="right")
    for code, count in rate.exits_by_destination.items():
        exits.add_row(DESTINATIONS[code], str(count))
    exits.add_row("DEEE collectés (kg)", _fmt(rate.weee_kg))
    console.print(exits)
    console.print(
        f"Inclusion numérique : {inclusion.devices_donated} équipement(s) donné(s), "
        f"{inclusion.beneficiaries} personne(s) bénéficiaire(s).",
        highlight=False,
    )
    unit = CRITERIA_BY_CODE["gwp"].unit
    console.print(
        f"Impacts évités {chosen} : {_fmt(avoided.total('gwp'))} {unit} "
        f"(réemploi {_fmt(avoided.reuse.get('gwp', 0.0))}, allongement de la durée de vie "
        f"{_fmt(avoided.longer_life.get('gwp', 0.0))} ; référentiel {avoided.referential_version})",
        highlight=False,
    )


def _decimal(value: str, what: str) -> Decimal:
    try:
        return Decimal(value.replace(",", ".").replace(" ", ""))
    except InvalidOperation as exc:
        raise typer.BadParameter(f"{what} : montant invalide « {value} ».") from exc


@command(reuse_app, "achats", "purchases")
def purchases_command(
    product_type: Annotated[
        str,
        typer.Option(
            "--type", help="Catégorie AGEC (ex. « Matériel informatique et téléphonie »)."
        ),
    ],
    total: Annotated[str, typer.Option("--total", help="Dépenses totales HT (€).")],
    reuse: Annotated[
        str, option("--reemploi", english="--reuse", help="Dont réemploi / réutilisation (€).")
    ] = "0",
    recycled: Annotated[
        str, option("--recycle", english="--recycled", help="Dont matières recyclées (€).")
    ] = "0",
    comments: Annotated[str | None, typer.Option("--commentaire")] = None,
    year: YearOption = None,
    organisation: OrganisationOption = None,
    database: DatabaseOption = None,
) -> None:
    """Enregistrer les achats d'une année pour une catégorie AGEC (remplace la saisie précédente)."""
    from sobrenum.reuse import agec
    from sobrenum.store import default_actor

    row = _run(
        database,
        organisation,
        lambda store, org: agec.set_purchases(
            store,
            org,
            year=_year(year),
            product_type=product_type,
            amount_total=_decimal(total, "--total"),
            amount_reuse=_decimal(reuse, "--reemploi"),
            amount_recycled=_decimal(recycled, "--recycle"),
            comments=comments,
            actor=default_actor(),
        ),
    )
    console.print(f"Achats {row.year} enregistrés : {row.product_type}.", highlight=False)


@command(reuse_app, "don-recu", "donation-received")
def donation_received_command(
    article: Annotated[str, typer.Option("--article", help="Article de la grille forfaitaire.")],
    quantity: Annotated[int, option("--quantite", english="--quantity", help="Nombre reçu.")] = 1,
    description: Annotated[str | None, typer.Option("--description")] = None,
    year: YearOption = None,
    organisation: OrganisationOption = None,
    database: DatabaseOption = None,
) -> None:
    """Enregistrer des biens reçus en don (valorisés avec la grille forfaitaire à l'export)."""
    from sobrenum.reuse import agec
    from sobrenum.store import default_actor

    _run(
        database,
        organisation,
        lambda store, org: agec.add_received_donation(
            store,
            org,
            year=_year(year),
            grid_item=article,
            quantity=quantity,
            description=description,
            actor=default_actor(),
        ),
    )
    console.print(f"Don reçu enregistré : {quantity} × {article}.", highlight=False)


@command(reuse_app, "export-agec", "agec-export")
def agec_export_command(
    siret: Annotated[str, typer.Option("--siret", help="SIRET de l'acheteur (14 chiffres).")],
    output: Annotated[
        Path, option("--sortie", english="--output", help="Fichier CSV à écrire.", dir_okay=False)
    ],
    grid: Annotated[
        Path | None,
        option(
            "--grille",
            english="--grid",
            help="Grille de valeur forfaitaire des dons (CSV) ; par défaut "
            f"{GRID_FILE_NAME} du dossier de données s'il existe.",
        ),
    ] = None,
    year: YearOption = None,
    organisation: OrganisationOption = None,
    database: DatabaseOption = None,
) -> None:
    """Écrire la déclaration AGEC de l'année (schéma data.gouv.fr, à publier sur data.gouv.fr)."""
    from sobrenum.reuse import agec
    from sobrenum.store import data_dir
    from sobrenum.store.audit import record_download

    chosen = _year(year)
    with organisation_store(database, organisation) as (store, org):
        grid_path = grid or data_dir() / agec.GRID_FILE_NAME
        loaded = agec.load_grid(grid_path) if grid is not None or grid_path.is_file() else None
        lines = agec.build_declaration(
            store, org.id, year=chosen, siret=siret, name=org.name, grid=loaded
        )
        record_download(
            store, "agec", file_name=output.name, organisation_id=org.id,
            details={"year": chosen},
        )  # fmt: skip
    output.write_text(agec.write_declaration(lines), encoding="utf-8")
    for warning in agec.warnings(lines):
        err.print(f"[yellow]Attention :[/] {warning}", highlight=False)
    for line in lines:
        share = "—" if line.share is None else f"{_fmt(line.share)} %"
        target = "" if line.target is None else f" (plancher {line.target:.0f} %)"
        console.print(f"{line.type_produit_acquis} : {share}{target}", highlight=False)
    console.print(f"Déclaration AGEC {chosen} écrite : {output} ({len(lines)} ligne(s)).")


@command(reuse_app, "export-dons", "donations-export")
def donations_export_command(
    output: Annotated[
        Path, option("--sortie", english="--output", help="Fichier CSV à écrire.", dir_okay=False)
    ],
    year: YearOption = None,
    organisation: OrganisationOption = None,
    database: DatabaseOption = None,
) -> None:
    """Exporter les dons de l'année (bénéficiaires pseudonymisés, sans donnée personnelle)."""
    from sobrenum.reuse.inclusion import donations_export_csv

    text = _run(
        database,
        organisation,
        lambda store, org: _exported(
            store, org, "donations", output.name, donations_export_csv(store, org, _year(year))
        ),
    )
    output.write_text(text, encoding="utf-8")
    console.print(f"Dons exportés : {output}.")


@command(reuse_app, "document")
def document_command(
    kind: Annotated[
        str,
        typer.Argument(
            metavar="DOCUMENT", help="convention (de cession) ou certificat (d'effacement)."
        ),
    ],
    numbers: Annotated[
        list[int],
        typer.Argument(
            metavar="NUMEROS", help="N° de sortie(s) (convention) ou d'effacement (certificat)."
        ),
    ],
    output: Annotated[
        Path | None,
        option(
            "--sortie", english="--output", help="Fichier PDF (par défaut dans le dossier courant)."
        ),
    ] = None,
    organisation: OrganisationOption = None,
    database: DatabaseOption = None,
) -> None:
    """Produire un document PDF : convention de cession ou certificat d'effacement."""
    from sobrenum.reuse.documents import donation_agreement_pdf, wipe_certificate_pdf

    if kind not in ("convention", "certificat"):
        err.print("[bold red]Erreur :[/] document « convention » ou « certificat » attendu.")
        raise typer.Exit(code=2)
    if kind == "certificat" and len(numbers) != 1:
        err.print("[bold red]Erreur :[/] un certificat concerne un seul effacement.")
        raise typer.Exit(code=2)
    if kind == "convention":
        target = output or Path(f"convention-cession-{numbers[0]}.pdf")
        pdf = _run(
            database,
            organisation,
            lambda store, org: _exported(
                store, org, "donation_agreement", target.name,
                donation_agreement_pdf(store, org, numbers),
            ),
        )  # fmt: skip
    else:
        target = output or Path(f"certificat-effacement-{numbers[0]}.pdf")
        pdf = _run(
            database,
            organisation,
            lambda store, org: _exported(
                store, org, "wipe_certificate", target.name,
                wipe_certificate_pdf(store, org, numbers[0]),
            ),
        )  # fmt: skip
    target.write_bytes(pdf)
    console.print(f"Document écrit : {target}.")
