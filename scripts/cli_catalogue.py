"""Update the French catalogue of the command line's framework messages (Click and Typer).

    .venv/bin/python scripts/cli_catalogue.py

Extracts the messages of the installed Click and Typer, keeps the translations already in
src/sobrenum/cli/locale/fr/LC_MESSAGES/sobrenum-cli.po, lists the messages left to translate,
and compiles the catalogue to sobrenum-cli.mo (read by gettext at run time). A test checks
that every message is translated and that the .mo matches the .po.
"""

from __future__ import annotations

import sys

from sobrenum.cli.language import PO_FILE, compile_catalogue, framework_catalogue


def main() -> int:
    catalogue = framework_catalogue()
    missing = [m.id for m in catalogue if m.id and not m.string]
    compile_catalogue(catalogue)
    for message in missing:
        print(f"à traduire : {message!r}")
    print(f"{PO_FILE} : {len(catalogue)} messages, {len(missing)} à traduire")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
