"""The ``sobrenum`` command. Each sub-module registers its commands on ``app``.

Commands and options are named in French with hidden English aliases (see ``naming``).
"""

from __future__ import annotations

import typer

from sobrenum.cli.naming import to_french

app = typer.Typer(
    name="sobrenum",
    help="sobrenum — stratégie numérique responsable des collectivités.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
    context_settings={"token_normalize_func": to_french},
)


def _register() -> None:
    # Imported for their side effect: each module adds its commands to ``app``.
    from sobrenum.cli import (
        commands_footprint,  # noqa: F401
        commands_import,  # noqa: F401
        commands_report,  # noqa: F401
        commands_reuse,  # noqa: F401
        commands_scenarios,  # noqa: F401
        commands_web,  # noqa: F401
    )


_register()
