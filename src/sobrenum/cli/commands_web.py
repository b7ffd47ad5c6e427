"""``sobrenum servir`` (the web app), ``sobrenum utilisateur`` (accounts) and ``sobrenum demo-web``."""

import inspect
import sys
from typing import Annotated, Any

import typer

from sobrenum.cli.main import app
from sobrenum.cli.naming import add_group, command, option
from sobrenum.cli.options import DatabaseOption, console, fail

user_app = typer.Typer(help="Gérer les comptes des utilisateurs.", no_args_is_help=True)
add_group(app, user_app, "utilisateur", "user")

INSTANCE_ADMIN = "admin-instance"

PasswordStdinOption = Annotated[
    bool,
    option(
        "--mot-de-passe-stdin",
        english="--password-stdin",
        help="Lire le mot de passe sur l'entrée standard.",
    ),
]


@command(app, "servir", "serve")
def serve_command(
    host: Annotated[
        str, option("--hote", english="--host", help="Adresse d'écoute.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port d'écoute.", min=1, max=65535)] = 8000,
    database: DatabaseOption = None,
    workers: Annotated[
        int, option("--processus", english="--workers", help="Nombre de processus.", min=1)
    ] = 1,
) -> None:
    """Lancer l'application web (uvicorn)."""
    _serve(host, port, database, workers)


def _serve(
    host: str, port: int, database: str | None, workers: int = 1, *, announce: bool = True
) -> None:
    import os

    import uvicorn

    from sobrenum.domain import SobrenumError
    from sobrenum.store import ENV_DATABASE_URL, open_store

    if database:
        os.environ[ENV_DATABASE_URL] = database
    try:
        # Open once here: migrations run before any worker starts, and errors are French.
        open_store(database).close()
    except SobrenumError as exc:
        raise fail(exc) from exc
    if announce:
        console.print(
            f"Application web sobrenum : [bold]http://{host}:{port}/[/] (Ctrl+C pour arrêter)",
            highlight=False,
        )
    options: dict[str, Any] = {}
    if "timeout_worker_healthcheck" in inspect.signature(uvicorn.run).parameters:
        # A worker imports the engine (ibis, DuckDB) before answering: give it time.
        options["timeout_worker_healthcheck"] = 60
    uvicorn.run(
        "sobrenum.web.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=False,  # the app reads them, from SOBRENUM_PROXIES_DE_CONFIANCE only
        log_level="info",
        **options,
    )


def _read_password(from_stdin: bool) -> str:
    from sobrenum.web.security import check_password_policy

    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Mot de passe", hide_input=True, confirmation_prompt=True)
    check_password_policy(password)
    return password


@command(user_app, "creer", "create")
def user_create(
    email: Annotated[
        str, option("--courriel", english="--email", help="Adresse électronique (identifiant).")
    ],
    role: Annotated[
        str,
        typer.Option(
            "--role",
            help="admin-instance, admin (de la collectivité), editeur ou lecteur.",
        ),
    ],
    organisation: Annotated[
        str | None,
        typer.Option("--organisation", help="SIREN, nom ou numéro de la collectivité."),
    ] = None,
    name: Annotated[str, option("--nom", english="--name", help="Nom affiché.")] = "",
    password_stdin: PasswordStdinOption = False,
    database: DatabaseOption = None,
) -> None:
    """Créer un compte (par exemple le premier administrateur de l'instance)."""
    from sobrenum.domain import SobrenumError
    from sobrenum.store import default_actor, find_organisation, open_store
    from sobrenum.store.users import AccountError, create_user
    from sobrenum.web.security import PasswordPolicyError, hash_password

    instance_admin = role.strip().lower() == INSTANCE_ADMIN
    if not instance_admin and organisation is None:
        raise fail(AccountError("Précisez --organisation pour un rôle dans une collectivité."))
    try:
        with open_store(database) as store:
            org = find_organisation(store, organisation) if organisation else None
            password = _read_password(password_stdin)
            user = create_user(
                store,
                email=email,
                password_hash=hash_password(password),
                display_name=name,
                is_instance_admin=instance_admin,
                organisation_id=org.id if org else None,
                role=("admin" if instance_admin else role) if org else None,
                actor=default_actor(),
            )
    except (SobrenumError, PasswordPolicyError) as exc:
        raise fail(exc) from exc
    what = "administrateur de l'instance" if instance_admin else f"rôle {role}"
    where = f" dans {org.name}" if org else ""
    console.print(f"Compte créé : [bold]{user.email}[/] ({what}{where}).", highlight=False)


@command(user_app, "ajouter", "add")
def user_add(
    email: Annotated[
        str, option("--courriel", english="--email", help="Adresse du compte existant.")
    ],
    role: Annotated[str, typer.Option("--role", help="admin, editeur ou lecteur.")],
    organisation: Annotated[
        str, typer.Option("--organisation", help="SIREN, nom ou numéro de la collectivité.")
    ],
    database: DatabaseOption = None,
) -> None:
    """Donner à un compte existant un rôle dans une collectivité."""
    from sobrenum.domain import SobrenumError
    from sobrenum.store import default_actor, find_organisation, open_store
    from sobrenum.store.users import AccountError, find_user_by_email, set_membership

    try:
        with open_store(database) as store:
            user = find_user_by_email(store, email)
            if user is None:
                raise AccountError(f"Aucun compte pour {email}.")
            org = find_organisation(store, organisation)
            set_membership(
                store, user_id=user.id, organisation_id=org.id, role=role, actor=default_actor()
            )
    except SobrenumError as exc:
        raise fail(exc) from exc
    console.print(f"{user.email} : rôle {role} dans {org.name}.", highlight=False)


