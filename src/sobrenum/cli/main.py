"""The ``sobrenum`` command. Each sub-module registers its commands on ``app``.

Commands and options are named in French with hidden English aliases (see ``naming``);
the framework's own messages are French unless the locale is English (see ``language``).
The command modules do not postpone their annotations (no ``from __future__ import
annotations``): Typer reads every command's parameters at each start, and would otherwise
evaluate each annotation's text again (names imported only for type checking are quoted).
"""

from __future__ import annotations

import typer

from sobrenum.cli.language import install_language
from sobrenum.cli.naming import GROUP_METAVAR, to_french

install_language()

app = typer.Typer(
    name="sobrenum",
    help="sobrenum — stratégie numérique responsable des collectivités.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
    context_settings={"token_normalize_func": to_french},
    subcommand_metavar=GROUP_METAVAR,
    suggest_commands=False,
)


def _register() -> None:
    # Imported for their side effect: each module adds its commands to ``app``.
    from sobrenum.cli import (
        commands_backup,  # noqa: F401
        commands_footprint,  # noqa: F401
        commands_import,  # noqa: F401
        commands_report,  # noqa: F401
        commands_reuse,  # noqa: F401
        commands_scenarios,  # noqa: F401
        commands_web,  # noqa: F401
    )


_register()
