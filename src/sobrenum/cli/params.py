"""Option types shared by the commands: numbers typed the French way."""

from __future__ import annotations

from typing import Any

import click


class FrenchNumber(click.ParamType):
    """« 1 234,5 », « 1.234,5 », « 1234.5 »: the reader of the import and the web forms."""

    name = "nombre"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, float | int):
            return float(value)
        from sobrenum.domain.numbers import parse_french_number  # Babel: only when used

        try:
            number = parse_french_number(str(value))
        except ValueError:
            number = None
        if number is None:
            self.fail(
                f"« {value} » n'est pas un nombre (exemples : 1 234,5 ou 1234.5).", param, ctx
            )
        return number


FRENCH_NUMBER = FrenchNumber()
