"""The command line's naming rule: French names, hidden English aliases, every command named
in a message or a document exists (see sobrenum.cli.naming and docs/cli.md)."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
import typer
from typer.testing import CliRunner

from sobrenum.cli.main import app
from sobrenum.cli.naming import ENGLISH_ALIASES

REPO = Path(__file__).resolve().parents[1]
SRC = REPO / "src" / "sobrenum"
ROOT = typer.main.get_command(app)
NAME = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")


def walk(
    command: click.Command, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    yield path, command
    if isinstance(command, click.Group):
        for name, sub in command.commands.items():
            if not sub.hidden:
                yield from walk(sub, (*path, name))


COMMANDS = dict(walk(ROOT))


def option_names(command: click.Command) -> set[str]:
    return {"help"} | {
        name.lstrip("-")
        for p in command.params
        if isinstance(p, click.Option)
        for name in (*p.opts, *p.secondary_opts)
        if name.startswith("--")
    }


def test_names_are_french_lower_case_hyphenated_and_aliases_shadow_none() -> None:
    french: set[str] = set()
    for path, command in COMMANDS.items():
        names = ([path[-1]] if path else []) + sorted(option_names(command) - {"help"})
        for name in names:
            assert NAME.match(name), f"« {name} » ({' '.join(path)}) : minuscules, sans accent"
        french.update(names)
    # An English alias equal to a French name would turn that name into another one.
    assert not french & set(ENGLISH_ALIASES)
    # Every alias leads somewhere.
    assert set(ENGLISH_ALIASES.values()) <= french
    assert "footprint" in ENGLISH_ALIASES and "year" in ENGLISH_ALIASES


@pytest.mark.parametrize("path", [p for p in COMMANDS if p], ids=" ".join)
def test_help_of_every_command(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(app, [*path, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert f"sobrenum {' '.join(path)}" in result.output
    short = (COMMANDS[path].help or "").split("\n")[0].strip()
    assert short and short[:40] in result.output
    # The framework's words are French too (see test_cli_language).
    for english in ("Show this message", "Usage:", "[default:", "[required]", "INTEGER", "TEXT "):
        assert english not in result.output, english


def test_every_summary_is_one_line() -> None:
    # A command's first paragraph is its line in its group's list, line breaks kept.
    for path, command in COMMANDS.items():
        summary = (command.help or "").strip().split("\n\n")[0]
        assert "\n" not in summary, f"sobrenum {' '.join(path)} : {summary!r}"


def test_english_aliases_work_and_stay_hidden() -> None:
    runner = CliRunner()
    french = runner.invoke(app, ["referentiel", "afficher", "--categorie", "laptop"])
    english = runner.invoke(app, ["referential", "show", "--category", "laptop"])
    assert french.exit_code == english.exit_code == 0
    assert english.output == french.output
    top = runner.invoke(app, ["--help"], env={"COLUMNS": "200"})
    assert "empreinte" in top.output and "reemploi" in top.output
    assert not re.search(r"\b(footprint|reuse|referential|strategy|serve)\b", top.output)
    options = runner.invoke(app, ["empreinte", "--help"], env={"COLUMNS": "200"})
    assert "--annee" in options.output and "--year" not in options.output
    # An on/off pair: --yes/--no for --oui/--non.
    assert ENGLISH_ALIASES["yes"] == "oui" and ENGLISH_ALIASES["no"] == "non"


# --- every ``sobrenum …`` mentioned names a command that exists ----------------------------

MARKUP = re.compile(r"\[/?[a-z ]*\]")
STOP = "`»\"'),;:!?*<|"


def strings_of(path: Path) -> Iterator[str]:
    """The text a user may read: string literals of Python sources, whole templates/docs."""
    text = path.read_text(encoding="utf-8")
    if path.suffix != ".py":
        yield text
        return
    tree = ast.parse(text)
    inside_fstrings = {
        id(part)
        for node in ast.walk(tree)
        if isinstance(node, ast.JoinedStr)
        for part in node.values
    }
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            yield "".join(
                str(p.value) if isinstance(p, ast.Constant) else "{}" for p in node.values
            )
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in inside_fstrings
        ):
            yield node.value


def mention_problems(text: str) -> Iterator[str]:
    for match in re.finditer(r"\bsobrenum[ \t]+([^\n]*)", MARKUP.sub("", text)):
        words = match.group(1).split()
        first = words[0].strip(STOP + ".") if words else ""
        if first not in ROOT.commands:  # type: ignore[attr-defined]
            if first in ENGLISH_ALIASES and ENGLISH_ALIASES[first] in ROOT.commands:  # type: ignore[attr-defined]
                yield f"« sobrenum {first} » : nommer la commande en français"
            continue  # prose: « sobrenum calcule… »
        node: click.Command = ROOT
        said = "sobrenum"
        for raw in words:
            word = raw.rstrip(STOP + ".")
            if word.endswith("…") or not word or word.startswith("#"):
                break
            if word.startswith("--"):
                if word.split("=")[0][2:] not in option_names(node):
                    yield f"« {said} {word} » : pas d'option « {word} »"
            elif isinstance(node, click.Group):
                sub = node.commands.get(word)
                if sub is None:
                    yield f"« {said} {word} » : pas de commande « {word} » dans « {said} »"
                    break
                node, said = sub, f"{said} {word}"
            if raw != word:  # the mention ends with this word
                break


MENTION_FILES = sorted(
    [p for p in SRC.rglob("*") if p.suffix in (".py", ".html", ".j2")]
    + list((REPO / "docs").rglob("*.md"))
    + [REPO / "README.md"]
)


def test_every_command_mentioned_in_messages_and_docs_exists() -> None:
    problems = [
        f"{path.relative_to(REPO)} : {problem}"
        for path in MENTION_FILES
        for text in strings_of(path)
        for problem in mention_problems(text)
    ]
    assert not problems, "\n".join(problems)


def test_the_checker_catches_what_it_should() -> None:
    assert list(mention_problems("(commande `sobrenum reemploi achats`)")) == []
    assert list(mention_problems("voir sobrenum reuse achats")) != []
    assert list(mention_problems("lancez sobrenum reemploi acheter")) != []
    assert list(mention_problems("sobrenum strategie figer --year 2025")) != []
    assert list(mention_problems("sobrenum calcule l'empreinte")) == []


def test_cli_reference_lists_every_command_and_alias() -> None:
    reference = (REPO / "docs" / "cli.md").read_text(encoding="utf-8")
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for path in COMMANDS:
        if path:
            assert f"sobrenum {' '.join(path)}" in reference, path
    for english in ENGLISH_ALIASES:
        assert f"`{english}`" in reference or f"`--{english}`" in reference, english
    for name in ROOT.commands:  # type: ignore[attr-defined]
        assert f"sobrenum {name}" in readme, name
