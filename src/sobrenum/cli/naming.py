"""The command line's naming rule: French names, English names as hidden aliases.

Commands and options are named in French (lower case, no accents, hyphenated); each may
have an English alias that works but is shown nowhere (help, completion, suggestions):

    @command(reuse_app, "sortie", "exit")
    def exit_command(
        year: Annotated[int, option("--annee", english="--year", help="Année.")] = 2025,
    ) -> None: ...

    add_group(app, strategy_app, "strategie", "strategy")

The aliases form one vocabulary for the whole command line (``--year`` is ``--annee``
everywhere, ``create`` is ``creer`` in every group): Click's ``token_normalize_func``, set
on the root command and inherited by every sub-command, turns an English command or option
name into its French name before it is looked up. docs/cli.md lists them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import typer

F = TypeVar("F", bound=Callable[..., Any])

#: English name → French name, for commands and options alike (options without their dashes).
ENGLISH_ALIASES: dict[str, str] = {}


def _alias(english: str, french: str) -> None:
    english, french = english.lstrip("-"), french.lstrip("-")
    if english == french:
        return
    known = ENGLISH_ALIASES.setdefault(english, french)
    if known != french:
        raise ValueError(f"English alias {english!r} already means {known!r}, not {french!r}")


def to_french(token: str) -> str:
    """Click's ``token_normalize_func``: an English command or option name → its French name."""
    return ENGLISH_ALIASES.get(token, token)


def command(group: typer.Typer, french: str, english: str | None = None, **kwargs: Any) -> Any:
    """Register the decorated function as ``french`` in ``group``, ``english`` as a hidden alias."""
    if english:
        _alias(english, french)
    return group.command(french, **kwargs)


#: Usage line of a group, « sobrenum reemploi [OPTIONS] COMMANDE [ARGUMENTS]... ».
GROUP_METAVAR = "COMMANDE [ARGUMENTS]..."


def add_group(
    parent: typer.Typer, group: typer.Typer, french: str, english: str | None = None
) -> None:
    """Add a group of commands to ``parent`` as ``french``, ``english`` as a hidden alias."""
    if english:
        _alias(english, french)
    # Typer's own suggestion (« Did you mean… ») is not translated; Click's is.
    group.suggest_commands = False
    parent.add_typer(group, name=french, subcommand_metavar=GROUP_METAVAR)


def option(*names: str, english: str | tuple[str, ...] = (), **kwargs: Any) -> Any:
    """``typer.Option(*names)``, with ``english`` (one name or several) as hidden aliases of
    the first (French) name."""
    for alias in (english,) if isinstance(english, str) else english:
        # An on/off pair (``--oui/--non``) takes an English pair (``--yes/--no``).
        for one, french in zip(alias.split("/"), names[0].split("/"), strict=True):
            _alias(one, french)
    return typer.Option(*names, **kwargs)