def _account(store: Any, email: str) -> Any:
    from sobrenum.store.users import AccountError, find_user_by_email

    user = find_user_by_email(store, email)
    if user is None:
        raise AccountError(f"Aucun compte pour {email}.")
    return user


@command(user_app, "mot-de-passe", "password")
def user_password(
    email: Annotated[str, option("--courriel", english="--email", help="Adresse du compte.")],
    password_stdin: PasswordStdinOption = False,
    database: DatabaseOption = None,
) -> None:
    """Donner un nouveau mot de passe à un compte (sessions fermées, jetons révoqués)."""
    from sobrenum.domain import SobrenumError
    from sobrenum.store import default_actor, open_store
    from sobrenum.store.users import set_password_hash
    from sobrenum.web.security import PasswordPolicyError, hash_password

    try:
        with open_store(database) as store:
            user = _account(store, email)
            password = _read_password(password_stdin)
            set_password_hash(store, user.id, hash_password(password), actor=default_actor())
    except (SobrenumError, PasswordPolicyError) as exc:
        raise fail(exc) from exc
    console.print(f"Mot de passe de {user.email} changé.", highlight=False)


def _set_active(email: str, active: bool, database: str | None) -> None:
    from sobrenum.domain import SobrenumError
    from sobrenum.store import default_actor, open_store
    from sobrenum.store.users import set_active

    try:
        with open_store(database) as store:
            user = set_active(store, _account(store, email).id, active, actor=default_actor())
    except SobrenumError as exc:
        raise fail(exc) from exc
    state = "réactivé" if active else "désactivé (sessions fermées, jetons révoqués)"
    console.print(f"Compte {user.email} {state}.", highlight=False)


@command(user_app, "desactiver", "deactivate")
def user_deactivate(
    email: Annotated[str, option("--courriel", english="--email", help="Adresse du compte.")],
    database: DatabaseOption = None,
) -> None:
    """Désactiver un compte : il ne peut plus se connecter ni utiliser ses jetons."""
    _set_active(email, False, database)


@command(user_app, "reactiver", "reactivate")
def user_reactivate(
    email: Annotated[str, option("--courriel", english="--email", help="Adresse du compte.")],
    database: DatabaseOption = None,
) -> None:
    """Réactiver un compte désactivé."""
    _set_active(email, True, database)


DEMO_ADMIN = "demo@exemple.fr"


@command(app, "demo-web")
def demo_web_command(
    database: Annotated[
        str | None,
        option(
            "--base",
            english="--database",
            help="Base de la démonstration (sqlite:///… ou postgresql://…) ; par défaut "
            "demonstration.sqlite dans le dossier de données, à part des vraies collectivités.",
            show_default=False,
        ),
    ] = None,
    host: Annotated[
        str, option("--hote", english="--host", help="Adresse d'écoute.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port d'écoute.", min=1, max=65535)] = 8000,
    start: Annotated[
        bool,
        option(
            "--lancer/--sans-lancer",
            english="--start/--no-start",
            help="Lancer l'application web une fois la démonstration prête.",
        ),
    ] = True,
) -> None:
    """La démonstration dans l'application web : la même commune, un compte, le serveur.

    La commune de « sobrenum demo » (parc, stratégie, registre de réemploi, année figée) dans
    sa propre base, un compte administrateur ; l'adresse et le mot de passe s'affichent une fois.
    """
    import secrets

    from sobrenum.demo import DEMO_ORGANISATION, prepare_demo
    from sobrenum.domain import SobrenumError
    from sobrenum.referential import check, load
    from sobrenum.store import data_dir, default_actor, open_store
    from sobrenum.store.users import (
        create_user,
        find_user_by_email,
        set_membership,
        set_password_hash,
    )
    from sobrenum.web.security import hash_password

    url = database or f"sqlite:///{data_dir() / 'demonstration.sqlite'}"
    password = secrets.token_urlsafe(12)
    try:
        ref = load()
        if problems := check(ref):
            raise SobrenumError("Le référentiel n'est pas cohérent : " + "; ".join(problems[:5]))
        with (
            console.status("Préparation de la commune de démonstration…"),
            open_store(url) as store,
        ):
            organisation = prepare_demo(store, ref)
            user = find_user_by_email(store, DEMO_ADMIN)
            if user is None:
                create_user(
                    store,
                    email=DEMO_ADMIN,
                    password_hash=hash_password(password),
                    display_name="Compte de démonstration",
                    organisation_id=organisation.id,
                    role="admin",
                    actor=default_actor(),
                )
            else:
                set_password_hash(store, user.id, hash_password(password), actor=default_actor())
                set_membership(
                    store,
                    user_id=user.id,
                    organisation_id=organisation.id,
                    role="admin",
                    actor=default_actor(),
                )
            location = store.url
    except SobrenumError as exc:
        raise fail(exc) from exc
    console.print(f"Démonstration prête : [bold]{DEMO_ORGANISATION}[/] (base {location})")
    console.print(
        f"  Adresse      : [bold]http://{host}:{port}/[/]\n"
        f"  Identifiant  : [bold]{DEMO_ADMIN}[/]\n"
        f"  Mot de passe : [bold]{password}[/]",
        highlight=False,
    )
    if not start:
        console.print(
            f"Pour l'ouvrir : [bold]sobrenum servir --base {url}[/] (le mot de passe reste valable).",
            highlight=False,
        )
        return
    console.print("Ctrl+C pour arrêter.")
    _serve(host, port, url, announce=False)
