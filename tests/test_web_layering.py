"""The web layer holds no SQL: every read and write goes through ``sobrenum.store`` (or a
business package) functions, so every read-then-write is in the store's write transaction.

The web modules may import SQLAlchemy's exception classes (to turn a busy database into a
503) and nothing else of it, and never open a transaction or run a statement themselves.
"""

from __future__ import annotations

import ast
from pathlib import Path

import sobrenum.web

WEB = Path(sobrenum.web.__file__).parent
#: Methods that run SQL or open a transaction on a store or a session.
SQL_CALLS = {"transaction", "write_transaction", "execute", "scalar", "scalars", "flush"}
#: Modules whose functions share those names without being SQL (``pa.scalar``).
NOT_SQL = {"pa", "pc", "np"}


def _problems(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sqlalchemy"):
            if node.module != "sqlalchemy.exc":
                found.append(f"line {node.lineno}: from {node.module} import …")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("sqlalchemy"):
                    found.append(f"line {node.lineno}: import {alias.name}")
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in SQL_CALLS
            and not (isinstance(node.func.value, ast.Name) and node.func.value.id in NOT_SQL)
        ):
            found.append(f"line {node.lineno}: .{node.func.attr}(…)")
    return found


def test_web_layer_holds_no_sql() -> None:
    modules = sorted(WEB.rglob("*.py"))
    assert len(modules) > 20  # the walk found the web package
    problems = [
        f"{path.relative_to(WEB.parent)} {problem}"
        for path in modules
        for problem in _problems(path)
    ]
    assert not problems, "SQL in the web layer (move it to sobrenum.store):\n" + "\n".join(problems)


def test_the_check_finds_sql(tmp_path: Path) -> None:
    sample = tmp_path / "page.py"
    sample.write_text(
        "from sqlalchemy import select\n"
        "from sqlalchemy.exc import IntegrityError\n"
        "def page(store):\n"
        "    with store.transaction() as session:\n"
        "        return session.scalar(select(1))\n",
        encoding="utf-8",
    )
    assert _problems(sample) == [
        "line 1: from sqlalchemy import …",
        "line 4: .transaction(…)",
        "line 5: .scalar(…)",
    ]
