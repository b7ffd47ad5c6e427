"""The vocabulary of sobrenum: categories, criteria, phases, the equipment schema, errors.

The equipment schema (``FLEET_SCHEMA``, ``FIELDS``…) is built with pyarrow: it is imported
when first asked for, so that the vocabulary alone stays light (the command line's help).
"""

from typing import TYPE_CHECKING

from sobrenum.domain.errors import InvalidDataError, ReferentialError, RowIssue, SobrenumError
from sobrenum.domain.vocabulary import (
    CATEGORIES,
    CATEGORIES_BY_CODE,
    CRITERIA,
    CRITERIA_BY_CODE,
    EMBODIED_PHASES,
    PHASE_LABELS,
    Category,
    Condition,
    Criterion,
    Group,
    Phase,
    Status,
)

if TYPE_CHECKING:
    from sobrenum.domain.equipment import (
        DEFAULT_COUNTRY,
        FIELDS,
        FIELDS_BY_CODE,
        FLEET_SCHEMA,
        Field,
    )

_EQUIPMENT = frozenset({"DEFAULT_COUNTRY", "FIELDS", "FIELDS_BY_CODE", "FLEET_SCHEMA", "Field"})


def __getattr__(name: str) -> object:
    if name in _EQUIPMENT:
        from sobrenum.domain import equipment

        return getattr(equipment, name)
    raise AttributeError(f"module 'sobrenum.domain' has no attribute {name!r}")


__all__ = [
    "CATEGORIES",
    "CATEGORIES_BY_CODE",
    "CRITERIA",
    "CRITERIA_BY_CODE",
    "DEFAULT_COUNTRY",
    "EMBODIED_PHASES",
    "FIELDS",
    "FIELDS_BY_CODE",
    "FLEET_SCHEMA",
    "PHASE_LABELS",
    "Category",
    "Condition",
    "Criterion",
    "Field",
    "Group",
    "InvalidDataError",
    "Phase",
    "ReferentialError",
    "RowIssue",
    "SobrenumError",
    "Status",
]
